//! The job runner: claims due jobs from the durable queue and runs them, sleeping until the
//! earliest `run_at` (or until this node schedules something sooner). Several nodes may run it
//! against one PostgreSQL; each job is claimed by one (see `confab_store::jobs`).

use std::future::Future;
use std::time::Duration;

use confab_store::jobs::{self, Job};

use crate::error::AppResult;
use crate::lifecycle::WAKE_JOB;
use crate::{App, transcript};

/// How long a claimed job stays invisible to other runners.
const LEASE_SECS: i64 = 60;
/// Attempts before a failing job is dropped (logged as dead).
const MAX_ATTEMPTS: i64 = 10;
/// The longest the runner sleeps without looking (other nodes may have scheduled work).
const MAX_IDLE: Duration = Duration::from_secs(1);

impl App {
    /// Wakes the local runner: a job was scheduled that may be due before it would look again.
    pub(crate) fn jobs_changed(&self) {
        self.jobs_notify().notify_one();
    }

    /// Runs every job that is due now, one after another; returns how many this call ran. Tests
    /// call this after moving the test clock; the server's runner calls it whenever it wakes.
    /// Calls on one node are serialised, so when it returns, every job due at the call is done
    /// (or rescheduled), whoever ran it.
    pub async fn run_pending_jobs(&self) -> AppResult<usize> {
        let _running = self.jobs_running().lock().await;
        let mut ran = 0;
        loop {
            let now = self.now();
            let job = {
                let mut c = self.store().conn();
                jobs::claim_due(&mut c, now, LEASE_SECS).await?
            };
            let Some(job) = job else {
                return Ok(ran);
            };
            self.run_job(job).await?;
            ran += 1;
        }
    }

    async fn run_job(&self, job: Job) -> AppResult<()> {
        let result = match job.kind.as_str() {
            WAKE_JOB => self.wake_snoozed(&job).await,
            crate::auto_resolve::AUTO_RESOLVE_JOB => self.auto_resolve_job(&job).await,
            crate::auto_resolve::BACKFILL_JOB => self.auto_resolve_backfill_job(&job).await,
            transcript::TRANSCRIPT_JOB => self.send_transcript_job(&job).await,
            crate::automation::AUTOMATION_JOB => self.run_automation_job(&job).await,
            crate::automation::AUTOMATION_EMAIL_JOB => self.automation_email_job(&job).await,
            crate::automation::AUTOMATION_WEBHOOK_JOB => self.automation_webhook_job(&job).await,
            crate::retention::RETENTION_JOB => self.retention_job(&job).await,
            other => {
                tracing::warn!(
                    kind = other,
                    id = job.id.get(),
                    "dropping a job of unknown kind"
                );
                let mut c = self.store().conn();
                jobs::finish(&mut c, job.id, job.attempts).await?;
                Ok(())
            }
        };
        if let Err(e) = result {
            // Keep the whole cause (an SMTP reply, a database error) for operators.
            let e = match e {
                crate::AppError::Internal(inner) => format!("{inner:#}"),
                other => other.to_string(),
            };
            let mut c = self.store().conn();
            if job.attempts >= MAX_ATTEMPTS {
                tracing::error!(kind = %job.kind, id = job.id.get(), error = %e, "job failed for good");
                jobs::finish(&mut c, job.id, job.attempts).await?;
            } else {
                let backoff = 10 * job.attempts * job.attempts;
                tracing::warn!(kind = %job.kind, id = job.id.get(), attempts = job.attempts, error = %e, "job failed; will retry");
                jobs::retry_later(
                    &mut c,
                    job.id,
                    job.attempts,
                    self.now().plus_seconds(backoff),
                    &e,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// How long a runner sleeps until `next` (a due time it read), at most [`MAX_IDLE`].
    pub(crate) fn idle_wait(
        &self,
        next: Result<Option<confab_domain::Timestamp>, confab_store::StoreError>,
        runner: &str,
    ) -> Duration {
        match next {
            Ok(Some(at)) => {
                let micros = at.as_micros().saturating_sub(self.now().as_micros());
                Duration::from_micros(u64::try_from(micros).unwrap_or(0)).min(MAX_IDLE)
            }
            Ok(None) => MAX_IDLE,
            Err(e) => {
                tracing::error!(error = %e, "{runner}");
                MAX_IDLE
            }
        }
    }

    /// Runs jobs until `stop` completes: wakes at the earliest due job, when this node schedules
    /// one, or at least every second.
    pub async fn run_jobs_until(&self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            if let Err(e) = self.run_pending_jobs().await {
                tracing::error!(error = %e, "job runner");
            }
            let next = jobs::next_run_at(&mut self.store().conn()).await;
            let wait = self.idle_wait(next, "job runner");
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(wait) => {}
                () = self.jobs_notify().notified() => {}
            }
        }
    }
}
