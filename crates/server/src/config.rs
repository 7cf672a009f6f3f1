//! Command line and environment configuration. `--help` is the operator documentation.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Confab: a Chatwoot-compatible customer-conversation server in one binary.
#[derive(Debug, Parser)]
#[command(name = "confab", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Parses the command line (printing help or the error and exiting, like `parse`). Without
    /// a subcommand it parses again as `serve`, so that `serve`'s options still come from their
    /// environment variables (`CONFAB_BIND=0.0.0.0:3000 confab` listens where it is told).
    pub fn parse_args() -> Self {
        Self::try_parse_args_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// [`Cli::parse_args`] on given arguments (the first is the program name).
    pub fn try_parse_args_from<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let cli = Self::try_parse_from(&args)?;
        if cli.command.is_some() {
            return Ok(cli);
        }
        Self::try_parse_from(args.into_iter().chain([OsString::from("serve")]))
    }
}

/// Options every subcommand shares.
#[derive(Debug, Clone, Args)]
pub struct GlobalOpts {
    /// Database URL: `sqlite://path/to/file.db` (created if missing) or
    /// `postgres://user:password@host:port/database`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://confab.db",
        global = true
    )]
    pub database_url: String,

    /// Secret key for token digests. If unset, one is generated on first start and kept in
    /// `<data dir>/secret_key_base` (mode 0600). Every node of one deployment needs the same key.
    #[arg(long, env = "SECRET_KEY_BASE", hide_env_values = true, global = true)]
    pub secret_key_base: Option<String>,

    /// Directory for the generated secret (and later attachments). Defaults to the SQLite file's
    /// directory, or `./confab-data` with PostgreSQL.
    #[arg(long, env = "CONFAB_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,

    /// Skip running database migrations when opening the database.
    #[arg(long, global = true)]
    pub no_migrate: bool,

    /// Database connections: on PostgreSQL the pool's largest size (default 16); on SQLite the
    /// reader connections kept open beside the one writer (default 8).
    #[arg(long, env = "CONFAB_DB_POOL_SIZE", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000), global = true)]
    pub db_pool_size: Option<u32>,

    /// Use `synchronous=FULL` on SQLite: every commit survives power loss, at some write speed.
    #[arg(long, env = "CONFAB_SQLITE_FULL_SYNC", global = true)]
    pub sqlite_full_sync: bool,

    /// Log filter, e.g. `info` or `confab=debug,tower_http=debug`.
    #[arg(long, env = "RUST_LOG", default_value = "info", global = true)]
    pub log_level: String,

    /// Log format.
    #[arg(long, env = "CONFAB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Largest attachment accepted, in megabytes (Chatwoot's name and unit).
    #[arg(
        long,
        env = "MAXIMUM_FILE_UPLOAD_SIZE",
        value_name = "MB",
        default_value = "40",
        value_parser = upload_megabytes,
        global = true
    )]
    pub maximum_file_upload_size: u64,

    /// Let webhooks (and API inboxes' webhook_url) point to loopback and private addresses.
    /// Off by default, so an account administrator cannot reach the operator's network.
    #[arg(long, env = "CONFAB_WEBHOOK_ALLOW_PRIVATE", global = true)]
    pub webhook_allow_private: bool,

    /// The longest one webhook attempt may take, connecting included, in seconds (Chatwoot's
    /// name; default 5).
    #[arg(long, env = "WEBHOOK_TIMEOUT", value_name = "SECONDS", default_value = "5", value_parser = clap::value_parser!(u64).range(1..=60), global = true)]
    pub webhook_timeout: u64,

    /// Days the outbox's events and the webhook deliveries' log (with their attempts) are kept;
    /// older ones are deleted in the background. 0 keeps them for ever.
    #[arg(long, env = "CONFAB_RETENTION_DAYS", value_name = "DAYS", default_value = "30", value_parser = clap::value_parser!(u32).range(0..=36_500), global = true)]
    pub retention_days: u32,

    #[command(flatten)]
    pub mail: MailOpts,
}

