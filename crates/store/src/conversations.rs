//! Conversations: insert with the per-account display id, look-ups, partial updates, the
//! list query with its counts, and conversation labels.

use confab_domain::conversation::{
    AssigneeFilter, Conversation, ConversationSort, ConversationStatus, StatusFilter,
};
use confab_domain::filter::Filter;
use confab_domain::{
    AccountId, AgentBotId, ContactId, ContactInboxId, ConversationId, InboxId, MessageId, TeamId,
    Timestamp, UserId,
};
use sea_query::{
    Cond, Expr, ExprTrait, Func, NullOrdering, Order, Query, SelectStatement, UpdateStatement,
};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::{Conn, StoreError, filter_sql, search};

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
    for col in &COLUMNS {
        stmt.column(("conversations", *col));
    }
    stmt.from("conversations");
    stmt
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

/// A conversation by id (locked in a transaction: [`for_change`]; jobs decide from it too).
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

/// A conversation of an account by its display id (locked in a transaction: [`for_change`]).
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

/// A conversation by its public uuid (locked in a transaction: [`for_change`]).
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
/// a transaction: [`for_change`]).
pub async fn last_of_contact_inbox(
    c: &mut Conn<'_>,
    contact_inbox: ContactInboxId,
) -> Result<Option<Conversation>, StoreError> {
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

/// What to list. Counts (`mine`, `unassigned`, `all`) ignore `assignee`; the page applies it.
#[derive(Debug, Clone, Default)]
pub struct ConversationQuery<'a> {
    pub status: Option<StatusFilter>,
    /// Only these inboxes (an agent's member inboxes); `None` = every inbox of the account.
    pub visible_inboxes: Option<&'a [InboxId]>,
    pub inbox: Option<InboxId>,
    pub team: Option<TeamId>,
    pub contact: Option<ContactId>,
    pub contact_inbox: Option<ContactInboxId>,
    /// Conversations carrying any of these labels.
    pub labels: &'a [String],
    /// Words that must occur in an incoming or outgoing message.
    pub message_text: Option<&'a str>,
    /// `conversations/search`: message words, contact name/email/phone/identifier, display id.
    pub search: Option<&'a str>,
    /// `conversation_type=unattended`: no first reply yet, or waiting for a reply.
    pub unattended: bool,
    pub filter: Option<&'a Filter>,
    pub assignee: AssigneeFilter,
    pub me: Option<UserId>,
    pub sort: ConversationSort,
    pub page: u64,
    pub per_page: u64,
    /// Keyset paging: only rows after this position in `sort` order (then `page` stays 1).
    pub after: Option<Keyset>,
}

/// A position in a sort order, from the last row seen: the nullable leading key of the
/// priority and waiting-time sorts (`None` when NULL, and for the other sorts, which have
/// none), the non-null key that follows (`tie`), and the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyset {
    pub key: Option<i64>,
    pub tie: i64,
    pub id: i64,
}

impl Keyset {
    /// The position of `conv` in `sort` order.
    pub fn of(conv: &Conversation, sort: ConversationSort) -> Self {
        use ConversationSort as S;
        let (key, tie) = match sort {
            S::LastActivityDesc | S::LastActivityAsc => (None, conv.last_activity_at.as_micros()),
            S::CreatedAsc | S::CreatedDesc => (None, conv.created_at.as_micros()),
            S::PriorityAsc | S::PriorityDesc => (
                conv.priority_code.map(i64::from),
                conv.last_activity_at.as_micros(),
            ),
            S::WaitingSinceAsc | S::WaitingSinceDesc => (
                conv.waiting_since.map(Timestamp::as_micros),
                conv.created_at.as_micros(),
            ),
        };
        Self {
            key,
            tie,
            id: conv.id.get(),
        }
    }
}

