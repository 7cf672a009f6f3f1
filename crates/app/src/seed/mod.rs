//! `confab admin seed`: a new account filled with realistic data, for demos and the benchmark.
//!
//! The account, its users, inboxes, teams, labels and attribute definitions go through the
//! ordinary use cases. Contacts, conversations and messages are generated on a blocking thread
//! (deterministic from `--seed`) and written in large batches while the next batch is generated.
//! Every denormalised field is filled as the live code would have left it: display ids, last
//! messages, `waiting_since`, first replies, unread counts, label lists, and a wake-up job for
//! every timed snooze.

use std::time::{Duration, Instant};

use confab_domain::{AccountId, Role, UserId};
use confab_store::seed::{self, IdBase, SeedBatch};
use confab_store::tokens::OwnerKind;
use confab_store::users::NewUser;
use confab_store::{accounts, users};
use serde_json::{Value, json};

use crate::auth::issue_token;
use crate::custom_attributes::DefinitionInput;
use crate::error::AppResult;
use crate::inboxes::{InboxInput, MemberChange};
use crate::labels::LabelInput;
use crate::teams::TeamInput;
use crate::{App, Principal, Scope, secrets};

mod generator;
use generator::{FIRST_NAMES, Generator, LAST_NAMES, Totals, World};

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

impl App {
    /// Creates a new account and fills it (see the module documentation).
    pub async fn seed(&self, opts: &SeedOptions) -> AppResult<SeedReport> {
        let started = Instant::now();
        let (scope, admin_email, admin_token, agents) = self.seed_people(opts).await?;
        let account = scope.account_id();
        let mut inbox_ids = Vec::new();
        let agent_ids: Vec<UserId> = agents.iter().map(|(id, _, _)| *id).collect();
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
            self.change_inbox_members(&scope, inbox.id, &agent_ids, MemberChange::Set)
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
        let admin = users::get_user(&mut tx.conn(), people[0].0).await?;
        tx.commit().await?;
        let admin_email = admin.email.clone();
        let (_, _, admin_token) = people.remove(0);
        let scope = self.scope(&Principal::User(admin), account_id).await?;
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
