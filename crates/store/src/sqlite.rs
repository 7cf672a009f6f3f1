//! The SQLite engine: rusqlite connections used directly by the calling task.
//!
//! sqlx runs each SQLite connection on its own thread and sends every statement and row across
//! a channel to it; profiles of the benchmark showed about 60% of the server's CPU in the
//! resulting thread switches and wake-ups, and a write transaction holding the write lock for
//! the round trips of all its statements. Statements here run in the task that issues them, on
//! one of these connections:
//!
//! - **one writer**, behind a FIFO async mutex. A write transaction takes it, `BEGIN IMMEDIATE`,
//!   runs its statements without leaving the thread, and `COMMIT`s; a write outside a
//!   transaction (a claim, an `UPDATE … RETURNING`) takes it for that one statement. SQLite
//!   allows one writer anyway; queueing here instead of in SQLite's busy handler keeps the
//!   order fair and never sleeps on a runtime thread.
//! - **readers**, kept in a small stack and opened on demand: WAL lets them read the last
//!   committed state while the writer works. At most as many are in use as threads run
//!   statements at once.
//!
//! - **a checkpointer**, a thread of its own that copies committed pages from the WAL into the
//!   database file after commits and starts the WAL over, so the writer does neither (it keeps
//!   a backstop far above what the checkpointer lets build up): a checkpoint (and, with
//!   `synchronous=NORMAL`, its two fsyncs) inside a commit held the writer, and every
//!   transaction queued behind it, for milliseconds. See `checkpointer.rs`.
//!
//! sqlx still applies the migrations (on a connection of its own, at `migrate`), so databases
//! made before this engine keep their migration history.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use confab_domain::db::{Columns, SqliteRow};
use rusqlite::types::{ToSqlOutput, Value as SqlValue};
use rusqlite::{Connection, OpenFlags, ToSql};

use crate::StoreError;
use crate::checkpointer::{self, CheckpointSignal, CheckpointTarget, Checkpointer};

/// How long a writer waits for another process (or a second store on the same file) to release
/// SQLite's write lock before the statement fails with "database is locked".
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// The SQLite connections of a store (opaque outside this crate).
pub struct SqliteDb {
    path: String,
    full_sync: bool,
    max_idle: usize,
    readers: Mutex<Vec<Connection>>,
    /// Before `writer`: stopped, and its connection closed, before the writer closes as the last
    /// connection (which then checkpoints the rest and removes the WAL).
    #[expect(dead_code, reason = "held for its Drop, which stops the thread")]
    checkpointer: Checkpointer,
    writer: Arc<tokio::sync::Mutex<Writer>>,
    /// Tasks queued for the writer to start a transaction or write (members of an open group
    /// waiting for its commit are not counted).
    queued: AtomicUsize,
    /// Statements that may scan, running at once: one per core.
    scans: tokio::sync::Semaphore,
}

/// The writer connection and the group of transactions committed into its open SQLite
/// transaction but not yet made durable.
pub struct Writer {
    conn: Connection,
    group: Option<Group>,
    /// Told after every commit.
    checkpoints: Arc<CheckpointSignal>,
    /// The database file, opened once for the checkpointer to sync it (`checkpointer.rs`). After
    /// `conn`, so it closes after the store's last connection: closing any descriptor of a file
    /// releases every POSIX lock the process holds on it, SQLite's included.
    #[expect(dead_code, reason = "held so that it closes after `conn`")]
    db_file: Arc<std::fs::File>,
}

/// WAL pages after which the writer checkpoints itself: only if the checkpointer fell far
/// behind (64 MiB of 4 KiB pages, four times where the checkpointer finishes one; SQLite's
/// default is 1,000, about 45 status changes).
const WRITER_CHECKPOINT_PAGES: i64 = 4 * checkpointer::COMPLETE_AFTER_FRAMES;

/// Bytes the WAL file keeps once checkpointed and started over.
const WAL_SIZE_LIMIT: i64 = 64 << 20;

struct Group {
    id: u64,
    members: usize,
    done: tokio::sync::watch::Sender<Option<Result<(), String>>>,
    /// A member wrote credentials: the epoch moves once the group has committed, whoever
    /// commits it (a member that gave up waiting included).
    moves_epoch: Option<Arc<crate::auth_watch::AuthWatch>>,
}

/// Transactions per group at most, so a steady stream of writers still commits regularly.
const MAX_GROUP: usize = 64;

static GROUP_IDS: AtomicU64 = AtomicU64::new(1);

