//! The typed forms of the conversation shapes (§6.2, §6.6): they borrow from the views and are
//! written straight into an answer, without a `serde_json::Value` tree in between.

use confab_app::App;
use confab_app::conversations::{ConversationView, MessageView, Sender};
use confab_app::domain::Timestamp;
use confab_app::domain::account::AccountUser;
use confab_app::domain::agent_bot::AgentBot;
use confab_app::domain::contact::Contact;
use confab_app::domain::message::Attachment;
use confab_app::domain::team::Team;
use confab_app::domain::user::User;
use confab_app::domain::{
    AccountId, AgentBotId, AttachmentId, ContactId, InboxId, MessageId, TeamId, UserId,
};
use serde::Serialize;
use serde_json::Value;

use crate::conversation_views::{float_seconds, unix_or_zero};
use crate::views::{AgentJson, ContactRecordJson};

#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum SenderJson<'a> {
    Contact(ContactPushJson<'a>),
    User(UserPushJson<'a>),
    Bot(BotPushJson<'a>),
}

impl<'a> SenderJson<'a> {
    pub(crate) fn of(s: &'a Sender) -> Self {
        match s {
            Sender::Contact(c) => SenderJson::Contact(ContactPushJson::of(c)),
            Sender::User(u) => SenderJson::User(UserPushJson::of(u)),
            Sender::AgentBot(b) => SenderJson::Bot(BotPushJson::of(b)),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct ContactPushJson<'a> {
    id: ContactId,
    name: &'a str,
    email: &'a Option<String>,
    phone_number: &'a Option<String>,
    identifier: &'a Option<String>,
    thumbnail: &'static str,
    additional_attributes: &'a Value,
    custom_attributes: &'a Value,
    blocked: bool,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl<'a> ContactPushJson<'a> {
    pub(crate) fn of(c: &'a Contact) -> Self {
        ContactPushJson {
            id: c.id,
            name: &c.name,
            email: &c.email,
            phone_number: &c.phone_number,
            identifier: &c.identifier,
            thumbnail: "",
            additional_attributes: &c.additional_attributes,
            custom_attributes: &c.custom_attributes,
            blocked: c.blocked,
            kind: "contact",
        }
    }
}

#[derive(Serialize)]
pub(crate) struct UserPushJson<'a> {
    id: UserId,
    name: &'a str,
    available_name: &'a str,
    avatar_url: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    availability_status: &'static str,
    thumbnail: &'static str,
}

impl<'a> UserPushJson<'a> {
    pub(crate) fn of(u: &'a User) -> Self {
        UserPushJson {
            id: u.id,
            name: &u.name,
            available_name: u.available_name(),
            avatar_url: "",
            kind: "user",
            availability_status: "offline",
            thumbnail: "",
        }
    }
}

#[derive(Serialize)]
pub(crate) struct BotPushJson<'a> {
    id: AgentBotId,
    name: &'a str,
    avatar_url: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
}

impl<'a> BotPushJson<'a> {
    pub(crate) fn of(b: &'a AgentBot) -> Self {
        BotPushJson {
            id: b.id,
            name: &b.name,
            avatar_url: "",
            kind: "agent_bot",
        }
    }
}

#[derive(Serialize)]
pub(crate) struct AttachmentJson<'a> {
    id: AttachmentId,
    message_id: MessageId,
    file_type: &'static str,
    account_id: AccountId,
    extension: &'a Option<String>,
    data_url: String,
    thumb_url: String,
    file_size: i64,
    width: Option<i64>,
    height: Option<i64>,
}

impl<'a> AttachmentJson<'a> {
    pub(crate) fn of(app: &App, a: &'a Attachment) -> Self {
        let url = app.attachment_url(a);
        let file_type = a.file_type.as_str();
        AttachmentJson {
            id: a.id,
            message_id: a.message_id,
            file_type,
            account_id: a.account_id,
            extension: &a.extension,
            thumb_url: if file_type == "image" {
                url.clone()
            } else {
                String::new()
            },
            data_url: url,
            file_size: a.file_size,
            width: a.width,
            height: a.height,
        }
    }

    pub(crate) fn all(app: &App, list: &'a [Attachment]) -> Vec<Self> {
        list.iter().map(|a| AttachmentJson::of(app, a)).collect()
    }
}

/// A message in REST form (§6.6a).
#[derive(Serialize)]
pub struct MessageJson<'a> {
    id: MessageId,
    content: &'a Option<String>,
    inbox_id: InboxId,
    conversation_id: i64,
    message_type: i16,
    content_type: &'static str,
    status: &'static str,
    content_attributes: &'a Value,
    created_at: i64,
    private: bool,
    source_id: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    echo_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender: Option<SenderJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<AttachmentJson<'a>>,
}

impl<'a> MessageJson<'a> {
    pub(crate) fn of(app: &App, m: &'a MessageView) -> Self {
        let msg = &m.message;
        MessageJson {
            id: msg.id,
            content: &msg.content,
            inbox_id: msg.inbox_id,
            conversation_id: m.display_id,
            message_type: msg.message_type.code(),
            content_type: msg.content_type.as_str(),
            status: msg.status.as_str(),
            content_attributes: &msg.content_attributes,
            created_at: msg.created_at.unix_seconds(),
            private: msg.private,
            source_id: &msg.source_id,
            echo_id: m.echo_id.as_deref(),
            sender: m.sender.as_ref().map(SenderJson::of),
            attachments: AttachmentJson::all(app, &m.attachments),
        }
    }
}

/// A message in push form (inside conversations; §6.6b).
#[derive(Serialize)]
pub(crate) struct MessagePushJson<'a> {
    id: MessageId,
    content: &'a Option<String>,
    account_id: AccountId,
    inbox_id: InboxId,
    conversation_id: i64,
    message_type: i16,
    content_type: &'static str,
    status: &'static str,
    private: bool,
    source_id: &'a Option<String>,
    content_attributes: &'a Value,
    additional_attributes: &'a Value,
    external_source_ids: &'a Value,
    processed_message_content: &'a Option<String>,
    sentiment: Empty,
    sender_type: Option<&'static str>,
    sender_id: Option<i64>,
    created_at: i64,
    updated_at: String,
    conversation: PushConversationJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sender: Option<SenderJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<AttachmentJson<'a>>,
}

