//! The generated rows of `confab admin seed`: deterministic from the seed, shaped like a
//! mature help desk's data.

use confab_domain::conversation::{ActorKind, ConversationStatus as Status, status_activity};
use confab_domain::message::{MessageType, SenderType};
use confab_domain::{ConversationId, UserId};
use confab_store::seed::{
    ContactInboxRow, ContactRow, ConversationRow, IdBase, JobRow, MessageRow, SeedBatch,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::{LABELS, PLANS, RARE_WORD};
use crate::lifecycle::{WAKE_JOB, wake_key, wake_payload};
use crate::secrets;

/// The fixed parts the generator refers to.
#[derive(Debug, Clone)]
pub(super) struct World {
    pub(super) agents: Vec<(UserId, String)>,
    pub(super) inboxes: Vec<i64>,
    pub(super) teams: Vec<i64>,
    pub(super) now: i64,
}

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Totals {
    pub(super) contacts: u64,
    pub(super) open: u64,
    pub(super) messages: u64,
}

const MINUTE: i64 = 60_000_000;
const DAY: i64 = 24 * 60 * MINUTE;
const YEAR: i64 = 365 * DAY;

/// Deterministic data: the same seed and sizes give the same rows.
pub(super) struct Generator {
    world: World,
    rng: StdRng,
    next: IdBase,
    pub(super) totals: Totals,
    first_conversation: i64,
    /// Microseconds between consecutive conversations.
    spacing: i64,
}

impl Generator {
    pub(super) fn new(world: World, base: IdBase, seed: u64, total: u64) -> Self {
        Self {
            world,
            rng: StdRng::seed_from_u64(seed),
            next: base,
            totals: Totals::default(),
            first_conversation: base.conversation,
            spacing: (YEAR / total.max(1) as i64).max(1),
        }
    }

    pub(super) fn batch(&mut self, n: u64) -> SeedBatch {
        let mut b = SeedBatch::default();
        for _ in 0..n {
            self.conversation(&mut b);
        }
        b
    }

    /// The contact of a new conversation, and so its inbox: about 0.7 contacts per conversation,
    /// as most people write once and some come back. A returning contact is one of the last few
    /// hundred of this batch, so rows never refer to a later batch.
    fn contact(&mut self, b: &mut SeedBatch, at: i64) -> (i64, i64, i64) {
        if !b.contact_inboxes.is_empty() && self.rng.random_bool(0.3) {
            let back = self.rng.random_range(0..b.contact_inboxes.len().min(300));
            let ci = &b.contact_inboxes[b.contact_inboxes.len() - 1 - back];
            return (ci.contact_id, ci.id, ci.inbox_id);
        }
        let inbox = self.world.inboxes[self.rng.random_range(0..self.world.inboxes.len())];
        let id = self.next.contact;
        self.next.contact += 1;
        self.totals.contacts += 1;
        let first = FIRST_NAMES[self.rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[self.rng.random_range(0..LAST_NAMES.len())];
        b.contacts.push(ContactRow {
            id,
            name: format!("{first} {last}"),
            email: format!(
                "{}.{}.{id}@example.com",
                first.to_lowercase(),
                last.to_lowercase()
            ),
            phone_number: format!("+1555{id:08}"),
            created_at: at,
            last_activity_at: at,
        });
        let ci = self.next.contact_inbox;
        self.next.contact_inbox += 1;
        b.contact_inboxes.push(ContactInboxRow {
            id: ci,
            contact_id: id,
            inbox_id: inbox,
            source_id: secrets::time_ordered::source_id(at),
            pubsub_token: secrets::time_ordered::alnum(at, 24),
            created_at: at,
        });
        (id, ci, inbox)
    }

    /// Appends a message; returns its id.
    fn message(
        &mut self,
        b: &mut SeedBatch,
        (conversation_id, inbox_id): (i64, i64),
        (message_type, private): (i16, bool),
        content: String,
        (sender_type, sender_id): (Option<i16>, Option<i64>),
        created_at: i64,
    ) -> i64 {
        let id = self.next.message;
        self.next.message += 1;
        b.messages.push(MessageRow {
            id,
            conversation_id,
            inbox_id,
            message_type,
            status: 0,
            private,
            content,
            sender_type,
            sender_id,
            created_at,
        });
        id
    }

    fn conversation(&mut self, b: &mut SeedBatch) {
        let now = self.world.now;
        // Conversations arrive over the past year in id order, as in a live database; most are
        // resolved, and the open ones lean recent.
        let created = now - YEAR
            + (self.next.conversation - self.first_conversation) * self.spacing
            + self.rng.random_range(0..self.spacing);
        let r = &mut self.rng;
        let recent = now - created < 60 * DAY;
        let status = match (recent, r.random_range(0..100)) {
            (true, 0..50) | (false, 0..12) => Status::Open,
            (true, 50..60) | (false, 12..15) => Status::Pending,
            (true, 60..68) | (false, 15..16) => Status::Snoozed,
            _ => Status::Resolved,
        };
        let priority = match r.random_range(0..100) {
            0..60 => None,
            60..75 => Some(0),
            75..87 => Some(1),
            87..95 => Some(2),
            _ => Some(3),
        };
        let agents = self.world.agents.len();
        let assignee =
            (status != Status::Pending && r.random_bool(0.75)).then(|| r.random_range(0..agents));
        let team = r
            .random_bool(0.3)
            .then(|| self.world.teams[r.random_range(0..self.world.teams.len())]);
        let mut labels: Vec<String> = Vec::new();
        for _ in 0..r.random_range(0..=3) {
            let l = LABELS[r.random_range(0..LABELS.len())];
            if !labels.iter().any(|x| x == l) {
                labels.push(l.to_owned());
            }
        }
        labels.sort();
        let custom_attributes = if r.random_bool(0.5) {
            json!({ "plan": PLANS[r.random_range(0..PLANS.len())] }).to_string()
        } else {
            "{}".to_owned()
        };
        // 1–20 messages, most conversations short.
        let u: f64 = r.random();
        let count = 1 + (u * u * 19.0) as usize;
        let (contact_id, contact_inbox_id, inbox) = self.contact(b, created);
        let first_message = self.next.message;

        let id = self.next.conversation;
        self.next.conversation += 1;
        let display_id = self.next.display_id;
        self.next.display_id += 1;
        let mut at = created;
        let mut first_reply = None;
        let mut waiting_since = None;
        let mut last_outgoing = None;
        let mut unread = 0;
        let mut last_id = None;
        let mut last_non_activity = None;
        for i in 0..count {
            let r = &mut self.rng;
            let (kind, private) = if i == 0 {
                (MessageType::Incoming, false)
            } else {
                match r.random_range(0..100) {
                    0..50 => (MessageType::Incoming, false),
                    50..95 => (MessageType::Outgoing, false),
                    _ => (MessageType::Outgoing, true),
                }
            };
            let sender = if kind == MessageType::Incoming {
                (Some(SenderType::Contact.code()), Some(contact_id))
            } else {
                let agent = assignee.unwrap_or_else(|| r.random_range(0..agents));
                (
                    Some(SenderType::User.code()),
                    Some(self.world.agents[agent].0.get()),
                )
            };
            let content = sentence(r);
            let mid = self.message(
                b,
                (id, inbox),
                (kind.code(), private),
                content,
                sender,
                at.min(now),
            );
            if kind == MessageType::Incoming {
                unread += 1;
                waiting_since.get_or_insert(at);
            } else if !private {
                first_reply.get_or_insert(at);
                last_outgoing = Some(at);
                unread = 0;
                waiting_since = None;
            }
            last_id = Some(mid);
            last_non_activity = Some(mid);
            at += self.rng.random_range(MINUTE..120 * MINUTE);
        }
        if status == Status::Resolved {
            let who = assignee.map_or(ActorKind::Automation, |a| {
                ActorKind::Named(self.world.agents[a].1.clone())
            });
            let content = status_activity(&who, status).unwrap_or_default();
            let mid = self.message(
                b,
                (id, inbox),
                (MessageType::Activity.code(), false),
                content,
                (None, None),
                at.min(now),
            );
            last_id = Some(mid);
            waiting_since = None;
        }
        let last_activity = b.messages.last().map_or(created, |m| m.created_at).min(now);
        let snoozed_until = (status == Status::Snoozed && self.rng.random_bool(0.7))
            .then(|| now + self.rng.random_range(MINUTE * 30..7 * DAY));
        if let Some(until) = snoozed_until {
            b.jobs.push(JobRow {
                kind: WAKE_JOB.into(),
                dedupe_key: wake_key(ConversationId(id)),
                payload: wake_payload(ConversationId(id), until).to_string(),
                run_at: until,
                created_at: last_activity,
            });
        }
        if status == Status::Open {
            self.totals.open += 1;
        }
        self.totals.messages += (self.next.message - first_message) as u64;
        b.conversations.push(ConversationRow {
            id,
            display_id,
            uuid: secrets::time_ordered::uuid(created),
            inbox_id: inbox,
            contact_id,
            contact_inbox_id,
            status: status.code(),
            priority,
            snoozed_until,
            assignee_id: assignee.map(|a| self.world.agents[a].0.get()),
            team_id: team,
            agent_last_seen_at: last_outgoing,
            first_reply_created_at: first_reply,
            waiting_since,
            last_activity_at: last_activity,
            unread_count: unread,
            last_message_id: last_id,
            last_non_activity_message_id: last_non_activity,
            custom_attributes,
            labels,
            created_at: created,
        });
    }
}

/// A support-flavoured sentence of 6–24 words; about 1% carry [`RARE_WORD`].
fn sentence(r: &mut StdRng) -> String {
    let n = r.random_range(6..=24);
    let mut s = String::with_capacity(n * 8);
    let rare_at = r.random_bool(0.01).then(|| r.random_range(0..n));
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        if rare_at == Some(i) {
            s.push_str(RARE_WORD);
        } else {
            s.push_str(WORDS[r.random_range(0..WORDS.len())]);
        }
    }
    s.push('.');
    s
}

pub(super) const FIRST_NAMES: [&str; 24] = [
    "Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farah", "Goran", "Hana", "Ivan", "Julia", "Kenji",
    "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wen", "Yara",
];
pub(super) const LAST_NAMES: [&str; 20] = [
    "Adams", "Bauer", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Kowalski", "Lopez", "Moreau", "Nakamura", "Olsen", "Petrov", "Rossi", "Silva", "Tanaka",
    "Weber",
];
const WORDS: [&str; 96] = [
    "hello",
    "thanks",
    "please",
    "order",
    "invoice",
    "payment",
    "card",
    "charged",
    "twice",
    "refund",
    "account",
    "login",
    "password",
    "reset",
    "email",
    "cannot",
    "access",
    "error",
    "page",
    "loading",
    "slow",
    "app",
    "update",
    "version",
    "delivery",
    "package",
    "tracking",
    "number",
    "address",
    "change",
    "cancel",
    "subscription",
    "plan",
    "upgrade",
    "downgrade",
    "price",
    "discount",
    "coupon",
    "code",
    "works",
    "broken",
    "help",
    "urgent",
    "today",
    "tomorrow",
    "week",
    "still",
    "waiting",
    "response",
    "team",
    "manager",
    "call",
    "phone",
    "chat",
    "widget",
    "website",
    "mobile",
    "android",
    "iphone",
    "browser",
    "settings",
    "profile",
    "export",
    "import",
    "data",
    "report",
    "billing",
    "receipt",
    "tax",
    "company",
    "users",
    "invite",
    "permission",
    "admin",
    "integration",
    "api",
    "webhook",
    "sync",
    "missing",
    "message",
    "notification",
    "spam",
    "security",
    "two",
    "factor",
    "verify",
    "link",
    "expired",
    "trial",
    "feature",
    "request",
    "feedback",
    "great",
    "issue",
    "fixed",
    "again",
];
