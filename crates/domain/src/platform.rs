//! Platform apps: provisioning clients of the Platform API.

use crate::{PlatformAppId, Timestamp};

/// A platform app. It may only touch the records it created (`platform_app_permissibles`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct PlatformApp {
    pub id: PlatformAppId,
    pub name: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The kinds of record a platform app can own, with Chatwoot's polymorphic type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permissible {
    Account,
    User,
    AgentBot,
}

impl Permissible {
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Account => "Account",
            Self::User => "User",
            Self::AgentBot => "AgentBot",
        }
    }
}
