//! Automation rules (§9): the events a rule listens to, its conditions and actions as a client
//! sends them, validated into typed forms, and the evaluation of the conditions against one
//! conversation. Mirrors app/models/automation_rule.rb,
//! app/services/automation_rules/conditions_filter_service.rb and app/services/action_service.rb.
//!
//! The store keeps the raw JSON arrays exactly as sent; [`Conditions`] and [`Action`] are only
//! what evaluation and execution need.

use std::cmp::Ordering;

use serde_json::Value;

use crate::contact::Contact;
use crate::conversation::{Conversation, ConversationStatus, Priority};
use crate::filter::{Operator, QueryOperator, value_to_text};
use crate::message::MessageType;
use crate::{TeamId, UserId};

/// An account's rule as stored: conditions and actions as the client wrote them (validated on
/// write, parsed again when the rule runs).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "db", derive(sqlx::FromRow, crate::db::SqliteRow))]
pub struct AutomationRule {
    pub id: crate::AutomationRuleId,
    pub account_id: crate::AccountId,
    pub name: String,
    pub description: Option<String>,
    pub event_name: String,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub conditions: Value,
    #[cfg_attr(feature = "db", sqlx(json))]
    pub actions: Value,
    pub active: bool,
    pub created_at: crate::Timestamp,
    pub updated_at: crate::Timestamp,
}

/// The events a rule may listen to (`event_name`).
pub const AUTOMATION_EVENTS: &[&str] = &[
    "conversation_created",
    "conversation_updated",
    "conversation_opened",
    "conversation_resolved",
    "message_created",
];

/// The standard condition keys, in upstream's order; any other key must be an account custom
/// attribute.
pub const CONDITION_KEYS: &[&str] = &[
    "content",
    "email",
    "country_code",
    "status",
    "message_type",
    "browser_language",
    "assignee_id",
    "team_id",
    "referer",
    "city",
    "company",
    "inbox_id",
    "mail_subject",
    "phone_number",
    "priority",
    "conversation_language",
    "labels",
];

/// The action names a rule may use.
pub const ACTION_NAMES: &[&str] = &[
    "send_message",
    "add_private_note",
    "add_label",
    "remove_label",
    "assign_agent",
    "assign_team",
    "send_email_to_team",
    "send_email_transcript",
    "mute_conversation",
    "snooze_conversation",
    "resolve_conversation",
    "open_conversation",
    "change_status",
    "change_priority",
    "send_webhook_event",
    "send_attachment",
];

/// Why a rule was refused. [`AutomationError::field`] names the attribute the message belongs
/// to, so the HTTP layer can answer 422 `{"error": {field: [message]}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AutomationError {
    #[error("can't be blank")]
    ConditionsBlank,
    #[error("must be an array of conditions")]
    ConditionsNotArray,
    #[error("Automation conditions {} not supported.", .0.join(","))]
    UnsupportedConditions(Vec<String>),
    #[error("Automation conditions should have query operator.")]
    MissingQueryOperator,
    #[error("Query operator must be either \"AND\" or \"OR\"")]
    InvalidQueryOperator,
    #[error("Automation condition {key} has an unsupported filter operator \"{operator}\".")]
    UnsupportedOperator { key: String, operator: String },
    #[error(
        "Automation condition {key} with attribute_changed needs values {{\"from\": [...], \"to\": [...]}}."
    )]
    InvalidChangedValues { key: String },
    #[error("can't be blank")]
    ActionsBlank,
    #[error("must be an array of actions")]
    ActionsNotArray,
    #[error("Automation actions {} not supported.", .0.join(","))]
    UnsupportedActions(Vec<String>),
    #[error("Automation action {name} has invalid params: {reason}.")]
    InvalidActionParams { name: String, reason: &'static str },
    #[error("can't be blank")]
    EventNameBlank,
    #[error("Automation event {0} not supported.")]
    UnsupportedEvent(String),
}

