//! Service API keys: administrators create, list and revoke them; a key reaches only its own
//! account, only the endpoints that take keys, and only the fields its scopes cover; what it
//! does is attributed to it.

use serde_json::{Value, json};

use crate::conversations::{activities, conversation, setup, show};
use crate::helpers::{Resp, Tenant, TestApp, acc, assert_invalid};

/// Every scope a key can have.
pub const ALL_SCOPES: &[&str] = &[
    "conversation.read",
    "conversation.status",
    "conversation.assign",
    "conversation.update",
    "message.create",
    "contact.read",
    "contact.write",
];

pub async fn create_key(app: &TestApp, t: &Tenant, name: &str, scopes: &[&str]) -> (i64, String) {
    let r = app
        .post(
            &acc(t, "/api_keys"),
            &t.admin,
            json!({ "name": name, "scopes": scopes }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    (
        r.body["id"].as_i64().unwrap(),
        r.body["token"].as_str().unwrap().to_owned(),
    )
}

fn refused_for(r: &Resp, field: &str, scope: &str) {
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert_eq!(r.body["field"], field, "{:?}", r.body);
    assert_eq!(r.body["required_scope"], scope, "{:?}", r.body);
}

#[tokio::test]
async fn administrators_create_list_and_revoke_keys_and_the_secret_is_shown_once() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (id, token) = create_key(&app, &t, "Zapier", &["conversation.read"]).await;
    assert!(token.starts_with("cfk_"), "{token}");
    let list = app.get(&acc(&t, "/api_keys"), &t.admin).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    let listed = &list.body["payload"][0];
    assert_eq!(listed["id"], id);
    assert_eq!(listed["name"], "Zapier");
    assert_eq!(listed["scopes"], json!(["conversation.read"]));
    assert_eq!(listed["token_hint"], token[token.len() - 4..]);
    assert!(listed.get("token").is_none(), "the secret is never listed");
    assert!(!list.body.to_string().contains(&token));

    // Agents may not manage keys; bad input names its field.
    let r = app
        .post(
            &acc(&t, "/api_keys"),
            &t.agent,
            json!({ "name": "x", "scopes": ["conversation.read"] }),
        )
        .await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    for (body, field) in [
        (
            json!({ "name": "", "scopes": ["conversation.read"] }),
            "name",
        ),
        (
            json!({ "name": "x", "scopes": ["conversation.delete"] }),
            "scopes",
        ),
        (json!({ "name": "x", "scopes": [] }), "scopes"),
        (
            json!({ "name": "x", "scopes": "conversation.read", "expires_at": "2001-01-01T00:00:00Z" }),
            "expires_at",
        ),
        (json!({ "name": "x", "scopes": [1] }), "scopes"),
    ] {
        let r = app
            .post(&acc(&t, "/api_keys"), &t.admin, body.clone())
            .await;
        assert_invalid(r.status, &r.body, field, &body.to_string());
    }

    let ok = app.get(&acc(&t, "/conversations"), &token).await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let r = app
        .delete(&acc(&t, &format!("/api_keys/{id}")), &t.admin, None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body["revoked_at"].is_string());
    let gone = app.get(&acc(&t, "/conversations"), &token).await;
    assert_eq!(gone.status, 401, "{:?}", gone.body);
}

#[tokio::test]
async fn an_expired_key_stops_working() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let r = app
        .post(
            &acc(&t, "/api_keys"),
            &t.admin,
            json!({ "name": "temp", "scopes": ["conversation.read"], "expires_at": 1_795_000_000 + 3600 }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&acc(&t, "/conversations"), &token).await.status,
        200
    );
    app.clock.advance_seconds(3600);
    assert_eq!(
        app.get(&acc(&t, "/conversations"), &token).await.status,
        401
    );
}

