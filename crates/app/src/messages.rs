//! Messages of a conversation: list with `before`/`after` paging, create (outgoing, notes,
//! incoming on API inboxes, with attachments), status update and soft delete.

use std::collections::HashMap;

use confab_domain::api_key::KeyScope;
use confab_domain::conversation::{
    self as conv_rules, ActorKind, Conversation, ConversationStatus,
};
use confab_domain::message::{
    self as msg_rules, ContentType, MessageStatus, MessageType, SenderType,
};
use confab_domain::{AgentBotId, ConversationId, MessageId};
use confab_store::messages::{self, MessageChanges, MessageWindow};
use confab_store::{agent_bots, contacts};
use serde_json::{Value, json};

use crate::attachments::{StoredUpload, Upload};
use crate::conversations::{ConversationView, MessageView};
use crate::error::{AppError, AppResult};
use crate::lifecycle::{Acting, NewMessageSpec};
use crate::{App, Scope};

/// Messages per page (`before`, or none); `after` reads up to 100 forward, both up to 1000.
pub const MESSAGES_PER_PAGE: u64 = 20;

/// A new message as a client sends it.
#[derive(Debug, Clone, Default)]
pub struct MessageInput {
    pub content: Option<String>,
    pub message_type: Option<String>,
    pub private: Option<bool>,
    pub content_type: Option<String>,
    pub content_attributes: Option<Value>,
    pub echo_id: Option<String>,
    pub source_id: Option<String>,
    pub template_params: Option<Value>,
    pub sender_type: Option<String>,
    pub sender_id: Option<i64>,
    pub attachments: Vec<Upload>,
}

/// A conversation's messages and the conversation they belong to.
#[derive(Debug, Clone)]
pub struct MessageList {
    pub conversation: ConversationView,
    pub messages: Vec<MessageView>,
}

/// What every new message must be: text within the length limit, not blank unless it carries
/// files or is not plain text, at most 15 files.
pub(crate) fn check_new_message(
    content: Option<&str>,
    attachments: usize,
    content_type: ContentType,
) -> AppResult<()> {
    if content.is_some_and(|s| s.chars().count() > msg_rules::MAX_CONTENT_CHARS) {
        return Err(AppError::invalid(
            "content",
            "is too long (maximum is 150000 characters)",
        ));
    }
    if content.map(str::trim).unwrap_or("").is_empty()
        && attachments == 0
        && content_type == ContentType::Text
    {
        return Err(AppError::invalid("content", "can't be blank"));
    }
    if attachments > msg_rules::MAX_ATTACHMENTS {
        return Err(AppError::invalid(
            "attachments",
            "are too many (maximum is 15 per message)",
        ));
    }
    Ok(())
}

/// Refuses a message to a conversation that already had its per-minute share.
pub(crate) async fn flood_guard(
    c: &mut confab_store::Conn<'_>,
    conversation: ConversationId,
    now: confab_domain::Timestamp,
) -> AppResult<()> {
    let recent = messages::count_since(c, conversation, now.plus_seconds(-60)).await?;
    if recent >= msg_rules::MESSAGES_PER_MINUTE {
        return Err(AppError::Unprocessable("Too many messages".into()));
    }
    Ok(())
}

impl App {
    /// `GET …/messages` (Chatwoot's MessageFinder).
    pub async fn list_messages(
        &self,
        scope: &Scope,
        display_id: i64,
        before: Option<i64>,
        after: Option<i64>,
    ) -> AppResult<MessageList> {
        scope.require_user_or_key(KeyScope::ConversationRead, "conversation")?;
        let mut c = self.store().conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        let limit = match (before, after) {
            (Some(_), Some(_)) => 1000,
            (None, Some(_)) => 100,
            _ => MESSAGES_PER_PAGE,
        };
        let window = MessageWindow {
            before: before.map(MessageId),
            after: after.map(MessageId),
            limit,
            public_only: false,
        };
        let list = messages::list_messages(&mut c, conv.id, &window).await?;
        let ids = HashMap::from([(conv.id, conv.display_id)]);
        let views = self.message_views(&mut c, list, &ids).await?;
        let conversation = self.conversation_view(&mut c, scope, conv).await?;
        Ok(MessageList {
            conversation,
            messages: views,
        })
    }

