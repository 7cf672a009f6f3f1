//! Messages and their attachments.

use confab_domain::message::{
    Attachment, ContentType, FileType, Message, MessageStatus, MessageType, SenderType,
};
use confab_domain::{AccountId, ConversationId, InboxId, MessageId, Timestamp};
use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::{Conn, StoreError, search};

const COLUMNS: [&str; 17] = [
    "id",
    "account_id",
    "inbox_id",
    "conversation_id",
    "message_type",
    "content_type",
    "status",
    "private",
    "content",
    "content_attributes",
    "additional_attributes",
    "external_source_ids",
    "source_id",
    "sender_type",
    "sender_id",
    "created_at",
    "updated_at",
];

const ATTACHMENT_COLUMNS: [&str; 13] = [
    "id",
    "account_id",
    "conversation_id",
    "message_id",
    "file_type",
    "file_name",
    "extension",
    "mime_type",
    "file_size",
    "storage_key",
    "width",
    "height",
    "created_at",
];

fn select() -> SelectStatement {
    let mut stmt = Query::select();
    for col in COLUMNS {
        stmt.column(("messages", col));
    }
    stmt.from("messages");
    stmt
}

/// A new message.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub account: AccountId,
    pub inbox: InboxId,
    pub conversation: ConversationId,
    pub message_type: MessageType,
    pub content_type: ContentType,
    pub status: MessageStatus,
    pub private: bool,
    pub content: Option<String>,
    pub content_attributes: Value,
    pub additional_attributes: Value,
    pub source_id: Option<String>,
    pub sender: Option<(SenderType, i64)>,
}

