//! Chatwoot's filter DSL (`POST …/contacts/filter`, later conversations and automation):
//! parsing and validation into a typed list of conditions. The store turns the result into SQL.
//!
//! Mirrors app/services/filter_service.rb and lib/filters/filter_keys.yml: conditions are joined
//! in order by their own `query_operator` with no parentheses, so `AND` binds tighter than `OR`;
//! the validated form is therefore a disjunction of conjunctions.

use serde::Deserialize;

/// A filter operator as named on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    EqualTo,
    NotEqualTo,
    Contains,
    DoesNotContain,
    IsPresent,
    IsNotPresent,
    IsGreaterThan,
    IsLessThan,
    DaysBefore,
    StartsWith,
}

impl Operator {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "equal_to" => Self::EqualTo,
            "not_equal_to" => Self::NotEqualTo,
            "contains" => Self::Contains,
            "does_not_contain" => Self::DoesNotContain,
            "is_present" => Self::IsPresent,
            "is_not_present" => Self::IsNotPresent,
            "is_greater_than" => Self::IsGreaterThan,
            "is_less_than" => Self::IsLessThan,
            "days_before" => Self::DaysBefore,
            "starts_with" => Self::StartsWith,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EqualTo => "equal_to",
            Self::NotEqualTo => "not_equal_to",
            Self::Contains => "contains",
            Self::DoesNotContain => "does_not_contain",
            Self::IsPresent => "is_present",
            Self::IsNotPresent => "is_not_present",
            Self::IsGreaterThan => "is_greater_than",
            Self::IsLessThan => "is_less_than",
            Self::DaysBefore => "days_before",
            Self::StartsWith => "starts_with",
        }
    }
    /// Whether the operator needs at least one value.
    pub fn needs_values(self) -> bool {
        !matches!(self, Self::IsPresent | Self::IsNotPresent)
    }
}

/// How an attribute's values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    Text,
    TextCaseInsensitive,
    Number,
    /// An integer column (ids, enum codes), compared without casts so indexes apply.
    Integer,
    Boolean,
    Labels,
    Date,
}

/// Where an attribute lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A column of the filtered table, named as the attribute key.
    Column,
    /// A key of the row's `additional_attributes` JSON.
    AdditionalAttributes,
    /// A key of the row's `custom_attributes` JSON (defined by the account).
    CustomAttributes,
}

/// One attribute a filter may name.
#[derive(Debug, Clone, Copy)]
pub struct AttributeSpec {
    pub key: &'static str,
    pub source: Source,
    pub data_type: DataType,
    pub operators: &'static [Operator],
}

use Operator as O;
const EQ: &[Operator] = &[O::EqualTo, O::NotEqualTo];
const TEXT: &[Operator] = &[O::EqualTo, O::NotEqualTo, O::Contains, O::DoesNotContain];
const PHONE: &[Operator] = &[
    O::EqualTo,
    O::NotEqualTo,
    O::Contains,
    O::DoesNotContain,
    O::StartsWith,
];
const DATE: &[Operator] = &[O::IsGreaterThan, O::IsLessThan, O::DaysBefore];

const fn spec(
    key: &'static str,
    source: Source,
    data_type: DataType,
    operators: &'static [Operator],
) -> AttributeSpec {
    AttributeSpec {
        key,
        source,
        data_type,
        operators,
    }
}

/// The standard contact attributes (lib/filters/filter_keys.yml, `contacts:`).
pub const CONTACT_ATTRIBUTES: &[AttributeSpec] = &[
    spec("name", Source::Column, DataType::TextCaseInsensitive, TEXT),
    spec(
        "phone_number",
        Source::Column,
        DataType::TextCaseInsensitive,
        PHONE,
    ),
    spec("email", Source::Column, DataType::TextCaseInsensitive, TEXT),
    spec(
        "identifier",
        Source::Column,
        DataType::TextCaseInsensitive,
        EQ,
    ),
    spec(
        "country_code",
        Source::AdditionalAttributes,
        DataType::TextCaseInsensitive,
        EQ,
    ),
    spec(
        "city",
        Source::AdditionalAttributes,
        DataType::TextCaseInsensitive,
        TEXT,
    ),
    spec(
        "company",
        Source::AdditionalAttributes,
        DataType::TextCaseInsensitive,
        TEXT,
    ),
    spec("created_at", Source::Column, DataType::Date, DATE),
    spec("last_activity_at", Source::Column, DataType::Date, DATE),
    spec("blocked", Source::Column, DataType::Boolean, EQ),
];