impl SqliteDb {
    /// Opens (creating when missing) the file of a `sqlite://path` URL.
    pub fn open(url: &str, full_sync: bool, max_idle: usize) -> Result<Self, StoreError> {
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let path = rest.split('?').next().unwrap_or(rest).to_owned();
        if path.is_empty() || path == ":memory:" {
            return Err(StoreError::Config(format!(
                "SQLite DATABASE_URL {url:?} names no file: use sqlite://path/to/file.db (in-memory databases are not supported)"
            )));
        }
        let writer = open_connection(&path, full_sync, true).map_err(|e| {
            StoreError::Config(format!(
                "cannot open the SQLite database {url:?}: {e}. Check that the directory exists and is writable, or set DATABASE_URL"
            ))
        })?;
        writer.pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)?;
        // After a burst, the WAL file shrinks back to this when the writer starts it over.
        writer.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        let first_reader = open_connection(&path, full_sync, false)?;
        let db_file = Arc::new(std::fs::File::open(&path).map_err(|e| {
            StoreError::Config(format!(
                "cannot open the SQLite database file {path:?}: {e}"
            ))
        })?);
        let checkpoints = Arc::new(CheckpointSignal::default());
        let writer = Arc::new(tokio::sync::Mutex::new(Writer {
            conn: writer,
            group: None,
            checkpoints: checkpoints.clone(),
            db_file: db_file.clone(),
        }));
        let checkpointer = Checkpointer::spawn(
            CheckpointTarget {
                conn: open_connection(&path, full_sync, false)?,
                writer: writer.clone(),
                db_file,
            },
            checkpoints,
        )?;
        Ok(Self {
            path,
            full_sync,
            max_idle: max_idle.max(1),
            readers: Mutex::new(vec![first_reader]),
            checkpointer,
            writer,
            queued: AtomicUsize::new(0),
            scans: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            ),
        })
    }

    /// Runs `read`, a statement that may take long, on the blocking pool instead of one of the
    /// runtime's few worker threads: it waits (asynchronously) for its turn (one per core: the
    /// runtime's threads still get their share of the cores from the OS, while one turn fewer
    /// made short scans queue behind each other), then runs on a pool thread. (Not
    /// `block_in_place`: the worker threads it spawns in replacement each came with a malloc
    /// arena of their own, and the server's memory doubled.)
    pub async fn scan<R: Send + 'static>(
        &self,
        read: impl FnOnce() -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let _turn = self.scans.acquire().await;
        match tokio::task::spawn_blocking(read).await {
            Ok(out) => out,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(StoreError::Config(
                "the runtime is shutting down".to_owned(),
            )),
        }
    }

    /// The sqlx URL of the same file (for the migrator).
    pub fn sqlx_url(&self) -> String {
        format!("sqlite://{}", self.path)
    }

    /// Runs `f` on an idle reader (opening one when none is idle) and puts it back.
    pub fn read<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let idle = self.readers.lock().ok().and_then(|mut v| v.pop());
        let conn = match idle {
            Some(c) => c,
            None => open_connection(&self.path, self.full_sync, false)?,
        };
        let out = f(&conn);
        if let Ok(mut v) = self.readers.lock()
            && v.len() < self.max_idle
        {
            v.push(conn);
        }
        out
    }

    /// The writer, in FIFO order, counted as queued while it waits.
    async fn queue_for_writer(&self) -> tokio::sync::OwnedMutexGuard<Writer> {
        struct Queued<'a>(&'a SqliteDb);
        impl Drop for Queued<'_> {
            fn drop(&mut self) {
                // When the wait was given up (cancelled) as the last in the queue, a group handed
                // over to it may have nobody left to commit it. After the lock was granted the
                // writer is held here and this does nothing.
                if self.0.queued.fetch_sub(1, Ordering::SeqCst) == 1 {
                    Writer::finish_orphaned_group(&self.0.writer);
                }
            }
        }
        self.queued.fetch_add(1, Ordering::SeqCst);
        let _queued = Queued(self);
        self.writer.clone().lock_owned().await
    }

    /// Runs `f` on the writer outside any transaction (retrying while another process holds
    /// SQLite's write lock): an open group is committed first, so what `f` writes is durable
    /// when this returns; the checkpointer then takes it.
    pub async fn autocommit<R>(
        &self,
        f: impl FnMut(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut w = self.queue_for_writer().await;
        // The group's members hear its outcome; this statement has no part in it.
        let _ = w.finish_group();
        if !w.conn.is_autocommit() {
            return Err(StoreError::CommitFailed(
                "the SQLite writer is stuck in a failed transaction".to_owned(),
            ));
        }
        let out = with_lock_retry(&mut w.conn, f).await;
        w.checkpoints.wake();
        out
    }

    /// Closes the idle readers; the writer closes with the last clone of the store.
    pub fn close(&self) {
        if let Ok(mut v) = self.readers.lock() {
            v.clear();
        }
    }
}

