//! `confab admin seed`: a new account filled with realistic data, for demos and the benchmark.
//!
//! The account, its users, inboxes, teams, labels and attribute definitions go through the
//! ordinary use cases. Contacts, conversations and messages are generated on a blocking thread
//! (deterministic from `--seed`) and written in large batches while the next batch is generated.
//! Every denormalised field is filled as the live code would have left it: display ids, last
//! messages, `waiting_since`, first replies, unread counts, label lists, and a wake-up job for
//! every timed snooze.

use std::time::{Duration, Instant};

use confab_domain::account::Account;
use confab_domain::{AccountId, ConversationId, Role, UserId};
use confab_store::seed::{
    self, ContactInboxRow, ContactRow, ConversationRow, IdBase, JobRow, MessageRow, SeedBatch,
};
use confab_store::tokens::OwnerKind;
use confab_store::users::NewUser;
use confab_store::{accounts, users};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::auth::issue_token;
use crate::custom_attributes::DefinitionInput;
use crate::error::AppResult;
use crate::inboxes::{InboxInput, MemberChange};
use crate::labels::LabelInput;
use crate::lifecycle::{WAKE_JOB, wake_key};
use crate::teams::TeamInput;
use crate::{Actor, App, Scope, secrets};

/// A word placed in about 1% of messages and nowhere else, for search benchmarks.
pub const RARE_WORD: &str = "quasar";

/// The labels a seeded account has; conversations carry up to three of them.
pub const LABELS: [&str; 12] = [
    "billing",
    "bug",
    "feature-request",
    "refund",
    "onboarding",
    "vip",
    "urgent",
    "shipping",
    "account",
    "feedback",
    "integration",
    "security",
];

/// Values of the conversation attribute `plan` (set on about half the conversations).
pub const PLANS: [&str; 3] = ["free", "pro", "enterprise"];

/// Conversations generated and written per transaction.
const BATCH: u64 = 25_000;

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub conversations: u64,
    pub agents: usize,
    pub inboxes: usize,
    /// Seed of the random generator: the same seed gives the same data.
    pub seed: u64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        Self {
            conversations: 10_000,
            agents: 10,
            inboxes: 3,
            seed: 1,
        }
    }
}

/// What was created: enough for a client (or the benchmark) to start working.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeedReport {
    pub account_id: i64,
    pub admin_email: String,
    pub admin_token: String,
    pub agent_tokens: Vec<String>,
    pub inbox_ids: Vec<i64>,
    pub labels: Vec<String>,
    pub rare_word: String,
    pub contacts: u64,
    pub conversations: u64,
    pub open_conversations: u64,
    pub messages: u64,
    pub seconds: f64,
}

/// The fixed parts the generator refers to.
#[derive(Debug, Clone)]
struct World {
    agents: Vec<(UserId, String)>,
    inboxes: Vec<i64>,
    teams: Vec<i64>,
    now: i64,
}

