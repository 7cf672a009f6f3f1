//! Service API keys: account keys that are not a person, each with the scopes it may use.

use crate::{AccountId, ApiKeyId, Timestamp, UserId};

/// What a service key may do. A request that touches a field needing a scope the key lacks is
/// refused for that field and changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyScope {
    /// Read conversations and their messages.
    ConversationRead,
    /// Change a conversation's status and snooze.
    ConversationStatus,
    /// Assign or unassign an agent (and a team).
    ConversationAssign,
    /// Change other conversation fields: priority, subject, labels, custom attributes, contact.
    ConversationUpdate,
    /// Post messages and notes.
    MessageCreate,
    /// Read contacts.
    ContactRead,
    /// Create and change contacts.
    ContactWrite,
}

impl KeyScope {
    pub const ALL: [Self; 7] = [
        Self::ConversationRead,
        Self::ConversationStatus,
        Self::ConversationAssign,
        Self::ConversationUpdate,
        Self::MessageCreate,
        Self::ContactRead,
        Self::ContactWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConversationRead => "conversation.read",
            Self::ConversationStatus => "conversation.status",
            Self::ConversationAssign => "conversation.assign",
            Self::ConversationUpdate => "conversation.update",
            Self::MessageCreate => "message.create",
            Self::ContactRead => "contact.read",
            Self::ContactWrite => "contact.write",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// Parses a list of scope names: unique, in the canonical order, or the first unknown name.
pub fn parse_scopes<'a, I: IntoIterator<Item = &'a str>>(
    names: I,
) -> Result<Vec<KeyScope>, String> {
    let mut out = Vec::new();
    for n in names {
        let s = KeyScope::parse(n).ok_or_else(|| n.to_owned())?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.sort();
    Ok(out)
}

/// The stored form of a scope list (space separated).
pub fn join_scopes(scopes: &[KeyScope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A service API key as stored (the secret itself is never stored, only its digest).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub account_id: AccountId,
    pub name: String,
    /// The key's last four characters, to tell keys apart in a list.
    pub token_hint: String,
    /// Space-separated scope names (see [`ApiKey::scopes`]).
    #[cfg_attr(feature = "db", sqlx(rename = "scopes"))]
    pub scope_list: String,
    pub created_by: Option<UserId>,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ApiKey {
    /// The key's scopes (unknown stored names, from a newer version, are ignored).
    pub fn scopes(&self) -> Vec<KeyScope> {
        self.scope_list
            .split_whitespace()
            .filter_map(KeyScope::parse)
            .collect()
    }
    pub fn allows(&self, scope: KeyScope) -> bool {
        self.scopes().contains(&scope)
    }
    /// Whether the key may be used at `now`: not revoked, not expired.
    pub fn usable_at(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|t| t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_lists_are_unique_ordered_and_reject_unknown_names() {
        assert_eq!(
            parse_scopes(["message.create", "conversation.read", "message.create"]),
            Ok(vec![KeyScope::ConversationRead, KeyScope::MessageCreate])
        );
        assert_eq!(
            parse_scopes(["conversation.read", "conversation.delete"]),
            Err("conversation.delete".to_owned())
        );
        assert_eq!(
            join_scopes(&[KeyScope::ConversationRead, KeyScope::ContactWrite]),
            "conversation.read contact.write"
        );
    }

    #[test]
    fn a_key_is_unusable_once_revoked_or_expired() {
        let now = Timestamp::from_unix_seconds(1_000);
        let key = ApiKey {
            id: ApiKeyId(1),
            account_id: AccountId(1),
            name: "zapier".into(),
            token_hint: "abcd".into(),
            scope_list: "conversation.read bogus.scope".into(),
            created_by: None,
            expires_at: Some(Timestamp::from_unix_seconds(2_000)),
            revoked_at: None,
            created_at: now,
            updated_at: now,
        };
        assert!(key.usable_at(now));
        assert_eq!(key.scopes(), vec![KeyScope::ConversationRead]);
        assert!(!key.allows(KeyScope::ConversationStatus));
        assert!(!key.usable_at(Timestamp::from_unix_seconds(2_000)));
        let revoked = ApiKey {
            revoked_at: Some(now),
            expires_at: None,
            ..key
        };
        assert!(!revoked.usable_at(now));
    }
}
