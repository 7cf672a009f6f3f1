//! `/cable`: ActionCable's JSON protocol as Chatwoot's dashboard, widget and SDKs speak it.
//!
//! The server greets with `welcome` and pings every 3 seconds. A client subscribes to
//! `RoomChannel` with an identifier (a JSON string) naming a `pubsub_token` (and, for agents,
//! `account_id` and `user_id`); the server confirms or rejects, then sends every live event the
//! subscription may see as `{"identifier", "message": {"event", "data"}}`. The `update_presence`
//! action answers `presence.update`. A client that falls behind (or every client, when the server
//! stops) is told to reconnect and closed.

use std::collections::HashMap;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use confab_app::App;
use confab_app::live::{LiveFrame, SubscribeParams};
use serde_json::{Value, json};

/// ActionCable's ping interval.
const PING_EVERY: Duration = Duration::from_secs(3);
/// How long one frame may take to leave before the client counts as gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

pub fn router() -> Router<App> {
    Router::new().route("/cable", get(upgrade))
}

async fn upgrade(State(app): State<App>, ws: WebSocketUpgrade) -> Response {
    ws.protocols(["actioncable-v1-json"])
        .on_upgrade(move |socket| serve(socket, app))
}

/// One subscription of this socket: the identifier it echoes.
struct Subscribed {
    identifier: String,
}

async fn send(ws: &mut WebSocket, v: &Value) -> bool {
    send_text(ws, v.to_string()).await
}

async fn send_text(ws: &mut WebSocket, text: String) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, ws.send(Message::Text(text.into()))).await,
        Ok(Ok(()))
    )
}

async fn serve(mut ws: WebSocket, app: App) {
    let mut socket = app.live_connect();
    let mut subs: HashMap<u64, Subscribed> = HashMap::new();
    if !send(&mut ws, &json!({ "type": "welcome" })).await {
        return;
    }
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            _ = ping.tick() => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                if !send(&mut ws, &json!({ "type": "ping", "message": now })).await {
                    return;
                }
            }
            frame = socket.frames.recv() => {
                let Some(frame) = frame else {
                    // The hub dropped this socket: it fell behind, or the server is stopping.
                    let bye = json!({ "type": "disconnect", "reason": "server_restart", "reconnect": true });
                    let _ = send(&mut ws, &bye).await;
                    let _ = ws.send(Message::Close(None)).await;
                    return;
                };
                if let Some(out) = frame_text(&subs, &frame)
                    && !send_text(&mut ws, out).await
                {
                    return;
                }
            }
            msg = ws.recv() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                };
                for reply in command(&app, &socket, &mut subs, text.as_str()).await {
                    if !send(&mut ws, &reply).await {
                        return;
                    }
                }
            }
        }
    }
}

/// A broadcast, serialised from the shared payload (no copy per subscriber).
#[derive(serde::Serialize)]
struct Broadcast<'a> {
    identifier: &'a str,
    message: BroadcastMessage<'a>,
}

#[derive(serde::Serialize)]
struct BroadcastMessage<'a> {
    event: &'a str,
    data: &'a Value,
}

fn frame_text(subs: &HashMap<u64, Subscribed>, f: &LiveFrame) -> Option<String> {
    let sub = subs.get(&f.subscription)?;
    serde_json::to_string(&Broadcast {
        identifier: &sub.identifier,
        message: BroadcastMessage {
            event: f.event,
            data: &f.data,
        },
    })
    .ok()
}

/// Handles one client command; returns the frames to answer with.
async fn command(
    app: &App,
    socket: &confab_app::live::Socket,
    subs: &mut HashMap<u64, Subscribed>,
    text: &str,
) -> Vec<Value> {
    let Ok(cmd) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let Some(identifier) = cmd["identifier"].as_str().map(str::to_owned) else {
        return Vec::new();
    };
    let existing = subs
        .iter()
        .find(|(_, s)| s.identifier == identifier)
        .map(|(id, _)| *id);
    match cmd["command"].as_str() {
        Some("subscribe") => {
            if existing.is_some() {
                return Vec::new();
            }
            let params: Value = serde_json::from_str(&identifier).unwrap_or(Value::Null);
            let reject = vec![json!({ "identifier": identifier, "type": "reject_subscription" })];
            if params["channel"] != "RoomChannel" {
                return reject;
            }
            let p = SubscribeParams {
                pubsub_token: params["pubsub_token"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                account_id: crate::extract::parse_id(&params["account_id"]),
                user_id: crate::extract::parse_id(&params["user_id"]),
            };
            match app.live_subscribe(socket, &p).await {
                Ok(id) => {
                    let confirm =
                        json!({ "identifier": identifier, "type": "confirm_subscription" });
                    subs.insert(id, Subscribed { identifier });
                    vec![confirm]
                }
                Err(e) => {
                    // A refused token is the client's business; a failing database is ours.
                    if let confab_app::AppError::Internal(e) = &e {
                        tracing::error!(error = %e, "a /cable subscription could not be checked");
                    }
                    reject
                }
            }
        }
        Some("unsubscribe") => {
            if let Some(id) = existing {
                app.live_unsubscribe(socket, id);
                subs.remove(&id);
            }
            Vec::new()
        }
        Some("message") => {
            let data: Value = cmd["data"]
                .as_str()
                .and_then(|d| serde_json::from_str(d).ok())
                .unwrap_or(Value::Null);
            match (data["action"].as_str(), existing) {
                (Some("update_presence"), Some(id)) => {
                    match app.live_update_presence(socket, id).await {
                        Ok(Some(p)) => vec![json!({
                            "identifier": identifier,
                            "message": {
                                "event": "presence.update",
                                "data": presence_data(&p),
                            },
                        })],
                        Ok(None) => Vec::new(),
                        Err(e) => {
                            tracing::error!(error = %e, "a /cable presence update failed");
                            Vec::new()
                        }
                    }
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// `presence.update`'s data: present agents with their availability; for an agent, also the
/// present contacts (upstream's shape: id → status).
fn presence_data(p: &confab_app::live::PresenceView) -> Value {
    let users: serde_json::Map<String, Value> = p
        .users
        .iter()
        .map(|(u, a)| (u.get().to_string(), json!(a.as_str())))
        .collect();
    let mut data = json!({ "account_id": p.account.get(), "users": users });
    if let Some(contacts) = &p.contacts {
        let contacts: serde_json::Map<String, Value> = contacts
            .iter()
            .map(|c| (c.get().to_string(), json!("online")))
            .collect();
        data["contacts"] = contacts.into();
    }
    data
}
