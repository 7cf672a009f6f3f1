use std::sync::Arc;

use confab_app::{App, AppConfig, Secret, TestClock};
use confab_domain::Timestamp;
use confab_server::config::ServeOpts;
use confab_server::startup::Server;
use confab_store::testing::TestDb;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub struct TestApp {
    pub base: String,
    pub app: App,
    pub platform_token: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    pub clock: Arc<TestClock>,
    pub config: AppConfig,
    /// Attachments of this app live here, removed with it.
    pub _data_dir: tempfile::TempDir,
    shutdown: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// An account with an administrator and an agent, provisioned through the Platform API.
pub struct Tenant {
    pub account_id: i64,
    pub admin_id: i64,
    pub admin: String,
    pub agent_id: i64,
    pub agent: String,
}

/// Asserts a 422 naming exactly `field` (`what` says which request, in the failure).
pub fn assert_invalid(status: StatusCode, body: &Value, field: &str, what: &str) {
    assert_eq!(status, 422, "{what}: {body:?}");
    assert_eq!(body["attributes"], json!([field]), "{what}: {body:?}");
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns with a changed configuration (SMTP settings, upload limits…).
    pub async fn spawn_with(configure: impl FnOnce(&mut AppConfig)) -> TestApp {
        // Server errors are logged at the edge; `RUST_LOG=error` shows them in a failing test.
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .try_init();
        let db = TestDb::new().await.expect("test database");
        let data_dir = tempfile::tempdir().expect("data dir");
        let mut config = AppConfig {
            data_dir: data_dir.path().to_path_buf(),
            // Webhook receivers in tests listen on loopback.
            webhook_allow_private: true,
            // Off, so the hourly retention job does not run among the jobs a test counts when
            // it moves the clock; the retention tests turn it on.
            retention_days: 0,
            ..AppConfig::default()
        };
        configure(&mut config);
        let clock = Arc::new(TestClock::new(Timestamp::from_unix_seconds(1_795_000_000)));
        let (app, base, shutdown) = serve(db.store.clone(), &clock, &config).await;
        let (_, platform_token) = app
            .create_platform_app("tests")
            .await
            .expect("platform app");
        TestApp {
            base,
            app,
            platform_token,
            client: reqwest::Client::new(),
            db,
            clock,
            config,
            _data_dir: data_dir,
            shutdown,
        }
    }

    /// Stops the server (HTTP, jobs and outbox), as a crash or a deploy would; the database
    /// stays. `headless` is an app on the same database that serves nothing and dispatches
    /// nothing: what it commits waits for the next start.
    pub fn stop(&self) -> App {
        self.shutdown.cancel();
        App::new(
            self.db.store.clone(),
            Secret::new("test-secret"),
            self.clock.clone(),
            self.config.clone(),
        )
    }

    /// Starts a new server on the same database (after `stop`).
    pub async fn restart(&mut self) {
        let (app, base, shutdown) = serve(self.db.store.clone(), &self.clock, &self.config).await;
        self.app = app;
        self.base = base;
        self.shutdown = shutdown;
    }

    /// A request to this server, not yet sent (a test may send it from a task of its own).
    pub fn builder(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.header("api_access_token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let req = self.builder(method, path, token, body);
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request(Method::GET, path, Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }
    pub async fn delete(&self, path: &str, token: &str, body: Option<Value>) -> Resp {
        self.request(Method::DELETE, path, Some(token), body).await
    }
    pub async fn platform(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.request(
            method,
            &format!("/platform/api/v1{path}"),
            Some(&self.platform_token.clone()),
            body,
        )
        .await
    }

    /// Platform flow: account → users → account users → tokens.
    pub async fn tenant(&self, name: &str) -> Tenant {
        let account = self
            .platform(Method::POST, "/accounts", Some(json!({ "name": name })))
            .await;
        assert_eq!(account.status, 200, "{:?}", account.body);
        let account_id = account.body["id"].as_i64().unwrap();
        let slug = name.to_lowercase().replace(' ', "-");
        let mut ids = Vec::new();
        for (who, role) in [("admin", "administrator"), ("agent", "agent")] {
            let u = self
                .platform(
                    Method::POST,
                    "/users",
                    Some(json!({ "name": format!("{who} of {name}"), "email": format!("{who}@{slug}.test"), "password": "Password-1" })),
                )
                .await;
            assert_eq!(u.status, 200, "{:?}", u.body);
            let uid = u.body["id"].as_i64().unwrap();
            let m = self
                .platform(
                    Method::POST,
                    &format!("/accounts/{account_id}/account_users"),
                    Some(json!({ "user_id": uid, "role": role })),
                )
                .await;
            assert_eq!(m.status, 200, "{:?}", m.body);
            ids.push((uid, u.body["access_token"].as_str().unwrap().to_owned()));
        }
        let (agent_id, agent) = ids.pop().unwrap();
        let (admin_id, admin) = ids.pop().unwrap();
        Tenant {
            account_id,
            admin_id,
            admin,
            agent_id,
            agent,
        }
    }

    pub async fn api_inbox(&self, t: &Tenant, name: &str) -> Value {
        let r = self
            .post(
                &format!("/api/v1/accounts/{}/inboxes", t.account_id),
                &t.admin,
                json!({ "name": name, "channel": { "type": "api" } }),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body
    }

    pub async fn contact(&self, t: &Tenant, body: Value) -> Value {
        let r = self
            .post(
                &format!("/api/v1/accounts/{}/contacts", t.account_id),
                &t.admin,
                body,
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body["payload"]["contact"].clone()
    }
}

/// A second node: its own connections to the same database, its own server, jobs, outbox and
/// live feed. Returns its base URL; it stops when the token is cancelled.
pub async fn second_node(app: &TestApp) -> (String, CancellationToken) {
    let store = confab_store::Store::connect(&app.db.url, &Default::default())
        .await
        .expect("second node's store");
    let (_, base, shutdown) = serve(store, &app.clock, &app.config).await;
    (base, shutdown)
}

/// A new app and its server on `store`, running until the token is cancelled.
async fn serve(
    store: confab_store::Store,
    clock: &Arc<TestClock>,
    config: &AppConfig,
) -> (App, String, CancellationToken) {
    let app = App::new(
        store,
        Secret::new("test-secret"),
        clock.clone(),
        config.clone(),
    );
    let opts = ServeOpts {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    let server = Server::bind(app.clone(), &opts).await.expect("bind");
    let base = format!("http://127.0.0.1:{}", server.port());
    let shutdown = CancellationToken::new();
    tokio::spawn(server.run(shutdown.clone()));
    (app, base, shutdown)
}

pub fn acc(t: &Tenant, rest: &str) -> String {
    format!("/api/v1/accounts/{}{}", t.account_id, rest)
}