impl App {
    /// Creates a new account and fills it (see the module documentation).
    pub async fn seed(&self, opts: &SeedOptions) -> AppResult<SeedReport> {
        let started = Instant::now();
        let (scope, admin_email, admin_token, agents) = self.seed_people(opts).await?;
        let account = scope.account_id();
        let mut inbox_ids = Vec::new();
        for i in 0..opts.inboxes.max(1) {
            let inbox = self
                .create_inbox(
                    &scope,
                    &InboxInput {
                        name: Some(format!("Support {}", i + 1)),
                        channel_type: Some("api".into()),
                        ..Default::default()
                    },
                )
                .await?;
            let ids: Vec<UserId> = agents.iter().map(|(id, _, _)| *id).collect();
            self.change_inbox_members(&scope, inbox.id, &ids, MemberChange::Set)
                .await?;
            inbox_ids.push(inbox.id.get());
        }
        let mut teams = Vec::new();
        for name in ["Tier 1", "Tier 2"] {
            let team = self
                .create_team(
                    &scope,
                    &TeamInput {
                        name: Some(name.into()),
                        ..Default::default()
                    },
                )
                .await?;
            teams.push(team.team.id.get());
        }
        for title in LABELS {
            self.create_label(
                &scope,
                &LabelInput {
                    title: Some(title.into()),
                    ..Default::default()
                },
            )
            .await?;
        }
        self.create_custom_attribute_definition(
            &scope,
            &DefinitionInput {
                attribute_display_name: Some("Plan".into()),
                attribute_key: Some("plan".into()),
                attribute_display_type: Some("list".into()),
                attribute_model: Some("conversation_attribute".into()),
                attribute_values: Some(json!(PLANS)),
                ..Default::default()
            },
        )
        .await?;

        let world = World {
            agents: agents
                .iter()
                .map(|(id, name, _)| (*id, name.clone()))
                .collect(),
            inboxes: inbox_ids.clone(),
            teams,
            now: self.now().as_micros(),
        };
        let base = seed::id_base(self.store(), account).await?;
        let totals = self.seed_conversations(account, &world, base, opts).await?;
        seed::finish(
            self.store(),
            account,
            base.display_id + opts.conversations as i64 - 1,
        )
        .await?;
        Ok(SeedReport {
            account_id: account.get(),
            admin_email,
            admin_token,
            agent_tokens: agents.into_iter().map(|(_, _, t)| t).collect(),
            inbox_ids,
            labels: LABELS.iter().map(|l| (*l).to_owned()).collect(),
            rare_word: RARE_WORD.into(),
            contacts: totals.contacts,
            conversations: opts.conversations,
            open_conversations: totals.open,
            messages: totals.messages,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// The account, its administrator and its agents (each with an access token).
    async fn seed_people(
        &self,
        opts: &SeedOptions,
    ) -> AppResult<(Scope, String, String, Vec<(UserId, String, String)>)> {
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let account_id = accounts::insert_account(
            &mut tx.conn(),
            &crate::platform::new_account("Seeded demo"),
            now,
        )
        .await?;
        let tag = secrets::random_alnum(6).to_lowercase();
        let mut people = Vec::new();
        for i in 0..=opts.agents {
            let (name, email) = if i == 0 {
                (
                    "Seed Admin".to_owned(),
                    format!("admin-{tag}@seed.confab.local"),
                )
            } else {
                (
                    format!(
                        "{} {}",
                        FIRST_NAMES[i % FIRST_NAMES.len()],
                        LAST_NAMES[i % LAST_NAMES.len()]
                    ),
                    format!("agent{i}-{tag}@seed.confab.local"),
                )
            };
            let id = users::insert_user(
                &mut tx.conn(),
                &NewUser {
                    name: name.clone(),
                    display_name: None,
                    email,
                    password_hash: None,
                    pubsub_token: secrets::random_alnum(24),
                    custom_attributes: Value::Object(Default::default()),
                },
                now,
            )
            .await?;
            let token = issue_token(self, &mut tx.conn(), OwnerKind::User, id.get()).await?;
            let role = if i == 0 {
                Role::Administrator
            } else {
                Role::Agent
            };
            accounts::upsert_account_user(&mut tx.conn(), account_id, id, role, None, now).await?;
            people.push((id, name, token));
        }
        let account: Account = accounts::get_account(&mut tx.conn(), account_id).await?;
        let admin = users::get_user(&mut tx.conn(), people[0].0).await?;
        let membership = accounts::find_account_user(&mut tx.conn(), account_id, admin.id)
            .await?
            .ok_or(crate::AppError::NotFound)?;
        tx.commit().await?;
        let admin_email = admin.email.clone();
        let (_, _, admin_token) = people.remove(0);
        let scope = Scope {
            account,
            actor: Actor::User {
                user: admin,
                membership,
            },
        };
        Ok((scope, admin_email, admin_token, people))
    }

    /// Generates batches on a blocking thread and writes each while the next is generated.
    async fn seed_conversations(
        &self,
        account: AccountId,
        world: &World,
        base: IdBase,
        opts: &SeedOptions,
    ) -> AppResult<Totals> {
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<SeedBatch>(1);
        let world = world.clone();
        let total = opts.conversations;
        let rng_seed = opts.seed;
        let generator = tokio::task::spawn_blocking(move || {
            let mut g = Generator::new(world, base, rng_seed, total);
            let mut done = 0;
            while done < total {
                let n = BATCH.min(total - done);
                if sender.blocking_send(g.batch(n)).is_err() {
                    break;
                }
                done += n;
            }
            g.totals
        });
        let mut written = 0u64;
        let mut last_report = Instant::now();
        while let Some(batch) = receiver.recv().await {
            let result = seed::insert_batch(self.store(), account, &batch).await;
            if let Err(e) = result {
                drop(receiver);
                let _ = generator.await;
                return Err(e.into());
            }
            written += batch.conversations.len() as u64;
            if last_report.elapsed() > Duration::from_secs(5) {
                tracing::info!(written, total, "seeding");
                last_report = Instant::now();
            }
        }
        generator
            .await
            .map_err(|e| crate::AppError::Internal(anyhow::anyhow!("seed generator failed: {e}")))
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    contacts: u64,
    open: u64,
    messages: u64,
}

const MINUTE: i64 = 60_000_000;
const DAY: i64 = 24 * 60 * MINUTE;
const YEAR: i64 = 365 * DAY;

/// Deterministic data: the same seed and sizes give the same rows.
struct Generator {
    world: World,
    rng: StdRng,
    next: IdBase,
    totals: Totals,
    first_conversation: i64,
    /// Microseconds between consecutive conversations.
    spacing: i64,
}

impl Generator {
    fn new(world: World, base: IdBase, seed: u64, total: u64) -> Self {
        Self {
            world,
            rng: StdRng::seed_from_u64(seed),
            next: base,
            totals: Totals::default(),
            first_conversation: base.conversation,
            spacing: (YEAR / total.max(1) as i64).max(1),
        }
    }

    fn batch(&mut self, n: u64) -> SeedBatch {
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
            source_id: secrets::random_uuid(),
            pubsub_token: secrets::random_alnum(24),
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
        let status: i16 = match (recent, r.random_range(0..100)) {
            (true, 0..50) | (false, 0..12) => 0,   // open
            (true, 50..60) | (false, 12..15) => 2, // pending
            (true, 60..68) | (false, 15..16) => 3, // snoozed
            _ => 1,                                // resolved
        };
        let priority = match r.random_range(0..100) {
            0..60 => None,
            60..75 => Some(0),
            75..87 => Some(1),
            87..95 => Some(2),
            _ => Some(3),
        };
        let agents = self.world.agents.len();
        let assignee = (status != 2 && r.random_bool(0.75)).then(|| r.random_range(0..agents));
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
                (0, false)
            } else {
                match r.random_range(0..100) {
                    0..50 => (0, false),
                    50..95 => (1, false),
                    _ => (1, true),
                }
            };
            let sender = if kind == 0 {
                (Some(1), Some(contact_id))
            } else {
                let agent = assignee.unwrap_or_else(|| r.random_range(0..agents));
                (Some(2), Some(self.world.agents[agent].0.get()))
            };
            let content = sentence(r);
            let mid = self.message(
                b,
                (id, inbox),
                (kind, private),
                content,
                sender,
                at.min(now),
            );
            if kind == 0 {
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
        if status == 1 {
            let who = assignee.map_or("Automation System".to_owned(), |a| {
                self.world.agents[a].1.clone()
            });
            let content = format!("Conversation was marked resolved by {who}");
            let mid = self.message(
                b,
                (id, inbox),
                (2, false),
                content,
                (None, None),
                at.min(now),
            );
            last_id = Some(mid);
            waiting_since = None;
        }
        let last_activity = b.messages.last().map_or(created, |m| m.created_at).min(now);
        let snoozed_until = (status == 3 && self.rng.random_bool(0.7))
            .then(|| now + self.rng.random_range(MINUTE * 30..7 * DAY));
        if let Some(until) = snoozed_until {
            b.jobs.push(JobRow {
                kind: WAKE_JOB.into(),
                dedupe_key: wake_key(ConversationId(id)),
                payload: json!({ "conversation_id": id, "snoozed_until": until }).to_string(),
                run_at: until,
                created_at: last_activity,
            });
        }
        if status == 0 {
            self.totals.open += 1;
        }
        self.totals.messages += (self.next.message - first_message) as u64;
        b.conversations.push(ConversationRow {
            id,
            display_id,
            uuid: secrets::random_uuid(),
            inbox_id: inbox,
            contact_id,
            contact_inbox_id,
            status,
            priority,
            snoozed_until,
            assignee_id: assignee.map(|a| self.world.agents[a].0.get()),
            team_id: team,
            agent_last_seen_at: last_outgoing,
            first_reply_created_at: first_reply,
            waiting_since: if status == 1 { None } else { waiting_since },
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

const FIRST_NAMES: [&str; 24] = [
    "Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farah", "Goran", "Hana", "Ivan", "Julia", "Kenji",
    "Lena", "Marco", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wen", "Yara",
];
const LAST_NAMES: [&str; 20] = [
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
