//! One connection type for both engines, and the helpers every query goes through.
//!
//! A statement is built once with sea-query and rendered per dialect here. On PostgreSQL it runs
//! through sqlx and rows decode with `sqlx::FromRow`; on SQLite it runs in the calling task
//! through rusqlite (see `sqlite.rs`) and rows decode with `SqliteRow`, derived from the same
//! struct and attributes. No other module sees a pool.

use confab_domain::db::SqliteRow as DecodeSqlite;
use sea_query::{ExprTrait, PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::{AssertSqlSafe, FromRow};

use std::sync::atomic::{AtomicBool, Ordering};

use crate::StoreError;
use crate::auth_watch::{AuthWatch, writes_credentials};
use crate::sqlite::{self, SqliteDb};

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A place to run statements: a pool (each statement takes any free connection) or one
/// connection (inside a transaction).
///
/// Each carries where a write to the credential tables is noted (see `auth_watch`): the
/// store's epoch for a statement that commits on its own, the transaction's state otherwise.
pub enum Conn<'c> {
    SqlitePool(&'c std::sync::Arc<SqliteDb>, &'c AuthWatch),
    /// The pool, for statements that may visit a large part of a table (see [`Conn::scanning`]).
    SqliteScan(&'c std::sync::Arc<SqliteDb>, &'c AuthWatch),
    PgPool(&'c PgPool, &'c AuthWatch),
    Sqlite(&'c mut rusqlite::Connection, &'c TxState),
    Pg(&'c mut PgConnection, &'c TxState),
}

/// What a transaction gathers until it commits.
#[derive(Default)]
pub struct TxState {
    /// A statement wrote a credential table: the epoch moves after the commit.
    wrote_credentials: AtomicBool,
    /// Events recorded, written in one statement just before the commit (see `events::record`).
    pub(crate) events: std::sync::Mutex<Vec<crate::events::NewEvent>>,
}

impl TxState {
    fn note_credentials(&self) {
        self.wrote_credentials.store(true, Ordering::SeqCst);
    }
}

/// Rows that decode from both engines.
pub trait Row: for<'r> FromRow<'r, PgRow> + DecodeSqlite + Send + Unpin + 'static {}
impl<T> Row for T where T: for<'r> FromRow<'r, PgRow> + DecodeSqlite + Send + Unpin + 'static {}

/// Scalars that decode from both engines.
pub trait Scalar:
    rusqlite::types::FromSql
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
    + Send
    + Unpin
    + 'static
{
}
impl<T> Scalar for T where
    T: rusqlite::types::FromSql
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + Send
        + Unpin
        + 'static
{
}

/// Runs a PostgreSQL statement on the pool or the transaction's connection.
macro_rules! pg {
    ($conn:expr, $stmt:expr, |$sql:ident, $args:ident, $exec:ident| $body:expr) => {{
        let ($sql, $args) = $stmt.build_sqlx(PostgresQueryBuilder);
        let credentials = writes_credentials(&$sql);
        match $conn {
            Conn::PgPool(p, watch) => {
                let $exec = *p;
                let out = $body;
                if credentials {
                    watch.bump();
                }
                out
            }
            Conn::Pg(c, state) => {
                if credentials {
                    state.note_credentials();
                }
                let $exec = &mut **c;
                $body
            }
            Conn::SqlitePool(..) | Conn::SqliteScan(..) | Conn::Sqlite(..) => {
                unreachable!("SQLite handled before")
            }
        }
    }};
}

