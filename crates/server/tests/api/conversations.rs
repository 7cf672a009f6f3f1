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
