//! Agent bots and their connection to inboxes.

use confab_domain::agent_bot::AgentBot;
use confab_domain::{AccountId, AgentBotId, InboxId, Timestamp};
use sea_query::{Cond, Expr, ExprTrait, Order, Query};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::{Conn, StoreError};

const COLUMNS: [&str; 9] = [
    "id",
    "account_id",
    "name",
    "description",
    "outgoing_url",
    "bot_type",
    "bot_config",
    "created_at",
    "updated_at",
];

/// A new bot; `account_id` `None` makes a system bot.
#[derive(Debug, Clone)]
pub struct NewAgentBot {
    pub account_id: Option<AccountId>,
    pub name: String,
    pub description: Option<String>,
    pub outgoing_url: Option<String>,
    pub bot_config: Value,
    /// The key its deliveries are signed with.
    pub secret: String,
}

/// Changes to a bot.
#[derive(Debug, Clone, Default)]
pub struct AgentBotChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub outgoing_url: Option<Option<String>>,
    pub bot_config: Option<Value>,
    /// A new signing key.
    pub secret: Option<String>,
}

pub async fn insert_agent_bot(
    c: &mut Conn<'_>,
    b: &NewAgentBot,
    now: Timestamp,
) -> Result<AgentBotId, StoreError> {
    let mut stmt = insert_into(
        "agent_bots",
        vec![
            ("account_id", b.account_id.map(AccountId::get).into()),
            ("name", b.name.clone().into()),
            ("description", b.description.clone().into()),
            ("outgoing_url", b.outgoing_url.clone().into()),
            ("bot_type", 0i16.into()),
            ("bot_config", json(&b.bot_config)),
            ("secret", b.secret.clone().into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    Ok(AgentBotId(c.insert_returning_id(&mut stmt).await?))
}

pub async fn find_agent_bot(
    c: &mut Conn<'_>,
    id: AgentBotId,
) -> Result<Option<AgentBot>, StoreError> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("agent_bots")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

pub async fn get_agent_bot(c: &mut Conn<'_>, id: AgentBotId) -> Result<AgentBot, StoreError> {
    find_agent_bot(c, id).await?.ok_or(StoreError::NotFound)
}

/// The bots an account sees: its own and the system bots, by id.
pub async fn list_for_account(
    c: &mut Conn<'_>,
    account: AccountId,
) -> Result<Vec<AgentBot>, StoreError> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("agent_bots")
        .cond_where(
            Cond::any()
                .add(Expr::col("account_id").eq(account.get()))
                .add(Expr::col("account_id").is_null()),
        )
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Bots with the given ids, by id.
pub async fn list_by_ids(c: &mut Conn<'_>, ids: &[i64]) -> Result<Vec<AgentBot>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("agent_bots")
        .and_where(Expr::col("id").is_in(ids.iter().copied()))
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

pub async fn update_agent_bot(
    c: &mut Conn<'_>,
    id: AgentBotId,
    ch: &AgentBotChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("name", ch.name.clone())
        .opt("description", ch.description.clone())
        .opt("outgoing_url", ch.outgoing_url.clone())
        .opt_json("bot_config", ch.bot_config.as_ref())
        .opt("secret", ch.secret.clone());
    c.execute(&changes.update("agent_bots", id.get(), now))
        .await?;
    Ok(())
}

pub async fn delete_agent_bot(c: &mut Conn<'_>, id: AgentBotId) -> Result<(), StoreError> {
    crate::tokens::delete_token(c, crate::tokens::OwnerKind::AgentBot, id.get()).await?;
    let stmt = Query::delete()
        .from_table("agent_bots")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// Connects a bot to an inbox, replacing any bot it had; `None` disconnects.
pub async fn set_inbox_bot(
    c: &mut Conn<'_>,
    account: AccountId,
    inbox: InboxId,
    bot: Option<AgentBotId>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let del = Query::delete()
        .from_table("agent_bot_inboxes")
        .and_where(Expr::col("inbox_id").eq(inbox.get()))
        .to_owned();
    c.execute(&del).await?;
    if let Some(bot) = bot {
        let stmt = insert_into(
            "agent_bot_inboxes",
            vec![
                ("account_id", account.get().into()),
                ("inbox_id", inbox.get().into()),
                ("agent_bot_id", bot.get().into()),
                ("created_at", now.as_micros().into()),
            ],
        )?;
        c.execute(&stmt).await?;
    }
    Ok(())
}

/// The bot connected to an inbox.
pub async fn find_inbox_bot(
    c: &mut Conn<'_>,
    inbox: InboxId,
) -> Result<Option<AgentBot>, StoreError> {
    let cols = COLUMNS.map(|col| ("agent_bots", col));
    let stmt = Query::select()
        .columns(cols)
        .from("agent_bots")
        .inner_join(
            "agent_bot_inboxes",
            Expr::col(("agent_bot_inboxes", "agent_bot_id")).equals(("agent_bots", "id")),
        )
        .and_where(Expr::col(("agent_bot_inboxes", "inbox_id")).eq(inbox.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// Whether a bot is connected to any inbox of an account (a system bot's way into an account).
pub async fn is_connected_to_account(
    c: &mut Conn<'_>,
    bot: AgentBotId,
    account: AccountId,
) -> Result<bool, StoreError> {
    let stmt = Query::select()
        .expr(Expr::val(1i64))
        .from("agent_bot_inboxes")
        .and_where(Expr::col("agent_bot_id").eq(bot.get()))
        .and_where(Expr::col("account_id").eq(account.get()))
        .limit(1)
        .to_owned();
    Ok(c.fetch_scalar::<i64>(&stmt).await?.is_some())
}

/// Whether an inbox has an active agent bot (new conversations then start pending).
pub async fn inbox_has_bot(c: &mut Conn<'_>, inbox: InboxId) -> Result<bool, StoreError> {
    let stmt = Query::select()
        .expr(Expr::val(1i64))
        .from("agent_bot_inboxes")
        .and_where(Expr::col("inbox_id").eq(inbox.get()))
        .limit(1)
        .to_owned();
    Ok(c.fetch_scalar::<i64>(&stmt).await?.is_some())
}

/// A bot's signing key (`None` when the bot is not of this account).
pub async fn bot_secret(
    c: &mut Conn<'_>,
    account: AccountId,
    bot: AgentBotId,
) -> Result<Option<String>, StoreError> {
    let stmt = Query::select()
        .column("secret")
        .from("agent_bots")
        .and_where(Expr::col("id").eq(bot.get()))
        .and_where(Expr::col("account_id").eq(account.get()))
        .to_owned();
    Ok(c.fetch_scalar::<Option<String>>(&stmt).await?.flatten())
}
