use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, acc};

#[tokio::test]
async fn no_token_gets_devises_plural_errors_body() {
    let app = TestApp::spawn().await;
    let r = app
        .request(Method::GET, "/api/v1/profile", None, None)
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({ "errors": ["You need to sign in or sign up before continuing."] })
    );
}

#[tokio::test]
async fn a_wrong_token_is_an_invalid_access_token() {
    let app = TestApp::spawn().await;
    let r = app
        .request(Method::GET, "/api/v1/profile", Some("nope"), None)
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, json!({ "error": "Invalid Access Token" }));
}

#[tokio::test]
async fn the_token_header_is_accepted_in_each_spelling_and_a_bearer_header_does_no_harm() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Spell").await;
    for header in ["api_access_token", "Api-Access-Token", "api-access-token"] {
        let r = app
            .client
            .get(format!("{}/api/v1/profile", app.base))
            .header(header, &t.admin)
            .header("Authorization", "Bearer something-else")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{header}");
    }
}

#[tokio::test]
async fn sign_in_returns_the_user_and_token_and_wrong_passwords_get_401_json() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Signin").await;
    let ok = app
        .request(
            Method::POST,
            "/auth/sign_in",
            None,
            Some(json!({ "email": "ADMIN@signin.test", "password": "Password-1" })),
        )
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(ok.body["data"]["access_token"], t.admin.as_str());
    assert_eq!(ok.body["data"]["accounts"][0]["role"], "administrator");
    assert_eq!(ok.headers["access-token"], t.admin.as_str());
    let bad = app
        .request(
            Method::POST,
            "/auth/sign_in",
            None,
            Some(json!({ "email": "admin@signin.test", "password": "wrong" })),
        )
        .await;
    assert_eq!(bad.status, 401);
    assert!(bad.body["error"].is_string());
    let nobody = app
        .request(
            Method::POST,
            "/auth/sign_in",
            None,
            Some(json!({ "email": "ghost@signin.test", "password": "x" })),
        )
        .await;
    assert_eq!(nobody.status, 401);
}

#[tokio::test]
async fn get_api_answers_without_a_token() {
    let app = TestApp::spawn().await;
    let r = app.request(Method::GET, "/api", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data_services"], "ok");
    assert!(r.body["version"].is_string());
}

#[tokio::test]
async fn tokens_are_stored_only_as_digests() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Digest").await;
    // The token works, and is derived again for the profile, but is nowhere in the database.
    let r = app.get("/api/v1/profile", &t.admin).await;
    assert_eq!(r.body["access_token"], t.admin.as_str());
    let mut c = app.db.store.conn();
    let stored = confab_store::tokens::find_by_owner(
        &mut c,
        confab_store::tokens::OwnerKind::User,
        t.admin_id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_ne!(stored.seed, t.admin);
    assert!(
        confab_store::tokens::find_by_digest(&mut c, &t.admin)
            .await
            .unwrap()
            .is_none(),
        "the token is not stored as is"
    );
}

#[tokio::test]
async fn agent_bot_tokens_are_refused_outside_the_bot_allow_list() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Bots").await;
    let bot = app
        .post(
            &acc(&t, "/agent_bots"),
            &t.admin,
            json!({ "name": "Helper" }),
        )
        .await;
    let token = bot.body["access_token"].as_str().unwrap().to_owned();
    let r = app.get(&acc(&t, "/contacts"), &token).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({ "error": "Access to this endpoint is not authorized for bots" })
    );
}

#[tokio::test]
async fn a_suspended_account_refuses_its_users() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Sleepy").await;
    // Used first, so the node keeps the answer of its look-up: the change must still apply.
    assert_eq!(app.get(&acc(&t, ""), &t.admin).await.status, 200);
    app.platform(
        Method::PATCH,
        &format!("/accounts/{}", t.account_id),
        Some(json!({ "status": "suspended" })),
    )
    .await;
    let r = app.get(&acc(&t, ""), &t.admin).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, json!({ "error": "Account is suspended" }));
}
