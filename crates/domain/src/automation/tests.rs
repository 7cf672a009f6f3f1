use serde_json::{Value, json};

use super::*;
use crate::{AccountId, ContactId, ConversationId, InboxId, Timestamp};

fn conversation() -> Conversation {
    let t = Timestamp::from_unix_seconds(1_700_000_000);
    Conversation {
        id: ConversationId(1),
        account_id: AccountId(1),
        display_id: 1,
        uuid: "c-1".into(),
        inbox_id: InboxId(3),
        contact_id: ContactId(1),
        contact_inbox_id: None,
        status: ConversationStatus::Open,
        priority_code: Some(2),
        snoozed_until: None,
        assignee_id: Some(UserId(7)),
        assignee_agent_bot_id: None,
        team_id: Some(TeamId(5)),
        agent_last_seen_at: None,
        assignee_last_seen_at: None,
        contact_last_seen_at: None,
        first_reply_created_at: None,
        waiting_since: None,
        last_activity_at: t,
        unread_count: 0,
        last_message_id: None,
        last_non_activity_message_id: None,
        additional_attributes: json!({
            "browser_language": "en",
            "referer": "https://shop.example/cart",
            "conversation_language": "fr",
            "mail_subject": "Refund request #42",
        }),
        custom_attributes: json!({"plan": "Gold", "seats": 12, "renewal": "2025-03-01"}),
        cached_label_list: String::new(),
        identifier: None,
        created_at: t,
        updated_at: t,
        snooze_wake_on_reply: true,
    }
}

fn contact() -> Contact {
    let t = Timestamp::from_unix_seconds(1_700_000_000);
    Contact {
        id: ContactId(1),
        account_id: AccountId(1),
        name: "Ada".into(),
        email: Some("ada@example.com".into()),
        phone_number: Some("+4915123456".into()),
        identifier: None,
        additional_attributes: json!({"city": "Berlin", "company": "Acme GmbH", "country_code": "DE"}),
        custom_attributes: json!({"tier": "VIP", "plan": "Silver"}),
        blocked: false,
        contact_type: 0,
        last_activity_at: None,
        created_at: t,
        updated_at: t,
    }
}

const CUSTOM: &[&str] = &["plan", "seats", "renewal", "tier"];

struct World {
    conversation: Conversation,
    contact: Contact,
    labels: Vec<String>,
    messages: Vec<(MessageType, Option<&'static str>)>,
    changed: Value,
}

impl World {
    fn new() -> Self {
        Self {
            conversation: conversation(),
            contact: contact(),
            labels: vec!["billing".into(), "vip".into()],
            messages: vec![
                (MessageType::Incoming, Some("Hello, I need a REFUND")),
                (MessageType::Outgoing, Some("Sure, on it")),
            ],
            changed: Value::Null,
        }
    }

    fn holds(&self, conditions: Value) -> bool {
        let parsed = parse_conditions(&conditions, |k| CUSTOM.contains(&k)).unwrap();
        evaluate(
            &parsed,
            &Facts {
                conversation: &self.conversation,
                contact: &self.contact,
                labels: &self.labels,
                messages: &self.messages,
                changed_attributes: &self.changed,
            },
        )
    }