fn open_connection(path: &str, full_sync: bool, writer: bool) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // The writer never waits inside SQLite (it would block a runtime thread): a busy lock is
    // retried asynchronously by `with_lock_retry`. Readers in WAL mode are not blocked by the
    // writer; the timeout only covers WAL recovery after a crash.
    let busy = if writer { 0 } else { 5000 };
    let sync = if full_sync { "FULL" } else { "NORMAL" };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = {busy}; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -4096;"
    ))?;
    // Plans do not depend on bound values. Without this, SQLite marks a prepared statement
    // stale whenever a parameter it peeked at while planning is bound again (a `LIMIT ?`, a
    // `LIKE ?`, any value meeting an ANALYZE sample) and parses and plans it again on the next
    // step: every list query, every time. Profiles showed a fifth of the CPU there.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// Runs `f` on the writer, retrying with a growing pause while another process holds SQLite's
/// write lock (`SQLITE_BUSY`), for up to [`LOCK_WAIT`].
pub(crate) async fn with_lock_retry<R>(
    conn: &mut Connection,
    mut f: impl FnMut(&Connection) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let start = std::time::Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        match f(conn) {
            Err(StoreError::Sqlite(e)) if is_busy(&e) && start.elapsed() < LOCK_WAIT => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// A sea-query value as a SQLite parameter (JSON as text, as sqlx binds it).
struct Param<'a>(&'a sea_query::Value);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use sea_query::Value as V;
        let null = ToSqlOutput::Owned(SqlValue::Null);
        Ok(match self.0 {
            V::Bool(v) => v.map_or(null, |b| ToSqlOutput::Owned(SqlValue::Integer(b.into()))),
            V::TinyInt(v) => int(v.map(i64::from)),
            V::SmallInt(v) => int(v.map(i64::from)),
            V::Int(v) => int(v.map(i64::from)),
            V::BigInt(v) => int(*v),
            V::TinyUnsigned(v) => int(v.map(i64::from)),
            V::SmallUnsigned(v) => int(v.map(i64::from)),
            V::Unsigned(v) => int(v.map(i64::from)),
            V::BigUnsigned(v) => match v {
                Some(u) => {
                    int(Some(i64::try_from(*u).map_err(|e| {
                        rusqlite::Error::ToSqlConversionFailure(Box::new(e))
                    })?))
                }
                None => null,
            },
            V::Float(v) => v.map_or(null, |f| ToSqlOutput::Owned(SqlValue::Real(f.into()))),
            V::Double(v) => v.map_or(null, |f| ToSqlOutput::Owned(SqlValue::Real(f))),
            V::String(v) => v.as_deref().map_or(null, |s| s.into()),
            V::Char(v) => v.map_or(null, |c| ToSqlOutput::Owned(SqlValue::Text(c.to_string()))),
            V::Bytes(v) => v.as_deref().map_or(null, |b| b.into()),
            V::Json(v) => match v {
                Some(j) => ToSqlOutput::Owned(SqlValue::Text(j.to_string())),
                None => null,
            },
            V::Enum(sea_query::OptionEnum::Some(e)) => {
                ToSqlOutput::Owned(SqlValue::Text(e.value.to_string()))
            }
            V::Enum(sea_query::OptionEnum::None(_)) => null,
            #[expect(
                unreachable_patterns,
                reason = "variants of sea-query features not enabled"
            )]
            other => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    format!("unsupported parameter type: {other:?}").into(),
                ));
            }
        })
    }
}

fn int(v: Option<i64>) -> ToSqlOutput<'static> {
    ToSqlOutput::Owned(v.map_or(SqlValue::Null, SqlValue::Integer))
}

/// The cached statement for `sql` with `values` bound.
fn prepared<'c>(
    conn: &'c Connection,
    sql: &str,
    values: &sea_query::Values,
) -> Result<rusqlite::CachedStatement<'c>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    for (i, v) in values.0.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, Param(v))?;
    }
    Ok(stmt)
}

/// Whether the statement changes the database (and so belongs on the writer).
pub(crate) fn writes(conn: &Connection, sql: &str) -> Result<bool, StoreError> {
    Ok(!conn.prepare_cached(sql)?.readonly())
}

