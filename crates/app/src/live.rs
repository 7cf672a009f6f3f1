//! Live updates: committed events pushed to the open sockets entitled to see them.
//!
//! A socket subscribes with a pubsub token: a user's (with the account and user it names) or a
//! contact's inbox identity. The hub follows the events every node commits (see
//! `confab_store::live`), reads what a batch shows once, decides at that moment who may see
//! each event (administrators and members of the conversation's inbox, the conversation's own
//! contact for what the customer may see, every agent of the account for contact events), and
//! queues one frame per subscription. A socket's queue is bounded: a client too slow to drain
//! it is dropped, never waited on.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use confab_domain::account::Availability;
use confab_domain::conversation::Conversation;
use confab_domain::message::MessageType;
use confab_domain::{AccountId, ContactId, ContactInboxId, InboxId, Role, UserId};
use confab_store::events::EventRow;
use confab_store::live::EventFeed;
use confab_store::presence::{self, Present};
use confab_store::{accounts, contacts, inboxes, users};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::App;
use crate::error::{AppError, AppResult};
use crate::outbox::{Outgoing, Performer, Subject};
use crate::presentation::dedup;

/// Frames a socket may have queued before it counts as too slow and is dropped.
pub const SOCKET_QUEUE: usize = 512;

/// The outbox events pushed live, and who hears them.
const LIVE_EVENTS: &[(&str, Audience)] = &[
    ("conversation_created", Audience::ConversationAndContact),
    (
        "conversation_status_changed",
        Audience::ConversationAndContact,
    ),
    ("conversation_updated", Audience::ConversationAndContact),
    ("assignee_changed", Audience::Conversation),
    ("team_changed", Audience::Conversation),
    ("message_created", Audience::ConversationAndContact),
    ("message_updated", Audience::ConversationAndContact),
    ("first_reply_created", Audience::Conversation),
    ("conversation_typing_on", Audience::ConversationAndContact),
    ("conversation_typing_off", Audience::ConversationAndContact),
    ("contact_created", Audience::Account),
    ("contact_updated", Audience::Account),
];

/// Who hears an event (upstream's `ActionCableListener`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// Administrators and members of the conversation's inbox.
    Conversation,
    /// Those, and the conversation's contact (not for private notes or activity messages).
    ConversationAndContact,
    /// Every agent of the account.
    Account,
}

/// Who a subscription is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listener {
    Agent {
        account: AccountId,
        user: UserId,
    },
    Contact {
        account: AccountId,
        contact: ContactId,
        contact_inbox: ContactInboxId,
    },
}

impl Listener {
    fn account(&self) -> AccountId {
        match self {
            Listener::Agent { account, .. } | Listener::Contact { account, .. } => *account,
        }
    }

    fn present(&self) -> Present {
        match self {
            Listener::Agent { user, .. } => Present::User(*user),
            Listener::Contact { contact, .. } => Present::Contact(*contact),
        }
    }
}

/// How long a presence report lasts (upstream's `PRESENCE_DURATION`; clients report every 20 s).
pub const PRESENCE_TTL_SECONDS: i64 = 20;

/// The answer to `update_presence`: the account's present agents with their availability, and,
/// for an agent, its present contacts.
#[derive(Debug, Clone)]
pub struct PresenceView {
    pub account: AccountId,
    pub users: Vec<(UserId, Availability)>,
    pub contacts: Option<Vec<ContactId>>,
}

/// What a socket asks to subscribe with (ActionCable's `RoomChannel` identifier).
#[derive(Debug, Clone, Default)]
pub struct SubscribeParams {
    pub pubsub_token: String,
    pub account_id: Option<i64>,
    pub user_id: Option<i64>,
}

/// One event for one subscription of a socket.
#[derive(Debug, Clone)]
pub struct LiveFrame {
    pub subscription: u64,
    /// Upstream's name (`message.created`, …).
    pub event: &'static str,
    /// The payload, with `account_id`.
    pub data: Arc<Value>,
}

/// Renders live frames; implemented by the HTTP layer, which owns the wire shapes.
pub trait LiveRenderer: Send + Sync + 'static {
    /// Upstream's event name and payload for an event, or `None` when it is not pushed.
    fn live_frame(&self, app: &App, out: &Outgoing<'_>) -> Option<(&'static str, Value)>;
}

struct SocketEntry {
    tx: mpsc::Sender<LiveFrame>,
    subs: Vec<(u64, Listener)>,
}

#[derive(Default)]
struct HubState {
    next_id: u64,
    sockets: HashMap<u64, SocketEntry>,
}

/// The sockets of this node and what they subscribed to.
#[derive(Default)]
pub(crate) struct Hub {
    state: Arc<Mutex<HubState>>,
}