    /// One condition `key op values`.
    fn check(&self, key: &str, op: &str, values: Value) -> bool {
        self.holds(json!([{"attribute_key": key, "filter_operator": op, "values": values}]))
    }
}

fn conditions_error(raw: Value) -> AutomationError {
    parse_conditions(&raw, |k| CUSTOM.contains(&k)).unwrap_err()
}

fn one(key: &str, op: &str, values: Value, query_operator: Value) -> Value {
    json!({"attribute_key": key, "filter_operator": op, "values": values, "query_operator": query_operator})
}

// ---- conditions: validation ----

#[test]
fn every_standard_key_and_defined_custom_keys_are_accepted() {
    for key in CONDITION_KEYS.iter().chain(CUSTOM) {
        let raw = json!([one(key, "is_present", json!([]), Value::Null)]);
        let parsed = parse_conditions(&raw, |k| CUSTOM.contains(&k)).unwrap();
        assert_eq!(parsed.groups[0][0].attribute.key(), *key);
    }
}

#[test]
fn unknown_keys_are_all_named_in_upstreams_message() {
    let err = conditions_error(json!([
        one("shoe_size", "equal_to", json!(["4"]), json!("AND")),
        one("status", "equal_to", json!(["open"]), json!("AND")),
        one("hat", "equal_to", json!(["x"]), Value::Null),
    ]));
    assert_eq!(
        err,
        AutomationError::UnsupportedConditions(vec!["shoe_size".into(), "hat".into()])
    );
    assert_eq!(
        err.to_string(),
        "Automation conditions shoe_size,hat not supported."
    );
    assert_eq!(err.field(), "conditions");
}

#[test]
fn a_condition_before_the_last_without_query_operator_is_refused() {
    for missing in [Value::Null, json!(""), json!("  ")] {
        let err = conditions_error(json!([
            one("status", "equal_to", json!(["open"]), missing),
            one("team_id", "is_present", json!([]), Value::Null),
        ]));
        assert_eq!(err, AutomationError::MissingQueryOperator);
        assert_eq!(
            err.to_string(),
            "Automation conditions should have query operator."
        );
    }
    let raw =
        json!([{"attribute_key": "status", "filter_operator": "equal_to", "values": ["open"]}]);
    assert!(parse_conditions(&raw, |_| false).is_ok());
}

#[test]
fn query_operators_other_than_and_or_are_refused_in_any_case() {
    let err = conditions_error(json!([
        one("status", "equal_to", json!(["open"]), json!("XOR")),
        one("team_id", "is_present", json!([]), Value::Null),
    ]));
    assert_eq!(err, AutomationError::InvalidQueryOperator);
    assert_eq!(
        err.to_string(),
        "Query operator must be either \"AND\" or \"OR\""
    );
    let err = conditions_error(json!([one(
        "status",
        "equal_to",
        json!(["open"]),
        json!(1)
    )]));
    assert_eq!(err, AutomationError::InvalidQueryOperator);
    let ok = json!([
        one("status", "equal_to", json!(["open"]), json!("or")),
        one("team_id", "is_present", json!([]), json!("And")),
    ]);
    assert!(parse_conditions(&ok, |_| false).is_ok());
}

#[test]
fn missing_query_operators_are_reported_before_bad_ones_and_keys_before_both() {
    let err = conditions_error(json!([
        one("status", "equal_to", json!(["open"]), json!("XOR")),
        one("status", "equal_to", json!(["open"]), Value::Null),
        one("team_id", "is_present", json!([]), Value::Null),
    ]));
    assert_eq!(err, AutomationError::MissingQueryOperator);
    let err = conditions_error(json!([
        one("nope", "equal_to", json!(["open"]), Value::Null),
        one("status", "equal_to", json!(["open"]), json!("XOR")),
    ]));
    assert_eq!(err.to_string(), "Automation conditions nope not supported.");
}

#[test]
fn empty_missing_or_non_list_conditions_are_refused() {
    for raw in [json!([]), Value::Null] {
        let err = conditions_error(raw);
        assert_eq!(err, AutomationError::ConditionsBlank);
        assert_eq!(err.to_string(), "can't be blank");
        assert_eq!(err.field(), "conditions");
    }
    assert_eq!(
        conditions_error(json!({"attribute_key": "status"})),
        AutomationError::ConditionsNotArray
    );
}

#[test]
fn an_unknown_filter_operator_is_refused_naming_the_key() {
    let err = conditions_error(json!([one("email", "near", json!(["x"]), Value::Null)]));
    assert_eq!(
        err.to_string(),
        "Automation condition email has an unsupported filter operator \"near\"."
    );
    assert_eq!(err.field(), "conditions");
    let err = conditions_error(json!([one(
        "plan",
        "days_before",
        json!(["3"]),
        Value::Null
    )]));
    assert_eq!(
        err,
        AutomationError::UnsupportedOperator {
            key: "plan".into(),
            operator: "days_before".into()
        }
    );
}

#[test]
fn attribute_changed_needs_from_and_to_lists() {
    for values in [
        json!(["open"]),
        json!({"from": ["open"]}),
        json!({"from": "open", "to": ["resolved"]}),
    ] {
        let err = conditions_error(json!([one(
            "status",
            "attribute_changed",
            values,
            Value::Null
        )]));
        assert_eq!(
            err,
            AutomationError::InvalidChangedValues {
                key: "status".into()
            }
        );
        assert!(err.to_string().contains("status"));
    }
}

#[test]
fn status_priority_and_message_type_values_may_be_codes_and_status_all_means_any() {
    let raw = json!([
        one("status", "equal_to", json!([1, "all"]), json!("AND")),
        one("priority", "equal_to", json!(["3", "none"]), json!("AND")),
        one(
            "message_type",
            "equal_to",
            json!([0, "Outgoing"]),
            Value::Null
        ),
    ]);
    let parsed = parse_conditions(&raw, |_| false).unwrap();
    let values: Vec<&Test> = parsed.groups[0].iter().map(|c| &c.test).collect();
    assert_eq!(
        values,
        vec![
            &Test::Compare {
                operator: Operator::EqualTo,
                values: vec![
                    "open".into(),
                    "resolved".into(),
                    "pending".into(),
                    "snoozed".into()
                ]
            },
            &Test::Compare {
                operator: Operator::EqualTo,
                values: vec!["urgent".into(), "nil".into()]
            },
            &Test::Compare {
                operator: Operator::EqualTo,
                values: vec!["incoming".into(), "outgoing".into()]
            },
        ]
    );
}

// ---- conditions: joining ----

#[test]
fn and_binds_tighter_than_or_and_the_last_query_operator_is_ignored() {
    let w = World::new();
    let expr = |a: &str, b: &str, c: &str| {
        json!([
            one("status", "equal_to", json!([a]), json!("AND")),
            one("priority", "equal_to", json!([b]), json!("OR")),
            one("browser_language", "equal_to", json!([c]), json!("AND")),
        ])
    };
    let parsed = parse_conditions(&expr("open", "high", "en"), |_| false).unwrap();
    assert_eq!(
        parsed.groups.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![2, 1]
    );
    assert!(w.holds(expr("open", "high", "xx")));
    assert!(w.holds(expr("resolved", "high", "en")));
    assert!(!w.holds(expr("open", "low", "xx")));
    assert!(!w.holds(expr("resolved", "high", "xx")));
}

// ---- conditions: conversation keys ----

#[test]
fn status_compares_by_name() {
    let w = World::new();
    assert!(w.check("status", "equal_to", json!(["open", "pending"])));
    assert!(w.check("status", "equal_to", json!([0])));
    assert!(!w.check("status", "equal_to", json!(["resolved"])));
    assert!(w.check("status", "not_equal_to", json!(["resolved"])));
    assert!(!w.check("status", "not_equal_to", json!(["OPEN"])));
}

#[test]
fn priority_compares_by_name_and_nil_matches_no_priority() {
    let mut w = World::new();
    assert!(w.check("priority", "equal_to", json!(["high"])));
    assert!(w.check("priority", "equal_to", json!([2])));
    assert!(!w.check("priority", "equal_to", json!(["nil"])));
    assert!(w.check("priority", "not_equal_to", json!(["urgent", "low"])));
    w.conversation.priority_code = None;
    assert!(w.check("priority", "equal_to", json!(["nil"])));
    assert!(!w.check("priority", "equal_to", json!(["high"])));
    assert!(w.check("priority", "not_equal_to", json!(["high"])));
    assert!(w.check("priority", "is_not_present", json!([])));
}

#[test]
fn ids_compare_as_integers_from_numbers_strings_or_objects() {
    let mut w = World::new();
    assert!(w.check("assignee_id", "equal_to", json!([7])));
    assert!(w.check("assignee_id", "equal_to", json!(["7"])));
    assert!(w.check("assignee_id", "equal_to", json!([{"id": 7, "name": "Bo"}])));
    assert!(w.check("assignee_id", "not_equal_to", json!([8])));
    assert!(w.check("team_id", "equal_to", json!([5])));
    assert!(!w.check("team_id", "equal_to", json!([6])));
    assert!(w.check("inbox_id", "equal_to", json!(["3"])));
    assert!(w.check("inbox_id", "not_equal_to", json!([4])));
    assert!(w.check("assignee_id", "is_present", json!([])));
    w.conversation.assignee_id = None;
    w.conversation.team_id = None;
    assert!(w.check("assignee_id", "is_not_present", json!([])));
    assert!(w.check("assignee_id", "equal_to", json!(["nil"])));
    assert!(!w.check("team_id", "equal_to", json!([5])));
    assert!(w.check("team_id", "not_equal_to", json!([5])));
}

#[test]
fn conversation_additional_attributes_compare_case_insensitively() {
    let w = World::new();
    assert!(w.check("browser_language", "equal_to", json!(["EN"])));
    assert!(w.check("conversation_language", "equal_to", json!(["fr"])));
    assert!(w.check("conversation_language", "not_equal_to", json!(["de"])));
    assert!(w.check("referer", "contains", json!(["SHOP.example"])));
    assert!(w.check("referer", "does_not_contain", json!(["checkout"])));
    assert!(w.check("mail_subject", "contains", json!(["refund"])));
    assert!(!w.check("mail_subject", "equal_to", json!(["refund"])));
}

#[test]
fn country_code_is_read_from_the_conversation_then_the_contact() {
    let mut w = World::new();
    assert!(w.check("country_code", "equal_to", json!(["de"])));
    w.conversation.additional_attributes["country_code"] = json!("FR");
    assert!(w.check("country_code", "equal_to", json!(["FR"])));
    assert!(!w.check("country_code", "equal_to", json!(["DE"])));
}

#[test]
fn labels_match_any_none_or_presence() {
    let mut w = World::new();
    assert!(w.check("labels", "equal_to", json!(["vip", "sales"])));
    assert!(!w.check("labels", "equal_to", json!(["sales"])));
    assert!(w.check("labels", "not_equal_to", json!(["sales", "spam"])));
    assert!(!w.check("labels", "not_equal_to", json!(["billing"])));
    assert!(w.check("labels", "is_present", json!([])));
    w.labels.clear();
    assert!(w.check("labels", "is_not_present", json!([])));
    assert!(!w.check("labels", "equal_to", json!(["vip"])));
}

// ---- conditions: contact keys ----

#[test]
fn contact_email_phone_city_and_company_are_read_from_the_contact() {
    let w = World::new();
    assert!(w.check("email", "equal_to", json!(["ADA@example.com"])));
    assert!(w.check("email", "contains", json!(["@example"])));
    assert!(w.check("email", "does_not_contain", json!(["gmail"])));
    assert!(w.check("phone_number", "starts_with", json!(["+49"])));
    assert!(!w.check("phone_number", "starts_with", json!(["+33"])));
    assert!(w.check("city", "equal_to", json!(["berlin"])));
    assert!(w.check("company", "contains", json!(["acme"])));
    assert!(w.check("company", "not_equal_to", json!(["Initech"])));
}

#[test]
fn a_missing_value_fails_equality_and_passes_negations() {
    let mut w = World::new();
    w.contact.email = None;
    w.contact.additional_attributes = json!({});
    assert!(!w.check("email", "equal_to", json!(["ada@example.com"])));
    assert!(w.check("email", "not_equal_to", json!(["ada@example.com"])));
    assert!(!w.check("email", "contains", json!(["ada"])));
    assert!(w.check("email", "does_not_contain", json!(["ada"])));
    assert!(w.check("email", "is_not_present", json!([])));
    assert!(!w.check("email", "is_present", json!([])));
    assert!(!w.check("city", "starts_with", json!(["B"])));
    assert!(w.check("company", "is_not_present", json!([])));
}

// ---- conditions: message keys ----

#[test]
fn content_matches_any_message_case_insensitively() {
    let mut w = World::new();
    assert!(w.check("content", "contains", json!(["refund", "cancel"])));
    assert!(w.check("content", "equal_to", json!(["sure, ON IT"])));
    assert!(!w.check("content", "contains", json!(["invoice"])));
    assert!(w.check("content", "does_not_contain", json!(["refund"])));
    w.messages.truncate(1);
    assert!(!w.check("content", "does_not_contain", json!(["refund"])));
    assert!(w.check("content", "not_equal_to", json!(["hi"])));
    w.messages.clear();
    assert!(!w.check("content", "contains", json!(["refund"])));
    assert!(w.check("content", "is_not_present", json!([])));
    assert!(!w.check("message_type", "equal_to", json!(["incoming"])));
}

#[test]
fn message_type_matches_by_name_or_code() {
    let mut w = World::new();
    w.messages = vec![(MessageType::Outgoing, None)];
    assert!(w.check("message_type", "equal_to", json!(["outgoing"])));
    assert!(w.check("message_type", "equal_to", json!([1])));
    assert!(!w.check("message_type", "equal_to", json!(["incoming"])));
    assert!(w.check("message_type", "not_equal_to", json!(["incoming"])));
    assert!(w.check("content", "is_not_present", json!([])));
}

#[test]
fn message_keys_joined_by_and_must_hold_for_the_same_message() {
    let w = World::new();
    let same = |kind: &str, text: &str| {
        w.holds(json!([
            one("message_type", "equal_to", json!([kind]), json!("AND")),
            one("content", "contains", json!([text]), Value::Null),
        ]))
    };
    assert!(same("incoming", "refund"));
    assert!(same("outgoing", "on it"));
    assert!(!same("outgoing", "refund"));
}

// ---- conditions: custom attributes and ordering ----

#[test]
fn custom_attributes_are_read_from_the_conversation_then_the_contact() {
    let w = World::new();
    assert!(w.check("plan", "equal_to", json!(["gold"])));
    assert!(!w.check("plan", "equal_to", json!(["silver"])));
    assert!(w.check("tier", "equal_to", json!(["vip"])));
    assert!(w.check("seats", "equal_to", json!([12])));
    assert!(w.check("tier", "is_present", json!([])));
    let narrowed = |model: &str, value: &str| {
        w.holds(
            json!([{"attribute_key": "plan", "filter_operator": "equal_to",
            "values": [value], "custom_attribute_type": model}]),
        )
    };
    assert!(narrowed("contact_attribute", "Silver"));
    assert!(!narrowed("contact_attribute", "Gold"));
    assert!(narrowed("conversation_attribute", "Gold"));
    assert!(!w.holds(
        json!([{"attribute_key": "tier", "filter_operator": "is_present",
        "values": [], "custom_attribute_type": "conversation_attribute"}])
    ));
}

#[test]
fn greater_and_less_than_compare_numbers_numerically_and_dates_as_text() {
    let w = World::new();
    assert!(w.check("seats", "is_greater_than", json!([9])));
    assert!(!w.check("seats", "is_greater_than", json!(["100"])));
    assert!(w.check("seats", "is_less_than", json!(["100"])));
    assert!(w.check("renewal", "is_greater_than", json!(["2025-01-31"])));
    assert!(w.check("renewal", "is_less_than", json!(["2025-12-01"])));
    assert!(!w.check("tier", "is_less_than", json!([])));
}

// ---- conditions: attribute_changed ----

fn changed(key: &str, from: Value, to: Value) -> Value {
    json!([one(
        key,
        "attribute_changed",
        json!({"from": from, "to": to}),
        Value::Null
    )])
}

#[test]
fn attribute_changed_reads_confabs_recorded_changes() {
    let mut w = World::new();
    w.changed = json!({"status": {"previous_value": "open", "current_value": "resolved"}});
    assert!(w.holds(changed(
        "status",
        json!(["open", "pending"]),
        json!(["resolved"])
    )));
    assert!(w.holds(changed("status", json!([0]), json!([1]))));
    assert!(!w.holds(changed("status", json!(["resolved"]), json!(["open"]))));
    assert!(!w.holds(changed("priority", json!(["nil"]), json!(["high"]))));
    w.changed = json!({"assignee_id": {"previous_value": null, "current_value": 7}});
    assert!(w.holds(changed("assignee_id", json!(["nil"]), json!(["7"]))));
    assert!(w.holds(changed("assignee_id", json!([null]), json!([{"id": 7}]))));
    w.changed = json!({"priority": {"previous_value": null, "current_value": "urgent"}});
    assert!(w.holds(changed("priority", json!(["none"]), json!(["urgent"]))));
    w.changed = Value::Null;
    assert!(!w.holds(changed("status", json!(["open"]), json!(["resolved"]))));
}

#[test]
fn attribute_changed_reads_pairs_and_the_webhook_list_form() {
    let mut w = World::new();
    w.changed = json!({"status": [1, 0]});
    assert!(w.holds(changed("status", json!(["resolved"]), json!(["open"]))));
    w.changed = json!([
        {"team_id": {"previous_value": 2, "current_value": 5}},
        {"status": {"previous_value": "pending", "current_value": "open"}}
    ]);
    assert!(w.holds(changed("status", json!(["pending"]), json!(["open"]))));
    assert!(w.holds(changed("team_id", json!(["2"]), json!([5]))));
}

#[test]
fn attribute_changed_sees_custom_attributes_and_labels_inside_recorded_diffs() {
    let mut w = World::new();
    w.changed = json!({"custom_attributes": {
        "previous_value": {"plan": "Silver", "seats": 3},
        "current_value": {"plan": "Gold", "seats": 3}}});
    assert!(w.holds(changed("plan", json!(["silver"]), json!(["gold"]))));
    assert!(!w.holds(changed("seats", json!([3]), json!([3]))));
    w.changed =
        json!({"label_list": {"previous_value": ["billing"], "current_value": ["billing", "vip"]}});
    assert!(w.holds(changed("labels", json!([]), json!(["vip"]))));
    assert!(!w.holds(changed("labels", json!([]), json!(["billing"]))));
    assert!(!w.holds(changed("labels", json!(["billing"]), json!([]))));
}

#[test]
fn attribute_changed_joins_with_other_conditions() {
    let mut w = World::new();
    w.changed = json!({"status": {"previous_value": "pending", "current_value": "open"}});
    let rule = |team: i64| {
        json!([
            one(
                "status",
                "attribute_changed",
                json!({"from": ["pending"], "to": ["open"]}),
                json!("AND")
            ),
            one("team_id", "equal_to", json!([team]), Value::Null),
        ])
    };
    assert!(w.holds(rule(5)));
    assert!(!w.holds(rule(6)));
}

// ---- actions ----

#[test]
fn every_action_parses_into_its_typed_form() {
    let raw = json!([
        {"action_name": "send_message", "action_params": ["Hi there"]},
        {"action_name": "add_private_note", "action_params": ["Check the refund"]},
        {"action_name": "add_label", "action_params": ["billing", "vip"]},
        {"action_name": "remove_label", "action_params": ["spam"]},
        {"action_name": "assign_agent", "action_params": [7]},
        {"action_name": "assign_team", "action_params": ["5"]},
        {"action_name": "send_email_to_team", "action_params": [{"team_ids": [1, "2"], "message": "Look"}]},
        {"action_name": "send_email_transcript", "action_params": ["a@x.io, b@y.io,{{contact.email}}"]},
        {"action_name": "mute_conversation", "action_params": []},
        {"action_name": "snooze_conversation"},
        {"action_name": "resolve_conversation", "action_params": null},
        {"action_name": "open_conversation", "action_params": []},
        {"action_name": "change_status", "action_params": ["pending"]},
        {"action_name": "change_priority", "action_params": ["urgent"]},
        {"action_name": "send_webhook_event", "action_params": ["https://hooks.example/x"]},
        {"action_name": "send_attachment", "action_params": [12, "13"]},
    ]);
    let actions = parse_actions(&raw).unwrap();
    assert_eq!(
        actions,
        vec![
            Action::SendMessage("Hi there".into()),
            Action::AddPrivateNote("Check the refund".into()),
            Action::AddLabel(vec!["billing".into(), "vip".into()]),
            Action::RemoveLabel(vec!["spam".into()]),
            Action::AssignAgent(Some(UserId(7))),
            Action::AssignTeam(Some(TeamId(5))),
            Action::SendEmailToTeam {
                team_ids: vec![TeamId(1), TeamId(2)],
                message: "Look".into()
            },
            Action::SendEmailTranscript(vec![
                "a@x.io".into(),
                "b@y.io".into(),
                "{{contact.email}}".into()
            ]),
            Action::MuteConversation,
            Action::SnoozeConversation,
            Action::ResolveConversation,
            Action::OpenConversation,
            Action::ChangeStatus(ConversationStatus::Pending),
            Action::ChangePriority(Some(Priority::Urgent)),
            Action::SendWebhookEvent("https://hooks.example/x".into()),
            Action::SendAttachment(vec![12, 13]),
        ]
    );
    let names: Vec<&str> = actions.iter().map(Action::name).collect();
    let wire: Vec<&str> = raw
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, wire);
    assert_eq!(names, ACTION_NAMES);
}

