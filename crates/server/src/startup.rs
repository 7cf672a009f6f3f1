//! Opening the database, the secret, the first-start bootstrap, and serving.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use confab_app::{App, AppConfig, Clock, Secret, SystemClock};
use confab_store::{ConnectOptions, Store};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{GlobalOpts, ServeOpts};

/// The data directory: explicit, else the SQLite file's directory, else `./confab-data`.
pub fn data_dir(opts: &GlobalOpts) -> PathBuf {
    if let Some(d) = &opts.data_dir {
        return d.clone();
    }
    if let Some(path) = opts
        .database_url
        .strip_prefix("sqlite://")
        .or_else(|| opts.database_url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        if path != ":memory:"
            && let Some(parent) = Path::new(path).parent()
        {
            return if parent.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                parent.to_path_buf()
            };
        }
    }
    PathBuf::from("confab-data")
}

/// `SECRET_KEY_BASE`, or the one generated on first start and kept in the data directory.
pub fn load_secret(opts: &GlobalOpts) -> anyhow::Result<Secret> {
    if let Some(s) = opts
        .secret_key_base
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        return Ok(Secret::new(s.trim()));
    }
    let dir = data_dir(opts);
    let path = dir.join("secret_key_base");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if !existing.is_empty() {
            return Ok(Secret::new(existing));
        }
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    let bytes: [u8; 64] = rand::random();
    let key = hex::encode(bytes);
    write_private(&path, &key).with_context(|| {
        format!(
            "cannot write {}; set SECRET_KEY_BASE or make the data directory writable",
            path.display()
        )
    })?;
    tracing::warn!(path = %path.display(), "SECRET_KEY_BASE was not set: generated one and saved it; keep this file, or set SECRET_KEY_BASE (every node needs the same)");
    Ok(Secret::new(key))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// Opens the database (and migrates it unless told not to).
pub async fn open_store(opts: &GlobalOpts) -> anyhow::Result<Store> {
    let store = Store::connect(
        &opts.database_url,
        &ConnectOptions {
            sqlite_full_sync: opts.sqlite_full_sync,
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !opts.no_migrate {
        store
            .migrate()
            .await
            .context("running database migrations failed")?;
    }
    Ok(store)
}

/// Builds the application on an open store.
pub fn build_app(
    store: Store,
    secret: Secret,
    clock: Arc<dyn Clock>,
    frontend_url: Option<String>,
    bind: &str,
) -> App {
    let config = AppConfig {
        frontend_url: frontend_url.unwrap_or_else(|| format!("http://{bind}")),
        ..AppConfig::default()
    };
    App::new(store, secret, clock, config)
}

/// A bound server, ready to run. `port()` tells the port when bound to port 0 (tests).
pub struct Server {
    listener: TcpListener,
    app: App,
}

impl Server {
    pub async fn bind(app: App, opts: &ServeOpts) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(opts.bind).await.with_context(|| {
            format!(
                "cannot listen on {}; choose another address with --bind or CONFAB_BIND",
                opts.bind
            )
        })?;
        Ok(Self { listener, app })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serves until `shutdown` is cancelled, then stops accepting and finishes in-flight requests.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let router = confab_http::router(self.app.clone());
        axum::serve(self.listener, router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
            .context("the HTTP server failed")
    }
}

/// Resolves when SIGTERM or Ctrl-C arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// The production clock.
pub fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}
