//! Inbox and channel kinds.

/// The channel types Confab serves. Chatwoot's `channel_type` column holds the Rails class name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// `Channel::Api`: messages arrive through the API and leave through `webhook_url`.
    Api,
}

impl ChannelKind {
    /// The Rails class name shown as `channel_type`.
    pub fn class_name(self) -> &'static str {
        match self {
            Self::Api => "Channel::Api",
        }
    }
    /// Parses the `channel.type` of an inbox create request (`api`).
    pub fn parse_request_type(s: &str) -> Option<Self> {
        match s {
            "api" => Some(Self::Api),
            _ => None,
        }
    }
    pub fn from_class_name(s: &str) -> Option<Self> {
        match s {
            "Channel::Api" => Some(Self::Api),
            _ => None,
        }
    }
}

/// How outgoing messages name their sender (`friendly` = 0, `professional` = 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderNameType {
    Friendly,
    Professional,
}

impl SenderNameType {
    pub fn code(self) -> i16 {
        match self {
            Self::Friendly => 0,
            Self::Professional => 1,
        }
    }
    pub fn from_code(code: i16) -> Self {
        if code == 1 {
            Self::Professional
        } else {
            Self::Friendly
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Friendly => "friendly",
            Self::Professional => "professional",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "friendly" => Some(Self::Friendly),
            "professional" => Some(Self::Professional),
            _ => None,
        }
    }
}

use serde_json::Value;

use crate::{AccountId, ChannelId, InboxId, Timestamp};

/// An inbox with the fields of its channel. API-channel fields are `None` for other channels.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Inbox {
    pub id: InboxId,
    pub account_id: AccountId,
    pub channel_type: String,
    pub channel_id: ChannelId,
    pub name: String,
    pub greeting_enabled: bool,
    pub greeting_message: Option<String>,
    pub enable_email_collect: bool,
    pub csat_survey_enabled: bool,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub csat_config: Value,
    pub enable_auto_assignment: bool,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub auto_assignment_config: Value,
    pub working_hours_enabled: bool,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub working_hours: Value,
    pub out_of_office_message: Option<String>,
    pub timezone: String,
    pub allow_messages_after_resolved: bool,
    pub lock_to_single_conversation: bool,
    #[cfg_attr(feature = "db", sqlx(try_from = "i16"))]
    pub sender_name_type: SenderNameType,
    pub business_name: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Auto-resolve after this many minutes without a message; `None` inherits the account's
    /// setting, 0 turns it off for this inbox.
    pub auto_resolve_after: Option<i64>,
    /// Whether auto-resolve also takes pending conversations (`None` inherits).
    pub auto_resolve_pending: Option<bool>,
    /// The message sent before auto-resolving (`None` inherits).
    pub auto_resolve_message: Option<String>,
    /// API channel: the public `inbox_identifier`.
    pub identifier: Option<String>,
    /// API channel: the key of identity verification (HMAC-SHA256).
    pub hmac_token: Option<String>,
    pub hmac_mandatory: Option<bool>,
    pub webhook_url: Option<String>,
    #[cfg_attr(feature = "db", sqlx(json(nullable)))]
    pub channel_additional_attributes: Option<Value>,
}

impl Inbox {
    pub fn kind(&self) -> Option<ChannelKind> {
        ChannelKind::from_class_name(&self.channel_type)
    }
}

/// Chatwoot's default weekly schedule for a new inbox: Monday to Friday 09:00–17:00, weekends closed.
pub fn default_working_hours() -> Value {
    let days = (0..7).map(|d| {
        let closed = d == 0 || d == 6;
        serde_json::json!({
            "day_of_week": d,
            "closed_all_day": closed,
            "open_hour": if closed { Value::Null } else { 9.into() },
            "open_minutes": if closed { Value::Null } else { 0.into() },
            "close_hour": if closed { Value::Null } else { 17.into() },
            "close_minutes": if closed { Value::Null } else { 0.into() },
            "open_all_day": false,
        })
    });
    Value::Array(days.collect())
}