impl AutomationError {
    /// The rule attribute the message is about: `conditions`, `actions` or `event_name`.
    pub fn field(&self) -> &'static str {
        match self {
            Self::ConditionsBlank
            | Self::ConditionsNotArray
            | Self::UnsupportedConditions(_)
            | Self::MissingQueryOperator
            | Self::InvalidQueryOperator
            | Self::UnsupportedOperator { .. }
            | Self::InvalidChangedValues { .. } => "conditions",
            Self::ActionsBlank
            | Self::ActionsNotArray
            | Self::UnsupportedActions(_)
            | Self::InvalidActionParams { .. } => "actions",
            Self::EventNameBlank | Self::UnsupportedEvent(_) => "event_name",
        }
    }
}

/// Accepts one of [`AUTOMATION_EVENTS`] (upstream stores any name; its listener ignores others).
pub fn validate_event(name: &str) -> Result<(), AutomationError> {
    match name.trim() {
        "" => Err(AutomationError::EventNameBlank),
        n if AUTOMATION_EVENTS.contains(&n) => Ok(()),
        n => Err(AutomationError::UnsupportedEvent(n.to_owned())),
    }
}

/// Which custom attributes a custom condition key looks at (`custom_attribute_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomModel {
    /// The conversation's `custom_attributes` only.
    Conversation,
    /// The contact's `custom_attributes` only.
    Contact,
}

/// What a condition looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    /// Any message's content (per message, as upstream's join).
    Content,
    /// Any message's type, by name (`incoming`, `outgoing`, `activity`, `template`).
    MessageType,
    Email,
    PhoneNumber,
    /// The contact's `additional_attributes.city`.
    City,
    /// The contact's `additional_attributes.company`.
    Company,
    /// The conversation's `additional_attributes.country_code`, else the contact's.
    CountryCode,
    Status,
    Priority,
    AssigneeId,
    TeamId,
    InboxId,
    /// Keys of the conversation's `additional_attributes`.
    BrowserLanguage,
    Referer,
    ConversationLanguage,
    MailSubject,
    Labels,
    /// An account custom attribute: the conversation's value, else the contact's, unless
    /// `model` narrows it to one of them.
    Custom {
        key: String,
        model: Option<CustomModel>,
    },
}

impl Attribute {
    fn of(key: &str, custom_type: Option<&str>) -> Self {
        match key {
            "content" => Self::Content,
            "message_type" => Self::MessageType,
            "email" => Self::Email,
            "phone_number" => Self::PhoneNumber,
            "city" => Self::City,
            "company" => Self::Company,
            "country_code" => Self::CountryCode,
            "status" => Self::Status,
            "priority" => Self::Priority,
            "assignee_id" => Self::AssigneeId,
            "team_id" => Self::TeamId,
            "inbox_id" => Self::InboxId,
            "browser_language" => Self::BrowserLanguage,
            "referer" => Self::Referer,
            "conversation_language" => Self::ConversationLanguage,
            "mail_subject" => Self::MailSubject,
            "labels" => Self::Labels,
            _ => Self::Custom {
                key: key.to_owned(),
                model: match custom_type {
                    Some("conversation_attribute") => Some(CustomModel::Conversation),
                    Some("contact_attribute") => Some(CustomModel::Contact),
                    _ => None,
                },
            },
        }
    }

    /// The `attribute_key` as written on the wire.
    pub fn key(&self) -> &str {
        match self {
            Self::Content => "content",
            Self::MessageType => "message_type",
            Self::Email => "email",
            Self::PhoneNumber => "phone_number",
            Self::City => "city",
            Self::Company => "company",
            Self::CountryCode => "country_code",
            Self::Status => "status",
            Self::Priority => "priority",
            Self::AssigneeId => "assignee_id",
            Self::TeamId => "team_id",
            Self::InboxId => "inbox_id",
            Self::BrowserLanguage => "browser_language",
            Self::Referer => "referer",
            Self::ConversationLanguage => "conversation_language",
            Self::MailSubject => "mail_subject",
            Self::Labels => "labels",
            Self::Custom { key, .. } => key,
        }
    }

