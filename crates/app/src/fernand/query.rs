//! Fernand's `q`: `status:OPENED|CLOSED|SNOOZED|SPAM`, `agent:<id|email|me|none>`,
//! `tag:<label>` and free words.

use confab_domain::conversation::{ConversationStatus, StatusFilter};

use crate::error::{AppError, AppResult};

/// The conditions of `q`: `status:`, `agent:`, `tag:` and free words.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct ParsedQuery {
    pub status: Option<StatusFilter>,
    pub agent: Option<String>,
    pub tags: Vec<String>,
    pub words: Vec<String>,
}

const OPENED: &[ConversationStatus] = &[ConversationStatus::Open, ConversationStatus::Pending];
const CLOSED: &[ConversationStatus] = &[ConversationStatus::Resolved];
const SNOOZED: &[ConversationStatus] = &[ConversationStatus::Snoozed];
const SPAM: &[ConversationStatus] = &[ConversationStatus::Spam];

pub(super) fn parse_query(q: &str) -> AppResult<ParsedQuery> {
    let mut out = ParsedQuery::default();
    for token in q.split_whitespace() {
        let (key, value) = match token.split_once(':') {
            Some((k, v)) if !v.is_empty() => (k.to_ascii_lowercase(), v),
            _ => {
                out.words.push(token.to_owned());
                continue;
            }
        };
        match key.as_str() {
            "status" => {
                let set = match value.to_ascii_uppercase().as_str() {
                    "OPENED" | "OPEN" => OPENED,
                    "CLOSED" => CLOSED,
                    "SNOOZED" => SNOOZED,
                    "SPAM" => SPAM,
                    _ => {
                        return Err(AppError::invalid(
                            "q",
                            "status: must be one of OPENED, CLOSED, SNOOZED, SPAM",
                        ));
                    }
                };
                out.status = Some(StatusFilter::Many(set));
            }
            "agent" => out.agent = Some(value.to_owned()),
            "tag" => out.tags.push(value.to_lowercase()),
            _ => out.words.push(token.to_owned()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_language_splits_status_agent_tags_and_words() {
        let p = parse_query("status:opened agent:ada@example.com tag:vip refund late").unwrap();
        assert_eq!(p.status, Some(StatusFilter::Many(OPENED)));
        assert_eq!(p.agent.as_deref(), Some("ada@example.com"));
        assert_eq!(p.tags, vec!["vip"]);
        assert_eq!(p.words, vec!["refund", "late"]);
        assert!(parse_query("status:pending").is_err());
        assert_eq!(
            parse_query("status:SPAM").unwrap().status,
            Some(StatusFilter::Many(SPAM))
        );
    }
}
