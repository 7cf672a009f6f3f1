//! Live updates over `/cable` with a real WebSocket client: ActionCable's handshake, pings and
//! subscriptions; agents hear their account's conversations (administrators everything,
//! agents their inboxes), a contact hears their own conversation (not private notes), nobody
//! hears another account; an event committed on one node reaches a socket on another.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::conversations::{conversation, setup, toggle};
use crate::helpers::{Tenant, TestApp, acc, second_node};
use crate::messages::post_message;
use crate::public::{conversations_path, customer, hmac_hex, open, public, public_inbox};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long a test waits for a frame before failing (a hang guard, not a speed assertion).
const PATIENCE: Duration = Duration::from_secs(10);

/// Opens `/cable` on `base` as a browser would (ActionCable's sub-protocol) and reads the welcome.
async fn connect(base: &str) -> Ws {
    let url = format!("{}/cable", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "actioncable-v1-json, actioncable-unsupported"
            .parse()
            .unwrap(),
    );
    let (mut ws, resp) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(
        resp.headers()["sec-websocket-protocol"],
        "actioncable-v1-json"
    );
    assert_eq!(next_frame(&mut ws).await, json!({ "type": "welcome" }));
    ws
}

async fn next_frame(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(PATIENCE, ws.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

/// The next broadcast (pings and protocol frames skipped): (event, data).
async fn next_event(ws: &mut Ws) -> (String, Value) {
    loop {
        let f = next_frame(ws).await;
        if let Some(m) = f.get("message").filter(|m| m.is_object()) {
            return (m["event"].as_str().unwrap().to_owned(), m["data"].clone());
        }
    }
}

/// The next broadcast of one of `events`, skipping others (a conversation change also sends
/// `conversation.updated` and friends).
async fn next_of(ws: &mut Ws, events: &[&str]) -> Value {
    // Pings keep arriving, so each frame comes in time even when the event never does.
    let wanted = async {
        loop {
            let (e, data) = next_event(ws).await;
            if events.contains(&e.as_str()) {
                return data;
            }
        }
    };
    let arrived = tokio::time::timeout(PATIENCE, wanted).await;
    assert!(arrived.is_ok(), "none of {events:?} arrived in time");
    arrived.unwrap()
}

/// Subscribes to `RoomChannel` with `identifier`; returns the server's answer type.
async fn subscribe(ws: &mut Ws, identifier: Value) -> String {
    let identifier = identifier.to_string();
    ws.send(Message::Text(
        json!({ "command": "subscribe", "identifier": identifier })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    loop {
        let f = next_frame(ws).await;
        if f["identifier"] == identifier.as_str() {
            return f["type"].as_str().unwrap_or_default().to_owned();
        }
    }
}

async fn pubsub_token(app: &TestApp, token: &str) -> String {
    let me = app.get("/api/v1/profile", token).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    me.body["pubsub_token"].as_str().unwrap().to_owned()
}

/// A socket on `base` subscribed as one of the tenant's users.
async fn agent_socket(app: &TestApp, base: &str, t: &Tenant, token: &str, user_id: i64) -> Ws {
    let mut ws = connect(base).await;
    let pubsub = pubsub_token(app, token).await;
    let answer = subscribe(
        &mut ws,
        json!({ "channel": "RoomChannel", "pubsub_token": pubsub, "account_id": t.account_id, "user_id": user_id }),
    )
    .await;
    assert_eq!(answer, "confirm_subscription");
    ws
}

#[tokio::test]
async fn agents_hear_their_accounts_conversations_live_and_only_where_they_may_look() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let other = app.tenant("Globex").await;
    let (support, contact) = setup(&app, &t).await;
    // An inbox the agent is not a member of.
    let sales = app.api_inbox(&t, "Sales").await["id"].as_i64().unwrap();
    let r = app
        .post(
            &acc(&t, "/inbox_members"),
            &t.admin,
            json!({ "inbox_id": sales, "user_ids": [t.admin_id] }),
        )
        .await;
    assert_eq!(r.status, 200);

    let mut admin = agent_socket(&app, &app.base, &t, &t.admin, t.admin_id).await;
    let mut agent = agent_socket(&app, &app.base, &t, &t.agent, t.agent_id).await;
    let mut outsider = agent_socket(&app, &app.base, &other, &other.admin, other.admin_id).await;

    let c = conversation(&app, &t, support, contact, json!({})).await;
    let id = c["id"].as_i64().unwrap();
    for ws in [&mut admin, &mut agent] {
        let created = next_of(ws, &["conversation.created"]).await;
        assert_eq!(created["id"], id, "named by display id");
        assert_eq!(created["account_id"], t.account_id);
        assert_eq!(created["inbox_id"], support);
        assert_eq!(created["meta"]["sender"]["id"], contact);
    }

    let sent = post_message(&app, &t, id, json!({ "content": "On our way" })).await;
    for ws in [&mut admin, &mut agent] {
        let m = next_of(ws, &["message.created"]).await;
        assert_eq!(m["id"], sent["id"]);
        assert_eq!(m["content"], "On our way");
        assert_eq!(m["message_type"], 1);
        assert_eq!(m["conversation_id"], id);
        assert_eq!(m["account_id"], t.account_id);
    }

    toggle(&app, &t, &t.admin, id, json!({ "status": "resolved" })).await;
    for ws in [&mut admin, &mut agent] {
        let changed = next_of(ws, &["conversation.status_changed"]).await;
        assert_eq!(changed["id"], id);
        assert_eq!(changed["status"], "resolved");
    }

    // A conversation in Sales: the administrator hears it, the agent does not; the agent's
    // next conversation event is the next one in Support.
    let sales_contact = app.contact(&t, json!({ "name": "Sam" })).await["id"]
        .as_i64()
        .unwrap();
    let in_sales = conversation(&app, &t, sales, sales_contact, json!({})).await;
    let created = next_of(&mut admin, &["conversation.created"]).await;
    assert_eq!(created["id"], in_sales["id"]);
    let again = conversation(&app, &t, support, contact, json!({})).await;
    let next = next_of(&mut agent, &["conversation.created"]).await;
    assert_eq!(
        next["id"], again["id"],
        "the Sales conversation was not sent to the agent"
    );

    // Globex heard nothing of Acme: its first event is its own contact.
    app.contact(&other, json!({ "name": "Gina" })).await;
    let (event, data) = next_event(&mut outsider).await;
    assert_eq!(event, "contact.created");
    assert_eq!(data["name"], "Gina");
    assert_eq!(data["account_id"], other.account_id);
}

#[tokio::test]
async fn a_contact_hears_their_conversation_but_not_private_notes_or_their_own_typing() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let me = customer(&app, &inbox, json!({ "name": "Eve" })).await;
    let source = me["source_id"].as_str().unwrap().to_owned();
    let pubsub = me["pubsub_token"].as_str().unwrap().to_owned();
    let conv = open(&app, &inbox, &source).await;
    let id = conv["id"].as_i64().unwrap();

    let mut ws = connect(&app.base).await;
    assert_eq!(
        subscribe(
            &mut ws,
            json!({ "channel": "RoomChannel", "pubsub_token": pubsub })
        )
        .await,
        "confirm_subscription"
    );
    // The customer types: agents hear it, the customer does not.
    let r = public(
        &app,
        Method::POST,
        &format!("{}/{id}/toggle_typing", conversations_path(&inbox, &source)),
        Some(json!({ "typing_status": "on" })),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    post_message(
        &app,
        &t,
        id,
        json!({ "content": "internal: check the refund", "private": true }),
    )
    .await;
    let r = app
        .post(
            &acc(&t, &format!("/conversations/{id}/toggle_typing_status")),
            &t.admin,
            json!({ "typing_status": "on" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let reply = post_message(&app, &t, id, json!({ "content": "Refund sent" })).await;

    // (Events committed just before the subscription, like the conversation's creation, may
    // still arrive: the feed was catching up.) The first typing heard is the agent's.
    let typing = next_of(&mut ws, &["conversation.typing_on"]).await;
    assert_eq!(
        typing["user"]["type"], "user",
        "the agent typing, not the contact"
    );
    assert_eq!(typing["is_private"], false);
    let m = next_of(&mut ws, &["message.created"]).await;
    assert_eq!(m["id"], reply["id"], "the private note was never sent");
    assert_eq!(m["content"], "Refund sent");
}

/// A socket subscribed with a contact's identity token.
async fn contact_socket(base: &str, pubsub: &Value) -> Ws {
    let mut ws = connect(base).await;
    let answer = subscribe(
        &mut ws,
        json!({ "channel": "RoomChannel", "pubsub_token": pubsub }),
    )
    .await;
    assert_eq!(answer, "confirm_subscription");
    ws
}

#[tokio::test]
async fn a_verified_identity_hears_the_contacts_other_verified_conversations_and_an_unverified_one_only_its_own()
 {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, key) = public_inbox(&app, &t, "Website").await;
    let proven = || json!({ "identifier": "user-1", "identifier_hash": hmac_hex(&key, "user-1") });
    // Two identities of one contact proven with the HMAC, and a third of the same contact that
    // proved nothing.
    let first = customer(&app, &inbox, proven()).await;
    let second = customer(&app, &inbox, proven()).await;
    let plain = customer(&app, &inbox, json!({ "identifier": "user-1" })).await;
    assert_eq!(second["id"], first["id"]);
    assert_eq!(plain["id"], first["id"]);
    let source = |c: &Value| c["source_id"].as_str().unwrap().to_owned();
    let conv = open(&app, &inbox, &source(&first)).await["id"]
        .as_i64()
        .unwrap();
    let own = open(&app, &inbox, &source(&plain)).await["id"]
        .as_i64()
        .unwrap();

    let mut verified = contact_socket(&app.base, &second["pubsub_token"]).await;
    let mut unverified = contact_socket(&app.base, &plain["pubsub_token"]).await;
    let reply = post_message(
        &app,
        &t,
        conv,
        json!({ "content": "For the proven contact" }),
    )
    .await;
    let later = post_message(
        &app,
        &t,
        own,
        json!({ "content": "For the plain identity" }),
    )
    .await;

    let heard = next_of(&mut verified, &["message.created"]).await;
    assert_eq!(heard["id"], reply["id"]);
    // The plain identity's first message is its own conversation's: the other was never sent.
    let heard = next_of(&mut unverified, &["message.created"]).await;
    assert_eq!(heard["id"], later["id"]);
}

#[tokio::test]
async fn subscriptions_with_a_wrong_token_or_another_account_are_rejected() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let other = app.tenant("Globex").await;
    let pubsub = pubsub_token(&app, &t.admin).await;
    let mut ws = connect(&app.base).await;
    for identifier in [
        json!({ "channel": "RoomChannel", "pubsub_token": "nope", "account_id": t.account_id, "user_id": t.admin_id }),
        json!({ "channel": "RoomChannel", "pubsub_token": pubsub, "account_id": other.account_id, "user_id": t.admin_id }),
        json!({ "channel": "RoomChannel", "pubsub_token": pubsub, "account_id": t.account_id, "user_id": t.agent_id }),
        json!({ "channel": "RoomChannel", "pubsub_token": "" }),
        json!({ "channel": "NotificationsChannel", "pubsub_token": pubsub, "account_id": t.account_id, "user_id": t.admin_id }),
    ] {
        assert_eq!(
            subscribe(&mut ws, identifier.clone()).await,
            "reject_subscription",
            "{identifier}"
        );
    }
    // The same socket then subscribes properly and answers presence.
    let identifier = json!({ "channel": "RoomChannel", "pubsub_token": pubsub, "account_id": t.account_id, "user_id": t.admin_id });
    assert_eq!(
        subscribe(&mut ws, identifier.clone()).await,
        "confirm_subscription"
    );
    let presence = presence_of(&mut ws, &identifier).await;
    assert_eq!(presence["account_id"], t.account_id);
    assert_eq!(
        presence["users"],
        json!({ t.admin_id.to_string(): "online" })
    );
}

#[tokio::test]
async fn an_event_committed_on_one_node_reaches_a_socket_on_another() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let (node_b, stop_b) = second_node(&app).await;
    let mut ws = agent_socket(&app, &node_b, &t, &t.admin, t.admin_id).await;

    // Written through node A only.
    let c = conversation(&app, &t, inbox, contact, json!({})).await;
    let id = c["id"].as_i64().unwrap();
    let sent = post_message(&app, &t, id, json!({ "content": "From node A" })).await;
    let created = next_of(&mut ws, &["conversation.created"]).await;
    assert_eq!(created["id"], id);
    let m = next_of(&mut ws, &["message.created"]).await;
    assert_eq!(m["id"], sent["id"]);
    assert_eq!(m["content"], "From node A");
    stop_b.cancel();
}

/// Sends `update_presence` on a socket's only subscription and reads the answer.
async fn presence_of(ws: &mut Ws, identifier: &Value) -> Value {
    ws.send(Message::Text(
        json!({
            "command": "message",
            "identifier": identifier.to_string(),
            "data": json!({ "action": "update_presence" }).to_string(),
        })
        .to_string()
        .into(),
    ))
    .await
    .unwrap();
    next_of(ws, &["presence.update"]).await
}

#[tokio::test]
async fn presence_is_shared_by_every_node_and_lapses_after_twenty_seconds() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let other = app.tenant("Globex").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let (node_b, stop_b) = second_node(&app).await;

    // An agent reports on node B, an agent of another account anywhere.
    let agent = json!({ "channel": "RoomChannel", "pubsub_token": pubsub_token(&app, &t.agent).await, "account_id": t.account_id, "user_id": t.agent_id });
    let mut on_b = connect(&node_b).await;
    assert_eq!(
        subscribe(&mut on_b, agent.clone()).await,
        "confirm_subscription"
    );
    presence_of(&mut on_b, &agent).await;
    let stranger = json!({ "channel": "RoomChannel", "pubsub_token": pubsub_token(&app, &other.admin).await, "account_id": other.account_id, "user_id": other.admin_id });
    let mut theirs = connect(&app.base).await;
    assert_eq!(
        subscribe(&mut theirs, stranger.clone()).await,
        "confirm_subscription"
    );
    presence_of(&mut theirs, &stranger).await;

    // A customer on node A hears the agents who are present, never contacts.
    let me = customer(&app, &inbox, json!({ "name": "Eve" })).await;
    let contact = json!({ "channel": "RoomChannel", "pubsub_token": me["pubsub_token"] });
    let mut customer_ws = connect(&app.base).await;
    assert_eq!(
        subscribe(&mut customer_ws, contact.clone()).await,
        "confirm_subscription"
    );
    let seen = presence_of(&mut customer_ws, &contact).await;
    assert_eq!(seen["users"], json!({ t.agent_id.to_string(): "online" }));
    assert!(seen.get("contacts").is_none(), "{seen}");

    // The administrator on node A sees the agent from node B and the customer, nobody else's.
    let admin = json!({ "channel": "RoomChannel", "pubsub_token": pubsub_token(&app, &t.admin).await, "account_id": t.account_id, "user_id": t.admin_id });
    let mut admin_ws = connect(&app.base).await;
    assert_eq!(
        subscribe(&mut admin_ws, admin.clone()).await,
        "confirm_subscription"
    );
    let seen = presence_of(&mut admin_ws, &admin).await;
    assert_eq!(
        seen["users"],
        json!({ t.admin_id.to_string(): "online", t.agent_id.to_string(): "online" })
    );
    assert_eq!(seen["contacts"], json!({ me["id"].to_string(): "online" }));

    // Twenty seconds without a report and only the one who just reported is present.
    app.clock.advance_seconds(21);
    let seen = presence_of(&mut admin_ws, &admin).await;
    assert_eq!(seen["users"], json!({ t.admin_id.to_string(): "online" }));
    assert_eq!(seen["contacts"], json!({}));
    stop_b.cancel();
}

#[tokio::test]
async fn stopping_the_server_tells_sockets_to_reconnect() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let mut ws = agent_socket(&app, &app.base, &t, &t.admin, t.admin_id).await;
    let _headless = app.stop();
    loop {
        let f = next_frame(&mut ws).await;
        if f["type"] == "disconnect" {
            assert_eq!(f["reconnect"], true);
            break;
        }
    }
}
