//! Automation rules: CRUD as upstream, conditions and actions run after commit as
//! "Automation System", and the loop guard (what a rule changes never triggers rules).

use serde_json::{Value, json};

use crate::conversations::{activities, conversation, incoming, messages, setup, show};
use crate::helpers::{Tenant, TestApp, acc};
use crate::messages::{PDF, multipart, upload, url_path};
use crate::webhook_sink::WebhookSink;

async fn rule(app: &TestApp, t: &Tenant, body: Value) -> Value {
    let r = app.post(&acc(t, "/automation_rules"), &t.admin, body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["payload"].clone()
}

/// Lets everything that follows a change happen: dispatch, rules, their own events.
async fn settle(app: &TestApp) {
    for _ in 0..4 {
        app.app.run_outbox().await.unwrap();
        app.app.run_pending_jobs().await.unwrap();
    }
}

#[tokio::test]
async fn a_message_rule_labels_assigns_prioritises_and_answers_only_when_its_conditions_hold() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let r = rule(
        &app,
        &t,
        json!({
            "name": "Refunds to billing",
            "event_name": "message_created",
            "conditions": [
                { "attribute_key": "content", "filter_operator": "contains", "values": ["refund"], "query_operator": "AND" },
                { "attribute_key": "message_type", "filter_operator": "equal_to", "values": ["incoming"] }
            ],
            "actions": [
                { "action_name": "add_label", "action_params": ["billing"] },
                { "action_name": "assign_agent", "action_params": [t.agent_id] },
                { "action_name": "change_priority", "action_params": ["high"] },
                { "action_name": "send_message", "action_params": ["We got your refund request"] },
                { "action_name": "add_private_note", "action_params": ["Check the payment provider"] }
            ]
        }),
    )
    .await;
    assert_eq!(r["event_name"], "message_created");
    assert_eq!(r["active"], true);

    conversation(&app, &t, inbox, contact, json!({})).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    incoming(&app, &t, 1, "I would like a REFUND please").await;
    incoming(&app, &t, 2, "Just saying hello").await;
    settle(&app).await;

    let one = show(&app, &t, 1).await;
    assert_eq!(one["labels"], json!(["billing"]));
    assert_eq!(one["meta"]["assignee"]["id"], t.agent_id);
    assert_eq!(one["priority"], "high");
    let msgs = messages(&app, &t, 1).await;
    let reply = msgs
        .iter()
        .find(|m| m["content"] == "We got your refund request")
        .expect("the rule answered");
    assert_eq!(reply["message_type"], 1);
    assert_eq!(reply["private"], false);
    assert_eq!(reply["content_attributes"]["automation_rule_id"], r["id"]);
    assert!(reply.get("sender").is_none_or(Value::is_null));
    let note = msgs
        .iter()
        .find(|m| m["content"] == "Check the payment provider")
        .expect("the rule left a note");
    assert_eq!(note["private"], true);
    let acts = activities(&app, &t, 1).await;
    assert!(
        acts.contains(&"Automation System added billing".to_owned()),
        "{acts:?}"
    );
    assert!(
        acts.contains(&"Assigned to agent of Acme by Automation System".to_owned()),
        "{acts:?}"
    );

    // The other conversation did not match: untouched.
    let two = show(&app, &t, 2).await;
    assert_eq!(two["labels"], json!([]));
    assert!(two["meta"]["assignee"].is_null());
    assert!(two["priority"].is_null());
    assert_eq!(messages(&app, &t, 2).await.len(), 1);
}

#[tokio::test]
async fn what_a_rule_changes_never_triggers_rules_again() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    // Without the guard, the label this rule adds is itself a conversation update that
    // matches, and the rule would answer twice.
    rule(
        &app,
        &t,
        json!({
            "name": "Echo",
            "event_name": "conversation_updated",
            "conditions": [{ "attribute_key": "status", "filter_operator": "equal_to", "values": ["open"] }],
            "actions": [
                { "action_name": "add_label", "action_params": ["seen"] },
                { "action_name": "send_message", "action_params": ["ping"] }
            ]
        }),
    )
    .await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/toggle_priority"),
            &t.admin,
            json!({ "priority": "low" }),
        )
        .await;
    assert_eq!(r.status, 200);
    settle(&app).await;
    settle(&app).await;
    let pings = messages(&app, &t, 1)
        .await
        .into_iter()
        .filter(|m| m["content"] == "ping")
        .count();
    assert_eq!(pings, 1);
    assert_eq!(show(&app, &t, 1).await["labels"], json!(["seen"]));
}

