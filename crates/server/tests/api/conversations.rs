//! Conversations: list, counts, lifecycle, assignment, labels, visibility.

use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, acc};

/// An API inbox (with both users as members) and a contact; returns (inbox id, contact id).
pub async fn setup(app: &TestApp, t: &Tenant) -> (i64, i64) {
    let inbox = app.api_inbox(t, "Support").await;
    let inbox_id = inbox["id"].as_i64().unwrap();
    let r = app
        .post(
            &acc(t, "/inbox_members"),
            &t.admin,
            json!({ "inbox_id": inbox_id, "user_ids": [t.admin_id, t.agent_id] }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let contact = app
        .contact(
            t,
            json!({ "name": "Jane Doe", "email": "jane@example.com" }),
        )
        .await;
    (inbox_id, contact["id"].as_i64().unwrap())
}

/// Creates a conversation and returns its JSON.
pub async fn conversation(
    app: &TestApp,
    t: &Tenant,
    inbox: i64,
    contact: i64,
    extra: Value,
) -> Value {
    let mut body = json!({ "inbox_id": inbox, "contact_id": contact });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = app.post(&acc(t, "/conversations"), &t.admin, body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn a_new_conversation_is_open_and_listed_with_counts() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let c = conversation(
        &app,
        &t,
        inbox,
        contact,
        json!({ "message": { "content": "Hello there" } }),
    )
    .await;
    assert_eq!(c["id"], 1);
    assert_eq!(c["status"], "open");
    assert_eq!(c["inbox_id"], inbox);
    assert_eq!(c["meta"]["sender"]["id"], contact);
    assert_eq!(c["messages"][0]["content"], "Hello there");
    assert_eq!(c["messages"][0]["message_type"], 1);
    let list = app.get(&acc(&t, "/conversations"), &t.admin).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    assert_eq!(list.body["data"]["meta"]["all_count"], 1);
    assert_eq!(list.body["data"]["meta"]["unassigned_count"], 1);
    assert_eq!(list.body["data"]["payload"][0]["id"], 1);
}

pub(crate) async fn toggle(app: &TestApp, t: &Tenant, token: &str, id: i64, body: Value) -> Value {
    let r = app
        .post(
            &acc(t, &format!("/conversations/{id}/toggle_status")),
            token,
            body,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

pub(crate) async fn show(app: &TestApp, t: &Tenant, id: i64) -> Value {
    let r = app
        .get(&acc(t, &format!("/conversations/{id}")), &t.admin)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

/// The conversation's messages, oldest first (as the admin sees them).
pub(crate) async fn messages(app: &TestApp, t: &Tenant, id: i64) -> Vec<Value> {
    let r = app
        .get(&acc(t, &format!("/conversations/{id}/messages")), &t.admin)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["payload"].as_array().unwrap().clone()
}

/// The contents of the conversation's activity messages, oldest first.
pub(crate) async fn activities(app: &TestApp, t: &Tenant, id: i64) -> Vec<String> {
    messages(app, t, id)
        .await
        .iter()
        .filter(|m| m["message_type"] == 2)
        .map(|m| m["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub(crate) async fn incoming(app: &TestApp, t: &Tenant, id: i64, text: &str) {
    let r = app
        .post(
            &acc(t, &format!("/conversations/{id}/messages")),
            &t.admin,
            json!({ "content": text, "message_type": "incoming" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test]
async fn toggle_status_without_a_status_swaps_open_and_resolved_and_opens_the_rest() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let r = toggle(&app, &t, &t.admin, 1, json!({})).await;
    assert_eq!(
        r,
        json!({"meta":{},"payload":{"success":true,"conversation_id":1,"current_status":"resolved","snoozed_until":null}})
    );
    let r = toggle(&app, &t, &t.admin, 1, json!({})).await;
    assert_eq!(r["payload"]["current_status"], "open");
    for from in ["pending", "snoozed"] {
        toggle(&app, &t, &t.admin, 1, json!({ "status": from })).await;
        let r = toggle(&app, &t, &t.admin, 1, json!({ "status": "" })).await;
        assert_eq!(r["payload"]["current_status"], "open", "from {from}");
    }
}

#[tokio::test]
async fn an_explicit_status_is_applied_and_an_unknown_one_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    for s in ["pending", "resolved", "snoozed", "open", "open"] {
        let r = toggle(&app, &t, &t.admin, 1, json!({ "status": s })).await;
        assert_eq!(r["payload"]["current_status"], s);
    }
    let r = app
        .post(
            &acc(&t, "/conversations/1/toggle_status"),
            &t.admin,
            json!({ "status": "closed" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["status"]));
    assert_eq!(show(&app, &t, 1).await["status"], "open");
}

#[tokio::test]
async fn each_status_change_writes_the_activity_upstream_writes() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    for s in ["resolved", "open", "pending", "snoozed"] {
        toggle(&app, &t, &t.admin, 1, json!({ "status": s })).await;
    }
    // The same status again changes nothing and writes nothing.
    toggle(&app, &t, &t.admin, 1, json!({ "status": "snoozed" })).await;
    assert_eq!(
        activities(&app, &t, 1).await,
        vec![
            "Conversation was marked resolved by admin of Acme",
            "Conversation was reopened by admin of Acme",
            "Conversation was marked as pending by admin of Acme",
            "Conversation was snoozed by admin of Acme",
        ]
    );
}

#[tokio::test]
async fn snoozed_until_is_unix_seconds_in_and_iso_out_and_cleared_when_not_snoozed() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let r = toggle(
        &app,
        &t,
        &t.admin,
        1,
        json!({ "status": "snoozed", "snoozed_until": 1_900_000_000 }),
    )
    .await;
    assert_eq!(r["payload"]["snoozed_until"], "2030-03-17T17:46:40.000Z");
    assert_eq!(
        show(&app, &t, 1).await["snoozed_until"],
        "2030-03-17T17:46:40.000Z"
    );
    let r = toggle(
        &app,
        &t,
        &t.admin,
        1,
        json!({ "status": "resolved", "snoozed_until": 1_900_000_000 }),
    )
    .await;
    assert_eq!(r["payload"]["snoozed_until"], Value::Null);
    let bad = app
        .post(
            &acc(&t, "/conversations/1/toggle_status"),
            &t.admin,
            json!({ "status": "snoozed", "snoozed_until": "whenever suits" }),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["attributes"], json!(["snoozed_until"]));
}

#[tokio::test]
async fn a_snoozed_conversation_reopens_when_its_time_comes_exactly_once() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let now = confab_app::Clock::now(&*app.clock).unix_seconds();
    toggle(
        &app,
        &t,
        &t.admin,
        1,
        json!({ "status": "snoozed", "snoozed_until": now + 3600 }),
    )
    .await;
    assert_eq!(app.app.run_pending_jobs().await.unwrap(), 0);
    assert_eq!(show(&app, &t, 1).await["status"], "snoozed");
    app.clock.advance_seconds(3601);
    let ran = app.app.run_pending_jobs().await.unwrap();
    let c = show(&app, &t, 1).await;
    assert_eq!(c["status"], "open");
    assert_eq!(c["snoozed_until"], Value::Null);
    // Nothing is left to run, and the wake-up wrote no activity (no one acted).
    assert!(ran <= 1);
    assert_eq!(app.app.run_pending_jobs().await.unwrap(), 0);
    assert_eq!(
        activities(&app, &t, 1).await,
        vec!["Conversation was snoozed by admin of Acme"]
    );
}

#[tokio::test]
async fn the_server_wakes_a_snoozed_conversation_by_itself() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let now = confab_app::Clock::now(&*app.clock).unix_seconds();
    toggle(
        &app,
        &t,
        &t.admin,
        1,
        json!({ "status": "snoozed", "snoozed_until": now + 60 }),
    )
    .await;
    app.clock.advance_seconds(61);
    // The runner started with the server looks at least every second; wait for it (never
    // calling run_pending_jobs here).
    let mut status = Value::Null;
    for _ in 0..50 {
        status = show(&app, &t, 1).await["status"].clone();
        if status == "open" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "open");
}

#[tokio::test]
async fn resnoozing_moves_the_wake_up_and_reopening_cancels_it() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let now = confab_app::Clock::now(&*app.clock).unix_seconds();
    toggle(
        &app,
        &t,
        &t.admin,
        1,
        json!({ "status": "snoozed", "snoozed_until": now + 100 }),
    )
    .await;
    toggle(
        &app,
        &t,
        &t.admin,
        1,
        json!({ "status": "snoozed", "snoozed_until": now + 1000 }),
    )
    .await;
    app.clock.advance_seconds(200);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(show(&app, &t, 1).await["status"], "snoozed");
    toggle(&app, &t, &t.admin, 1, json!({ "status": "open" })).await;
    toggle(&app, &t, &t.admin, 1, json!({ "status": "resolved" })).await;
    app.clock.advance_seconds(2000);
    assert_eq!(app.app.run_pending_jobs().await.unwrap(), 0);
    assert_eq!(show(&app, &t, 1).await["status"], "resolved");
}

#[tokio::test]
async fn an_incoming_message_reopens_snoozed_and_resolved_conversations() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    toggle(&app, &t, &t.admin, 1, json!({ "status": "snoozed" })).await;
    assert_eq!(show(&app, &t, 1).await["snoozed_until"], Value::Null);
    incoming(&app, &t, 1, "any news?").await;
    assert_eq!(show(&app, &t, 1).await["status"], "open");
    toggle(&app, &t, &t.admin, 1, json!({ "status": "resolved" })).await;
    incoming(&app, &t, 1, "one more thing").await;
    assert_eq!(show(&app, &t, 1).await["status"], "open");
    let acts = activities(&app, &t, 1).await;
    assert_eq!(acts[1], "Conversation was reopened by admin of Acme");
    assert_eq!(
        acts.last().unwrap(),
        "System reopened the conversation due to a new incoming message."
    );
    // Pending and open are left alone.
    toggle(&app, &t, &t.admin, 1, json!({ "status": "pending" })).await;
    incoming(&app, &t, 1, "hello?").await;
    assert_eq!(show(&app, &t, 1).await["status"], "pending");
}

#[tokio::test]
async fn a_muted_contact_does_not_reopen_and_new_conversations_start_resolved() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let r = app
        .post(&acc(&t, "/conversations/1/mute"), &t.admin, json!({}))
        .await;
    assert_eq!(r.status, 200);
    let c = show(&app, &t, 1).await;
    assert_eq!(c["status"], "resolved");
    assert_eq!(c["muted"], true);
    incoming(&app, &t, 1, "spam spam").await;
    assert_eq!(show(&app, &t, 1).await["status"], "resolved");
    let second = conversation(&app, &t, inbox, contact, json!({})).await;
    assert_eq!(second["status"], "resolved");
    let r = app
        .post(&acc(&t, "/conversations/1/unmute"), &t.admin, json!({}))
        .await;
    assert_eq!(r.status, 200);
    let c = show(&app, &t, 1).await;
    assert_eq!(
        (c["muted"].clone(), c["status"].clone()),
        (json!(false), json!("resolved"))
    );
    let acts = activities(&app, &t, 1).await;
    assert!(
        acts.contains(&"admin of Acme has muted the conversation".to_owned()),
        "{acts:?}"
    );
    assert_eq!(
        acts.last().unwrap(),
        "admin of Acme has unmuted the conversation"
    );
}

#[tokio::test]
async fn an_agent_who_opens_a_conversation_becomes_its_assignee_and_an_admin_does_not() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    toggle(&app, &t, &t.admin, 1, json!({ "status": "resolved" })).await;
    toggle(&app, &t, &t.admin, 1, json!({ "status": "open" })).await;
    assert!(show(&app, &t, 1).await["meta"].get("assignee").is_none());
    toggle(&app, &t, &t.agent, 1, json!({ "status": "resolved" })).await;
    assert!(show(&app, &t, 1).await["meta"].get("assignee").is_none());
    toggle(&app, &t, &t.agent, 1, json!({})).await;
    let c = show(&app, &t, 1).await;
    assert_eq!(c["meta"]["assignee"]["id"], t.agent_id);
    assert_eq!(c["meta"]["assignee_type"], "User");
    assert!(
        activities(&app, &t, 1)
            .await
            .contains(&"agent of Acme self-assigned this conversation".to_owned())
    );
}

#[tokio::test]
async fn priority_is_set_changed_and_cleared_and_none_means_null() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let p = |v: Value| json!({ "priority": v });
    let r = app
        .post(
            &acc(&t, "/conversations/1/toggle_priority"),
            &t.admin,
            p(json!("high")),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.body.clone()), (200, Value::Null));
    assert_eq!(show(&app, &t, 1).await["priority"], "high");
    let r = app
        .patch(&acc(&t, "/conversations/1"), &t.admin, p(json!("urgent")))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["priority"], "urgent");
    app.post(
        &acc(&t, "/conversations/1/toggle_priority"),
        &t.admin,
        p(json!("none")),
    )
    .await;
    assert_eq!(show(&app, &t, 1).await["priority"], Value::Null);
    let bad = app
        .post(
            &acc(&t, "/conversations/1/toggle_priority"),
            &t.admin,
            p(json!("critical")),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["attributes"], json!(["priority"]));
    assert_eq!(
        activities(&app, &t, 1).await,
        vec![
            "admin of Acme set the priority to high",
            "admin of Acme changed the priority from high to urgent",
            "admin of Acme removed the priority",
        ]
    );
}

