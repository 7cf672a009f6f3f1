//! `…/custom_attribute_definitions` and `…/custom_filters`.

use confab_domain::filter::DataType;
use confab_domain::{AccountId, Timestamp, UserId};
use confab_store::custom_filters::{NewCustomFilter, insert_custom_filter};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, acc};

/// The test clock's instant as Rails renders it.
fn now_iso() -> String {
    Timestamp::from_unix_seconds(1_795_000_000).to_rails_iso()
}

async fn definition(app: &TestApp, t: &Tenant, body: Value) -> Value {
    let r = app
        .post(&acc(t, "/custom_attribute_definitions"), &t.admin, body)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

fn keys(body: &Value) -> Vec<&str> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|d| d["attribute_key"].as_str().unwrap())
        .collect()
}

fn names(body: &Value) -> Vec<&str> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn custom_attribute_definitions_round_trip_with_enum_names_and_iso_timestamps() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Attributes").await;
    let created = definition(
        &app,
        &t,
        json!({ "custom_attribute_definition": {
            "attribute_display_name": " Plan ",
            "attribute_key": "plan",
            "attribute_display_type": "list",
            "attribute_model": "contact_attribute",
            "attribute_description": "Subscription tier",
            "attribute_values": ["free", "pro"],
            "regex_pattern": "^[a-z]+$",
            "regex_cue": "lower-case letters",
            "default_value": "free",
        } }),
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        created,
        json!({
            "id": id,
            "attribute_display_name": "Plan",
            "attribute_display_type": "list",
            "attribute_description": "Subscription tier",
            "attribute_key": "plan",
            "regex_pattern": "^[a-z]+$",
            "regex_cue": "lower-case letters",
            "attribute_values": ["free", "pro"],
            "attribute_model": "contact_attribute",
            "default_value": "free",
            "created_at": now_iso(),
            "updated_at": now_iso(),
        })
    );
    let by_code = definition(
        &app,
        &t,
        json!({ "attribute_display_name": "Seats", "attribute_key": "seats", "attribute_display_type": 1, "attribute_model": "0" }),
    )
    .await;
    assert_eq!(by_code["attribute_display_type"], "number");
    assert_eq!(by_code["attribute_model"], "conversation_attribute");
    assert_eq!(by_code["attribute_values"], json!([]));
    assert_eq!(by_code["regex_pattern"], Value::Null);

    let path = acc(&t, &format!("/custom_attribute_definitions/{id}"));
    let shown = app.get(&path, &t.agent).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body, created);
    let updated = app
        .patch(
            &path,
            &t.admin,
            json!({ "custom_attribute_definition": { "attribute_display_name": "Plan tier", "attribute_values": ["free", "pro", "enterprise"], "regex_pattern": null } }),
        )
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(updated.body["attribute_display_name"], "Plan tier");
    assert_eq!(
        updated.body["attribute_values"],
        json!(["free", "pro", "enterprise"])
    );
    assert_eq!(updated.body["regex_pattern"], Value::Null);
    assert_eq!(updated.body["attribute_key"], "plan");
    assert_eq!(updated.body["attribute_model"], "contact_attribute");

    let deleted = app.delete(&path, &t.admin, None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(app.get(&path, &t.admin).await.status, 404);
}

#[tokio::test]
async fn attribute_model_filters_the_definition_list() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Models").await;
    definition(
        &app,
        &t,
        json!({ "attribute_display_name": "Order", "attribute_key": "order_ref" }),
    )
    .await;
    definition(
        &app,
        &t,
        json!({ "attribute_display_name": "Plan", "attribute_key": "plan", "attribute_model": 1 }),
    )
    .await;
    let list = |q: &'static str| {
        let path = acc(&t, &format!("/custom_attribute_definitions{q}"));
        let app = &app;
        let token = t.agent.clone();
        async move {
            let r = app.get(&path, &token).await;
            assert_eq!(r.status, 200, "{q}");
            r.body
        }
    };
    for q in ["?attribute_model=contact_attribute", "?attribute_model=1"] {
        assert_eq!(keys(&list(q).await), vec!["plan"], "{q}");
    }
    for q in [
        "?attribute_model=conversation_attribute",
        "?attribute_model=0",
    ] {
        assert_eq!(keys(&list(q).await), vec!["order_ref"], "{q}");
    }
    for q in ["", "?attribute_model="] {
        assert_eq!(
            keys(&list(q).await),
            vec!["order_ref", "plan"],
            "no model lists every model, as upstream's scope does ({q})"
        );
    }
    assert_eq!(list("?attribute_model=ticket").await, json!([]));
}

