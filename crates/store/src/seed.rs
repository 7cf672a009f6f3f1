//! Bulk loading for `confab admin seed`: rows the caller generated, written with explicit ids,
//! thousands of rows per statement and one transaction per batch.
//!
//! Values are rendered as SQL literals (numbers, and text with quotes doubled), because a
//! statement with 2,000 rows would otherwise need more bind parameters than either engine takes;
//! the statements run as raw SQL, so they do not fill the prepared-statement cache either.

use std::fmt::Write as _;

use confab_domain::AccountId;
use sea_query::ExprTrait;

use crate::{Store, StoreError};

/// Rows per `INSERT` statement.
const ROWS_PER_STATEMENT: usize = 2_000;

/// SQLite page cache of the loading connection, in KiB.
const SEED_CACHE_KIB: u32 = 512 * 1024;

/// The first free id of each table, so generated rows can refer to each other before insertion.
#[derive(Debug, Clone, Copy)]
pub struct IdBase {
    pub contact: i64,
    pub contact_inbox: i64,
    pub conversation: i64,
    pub message: i64,
    /// The account's next conversation `display_id`.
    pub display_id: i64,
}

#[derive(Debug, Clone)]
pub struct ContactRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub phone_number: String,
    pub created_at: i64,
    pub last_activity_at: i64,
}

