//! The customer's side (Client/Public API, §12.8): a contact with only the inbox identifier
//! creates itself, opens conversations, exchanges messages with an agent and resolves; identity
//! verification; cross-contact and cross-inbox refusals; the creation rate limit; bad input.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Resp, Tenant, TestApp, acc};

/// A request with no token, as a widget sends it.
pub async fn public(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Resp {
    app.request(method, &format!("/public/api/v1{path}"), None, body)
        .await
}

/// An API inbox with both agents as members: (inbox id, inbox identifier, hmac token).
pub async fn public_inbox(app: &TestApp, t: &Tenant, name: &str) -> (i64, String, String) {
    let inbox = app.api_inbox(t, name).await;
    let id = inbox["id"].as_i64().unwrap();
    let r = app
        .post(
            &acc(t, "/inbox_members"),
            &t.admin,
            json!({ "inbox_id": id, "user_ids": [t.admin_id, t.agent_id] }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    (
        id,
        inbox["inbox_identifier"].as_str().unwrap().to_owned(),
        inbox["hmac_token"].as_str().unwrap().to_owned(),
    )
}

/// Creates a contact identity; returns its JSON (with `source_id`).
pub async fn customer(app: &TestApp, inbox: &str, body: Value) -> Value {
    let r = public(
        app,
        Method::POST,
        &format!("/inboxes/{inbox}/contacts"),
        Some(body),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

/// Creates a contact identity; returns its `source_id`.
pub async fn new_source(app: &TestApp, inbox: &str, body: Value) -> String {
    customer(app, inbox, body).await["source_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The customer's view of one conversation.
pub async fn show(app: &TestApp, inbox: &str, source: &str, id: i64) -> Resp {
    public(
        app,
        Method::GET,
        &format!("{}/{id}", conversations_path(inbox, source)),
        None,
    )
    .await
}

pub fn conversations_path(inbox: &str, source: &str) -> String {
    format!("/inboxes/{inbox}/contacts/{source}/conversations")
}

/// Opens a conversation as the customer; returns its JSON.
pub async fn open(app: &TestApp, inbox: &str, source: &str) -> Value {
    let r = public(
        app,
        Method::POST,
        &conversations_path(inbox, source),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

pub async fn say(app: &TestApp, inbox: &str, source: &str, conv: i64, text: &str) -> Resp {
    public(
        app,
        Method::POST,
        &format!("{}/{conv}/messages", conversations_path(inbox, source)),
        Some(json!({ "content": text, "echo_id": "e-1" })),
    )
    .await
}

pub fn hmac_hex(key: &str, msg: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(msg.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn a_customer_talks_with_an_agent_and_resolves_with_only_the_inbox_identifier() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox_id, inbox, _) = public_inbox(&app, &t, "Website").await;

    let info = public(&app, Method::GET, &format!("/inboxes/{inbox}"), None).await;
    assert_eq!(info.status, 200);
    assert_eq!(info.body["identifier"], inbox.as_str());
    assert_eq!(info.body["name"], "Website");
    assert_eq!(info.body["identity_validation_enabled"], false);
    assert_eq!(info.body["working_hours"].as_array().unwrap().len(), 7);

    let me = customer(
        &app,
        &inbox,
        json!({ "name": "Ann Lee", "email": "Ann@Example.com", "custom_attributes": { "plan": "pro" } }),
    )
    .await;
    assert_eq!(
        keys(&me),
        vec![
            "email",
            "id",
            "name",
            "phone_number",
            "pubsub_token",
            "source_id"
        ]
    );
    assert_eq!(me["email"], "ann@example.com");
    let source = me["source_id"].as_str().unwrap().to_owned();
    assert_eq!(source.len(), 36);
    assert_eq!(me["pubsub_token"].as_str().unwrap().len(), 24);

    let r = public(
        &app,
        Method::POST,
        &conversations_path(&inbox, &source),
        Some(json!({ "custom_attributes": { "order": "A-17" } })),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let conv = r.body;
    assert_eq!(
        keys(&conv),
        vec![
            "agent_last_seen_at",
            "contact",
            "contact_last_seen_at",
            "id",
            "inbox_id",
            "messages",
            "status",
            "uuid"
        ]
    );
    assert_eq!(conv["status"], "open");
    assert_eq!(conv["inbox_id"], inbox_id);
    assert_eq!(conv["messages"], json!([]));
    assert_eq!(conv["contact"]["email"], "ann@example.com");
    assert_eq!(conv["contact"]["contact_type"], "visitor");
    let id = conv["id"].as_i64().unwrap();

    // The agent side sees it, with its custom attributes and in the counts.
    let list = app.get(&acc(&t, "/conversations"), &t.agent).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["data"]["meta"]["all_count"], 1);
    assert_eq!(list.body["data"]["meta"]["unassigned_count"], 1);
    let seen = &list.body["data"]["payload"][0];
    assert_eq!(seen["id"], id);
    assert_eq!(seen["custom_attributes"], json!({ "order": "A-17" }));
    assert_eq!(seen["meta"]["sender"]["name"], "Ann Lee");

    let r = say(&app, &inbox, &source, id, "Where is my order?").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["message_type"], 0);
    assert_eq!(r.body["content"], "Where is my order?");
    assert_eq!(r.body["conversation_id"], id);
    assert_eq!(r.body["echo_id"], "e-1");
    assert_eq!(r.body["sender"]["type"], "contact");
    assert!(r.body.get("private").is_none() && r.body.get("status").is_none());

    let agent_view = app
        .get(&acc(&t, &format!("/conversations/{id}")), &t.agent)
        .await;
    assert_eq!(agent_view.body["unread_count"], 1);
    assert!(agent_view.body["waiting_since"].as_i64().unwrap() > 0);

    let reply = app
        .post(
            &acc(&t, &format!("/conversations/{id}/messages")),
            &t.agent,
            json!({ "content": "It ships today." }),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let note = app
        .post(
            &acc(&t, &format!("/conversations/{id}/messages")),
            &t.agent,
            json!({ "content": "internal: VIP", "private": true }),
        )
        .await;
    assert_eq!(note.status, 200);

    let msgs = public(
        &app,
        Method::GET,
        &format!("{}/{id}/messages", conversations_path(&inbox, &source)),
        None,
    )
    .await;
    assert_eq!(msgs.status, 200);
    let texts: Vec<&str> = msgs
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    // The private note and the activity messages stay on the agent side.
    assert_eq!(texts, vec!["Where is my order?", "It ships today."]);
    assert_eq!(msgs.body[1]["sender"]["type"], "user");
    assert_eq!(msgs.body[1]["message_type"], 1);

    let done = public(
        &app,
        Method::POST,
        &format!("{}/{id}/toggle_status", conversations_path(&inbox, &source)),
        None,
    )
    .await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    assert_eq!(done.body["status"], "resolved");
    assert_eq!(done.body["id"], id);
    assert_eq!(done.body["messages"].as_array().unwrap().len(), 2);

    let agent_view = app
        .get(&acc(&t, &format!("/conversations/{id}")), &t.agent)
        .await;
    assert_eq!(agent_view.body["status"], "resolved");
    let activity = app
        .get(&acc(&t, &format!("/conversations/{id}/messages")), &t.agent)
        .await;
    let last = activity.body["payload"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["content"], "Conversation was resolved by Ann Lee");

    // Resolving again changes nothing and still answers the conversation.
    let again = public(
        &app,
        Method::POST,
        &format!("{}/{id}/toggle_status", conversations_path(&inbox, &source)),
        None,
    )
    .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["status"], "resolved");

    let listed = public(
        &app,
        Method::GET,
        &conversations_path(&inbox, &source),
        None,
    )
    .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["id"], id);
}

#[tokio::test]
async fn a_customer_message_reopens_a_resolved_or_snoozed_conversation_and_records_events() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let source = new_source(&app, &inbox, json!({ "name": "Ann" })).await;
    let id = open(&app, &inbox, &source).await["id"].as_i64().unwrap();
    let toggle = |status: &'static str| {
        let app = &app;
        let t = &t;
        async move {
            let r = app
                .post(
                    &acc(t, &format!("/conversations/{id}/toggle_status")),
                    &t.admin,
                    json!({ "status": status }),
                )
                .await;
            assert_eq!(r.status, 200, "{:?}", r.body);
        }
    };
    toggle("resolved").await;
    assert_eq!(
        say(&app, &inbox, &source, id, "one more thing")
            .await
            .status,
        200
    );
    let show = show(&app, &inbox, &source, id).await;
    assert_eq!(show.body["status"], "open");

    toggle("snoozed").await;
    assert_eq!(say(&app, &inbox, &source, id, "hello?").await.status, 200);
    let show = app
        .get(&acc(&t, &format!("/conversations/{id}")), &t.admin)
        .await;
    assert_eq!(show.body["status"], "open");
    assert_eq!(show.body["unread_count"], 2);

    let mut c = app.db.store.conn();
    let events =
        confab_store::events::list_after(&mut c, confab_domain::AccountId(t.account_id), 0, 100)
            .await
            .unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    // The customer created themselves, then the conversation.
    assert_eq!(names[..2], ["contact_created", "conversation_created"]);
    assert_eq!(events[1].data["performed_by"], json!({ "type": "Contact" }));
    assert!(names.contains(&"conversation_opened"));
    assert!(
        names.iter().filter(|n| **n == "message_created").count() >= 2,
        "{names:?}"
    );
}

#[tokio::test]
async fn contact_create_reuses_identities_and_contacts_as_upstream() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;

    let chosen = customer(
        &app,
        &inbox,
        json!({ "source_id": "visitor-42", "name": "Ann" }),
    )
    .await;
    assert_eq!(chosen["source_id"], "visitor-42");
    // The same source id answers the same identity, unchanged.
    let again = customer(
        &app,
        &inbox,
        json!({ "source_id": "visitor-42", "name": "Other" }),
    )
    .await;
    assert_eq!(again["id"], chosen["id"]);
    assert_eq!(again["name"], "Ann");
    assert_eq!(again["pubsub_token"], chosen["pubsub_token"]);

    // An existing contact of the account is found by email and gets a second identity.
    let agent_made = app
        .contact(&t, json!({ "name": "Bob", "email": "bob@example.com" }))
        .await;
    let bob = customer(&app, &inbox, json!({ "email": "BOB@example.com" })).await;
    assert_eq!(bob["id"], agent_made["id"]);
    assert_ne!(bob["source_id"], "visitor-42");

    // No name: a friendly generated one.
    let anon = customer(&app, &inbox, json!({})).await;
    let name = anon["name"].as_str().unwrap();
    assert_eq!(name.split('-').count(), 3, "{name}");

    let bad = public(
        &app,
        Method::POST,
        &format!("/inboxes/{inbox}/contacts"),
        Some(json!({ "email": "not-an-email", "phone_number": "12" })),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["attributes"], json!(["email", "phone_number"]));

    let show = public(
        &app,
        Method::GET,
        &format!("/inboxes/{inbox}/contacts/visitor-42"),
        None,
    )
    .await;
    assert_eq!(show.status, 200);
    assert_eq!(show.body["id"], chosen["id"]);
    assert_eq!(show.body["source_id"], "visitor-42");
}

#[tokio::test]
async fn contact_update_merges_attributes_and_keeps_the_identifier() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let me = customer(
        &app,
        &inbox,
        json!({ "name": "Ann", "identifier": "u-1", "custom_attributes": { "prefs": { "lang": "en", "tz": "UTC" } } }),
    )
    .await;
    let source = me["source_id"].as_str().unwrap();
    app.contact(&t, json!({ "name": "Bob", "email": "bob@example.com" }))
        .await;
    let path = format!("/inboxes/{inbox}/contacts/{source}");

    let r = public(
        &app,
        Method::PATCH,
        &path,
        Some(json!({
            "name": "Ann Lee", "email": "", "identifier": "someone-else",
            "custom_attributes": { "prefs": { "tz": "CET" }, "vip": true }
        })),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["name"], "Ann Lee");
    assert_eq!(r.body["identifier"], "u-1");
    assert_eq!(
        r.body["custom_attributes"],
        json!({ "prefs": { "lang": "en", "tz": "CET" }, "vip": true })
    );
    assert!(r.body["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(r.body["account_id"], t.account_id);

    // Another contact's email is refused, not merged.
    let taken = public(
        &app,
        Method::PUT,
        &path,
        Some(json!({ "email": "bob@example.com" })),
    )
    .await;
    assert_eq!(taken.status, 422);
    assert_eq!(taken.body["attributes"], json!(["email"]));
    let still = app
        .get(&acc(&t, &format!("/contacts/{}", me["id"])), &t.admin)
        .await;
    assert_eq!(still.body["payload"]["email"], Value::Null);
}

#[tokio::test]
async fn identity_verification_is_required_when_the_inbox_demands_it() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox_id, inbox, key) = public_inbox(&app, &t, "App").await;
    let on = app
        .patch(
            &acc(&t, &format!("/inboxes/{inbox_id}")),
            &t.admin,
            json!({ "channel": { "hmac_mandatory": true } }),
        )
        .await;
    assert_eq!(on.status, 200, "{:?}", on.body);
    let info = public(&app, Method::GET, &format!("/inboxes/{inbox}"), None).await;
    assert_eq!(info.body["identity_validation_enabled"], true);

    let create = |body: Value| {
        let app = &app;
        let inbox = inbox.clone();
        async move {
            public(
                app,
                Method::POST,
                &format!("/inboxes/{inbox}/contacts"),
                Some(body),
            )
            .await
        }
    };
    let missing = create(json!({ "identifier": "user-1", "name": "Ann" })).await;
    assert_eq!(missing.status, 401);
    assert_eq!(
        missing.body["error"],
        "HMAC failed: Invalid Identifier Hash Provided"
    );
    let wrong =
        create(json!({ "identifier": "user-1", "identifier_hash": hmac_hex(&key, "user-2") }))
            .await;
    assert_eq!(wrong.status, 401);
    let right = create(json!({ "identifier": "user-1", "identifier_hash": hmac_hex(&key, "user-1"), "name": "Ann" }))
        .await;
    assert_eq!(right.status, 200, "{:?}", right.body);
    let first = right.body["source_id"].as_str().unwrap().to_owned();

    // A proven identity of the same contact sees the conversations of its other identities in
    // this inbox; an unproven one only its own.
    let second =
        create(json!({ "identifier": "user-1", "identifier_hash": hmac_hex(&key, "user-1") }))
            .await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body["id"], right.body["id"]);
    let second = second.body["source_id"].as_str().unwrap().to_owned();
    let id = open(&app, &inbox, &first).await["id"].as_i64().unwrap();
    let listed = public(
        &app,
        Method::GET,
        &conversations_path(&inbox, &second),
        None,
    )
    .await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    assert_eq!(listed.body[0]["id"], id);

    // Nobody can prove someone else's identifier against this identity.
    let show = |q: String| {
        let app = &app;
        let path = format!("/inboxes/{inbox}/contacts/{first}{q}");
        async move { public(app, Method::GET, &path, None).await }
    };
    let other = show(format!(
        "?identifier=user-2&identifier_hash={}",
        hmac_hex(&key, "user-2")
    ))
    .await;
    assert_eq!(other.status, 401);
    assert_eq!(
        other.body["error"],
        "HMAC failed: Identifier does not match contact"
    );
    let ok = show(format!(
        "?identifier=user-1&identifier_hash={}",
        hmac_hex(&key, "user-1")
    ))
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(show(String::new()).await.status, 401);
}

#[tokio::test]
async fn without_mandatory_verification_a_sent_hash_is_still_checked() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, key) = public_inbox(&app, &t, "Website").await;
    let path = format!("/inboxes/{inbox}/contacts");
    let plain = public(
        &app,
        Method::POST,
        &path,
        Some(json!({ "identifier": "u-9" })),
    )
    .await;
    assert_eq!(plain.status, 200);
    let bad = public(
        &app,
        Method::POST,
        &path,
        Some(json!({ "identifier": "u-8", "identifier_hash": "00" })),
    )
    .await;
    assert_eq!(bad.status, 401);
    let good = public(
        &app,
        Method::POST,
        &path,
        Some(
            json!({ "identifier": "u-8", "identifier_hash": hmac_hex(&key, "u-8").to_uppercase() }),
        ),
    )
    .await;
    assert_eq!(good.status, 200, "{:?}", good.body);
}