#[tokio::test]
async fn reserved_attribute_keys_are_refused_for_their_model_only() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Reserved").await;
    let conflict = json!({
        "message": "Attribute key The provided key is not allowed as it might conflict with default attributes.",
        "attributes": ["attribute_key"],
    });
    for (key, model) in [
        ("status", "conversation_attribute"),
        ("labels", "conversation_attribute"),
        ("email", "contact_attribute"),
        ("blocked", "contact_attribute"),
    ] {
        let r = app
            .post(
                &acc(&t, "/custom_attribute_definitions"),
                &t.admin,
                json!({ "attribute_display_name": key, "attribute_key": key, "attribute_model": model }),
            )
            .await;
        assert_eq!(r.status, 422, "{key} on {model}");
        assert_eq!(r.body, conflict, "{key} on {model}");
    }
    let contact_status = definition(
        &app,
        &t,
        json!({ "attribute_display_name": "Status", "attribute_key": "status", "attribute_model": "contact_attribute" }),
    )
    .await;
    assert_eq!(contact_status["attribute_key"], "status");
    let list = app
        .get(&acc(&t, "/custom_attribute_definitions"), &t.admin)
        .await;
    assert_eq!(keys(&list.body), vec!["status"]);
}

#[tokio::test]
async fn definition_validation_names_the_field_and_keys_are_unique_per_account_and_model() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Definitions").await;
    let other = app.tenant("Other Definitions").await;
    let path = acc(&t, "/custom_attribute_definitions");
    let first = definition(
        &app,
        &t,
        json!({ "attribute_display_name": "Tier", "attribute_key": "tier" }),
    )
    .await;
    let cases = [
        (
            json!({ "attribute_display_name": "Tier again", "attribute_key": "tier" }),
            json!({ "message": "Attribute key has already been taken", "attributes": ["attribute_key"] }),
        ),
        (
            json!({ "attribute_key": "no_name" }),
            json!({ "message": "Attribute display name can't be blank", "attributes": ["attribute_display_name"] }),
        ),
        (
            json!({ "attribute_display_name": "No key" }),
            json!({ "message": "Attribute key can't be blank", "attributes": ["attribute_key"] }),
        ),
        (
            json!({ "attribute_display_name": "Spaced", "attribute_key": "has space" }),
            json!({ "message": "Attribute key must only contain letters, numbers, underscores, hyphens, and dots", "attributes": ["attribute_key"] }),
        ),
        (
            json!({ "attribute_display_name": "X", "attribute_key": "x", "attribute_display_type": "colour" }),
            json!({ "message": "Attribute display type is not included in the list", "attributes": ["attribute_display_type"] }),
        ),
        (
            json!({ "attribute_display_name": "X", "attribute_key": "x", "attribute_model": 5 }),
            json!({ "message": "Attribute model is not included in the list", "attributes": ["attribute_model"] }),
        ),
        (
            json!({ "attribute_display_name": "X", "attribute_key": "x", "attribute_values": "a,b" }),
            json!({ "message": "Attribute values must be a list", "attributes": ["attribute_values"] }),
        ),
        (
            json!({}),
            json!({ "error": "param is missing or the value is empty: custom_attribute_definition" }),
        ),
    ];
    for (body, expected) in cases {
        let r = app.post(&path, &t.admin, body.clone()).await;
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(r.body, expected, "{body}");
    }
    definition(
        &app,
        &t,
        json!({ "attribute_display_name": "Tier", "attribute_key": "tier", "attribute_model": "contact_attribute" }),
    )
    .await;
    definition(
        &app,
        &other,
        json!({ "attribute_display_name": "Tier", "attribute_key": "tier" }),
    )
    .await;

    let second = definition(
        &app,
        &t,
        json!({ "attribute_display_name": "Region", "attribute_key": "region" }),
    )
    .await;
    let clash = app
        .patch(
            &acc(
                &t,
                &format!("/custom_attribute_definitions/{}", second["id"]),
            ),
            &t.admin,
            json!({ "attribute_key": "tier" }),
        )
        .await;
    assert_eq!(clash.status, 422);
    assert_eq!(clash.body["attributes"], json!(["attribute_key"]));
    let unchanged = app
        .get(
            &acc(
                &t,
                &format!("/custom_attribute_definitions/{}", first["id"]),
            ),
            &t.admin,
        )
        .await;
    assert_eq!(unchanged.body, first);
}

