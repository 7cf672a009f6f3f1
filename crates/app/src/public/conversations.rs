//! A customer's conversations and messages: list, open, show, resolve, typing, last seen;
//! read, write and answer messages. Every change runs through the same lifecycle as the agent
//! side (reopening, unread counts, `waiting_since`, events in the outbox).

use std::collections::HashMap;

use confab_domain::contact::Contact;
use confab_domain::conversation::{self as conv_rules, Conversation, ConversationStatus};
use confab_domain::message::{ContentType, MessageType};
use confab_domain::{ConversationId, MessageId};
use confab_store::conversations::{self, NewConversation};
use confab_store::messages::{self, MessageWindow};
use confab_store::{Conn, agent_bots};
use serde_json::{Value, json};

use super::Customer;
use crate::attachments::Upload;
use crate::conversations::MessageView;
use crate::error::{AppError, AppResult};
use crate::lifecycle::{Acting, NewMessageSpec};
use crate::messages::{MESSAGES_PER_PAGE, check_new_message, flood_guard};
use crate::{App, secrets};

/// New conversations one contact identity may open per window (upstream's widget limit).
pub const NEW_CONVERSATIONS_PER_WINDOW: i64 = 6;
/// The window of that limit: 12 hours.
pub const NEW_CONVERSATIONS_WINDOW_SECS: i64 = 12 * 3600;

/// The customer's list shows at most this many conversations (the newest); upstream has no
/// bound, and each one carries all its messages.
pub const CUSTOMER_CONVERSATIONS_LIMIT: u64 = 100;

/// A conversation shown to the customer carries its newest public messages, at most this many
/// (upstream: all; older ones page through `…/messages?before=`).
pub const EMBEDDED_MESSAGES: u64 = 100;

/// A conversation as the customer sees it: its public messages and its contact.
#[derive(Debug, Clone)]
pub struct CustomerConversation {
    pub conversation: Conversation,
    pub contact: Contact,
    pub messages: Vec<MessageView>,
}

/// A message a customer sends.
#[derive(Debug, Clone, Default)]
pub struct CustomerMessage {
    pub content: Option<String>,
    pub echo_id: Option<String>,
    pub attachments: Vec<Upload>,
}

