//! Fernand's dialect (`/fernand/…`, `X-API-Key`): the documented PATCH calls, one conversation
//! through both dialects, the snooze grammar, keyset paging over a changing list, the query
//! language, service keys' scopes and attribution, the timeline, the contact search and the
//! events a Fernand change fires.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::conversations::{activities, conversation, incoming, messages, setup, show, toggle};
use crate::helpers::{Tenant, TestApp, acc, assert_invalid};
use crate::service_keys::{ALL_SCOPES, create_key as api_key};
use crate::webhook_sink::WebhookSink;

/// The test clock's start: 2026-11-18T11:06:40Z, a Wednesday (12:06:40 CET in Paris).
const START: i64 = 1_795_000_000;

/// A Fernand request, with `X-API-Key` when `key` is given.
async fn fernand(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.client.request(method, format!("{}{}", app.base, path));
    if let Some(k) = key {
        req = req.header("X-API-Key", k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// A GET that must answer 200.
async fn fget(app: &TestApp, path: &str, key: &str) -> Value {
    let (status, body) = fernand(app, Method::GET, path, Some(key), None).await;
    assert_eq!(status, 200, "GET {path}: {body:?}");
    body
}

async fn fpatch(app: &TestApp, id: i64, key: &str, body: Value) -> (StatusCode, Value) {
    fernand(
        app,
        Method::PATCH,
        &format!("/fernand/conversations/{id}"),
        Some(key),
        Some(body),
    )
    .await
}

/// A PATCH that must answer 200; returns the conversation it answers.
async fn fpatch_ok(app: &TestApp, id: i64, key: &str, body: Value) -> Value {
    let (status, got) = fpatch(app, id, key, body.clone()).await;
    assert_eq!(status, 200, "PATCH {body}: {got:?}");
    got
}

async fn set_zone(app: &TestApp, t: &Tenant, zone: &str) {
    let r = app
        .patch(&acc(t, ""), &t.admin, json!({ "timezone": zone }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The ids of a list answer's `data`.
fn ids(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

/// The ids `q` lists (newest first).
async fn listed(app: &TestApp, key: &str, q: &str) -> Vec<i64> {
    ids(&fget(app, &format!("/fernand/conversations?q={}", enc(q)), key).await)
}

/// One page of a sort: (ids, next cursor).
async fn page(
    app: &TestApp,
    key: &str,
    sort: &str,
    cursor: Option<&str>,
) -> (Vec<i64>, Option<String>) {
    let mut path = format!("/fernand/conversations?limit=4&sort={sort}");
    if let Some(c) = cursor {
        path.push_str(&format!("&cursor={}", enc(c)));
    }
    let body = fget(app, &path, key).await;
    let next = &body["cursor"];
    assert!(next.is_null() || next.is_string(), "cursor {next:?}");
    (ids(&body), next.as_str().map(str::to_owned))
}

fn iso(unix: i64) -> String {
    confab_domain::Timestamp::from_unix_seconds(unix).to_rails_iso()
}

#[tokio::test]
async fn fernands_documented_patch_calls_answer_as_documented() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let other_tenant = app.tenant("Globex").await;
    let (inbox, contact) = setup(&app, &t).await;
    set_zone(&app, &t, "Europe/Paris").await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let other = app
        .contact(
            &t,
            json!({ "name": "Other Person", "email": "other@example.com" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let (_, key) = api_key(&app, &t, "Fernand", ALL_SCOPES).await;

    let got = fget(&app, "/fernand/conversations/1", &key).await;
    assert!(got["cursor"].is_string(), "{got}");
    let mut expected = json!({
        "id": 1,
        "contact_id": contact,
        "subject": null,
        "status": "OPENED",
        "last_update": null,
        "tags": [],
        "recipients": [{ "id": contact, "contact_id": contact, "kind": "to", "conversation_id": 1 }],
        "agent_id": null,
        "channel_id": inbox,
        "snooze_until": null,
        "wake_on_reply": true,
        "created_at": "2026-11-18T11:06:40.000Z",
    });
    expected["cursor"] = got["cursor"].clone();
    assert_eq!(got, expected);

    // Statuses, each answered with the conversation and kept.
    for (sent, want) in [
        ("CLOSED", "CLOSED"),
        ("OPENED", "OPENED"),
        ("SPAM", "SPAM"),
        ("opened", "OPENED"),
    ] {
        let r = fpatch_ok(&app, 1, &key, json!({ "status": sent })).await;
        assert_eq!(r["status"], want, "{sent}");
        assert_eq!(r["id"], 1);
        assert_eq!(r["snooze_until"], Value::Null);
        let shown = fget(&app, "/fernand/conversations/1", &key).await;
        assert_eq!(shown["status"], want, "{sent}");
    }
    // "tomorrow" is 09:00 on Thursday in Paris (CET, UTC+1): 08:00Z.
    let r = fpatch_ok(
        &app,
        1,
        &key,
        json!({ "status": "SNOOZED", "snooze_until": "tomorrow" }),
    )
    .await;
    assert_eq!(r["status"], "SNOOZED");
    assert_eq!(r["snooze_until"], "2026-11-19T08:00:00.000Z");
    assert_eq!(r["wake_on_reply"], true);
    let r = fpatch_ok(
        &app,
        1,
        &key,
        json!({ "status": "SNOOZED", "snooze_until": "monday", "wake_on_reply": false }),
    )
    .await;
    assert_eq!(r["snooze_until"], "2026-11-23T08:00:00.000Z");
    assert_eq!(r["wake_on_reply"], false);
    let r = fpatch_ok(&app, 1, &key, json!({ "status": "OPENED" })).await;
    assert_eq!(r["status"], "OPENED");
    assert_eq!(r["snooze_until"], Value::Null);
    assert_eq!(r["wake_on_reply"], true);

    // Unknown statuses.
    for bad in ["PENDING", "archived", "resolved"] {
        let (s, b) = fpatch(&app, 1, &key, json!({ "status": bad })).await;
        assert_invalid(s, &b, "status", bad);
    }

    // Assignment by id, unassignment, by email.
    let r = fpatch_ok(&app, 1, &key, json!({ "agent_id": t.agent_id })).await;
    assert_eq!(r["agent_id"], t.agent_id);
    let r = fpatch_ok(&app, 1, &key, json!({ "agent_id": null })).await;
    assert_eq!(r["agent_id"], Value::Null);
    assert_eq!(
        fget(&app, "/fernand/conversations/1", &key).await["agent_id"],
        Value::Null
    );
    let r = fpatch_ok(&app, 1, &key, json!({ "agent_email": "agent@acme.test" })).await;
    assert_eq!(r["agent_id"], t.agent_id);
    let r = fpatch_ok(&app, 1, &key, json!({ "agent_email": "Admin@ACME.test" })).await;
    assert_eq!(r["agent_id"], t.admin_id);
    // Nobody of this account: not a stranger, not another account's agent.
    for (body, field) in [
        (json!({ "agent_email": "nobody@acme.test" }), "agent_email"),
        (json!({ "agent_email": "agent@globex.test" }), "agent_email"),
        (json!({ "agent_id": other_tenant.agent_id }), "agent_id"),
        (json!({ "agent_id": 987_654 }), "agent_id"),
        (
            json!({ "agent_id": t.agent_id, "agent_email": "agent@acme.test" }),
            "agent_email",
        ),
    ] {
        let (s, b) = fpatch(&app, 1, &key, body.clone()).await;
        assert_invalid(s, &b, field, &body.to_string());
    }
    assert_eq!(
        fget(&app, "/fernand/conversations/1", &key).await["agent_id"],
        t.admin_id
    );

    // Subject: set, at most 80 characters.
    let r = fpatch_ok(&app, 1, &key, json!({ "subject": "Refund for order 42" })).await;
    assert_eq!(r["subject"], "Refund for order 42");
    let (s, b) = fpatch(&app, 1, &key, json!({ "subject": "x".repeat(81) })).await;
    assert_invalid(s, &b, "subject", "81 characters");
    // A refused field refuses the whole request: the valid status is not applied either.
    let (s, b) = fpatch(
        &app,
        1,
        &key,
        json!({ "status": "CLOSED", "subject": "y".repeat(81) }),
    )
    .await;
    assert_invalid(s, &b, "subject", "status with 81 characters");
    let shown = fget(&app, "/fernand/conversations/1", &key).await;
    assert_eq!(shown["subject"], "Refund for order 42");
    assert_eq!(shown["status"], "OPENED");
    let r = fpatch_ok(&app, 1, &key, json!({ "subject": "z".repeat(80) })).await;
    assert_eq!(r["subject"], "z".repeat(80));

    // The recipient: the conversation's own contact only.
    let r = fpatch_ok(&app, 1, &key, json!({ "contact_id": contact })).await;
    assert_eq!(r["contact_id"], contact);
    let (s, b) = fpatch(&app, 1, &key, json!({ "contact_id": other })).await;
    assert_invalid(s, &b, "contact_id", "another contact");
    assert_eq!(
        fget(&app, "/fernand/conversations/1", &key).await["contact_id"],
        contact
    );

    // Spam, blocking the contact.
    let r = fpatch_ok(
        &app,
        1,
        &key,
        json!({ "status": "SPAM", "block_contact": true }),
    )
    .await;
    assert_eq!(r["status"], "SPAM");
    let c = app
        .get(&acc(&t, &format!("/contacts/{contact}")), &t.admin)
        .await;
    assert_eq!(c.body["payload"]["blocked"], true, "{:?}", c.body);

    // An unknown conversation.
    let (s, _) = fpatch(&app, 99, &key, json!({ "status": "CLOSED" })).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn one_conversation_reads_the_same_through_both_dialects() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let (_, key) = api_key(&app, &t, "Fernand", ALL_SCOPES).await;

    // Fernand writes, Chatwoot reads.
    let r = fpatch_ok(
        &app,
        1,
        &key,
        json!({ "status": "SNOOZED", "snooze_until": "2h", "agent_id": t.agent_id }),
    )
    .await;
    assert_eq!(r["snooze_until"], iso(START + 7200));
    let c = show(&app, &t, 1).await;
    assert_eq!(c["status"], "snoozed");
    assert_eq!(c["snoozed_until"], iso(START + 7200));
    assert_eq!(c["meta"]["assignee"]["id"], t.agent_id);
    fpatch_ok(
        &app,
        1,
        &key,
        json!({ "status": "CLOSED", "agent_id": null }),
    )
    .await;
    let c = show(&app, &t, 1).await;
    assert_eq!(c["status"], "resolved");
    assert_eq!(c["snoozed_until"], Value::Null);
    assert!(c["meta"].get("assignee").is_none(), "{c}");
    fpatch_ok(&app, 1, &key, json!({ "status": "SPAM" })).await;
    assert_eq!(show(&app, &t, 1).await["status"], "spam");

    // Chatwoot writes, Fernand reads.
    toggle(&app, &t, &t.admin, 1, json!({ "status": "resolved" })).await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/assignments"),
            &t.admin,
            json!({ "assignee_id": t.admin_id }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let f = fget(&app, "/fernand/conversations/1", &key).await;
    assert_eq!(f["status"], "CLOSED");
    assert_eq!(f["agent_id"], t.admin_id);
    assert_eq!(f["snooze_until"], Value::Null);
    toggle(
        &app,
        &t,
        &t.admin,
        1,
        json!({ "status": "snoozed", "snoozed_until": START + 600, "wake_on_reply": false }),
    )
    .await;
    let f = fget(&app, "/fernand/conversations/1", &key).await;
    assert_eq!(f["status"], "SNOOZED");
    assert_eq!(f["snooze_until"], iso(START + 600));
    assert_eq!(f["wake_on_reply"], false);
    // Pending is one of Fernand's OPENED.
    toggle(&app, &t, &t.admin, 1, json!({ "status": "pending" })).await;
    let f = fget(&app, "/fernand/conversations/1", &key).await;
    assert_eq!(f["status"], "OPENED");
    assert_eq!(f["snooze_until"], Value::Null);
    assert_eq!(f["wake_on_reply"], true);
    assert_eq!(listed(&app, &key, "status:OPENED").await, vec![1]);
    // A conversation created pending is OPENED too.
    conversation(&app, &t, inbox, contact, json!({ "status": "pending" })).await;
    assert_eq!(show(&app, &t, 2).await["status"], "pending");
    assert_eq!(
        fget(&app, "/fernand/conversations/2", &key).await["status"],
        "OPENED"
    );
    // Pending reads as OPENED, so writing OPENED back changes nothing (no bot hand-off).
    fpatch_ok(&app, 1, &key, json!({ "status": "OPENED" })).await;
    assert_eq!(show(&app, &t, 1).await["status"], "pending");
    toggle(&app, &t, &t.admin, 1, json!({ "status": "open" })).await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/assignments"),
            &t.admin,
            json!({ "assignee_id": null }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        fget(&app, "/fernand/conversations/1", &key).await["agent_id"],
        Value::Null
    );
}

#[tokio::test]
async fn every_snooze_form_resolves_in_the_account_zone() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let (_, key) = api_key(&app, &t, "Fernand", ALL_SCOPES).await;
    let snooze = |until: Value| json!({ "status": "SNOOZED", "snooze_until": until });

    // In UTC (the default) "tomorrow" is 09:00Z.
    let r = fpatch_ok(&app, 1, &key, snooze(json!("tomorrow"))).await;
    assert_eq!(r["snooze_until"], "2026-11-19T09:00:00.000Z");

    set_zone(&app, &t, "Europe/Paris").await;
    // Now is Wednesday 2026-11-18 11:06:40Z = 12:06:40 CET (UTC+1, no DST change in sight).
    let cases: Vec<(Value, String)> = vec![
        (json!("5m"), iso(START + 300)),
        (json!("2h"), iso(START + 7200)),
        (json!("3d"), iso(START + 3 * 86_400)),
        (json!("+30"), iso(START + 1800)),
        (json!("tomorrow"), "2026-11-19T08:00:00.000Z".into()),
        (json!("monday"), "2026-11-23T08:00:00.000Z".into()),
        (json!("tuesday"), "2026-11-24T08:00:00.000Z".into()),
        // Today is a Wednesday: "wednesday" is next week's.
        (json!("wednesday"), "2026-11-25T08:00:00.000Z".into()),
        (json!("thursday"), "2026-11-19T08:00:00.000Z".into()),
        (json!("friday"), "2026-11-20T08:00:00.000Z".into()),
        (json!("saturday"), "2026-11-21T08:00:00.000Z".into()),
        (json!("sunday"), "2026-11-22T08:00:00.000Z".into()),
        (json!("one week"), iso(START + 7 * 86_400)),
        (json!("one month"), "2026-12-18T11:06:40.000Z".into()),
        (json!("next week"), "2026-11-23T08:00:00.000Z".into()),
        (
            json!("2026-12-01T10:00:00Z"),
            "2026-12-01T10:00:00.000Z".into(),
        ),
        (
            json!("2026-12-01T10:00:00+01:00"),
            "2026-12-01T09:00:00.000Z".into(),
        ),
        // A local time is the account zone's.
        (json!("2026-12-01T10:00"), "2026-12-01T09:00:00.000Z".into()),
        (json!(START + 3600), iso(START + 3600)),
        (json!((START + 60).to_string()), iso(START + 60)),
    ];
    for (until, want) in &cases {
        let r = fpatch_ok(&app, 1, &key, snooze(until.clone())).await;
        assert_eq!(r["status"], "SNOOZED", "{until}");
        assert_eq!(r["snooze_until"], *want, "snooze_until {until}");
        let shown = fget(&app, "/fernand/conversations/1", &key).await;
        assert_eq!(shown["snooze_until"], *want, "{until}");
        assert_eq!(show(&app, &t, 1).await["snoozed_until"], *want, "{until}");
    }
    // `snooze_until` alone snoozes.
    fpatch_ok(&app, 1, &key, json!({ "status": "OPENED" })).await;
    let r = fpatch_ok(&app, 1, &key, json!({ "snooze_until": "5m" })).await;
    assert_eq!(r["status"], "SNOOZED");
    assert_eq!(r["snooze_until"], iso(START + 300));

    // Refused: in the past, not a time, a snooze time with another status, none with SNOOZED.
    let before = fget(&app, "/fernand/conversations/1", &key).await;
    for bad in [
        snooze(json!("2020-01-01T00:00:00Z")),
        snooze(json!("someday")),
        snooze(json!(START - 10)),
        snooze(json!(START)),
        json!({ "status": "CLOSED", "snooze_until": "2h" }),
        json!({ "status": "SNOOZED" }),
    ] {
        let (s, b) = fpatch(&app, 1, &key, bad.clone()).await;
        assert_invalid(s, &b, "snooze_until", &bad.to_string());
    }
    assert_eq!(fget(&app, "/fernand/conversations/1", &key).await, before);
}

/// What happens between two pages: a second passes, one conversation is created and `target`
/// changes status (never to spam), in turn.
async fn change_the_list(
    app: &TestApp,
    t: &Tenant,
    (inbox, contact): (i64, i64),
    target: i64,
    turn: usize,
) {
    let statuses = ["resolved", "pending", "snoozed", "open"];
    app.clock.advance_seconds(1);
    conversation(app, t, inbox, contact, json!({})).await;
    toggle(
        app,
        t,
        &t.admin,
        target,
        json!({ "status": statuses[turn % 4] }),
    )
    .await;
}

#[tokio::test]
async fn cursor_paging_never_repeats_or_skips_while_the_list_changes() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let (_, key) = api_key(&app, &t, "Fernand", &["conversation.read"]).await;
    let mut created: i64 = 0;
    for i in 0..25 {
        conversation(&app, &t, inbox, contact, json!({})).await;
        created += 1;
        // Three at a time share their creation instant: the id breaks the tie.
        if i % 3 == 2 {
            app.clock.advance_seconds(1);
        }
    }
    let mut turn: usize = 0;

    // Newest first: what is created meanwhile is newer than every page, so the pages are exactly
    // the 25, in order, whatever statuses change.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let (got, next) = page(&app, &key, "newest", cursor.as_deref()).await;
        pages += 1;
        assert!(got.len() <= 4);
        seen.extend(got);
        let target = i64::try_from(turn * 7 % 25).unwrap() + 1;
        change_the_list(&app, &t, (inbox, contact), target, turn).await;
        created += 1;
        turn += 1;
        match next {
            None => break,
            Some(c) => cursor = Some(c),
        }
        assert!(pages < 20, "paging does not end: {seen:?}");
    }
    assert_eq!(seen, (1..=25).rev().collect::<Vec<i64>>());
    assert_eq!(pages, 7);

    // Oldest first: what is created meanwhile comes after every page, so the pages end with it.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    let mut existing_at_last_page;
    loop {
        existing_at_last_page = created;
        let (got, next) = page(&app, &key, "oldest", cursor.as_deref()).await;
        pages += 1;
        seen.extend(got);
        let target = i64::try_from(turn * 7 % 25).unwrap() + 1;
        change_the_list(&app, &t, (inbox, contact), target, turn).await;
        created += 1;
        turn += 1;
        match next {
            None => break,
            Some(c) => cursor = Some(c),
        }
        assert!(pages < 30, "paging does not end: {seen:?}");
    }
    assert_eq!(seen, (1..=existing_at_last_page).collect::<Vec<i64>>());

    // Each conversation's own cursor continues right after it.
    let first = fget(&app, "/fernand/conversations?limit=4&sort=newest", &key).await;
    let after_second = first["data"][1]["cursor"].as_str().unwrap().to_owned();
    let (got, _) = page(&app, &key, "newest", Some(&after_second)).await;
    assert_eq!(got[0], first["data"][2]["id"].as_i64().unwrap());
    assert_eq!(got[..2], ids(&first)[2..]);

    // Priority: urgent, high, medium, low, then none; within one, the latest activity first.
    let priorities: HashMap<i64, (&str, i64)> = [
        (3, ("urgent", 4)),
        (17, ("urgent", 4)),
        (5, ("high", 3)),
        (10, ("high", 3)),
        (15, ("high", 3)),
        (20, ("medium", 2)),
        (12, ("low", 1)),
        (8, ("low", 1)),
    ]
    .into_iter()
    .collect();
    let mut set_order: Vec<_> = priorities.iter().collect();
    set_order.sort();
    for (id, (p, _)) in set_order {
        app.clock.advance_seconds(1);
        let r = app
            .post(
                &acc(&t, &format!("/conversations/{id}/toggle_priority")),
                &t.admin,
                json!({ "priority": p }),
            )
            .await;
        assert!(r.status.is_success(), "{:?}", r.body);
    }
    let rank = |id: &i64| priorities.get(id).map(|(_, r)| *r).unwrap_or(0);
    let snapshot = ids(&fget(&app, "/fernand/conversations?limit=250&sort=priority", &key).await);
    assert_eq!(snapshot.len(), usize::try_from(created).unwrap());
    assert!(
        snapshot.windows(2).all(|w| rank(&w[0]) >= rank(&w[1])),
        "{snapshot:?}"
    );
    assert_eq!(snapshot[..2], [17, 3], "the latest set first among equals");
    // Meanwhile new conversations arrive (no priority) and seen ones change status (which moves
    // them ahead in their group, behind the cursor).
    let mut seen: Vec<i64> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let (got, next) = page(&app, &key, "priority", cursor.as_deref()).await;
        pages += 1;
        seen.extend(got);
        let target = seen[turn % seen.len()];
        change_the_list(&app, &t, (inbox, contact), target, turn).await;
        turn += 1;
        match next {
            None => break,
            Some(c) => cursor = Some(c),
        }
        assert!(pages < 40, "paging does not end: {seen:?}");
    }
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "a conversation repeated: {seen:?}"
    );
    let before: HashSet<i64> = snapshot.iter().copied().collect();
    let old: Vec<i64> = seen
        .iter()
        .copied()
        .filter(|i| before.contains(i))
        .collect();
    assert_eq!(old, snapshot);

    // A cursor belongs to its sort; a garbage one is refused.
    let (_, newest_cursor) = page(&app, &key, "newest", None).await;
    let newest_cursor = newest_cursor.unwrap();
    for sort in ["oldest", "priority", "longest"] {
        let (s, b) = fernand(
            &app,
            Method::GET,
            &format!(
                "/fernand/conversations?limit=4&sort={sort}&cursor={}",
                enc(&newest_cursor)
            ),
            Some(&key),
            None,
        )
        .await;
        assert_invalid(s, &b, "cursor", sort);
    }
    for garbage in ["garbage", "djF8bmV3ZXN0", "!!!", "djF8bmV3ZXN0fHh8eXx6"] {
        let (s, b) = fernand(
            &app,
            Method::GET,
            &format!("/fernand/conversations?cursor={}", enc(garbage)),
            Some(&key),
            None,
        )
        .await;
        assert_invalid(s, &b, "cursor", garbage);
    }
    // Limits and sorts.
    for limit in ["2", "251", "0", "-1", "ten"] {
        let (s, b) = fernand(
            &app,
            Method::GET,
            &format!("/fernand/conversations?limit={limit}"),
            Some(&key),
            None,
        )
        .await;
        assert_invalid(s, &b, "limit", limit);
    }
    for (limit, len) in [("3", 3), ("250", usize::try_from(created).unwrap() + pages)] {
        let body = fget(&app, &format!("/fernand/conversations?limit={limit}"), &key).await;
        assert_eq!(body["data"].as_array().unwrap().len(), len, "limit {limit}");
    }
    let (s, b) = fernand(
        &app,
        Method::GET,
        "/fernand/conversations?sort=random",
        Some(&key),
        None,
    )
    .await;
    assert_invalid(s, &b, "sort", "random");
}

#[tokio::test]
async fn the_longest_waiting_come_first_and_page_like_the_others() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let (_, key) = api_key(&app, &t, "Fernand", &["conversation.read"]).await;
    // A new conversation waits from its creation: 1 at +0 s … 6 at +50 s.
    for _ in 0..6 {
        conversation(&app, &t, inbox, contact, json!({})).await;
        app.clock.advance_seconds(10);
    }
    // 1, 2 and 3 are answered at +60 s; then 2 waits again from +70 s and 1 from +80 s.
    for id in [1, 2, 3] {
        let r = app
            .post(
                &acc(&t, &format!("/conversations/{id}/messages")),
                &t.admin,
                json!({ "content": "Here!" }),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    for id in [2, 1] {
        app.clock.advance_seconds(10);
        incoming(&app, &t, id, "Anyone there?").await;
    }
    let all = fget(&app, "/fernand/conversations?sort=longest", &key).await;
    assert_eq!(ids(&all), [4, 5, 6, 2, 1, 3]);
    let (first, cursor) = page(&app, &key, "longest", None).await;
    assert_eq!(first, [4, 5, 6, 2]);
    let (second, cursor) = page(&app, &key, "longest", cursor.as_deref()).await;
    assert_eq!(second, [1, 3]);
    assert_eq!(cursor, None);
    // From inside the waiting ones on to those that wait for nothing.
    let after_five = all["data"][1]["cursor"].as_str().unwrap().to_owned();
    let (rest, _) = page(&app, &key, "longest", Some(&after_five)).await;
    assert_eq!(rest, [6, 2, 1, 3]);
    let after_one = all["data"][4]["cursor"].as_str().unwrap().to_owned();
    let (rest, cursor) = page(&app, &key, "longest", Some(&after_one)).await;
    assert_eq!(rest, [3]);
    assert_eq!(cursor, None);
}

#[tokio::test]
async fn q_filters_by_status_agent_tag_and_words() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    for _ in 0..7 {
        conversation(&app, &t, inbox, contact, json!({})).await;
    }
    let (_, key) = api_key(&app, &t, "Fernand", &["conversation.read"]).await;
    toggle(&app, &t, &t.admin, 1, json!({ "status": "resolved" })).await;
    toggle(&app, &t, &t.admin, 2, json!({ "status": "spam" })).await;
    let r = app
        .post(
            &acc(&t, "/conversations/3/assignments"),
            &t.admin,
            json!({ "assignee_id": t.agent_id }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app
        .post(&acc(&t, "/labels"), &t.admin, json!({ "title": "vip" }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let vip = r.body["id"].as_i64().unwrap();
    let r = app
        .post(&acc(&t, "/labels"), &t.admin, json!({ "title": "billing" }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app
        .post(
            &acc(&t, "/conversations/4/labels"),
            &t.admin,
            json!({ "labels": ["vip"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    incoming(&app, &t, 5, "My zeppelin arrived deflated").await;
    toggle(&app, &t, &t.admin, 6, json!({ "status": "pending" })).await;
    toggle(&app, &t, &t.admin, 7, json!({ "status": "snoozed" })).await;
    let r = app
        .post(
            &acc(&t, "/conversations/7/assignments"),
            &t.admin,
            json!({ "assignee_id": t.admin_id }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    // Spam is left out unless asked for.
    assert_eq!(listed(&app, &key, "").await, vec![7, 6, 5, 4, 3, 1]);
    assert_eq!(
        ids(&fget(&app, "/fernand/conversations", &key).await),
        vec![7, 6, 5, 4, 3, 1]
    );
    assert_eq!(listed(&app, &key, "status:CLOSED").await, vec![1]);
    assert_eq!(listed(&app, &key, "status:SPAM").await, vec![2]);
    assert_eq!(listed(&app, &key, "status:spam").await, vec![2]);
    assert_eq!(listed(&app, &key, "status:SNOOZED").await, vec![7]);
    assert_eq!(listed(&app, &key, "status:OPENED").await, vec![6, 5, 4, 3]);

    assert_eq!(listed(&app, &key, "agent:agent@acme.test").await, vec![3]);
    assert_eq!(
        listed(&app, &key, &format!("agent:{}", t.agent_id)).await,
        vec![3]
    );
    assert_eq!(listed(&app, &key, "agent:none").await, vec![6, 5, 4, 1]);
    assert_eq!(
        listed(&app, &key, "agent:none status:CLOSED").await,
        vec![1]
    );
    // "me" is the person calling; a key is nobody.
    assert_eq!(listed(&app, &t.admin, "agent:me").await, vec![7]);
    for bad in ["agent:me", "agent:nobody@nowhere.test", "status:PENDING"] {
        let (s, b) = fernand(
            &app,
            Method::GET,
            &format!("/fernand/conversations?q={}", enc(bad)),
            Some(&key),
            None,
        )
        .await;
        assert_invalid(s, &b, "q", bad);
    }

    assert_eq!(listed(&app, &key, "tag:vip").await, vec![4]);
    assert_eq!(listed(&app, &key, "tag:VIP").await, vec![4]);
    assert_eq!(listed(&app, &key, &format!("tag:{vip}")).await, vec![4]);
    assert!(listed(&app, &key, "tag:billing").await.is_empty());
    let four = fget(&app, "/fernand/conversations/4", &key).await;
    assert_eq!(four["tags"], json!([vip]));

    assert_eq!(listed(&app, &key, "zeppelin").await, vec![5]);
    assert_eq!(listed(&app, &key, "status:OPENED zeppelin").await, vec![5]);
    assert!(
        listed(&app, &key, "status:CLOSED zeppelin")
            .await
            .is_empty()
    );
    assert!(listed(&app, &key, "dirigible").await.is_empty());
}

#[tokio::test]
async fn a_service_key_is_refused_per_field_and_only_in_its_account() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let (read_id, read) = api_key(&app, &t, "Reader", &["conversation.read"]).await;
    let (_, status_only) = api_key(
        &app,
        &t,
        "Closer",
        &["conversation.read", "conversation.status"],
    )
    .await;
    let (_, contacts_only) = api_key(&app, &t, "Directory", &["contact.read"]).await;

    // Read only: reads, and refuses the status field.
    assert_eq!(ids(&fget(&app, "/fernand/conversations", &read).await), [1]);
    fget(&app, "/fernand/conversations/1", &read).await;
    fget(&app, "/fernand/conversations/1/messages", &read).await;
    let (s, b) = fpatch(&app, 1, &read, json!({ "status": "CLOSED" })).await;
    assert_eq!(s, 403, "{b:?}");
    assert_eq!(b["field"], "status");
    assert_eq!(b["required_scope"], "conversation.status");
    assert!(b["error"].is_string(), "{b:?}");

    // Status but not assign: the request names agent_id and changes nothing at all.
    for (body, field, scope) in [
        (
            json!({ "status": "CLOSED", "agent_id": t.agent_id }),
            "agent_id",
            "conversation.assign",
        ),
        (
            json!({ "status": "CLOSED", "agent_email": "agent@acme.test" }),
            "agent_email",
            "conversation.assign",
        ),
        (
            json!({ "status": "CLOSED", "subject": "Hello" }),
            "subject",
            "conversation.update",
        ),
        (
            json!({ "status": "CLOSED", "contact_id": contact }),
            "contact_id",
            "conversation.update",
        ),
    ] {
        let (s, b) = fpatch(&app, 1, &status_only, body.clone()).await;
        assert_eq!(s, 403, "{body}: {b:?}");
        assert_eq!(b["field"], field, "{body}");
        assert_eq!(b["required_scope"], scope, "{body}");
    }
    let f = fget(&app, "/fernand/conversations/1", &read).await;
    assert_eq!(f["status"], "OPENED");
    assert_eq!(f["agent_id"], Value::Null);
    assert_eq!(f["subject"], Value::Null);
    assert!(activities(&app, &t, 1).await.is_empty());
    // What it may do, it does.
    let r = fpatch_ok(
        &app,
        1,
        &status_only,
        json!({ "status": "SNOOZED", "snooze_until": "2h", "wake_on_reply": false }),
    )
    .await;
    assert_eq!(r["status"], "SNOOZED");

    // Without conversation.read: no list, no conversation, no timeline; contacts only.
    for path in [
        "/fernand/conversations",
        "/fernand/conversations/1",
        "/fernand/conversations/1/messages",
    ] {
        let (s, b) = fernand(&app, Method::GET, path, Some(&contacts_only), None).await;
        assert_eq!(s, 403, "{path}: {b:?}");
        assert_eq!(b["required_scope"], "conversation.read", "{path}");
    }
    fget(&app, "/fernand/contacts", &contacts_only).await;
    let (s, b) = fernand(&app, Method::GET, "/fernand/contacts", Some(&read), None).await;
    assert_eq!(s, 403, "{b:?}");
    assert_eq!(b["required_scope"], "contact.read");

    // Revoked: no credential at all.
    let r = app
        .delete(&acc(&t, &format!("/api_keys/{read_id}")), &t.admin, None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body["revoked_at"].is_string(), "{:?}", r.body);
    for path in ["/fernand/conversations", "/fernand/conversations/1"] {
        let (s, _) = fernand(&app, Method::GET, path, Some(&read), None).await;
        assert_eq!(s, 401, "{path}");
    }

    // Expired: the same.
    let r = app
        .post(
            &acc(&t, "/api_keys"),
            &t.admin,
            json!({ "name": "Temp", "scopes": ["conversation.read"], "expires_at": iso(START + 3600) }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let temp = r.body["token"].as_str().unwrap().to_owned();
    fget(&app, "/fernand/conversations", &temp).await;
    app.clock.advance_seconds(3601);
    let (s, _) = fernand(
        &app,
        Method::GET,
        "/fernand/conversations",
        Some(&temp),
        None,
    )
    .await;
    assert_eq!(s, 401);

    // No key, an unknown key.
    let (s, _) = fernand(&app, Method::GET, "/fernand/conversations", None, None).await;
    assert_eq!(s, 401);
    let (s, _) = fernand(
        &app,
        Method::PATCH,
        "/fernand/conversations/1",
        None,
        Some(json!({ "status": "CLOSED" })),
    )
    .await;
    assert_eq!(s, 401);
    for bogus in ["cfk_notakey", "not-a-token"] {
        let (s, _) = fernand(
            &app,
            Method::GET,
            "/fernand/conversations",
            Some(bogus),
            None,
        )
        .await;
        assert_eq!(s, 401, "{bogus}");
    }

    // Tenant safety: B has conversations 1 to 3, A only 1; A's key sees A's 1 and nothing else.
    let b = app.tenant("Globex").await;
    let (b_inbox, b_contact) = setup(&app, &b).await;
    for _ in 0..3 {
        conversation(&app, &b, b_inbox, b_contact, json!({})).await;
    }
    let (_, a_key) = api_key(&app, &t, "A", ALL_SCOPES).await;
    for path in [
        "/fernand/conversations/3",
        "/fernand/conversations/3/messages",
    ] {
        let (s, _) = fernand(&app, Method::GET, path, Some(&a_key), None).await;
        assert_eq!(s, 404, "{path}");
    }
    let (s, _) = fpatch(&app, 3, &a_key, json!({ "status": "CLOSED" })).await;
    assert_eq!(s, 404);
    assert_eq!(show(&app, &b, 3).await["status"], "open");
    let mine = fget(&app, "/fernand/conversations/1", &a_key).await;
    assert_eq!(mine["contact_id"], contact);
    assert_eq!(mine["channel_id"], inbox);
    assert_eq!(
        ids(&fget(&app, "/fernand/conversations", &a_key).await),
        [1]
    );
    fpatch_ok(&app, 1, &a_key, json!({ "status": "CLOSED" })).await;
    assert_eq!(show(&app, &b, 1).await["status"], "open");
    // B's contacts are not A's either.
    let found = fget(&app, "/fernand/contacts?q=jane", &a_key).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    assert_eq!(found["data"][0]["id"], contact);
}

#[tokio::test]
async fn a_persons_token_works_in_the_account_named_by_x_account_id() {
    let app = TestApp::spawn().await;
    let a = app.tenant("Acme").await;
    let b = app.tenant("Globex").await;
    let (a_inbox, a_contact) = setup(&app, &a).await;
    conversation(&app, &a, a_inbox, a_contact, json!({})).await;
    let (b_inbox, b_contact) = setup(&app, &b).await;
    for _ in 0..2 {
        conversation(&app, &b, b_inbox, b_contact, json!({})).await;
    }
    let get = |token: String, account: Option<i64>| {
        let app = &app;
        async move {
            let mut req = app
                .client
                .get(format!("{}/fernand/conversations", app.base))
                .header("X-API-Key", token);
            if let Some(id) = account {
                req = req.header("X-Account-Id", id.to_string());
            }
            let resp = req.send().await.unwrap();
            let status = resp.status();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // Its only account without the header.
    let (s, body) = get(a.admin.clone(), None).await;
    assert_eq!(s, 200);
    assert_eq!(ids(&body), [1]);
    // Another account it does not belong to.
    let (s, _) = get(a.admin.clone(), Some(b.account_id)).await;
    assert_eq!(s, 401);
    // Once a member there, the header picks it.
    let m = app
        .platform(
            Method::POST,
            &format!("/accounts/{}/account_users", b.account_id),
            Some(json!({ "user_id": a.admin_id, "role": "administrator" })),
        )
        .await;
    assert_eq!(m.status, 200, "{:?}", m.body);
    let (s, body) = get(a.admin.clone(), Some(b.account_id)).await;
    assert_eq!(s, 200, "{body:?}");
    assert_eq!(ids(&body), [2, 1]);
    assert_eq!(body["data"][0]["contact_id"], b_contact);
    let (s, body) = get(a.admin.clone(), Some(a.account_id)).await;
    assert_eq!(s, 200);
    assert_eq!(ids(&body), [1]);
    assert_eq!(body["data"][0]["contact_id"], a_contact);
}

#[tokio::test]
async fn what_a_key_does_is_attributed_to_the_key() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let (_, zapier) = api_key(&app, &t, "Zapier", ALL_SCOPES).await;
    fpatch_ok(&app, 1, &zapier, json!({ "status": "CLOSED" })).await;
    assert_eq!(
        activities(&app, &t, 1).await,
        vec!["Conversation was marked resolved by Zapier"]
    );
    fpatch_ok(&app, 1, &zapier, json!({ "agent_id": t.agent_id })).await;
    fpatch_ok(&app, 1, &zapier, json!({ "status": "OPENED" })).await;
    assert_eq!(
        activities(&app, &t, 1).await,
        vec![
            "Conversation was marked resolved by Zapier",
            "Assigned to agent of Acme by Zapier",
            "Conversation was reopened by Zapier",
        ]
    );
    // Through a person's token, the person.
    fpatch_ok(&app, 1, &t.admin, json!({ "status": "CLOSED" })).await;
    assert_eq!(
        activities(&app, &t, 1).await.last().unwrap(),
        "Conversation was marked resolved by admin of Acme"
    );
    let timeline = fget(&app, "/fernand/conversations/1/messages", &zapier).await;
    assert_eq!(
        timeline["data"][1]["message"],
        "<p>Conversation was reopened by Zapier</p>"
    );
}

#[tokio::test]
async fn the_timeline_is_newest_first_with_kinds_and_pages_back() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let (_, key) = api_key(&app, &t, "Fernand", ALL_SCOPES).await;
    app.clock.advance_seconds(10);
    incoming(&app, &t, 1, "Hello,\nmy order is late").await;
    app.clock.advance_seconds(10);
    let r = app
        .post(
            &acc(&t, "/conversations/1/messages"),
            &t.admin,
            json!({ "content": "Sorry <b>about</b> that & more" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    app.clock.advance_seconds(10);
    let r = app
        .post(
            &acc(&t, "/conversations/1/messages"),
            &t.admin,
            json!({ "content": "Check the warehouse", "private": true }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    app.clock.advance_seconds(10);
    fpatch_ok(&app, 1, &t.admin, json!({ "status": "CLOSED" })).await;

    let chatwoot: Vec<i64> = messages(&app, &t, 1)
        .await
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(chatwoot.len(), 4, "{chatwoot:?}");
    let (m_in, m_out, note, event) = (chatwoot[0], chatwoot[1], chatwoot[2], chatwoot[3]);

    let all = fget(&app, "/fernand/conversations/1/messages", &key).await;
    let data = all["data"].as_array().unwrap();
    let item_ids: Vec<&str> = data.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(
        item_ids,
        [
            format!("e-{event}"),
            format!("n-{note}"),
            format!("m-{m_out}"),
            format!("m-{m_in}"),
        ]
    );
    let row = |i: usize, fields: &[&str]| -> Value {
        Value::Object(
            fields
                .iter()
                .map(|f| ((*f).to_owned(), data[i][*f].clone()))
                .collect(),
        )
    };
    let fields = [
        "conversation_id",
        "type",
        "way",
        "agent_id",
        "contact_id",
        "message",
        "is_automated",
        "timestamp",
    ];
    assert_eq!(
        row(0, &fields),
        json!({
            "conversation_id": 1, "type": "EVENT", "way": "OUT", "agent_id": null,
            "contact_id": null, "is_automated": true, "timestamp": iso(START + 40),
            "message": "<p>Conversation was marked resolved by admin of Acme</p>",
        })
    );
    assert_eq!(
        row(1, &fields),
        json!({
            "conversation_id": 1, "type": "NOTE", "way": "OUT", "agent_id": t.admin_id,
            "contact_id": null, "is_automated": false, "timestamp": iso(START + 30),
            "message": "<p>Check the warehouse</p>",
        })
    );
    assert_eq!(
        row(2, &fields),
        json!({
            "conversation_id": 1, "type": "MESSAGE", "way": "OUT", "agent_id": t.admin_id,
            "contact_id": null, "is_automated": false, "timestamp": iso(START + 20),
            "message": "<p>Sorry &lt;b&gt;about&lt;/b&gt; that &amp; more</p>",
        })
    );
    assert_eq!(
        row(3, &fields),
        json!({
            "conversation_id": 1, "type": "MESSAGE", "way": "IN", "agent_id": null,
            "contact_id": contact, "is_automated": false, "timestamp": iso(START + 10),
            "message": "<p>Hello,<br>my order is late</p>",
        })
    );
    for item in data {
        assert_eq!(item["attachments"], json!([]));
    }

    // Paging back with `before` (an item id, whatever its prefix).
    let timeline = |query: String| {
        let (app, key) = (&app, &key);
        async move {
            let body = fget(
                app,
                &format!("/fernand/conversations/1/messages{query}"),
                key,
            )
            .await;
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        timeline(format!("?before=n-{note}")).await,
        [format!("m-{m_out}"), format!("m-{m_in}")]
    );
    assert_eq!(timeline("?limit=1".into()).await, [format!("e-{event}")]);
    assert_eq!(
        timeline(format!("?before=e-{event}&limit=2")).await,
        [format!("n-{note}"), format!("m-{m_out}")]
    );
    assert_eq!(
        timeline(format!("?before=m-{m_out}&limit=1")).await,
        [format!("m-{m_in}")]
    );
    assert_eq!(
        timeline(format!("?before={m_out}")).await,
        [format!("m-{m_in}")]
    );
    assert!(timeline(format!("?before=m-{m_in}")).await.is_empty());
    for (query, field) in [
        ("?before=x-1", "before"),
        ("?limit=0", "limit"),
        ("?limit=251", "limit"),
    ] {
        let (s, b) = fernand(
            &app,
            Method::GET,
            &format!("/fernand/conversations/1/messages{query}"),
            Some(&key),
            None,
        )
        .await;
        assert_invalid(s, &b, field, query);
    }
    let (s, _) = fernand(
        &app,
        Method::GET,
        "/fernand/conversations/9/messages",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(s, 404);

    // The conversation: its subject from the first message, its last incoming time.
    let c = fget(&app, "/fernand/conversations/1", &key).await;
    assert_eq!(c["subject"], "Hello,");
    assert_eq!(c["last_update"], iso(START + 10));
    assert_eq!(c["status"], "CLOSED");
}

#[tokio::test]
async fn the_contact_search_takes_emails_with_an_at_sign_and_names_without() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let roe = app
        .contact(
            &t,
            json!({ "name": "Jane Roe", "email": "roe@example.com" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let bob = app
        .contact(
            &t,
            json!({ "name": "Bob Stone", "email": "jane@stone.test" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    // A name that looks like the email searched for.
    let imported = app
        .contact(
            &t,
            json!({ "name": "jane@stone imported", "email": "import@example.com" }),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let (_, key) = api_key(&app, &t, "Directory", &["contact.read"]).await;
    let search = |q: &str| {
        let path = format!("/fernand/contacts?q={}", enc(q));
        let (app, key) = (&app, &key);
        async move {
            let body = fget(app, &path, key).await;
            let mut found: Vec<i64> = body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_i64().unwrap())
                .collect();
            found.sort_unstable();
            found
        }
    };
    assert_eq!(search("jane@").await, [bob]);
    assert_eq!(search("jane@stone").await, [bob]);
    assert_eq!(search("@example.com").await, {
        let mut v = vec![roe, imported];
        v.sort_unstable();
        v
    });
    assert_eq!(search("Roe").await, [roe]);
    assert_eq!(search("imported").await, [imported]);
    let mut janes = vec![roe, bob, imported];
    janes.sort_unstable();
    assert_eq!(search("jane").await, janes);
    assert!(search("nobody").await.is_empty());

    let one = fget(&app, "/fernand/contacts?q=Roe", &key).await;
    assert_eq!(one["data"][0]["name"], "Jane Roe");
    assert_eq!(one["data"][0]["email"], "roe@example.com");
    let all = fget(&app, "/fernand/contacts", &key).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 3);
    let limited = fget(&app, "/fernand/contacts?q=jane&limit=1", &key).await;
    assert_eq!(limited["data"].as_array().unwrap().len(), 1);
    fget(&app, "/fernand/contacts?limit=99", &key).await;
    for limit in ["0", "100", "-1", "many"] {
        let (s, b) = fernand(
            &app,
            Method::GET,
            &format!("/fernand/contacts?limit={limit}"),
            Some(&key),
            None,
        )
        .await;
        assert_invalid(s, &b, "limit", limit);
    }
}

#[tokio::test]
async fn a_fernand_status_change_fires_the_same_events_as_chatwoots() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let sink = WebhookSink::start().await;
    let r = app
        .post(
            &acc(&t, "/webhooks"),
            &t.admin,
            json!({ "webhook": {
                "url": sink.url("/hooks"),
                "name": "CRM",
                "subscriptions": ["conversation_status_changed", "conversation_updated"],
            } }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let (inbox, contact) = setup(&app, &t).await;
    for _ in 0..3 {
        conversation(&app, &t, inbox, contact, json!({})).await;
    }
    let (_, zapier) = api_key(&app, &t, "Zapier", ALL_SCOPES).await;
    toggle(&app, &t, &t.admin, 1, json!({ "status": "resolved" })).await;
    fpatch_ok(&app, 2, &t.admin, json!({ "status": "CLOSED" })).await;
    fpatch_ok(&app, 3, &zapier, json!({ "status": "CLOSED" })).await;

    let mut waited = 0;
    while sink.of_event("conversation_status_changed").len() < 3 {
        app.app.run_outbox().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
        assert!(waited < 100, "{:?}", sink.received());
    }
    let payloads: Vec<Value> = sink
        .of_event("conversation_status_changed")
        .iter()
        .map(|r| r.json())
        .collect();
    assert_eq!(payloads.len(), 3);
    let of = |id: i64| payloads.iter().find(|p| p["id"] == id).unwrap().clone();
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let chatwoot = of(1);
    for id in [2, 3] {
        let fernand = of(id);
        assert_eq!(fernand["status"], "resolved", "{fernand}");
        assert_eq!(fernand["event"], chatwoot["event"]);
        assert_eq!(keys(&fernand), keys(&chatwoot), "{fernand}\n{chatwoot}");
        assert_eq!(fernand["inbox_id"], chatwoot["inbox_id"]);
        assert_eq!(
            fernand["meta"]["sender"]["id"],
            chatwoot["meta"]["sender"]["id"]
        );
    }
    // The update with its change, for each of them alike.
    let mut waited = 0;
    let status_updates = || {
        sink.of_event("conversation_updated")
            .iter()
            .map(|r| r.json())
            .filter(|p| p["changed_attributes"][0].get("status").is_some())
            .collect::<Vec<Value>>()
    };
    while status_updates().len() < 3 {
        app.app.run_outbox().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
        assert!(waited < 100, "{:?}", sink.received());
    }
    let updates = status_updates();
    for id in [1, 2, 3] {
        let u = updates.iter().find(|p| p["id"] == id).unwrap();
        assert_eq!(
            u["changed_attributes"],
            json!([{ "status": { "previous_value": "open", "current_value": "resolved" } }]),
            "{id}"
        );
    }
}

#[tokio::test]
async fn policies_without_their_status_are_refused_and_agents_who_open_take_the_conversation() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    // The first message is a private note: it never becomes the subject.
    conversation(&app, &t, inbox, contact, json!({})).await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/messages"),
            &t.admin,
            json!({ "content": "internal: VIP customer", "private": true }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    incoming(&app, &t, 1, "Where is my parcel?").await;
    let c = fget(&app, "/fernand/conversations/1", &t.admin).await;
    assert_eq!(c["subject"], "Where is my parcel?");

    for (body, field) in [
        (json!({ "wake_on_reply": false }), "wake_on_reply"),
        (
            json!({ "status": "CLOSED", "wake_on_reply": false }),
            "wake_on_reply",
        ),
        (json!({ "block_contact": true }), "block_contact"),
        (
            json!({ "status": "CLOSED", "block_contact": true }),
            "block_contact",
        ),
    ] {
        let (status, got) = fpatch(&app, 1, &t.admin, body.clone()).await;
        assert_eq!(status, 422, "{body}: {got:?}");
        assert_eq!(got["attributes"], json!([field]), "{body}");
    }
    assert_eq!(show(&app, &t, 1).await["status"], "open");

    // An agent who reopens through Fernand becomes the assignee, as with toggle_status.
    fpatch_ok(&app, 1, &t.admin, json!({ "status": "CLOSED" })).await;
    let c = fpatch_ok(&app, 1, &t.agent, json!({ "status": "OPENED" })).await;
    assert_eq!(c["agent_id"], t.agent_id);
    // An administrator does not, and a named agent wins.
    fpatch_ok(
        &app,
        1,
        &t.admin,
        json!({ "status": "CLOSED", "agent_id": null }),
    )
    .await;
    let c = fpatch_ok(&app, 1, &t.admin, json!({ "status": "OPENED" })).await;
    assert_eq!(c["agent_id"], Value::Null);
}
