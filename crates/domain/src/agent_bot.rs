//! Agent bots: automated participants that act through their own token.

use serde_json::Value;

use crate::{AccountId, AgentBotId, Timestamp};

/// An agent bot. `account_id` is `None` for a system bot (created by a platform app without an account).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct AgentBot {
    pub id: AgentBotId,
    pub account_id: Option<AccountId>,
    pub name: String,
    pub description: Option<String>,
    pub outgoing_url: Option<String>,
    pub bot_type: i16,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub bot_config: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl AgentBot {
    /// A bot without an account is a system bot, usable from every account it is connected to.
    pub fn is_system_bot(&self) -> bool {
        self.account_id.is_none()
    }
}
