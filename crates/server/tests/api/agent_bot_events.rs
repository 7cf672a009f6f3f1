//! Agent bots: the bot connected to an inbox hears its conversations at `outgoing_url`, signed
//! with its own key, acts with its token, hands off by opening; a bot that cannot be reached
//! hands the conversation to the agents.

use serde_json::{Value, json};

use crate::conversations::{activities, conversation, incoming, setup, show, toggle};
use crate::helpers::{Tenant, TestApp, acc};
use crate::webhook_sink::{WebhookSink, signature_is_valid};

/// Creates a bot at `url` and connects it to `inbox`; returns (id, token, secret).
async fn connected_bot(app: &TestApp, t: &Tenant, inbox: i64, url: &str) -> (i64, String, String) {
    let r = app
        .post(
            &acc(t, "/agent_bots"),
            &t.admin,
            json!({ "name": "Triage", "outgoing_url": url }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let token = r.body["access_token"].as_str().unwrap().to_owned();
    let set = app
        .post(
            &acc(t, &format!("/inboxes/{inbox}/set_agent_bot")),
            &t.admin,
            json!({ "agent_bot": id }),
        )
        .await;
    assert_eq!(set.status, 204);
    let s = app
        .get(&acc(t, &format!("/agent_bots/{id}/secret")), &t.admin)
        .await;
    assert_eq!(s.status, 200, "{:?}", s.body);
    let secret = s.body["secret"].as_str().unwrap().to_owned();
    (id, token, secret)
}

#[tokio::test]
async fn a_connected_bot_hears_its_inbox_signed_replies_with_its_token_and_hands_off() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let sink = WebhookSink::start().await;
    let (bot, bot_token, secret) = connected_bot(&app, &t, inbox, &sink.url("/bot")).await;
    assert_eq!(secret.len(), 64);

    let c = conversation(&app, &t, inbox, contact, json!({})).await;
    assert_eq!(c["status"], "pending", "the bot owns new conversations");
    incoming(&app, &t, 1, "Where is my parcel?").await;
    app.app.run_outbox().await.unwrap();

    // Only the bot's events: no conversation_created, no activity messages.
    let got = sink.received();
    assert_eq!(
        got.iter().map(|r| r.event()).collect::<Vec<_>>(),
        ["message_created"]
    );
    let heard = got[0].json();
    assert_eq!(heard["content"], "Where is my parcel?");
    assert_eq!(heard["message_type"], "incoming");
    assert_eq!(heard["conversation"]["id"], 1);
    assert_eq!(heard["conversation"]["status"], "pending");
    assert!(signature_is_valid(&secret, &got[0]));

    // The bot answers with its token, then hands the conversation to the agents.
    let r = app
        .post(
            &acc(&t, "/conversations/1/messages"),
            &bot_token,
            json!({ "content": "Let me find a human for you" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    toggle(&app, &t, &bot_token, 1, json!({ "status": "open" })).await;
    app.app.run_outbox().await.unwrap();
    let events: Vec<String> = sink.received().iter().map(|r| r.event()).collect();
    assert_eq!(
        events,
        ["message_created", "message_created", "conversation_opened"]
    );
    let opened = sink.of_event("conversation_opened")[0].json();
    assert_eq!(opened["id"], 1);
    assert_eq!(opened["status"], "open");
    assert_eq!(show(&app, &t, 1).await["status"], "open");

    // The bot's delivery log, for its account's administrators only.
    let log = app
        .get(&acc(&t, &format!("/agent_bots/{bot}/deliveries")), &t.admin)
        .await;
    assert_eq!(log.status, 200, "{:?}", log.body);
    let states: Vec<&Value> = log.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["state"])
        .collect();
    assert_eq!(states, [&json!("delivered"); 3]);
    let other = app.tenant("Globex").await;
    let r = app
        .get(
            &acc(&other, &format!("/agent_bots/{bot}/deliveries")),
            &other.admin,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .get(
            &acc(&other, &format!("/agent_bots/{bot}/secret")),
            &other.admin,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .get(&acc(&t, &format!("/agent_bots/{bot}/secret")), &t.agent)
        .await;
    assert_eq!(r.status, 401, "agents do not see the key");
}

#[tokio::test]
async fn a_rotated_bot_secret_signs_the_next_deliveries() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let sink = WebhookSink::start().await;
    let (bot, _, old) = connected_bot(&app, &t, inbox, &sink.url("/bot")).await;
    let r = app
        .post(
            &acc(&t, &format!("/agent_bots/{bot}/secret")),
            &t.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let new = r.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    conversation(&app, &t, inbox, contact, json!({})).await;
    incoming(&app, &t, 1, "hello").await;
    app.app.run_outbox().await.unwrap();
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert!(signature_is_valid(&new, &got[0]));
    assert!(!signature_is_valid(&old, &got[0]));
}

#[tokio::test]
async fn an_unreachable_bot_hands_its_pending_conversation_to_the_agents() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let sink = WebhookSink::start().await;
    sink.script(&[500]);
    connected_bot(&app, &t, inbox, &sink.url("/bot")).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    incoming(&app, &t, 1, "Anyone there?").await;
    app.app.run_outbox().await.unwrap();

    assert_eq!(sink.received().len(), 1);
    let conv = show(&app, &t, 1).await;
    assert_eq!(
        conv["status"], "open",
        "the customer is not left with a dead bot"
    );
    assert_eq!(
        activities(&app, &t, 1).await,
        ["Conversation was marked open by system due to an error with the agent bot."]
    );
    // The customer's message itself was received: it is not marked failed.
    let msgs = app
        .get(&acc(&t, "/conversations/1/messages"), &t.admin)
        .await;
    let first = &msgs.body["payload"][0];
    assert_eq!(first["content"], "Anyone there?");
    assert_ne!(first["status"], "failed");

    // The delivery is retried; the bot is back and hears the message, and the now-open
    // conversation stays with the agents.
    app.clock.advance_seconds(3700);
    app.app.run_outbox().await.unwrap();
    let got = sink.of_event("message_created");
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].delivery(),
        got[1].delivery(),
        "the same delivery, retried"
    );
    assert_eq!(show(&app, &t, 1).await["status"], "open");
}

#[tokio::test]
async fn a_bot_outgoing_url_follows_the_webhook_address_rule() {
    let app = TestApp::spawn_with(|c| c.webhook_allow_private = false).await;
    let t = app.tenant("Acme").await;
    for url in ["http://127.0.0.1:9/bot", "ftp://bots.example.com/x"] {
        let r = app
            .post(
                &acc(&t, "/agent_bots"),
                &t.admin,
                json!({ "name": "Triage", "outgoing_url": url }),
            )
            .await;
        assert_eq!(r.status, 422, "{url}: {:?}", r.body);
        assert_eq!(
            r.body["attributes"],
            json!(["outgoing_url"]),
            "{:?}",
            r.body
        );
    }
}