#[tokio::test]
async fn read_state_follows_update_last_seen_and_unread() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    for i in 0..12 {
        incoming(&app, &t, 1, &format!("message {i}")).await;
    }
    assert_eq!(show(&app, &t, 1).await["unread_count"], 10, "capped at 10");
    let r = app
        .post(
            &acc(&t, "/conversations/1/update_last_seen"),
            &t.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["unread_count"], 0);
    assert!(r.body["agent_last_seen_at"].as_i64().unwrap() > 0);
    app.clock.advance_seconds(5);
    incoming(&app, &t, 1, "again").await;
    assert_eq!(show(&app, &t, 1).await["unread_count"], 1);
    app.post(
        &acc(&t, "/conversations/1/update_last_seen"),
        &t.admin,
        json!({}),
    )
    .await;
    let r = app
        .post(&acc(&t, "/conversations/1/unread"), &t.admin, json!({}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["unread_count"], 1);
}

#[tokio::test]
async fn custom_attributes_are_replaced_whole() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(
        &app,
        &t,
        inbox,
        contact,
        json!({ "custom_attributes": { "plan": "gold", "seats": 3 } }),
    )
    .await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/custom_attributes"),
            &t.admin,
            json!({ "custom_attributes": { "order_id": "ORD-1" } }),
        )
        .await;
    assert_eq!(
        r.body,
        json!({ "custom_attributes": { "order_id": "ORD-1" } })
    );
    assert_eq!(
        show(&app, &t, 1).await["custom_attributes"],
        json!({ "order_id": "ORD-1" })
    );
    let bad = app
        .post(
            &acc(&t, "/conversations/1/custom_attributes"),
            &t.admin,
            json!({ "custom_attributes": "x" }),
        )
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn assignments_set_and_clear_the_agent_and_the_team() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/assignments"),
            &t.admin,
            json!({ "assignee_id": t.agent_id }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["id"], t.agent_id);
    assert_eq!(r.body["role"], "agent");
    let meta = app.get(&acc(&t, "/conversations/meta"), &t.admin).await;
    assert_eq!(
        meta.body,
        json!({"meta":{"mine_count":0,"assigned_count":1,"unassigned_count":0,"all_count":1}})
    );
    let mine = app.get(&acc(&t, "/conversations/meta"), &t.agent).await;
    assert_eq!(mine.body["meta"]["mine_count"], 1);
    let team = app
        .post(&acc(&t, "/teams"), &t.admin, json!({ "name": "Billing" }))
        .await;
    let team_id = team.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &acc(&t, "/conversations/1/assignments"),
            &t.admin,
            json!({ "team_id": team_id }),
        )
        .await;
    assert_eq!(r.body["name"], "billing");
    let c = show(&app, &t, 1).await;
    assert_eq!(c["meta"]["team"]["id"], team_id);
    // The agent is not a member of the team, so the team change dropped them.
    assert!(c["meta"].get("assignee").is_none());
    let r = app
        .post(
            &acc(&t, "/conversations/1/assignments"),
            &t.admin,
            json!({ "team_id": 0 }),
        )
        .await;
    assert_eq!(r.body, Value::Null);
    app.post(
        &acc(&t, "/conversations/1/assignments"),
        &t.admin,
        json!({ "assignee_id": t.admin_id }),
    )
    .await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/assignments"),
            &t.admin,
            json!({ "assignee_id": null }),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.body.clone()), (200, Value::Null));
    assert!(show(&app, &t, 1).await["meta"].get("assignee").is_none());
    let acts = activities(&app, &t, 1).await;
    assert_eq!(
        acts,
        vec![
            "Assigned to agent of Acme by admin of Acme",
            "Assigned to billing by admin of Acme",
            "Unassigned from billing by admin of Acme",
            "admin of Acme self-assigned this conversation",
            "Conversation unassigned by admin of Acme",
        ]
    );
}

