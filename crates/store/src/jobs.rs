//! The durable job queue: timed work (snooze wake-ups) and side effects (emails).
//!
//! A job is due when `run_at <= now`. Claiming moves `run_at` to the end of a lease and bumps
//! `attempts`, so a runner that dies leaves the job to be claimed again after the lease; the
//! claim uses `FOR UPDATE SKIP LOCKED` on PostgreSQL so several nodes never take the same job
//! (SQLite is single-node and its write lock serialises claims). A handler finishes a job by
//! deleting it *with the attempt number it claimed*, in the same transaction as its effect:
//! if the job was re-claimed or rescheduled meanwhile, the delete touches nothing and the
//! effect is rolled back. `MIN(run_at)` tells the runner when to wake next.

use confab_domain::{JobId, Timestamp};
use sea_query::{Expr, ExprTrait, Func, LockBehavior, LockType, OnConflict, Order, Query};
use serde_json::Value;

use crate::db::{insert_into, json};
use crate::{Conn, StoreError};

/// A claimed job.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, confab_domain::db::SqliteRow)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub dedupe_key: Option<String>,
    #[sqlx(json)]
    pub payload: Value,
    pub run_at: Timestamp,
    pub attempts: i64,
}

/// Schedules a job. With a `dedupe_key`, an existing job of that key is replaced (its time,
/// payload and attempts), so "wake this conversation at T" is one row however often it moves.
pub async fn schedule(
    c: &mut Conn<'_>,
    kind: &str,
    dedupe_key: Option<&str>,
    payload: &Value,
    run_at: Timestamp,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut stmt = insert_into(
        "jobs",
        vec![
            ("kind", kind.into()),
            ("dedupe_key", dedupe_key.map(str::to_owned).into()),
            ("payload", json(payload)),
            ("run_at", run_at.as_micros().into()),
            ("attempts", 0i64.into()),
            ("created_at", now.as_micros().into()),
        ],
    )?;
    if dedupe_key.is_some() {
        stmt.on_conflict(
            OnConflict::column("dedupe_key")
                .update_columns(["kind", "payload", "run_at", "attempts"])
                .value("last_error", Option::<String>::None)
                .value("locked_until", Option::<i64>::None)
                .to_owned(),
        );
    }
    c.execute(&stmt).await?;
    Ok(())
}

/// Removes the job of a key (the snooze ended some other way).
pub async fn cancel(c: &mut Conn<'_>, dedupe_key: &str) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("jobs")
        .and_where(Expr::col("dedupe_key").eq(dedupe_key))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// When the next job falls due (index-bound).
pub async fn next_run_at(c: &mut Conn<'_>) -> Result<Option<Timestamp>, StoreError> {
    let stmt = Query::select()
        .expr(Func::min(Expr::col("run_at")))
        .from("jobs")
        .to_owned();
    Ok(c.fetch_scalar::<Option<i64>>(&stmt)
        .await?
        .flatten()
        .map(Timestamp::from_micros))
}

/// Claims the most overdue job, leasing it for `lease_secs`.
pub async fn claim_due(
    c: &mut Conn<'_>,
    now: Timestamp,
    lease_secs: i64,
) -> Result<Option<Job>, StoreError> {
    let pick = Query::select()
        .column("id")
        .from("jobs")
        .and_where(Expr::col("run_at").lte(now.as_micros()))
        .order_by("run_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(1)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let lease_end = now.plus_seconds(lease_secs).as_micros();
    let mut stmt = Query::update();
    stmt.table("jobs")
        .value("run_at", lease_end)
        .value("locked_until", lease_end)
        .value("attempts", Expr::col("attempts").add(Expr::val(1i64)))
        .and_where(Expr::col("id").in_subquery(pick))
        .returning(Query::returning().columns([
            "id",
            "kind",
            "dedupe_key",
            "payload",
            "run_at",
            "attempts",
        ]));
    c.fetch_optional(&stmt).await
}

/// Finishes a claimed job: deletes it if it is still the claim `attempts` made. Returns
/// whether it was (false: re-claimed or rescheduled meanwhile; roll the effect back).
pub async fn finish(c: &mut Conn<'_>, id: JobId, attempts: i64) -> Result<bool, StoreError> {
    let stmt = Query::delete()
        .from_table("jobs")
        .and_where(Expr::col("id").eq(id.get()))
        .and_where(Expr::col("attempts").eq(attempts))
        .to_owned();
    Ok(c.execute(&stmt).await? == 1)
}

/// Puts a failed job back for a later attempt.
pub async fn retry_later(
    c: &mut Conn<'_>,
    id: JobId,
    attempts: i64,
    run_at: Timestamp,
    error: &str,
) -> Result<(), StoreError> {
    let stmt = Query::update()
        .table("jobs")
        .value("run_at", run_at.as_micros())
        .value("locked_until", Option::<i64>::None)
        .value("last_error", error)
        .and_where(Expr::col("id").eq(id.get()))
        .and_where(Expr::col("attempts").eq(attempts))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// How many jobs wait (tests and the bench).
pub async fn count(c: &mut Conn<'_>) -> Result<i64, StoreError> {
    let stmt = Query::select()
        .expr(Func::count(Expr::col("id")))
        .from("jobs")
        .to_owned();
    Ok(c.fetch_scalar::<i64>(&stmt).await?.unwrap_or(0))
}

/// A waiting job, for inspection (tests, the bench, operators).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, confab_domain::db::SqliteRow)]
pub struct JobState {
    pub kind: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub run_at: Timestamp,
}

/// Every waiting job, soonest first.
pub async fn list(c: &mut Conn<'_>) -> Result<Vec<JobState>, StoreError> {
    let stmt = Query::select()
        .columns(["kind", "attempts", "last_error", "run_at"])
        .from("jobs")
        .order_by("run_at", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}
