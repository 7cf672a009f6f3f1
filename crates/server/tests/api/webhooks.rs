//! Webhooks: subscriptions, signed deliveries with upstream payloads, retries across receiver
//! outages and server restarts, the delivery log, replay, the test event, API inbox receivers.

use std::collections::HashSet;

use confab_app::Clock;
use serde_json::{Value, json};

use crate::conversations::{conversation, messages, setup, toggle};
use crate::helpers::{Tenant, TestApp, acc};
use crate::webhook_sink::{WebhookSink, signature_is_valid};

/// Creates a webhook; returns (id, secret).
pub(crate) async fn webhook(
    app: &TestApp,
    t: &Tenant,
    url: &str,
    events: &[&str],
) -> (i64, String) {
    let r = app
        .post(
            &acc(t, "/webhooks"),
            &t.admin,
            json!({ "webhook": { "url": url, "name": "CRM", "subscriptions": events } }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let w = &r.body["payload"]["webhook"];
    (
        w["id"].as_i64().unwrap(),
        w["secret"].as_str().unwrap().to_owned(),
    )
}

async fn message(app: &TestApp, t: &Tenant, id: i64, text: &str) -> Value {
    crate::messages::post_message(app, t, id, json!({ "content": text })).await
}

/// The message `sent` as the conversation's message list shows it now.
async fn stored(app: &TestApp, t: &Tenant, id: i64, sent: &Value) -> Value {
    messages(app, t, id)
        .await
        .into_iter()
        .find(|m| m["id"] == sent["id"])
        .unwrap()
}

/// Moves the test clock past any retry wait and runs the outbox; `times` rounds.
async fn retry_rounds(app: &TestApp, times: usize) {
    for _ in 0..times {
        app.clock.advance_seconds(3700);
        app.app.run_outbox().await.unwrap();
    }
}

#[tokio::test]
async fn subscribed_events_arrive_signed_with_upstream_payloads() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let sink = WebhookSink::start().await;
    let (hook, secret) = webhook(
        &app,
        &t,
        &sink.url("/hooks/crm"),
        &[
            "conversation_created",
            "conversation_status_changed",
            "conversation_updated",
            "message_created",
            "contact_created",
        ],
    )
    .await;
    assert_eq!(secret.len(), 64);

    let (inbox, contact) = setup(&app, &t).await;
    let c = conversation(&app, &t, inbox, contact, json!({})).await;
    let id = c["id"].as_i64().unwrap();
    let sent = message(&app, &t, id, "We are on it").await;
    toggle(&app, &t, &t.admin, id, json!({ "status": "resolved" })).await;
    // Not subscribed: a contact update.
    let r = app
        .patch(
            &acc(&t, &format!("/contacts/{contact}")),
            &t.admin,
            json!({ "name": "Jane Q. Doe" }),
        )
        .await;
    assert_eq!(r.status, 200);
    app.app.run_outbox().await.unwrap();

    let got = sink.received();
    // A conversation's events arrive in order; other subjects' events run beside them.
    let conv_events: Vec<String> = got
        .iter()
        .map(|r| r.event())
        .filter(|e| e != "contact_created")
        .collect();
    assert_eq!(
        conv_events,
        [
            "conversation_created",
            "message_created",
            "conversation_status_changed",
            "conversation_updated",
        ],
        "{conv_events:?}"
    );
    assert_eq!(sink.of_event("contact_created").len(), 1);
    let ids: HashSet<String> = got.iter().map(|r| r.delivery()).collect();
    assert_eq!(ids.len(), got.len(), "every delivery has its own id");
    for r in &got {
        assert!(signature_is_valid(&secret, r), "{:?}", r.headers);
        assert!(!signature_is_valid("another secret", r));
        assert_eq!(r.header("content-type"), "application/json");
        assert_eq!(
            r.header("x-chatwoot-timestamp").parse::<i64>().unwrap(),
            app.clock.now().unix_seconds()
        );
        assert_eq!(r.delivery().len(), 36);
    }
    let one = |event: &str| sink.of_event(event)[0].json();

    let contact_created = one("contact_created");
    assert_eq!(contact_created["id"], contact);
    assert_eq!(contact_created["name"], "Jane Doe");
    assert_eq!(contact_created["account"]["id"], t.account_id);

    let created = one("conversation_created");
    assert_eq!(created["id"], id, "conversations are named by display id");
    assert_eq!(created["inbox_id"], inbox);
    assert_eq!(created["meta"]["sender"]["id"], contact);
    assert_eq!(created["contact_inbox"]["inbox_id"], inbox);
    assert!(created.get("changed_attributes").is_none());

    let msg = one("message_created");
    assert_eq!(msg["id"], sent["id"]);
    assert_eq!(msg["content"], "We are on it");
    assert_eq!(msg["message_type"], "outgoing");
    assert!(msg["created_at"].is_string(), "iso time in webhooks");
    assert_eq!(msg["sender"]["type"], "user");
    assert_eq!(msg["sender"]["id"], t.admin_id);
    assert_eq!(msg["conversation"]["id"], id);
    assert_eq!(msg["inbox"]["id"], inbox);
    assert_eq!(msg["account"]["id"], t.account_id);

    let status_changed = one("conversation_status_changed");
    assert_eq!(status_changed["status"], "resolved");
    assert!(status_changed.get("changed_attributes").is_none());
    let updated = one("conversation_updated");
    assert_eq!(
        updated["changed_attributes"],
        json!([{ "status": { "previous_value": "open", "current_value": "resolved" } }])
    );

    // The secret shows once: not in the list, not in show.
    let list = app.get(&acc(&t, "/webhooks"), &t.admin).await;
    assert_eq!(list.status, 200);
    let listed = &list.body["payload"]["webhooks"][0];
    assert_eq!(listed["id"], hook);
    assert_eq!(listed["url"], sink.url("/hooks/crm"));
    assert!(listed.get("secret").is_none());
    let shown = app
        .get(&acc(&t, &format!("/webhooks/{hook}")), &t.admin)
        .await;
    assert!(shown.body["payload"]["webhook"].get("secret").is_none());
}

#[tokio::test]
async fn a_receiver_that_is_down_gets_every_event_in_order_once_it_is_back() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    // The receiver is down: nothing listens on its port.
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (hook, secret) =
        webhook(&app, &t, &format!("http://{addr}/in"), &["message_created"]).await;
    let (inbox, contact) = setup(&app, &t).await;
    let c = conversation(&app, &t, inbox, contact, json!({})).await;
    let id = c["id"].as_i64().unwrap();
    for text in ["one", "two", "three"] {
        message(&app, &t, id, text).await;
    }
    app.app.run_outbox().await.unwrap();
    // Three more failed rounds while it is down.
    retry_rounds(&app, 3).await;

    let log = app
        .get(&acc(&t, &format!("/webhooks/{hook}/deliveries")), &t.admin)
        .await;
    assert_eq!(log.status, 200, "{:?}", log.body);
    let rows = log.body["payload"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    // Only the oldest of the conversation is tried while it fails: order is kept.
    let oldest = rows.iter().find(|d| d["attempts"] != 0).unwrap();
    assert_eq!(oldest["attempts"], 4);
    assert_eq!(oldest["state"], "pending");
    assert!(
        oldest["last_error"].as_str().unwrap().contains("connect"),
        "{oldest}"
    );
    assert_eq!(oldest["attempt_log"].as_array().unwrap().len(), 4);
    assert!(rows.iter().filter(|d| d["attempts"] == 0).count() == 2);

    // Back up, answering 503 once more, then 200.
    let sink = WebhookSink::start_at(addr).await;
    sink.script(&[503]);
    retry_rounds(&app, 3).await;
    let got = sink.received();
    let texts: Vec<String> = got
        .iter()
        .filter(|r| r.json()["content"].is_string())
        .map(|r| r.json()["content"].as_str().unwrap().to_owned())
        .collect();
    // The 503 was for "one"; it came again with the same delivery id, then the rest in order.
    assert_eq!(texts, ["one", "one", "two", "three"]);
    assert_eq!(got[0].delivery(), got[1].delivery());
    let distinct: HashSet<String> = got.iter().map(|r| r.delivery()).collect();
    assert_eq!(distinct.len(), 3, "once per delivery id");
    assert!(got.iter().all(|r| signature_is_valid(&secret, r)));

    let log = app
        .get(
            &acc(&t, &format!("/webhooks/{hook}/deliveries?state=delivered")),
            &t.admin,
        )
        .await;
    assert_eq!(log.body["payload"].as_array().unwrap().len(), 3);
    let first = log.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["attempts"] == 6)
        .unwrap();
    let codes: Vec<Value> = first["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(
        codes,
        [
            json!(null),
            json!(null),
            json!(null),
            json!(null),
            json!(503),
            json!(200)
        ]
    );
}