impl Hub {
    /// Whether any socket of this node has a subscription (else events need not be read).
    fn anyone_listening(&self) -> bool {
        lock(&self.state)
            .sockets
            .values()
            .any(|s| !s.subs.is_empty())
    }
}

/// An open socket: frames arrive on `frames`; the subscriptions end when it is dropped, and
/// `frames` ends when the hub dropped the socket for being too slow.
pub struct Socket {
    id: u64,
    state: Arc<Mutex<HubState>>,
    pub frames: mpsc::Receiver<LiveFrame>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        lock(&self.state).sockets.remove(&self.id);
    }
}

fn lock(m: &Mutex<HubState>) -> std::sync::MutexGuard<'_, HubState> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl App {
    fn hub(&self) -> &Hub {
        &self.inner.live
    }

    /// Installs the renderer of live frames (the HTTP layer does).
    pub fn install_live_renderer(&self, r: Arc<dyn LiveRenderer>) {
        let _ = self.inner.live_renderer.set(r);
    }

    /// Opens a socket on this node.
    pub fn live_connect(&self) -> Socket {
        let (tx, frames) = mpsc::channel(SOCKET_QUEUE);
        let mut st = lock(&self.hub().state);
        st.next_id += 1;
        let id = st.next_id;
        st.sockets.insert(
            id,
            SocketEntry {
                tx,
                subs: Vec::new(),
            },
        );
        Socket {
            id,
            state: self.hub().state.clone(),
            frames,
        }
    }

    /// Subscribes a socket: a user's token with the account and user it names (the user must
    /// still belong to the account), or a contact's inbox token. Returns the subscription id.
    pub async fn live_subscribe(&self, socket: &Socket, p: &SubscribeParams) -> AppResult<u64> {
        let listener = self
            .listener_of(p)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let mut st = lock(&self.hub().state);
        st.next_id += 1;
        let id = st.next_id;
        let entry = st
            .sockets
            .get_mut(&socket.id)
            .ok_or(AppError::Unauthenticated)?;
        entry.subs.push((id, listener));
        Ok(id)
    }

    async fn listener_of(&self, p: &SubscribeParams) -> AppResult<Option<Listener>> {
        let token = p.pubsub_token.trim();
        if token.is_empty() {
            return Ok(None);
        }
        let mut c = self.store().conn();
        if let Some(user_id) = p.user_id {
            let Some(account) = p.account_id.map(AccountId) else {
                return Ok(None);
            };
            let Some(user) = users::user_by_pubsub_token(&mut c, token, UserId(user_id)).await?
            else {
                return Ok(None);
            };
            let member = accounts::find_account_user(&mut c, account, user.id).await?;
            return Ok(member.map(|_| Listener::Agent {
                account,
                user: user.id,
            }));
        }
        Ok(contacts::contact_inbox_by_pubsub_token(&mut c, token)
            .await?
            .map(|(ci, account)| Listener::Contact {
                account,
                contact: ci.contact_id,
                contact_inbox: ci.id,
            }))
    }

    /// Ends one subscription of a socket.
    pub fn live_unsubscribe(&self, socket: &Socket, subscription: u64) {
        if let Some(entry) = lock(&self.hub().state).sockets.get_mut(&socket.id) {
            entry.subs.retain(|(id, _)| *id != subscription);
        }
    }

    /// `update_presence` on a subscription: records its subscriber as present (on every node,
    /// through the database) and answers who of the account is. `None` for an unknown
    /// subscription.
    pub async fn live_update_presence(
        &self,
        socket: &Socket,
        subscription: u64,
    ) -> AppResult<Option<PresenceView>> {
        let listener = {
            let st = lock(&self.hub().state);
            st.sockets.get(&socket.id).and_then(|s| {
                s.subs
                    .iter()
                    .find(|(id, _)| *id == subscription)
                    .map(|(_, l)| l.clone())
            })
        };
        let Some(listener) = listener else {
            return Ok(None);
        };
        let account = listener.account();
        let now = self.now();
        let since = now.plus_seconds(-PRESENCE_TTL_SECONDS);
        let mut tx = self.store().begin().await?;
        presence::forget_before(&mut tx.conn(), account, since).await?;
        presence::touch(&mut tx.conn(), account, listener.present(), now).await?;
        tx.commit_quiet().await?;
        let mut c = self.store().conn();
        let present = presence::present_since(&mut c, account, since).await?;
        let users: Vec<UserId> = present
            .iter()
            .filter_map(|p| match p {
                Present::User(u) => Some(*u),
                Present::Contact(_) => None,
            })
            .collect();
        let users = accounts::list_account_users_in(&mut c, &[account], &users)
            .await?
            .into_iter()
            .map(|m| (m.user_id, m.availability))
            .collect();
        let contacts = matches!(listener, Listener::Agent { .. }).then(|| {
            present
                .iter()
                .filter_map(|p| match p {
                    Present::Contact(c) => Some(*c),
                    Present::User(_) => None,
                })
                .collect()
        });
        Ok(Some(PresenceView {
            account,
            users,
            contacts,
        }))
    }

    /// Opens the feed of events committed from now on; `None` (logged) when the database
    /// cannot be reached, and then [`Self::run_live_until`] opens it, retrying.
    ///
    /// The server opens it before serving its first request, so a socket that connects never
    /// misses an event committed after it did.
    pub async fn open_live_feed(&self) -> Option<EventFeed> {
        match self.store().event_feed().await {
            Ok(f) => Some(f),
            Err(e) => {
                tracing::error!(error = %e, "opening the live event feed");
                None
            }
        }
    }

    /// Follows committed events (from `feed` when it is open already) and pushes them to this
    /// node's sockets until `stop`.
    pub async fn run_live_until(
        &self,
        feed: Option<EventFeed>,
        stop: impl std::future::Future<Output = ()>,
    ) {
        // Stopping closes this node's sockets (their clients reconnect elsewhere or later).
        struct CloseAll<'a>(&'a Hub);
        impl Drop for CloseAll<'_> {
            fn drop(&mut self) {
                lock(&self.0.state).sockets.clear();
            }
        }
        let _close = CloseAll(self.hub());
        tokio::pin!(stop);
        let mut feed = match feed {
            Some(f) => f,
            None => loop {
                if let Some(f) = self.open_live_feed().await {
                    break f;
                }
                tokio::select! {
                    () = &mut stop => return,
                    () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
            },
        };
        loop {
            let batch = tokio::select! {
                () = &mut stop => return,
                b = feed.next(|| self.hub().anyone_listening()) => b,
            };
            match batch {
                Ok(events) => {
                    if let Err(e) = self.publish(&events).await {
                        tracing::error!(error = %e, "publishing live events");
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "reading live events");
                    tokio::select! {
                        () = &mut stop => return,
                        () = tokio::time::sleep(std::time::Duration::from_millis(200)) => {}
                    }
                }
            }
        }
    }

    /// Pushes a batch of committed events to the subscriptions entitled to them.
    async fn publish(&self, events: &[EventRow]) -> AppResult<()> {
        let Some(renderer) = self.inner.live_renderer.get().cloned() else {
            return Ok(());
        };
        // Who listens, per account (a snapshot: the lock is not held across queries).
        let listening: Vec<(u64, u64, Listener)> = {
            let st = lock(&self.hub().state);
            st.sockets
                .iter()
                .flat_map(|(sock, s)| s.subs.iter().map(|(sub, l)| (*sock, *sub, l.clone())))
                .collect()
        };
        let accounts: HashSet<AccountId> = listening.iter().map(|(_, _, l)| l.account()).collect();
        let wanted: Vec<(&EventRow, Audience)> = events
            .iter()
            .filter(|e| accounts.contains(&e.account_id))
            .filter_map(|e| {
                LIVE_EVENTS
                    .iter()
                    .find(|(n, _)| *n == e.name)
                    .map(|(_, a)| (e, *a))
            })
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let mut c = self.store().conn();
        let refs: Vec<&EventRow> = wanted.iter().map(|(e, _)| *e).collect();
        let shown = self.gather(&mut c, &refs).await?;
        // Entitlements now, not at subscription: removed agents stop hearing at once.
        let users = dedup(
            listening
                .iter()
                .filter_map(|(_, _, l)| match l {
                    Listener::Agent { user, .. } => Some(*user),
                    Listener::Contact { .. } => None,
                })
                .collect(),
        );
        let account_ids = dedup(refs.iter().map(|e| e.account_id).collect());
        let roles: HashMap<(AccountId, UserId), Role> =
            accounts::list_account_users_in(&mut c, &account_ids, &users)
                .await?
                .into_iter()
                .map(|m| ((m.account_id, m.user_id), m.role))
                .collect();
        let inbox_ids = dedup(
            refs.iter()
                .filter_map(|e| e.conversation_id)
                .filter_map(|id| shown.conversation(id))
                .map(|v| v.conversation.inbox_id)
                .collect(),
        );
        let members: HashSet<(InboxId, UserId)> =
            inboxes::inbox_memberships(&mut c, &inbox_ids, &users)
                .await?
                .into_iter()
                .collect();

        // A contact hears their own conversation; with an HMAC-verified identity, every
        // conversation of theirs whose identity is verified too (upstream's token set).
        let identities: HashMap<ContactInboxId, (ContactId, bool)> = {
            let mut ids: Vec<ContactInboxId> = listening
                .iter()
                .filter_map(|(_, _, l)| match l {
                    Listener::Contact { contact_inbox, .. } => Some(*contact_inbox),
                    Listener::Agent { .. } => None,
                })
                .collect();
            if !ids.is_empty() {
                ids.extend(
                    refs.iter()
                        .filter_map(|e| e.conversation_id)
                        .filter_map(|id| shown.conversation(id))
                        .filter_map(|v| v.conversation.contact_inbox_id),
                );
            }
            contacts::list_contact_inboxes_by_ids(&mut c, &dedup(ids))
                .await?
                .into_iter()
                .map(|ci| (ci.id, (ci.contact_id, ci.hmac_verified)))
                .collect()
        };
        let verified_of = |ci: ContactInboxId| {
            identities
                .get(&ci)
                .and_then(|(contact, verified)| verified.then_some(*contact))
        };

        let mut frames: Vec<(u64, LiveFrame)> = Vec::new();
        for (e, audience) in wanted {
            let Some(out) = shown.outgoing(e, &e.name) else {
                continue;
            };
            let Some((event, mut data)) = renderer.live_frame(self, &out) else {
                continue;
            };
            data["account_id"] = e.account_id.get().into();
            let data = Arc::new(data);
            let conv: Option<&Conversation> = match &out.subject {
                Subject::Conversation(v)
                | Subject::Message {
                    conversation: v, ..
                }
                | Subject::Typing {
                    conversation: v, ..
                } => Some(&v.conversation),
                _ => None,
            };
            // An agent who types does not hear their own typing.
            let typist = match &out.subject {
                Subject::Typing {
                    by: Performer::User(u),
                    ..
                } => Some(u.id),
                _ => None,
            };
            let contact_may_see = audience == Audience::ConversationAndContact
                && match &out.subject {
                    Subject::Message { message, .. } => {
                        !message.message.private
                            && message.message.message_type != MessageType::Activity
                    }
                    // The contact does not hear their own typing.
                    Subject::Typing { by, .. } => matches!(by, Performer::User(_)),
                    _ => true,
                };
            for (sock, sub, l) in &listening {
                if l.account() != e.account_id {
                    continue;
                }
                let hears = match (l, audience, conv) {
                    (Listener::Agent { account, user }, Audience::Account, _) => {
                        roles.contains_key(&(*account, *user))
                    }
                    (Listener::Agent { account, user }, _, Some(conv)) => {
                        typist != Some(*user)
                            && match roles.get(&(*account, *user)) {
                                Some(Role::Administrator) => true,
                                Some(Role::Agent) => members.contains(&(conv.inbox_id, *user)),
                                None => false,
                            }
                    }
                    (Listener::Contact { contact_inbox, .. }, _, Some(conv)) => {
                        contact_may_see
                            && (conv.contact_inbox_id == Some(*contact_inbox)
                                || conv.contact_inbox_id.is_some_and(|theirs| {
                                    verified_of(theirs).is_some_and(|contact| {
                                        contact == conv.contact_id
                                            && verified_of(*contact_inbox) == Some(contact)
                                    })
                                }))
                    }
                    _ => false,
                };
                if hears {
                    frames.push((
                        *sock,
                        LiveFrame {
                            subscription: *sub,
                            event,
                            data: data.clone(),
                        },
                    ));
                }
            }
        }
        lock(&self.hub().state).deliver(frames);
        Ok(())
    }
}