    fn is_message_key(&self) -> bool {
        matches!(self, Self::Content | Self::MessageType)
    }

    /// Keys whose `"nil"` value means "none" (as the dashboard and the actions write it).
    fn nil_means_absent(&self) -> bool {
        matches!(self, Self::Priority | Self::AssigneeId | Self::TeamId)
    }

    /// Brings a value to the form compared: enum codes become names, empty priorities `nil`.
    fn normalize(&self, s: &str) -> String {
        let code = s.trim().parse::<i16>().ok();
        match self {
            Self::Status => match code.filter(|c| (0..=3).contains(c)) {
                Some(c) => ConversationStatus::from_code(c).as_str().to_owned(),
                None => s.trim().to_lowercase(),
            },
            Self::Priority => match code.and_then(Priority::from_code) {
                Some(p) => p.as_str().to_owned(),
                None => match s.trim().to_lowercase().as_str() {
                    "" | "none" | "null" => "nil".to_owned(),
                    other => other.to_owned(),
                },
            },
            Self::MessageType => match code.and_then(MessageType::try_from_code) {
                Some(t) => t.as_str().to_owned(),
                None => s.trim().to_lowercase(),
            },
            _ => s.to_owned(),
        }
    }
}

/// How a condition tests its attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    /// A filter operator against the values (`days_before` is refused).
    Compare {
        operator: Operator,
        values: Vec<String>,
    },
    /// `attribute_changed`: the triggering event changed the attribute from one of `from` to
    /// one of `to` (a null or `"nil"` is written `nil`).
    Changed { from: Vec<String>, to: Vec<String> },
}

/// One validated condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub attribute: Attribute,
    pub test: Test,
}

/// Validated conditions: an OR of AND-groups, in the order written (`AND` binds tighter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conditions {
    pub groups: Vec<Vec<Condition>>,
}

impl Conditions {
    /// Whether any condition looks at messages (`content`, `message_type`): only then do the
    /// facts need the conversation's messages.
    pub fn uses_messages(&self) -> bool {
        self.groups
            .iter()
            .flatten()
            .any(|c| c.attribute.is_message_key())
    }
}

/// A changed value as compared: null is `nil`.
fn changed_text(v: &Value) -> String {
    match v {
        Value::Null => "nil".to_owned(),
        other => value_to_text(other).unwrap_or_else(|| other.to_string()),
    }
}

fn texts(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(value_to_text).collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => value_to_text(other).into_iter().collect(),
    }
}

enum Join {
    Missing,
    Valid(QueryOperator),
    Invalid,
}

fn join_of(c: &Value) -> Join {
    match c.get("query_operator") {
        None | Some(Value::Null) => Join::Missing,
        Some(Value::String(s)) => match s.trim().to_ascii_uppercase().as_str() {
            "" => Join::Missing,
            "AND" => Join::Valid(QueryOperator::And),
            "OR" => Join::Valid(QueryOperator::Or),
            _ => Join::Invalid,
        },
        Some(_) => Join::Invalid,
    }
}

fn str_field<'v>(v: &'v Value, name: &str) -> &'v str {
    v.get(name).and_then(Value::as_str).unwrap_or("")
}