#[tokio::test]
async fn a_delivery_that_never_succeeds_is_dead_after_twelve_attempts_and_can_be_replayed() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let sink = WebhookSink::start().await;
    sink.script(&[500; 12]);
    let (hook, _) = webhook(&app, &t, &sink.url("/x"), &["contact_created"]).await;
    app.contact(&t, json!({ "name": "Ann" })).await;
    app.app.run_outbox().await.unwrap();
    let start = app.clock.now();
    retry_rounds(&app, 15).await;
    assert_eq!(sink.received().len(), 12);
    let log = app
        .get(
            &acc(&t, &format!("/webhooks/{hook}/deliveries?state=dead")),
            &t.admin,
        )
        .await;
    let dead = &log.body["payload"][0];
    assert_eq!(dead["state"], "dead");
    assert_eq!(dead["attempts"], 12);
    assert_eq!(dead["last_status"], 500);
    let first_try = &dead["attempt_log"][0]["started_at"];
    let last_try = &dead["attempt_log"][11]["started_at"];
    assert_ne!(first_try, last_try);
    assert!(app.clock.now().unix_seconds() - start.unix_seconds() >= 2 * 3600);

    let d = dead["id"].as_i64().unwrap();
    let replay = app
        .post(
            &acc(&t, &format!("/webhooks/{hook}/deliveries/{d}/replay")),
            &t.admin,
            json!({}),
        )
        .await;
    assert_eq!(replay.status, 200, "{:?}", replay.body);
    assert_eq!(replay.body["payload"]["state"], "delivered");
    assert_eq!(replay.body["payload"]["replay_of"], d);
    let got = sink.received();
    assert_eq!(got.len(), 13);
    assert_eq!(got[12].body, got[0].body, "the same body");
    assert_ne!(
        got[12].delivery(),
        got[0].delivery(),
        "a replay is a new delivery"
    );
}

