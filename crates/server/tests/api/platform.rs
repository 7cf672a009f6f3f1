use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, acc};

#[tokio::test]
async fn platform_provisioning_flow_ends_with_a_user_token_that_creates_an_api_inbox() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let inbox = app.api_inbox(&t, "Website API").await;
    assert_eq!(inbox["channel_type"], "Channel::Api");
    assert_eq!(inbox["inbox_identifier"].as_str().unwrap().len(), 24);
    assert!(inbox["hmac_token"].is_string());
    let users = app
        .platform(
            Method::GET,
            &format!("/accounts/{}/account_users", t.account_id),
            None,
        )
        .await;
    assert_eq!(users.status, 200);
    let roles: Vec<&str> = users
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["administrator", "agent"]);
}

#[tokio::test]
async fn platform_account_crud_round_trips_and_delete_removes_the_account() {
    let app = TestApp::spawn().await;
    let created = app
        .platform(Method::POST, "/accounts", Some(json!({ "name": "Beta", "locale": "fr", "features": { "crm": false }, "limits": { "agents": 3 } })))
        .await;
    assert_eq!(created.status, 200);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(created.body["locale"], "fr");
    assert_eq!(created.body["features"]["crm"], false);
    assert_eq!(created.body["limits"]["agents"], 3);
    let updated = app
        .platform(
            Method::PATCH,
            &format!("/accounts/{id}"),
            Some(json!({ "name": "Beta 2", "status": "suspended" })),
        )
        .await;
    assert_eq!(updated.body["name"], "Beta 2");
    assert_eq!(updated.body["status"], "suspended");
    let list = app.platform(Method::GET, "/accounts", None).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(
        app.platform(Method::DELETE, &format!("/accounts/{id}"), None)
            .await
            .status,
        200
    );
    let gone = app
        .platform(Method::GET, &format!("/accounts/{id}"), None)
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.body, json!({ "status": 404, "error": "Not Found" }));
}

#[tokio::test]
async fn platform_users_carry_their_access_token_and_can_be_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let u = app
        .platform(
            Method::POST,
            "/users",
            Some(json!({ "name": "Sam", "email": "SAM@x.test", "password": "Password-1" })),
        )
        .await;
    assert_eq!(u.status, 200);
    assert_eq!(u.body["email"], "sam@x.test");
    let token = u.body["access_token"].as_str().unwrap().to_owned();
    let id = u.body["id"].as_i64().unwrap();
    let again = app
        .platform(Method::GET, &format!("/users/{id}"), None)
        .await;
    assert_eq!(again.body["access_token"], token.as_str());
    let tok = app
        .platform(Method::POST, &format!("/users/{id}/token"), None)
        .await;
    assert_eq!(tok.body["access_token"], token.as_str());
    let up = app
        .platform(
            Method::PATCH,
            &format!("/users/{id}"),
            Some(json!({ "display_name": "Sammy" })),
        )
        .await;
    assert_eq!(up.body["available_name"], "Sammy");
    assert_eq!(
        app.platform(Method::DELETE, &format!("/users/{id}"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.request(Method::GET, "/api/v1/profile", Some(&token), None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn creating_a_user_with_an_existing_email_takes_over_that_user() {
    let app = TestApp::spawn().await;
    let a = app
        .platform(
            Method::POST,
            "/users",
            Some(json!({ "name": "A", "email": "same@x.test" })),
        )
        .await;
    let b = app
        .platform(
            Method::POST,
            "/users",
            Some(json!({ "name": "B", "email": "same@x.test" })),
        )
        .await;
    assert_eq!(a.body["id"], b.body["id"]);
    assert_eq!(b.body["name"], "B");
}

#[tokio::test]
async fn a_platform_app_cannot_touch_records_another_platform_app_created() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Mine").await;
    let (_, other) = app.app.create_platform_app("other").await.unwrap();
    let path = format!("/platform/api/v1/accounts/{}", t.account_id);
    let r = app.request(Method::GET, &path, Some(&other), None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, json!({ "error": "Non permissible resource" }));
    let r = app
        .request(
            Method::DELETE,
            &format!("/platform/api/v1/users/{}", t.admin_id),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(
        app.get(&acc(&t, ""), &t.admin).await.status,
        200,
        "the account survived"
    );
}

#[tokio::test]
async fn platform_routes_refuse_user_tokens_and_app_routes_refuse_platform_tokens() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Split").await;
    let r = app
        .request(
            Method::GET,
            "/platform/api/v1/accounts",
            Some(&t.admin),
            None,
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, json!({ "error": "Invalid access_token" }));
    let r = app.get(&acc(&t, ""), &app.platform_token.clone()).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({ "error": "Access to this endpoint is not authorized for bots" })
    );
}

#[tokio::test]
async fn platform_agent_bots_crud_and_system_bots_without_an_account() {
    let app = TestApp::spawn().await;
    let bot = app
        .platform(
            Method::POST,
            "/agent_bots",
            Some(json!({ "name": "Router", "outgoing_url": "https://bots.test/hook" })),
        )
        .await;
    assert_eq!(bot.status, 200, "{:?}", bot.body);
    assert_eq!(bot.body["system_bot"], true);
    assert_eq!(bot.body["outgoing_url"], "https://bots.test/hook");
    let id = bot.body["id"].as_i64().unwrap();
    let up = app
        .platform(
            Method::PATCH,
            &format!("/agent_bots/{id}"),
            Some(json!({ "description": "routes" })),
        )
        .await;
    assert_eq!(up.body["description"], "routes");
    assert_eq!(
        app.platform(Method::GET, "/agent_bots", None)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.platform(Method::DELETE, &format!("/agent_bots/{id}"), None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.platform(Method::GET, &format!("/agent_bots/{id}"), None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn removing_an_account_user_revokes_access_to_that_account() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Leave").await;
    let r = app
        .platform(
            Method::DELETE,
            &format!("/accounts/{}/account_users", t.account_id),
            Some(json!({ "user_id": t.agent_id })),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = app.get(&acc(&t, "/contacts"), &t.agent).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.body,
        json!({ "error": "You are not authorized to access this account" })
    );
}
