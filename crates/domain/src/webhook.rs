//! Webhooks: which events an account may subscribe to, and when a failed delivery is tried again.

use serde_json::Value;

use crate::{AccountId, AgentBotId, DeliveryId, InboxId, Timestamp, WebhookId};

/// The event names an account webhook may subscribe to (upstream's list, in its order).
pub const SUBSCRIBABLE_EVENTS: [&str; 12] = [
    "conversation_status_changed",
    "conversation_updated",
    "conversation_created",
    "contact_created",
    "contact_updated",
    "message_created",
    "message_updated",
    "webwidget_triggered",
    "inbox_created",
    "inbox_updated",
    "conversation_typing_on",
    "conversation_typing_off",
];

/// The events an API inbox's `webhook_url` receives, without any subscription: those that
/// belong to a conversation of the inbox.
pub const INBOX_EVENTS: [&str; 7] = [
    "conversation_created",
    "conversation_updated",
    "conversation_status_changed",
    "message_created",
    "message_updated",
    "conversation_typing_on",
    "conversation_typing_off",
];

/// The events the agent bot connected to an inbox receives at its `outgoing_url`
/// (upstream's `AgentBotListener`). Activity messages are never sent.
pub const BOT_EVENTS: [&str; 4] = [
    "conversation_opened",
    "conversation_resolved",
    "message_created",
    "message_updated",
];

/// Attempts before a delivery is given up (dead-lettered): the first and 11 retries.
pub const MAX_ATTEMPTS: i64 = 12;

/// An account webhook.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Webhook {
    pub id: WebhookId,
    pub account_id: AccountId,
    pub inbox_id: Option<InboxId>,
    pub name: Option<String>,
    pub url: String,
    pub webhook_type: i64,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub subscriptions: Value,
    pub secret: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Webhook {
    /// Whether the webhook subscribed to `event`.
    pub fn subscribes_to(&self, event: &str) -> bool {
        self.subscriptions
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e.as_str() == Some(event)))
    }
}

/// Checks a subscription list: a non-empty array of known event names, without repeats kept.
/// `None` when it is not one (upstream answers "Subscriptions Invalid events").
pub fn valid_subscriptions(v: &Value) -> Option<Vec<String>> {
    let list = v.as_array().filter(|a| !a.is_empty())?;
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for e in list {
        let name = e.as_str().filter(|n| SUBSCRIBABLE_EVENTS.contains(n))?;
        if !out.iter().any(|o| o == name) {
            out.push(name.to_owned());
        }
    }
    Some(out)
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; kept for inspection and replay.
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(DeliveryState::Pending),
            "delivered" => Some(DeliveryState::Delivered),
            "dead" => Some(DeliveryState::Dead),
            _ => None,
        }
    }
}

/// Who receives a delivery: an account webhook, an API inbox's `webhook_url`, or the agent
/// bot connected to an inbox (at its `outgoing_url`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Receiver {
    Webhook(WebhookId),
    Inbox(InboxId),
    AgentBot(AgentBotId),
}

impl Receiver {
    /// `w<id>`, `i<id>` or `b<id>`: stored as a delivery's `target`, which with the event makes a
    /// dispatch idempotent, and which starts its ordering key.
    pub fn key(self) -> String {
        match self {
            Receiver::Webhook(w) => format!("w{w}"),
            Receiver::Inbox(i) => format!("i{i}"),
            Receiver::AgentBot(b) => format!("b{b}"),
        }
    }
}

/// One event on its way to one receiver.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Delivery {
    pub id: DeliveryId,
    /// Sent as `X-Chatwoot-Delivery`; the same on every attempt.
    pub uuid: String,
    pub account_id: AccountId,
    pub webhook_id: Option<WebhookId>,
    /// Set when the receiver is the API inbox's `webhook_url`.
    pub inbox_id: Option<InboxId>,
    /// Set when the receiver is an agent bot.
    pub agent_bot_id: Option<AgentBotId>,
    pub event: String,
    pub url: String,
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
    pub ordering_key: Option<String>,
    /// The exact body sent.
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Option<Timestamp>,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub replay_of: Option<DeliveryId>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

impl Delivery {
    /// Whom it is for.
    pub fn receiver(&self) -> Option<Receiver> {
        match (self.webhook_id, self.inbox_id, self.agent_bot_id) {
            (Some(w), ..) => Some(Receiver::Webhook(w)),
            (None, Some(i), _) => Some(Receiver::Inbox(i)),
            (None, None, Some(b)) => Some(Receiver::AgentBot(b)),
            (None, None, None) => None,
        }
    }
}

/// One attempt of a delivery.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Attempt {
    pub delivery_id: DeliveryId,
    pub attempt: i64,
    pub started_at: Timestamp,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

/// How long to wait after failed attempt number `attempt` (1-based) before the next one, before
/// jitter: 30 s doubling to a cap of one hour. The 11 waits add up to about 5 hours.
pub fn retry_delay_secs(attempt: i64) -> i64 {
    let doublings = attempt.clamp(1, 32) - 1;
    30i64.saturating_mul(1i64 << doublings.min(20)).min(3600)
}

/// The wait with jitter: `retry_delay_secs` scaled by a factor in [0.8, 1.2] picked from
/// `unit` (a random number in [0, 1)), so receivers that failed together are not retried together.
pub fn retry_delay_with_jitter(attempt: i64, unit: f64) -> i64 {
    let base = retry_delay_secs(attempt) as f64;
    (base * (0.8 + 0.4 * unit.clamp(0.0, 1.0))).round() as i64
}

/// Whether an HTTP status counts as delivered.
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn subscriptions_must_be_known_names_in_a_non_empty_list() {
        assert_eq!(
            valid_subscriptions(&json!([
                "message_created",
                "message_created",
                "contact_created"
            ])),
            Some(vec![
                "message_created".to_owned(),
                "contact_created".to_owned()
            ])
        );
        assert_eq!(valid_subscriptions(&json!([])), None);
        assert_eq!(valid_subscriptions(&json!("message_created")), None);
        assert_eq!(
            valid_subscriptions(&json!(["message_created", "nope"])),
            None
        );
        assert_eq!(valid_subscriptions(&json!([1])), None);
    }

    #[test]
    fn retries_back_off_to_an_hour_and_span_more_than_two_hours() {
        assert_eq!(retry_delay_secs(1), 30);
        assert_eq!(retry_delay_secs(2), 60);
        assert_eq!(retry_delay_secs(7), 1920);
        assert_eq!(retry_delay_secs(8), 3600);
        assert_eq!(retry_delay_secs(1000), 3600);
        // Waits happen after attempts 1..MAX_ATTEMPTS-1; with the lowest jitter they still
        // cover more than two hours.
        let shortest: i64 = (1..MAX_ATTEMPTS)
            .map(|a| retry_delay_with_jitter(a, 0.0))
            .sum();
        assert!(shortest > 2 * 3600, "{shortest}");
        const { assert!(MAX_ATTEMPTS >= 10) };
    }

    #[test]
    fn jitter_stays_within_a_fifth_of_the_delay() {
        assert_eq!(retry_delay_with_jitter(1, 0.0), 24);
        assert_eq!(retry_delay_with_jitter(1, 0.5), 30);
        assert_eq!(retry_delay_with_jitter(1, 0.999_999), 36);
        assert_eq!(retry_delay_with_jitter(1, 7.0), 36);
    }
}
