//! The SQLite checkpointer: a thread of its own that copies committed pages from the WAL into
//! the database file, and starts the WAL over, so the writer does neither.
//!
//! A `PASSIVE` checkpoint copies what is committed when it starts. Under a steady stream of
//! commits it never reaches the WAL's end, and SQLite starts a WAL over (and syncs the database
//! file) only when a checkpoint has reached it. Left alone, the WAL then grows until the writer's
//! own automatic checkpoint fires inside a `COMMIT`: with `synchronous=NORMAL` that syncs the
//! WAL and the database file while every queued transaction waits (20-28 ms every 200 ms at
//! 6,000 status changes a second; the writes' p99 was that stall). So once the WAL is long, this
//! thread
//! 1. syncs the database file itself, outside the writer's turn: the pages its checkpoints
//!    copied are then on disk;
//! 2. takes the writer's turn (in its FIFO order), commits the open group, and checkpoints the
//!    few pages committed since: that checkpoint reaches the end, and its two syncs have little
//!    left to write. The next write transaction starts the WAL over.

use std::fs::File;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rusqlite::Connection;

use crate::StoreError;
use crate::sqlite::Writer;

/// How long the checkpointer rests after a checkpoint: commits meanwhile wait for the next one,
/// so a stream of commits makes at most one checkpoint (one sync of the WAL) per pause.
const CHECKPOINT_PAUSE: Duration = Duration::from_millis(50);

/// WAL frames (pages) after which the checkpointer finishes a checkpoint in the writer's turn, so
/// the WAL starts over (16 MiB of 4 KiB pages).
pub(crate) const COMPLETE_AFTER_FRAMES: i64 = 4096;

/// What the writer's commits tell the checkpointer.
#[derive(Default)]
pub(crate) struct CheckpointSignal {
    /// Something was committed since the last checkpoint began.
    pending: AtomicBool,
    stop: AtomicBool,
    thread: OnceLock<std::thread::Thread>,
}

impl CheckpointSignal {
    /// Something was committed: checkpoint it soon (at once, or after the current pause).
    pub(crate) fn wake(&self) {
        self.pending.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// The checkpointer thread; stopped (and waited for) when dropped, which the store does before
/// it drops the writer, so the writer closes as the last connection.
pub(crate) struct Checkpointer {
    thread: Option<std::thread::JoinHandle<()>>,
    signal: Arc<CheckpointSignal>,
}

/// What the thread works with.
pub(crate) struct CheckpointTarget {
    /// Its own connection to the database.
    pub conn: Connection,
    /// The writer, whose turn it takes to finish a checkpoint.
    pub writer: Arc<tokio::sync::Mutex<Writer>>,
    /// The database file, opened only to sync it (see `db_file` of `Writer` for why the writer
    /// closes it).
    pub db_file: Arc<File>,
}

impl Checkpointer {
    pub(crate) fn spawn(
        target: CheckpointTarget,
        signal: Arc<CheckpointSignal>,
    ) -> Result<Self, StoreError> {
        let theirs = signal.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || checkpoint_until_stopped(&target, &theirs))
            .map_err(|e| {
                StoreError::Config(format!("cannot start the SQLite checkpointer: {e}"))
            })?;
        // Set once, before any commit can have happened through this store.
        let _ = signal.thread.set(thread.thread().clone());
        Ok(Self {
            thread: Some(thread),
            signal,
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.signal.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            // At most the checkpoint under way: its pause ends on `stop`.
            let _ = t.join();
        }
    }
}

/// `PRAGMA wal_checkpoint(PASSIVE)`: copies what no reader still needs, never waits for readers
/// or the writer. Returns the WAL's length in frames.
fn passive(conn: &Connection) -> Option<i64> {
    match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1)) {
        Ok(frames) => Some(frames),
        Err(e) => {
            tracing::warn!(error = %e, "SQLite checkpoint failed; retried after the next commit");
            None
        }
    }
}

fn checkpoint_until_stopped(target: &CheckpointTarget, signal: &CheckpointSignal) {
    loop {
        while !signal.pending.swap(false, Ordering::SeqCst) {
            if signal.stopped() {
                return;
            }
            std::thread::park();
        }
        if signal.stopped() {
            return;
        }
        if passive(&target.conn).is_some_and(|frames| frames >= COMPLETE_AFTER_FRAMES) {
            finish_in_the_writers_turn(target);
        }
        // Rest, so a stream of commits makes one checkpoint per pause (commits meanwhile
        // leave `pending` set); only stopping ends the rest early.
        let until = std::time::Instant::now() + CHECKPOINT_PAUSE;
        loop {
            if signal.stopped() {
                return;
            }
            let left = until.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::park_timeout(left);
        }
    }
}

/// Steps 1 and 2 of the module's documentation.
fn finish_in_the_writers_turn(target: &CheckpointTarget) {
    sync_database_file(target);
    // Again: this round has only what was committed during the first sync (tens of
    // milliseconds), so the writer's turn below has less again.
    passive(&target.conn);
    sync_database_file(target);
    // A plain thread, not a runtime's: waiting here blocks nothing else.
    let mut w = target.writer.blocking_lock();
    // The group's members hear its outcome; its pages are then part of what is checkpointed.
    let _ = w.finish_group();
    passive(&target.conn);
}

fn sync_database_file(target: &CheckpointTarget) {
    if let Err(e) = target.db_file.sync_data() {
        // Only slower: the checkpoint in the writer's turn syncs the file itself.
        tracing::debug!(error = %e, "syncing the SQLite database file ahead of a checkpoint failed");
    }
}