impl Conn<'_> {
    /// Whether this is a transaction's connection (what it reads, it is about to change).
    pub(crate) fn in_transaction(&self) -> bool {
        matches!(self, Conn::Sqlite(..) | Conn::Pg(..))
    }

    pub fn engine(&self) -> Engine {
        match self {
            Conn::SqlitePool(..) | Conn::SqliteScan(..) | Conn::Sqlite(..) => Engine::Sqlite,
            Conn::PgPool(..) | Conn::Pg(..) => Engine::Postgres,
        }
    }

    /// Runs `f` with a SQLite statement's text and parameters on the right connection: the
    /// transaction's; else a reader, or the writer (in its turn) when the statement writes.
    /// `None` on PostgreSQL.
    async fn sqlite<R: Send + 'static>(
        &mut self,
        stmt: &impl SqlxBinder,
        mut f: impl FnMut(&rusqlite::Connection, &str, &sea_query::Values) -> Result<R, StoreError>
        + Clone
        + Send
        + 'static,
    ) -> Option<Result<R, StoreError>> {
        let (db, watch, scan) = match self {
            Conn::Sqlite(c, state) => {
                let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
                if writes_credentials(&sql) {
                    state.note_credentials();
                }
                return Some(f(c, &sql, &values.0));
            }
            Conn::SqlitePool(db, watch) => (*db, *watch, false),
            Conn::SqliteScan(db, watch) => (*db, *watch, true),
            Conn::PgPool(..) | Conn::Pg(..) => return None,
        };
        let (sql, values) = stmt.build_sqlx(SqliteQueryBuilder);
        let values = values.0;
        // On a reader, unless the statement writes (`None`: it goes to the writer below).
        fn unless_it_writes<R>(
            c: &rusqlite::Connection,
            sql: &str,
            values: &sea_query::Values,
            f: &mut impl FnMut(&rusqlite::Connection, &str, &sea_query::Values) -> Result<R, StoreError>,
        ) -> Result<Option<R>, StoreError> {
            if sqlite::writes(c, sql)? {
                Ok(None)
            } else {
                f(c, sql, values).map(Some)
            }
        }
        let read = if scan {
            let (pool, sql, values, mut f) = (db.clone(), sql.clone(), values.clone(), f.clone());
            db.scan(move || pool.read(|c| unless_it_writes(c, &sql, &values, &mut f)))
                .await
        } else {
            db.read(|c| unless_it_writes(c, &sql, &values, &mut f))
        };
        Some(match read {
            Ok(Some(r)) => Ok(r),
            Ok(None) => {
                let out = db.autocommit(|c| f(c, &sql, &values)).await;
                if out.is_ok() && writes_credentials(&sql) {
                    watch.bump();
                }
                out
            }
            Err(e) => Err(e),
        })
    }

    /// The same place, for a statement that may visit a large part of a table (counts and
    /// pages under filters, labels or text search). On SQLite such a statement would hold one
    /// of the runtime's few threads for as long as it runs, stalling every request queued
    /// behind it; here it runs on the blocking pool, as many at once as there are cores.
    /// PostgreSQL runs statements in its own processes, so nothing changes there.
    pub fn scanning(&mut self) -> Conn<'_> {
        match self {
            Conn::SqlitePool(db, w) | Conn::SqliteScan(db, w) => Conn::SqliteScan(db, w),
            Conn::Sqlite(c, t) => Conn::Sqlite(c, t),
            Conn::PgPool(p, w) => Conn::PgPool(p, w),
            Conn::Pg(c, t) => Conn::Pg(c, t),
        }
    }

    /// A SQLite transaction's connection, for the bulk loader's own prepared statements
    /// (`seed`); `None` on a pool or on PostgreSQL.
    pub(crate) fn sqlite_transaction(&mut self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::Sqlite(c, _) => Some(c),
            Conn::SqlitePool(..) | Conn::SqliteScan(..) | Conn::PgPool(..) | Conn::Pg(..) => None,
        }
    }

    /// The events a transaction gathers, `None` outside one.
    pub(crate) fn pending_events(&self) -> Option<&std::sync::Mutex<Vec<crate::events::NewEvent>>> {
        match self {
            Conn::Sqlite(_, state) | Conn::Pg(_, state) => Some(&state.events),
            Conn::SqlitePool(..) | Conn::SqliteScan(..) | Conn::PgPool(..) => None,
        }
    }

    /// All rows of a statement.
    pub async fn fetch_all<T: Row>(
        &mut self,
        stmt: &impl SqlxBinder,
    ) -> Result<Vec<T>, StoreError> {
        if let Some(r) = self.sqlite(stmt, sqlite::fetch_all::<T>).await {
            return r;
        }
        Ok(pg!(self, stmt, |sql, args, ex| sqlx::query_as_with(
            AssertSqlSafe(sql),
            args
        )
        .fetch_all(ex)
        .await?))
    }

    /// At most one row.
    pub async fn fetch_optional<T: Row>(
        &mut self,
        stmt: &impl SqlxBinder,
    ) -> Result<Option<T>, StoreError> {
        if let Some(r) = self.sqlite(stmt, sqlite::fetch_optional::<T>).await {
            return r;
        }
        Ok(pg!(self, stmt, |sql, args, ex| sqlx::query_as_with(
            AssertSqlSafe(sql),
            args
        )
        .fetch_optional(ex)
        .await?))
    }

    /// Exactly one row; `StoreError::NotFound` when there is none.
    pub async fn fetch_one<T: Row>(&mut self, stmt: &impl SqlxBinder) -> Result<T, StoreError> {
        self.fetch_optional(stmt).await?.ok_or(StoreError::NotFound)
    }

    /// The first column of the first row, if any.
    pub async fn fetch_scalar<T: Scalar>(
        &mut self,
        stmt: &impl SqlxBinder,
    ) -> Result<Option<T>, StoreError> {
        if let Some(r) = self.sqlite(stmt, sqlite::fetch_scalar::<T>).await {
            return r;
        }
        Ok(pg!(self, stmt, |sql, args, ex| {
            sqlx::query_scalar_with(AssertSqlSafe(sql), args)
                .fetch_optional(ex)
                .await?
        }))
    }

    /// Runs a statement and returns the number of rows it touched.
    pub async fn execute(&mut self, stmt: &impl SqlxBinder) -> Result<u64, StoreError> {
        if let Some(r) = self.sqlite(stmt, sqlite::execute).await {
            return r;
        }
        Ok(pg!(self, stmt, |sql, args, ex| sqlx::query_with(
            AssertSqlSafe(sql),
            args
        )
        .execute(ex)
        .await?
        .rows_affected()))
    }

    /// All rows of a fixed SQL text without parameters (catalogue queries of one engine).
    pub async fn fetch_all_static<T: Row>(
        &mut self,
        sql: &'static str,
    ) -> Result<Vec<T>, StoreError> {
        let none = sea_query::Values(Vec::new());
        Ok(match self {
            Conn::SqlitePool(db, _) | Conn::SqliteScan(db, _) => {
                db.read(|c| sqlite::fetch_all(c, sql, &none))?
            }
            Conn::Sqlite(c, _) => sqlite::fetch_all(c, sql, &none)?,
            Conn::PgPool(p, _) => sqlx::query_as(sql).fetch_all(*p).await?,
            Conn::Pg(c, _) => sqlx::query_as(sql).fetch_all(&mut **c).await?,
        })
    }

    /// Runs generated SQL text (one or more statements, values already rendered as literals)
    /// without preparing or caching it. Bulk loading only; counted as a credential change, as
    /// it may write anything.
    pub async fn execute_raw(&mut self, sql: String) -> Result<(), StoreError> {
        match self {
            Conn::SqlitePool(db, watch) | Conn::SqliteScan(db, watch) => {
                db.autocommit(|c| Ok(c.execute_batch(&sql)?)).await?;
                watch.bump();
            }
            Conn::Sqlite(c, state) => {
                state.note_credentials();
                c.execute_batch(&sql)?;
            }
            Conn::PgPool(p, watch) => {
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(*p).await?;
                watch.bump();
            }
            Conn::Pg(c, state) => {
                state.note_credentials();
                sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut **c).await?;
            }
        };
        Ok(())
    }

    /// An `INSERT … RETURNING id`, returning the new id.
    pub async fn insert_returning_id(
        &mut self,
        stmt: &mut sea_query::InsertStatement,
    ) -> Result<i64, StoreError> {
        stmt.returning_col("id");
        self.fetch_scalar::<i64>(stmt)
            .await?
            .ok_or(StoreError::NotFound)
    }
}