#[tokio::test]
async fn a_new_conversation_rule_resolves_and_posts_its_webhook_event() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let sink = WebhookSink::start().await;
    rule(
        &app,
        &t,
        json!({
            "name": "Close the noise",
            "event_name": "conversation_created",
            "conditions": [
                { "attribute_key": "inbox_id", "filter_operator": "equal_to", "values": [inbox], "query_operator": "OR" },
                { "attribute_key": "email", "filter_operator": "contains", "values": ["nobody"] }
            ],
            "actions": [
                { "action_name": "send_webhook_event", "action_params": [sink.url("/automation")] },
                { "action_name": "resolve_conversation", "action_params": [] }
            ]
        }),
    )
    .await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    settle(&app).await;
    assert_eq!(show(&app, &t, 1).await["status"], "resolved");
    assert_eq!(
        activities(&app, &t, 1).await,
        ["Conversation was marked resolved by Automation System"]
    );
    let got = sink.received();
    assert_eq!(got.len(), 1);
    let body = got[0].json();
    assert_eq!(body["event"], "automation_event.conversation_created");
    assert_eq!(body["id"], 1);
}

#[tokio::test]
async fn rules_are_checked_on_write_and_belong_to_their_account() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let other = app.tenant("Globex").await;
    let good = json!({
        "name": "VIP",
        "event_name": "conversation_created",
        "conditions": [{ "attribute_key": "status", "filter_operator": "equal_to", "values": ["open"] }],
        "actions": [{ "action_name": "change_priority", "action_params": ["urgent"] }]
    });
    let bad = |patch: Value| {
        let mut b = good.clone();
        b.as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        b
    };
    for (body, field) in [
        (
            bad(
                json!({ "conditions": [{ "attribute_key": "shoe_size", "filter_operator": "equal_to", "values": ["9"] }] }),
            ),
            "conditions",
        ),
        (
            bad(json!({ "conditions": [
                { "attribute_key": "status", "filter_operator": "equal_to", "values": ["open"] },
                { "attribute_key": "priority", "filter_operator": "equal_to", "values": ["high"] }
            ] })),
            "conditions",
        ),
        (
            bad(json!({ "actions": [{ "action_name": "launch_rocket", "action_params": [] }] })),
            "actions",
        ),
        (
            bad(json!({ "event_name": "contact_created" })),
            "event_name",
        ),
        (bad(json!({ "name": " " })), "name"),
    ] {
        let r = app
            .post(&acc(&t, "/automation_rules"), &t.admin, body.clone())
            .await;
        assert_eq!(r.status, 422, "{body}: {:?}", r.body);
        assert_eq!(r.body["attributes"], json!([field]), "{:?}", r.body);
        // Upstream's shape: Rails' errors.messages under `error`.
        assert!(r.body["error"][field][0].is_string(), "{:?}", r.body);
    }
    let r = app
        .post(&acc(&t, "/automation_rules"), &t.agent, good.clone())
        .await;
    assert_eq!(r.status, 401, "agents do not manage rules");

    let created = rule(&app, &t, good.clone()).await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["actions"], good["actions"], "kept as written");
    let r = app
        .patch(
            &acc(&t, &format!("/automation_rules/{id}")),
            &t.admin,
            json!({ "active": false }),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["payload"]["active"], false);
    let copy = app
        .post(
            &acc(&t, &format!("/automation_rules/{id}/clone")),
            &t.admin,
            json!({}),
        )
        .await;
    assert_eq!(copy.status, 200);
    assert_ne!(copy.body["payload"]["id"], id);
    let list = app.get(&acc(&t, "/automation_rules"), &t.admin).await;
    assert_eq!(list.body["payload"].as_array().unwrap().len(), 2);

    for r in [
        app.get(
            &acc(&other, &format!("/automation_rules/{id}")),
            &other.admin,
        )
        .await,
        app.delete(
            &acc(&other, &format!("/automation_rules/{id}")),
            &other.admin,
            None,
        )
        .await,
    ] {
        assert_eq!(r.status, 404);
    }
    let r = app
        .delete(&acc(&t, &format!("/automation_rules/{id}")), &t.admin, None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        app.get(&acc(&t, &format!("/automation_rules/{id}")), &t.admin)
            .await
            .status,
        404
    );
}

