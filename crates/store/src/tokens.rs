//! Access tokens, stored as keyed digests only.

use confab_domain::Timestamp;
use sea_query::{Expr, ExprTrait, Query};

use crate::db::insert_into;
use crate::{Conn, StoreError};

/// Who a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    User,
    AgentBot,
    PlatformApp,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::AgentBot => "AgentBot",
            Self::PlatformApp => "PlatformApp",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        match s {
            "User" => Some(Self::User),
            "AgentBot" => Some(Self::AgentBot),
            "PlatformApp" => Some(Self::PlatformApp),
            _ => None,
        }
    }
}

#[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
struct TokenRow {
    owner_type: String,
    owner_id: i64,
    token_seed: String,
}

/// A stored token: its owner and the seed the token is derived from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub owner: OwnerKind,
    pub owner_id: i64,
    pub seed: String,
}

/// Stores (or replaces) the token of an owner.
pub async fn upsert_token(
    c: &mut Conn<'_>,
    owner: OwnerKind,
    owner_id: i64,
    digest: &str,
    seed: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut stmt = insert_into(
        "access_tokens",
        vec![
            ("owner_type", owner.as_str().into()),
            ("owner_id", owner_id.into()),
            ("token_digest", digest.into()),
            ("token_seed", seed.into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    stmt.on_conflict(
        sea_query::OnConflict::columns(["owner_type", "owner_id"])
            .update_columns(["token_digest", "token_seed", "updated_at"])
            .to_owned(),
    );
    c.execute(&stmt).await?;
    Ok(())
}

fn to_stored(r: TokenRow) -> Option<StoredToken> {
    Some(StoredToken {
        owner: OwnerKind::parse(&r.owner_type)?,
        owner_id: r.owner_id,
        seed: r.token_seed,
    })
}

/// Looks a token up by its digest.
pub async fn find_by_digest(
    c: &mut Conn<'_>,
    digest: &str,
) -> Result<Option<StoredToken>, StoreError> {
    let stmt = Query::select()
        .columns(["owner_type", "owner_id", "token_seed"])
        .from("access_tokens")
        .and_where(Expr::col("token_digest").eq(digest))
        .to_owned();
    Ok(c.fetch_optional::<TokenRow>(&stmt)
        .await?
        .and_then(to_stored))
}

/// The user a token belongs to, in one statement (the look-up behind almost every request).
pub async fn find_user_by_digest(
    c: &mut Conn<'_>,
    digest: &str,
) -> Result<Option<confab_domain::user::User>, StoreError> {
    let mut stmt = Query::select();
    for col in crate::users::USER_COLUMNS {
        stmt.column(("users", col));
    }
    stmt.from("access_tokens")
        .inner_join(
            "users",
            Expr::col(("users", "id")).equals(("access_tokens", "owner_id")),
        )
        .and_where(Expr::col(("access_tokens", "token_digest")).eq(digest))
        .and_where(Expr::col(("access_tokens", "owner_type")).eq(OwnerKind::User.as_str()));
    c.fetch_optional(&stmt).await
}

/// The token of an owner, if it has one.
pub async fn find_by_owner(
    c: &mut Conn<'_>,
    owner: OwnerKind,
    owner_id: i64,
) -> Result<Option<StoredToken>, StoreError> {
    let stmt = Query::select()
        .columns(["owner_type", "owner_id", "token_seed"])
        .from("access_tokens")
        .and_where(Expr::col("owner_type").eq(owner.as_str()))
        .and_where(Expr::col("owner_id").eq(owner_id))
        .to_owned();
    Ok(c.fetch_optional::<TokenRow>(&stmt)
        .await?
        .and_then(to_stored))
}

/// The tokens of several owners of one kind (one query for a list of bots or users).
pub async fn list_by_owners(
    c: &mut Conn<'_>,
    owner: OwnerKind,
    ids: &[i64],
) -> Result<Vec<StoredToken>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(["owner_type", "owner_id", "token_seed"])
        .from("access_tokens")
        .and_where(Expr::col("owner_type").eq(owner.as_str()))
        .and_where(Expr::col("owner_id").is_in(ids.iter().copied()))
        .to_owned();
    Ok(c.fetch_all::<TokenRow>(&stmt)
        .await?
        .into_iter()
        .filter_map(to_stored)
        .collect())
}

pub async fn delete_token(
    c: &mut Conn<'_>,
    owner: OwnerKind,
    owner_id: i64,
) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("access_tokens")
        .and_where(Expr::col("owner_type").eq(owner.as_str()))
        .and_where(Expr::col("owner_id").eq(owner_id))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}
