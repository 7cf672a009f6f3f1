//! Teams, labels, custom attribute definitions and saved filters: the account's vocabulary
//! for organising conversations.

use serde_json::Value;

use crate::{
    AccountId, CustomAttributeDefinitionId, CustomFilterId, LabelId, TeamId, Timestamp, UserId,
};

/// A team of agents.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Team {
    pub id: TeamId,
    pub account_id: AccountId,
    pub name: String,
    pub description: Option<String>,
    pub allow_auto_assign: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An account label.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct Label {
    pub id: LabelId,
    pub account_id: AccountId,
    pub title: String,
    pub description: Option<String>,
    pub color: String,
    pub show_on_sidebar: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Whether a label title is acceptable: letters, digits, `-` and `_` only (after lower-casing).
pub fn is_valid_label_title(title: &str) -> bool {
    !title.is_empty()
        && title
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
}

/// A custom attribute definition (`attribute_display_type` and `attribute_model` as codes).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct CustomAttributeDefinition {
    pub id: CustomAttributeDefinitionId,
    pub account_id: AccountId,
    pub attribute_display_name: String,
    pub attribute_key: String,
    pub attribute_display_type: i16,
    pub attribute_model: i16,
    pub attribute_description: Option<String>,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub attribute_values: Value,
    pub regex_pattern: Option<String>,
    pub regex_cue: Option<String>,
    pub default_value: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `attribute_display_type` names by code.
pub const DISPLAY_TYPES: [&str; 8] = [
    "text", "number", "currency", "percent", "link", "date", "list", "checkbox",
];
/// `attribute_model` names by code.
pub const ATTRIBUTE_MODELS: [&str; 2] = ["conversation_attribute", "contact_attribute"];

/// The filter data type of a custom attribute's display type (`text|link|list` compare as
/// case-insensitive text, `number|currency|percent` as numbers, `checkbox` as boolean).
pub fn display_type_filter_kind(code: i16) -> crate::filter::DataType {
    use crate::filter::DataType;
    match code {
        1..=3 => DataType::Number,
        5 => DataType::Date,
        7 => DataType::Boolean,
        _ => DataType::Text,
    }
}

/// Keys a conversation custom attribute may not take (they name standard filter attributes).
pub const RESERVED_CONVERSATION_KEYS: &[&str] = &[
    "status",
    "priority",
    "assignee_id",
    "inbox_id",
    "team_id",
    "display_id",
    "campaign_id",
    "labels",
    "browser_language",
    "country_code",
    "referer",
    "created_at",
    "last_activity_at",
];
/// Keys a contact custom attribute may not take.
pub const RESERVED_CONTACT_KEYS: &[&str] = &[
    "name",
    "email",
    "phone_number",
    "identifier",
    "country_code",
    "city",
    "created_at",
    "last_activity_at",
    "referer",
    "blocked",
];

/// The code of an enum value sent by name or by code (`"list"` or `"6"`), if it is one of `names`.
pub fn enum_code(names: &[&str], sent: &str) -> Option<i16> {
    let sent = sent.trim();
    if let Some(i) = names.iter().position(|n| *n == sent) {
        return i16::try_from(i).ok();
    }
    sent.parse::<i16>()
        .ok()
        .filter(|c| usize::try_from(*c).is_ok_and(|i| i < names.len()))
}

/// The name of an enum code (`"text"` for an unknown one, as the column default).
pub fn enum_name(names: &[&'static str], code: i16) -> &'static str {
    usize::try_from(code)
        .ok()
        .and_then(|i| names.get(i).copied())
        .or_else(|| names.first().copied())
        .unwrap_or_default()
}

/// Whether a custom attribute key is acceptable: letters, digits, `_`, `.` and `-` only.
pub fn is_valid_attribute_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Whether `key` names a standard attribute of the model (`0` conversation, `1` contact).
pub fn is_reserved_attribute_key(model: i16, key: &str) -> bool {
    match model {
        0 => RESERVED_CONVERSATION_KEYS.contains(&key),
        1 => RESERVED_CONTACT_KEYS.contains(&key),
        _ => false,
    }
}

/// A saved filter of one user.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct CustomFilter {
    pub id: CustomFilterId,
    pub account_id: AccountId,
    pub user_id: UserId,
    pub name: String,
    pub filter_type: i16,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub query: Value,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// `filter_type` names by code.
pub const FILTER_TYPES: [&str; 3] = ["conversation", "contact", "report"];
/// Saved filters a user may keep per account.
pub const MAX_CUSTOM_FILTERS: i64 = 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_titles_allow_letters_digits_hyphen_and_underscore() {
        assert!(is_valid_label_title("billing-2_vip"));
        assert!(!is_valid_label_title("with space"));
        assert!(!is_valid_label_title(""));
        assert!(!is_valid_label_title("a,b"));
    }

    #[test]
    fn enums_are_accepted_by_name_or_by_code() {
        assert_eq!(enum_code(&DISPLAY_TYPES, "list"), Some(6));
        assert_eq!(enum_code(&DISPLAY_TYPES, "7"), Some(7));
        assert_eq!(enum_code(&DISPLAY_TYPES, "8"), None);
        assert_eq!(enum_code(&DISPLAY_TYPES, "-1"), None);
        assert_eq!(enum_code(&ATTRIBUTE_MODELS, "contact_attribute"), Some(1));
        assert_eq!(enum_code(&FILTER_TYPES, "report"), Some(2));
        assert_eq!(enum_code(&FILTER_TYPES, "Report"), None);
        assert_eq!(enum_name(&FILTER_TYPES, 1), "contact");
        assert_eq!(enum_name(&DISPLAY_TYPES, 99), "text");
    }

    #[test]
    fn attribute_keys_allow_letters_digits_underscore_dot_and_hyphen() {
        assert!(is_valid_attribute_key("plan_tier.v2-beta"));
        assert!(!is_valid_attribute_key("with space"));
        assert!(!is_valid_attribute_key(""));
    }

    #[test]
    fn reserved_keys_depend_on_the_attribute_model() {
        assert!(is_reserved_attribute_key(0, "status"));
        assert!(!is_reserved_attribute_key(1, "status"));
        assert!(is_reserved_attribute_key(1, "email"));
        assert!(!is_reserved_attribute_key(0, "email"));
    }
}
