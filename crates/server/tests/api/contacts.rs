use serde_json::json;

use crate::helpers::{TestApp, acc};

#[tokio::test]
async fn contacts_are_created_with_an_inbox_identity_and_listed_fifteen_a_page() {
    let app = TestApp::spawn().await;
    let t = app.tenant("People").await;
    let inbox = app.api_inbox(&t, "API").await;
    let created = app
        .post(&acc(&t, "/contacts"), &t.agent, json!({ "name": "Jo", "email": "JO@people.test", "inbox_id": inbox["id"].to_string(), "source_id": "src-1" }))
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_eq!(
        created.body["payload"]["contact"]["email"],
        "jo@people.test"
    );
    assert_eq!(
        created.body["payload"]["contact_inbox"]["source_id"],
        "src-1"
    );
    for i in 0..16 {
        app.contact(
            &t,
            json!({ "name": format!("P{i:02}"), "phone_number": format!("+1555000{i:04}") }),
        )
        .await;
    }
    app.contact(&t, json!({ "name": "Anonymous" })).await;
    let page1 = app.get(&acc(&t, "/contacts?sort=name"), &t.agent).await;
    assert_eq!(
        page1.body["meta"],
        json!({ "count": 17, "current_page": 1 }),
        "unidentified contacts are not listed"
    );
    assert_eq!(page1.body["payload"].as_array().unwrap().len(), 15);
    assert_eq!(page1.body["payload"][0]["name"], "Jo");
    let page2 = app
        .get(&acc(&t, "/contacts?sort=name&page=2"), &t.agent)
        .await;
    assert_eq!(page2.body["meta"]["current_page"], "2");
    assert_eq!(page2.body["payload"].as_array().unwrap().len(), 2);
    let desc = app
        .get(
            &acc(&t, "/contacts?sort=-name&include_contact_inboxes=false"),
            &t.agent,
        )
        .await;
    assert_eq!(desc.body["payload"][0]["name"], "P15");
    assert!(desc.body["payload"][0].get("contact_inboxes").is_none());
}

