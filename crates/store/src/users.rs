//! Users.

use confab_domain::user::User;
use confab_domain::{Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Query};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::{Conn, StoreError};

pub(crate) const USER_COLUMNS: [&str; 11] = [
    "id",
    "name",
    "display_name",
    "email",
    "password_hash",
    "pubsub_token",
    "message_signature",
    "ui_settings",
    "custom_attributes",
    "created_at",
    "updated_at",
];

/// A new user's fields. `email` must already be lower-cased.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub display_name: Option<String>,
    pub email: String,
    pub password_hash: Option<String>,
    pub pubsub_token: String,
    pub custom_attributes: Value,
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    pub name: Option<String>,
    pub display_name: Option<Option<String>>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub message_signature: Option<Option<String>>,
    pub ui_settings: Option<Value>,
    pub custom_attributes: Option<Value>,
}

/// Inserts a user. `StoreError::UniqueViolation` when the email is taken.
pub async fn insert_user(
    c: &mut Conn<'_>,
    u: &NewUser,
    now: Timestamp,
) -> Result<UserId, StoreError> {
    let mut stmt = insert_into(
        "users",
        vec![
            ("name", u.name.clone().into()),
            ("display_name", u.display_name.clone().into()),
            ("email", u.email.clone().into()),
            ("password_hash", u.password_hash.clone().into()),
            ("pubsub_token", u.pubsub_token.clone().into()),
            ("ui_settings", json(&Value::Object(Default::default()))),
            ("custom_attributes", json(&u.custom_attributes)),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    Ok(UserId(c.insert_returning_id(&mut stmt).await?))
}

pub async fn find_user(c: &mut Conn<'_>, id: UserId) -> Result<Option<User>, StoreError> {
    let stmt = Query::select()
        .columns(USER_COLUMNS)
        .from("users")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

pub async fn get_user(c: &mut Conn<'_>, id: UserId) -> Result<User, StoreError> {
    find_user(c, id).await?.ok_or(StoreError::NotFound)
}

/// Finds a user by email (compared lower-cased).
pub async fn find_user_by_email(c: &mut Conn<'_>, email: &str) -> Result<Option<User>, StoreError> {
    let stmt = Query::select()
        .columns(USER_COLUMNS)
        .from("users")
        .and_where(Expr::col("email").eq(email.to_lowercase()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// Updates a user. `StoreError::UniqueViolation` when the new email is taken.
pub async fn update_user(
    c: &mut Conn<'_>,
    id: UserId,
    ch: &UserChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("name", ch.name.clone())
        .opt("display_name", ch.display_name.clone())
        .opt("email", ch.email.clone())
        .opt("password_hash", ch.password_hash.clone())
        .opt("message_signature", ch.message_signature.clone())
        .opt_json("ui_settings", ch.ui_settings.as_ref())
        .opt_json("custom_attributes", ch.custom_attributes.as_ref());
    let n = c.execute(&changes.update("users", id.get(), now)).await?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Deletes a user, their memberships and their token.
pub async fn delete_user(c: &mut Conn<'_>, id: UserId) -> Result<(), StoreError> {
    crate::tokens::delete_token(c, crate::tokens::OwnerKind::User, id.get()).await?;
    let stmt = Query::delete()
        .from_table("users")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// Whether any user exists (first-start detection).
pub async fn count_users(c: &mut Conn<'_>) -> Result<i64, StoreError> {
    let stmt = Query::select()
        .expr(sea_query::Func::count(Expr::col("id")))
        .from("users")
        .to_owned();
    Ok(c.fetch_scalar::<i64>(&stmt).await?.unwrap_or(0))
}

/// Users by id (one query for the senders and assignees of a page).
pub async fn list_by_ids(c: &mut Conn<'_>, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(USER_COLUMNS)
        .from("users")
        .and_where(Expr::col("id").is_in(ids.iter().map(|u| u.get())))
        .to_owned();
    c.fetch_all(&stmt).await
}

/// A user by the pubsub token a socket presents, with the id it names (upstream matches both).
pub async fn user_by_pubsub_token(
    c: &mut Conn<'_>,
    token: &str,
    id: UserId,
) -> Result<Option<User>, StoreError> {
    let stmt = Query::select()
        .columns(USER_COLUMNS)
        .from("users")
        .and_where(Expr::col("id").eq(id.get()))
        .and_where(Expr::col("pubsub_token").eq(token))
        .to_owned();
    c.fetch_optional(&stmt).await
}
