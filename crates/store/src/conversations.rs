//! Conversations: insert with the per-account display id, look-ups, partial updates and
//! conversation labels. The list query and its counts are in `conversation_lists`.

use confab_domain::conversation::{Conversation, ConversationStatus};
use confab_domain::{
    AccountId, AgentBotId, ContactId, ContactInboxId, ConversationId, InboxId, MessageId, TeamId,
    Timestamp, UserId,
};
use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement, UpdateStatement};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::{Conn, StoreError};

pub use crate::conversation_lists::{
    ConversationCounts, ConversationQuery, Keyset, count_conversations, list_conversations,
    page_and_counts,
};

/// The columns of `Conversation`, in its field order.
pub const COLUMNS: [&str; 29] = [
    "id",
    "account_id",
    "display_id",
    "uuid",
    "inbox_id",
    "contact_id",
    "contact_inbox_id",
    "status",
    "priority",
    "snoozed_until",
    "assignee_id",
    "assignee_agent_bot_id",
    "team_id",
    "agent_last_seen_at",
    "assignee_last_seen_at",
    "contact_last_seen_at",
    "first_reply_created_at",
    "waiting_since",
    "last_activity_at",
    "unread_count",
    "last_message_id",
    "last_non_activity_message_id",
    "additional_attributes",
    "custom_attributes",
    "cached_label_list",
    "identifier",
    "created_at",
    "updated_at",
    "snooze_wake_on_reply",
];

fn select() -> SelectStatement {
    let mut stmt = Query::select();
    add_columns(&mut stmt);
    stmt.from("conversations");
    stmt
}

/// Selects the columns of `Conversation` from `conversations`.
pub(crate) fn add_columns(stmt: &mut SelectStatement) {
    for col in &COLUMNS {
        stmt.column(("conversations", *col));
    }
}

/// A new conversation.
#[derive(Debug, Clone)]
pub struct NewConversation {
    pub account: AccountId,
    pub uuid: String,
    pub inbox: InboxId,
    pub contact: ContactId,
    pub contact_inbox: Option<ContactInboxId>,
    pub status: ConversationStatus,
    pub snoozed_until: Option<Timestamp>,
    pub assignee: Option<UserId>,
    pub team: Option<TeamId>,
    pub additional_attributes: Value,
    pub custom_attributes: Value,
}

