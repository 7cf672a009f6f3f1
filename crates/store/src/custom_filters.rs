//! Saved filters ("custom views"), each private to the user who saved it.

use confab_domain::team::CustomFilter;
use confab_domain::{AccountId, CustomFilterId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::{Conn, StoreError};

const COLUMNS: [&str; 8] = [
    "id",
    "account_id",
    "user_id",
    "name",
    "filter_type",
    "query",
    "created_at",
    "updated_at",
];

fn select_own(account: AccountId, user: UserId) -> SelectStatement {
    Query::select()
        .columns(COLUMNS)
        .from("custom_filters")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("user_id").eq(user.get()))
        .to_owned()
}

/// A new saved filter (`filter_type` as its code).
#[derive(Debug, Clone)]
pub struct NewCustomFilter {
    pub name: String,
    pub filter_type: i16,
    pub query: Value,
}

/// Changes to a saved filter; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct CustomFilterChanges {
    pub name: Option<String>,
    pub filter_type: Option<i16>,
    pub query: Option<Value>,
}

pub async fn insert_custom_filter(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
    n: &NewCustomFilter,
    now: Timestamp,
) -> Result<CustomFilterId, StoreError> {
    let mut stmt = insert_into(
        "custom_filters",
        vec![
            ("account_id", account.get().into()),
            ("user_id", user.get().into()),
            ("name", n.name.clone().into()),
            ("filter_type", n.filter_type.into()),
            ("query", json(&n.query)),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    Ok(CustomFilterId(c.insert_returning_id(&mut stmt).await?))
}

/// A saved filter of `user` in an account; `None` when it does not exist or is someone else's.
pub async fn find_custom_filter(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
    id: CustomFilterId,
) -> Result<Option<CustomFilter>, StoreError> {
    let stmt = select_own(account, user)
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// The saved filters of `user` in an account of one type, oldest first.
pub async fn list_custom_filters(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
    filter_type: i16,
) -> Result<Vec<CustomFilter>, StoreError> {
    let stmt = select_own(account, user)
        .and_where(Expr::col("filter_type").eq(filter_type))
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// How many saved filters (of any type) `user` keeps in an account.
pub async fn count_custom_filters(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
) -> Result<i64, StoreError> {
    let stmt = Query::select()
        .expr(sea_query::Func::count(Expr::col("id")))
        .from("custom_filters")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("user_id").eq(user.get()))
        .to_owned();
    Ok(c.fetch_scalar::<i64>(&stmt).await?.unwrap_or(0))
}

pub async fn update_custom_filter(
    c: &mut Conn<'_>,
    id: CustomFilterId,
    ch: &CustomFilterChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("name", ch.name.clone())
        .opt("filter_type", ch.filter_type)
        .opt_json("query", ch.query.as_ref());
    c.execute(&changes.update("custom_filters", id.get(), now))
        .await?;
    Ok(())
}

pub async fn delete_custom_filter(c: &mut Conn<'_>, id: CustomFilterId) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("custom_filters")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}
