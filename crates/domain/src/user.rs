//! Users: the people who sign in to the dashboard or call the API with their token.

use serde_json::Value;

use crate::{Timestamp, UserId};

/// A user as stored. `email` is lower-cased. `password_hash` is an argon2id PHC string.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct User {
    pub id: UserId,
    pub name: String,
    pub display_name: Option<String>,
    pub email: String,
    pub password_hash: Option<String>,
    pub pubsub_token: String,
    pub message_signature: Option<String>,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub ui_settings: Value,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub custom_attributes: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl User {
    /// Chatwoot's `available_name`: the display name when set, else the name.
    pub fn available_name(&self) -> &str {
        match self.display_name.as_deref() {
            Some(d) if !d.trim().is_empty() => d,
            _ => &self.name,
        }
    }
}
