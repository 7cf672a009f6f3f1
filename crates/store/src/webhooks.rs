//! Account webhooks, and the durable deliveries of events to them (and to API inboxes'
//! `webhook_url`) with the log of every attempt.
//!
//! A delivery is due when it is `pending` and `next_attempt_at <= now`. Claiming moves
//! `next_attempt_at` to the end of a lease and bumps `attempts` (a runner that dies leaves it to
//! be claimed again after the lease), with `FOR UPDATE SKIP LOCKED` on PostgreSQL so nodes never
//! take the same one. Only the oldest pending delivery of an `ordering_key` (one receiver, one
//! conversation) is claimable, so a conversation's events reach a receiver in order even while
//! one of them waits for a retry. Results are written with the attempt number claimed: a stale
//! runner's result touches nothing.

use confab_domain::webhook::{Attempt, Delivery, DeliveryState, Receiver, Webhook};
use confab_domain::{AccountId, AgentBotId, DeliveryId, InboxId, Timestamp, WebhookId};
use sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Order, Query};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::{Conn, StoreError};

const WEBHOOK_COLUMNS: [&str; 10] = [
    "id",
    "account_id",
    "inbox_id",
    "name",
    "url",
    "webhook_type",
    "subscriptions",
    "secret",
    "created_at",
    "updated_at",
];

fn select_webhooks() -> sea_query::SelectStatement {
    Query::select()
        .columns(WEBHOOK_COLUMNS)
        .from("webhooks")
        .to_owned()
}

/// A webhook to create.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub account: AccountId,
    pub inbox: Option<InboxId>,
    pub name: Option<String>,
    pub url: String,
    pub webhook_type: i64,
    pub subscriptions: Vec<String>,
    pub secret: String,
}

