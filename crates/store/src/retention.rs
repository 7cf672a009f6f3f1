//! Retention: the outbox's events and the webhook deliveries' log are deleted once they are
//! older than the operator keeps them, oldest first, in bounded batches.
//!
//! Neither table has an index on time, and none is added (every event would pay for it). Ids
//! are handed out in time order, so a batch is the table's first `batch` rows by id, read from
//! the primary key; of those, the ones old enough and done with are deleted. The work of a
//! batch is bounded whatever the table holds, and a batch that deletes nothing means the
//! oldest rows are too new or not done yet.

use confab_domain::Timestamp;
use sea_query::{Expr, ExprTrait, Order, Query};

use crate::{Conn, Engine, StoreError};

/// Deletes, among the `batch` oldest events, those created before `cutoff` that the outbox has
/// dispatched. Returns how many were deleted.
pub async fn prune_events(
    c: &mut Conn<'_>,
    cutoff: Timestamp,
    batch: u64,
) -> Result<u64, StoreError> {
    let oldest = Query::select()
        .columns(["id", "created_at", "dispatched_at"])
        .from("events")
        .order_by("id", Order::Asc)
        .limit(batch)
        .to_owned();
    let mut done = Query::select();
    done.column(("oldest", "id"))
        .from_subquery(oldest, "oldest")
        .and_where(Expr::col(("oldest", "created_at")).lt(cutoff.as_micros()));
    match c.engine() {
        // SQLite's outbox keeps a cursor (migration 0015), PostgreSQL's a mark per event.
        Engine::Sqlite => done.and_where(Expr::col(("oldest", "id")).lte(Expr::cust(
            "(SELECT last_event_id FROM outbox_cursor WHERE id = 1)",
        ))),
        Engine::Postgres => done.and_where(Expr::col(("oldest", "dispatched_at")).is_not_null()),
    };
    let stmt = Query::delete()
        .from_table("events")
        .and_where(Expr::col("id").in_subquery(done))
        .to_owned();
    c.execute(&stmt).await
}

/// Deletes, among the `batch` oldest webhook deliveries, those finished (delivered or dead)
/// before `cutoff`, with their attempts. Returns how many deliveries were deleted.
pub async fn prune_deliveries(
    c: &mut Conn<'_>,
    cutoff: Timestamp,
    batch: u64,
) -> Result<u64, StoreError> {
    let oldest = Query::select()
        .columns(["id", "finished_at"])
        .from("webhook_deliveries")
        .order_by("id", Order::Asc)
        .limit(batch)
        .to_owned();
    let done = Query::select()
        .column(("oldest", "id"))
        .from_subquery(oldest, "oldest")
        // Set when a delivery is delivered or dead, and cleared while it is pending.
        .and_where(Expr::col(("oldest", "finished_at")).lt(cutoff.as_micros()))
        .to_owned();
    let stmt = Query::delete()
        .from_table("webhook_deliveries")
        .and_where(Expr::col("id").in_subquery(done))
        .to_owned();
    c.execute(&stmt).await
}