const IDS: &[Operator] = &[O::EqualTo, O::NotEqualTo, O::IsPresent, O::IsNotPresent];
const LABELS: &[Operator] = &[O::EqualTo, O::NotEqualTo, O::IsPresent, O::IsNotPresent];

/// The standard conversation attributes, in the order of lib/filters/filter_keys.yml
/// (`conversations:`), which the unknown-key error lists.
/// `status` and `priority` take names, turned into codes by [`parse_conversation`].
pub const CONVERSATION_ATTRIBUTES: &[AttributeSpec] = &[
    spec("status", Source::Column, DataType::Integer, EQ),
    spec("assignee_id", Source::Column, DataType::Integer, IDS),
    spec("inbox_id", Source::Column, DataType::Integer, IDS),
    spec("team_id", Source::Column, DataType::Integer, IDS),
    spec("priority", Source::Column, DataType::Integer, EQ),
    spec("display_id", Source::Column, DataType::Integer, TEXT),
    spec("campaign_id", Source::Column, DataType::Integer, IDS),
    spec("labels", Source::Column, DataType::Labels, LABELS),
    spec(
        "browser_language",
        Source::AdditionalAttributes,
        DataType::TextCaseInsensitive,
        EQ,
    ),
    spec(
        "conversation_language",
        Source::AdditionalAttributes,
        DataType::TextCaseInsensitive,
        EQ,
    ),
    spec(
        "country_code",
        Source::AdditionalAttributes,
        DataType::TextCaseInsensitive,
        EQ,
    ),
    spec(
        "referer",
        Source::AdditionalAttributes,
        DataType::TextCaseInsensitive,
        TEXT,
    ),
    spec("created_at", Source::Column, DataType::Date, DATE),
    spec("last_activity_at", Source::Column, DataType::Date, DATE),
    spec(
        "mail_subject",
        Source::AdditionalAttributes,
        DataType::TextCaseInsensitive,
        TEXT,
    ),
];

/// Parses a conversation filter: like [`parse`], then status and priority names become their
/// codes (`all` means every status); an unknown name is an invalid value.
pub fn parse_conversation(
    raw: &[RawCondition],
    custom: impl Fn(&str) -> Option<DataType>,
) -> Result<Filter, FilterError> {
    use crate::conversation::{ConversationStatus, Priority};
    let mut filter = parse(raw, CONVERSATION_ATTRIBUTES, custom)?;
    for c in filter.groups.iter_mut().flatten() {
        if c.source != Source::Column {
            continue;
        }
        let codes: Option<Vec<String>> = match c.key.as_str() {
            "status" if c.values.iter().any(|v| v == "all") => Some(
                ConversationStatus::LISTED
                    .iter()
                    .map(|s| s.code().to_string())
                    .collect(),
            ),
            "status" => c
                .values
                .iter()
                .map(|v| ConversationStatus::parse(v).map(|s| s.code().to_string()))
                .collect(),
            "priority" => c
                .values
                .iter()
                .map(|v| Priority::parse(v).map(|p| p.code().to_string()))
                .collect(),
            "assignee_id" | "inbox_id" | "team_id" | "campaign_id" if c.operator.needs_values() => {
                c.values
                    .iter()
                    .map(|v| v.parse::<i64>().ok().map(|n| n.to_string()))
                    .collect()
            }
            _ => continue,
        };
        match codes {
            Some(codes) => c.values = codes,
            None => {
                return Err(FilterError::InvalidValue { key: c.key.clone() });
            }
        }
    }
    Ok(filter)
}

/// How two consecutive conditions are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryOperator {
    And,
    Or,
}

/// One condition as a client sends it. Values may be strings, numbers, booleans or objects
/// with an `id` (the dashboard sends `{"id": 1, "name": "…"}` for some keys).
#[derive(Debug, Clone, Deserialize)]
pub struct RawCondition {
    pub attribute_key: Option<String>,
    pub filter_operator: Option<String>,
    #[serde(default)]
    pub values: serde_json::Value,
    #[serde(default)]
    pub query_operator: Option<String>,
}

/// One validated condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub key: String,
    pub source: Source,
    pub data_type: DataType,
    pub operator: Operator,
    /// Values as text; their meaning depends on `data_type`.
    pub values: Vec<String>,
}

/// A validated filter: OR of AND-groups, in the order the client wrote them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    pub groups: Vec<Vec<Condition>>,
}

