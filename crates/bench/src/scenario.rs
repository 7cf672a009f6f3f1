//! The scenarios: which requests a worker sends, over the seeded account.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::ValueEnum;
use hyper::header::{HeaderName, HeaderValue};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::json;

use crate::load::{Call, Workload, call_once};

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
    /// A customer's message through the Public API (no token; the inbox identifier and the
    /// contact's source id in the path), on conversations the customers opened at setup.
    PublicMessage,
}

impl Scenario {
    /// Read-only scenarios first, so the writes do not change what the reads see.
    pub const ALL: [Scenario; 10] = [
        Scenario::List,
        Scenario::ListDeep,
        Scenario::Meta,
        Scenario::Filter,
        Scenario::Search,
        Scenario::Get,
        Scenario::Mixed,
        Scenario::ToggleStatus,
        Scenario::CreateMessage,
        Scenario::PublicMessage,
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
            Scenario::PublicMessage => "public_message",
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
    /// `…/messages` paths of conversations customers opened through the Public API (filled
    /// before `public_message` runs).
    pub customer_paths: Arc<Vec<String>>,
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

/// Customers `public_message` writes as: enough conversations that the flood guard (200
/// messages a minute per conversation) stays out of the way at 100k messages a minute.
pub const CUSTOMERS: usize = 500;

/// Creates `n` customers in the account's first API inbox through the Public API, each with an
/// open conversation; returns the conversations' `…/messages` paths.
pub async fn open_customer_conversations(
    addr: SocketAddr,
    agent_headers: &[(HeaderName, HeaderValue)],
    account_id: i64,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    let inboxes = format!("/api/v1/accounts/{account_id}/inboxes");
    let (status, body) = call_once(addr, agent_headers, Call::get(inboxes)).await?;
    let identifier = body["payload"]
        .as_array()
        .and_then(|list| list.iter().find_map(|i| i["inbox_identifier"].as_str()))
        .filter(|_| status == 200)
        .with_context(|| format!("no API inbox to write to (inboxes answered {status})"))?
        .to_owned();
    let base = format!("/public/api/v1/inboxes/{identifier}/contacts");
    let mut paths = Vec::with_capacity(n);
    for i in 0..n {
        let contact = json!({ "name": format!("Bench customer {i}") }).to_string();
        let (status, me) = call_once(addr, &[], Call::post(base.clone(), contact)).await?;
        let source = me["source_id"]
            .as_str()
            .filter(|_| status == 200)
            .with_context(|| format!("public contact create answered {status}: {me}"))?;
        let conversations = format!("{base}/{source}/conversations");
        let (status, conv) =
            call_once(addr, &[], Call::post(conversations.clone(), "{}".into())).await?;
        let id = conv["id"]
            .as_i64()
            .filter(|_| status == 200)
            .with_context(|| format!("public conversation create answered {status}: {conv}"))?;
        paths.push(format!("{conversations}/{id}/messages"));
    }
    Ok(paths)
}

/// The request generator of a scenario.
pub fn workload(s: Scenario, ctx: Ctx) -> Workload {
    let ctx = Arc::new(ctx);
    match s {
        Scenario::PublicMessage => Arc::new(move |r| {
            let path = &ctx.customer_paths[r.random_range(0..ctx.customer_paths.len().max(1))];
            let n: u32 = r.random();
            Call::post(
                path.clone(),
                json!({ "content": format!("customer message {n}: is there any news?") })
                    .to_string(),
            )
        }),
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
