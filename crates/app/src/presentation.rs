//! What a conversation's or a message's JSON shows, gathered in a fixed number of queries per
//! page (contacts, inboxes, assignees, teams, last messages with senders and attachments).

use std::collections::{HashMap, HashSet};

use confab_domain::account::AccountUser;
use confab_domain::agent_bot::AgentBot;
use confab_domain::contact::{Contact, ContactInbox};
use confab_domain::conversation::Conversation;
use confab_domain::inbox::Inbox;
use confab_domain::message::{Attachment, Message, SenderType};
use confab_domain::team::Team;
use confab_domain::user::User;
use confab_domain::{
    AccountId, AgentBotId, ContactId, ConversationId, InboxId, MessageId, TeamId, Timestamp, UserId,
};
use confab_store::{Conn, accounts, agent_bots, contacts, inboxes, messages, teams, users};

use crate::error::{AppError, AppResult};
use crate::{App, Scope};

/// Who sent a message.
#[derive(Debug, Clone)]
pub enum Sender {
    Contact(Contact),
    User(User),
    AgentBot(AgentBot),
}

/// A message with its sender and attachments.
#[derive(Debug, Clone)]
pub struct MessageView {
    pub message: Message,
    pub sender: Option<Sender>,
    pub attachments: Vec<Attachment>,
    /// The conversation's display id (messages show it as `conversation_id`).
    pub display_id: i64,
    /// Echoed back on create, never stored.
    pub echo_id: Option<String>,
}

/// A conversation with everything its JSON shows.
#[derive(Debug, Clone)]
pub struct ConversationView {
    pub conversation: Conversation,
    pub contact: Contact,
    pub contact_inbox: Option<ContactInbox>,
    pub inbox: Inbox,
    pub assignee: Option<(User, Option<AccountUser>)>,
    pub assignee_bot: Option<AgentBot>,
    pub team: Option<Team>,
    pub last_message: Option<MessageView>,
    pub last_non_activity_message: Option<MessageView>,
    /// Whether an agent may reply now (the API inbox's reply window).
    pub can_reply: bool,
    /// Whether the caller is a member of the conversation's team.
    pub is_team_member: bool,
}

/// What the reply window allows for an inbox (`agent_reply_time_window`, hours).
pub(crate) fn reply_window_hours(inbox: &Inbox) -> Option<i64> {
    inbox
        .channel_additional_attributes
        .as_ref()?
        .get("agent_reply_time_window")
        .and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .filter(|h| *h > 0)
}

/// Whether an agent may still reply `hours` after the contact last wrote (never, if they never did).
pub(crate) fn within_window(hours: i64, last_incoming: Option<Timestamp>, now: Timestamp) -> bool {
    last_incoming.is_some_and(|t| t.plus_seconds(hours * 3600) > now)
}

/// The values in first-seen order without repeats.
pub(crate) fn dedup<T: std::hash::Hash + Eq + Copy>(v: Vec<T>) -> Vec<T> {
    let mut seen = HashSet::new();
    v.into_iter().filter(|x| seen.insert(*x)).collect()
}

/// The attachments of some messages, by message, in one query.
pub(crate) async fn attachments_by_message(
    c: &mut Conn<'_>,
    ids: &[MessageId],
) -> AppResult<HashMap<MessageId, Vec<Attachment>>> {
    let mut files: HashMap<MessageId, Vec<Attachment>> = HashMap::new();
    for a in messages::attachments_of(c, ids).await? {
        files.entry(a.message_id).or_default().push(a);
    }
    Ok(files)
}

/// Contacts, users and bots by id: the parties of a page and the senders of its messages,
/// read together (one query per kind).
#[derive(Default)]
struct People {
    contacts: HashMap<ContactId, Contact>,
    /// With the membership in the page's account (when read for conversations).
    users: HashMap<UserId, (User, Option<AccountUser>)>,
    bots: HashMap<AgentBotId, AgentBot>,
}

/// The ids of the people to read.
#[derive(Default)]
struct Wanted {
    contacts: Vec<ContactId>,
    users: Vec<UserId>,
    bots: Vec<i64>,
}