#[tokio::test]
async fn a_key_touches_only_the_fields_its_scopes_cover_and_a_refusal_changes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let (_, key) = create_key(
        &app,
        &t,
        "Triage",
        &["conversation.read", "conversation.status"],
    )
    .await;

    let list = app.get(&acc(&t, "/conversations"), &key).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    assert_eq!(list.body["data"]["meta"]["all_count"], 1);
    assert_eq!(
        app.get(&acc(&t, "/conversations/1"), &key).await.status,
        200
    );
    assert_eq!(
        app.get(&acc(&t, "/conversations/1/messages"), &key)
            .await
            .status,
        200
    );
    let r = app
        .post(
            &acc(&t, "/conversations/1/toggle_status"),
            &key,
            json!({ "status": "pending" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    let before = show(&app, &t, 1).await;
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "/conversations/1/toggle_priority",
            json!({ "priority": "high" }),
            "priority",
            "conversation.update",
        ),
        (
            "/conversations/1/assignments",
            json!({ "assignee_id": t.agent_id }),
            "assignee_id",
            "conversation.assign",
        ),
        (
            "/conversations/1/assignments",
            json!({ "team_id": 1 }),
            "team_id",
            "conversation.assign",
        ),
        (
            "/conversations/1/labels",
            json!({ "labels": ["vip"] }),
            "labels",
            "conversation.update",
        ),
        (
            "/conversations/1/custom_attributes",
            json!({ "custom_attributes": { "plan": "pro" } }),
            "custom_attributes",
            "conversation.update",
        ),
        (
            "/conversations/1/messages",
            json!({ "content": "hello" }),
            "content",
            "message.create",
        ),
        (
            "/contacts",
            json!({ "name": "New" }),
            "contact",
            "contact.write",
        ),
    ];
    for (path, body, field, scope) in cases {
        let r = app.post(&acc(&t, path), &key, body).await;
        refused_for(&r, field, scope);
    }
    let r = app
        .patch(
            &acc(&t, "/conversations/1"),
            &key,
            json!({ "priority": "low" }),
        )
        .await;
    refused_for(&r, "priority", "conversation.update");
    refused_for(
        &app.get(&acc(&t, "/contacts"), &key).await,
        "contact",
        "contact.read",
    );
    let after = show(&app, &t, 1).await;
    for field in ["priority", "labels", "custom_attributes", "status"] {
        assert_eq!(before[field], after[field], "{field} changed");
    }
    assert_eq!(after["meta"]["assignee"], Value::Null);
    assert_eq!(
        crate::conversations::messages(&app, &t, 1).await.len(),
        1,
        "only the status activity"
    );
}

#[tokio::test]
async fn keys_are_refused_where_they_are_not_taken_and_outside_their_account() {
    let app = TestApp::spawn().await;
    let a = app.tenant("Acme").await;
    let b = app.tenant("Globex").await;
    let (inbox, contact) = setup(&app, &b).await;
    conversation(&app, &b, inbox, contact, json!({})).await;
    let (_, key) = create_key(&app, &a, "All", ALL_SCOPES).await;
    for path in [
        "/agents",
        "/inboxes",
        "/webhooks",
        "/api_keys",
        "/automation_rules",
    ] {
        let r = app.get(&acc(&a, path), &key).await;
        assert_eq!(r.status, 403, "{path}: {:?}", r.body);
        assert_eq!(r.body["error"], "this endpoint does not accept API keys");
    }
    let r = app.get("/api/v1/profile", &key).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    // Another account's conversations and contacts: the key is no credential there.
    for path in ["/conversations", "/conversations/1", "/contacts"] {
        let r = app.get(&acc(&b, path), &key).await;
        assert_eq!(r.status, 401, "{path}: {:?}", r.body);
    }
    let r = app
        .post(
            &acc(&b, "/conversations/1/toggle_status"),
            &key,
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert_eq!(show(&app, &b, 1).await["status"], "open");
}

#[tokio::test]
async fn what_a_key_does_is_attributed_to_the_key_in_activities_and_events() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let (key_id, key) = create_key(
        &app,
        &t,
        "Zapier",
        &[
            "conversation.status",
            "conversation.assign",
            "message.create",
        ],
    )
    .await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/toggle_status"),
            &key,
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app
        .post(
            &acc(&t, "/conversations/1/assignments"),
            &key,
            json!({ "assignee_id": t.agent_id }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        activities(&app, &t, 1).await,
        vec![
            "Conversation was marked resolved by Zapier",
            "Assigned to agent of Acme by Zapier"
        ]
    );
    let r = app
        .post(
            &acc(&t, "/conversations/1/messages"),
            &key,
            json!({ "content": "Your order shipped" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let mut c = app.db.store.conn();
    let events =
        confab_store::events::list_after(&mut c, confab_domain::AccountId(t.account_id), 0, 100)
            .await
            .unwrap();
    let by_key: Vec<&str> = events
        .iter()
        .filter(|e| {
            e.data["performed_by"] == json!({ "type": "ApiKey", "id": key_id, "name": "Zapier" })
        })
        .map(|e| e.name.as_str())
        .collect();
    assert!(
        by_key.contains(&"conversation_status_changed"),
        "{by_key:?}"
    );
    assert!(by_key.contains(&"assignee_changed"), "{by_key:?}");
    assert!(by_key.contains(&"message_created"), "{by_key:?}");
}