#[tokio::test]
async fn a_contact_never_reaches_another_contacts_or_inboxs_conversations() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let other_tenant = app.tenant("Globex").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let (_, inbox2, _) = public_inbox(&app, &t, "App").await;
    let (_, foreign, _) = public_inbox(&app, &other_tenant, "Theirs").await;
    let ann = new_source(&app, &inbox, json!({ "name": "Ann" })).await;
    let eve = new_source(&app, &inbox, json!({ "name": "Eve" })).await;
    let id = open(&app, &inbox, &ann).await["id"].as_i64().unwrap();
    assert_eq!(say(&app, &inbox, &ann, id, "secret").await.status, 200);
    // A client-chosen source id may exist in two inboxes; each names its own identity.
    let twin = customer(
        &app,
        &inbox2,
        json!({ "source_id": ann, "name": "Ann's twin" }),
    )
    .await;
    assert_eq!(twin["source_id"], ann.as_str());
    let msg_id = {
        let r = public(
            &app,
            Method::GET,
            &format!("{}/{id}/messages", conversations_path(&inbox, &ann)),
            None,
        )
        .await;
        r.body[0]["id"].as_i64().unwrap()
    };

    let not_found = json!({ "status": 404, "error": "Not Found" });
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::GET,
            format!("{}/{id}", conversations_path(&inbox, &eve)),
            None,
        ),
        (
            Method::GET,
            format!("{}/{id}/messages", conversations_path(&inbox, &eve)),
            None,
        ),
        (
            Method::POST,
            format!("{}/{id}/messages", conversations_path(&inbox, &eve)),
            Some(json!({ "content": "hi" })),
        ),
        (
            Method::PATCH,
            format!(
                "{}/{id}/messages/{msg_id}",
                conversations_path(&inbox, &eve)
            ),
            Some(json!({ "submitted_values": {} })),
        ),
        (
            Method::POST,
            format!("{}/{id}/toggle_status", conversations_path(&inbox, &eve)),
            None,
        ),
        (
            Method::POST,
            format!("{}/{id}/toggle_typing", conversations_path(&inbox, &eve)),
            Some(json!({ "typing_status": "on" })),
        ),
        (
            Method::POST,
            format!("{}/{id}/update_last_seen", conversations_path(&inbox, &eve)),
            None,
        ),
        // The right identity through another inbox of the account, or another account's.
        (
            Method::GET,
            format!("{}/{id}", conversations_path(&inbox2, &ann)),
            None,
        ),
        (
            Method::POST,
            format!("{}/{id}/messages", conversations_path(&inbox2, &ann)),
            Some(json!({ "content": "hi" })),
        ),
        (
            Method::GET,
            format!("{}/{id}/messages", conversations_path(&inbox2, &ann)),
            None,
        ),
        // An encoded NUL never matches anything (and never reaches the database).
        (
            Method::GET,
            format!("{}/{id}", conversations_path(&inbox, "a%00b")),
            None,
        ),
        (
            Method::GET,
            format!("{}/{id}", conversations_path(&foreign, &ann)),
            None,
        ),
        (
            Method::GET,
            format!("/inboxes/no-such-inbox/contacts/{ann}"),
            None,
        ),
        (
            Method::GET,
            format!("{}/abc", conversations_path(&inbox, &ann)),
            None,
        ),
    ];
    for (method, path, body) in attempts {
        let r = public(&app, method.clone(), &path, body).await;
        assert_eq!(r.status, 404, "{method} {path}: {:?}", r.body);
        assert_eq!(r.body, not_found, "{method} {path}");
    }
    let eves = public(&app, Method::GET, &conversations_path(&inbox, &eve), None).await;
    assert_eq!(eves.body, json!([]));
    // Nothing changed on Ann's conversation.
    let show = app
        .get(&acc(&t, &format!("/conversations/{id}")), &t.admin)
        .await;
    assert_eq!(show.body["status"], "open");
    assert_eq!(show.body["unread_count"], 1);
}