pub async fn insert_message(
    c: &mut Conn<'_>,
    n: &NewMessage,
    now: Timestamp,
) -> Result<Message, StoreError> {
    let mut stmt = insert_into(
        "messages",
        vec![
            ("account_id", n.account.get().into()),
            ("inbox_id", n.inbox.get().into()),
            ("conversation_id", n.conversation.get().into()),
            ("message_type", n.message_type.code().into()),
            ("content_type", n.content_type.code().into()),
            ("status", n.status.code().into()),
            ("private", n.private.into()),
            ("content", n.content.clone().into()),
            ("content_attributes", json(&n.content_attributes)),
            ("additional_attributes", json(&n.additional_attributes)),
            (
                "external_source_ids",
                json(&Value::Object(Default::default())),
            ),
            ("source_id", n.source_id.clone().into()),
            ("sender_type", n.sender.map(|(t, _)| t.code()).into()),
            ("sender_id", n.sender.map(|(_, id)| id).into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    // The stored row in the same statement (defaults included), not read again.
    stmt.returning(Query::returning().columns(COLUMNS));
    c.fetch_one(&stmt).await
}

pub async fn get_message(c: &mut Conn<'_>, id: MessageId) -> Result<Message, StoreError> {
    let stmt = select()
        .and_where(Expr::col(("messages", "id")).eq(id.get()))
        .to_owned();
    c.fetch_one(&stmt).await
}

/// A message of a conversation.
pub async fn find_message(
    c: &mut Conn<'_>,
    conversation: ConversationId,
    id: MessageId,
) -> Result<Option<Message>, StoreError> {
    let stmt = select()
        .and_where(Expr::col(("messages", "id")).eq(id.get()))
        .and_where(Expr::col(("messages", "conversation_id")).eq(conversation.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// Messages by id.
pub async fn list_by_ids(c: &mut Conn<'_>, ids: &[MessageId]) -> Result<Vec<Message>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = select()
        .and_where(Expr::col(("messages", "id")).is_in(ids.iter().map(|i| i.get())))
        .order_by(("messages", "id"), Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// A window of a conversation's messages, returned oldest first (Chatwoot's MessageFinder):
/// `before` is an exclusive upper id bound, `after` a lower one (exclusive alone, inclusive
/// with `before`); `limit` rows are taken from the `after` end when it is given, else the newest;
/// `public_only` hides private notes and activity.
#[derive(Debug, Clone, Copy, Default)]
pub struct MessageWindow {
    pub before: Option<MessageId>,
    pub after: Option<MessageId>,
    pub limit: u64,
    pub public_only: bool,
}

pub async fn list_messages(
    c: &mut Conn<'_>,
    conversation: ConversationId,
    w: &MessageWindow,
) -> Result<Vec<Message>, StoreError> {
    let mut stmt = select();
    stmt.and_where(Expr::col(("messages", "conversation_id")).eq(conversation.get()));
    if let Some(b) = w.before {
        stmt.and_where(Expr::col(("messages", "id")).lt(b.get()));
    }
    // MessageFinder: `after` alone is exclusive; with `before` the range is [after, before).
    if let Some(a) = w.after {
        if w.before.is_some() {
            stmt.and_where(Expr::col(("messages", "id")).gte(a.get()));
        } else {
            stmt.and_where(Expr::col(("messages", "id")).gt(a.get()));
        }
    }
    if w.public_only {
        stmt.and_where(Expr::col(("messages", "private")).eq(false))
            .and_where(Expr::col(("messages", "message_type")).ne(MessageType::Activity.code()));
    }
    // With `after`, rows are read forward from it (the oldest first); otherwise the newest.
    let forward = w.after.is_some();
    stmt.order_by(
        ("messages", "id"),
        if forward { Order::Asc } else { Order::Desc },
    )
    .limit(w.limit);
    let mut rows: Vec<Message> = c.fetch_all(&stmt).await?;
    if !forward {
        rows.reverse();
    }
    Ok(rows)
}

/// The newest `per_conversation` public messages (no private notes, no activity) of each of
/// some conversations, oldest first: what the customer side shows inside a conversation.
pub async fn public_messages_of(
    c: &mut Conn<'_>,
    conversations: &[ConversationId],
    per_conversation: u64,
) -> Result<Vec<Message>, StoreError> {
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    let ranked = Query::select()
        .column("id")
        .expr_as(
            Expr::cust("ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY id DESC)"),
            "rn",
        )
        .from("messages")
        .and_where(Expr::col("conversation_id").is_in(conversations.iter().map(|i| i.get())))
        .and_where(Expr::col("private").eq(false))
        .and_where(Expr::col("message_type").ne(MessageType::Activity.code()))
        .to_owned();
    let newest = Query::select()
        .column("id")
        .from_subquery(ranked, "ranked")
        .and_where(Expr::col("rn").lte(per_conversation))
        .to_owned();
    let stmt = select()
        .and_where(Expr::col(("messages", "id")).in_subquery(newest))
        .order_by(("messages", "id"), Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Marks the messages a contact has now seen as read: those sent to them (not incoming) up to
/// `upto` that are still `sent` or `delivered`. Returns their ids.
pub async fn mark_read_upto(
    c: &mut Conn<'_>,
    conversation: ConversationId,
    upto: Timestamp,
    now: Timestamp,
) -> Result<Vec<MessageId>, StoreError> {
    let pending = [MessageStatus::Sent.code(), MessageStatus::Delivered.code()];
    let stmt = Query::update()
        .table("messages")
        .value("status", MessageStatus::Read.code())
        .value("updated_at", now.as_micros())
        .and_where(Expr::col("conversation_id").eq(conversation.get()))
        .and_where(Expr::col("message_type").ne(MessageType::Incoming.code()))
        .and_where(Expr::col("status").is_in(pending))
        .and_where(Expr::col("created_at").lte(upto.as_micros()))
        .returning_col("id")
        .to_owned();
    let mut ids: Vec<(i64,)> = c.fetch_all(&stmt).await?;
    ids.sort_unstable();
    Ok(ids.into_iter().map(|(i,)| MessageId(i)).collect())
}

/// The first message of a content type in a conversation (its CSAT survey).
pub async fn first_of_content_type(
    c: &mut Conn<'_>,
    conversation: ConversationId,
    content_type: ContentType,
) -> Result<Option<Message>, StoreError> {
    let stmt = select()
        .and_where(Expr::col(("messages", "conversation_id")).eq(conversation.get()))
        .and_where(content_type_is(content_type))
        .order_by(("messages", "id"), Order::Asc)
        .limit(1)
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// How many messages a conversation received since `since` (the flood guard).
pub async fn count_since(
    c: &mut Conn<'_>,
    conversation: ConversationId,
    since: Timestamp,
) -> Result<i64, StoreError> {
    let stmt = Query::select()
        .expr(Func::count(Expr::col("id")))
        .from("messages")
        .and_where(Expr::col("conversation_id").eq(conversation.get()))
        .and_where(Expr::col("created_at").gte(since.as_micros()))
        .to_owned();
    Ok(c.fetch_scalar::<i64>(&stmt).await?.unwrap_or(0))
}

/// The newest incoming message of a conversation.
pub async fn last_incoming(
    c: &mut Conn<'_>,
    conversation: ConversationId,
) -> Result<Option<Message>, StoreError> {
    let stmt = select()
        .and_where(Expr::col(("messages", "conversation_id")).eq(conversation.get()))
        .and_where(Expr::col(("messages", "message_type")).eq(MessageType::Incoming.code()))
        .order_by(("messages", "id"), Order::Desc)
        .limit(1)
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// Messages of some conversations whose content matches a search (newest first).
pub async fn matching_in(
    c: &mut Conn<'_>,
    conversations: &[ConversationId],
    q: &str,
    per_conversation_cap: u64,
) -> Result<Vec<Message>, StoreError> {
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    let engine = c.engine();
    let stmt = select()
        .and_where(
            Expr::col(("messages", "conversation_id")).is_in(conversations.iter().map(|i| i.get())),
        )
        .and_where(search::message_matches(engine, q))
        .order_by(("messages", "id"), Order::Desc)
        .limit(per_conversation_cap.saturating_mul(conversations.len() as u64))
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Changes to a message.
#[derive(Debug, Clone, Default)]
pub struct MessageChanges {
    pub content: Option<Option<String>>,
    pub content_type: Option<ContentType>,
    pub status: Option<MessageStatus>,
    pub content_attributes: Option<Value>,
}

pub async fn update_message(
    c: &mut Conn<'_>,
    id: MessageId,
    ch: &MessageChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("content", ch.content.clone())
        .opt("content_type", ch.content_type.map(ContentType::code))
        .opt("status", ch.status.map(MessageStatus::code))
        .opt_json("content_attributes", ch.content_attributes.as_ref());
    c.execute(&changes.update("messages", id.get(), now))
        .await?;
    Ok(())
}

/// A new attachment (the file is already stored under `storage_key`).
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub account: AccountId,
    pub conversation: ConversationId,
    pub message: MessageId,
    pub file_type: FileType,
    pub file_name: String,
    pub extension: Option<String>,
    pub mime_type: String,
    pub file_size: i64,
    pub storage_key: String,
}

pub async fn insert_attachment(
    c: &mut Conn<'_>,
    n: &NewAttachment,
    now: Timestamp,
) -> Result<(), StoreError> {
    let stmt = insert_into(
        "attachments",
        vec![
            ("account_id", n.account.get().into()),
            ("conversation_id", n.conversation.get().into()),
            ("message_id", n.message.get().into()),
            ("file_type", n.file_type.code().into()),
            ("file_name", n.file_name.clone().into()),
            ("extension", n.extension.clone().into()),
            ("mime_type", n.mime_type.clone().into()),
            ("file_size", n.file_size.into()),
            ("storage_key", n.storage_key.clone().into()),
            ("created_at", now.as_micros().into()),
        ],
    )?;
    c.execute(&stmt).await?;
    Ok(())
}

fn select_attachments() -> SelectStatement {
    let mut stmt = Query::select();
    for col in ATTACHMENT_COLUMNS {
        stmt.column(("attachments", col));
    }
    stmt.from("attachments");
    stmt
}

/// The attachments of some messages (one query for a page of messages).
pub async fn attachments_of(
    c: &mut Conn<'_>,
    messages: &[MessageId],
) -> Result<Vec<Attachment>, StoreError> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = select_attachments()
        .and_where(Expr::col(("attachments", "message_id")).is_in(messages.iter().map(|m| m.get())))
        .order_by(("attachments", "id"), Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// One page of a conversation's attachments, newest first, and their total.
pub async fn conversation_attachments(
    c: &mut Conn<'_>,
    conversation: ConversationId,
    page: u64,
    per_page: u64,
) -> Result<(Vec<Attachment>, i64), StoreError> {
    let count = Query::select()
        .expr(Func::count(Expr::col("id")))
        .from("attachments")
        .and_where(Expr::col("conversation_id").eq(conversation.get()))
        .to_owned();
    let total = c.fetch_scalar::<i64>(&count).await?.unwrap_or(0);
    let stmt = select_attachments()
        .and_where(Expr::col(("attachments", "conversation_id")).eq(conversation.get()))
        .order_by(("attachments", "id"), Order::Desc)
        .limit(per_page)
        .offset(crate::db::page_offset(page, per_page))
        .to_owned();
    Ok((c.fetch_all(&stmt).await?, total))
}

/// An attachment by its storage key (serving files).
pub async fn find_attachment_by_key(
    c: &mut Conn<'_>,
    key: &str,
) -> Result<Option<Attachment>, StoreError> {
    let stmt = select_attachments()
        .and_where(Expr::col(("attachments", "storage_key")).eq(key))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// Deletes a message's attachments and returns their storage keys (to remove the files).
pub async fn delete_attachments_of(
    c: &mut Conn<'_>,
    message: MessageId,
) -> Result<Vec<String>, StoreError> {
    let found = attachments_of(c, &[message]).await?;
    let stmt = Query::delete()
        .from_table("attachments")
        .and_where(Expr::col("message_id").eq(message.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(found.into_iter().map(|a| a.storage_key).collect())
}

/// The storage keys of every attachment of a conversation (before deleting it).
pub async fn storage_keys_of_conversation(
    c: &mut Conn<'_>,
    conversation: ConversationId,
) -> Result<Vec<String>, StoreError> {
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct KeyRow {
        storage_key: String,
    }
    let stmt = Query::select()
        .column("storage_key")
        .from("attachments")
        .and_where(Expr::col("conversation_id").eq(conversation.get()))
        .to_owned();
    Ok(c.fetch_all::<KeyRow>(&stmt)
        .await?
        .into_iter()
        .map(|r| r.storage_key)
        .collect())
}

/// The newest incoming message time per conversation (the reply-window check).
pub async fn last_incoming_times(
    c: &mut Conn<'_>,
    conversations: &[ConversationId],
) -> Result<Vec<(ConversationId, Timestamp)>, StoreError> {
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct Row {
        conversation_id: ConversationId,
        last_at: Timestamp,
    }
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .column("conversation_id")
        .expr_as(Func::max(Expr::col("created_at")), "last_at")
        .from("messages")
        .and_where(Expr::col("conversation_id").is_in(conversations.iter().map(|i| i.get())))
        .and_where(Expr::col("message_type").eq(MessageType::Incoming.code()))
        .group_by_col("conversation_id")
        .to_owned();
    Ok(c.fetch_all::<Row>(&stmt)
        .await?
        .into_iter()
        .map(|r| (r.conversation_id, r.last_at))
        .collect())
}

/// The content of each conversation's first incoming or outgoing message that is not a private
/// note (what a subject is derived from), for some conversations.
pub async fn first_contents(
    c: &mut Conn<'_>,
    conversations: &[ConversationId],
) -> Result<Vec<(ConversationId, Option<String>)>, StoreError> {
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct Row {
        conversation_id: ConversationId,
        content: Option<String>,
    }
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    let firsts = Query::select()
        .expr(Func::min(Expr::col("id")))
        .from("messages")
        .and_where(Expr::col("conversation_id").is_in(conversations.iter().map(|i| i.get())))
        .and_where(
            Expr::col("message_type")
                .is_in([MessageType::Incoming.code(), MessageType::Outgoing.code()]),
        )
        .and_where(Expr::col("private").eq(false))
        .group_by_col("conversation_id")
        .to_owned();
    let stmt = Query::select()
        .columns(["conversation_id", "content"])
        .from("messages")
        .and_where(Expr::col("id").in_subquery(firsts))
        .to_owned();
    Ok(c.fetch_all::<Row>(&stmt)
        .await?
        .into_iter()
        .map(|r| (r.conversation_id, r.content))
        .collect())
}

/// `messages.content_type = <code>` written as a literal, so both engines can prove a partial
/// index on the content type (the CSAT ones) applies; a bound parameter would not.
pub(crate) fn content_type_is(ct: ContentType) -> sea_query::Expr {
    Expr::cust(format!("messages.content_type = {}", ct.code()))
}
