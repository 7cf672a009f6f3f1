//! The scenarios: which requests a worker sends, over the seeded account.

use std::sync::Arc;

use clap::ValueEnum;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::json;

use crate::load::{Call, Workload};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[value(rename_all = "snake_case")]
pub enum Scenario {
    /// A random conversation to a random status.
    ToggleStatus,
    /// An incoming message on a random conversation of an API inbox.
    CreateMessage,
    /// Page 1 of the open conversations, default order.
    List,
    /// Page 200 of all conversations.
    ListDeep,
    /// The open conversations' counts.
    Meta,
    /// Filter: status open, label `billing`, custom attribute `plan` = enterprise.
    Filter,
    /// Search for a word present in about 1% of messages.
    Search,
    /// One conversation.
    Get,
    /// An agent's day: mostly reads, some replies and status changes.
    Mixed,
}

impl Scenario {
    /// Read-only scenarios first, so the writes do not change what the reads see.
    pub const ALL: [Scenario; 9] = [
        Scenario::List,
        Scenario::ListDeep,
        Scenario::Meta,
        Scenario::Filter,
        Scenario::Search,
        Scenario::Get,
        Scenario::Mixed,
        Scenario::ToggleStatus,
        Scenario::CreateMessage,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::ToggleStatus => "toggle_status",
            Scenario::CreateMessage => "create_message",
            Scenario::List => "list",
            Scenario::ListDeep => "list_deep",
            Scenario::Meta => "meta",
            Scenario::Filter => "filter",
            Scenario::Search => "search",
            Scenario::Get => "get",
            Scenario::Mixed => "mixed",
        }
    }
}

/// What the scenarios need to know about the seeded account.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub account_id: i64,
    /// Conversations have display ids 1..=conversations.
    pub conversations: i64,
    pub rare_word: String,
}

const STATUSES: [&str; 4] = ["open", "resolved", "pending", "snoozed"];

fn conversation(ctx: &Ctx, r: &mut StdRng) -> i64 {
    r.random_range(1..=ctx.conversations.max(1))
}

fn base(ctx: &Ctx) -> String {
    format!("/api/v1/accounts/{}/conversations", ctx.account_id)
}

fn toggle(ctx: &Ctx, r: &mut StdRng) -> Call {
    let id = conversation(ctx, r);
    let status = STATUSES[r.random_range(0..STATUSES.len())];
    Call::post(
        format!("{}/{id}/toggle_status", base(ctx)),
        json!({ "status": status }).to_string(),
    )
}

fn message(ctx: &Ctx, r: &mut StdRng, kind: &str) -> Call {
    let id = conversation(ctx, r);
    let n: u32 = r.random();
    Call::post(
        format!("{}/{id}/messages", base(ctx)),
        json!({ "content": format!("benchmark message {n}: my order has not arrived yet"), "message_type": kind })
            .to_string(),
    )
}

fn list(ctx: &Ctx, page: u32) -> Call {
    Call::get(format!("{}?status=open&page={page}", base(ctx)))
}

fn filter_body() -> String {
    json!({ "payload": [
        { "attribute_key": "status", "filter_operator": "equal_to", "values": ["open"], "query_operator": "and" },
        { "attribute_key": "labels", "filter_operator": "equal_to", "values": ["billing"], "query_operator": "and" },
        { "attribute_key": "plan", "filter_operator": "equal_to", "values": ["enterprise"], "query_operator": null }
    ]})
    .to_string()
}

/// The request generator of a scenario.
pub fn workload(s: Scenario, ctx: Ctx) -> Workload {
    let ctx = Arc::new(ctx);
    match s {
        Scenario::ToggleStatus => Arc::new(move |r| toggle(&ctx, r)),
        Scenario::CreateMessage => Arc::new(move |r| message(&ctx, r, "incoming")),
        Scenario::List => Arc::new(move |_| list(&ctx, 1)),
        Scenario::ListDeep => {
            Arc::new(move |_| Call::get(format!("{}?status=all&page=200", base(&ctx))))
        }
        Scenario::Meta => Arc::new(move |_| Call::get(format!("{}/meta?status=open", base(&ctx)))),
        Scenario::Filter => {
            let body = filter_body();
            Arc::new(move |_| Call::post(format!("{}/filter?page=1", base(&ctx)), body.clone()))
        }
        Scenario::Search => Arc::new(move |_| {
            Call::get(format!("{}/search?q={}&page=1", base(&ctx), ctx.rare_word))
        }),
        Scenario::Get => {
            Arc::new(move |r| Call::get(format!("{}/{}", base(&ctx), conversation(&ctx, r))))
        }
        Scenario::Mixed => Arc::new(move |r| {
            // What an agent's screen does: open a conversation and its messages, go back to the
            // list, glance at the counts; now and then reply, change a status, search.
            match r.random_range(0..100) {
                0..30 => Call::get(format!("{}/{}", base(&ctx), conversation(&ctx, r))),
                30..50 => Call::get(format!("{}/{}/messages", base(&ctx), conversation(&ctx, r))),
                50..70 => list(&ctx, r.random_range(1..=3)),
                70..78 => Call::get(format!("{}/meta?status=open", base(&ctx))),
                78..88 => message(&ctx, r, "outgoing"),
                88..95 => toggle(&ctx, r),
                95..98 => Call::get(format!("{}/search?q={}", base(&ctx), ctx.rare_word)),
                _ => Call::post(format!("{}/filter?page=1", base(&ctx)), filter_body()),
            }
        }),
    }
}
