//! Bulk loading for `confab admin seed`: rows the caller generated, written with explicit ids,
//! thousands of rows per statement and one transaction per batch.
//!
//! On SQLite the values are bound to multi-row statements prepared once per batch. PostgreSQL
//! is sent them as SQL literals (numbers, and text with quotes doubled): a statement with 2,000
//! rows would need more bind parameters than it takes. Those statements run as raw SQL, so they
//! do not fill the prepared-statement cache either.

use std::borrow::Cow;
use std::fmt::Write as _;

use confab_domain::AccountId;
use rusqlite::OptionalExtension;
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

/// The message columns the seed writes.
const MESSAGES: &str = "messages (id, account_id, inbox_id, conversation_id, message_type, status, \
     private, content, sender_type, sender_id, created_at, updated_at)";

/// Writes one batch in one transaction.
pub async fn insert_batch<'r>(
    store: &Store,
    account: AccountId,
    batch: &'r SeedBatch,
) -> Result<(), StoreError> {
    let a = Lit::Int(account.get());
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
        |c, v| {
            v.extend([
                Lit::Int(c.id),
                a.clone(),
                Lit::text(&c.name),
                Lit::text(&c.email),
                Lit::text(&c.phone_number),
                Lit::Int(c.last_activity_at),
                Lit::Int(c.created_at),
                Lit::Int(c.created_at),
            ]);
        },
    )
    .await?;
    write_rows(
        &mut conn,
        "contact_inboxes (id, contact_id, inbox_id, source_id, pubsub_token, created_at, updated_at)",
        &batch.contact_inboxes,
        |ci, v| {
            v.extend([
                Lit::Int(ci.id),
                Lit::Int(ci.contact_id),
                Lit::Int(ci.inbox_id),
                Lit::text(&ci.source_id),
                Lit::text(&ci.pubsub_token),
                Lit::Int(ci.created_at),
                Lit::Int(ci.created_at),
            ]);
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
        |c, v| {
            v.extend([
                Lit::Int(c.id),
                a.clone(),
                Lit::Int(c.display_id),
                Lit::text(&c.uuid),
                Lit::Int(c.inbox_id),
                Lit::Int(c.contact_id),
                Lit::Int(c.contact_inbox_id),
                Lit::Int(c.status.into()),
                Lit::opt(c.priority),
                Lit::opt(c.snoozed_until),
                Lit::opt(c.assignee_id),
                Lit::opt(c.team_id),
                Lit::opt(c.agent_last_seen_at),
                Lit::opt(c.first_reply_created_at),
                Lit::opt(c.waiting_since),
                Lit::Int(c.last_activity_at),
                Lit::Int(c.unread_count),
                Lit::opt(c.last_message_id),
                Lit::opt(c.last_non_activity_message_id),
                Lit::text(&c.custom_attributes),
                Lit::Text(Cow::Owned(c.labels.join(","))),
                Lit::Int(c.created_at),
                Lit::Int(c.last_activity_at),
            ]);
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
        |&(conversation, title, at), v| {
            v.extend([
                a.clone(),
                Lit::Int(conversation),
                Lit::text(title),
                Lit::Int(at),
            ]);
        },
    )
    .await?;
    let message_values = |m: &'r MessageRow, v: &mut Vec<Lit<'r>>| {
        v.extend([
            Lit::Int(m.id),
            a.clone(),
            Lit::Int(m.inbox_id),
            Lit::Int(m.conversation_id),
            Lit::Int(m.message_type.into()),
            Lit::Int(m.status.into()),
            Lit::Bool(m.private),
            Lit::text(&m.content),
            Lit::opt(m.sender_type),
            Lit::opt(m.sender_id),
            Lit::Int(m.created_at),
            Lit::Int(m.created_at),
        ]);
    };
    if let Some(c) = conn.sqlite_transaction() {
        messages_then_their_words(c, &batch.messages, message_values)?;
    } else {
        write_rows(&mut conn, MESSAGES, &batch.messages, &message_values).await?;
    }
    write_rows(
        &mut conn,
        "jobs (kind, dedupe_key, payload, run_at, attempts, created_at)",
        &batch.jobs,
        |j, v| {
            v.extend([
                Lit::text(&j.kind),
                Lit::text(&j.dedupe_key),
                Lit::text(&j.payload),
                Lit::Int(j.run_at),
                Lit::Int(0),
                Lit::Int(j.created_at),
            ]);
        },
    )
    .await?;
    tx.commit().await
}

/// Messages on SQLite, indexed for search in one statement afterwards instead of row by row.
///
/// The word index's insert trigger (migration 0014) indexes each searchable message as it is
/// written, and FTS5 writes out what it gathered at the end of every statement: a new segment per
/// statement of 2,000 rows, which its automatic merges then rewrite again and again (a tenth of
/// the loading thread's time, and the trigger's program ran once per row). So triggers are off
/// while this connection writes the batch's messages (nothing else can write between: the
/// batch's transaction holds the writer), and one statement then indexes the batch's
/// searchable messages, under the trigger's condition, written out as one segment.
fn messages_then_their_words<'r>(
    c: &rusqlite::Connection,
    rows: &'r [MessageRow],
    values: impl Fn(&'r MessageRow, &mut Vec<Lit<'r>>),
) -> Result<(), StoreError> {
    let (Some(first), Some(last)) = (
        rows.iter().map(|m| m.id).min(),
        rows.iter().map(|m| m.id).max(),
    ) else {
        return Ok(());
    };
    {
        let _off = TriggersOff::new(c)?;
        bind_rows(c, MESSAGES, rows, values)?;
    }
    // FTS5 writes the words it gathered out as a new segment whenever they pass its `hashsize`;
    // for this statement it keeps the whole batch's (tens of megabytes) and writes them once.
    let hashsize: Option<i64> = c
        .query_row(
            "SELECT v FROM messages_fts_config WHERE k = 'hashsize'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let set_hashsize = |bytes: i64| {
        c.execute(
            "INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', ?1)",
            [bytes],
        )
    };
    set_hashsize(BATCH_WORDS_BYTES)?;
    c.execute(
        &format!(
            "INSERT INTO messages_fts (rowid, content) SELECT id, content FROM messages \
             WHERE id BETWEEN ?1 AND ?2 AND {}",
            crate::search::SEARCHABLE
        ),
        [first, last],
    )?;
    set_hashsize(hashsize.unwrap_or(FTS5_DEFAULT_HASHSIZE))?;
    Ok(())
}