/// `{}`.
#[derive(Serialize)]
pub(crate) struct Empty {}

#[derive(Serialize)]
pub(crate) struct PushConversationJson<'a> {
    assignee_id: Option<UserId>,
    unread_count: i64,
    last_activity_at: i64,
    contact_inbox: PushContactInboxJson<'a>,
}

#[derive(Serialize)]
pub(crate) struct PushContactInboxJson<'a> {
    source_id: Option<&'a str>,
}

impl<'a> MessagePushJson<'a> {
    pub(crate) fn of(app: &App, m: &'a MessageView, conv: &'a ConversationView) -> Self {
        let msg = &m.message;
        let c = &conv.conversation;
        MessagePushJson {
            id: msg.id,
            content: &msg.content,
            account_id: msg.account_id,
            inbox_id: msg.inbox_id,
            conversation_id: m.display_id,
            message_type: msg.message_type.code(),
            content_type: msg.content_type.as_str(),
            status: msg.status.as_str(),
            private: msg.private,
            source_id: &msg.source_id,
            content_attributes: &msg.content_attributes,
            additional_attributes: &msg.additional_attributes,
            external_source_ids: &msg.external_source_ids,
            processed_message_content: &msg.content,
            sentiment: Empty {},
            sender_type: msg.sender_type().map(|s| s.as_str()),
            sender_id: msg.sender_id,
            created_at: msg.created_at.unix_seconds(),
            updated_at: msg.updated_at.to_rails_iso(),
            conversation: PushConversationJson {
                assignee_id: c.assignee_id,
                unread_count: c.unread_shown(),
                last_activity_at: c.last_activity_at.unix_seconds(),
                contact_inbox: PushContactInboxJson {
                    source_id: conv.contact_inbox.as_ref().map(|ci| ci.source_id.as_str()),
                },
            },
            sender: m.sender.as_ref().map(SenderJson::of),
            attachments: AttachmentJson::all(app, &m.attachments),
        }
    }
}

/// A team as conversations and the teams API show it.
#[derive(Serialize)]
pub(crate) struct TeamJson<'a> {
    id: TeamId,
    name: &'a str,
    description: &'a Option<String>,
    allow_auto_assign: bool,
    account_id: AccountId,
    is_member: bool,
}

impl<'a> TeamJson<'a> {
    pub(crate) fn of(t: &'a Team, is_member: bool) -> Self {
        TeamJson {
            id: t.id,
            name: &t.name,
            description: &t.description,
            allow_auto_assign: t.allow_auto_assign,
            account_id: t.account_id,
            is_member,
        }
    }
}