/// Every row of a statement, decoded by column name.
pub(crate) fn fetch_all<T: SqliteRow>(
    conn: &Connection,
    sql: &str,
    values: &sea_query::Values,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = prepared(conn, sql, values)?;
    let cols = Columns::of(&stmt);
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(T::from_sqlite_row(row, &cols)?);
    }
    Ok(out)
}

/// The first row, if any (a write still runs to completion).
pub(crate) fn fetch_optional<T: SqliteRow>(
    conn: &Connection,
    sql: &str,
    values: &sea_query::Values,
) -> Result<Option<T>, StoreError> {
    let mut stmt = prepared(conn, sql, values)?;
    let cols = Columns::of(&stmt);
    let drain = !stmt.readonly();
    let mut rows = stmt.raw_query();
    let first = match rows.next()? {
        Some(row) => Some(T::from_sqlite_row(row, &cols)?),
        None => None,
    };
    if drain {
        while rows.next()?.is_some() {}
    }
    Ok(first)
}

/// The first column of the first row, if any.
pub(crate) fn fetch_scalar<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    values: &sea_query::Values,
) -> Result<Option<T>, StoreError> {
    Ok(fetch_optional::<(T,)>(conn, sql, values)?.map(|(v,)| v))
}

/// Runs a statement; the number of rows it changed.
pub(crate) fn execute(
    conn: &Connection,
    sql: &str,
    values: &sea_query::Values,
) -> Result<u64, StoreError> {
    let mut stmt = prepared(conn, sql, values)?;
    Ok(stmt.raw_execute()? as u64)
}

impl Writer {
    /// Commits the open group, if any, and tells its members.
    pub(crate) fn finish_group(&mut self) -> Result<(), StoreError> {
        let Some(group) = self.group.take() else {
            return Ok(());
        };
        let out = if self.conn.is_autocommit() {
            // An error rolled the whole SQLite transaction back (SQLite does so on I/O errors,
            // a full disk or out of memory): the members' work is gone.
            Err("the group's transaction was rolled back by an earlier error".to_owned())
        } else {
            run(&self.conn, "COMMIT").map_err(|e| e.to_string())
        };
        self.leave_transaction();
        if out.is_ok() {
            self.checkpoints.wake();
        }
        if let (Ok(()), Some(auth)) = (&out, &group.moves_epoch) {
            auth.bump();
        }
        group.done.send_replace(Some(out.clone()));
        out.map_err(StoreError::CommitFailed)
    }

    /// Rolls back whatever SQLite transaction is still open (a failed `COMMIT`, a savepoint that
    /// could not be undone), so nothing uncommitted is carried into the next group.
    fn leave_transaction(&mut self) {
        if !self.conn.is_autocommit()
            && let Err(e) = run(&self.conn, "ROLLBACK")
        {
            tracing::error!(error = %e, "the SQLite writer could not leave a failed transaction");
        }
    }

    /// Commits an open group nobody else is left to commit (the writer is free).
    fn finish_orphaned_group(writer: &Arc<tokio::sync::Mutex<Writer>>) {
        if let Ok(mut w) = writer.clone().try_lock_owned()
            && w.group.is_some()
        {
            let _ = w.finish_group();
        }
    }
}

fn run(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.raw_execute()?;
    Ok(())
}

/// A write transaction on the writer: a savepoint inside the open group's SQLite transaction.
///
/// **Group commit.** When a transaction commits while others are queued for the writer, it
/// releases its savepoint and hands the writer on without a SQLite `COMMIT`; the next one joins
/// the same SQLite transaction. The last of the group (nobody queued, or [`MAX_GROUP`] members)
/// commits for all, and every member's `commit` returns only then, with the group's outcome:
/// one WAL append (and, with `synchronous=FULL`, one fsync) for many transactions, and nothing
/// reported committed before it is. A member whose group is still open after it handed over
/// also queues for the writer, so a group is committed even if every queued task gives up.
/// A transaction dropped unfinished rolls back to its savepoint (the first of a group, which has
/// none, rolls the SQLite transaction back); the group's others are kept.
pub(crate) struct SqliteTx {
    writer: Option<tokio::sync::OwnedMutexGuard<Writer>>,
    db: Arc<SqliteDb>,
    /// Whether this transaction runs in a savepoint. The first of a group has nothing before it
    /// to keep, so it is the whole SQLite transaction and needs none: with a savepoint open,
    /// SQLite keeps every statement's undo records for the savepoint's lifetime, which cost a
    /// third of a bulk load's time.
    savepoint: bool,
}