/// FTS5's `hashsize` when none is configured.
const FTS5_DEFAULT_HASHSIZE: i64 = 1024 * 1024;

/// The `hashsize` while a batch's words are indexed: more than a batch gathers.
const BATCH_WORDS_BYTES: i64 = 256 * 1024 * 1024;

/// Triggers off on one connection until dropped (also when the writing in between failed).
struct TriggersOff<'c>(&'c rusqlite::Connection);

impl<'c> TriggersOff<'c> {
    fn new(c: &'c rusqlite::Connection) -> Result<Self, StoreError> {
        use rusqlite::config::DbConfig;
        c.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        Ok(Self(c))
    }
}

impl Drop for TriggersOff<'_> {
    fn drop(&mut self) {
        use rusqlite::config::DbConfig;
        // Fails only on a closed connection or a bad option; neither can happen here.
        if let Err(e) = self
            .0
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, true)
        {
            tracing::error!(error = %e, "cannot turn SQLite triggers back on after a seed batch");
        }
    }
}

/// After the last batch: moves the account's display-id counter and, on PostgreSQL, the identity
/// sequences past the explicit ids; on SQLite merges the word indexes; then refreshes the
/// planner's statistics. On PostgreSQL also vacuums, as one does after a bulk load: the seed's
/// large transactions bump each `conversation_counts` row thousands of times, and none of those
/// row versions can be pruned while its transaction runs (65k dead versions of 306 rows at 100k
/// conversations), which made every `meta` read visit hundreds of pages (2.2 ms instead of 0.12)
/// until autovacuum came by.
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
        // The word indexes are merged into one segment each (a second at a million
        // conversations). Left as the batches wrote them, the message index ended with a merge
        // of large segments under way, which FTS5 carries on a step at a time inside the
        // following writes: live `create_message` answered at half its rate until it was done.
        crate::Engine::Sqlite => {
            store
                .conn()
                .execute_raw(
                    "INSERT INTO messages_fts (messages_fts) VALUES ('optimize'); \
                     INSERT INTO contacts_fts (contacts_fts) VALUES ('optimize'); ANALYZE"
                        .to_owned(),
                )
                .await
        }
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

/// One value of a generated row.
#[derive(Clone)]
enum Lit<'r> {
    Null,
    Int(i64),
    Bool(bool),
    Text(Cow<'r, str>),
}

