//! `confab-store`: the only crate that builds or runs SQL.
//!
//! Statements are written once with sea-query and run on SQLite or PostgreSQL through the
//! [`Conn`] enum; migrations for both engines are embedded. Depends on `confab-domain` only.

pub mod accounts;
pub mod agent_bots;
pub mod api_keys;
mod auth_watch;
pub mod automation_rules;
mod checkpointer;
pub mod contacts;
mod conversation_lists;
pub mod conversations;
pub mod csat;
pub mod custom_attributes;
pub mod custom_filters;
mod db;
mod error;
pub mod events;
pub mod filter_sql;
pub mod inboxes;
pub mod jobs;
pub mod labels;
pub mod live;
mod membership;
pub mod messages;
pub mod platform;
pub mod presence;
pub mod retention;
pub mod schema;
pub mod search;
pub mod seed;
mod sqlite;
pub mod teams;
pub mod tokens;
pub mod uploads;
pub mod users;
pub mod webhooks;

#[cfg(any(test, feature = "test-util"))]
pub mod testing;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

pub use db::{Conn, Engine, Row, Scalar, Tx};
pub use error::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// How to open the database.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// `synchronous=FULL` instead of `NORMAL` on SQLite (durable against power loss, slower).
    pub sqlite_full_sync: bool,
    /// PostgreSQL: the largest pool. SQLite: the idle readers kept. `None`: a default per engine.
    pub max_connections: Option<u32>,
}

#[derive(Clone)]
enum Pool {
    Sqlite(Arc<sqlite::SqliteDb>),
    Postgres(PgPool),
}

/// The database: a pool of SQLite or PostgreSQL connections. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// Signalled by every commit of this node, so after-commit work (the outbox) starts at once.
    commits: Arc<db::Commits>,
    /// Moved by every committed change to credentials (see `auth_watch`).
    auth: Arc<auth_watch::AuthWatch>,
}

impl Store {
    /// Opens the database named by `url` (`sqlite://path` or `postgres://…`).
    /// SQLite files are created when missing. Fails fast, with a message that says how to fix
    /// it, on an unknown scheme or an unreachable server.
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            let max_idle = opts.max_connections.unwrap_or(8) as usize;
            let db = sqlite::SqliteDb::open(url, opts.sqlite_full_sync, max_idle)?;
            Ok(Self {
                pool: Pool::Sqlite(Arc::new(db)),
                commits: Arc::default(),
                auth: Arc::new(auth_watch::AuthWatch::new(true)),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let co = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::Config(format!("invalid PostgreSQL DATABASE_URL: {e}")))?;
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections.unwrap_or(16))
                .acquire_timeout(Duration::from_secs(10))
                // Confab's statements are short, but the planner prices a search or a count over
                // millions of rows above `jit_above_cost`, and compiling it then took more than
                // half of its time (0.7 of 1.2 s for a search at a million conversations). A
                // session setting, not a startup option, which connection poolers may refuse.
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        sqlx::Executor::execute(conn, "SET jit = off").await?;
                        Ok(())
                    })
                })
                .connect_with(co)
                .await
                .map_err(|e| {
                    StoreError::Config(format!(
                        "cannot connect to PostgreSQL: {e}. Check that the server is running and that DATABASE_URL (postgres://user:password@host:port/database) is right"
                    ))
                })?;
            Ok(Self {
                pool: Pool::Postgres(pool),
                commits: Arc::default(),
                // Nothing is cached until `follow_auth_changes` listens.
                auth: Arc::new(auth_watch::AuthWatch::new(false)),
            })
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            Err(StoreError::Config(format!(
                "unsupported DATABASE_URL scheme {scheme:?}: use sqlite://path/to/file.db or postgres://user:password@host:port/database"
            )))
        }
    }

    pub fn engine(&self) -> Engine {
        match self.pool {
            Pool::Sqlite(_) => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies every pending migration of this engine.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(db) => {
                // sqlx keeps the migration history (`_sqlx_migrations`), on a connection of its
                // own that closes when done.
                use sqlx::Connection as _;
                let co = SqliteConnectOptions::from_str(&db.sqlx_url())
                    .map_err(|e| StoreError::Config(format!("invalid SQLite path: {e}")))?
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true);
                let mut conn = sqlx::SqliteConnection::connect_with(&co).await?;
                SQLITE_MIGRATIONS.run(&mut conn).await?;
                complete_sqlite_statistics(&mut conn).await?;
                conn.close().await?;
            }
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// A connection for reads outside a transaction.
    pub fn conn(&self) -> Conn<'_> {
        match &self.pool {
            Pool::Sqlite(db) => Conn::SqlitePool(db, &self.auth),
            Pool::Postgres(p) => Conn::PgPool(p, &self.auth),
        }
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(db) => Tx::sqlite(
                sqlite::SqliteTx::begin(db).await?,
                self.commits.clone(),
                self.auth.clone(),
            ),
            Pool::Postgres(p) => {
                Tx::postgres(p.begin().await?, self.commits.clone(), self.auth.clone())
            }
        })
    }

    /// Resolves after a transaction of this node commits (at once if one committed since the
    /// last call returned). One waiter: the outbox.
    pub async fn committed(&self) {
        self.commits.outbox.notified().await;
    }

    /// PostgreSQL: closes every connection, waiting for those in use to be returned. SQLite:
    /// closes the idle readers; the writer and its checkpointer close with the last clone of
    /// the store (the writer last, so it checkpoints what is left and removes the WAL).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(db) => db.close(),
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Whether the database answers; used by the health check.
    pub async fn ping(&self) -> bool {
        let stmt = sea_query::Query::select()
            .expr(sea_query::Expr::val(1i64))
            .to_owned();
        self.conn().fetch_scalar::<i64>(&stmt).await.is_ok()
    }
}