#[tokio::test]
async fn labels_replace_the_set_and_filter_the_list() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/labels"),
            &t.admin,
            json!({ "labels": ["Billing", "vip"] }),
        )
        .await;
    assert_eq!(r.body, json!({ "payload": ["billing", "vip"] }));
    let r = app
        .post(
            &acc(&t, "/conversations/1/labels"),
            &t.admin,
            json!({ "labels": ["vip", "refund"] }),
        )
        .await;
    assert_eq!(r.body, json!({ "payload": ["vip", "refund"] }));
    let r = app.get(&acc(&t, "/conversations/1/labels"), &t.admin).await;
    assert_eq!(r.body, json!({ "payload": ["vip", "refund"] }));
    assert_eq!(show(&app, &t, 1).await["labels"], json!(["vip", "refund"]));
    let list = app
        .get(&acc(&t, "/conversations?labels[]=refund"), &t.admin)
        .await;
    let ids: Vec<i64> = list.body["data"]["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![1]);
    assert_eq!(list.body["data"]["meta"]["all_count"], 1);
    let acts = activities(&app, &t, 1).await;
    assert_eq!(
        acts,
        vec![
            "admin of Acme added billing, vip",
            "admin of Acme added refund",
            "admin of Acme removed billing",
        ]
    );
    let bad = app
        .post(
            &acc(&t, "/conversations/1/labels"),
            &t.admin,
            json!({ "labels": ["no spaces"] }),
        )
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn agents_see_only_their_inboxes_and_reach_team_conversations_by_id() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let other = app.api_inbox(&t, "Private").await["id"].as_i64().unwrap();
    conversation(&app, &t, inbox, contact, json!({})).await;
    conversation(&app, &t, other, contact, json!({})).await;
    let list = app.get(&acc(&t, "/conversations"), &t.agent).await;
    assert_eq!(list.body["data"]["meta"]["all_count"], 1);
    assert_eq!(list.body["data"]["payload"][0]["id"], 1);
    let admin_list = app.get(&acc(&t, "/conversations"), &t.admin).await;
    assert_eq!(admin_list.body["data"]["meta"]["all_count"], 2);
    let denied = app.get(&acc(&t, "/conversations/2"), &t.agent).await;
    assert_eq!(denied.status, 401);
    assert_eq!(
        denied.body["error"],
        "You are not authorized to do this action"
    );
    let toggled = app
        .post(
            &acc(&t, "/conversations/2/toggle_status"),
            &t.agent,
            json!({}),
        )
        .await;
    assert_eq!(toggled.status, 401);
    assert_eq!(show(&app, &t, 2).await["status"], "open");
    // Team membership opens the conversation by id, not in the list.
    let team = app
        .post(
            &acc(&t, "/teams"),
            &t.admin,
            json!({ "name": "Escalations" }),
        )
        .await;
    let team_id = team.body["id"].as_i64().unwrap();
    app.post(
        &acc(&t, &format!("/teams/{team_id}/team_members")),
        &t.admin,
        json!({ "user_ids": [t.agent_id] }),
    )
    .await;
    app.post(
        &acc(&t, "/conversations/2/assignments"),
        &t.admin,
        json!({ "team_id": team_id }),
    )
    .await;
    assert_eq!(
        app.get(&acc(&t, "/conversations/2"), &t.agent).await.status,
        200
    );
    assert_eq!(
        app.get(&acc(&t, "/conversations"), &t.agent).await.body["data"]["meta"]["all_count"],
        1
    );
    assert_eq!(
        app.get(&acc(&t, "/conversations/99"), &t.admin)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn only_administrators_delete_conversations_and_display_ids_are_per_account() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let u = app.tenant("Umbrella").await;
    let (inbox, contact) = setup(&app, &t).await;
    let (u_inbox, u_contact) = setup(&app, &u).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let theirs = conversation(&app, &u, u_inbox, u_contact, json!({})).await;
    assert_eq!(theirs["id"], 1, "each account counts from 1");
    assert_eq!(
        app.delete(&acc(&t, "/conversations/1"), &t.agent, None)
            .await
            .status,
        401
    );
    assert_eq!(
        app.get(&acc(&t, "/conversations/1"), &u.admin).await.status,
        401
    );
    let r = app
        .delete(&acc(&t, "/conversations/1"), &t.admin, None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.get(&acc(&t, "/conversations/1"), &t.admin).await.status,
        404
    );
    assert_eq!(
        app.get(&acc(&u, "/conversations/1"), &u.admin).await.status,
        200
    );
    let next = conversation(&app, &t, inbox, contact, json!({})).await;
    assert_eq!(next["id"], 2, "display ids are never reused");
}

#[tokio::test]
async fn creating_needs_a_known_inbox_and_contact_and_an_empty_message_means_none() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let r = app
        .post(
            &acc(&t, "/conversations"),
            &t.admin,
            json!({ "inbox_id": inbox }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["contact_id"]));
    let r = app
        .post(
            &acc(&t, "/conversations"),
            &t.admin,
            json!({ "inbox_id": 999, "contact_id": contact }),
        )
        .await;
    assert_eq!(r.status, 422);
    let c = conversation(
        &app,
        &t,
        inbox,
        contact,
        json!({ "message": {}, "status": "pending" }),
    )
    .await;
    assert_eq!(c["messages"], json!([]));
    assert_eq!(c["status"], "pending");
    let list = app
        .get(&acc(&t, "/conversations?status=all"), &t.admin)
        .await;
    assert_eq!(
        list.body["data"]["meta"]["all_count"], 1,
        "nothing half-written"
    );
    let by_source = app
        .post(
            &acc(&t, "/conversations"),
            &t.admin,
            json!({ "source_id": "no-such-source" }),
        )
        .await;
    assert_eq!(by_source.status, 422);
}

