//! Contacts (the customers) and their per-inbox identities.

use serde_json::Value;

use crate::{AccountId, ContactId, ContactInboxId, InboxId, Timestamp};

/// A contact. `email` is lower-cased; `email`, `phone_number` and `identifier` are each unique
/// in the account when present.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Contact {
    pub id: ContactId,
    pub account_id: AccountId,
    pub name: String,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub identifier: Option<String>,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub additional_attributes: Value,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub custom_attributes: Value,
    pub blocked: bool,
    pub contact_type: i16,
    pub last_activity_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A contact's identity inside one inbox: `source_id` is what the channel calls the contact.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct ContactInbox {
    pub id: ContactInboxId,
    pub contact_id: ContactId,
    pub inbox_id: InboxId,
    pub source_id: String,
    pub hmac_verified: bool,
    pub pubsub_token: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The sort keys of the contact list (`sort=name`, `sort=-last_activity_at`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactSortKey {
    Email,
    Name,
    PhoneNumber,
    LastActivityAt,
    CreatedAt,
    Company,
    City,
    Country,
}

impl ContactSortKey {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "email" => Self::Email,
            "name" => Self::Name,
            "phone_number" => Self::PhoneNumber,
            "last_activity_at" => Self::LastActivityAt,
            "created_at" => Self::CreatedAt,
            "company" => Self::Company,
            "city" => Self::City,
            "country" => Self::Country,
            _ => return None,
        })
    }
}

/// A parsed `sort` parameter: key and direction (`-` prefix means descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactSort {
    pub key: ContactSortKey,
    pub descending: bool,
}

impl ContactSort {
    /// Parses `name` / `-name`. `None` for an unknown key.
    pub fn parse(s: &str) -> Option<Self> {
        let (descending, key) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        ContactSortKey::parse(key).map(|key| Self { key, descending })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leading_minus_sorts_descending() {
        assert_eq!(
            ContactSort::parse("-last_activity_at"),
            Some(ContactSort {
                key: ContactSortKey::LastActivityAt,
                descending: true
            })
        );
        assert_eq!(
            ContactSort::parse("name").map(|s| s.descending),
            Some(false)
        );
        assert_eq!(ContactSort::parse("shoe_size"), None);
    }
}