/// Outgoing email, configured with Chatwoot's variable names. An empty variable counts as unset,
/// so a Chatwoot `.env` file works as it is.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Email (SMTP)")]
pub struct MailOpts {
    /// SMTP server host name. Unset: no email is sent (and features that need it are refused).
    #[arg(long, env = "SMTP_ADDRESS", value_name = "HOST", global = true)]
    pub smtp_address: Option<String>,

    /// SMTP server port. 465 means TLS from the first byte; other ports start in plain text and
    /// upgrade with STARTTLS (see --smtp-enable-starttls-auto).
    #[arg(
        long,
        env = "SMTP_PORT",
        value_name = "PORT",
        default_value = "587",
        value_parser = smtp_port,
        global = true
    )]
    pub smtp_port: u16,

    /// Domain to announce in the SMTP greeting (EHLO). Unset: `[127.0.0.1]`.
    #[arg(long, env = "SMTP_DOMAIN", value_name = "DOMAIN", global = true)]
    pub smtp_domain: Option<String>,

    /// SMTP user name. Unset: send without logging in.
    #[arg(long, env = "SMTP_USERNAME", value_name = "USER", global = true)]
    pub smtp_username: Option<String>,

    /// SMTP password (used with --smtp-username).
    #[arg(
        long,
        env = "SMTP_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD",
        global = true
    )]
    pub smtp_password: Option<String>,

    /// How to log in: `plain` or `login`. Unset: whichever the server offers.
    #[arg(
        long,
        env = "SMTP_AUTHENTICATION",
        value_name = "plain|login",
        value_parser = smtp_authentication,
        global = true
    )]
    pub smtp_authentication: Option<String>,

    /// Upgrade to TLS with STARTTLS when the server offers it (`true`/`false`). Ignored on
    /// port 465, which is always TLS.
    #[arg(
        long,
        env = "SMTP_ENABLE_STARTTLS_AUTO",
        value_name = "BOOL",
        default_value = "true",
        value_parser = boolish_or_true,
        action = clap::ArgAction::Set,
        global = true
    )]
    pub smtp_enable_starttls_auto: bool,

    /// Certificate check for TLS: `peer` verifies the server's certificate against the Mozilla
    /// roots; `none` accepts any certificate (self-signed or internal servers only).
    #[arg(
        long,
        env = "SMTP_OPENSSL_VERIFY_MODE",
        value_name = "peer|none",
        default_value = "peer",
        value_parser = verify_mode,
        global = true
    )]
    pub smtp_openssl_verify_mode: String,

    /// The From address of every email Confab sends, with or without a display name.
    #[arg(
        long,
        env = "MAILER_SENDER_EMAIL",
        value_name = "MAILBOX",
        default_value = DEFAULT_SENDER,
        value_parser = sender,
        global = true
    )]
    pub mailer_sender_email: String,
}

/// Chatwoot's default is `Chatwoot <accounts@chatwoot.com>`; same shape, our own name, and a
/// domain that is not someone else's.
pub const DEFAULT_SENDER: &str = "Confab <accounts@confab.local>";

/// `SMTP_PORT`: a port number; empty means the default.
fn smtp_port(s: &str) -> Result<u16, String> {
    match s.trim() {
        "" => Ok(587),
        p => match p.parse::<u16>() {
            Ok(0) | Err(_) => Err(format!("`{p}` is not a port number (1-65535)")),
            Ok(n) => Ok(n),
        },
    }
}

/// `MAXIMUM_FILE_UPLOAD_SIZE`: whole megabytes, at least 1; empty means the default.
fn upload_megabytes(s: &str) -> Result<u64, String> {
    match s.trim() {
        "" => Ok(40),
        v => match v.parse::<u64>() {
            Ok(n) if (1..=1024 * 1024).contains(&n) => Ok(n),
            _ => Err(format!("`{v}` is not a size in megabytes (1 or more)")),
        },
    }
}