fn action(name: &str, params: Value) -> Result<Action, AutomationError> {
    parse_actions(&json!([{"action_name": name, "action_params": params}])).map(|mut a| a.remove(0))
}

#[test]
fn nil_forms_unassign_and_clear() {
    assert_eq!(
        action("assign_agent", json!(["nil"])),
        Ok(Action::AssignAgent(None))
    );
    assert_eq!(
        action("assign_agent", json!([null])),
        Ok(Action::AssignAgent(None))
    );
    assert_eq!(
        action("assign_agent", json!([{"id": "9"}])),
        Ok(Action::AssignAgent(Some(UserId(9))))
    );
    for params in [
        json!(["nil"]),
        json!([0]),
        json!(["0"]),
        json!([]),
        json!([null]),
    ] {
        assert_eq!(action("assign_team", params), Ok(Action::AssignTeam(None)));
    }
    for params in [json!(["nil"]), json!(["none"]), json!([null]), json!([""])] {
        assert_eq!(
            action("change_priority", params),
            Ok(Action::ChangePriority(None))
        );
    }
    assert_eq!(
        action("change_priority", json!([1])),
        Ok(Action::ChangePriority(Some(Priority::Medium)))
    );
    assert_eq!(
        action("change_status", json!(["Resolved"])),
        Ok(Action::ChangeStatus(ConversationStatus::Resolved))
    );
}