/// Uploads one file to `…/upload` as `token`.
async fn upload_file(
    app: &TestApp,
    t: &Tenant,
    token: &str,
    body: Vec<u8>,
) -> crate::helpers::Resp {
    upload(app, &app.base, &acc(t, "/upload"), token, body).await
}

#[tokio::test]
async fn a_rule_sends_a_file_uploaded_to_its_account_and_refuses_files_it_cannot_have() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let other = app.tenant("Globex").await;
    let (inbox, contact) = setup(&app, &t).await;

    let up = upload_file(
        &app,
        &t,
        &t.admin,
        multipart(&[], &[("attachment", "terms.pdf", "application/pdf", PDF)]),
    )
    .await;
    assert_eq!(up.status, 200, "{:?}", up.body);
    let blob = up.body["blob_id"].as_i64().unwrap();
    assert_eq!(up.body["blob_key"].as_str().unwrap().len(), 32);
    let served = app
        .client
        .get(format!("{}{}", app.base, url_path(&up.body["file_url"])))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().as_ref(), PDF);
    let none = upload_file(&app, &t, &t.admin, multipart(&[("x", "y")], &[])).await;
    assert_eq!(none.status, 422);
    assert_eq!(none.body["attributes"], json!(["attachment"]));
    let two = upload_file(
        &app,
        &t,
        &t.admin,
        multipart(
            &[],
            &[
                ("attachment", "a.pdf", "application/pdf", PDF),
                ("attachment", "b.pdf", "application/pdf", PDF),
            ],
        ),
    )
    .await;
    assert_eq!(two.status, 422, "{:?}", two.body);
    assert_eq!(two.body["attributes"], json!(["attachment"]));
    let theirs = upload_file(
        &app,
        &other,
        &other.admin,
        multipart(&[], &[("attachment", "x.pdf", "application/pdf", PDF)]),
    )
    .await;
    let theirs = theirs.body["blob_id"].as_i64().unwrap();

    // A file of another account, or one never uploaded, is refused in upstream's shape.
    for missing in [theirs, blob + 1000] {
        let r = app
            .post(
                &acc(&t, "/automation_rules"),
                &t.admin,
                json!({
                    "name": "Terms", "event_name": "message_created",
                    "conditions": [{ "attribute_key": "content", "filter_operator": "contains", "values": ["terms"] }],
                    "actions": [{ "action_name": "send_attachment", "action_params": [missing] }]
                }),
            )
            .await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        let why = r.body["error"]["actions"][0].as_str().unwrap();
        assert!(why.contains(&missing.to_string()), "{why}");
    }

    let r = rule(
        &app,
        &t,
        json!({
            "name": "Terms", "event_name": "message_created",
            "conditions": [
                { "attribute_key": "content", "filter_operator": "contains", "values": ["terms"], "query_operator": "AND" },
                { "attribute_key": "message_type", "filter_operator": "equal_to", "values": ["incoming"] }
            ],
            "actions": [{ "action_name": "send_attachment", "action_params": [blob] }]
        }),
    )
    .await;
    assert_eq!(r["files"][0]["blob_id"], blob);
    assert_eq!(r["files"][0]["filename"], "terms.pdf");
    assert_eq!(r["files"][0]["file_type"], "application/pdf");

    conversation(&app, &t, inbox, contact, json!({})).await;
    incoming(&app, &t, 1, "Where are your terms?").await;
    settle(&app).await;
    let msgs = messages(&app, &t, 1).await;
    let sent = msgs
        .iter()
        .find(|m| m["attachments"].as_array().is_some_and(|a| !a.is_empty()))
        .expect("the rule sent the file");
    assert_eq!(sent["message_type"], 1);
    assert_eq!(sent["content_attributes"]["automation_rule_id"], r["id"]);
    let file = &sent["attachments"][0];
    assert_eq!(file["file_size"], PDF.len());
    let bytes = app
        .client
        .get(format!("{}{}", app.base, url_path(&file["data_url"])))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(bytes.as_ref(), PDF);
    // The message owns its copy: deleting it leaves the rule's file in place.
    let del = app
        .delete(
            &acc(&t, &format!("/conversations/1/messages/{}", sent["id"])),
            &t.admin,
            None,
        )
        .await;
    assert_eq!(del.status, 200, "{:?}", del.body);
    let again = app
        .client
        .get(format!("{}{}", app.base, url_path(&up.body["file_url"])))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
}