/// `SMTP_AUTHENTICATION`: `plain` or `login` in any case; empty means unset.
fn smtp_authentication(s: &str) -> Result<String, String> {
    let v = s.trim().to_ascii_lowercase();
    match v.as_str() {
        "" | "plain" | "login" => Ok(v),
        _ => Err(format!(
            "`{}` is not supported; use `plain` or `login`",
            s.trim()
        )),
    }
}

/// A boolean as Rails reads one (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, `t`/`f`);
/// empty means true (the default).
fn boolish_or_true(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "t" | "1" | "yes" | "y" | "on" => Ok(true),
        "false" | "f" | "0" | "no" | "n" | "off" => Ok(false),
        other => Err(format!("`{other}` is not true or false")),
    }
}

/// `SMTP_OPENSSL_VERIFY_MODE`: `none` turns checks off; any other OpenSSL mode name Chatwoot
/// accepts (`peer`, `client_once`, `fail_if_no_peer_cert`) verifies; empty means `peer`.
fn verify_mode(s: &str) -> Result<String, String> {
    let v = s.trim().to_ascii_lowercase();
    match v.as_str() {
        "" => Ok("peer".into()),
        "none" | "peer" | "client_once" | "fail_if_no_peer_cert" => Ok(v),
        _ => Err(format!("`{}` is not `peer` or `none`", s.trim())),
    }
}

