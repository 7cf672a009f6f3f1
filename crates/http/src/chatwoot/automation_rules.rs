//! `…/automation_rules` (administrators): CRUD and clone of the account's rules.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use confab_app::App;
use confab_app::automation::RuleInput;
use confab_app::domain::AutomationRuleId;
use confab_app::domain::automation::AutomationRule;
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::extract::{Body, Fields, Ids, Scoped};

const RULES: &str = "/api/v1/accounts/{account_id}/automation_rules";

pub fn router() -> Router<App> {
    Router::new()
        .route(RULES, get(list).post(create))
        .route(
            &format!("{RULES}/{{id}}"),
            get(show).patch(update).put(update).delete(destroy),
        )
        .route(&format!("{RULES}/{{id}}/clone"), post(clone_rule))
}

/// A rule as upstream renders it.
fn rule_json(r: &AutomationRule) -> Value {
    json!({
        "id": r.id,
        "account_id": r.account_id,
        "name": r.name,
        "description": r.description,
        "event_name": r.event_name,
        "conditions": r.conditions,
        "actions": r.actions,
        "created_on": r.created_at.unix_seconds(),
        "active": r.active,
        "files": [],
    })
}

fn input(body: &Fields) -> ApiResult<RuleInput> {
    let f = body.wrapped("automation_rule");
    Ok(RuleInput {
        name: f.string("name")?,
        description: f.nullable_string("description")?,
        event_name: f.string("event_name")?,
        conditions: f.value("conditions").cloned(),
        actions: f.value("actions").cloned(),
        active: f.bool("active")?,
    })
}

async fn list(State(app): State<App>, Scoped(scope): Scoped) -> ApiResult<Json<Value>> {
    let rules = app.list_automation_rules(&scope).await?;
    Ok(Json(
        json!({ "payload": rules.iter().map(rule_json).collect::<Vec<_>>() }),
    ))
}

async fn show(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let r = app
        .get_automation_rule(&scope, AutomationRuleId(id))
        .await?;
    Ok(Json(json!({ "payload": rule_json(&r) })))
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let r = app.create_automation_rule(&scope, &input(&body)?).await?;
    Ok(Json(json!({ "payload": rule_json(&r) })))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let r = app
        .update_automation_rule(&scope, AutomationRuleId(id), &input(&body)?)
        .await?;
    Ok(Json(json!({ "payload": rule_json(&r) })))
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    app.delete_automation_rule(&scope, AutomationRuleId(id))
        .await?;
    Ok(Json(json!({})))
}

async fn clone_rule(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let r = app
        .clone_automation_rule(&scope, AutomationRuleId(id))
        .await?;
    Ok(Json(json!({ "payload": rule_json(&r) })))
}