#[tokio::test]
async fn a_contact_may_open_six_conversations_in_twelve_hours() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let source = new_source(&app, &inbox, json!({})).await;
    for _ in 0..6 {
        open(&app, &inbox, &source).await;
        app.clock.advance_seconds(60);
    }
    let refused = public(
        &app,
        Method::POST,
        &conversations_path(&inbox, &source),
        None,
    )
    .await;
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert!(
        refused.body["error"]
            .as_str()
            .unwrap()
            .contains("at most 6")
    );
    // The first slot frees 12 hours after the first creation (6 minutes ago).
    let retry: i64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry, 12 * 3600 - 360);
    assert_eq!(refused.body["retry_after"], retry);
    // Another identity is not limited by this one.
    let other = new_source(&app, &inbox, json!({})).await;
    open(&app, &inbox, &other).await;

    app.clock.advance_seconds(retry);
    open(&app, &inbox, &source).await;
    let list = app.get(&acc(&t, "/conversations"), &t.admin).await;
    assert_eq!(list.body["data"]["meta"]["all_count"], 8);
}

#[tokio::test]
async fn last_seen_marks_what_the_contact_was_sent_as_read() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let source = new_source(&app, &inbox, json!({})).await;
    let id = open(&app, &inbox, &source).await["id"].as_i64().unwrap();
    say(&app, &inbox, &source, id, "hi").await;
    app.post(
        &acc(&t, &format!("/conversations/{id}/messages")),
        &t.agent,
        json!({ "content": "hello!" }),
    )
    .await;
    app.clock.advance_seconds(30);
    let r = public(
        &app,
        Method::POST,
        &format!(
            "{}/{id}/update_last_seen",
            conversations_path(&inbox, &source)
        ),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, Value::Null);
    let msgs = app
        .get(&acc(&t, &format!("/conversations/{id}/messages")), &t.admin)
        .await;
    let statuses: Vec<(i64, &str)> = msgs.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["message_type"] != 2)
        .map(|m| {
            (
                m["message_type"].as_i64().unwrap(),
                m["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(statuses, vec![(0, "sent"), (1, "read")]);
    let conv = show(&app, &inbox, &source, id).await;
    assert_eq!(
        conv.body["contact_last_seen_at"].as_i64().unwrap(),
        crate::messages::T0 + 30
    );
}

#[tokio::test]
async fn typing_is_recorded_for_listeners_and_bad_values_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let source = new_source(&app, &inbox, json!({})).await;
    let id = open(&app, &inbox, &source).await["id"].as_i64().unwrap();
    let path = format!("{}/{id}/toggle_typing", conversations_path(&inbox, &source));
    let on = public(
        &app,
        Method::POST,
        &path,
        Some(json!({ "typing_status": "on" })),
    )
    .await;
    assert_eq!(on.status, 200);
    assert_eq!(on.body, Value::Null);
    let off = public(
        &app,
        Method::POST,
        &format!("{path}?typing_status=off"),
        None,
    )
    .await;
    assert_eq!(off.status, 200);
    let bad = public(
        &app,
        Method::POST,
        &path,
        Some(json!({ "typing_status": "maybe" })),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["attributes"], json!(["typing_status"]));
    let mut c = app.db.store.conn();
    let events =
        confab_store::events::list_after(&mut c, confab_domain::AccountId(t.account_id), 0, 100)
            .await
            .unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "contact_created",
            "conversation_created",
            "conversation_typing_on",
            "conversation_typing_off"
        ]
    );
}

