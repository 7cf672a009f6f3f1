use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, acc};

#[tokio::test]
async fn malformed_json_is_a_400_json_error_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Bad").await;
    let r = app
        .client
        .post(format!("{}{}", app.base, acc(&t, "/contacts")))
        .header("api_access_token", &t.admin)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("Malformed JSON body")
    );
    assert_eq!(
        app.get(&acc(&t, "/contacts"), &t.admin).await.body["meta"]["count"],
        0
    );
}

#[tokio::test]
async fn wrong_types_name_the_field() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Types").await;
    let r = app
        .post(
            &acc(&t, "/inboxes"),
            &t.admin,
            json!({ "name": "X", "greeting_enabled": "maybe", "channel": { "type": "api" } }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["greeting_enabled"]));
    let r = app
        .post(&acc(&t, "/contacts"), &t.admin, json!({ "name": ["x"] }))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["name"]));
    let r = app
        .post(
            &acc(&t, "/inbox_members"),
            &t.admin,
            json!({ "inbox_id": "three", "user_ids": [] }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["inbox_id"]));
}

#[tokio::test]
async fn liberal_input_accepts_string_ids_blanks_and_empty_nested_objects() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Liberal").await;
    let inbox = app.api_inbox(&t, "API").await;
    let r = app
        .post(
            &acc(&t, "/contacts"),
            &t.admin,
            json!({ "name": "L", "email": "", "phone_number": "", "identifier": "id-1", "inbox_id": inbox["id"].to_string(), "additional_attributes": {}, "unknown_field": 1 }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["payload"]["contact"]["email"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn oversized_bodies_get_413_json() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Big").await;
    let big = "x".repeat(2 * 1024 * 1024);
    let r = app
        .post(&acc(&t, "/contacts"), &t.admin, json!({ "name": big }))
        .await;
    assert_eq!(r.status, 413);
    assert!(r.body["error"].is_string());
}

#[tokio::test]
async fn unknown_routes_and_ids_are_404_json() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Lost").await;
    let r = app.get("/api/v1/nowhere", &t.admin).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, json!({ "status": 404, "error": "Not Found" }));
    let r = app.get(&acc(&t, "/contacts/abc"), &t.admin).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body, json!({ "error": "Resource could not be found" }));
    let r = app.get("/api/v1/accounts/999999", &t.admin).await;
    assert_eq!(r.status, 404);
    let r = app.request(Method::PUT, "/api", None, None).await;
    assert_eq!(r.status, 405);
}
