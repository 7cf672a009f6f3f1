//! Opening the database, the secret, the first-start bootstrap, and serving.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use confab_app::mailer::SmtpSettings;
use confab_app::{App, AppConfig, Clock, Secret, SystemClock};
use confab_store::{ConnectOptions, Store};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{GlobalOpts, MailOpts, ServeOpts};

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
            max_connections: opts.db_pool_size,
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

/// The SMTP settings, or `None` when `SMTP_ADDRESS` is unset or empty (no email is sent).
pub fn smtp_settings(mail: &MailOpts) -> Option<SmtpSettings> {
    fn set(v: Option<&String>) -> Option<String> {
        v.map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }
    let address = set(mail.smtp_address.as_ref())?;
    Some(SmtpSettings {
        address,
        port: mail.smtp_port,
        domain: set(mail.smtp_domain.as_ref()),
        username: set(mail.smtp_username.as_ref()),
        // A password is taken as written: spaces may belong to it.
        password: mail.smtp_password.clone().filter(|p| !p.is_empty()),
        authentication: set(mail.smtp_authentication.as_ref()),
        enable_starttls_auto: mail.smtp_enable_starttls_auto,
        openssl_verify_mode: set(Some(&mail.smtp_openssl_verify_mode)),
        sender: mail.mailer_sender_email.clone(),
    })
}

/// The application's settings from the command line and environment.
pub fn app_config(opts: &GlobalOpts, frontend_url: Option<String>, bind: &str) -> AppConfig {
    AppConfig {
        frontend_url: frontend_url.unwrap_or_else(|| format!("http://{bind}")),
        data_dir: data_dir(opts),
        smtp: smtp_settings(&opts.mail),
        max_upload_bytes: opts.maximum_file_upload_size.saturating_mul(1024 * 1024),
        webhook_allow_private: opts.webhook_allow_private,
        webhook_timeout: std::time::Duration::from_secs(opts.webhook_timeout),
        retention_days: opts.retention_days,
    }
}

/// Builds the application on an open store.
pub fn build_app(
    store: Store,
    secret: Secret,
    clock: Arc<dyn Clock>,
    opts: &GlobalOpts,
    frontend_url: Option<String>,
    bind: &str,
) -> App {
    let config = app_config(opts, frontend_url, bind);
    match &config.smtp {
        Some(s) => tracing::info!(
            server = %format!("{}:{}", s.address, s.port),
            encryption = ?s.encryption(),
            sender = %s.sender,
            "outgoing email is on"
        ),
        None => tracing::info!("outgoing email is off: SMTP_ADDRESS is not set"),
    }
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
        // Before anything runs: the outbox and the live feed render from the first moment.
        confab_http::install(&app);
        Ok(Self { listener, app })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Serves until `shutdown` is cancelled, then stops accepting and finishes in-flight
    /// requests. Beside the HTTP server run the job runner (snooze wake-ups, emails, the
    /// retention job, scheduled here), the outbox (webhook deliveries), the live feed (events
    /// to `/cable` sockets) and, on PostgreSQL, the listener for other nodes' credential
    /// changes; they stop with it, and whatever the first two had not done waits in the
    /// database for the next start.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.app.schedule_retention().await?;
        let service = confab_http::service(self.app.clone());
        let mut background = tokio::task::JoinSet::new();
        let (app, stop) = (self.app.clone(), shutdown.clone());
        background.spawn(async move { app.run_jobs_until(stop.cancelled_owned()).await });
        let (app, stop) = (self.app.clone(), shutdown.clone());
        background.spawn(async move { app.run_outbox_until(stop.cancelled_owned()).await });
        // Open before the first request is served: a socket never misses what commits after
        // it connected.
        let feed = self.app.open_live_feed().await;
        let (app, stop) = (self.app.clone(), shutdown.clone());
        background.spawn(async move { app.run_live_until(feed, stop.cancelled_owned()).await });
        let (app, stop) = (self.app.clone(), shutdown.clone());
        background.spawn(async move {
            app.run_credential_watch_until(stop.cancelled_owned()).await;
        });
        let served = axum::serve(
            self.listener,
            axum::ServiceExt::<axum::extract::Request>::into_make_service(service),
        )
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .context("the HTTP server failed");
        background.abort_all();
        served
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Cli;

    fn global(args: &[&str]) -> GlobalOpts {
        Cli::try_parse_args_from(std::iter::once("confab").chain(args.iter().copied()))
            .unwrap()
            .global
    }

    #[test]
    fn without_smtp_address_there_is_no_smtp() {
        assert_eq!(app_config(&global(&["migrate"]), None, "x:1").smtp, None);
        let blank = global(&["--smtp-address", " ", "--smtp-username", "u"]);
        assert_eq!(app_config(&blank, None, "x:1").smtp, None);
    }

    #[test]
    fn smtp_options_become_the_mailer_settings() {
        let opts = global(&[
            "--smtp-address",
            "smtp.example.com",
            "--smtp-port",
            "2525",
            "--smtp-domain",
            "example.com",
            "--smtp-username",
            "postmaster",
            "--smtp-password",
            " s3cret ",
            "--smtp-authentication",
            "plain",
            "--smtp-enable-starttls-auto",
            "false",
            "--smtp-openssl-verify-mode",
            "none",
            "--mailer-sender-email",
            "Help <help@example.com>",
        ]);
        let smtp = app_config(&opts, None, "x:1").smtp.unwrap();
        assert_eq!(
            smtp,
            SmtpSettings {
                address: "smtp.example.com".into(),
                port: 2525,
                domain: Some("example.com".into()),
                username: Some("postmaster".into()),
                password: Some(" s3cret ".into()),
                authentication: Some("plain".into()),
                enable_starttls_auto: false,
                openssl_verify_mode: Some("none".into()),
                sender: "Help <help@example.com>".into(),
            }
        );
    }

    #[test]
    fn an_empty_authentication_means_none_chosen() {
        let opts = global(&["--smtp-address", "mail", "--smtp-authentication="]);
        let smtp = app_config(&opts, None, "x:1").smtp.unwrap();
        assert_eq!(smtp.authentication, None);
        assert_eq!(smtp.port, 587);
        assert!(smtp.enable_starttls_auto);
        assert_eq!(smtp.openssl_verify_mode.as_deref(), Some("peer"));
    }

    #[test]
    fn data_dir_and_upload_limit_come_from_the_options() {
        let opts = global(&[
            "--database-url",
            "sqlite:///var/lib/confab/confab.db",
            "--maximum-file-upload-size",
            "3",
        ]);
        let config = app_config(&opts, None, "127.0.0.1:9");
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/confab"));
        assert_eq!(config.max_upload_bytes, 3 * 1024 * 1024);
        assert_eq!(config.frontend_url, "http://127.0.0.1:9");
        let explicit = global(&["--data-dir", "/srv/confab"]);
        let config = app_config(&explicit, Some("https://help.example.com".into()), "x:1");
        assert_eq!(config.data_dir, PathBuf::from("/srv/confab"));
        assert_eq!(config.max_upload_bytes, 40 * 1024 * 1024);
        assert_eq!(config.frontend_url, "https://help.example.com");
    }
}