impl Wanted {
    fn senders(&mut self, list: &[Message]) {
        for m in list {
            match (m.sender_type(), m.sender_id) {
                (Some(SenderType::Contact), Some(id)) => self.contacts.push(ContactId(id)),
                (Some(SenderType::User), Some(id)) => self.users.push(UserId(id)),
                (Some(SenderType::AgentBot), Some(id)) => self.bots.push(id),
                _ => {}
            }
        }
    }

    /// One query per kind; users with their membership in `account` when one is given.
    async fn read(self, c: &mut Conn<'_>, account: Option<AccountId>) -> AppResult<People> {
        let users = dedup(self.users);
        let users = match account {
            Some(a) => accounts::list_users_with_membership(c, a, &users).await?,
            None => users::list_by_ids(c, &users)
                .await?
                .into_iter()
                .map(|u| (u, None))
                .collect(),
        };
        Ok(People {
            contacts: contacts::list_by_ids(c, &dedup(self.contacts))
                .await?
                .into_iter()
                .map(|x| (x.id, x))
                .collect(),
            users: users.into_iter().map(|x| (x.0.id, x)).collect(),
            bots: agent_bots::list_by_ids(c, &dedup(self.bots))
                .await?
                .into_iter()
                .map(|x| (x.id, x))
                .collect(),
        })
    }
}

/// Messages with their senders (from `people`) and attachments (one query).
async fn message_views_among(
    c: &mut Conn<'_>,
    list: Vec<Message>,
    display_ids: &HashMap<ConversationId, i64>,
    people: &People,
) -> AppResult<Vec<MessageView>> {
    let ids: Vec<MessageId> = list.iter().map(|m| m.id).collect();
    let mut files = attachments_by_message(c, &ids).await?;
    Ok(list
        .into_iter()
        .map(|m| {
            let sender = match (m.sender_type(), m.sender_id) {
                (Some(SenderType::Contact), Some(id)) => people
                    .contacts
                    .get(&ContactId(id))
                    .cloned()
                    .map(Sender::Contact),
                (Some(SenderType::User), Some(id)) => people
                    .users
                    .get(&UserId(id))
                    .map(|(u, _)| Sender::User(u.clone())),
                (Some(SenderType::AgentBot), Some(id)) => people
                    .bots
                    .get(&AgentBotId(id))
                    .cloned()
                    .map(Sender::AgentBot),
                _ => None,
            };
            MessageView {
                display_id: display_ids.get(&m.conversation_id).copied().unwrap_or(0),
                attachments: files.remove(&m.id).unwrap_or_default(),
                sender,
                message: m,
                echo_id: None,
            }
        })
        .collect())
}

impl App {
    /// Senders and attachments of messages, in a fixed number of queries.
    pub(crate) async fn message_views(
        &self,
        c: &mut Conn<'_>,
        list: Vec<Message>,
        display_ids: &HashMap<ConversationId, i64>,
    ) -> AppResult<Vec<MessageView>> {
        let mut wanted = Wanted::default();
        wanted.senders(&list);
        let people = wanted.read(c, None).await?;
        message_views_among(c, list, display_ids, &people).await
    }

    /// Everything the JSON of these conversations shows, in a fixed number of queries.
    pub(crate) async fn conversation_views(
        &self,
        c: &mut Conn<'_>,
        scope: &Scope,
        list: Vec<Conversation>,
    ) -> AppResult<Vec<ConversationView>> {
        self.conversation_views_for(c, scope.account_id(), scope.user(), list)
            .await
    }