/// `MAILER_SENDER_EMAIL`: a mailbox; empty means the default.
fn sender(s: &str) -> Result<String, String> {
    match s.trim() {
        "" => Ok(DEFAULT_SENDER.into()),
        v => confab_app::mailer::check_mailbox(v).map(|()| v.to_owned()),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default).
    Serve(ServeOpts),
    /// Apply database migrations and exit.
    Migrate,
    /// Administration tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Clone, Args)]
pub struct ServeOpts {
    /// Address to listen on.
    #[arg(long, env = "CONFAB_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// Public URL of this server, used in links it generates.
    #[arg(long, env = "FRONTEND_URL")]
    pub frontend_url: Option<String>,

    /// Email of the administrator created on the first start of an empty database.
    #[arg(long, env = "CONFAB_ADMIN_EMAIL", default_value = "admin@confab.local")]
    pub admin_email: String,
}

impl Default for ServeOpts {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            frontend_url: None,
            admin_email: "admin@confab.local".into(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a platform app and print `{"id","name","access_token"}` as JSON.
    CreatePlatformApp {
        /// Name of the platform app.
        #[arg(long)]
        name: String,
    },
    /// Create a user with a password, or reset an existing user's password (recovery).
    /// Prints the user's id, email and access token as JSON.
    CreateUser {
        /// Email (sign-in name).
        #[arg(long)]
        email: String,
        /// Password (at least 6 characters).
        #[arg(long, env = "CONFAB_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// Display name.
        #[arg(long, default_value = "")]
        name: String,
        /// Make the user an administrator of this account.
        #[arg(long)]
        account_id: Option<i64>,
    },
    /// Create a new account filled with demo data: agents, API inboxes, teams, labels, contacts,
    /// and conversations with 1-20 messages each in a realistic mix of statuses, priorities,
    /// assignees and labels. Prints the account id and its access tokens as JSON. Used by
    /// `confab-bench`; fast enough for millions of conversations.
    Seed {
        /// Number of conversations.
        #[arg(long, default_value = "10000")]
        conversations: u64,
        /// Number of agents (besides the account's administrator).
        #[arg(long, default_value = "10")]
        agents: usize,
        /// Number of API inboxes.
        #[arg(long, default_value = "3")]
        inboxes: usize,
        /// Seed of the random generator (the same seed gives the same data).
        #[arg(long, default_value = "1")]
        seed: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_args_from(std::iter::once("confab").chain(args.iter().copied()))
    }

    #[test]
    fn no_subcommand_means_serve_with_its_own_options() {
        let cli = parse(&["--database-url", "sqlite://x.db"]).unwrap();
        let Some(Command::Serve(serve)) = cli.command else {
            panic!("expected serve, got {:?}", cli.command);
        };
        assert_eq!(serve.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(cli.global.database_url, "sqlite://x.db");
    }

    #[test]
    fn the_pool_size_is_the_engine_default_unless_given_and_at_least_one() {
        assert_eq!(parse(&["migrate"]).unwrap().global.db_pool_size, None);
        let cli = parse(&["--db-pool-size", "4", "serve"]).unwrap();
        assert_eq!(cli.global.db_pool_size, Some(4));
        assert!(parse(&["--db-pool-size", "0"]).is_err());
    }

    #[test]
    fn mail_defaults_follow_chatwoot() {
        let cli = parse(&["migrate"]).unwrap();
        let m = &cli.global.mail;
        assert_eq!(m.smtp_address, None);
        assert_eq!(m.smtp_port, 587);
        assert!(m.smtp_enable_starttls_auto);
        assert_eq!(m.smtp_openssl_verify_mode, "peer");
        assert_eq!(m.smtp_authentication, None);
        assert_eq!(m.mailer_sender_email, DEFAULT_SENDER);
        assert_eq!(cli.global.maximum_file_upload_size, 40);
    }

    #[test]
    fn mail_options_parse_before_or_after_the_subcommand() {
        let cli = parse(&[
            "--smtp-address",
            "smtp.example.com",
            "serve",
            "--smtp-port",
            "465",
            "--smtp-enable-starttls-auto",
            "false",
            "--smtp-authentication",
            "LOGIN",
            "--smtp-openssl-verify-mode",
            "none",
            "--mailer-sender-email",
            "Help <help@example.com>",
            "--maximum-file-upload-size",
            "10",
        ])
        .unwrap();
        let m = &cli.global.mail;
        assert_eq!(m.smtp_address.as_deref(), Some("smtp.example.com"));
        assert_eq!(m.smtp_port, 465);
        assert!(!m.smtp_enable_starttls_auto);
        assert_eq!(m.smtp_authentication.as_deref(), Some("login"));
        assert_eq!(m.smtp_openssl_verify_mode, "none");
        assert_eq!(m.mailer_sender_email, "Help <help@example.com>");
        assert_eq!(cli.global.maximum_file_upload_size, 10);
    }

    #[test]
    fn empty_values_as_in_a_chatwoot_env_file_mean_the_default() {
        let cli = parse(&[
            "--smtp-port=",
            "--smtp-enable-starttls-auto=",
            "--smtp-authentication=",
            "--smtp-openssl-verify-mode=",
            "--mailer-sender-email=",
            "--maximum-file-upload-size=",
        ])
        .unwrap();
        let m = &cli.global.mail;
        assert_eq!(m.smtp_port, 587);
        assert!(m.smtp_enable_starttls_auto);
        assert_eq!(m.smtp_authentication.as_deref(), Some(""));
        assert_eq!(m.smtp_openssl_verify_mode, "peer");
        assert_eq!(m.mailer_sender_email, DEFAULT_SENDER);
        assert_eq!(cli.global.maximum_file_upload_size, 40);
    }

    #[test]
    fn unsupported_mail_values_are_refused_with_the_reason() {
        let e = parse(&["--smtp-authentication", "cram_md5"]).unwrap_err();
        assert!(e.to_string().contains("use `plain` or `login`"), "{e}");
        let e = parse(&["--mailer-sender-email", "nobody"]).unwrap_err();
        assert!(e.to_string().contains("not an email address"), "{e}");
        let e = parse(&["--smtp-port", "0"]).unwrap_err();
        assert!(e.to_string().contains("not a port number"), "{e}");
        let e = parse(&["--smtp-enable-starttls-auto", "maybe"]).unwrap_err();
        assert!(e.to_string().contains("not true or false"), "{e}");
        let e = parse(&["--maximum-file-upload-size", "0"]).unwrap_err();
        assert!(e.to_string().contains("megabytes"), "{e}");
    }
}