/// The rows after `k` in `sort` order: the same ORDER BY as the list, NULL keys last.
fn after_condition(sort: ConversationSort, k: &Keyset) -> Cond {
    use ConversationSort as S;
    let col = |name: &'static str| Expr::col(("conversations", name));
    // (tie, id) beyond (k.tie, k.id) in the tie's direction.
    let beyond = |tie: &'static str, asc: bool| -> Cond {
        let (tie_past, id_past) = if asc {
            (col(tie).gt(k.tie), col("id").gt(k.id))
        } else {
            (col(tie).lt(k.tie), col("id").lt(k.id))
        };
        Cond::any()
            .add(tie_past)
            .add(Cond::all().add(col(tie).eq(k.tie)).add(id_past))
    };
    // A nullable sort key ordered NULLS LAST, then (tie, id).
    let nullable = |key: &'static str, key_asc: bool, tie: &'static str, tie_asc: bool| -> Cond {
        match k.key {
            None => Cond::all()
                .add(col(key).is_null())
                .add(beyond(tie, tie_asc)),
            Some(v) => Cond::any()
                .add(if key_asc {
                    col(key).gt(v)
                } else {
                    col(key).lt(v)
                })
                .add(col(key).is_null())
                .add(Cond::all().add(col(key).eq(v)).add(beyond(tie, tie_asc))),
        }
    };
    match sort {
        S::LastActivityDesc => beyond("last_activity_at", false),
        S::LastActivityAsc => beyond("last_activity_at", true),
        S::CreatedAsc => beyond("created_at", true),
        S::CreatedDesc => beyond("created_at", false),
        S::PriorityAsc => nullable("priority", true, "last_activity_at", false),
        S::PriorityDesc => nullable("priority", false, "last_activity_at", false),
        S::WaitingSinceAsc => nullable("waiting_since", true, "created_at", true),
        S::WaitingSinceDesc => nullable("waiting_since", false, "created_at", true),
    }
}

impl ConversationQuery<'_> {
    /// Whether matching rows are found by testing candidates (labels, text, filters, "no reply
    /// yet") rather than read off an index: such a page or count may visit many rows.
    fn may_scan(&self) -> bool {
        use ConversationSort as S;
        // No index orders by priority or waiting time (NULLS LAST, then a tie).
        matches!(
            self.sort,
            S::PriorityAsc | S::PriorityDesc | S::WaitingSinceAsc | S::WaitingSinceDesc
        ) || !self.labels.is_empty()
            || self.message_text.is_some()
            || self.search.is_some()
            || self.unattended
            || self.filter.is_some()
    }
}

fn base(
    c: &Conn<'_>,
    account: AccountId,
    q: &ConversationQuery<'_>,
    now: Timestamp,
) -> SelectStatement {
    let mut stmt = Query::select();
    stmt.from("conversations");
    narrow_by_place(&mut stmt, "conversations", account, q);
    if let Some(ct) = q.contact {
        stmt.and_where(Expr::col(("conversations", "contact_id")).eq(ct.get()));
    }
    if let Some(ci) = q.contact_inbox {
        stmt.and_where(Expr::col(("conversations", "contact_inbox_id")).eq(ci.get()));
    }
    if !q.labels.is_empty() {
        stmt.and_where(filter_sql::labelled("conversations", Some(q.labels), false));
    }
    if let Some(text) = q.message_text {
        stmt.and_where(
            Expr::col(("conversations", "id")).in_subquery(search::conversations_with_text(
                c.engine(),
                account,
                text,
            )),
        );
    }
    if let Some(text) = q.search {
        let mut any =
            Cond::any()
                .add(
                    Expr::col(("conversations", "id"))
                        .in_subquery(search::conversations_with_text(c.engine(), account, text)),
                )
                .add(
                    Expr::col(("conversations", "contact_id"))
                        .in_subquery(search::contacts_with_words(c.engine(), account, text)),
                );
        if let Ok(n) = text.trim().trim_start_matches('#').parse::<i64>() {
            any = any.add(Expr::col(("conversations", "display_id")).eq(n));
        }
        stmt.cond_where(any);
    }
    if q.unattended {
        stmt.cond_where(
            Cond::any()
                .add(Expr::col(("conversations", "first_reply_created_at")).is_null())
                .add(Expr::col(("conversations", "waiting_since")).is_not_null()),
        );
    }
    if let Some(f) = q.filter {
        stmt.cond_where(filter_sql::condition(f, "conversations", now));
    }
    stmt
}

