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