    /// `POST …/messages` (`Messages::MessageBuilder` and what a new message does, §5.2–5.3).
    pub async fn create_message(
        &self,
        scope: &Scope,
        display_id: i64,
        input: MessageInput,
    ) -> AppResult<MessageView> {
        scope.require_key_scope(KeyScope::MessageCreate, "content")?;
        let message_type = match input.message_type.as_deref().map(str::trim) {
            None | Some("") => MessageType::Outgoing,
            Some(t) => MessageType::parse(t)
                .or_else(|| t.parse::<i16>().ok().and_then(MessageType::try_from_code))
                .ok_or_else(|| {
                    AppError::Unprocessable(format!("'{t}' is not a valid message_type"))
                })?,
        };
        let content_type = match input.content_type.as_deref().map(str::trim) {
            None | Some("") => ContentType::Text,
            Some(t) => ContentType::parse(t).ok_or_else(|| {
                AppError::Unprocessable(format!("'{t}' is not a valid content_type"))
            })?,
        };
        let content = input.content.clone().filter(|s| !s.is_empty());
        check_new_message(content.as_deref(), input.attachments.len(), content_type)?;
        let content_attributes = match input.content_attributes.clone() {
            None | Some(Value::Null) => json!({}),
            Some(Value::String(s)) if s.trim().is_empty() => json!({}),
            Some(Value::String(s)) => serde_json::from_str::<Value>(&s)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| AppError::invalid("content_attributes", "must be an object"))?,
            Some(v @ Value::Object(_)) => v,
            Some(_) => return Err(AppError::invalid("content_attributes", "must be an object")),
        };
        let acting = Acting::of(scope);
        let now = self.now();
        // Files are written before the transaction and removed again if it fails.
        let stored = self.store_uploads(&input.attachments).await?;
        let written: AppResult<(Conversation, MessageId)> = async {
            let mut tx = self.store().begin().await?;
            let mut c = tx.conn();
            let conv = self.load_conversation(&mut c, scope, display_id).await?;
            flood_guard(&mut c, conv.id, now).await?;
            let sender = match (input.sender_type.as_deref(), input.sender_id) {
                (Some("AgentBot"), Some(_)) if scope.service_key().is_some() => {
                    return Err(AppError::invalid(
                        "sender_type",
                        "an API key posts in its own name, not a bot's",
                    ));
                }
                (Some("AgentBot"), Some(id)) if message_type != MessageType::Incoming => {
                    let bot = agent_bots::find_agent_bot(&mut c, AgentBotId(id))
                        .await?
                        .filter(|b| b.account_id.is_none() || b.account_id == Some(conv.account_id))
                        .ok_or_else(|| {
                            AppError::invalid("sender_id", "is not an agent bot of this account")
                        })?;
                    Some((SenderType::AgentBot, bot.id.get()))
                }
                _ => None,
            };
            let mut additional = json!({});
            if let Some(tp) = &input.template_params {
                additional["template_params"] = tp.clone();
            }
            let spec = NewMessageSpec {
                message_type,
                content_type,
                content,
                private: input.private.unwrap_or(false),
                content_attributes,
                additional_attributes: additional,
                source_id: input.source_id.clone().filter(|s| !s.is_empty()),
                sender,
            };
            let msg = self
                .add_message_tx(&mut c, &conv, spec, &acting, now)
                .await?;
            self.attach_stored(&mut c, &conv, msg.id, &stored, now)
                .await?;
            if message_type == MessageType::Incoming {
                self.reopen_on_incoming(&mut c, &conv, &acting, now).await?;
            }
            tx.commit().await?;
            Ok((conv, msg.id))
        }
        .await;
        self.written_message_view(written, &stored, input.echo_id.clone())
            .await
    }

    /// The answer to a new message: its view, read after the commit so the writer is not held
    /// for it. When the transaction failed, the files stored for the message are removed.
    pub(crate) async fn written_message_view(
        &self,
        written: AppResult<(Conversation, MessageId)>,
        stored: &[StoredUpload],
        echo_id: Option<String>,
    ) -> AppResult<MessageView> {
        let (conv, id) = match written {
            Ok(w) => w,
            Err(e) => {
                self.remove_stored(stored).await;
                return Err(e);
            }
        };
        let mut c = self.store().conn();
        let mut view = self.message_view(&mut c, &conv, id).await?;
        view.echo_id = echo_id;
        Ok(view)
    }

    /// One message of a conversation, read again, with its sender and attachments.
    pub(crate) async fn message_view(
        &self,
        c: &mut confab_store::Conn<'_>,
        conv: &confab_domain::conversation::Conversation,
        id: MessageId,
    ) -> AppResult<MessageView> {
        let msg = messages::get_message(c, id).await?;
        let ids = HashMap::from([(conv.id, conv.display_id)]);
        self.message_views(c, vec![msg], &ids)
            .await?
            .pop()
            .ok_or(AppError::NotFound)
    }

    /// An incoming message reopens a snoozed or resolved conversation (§4.2), unless the
    /// contact is blocked or the snooze was set not to wake on a reply; a bot inbox takes a
    /// resolved one back to pending; spam stays spam.
    ///
    /// `conv` is the conversation as the transaction loaded it before adding the message: a
    /// message changes neither its status nor its snooze.
    pub(crate) async fn reopen_on_incoming(
        &self,
        c: &mut confab_store::Conn<'_>,
        conv: &Conversation,
        acting: &Acting,
        now: confab_domain::Timestamp,
    ) -> AppResult<()> {
        let contact = contacts::get_contact(c, conv.account_id, conv.contact_id).await?;
        let has_bot = agent_bots::inbox_has_bot(c, conv.inbox_id).await?;
        let Some(to) = conv_rules::reopen_on_incoming(
            conv.status,
            conv.snooze_wake_on_reply,
            contact.blocked,
            has_bot,
        ) else {
            return Ok(());
        };
        // Resolved conversations reopen in the contact's name; a snoozed one names the agent
        // who posted the incoming message, and nobody when the contact wrote it.
        let who = if conv.status == ConversationStatus::Resolved {
            Acting {
                kind: ActorKind::ContactMessage,
                ..acting.clone()
            }
        } else if acting.user.is_some() {
            acting.clone()
        } else {
            Acting::system()
        };
        self.set_status_tx(c, conv, to, None, &who, now).await?;
        Ok(())
    }

    /// Sets a message's delivery status, with `external_error` when it failed (removed for any
    /// other status), and records `message_updated`. Shared by the integration's report and the
    /// outbox's outcome of an inbox `webhook_url` delivery.
    #[expect(
        clippy::too_many_arguments,
        reason = "the transaction's context, then the change"
    )]
    pub(crate) async fn set_message_status_tx(
        &self,
        c: &mut confab_store::Conn<'_>,
        conv: &confab_domain::conversation::Conversation,
        msg: &confab_domain::message::Message,
        to: MessageStatus,
        external_error: Option<&str>,
        acting: &Acting,
        now: confab_domain::Timestamp,
    ) -> AppResult<()> {
        let mut attrs = msg.content_attributes.clone();
        if !attrs.is_object() {
            attrs = json!({});
        }
        if let Some(obj) = attrs.as_object_mut() {
            match (to, external_error) {
                (MessageStatus::Failed, Some(err)) => {
                    obj.insert("external_error".into(), json!(err));
                }
                _ => {
                    obj.remove("external_error");
                }
            }
        }
        let ch = MessageChanges {
            status: Some(to),
            content_attributes: Some(attrs),
            ..Default::default()
        };
        self.update_message_tx(c, conv, msg.id, &ch, acting, now)
            .await
    }

    /// Changes a message and records `message_updated`.
    pub(crate) async fn update_message_tx(
        &self,
        c: &mut confab_store::Conn<'_>,
        conv: &confab_domain::conversation::Conversation,
        id: MessageId,
        ch: &MessageChanges,
        acting: &Acting,
        now: confab_domain::Timestamp,
    ) -> AppResult<()> {
        messages::update_message(c, id, ch, now).await?;
        self.record_event(
            c,
            conv,
            "message_updated",
            json!({ "message_id": id }),
            acting,
            now,
        )
        .await
    }

    /// `PATCH …/messages/:id`: delivery status reported by an API-inbox integration.
    pub async fn update_message_status(
        &self,
        scope: &Scope,
        display_id: i64,
        id: MessageId,
        status: Option<&str>,
        external_error: Option<String>,
    ) -> AppResult<MessageView> {
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        let msg = messages::find_message(&mut c, conv.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        // Unknown values are ignored and `read → delivered` is refused, as upstream.
        if let Some(to) = status.and_then(MessageStatus::parse)
            && msg.status.may_become(to)
        {
            let acting = Acting::of(scope);
            self.set_message_status_tx(
                &mut c,
                &conv,
                &msg,
                to,
                external_error.as_deref(),
                &acting,
                now,
            )
            .await?;
        }
        let view = self.message_view(&mut c, &conv, msg.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// `DELETE …/messages/:id`: keeps the row, blanks it and removes its files.
    pub async fn delete_message(
        &self,
        scope: &Scope,
        display_id: i64,
        id: MessageId,
    ) -> AppResult<MessageView> {
        scope.require_user()?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        let msg = messages::find_message(&mut c, conv.id, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let ch = MessageChanges {
            content: Some(Some(msg_rules::DELETED_CONTENT.into())),
            content_type: Some(ContentType::Text),
            content_attributes: Some(json!({ "deleted": true })),
            ..Default::default()
        };
        let keys = messages::delete_attachments_of(&mut c, msg.id).await?;
        self.update_message_tx(&mut c, &conv, msg.id, &ch, &Acting::of(scope), now)
            .await?;
        let view = self.message_view(&mut c, &conv, msg.id).await?;
        tx.commit().await?;
        self.remove_files(&keys).await;
        Ok(view)
    }
}