/// The `OFFSET` of page `page` (counted from 1; 0 reads as 1) of `per_page` rows.
pub(crate) fn page_offset(page: u64, per_page: u64) -> u64 {
    page.saturating_sub(1).saturating_mul(per_page)
}

/// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so the write lock is taken up
/// front and a read-then-write never fails with `SQLITE_BUSY` halfway through; before that it
/// waits its turn on the store's writer queue (see `Store::begin`).
pub struct Tx {
    inner: TxInner,
    /// Signalled on commit (see `Store::committed`).
    commits: std::sync::Arc<Commits>,
    /// Moved after the commit when a statement wrote a credential table.
    auth: std::sync::Arc<AuthWatch>,
    state: TxState,
}

/// What a commit of this node signals: the outbox (one waiter), and a counter any number of
/// followers of the events table watch.
#[derive(Debug)]
pub(crate) struct Commits {
    pub outbox: tokio::sync::Notify,
    pub seq: tokio::sync::watch::Sender<u64>,
}

impl Default for Commits {
    fn default() -> Self {
        Self {
            outbox: tokio::sync::Notify::new(),
            seq: tokio::sync::watch::Sender::new(0),
        }
    }
}

enum TxInner {
    Sqlite(sqlite::SqliteTx),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub(crate) fn sqlite(
        t: sqlite::SqliteTx,
        commits: std::sync::Arc<Commits>,
        auth: std::sync::Arc<AuthWatch>,
    ) -> Self {
        Self::new(TxInner::Sqlite(t), commits, auth)
    }

