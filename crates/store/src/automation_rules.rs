//! Automation rules of an account.

use confab_domain::automation::AutomationRule;
use confab_domain::{AccountId, AutomationRuleId, Timestamp};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::{Conn, StoreError};

const COLUMNS: [&str; 10] = [
    "id",
    "account_id",
    "name",
    "description",
    "event_name",
    "conditions",
    "actions",
    "active",
    "created_at",
    "updated_at",
];

fn select(account: AccountId) -> SelectStatement {
    Query::select()
        .columns(COLUMNS)
        .from("automation_rules")
        .and_where(Expr::col("account_id").eq(account.get()))
        .to_owned()
}

/// A rule to write (validated).
#[derive(Debug, Clone)]
pub struct NewRule {
    pub name: String,
    pub description: Option<String>,
    pub event_name: String,
    pub conditions: Value,
    pub actions: Value,
    pub active: bool,
}

/// Changes to a rule; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct RuleChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub event_name: Option<String>,
    pub conditions: Option<Value>,
    pub actions: Option<Value>,
    pub active: Option<bool>,
}

pub async fn insert(
    c: &mut Conn<'_>,
    account: AccountId,
    n: &NewRule,
    now: Timestamp,
) -> Result<AutomationRuleId, StoreError> {
    let mut stmt = insert_into(
        "automation_rules",
        vec![
            ("account_id", account.get().into()),
            ("name", n.name.clone().into()),
            ("description", n.description.clone().into()),
            ("event_name", n.event_name.clone().into()),
            ("conditions", json(&n.conditions)),
            ("actions", json(&n.actions)),
            ("active", n.active.into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    Ok(AutomationRuleId(c.insert_returning_id(&mut stmt).await?))
}

/// The account's rules, oldest first.
pub async fn list(c: &mut Conn<'_>, account: AccountId) -> Result<Vec<AutomationRule>, StoreError> {
    let stmt = select(account).order_by("id", Order::Asc).to_owned();
    c.fetch_all(&stmt).await
}

pub async fn find(
    c: &mut Conn<'_>,
    account: AccountId,
    id: AutomationRuleId,
) -> Result<Option<AutomationRule>, StoreError> {
    let stmt = select(account)
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

pub async fn update(
    c: &mut Conn<'_>,
    id: AutomationRuleId,
    ch: &RuleChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("name", ch.name.clone())
        .opt("description", ch.description.clone())
        .opt("event_name", ch.event_name.clone())
        .opt_json("conditions", ch.conditions.as_ref())
        .opt_json("actions", ch.actions.as_ref())
        .opt("active", ch.active);
    c.execute(&changes.update("automation_rules", id.get(), now))
        .await?;
    Ok(())
}

pub async fn delete(
    c: &mut Conn<'_>,
    account: AccountId,
    id: AutomationRuleId,
) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("automation_rules")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// The active rules of an account for an event, oldest first.
pub async fn active_for(
    c: &mut Conn<'_>,
    account: AccountId,
    event: &str,
) -> Result<Vec<AutomationRule>, StoreError> {
    let stmt = select(account)
        .and_where(Expr::col("event_name").eq(event))
        .and_where(Expr::col("active").eq(true))
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Which (account, event) pairs among `accounts` have an active rule (one query per batch of
/// events, so accounts without rules cost nothing more).
pub async fn triggers(
    c: &mut Conn<'_>,
    accounts: &[AccountId],
) -> Result<Vec<(AccountId, String)>, StoreError> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(["account_id", "event_name"])
        .distinct()
        .from("automation_rules")
        .and_where(Expr::col("account_id").is_in(accounts.iter().map(|a| a.get())))
        .and_where(Expr::col("active").eq(true))
        .to_owned();
    c.fetch_all(&stmt).await
}