    /// Conversations of `account` as `viewer` sees them (no viewer: events, which show no
    /// team membership).
    pub(crate) async fn conversation_views_for(
        &self,
        c: &mut Conn<'_>,
        account: confab_domain::AccountId,
        viewer: Option<&User>,
        list: Vec<Conversation>,
    ) -> AppResult<Vec<ConversationView>> {
        if list.is_empty() {
            return Ok(Vec::new());
        }
        // The last messages first: their senders are read with the conversations' parties.
        let msg_ids = dedup(
            list.iter()
                .flat_map(|v| [v.last_message_id, v.last_non_activity_message_id])
                .flatten()
                .collect(),
        );
        let msgs = messages::list_by_ids(c, &msg_ids).await?;
        let mut wanted = Wanted {
            contacts: list.iter().map(|v| v.contact_id).collect(),
            users: list.iter().filter_map(|v| v.assignee_id).collect(),
            bots: list
                .iter()
                .filter_map(|v| v.assignee_agent_bot_id.map(|b| b.get()))
                .collect(),
        };
        wanted.senders(&msgs);
        let people = wanted.read(c, Some(account)).await?;
        let ci_ids = dedup(list.iter().filter_map(|v| v.contact_inbox_id).collect());
        let cis: HashMap<_, ContactInbox> = contacts::list_contact_inboxes_by_ids(c, &ci_ids)
            .await?
            .into_iter()
            .map(|x| (x.id, x))
            .collect();
        let inbox_ids = dedup(list.iter().map(|v| v.inbox_id).collect());
        let inbox_map: HashMap<InboxId, Inbox> = inboxes::list_inboxes_by_ids(c, &inbox_ids)
            .await?
            .into_iter()
            .map(|x| (x.id, x))
            .collect();
        let team_ids = dedup(list.iter().filter_map(|v| v.team_id).collect());
        // Each team with whether the viewer belongs to it (events have no viewer).
        let teams = teams::list_teams_by_ids(c, &team_ids, viewer.map(|u| u.id)).await?;
        let my_teams: HashSet<TeamId> = teams.iter().filter(|t| t.1).map(|t| t.0.id).collect();
        let team_map: HashMap<TeamId, Team> = teams.into_iter().map(|t| (t.0.id, t.0)).collect();
        let display_ids: HashMap<ConversationId, i64> =
            list.iter().map(|v| (v.id, v.display_id)).collect();
        let msg_map: HashMap<MessageId, MessageView> =
            message_views_among(c, msgs, &display_ids, &people)
                .await?
                .into_iter()
                .map(|m| (m.message.id, m))
                .collect();
        let windowed: Vec<ConversationId> = list
            .iter()
            .filter(|v| {
                inbox_map
                    .get(&v.inbox_id)
                    .and_then(reply_window_hours)
                    .is_some()
            })
            .map(|v| v.id)
            .collect();
        let last_incoming: HashMap<ConversationId, Timestamp> =
            messages::last_incoming_times(c, &windowed)
                .await?
                .into_iter()
                .collect();
        let now = self.now();
        let mut out = Vec::with_capacity(list.len());
        for conv in list {
            let (Some(contact), Some(inbox)) = (
                people.contacts.get(&conv.contact_id).cloned(),
                inbox_map.get(&conv.inbox_id).cloned(),
            ) else {
                continue;
            };
            let can_reply = match reply_window_hours(&inbox) {
                None => true,
                Some(hours) => within_window(hours, last_incoming.get(&conv.id).copied(), now),
            };
            out.push(ConversationView {
                contact,
                contact_inbox: conv.contact_inbox_id.and_then(|id| cis.get(&id).cloned()),
                inbox,
                assignee: conv
                    .assignee_id
                    .and_then(|id| people.users.get(&id).cloned()),
                assignee_bot: conv
                    .assignee_agent_bot_id
                    .and_then(|id| people.bots.get(&id).cloned()),
                team: conv.team_id.and_then(|id| team_map.get(&id).cloned()),
                is_team_member: conv.team_id.is_some_and(|t| my_teams.contains(&t)),
                last_message: conv
                    .last_message_id
                    .and_then(|id| msg_map.get(&id).cloned()),
                last_non_activity_message: conv
                    .last_non_activity_message_id
                    .and_then(|id| msg_map.get(&id).cloned()),
                can_reply,
                conversation: conv,
            });
        }
        Ok(out)
    }

    pub(crate) async fn conversation_view(
        &self,
        c: &mut Conn<'_>,
        scope: &Scope,
        conv: Conversation,
    ) -> AppResult<ConversationView> {
        self.conversation_views(c, scope, vec![conv])
            .await?
            .pop()
            .ok_or(AppError::NotFound)
    }
}
