//! A node keeps the answers of token and membership look-ups between requests; every change to
//! what they answer is in force from the next request on. Each test uses the credential first
//! (so its answer is kept), changes it, and uses it again at once. (Suspension: `auth.rs`;
//! revoked service keys: `service_keys.rs`.)

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, acc};

#[tokio::test]
async fn an_account_renamed_is_shown_renamed_at_once() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Old Name").await;
    assert_eq!(
        app.get(&acc(&t, ""), &t.agent).await.body["name"],
        "Old Name"
    );
    let r = app
        .patch(&acc(&t, ""), &t.admin, json!({ "name": "New Name" }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        app.get(&acc(&t, ""), &t.agent).await.body["name"],
        "New Name"
    );
}

#[tokio::test]
async fn an_agent_removed_from_the_account_is_refused_from_the_next_request() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Leaving").await;
    assert_eq!(
        app.get(&acc(&t, "/conversations"), &t.agent).await.status,
        200
    );
    let r = app
        .delete(&acc(&t, &format!("/agents/{}", t.agent_id)), &t.admin, None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app.get(&acc(&t, "/conversations"), &t.agent).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
}

#[tokio::test]
async fn a_role_change_applies_from_the_next_request_both_ways() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Roles").await;
    let admin_only = acc(&t, "/webhooks");
    assert_eq!(app.get(&admin_only, &t.agent).await.status, 401);
    let agent = acc(&t, &format!("/agents/{}", t.agent_id));
    let r = app
        .patch(&agent, &t.admin, json!({ "role": "administrator" }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(app.get(&admin_only, &t.agent).await.status, 200);
    let r = app
        .patch(&agent, &t.admin, json!({ "role": "agent" }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(app.get(&admin_only, &t.agent).await.status, 401);
}

#[tokio::test]
async fn a_deleted_user_s_token_is_refused_from_the_next_request() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Gone").await;
    assert_eq!(app.get("/api/v1/profile", &t.agent).await.status, 200);
    let r = app
        .platform(Method::DELETE, &format!("/users/{}", t.agent_id), None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(app.get("/api/v1/profile", &t.agent).await.status, 401);
}

#[tokio::test]
async fn a_profile_change_is_shown_at_once() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Profile").await;
    assert_eq!(app.get("/api/v1/profile", &t.agent).await.status, 200);
    let r = app
        .patch(
            "/api/v1/profile",
            &t.agent,
            json!({ "profile": { "display_name": "Ace" } }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app.get("/api/v1/profile", &t.agent).await;
    assert_eq!(r.body["display_name"], "Ace", "{:?}", r.body);
}