/// Creates a webhook; `StoreError::UniqueViolation` when the account has one for the URL.
pub async fn create(
    c: &mut Conn<'_>,
    n: &NewWebhook,
    now: Timestamp,
) -> Result<Webhook, StoreError> {
    let mut stmt = insert_into(
        "webhooks",
        vec![
            ("account_id", n.account.get().into()),
            ("inbox_id", n.inbox.map(InboxId::get).into()),
            ("name", n.name.clone().into()),
            ("url", n.url.clone().into()),
            ("webhook_type", n.webhook_type.into()),
            ("subscriptions", json(&Value::from(n.subscriptions.clone()))),
            ("secret", n.secret.clone().into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    let id = c.insert_returning_id(&mut stmt).await?;
    find(c, n.account, WebhookId(id)).await
}

/// The account's webhooks, oldest first.
pub async fn list(c: &mut Conn<'_>, account: AccountId) -> Result<Vec<Webhook>, StoreError> {
    let stmt = select_webhooks()
        .and_where(Expr::col("account_id").eq(account.get()))
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// The webhooks of several accounts (the dispatcher's batch).
pub async fn list_for_accounts(
    c: &mut Conn<'_>,
    accounts: &[AccountId],
) -> Result<Vec<Webhook>, StoreError> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = select_webhooks()
        .and_where(Expr::col("account_id").is_in(accounts.iter().map(|a| a.get())))
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// One webhook of the account.
pub async fn find(
    c: &mut Conn<'_>,
    account: AccountId,
    id: WebhookId,
) -> Result<Webhook, StoreError> {
    let stmt = select_webhooks()
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_one(&stmt).await
}

/// Fields of a webhook to change; `None` leaves one alone.
#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub name: Option<Option<String>>,
    pub inbox: Option<Option<InboxId>>,
    pub subscriptions: Option<Vec<String>>,
    pub secret: Option<String>,
}

/// Changes a webhook of the account.
pub async fn update(
    c: &mut Conn<'_>,
    account: AccountId,
    id: WebhookId,
    ch: &WebhookChanges,
    now: Timestamp,
) -> Result<Webhook, StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("url", ch.url.clone())
        .opt("name", ch.name.clone())
        .opt("inbox_id", ch.inbox.map(|i| i.map(InboxId::get)))
        .opt_json(
            "subscriptions",
            ch.subscriptions.clone().map(Value::from).as_ref(),
        )
        .opt("secret", ch.secret.clone());
    let mut stmt = changes.update("webhooks", id.get(), now);
    stmt.and_where(Expr::col("account_id").eq(account.get()));
    if c.execute(&stmt).await? == 0 {
        return Err(StoreError::NotFound);
    }
    find(c, account, id).await
}

/// Deletes a webhook of the account (its deliveries and their log go with it).
pub async fn delete(c: &mut Conn<'_>, account: AccountId, id: WebhookId) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("webhooks")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    if c.execute(&stmt).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// An API inbox's own receiver.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, confab_domain::db::SqliteRow)]
pub struct InboxReceiver {
    pub inbox_id: InboxId,
    pub webhook_url: String,
    pub webhook_secret: String,
}

/// The API inboxes among `inboxes` that have a `webhook_url`.
pub async fn inbox_receivers(
    c: &mut Conn<'_>,
    inboxes: &[InboxId],
) -> Result<Vec<InboxReceiver>, StoreError> {
    if inboxes.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .expr_as(Expr::col(("inboxes", "id")), "inbox_id")
        .column(("channel_api", "webhook_url"))
        .column(("channel_api", "webhook_secret"))
        .from("inboxes")
        .inner_join(
            "channel_api",
            Expr::col(("channel_api", "id")).equals(("inboxes", "channel_id")),
        )
        .and_where(Expr::col(("inboxes", "channel_type")).eq("Channel::Api"))
        .and_where(Expr::col(("inboxes", "id")).is_in(inboxes.iter().map(|i| i.get())))
        .and_where(Expr::col(("channel_api", "webhook_url")).is_not_null())
        .and_where(Expr::col(("channel_api", "webhook_url")).ne(""))
        .and_where(Expr::col(("channel_api", "webhook_secret")).is_not_null())
        .to_owned();
    c.fetch_all(&stmt).await
}

/// The agent bot connected to an inbox, as a receiver of the inbox's events.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, confab_domain::db::SqliteRow)]
pub struct BotReceiver {
    pub inbox_id: InboxId,
    pub agent_bot_id: AgentBotId,
    pub outgoing_url: String,
    pub secret: String,
}

fn select_bot_receivers() -> sea_query::SelectStatement {
    Query::select()
        .column(("agent_bot_inboxes", "inbox_id"))
        .column(("agent_bot_inboxes", "agent_bot_id"))
        .column(("agent_bots", "outgoing_url"))
        .column(("agent_bots", "secret"))
        .from("agent_bot_inboxes")
        .inner_join(
            "agent_bots",
            Expr::col(("agent_bots", "id")).equals(("agent_bot_inboxes", "agent_bot_id")),
        )
        .and_where(Expr::col(("agent_bots", "outgoing_url")).is_not_null())
        .and_where(Expr::col(("agent_bots", "outgoing_url")).ne(""))
        .and_where(Expr::col(("agent_bots", "secret")).is_not_null())
        .to_owned()
}

/// The bots with an `outgoing_url` connected to any of `inboxes`.
pub async fn bot_receivers(
    c: &mut Conn<'_>,
    inboxes: &[InboxId],
) -> Result<Vec<BotReceiver>, StoreError> {
    if inboxes.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = select_bot_receivers()
        .and_where(
            Expr::col(("agent_bot_inboxes", "inbox_id")).is_in(inboxes.iter().map(|i| i.get())),
        )
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Where and with which key the given bots are reached now (one row per bot, even when it
/// serves several inboxes).
pub async fn bot_endpoints(
    c: &mut Conn<'_>,
    bots: &[AgentBotId],
) -> Result<Vec<(AgentBotId, String, String)>, StoreError> {
    if bots.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(["id", "outgoing_url", "secret"])
        .from("agent_bots")
        .and_where(Expr::col("id").is_in(bots.iter().map(|b| b.get())))
        .and_where(Expr::col("outgoing_url").is_not_null())
        .and_where(Expr::col("secret").is_not_null())
        .to_owned();
    c.fetch_all(&stmt).await
}

/// An API inbox's signing key.
pub async fn inbox_secret(
    c: &mut Conn<'_>,
    account: AccountId,
    inbox: InboxId,
) -> Result<Option<String>, StoreError> {
    let stmt = Query::select()
        .column(("channel_api", "webhook_secret"))
        .from("inboxes")
        .inner_join(
            "channel_api",
            Expr::col(("channel_api", "id")).equals(("inboxes", "channel_id")),
        )
        .and_where(Expr::col(("inboxes", "channel_type")).eq("Channel::Api"))
        .and_where(Expr::col(("inboxes", "account_id")).eq(account.get()))
        .and_where(Expr::col(("inboxes", "id")).eq(inbox.get()))
        .to_owned();
    Ok(c.fetch_scalar::<Option<String>>(&stmt).await?.flatten())
}

/// Sets an API inbox's signing key.
pub async fn set_inbox_secret(
    c: &mut Conn<'_>,
    account: AccountId,
    inbox: InboxId,
    secret: &str,
) -> Result<(), StoreError> {
    let channel = Query::select()
        .column("channel_id")
        .from("inboxes")
        .and_where(Expr::col("channel_type").eq("Channel::Api"))
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").eq(inbox.get()))
        .to_owned();
    let stmt = Query::update()
        .table("channel_api")
        .value("webhook_secret", secret)
        .and_where(Expr::col("id").in_subquery(channel))
        .to_owned();
    if c.execute(&stmt).await? == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

const DELIVERY_COLUMNS: [&str; 20] = [
    "id",
    "uuid",
    "account_id",
    "webhook_id",
    "inbox_id",
    "agent_bot_id",
    "event",
    "url",
    "conversation_id",
    "message_id",
    "ordering_key",
    "payload",
    "state",
    "attempts",
    "next_attempt_at",
    "last_status",
    "last_error",
    "replay_of",
    "created_at",
    "finished_at",
];

/// A delivery to write.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub uuid: String,
    pub account: AccountId,
    pub receiver: Receiver,
    /// The outbox event it delivers; `None` for a replay or a test event.
    pub event_id: Option<i64>,
    pub event: String,
    pub url: String,
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
    pub ordering_key: Option<String>,
    pub payload: String,
    pub replay_of: Option<DeliveryId>,
}

/// Writes a pending delivery, due now. Returns its id, or `None` when this event was already
/// dispatched to this receiver.
pub async fn insert_delivery(
    c: &mut Conn<'_>,
    n: &NewDelivery,
    now: Timestamp,
) -> Result<Option<DeliveryId>, StoreError> {
    let (webhook, inbox, bot) = match n.receiver {
        Receiver::Webhook(w) => (Some(w), None, None),
        Receiver::Inbox(i) => (None, Some(i), None),
        Receiver::AgentBot(b) => (None, None, Some(b)),
    };
    let mut stmt = insert_into(
        "webhook_deliveries",
        vec![
            ("uuid", n.uuid.clone().into()),
            ("account_id", n.account.get().into()),
            ("webhook_id", webhook.map(WebhookId::get).into()),
            ("inbox_id", inbox.map(InboxId::get).into()),
            ("agent_bot_id", bot.map(AgentBotId::get).into()),
            ("target", n.receiver.key().into()),
            ("event_id", n.event_id.into()),
            ("event", n.event.clone().into()),
            ("url", n.url.clone().into()),
            ("conversation_id", n.conversation_id.into()),
            ("message_id", n.message_id.into()),
            ("ordering_key", n.ordering_key.clone().into()),
            ("payload", n.payload.clone().into()),
            ("state", DeliveryState::Pending.as_str().into()),
            ("attempts", 0i64.into()),
            ("next_attempt_at", now.as_micros().into()),
            ("replay_of", n.replay_of.map(DeliveryId::get).into()),
            ("created_at", now.as_micros().into()),
        ],
    )?;
    stmt.on_conflict(
        OnConflict::columns(["event_id", "target"])
            .do_nothing()
            .to_owned(),
    );
    stmt.returning_col("id");
    Ok(c.fetch_scalar::<i64>(&stmt).await?.map(DeliveryId))
}

/// The claim of deliveries (the caller says which): leased until `now + lease_secs`, one more
/// attempt counted, the claimed rows returned.
fn lease(now: Timestamp, lease_secs: i64) -> sea_query::UpdateStatement {
    let lease_end = now.plus_seconds(lease_secs).as_micros();
    Query::update()
        .table("webhook_deliveries")
        .value("next_attempt_at", lease_end)
        .value("locked_until", lease_end)
        .value("attempts", Expr::col("attempts").add(Expr::val(1i64)))
        .returning(Query::returning().columns(DELIVERY_COLUMNS))
        .to_owned()
}

/// Claims up to `limit` due deliveries, each the oldest pending one of its ordering key,
/// leasing them for `lease_secs`.
pub async fn claim_due(
    c: &mut Conn<'_>,
    now: Timestamp,
    lease_secs: i64,
    limit: u64,
) -> Result<Vec<Delivery>, StoreError> {
    // Most wake-ups find nothing due: answer those with a read, so they do not take the
    // writer (on SQLite that would also cut a commit group short).
    let any_due = Query::select()
        .expr(Expr::val(1i64))
        .from("webhook_deliveries")
        .and_where(Expr::col("state").eq(DeliveryState::Pending.as_str()))
        .and_where(Expr::col("next_attempt_at").lte(now.as_micros()))
        .limit(1)
        .to_owned();
    if c.fetch_scalar::<i64>(&any_due).await?.is_none() {
        return Ok(Vec::new());
    }
    let earlier = Query::select()
        .expr(Expr::val(1i64))
        .from_as("webhook_deliveries", "e")
        .and_where(Expr::col(("e", "state")).eq(DeliveryState::Pending.as_str()))
        .and_where(Expr::col(("e", "ordering_key")).equals(("d", "ordering_key")))
        .and_where(Expr::col(("e", "id")).lt(Expr::col(("d", "id"))))
        .to_owned();
    let pick = Query::select()
        .column(("d", "id"))
        .from_as("webhook_deliveries", "d")
        .and_where(Expr::col(("d", "state")).eq(DeliveryState::Pending.as_str()))
        .and_where(Expr::col(("d", "next_attempt_at")).lte(now.as_micros()))
        .and_where(Expr::exists(earlier).not())
        .order_by(("d", "next_attempt_at"), Order::Asc)
        .order_by(("d", "id"), Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let stmt = lease(now, lease_secs)
        .and_where(Expr::col("id").in_subquery(pick))
        .to_owned();
    let mut claimed: Vec<Delivery> = c.fetch_all(&stmt).await?;
    claimed.sort_by_key(|d| d.id);
    Ok(claimed)
}

/// Claims one pending delivery that is due (the caller sends it at once).
pub async fn claim_one(
    c: &mut Conn<'_>,
    id: DeliveryId,
    now: Timestamp,
    lease_secs: i64,
) -> Result<Option<Delivery>, StoreError> {
    let stmt = lease(now, lease_secs)
        .and_where(Expr::col("id").eq(id.get()))
        .and_where(Expr::col("state").eq(DeliveryState::Pending.as_str()))
        .and_where(Expr::col("next_attempt_at").lte(now.as_micros()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// When the next pending delivery falls due (index-bound).
pub async fn next_due(c: &mut Conn<'_>) -> Result<Option<Timestamp>, StoreError> {
    let stmt = Query::select()
        .column("next_attempt_at")
        .from("webhook_deliveries")
        .and_where(Expr::col("state").eq(DeliveryState::Pending.as_str()))
        .order_by("next_attempt_at", Order::Asc)
        .order_by("id", Order::Asc)
        .limit(1)
        .to_owned();
    Ok(c.fetch_scalar::<Option<i64>>(&stmt)
        .await?
        .flatten()
        .map(Timestamp::from_micros))
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub started_at: Timestamp,
    pub status_code: Option<u16>,
    pub latency_ms: i64,
    pub error: Option<String>,
    /// The state the delivery moves to.
    pub state: DeliveryState,
    /// For `Pending`: when to try again.
    pub retry_at: Option<Timestamp>,
}

/// Records the outcome of the attempt `attempts` claimed. Returns false (and writes nothing)
/// when the delivery was claimed again meanwhile.
pub async fn record_attempt(
    c: &mut Conn<'_>,
    id: DeliveryId,
    attempts: i64,
    r: &AttemptResult,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let mut stmt = Query::update();
    stmt.table("webhook_deliveries")
        .value("state", r.state.as_str())
        .value("next_attempt_at", r.retry_at.map(Timestamp::as_micros))
        .value("locked_until", Option::<i64>::None)
        .value("last_status", r.status_code.map(i64::from))
        .value("last_error", r.error.clone())
        .value(
            "finished_at",
            (r.state != DeliveryState::Pending).then_some(now.as_micros()),
        )
        .and_where(Expr::col("id").eq(id.get()))
        .and_where(Expr::col("attempts").eq(attempts))
        .and_where(Expr::col("state").eq(DeliveryState::Pending.as_str()));
    if c.execute(&stmt).await? == 0 {
        return Ok(false);
    }
    let log = insert_into(
        "webhook_attempts",
        vec![
            ("delivery_id", id.get().into()),
            ("attempt", attempts.into()),
            ("started_at", r.started_at.as_micros().into()),
            ("status_code", r.status_code.map(i64::from).into()),
            ("latency_ms", r.latency_ms.into()),
            ("error", r.error.clone().into()),
        ],
    )?;
    c.execute(&log).await?;
    Ok(true)
}

fn select_deliveries() -> sea_query::SelectStatement {
    Query::select()
        .columns(DELIVERY_COLUMNS)
        .from("webhook_deliveries")
        .to_owned()
}

/// The newest `limit` deliveries of a receiver, older than `before` when given.
pub async fn list_deliveries(
    c: &mut Conn<'_>,
    account: AccountId,
    of: Receiver,
    state: Option<DeliveryState>,
    before: Option<DeliveryId>,
    limit: u64,
) -> Result<Vec<Delivery>, StoreError> {
    let mut stmt = select_deliveries()
        .and_where(Expr::col("account_id").eq(account.get()))
        .to_owned();
    match of {
        Receiver::Webhook(w) => stmt.and_where(Expr::col("webhook_id").eq(w.get())),
        Receiver::Inbox(i) => stmt
            .and_where(Expr::col("inbox_id").eq(i.get()))
            .and_where(Expr::col("webhook_id").is_null()),
        Receiver::AgentBot(b) => stmt.and_where(Expr::col("agent_bot_id").eq(b.get())),
    };
    if let Some(s) = state {
        stmt.and_where(Expr::col("state").eq(s.as_str()));
    }
    if let Some(b) = before {
        stmt.and_where(Expr::col("id").lt(b.get()));
    }
    stmt.order_by("id", Order::Desc).limit(limit);
    c.fetch_all(&stmt).await
}

/// One delivery of the account.
pub async fn find_delivery(
    c: &mut Conn<'_>,
    account: AccountId,
    id: DeliveryId,
) -> Result<Delivery, StoreError> {
    let stmt = select_deliveries()
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_one(&stmt).await
}

/// The attempts of deliveries, in order.
pub async fn attempts_of(
    c: &mut Conn<'_>,
    deliveries: &[DeliveryId],
) -> Result<Vec<Attempt>, StoreError> {
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns([
            "delivery_id",
            "attempt",
            "started_at",
            "status_code",
            "latency_ms",
            "error",
        ])
        .from("webhook_attempts")
        .and_where(Expr::col("delivery_id").is_in(deliveries.iter().map(|d| d.get())))
        .order_by("delivery_id", Order::Asc)
        .order_by("attempt", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}