#[derive(Debug, Clone)]
pub struct ContactInboxRow {
    pub id: i64,
    pub contact_id: i64,
    pub inbox_id: i64,
    pub source_id: String,
    pub pubsub_token: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct ConversationRow {
    pub id: i64,
    pub display_id: i64,
    pub uuid: String,
    pub inbox_id: i64,
    pub contact_id: i64,
    pub contact_inbox_id: i64,
    pub status: i16,
    pub priority: Option<i16>,
    pub snoozed_until: Option<i64>,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub agent_last_seen_at: Option<i64>,
    pub first_reply_created_at: Option<i64>,
    pub waiting_since: Option<i64>,
    pub last_activity_at: i64,
    pub unread_count: i64,
    pub last_message_id: Option<i64>,
    pub last_non_activity_message_id: Option<i64>,
    /// A JSON object, as text.
    pub custom_attributes: String,
    pub labels: Vec<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct MessageRow {
    pub id: i64,
    pub conversation_id: i64,
    pub inbox_id: i64,
    pub message_type: i16,
    pub status: i16,
    pub private: bool,
    pub content: String,
    pub sender_type: Option<i16>,
    pub sender_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct JobRow {
    pub kind: String,
    pub dedupe_key: String,
    /// A JSON object, as text.
    pub payload: String,
    pub run_at: i64,
    pub created_at: i64,
}

/// Rows written together in one transaction.
#[derive(Debug, Default)]
pub struct SeedBatch {
    pub contacts: Vec<ContactRow>,
    pub contact_inboxes: Vec<ContactInboxRow>,
    pub conversations: Vec<ConversationRow>,
    pub messages: Vec<MessageRow>,
    pub jobs: Vec<JobRow>,
}

/// The next free ids, and the account's next display id.
pub async fn id_base(store: &Store, account: AccountId) -> Result<IdBase, StoreError> {
    async fn next(store: &Store, table: &'static str) -> Result<i64, StoreError> {
        let stmt = sea_query::Query::select()
            .expr(sea_query::Func::max(sea_query::Expr::col("id")))
            .from(table)
            .to_owned();
        Ok(store
            .conn()
            .fetch_scalar::<Option<i64>>(&stmt)
            .await?
            .flatten()
            .unwrap_or(0)
            + 1)
    }
    let display = sea_query::Query::select()
        .column("last_display_id")
        .from("account_display_ids")
        .and_where(sea_query::Expr::col("account_id").eq(account.get()))
        .to_owned();
    Ok(IdBase {
        contact: next(store, "contacts").await?,
        contact_inbox: next(store, "contact_inboxes").await?,
        conversation: next(store, "conversations").await?,
        message: next(store, "messages").await?,
        display_id: store
            .conn()
            .fetch_scalar::<i64>(&display)
            .await?
            .unwrap_or(0)
            + 1,
    })
}

/// Writes one batch in one transaction.
pub async fn insert_batch(
    store: &Store,
    account: AccountId,
    batch: &SeedBatch,
) -> Result<(), StoreError> {
    let a = account.get();
    let mut tx = store.begin().await?;
    let mut conn = tx.conn();
    if store.engine() == crate::Engine::Sqlite {
        // Index pages of a bulk load are touched all over; keep them in memory (this connection
        // only, and the `seed` command exits afterwards).
        conn.execute_raw(format!(
            "PRAGMA cache_size = -{SEED_CACHE_KIB}; PRAGMA mmap_size = 8589934592"
        ))
        .await?;
    }
    write_rows(
        &mut conn,
        "contacts (id, account_id, name, email, phone_number, last_activity_at, created_at, updated_at)",
        &batch.contacts,
        |s, c| {
            let _ = write!(
                s,
                "({},{a},{},{},{},{},{},{})",
                c.id,
                text(&c.name),
                text(&c.email),
                text(&c.phone_number),
                c.last_activity_at,
                c.created_at,
                c.created_at
            );
        },
    )
    .await?;
    write_rows(
        &mut conn,
        "contact_inboxes (id, contact_id, inbox_id, source_id, pubsub_token, created_at, updated_at)",
        &batch.contact_inboxes,
        |s, ci| {
            let _ = write!(
                s,
                "({},{},{},{},{},{},{})",
                ci.id,
                ci.contact_id,
                ci.inbox_id,
                text(&ci.source_id),
                text(&ci.pubsub_token),
                ci.created_at,
                ci.created_at
            );
        },
    )
    .await?;
    write_rows(
        &mut conn,
        "conversations (id, account_id, display_id, uuid, inbox_id, contact_id, contact_inbox_id, \
         status, priority, snoozed_until, assignee_id, team_id, agent_last_seen_at, \
         first_reply_created_at, waiting_since, last_activity_at, unread_count, last_message_id, \
         last_non_activity_message_id, custom_attributes, cached_label_list, created_at, updated_at)",
        &batch.conversations,
        |s, c| {
            let _ = write!(
                s,
                "({},{a},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{})",
                c.id,
                c.display_id,
                text(&c.uuid),
                c.inbox_id,
                c.contact_id,
                c.contact_inbox_id,
                c.status,
                opt(c.priority),
                opt(c.snoozed_until),
                opt(c.assignee_id),
                opt(c.team_id),
                opt(c.agent_last_seen_at),
                opt(c.first_reply_created_at),
                opt(c.waiting_since),
                c.last_activity_at,
                c.unread_count,
                opt(c.last_message_id),
                opt(c.last_non_activity_message_id),
                text(&c.custom_attributes),
                text(&c.labels.join(",")),
                c.created_at,
                c.last_activity_at
            );
        },
    )
    .await?;
    let taggings: Vec<(i64, &str, i64)> = batch
        .conversations
        .iter()
        .flat_map(|c| c.labels.iter().map(|l| (c.id, l.as_str(), c.created_at)))
        .collect();
    write_rows(
        &mut conn,
        "conversation_labels (account_id, conversation_id, title, created_at)",
        &taggings,
        |s, (conversation, title, at)| {
            let _ = write!(s, "({a},{conversation},{},{at})", text(title));
        },
    )
    .await?;
    write_rows(
        &mut conn,
        "messages (id, account_id, inbox_id, conversation_id, message_type, status, private, \
         content, sender_type, sender_id, created_at, updated_at)",
        &batch.messages,
        |s, m| {
            let _ = write!(
                s,
                "({},{a},{},{},{},{},{},{},{},{},{},{})",
                m.id,
                m.inbox_id,
                m.conversation_id,
                m.message_type,
                m.status,
                if m.private { "TRUE" } else { "FALSE" },
                text(&m.content),
                opt(m.sender_type),
                opt(m.sender_id),
                m.created_at,
                m.created_at
            );
        },
    )
    .await?;
    write_rows(
        &mut conn,
        "jobs (kind, dedupe_key, payload, run_at, attempts, created_at)",
        &batch.jobs,
        |s, j| {
            let _ = write!(
                s,
                "({},{},{},{},0,{})",
                text(&j.kind),
                text(&j.dedupe_key),
                text(&j.payload),
                j.run_at,
                j.created_at
            );
        },
    )
    .await?;
    tx.commit().await
}

/// After the last batch: moves the account's display-id counter and, on PostgreSQL, the identity
/// sequences past the explicit ids; then refreshes the planner's statistics. On PostgreSQL also
/// vacuums, as one does after a bulk load: the seed's large transactions bump each
/// `conversation_counts` row thousands of times, and none of those row versions can be pruned
/// while its transaction runs (65k dead versions of 306 rows at 100k conversations), which made
/// every `meta` read visit hundreds of pages (2.2 ms instead of 0.12) until autovacuum came by.
pub async fn finish(
    store: &Store,
    account: AccountId,
    last_display_id: i64,
) -> Result<(), StoreError> {
    let mut stmt = crate::db::insert_into(
        "account_display_ids",
        vec![
            ("account_id", account.get().into()),
            ("last_display_id", last_display_id.into()),
        ],
    )?;
    stmt.on_conflict(
        sea_query::OnConflict::column("account_id")
            .update_column("last_display_id")
            .action_and_where(
                sea_query::Expr::col(("account_display_ids", "last_display_id"))
                    .lt(last_display_id),
            )
            .to_owned(),
    );
    store.conn().execute(&stmt).await?;
    match store.engine() {
        crate::Engine::Sqlite => store.conn().execute_raw("ANALYZE".to_owned()).await,
        crate::Engine::Postgres => {
            let mut sql = String::new();
            for t in [
                "contacts",
                "contact_inboxes",
                "conversations",
                "conversation_labels",
                "messages",
            ] {
                let _ = write!(
                    sql,
                    "SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {t}));"
                );
            }
            store.conn().execute_raw(sql).await?;
            // Its own statement: VACUUM cannot run inside the implicit transaction of a
            // multi-statement query.
            store
                .conn()
                .execute_raw("VACUUM (ANALYZE)".to_owned())
                .await
        }
    }
}

/// Renders `rows` into `INSERT INTO <target> VALUES …` statements of [`ROWS_PER_STATEMENT`] rows.
async fn write_rows<T>(
    conn: &mut crate::Conn<'_>,
    target: &str,
    rows: &[T],
    render: impl Fn(&mut String, &T),
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::with_capacity(chunk.len() * 160 + target.len() + 32);
        sql.push_str("INSERT INTO ");
        sql.push_str(target);
        sql.push_str(" VALUES ");
        for (i, row) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            render(&mut sql, row);
        }
        conn.execute_raw(sql).await?;
    }
    Ok(())
}

/// A text literal: single-quoted, quotes doubled (standard SQL, as both engines read it).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for ch in s.chars() {
        if ch == '\'' {
            out.push('\'');
        }
        if ch != '\0' {
            out.push(ch);
        }
    }
    out.push('\'');
    out
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_literals_double_quotes_and_drop_nul() {
        assert_eq!(text("it's"), "'it''s'");
        assert_eq!(text("a\0b"), "'ab'");
        assert_eq!(opt::<i64>(None), "NULL");
        assert_eq!(opt(Some(3)), "3");
    }
}