impl App {
    /// The customer of the credentials and one of their conversations by display id; anyone
    /// else's is 404.
    async fn customer_conversation(
        &self,
        c: &mut Conn<'_>,
        inbox_identifier: &str,
        source_id: &str,
        display_id: i64,
    ) -> AppResult<(Customer, Conversation)> {
        let customer = self.customer(c, inbox_identifier, source_id).await?;
        let conv = conversations::find_by_display_id(c, customer.inbox.account_id, display_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if customer.scope().covers(&conv) {
            Ok((customer, conv))
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Conversations with their public messages and contact, in a fixed number of queries.
    async fn customer_views(
        &self,
        c: &mut Conn<'_>,
        contact: &Contact,
        list: Vec<Conversation>,
    ) -> AppResult<Vec<CustomerConversation>> {
        let ids: Vec<ConversationId> = list.iter().map(|c| c.id).collect();
        let display: HashMap<ConversationId, i64> =
            list.iter().map(|c| (c.id, c.display_id)).collect();
        let msgs = messages::public_messages_of(c, &ids, EMBEDDED_MESSAGES).await?;
        let mut by_conv: HashMap<ConversationId, Vec<MessageView>> = HashMap::new();
        for view in self.message_views(c, msgs, &display).await? {
            by_conv
                .entry(view.message.conversation_id)
                .or_default()
                .push(view);
        }
        Ok(list
            .into_iter()
            .map(|conversation| CustomerConversation {
                messages: by_conv.remove(&conversation.id).unwrap_or_default(),
                contact: contact.clone(),
                conversation,
            })
            .collect())
    }

    async fn customer_view(
        &self,
        c: &mut Conn<'_>,
        contact: &Contact,
        conv: Conversation,
    ) -> AppResult<CustomerConversation> {
        self.customer_views(c, contact, vec![conv])
            .await?
            .pop()
            .ok_or(AppError::NotFound)
    }

    /// `GET …/contacts/:source_id/conversations`: the newest 100, oldest first.
    pub async fn public_conversations(
        &self,
        inbox_identifier: &str,
        source_id: &str,
    ) -> AppResult<Vec<CustomerConversation>> {
        let mut c = self.store().conn();
        let customer = self.customer(&mut c, inbox_identifier, source_id).await?;
        let list =
            conversations::list_of_customer(&mut c, customer.scope(), CUSTOMER_CONVERSATIONS_LIMIT)
                .await?;
        self.customer_views(&mut c, &customer.contact, list).await
    }

    /// Whether the customer may reach this conversation (404 if not): checked before a
    /// message body with files is read.
    pub async fn public_conversation_exists(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        display_id: i64,
    ) -> AppResult<()> {
        let mut c = self.store().conn();
        self.customer_conversation(&mut c, inbox_identifier, source_id, display_id)
            .await
            .map(|_| ())
    }

    /// `GET …/conversations/:id`.
    pub async fn public_conversation(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        display_id: i64,
    ) -> AppResult<CustomerConversation> {
        let mut c = self.store().conn();
        let (customer, conv) = self
            .customer_conversation(&mut c, inbox_identifier, source_id, display_id)
            .await?;
        self.customer_view(&mut c, &customer.contact, conv).await
    }

    /// `POST …/conversations` (`ConversationBuilder`): open (pending with a bot, resolved for
    /// a blocked contact), no first message; an inbox locked to one conversation answers the
    /// existing one. At most 6 new conversations per identity in 12 hours.
    pub async fn public_create_conversation(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        custom_attributes: Option<Value>,
    ) -> AppResult<CustomerConversation> {
        if custom_attributes.as_ref().is_some_and(|v| !v.is_object()) {
            return Err(AppError::invalid("custom_attributes", "must be an object"));
        }
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let customer = self.customer(&mut c, inbox_identifier, source_id).await?;
        let ci = customer.contact_inbox.id;
        if customer.inbox.lock_to_single_conversation
            && let Some(existing) = conversations::last_of_contact_inbox(&mut c, ci).await?
        {
            let view = self
                .customer_view(&mut c, &customer.contact, existing)
                .await?;
            tx.commit().await?;
            return Ok(view);
        }
        // The identity's row is locked first (PostgreSQL), so two concurrent creations count
        // each other.
        confab_store::contacts::lock_contact_inbox(&mut c, ci).await?;
        let (recent, oldest) = conversations::created_since(
            &mut c,
            ci,
            now.plus_seconds(-NEW_CONVERSATIONS_WINDOW_SECS),
        )
        .await?;
        if recent >= NEW_CONVERSATIONS_PER_WINDOW {
            let frees_at = oldest
                .unwrap_or(now)
                .plus_seconds(NEW_CONVERSATIONS_WINDOW_SECS);
            return Err(AppError::RateLimited {
                message: format!(
                    "Too many new conversations: at most {NEW_CONVERSATIONS_PER_WINDOW} in 12 hours"
                ),
                retry_after: (frees_at.unix_seconds() - now.unix_seconds()).max(1),
            });
        }
        let has_bot = agent_bots::inbox_has_bot(&mut c, customer.inbox.id).await?;
        let status = conv_rules::initial_status(None, customer.contact.blocked, has_bot);
        let conv = conversations::insert_conversation(
            &mut c,
            &NewConversation {
                account: customer.inbox.account_id,
                uuid: secrets::random_uuid(),
                inbox: customer.inbox.id,
                contact: customer.contact.id,
                contact_inbox: Some(ci),
                status,
                snoozed_until: None,
                assignee: None,
                team: None,
                additional_attributes: json!({}),
                custom_attributes: custom_attributes.unwrap_or_else(|| json!({})),
            },
            now,
        )
        .await?;
        self.schedule_auto_resolve_tx(&mut c, &conv, status, now)
            .await?;
        let acting = Acting::contact(&customer.contact);
        self.record_event(
            &mut c,
            &conv,
            "conversation_created",
            Value::Null,
            &acting,
            now,
        )
        .await?;
        let view = self.customer_view(&mut c, &customer.contact, conv).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// `POST …/conversations/:id/toggle_status`: the customer can only resolve.
    pub async fn public_resolve(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        display_id: i64,
    ) -> AppResult<CustomerConversation> {
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let (customer, conv) = self
            .customer_conversation(&mut c, inbox_identifier, source_id, display_id)
            .await?;
        // Spam is the agents' verdict: the contact cannot move it.
        if !matches!(
            conv.status,
            ConversationStatus::Resolved | ConversationStatus::Spam
        ) {
            let acting = Acting::contact(&customer.contact);
            self.set_status_tx(
                &mut c,
                &conv,
                ConversationStatus::Resolved,
                None,
                &acting,
                now,
            )
            .await?;
        }
        let conv = conversations::get_conversation(&mut c, conv.id).await?;
        let view = self.customer_view(&mut c, &customer.contact, conv).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// `POST …/conversations/:id/toggle_typing` with `typing_status` `on`, `off` or
    /// `recording`: recorded as an event for live listeners and webhooks; nothing is stored.
    pub async fn public_typing(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        display_id: i64,
        typing_status: Option<&str>,
    ) -> AppResult<()> {
        let event = typing_event(typing_status)?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let (customer, conv) = self
            .customer_conversation(&mut c, inbox_identifier, source_id, display_id)
            .await?;
        let acting = Acting::contact(&customer.contact);
        self.record_event(&mut c, &conv, event, Value::Null, &acting, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `POST …/conversations/:id/update_last_seen`: the contact has seen the conversation now;
    /// what was sent to them until now becomes `read`.
    pub async fn public_update_last_seen(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        display_id: i64,
    ) -> AppResult<()> {
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let (customer, conv) = self
            .customer_conversation(&mut c, inbox_identifier, source_id, display_id)
            .await?;
        let ch = conversations::ConversationChanges {
            contact_last_seen_at: Some(Some(now)),
            ..Default::default()
        };
        conversations::update_conversation(&mut c, conv.id, &ch, now).await?;
        let acting = Acting::contact(&customer.contact);
        for id in messages::mark_read_upto(&mut c, conv.id, now, now).await? {
            let data = json!({ "message_id": id });
            self.record_event(&mut c, &conv, "message_updated", data, &acting, now)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// `GET …/conversations/:id/messages[?before=]`: the newest 20 public messages (before the
    /// given id), oldest first.
    pub async fn public_messages(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        display_id: i64,
        before: Option<i64>,
    ) -> AppResult<Vec<MessageView>> {
        let mut c = self.store().conn();
        let (_, conv) = self
            .customer_conversation(&mut c, inbox_identifier, source_id, display_id)
            .await?;
        let window = MessageWindow {
            before: before.map(MessageId),
            after: None,
            limit: MESSAGES_PER_PAGE,
            public_only: true,
        };
        let list = messages::list_messages(&mut c, conv.id, &window).await?;
        let ids = HashMap::from([(conv.id, conv.display_id)]);
        self.message_views(&mut c, list, &ids).await
    }

    /// `POST …/conversations/:id/messages`: an incoming message from the contact, with files.
    /// It reopens a resolved or snoozed conversation, counts as unread and sets `waiting_since`.
    pub async fn public_create_message(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        display_id: i64,
        input: CustomerMessage,
    ) -> AppResult<MessageView> {
        let content = input.content.clone().filter(|s| !s.is_empty());
        check_new_message(
            content.as_deref(),
            input.attachments.len(),
            ContentType::Text,
        )?;
        let now = self.now();
        let stored = self.store_uploads(&input.attachments).await?;
        let written = async {
            let mut tx = self.store().begin().await?;
            let mut c = tx.conn();
            let (customer, conv) = self
                .customer_conversation(&mut c, inbox_identifier, source_id, display_id)
                .await?;
            flood_guard(&mut c, conv.id, now).await?;
            let acting = Acting::contact(&customer.contact);
            let spec = NewMessageSpec {
                message_type: MessageType::Incoming,
                content,
                ..NewMessageSpec::outgoing(String::new())
            };
            let msg = self
                .add_message_tx(&mut c, &conv, spec, &acting, now)
                .await?;
            self.attach_stored(&mut c, &conv, msg.id, &stored, now)
                .await?;
            self.reopen_on_incoming(&mut c, &conv, &acting, now).await?;
            tx.commit().await?;
            Ok((conv, msg.id))
        }
        .await;
        self.written_message_view(written, &stored, input.echo_id.clone())
            .await
    }

    /// `PATCH …/messages/:id`: the contact submits the values of an interactive message (a
    /// form, options, or the CSAT survey, which records the rating).
    pub async fn public_update_message(
        &self,
        inbox_identifier: &str,
        source_id: &str,
        display_id: i64,
        id: MessageId,
        submitted_values: Option<Value>,
    ) -> AppResult<MessageView> {
        let submitted = submitted_values
            .ok_or_else(|| AppError::invalid("submitted_values", "can't be blank"))?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let (customer, conv) = self
            .customer_conversation(&mut c, inbox_identifier, source_id, display_id)
            .await?;
        let msg = messages::find_message(&mut c, conv.id, id)
            .await?
            .filter(|m| !m.private && m.message_type != MessageType::Activity)
            .ok_or(AppError::NotFound)?;
        let acting = Acting::contact(&customer.contact);
        self.submit_values_tx(&mut c, &conv, &msg, submitted, &acting, now)
            .await?;
        let view = self.message_view(&mut c, &conv, msg.id).await?;
        tx.commit().await?;
        Ok(view)
    }
}

/// The event of a `typing_status`.
pub(crate) fn typing_event(typing_status: Option<&str>) -> AppResult<&'static str> {
    match typing_status.map(str::trim) {
        Some("on") => Ok("conversation_typing_on"),
        Some("off") => Ok("conversation_typing_off"),
        Some("recording") => Ok("conversation_recording"),
        _ => Err(AppError::invalid(
            "typing_status",
            "must be one of on, off, recording",
        )),
    }
}
