//! Accounts, roles and availability, with Chatwoot's names and integer codes.

/// Whether an account may be used. Suspended accounts refuse every Application API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    Suspended,
}

impl AccountStatus {
    /// Chatwoot's enum value (`active` = 0, `suspended` = 1).
    pub fn code(self) -> i16 {
        match self {
            Self::Active => 0,
            Self::Suspended => 1,
        }
    }
    pub fn from_code(code: i16) -> Self {
        if code == 1 {
            Self::Suspended
        } else {
            Self::Active
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }
}

/// A user's role inside one account. Mirrors app/models/account_user.rb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Agent,
    Administrator,
}

impl Role {
    pub fn code(self) -> i16 {
        match self {
            Self::Agent => 0,
            Self::Administrator => 1,
        }
    }
    pub fn from_code(code: i16) -> Self {
        if code == 1 {
            Self::Administrator
        } else {
            Self::Agent
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Administrator => "administrator",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "agent" => Some(Self::Agent),
            "administrator" => Some(Self::Administrator),
            _ => None,
        }
    }
    pub fn is_admin(self) -> bool {
        self == Self::Administrator
    }
}

/// The availability an agent chose (`online` = 0, `offline` = 1, `busy` = 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Online,
    Offline,
    Busy,
}

impl Availability {
    pub fn code(self) -> i16 {
        match self {
            Self::Online => 0,
            Self::Offline => 1,
            Self::Busy => 2,
        }
    }
    pub fn from_code(code: i16) -> Self {
        match code {
            1 => Self::Offline,
            2 => Self::Busy,
            _ => Self::Online,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Offline => "offline",
            Self::Busy => "busy",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "online" => Some(Self::Online),
            "offline" => Some(Self::Offline),
            "busy" => Some(Self::Busy),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_match_chatwoot_enum_values() {
        assert_eq!(Role::Agent.code(), 0);
        assert_eq!(Role::Administrator.code(), 1);
        assert_eq!(Role::from_code(1), Role::Administrator);
        assert_eq!(Role::parse("administrator"), Some(Role::Administrator));
        assert_eq!(Role::parse("owner"), None);
    }

    #[test]
    fn availability_round_trips_through_its_code() {
        for a in [
            Availability::Online,
            Availability::Offline,
            Availability::Busy,
        ] {
            assert_eq!(Availability::from_code(a.code()), a);
            assert_eq!(Availability::parse(a.as_str()), Some(a));
        }
    }
}

macro_rules! from_code {
    ($($t:ty),*) => {$(
        impl From<i16> for $t {
            fn from(code: i16) -> Self {
                Self::from_code(code)
            }
        }
    )*};
}
from_code!(
    AccountStatus,
    Role,
    Availability,
    crate::inbox::SenderNameType
);

use crate::{AccountId, AccountUserId, Timestamp, UserId};
use serde_json::Value;

/// An account (tenant) as stored.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Account {
    pub id: AccountId,
    pub name: String,
    pub locale: String,
    pub domain: Option<String>,
    pub support_email: Option<String>,
    #[cfg_attr(feature = "db", sqlx(try_from = "i16"))]
    pub status: AccountStatus,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub features: Value,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub limits: Value,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub custom_attributes: Value,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub settings: Value,
    pub auto_resolve_duration: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A user's membership in an account, with the role and availability that are per account.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct AccountUser {
    pub id: AccountUserId,
    pub account_id: AccountId,
    pub user_id: UserId,
    #[cfg_attr(feature = "db", sqlx(try_from = "i16"))]
    pub role: Role,
    #[cfg_attr(feature = "db", sqlx(try_from = "i16"))]
    pub availability: Availability,
    pub auto_offline: bool,
    pub inviter_id: Option<i64>,
    pub active_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