/// Validates the `conditions` array of a rule. `custom_keys` says whether a key is one of the
/// account's custom attributes. Checks run in upstream's order: keys, then query operators.
pub fn parse_conditions(
    raw: &Value,
    custom_keys: impl Fn(&str) -> bool,
) -> Result<Conditions, AutomationError> {
    let items = match raw {
        Value::Array(items) if items.is_empty() => return Err(AutomationError::ConditionsBlank),
        Value::Array(items) => items,
        Value::Null => return Err(AutomationError::ConditionsBlank),
        _ => return Err(AutomationError::ConditionsNotArray),
    };
    let unsupported: Vec<String> = items
        .iter()
        .map(|c| str_field(c, "attribute_key"))
        .filter(|k| !CONDITION_KEYS.contains(k) && !custom_keys(k))
        .map(str::to_owned)
        .collect();
    if !unsupported.is_empty() {
        return Err(AutomationError::UnsupportedConditions(unsupported));
    }
    let joins: Vec<Join> = items.iter().map(join_of).collect();
    let inner = &joins[..joins.len() - 1];
    if inner.iter().any(|j| matches!(j, Join::Missing)) {
        return Err(AutomationError::MissingQueryOperator);
    }
    if joins.iter().any(|j| matches!(j, Join::Invalid)) {
        return Err(AutomationError::InvalidQueryOperator);
    }
    let mut groups = vec![Vec::new()];
    for (c, join) in items.iter().zip(inner.iter().map(Some).chain([None])) {
        let custom_type = c.get("custom_attribute_type").and_then(Value::as_str);
        let attribute = Attribute::of(str_field(c, "attribute_key"), custom_type);
        let test = parse_test(&attribute, str_field(c, "filter_operator"), c.get("values"))?;
        if let Some(group) = groups.last_mut() {
            group.push(Condition { attribute, test });
        }
        if let Some(Join::Valid(QueryOperator::Or)) = join {
            groups.push(Vec::new());
        }
    }
    Ok(Conditions { groups })
}

fn parse_test(
    attribute: &Attribute,
    operator: &str,
    values: Option<&Value>,
) -> Result<Test, AutomationError> {
    if operator == "attribute_changed" {
        let side = |name: &str| match values.and_then(|v| v.get(name)) {
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| attribute.normalize(&changed_text(v)))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        };
        return match (side("from"), side("to")) {
            (Some(from), Some(to)) => Ok(Test::Changed { from, to }),
            _ => Err(AutomationError::InvalidChangedValues {
                key: attribute.key().to_owned(),
            }),
        };
    }
    let operator = Operator::parse(operator)
        .filter(|o| *o != Operator::DaysBefore)
        .ok_or_else(|| AutomationError::UnsupportedOperator {
            key: attribute.key().to_owned(),
            operator: operator.to_owned(),
        })?;
    let mut values: Vec<String> = texts(values)
        .iter()
        .filter(|v| !v.trim().is_empty())
        .map(|v| attribute.normalize(v))
        .collect();
    if *attribute == Attribute::Status && values.iter().any(|v| v == "all") {
        values = ConversationStatus::LISTED
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
    }
    Ok(Test::Compare { operator, values })
}

/// What a rule's conditions are evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub conversation: &'a Conversation,
    pub contact: &'a Contact,
    /// The conversation's label titles.
    pub labels: &'a [String],
    /// `(message_type, content)` of the messages the message keys may match. The whole
    /// expression is tried once per message (as upstream's join does) and holds if it holds for
    /// any; with no messages it is tried once with the message keys absent. For
    /// `message_created` pass only the new message, as upstream narrows the join to it.
    pub messages: &'a [(MessageType, Option<&'a str>)],
    /// The triggering event's changes: `{"attr": {"previous_value": …, "current_value": …}}`,
    /// `{"attr": [previous, current]}`, or an array of such single-key objects (the webhook
    /// form). Null when the event changed nothing.
    pub changed_attributes: &'a Value,
}

/// Whether the conditions hold for the facts.
pub fn evaluate(c: &Conditions, f: &Facts<'_>) -> bool {
    let holds_for = |row: Option<&(MessageType, Option<&str>)>| {
        c.groups
            .iter()
            .any(|g| g.iter().all(|cond| holds(cond, f, row)))
    };
    let uses_messages =
        c.groups.iter().flatten().any(|cond| {
            cond.attribute.is_message_key() && matches!(cond.test, Test::Compare { .. })
        });
    if uses_messages && !f.messages.is_empty() {
        f.messages.iter().any(|m| holds_for(Some(m)))
    } else {
        holds_for(None)
    }
}