#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum AssigneeJson<'a> {
    /// Also a user who has left the account (no role, no account).
    Agent(AgentJson<'a>),
    Bot(BotAssigneeJson<'a>),
}

impl<'a> AssigneeJson<'a> {
    pub(crate) fn agent(u: &'a User, m: Option<&AccountUser>) -> Self {
        match m {
            Some(m) => AssigneeJson::Agent(AgentJson::of(u, m)),
            None => AssigneeJson::Agent(AgentJson::departed(u)),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct BotAssigneeJson<'a> {
    id: AgentBotId,
    name: &'a str,
    description: &'a Option<String>,
    thumbnail: &'static str,
    outgoing_url: Option<&'a str>,
    bot_type: &'static str,
}

impl<'a> BotAssigneeJson<'a> {
    pub(crate) fn of(b: &'a AgentBot) -> Self {
        BotAssigneeJson {
            id: b.id,
            name: &b.name,
            description: &b.description,
            thumbnail: "",
            outgoing_url: if b.is_system_bot() {
                None
            } else {
                b.outgoing_url.as_deref()
            },
            bot_type: "webhook",
        }
    }
}

#[derive(Serialize)]
pub(crate) struct ConversationMetaJson<'a> {
    sender: ContactRecordJson<'a>,
    channel: &'a str,
    hmac_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee: Option<AssigneeJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assignee_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<TeamJson<'a>>,
}

/// A conversation (§6.2).
#[derive(Serialize)]
pub struct ConversationJson<'a> {
    meta: ConversationMetaJson<'a>,
    id: i64,
    messages: Vec<MessagePushJson<'a>>,
    account_id: AccountId,
    uuid: &'a str,
    additional_attributes: &'a Value,
    custom_attributes: &'a Value,
    agent_last_seen_at: i64,
    assignee_last_seen_at: i64,
    contact_last_seen_at: i64,
    can_reply: bool,
    inbox_id: InboxId,
    labels: Vec<String>,
    muted: bool,
    snoozed_until: Option<String>,
    status: &'static str,
    created_at: i64,
    updated_at: f64,
    timestamp: i64,
    first_reply_created_at: i64,
    unread_count: i64,
    last_non_activity_message: Option<MessagePushJson<'a>>,
    last_activity_at: i64,
    priority: Option<&'static str>,
    waiting_since: i64,
    sla_policy_id: (),
}

impl<'a> ConversationJson<'a> {
    pub(crate) fn of(app: &App, v: &'a ConversationView) -> Self {
        let c = &v.conversation;
        let (assignee, assignee_type) = if let Some((u, m)) = &v.assignee {
            (Some(AssigneeJson::agent(u, m.as_ref())), Some("User"))
        } else if let Some(b) = &v.assignee_bot {
            (
                Some(AssigneeJson::Bot(BotAssigneeJson::of(b))),
                Some("AgentBot"),
            )
        } else {
            (None, None)
        };
        ConversationJson {
            meta: ConversationMetaJson {
                sender: ContactRecordJson::of(&v.contact),
                channel: &v.inbox.channel_type,
                hmac_verified: v.contact_inbox.as_ref().map(|ci| ci.hmac_verified),
                assignee,
                assignee_type,
                team: v.team.as_ref().map(|t| TeamJson::of(t, v.is_team_member)),
            },
            id: c.display_id,
            messages: v
                .last_message
                .iter()
                .map(|m| MessagePushJson::of(app, m, v))
                .collect(),
            account_id: c.account_id,
            uuid: &c.uuid,
            additional_attributes: &c.additional_attributes,
            custom_attributes: &c.custom_attributes,
            agent_last_seen_at: unix_or_zero(c.agent_last_seen_at),
            assignee_last_seen_at: unix_or_zero(c.assignee_last_seen_at),
            contact_last_seen_at: unix_or_zero(c.contact_last_seen_at),
            can_reply: v.can_reply,
            inbox_id: c.inbox_id,
            labels: c.labels(),
            muted: v.contact.blocked,
            snoozed_until: c.snoozed_until.map(Timestamp::to_rails_iso),
            status: c.status.as_str(),
            created_at: c.created_at.unix_seconds(),
            updated_at: float_seconds(c.updated_at),
            timestamp: c.last_activity_at.unix_seconds(),
            first_reply_created_at: unix_or_zero(c.first_reply_created_at),
            unread_count: c.unread_shown(),
            last_non_activity_message: v
                .last_non_activity_message
                .as_ref()
                .map(|m| MessagePushJson::of(app, m, v)),
            last_activity_at: c.last_activity_at.unix_seconds(),
            priority: c.priority().map(|p| p.as_str()),
            waiting_since: unix_or_zero(c.waiting_since),
            sla_policy_id: (),
        }
    }
}
