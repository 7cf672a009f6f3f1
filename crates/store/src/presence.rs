//! Presence: who of an account has a live socket, as last reported (agents and contacts).

use confab_domain::{AccountId, ContactId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, OnConflict, Query};

use crate::db::insert_into;
use crate::{Conn, StoreError};

/// Who is present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Present {
    User(UserId),
    Contact(ContactId),
}

impl Present {
    fn columns(self) -> (i16, i64) {
        match self {
            Present::User(u) => (0, u.get()),
            Present::Contact(c) => (1, c.get()),
        }
    }
}

/// Records that `who` is present now.
pub async fn touch(
    c: &mut Conn<'_>,
    account: AccountId,
    who: Present,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (kind, id) = who.columns();
    let mut stmt = insert_into(
        "presence",
        vec![
            ("account_id", account.get().into()),
            ("kind", kind.into()),
            ("subject_id", id.into()),
            ("seen_at", now.as_micros().into()),
        ],
    )?;
    stmt.on_conflict(
        OnConflict::columns(["account_id", "kind", "subject_id"])
            .update_column("seen_at")
            .to_owned(),
    );
    c.execute(&stmt).await?;
    Ok(())
}

/// Who of the account was present at `since` or later (users first, then contacts, by id).
pub async fn present_since(
    c: &mut Conn<'_>,
    account: AccountId,
    since: Timestamp,
) -> Result<Vec<Present>, StoreError> {
    let stmt = Query::select()
        .columns(["kind", "subject_id"])
        .from("presence")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("seen_at").gte(since.as_micros()))
        .order_by("kind", sea_query::Order::Asc)
        .order_by("subject_id", sea_query::Order::Asc)
        .to_owned();
    let rows: Vec<(i16, i64)> = c.fetch_all(&stmt).await?;
    Ok(rows
        .into_iter()
        .map(|(kind, id)| match kind {
            0 => Present::User(UserId(id)),
            _ => Present::Contact(ContactId(id)),
        })
        .collect())
}

/// Forgets the account's presence reports older than `before`.
pub async fn forget_before(
    c: &mut Conn<'_>,
    account: AccountId,
    before: Timestamp,
) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("presence")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("seen_at").lt(before.as_micros()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}