impl HubState {
    /// Queues frames on their sockets without waiting; a socket whose queue is full (or whose
    /// reader is gone) is removed, which ends its frame stream.
    fn deliver(&mut self, frames: Vec<(u64, LiveFrame)>) {
        let mut too_slow = Vec::new();
        for (sock, frame) in frames {
            if let Some(entry) = self.sockets.get(&sock)
                && entry.tx.try_send(frame).is_err()
            {
                too_slow.push(sock);
            }
        }
        for sock in too_slow {
            if self.sockets.remove(&sock).is_some() {
                tracing::info!(socket = sock, "dropped a live socket that fell behind");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_that_falls_behind_is_dropped_and_its_frames_end() {
        let state: Arc<Mutex<HubState>> = Arc::default();
        let (tx, frames) = mpsc::channel(2);
        lock(&state).sockets.insert(
            1,
            SocketEntry {
                tx,
                subs: Vec::new(),
            },
        );
        let mut socket = Socket {
            id: 1,
            state: state.clone(),
            frames,
        };
        let frame = LiveFrame {
            subscription: 1,
            event: "message.created",
            data: Arc::new(Value::Null),
        };
        lock(&state).deliver(vec![(1, frame.clone()), (1, frame.clone()), (1, frame)]);
        assert!(lock(&state).sockets.is_empty(), "the slow socket is gone");
        // The two queued frames are still read, then the stream ends.
        assert!(socket.frames.try_recv().is_ok());
        assert!(socket.frames.try_recv().is_ok());
        assert!(matches!(
            socket.frames.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
    }
}
