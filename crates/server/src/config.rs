//! Command line and environment configuration. `--help` is the operator documentation.

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

    /// Use `synchronous=FULL` on SQLite: every commit survives power loss, at some write speed.
    #[arg(long, env = "CONFAB_SQLITE_FULL_SYNC", global = true)]
    pub sqlite_full_sync: bool,

    /// Log filter, e.g. `info` or `confab=debug,tower_http=debug`.
    #[arg(long, env = "RUST_LOG", default_value = "info", global = true)]
    pub log_level: String,

    /// Log format.
    #[arg(long, env = "CONFAB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
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
}
