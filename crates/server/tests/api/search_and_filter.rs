//! Finding conversations: `conversations/search`, the list's `q` and other parameters,
//! `conversations/meta` and the filter DSL of `conversations/filter` (§6.1, §7, §12.11).

use serde_json::{Value, json};

use crate::conversations::{conversation, setup};
use crate::helpers::{Resp, Tenant, TestApp, acc};
use crate::messages::{Side, post_message as message};

const DAY: i64 = 86_400;

pub(crate) fn display_ids(payload: &Value) -> Vec<i64> {
    assert!(payload.is_array(), "payload is a list: {payload}");
    payload
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

pub(crate) fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

pub(crate) async fn get_ok(app: &TestApp, path: &str, token: &str) -> Value {
    let r = app.get(path, token).await;
    assert_eq!(r.status, 200, "{path}: {:?}", r.body);
    r.body
}

async fn filter(app: &TestApp, t: &Tenant, token: &str, body: Value) -> Resp {
    app.post(&acc(t, "/conversations/filter"), token, body)
        .await
}

fn cond(key: &str, op: &str, values: Value, query_operator: Option<&str>) -> Value {
    json!({ "attribute_key": key, "filter_operator": op, "values": values, "query_operator": query_operator })
}

async fn filtered(app: &TestApp, t: &Tenant, conditions: Vec<Value>) -> Value {
    let r = filter(app, t, &t.admin, json!({ "payload": conditions })).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

// ---------------------------------------------------------------------------------------------
// Filter and list parameters

/// Five conversations, one a day from T0, through a server whose clock moves:
/// | # | inbox   | status   | priority | assignee | labels       | custom attributes      |
/// | 1 | Support | open     | high     | admin    | vip          | plan Gold, seats 10    |
/// | 2 | Support | pending  | –        | –        | billing      | –                      |
/// | 3 | Other   | resolved | low      | agent    | vip, billing | plan silver, seats 3   |
/// | 4 | Other   | open     | urgent   | –        | –            | seats 25               |
/// | 5 | Support | snoozed  | –        | agent    | –            | –                      |
struct Fixture {
    support: i64,
    other: i64,
}

/// Inbox, status, priority, assignee, labels, custom attributes.
type Row<'a> = (
    i64,
    &'a str,
    Option<&'a str>,
    Option<i64>,
    Vec<&'a str>,
    Value,
);

async fn fixture(app: &TestApp, side: &Side, t: &Tenant) -> Fixture {
    let (support, contact) = setup(app, t).await;
    let other = app.api_inbox(t, "Other").await["id"].as_i64().unwrap();
    let r = app
        .post(
            &acc(t, "/inbox_members"),
            &t.admin,
            json!({ "inbox_id": other, "user_ids": [t.admin_id, t.agent_id] }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    for (key, kind) in [("plan", "text"), ("seats", "number")] {
        let r = app
            .post(
                &acc(t, "/custom_attribute_definitions"),
                &t.admin,
                json!({ "custom_attribute_definition": {
                    "attribute_display_name": key,
                    "attribute_key": key,
                    "attribute_display_type": kind,
                    "attribute_model": "conversation_attribute",
                } }),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    let rows: [Row; 5] = [
        (
            support,
            "open",
            Some("high"),
            Some(t.admin_id),
            vec!["vip"],
            json!({ "plan": "Gold", "seats": 10 }),
        ),
        (support, "pending", None, None, vec!["billing"], json!({})),
        (
            other,
            "resolved",
            Some("low"),
            Some(t.agent_id),
            vec!["vip", "billing"],
            json!({ "plan": "silver", "seats": 3 }),
        ),
        (
            other,
            "open",
            Some("urgent"),
            None,
            vec![],
            json!({ "seats": 25 }),
        ),
        (
            support,
            "snoozed",
            None,
            Some(t.agent_id),
            vec![],
            json!({}),
        ),
    ];
    for (i, (inbox, status, priority, assignee, labels, custom)) in rows.into_iter().enumerate() {
        side.clock.advance_seconds(if i == 0 { 0 } else { DAY });
        let mut body =
            json!({ "inbox_id": inbox, "contact_id": contact, "custom_attributes": custom });
        if let Some(a) = assignee {
            body["assignee_id"] = json!(a);
        }
        let r = side
            .post(app, &acc(t, "/conversations"), &t.admin, body)
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        assert_eq!(id, i as i64 + 1);
        if status != "open" {
            let r = side
                .post(
                    app,
                    &acc(t, &format!("/conversations/{id}/toggle_status")),
                    &t.admin,
                    json!({ "status": status }),
                )
                .await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            assert_eq!(r.body["payload"]["current_status"], status);
        }
        if let Some(p) = priority {
            let r = side
                .post(
                    app,
                    &acc(t, &format!("/conversations/{id}/toggle_priority")),
                    &t.admin,
                    json!({ "priority": p }),
                )
                .await;
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
        if !labels.is_empty() {
            let r = side
                .post(
                    app,
                    &acc(t, &format!("/conversations/{id}/labels")),
                    &t.admin,
                    json!({ "labels": labels }),
                )
                .await;
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
    }
    Fixture { support, other }
}

/// Runs each filter and lists every case whose (sorted) result differs from the expected one,
/// so one run shows all the cases a server gets wrong.
async fn check_filters(app: &TestApp, t: &Tenant, cases: Vec<(&str, Vec<Value>, Vec<i64>)>) {
    let mut wrong = Vec::new();
    for (name, conditions, expected) in cases {
        let r = filter(app, t, &t.admin, json!({ "payload": conditions })).await;
        let got = if r.status == 200 {
            format!("{:?}", sorted(display_ids(&r.body["payload"])))
        } else {
            format!("{} {}", r.status, r.body)
        };
        if got != format!("{expected:?}") {
            wrong.push(format!("{name}: expected {expected:?}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn filter_by_status_priority_and_assignee() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    fixture(&app, &side, &t).await;
    check_filters(
        &app,
        &t,
        vec![
            (
                "status equal_to open,pending",
                vec![cond("status", "equal_to", json!(["open", "pending"]), None)],
                vec![1, 2, 4],
            ),
            (
                "status equal_to all",
                vec![cond("status", "equal_to", json!(["all"]), None)],
                vec![1, 2, 3, 4, 5],
            ),
            (
                "status not_equal_to open",
                vec![cond("status", "not_equal_to", json!(["open"]), None)],
                vec![2, 3, 5],
            ),
            (
                "priority equal_to high,urgent",
                vec![cond(
                    "priority",
                    "equal_to",
                    json!(["high", "urgent"]),
                    None,
                )],
                vec![1, 4],
            ),
            (
                "assignee_id is_present",
                vec![cond("assignee_id", "is_present", json!([]), None)],
                vec![1, 3, 5],
            ),
            (
                "assignee_id is_not_present",
                vec![cond("assignee_id", "is_not_present", json!([]), None)],
                vec![2, 4],
            ),
            (
                "assignee_id equal_to agent",
                vec![cond("assignee_id", "equal_to", json!([t.agent_id]), None)],
                vec![3, 5],
            ),
        ],
    )
    .await;

    let open_pending = filtered(
        &app,
        &t,
        vec![cond("status", "equal_to", json!(["open", "pending"]), None)],
    )
    .await;
    assert_eq!(
        open_pending["meta"],
        json!({ "mine_count": 1, "unassigned_count": 2, "all_count": 3 }),
        "counts without assigned_count"
    );
    assert_eq!(
        display_ids(&open_pending["payload"]),
        vec![4, 2, 1],
        "newest activity first"
    );
    assert_eq!(open_pending["payload"][0]["status"], "open");
    let assigned = filtered(
        &app,
        &t,
        vec![cond("assignee_id", "is_present", json!([]), None)],
    )
    .await;
    assert_eq!(
        assigned["meta"],
        json!({ "mine_count": 1, "unassigned_count": 0, "all_count": 3 })
    );
}

#[tokio::test]
async fn filter_by_labels() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    fixture(&app, &side, &t).await;
    let labels = |op: &str, values: Value| vec![cond("labels", op, values, None)];
    check_filters(
        &app,
        &t,
        vec![
            (
                "labels equal_to vip",
                labels("equal_to", json!(["vip"])),
                vec![1, 3],
            ),
            (
                "labels equal_to vip,billing (any)",
                labels("equal_to", json!(["vip", "billing"])),
                vec![1, 2, 3],
            ),
            (
                "labels not_equal_to vip (has none of)",
                labels("not_equal_to", json!(["vip"])),
                vec![2, 4, 5],
            ),
            (
                "labels is_present",
                labels("is_present", json!([])),
                vec![1, 2, 3],
            ),
            (
                "labels is_not_present",
                labels("is_not_present", json!([])),
                vec![4, 5],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn filter_by_inbox_display_id_and_creation_day() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    let fx = fixture(&app, &side, &t).await;
    // T0 is 2026-11-18; conversation n was created n-1 days later.
    check_filters(
        &app,
        &t,
        vec![
            (
                "created_at is_greater_than 2026-11-19",
                vec![cond(
                    "created_at",
                    "is_greater_than",
                    json!(["2026-11-19"]),
                    None,
                )],
                vec![3, 4, 5],
            ),
            (
                "created_at is_less_than 2026-11-19",
                vec![cond(
                    "created_at",
                    "is_less_than",
                    json!(["2026-11-19"]),
                    None,
                )],
                vec![1],
            ),
            (
                "inbox_id equal_to Other",
                vec![cond("inbox_id", "equal_to", json!([fx.other]), None)],
                vec![3, 4],
            ),
            (
                "inbox_id equal_to Support (id as a string)",
                vec![cond(
                    "inbox_id",
                    "equal_to",
                    json!([fx.support.to_string()]),
                    None,
                )],
                vec![1, 2, 5],
            ),
            (
                "inbox_id not_equal_to Support",
                vec![cond("inbox_id", "not_equal_to", json!([fx.support]), None)],
                vec![3, 4],
            ),
            (
                "display_id equal_to 2",
                vec![cond("display_id", "equal_to", json!(["2"]), None)],
                vec![2],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn filter_by_text_and_number_custom_attributes() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    fixture(&app, &side, &t).await;
    check_filters(
        &app,
        &t,
        vec![
            (
                "plan equal_to gold (text, case-insensitive)",
                vec![cond("plan", "equal_to", json!(["gold"]), None)],
                vec![1],
            ),
            (
                "plan not_equal_to GOLD (also rows without the key)",
                vec![cond("plan", "not_equal_to", json!(["GOLD"]), None)],
                vec![2, 3, 4, 5],
            ),
            (
                "seats is_greater_than 5 (numeric: 10, 25 > 5 > 3)",
                vec![cond("seats", "is_greater_than", json!([5]), None)],
                vec![1, 4],
            ),
            (
                "seats is_less_than \"10\"",
                vec![cond("seats", "is_less_than", json!(["10"]), None)],
                vec![3],
            ),
            (
                "seats equal_to 3",
                vec![cond("seats", "equal_to", json!([3]), None)],
                vec![3],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn filter_conditions_join_with_and_binding_tighter_than_or() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    let fx = fixture(&app, &side, &t).await;
    check_filters(
        &app,
        &t,
        vec![
            (
                // (seats>5 AND gold) OR created<11-20 = {1} ∪ {1,2}; left to right would be {1}
                "seats>5 AND plan=gold OR created<2026-11-20",
                vec![
                    cond("seats", "is_greater_than", json!([5]), Some("AND")),
                    cond("plan", "equal_to", json!(["gold"]), Some("OR")),
                    cond("created_at", "is_less_than", json!(["2026-11-20"]), None),
                ],
                vec![1, 2],
            ),
            (
                // created>11-20 OR (seats>5 AND gold) = {4,5} ∪ {1}; left to right would be {1}
                "created>2026-11-20 or seats>5 and plan=gold",
                vec![
                    cond(
                        "created_at",
                        "is_greater_than",
                        json!(["2026-11-20"]),
                        Some("or"),
                    ),
                    cond("seats", "is_greater_than", json!([5]), Some("and")),
                    cond("plan", "equal_to", json!(["gold"]), None),
                ],
                vec![1, 4, 5],
            ),
            (
                // (open AND high) OR pending = {1} ∪ {2}; left to right would be {1}
                "status=open AND priority=high OR status=pending",
                vec![
                    cond("status", "equal_to", json!(["open"]), Some("AND")),
                    cond("priority", "equal_to", json!(["high"]), Some("OR")),
                    cond("status", "equal_to", json!(["pending"]), None),
                ],
                vec![1, 2],
            ),
            (
                // Other OR (open AND high) = {3,4} ∪ {1}; left to right would be {1}
                "inbox=Other or status=open and priority=high",
                vec![
                    cond("inbox_id", "equal_to", json!([fx.other]), Some("or")),
                    cond("status", "equal_to", json!(["open"]), Some("and")),
                    cond("priority", "equal_to", json!(["high"]), None),
                ],
                vec![1, 3, 4],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn filter_errors_are_chatwoots_exact_422_texts() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let cases = [
        (
            vec![cond("shoe_size", "equal_to", json!(["9"]), None)],
            "Invalid attribute key - [shoe_size]. The key should be one of [status,assignee_id,inbox_id,team_id,priority,display_id,campaign_id,labels,browser_language,conversation_language,country_code,referer,created_at,last_activity_at,mail_subject] or a custom attribute defined in the account.",
        ),
        (
            vec![cond("status", "contains", json!(["op"]), None)],
            "Invalid operator. The allowed operators for status are [equal_to,not_equal_to].",
        ),
        (
            vec![cond("labels", "is_greater_than", json!(["a"]), None)],
            "Invalid operator. The allowed operators for labels are [equal_to,not_equal_to,is_present,is_not_present].",
        ),
        (
            vec![cond("priority", "equal_to", json!([]), None)],
            "Invalid value. The values provided for priority are invalid",
        ),
        (
            vec![
                cond("status", "equal_to", json!(["open"]), Some("XOR")),
                cond("priority", "equal_to", json!(["high"]), None),
            ],
            "Query operator must be either \"AND\" or \"OR\".",
        ),
    ];
    let mut wrong = Vec::new();
    for (conditions, text) in cases {
        let r = filter(&app, &t, &t.admin, json!({ "payload": conditions })).await;
        if r.status != 422 || r.body != json!({ "error": text }) {
            wrong.push(format!(
                "expected 422 {{\"error\":{text:?}}}\n     got {} {}",
                r.status, r.body
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn the_list_narrows_by_status_assignee_type_inbox_and_labels_with_counts_before_assignee_type()
 {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    let fx = fixture(&app, &side, &t).await;
    let list = |query: String| {
        let app = &app;
        let t = &t;
        async move { get_ok(app, &acc(t, &format!("/conversations{query}")), &t.admin).await }
    };

    let open = list(String::new()).await;
    assert_eq!(display_ids(&open["data"]["payload"]), vec![4, 1]);
    assert_eq!(
        open["data"]["meta"],
        json!({ "mine_count": 1, "assigned_count": 1, "unassigned_count": 1, "all_count": 2 })
    );
    let all = list("?status=all".into()).await;
    assert_eq!(display_ids(&all["data"]["payload"]), vec![5, 4, 3, 2, 1]);
    let resolved = list("?status=resolved".into()).await;
    assert_eq!(display_ids(&resolved["data"]["payload"]), vec![3]);
    assert_eq!(resolved["data"]["payload"][0]["status"], "resolved");
    let snoozed = list("?status=snoozed".into()).await;
    assert_eq!(display_ids(&snoozed["data"]["payload"]), vec![5]);
    let pending = list("?status=pending".into()).await;
    assert_eq!(display_ids(&pending["data"]["payload"]), vec![2]);

    let counts =
        json!({ "mine_count": 1, "assigned_count": 3, "unassigned_count": 2, "all_count": 5 });
    for (assignee_type, expected) in [
        ("me", vec![1]),
        ("unassigned", vec![4, 2]),
        ("assigned", vec![5, 3, 1]),
        ("all", vec![5, 4, 3, 2, 1]),
    ] {
        let query = format!("?status=all&assignee_type={assignee_type}");
        let page = list(query.clone()).await;
        assert_eq!(
            display_ids(&page["data"]["payload"]),
            expected,
            "{assignee_type}"
        );
        assert_eq!(
            page["data"]["meta"], counts,
            "{assignee_type}: counts are taken before the assignee_type narrowing"
        );
        let meta = get_ok(
            &app,
            &acc(&t, &format!("/conversations/meta{query}")),
            &t.admin,
        )
        .await;
        assert_eq!(
            meta,
            json!({ "meta": counts }),
            "{assignee_type}: meta agrees with the list"
        );
    }
    let agent_view = get_ok(
        &app,
        &acc(&t, "/conversations?status=all&assignee_type=me"),
        &t.agent,
    )
    .await;
    assert_eq!(display_ids(&agent_view["data"]["payload"]), vec![5, 3]);
    assert_eq!(
        agent_view["data"]["meta"],
        json!({ "mine_count": 2, "assigned_count": 3, "unassigned_count": 2, "all_count": 5 })
    );

    let other = list(format!("?status=all&inbox_id={}", fx.other)).await;
    assert_eq!(display_ids(&other["data"]["payload"]), vec![4, 3]);
    assert_eq!(
        other["data"]["meta"],
        json!({ "mine_count": 0, "assigned_count": 1, "unassigned_count": 1, "all_count": 2 })
    );
    let meta = get_ok(
        &app,
        &acc(
            &t,
            &format!("/conversations/meta?status=all&inbox_id={}", fx.other),
        ),
        &t.admin,
    )
    .await;
    assert_eq!(meta["meta"], other["data"]["meta"]);

    let vip = list("?status=all&labels[]=vip".into()).await;
    assert_eq!(display_ids(&vip["data"]["payload"]), vec![3, 1]);
    assert_eq!(vip["data"]["meta"]["all_count"], 2);
    let any = list("?status=all&labels[]=vip&labels[]=billing".into()).await;
    assert_eq!(
        display_ids(&any["data"]["payload"]),
        vec![3, 2, 1],
        "labels match any"
    );
}

#[tokio::test]
async fn the_list_sorts_by_creation_and_by_priority() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    fixture(&app, &side, &t).await;
    let by = |sort: &str| format!("/conversations?status=all&sort_by={sort}");
    let created = get_ok(&app, &acc(&t, &by("created_at_asc")), &t.admin).await;
    assert_eq!(
        display_ids(&created["data"]["payload"]),
        vec![1, 2, 3, 4, 5]
    );
    let created_desc = get_ok(&app, &acc(&t, &by("created_at_desc")), &t.admin).await;
    assert_eq!(
        display_ids(&created_desc["data"]["payload"]),
        vec![5, 4, 3, 2, 1]
    );
    // urgent, high, low, then no priority by latest activity.
    let priority = get_ok(&app, &acc(&t, &by("priority_desc")), &t.admin).await;
    assert_eq!(
        display_ids(&priority["data"]["payload"]),
        vec![4, 1, 3, 5, 2]
    );
    let priority_asc = get_ok(&app, &acc(&t, &by("priority_asc")), &t.admin).await;
    assert_eq!(
        display_ids(&priority_asc["data"]["payload"]),
        vec![3, 1, 4, 5, 2]
    );
}

#[tokio::test]
async fn lists_and_filters_page_by_twenty_five() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    for _ in 0..27 {
        conversation(&app, &t, inbox, contact, json!({})).await;
    }
    let first = get_ok(&app, &acc(&t, "/conversations"), &t.admin).await;
    assert_eq!(
        display_ids(&first["data"]["payload"]),
        (3..=27).rev().collect::<Vec<i64>>()
    );
    assert_eq!(first["data"]["meta"]["all_count"], 27);
    let second = get_ok(&app, &acc(&t, "/conversations?page=2"), &t.admin).await;
    assert_eq!(display_ids(&second["data"]["payload"]), vec![2, 1]);
    assert_eq!(second["data"]["meta"]["all_count"], 27);
    let third = get_ok(&app, &acc(&t, "/conversations?page=3"), &t.admin).await;
    assert_eq!(third["data"]["payload"], json!([]));

    let since = cond("created_at", "is_greater_than", json!(["2000-01-01"]), None);
    let body = json!({ "payload": [since.clone()], "page": 2 });
    let r = filter(&app, &t, &t.admin, body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(display_ids(&r.body["payload"]), vec![2, 1]);
    assert_eq!(r.body["meta"]["all_count"], 27);
    // Past the end: no conversation, and still the counts of the whole list.
    let body = json!({ "payload": [since.clone()], "page": 3 });
    let r = filter(&app, &t, &t.admin, body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["payload"], json!([]));
    assert_eq!(r.body["meta"]["all_count"], 27);
    assert_eq!(r.body["meta"]["unassigned_count"], 27);
    let r = filter(&app, &t, &t.admin, json!({ "payload": [since] })).await;
    assert_eq!(r.body["payload"].as_array().unwrap().len(), 25);
}

#[tokio::test]
async fn an_agent_finds_only_conversations_of_inboxes_they_belong_to() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (member_inbox, contact) = setup(&app, &t).await;
    let closed_inbox = app.api_inbox(&t, "Admins only").await["id"]
        .as_i64()
        .unwrap();
    let mine = conversation(&app, &t, member_inbox, contact, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let hidden = conversation(&app, &t, closed_inbox, contact, json!({})).await["id"]
        .as_i64()
        .unwrap();
    for conv in [mine, hidden] {
        message(
            &app,
            &t,
            conv,
            json!({ "content": "Refund please", "message_type": "incoming" }),
        )
        .await;
    }
    let everything =
        json!({ "payload": [cond("created_at", "is_greater_than", json!(["2000-01-01"]), None)] });
    for (token, expected) in [(&t.agent, vec![mine]), (&t.admin, vec![hidden, mine])] {
        let who = if *token == t.agent { "agent" } else { "admin" };
        let n = expected.len();
        let list = get_ok(&app, &acc(&t, "/conversations?status=all"), token).await;
        assert_eq!(display_ids(&list["data"]["payload"]), expected, "{who}");
        assert_eq!(list["data"]["meta"]["all_count"], n, "{who}");
        let meta = get_ok(&app, &acc(&t, "/conversations/meta?status=all"), token).await;
        assert_eq!(meta["meta"]["all_count"], n, "{who}");
        let q = get_ok(&app, &acc(&t, "/conversations?q=refund"), token).await;
        assert_eq!(display_ids(&q["data"]["payload"]), expected, "{who}");
        let search = get_ok(&app, &acc(&t, "/conversations/search?q=refund"), token).await;
        assert_eq!(display_ids(&search["payload"]), expected, "{who}");
        assert_eq!(search["meta"]["all_count"], n, "{who}");
        let by_contact = get_ok(&app, &acc(&t, "/conversations/search?q=jane"), token).await;
        assert_eq!(display_ids(&by_contact["payload"]), expected, "{who}");
        let r = filter(&app, &t, token, everything.clone()).await;
        assert_eq!(r.status, 200, "{who}: {:?}", r.body);
        assert_eq!(display_ids(&r.body["payload"]), expected, "{who}");
        assert_eq!(r.body["meta"]["all_count"], n, "{who}");
    }
}
