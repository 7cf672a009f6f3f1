//! Chatwoot's JSON shapes of conversations and messages (§6.1–6.6).

use confab_app::App;
use confab_app::conversations::{ConversationView, MessageView, Sender};
use confab_app::domain::Timestamp;
use confab_app::domain::agent_bot::AgentBot;
use confab_app::domain::contact::Contact;
use confab_app::domain::message::Attachment;
use confab_app::domain::team::Team;
use confab_app::domain::user::User;
use confab_app::lifecycle::ToggleOutcome;
use serde_json::{Value, json};

use crate::views;

/// A Unix timestamp, 0 when absent (how Chatwoot renders most conversation times).
pub(crate) fn unix_or_zero(t: Option<Timestamp>) -> i64 {
    t.map(Timestamp::unix_seconds).unwrap_or(0)
}

pub(crate) fn iso_or_null(t: Option<Timestamp>) -> Value {
    t.map(|t| json!(t.to_rails_iso())).unwrap_or(Value::Null)
}

/// Epoch seconds with the fraction (`updated_at` of a conversation).
pub(crate) fn float_seconds(t: Timestamp) -> f64 {
    t.as_micros() as f64 / 1_000_000.0
}

/// A sender in push form (§6.6).
pub fn sender(s: &Sender) -> Value {
    match s {
        Sender::Contact(c) => contact_push(c),
        Sender::User(u) => user_push(u),
        Sender::AgentBot(b) => bot_push(b),
    }
}

/// A contact in push form.
pub(crate) fn contact_push(c: &Contact) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "phone_number": c.phone_number,
        "identifier": c.identifier,
        "thumbnail": "",
        "additional_attributes": c.additional_attributes,
        "custom_attributes": c.custom_attributes,
        "blocked": c.blocked,
        "type": "contact",
    })
}

/// A user in push form.
pub(crate) fn user_push(u: &User) -> Value {
    json!({
        "id": u.id,
        "name": u.name,
        "available_name": u.available_name(),
        "avatar_url": "",
        "type": "user",
        "availability_status": "offline",
        "thumbnail": "",
    })
}

/// An agent bot in push form.
pub(crate) fn bot_push(b: &AgentBot) -> Value {
    json!({
        "id": b.id,
        "name": b.name,
        "avatar_url": "",
        "type": "agent_bot",
    })
}

/// An attachment of a message.
pub fn attachment(app: &App, a: &Attachment) -> Value {
    let url = app.attachment_url(a);
    json!({
        "id": a.id,
        "message_id": a.message_id,
        "file_type": a.file_type.as_str(),
        "account_id": a.account_id,
        "extension": a.extension,
        "data_url": url,
        "thumb_url": if a.file_type.as_str() == "image" { json!(url) } else { json!("") },
        "file_size": a.file_size,
        "width": a.width,
        "height": a.height,
    })
}

/// A message in REST form (§6.6a).
pub fn message(app: &App, m: &MessageView) -> Value {
    let msg = &m.message;
    let mut v = json!({
        "id": msg.id,
        "content": msg.content,
        "inbox_id": msg.inbox_id,
        "conversation_id": m.display_id,
        "message_type": msg.message_type.code(),
        "content_type": msg.content_type.as_str(),
        "status": msg.status.as_str(),
        "content_attributes": msg.content_attributes,
        "created_at": msg.created_at.unix_seconds(),
        "private": msg.private,
        "source_id": msg.source_id,
    });
    if let Some(e) = &m.echo_id {
        v["echo_id"] = json!(e);
    }
    if let Some(s) = &m.sender {
        v["sender"] = sender(s);
    }
    if !m.attachments.is_empty() {
        v["attachments"] = m.attachments.iter().map(|a| attachment(app, a)).collect();
    }
    v
}

/// A message in push form (inside conversations; §6.6b).
pub fn message_push(app: &App, m: &MessageView, conv: &ConversationView) -> Value {
    let msg = &m.message;
    let c = &conv.conversation;
    let mut v = json!({
        "id": msg.id,
        "content": msg.content,
        "account_id": msg.account_id,
        "inbox_id": msg.inbox_id,
        "conversation_id": m.display_id,
        "message_type": msg.message_type.code(),
        "content_type": msg.content_type.as_str(),
        "status": msg.status.as_str(),
        "private": msg.private,
        "source_id": msg.source_id,
        "content_attributes": msg.content_attributes,
        "additional_attributes": msg.additional_attributes,
        "external_source_ids": msg.external_source_ids,
        "processed_message_content": msg.content,
        "sentiment": {},
        "sender_type": msg.sender_type().map(|s| s.as_str()),
        "sender_id": msg.sender_id,
        "created_at": msg.created_at.unix_seconds(),
        "updated_at": msg.updated_at.to_rails_iso(),
        "conversation": {
            "assignee_id": c.assignee_id,
            "unread_count": c.unread_shown(),
            "last_activity_at": c.last_activity_at.unix_seconds(),
            "contact_inbox": { "source_id": conv.contact_inbox.as_ref().map(|ci| ci.source_id.clone()) },
        },
    });
    if let Some(s) = &m.sender {
        v["sender"] = sender(s);
    }
    if !m.attachments.is_empty() {
        v["attachments"] = m.attachments.iter().map(|a| attachment(app, a)).collect();
    }
    v
}

