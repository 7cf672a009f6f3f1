//! Webhook bodies (§8.3): the webhook forms of conversations (§6.5), messages and contacts,
//! plus `event` and, where upstream sends them, `changed_attributes`.

use confab_app::App;
use confab_app::conversations::{ConversationView, MessageView, Sender};
use confab_app::domain::account::Account;
use confab_app::domain::contact::Contact;
use confab_app::domain::user::User;
use confab_app::outbox::{EventRenderer, Outgoing, Performer, Subject};
use serde_json::{Value, json};

use crate::conversation_views::{self as cv, float_seconds, iso_or_null, unix_or_zero};

/// The renderer the outbox uses.
pub struct WebhookRenderer;

impl EventRenderer for WebhookRenderer {
    fn webhook_body(&self, app: &App, out: &Outgoing<'_>) -> Value {
        let mut body = match &out.subject {
            Subject::Conversation(v) => conversation(app, v),
            Subject::Message {
                message,
                conversation: conv,
            } => message_body(app, out.account, message, conv),
            Subject::Contact(c) => contact(out.account, c),
            Subject::Typing {
                conversation: conv,
                by,
                is_private,
            } => json!({
                "user": match by {
                    Performer::User(u) => user(u),
                    Performer::Contact(c) => contact(out.account, c),
                },
                "conversation": conversation(app, conv),
                "is_private": is_private,
            }),
            Subject::Test(w) => json!({
                "account": account(out.account),
                "webhook": { "id": w.id, "name": w.name, "url": w.url },
                "message": "This is a test event from Confab. A receiver that verifies the signature and answers 2xx is ready.",
            }),
        };
        body["event"] = json!(out.event);
        if let Some(changed) = &out.changed_attributes {
            body["changed_attributes"] = changed.clone();
        }
        body
    }
}

fn account(a: &Account) -> Value {
    json!({ "id": a.id, "name": a.name })
}

/// A user as webhooks name one.
fn user(u: &User) -> Value {
    json!({ "id": u.id, "name": u.name, "email": u.email, "type": "user" })
}

/// A contact's webhook form.
fn contact(a: &Account, c: &Contact) -> Value {
    json!({
        "account": account(a),
        "additional_attributes": c.additional_attributes,
        "avatar": "",
        "custom_attributes": c.custom_attributes,
        "email": c.email,
        "id": c.id,
        "identifier": c.identifier,
        "name": c.name,
        "phone_number": c.phone_number,
        "thumbnail": "",
        "blocked": c.blocked,
    })
}

/// A conversation's webhook (and live-event) form, §6.5.
pub fn conversation(app: &App, v: &ConversationView) -> Value {
    let c = &v.conversation;
    let mut meta = json!({
        "sender": cv::contact_push(&v.contact),
        "assignee": null,
        "assignee_type": null,
        "team": null,
        "hmac_verified": v.contact_inbox.as_ref().map(|ci| ci.hmac_verified),
    });
    if let Some((u, _)) = &v.assignee {
        meta["assignee"] = cv::user_push(u);
        meta["assignee_type"] = json!("User");
    } else if let Some(b) = &v.assignee_bot {
        meta["assignee"] = cv::bot_push(b);
        meta["assignee_type"] = json!("AgentBot");
    }
    if let Some(t) = &v.team {
        meta["team"] = json!({ "id": t.id, "name": t.name });
    }
    let messages: Vec<Value> = v
        .last_non_activity_message
        .iter()
        .filter(|m| !m.message.private)
        .map(|m| cv::message_push(app, m, v))
        .collect();
    json!({
        "additional_attributes": c.additional_attributes,
        "can_reply": v.can_reply,
        "channel": v.inbox.channel_type,
        "contact_inbox": v.contact_inbox.as_ref().map(|ci| json!({
            "id": ci.id,
            "contact_id": ci.contact_id,
            "inbox_id": ci.inbox_id,
            "source_id": ci.source_id,
            "created_at": ci.created_at.to_rails_iso(),
            "updated_at": ci.updated_at.to_rails_iso(),
            "hmac_verified": ci.hmac_verified,
            "pubsub_token": ci.pubsub_token,
        })),
        "id": c.display_id,
        "inbox_id": c.inbox_id,
        "messages": messages,
        "labels": c.labels(),
        "meta": meta,
        "status": c.status.as_str(),
        "custom_attributes": c.custom_attributes,
        "snoozed_until": iso_or_null(c.snoozed_until),
        "unread_count": c.unread_shown(),
        "first_reply_created_at": iso_or_null(c.first_reply_created_at),
        "priority": c.priority().map(|p| p.as_str()),
        "waiting_since": unix_or_zero(c.waiting_since),
        "agent_last_seen_at": unix_or_zero(c.agent_last_seen_at),
        "contact_last_seen_at": unix_or_zero(c.contact_last_seen_at),
        "last_activity_at": c.last_activity_at.unix_seconds(),
        "timestamp": c.last_activity_at.unix_seconds(),
        "created_at": c.created_at.unix_seconds(),
        "updated_at": float_seconds(c.updated_at),
    })
}