#[tokio::test]
async fn any_member_of_the_account_writes_custom_attribute_definitions() {
    // Upstream's controller authorises nothing beyond account membership.
    let app = TestApp::spawn().await;
    let t = app.tenant("Attribute Roles").await;
    let created = app
        .post(
            &acc(&t, "/custom_attribute_definitions"),
            &t.agent,
            json!({ "attribute_display_name": "Mine", "attribute_key": "mine" }),
        )
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_eq!(created.body["attribute_key"], "mine");
    let path = acc(
        &t,
        &format!("/custom_attribute_definitions/{}", created.body["id"]),
    );
    let renamed = app
        .patch(
            &path,
            &t.agent,
            json!({ "attribute_display_name": "Renamed" }),
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(renamed.body["attribute_display_name"], "Renamed");
    let deleted = app.delete(&path, &t.agent, None).await;
    assert_eq!(deleted.status, 204);
    let list = app
        .get(&acc(&t, "/custom_attribute_definitions"), &t.agent)
        .await;
    assert_eq!(list.body, json!([]));
}

#[tokio::test]
async fn definitions_of_another_account_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let a = app.tenant("Alpha Attrs").await;
    let b = app.tenant("Bravo Attrs").await;
    let d = definition(
        &app,
        &b,
        json!({ "attribute_display_name": "Secret", "attribute_key": "secret" }),
    )
    .await;
    let id = d["id"].as_i64().unwrap();
    let foreign = app
        .get(&acc(&b, "/custom_attribute_definitions"), &a.admin)
        .await;
    assert_eq!(foreign.status, 401);
    for (method, body) in [
        (Method::GET, None),
        (
            Method::PATCH,
            Some(json!({ "attribute_display_name": "pwned" })),
        ),
        (Method::DELETE, None),
    ] {
        let r = app
            .request(
                method.clone(),
                &acc(&a, &format!("/custom_attribute_definitions/{id}")),
                Some(&a.admin),
                body,
            )
            .await;
        assert_eq!(r.status, 404, "{method}");
    }
    assert_eq!(
        app.get(&acc(&a, "/custom_attribute_definitions"), &a.admin)
            .await
            .body,
        json!([])
    );
    let still = app
        .get(
            &acc(&b, &format!("/custom_attribute_definitions/{id}")),
            &b.admin,
        )
        .await;
    assert_eq!(still.body, d);
}

