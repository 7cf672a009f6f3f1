//! `confab-app`: the use cases. One method per action, authorisation, transactions.
//!
//! Depends on `confab-domain` and `confab-store`; knows nothing of HTTP or JSON wire shapes.
//! Handlers call exactly one method here and render what it returns.

pub mod accounts;
mod acting;
pub mod agent_bots;
pub mod agents;
pub mod api_keys;
pub mod assignment;
pub mod attachments;
pub mod auth;
mod auto_resolve;
pub mod automation;
pub mod bootstrap;
mod clock;
pub mod contacts;
pub mod conversations;
mod credentials;
pub mod csat;
pub mod custom_attributes;
pub mod custom_filters;
pub mod error;
mod event_subjects;
pub mod fernand;
pub mod inboxes;
pub mod jobs;
pub mod labels;
pub mod lifecycle;
pub mod live;
pub mod mailer;
pub mod messages;
mod outbound;
pub mod outbox;
pub mod platform;
pub mod presentation;
pub mod profile;
pub mod public;
mod retention;
pub mod secrets;
pub mod seed;
mod status;
pub mod teams;
pub mod transcript;
pub mod webhooks;

use std::sync::Arc;

pub use confab_domain as domain;
use confab_domain::Timestamp;
use confab_store::Store;

pub use auth::{Actor, Principal, Scope};
pub use clock::{Clock, SystemClock, TestClock};
pub use confab_store::tokens::OwnerKind as TokenOwner;
pub use error::{AppError, AppResult};
pub use secrets::Secret;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The public URL of the server (`FRONTEND_URL`), used in links such as SSO logins.
    pub frontend_url: String,
    /// Where uploaded attachments are stored.
    pub data_dir: std::path::PathBuf,
    /// Outgoing mail; `None` when SMTP is not configured (transcripts are then refused).
    pub smtp: Option<mailer::SmtpSettings>,
    /// Largest attachment accepted, in bytes (`MAXIMUM_FILE_UPLOAD_SIZE` is in MB upstream).
    pub max_upload_bytes: u64,
    /// Whether webhooks may point to loopback and private addresses
    /// (`CONFAB_WEBHOOK_ALLOW_PRIVATE`; off, so an account cannot reach the operator's network).
    pub webhook_allow_private: bool,
    /// The longest one webhook attempt may take, connecting included (`WEBHOOK_TIMEOUT`).
    pub webhook_timeout: std::time::Duration,
    /// Days the outbox's events and the webhook deliveries' log are kept
    /// (`CONFAB_RETENTION_DAYS`); 0 keeps them for ever.
    pub retention_days: u32,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            frontend_url: "http://127.0.0.1:3000".into(),
            data_dir: std::path::PathBuf::from("confab-data"),
            smtp: None,
            max_upload_bytes: 40 * 1024 * 1024,
            webhook_allow_private: false,
            webhook_timeout: std::time::Duration::from_secs(5),
            retention_days: 30,
        }
    }
}

struct Inner {
    store: Store,
    secret: Secret,
    clock: Arc<dyn Clock>,
    config: AppConfig,
    jobs: tokio::sync::Notify,
    /// One runner at a time per node, so a caller of `run_pending_jobs` sees every job that was
    /// due finished, including one the background runner had started.
    jobs_running: tokio::sync::Mutex<()>,
    /// Renders webhook bodies (installed by the HTTP layer).
    renderer: std::sync::OnceLock<Arc<dyn outbox::EventRenderer>>,
    /// One dispatcher and one sender at a time per node.
    dispatching: tokio::sync::Mutex<()>,
    delivering: tokio::sync::Mutex<()>,
    /// Signalled when deliveries were written.
    deliveries: tokio::sync::Notify,
    outbound: outbound::Outbound,
    /// This node's live sockets, and the renderer of their frames (installed by the HTTP layer).
    live: live::Hub,
    live_renderer: std::sync::OnceLock<Arc<dyn live::LiveRenderer>>,
    /// Answers of token and membership look-ups (see `credentials`).
    credentials: credentials::Credentials,
}

/// The application: the store, the secret, the clock. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

impl App {
    pub fn new(store: Store, secret: Secret, clock: Arc<dyn Clock>, config: AppConfig) -> Self {
        let outbound =
            outbound::Outbound::new(config.webhook_allow_private, config.webhook_timeout);
        Self {
            inner: Arc::new(Inner {
                renderer: std::sync::OnceLock::new(),
                dispatching: tokio::sync::Mutex::new(()),
                delivering: tokio::sync::Mutex::new(()),
                deliveries: tokio::sync::Notify::new(),
                outbound,
                live: live::Hub::default(),
                live_renderer: std::sync::OnceLock::new(),
                store,
                secret,
                clock,
                config,
                jobs: tokio::sync::Notify::new(),
                jobs_running: tokio::sync::Mutex::new(()),
                credentials: credentials::Credentials::default(),
            }),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }
    pub(crate) fn secret(&self) -> &Secret {
        &self.inner.secret
    }
    pub(crate) fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }
    pub(crate) fn jobs_running(&self) -> &tokio::sync::Mutex<()> {
        &self.inner.jobs_running
    }
    pub(crate) fn jobs_notify(&self) -> &tokio::sync::Notify {
        &self.inner.jobs
    }
    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    /// Whether the database answers (for `GET /api`).
    pub async fn healthy(&self) -> bool {
        self.inner.store.ping().await
    }
}