fn holds(cond: &Condition, f: &Facts<'_>, row: Option<&(MessageType, Option<&str>)>) -> bool {
    match &cond.test {
        Test::Changed { from, to } => changed_matches(&cond.attribute, from, to, f),
        Test::Compare { operator, values } => {
            let found = found(&cond.attribute, f, row);
            compare(*operator, &cond.attribute, &found, values)
        }
    }
}

fn json_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The attribute's present values (several only for labels); empty when absent.
fn found(
    attr: &Attribute,
    f: &Facts<'_>,
    row: Option<&(MessageType, Option<&str>)>,
) -> Vec<String> {
    let conv = f.conversation;
    let contact = f.contact;
    let conv_attr = |k: &str| json_text(conv.additional_attributes.get(k));
    let contact_attr = |k: &str| json_text(contact.additional_attributes.get(k));
    let one = match attr {
        Attribute::Content => row.and_then(|m| m.1).map(str::to_owned),
        Attribute::MessageType => row.map(|m| m.0.as_str().to_owned()),
        Attribute::Email => contact.email.clone(),
        Attribute::PhoneNumber => contact.phone_number.clone(),
        Attribute::City => contact_attr("city"),
        Attribute::Company => contact_attr("company"),
        Attribute::CountryCode => {
            conv_attr("country_code").or_else(|| contact_attr("country_code"))
        }
        Attribute::Status => Some(conv.status.as_str().to_owned()),
        Attribute::Priority => conv.priority().map(|p| p.as_str().to_owned()),
        Attribute::AssigneeId => conv.assignee_id.map(|u| u.get().to_string()),
        Attribute::TeamId => conv.team_id.map(|t| t.get().to_string()),
        Attribute::InboxId => Some(conv.inbox_id.get().to_string()),
        Attribute::BrowserLanguage => conv_attr("browser_language"),
        Attribute::Referer => conv_attr("referer"),
        Attribute::ConversationLanguage => conv_attr("conversation_language"),
        Attribute::MailSubject => conv_attr("mail_subject"),
        Attribute::Labels => return f.labels.to_vec(),
        Attribute::Custom { key, model } => {
            let in_conv = || json_text(conv.custom_attributes.get(key.as_str()));
            let in_contact = || json_text(contact.custom_attributes.get(key.as_str()));
            match model {
                Some(CustomModel::Conversation) => in_conv(),
                Some(CustomModel::Contact) => in_contact(),
                None => in_conv().or_else(in_contact),
            }
        }
    };
    one.into_iter().collect()
}

fn is_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Case-insensitive equality; integers compare by value (`"07"` equals `7`).
fn loose_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    if is_integer(a) && is_integer(b) {
        return a.parse::<i128>().ok() == b.parse::<i128>().ok();
    }
    a.to_lowercase() == b.to_lowercase()
}