#[tokio::test]
async fn custom_attribute_kinds_map_each_key_of_a_model_to_its_filter_type() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Kinds").await;
    for (key, display_type, model) in [
        ("tier", "list", 0),
        ("seats", "number", 0),
        ("vip", "checkbox", 0),
        ("renewal", "date", 0),
        ("site", "link", 0),
        ("score", "percent", 1),
    ] {
        definition(
            &app,
            &t,
            json!({ "attribute_display_name": key, "attribute_key": key, "attribute_display_type": display_type, "attribute_model": model }),
        )
        .await;
    }
    let kinds = app
        .app
        .custom_attribute_kinds(AccountId(t.account_id), 0)
        .await
        .unwrap();
    assert_eq!(kinds.len(), 5);
    assert_eq!(kinds["tier"], DataType::Text);
    assert_eq!(kinds["site"], DataType::Text);
    assert_eq!(kinds["seats"], DataType::Number);
    assert_eq!(kinds["vip"], DataType::Boolean);
    assert_eq!(kinds["renewal"], DataType::Date);
    let contact = app
        .app
        .custom_attribute_kinds(AccountId(t.account_id), 1)
        .await
        .unwrap();
    assert_eq!(contact.len(), 1);
    assert_eq!(contact["score"], DataType::Number);
}

fn open_status_query() -> Value {
    json!({ "payload": [{ "attribute_key": "status", "filter_operator": "equal_to", "values": ["open"], "query_operator": null }] })
}

#[tokio::test]
async fn users_save_list_update_and_delete_their_own_filters() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Views").await;
    let created = app
        .post(
            &acc(&t, "/custom_filters"),
            &t.agent,
            json!({ "custom_filter": { "name": "Open ones", "filter_type": "conversation", "query": open_status_query() } }),
        )
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        created.body,
        json!({
            "id": id,
            "name": "Open ones",
            "filter_type": "conversation",
            "query": open_status_query(),
            "created_at": now_iso(),
            "updated_at": now_iso(),
        })
    );
    let contacts = app
        .post(
            &acc(&t, "/custom_filters"),
            &t.agent,
            json!({ "name": "Leads", "filter_type": 1, "query": { "payload": [] } }),
        )
        .await;
    assert_eq!(contacts.body["filter_type"], "contact");
    let defaulted = app
        .post(
            &acc(&t, "/custom_filters"),
            &t.agent,
            json!({ "name": "Everything" }),
        )
        .await;
    assert_eq!(defaulted.body["filter_type"], "conversation");
    assert_eq!(defaulted.body["query"], json!({}));

    let list = app.get(&acc(&t, "/custom_filters"), &t.agent).await;
    assert_eq!(list.status, 200);
    assert_eq!(
        names(&list.body),
        vec!["Open ones", "Everything"],
        "conversation filters by default"
    );
    for q in ["contact", "1"] {
        let r = app
            .get(
                &acc(&t, &format!("/custom_filters?filter_type={q}")),
                &t.agent,
            )
            .await;
        assert_eq!(names(&r.body), vec!["Leads"], "{q}");
    }
    let reports = app
        .get(&acc(&t, "/custom_filters?filter_type=report"), &t.agent)
        .await;
    assert_eq!(reports.body, json!([]));

    let path = acc(&t, &format!("/custom_filters/{id}"));
    assert_eq!(app.get(&path, &t.agent).await.body, created.body);
    let new_query = json!({ "payload": [{ "attribute_key": "status", "filter_operator": "equal_to", "values": ["resolved"], "query_operator": null }] });
    let updated = app
        .patch(
            &path,
            &t.agent,
            json!({ "custom_filter": { "name": "Resolved ones", "query": new_query } }),
        )
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(updated.body["name"], "Resolved ones");
    assert_eq!(
        updated.body["query"], new_query,
        "the query is replaced whole"
    );
    assert_eq!(updated.body["filter_type"], "conversation");

    let deleted = app.delete(&path, &t.agent, None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(app.get(&path, &t.agent).await.status, 404);
}

