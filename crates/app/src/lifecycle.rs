//! The conversation lifecycle: who acts, messages with their bookkeeping, events; priority,
//! mute, read state, custom attributes and assignment (status changes are in `status.rs`).
//! Every change is one transaction that also writes its activity message and records its
//! events.

use confab_domain::api_key::KeyScope;
use confab_domain::conversation::{self as conv_rules, Conversation, ConversationStatus, Priority};
use confab_domain::message::{ContentType, Message, MessageStatus, MessageType, SenderType};
use confab_domain::user::User;
use confab_domain::{ConversationId, Timestamp};
use confab_store::contacts::{self, ContactChanges};
use confab_store::conversations::{self, ConversationChanges};
use confab_store::messages::{self, NewMessage};
use confab_store::{Conn, events};
use serde_json::{Value, json};

pub(crate) use crate::acting::Acting;
use crate::conversations::ConversationView;
use crate::error::{AppError, AppResult};
use crate::{App, Scope};

/// The job kind that reopens a snoozed conversation.
pub(crate) const WAKE_JOB: &str = "conversation.wake";

/// The dedupe key of a conversation's wake-up job (one per conversation).
/// What a wake-up job carries (`wake_snoozed` reads it back).
pub(crate) fn wake_payload(id: ConversationId, snoozed_until_micros: i64) -> Value {
    json!({ "conversation_id": id, "snoozed_until": snoozed_until_micros })
}

pub(crate) fn wake_key(id: ConversationId) -> String {
    format!("{WAKE_JOB}:{}", id.get())
}

/// A message to add to a conversation.
#[derive(Debug, Clone)]
pub(crate) struct NewMessageSpec {
    pub message_type: MessageType,
    pub content_type: ContentType,
    pub content: Option<String>,
    pub private: bool,
    pub content_attributes: Value,
    pub additional_attributes: Value,
    pub source_id: Option<String>,
    pub sender: Option<(SenderType, i64)>,
}

impl NewMessageSpec {
    pub fn outgoing(content: String) -> Self {
        Self {
            message_type: MessageType::Outgoing,
            content_type: ContentType::Text,
            content: Some(content),
            private: false,
            content_attributes: json!({}),
            additional_attributes: json!({}),
            source_id: None,
            sender: None,
        }
    }
    pub fn activity(content: String) -> Self {
        Self {
            message_type: MessageType::Activity,
            ..Self::outgoing(content)
        }
    }
}

/// What a new message moves on its conversation whatever its kind: the activity time and the
/// last message (and the last one that is not activity).
pub(crate) fn moved_by(ch: &mut ConversationChanges, msg: &Message, now: Timestamp) {
    ch.last_activity_at = Some(now);
    ch.last_message_id = Some(msg.id);
    if msg.message_type != MessageType::Activity {
        ch.last_non_activity_message_id = Some(msg.id);
    }
}

/// How far ahead a snooze given in Unix seconds may be (ten years; the grammar's phrases have
/// the same limit in the account's calendar).
pub(crate) const MAX_SNOOZE_AHEAD_SECONDS: i64 = 3653 * 86_400;

/// A status change as a client asks for it.
#[derive(Debug, Clone, Default)]
pub struct StatusRequest {
    pub status: Option<String>,
    pub snoozed_until: Option<SnoozeInput>,
    /// Whether a contact's reply wakes the snooze (default true, upstream's behaviour).
    pub wake_on_reply: Option<bool>,
    /// With `spam`: block the contact too.
    pub block_contact: bool,
}

/// A snooze time as sent: a JSON number is Unix seconds; a string goes through the grammar.
#[derive(Debug, Clone, PartialEq)]
pub enum SnoozeInput {
    UnixSeconds(i64),
    Text(String),
}

/// How a status change treats the snooze's reply policy and the contact.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StatusPolicy {
    pub wake_on_reply: bool,
    pub block_contact: bool,
}

impl Default for StatusPolicy {
    fn default() -> Self {
        Self {
            wake_on_reply: true,
            block_contact: false,
        }
    }
}

