//! The conversation list: what to list (`ConversationQuery`), the page by offset or keyset, and
//! its three counts, from the trigger-kept counters when they can answer.

use confab_domain::conversation::{
    AssigneeFilter, Conversation, ConversationSort, ConversationStatus, StatusFilter,
};
use confab_domain::filter::Filter;
use confab_domain::{AccountId, ContactId, ContactInboxId, InboxId, TeamId, Timestamp, UserId};
use sea_query::{
    Cond, Expr, ExprTrait, Func, NullOrdering, Order, Query, SelectStatement, WindowStatement,
};

use crate::conversations::add_columns;
use crate::{Conn, StoreError, filter_sql, search};

#[cfg(test)]
mod plans;

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

/// The columns a sort orders by: an optional nullable leading key and whether it ascends (NULLS
/// LAST), then a non-null tie column and whether it ascends, which the id follows. The list's
/// ORDER BY and its keyset condition are both written from this, so they cannot disagree.
struct SortKeys {
    key: Option<(&'static str, bool)>,
    tie: &'static str,
    tie_asc: bool,
}

fn sort_keys(sort: ConversationSort) -> SortKeys {
    use ConversationSort as S;
    let (key, tie, tie_asc) = match sort {
        S::LastActivityDesc => (None, "last_activity_at", false),
        S::LastActivityAsc => (None, "last_activity_at", true),
        S::CreatedAsc => (None, "created_at", true),
        S::CreatedDesc => (None, "created_at", false),
        // No index orders by priority or waiting time: see `may_scan`.
        S::PriorityAsc => (Some(("priority", true)), "last_activity_at", false),
        S::PriorityDesc => (Some(("priority", false)), "last_activity_at", false),
        S::WaitingSinceAsc => (Some(("waiting_since", true)), "created_at", true),
        S::WaitingSinceDesc => (Some(("waiting_since", false)), "created_at", true),
    };
    SortKeys { key, tie, tie_asc }
}

fn order(asc: bool) -> Order {
    if asc { Order::Asc } else { Order::Desc }
}

/// The rows after `k` in `sort` order: the same ORDER BY as the list, NULL keys last.
fn after_condition(sort: ConversationSort, k: &Keyset) -> Cond {
    let col = |name: &'static str| Expr::col(("conversations", name));
    let SortKeys { key, tie, tie_asc } = sort_keys(sort);
    // (tie, id) beyond (k.tie, k.id) in the tie's direction.
    let beyond = || -> Cond {
        let (tie_past, id_past) = if tie_asc {
            (col(tie).gt(k.tie), col("id").gt(k.id))
        } else {
            (col(tie).lt(k.tie), col("id").lt(k.id))
        };
        Cond::any()
            .add(tie_past)
            .add(Cond::all().add(col(tie).eq(k.tie)).add(id_past))
    };
    let Some((key, key_asc)) = key else {
        return beyond();
    };
    // A nullable sort key ordered NULLS LAST, then (tie, id).
    match k.key {
        None => Cond::all().add(col(key).is_null()).add(beyond()),
        Some(v) => Cond::any()
            .add(if key_asc {
                col(key).gt(v)
            } else {
                col(key).lt(v)
            })
            .add(col(key).is_null())
            .add(Cond::all().add(col(key).eq(v)).add(beyond())),
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

    /// The caller's user id for "mine" (0, which no user has, without one).
    fn me_id(&self) -> i64 {
        self.me.map_or(0, |u| u.get())
    }

    /// The `OFFSET` of the page.
    fn offset(&self) -> u64 {
        crate::db::page_offset(self.page, self.per_page)
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
            stmt.and_where(col().eq(q.me_id()));
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
    let me = q.me_id();
    let row: CountRow = if q.contact.is_none() && q.contact_inbox.is_none() && !q.may_scan() {
        c.fetch_one(&counters_statement(account, q, me)).await?
    } else {
        let stmt = matching_count_statement(c, account, q, now, me);
        c.scanning().fetch_one(&stmt).await?
    };
    Ok(ConversationCounts::from(&row))
}

impl From<&CountRow> for ConversationCounts {
    fn from(row: &CountRow) -> Self {
        Self {
            all: row.all_count,
            unassigned: row.unassigned_count,
            mine: row.mine_count,
        }
    }
}

/// The counts by one pass over the matching conversations.
fn matching_count_statement(
    c: &Conn<'_>,
    account: AccountId,
    q: &ConversationQuery<'_>,
    now: Timestamp,
    me: i64,
) -> SelectStatement {
    let mut stmt = base(c, account, q, now);
    add_counts(&mut stmt, me, false);
    stmt
}

/// The columns of a [`CountRow`], in the order [`add_counts`] selects them.
const COUNT_COLUMNS: [&str; 3] = ["all_count", "unassigned_count", "mine_count"];

/// The three counts over the rows `stmt` finds, as `all_count`, `unassigned_count` and
/// `mine_count` (a [`CountRow`]): aggregates, or with `window`, the same counts beside each row.
fn add_counts(stmt: &mut SelectStatement, me: i64, window: bool) {
    // COUNT of a CASE without ELSE counts the rows where the condition holds; unlike SUM it
    // is a BIGINT on PostgreSQL too.
    let count_when = |cond: Expr| -> Expr { Func::count(Expr::case(cond, Expr::val(1i64))).into() };
    let assignee = || Expr::col(("conversations", "assignee_id"));
    let counts: [Expr; 3] = [
        Func::count(Expr::col(("conversations", "id"))).into(),
        count_when(assignee().is_null()),
        count_when(assignee().eq(me)),
    ];
    for (count, alias) in counts.into_iter().zip(COUNT_COLUMNS) {
        if window {
            stmt.expr_window_as(count, WindowStatement::new(), alias);
        } else {
            stmt.expr_as(count, alias);
        }
    }
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
    let stmt = page_statement(c, account, q, now);
    if q.may_scan() {
        c.scanning().fetch_all(&stmt).await
    } else {
        c.fetch_all(&stmt).await
    }
}

/// A row of the page with the counts of the whole list beside it.
#[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
struct CountedRow {
    #[sqlx(flatten)]
    conversation: Conversation,
    #[sqlx(flatten)]
    counts: CountRow,
}

/// A page and the counts of its list ([`list_conversations`] and [`count_conversations`]).
///
/// On SQLite, when the matches are found by testing candidates (`may_scan`: words, labels,
/// filters) and the page's rows are the counts' rows (every assignee, no keyset), one statement
/// finds them once: window counts over every match ride on each row of the page. (Two
/// statements found every match twice: at 100k conversations a search's count and page took 18
/// and 17 ms in the `sqlite3` shell, the one statement 25 ms.) A page past the end has no row to
/// carry them, and the counts are then counted on their own.
pub async fn page_and_counts(
    c: &mut Conn<'_>,
    account: AccountId,
    q: &ConversationQuery<'_>,
    now: Timestamp,
) -> Result<(Vec<Conversation>, ConversationCounts), StoreError> {
    // SQLite only: on PostgreSQL the window statement answered searches at about half the
    // rate of the two statements (alternating runs at 100k: 23-27 against 45-52 req/s).
    let one_statement = c.engine() == crate::Engine::Sqlite
        && q.may_scan()
        && q.assignee == AssigneeFilter::All
        && q.after.is_none();
    if !one_statement {
        let counts = count_conversations(c, account, q, now).await?;
        let page = list_conversations(c, account, q, now).await?;
        return Ok((page, counts));
    }
    let me = q.me_id();
    // The window runs over the matches' ids and sort keys only: SQLite keeps every row of a
    // window in memory until the last, and whole conversations (76k matches of a word at 1M)
    // took tens of megabytes per search. The page's 25 rows are then read by id.
    let mut matches = base(c, account, q, now);
    matches.column(("conversations", "id"));
    add_counts(&mut matches, me, true);
    order_as_listed(&mut matches, q.sort);
    matches.limit(q.per_page).offset(q.offset());
    let mut stmt = Query::select();
    add_columns(&mut stmt);
    for col in COUNT_COLUMNS {
        stmt.column(("page", col));
    }
    stmt.from_subquery(matches, "page").inner_join(
        "conversations",
        Expr::col(("conversations", "id")).equals(("page", "id")),
    );
    order_as_listed(&mut stmt, q.sort);
    let rows: Vec<CountedRow> = c.scanning().fetch_all(&stmt).await?;
    let counts = match rows.first() {
        Some(r) => ConversationCounts::from(&r.counts),
        None if q.page <= 1 => ConversationCounts::default(),
        None => count_conversations(c, account, q, now).await?,
    };
    Ok((rows.into_iter().map(|r| r.conversation).collect(), counts))
}

/// The page's statement: its columns, conditions, order and window.
fn page_statement(
    c: &Conn<'_>,
    account: AccountId,
    q: &ConversationQuery<'_>,
    now: Timestamp,
) -> SelectStatement {
    let mut stmt = base(c, account, q, now);
    add_columns(&mut stmt);
    narrow_by_assignee(&mut stmt, q);
    order_as_listed(&mut stmt, q.sort);
    if let Some(k) = &q.after {
        stmt.cond_where(after_condition(q.sort, k));
    }
    stmt.limit(q.per_page).offset(q.offset());
    stmt
}

/// The list's order (always ending in a total order) on `conversations`.
fn order_as_listed(stmt: &mut SelectStatement, sort: ConversationSort) {
    let col = |name: &'static str| ("conversations", name);
    let SortKeys { key, tie, tie_asc } = sort_keys(sort);
    if let Some((key, asc)) = key {
        stmt.order_by_with_nulls(col(key), order(asc), NullOrdering::Last);
    }
    stmt.order_by(col(tie), order(tie_asc))
        .order_by(col("id"), order(tie_asc));
}