/// Account, status, inboxes and team: the conditions a conversation row and a
/// `conversation_counts` row share (same column names in both tables).
fn narrow_by_place(
    stmt: &mut SelectStatement,
    table: &'static str,
    account: AccountId,
    q: &ConversationQuery<'_>,
) {
    stmt.and_where(Expr::col((table, "account_id")).eq(account.get()));
    match q.status {
        Some(StatusFilter::One(s)) => {
            stmt.and_where(Expr::col((table, "status")).eq(s.code()));
        }
        // Spam is listed and counted only when asked for by name.
        Some(StatusFilter::All) | None => {
            stmt.and_where(Expr::col((table, "status")).ne(ConversationStatus::Spam.code()));
        }
        Some(StatusFilter::Any) => {}
        Some(StatusFilter::Many(list)) => {
            stmt.and_where(Expr::col((table, "status")).is_in(list.iter().map(|s| s.code())));
        }
    }
    if let Some(inboxes) = q.visible_inboxes {
        stmt.and_where(Expr::col((table, "inbox_id")).is_in(inboxes.iter().map(|i| i.get())));
    }
    if let Some(i) = q.inbox {
        stmt.and_where(Expr::col((table, "inbox_id")).eq(i.get()));
    }
    if let Some(t) = q.team {
        stmt.and_where(Expr::col((table, "team_id")).eq(t.get()));
    }
}

fn narrow_by_assignee(stmt: &mut SelectStatement, q: &ConversationQuery<'_>) {
    let col = || Expr::col(("conversations", "assignee_id"));
    match q.assignee {
        AssigneeFilter::Me => {
            stmt.and_where(col().eq(q.me.map(|u| u.get()).unwrap_or(0)));
        }
        AssigneeFilter::Unassigned => {
            stmt.and_where(col().is_null());
        }
        AssigneeFilter::Assigned => {
            stmt.and_where(col().is_not_null());
        }
        AssigneeFilter::All => {}
    }
}

/// The counts of a list: everything, without assignee, assigned to the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConversationCounts {
    pub all: i64,
    pub unassigned: i64,
    pub mine: i64,
}

impl ConversationCounts {
    pub fn assigned(&self) -> i64 {
        self.all - self.unassigned
    }
}

#[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
struct CountRow {
    all_count: i64,
    unassigned_count: i64,
    mine_count: i64,
}

/// The three counts. Narrowed only by status, inbox and team (the lists agents keep open),
/// they are sums over the trigger-kept `conversation_counts` rows: a few hundred rows however
/// many conversations match. Any other condition (labels, text, filters, contact) counts the
/// matching rows in one pass.
pub async fn count_conversations(
    c: &mut Conn<'_>,
    account: AccountId,
    q: &ConversationQuery<'_>,
    now: Timestamp,
) -> Result<ConversationCounts, StoreError> {
    let me = q.me.map(|u| u.get()).unwrap_or(0);
    let row: CountRow = if q.contact.is_none() && q.contact_inbox.is_none() && !q.may_scan() {
        c.fetch_one(&counters_statement(account, q, me)).await?
    } else {
        let stmt = matching_count_statement(c, account, q, now, me);
        c.scanning().fetch_one(&stmt).await?
    };
    Ok(ConversationCounts {
        all: row.all_count,
        unassigned: row.unassigned_count,
        mine: row.mine_count,
    })
}