/// What `toggle_status` answers.
#[derive(Debug, Clone)]
pub struct ToggleOutcome {
    /// `None` in the bot hand-off branch, as upstream.
    pub success: Option<bool>,
    pub display_id: i64,
    pub status: ConversationStatus,
    pub snoozed_until: Option<Timestamp>,
}

pub(crate) fn changed(attr: &str, prev: Value, cur: Value) -> Value {
    json!({ attr: { "previous_value": prev, "current_value": cur } })
}

pub(crate) fn ts_json(t: Option<Timestamp>) -> Value {
    t.map(|t| json!(t.to_rails_iso())).unwrap_or(Value::Null)
}

impl App {
    /// Records a domain event in the outbox of the current transaction.
    pub(crate) async fn record_event(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        name: &str,
        changed_attributes: Value,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<()> {
        let data = json!({
            "display_id": conv.display_id,
            "inbox_id": conv.inbox_id,
            "changed_attributes": changed_attributes,
            "performed_by": acting.json(),
        });
        events::record(c, conv.account_id, name, Some(conv.id), &data, now).await?;
        Ok(())
    }

    /// Adds a message and does the conversation's bookkeeping (§5.3): activity time, last
    /// message, unread count, `waiting_since` and the first reply; records `message_created`.
    pub(crate) async fn add_message_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        spec: NewMessageSpec,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<Message> {
        let msg = self.insert_message_row(c, conv, spec, acting, now).await?;
        let mut ch = ConversationChanges::default();
        moved_by(&mut ch, &msg, now);
        let mut first_reply = false;
        if msg.message_type == MessageType::Incoming {
            ch.increment_unread = true;
            if conv.waiting_since.is_none() {
                ch.waiting_since = Some(Some(now));
            }
            contacts::touch_activity(c, conv.contact_id, now).await?;
        } else if msg.is_human_reply() {
            if conv.first_reply_created_at.is_none() {
                ch.first_reply_created_at = Some(Some(now));
                first_reply = true;
            }
            ch.waiting_since = Some(None);
        }
        // A reply that ends the wait for an agent restarts auto-resolve (a job that found the
        // conversation waiting ended); other activity is found by the job when it runs.
        let wait_ended = conv.waiting_since.is_some() && ch.waiting_since == Some(None);
        conversations::update_conversation(c, conv.id, &ch, now).await?;
        if wait_ended {
            self.schedule_auto_resolve_tx(c, conv, conv.status, now)
                .await?;
        }
        self.record_message_created(c, conv, &msg, acting, now)
            .await?;
        if first_reply {
            let data = json!({ "message_id": msg.id });
            self.record_event(c, conv, "first_reply_created", data, acting, now)
                .await?;
        }
        Ok(msg)
    }

    /// The message's row only: the caller moves the conversation's activity and records
    /// `message_created` ([`Self::record_message_created`]).
    pub(crate) async fn insert_message_row(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        spec: NewMessageSpec,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<Message> {
        let sender = match spec.message_type {
            MessageType::Incoming => Some((SenderType::Contact, conv.contact_id.get())),
            MessageType::Activity => None,
            _ => spec.sender.or_else(|| acting.sender()),
        };
        Ok(messages::insert_message(
            c,
            &NewMessage {
                account: conv.account_id,
                inbox: conv.inbox_id,
                conversation: conv.id,
                message_type: spec.message_type,
                content_type: spec.content_type,
                status: MessageStatus::Sent,
                private: spec.private,
                content: spec.content,
                content_attributes: spec.content_attributes,
                additional_attributes: spec.additional_attributes,
                source_id: spec.source_id,
                sender,
            },
            now,
        )
        .await?)
    }

    /// `message_created` for a message added with [`Self::insert_message_row`].
    pub(crate) async fn record_message_created(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        msg: &Message,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<()> {
        let data = json!({ "message_id": msg.id });
        self.record_event(c, conv, "message_created", data, acting, now)
            .await
    }

    pub(crate) async fn activity_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        text: Option<String>,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<()> {
        if let Some(text) = text {
            self.add_message_tx(c, conv, NewMessageSpec::activity(text), acting, now)
                .await?;
        }
        Ok(())
    }

    /// Sets the assignee (a user, or nobody), with its activity and event.
    pub(crate) async fn set_assignee_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        assignee: Option<&User>,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<()> {
        let new_id = assignee.map(|u| u.id);
        if conv.assignee_id == new_id && conv.assignee_agent_bot_id.is_none() {
            return Ok(());
        }
        let ch = ConversationChanges {
            assignee_id: Some(new_id),
            assignee_agent_bot_id: Some(None),
            ..Default::default()
        };
        conversations::update_conversation(c, conv.id, &ch, now).await?;
        let attrs = changed("assignee_id", json!(conv.assignee_id), json!(new_id));
        self.record_event(c, conv, "assignee_changed", attrs.clone(), acting, now)
            .await?;
        self.record_event(c, conv, "conversation_updated", attrs, acting, now)
            .await?;
        let text = acting.name().map(|who| match assignee {
            Some(u) if acting.user.as_ref().map(|me| me.id) == Some(u.id) => {
                format!("{who} self-assigned this conversation")
            }
            Some(u) => format!("Assigned to {} by {who}", u.name),
            None => format!("Conversation unassigned by {who}"),
        });
        self.activity_tx(c, conv, text, acting, now).await
    }

    /// Sets or clears the priority (`toggle_priority` and `PATCH`), with its activity.
    async fn set_priority(
        &self,
        scope: &Scope,
        display_id: i64,
        priority: Option<&str>,
    ) -> AppResult<Conversation> {
        scope.require_key_scope(KeyScope::ConversationUpdate, "priority")?;
        let wanted = Priority::parse_nullable(priority).map_err(|_| {
            AppError::invalid(
                "priority",
                "must be one of low, medium, high, urgent or null",
            )
        })?;
        let acting = Acting::of(scope);
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        self.set_priority_tx(&mut c, &conv, wanted, &acting, now)
            .await?;
        let conv = conversations::get_conversation(&mut c, conv.id).await?;
        tx.commit().await?;
        Ok(conv)
    }

    /// Sets or clears the priority, with the event and the activity.
    pub(crate) async fn set_priority_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        wanted: Option<Priority>,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<()> {
        if conv.priority() == wanted {
            return Ok(());
        }
        let ch = ConversationChanges {
            priority: Some(wanted.map(Priority::code)),
            ..Default::default()
        };
        conversations::update_conversation(c, conv.id, &ch, now).await?;
        let attrs = changed(
            "priority",
            json!(conv.priority().map(Priority::as_str)),
            json!(wanted.map(Priority::as_str)),
        );
        self.record_event(c, conv, "conversation_updated", attrs, acting, now)
            .await?;
        let text = acting
            .name()
            .and_then(|who| conv_rules::priority_activity(&who, conv.priority(), wanted));
        self.activity_tx(c, conv, text, acting, now).await
    }

    pub async fn toggle_priority(
        &self,
        scope: &Scope,
        display_id: i64,
        priority: Option<&str>,
    ) -> AppResult<()> {
        self.set_priority(scope, display_id, priority).await?;
        Ok(())
    }

    /// `PATCH …/conversations/:id`: only the priority is updatable, as upstream.
    pub async fn update_conversation(
        &self,
        scope: &Scope,
        display_id: i64,
        priority: Option<Option<&str>>,
    ) -> AppResult<ConversationView> {
        let conv = match priority {
            Some(p) => self.set_priority(scope, display_id, p).await?,
            None => {
                // Changes nothing, answers the conversation: a read.
                scope.require_key_scope(KeyScope::ConversationRead, "conversation")?;
                let mut c = self.store().conn();
                self.load_conversation(&mut c, scope, display_id).await?
            }
        };
        let mut c = self.store().conn();
        self.conversation_view(&mut c, scope, conv).await
    }

    /// Mute: block the contact and resolve (`mute!`); unmute unblocks.
    pub async fn set_muted(&self, scope: &Scope, display_id: i64, muted: bool) -> AppResult<()> {
        scope.require_user()?;
        let acting = Acting::of(scope);
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        self.set_muted_tx(&mut c, &conv, muted, &acting, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mutes (blocks the contact and resolves) or unmutes, with the activity.
    pub(crate) async fn set_muted_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        muted: bool,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<()> {
        if muted {
            self.set_status_tx(c, conv, ConversationStatus::Resolved, None, acting, now)
                .await?;
        }
        contacts::update_contact(
            c,
            conv.contact_id,
            &ContactChanges {
                blocked: Some(muted),
                ..Default::default()
            },
            now,
        )
        .await?;
        let who = acting.name().unwrap_or_else(|| "System".to_owned());
        let text = if muted {
            format!("{who} has muted the conversation")
        } else {
            format!("{who} has unmuted the conversation")
        };
        let conv = conversations::get_conversation(c, conv.id).await?;
        self.activity_tx(c, &conv, Some(text), acting, now).await
    }

    /// `update_last_seen`: the agents have read everything (and the assignee, if it is them).
    pub async fn update_last_seen(
        &self,
        scope: &Scope,
        display_id: i64,
    ) -> AppResult<ConversationView> {
        let user = scope.require_user()?.clone();
        let now = self.now();
        let mut c = self.store().conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        let mut ch = ConversationChanges {
            agent_last_seen_at: Some(Some(now)),
            unread_count: Some(0),
            ..Default::default()
        };
        if conv.assignee_id == Some(user.id) {
            ch.assignee_last_seen_at = Some(Some(now));
        }
        conversations::update_conversation(&mut c, conv.id, &ch, now).await?;
        let conv = conversations::get_conversation(&mut c, conv.id).await?;
        self.conversation_view(&mut c, scope, conv).await
    }

    /// `unread`: the last incoming message (and those in its second) become unread again.
    pub async fn mark_unread(&self, scope: &Scope, display_id: i64) -> AppResult<ConversationView> {
        let user = scope.require_user()?.clone();
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        let seen = messages::last_incoming(&mut c, conv.id)
            .await?
            .map(|m| m.created_at.plus_seconds(-1));
        let unread =
            conversations::count_incoming_after(&mut c, conv.id, seen, conv_rules::UNREAD_CAP)
                .await?;
        let mut ch = ConversationChanges {
            agent_last_seen_at: Some(seen),
            unread_count: Some(unread),
            ..Default::default()
        };
        if conv.assignee_id == Some(user.id) {
            ch.assignee_last_seen_at = Some(seen);
        }
        conversations::update_conversation(&mut c, conv.id, &ch, now).await?;
        let conv = conversations::get_conversation(&mut c, conv.id).await?;
        tx.commit().await?;
        let mut c = self.store().conn();
        self.conversation_view(&mut c, scope, conv).await
    }

    /// `custom_attributes`: replaces the whole hash.
    pub async fn set_conversation_custom_attributes(
        &self,
        scope: &Scope,
        display_id: i64,
        attrs: Value,
    ) -> AppResult<Value> {
        scope.require_key_scope(KeyScope::ConversationUpdate, "custom_attributes")?;
        if !attrs.is_object() {
            return Err(AppError::invalid("custom_attributes", "must be an object"));
        }
        let acting = Acting::of(scope);
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        if conv.custom_attributes != attrs {
            let ch = ConversationChanges {
                custom_attributes: Some(attrs.clone()),
                ..Default::default()
            };
            conversations::update_conversation(&mut c, conv.id, &ch, now).await?;
            let diff = changed(
                "custom_attributes",
                conv.custom_attributes.clone(),
                attrs.clone(),
            );
            self.record_event(&mut c, &conv, "conversation_updated", diff, &acting, now)
                .await?;
        }
        tx.commit().await?;
        Ok(attrs)
    }
}