/// A team as conversations and the teams API show it.
pub fn team(t: &Team, is_member: bool) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "allow_auto_assign": t.allow_auto_assign,
        "account_id": t.account_id,
        "is_member": is_member,
    })
}

/// The raw team record the assignments endpoint answers with.
pub fn team_record(t: &Team) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "allow_auto_assign": t.allow_auto_assign,
        "account_id": t.account_id,
        "created_at": t.created_at.to_rails_iso(),
        "updated_at": t.updated_at.to_rails_iso(),
    })
}

/// A bot as an assignee.
pub fn bot_assignee(b: &AgentBot) -> Value {
    json!({
        "id": b.id,
        "name": b.name,
        "description": b.description,
        "thumbnail": "",
        "outgoing_url": if b.is_system_bot() { Value::Null } else { json!(b.outgoing_url) },
        "bot_type": "webhook",
    })
}

/// An agent, also when the user has left the account (then without a role).
pub fn assignee(u: &User, m: Option<&confab_app::domain::account::AccountUser>) -> Value {
    match m {
        Some(m) => views::agent(u, m),
        None => json!({
            "id": u.id,
            "account_id": null,
            "availability_status": "offline",
            "auto_offline": true,
            "confirmed": true,
            "email": u.email,
            "provider": "email",
            "available_name": u.available_name(),
            "name": u.name,
            "role": null,
            "thumbnail": "",
        }),
    }
}

/// A conversation (§6.2).
pub fn conversation(app: &App, v: &ConversationView) -> Value {
    let c = &v.conversation;
    let mut meta = json!({
        "sender": views::contact_record(&v.contact),
        "channel": v.inbox.channel_type,
        "hmac_verified": v.contact_inbox.as_ref().map(|ci| ci.hmac_verified),
    });
    if let Some((u, m)) = &v.assignee {
        meta["assignee"] = assignee(u, m.as_ref());
        meta["assignee_type"] = json!("User");
    } else if let Some(b) = &v.assignee_bot {
        meta["assignee"] = bot_assignee(b);
        meta["assignee_type"] = json!("AgentBot");
    }
    if let Some(t) = &v.team {
        meta["team"] = team(t, v.is_team_member);
    }
    json!({
        "meta": meta,
        "id": c.display_id,
        "messages": v.last_message.iter().map(|m| message_push(app, m, v)).collect::<Vec<_>>(),
        "account_id": c.account_id,
        "uuid": c.uuid,
        "additional_attributes": c.additional_attributes,
        "custom_attributes": c.custom_attributes,
        "agent_last_seen_at": unix_or_zero(c.agent_last_seen_at),
        "assignee_last_seen_at": unix_or_zero(c.assignee_last_seen_at),
        "contact_last_seen_at": unix_or_zero(c.contact_last_seen_at),
        "can_reply": v.can_reply,
        "inbox_id": c.inbox_id,
        "labels": c.labels(),
        "muted": v.contact.blocked,
        "snoozed_until": iso_or_null(c.snoozed_until),
        "status": c.status.as_str(),
        "created_at": c.created_at.unix_seconds(),
        "updated_at": float_seconds(c.updated_at),
        "timestamp": c.last_activity_at.unix_seconds(),
        "first_reply_created_at": unix_or_zero(c.first_reply_created_at),
        "unread_count": c.unread_shown(),
        "last_non_activity_message": v.last_non_activity_message.as_ref().map(|m| message_push(app, m, v)),
        "last_activity_at": c.last_activity_at.unix_seconds(),
        "priority": c.priority().map(|p| p.as_str()),
        "waiting_since": unix_or_zero(c.waiting_since),
        "sla_policy_id": null,
    })
}

/// The `toggle_status` answer.
pub fn toggle(o: &ToggleOutcome) -> Value {
    json!({
        "meta": {},
        "payload": {
            "success": o.success,
            "conversation_id": o.display_id,
            "current_status": o.status.as_str(),
            "snoozed_until": iso_or_null(o.snoozed_until),
        }
    })
}

/// A conversation in the slim shape of `conversations/search` (§6.1).
pub fn search_hit(v: &ConversationView, matches: &[&MessageView]) -> Value {
    let c = &v.conversation;
    json!({
        "id": c.display_id,
        "uuid": c.uuid,
        "created_at": c.created_at.unix_seconds(),
        "account_id": c.account_id,
        "contact": { "id": v.contact.id, "name": v.contact.name },
        "inbox": { "id": v.inbox.id, "name": v.inbox.name, "channel_type": v.inbox.channel_type },
        "messages": matches.iter().map(|m| json!({
            "id": m.message.id,
            "content": m.message.content,
            "message_type": m.message.message_type.code(),
            "created_at": m.message.created_at.unix_seconds(),
            "sender_name": m.sender.as_ref().map(|s| match s {
                Sender::Contact(c) => c.name.clone(),
                Sender::User(u) => u.available_name().to_owned(),
                Sender::AgentBot(b) => b.name.clone(),
            }),
        })).collect::<Vec<_>>(),
    })
}