    pub(crate) fn postgres(
        t: sqlx::Transaction<'static, sqlx::Postgres>,
        commits: std::sync::Arc<Commits>,
        auth: std::sync::Arc<AuthWatch>,
    ) -> Self {
        Self::new(TxInner::Postgres(t), commits, auth)
    }

    fn new(
        inner: TxInner,
        commits: std::sync::Arc<Commits>,
        auth: std::sync::Arc<AuthWatch>,
    ) -> Self {
        Self {
            inner,
            commits,
            auth,
            state: TxState::default(),
        }
    }

    /// The transaction's connection.
    pub fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => Conn::Sqlite(t.conn(), &self.state),
            TxInner::Postgres(t) => Conn::Pg(t, &self.state),
        }
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        self.finish(true).await
    }

    /// Commits without waking the outbox or the live feed: for a transaction that recorded no
    /// event (the outbox's own dispatch mark, which would otherwise wake the outbox again).
    pub async fn commit_quiet(self) -> Result<(), StoreError> {
        self.finish(false).await
    }

    async fn finish(mut self, signal: bool) -> Result<(), StoreError> {
        let events =
            std::mem::take(
                &mut *self.state.events.lock().map_err(|_| {
                    StoreError::CommitFailed("the event buffer was poisoned".into())
                })?,
            );
        crate::events::insert_all(&mut self.conn(), events).await?;
        let Tx {
            inner,
            commits,
            auth,
            state,
        } = self;
        let moves_epoch = state.wrote_credentials.into_inner().then_some(auth);
        match inner {
            // Releases the writer as it returns. The group moves the epoch after its COMMIT,
            // also when this caller gives up waiting for it.
            TxInner::Sqlite(t) => t.commit(moves_epoch).await?,
            TxInner::Postgres(t) => {
                t.commit().await?;
                // Cancelled during the COMMIT, the node still hears its own announcement.
                if let Some(auth) = moves_epoch {
                    auth.bump();
                }
            }
        }
        if signal {
            commits.outbox.notify_one();
            commits.seq.send_modify(|n| *n = n.wrapping_add(1));
        }
        Ok(())
    }
}

/// Builds `INSERT INTO table (cols…) VALUES (vals…)` from column/value pairs.
pub(crate) fn insert_into(
    table: &'static str,
    fields: Vec<(&'static str, sea_query::Value)>,
) -> Result<sea_query::InsertStatement, StoreError> {
    let (cols, vals): (Vec<_>, Vec<_>) = fields.into_iter().unzip();
    let mut stmt = sea_query::Query::insert();
    stmt.into_table(table)
        .columns(cols)
        .values(vals.into_iter().map(sea_query::Expr::val))
        .map_err(|e| StoreError::Config(format!("malformed insert into {table}: {e}")))?;
    Ok(stmt)
}

/// Converts a JSON document into a bindable value (TEXT on SQLite, jsonb on PostgreSQL).
pub(crate) fn json(v: &serde_json::Value) -> sea_query::Value {
    sea_query::Value::Json(Some(Box::new(v.clone())))
}

/// Collects `column = value` assignments of a partial update; `None` fields are left alone.
#[derive(Default)]
pub(crate) struct Changes(pub Vec<(&'static str, sea_query::Value)>);

impl Changes {
    pub fn opt<T: Into<sea_query::Value>>(&mut self, col: &'static str, v: Option<T>) -> &mut Self {
        if let Some(v) = v {
            self.0.push((col, v.into()));
        }
        self
    }
    pub fn opt_json(&mut self, col: &'static str, v: Option<&serde_json::Value>) -> &mut Self {
        if let Some(v) = v {
            self.0.push((col, json(v)));
        }
        self
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `UPDATE table SET … , updated_at = now WHERE id = id` (only when something changed).
    pub fn update(
        self,
        table: &'static str,
        id: i64,
        now: confab_domain::Timestamp,
    ) -> sea_query::UpdateStatement {
        let mut stmt = sea_query::Query::update();
        stmt.table(table);
        for (c, v) in self.0 {
            stmt.value(c, v);
        }
        stmt.value("updated_at", now.as_micros())
            .and_where(sea_query::Expr::col("id").eq(id));
        stmt
    }
}
