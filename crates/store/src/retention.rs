//! Retention: the outbox's events and the webhook deliveries' log are deleted once they are
//! older than the operator keeps them, oldest first, in bounded batches.
//!
//! Neither table has an index on time, and none is added (every event would pay for it). Ids
//! are handed out in time order, so a batch is the table's first `batch` rows by id, read from
//! the primary key; of those, the ones old enough and done with are deleted. The work of a
//! batch is bounded whatever the table holds, and a batch that deletes nothing means the
//! oldest rows are too new or not done yet.

use confab_domain::Timestamp;
use sea_query::{DeleteStatement, Expr, ExprTrait, Order, Query};

use crate::{Conn, StoreError, events};

/// Deletes, among the `batch` oldest events, those created before `cutoff` that the outbox has
/// dispatched. Returns how many were deleted.
pub async fn prune_events(
    c: &mut Conn<'_>,
    cutoff: Timestamp,
    batch: u64,
) -> Result<u64, StoreError> {
    let done = Expr::col(("oldest", "created_at"))
        .lt(cutoff.as_micros())
        .and(events::dispatched(c.engine(), "oldest"));
    let stmt = delete_among_oldest("events", &["created_at", "dispatched_at"], batch, done);
    c.execute(&stmt).await
}

/// Deletes, among the `batch` oldest webhook deliveries, those finished (delivered or dead)
/// before `cutoff`, with their attempts. Returns how many deliveries were deleted.
pub async fn prune_deliveries(
    c: &mut Conn<'_>,
    cutoff: Timestamp,
    batch: u64,
) -> Result<u64, StoreError> {
    // Set when a delivery is delivered or dead, and cleared while it is pending.
    let done = Expr::col(("oldest", "finished_at")).lt(cutoff.as_micros());
    let stmt = delete_among_oldest("webhook_deliveries", &["finished_at"], batch, done);
    c.execute(&stmt).await
}

/// `DELETE FROM table` the rows, among its `batch` first by id, for which `done` holds; `done`
/// reads `columns` (and `id`) of the alias `oldest`.
fn delete_among_oldest(
    table: &'static str,
    columns: &[&'static str],
    batch: u64,
    done: Expr,
) -> DeleteStatement {
    let oldest = Query::select()
        .column("id")
        .columns(columns.iter().copied())
        .from(table)
        .order_by("id", Order::Asc)
        .limit(batch)
        .to_owned();
    let ids = Query::select()
        .column(("oldest", "id"))
        .from_subquery(oldest, "oldest")
        .and_where(done)
        .to_owned();
    Query::delete()
        .from_table(table)
        .and_where(Expr::col("id").in_subquery(ids))
        .to_owned()
}