impl SqliteTx {
    pub async fn begin(db: &Arc<SqliteDb>) -> Result<Self, StoreError> {
        let mut w = db.queue_for_writer().await;
        if w.group.is_some() && w.conn.is_autocommit() {
            // The open group's transaction is gone (see `finish_group`); fail it first.
            w.finish_group().ok();
        }
        if w.group.is_none() && !w.conn.is_autocommit() {
            // A rollback that failed earlier left the writer inside a transaction nobody owns.
            w.leave_transaction();
        }
        let savepoint = w.group.is_some();
        if savepoint {
            // On failure nothing of this transaction exists; the group is committed by the next
            // holder of the writer, or by one of its waiting members.
            run(&w.conn, "SAVEPOINT tx")?;
        } else {
            with_lock_retry(&mut w.conn, |c| run(c, "BEGIN IMMEDIATE")).await?;
            w.group = Some(Group {
                id: GROUP_IDS.fetch_add(1, Ordering::Relaxed),
                members: 0,
                done: tokio::sync::watch::Sender::new(None),
                moves_epoch: None,
            });
        }
        Ok(Self {
            writer: Some(w),
            db: db.clone(),
            savepoint,
        })
    }

    pub fn conn(&mut self) -> &mut Connection {
        match self.writer.as_mut() {
            Some(w) => &mut w.conn,
            None => unreachable!("the writer is held until commit or drop"),
        }
    }

    /// Commits (see the type's documentation); `moves_epoch`: the transaction wrote
    /// credentials, and the epoch moves when its group has committed.
    pub async fn commit(
        mut self,
        moves_epoch: Option<Arc<crate::auth_watch::AuthWatch>>,
    ) -> Result<(), StoreError> {
        let Some(mut w) = self.writer.take() else {
            return Ok(());
        };
        if self.savepoint
            && let Err(e) = run(&w.conn, "RELEASE tx")
        {
            // Put the writer back so Drop rolls the savepoint back.
            self.writer = Some(w);
            return Err(e);
        }
        let Some(group) = w.group.as_mut() else {
            return Err(StoreError::CommitFailed("no open group".to_owned()));
        };
        group.members += 1;
        if moves_epoch.is_some() {
            group.moves_epoch = moves_epoch;
        }
        let full = group.members >= MAX_GROUP;
        if full || self.db.queued.load(Ordering::SeqCst) == 0 {
            return w.finish_group();
        }
        // Hand over to the queued writer; the group commits later, by whoever holds the writer
        // when nobody is queued (possibly this task, queued again below).
        let id = group.id;
        let mut done = group.done.subscribe();
        drop(w);
        // If this wait is abandoned (the request was cancelled) while the writer is free and
        // the group still open, nobody may be left to commit it: commit it on the way out.
        struct Abandoned<'a> {
            db: &'a SqliteDb,
            id: u64,
        }
        impl Drop for Abandoned<'_> {
            fn drop(&mut self) {
                if let Ok(mut w) = self.db.writer.clone().try_lock_owned()
                    && w.group.as_ref().is_some_and(|g| g.id == self.id)
                {
                    let _ = w.finish_group();
                }
            }
        }
        let _abandoned = Abandoned { db: &self.db, id };
        loop {
            tokio::select! {
                biased;
                changed = done.changed() => {
                    if changed.is_err() {
                        return Err(StoreError::CommitFailed("the writer was closed".to_owned()));
                    }
                    if let Some(out) = done.borrow().clone() {
                        return out.map_err(StoreError::CommitFailed);
                    }
                }
                mut w = self.db.writer.clone().lock_owned() => {
                    if w.group.as_ref().is_some_and(|g| g.id == id) {
                        return w.finish_group();
                    }
                    // Finished meanwhile: the outcome is in `done`.
                    let out = done.borrow().clone();
                    if let Some(out) = out {
                        return out.map_err(StoreError::CommitFailed);
                    }
                }
            }
        }
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        let Some(mut w) = self.writer.take() else {
            return;
        };
        if !self.savepoint {
            // The first of its group: nobody else's work is in the SQLite transaction.
            w.leave_transaction();
            w.group = None;
            return;
        }
        if !w.conn.is_autocommit()
            && let Err(e) = run(&w.conn, "ROLLBACK TO tx").and_then(|()| run(&w.conn, "RELEASE tx"))
        {
            // Its writes must not be committed with the group: give the group up (its members
            // are told it failed).
            tracing::warn!(error = %e, "rolling back an unfinished SQLite transaction failed");
            w.leave_transaction();
        }
        // Earlier members may be waiting on the group; commit it unless someone queued will.
        if self.db.queued.load(Ordering::SeqCst) == 0 {
            let _ = w.finish_group();
        }
    }
}