#[tokio::test]
async fn saved_filters_are_private_to_the_user_who_saved_them() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Private Views").await;
    let mine = app
        .post(
            &acc(&t, "/custom_filters"),
            &t.admin,
            json!({ "name": "Admin view", "query": open_status_query() }),
        )
        .await;
    let path = acc(&t, &format!("/custom_filters/{}", mine.body["id"]));
    assert_eq!(
        app.get(&acc(&t, "/custom_filters"), &t.agent).await.body,
        json!([])
    );
    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({ "name": "taken over" }))),
        (Method::PUT, Some(json!({ "name": "taken over" }))),
        (Method::DELETE, None),
    ] {
        let r = app
            .request(method.clone(), &path, Some(&t.agent), body)
            .await;
        assert_eq!(r.status, 404, "{method}");
        assert_eq!(r.body, json!({ "error": "Resource could not be found" }));
    }
    let still = app.get(&path, &t.admin).await;
    assert_eq!(still.status, 200);
    assert_eq!(still.body["name"], "Admin view");

    let other = app.tenant("Other Views").await;
    let foreign = app.get(&acc(&t, "/custom_filters"), &other.admin).await;
    assert_eq!(foreign.status, 401);
    let across = app
        .get(
            &acc(&other, &format!("/custom_filters/{}", mine.body["id"])),
            &other.admin,
        )
        .await;
    assert_eq!(across.status, 404);
}

#[tokio::test]
async fn saved_filter_validation_names_the_field() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Bad Views").await;
    let path = acc(&t, "/custom_filters");
    let cases = [
        (
            json!({ "filter_type": "conversation" }),
            json!({ "message": "Name can't be blank", "attributes": ["name"] }),
        ),
        (
            json!({ "name": "x", "filter_type": "board" }),
            json!({ "message": "Filter type is not included in the list", "attributes": ["filter_type"] }),
        ),
        (
            json!({ "name": "x", "query": ["status"] }),
            json!({ "message": "Query must be an object", "attributes": ["query"] }),
        ),
        (
            json!({}),
            json!({ "error": "param is missing or the value is empty: custom_filter" }),
        ),
    ];
    for (body, expected) in cases {
        let r = app.post(&path, &t.agent, body.clone()).await;
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(r.body, expected, "{body}");
    }
    assert_eq!(app.get(&path, &t.agent).await.body, json!([]));
}

#[tokio::test]
async fn a_user_keeps_at_most_a_thousand_saved_filters_per_account() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Many Views").await;
    let filter = NewCustomFilter {
        name: "bulk".into(),
        filter_type: 1,
        query: json!({}),
    };
    let mut c = app.db.store.conn();
    for _ in 0..999 {
        insert_custom_filter(
            &mut c,
            AccountId(t.account_id),
            UserId(t.agent_id),
            &filter,
            Timestamp::from_unix_seconds(1_795_000_000),
        )
        .await
        .unwrap();
    }
    let path = acc(&t, "/custom_filters");
    let thousandth = app.post(&path, &t.agent, json!({ "name": "last" })).await;
    assert_eq!(thousandth.status, 200, "{:?}", thousandth.body);
    let over = app
        .post(&path, &t.agent, json!({ "name": "one too many" }))
        .await;
    assert_eq!(over.status, 422);
    assert_eq!(
        over.body,
        json!({
            "message": "Account Limit reached. The maximum number of allowed custom filters for a user per account is 1000.",
            "attributes": ["account_id"],
        })
    );
    let list = app.get(&path, &t.agent).await;
    assert_eq!(names(&list.body), vec!["last"], "nothing was saved");
    let admins = app.post(&path, &t.admin, json!({ "name": "mine" })).await;
    assert_eq!(admins.status, 200, "the limit is per user");
}

#[tokio::test]
async fn agent_bots_cannot_use_saved_filters() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Bot Views").await;
    let bot = app
        .post(
            &acc(&t, "/agent_bots"),
            &t.admin,
            json!({ "name": "Helper" }),
        )
        .await;
    let token = bot.body["access_token"].as_str().unwrap().to_owned();
    let refused = json!({ "error": "Access to this endpoint is not authorized for bots" });
    let list = app.get(&acc(&t, "/custom_filters"), &token).await;
    assert_eq!((list.status.as_u16(), &list.body), (401, &refused));
    let create = app
        .post(
            &acc(&t, "/custom_filters"),
            &token,
            json!({ "name": "bot" }),
        )
        .await;
    assert_eq!((create.status.as_u16(), &create.body), (401, &refused));
}