#[tokio::test]
async fn nothing_is_lost_when_the_server_stops_between_commit_and_delivery() {
    let mut app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let sink = WebhookSink::start().await;
    let (_, secret) = webhook(&app, &t, &sink.url("/x"), &["conversation_status_changed"]).await;
    let (inbox, contact) = setup(&app, &t).await;
    let c = conversation(&app, &t, inbox, contact, json!({})).await;
    let id = c["id"].as_i64().unwrap();
    app.app.run_outbox().await.unwrap();

    // The server dies; a node that dispatches nothing commits a change meanwhile.
    let headless = app.stop();
    let principal = headless.authenticate(&t.admin).await.unwrap();
    let scope = headless
        .scope(&principal, confab_domain::AccountId(t.account_id))
        .await
        .unwrap();
    headless
        .toggle_status(
            &scope,
            id,
            &confab_app::lifecycle::StatusRequest {
                status: Some("resolved".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(headless.run_outbox().await.unwrap(), 0);
    assert!(sink.received().is_empty());

    app.restart().await;
    app.app.run_outbox().await.unwrap();
    let got = sink.of_event("conversation_status_changed");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].json()["status"], "resolved");
    assert!(signature_is_valid(&secret, &got[0]));
    // Dispatching again writes nothing twice.
    app.app.run_outbox().await.unwrap();
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn an_api_inbox_webhook_url_gets_its_events_and_a_failure_marks_the_message_failed() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let sink = WebhookSink::start().await;
    let r = app
        .post(
            &acc(&t, "/inboxes"),
            &t.admin,
            json!({ "name": "App", "channel": { "type": "api", "webhook_url": sink.url("/inbox") } }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let inbox = r.body["id"].as_i64().unwrap();
    let secret = app
        .get(
            &acc(&t, &format!("/inboxes/{inbox}/webhook_secret")),
            &t.admin,
        )
        .await;
    assert_eq!(secret.status, 200);
    let secret = secret.body["webhook_secret"].as_str().unwrap().to_owned();
    let agent_try = app
        .get(
            &acc(&t, &format!("/inboxes/{inbox}/webhook_secret")),
            &t.agent,
        )
        .await;
    assert_eq!(agent_try.status, 401);

    let contact = app.contact(&t, json!({ "name": "Ann" })).await["id"]
        .as_i64()
        .unwrap();
    let c = conversation(&app, &t, inbox, contact, json!({})).await;
    let id = c["id"].as_i64().unwrap();
    let note = app
        .post(
            &acc(&t, &format!("/conversations/{id}/messages")),
            &t.admin,
            json!({ "content": "internal", "private": true }),
        )
        .await;
    assert_eq!(note.status, 200);
    app.app.run_outbox().await.unwrap();
    let events: Vec<String> = sink.received().iter().map(|r| r.event()).collect();
    // Unfiltered inbox events, private notes included; contacts are not inbox events.
    assert_eq!(events, ["conversation_created", "message_created"]);
    assert!(
        sink.received()
            .iter()
            .all(|r| signature_is_valid(&secret, r))
    );
    assert_eq!(sink.received()[1].json()["private"], true);

    // The receiver refuses the next message: it is marked failed with the error.
    sink.script(&[500]);
    let sent = message(&app, &t, id, "Hello?").await;
    app.app.run_outbox().await.unwrap();
    let m = stored(&app, &t, id, &sent).await;
    assert_eq!(m["status"], "failed");
    assert!(
        m["content_attributes"]["external_error"]
            .as_str()
            .unwrap()
            .contains("500")
    );

    // The retry succeeds: the message is sent after all, and the receiver hears of it.
    retry_rounds(&app, 1).await;
    let m = stored(&app, &t, id, &sent).await;
    assert_eq!(m["status"], "sent");
    let updates = sink.of_event("message_updated");
    assert!(!updates.is_empty());
    assert_eq!(updates.last().unwrap().json()["id"], sent["id"]);

    let log = app
        .get(
            &acc(&t, &format!("/inboxes/{inbox}/webhook_deliveries")),
            &t.admin,
        )
        .await;
    assert_eq!(log.status, 200, "{:?}", log.body);
    assert!(log.body["payload"].as_array().unwrap().len() >= 4);
}

#[tokio::test]
async fn webhook_input_is_checked_and_only_administrators_of_the_account_manage_them() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let other = app.tenant("Globex").await;
    let sink = WebhookSink::start().await;
    let url = sink.url("/a");

    let bad_events = app
        .post(
            &acc(&t, "/webhooks"),
            &t.admin,
            json!({ "url": url, "subscriptions": ["message_created", "nope"] }),
        )
        .await;
    assert_eq!(bad_events.status, 422);
    assert_eq!(
        bad_events.body,
        json!({ "message": "Subscriptions Invalid events", "attributes": ["subscriptions"] })
    );
    let empty = app
        .post(
            &acc(&t, "/webhooks"),
            &t.admin,
            json!({ "url": url, "subscriptions": [] }),
        )
        .await;
    assert_eq!(empty.status, 422);
    let ftp = app
        .post(
            &acc(&t, "/webhooks"),
            &t.admin,
            json!({ "url": "ftp://example.com/x" }),
        )
        .await;
    assert_eq!(ftp.status, 422);
    assert_eq!(ftp.body["attributes"], json!(["url"]));
    let agent = app
        .post(&acc(&t, "/webhooks"), &t.agent, json!({ "url": url }))
        .await;
    assert_eq!(agent.status, 401);

    // No subscriptions named: upstream's default list.
    let r = app
        .post(&acc(&t, "/webhooks"), &t.admin, json!({ "url": url }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let hook = r.body["payload"]["webhook"]["id"].as_i64().unwrap();
    let first_secret = r.body["payload"]["webhook"]["secret"].clone();
    assert!(
        r.body["payload"]["webhook"]["subscriptions"]
            .as_array()
            .unwrap()
            .contains(&json!("message_created"))
    );
    let again = app
        .post(&acc(&t, "/webhooks"), &t.admin, json!({ "url": url }))
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(again.body["attributes"], json!(["url"]));

    // Another account sees and changes nothing of it.
    let path = format!("/webhooks/{hook}");
    assert_eq!(app.get(&acc(&other, &path), &other.admin).await.status, 404);
    let r = app
        .patch(
            &acc(&other, &path),
            &other.admin,
            json!({ "url": "http://127.0.0.1:1/x" }),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        app.delete(&acc(&other, &path), &other.admin, None)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&acc(&other, &format!("{path}/deliveries")), &other.admin)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&acc(&t, &path), &t.admin).await.body["payload"]["webhook"]["url"],
        url
    );

    // Rotation shows a new secret once; the test event is signed with it.
    let rotated = app
        .post(
            &acc(&t, &format!("{path}/rotate_secret")),
            &t.admin,
            json!({}),
        )
        .await;
    assert_eq!(rotated.status, 200);
    let secret = rotated.body["payload"]["webhook"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(json!(secret), first_secret);
    let test = app
        .post(&acc(&t, &format!("{path}/test")), &t.admin, json!({}))
        .await;
    assert_eq!(test.status, 200, "{:?}", test.body);
    assert_eq!(test.body["payload"]["state"], "delivered");
    assert_eq!(test.body["payload"]["attempt_log"][0]["status_code"], 200);
    let got = sink.of_event("webhook_test");
    assert_eq!(got.len(), 1);
    assert!(signature_is_valid(&secret, &got[0]));

    let r = app
        .patch(
            &acc(&t, &path),
            &t.admin,
            json!({ "subscriptions": ["contact_created"] }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["payload"]["webhook"]["subscriptions"],
        json!(["contact_created"])
    );
    assert_eq!(
        app.delete(&acc(&t, &path), &t.admin, None).await.status,
        200
    );
    assert_eq!(app.get(&acc(&t, &path), &t.admin).await.status, 404);
}

#[tokio::test]
async fn private_addresses_are_refused_unless_the_operator_allows_them() {
    let app = TestApp::spawn_with(|c| c.webhook_allow_private = false).await;
    let t = app.tenant("Acme").await;
    for url in [
        "http://127.0.0.1:9000/x",
        "http://localhost/x",
        "http://10.0.0.8/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
    ] {
        let r = app
            .post(&acc(&t, "/webhooks"), &t.admin, json!({ "url": url }))
            .await;
        assert_eq!(r.status, 422, "{url}: {:?}", r.body);
        assert_eq!(r.body["attributes"], json!(["url"]));
    }
    let r = app
        .post(
            &acc(&t, "/webhooks"),
            &t.admin,
            json!({ "url": "https://hooks.example.com/in" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // An API inbox's webhook_url follows the same rule.
    let r = app
        .post(
            &acc(&t, "/inboxes"),
            &t.admin,
            json!({ "name": "App", "channel": { "type": "api", "webhook_url": "http://192.168.0.10/in" } }),
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(r.body["attributes"], json!(["webhook_url"]));
}
