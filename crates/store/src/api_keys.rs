//! Service API keys: stored by the digest of their secret, listed per account, revoked in place.

use confab_domain::api_key::ApiKey;
use confab_domain::{AccountId, ApiKeyId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};

use crate::db::insert_into;
use crate::{Conn, StoreError};

const COLUMNS: [&str; 10] = [
    "id",
    "account_id",
    "name",
    "token_hint",
    "scopes",
    "created_by",
    "expires_at",
    "revoked_at",
    "created_at",
    "updated_at",
];

fn select() -> SelectStatement {
    let mut stmt = Query::select();
    stmt.columns(COLUMNS).from("api_keys");
    stmt
}

/// A key to store; `digest` is the keyed digest of the secret handed to its creator.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub account: AccountId,
    pub name: String,
    pub digest: String,
    pub hint: String,
    pub scopes: String,
    pub created_by: Option<UserId>,
    pub expires_at: Option<Timestamp>,
}

pub async fn insert_api_key(
    c: &mut Conn<'_>,
    n: &NewApiKey,
    now: Timestamp,
) -> Result<ApiKey, StoreError> {
    let mut stmt = insert_into(
        "api_keys",
        vec![
            ("account_id", n.account.get().into()),
            ("name", n.name.clone().into()),
            ("token_digest", n.digest.clone().into()),
            ("token_hint", n.hint.clone().into()),
            ("scopes", n.scopes.clone().into()),
            ("created_by", n.created_by.map(|u| u.get()).into()),
            ("expires_at", n.expires_at.map(Timestamp::as_micros).into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    let id = ApiKeyId(c.insert_returning_id(&mut stmt).await?);
    get_api_key(c, n.account, id)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The key whose secret has this digest, revoked or not.
pub async fn find_by_digest(c: &mut Conn<'_>, digest: &str) -> Result<Option<ApiKey>, StoreError> {
    let stmt = select()
        .and_where(Expr::col("token_digest").eq(digest))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// One key of an account.
pub async fn get_api_key(
    c: &mut Conn<'_>,
    account: AccountId,
    id: ApiKeyId,
) -> Result<Option<ApiKey>, StoreError> {
    let stmt = select()
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// The account's keys, newest first.
pub async fn list_api_keys(
    c: &mut Conn<'_>,
    account: AccountId,
) -> Result<Vec<ApiKey>, StoreError> {
    let stmt = select()
        .and_where(Expr::col("account_id").eq(account.get()))
        .order_by("id", Order::Desc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Revokes a key of the account that is not revoked yet (the row is kept, so its past actions
/// stay attributed); false when there is no such key.
pub async fn revoke_api_key(
    c: &mut Conn<'_>,
    account: AccountId,
    id: ApiKeyId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let stmt = Query::update()
        .table("api_keys")
        .value("revoked_at", now.as_micros())
        .value("updated_at", now.as_micros())
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").eq(id.get()))
        .and_where(Expr::col("revoked_at").is_null())
        .to_owned();
    Ok(c.execute(&stmt).await? > 0)
}