impl<'r> Lit<'r> {
    fn text(s: &'r str) -> Self {
        Lit::Text(Cow::Borrowed(s))
    }

    fn opt<T: Into<i64>>(v: Option<T>) -> Self {
        v.map_or(Lit::Null, |v| Lit::Int(v.into()))
    }

    /// As an SQL literal: text single-quoted with quotes doubled (standard SQL, as both engines
    /// read it), NUL dropped (PostgreSQL refuses it in text).
    fn render(&self, out: &mut String) {
        match self {
            Lit::Null => out.push_str("NULL"),
            Lit::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Lit::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
            Lit::Text(s) => {
                out.reserve(s.len() + 2);
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
            }
        }
    }
}

impl rusqlite::ToSql for Lit<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Lit::Null => ValueRef::Null,
            Lit::Int(i) => ValueRef::Integer(*i),
            Lit::Bool(b) => ValueRef::Integer((*b).into()),
            Lit::Text(s) => ValueRef::Text(s.as_bytes()),
        }))
    }
}

/// Writes `rows` with multi-row `INSERT INTO <target> VALUES …` statements; `values` appends
/// one row's values, in the order of `target`'s columns.
///
/// On SQLite (always inside the batch's transaction) the values are bound to a statement
/// prepared once per batch: parsing thousands of literal rows, and building and freeing the
/// program that loads them, was a quarter of the loading thread's time. PostgreSQL is sent
/// the rows as literal text (no bind-parameter limit to stay under).
async fn write_rows<'r, T>(
    conn: &mut crate::Conn<'_>,
    target: &str,
    rows: &'r [T],
    values: impl Fn(&'r T, &mut Vec<Lit<'r>>),
) -> Result<(), StoreError> {
    if let Some(c) = conn.sqlite_transaction() {
        return bind_rows(c, target, rows, values);
    }
    let mut row = Vec::new();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::with_capacity(chunk.len() * 160 + target.len() + 32);
        sql.push_str("INSERT INTO ");
        sql.push_str(target);
        sql.push_str(" VALUES ");
        for (i, r) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            row.clear();
            values(r, &mut row);
            sql.push('(');
            for (j, v) in row.iter().enumerate() {
                if j > 0 {
                    sql.push(',');
                }
                v.render(&mut sql);
            }
            sql.push(')');
        }
        conn.execute_raw(sql).await?;
    }
    Ok(())
}

/// SQLite's default limit on a statement's parameters (`SQLITE_MAX_VARIABLE_NUMBER`).
const SQLITE_MAX_PARAMETERS: usize = 32_766;

/// [`write_rows`] on SQLite: statements of as many rows as the parameter limit allows.
fn bind_rows<'r, T>(
    c: &rusqlite::Connection,
    target: &str,
    rows: &'r [T],
    values: impl Fn(&'r T, &mut Vec<Lit<'r>>),
) -> Result<(), StoreError> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let mut row = Vec::new();
    values(first, &mut row);
    let columns = row.len();
    let per_statement = ROWS_PER_STATEMENT.min(SQLITE_MAX_PARAMETERS / columns);
    let sql = |n: usize| {
        let one = format!("({})", vec!["?"; columns].join(","));
        format!("INSERT INTO {target} VALUES {}", vec![one; n].join(","))
    };
    let mut full = None;
    for chunk in rows.chunks(per_statement) {
        let mut tail;
        let stmt = if chunk.len() == per_statement {
            match &mut full {
                Some(s) => s,
                None => full.insert(c.prepare(&sql(per_statement))?),
            }
        } else {
            tail = c.prepare(&sql(chunk.len()))?;
            &mut tail
        };
        let mut index = 1;
        for r in chunk {
            row.clear();
            values(r, &mut row);
            for v in &row {
                stmt.raw_bind_parameter(index, v)?;
                index += 1;
            }
        }
        stmt.raw_execute()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_literals_double_quotes_and_drop_nul() {
        let render = |l: Lit<'_>| {
            let mut s = String::new();
            l.render(&mut s);
            s
        };
        assert_eq!(render(Lit::text("it's")), "'it''s'");
        assert_eq!(render(Lit::text("a\0b")), "'ab'");
        assert_eq!(render(Lit::opt::<i64>(None)), "NULL");
        assert_eq!(render(Lit::opt(Some(3))), "3");
        assert_eq!(render(Lit::Bool(false)), "FALSE");
    }
}