/// The counts by one pass over the matching conversations.
fn matching_count_statement(
    c: &Conn<'_>,
    account: AccountId,
    q: &ConversationQuery<'_>,
    now: Timestamp,
    me: i64,
) -> SelectStatement {
    // COUNT of a CASE without ELSE counts the rows where the condition holds; unlike SUM it
    // is a BIGINT on PostgreSQL too.
    let count_when = |cond: Expr| -> Expr { Func::count(Expr::case(cond, Expr::val(1i64))).into() };
    base(c, account, q, now)
        .expr_as(Func::count(Expr::col(("conversations", "id"))), "all_count")
        .expr_as(
            count_when(Expr::col(("conversations", "assignee_id")).is_null()),
            "unassigned_count",
        )
        .expr_as(
            count_when(Expr::col(("conversations", "assignee_id")).eq(me)),
            "mine_count",
        )
        .to_owned()
}

/// The counts summed from the trigger-kept counter rows.
fn counters_statement(account: AccountId, q: &ConversationQuery<'_>, me: i64) -> SelectStatement {
    // SUM is NUMERIC on PostgreSQL: cast back to BIGINT for both engines.
    let sum = |when: &str| {
        Expr::cust(format!(
            "CAST(COALESCE(SUM(CASE WHEN {when} THEN n ELSE 0 END), 0) AS BIGINT)"
        ))
    };
    let mut stmt = Query::select();
    stmt.from("conversation_counts")
        .expr_as(sum("TRUE"), "all_count")
        .expr_as(sum("assignee_id = 0"), "unassigned_count")
        // 0 stands for "unassigned" in the counters; a caller who is no user has no "mine".
        .expr_as(
            sum(&if me > 0 {
                format!("assignee_id = {me}")
            } else {
                "FALSE".to_owned()
            }),
            "mine_count",
        );
    narrow_by_place(&mut stmt, "conversation_counts", account, q);
    stmt
}

/// One page of conversations in the requested order (always ending in a total order).
pub async fn list_conversations(
    c: &mut Conn<'_>,
    account: AccountId,
    q: &ConversationQuery<'_>,
    now: Timestamp,
) -> Result<Vec<Conversation>, StoreError> {
    let mut stmt = base(c, account, q, now);
    for col in &COLUMNS {
        stmt.column(("conversations", *col));
    }
    narrow_by_assignee(&mut stmt, q);
    let col = |name: &'static str| ("conversations", name);
    use ConversationSort as S;
    match q.sort {
        S::LastActivityDesc => {
            stmt.order_by(col("last_activity_at"), Order::Desc)
                .order_by(col("id"), Order::Desc);
        }
        S::LastActivityAsc => {
            stmt.order_by(col("last_activity_at"), Order::Asc)
                .order_by(col("id"), Order::Asc);
        }
        S::CreatedAsc => {
            stmt.order_by(col("created_at"), Order::Asc)
                .order_by(col("id"), Order::Asc);
        }
        S::CreatedDesc => {
            stmt.order_by(col("created_at"), Order::Desc)
                .order_by(col("id"), Order::Desc);
        }
        S::PriorityAsc | S::PriorityDesc => {
            let dir = if q.sort == S::PriorityAsc {
                Order::Asc
            } else {
                Order::Desc
            };
            stmt.order_by_with_nulls(col("priority"), dir, NullOrdering::Last)
                .order_by(col("last_activity_at"), Order::Desc)
                .order_by(col("id"), Order::Desc);
        }
        S::WaitingSinceAsc | S::WaitingSinceDesc => {
            let dir = if q.sort == S::WaitingSinceAsc {
                Order::Asc
            } else {
                Order::Desc
            };
            stmt.order_by_with_nulls(col("waiting_since"), dir, NullOrdering::Last)
                .order_by(col("created_at"), Order::Asc)
                .order_by(col("id"), Order::Asc);
        }
    }
    if let Some(k) = &q.after {
        stmt.cond_where(after_condition(q.sort, k));
    }
    stmt.limit(q.per_page)
        .offset(q.page.saturating_sub(1).saturating_mul(q.per_page));
    if q.may_scan() {
        c.scanning().fetch_all(&stmt).await
    } else {
        c.fetch_all(&stmt).await
    }
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
