//! One connection type for both engines, and the four helpers every query goes through.
//!
//! A statement is built once with sea-query and rendered per dialect here; rows decode into
//! `sqlx::FromRow` structs that are generic over the engine. No other module sees a pool.

use sea_query::{ExprTrait, PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::postgres::{PgConnection, PgPool, PgRow};
use sqlx::sqlite::{SqliteConnection, SqlitePool, SqliteRow};
use sqlx::{AssertSqlSafe, FromRow};

use crate::StoreError;

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A place to run statements: a pool (each statement takes any free connection) or one
/// connection (inside a transaction).
pub enum Conn<'c> {
    SqlitePool(&'c SqlitePool),
    PgPool(&'c PgPool),
    Sqlite(&'c mut SqliteConnection),
    Pg(&'c mut PgConnection),
}

/// Rows that decode from both engines.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// Scalars that decode from both engines.
pub trait Scalar:
    for<'r> sqlx::Decode<'r, sqlx::Sqlite>
    + sqlx::Type<sqlx::Sqlite>
    + for<'r> sqlx::Decode<'r, sqlx::Postgres>
    + sqlx::Type<sqlx::Postgres>
    + Send
    + Unpin
{
}
impl<T> Scalar for T where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + Send
        + Unpin
{
}

macro_rules! dispatch {
    ($conn:expr, $stmt:expr, |$sql:ident, $args:ident, $exec:ident| $body:expr) => {
        match $conn {
            Conn::SqlitePool(p) => {
                let ($sql, $args) = $stmt.build_sqlx(SqliteQueryBuilder);
                let $exec = *p;
                $body
            }
            Conn::PgPool(p) => {
                let ($sql, $args) = $stmt.build_sqlx(PostgresQueryBuilder);
                let $exec = *p;
                $body
            }
            Conn::Sqlite(c) => {
                let ($sql, $args) = $stmt.build_sqlx(SqliteQueryBuilder);
                let $exec = &mut **c;
                $body
            }
            Conn::Pg(c) => {
                let ($sql, $args) = $stmt.build_sqlx(PostgresQueryBuilder);
                let $exec = &mut **c;
                $body
            }
        }
    };
}

impl Conn<'_> {
    pub fn engine(&self) -> Engine {
        match self {
            Conn::SqlitePool(_) | Conn::Sqlite(_) => Engine::Sqlite,
            Conn::PgPool(_) | Conn::Pg(_) => Engine::Postgres,
        }
    }

    /// All rows of a statement.
    pub async fn fetch_all<T: Row>(
        &mut self,
        stmt: &impl SqlxBinder,
    ) -> Result<Vec<T>, StoreError> {
        Ok(dispatch!(self, stmt, |sql, args, ex| sqlx::query_as_with(
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
        Ok(dispatch!(self, stmt, |sql, args, ex| sqlx::query_as_with(
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
        Ok(dispatch!(self, stmt, |sql, args, ex| {
            sqlx::query_scalar_with(AssertSqlSafe(sql), args)
                .fetch_optional(ex)
                .await?
        }))
    }

    /// Runs a statement and returns the number of rows it touched.
    pub async fn execute(&mut self, stmt: &impl SqlxBinder) -> Result<u64, StoreError> {
        Ok(dispatch!(self, stmt, |sql, args, ex| sqlx::query_with(
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
        Ok(match self {
            Conn::SqlitePool(p) => sqlx::query_as(sql).fetch_all(*p).await?,
            Conn::PgPool(p) => sqlx::query_as(sql).fetch_all(*p).await?,
            Conn::Sqlite(c) => sqlx::query_as(sql).fetch_all(&mut **c).await?,
            Conn::Pg(c) => sqlx::query_as(sql).fetch_all(&mut **c).await?,
        })
    }

    /// Runs generated SQL text (one or more statements, values already rendered as literals)
    /// without preparing or caching it. Bulk loading only.
    pub async fn execute_raw(&mut self, sql: String) -> Result<(), StoreError> {
        let sql = AssertSqlSafe(sql);
        match self {
            Conn::SqlitePool(p) => {
                sqlx::raw_sql(sql).execute(*p).await?;
            }
            Conn::PgPool(p) => {
                sqlx::raw_sql(sql).execute(*p).await?;
            }
            Conn::Sqlite(c) => {
                sqlx::raw_sql(sql).execute(&mut **c).await?;
            }
            Conn::Pg(c) => {
                sqlx::raw_sql(sql).execute(&mut **c).await?;
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

/// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so the write lock is taken up
/// front and a read-then-write never fails with `SQLITE_BUSY` halfway through; before that it
/// waits its turn on the store's writer queue (see `Store::begin`).
pub struct Tx {
    // Dropped first: an unfinished transaction is rolled back before the writer turn is freed.
    inner: TxInner,
    /// SQLite's writer turn, held until the transaction ends.
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// Signalled on commit (see `Store::committed`).
    commits: std::sync::Arc<Commits>,
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
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub(crate) fn sqlite(
        t: sqlx::Transaction<'static, sqlx::Sqlite>,
        turn: tokio::sync::OwnedMutexGuard<()>,
        commits: std::sync::Arc<Commits>,
    ) -> Self {
        Self {
            inner: TxInner::Sqlite(t),
            turn: Some(turn),
            commits,
        }
    }

    pub(crate) fn postgres(
        t: sqlx::Transaction<'static, sqlx::Postgres>,
        commits: std::sync::Arc<Commits>,
    ) -> Self {
        Self {
            inner: TxInner::Postgres(t),
            turn: None,
            commits,
        }
    }

    /// The transaction's connection.
    pub fn conn(&mut self) -> Conn<'_> {
        match &mut self.inner {
            TxInner::Sqlite(t) => Conn::Sqlite(t),
            TxInner::Postgres(t) => Conn::Pg(t),
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

    async fn finish(self, signal: bool) -> Result<(), StoreError> {
        let Tx {
            inner,
            turn,
            commits,
        } = self;
        match inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        drop(turn);
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