#[tokio::test]
async fn messages_page_backwards_and_refuse_bad_input() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let source = new_source(&app, &inbox, json!({})).await;
    let id = open(&app, &inbox, &source).await["id"].as_i64().unwrap();
    for i in 0..25 {
        let r = say(&app, &inbox, &source, id, &format!("m{i}")).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    let path = format!("{}/{id}/messages", conversations_path(&inbox, &source));
    let newest = public(&app, Method::GET, &path, None).await;
    let page: Vec<&str> = newest
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(page.len(), 20);
    assert_eq!((page[0], page[19]), ("m5", "m24"));
    let first_id = newest.body[0]["id"].as_i64().unwrap();
    let older = public(
        &app,
        Method::GET,
        &format!("{path}?before={first_id}"),
        None,
    )
    .await;
    let page: Vec<&str> = older
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(page, vec!["m0", "m1", "m2", "m3", "m4"]);

    let blank = public(&app, Method::POST, &path, Some(json!({ "content": "  " }))).await;
    assert_eq!(blank.status, 422);
    assert_eq!(blank.body["attributes"], json!(["content"]));
    let long = public(
        &app,
        Method::POST,
        &path,
        Some(json!({ "content": "x".repeat(150_001) })),
    )
    .await;
    assert_eq!(long.status, 422);
    let malformed = app
        .client
        .post(format!("{}/public/api/v1{path}", app.base))
        .header("content-type", "application/json")
        .body("{\"content\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let huge = app
        .client
        .post(format!(
            "{}/public/api/v1/inboxes/{inbox}/contacts",
            app.base
        ))
        .header("content-type", "application/json")
        .body(format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let bad_attrs = public(
        &app,
        Method::POST,
        &conversations_path(&inbox, &source),
        Some(json!({ "custom_attributes": [1, 2] })),
    )
    .await;
    assert_eq!(bad_attrs.status, 422);
    assert_eq!(bad_attrs.body["attributes"], json!(["custom_attributes"]));
    let list = app.get(&acc(&t, "/conversations"), &t.admin).await;
    assert_eq!(list.body["data"]["meta"]["all_count"], 1);
}

#[tokio::test]
async fn a_customer_sends_files_and_submits_form_values() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let source = new_source(&app, &inbox, json!({})).await;
    let id = open(&app, &inbox, &source).await["id"].as_i64().unwrap();
    let path = format!("{}/{id}/messages", conversations_path(&inbox, &source));
    let boundary = "public-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nmy receipt\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"attachments[]\"; filename=\"receipt.txt\"\r\nContent-Type: text/plain\r\n\r\npaid 12 EUR\r\n--{boundary}--\r\n")
            .as_bytes(),
    );
    let r = app
        .client
        .post(format!("{}/public/api/v1{path}", app.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["content"], "my receipt");
    assert_eq!(m["attachments"][0]["file_type"], "file");
    assert_eq!(m["attachments"][0]["file_size"], 11);

    // An agent's interactive message; the customer submits a choice.
    let form = app
        .post(
            &acc(&t, &format!("/conversations/{id}/messages")),
            &t.agent,
            json!({ "content": "Pick one", "content_type": "input_select",
                    "content_attributes": { "items": [{ "title": "Yes", "value": "yes" }] } }),
        )
        .await;
    assert_eq!(form.status, 200, "{:?}", form.body);
    let form_id = form.body["id"].as_i64().unwrap();
    let answered = public(
        &app,
        Method::PATCH,
        &format!("{path}/{form_id}"),
        Some(json!({ "submitted_values": [{ "title": "Yes", "value": "yes" }] })),
    )
    .await;
    assert_eq!(answered.status, 200, "{:?}", answered.body);
    assert_eq!(
        answered.body["content_attributes"]["submitted_values"][0]["value"],
        "yes"
    );
    assert_eq!(
        answered.body["content_attributes"]["items"][0]["title"],
        "Yes"
    );
    let bad = public(
        &app,
        Method::PATCH,
        &format!("{path}/{form_id}"),
        Some(json!({ "submitted_values": "yes" })),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["attributes"], json!(["submitted_values"]));
}