/// Numbers compare numerically, anything else as text (ISO dates order correctly).
fn order(a: &str, b: &str) -> Ordering {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

fn compare(op: Operator, attr: &Attribute, found: &[String], values: &[String]) -> bool {
    let any = |test: &dyn Fn(&str, &str) -> bool| {
        found
            .iter()
            .any(|x| values.iter().any(|v| test(x.as_str(), v.as_str())))
    };
    let equal = || {
        any(&loose_eq)
            || (found.is_empty() && attr.nil_means_absent() && values.iter().any(|v| v == "nil"))
    };
    let contains = || any(&|x, v| x.to_lowercase().contains(&v.trim().to_lowercase()));
    let against_first = |want: Ordering| {
        values
            .first()
            .is_some_and(|v| found.iter().any(|x| order(x, v) == want))
    };
    match op {
        Operator::EqualTo => equal(),
        Operator::NotEqualTo => !equal(),
        Operator::Contains => contains(),
        Operator::DoesNotContain => !contains(),
        Operator::StartsWith => any(&|x, v| x.to_lowercase().starts_with(&v.to_lowercase())),
        Operator::IsPresent => !found.is_empty(),
        Operator::IsNotPresent => found.is_empty(),
        Operator::IsGreaterThan => against_first(Ordering::Greater),
        Operator::IsLessThan => against_first(Ordering::Less),
        Operator::DaysBefore => false,
    }
}

/// The recorded change of one attribute: `(previous, current)`.
fn change_of(changed: &Value, name: &str) -> Option<(Value, Value)> {
    let entry = match changed {
        Value::Object(map) => map.get(name),
        Value::Array(items) => items.iter().find_map(|i| i.get(name)),
        _ => None,
    }?;
    match entry {
        Value::Object(o) => Some((
            o.get("previous_value").cloned().unwrap_or(Value::Null),
            o.get("current_value").cloned().unwrap_or(Value::Null),
        )),
        Value::Array(pair) if pair.len() == 2 => Some((pair[0].clone(), pair[1].clone())),
        _ => None,
    }
}

fn changed_matches(attr: &Attribute, from: &[String], to: &[String], f: &Facts<'_>) -> bool {
    let changed = f.changed_attributes;
    let change = match attr {
        Attribute::Labels => {
            change_of(changed, "labels").or_else(|| change_of(changed, "label_list"))
        }
        Attribute::Custom { key, .. } => change_of(changed, key).or_else(|| {
            let (prev, cur) = change_of(changed, "custom_attributes")?;
            let pick = |v: &Value| v.get(key.as_str()).cloned().unwrap_or(Value::Null);
            let (p, c) = (pick(&prev), pick(&cur));
            (p != c).then_some((p, c))
        }),
        _ => change_of(changed, attr.key()),
    };
    let Some((prev, cur)) = change else {
        return false;
    };
    let in_list = |v: &Value, list: &[String]| {
        let v = attr.normalize(&changed_text(v));
        list.iter().any(|x| loose_eq(&v, x))
    };
    if let (Attribute::Labels, Value::Array(before), Value::Array(after)) = (attr, &prev, &cur) {
        // Label lists: `from` names a removed label, `to` an added one; an empty side is free.
        let removed: Vec<&Value> = before.iter().filter(|l| !after.contains(l)).collect();
        let added: Vec<&Value> = after.iter().filter(|l| !before.contains(l)).collect();
        let side_ok = |moved: &[&Value], list: &[String]| {
            list.is_empty() || moved.iter().any(|l| in_list(l, list))
        };
        return !(removed.is_empty() && added.is_empty())
            && side_ok(&removed, from)
            && side_ok(&added, to);
    }
    in_list(&prev, from) && in_list(&cur, to)
}

/// One validated action, with its typed parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// An outgoing message from the rule (`[text]`).
    SendMessage(String),
    /// A private note from the rule (`[text]`).
    AddPrivateNote(String),
    /// Label titles to add.
    AddLabel(Vec<String>),
    /// Label titles to remove.
    RemoveLabel(Vec<String>),
    /// Assign to this agent, or unassign (`["nil"]`).
    AssignAgent(Option<UserId>),
    /// Assign to this team, or remove the team (`"nil"` or `0`).
    AssignTeam(Option<TeamId>),
    /// Email these teams about the conversation.
    SendEmailToTeam {
        team_ids: Vec<TeamId>,
        message: String,
    },
    /// Email the transcript to these addresses (they may hold `{{…}}` variables).
    SendEmailTranscript(Vec<String>),
    MuteConversation,
    /// Snooze without an end time.
    SnoozeConversation,
    ResolveConversation,
    OpenConversation,
    ChangeStatus(ConversationStatus),
    /// Set or clear (`"nil"`) the priority.
    ChangePriority(Option<Priority>),
    /// Post the conversation's webhook form to this URL.
    SendWebhookEvent(String),
    /// Send these files of the rule (blob ids) as a message.
    SendAttachment(Vec<i64>),
}