#[tokio::test]
async fn the_contact_lists_its_conversations() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    conversation(&app, &t, inbox, contact, json!({ "status": "resolved" })).await;
    let r = app
        .get(
            &acc(&t, &format!("/contacts/{contact}/conversations")),
            &t.admin,
        )
        .await;
    let ids: Vec<i64> = r.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![2, 1]);
}

#[tokio::test]
async fn status_changes_record_events_in_the_outbox() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    toggle(&app, &t, &t.admin, 1, json!({ "status": "resolved" })).await;
    let mut c = app.db.store.conn();
    let events =
        confab_store::events::list_after(&mut c, confab_domain::AccountId(t.account_id), 0, 100)
            .await
            .unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "contact_created",
            "conversation_created",
            "conversation_status_changed",
            "conversation_resolved",
            "conversation_updated",
            "message_created",
        ]
    );
    assert_eq!(
        events[4].data["changed_attributes"],
        json!({ "status": { "previous_value": "open", "current_value": "resolved" } })
    );
}

#[tokio::test]
async fn two_nodes_on_one_database_wake_each_snoozed_conversation_exactly_once() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let now = confab_app::Clock::now(&*app.clock).unix_seconds();
    for id in 1..=12 {
        conversation(&app, &t, inbox, contact, json!({})).await;
        toggle(
            &app,
            &t,
            &t.admin,
            id,
            json!({ "status": "snoozed", "snoozed_until": now + 60 }),
        )
        .await;
    }
    // A second node: its own pool on the same database, the same clock.
    let store = confab_store::Store::connect(&app.db.url, &Default::default())
        .await
        .unwrap();
    let other = confab_app::App::new(
        store,
        confab_app::Secret::new("test-secret"),
        app.clock.clone(),
        confab_app::AppConfig::default(),
    );
    app.clock.advance_seconds(61);
    let (a, b) = tokio::join!(app.app.run_pending_jobs(), other.run_pending_jobs());
    a.unwrap();
    b.unwrap();
    app.app.run_pending_jobs().await.unwrap();
    let list = app
        .get(&acc(&t, "/conversations/meta?status=open"), &t.admin)
        .await;
    assert_eq!(list.body["meta"]["all_count"], 12);
    let mut c = app.db.store.conn();
    let events =
        confab_store::events::list_after(&mut c, confab_domain::AccountId(t.account_id), 0, 1000)
            .await
            .unwrap();
    let opened = events
        .iter()
        .filter(|e| e.name == "conversation_opened")
        .count();
    assert_eq!(opened, 12, "each conversation reopened exactly once");
}

