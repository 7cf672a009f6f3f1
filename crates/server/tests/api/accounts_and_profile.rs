use serde_json::json;

use crate::helpers::{TestApp, acc};

#[tokio::test]
async fn members_read_the_account_and_only_administrators_update_it() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Readers").await;
    let r = app.get(&acc(&t, ""), &t.agent).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], "Readers");
    let denied = app
        .patch(&acc(&t, ""), &t.agent, json!({ "name": "Hijacked" }))
        .await;
    assert_eq!(denied.status, 401);
    assert_eq!(
        denied.body,
        json!({ "error": "You are not authorized to do this action" })
    );
    let ok = app
        .patch(
            &acc(&t, ""),
            &t.admin,
            json!({ "account": { "name": "Renamed", "locale": "de" } }),
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["name"], "Renamed");
    assert_eq!(ok.body["locale"], "de");
}

#[tokio::test]
async fn profile_update_changes_names_and_a_password_change_needs_the_current_password() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Me").await;
    let r = app
        .patch(
            "/api/v1/profile",
            &t.agent,
            json!({ "profile": { "display_name": "Ag", "ui_settings": { "theme": "dark" } } }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["available_name"], "Ag");
    assert_eq!(r.body["ui_settings"]["theme"], "dark");
    let bad = app
        .patch(
            "/api/v1/profile",
            &t.agent,
            json!({ "password": "NewPass-2", "current_password": "nope" }),
        )
        .await;
    assert_eq!(bad.status, 422);
    let good = app
        .patch("/api/v1/profile", &t.agent, json!({ "password": "NewPass-2", "password_confirmation": "NewPass-2", "current_password": "Password-1" }))
        .await;
    assert_eq!(good.status, 200);
    let signin = app
        .request(
            reqwest::Method::POST,
            "/auth/sign_in",
            None,
            Some(json!({ "email": "agent@me.test", "password": "NewPass-2" })),
        )
        .await;
    assert_eq!(signin.status, 200);
}

#[tokio::test]
async fn profile_email_must_be_valid_and_unique() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Mail").await;
    let r = app
        .patch(
            "/api/v1/profile",
            &t.agent,
            json!({ "email": "not-an-email" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["email"]));
    let r = app
        .patch(
            "/api/v1/profile",
            &t.agent,
            json!({ "email": "admin@mail.test" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body,
        json!({ "message": "Email has already been taken", "attributes": ["email"] })
    );
}