#[test]
fn malformed_params_are_refused_naming_the_action() {
    let cases = [
        ("send_message", json!([])),
        ("send_message", json!([5])),
        ("add_private_note", json!(["  "])),
        ("add_label", json!([])),
        ("remove_label", json!([3])),
        ("assign_agent", json!([])),
        ("assign_agent", json!(["bob"])),
        ("assign_agent", json!([-4])),
        ("assign_team", json!(["team a"])),
        ("send_email_to_team", json!([])),
        (
            "send_email_to_team",
            json!([{"team_ids": [], "message": "x"}]),
        ),
        ("send_email_to_team", json!([{"team_ids": [1]}])),
        ("send_email_to_team", json!(["1"])),
        ("send_email_transcript", json!([])),
        ("send_email_transcript", json!([" , "])),
        ("send_email_transcript", json!([5])),
        ("change_status", json!(["closed"])),
        ("change_status", json!([])),
        ("change_priority", json!(["critical"])),
        ("change_priority", json!([])),
        ("send_webhook_event", json!(["ftp://x.example"])),
        ("send_webhook_event", json!([])),
        ("send_attachment", json!([])),
        ("send_attachment", json!(["blob"])),
    ];
    for (name, params) in cases {
        let err = action(name, params.clone()).unwrap_err();
        assert!(
            matches!(&err, AutomationError::InvalidActionParams { name: n, .. } if n == name),
            "{name} {params}: {err:?}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("Automation action {name} has invalid params: "))
        );
        assert_eq!(err.field(), "actions");
    }
}

#[test]
fn unknown_action_names_are_all_named_in_upstreams_message() {
    let err = parse_actions(&json!([
        {"action_name": "fly", "action_params": []},
        {"action_name": "resolve_conversation", "action_params": []},
        {"action_name": "swim"},
    ]))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Automation actions fly,swim not supported."
    );
    assert_eq!(err.field(), "actions");
}

#[test]
fn empty_missing_or_non_list_actions_are_refused() {
    for raw in [json!([]), Value::Null] {
        let err = parse_actions(&raw).unwrap_err();
        assert_eq!(err, AutomationError::ActionsBlank);
        assert_eq!(err.to_string(), "can't be blank");
    }
    assert_eq!(
        parse_actions(&json!("send_message")).unwrap_err(),
        AutomationError::ActionsNotArray
    );
}

// ---- events ----

#[test]
fn only_the_five_rule_events_are_accepted() {
    for event in AUTOMATION_EVENTS {
        assert_eq!(validate_event(event), Ok(()));
    }
    let err = validate_event("contact_created").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Automation event contact_created not supported."
    );
    assert_eq!(err.field(), "event_name");
    assert_eq!(validate_event(" "), Err(AutomationError::EventNameBlank));
}