impl Store {
    /// Creates a database on a PostgreSQL server (tests and the benchmark make throwaway ones).
    pub async fn create_database(&self, name: &str) -> Result<(), StoreError> {
        self.database_ddl("CREATE DATABASE", name, "").await
    }

    /// Drops a database on a PostgreSQL server, disconnecting its sessions.
    pub async fn drop_database(&self, name: &str) -> Result<(), StoreError> {
        self.database_ddl("DROP DATABASE IF EXISTS", name, " WITH (FORCE)")
            .await
    }

    async fn database_ddl(&self, verb: &str, name: &str, suffix: &str) -> Result<(), StoreError> {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(StoreError::Config(format!("invalid database name {name}")));
        }
        match &self.pool {
            Pool::Postgres(p) => {
                sqlx::query(sqlx::AssertSqlSafe(format!("{verb} {name}{suffix}")))
                    .execute(p)
                    .await?;
                Ok(())
            }
            Pool::Sqlite(_) => Err(StoreError::Config(format!("{verb} needs PostgreSQL"))),
        }
    }

    /// The benchmark's database ceiling: one single-row `UPDATE`, committed on its own
    /// (autocommit), through the same connections, pragmas and durability as every use case
    /// (on SQLite the writer, in its turn), without `BEGIN IMMEDIATE` or a savepoint.
    pub async fn probe_update(
        &self,
        conversation_id: i64,
        now_micros: i64,
    ) -> Result<(), StoreError> {
        let stmt = sea_query::Query::update()
            .table("conversations")
            .value("updated_at", now_micros)
            .and_where(sea_query::ExprTrait::eq(
                sea_query::Expr::col("id"),
                conversation_id,
            ))
            .to_owned();
        self.conn().execute(&stmt).await?;
        Ok(())
    }
}

/// Statistics for the indexes a migration created on a table SQLite has statistics for.
///
/// A migration that replaces an index drops its statistics with it, and SQLite then prices the
/// new index by defaults beside its neighbours' measured figures: after 0016 it took the new
/// assignee index for the default list and sorted every open conversation. So each index
/// without statistics on a table analysed with rows is analysed (only that index is read).
/// A table that was empty when analysed has rows for its partial indexes only ("0 0"), and is
/// left alone: analysing its other indexes would write nothing and run again at every start.
/// A database never analysed keeps none, and plans by defaults throughout, as before.
async fn complete_sqlite_statistics(conn: &mut sqlx::SqliteConnection) -> Result<(), StoreError> {
    let (analysed,): (bool,) =
        sqlx::query_as("SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1')")
            .fetch_one(&mut *conn)
            .await?;
    if !analysed {
        return Ok(());
    }
    let unmeasured: Vec<(String,)> = sqlx::query_as(
        "SELECT m.name FROM sqlite_master m \
         WHERE m.type = 'index' \
           AND m.tbl_name IN (SELECT tbl FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) > 0) \
           AND m.name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (index,) in unmeasured {
        // A name from the schema itself, quoted as an identifier.
        let sql = format!("ANALYZE \"{}\"", index.replace('"', "\"\""));
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