/// A message's webhook form (`message_created`, `message_updated`).
fn message_body(app: &App, a: &Account, m: &MessageView, conv: &ConversationView) -> Value {
    let msg = &m.message;
    let mut v = json!({
        "account": account(a),
        "additional_attributes": msg.additional_attributes,
        "content_attributes": msg.content_attributes,
        "content_type": msg.content_type.as_str(),
        "content": msg.content,
        "conversation": conversation(app, conv),
        "created_at": msg.created_at.to_rails_iso(),
        "id": msg.id,
        "inbox": { "id": conv.inbox.id, "name": conv.inbox.name },
        "message_type": msg.message_type.as_str(),
        "private": msg.private,
        "sender": match &m.sender {
            Some(Sender::Contact(c)) => contact(a, c),
            Some(Sender::User(u)) => user(u),
            Some(Sender::AgentBot(b)) => json!({ "id": b.id, "name": b.name, "type": "agent_bot" }),
            None => Value::Null,
        },
        "source_id": msg.source_id,
    });
    if !m.attachments.is_empty() {
        v["attachments"] = m
            .attachments
            .iter()
            .map(|x| cv::attachment(app, x))
            .collect();
    }
    v
}

impl confab_app::live::LiveRenderer for WebhookRenderer {
    /// ActionCable frames (§11): upstream's dotted names and push forms.
    fn live_frame(&self, app: &App, out: &Outgoing<'_>) -> Option<(&'static str, Value)> {
        let name = match out.event {
            "conversation_created" => "conversation.created",
            "conversation_status_changed" => "conversation.status_changed",
            "conversation_updated" => "conversation.updated",
            "assignee_changed" => "assignee.changed",
            "team_changed" => "team.changed",
            "message_created" => "message.created",
            "message_updated" => "message.updated",
            "first_reply_created" => "first.reply.created",
            "conversation_typing_on" => "conversation.typing_on",
            "conversation_typing_off" => "conversation.typing_off",
            "contact_created" => "contact.created",
            "contact_updated" => "contact.updated",
            _ => return None,
        };
        let data = match &out.subject {
            Subject::Conversation(v) => conversation(app, v),
            Subject::Message {
                message,
                conversation: conv,
            } => cv::message_push(app, message, conv),
            Subject::Contact(c) => cv::contact_push(c),
            Subject::Typing {
                conversation: conv,
                by,
                is_private,
            } => json!({
                "conversation": conversation(app, conv),
                "user": match by {
                    Performer::User(u) => cv::user_push(u),
                    Performer::Contact(c) => cv::contact_push(c),
                },
                "is_private": is_private,
            }),
            Subject::Test(_) => return None,
        };
        Some((name, data))
    }
}