#[tokio::test]
async fn contact_validation_names_the_field_and_uniqueness_is_per_account() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Valid").await;
    let u = app.tenant("Other").await;
    app.contact(
        &t,
        json!({ "email": "dup@x.test", "phone_number": "+14155550000" }),
    )
    .await;
    let r = app
        .post(
            &acc(&t, "/contacts"),
            &t.admin,
            json!({ "email": "DUP@x.test" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body,
        json!({ "message": "Email has already been taken", "attributes": ["email"] })
    );
    let r = app
        .post(
            &acc(&t, "/contacts"),
            &t.admin,
            json!({ "phone_number": "555" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["phone_number"]));
    let r = app
        .post(
            &acc(&t, "/contacts"),
            &t.admin,
            json!({ "email": "x@", "phone_number": "12" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["email", "phone_number"]));
    let r = app
        .post(
            &acc(&t, "/contacts"),
            &t.admin,
            json!({ "custom_attributes": [1] }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["custom_attributes"]));
    app.contact(&u, json!({ "email": "dup@x.test" })).await;
}

#[tokio::test]
async fn contact_update_merges_attribute_hashes_and_delete_is_for_administrators() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Merge").await;
    let c = app
        .contact(
            &t,
            json!({ "email": "m@x.test", "custom_attributes": { "plan": "gold", "seats": 3 } }),
        )
        .await;
    let id = c["id"].as_i64().unwrap();
    let r = app
        .patch(
            &acc(&t, &format!("/contacts/{id}")),
            &t.agent,
            json!({ "custom_attributes": { "seats": 5 }, "name": "Max", "blocked": true }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["payload"]["custom_attributes"],
        json!({ "plan": "gold", "seats": 5 })
    );
    assert_eq!(r.body["payload"]["blocked"], true);
    assert_eq!(
        app.delete(&acc(&t, &format!("/contacts/{id}")), &t.agent, None)
            .await
            .status,
        401
    );
    assert_eq!(
        app.delete(&acc(&t, &format!("/contacts/{id}")), &t.admin, None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&acc(&t, &format!("/contacts/{id}")), &t.admin)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn search_matches_name_email_phone_and_identifier_case_insensitively() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Find").await;
    app.contact(
        &t,
        json!({ "name": "Ada Lovelace", "email": "ada@find.test" }),
    )
    .await;
    app.contact(&t, json!({ "name": "Bob", "identifier": "CRM-42" }))
        .await;
    app.contact(
        &t,
        json!({ "name": "100% Carol", "phone_number": "+4930123" }),
    )
    .await;
    let r = app.get(&acc(&t, "/contacts/search?q=LOVE"), &t.agent).await;
    assert_eq!(r.body["meta"]["count"], 1);
    assert_eq!(r.body["payload"][0]["name"], "Ada Lovelace");
    assert_eq!(
        app.get(&acc(&t, "/contacts/search?q=crm-4"), &t.agent)
            .await
            .body["meta"]["count"],
        1
    );
    assert_eq!(
        app.get(&acc(&t, "/contacts/search?q=%25"), &t.agent)
            .await
            .body["meta"]["count"],
        1,
        "% is literal"
    );
    assert_eq!(
        app.get(&acc(&t, "/contacts/search"), &t.agent).await.status,
        422
    );
}

#[tokio::test]
async fn filter_applies_chatwoots_dsl_and_refuses_bad_conditions() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Filter").await;
    app.contact(&t, json!({ "name": "Ann", "email": "ann@f.test", "additional_attributes": { "city": "Paris" } })).await;
    app.contact(&t, json!({ "name": "Ben", "email": "ben@f.test", "blocked": true, "additional_attributes": { "city": "Berlin" } })).await;
    app.contact(&t, json!({ "name": "Cyd", "phone_number": "+3312345" }))
        .await;
    let q = |payload: serde_json::Value| json!({ "payload": payload });
    let r = app
        .post(&acc(&t, "/contacts/filter"), &t.agent, q(json!([{ "attribute_key": "city", "filter_operator": "equal_to", "values": ["PARIS"], "query_operator": "OR" }, { "attribute_key": "blocked", "filter_operator": "equal_to", "values": [true] }])))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let mut names: Vec<&str> = r.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["Ann", "Ben"]);
    let r = app
        .post(&acc(&t, "/contacts/filter"), &t.agent, q(json!([{ "attribute_key": "phone_number", "filter_operator": "starts_with", "values": ["+33"] }])))
        .await;
    assert_eq!(r.body["meta"]["count"], 1);
    let r = app
        .post(&acc(&t, "/contacts/filter"), &t.agent, q(json!([{ "attribute_key": "created_at", "filter_operator": "is_greater_than", "values": ["2000-01-01"] }])))
        .await;
    assert_eq!(r.body["meta"]["count"], 3);
    let r = app
        .post(
            &acc(&t, "/contacts/filter"),
            &t.agent,
            q(json!([{ "attribute_key": "shoe", "filter_operator": "equal_to", "values": ["9"] }])),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .starts_with("Invalid attribute key - [shoe]")
    );
    let r = app
        .post(
            &acc(&t, "/contacts/filter"),
            &t.agent,
            json!({ "payload": "x" }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["payload"]));
}

#[tokio::test]
async fn contact_inboxes_are_idempotent_and_contactable_inboxes_show_source_ids() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Reach").await;
    let inbox = app.api_inbox(&t, "API").await;
    let c = app.contact(&t, json!({ "email": "r@x.test" })).await;
    let path = acc(&t, &format!("/contacts/{}/contact_inboxes", c["id"]));
    let a = app
        .post(
            &path,
            &t.admin,
            json!({ "inbox_id": inbox["id"], "source_id": "s-1" }),
        )
        .await;
    assert_eq!(a.status, 200, "{:?}", a.body);
    assert_eq!(a.body["source_id"], "s-1");
    let b = app
        .post(
            &path,
            &t.admin,
            json!({ "inbox_id": inbox["id"], "source_id": "s-1" }),
        )
        .await;
    assert_eq!(b.status, 200);
    let other = app.contact(&t, json!({ "email": "o@x.test" })).await;
    let clash = app
        .post(
            &acc(&t, &format!("/contacts/{}/contact_inboxes", other["id"])),
            &t.admin,
            json!({ "inbox_id": inbox["id"], "source_id": "s-1" }),
        )
        .await;
    assert_eq!(clash.status, 422);
    let ci = app
        .get(
            &acc(&t, &format!("/contacts/{}/contactable_inboxes", c["id"])),
            &t.admin,
        )
        .await;
    assert_eq!(ci.body["payload"][0]["source_id"], "s-1");
    let convs = app
        .get(
            &acc(&t, &format!("/contacts/{}/conversations", c["id"])),
            &t.admin,
        )
        .await;
    assert_eq!(convs.body, json!({ "payload": [] }));
}

#[tokio::test]
async fn the_contact_filter_resolves_custom_attributes_through_their_definitions() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let def = app
        .post(
            &acc(&t, "/custom_attribute_definitions"),
            &t.admin,
            serde_json::json!({ "attribute_display_name": "Plan", "attribute_key": "plan", "attribute_model": "contact_attribute" }),
        )
        .await;
    assert_eq!(def.status, 200, "{:?}", def.body);
    app.contact(&t, serde_json::json!({ "name": "Gold", "email": "g@x.test", "custom_attributes": { "plan": "Gold" } }))
        .await;
    app.contact(&t, serde_json::json!({ "name": "Free", "email": "f@x.test", "custom_attributes": { "plan": "free" } }))
        .await;
    let r = app
        .post(
            &acc(&t, "/contacts/filter"),
            &t.admin,
            serde_json::json!({ "payload": [{ "attribute_key": "plan", "filter_operator": "equal_to", "values": ["gold"] }] }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["meta"]["count"], 1);
    assert_eq!(r.body["payload"][0]["name"], "Gold");
    let unknown = app
        .post(
            &acc(&t, "/contacts/filter"),
            &t.admin,
            serde_json::json!({ "payload": [{ "attribute_key": "shoe_size", "filter_operator": "equal_to", "values": ["4"] }] }),
        )
        .await;
    assert_eq!(unknown.status, 422);
}