fn id_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => o.get("id").and_then(id_of),
        _ => None,
    }
}

fn is_nil(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => matches!(s.trim(), "" | "nil" | "null"),
        _ => false,
    }
}

fn positive_ids(items: &[&Value]) -> Option<Vec<i64>> {
    let ids: Option<Vec<i64>> = items.iter().map(|v| id_of(v).filter(|n| *n > 0)).collect();
    ids.filter(|ids| !ids.is_empty())
}

impl Action {
    /// The `action_name` on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Self::SendMessage(_) => "send_message",
            Self::AddPrivateNote(_) => "add_private_note",
            Self::AddLabel(_) => "add_label",
            Self::RemoveLabel(_) => "remove_label",
            Self::AssignAgent(_) => "assign_agent",
            Self::AssignTeam(_) => "assign_team",
            Self::SendEmailToTeam { .. } => "send_email_to_team",
            Self::SendEmailTranscript(_) => "send_email_transcript",
            Self::MuteConversation => "mute_conversation",
            Self::SnoozeConversation => "snooze_conversation",
            Self::ResolveConversation => "resolve_conversation",
            Self::OpenConversation => "open_conversation",
            Self::ChangeStatus(_) => "change_status",
            Self::ChangePriority(_) => "change_priority",
            Self::SendWebhookEvent(_) => "send_webhook_event",
            Self::SendAttachment(_) => "send_attachment",
        }
    }

    fn parse(name: &str, params: Option<&Value>) -> Result<Self, AutomationError> {
        let params: Vec<&Value> = match params {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(other) => vec![other],
        };
        let bad = |reason: &'static str| AutomationError::InvalidActionParams {
            name: name.to_owned(),
            reason,
        };
        let first = params.first().copied();
        let text = || {
            first
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned)
                .ok_or_else(|| bad("expected [\"<text>\"]"))
        };
        let titles = || {
            let titles: Option<Vec<String>> = params
                .iter()
                .map(|v| v.as_str().map(str::trim).filter(|s| !s.is_empty()))
                .map(|s| s.map(str::to_owned))
                .collect();
            titles
                .filter(|t| !t.is_empty())
                .ok_or_else(|| bad("expected a non-empty list of label titles"))
        };
        Ok(match name {
            "send_message" => Self::SendMessage(text()?),
            "add_private_note" => Self::AddPrivateNote(text()?),
            "add_label" => Self::AddLabel(titles()?),
            "remove_label" => Self::RemoveLabel(titles()?),
            "assign_agent" => match first {
                Some(v) if is_nil(v) => Self::AssignAgent(None),
                Some(v) => Self::AssignAgent(Some(UserId(
                    id_of(v)
                        .filter(|n| *n > 0)
                        .ok_or_else(|| bad("expected [<user id>] or [\"nil\"]"))?,
                ))),
                None => return Err(bad("expected [<user id>] or [\"nil\"]")),
            },
            "assign_team" => match first.map(|v| (is_nil(v), id_of(v))) {
                None | Some((true, _)) | Some((false, Some(0))) => Self::AssignTeam(None),
                Some((false, Some(id))) if id > 0 => Self::AssignTeam(Some(TeamId(id))),
                Some(_) => return Err(bad("expected [<team id>], [\"nil\"] or [0]")),
            },
            "send_email_to_team" => {
                let reason = "expected [{\"team_ids\": [<team id>, …], \"message\": \"<text>\"}]";
                let spec = first.filter(|v| v.is_object()).ok_or_else(|| bad(reason))?;
                let ids = match spec.get("team_ids") {
                    Some(Value::Array(items)) => positive_ids(&items.iter().collect::<Vec<_>>()),
                    _ => None,
                };
                let message = spec
                    .get("message")
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty());
                match (ids, message) {
                    (Some(ids), Some(message)) => Self::SendEmailToTeam {
                        team_ids: ids.into_iter().map(TeamId).collect(),
                        message: message.to_owned(),
                    },
                    _ => return Err(bad(reason)),
                }
            }
            "send_email_transcript" => {
                let reason = "expected [\"<address>,<address>…\"]";
                let mut addresses = Vec::new();
                for p in &params {
                    let list = p.as_str().ok_or_else(|| bad(reason))?;
                    let squeezed: String = list.chars().filter(|c| !c.is_whitespace()).collect();
                    addresses.extend(
                        squeezed
                            .split(',')
                            .filter(|a| !a.is_empty())
                            .map(str::to_owned),
                    );
                }
                if addresses.is_empty() {
                    return Err(bad(reason));
                }
                Self::SendEmailTranscript(addresses)
            }
            "mute_conversation" => Self::MuteConversation,
            "snooze_conversation" => Self::SnoozeConversation,
            "resolve_conversation" => Self::ResolveConversation,
            "open_conversation" => Self::OpenConversation,
            "change_status" => Self::ChangeStatus(
                first
                    .and_then(Value::as_str)
                    .and_then(|s| ConversationStatus::parse(&s.trim().to_lowercase()))
                    .ok_or_else(|| bad("expected one of open, resolved, pending, snoozed"))?,
            ),
            "change_priority" => {
                let reason = "expected one of urgent, high, medium, low, none or \"nil\"";
                let v = first.ok_or_else(|| bad(reason))?;
                let text = value_to_text(v).map(|s| Attribute::Priority.normalize(&s));
                match (is_nil(v), text.as_deref()) {
                    (true, _) | (_, Some("nil")) => Self::ChangePriority(None),
                    (false, Some(p)) => {
                        Self::ChangePriority(Some(Priority::parse(p).ok_or_else(|| bad(reason))?))
                    }
                    (false, None) => return Err(bad(reason)),
                }
            }
            "send_webhook_event" => {
                let url = text()?;
                let url = url.trim();
                let lower = url.to_ascii_lowercase();
                if !(lower.starts_with("http://") || lower.starts_with("https://")) {
                    return Err(bad("expected [\"<http or https url>\"]"));
                }
                Self::SendWebhookEvent(url.to_owned())
            }
            "send_attachment" => Self::SendAttachment(
                positive_ids(&params).ok_or_else(|| bad("expected [<blob id>, …]"))?,
            ),
            _ => return Err(AutomationError::UnsupportedActions(vec![name.to_owned()])),
        })
    }
}

/// Validates the `actions` array of a rule: `[{action_name, action_params: [...]}]`. Unknown
/// names are all reported at once (upstream's message); then each action's params are checked.
pub fn parse_actions(raw: &Value) -> Result<Vec<Action>, AutomationError> {
    let items = match raw {
        Value::Array(items) if items.is_empty() => return Err(AutomationError::ActionsBlank),
        Value::Array(items) => items,
        Value::Null => return Err(AutomationError::ActionsBlank),
        _ => return Err(AutomationError::ActionsNotArray),
    };
    let unknown: Vec<String> = items
        .iter()
        .map(|a| str_field(a, "action_name"))
        .filter(|n| !ACTION_NAMES.contains(n))
        .map(str::to_owned)
        .collect();
    if !unknown.is_empty() {
        return Err(AutomationError::UnsupportedActions(unknown));
    }
    items
        .iter()
        .map(|a| Action::parse(str_field(a, "action_name"), a.get("action_params")))
        .collect()
}

#[cfg(test)]
mod tests;
