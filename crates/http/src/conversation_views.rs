//! Chatwoot's JSON shapes of conversations and messages (§6.1–6.6).

use confab_app::App;
use confab_app::conversations::{ConversationView, MessageView, Sender};
use confab_app::domain::Timestamp;
use confab_app::domain::account::AccountUser;
use confab_app::domain::agent_bot::AgentBot;
use confab_app::domain::contact::Contact;
use confab_app::domain::message::Attachment;
use confab_app::domain::team::Team;
use confab_app::domain::user::User;
use confab_app::lifecycle::ToggleOutcome;
use serde::Serialize;
use serde_json::{Value, json};

use crate::conversation_json::{
    AssigneeJson, AttachmentJson, BotAssigneeJson, BotPushJson, ContactPushJson, MessagePushJson,
    SenderJson, UserPushJson,
};
pub use crate::conversation_json::{ConversationJson, MessageJson};

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
    json!(SenderJson::of(s))
}

/// A contact in push form.
pub(crate) fn contact_push(c: &Contact) -> Value {
    json!(ContactPushJson::of(c))
}

/// A user in push form.
pub(crate) fn user_push(u: &User) -> Value {
    json!(UserPushJson::of(u))
}

/// An agent bot in push form.
pub(crate) fn bot_push(b: &AgentBot) -> Value {
    json!(BotPushJson::of(b))
}

/// An attachment of a message.
pub fn attachment(app: &App, a: &Attachment) -> Value {
    json!(AttachmentJson::of(app, a))
}

/// A message in REST form (§6.6a).
pub fn message<'a>(app: &App, m: &'a MessageView) -> MessageJson<'a> {
    MessageJson::of(app, m)
}

/// A message in push form (inside conversations; §6.6b).
pub fn message_push(app: &App, m: &MessageView, conv: &ConversationView) -> Value {
    json!(MessagePushJson::of(app, m, conv))
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
    json!(AssigneeJson::Bot(BotAssigneeJson::of(b)))
}

/// An agent, also when the user has left the account (then without a role).
pub fn assignee(u: &User, m: Option<&AccountUser>) -> Value {
    json!(AssigneeJson::agent(u, m))
}

/// A conversation (§6.2), written straight into the answer: a page of them is the hottest
/// shape there is, and building `Value` trees for it cost more than its queries.
pub fn conversation<'a>(app: &'a App, v: &'a ConversationView) -> ConversationJson<'a> {
    ConversationJson::of(app, v)
}

/// `{"meta": …, "payload": …}`, the envelope of most lists.
#[derive(Serialize)]
pub struct Page<M, P> {
    pub meta: M,
    pub payload: P,
}

/// `{"payload": …}`.
#[derive(Serialize)]
pub struct Payload<P> {
    pub payload: P,
}

/// `{"data": …}`, the envelope of the conversation list.
#[derive(Serialize)]
pub struct Data<D> {
    pub data: D,
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