#[tokio::test]
async fn a_conversation_carries_its_newest_hundred_public_messages() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let source = new_source(&app, &inbox, json!({})).await;
    let id = open(&app, &inbox, &source).await["id"].as_i64().unwrap();
    for i in 0..101 {
        assert_eq!(
            say(&app, &inbox, &source, id, &format!("m{i}"))
                .await
                .status,
            200
        );
    }
    let other = open(&app, &inbox, &source).await["id"].as_i64().unwrap();
    say(&app, &inbox, &source, other, "elsewhere").await;
    let list = public(
        &app,
        Method::GET,
        &conversations_path(&inbox, &source),
        None,
    )
    .await;
    let first = list.body[0]["messages"].as_array().unwrap();
    assert_eq!(first.len(), 100);
    assert_eq!(first[0]["content"], "m1");
    assert_eq!(first[99]["content"], "m100");
    assert_eq!(list.body[1]["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn nul_characters_and_oversized_attributes_are_refused_before_the_database() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let path = format!("/inboxes/{inbox}/contacts");
    let nul = public(
        &app,
        Method::POST,
        &path,
        Some(json!({ "name": "a\u{0}b" })),
    )
    .await;
    assert_eq!(nul.status, 400, "{:?}", nul.body);
    let big = json!({ "custom_attributes": { "notes": "x".repeat(70_000) } });
    let r = public(&app, Method::POST, &path, Some(big)).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["custom_attributes"]));
    let me = customer(
        &app,
        &inbox,
        json!({ "custom_attributes": { "a": "x".repeat(40_000) } }),
    )
    .await;
    let source = me["source_id"].as_str().unwrap();
    // Each part is small enough; merged they are not.
    let r = public(
        &app,
        Method::PATCH,
        &format!("{path}/{source}"),
        Some(json!({ "custom_attributes": { "b": "y".repeat(40_000) } })),
    )
    .await;
    assert_eq!(r.status, 422);
    let q = app
        .get(&acc(&t, "/conversations/search?q=a%00b"), &t.admin)
        .await;
    assert_eq!(q.status, 400);
}