#[tokio::test]
async fn a_bot_inbox_starts_conversations_pending_and_the_bot_hands_them_off() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let bot_endpoint = crate::webhook_sink::WebhookSink::start().await;
    let bot = app
        .post(
            &acc(&t, "/agent_bots"),
            &t.admin,
            json!({ "name": "Triage", "outgoing_url": bot_endpoint.url("/x") }),
        )
        .await;
    let bot_id = bot.body["id"].as_i64().unwrap();
    let bot_token = bot.body["access_token"].as_str().unwrap().to_owned();
    let set = app
        .post(
            &acc(&t, &format!("/inboxes/{inbox}/set_agent_bot")),
            &t.admin,
            json!({ "agent_bot": bot_id }),
        )
        .await;
    assert_eq!(set.status, 204);
    let c = conversation(&app, &t, inbox, contact, json!({})).await;
    assert_eq!(c["status"], "pending");
    // The bot may reply and toggle, but not list.
    let reply = app
        .post(
            &acc(&t, "/conversations/1/messages"),
            &bot_token,
            json!({ "content": "I am a bot" }),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["sender"]["type"], "agent_bot");
    assert_eq!(
        app.get(&acc(&t, "/conversations"), &bot_token).await.status,
        401
    );
    let r = toggle(&app, &t, &bot_token, 1, json!({ "status": "open" })).await;
    assert_eq!(
        r["payload"],
        json!({ "success": null, "conversation_id": 1, "current_status": "open", "snoozed_until": null })
    );
    assert_eq!(
        activities(&app, &t, 1).await,
        vec!["Conversation was reopened by Triage"]
    );
    let mut db = app.db.store.conn();
    let events =
        confab_store::events::list_after(&mut db, confab_domain::AccountId(t.account_id), 0, 100)
            .await
            .unwrap();
    assert!(events.iter().any(|e| e.name == "conversation_bot_handoff"));
    // A resolved conversation in a bot inbox goes back to pending when the contact writes.
    toggle(&app, &t, &t.admin, 1, json!({ "status": "resolved" })).await;
    incoming(&app, &t, 1, "hello again").await;
    assert_eq!(show(&app, &t, 1).await["status"], "pending");
}

#[tokio::test]
async fn a_trailing_slash_reaches_the_same_endpoint_as_rails_allows() {
    // Generated clients (e.g. @figuro/chatwoot-sdk) call `…/inboxes/` with a slash.
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let r = app
        .post(
            &acc(&t, "/inboxes/"),
            &t.admin,
            json!({ "name": "Slash", "channel": { "type": "api" } }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let list = app.get(&acc(&t, "/conversations/"), &t.admin).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["data"]["meta"]["all_count"], 0);
}
