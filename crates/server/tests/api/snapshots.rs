//! Wire-format snapshots of each response shape: the compatibility contract.

use serde_json::json;

use crate::helpers::{TestApp, acc};

#[tokio::test]
async fn response_shapes_match_the_snapshots() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Shapes").await;
    let inbox = app.api_inbox(&t, "Shape inbox").await;
    insta::assert_json_snapshot!("inbox", inbox, {
        ".inbox_identifier" => "[identifier]", ".hmac_token" => "[token]", ".id" => "[id]", ".channel_id" => "[id]"
    });
    let contact = app
        .post(&acc(&t, "/contacts"), &t.admin, json!({ "name": "Shape", "email": "shape@x.test", "inbox_id": inbox["id"], "source_id": "s" }))
        .await
        .body;
    insta::assert_json_snapshot!("contact_create", contact, {
        ".payload.contact.created_at" => "[ts]", ".**.id" => "[id]", ".**.channel_id" => "[id]"
    });
    let profile = app.get("/api/v1/profile", &t.admin).await.body;
    insta::assert_json_snapshot!("profile", profile, {
        ".access_token" => "[token]", ".pubsub_token" => "[token]", ".**.active_at" => "[ts]", ".**.id" => "[id]", ".account_id" => "[id]"
    });
    let agents = app.get(&acc(&t, "/agents"), &t.admin).await.body;
    insta::assert_json_snapshot!("agents", agents, { "[].id" => "[id]", "[].account_id" => "[id]" });
    let account = app.get(&acc(&t, ""), &t.admin).await.body;
    insta::assert_json_snapshot!("account", account, { ".id" => "[id]", ".created_at" => "[ts]" });
    let p = app
        .platform(
            reqwest::Method::GET,
            &format!("/accounts/{}", t.account_id),
            None,
        )
        .await
        .body;
    insta::assert_json_snapshot!("platform_account", p, { ".id" => "[id]" });
}

#[tokio::test]
async fn conversation_shapes_match_the_snapshots() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Shapes").await;
    let (inbox, contact) = crate::conversations::setup(&app, &t).await;
    let created = crate::conversations::conversation(
        &app,
        &t,
        inbox,
        contact,
        json!({ "message": { "content": "Hello from the agent" }, "custom_attributes": { "plan": "gold" } }),
    )
    .await;
    // A float of seconds; its microseconds depend on how often background work (the outbox)
    // read the test clock, so the snapshot shows only the type.
    assert!(created["updated_at"].is_f64(), "{}", created["updated_at"]);
    insta::assert_json_snapshot!("conversation", created, {
        ".updated_at" => "[float seconds]",
        ".uuid" => "[uuid]",
        ".**.account_id" => "[id]",
        ".**.inbox_id" => "[id]",
        ".meta.sender.id" => "[id]",
        ".**.sender_id" => "[id]",
        ".**.sender.id" => "[id]",
        ".**.source_id" => "[source]",
        ".messages[].id" => "[id]",
        ".last_non_activity_message.id" => "[id]",
    });
    let msg = app
        .post(
            &acc(&t, "/conversations/1/messages"),
            &t.admin,
            json!({ "content": "Where is my order?", "message_type": "incoming", "echo_id": "e-1" }),
        )
        .await
        .body;
    insta::assert_json_snapshot!("message", msg, {
        ".id" => "[id]", ".inbox_id" => "[id]", ".sender.id" => "[id]"
    });
    app.post(
        &acc(&t, "/conversations/1/assignments"),
        &t.admin,
        json!({ "assignee_id": t.agent_id }),
    )
    .await;
    let list = app.get(&acc(&t, "/conversations"), &t.admin).await.body;
    assert!(list["data"]["payload"][0]["updated_at"].is_f64());
    insta::assert_json_snapshot!("conversation_list", list, {
        ".data.payload[].updated_at" => "[float seconds]",
        ".data.payload[].uuid" => "[uuid]",
        ".**.account_id" => "[id]",
        ".**.inbox_id" => "[id]",
        ".**.sender_id" => "[id]",
        ".**.sender.id" => "[id]",
        ".**.meta.sender.id" => "[id]",
        ".**.assignee.id" => "[id]",
        ".**.source_id" => "[source]",
        ".data.payload[].messages[].id" => "[id]",
        ".data.payload[].last_non_activity_message.id" => "[id]",
    });
    let meta = app
        .get(&acc(&t, "/conversations/meta"), &t.agent)
        .await
        .body;
    insta::assert_json_snapshot!("conversation_meta", meta);
    let toggled = app
        .post(
            &acc(&t, "/conversations/1/toggle_status"),
            &t.admin,
            json!({ "status": "snoozed", "snoozed_until": 1_900_000_000 }),
        )
        .await
        .body;
    insta::assert_json_snapshot!("toggle_status", toggled);
    let messages = app
        .get(&acc(&t, "/conversations/1/messages"), &t.admin)
        .await
        .body;
    insta::assert_json_snapshot!("message_list", messages, {
        ".payload[].id" => "[id]", ".**.inbox_id" => "[id]", ".**.sender.id" => "[id]",
        ".meta.contact.id" => "[id]", ".meta.assignee.id" => "[id]"
    });
}

#[tokio::test]
async fn public_api_shapes_match_the_snapshots() {
    use crate::public::{conversations_path, customer, public, public_inbox, say};
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let t = app.tenant("Shapes").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Shape inbox").await;
    let info = public(&app, Method::GET, &format!("/inboxes/{inbox}"), None).await;
    insta::assert_json_snapshot!("public_inbox", info.body, { ".identifier" => "[identifier]" });
    let me = customer(
        &app,
        &inbox,
        json!({ "name": "Shape", "email": "shape@x.test", "identifier": "u-1" }),
    )
    .await;
    insta::assert_json_snapshot!("public_contact", me, {
        ".id" => "[id]", ".source_id" => "[source]", ".pubsub_token" => "[token]"
    });
    let source = me["source_id"].as_str().unwrap().to_owned();
    let conv = public(
        &app,
        Method::POST,
        &conversations_path(&inbox, &source),
        Some(json!({})),
    )
    .await
    .body;
    let id = conv["id"].as_i64().unwrap();
    say(&app, &inbox, &source, id, "Where is my order?").await;
    app.post(
        &acc(&t, &format!("/conversations/{id}/messages")),
        &t.admin,
        json!({ "content": "It ships today." }),
    )
    .await;
    let shown = public(
        &app,
        Method::GET,
        &format!("{}/{id}", conversations_path(&inbox, &source)),
        None,
    )
    .await
    .body;
    insta::assert_json_snapshot!("public_conversation", shown, {
        ".uuid" => "[uuid]", ".inbox_id" => "[id]", ".**.account_id" => "[id]",
        ".contact.id" => "[id]", ".messages[].id" => "[id]", ".messages[].sender.id" => "[id]"
    });
    let updated = public(
        &app,
        Method::PATCH,
        &format!("/inboxes/{inbox}/contacts/{source}"),
        Some(json!({ "name": "Shape Two" })),
    )
    .await
    .body;
    insta::assert_json_snapshot!("public_contact_update", updated, {
        ".id" => "[id]", ".account_id" => "[id]"
    });
}
