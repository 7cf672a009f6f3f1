//! The event outbox: domain events recorded in the same transaction as the change that caused
//! them, for webhooks, automation and live updates to deliver after commit.

use confab_domain::{AccountId, ConversationId, Timestamp};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde_json::Value;

use crate::db::json;
use crate::{Conn, Engine, StoreError};

/// A recorded event.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, confab_domain::db::SqliteRow)]
pub struct EventRow {
    pub id: i64,
    pub account_id: AccountId,
    pub name: String,
    pub conversation_id: Option<ConversationId>,
    #[sqlx(json)]
    pub data: Value,
    pub created_at: Timestamp,
}

/// An event waiting for its transaction's commit.
pub(crate) struct NewEvent {
    account: AccountId,
    name: String,
    conversation: Option<ConversationId>,
    data: Value,
    created_at: Timestamp,
}

/// Records one event. Inside a transaction it is written, with the transaction's other
/// events, by one statement just before the commit (ids still follow the recording order);
/// outside one, at once.
pub async fn record(
    c: &mut Conn<'_>,
    account: AccountId,
    name: &str,
    conversation: Option<ConversationId>,
    data: &Value,
    now: Timestamp,
) -> Result<(), StoreError> {
    let event = NewEvent {
        account,
        name: name.to_owned(),
        conversation,
        data: data.clone(),
        created_at: now,
    };
    if let Some(pending) = c.pending_events() {
        pending
            .lock()
            .map_err(|_| StoreError::CommitFailed("the event buffer was poisoned".into()))?
            .push(event);
        return Ok(());
    }
    insert_all(c, vec![event]).await
}

/// Writes events in one statement, in order.
pub(crate) async fn insert_all(c: &mut Conn<'_>, events: Vec<NewEvent>) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut stmt = Query::insert();
    stmt.into_table("events").columns([
        "account_id",
        "name",
        "conversation_id",
        "data",
        "created_at",
    ]);
    for e in events {
        stmt.values([
            e.account.get().into(),
            e.name.into(),
            e.conversation.map(|c| c.get()).into(),
            Expr::val(json(&e.data)),
            e.created_at.as_micros().into(),
        ])
        .map_err(|e| StoreError::Config(format!("malformed insert into events: {e}")))?;
    }
    c.execute(&stmt).await?;
    Ok(())
}

pub(crate) fn select_events() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            "id",
            "account_id",
            "name",
            "conversation_id",
            "data",
            "created_at",
        ])
        .from("events")
        .to_owned()
}

/// The events of an account after `after_id`, oldest first.
pub async fn list_after(
    c: &mut Conn<'_>,
    account: AccountId,
    after_id: i64,
    limit: u64,
) -> Result<Vec<EventRow>, StoreError> {
    let stmt = select_events()
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").gt(after_id))
        .order_by("id", Order::Asc)
        .limit(limit)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// How far SQLite's outbox has dispatched: every event up to this id (migration 0015).
const OUTBOX_CURSOR: &str = "(SELECT last_event_id FROM outbox_cursor WHERE id = 1)";

/// "The outbox has dispatched this event", on the columns of `table` (`events` or an alias of
/// it): at or behind the cursor on SQLite, marked on PostgreSQL (see [`undispatched`]).
pub(crate) fn dispatched(engine: Engine, table: &'static str) -> Expr {
    match engine {
        Engine::Sqlite => Expr::col((table, "id")).lte(Expr::cust(OUTBOX_CURSOR)),
        Engine::Postgres => Expr::col((table, "dispatched_at")).is_not_null(),
    }
}

/// Events not yet dispatched, oldest first.
///
/// SQLite: the events after the outbox's cursor, a range of the primary key. One writer takes
/// each event's id inside the transaction that commits it, so events become visible in id order
/// and none can appear behind the cursor. PostgreSQL: the events without a dispatch mark (a
/// partial index holds only these); a sequence hands out ids before commit, so a lower id can
/// commit after a higher one was dispatched, and a cursor would skip it.
pub async fn undispatched(c: &mut Conn<'_>, limit: u64) -> Result<Vec<EventRow>, StoreError> {
    let mut stmt = select_events();
    // Written as its own condition, not as `NOT` of [`dispatched`], so each planner sees the
    // primary-key range (SQLite) or the partial index's predicate (PostgreSQL) verbatim.
    match c.engine() {
        Engine::Sqlite => stmt.and_where(Expr::col("id").gt(Expr::cust(OUTBOX_CURSOR))),
        Engine::Postgres => stmt.and_where(Expr::col("dispatched_at").is_null()),
    };
    stmt.order_by("id", Order::Asc).limit(limit);
    c.fetch_all(&stmt).await
}

/// Marks a batch of [`undispatched`] events dispatched; returns the ids this call marked
/// (another dispatcher may have marked some first: on PostgreSQL the second waits for the
/// first to commit, then marks none). On SQLite the cursor moves past the whole batch, or not
/// at all when another dispatcher already moved it past the batch's first event (its next
/// batch then starts after what that one dispatched).
pub async fn mark_dispatched(
    c: &mut Conn<'_>,
    ids: &[i64],
    now: Timestamp,
) -> Result<Vec<i64>, StoreError> {
    let (Some(&first), Some(&last)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(Vec::new());
    };
    if c.engine() == Engine::Sqlite {
        let stmt = Query::update()
            .table("outbox_cursor")
            .value("last_event_id", last)
            .and_where(Expr::col("id").eq(1))
            .and_where(Expr::col("last_event_id").lt(first))
            .to_owned();
        let moved = c.execute(&stmt).await? == 1;
        return Ok(if moved { ids.to_vec() } else { Vec::new() });
    }
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct Marked {
        id: i64,
    }
    let stmt = Query::update()
        .table("events")
        .value("dispatched_at", now.as_micros())
        .and_where(Expr::col("id").is_in(ids.iter().copied()))
        .and_where(Expr::col("dispatched_at").is_null())
        .returning(Query::returning().column("id"))
        .to_owned();
    Ok(c.fetch_all::<Marked>(&stmt)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect())
}

/// One event by id.
pub async fn find(c: &mut Conn<'_>, id: i64) -> Result<Option<EventRow>, StoreError> {
    let stmt = select_events().and_where(Expr::col("id").eq(id)).to_owned();
    c.fetch_optional(&stmt).await
}