/// Takes the account's next display id (Chatwoot's per-account sequence). Inside a write
/// transaction this row lock serialises conversation creation per account, never across.
pub async fn next_display_id(c: &mut Conn<'_>, account: AccountId) -> Result<i64, StoreError> {
    let mut stmt = insert_into(
        "account_display_ids",
        vec![
            ("account_id", account.get().into()),
            ("last_display_id", 1i64.into()),
        ],
    )?;
    stmt.on_conflict(
        sea_query::OnConflict::column("account_id")
            .value(
                "last_display_id",
                Expr::col(("account_display_ids", "last_display_id")).add(Expr::val(1i64)),
            )
            .to_owned(),
    )
    .returning_col("last_display_id");
    c.fetch_scalar::<i64>(&stmt)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Inserts a conversation; `waiting_since` and `last_activity_at` start at `now`.
pub async fn insert_conversation(
    c: &mut Conn<'_>,
    n: &NewConversation,
    now: Timestamp,
) -> Result<Conversation, StoreError> {
    let display_id = next_display_id(c, n.account).await?;
    let snoozed = (n.status == ConversationStatus::Snoozed)
        .then_some(n.snoozed_until)
        .flatten();
    let mut stmt = insert_into(
        "conversations",
        vec![
            ("account_id", n.account.get().into()),
            ("display_id", display_id.into()),
            ("uuid", n.uuid.clone().into()),
            ("inbox_id", n.inbox.get().into()),
            ("contact_id", n.contact.get().into()),
            ("contact_inbox_id", n.contact_inbox.map(|c| c.get()).into()),
            ("status", n.status.code().into()),
            ("snoozed_until", snoozed.map(|t| t.as_micros()).into()),
            ("assignee_id", n.assignee.map(|u| u.get()).into()),
            ("team_id", n.team.map(|t| t.get()).into()),
            ("waiting_since", now.as_micros().into()),
            ("last_activity_at", now.as_micros().into()),
            ("additional_attributes", json(&n.additional_attributes)),
            ("custom_attributes", json(&n.custom_attributes)),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    let id = ConversationId(c.insert_returning_id(&mut stmt).await?);
    get_conversation(c, id).await
}

/// A conversation by id (locked in a transaction: see `for_change`; jobs decide from it too).
pub async fn get_conversation(
    c: &mut Conn<'_>,
    id: ConversationId,
) -> Result<Conversation, StoreError> {
    let stmt = select()
        .and_where(Expr::col(("conversations", "id")).eq(id.get()))
        .to_owned();
    c.fetch_one(&for_change(c, stmt)).await
}

/// Inside a write transaction, a conversation is read with its row locked until the
/// transaction ends (PostgreSQL; SQLite's one writer is alone anyway), so two changes of one
/// conversation run one after the other from their first read. Without it, a status change
/// and an incoming message could each write `last_message_id` from what they had read, and
/// the older message could end up as the conversation's last; a job (an automation rule, a
/// bot that failed) could decide from a status an agent had just changed. Transactions that
/// only read the conversation (typing, a transcript's job) wait too: per conversation, and
/// for the few milliseconds of a change.
fn for_change(c: &Conn<'_>, mut stmt: SelectStatement) -> SelectStatement {
    if c.in_transaction() {
        stmt.lock(sea_query::LockType::Update);
    }
    stmt
}

/// A conversation of an account by its display id (locked in a transaction: see `for_change`).
pub async fn find_by_display_id(
    c: &mut Conn<'_>,
    account: AccountId,
    display_id: i64,
) -> Result<Option<Conversation>, StoreError> {
    let stmt = select()
        .and_where(Expr::col(("conversations", "account_id")).eq(account.get()))
        .and_where(Expr::col(("conversations", "display_id")).eq(display_id))
        .to_owned();
    c.fetch_optional(&for_change(c, stmt)).await
}

/// A conversation by its public uuid (locked in a transaction: see `for_change`).
pub async fn find_by_uuid(
    c: &mut Conn<'_>,
    uuid: &str,
) -> Result<Option<Conversation>, StoreError> {
    let stmt = select()
        .and_where(Expr::col(("conversations", "uuid")).eq(uuid))
        .to_owned();
    c.fetch_optional(&for_change(c, stmt)).await
}

/// The latest conversation of a contact in an inbox (`lock_to_single_conversation`; locked in
/// a transaction: see `for_change`).
///
/// In a transaction the identity's row is locked first: locking the conversation alone locks
/// nothing while the contact has none, and two creations at once would each make one. With the
/// identity locked, the second waits and then finds the first's.
pub async fn last_of_contact_inbox(
    c: &mut Conn<'_>,
    contact_inbox: ContactInboxId,
) -> Result<Option<Conversation>, StoreError> {
    if c.in_transaction() {
        crate::contacts::lock_contact_inbox(c, contact_inbox).await?;
    }
    let stmt = select()
        .and_where(Expr::col(("conversations", "contact_inbox_id")).eq(contact_inbox.get()))
        .order_by(("conversations", "id"), Order::Desc)
        .limit(1)
        .to_owned();
    c.fetch_optional(&for_change(c, stmt)).await
}

/// Whose conversations the customer side lists: one identity's, or (verified) every
/// conversation of the contact in the inbox.
#[derive(Debug, Clone, Copy)]
pub enum CustomerScope {
    Identity(ContactInboxId),
    Contact { contact: ContactId, inbox: InboxId },
}

impl CustomerScope {
    /// Whether a conversation is one the scope lists (the rule `list_of_customer` writes in SQL).
    pub fn covers(&self, conv: &Conversation) -> bool {
        match *self {
            CustomerScope::Identity(ci) => conv.contact_inbox_id == Some(ci),
            CustomerScope::Contact { contact, inbox } => {
                conv.contact_id == contact && conv.inbox_id == inbox
            }
        }
    }
}

/// The newest `limit` conversations of a customer, oldest first.
pub async fn list_of_customer(
    c: &mut Conn<'_>,
    scope: CustomerScope,
    limit: u64,
) -> Result<Vec<Conversation>, StoreError> {
    let mut stmt = select();
    match scope {
        CustomerScope::Identity(ci) => {
            stmt.and_where(Expr::col(("conversations", "contact_inbox_id")).eq(ci.get()));
        }
        CustomerScope::Contact { contact, inbox } => {
            stmt.and_where(Expr::col(("conversations", "contact_id")).eq(contact.get()))
                .and_where(Expr::col(("conversations", "inbox_id")).eq(inbox.get()));
        }
    }
    stmt.order_by(("conversations", "id"), Order::Desc)
        .limit(limit);
    let mut rows: Vec<Conversation> = c.fetch_all(&stmt).await?;
    rows.reverse();
    Ok(rows)
}

/// How many conversations an identity opened since `since` (the creation rate limit), and the
/// creation time of the oldest of them (when the window frees a slot).
pub async fn created_since(
    c: &mut Conn<'_>,
    contact_inbox: ContactInboxId,
    since: Timestamp,
) -> Result<(i64, Option<Timestamp>), StoreError> {
    let stmt = Query::select()
        .expr(Func::count(Expr::col("id")))
        .expr(Func::min(Expr::col("created_at")))
        .from("conversations")
        .and_where(Expr::col("contact_inbox_id").eq(contact_inbox.get()))
        .and_where(Expr::col("created_at").gte(since.as_micros()))
        .to_owned();
    let (n, oldest): (i64, Option<i64>) = c.fetch_one(&stmt).await?;
    Ok((n, oldest.map(Timestamp::from_micros)))
}

/// Changes to a conversation; `None` leaves a column alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ConversationChanges {
    pub status: Option<ConversationStatus>,
    pub snoozed_until: Option<Option<Timestamp>>,
    pub priority: Option<Option<i16>>,
    pub assignee_id: Option<Option<UserId>>,
    pub assignee_agent_bot_id: Option<Option<AgentBotId>>,
    pub team_id: Option<Option<TeamId>>,
    pub agent_last_seen_at: Option<Option<Timestamp>>,
    pub assignee_last_seen_at: Option<Option<Timestamp>>,
    pub contact_last_seen_at: Option<Option<Timestamp>>,
    pub first_reply_created_at: Option<Option<Timestamp>>,
    pub waiting_since: Option<Option<Timestamp>>,
    pub last_activity_at: Option<Timestamp>,
    pub unread_count: Option<i64>,
    pub last_message_id: Option<MessageId>,
    pub last_non_activity_message_id: Option<MessageId>,
    pub additional_attributes: Option<Value>,
    pub custom_attributes: Option<Value>,
    pub cached_label_list: Option<String>,
    pub snooze_wake_on_reply: Option<bool>,
    /// Add one to `unread_count` (an incoming message) instead of setting it.
    pub increment_unread: bool,
}

fn ts(v: Option<Option<Timestamp>>) -> Option<Option<i64>> {
    v.map(|o| o.map(Timestamp::as_micros))
}

impl ConversationChanges {
    fn statement(&self, id: ConversationId, now: Timestamp) -> UpdateStatement {
        let mut ch = Changes::default();
        ch.opt("status", self.status.map(ConversationStatus::code))
            .opt("snoozed_until", ts(self.snoozed_until))
            .opt("priority", self.priority)
            .opt("assignee_id", self.assignee_id.map(|o| o.map(|u| u.get())))
            .opt(
                "assignee_agent_bot_id",
                self.assignee_agent_bot_id.map(|o| o.map(|b| b.get())),
            )
            .opt("team_id", self.team_id.map(|o| o.map(|t| t.get())))
            .opt("agent_last_seen_at", ts(self.agent_last_seen_at))
            .opt("assignee_last_seen_at", ts(self.assignee_last_seen_at))
            .opt("contact_last_seen_at", ts(self.contact_last_seen_at))
            .opt("first_reply_created_at", ts(self.first_reply_created_at))
            .opt("waiting_since", ts(self.waiting_since))
            .opt(
                "last_activity_at",
                self.last_activity_at.map(Timestamp::as_micros),
            )
            .opt("unread_count", self.unread_count)
            .opt("last_message_id", self.last_message_id.map(|m| m.get()))
            .opt(
                "last_non_activity_message_id",
                self.last_non_activity_message_id.map(|m| m.get()),
            )
            .opt_json("additional_attributes", self.additional_attributes.as_ref())
            .opt_json("custom_attributes", self.custom_attributes.as_ref())
            .opt("cached_label_list", self.cached_label_list.clone())
            .opt("snooze_wake_on_reply", self.snooze_wake_on_reply);
        let mut stmt = ch.update("conversations", id.get(), now);
        if self.increment_unread {
            stmt.value(
                "unread_count",
                Expr::col("unread_count").add(Expr::val(1i64)),
            );
        }
        stmt
    }
}

/// Locks a conversation's row until the transaction ends (PostgreSQL; SQLite's writer is
/// alone anyway). Jobs take it before their own row, in the order request writers do.
pub async fn lock_conversation(c: &mut Conn<'_>, id: ConversationId) -> Result<(), StoreError> {
    let stmt = Query::select()
        .column("id")
        .from("conversations")
        .and_where(Expr::col("id").eq(id.get()))
        .lock(sea_query::LockType::Update)
        .to_owned();
    let _: Option<(i64,)> = c.fetch_optional(&stmt).await?;
    Ok(())
}

/// Applies changes (always bumping `updated_at`).
pub async fn update_conversation(
    c: &mut Conn<'_>,
    id: ConversationId,
    changes: &ConversationChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    c.execute(&changes.statement(id, now)).await?;
    Ok(())
}

/// [`update_conversation`], answering with the row as the update left it (`RETURNING`: no
/// second statement to read it back).
pub async fn update_conversation_returning(
    c: &mut Conn<'_>,
    id: ConversationId,
    changes: &ConversationChanges,
    now: Timestamp,
) -> Result<Conversation, StoreError> {
    let mut stmt = changes.statement(id, now);
    stmt.returning(Query::returning().columns(COLUMNS));
    c.fetch_one(&stmt).await
}

pub async fn delete_conversation(c: &mut Conn<'_>, id: ConversationId) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("conversations")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// Conversations by id, in no particular order.
pub async fn list_by_ids(
    c: &mut Conn<'_>,
    ids: &[ConversationId],
) -> Result<Vec<Conversation>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = select()
        .and_where(Expr::col(("conversations", "id")).is_in(ids.iter().map(|i| i.get())))
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Replaces a conversation's labels (rows and cached list) with `titles`.
pub async fn set_labels(
    c: &mut Conn<'_>,
    account: AccountId,
    id: ConversationId,
    titles: &[String],
    now: Timestamp,
) -> Result<(), StoreError> {
    let del = Query::delete()
        .from_table("conversation_labels")
        .and_where(Expr::col("conversation_id").eq(id.get()))
        .to_owned();
    c.execute(&del).await?;
    for t in titles {
        let stmt = insert_into(
            "conversation_labels",
            vec![
                ("account_id", account.get().into()),
                ("conversation_id", id.get().into()),
                ("title", t.clone().into()),
                ("created_at", now.as_micros().into()),
            ],
        )?;
        c.execute(&stmt).await?;
    }
    let changes = ConversationChanges {
        cached_label_list: Some(titles.join(",")),
        ..Default::default()
    };
    update_conversation(c, id, &changes, now).await
}

/// Recounts the incoming messages after `after` (for `unread`), up to `cap`.
pub async fn count_incoming_after(
    c: &mut Conn<'_>,
    id: ConversationId,
    after: Option<Timestamp>,
    cap: i64,
) -> Result<i64, StoreError> {
    let mut inner = Query::select();
    inner
        .expr(Expr::val(1i64))
        .from("messages")
        .and_where(Expr::col("conversation_id").eq(id.get()))
        .and_where(Expr::col("message_type").eq(0i16));
    if let Some(t) = after {
        inner.and_where(Expr::col("created_at").gt(t.as_micros()));
    }
    inner.limit(u64::try_from(cap).unwrap_or(0));
    let stmt = Query::select()
        .expr(Func::count(Expr::cust("*")))
        .from_subquery(inner.to_owned(), "recent")
        .to_owned();
    Ok(c.fetch_scalar::<i64>(&stmt).await?.unwrap_or(0))
}
