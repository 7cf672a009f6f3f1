//! An HTTP receiver inside the test process: webhooks are delivered to it over loopback, it
//! records each request (headers and raw body) and answers with the status the test scripted.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// One request the sink received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
    pub fn event(&self) -> String {
        self.json()["event"].as_str().unwrap_or_default().to_owned()
    }
    pub fn delivery(&self) -> String {
        self.header("x-chatwoot-delivery")
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    /// Statuses to answer, first to last; 200 once they run out.
    script: VecDeque<u16>,
}

/// The receiver.
pub struct WebhookSink {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    stop: CancellationToken,
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn receive(
    State(shared): State<Arc<Mutex<Shared>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut s = shared.lock().unwrap();
    s.received.push(Received { headers, body });
    let code = s.script.pop_front().unwrap_or(200);
    StatusCode::from_u16(code).unwrap()
}

impl WebhookSink {
    /// Listens on a free loopback port.
    pub async fn start() -> Self {
        Self::start_on(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    /// Listens on `addr` (a receiver coming back up where it was).
    pub async fn start_at(addr: SocketAddr) -> Self {
        Self::start_on(TcpListener::bind(addr).await.unwrap())
    }

    fn start_on(listener: TcpListener) -> Self {
        let addr = listener.local_addr().unwrap();
        let shared: Arc<Mutex<Shared>> = Arc::default();
        let app = axum::Router::new()
            .route("/{*path}", post(receive))
            .with_state(shared.clone());
        let stop = CancellationToken::new();
        let until = stop.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { until.cancelled().await })
                .await
                .unwrap();
        });
        Self { addr, shared, stop }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Answers the next requests with these statuses.
    pub fn script(&self, statuses: &[u16]) {
        self.shared.lock().unwrap().script.extend(statuses);
    }

    /// Everything received so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Received requests of one event.
    pub fn of_event(&self, event: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.event() == event)
            .collect()
    }
}

/// What a receiver does to check a delivery: recompute HMAC-SHA256 over `"{timestamp}.{body}"`
/// with its secret and compare with `X-Chatwoot-Signature` (constant time, via `verify_slice`).
pub fn signature_is_valid(secret: &str, r: &Received) -> bool {
    let Some(hex_sig) = r
        .header("x-chatwoot-signature")
        .strip_prefix("sha256=")
        .map(str::to_owned)
    else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(r.header("x-chatwoot-timestamp").as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    mac.verify_slice(&expected).is_ok()
}
