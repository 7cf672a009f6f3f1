//! Customer satisfaction surveys: when one is sent, how long it can be answered, what a valid
//! answer is (Chatwoot's `CsatSurveyListener`, `CsatSurveyResponse` and the public endpoints).

use serde_json::Value;

use crate::{AccountId, ContactId, ConversationId, CsatResponseId, MessageId, Timestamp, UserId};

/// The survey's text when the inbox configures none.
pub const DEFAULT_SURVEY_MESSAGE: &str = "Please rate the conversation";

/// A survey can be answered for this many calendar days after it was sent.
pub const ANSWER_DAYS: i64 = 14;

/// The refusal once the answer window has passed, as upstream words it.
pub const LOCKED_MESSAGE: &str = "You cannot update the CSAT survey after 14 days";

/// A contact's answer to the survey of one conversation (one per survey message).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct CsatResponse {
    pub id: CsatResponseId,
    pub account_id: AccountId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub contact_id: ContactId,
    pub assigned_agent_id: Option<UserId>,
    pub rating: i16,
    pub feedback_message: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Whether a survey sent at `sent` can no longer be answered at `now`: more than
/// [`ANSWER_DAYS`] whole calendar days (UTC) apart, as upstream compares dates.
pub fn is_locked(sent: Timestamp, now: Timestamp) -> bool {
    let day = |t: Timestamp| t.unix_seconds().div_euclid(86_400);
    day(now) - day(sent) > ANSWER_DAYS
}

/// A rating is a whole number from 1 to 5.
pub fn valid_rating(rating: i64) -> bool {
    (1..=5).contains(&rating)
}

/// Whether an inbox's `csat_config.survey_rules` let the survey go to a conversation with these
/// labels: `contains` needs one of the listed labels, `does_not_contain` none of them. No rule
/// (or an empty list) sends to every conversation.
pub fn rules_allow(csat_config: &Value, labels: &[String]) -> bool {
    let Some(rules) = csat_config.get("survey_rules") else {
        return true;
    };
    let values: Vec<&str> = rules
        .get("values")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if values.is_empty() {
        return true;
    }
    let any = values
        .iter()
        .any(|v| labels.iter().any(|l| l.eq_ignore_ascii_case(v)));
    match rules.get("operator").and_then(Value::as_str) {
        Some("does_not_contain") => !any,
        _ => any,
    }
}

/// The text stored on the survey message: the configured message, or the default.
pub fn survey_message(csat_config: &Value) -> String {
    csat_config
        .get("message")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_SURVEY_MESSAGE)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(day: i64, secs: i64) -> Timestamp {
        Timestamp::from_unix_seconds(day * 86_400 + secs)
    }

    #[test]
    fn a_survey_locks_after_fourteen_calendar_days() {
        let sent = at(100, 86_399); // the last second of day 100
        assert!(!is_locked(sent, at(114, 86_399)));
        assert!(is_locked(sent, at(115, 0)));
        assert!(!is_locked(at(100, 0), at(114, 86_399)));
    }

    #[test]
    fn ratings_run_from_one_to_five() {
        assert!(!valid_rating(0));
        assert!(valid_rating(1));
        assert!(valid_rating(5));
        assert!(!valid_rating(6));
    }

    #[test]
    fn survey_rules_filter_by_labels() {
        let labels = vec!["billing".to_owned()];
        assert!(rules_allow(&json!({}), &labels));
        let contains = json!({"survey_rules": {"operator": "contains", "values": ["Billing"]}});
        assert!(rules_allow(&contains, &labels));
        assert!(!rules_allow(&contains, &[]));
        let excludes =
            json!({"survey_rules": {"operator": "does_not_contain", "values": ["billing"]}});
        assert!(!rules_allow(&excludes, &labels));
        assert!(rules_allow(&excludes, &["sales".to_owned()]));
        let empty = json!({"survey_rules": {"operator": "contains", "values": []}});
        assert!(rules_allow(&empty, &[]));
    }

    #[test]
    fn the_survey_text_defaults_when_blank() {
        assert_eq!(survey_message(&json!({})), DEFAULT_SURVEY_MESSAGE);
        assert_eq!(
            survey_message(&json!({"message": "  "})),
            DEFAULT_SURVEY_MESSAGE
        );
        assert_eq!(
            survey_message(&json!({"message": "How did we do?"})),
            "How did we do?"
        );
    }
}