impl Filter {
    /// Whether any condition on the attribute `key` names `value` (as stored: a status by
    /// its code).
    pub fn names_value(&self, key: &str, value: &str) -> bool {
        self.groups
            .iter()
            .flatten()
            .any(|c| c.key == key && c.values.iter().any(|v| v == value))
    }
}

/// Why a filter was refused; the texts are Chatwoot's (lib/custom_exceptions/custom_filter.rb).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error(
        "Invalid attribute key - [{key}]. The key should be one of [{allowed}] or a custom attribute defined in the account."
    )]
    InvalidAttribute { key: String, allowed: String },
    #[error("Invalid operator. The allowed operators for {key} are [{allowed}].")]
    InvalidOperator { key: String, allowed: String },
    #[error("Invalid value. The values provided for {key} are invalid")]
    InvalidValue { key: String },
    #[error("Query operator must be either \"AND\" or \"OR\".")]
    InvalidQueryOperator,
    #[error("payload must be a non-empty list of conditions")]
    EmptyPayload,
}

pub(crate) fn value_to_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Object(o) => o.get("id").and_then(value_to_text),
        _ => None,
    }
}

/// Validates raw conditions against the standard attributes and, for any other key, the
/// account's custom attribute definitions (`custom` returns the definition's data type).
pub fn parse(
    raw: &[RawCondition],
    standard: &[AttributeSpec],
    custom: impl Fn(&str) -> Option<DataType>,
) -> Result<Filter, FilterError> {
    if raw.is_empty() {
        return Err(FilterError::EmptyPayload);
    }
    let mut filter = Filter {
        groups: vec![Vec::new()],
    };
    for (i, c) in raw.iter().enumerate() {
        let key = c.attribute_key.clone().unwrap_or_default();
        let op_text = c.filter_operator.clone().unwrap_or_default();
        let (source, data_type, operator) = match standard.iter().find(|s| s.key == key) {
            Some(spec) => {
                let allowed = || {
                    spec.operators
                        .iter()
                        .map(|o| o.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let op = Operator::parse(&op_text)
                    .filter(|o| spec.operators.contains(o))
                    .ok_or_else(|| FilterError::InvalidOperator {
                        key: key.clone(),
                        allowed: allowed(),
                    })?;
                (spec.source, spec.data_type, op)
            }
            None => {
                let data_type = custom(&key).ok_or_else(|| FilterError::InvalidAttribute {
                    key: key.clone(),
                    allowed: standard.iter().map(|s| s.key).collect::<Vec<_>>().join(","),
                })?;
                // Chatwoot does not validate operators of custom attributes; an unknown one
                // still cannot be turned into SQL, so it is refused here.
                let op = Operator::parse(&op_text).ok_or_else(|| FilterError::InvalidOperator {
                    key: key.clone(),
                    allowed: "equal_to,not_equal_to,contains,does_not_contain,is_present,is_not_present,is_greater_than,is_less_than,days_before,starts_with".into(),
                })?;
                (Source::CustomAttributes, data_type, op)
            }
        };
        let values: Vec<String> = match &c.values {
            serde_json::Value::Array(items) => items.iter().filter_map(value_to_text).collect(),
            serde_json::Value::Null => Vec::new(),
            other => value_to_text(other).into_iter().collect(),
        };
        let values: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
        if operator.needs_values() && values.is_empty() {
            return Err(FilterError::InvalidValue { key });
        }
        if operator == Operator::DaysBefore && values[0].parse::<i64>().is_err() {
            return Err(FilterError::InvalidValue { key });
        }
        let needs_date = data_type == DataType::Date
            && matches!(operator, Operator::IsGreaterThan | Operator::IsLessThan);
        if needs_date && crate::Timestamp::parse_day_start(&values[0]).is_none() {
            return Err(FilterError::InvalidValue { key });
        }
        if data_type == DataType::Number
            && operator.needs_values()
            && values.iter().any(|v| v.parse::<f64>().is_err())
        {
            return Err(FilterError::InvalidValue { key });
        }
        if let Some(group) = filter.groups.last_mut() {
            group.push(Condition {
                key,
                source,
                data_type,
                operator,
                values,
            });
        }
        let is_last = i + 1 == raw.len();
        let q = c.query_operator.as_deref().map(str::trim).unwrap_or("");
        let next = match q.to_ascii_uppercase().as_str() {
            "" => None,
            "AND" => Some(QueryOperator::And),
            "OR" => Some(QueryOperator::Or),
            _ => return Err(FilterError::InvalidQueryOperator),
        };
        if !is_last && next == Some(QueryOperator::Or) {
            filter.groups.push(Vec::new());
        }
    }
    Ok(filter)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn raw(v: serde_json::Value) -> Vec<RawCondition> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let f = parse(
            &raw(json!([
                {"attribute_key":"name","filter_operator":"equal_to","values":["a"],"query_operator":"AND"},
                {"attribute_key":"email","filter_operator":"contains","values":["b"],"query_operator":"or"},
                {"attribute_key":"blocked","filter_operator":"equal_to","values":[true],"query_operator":null}
            ])),
            CONTACT_ATTRIBUTES,
            |_| None,
        )
        .unwrap();
        assert_eq!(f.groups.len(), 2);
        assert_eq!(f.groups[0].len(), 2);
        assert_eq!(f.groups[1][0].values, vec!["true"]);
    }

    #[test]
    fn an_unknown_key_is_refused_with_chatwoots_message() {
        let err = parse(
            &raw(
                json!([{"attribute_key":"shoe_size","filter_operator":"equal_to","values":["4"]}]),
            ),
            CONTACT_ATTRIBUTES,
            |_| None,
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "Invalid attribute key - [shoe_size]. The key should be one of [name,"
            )
        );
    }

    #[test]
    fn an_operator_not_allowed_for_the_key_is_refused() {
        let err = parse(
            &raw(
                json!([{"attribute_key":"identifier","filter_operator":"contains","values":["x"]}]),
            ),
            CONTACT_ATTRIBUTES,
            |_| None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid operator. The allowed operators for identifier are [equal_to,not_equal_to]."
        );
    }

    #[test]
    fn empty_values_are_refused_unless_the_operator_tests_presence() {
        let err = parse(
            &raw(json!([{"attribute_key":"name","filter_operator":"equal_to","values":[]}])),
            CONTACT_ATTRIBUTES,
            |_| None,
        )
        .unwrap_err();
        assert_eq!(err, FilterError::InvalidValue { key: "name".into() });
        assert!(
            parse(
                &raw(json!([{"attribute_key":"plan","filter_operator":"is_present","values":[]}])),
                CONTACT_ATTRIBUTES,
                |_| Some(DataType::Text),
            )
            .is_ok()
        );
    }

    #[test]
    fn dates_that_do_not_parse_are_refused() {
        let err = parse(
            &raw(json!([{"attribute_key":"created_at","filter_operator":"is_greater_than","values":["yesterday-ish"]}])),
            CONTACT_ATTRIBUTES,
            |_| None,
        )
        .unwrap_err();
        assert_eq!(
            err,
            FilterError::InvalidValue {
                key: "created_at".into()
            }
        );
    }

    #[test]
    fn a_query_operator_other_than_and_or_is_refused() {
        let err = parse(
            &raw(json!([{"attribute_key":"name","filter_operator":"equal_to","values":["a"],"query_operator":"XOR"}])),
            CONTACT_ATTRIBUTES,
            |_| None,
        )
        .unwrap_err();
        assert_eq!(err, FilterError::InvalidQueryOperator);
    }

    #[test]
    fn conversation_status_names_become_codes_and_all_means_every_status() {
        let f = parse_conversation(
            &raw(json!([
                {"attribute_key":"status","filter_operator":"equal_to","values":["all"],"query_operator":"AND"},
                {"attribute_key":"priority","filter_operator":"equal_to","values":["high","urgent"]}
            ])),
            |_| None,
        )
        .unwrap();
        assert_eq!(f.groups[0][0].values, vec!["0", "1", "2", "3"]);
        assert_eq!(f.groups[0][1].values, vec!["2", "3"]);
        let err = parse_conversation(
            &raw(json!([{"attribute_key":"status","filter_operator":"equal_to","values":["closed"]}])),
            |_| None,
        )
        .unwrap_err();
        assert_eq!(
            err,
            FilterError::InvalidValue {
                key: "status".into()
            }
        );
    }

    #[test]
    fn custom_attribute_keys_resolve_through_the_definitions() {
        let f = parse(
            &raw(json!([{"attribute_key":"plan","filter_operator":"equal_to","values":["gold"]}])),
            CONTACT_ATTRIBUTES,
            |k| (k == "plan").then_some(DataType::Text),
        )
        .unwrap();
        assert_eq!(f.groups[0][0].source, Source::CustomAttributes);
    }
}
