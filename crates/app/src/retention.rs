//! Retention: a recurring job deletes the outbox's events and the webhook deliveries' log once
//! they are older than `AppConfig::retention_days` (see `confab_store::retention`).
//!
//! One job (one dedupe key) for the deployment: several nodes on one PostgreSQL claim it like
//! any other. Each run deletes one bounded batch of each table in its own short transaction;
//! while a batch finds something to delete, the next run is due at once, and otherwise in an
//! hour.

use confab_domain::Timestamp;
use confab_store::{Conn, jobs, retention};
use serde_json::json;

use crate::App;
use crate::error::AppResult;

pub(crate) const RETENTION_JOB: &str = "retention";
/// Rows of each table looked at, and at most deleted, per run.
const BATCH: u64 = 1000;
/// How long the job waits once nothing is left to delete.
const EVERY_SECS: i64 = 3600;
const DAY_SECS: i64 = 86_400;

/// Moves the deployment's one retention job to `at`.
async fn schedule_at(c: &mut Conn<'_>, at: Timestamp, now: Timestamp) -> AppResult<()> {
    jobs::schedule(c, RETENTION_JOB, Some(RETENTION_JOB), &json!({}), at, now).await?;
    Ok(())
}

impl App {
    /// Schedules the retention job to run now, or, with retention off (0 days), removes it.
    /// Called when the server starts.
    pub async fn schedule_retention(&self) -> AppResult<()> {
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        if self.config().retention_days == 0 {
            jobs::cancel(&mut c, RETENTION_JOB).await?;
        } else {
            schedule_at(&mut c, now, now).await?;
        }
        tx.commit().await?;
        self.jobs_changed();
        Ok(())
    }

    pub(crate) async fn retention_job(&self, job: &jobs::Job) -> AppResult<()> {
        let days = self.config().retention_days;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        if !jobs::finish(&mut c, job.id, job.attempts).await? || days == 0 {
            tx.commit().await?;
            return Ok(());
        }
        let cutoff = now.plus_seconds(-i64::from(days).saturating_mul(DAY_SECS));
        let events = retention::prune_events(&mut c, cutoff, BATCH).await?;
        let deliveries = retention::prune_deliveries(&mut c, cutoff, BATCH).await?;
        let next = if events + deliveries > 0 {
            now
        } else {
            now.plus_seconds(EVERY_SECS)
        };
        schedule_at(&mut c, next, now).await?;
        tx.commit().await?;
        if events + deliveries > 0 {
            tracing::debug!(events, deliveries, "retention: deleted old rows");
        }
        Ok(())
    }
}
