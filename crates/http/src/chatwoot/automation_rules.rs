//! `…/automation_rules` (administrators): CRUD and clone of the account's rules.

use std::collections::HashMap;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use confab_app::automation::RuleInput;
use confab_app::domain::AutomationRuleId;
use confab_app::domain::automation::AutomationRule;
use confab_app::domain::message::UploadedFile;
use confab_app::{App, Scope};
use serde_json::{Value, json};

use crate::error::{ApiResult, RuleResult};
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

/// A rule as upstream renders it, with the files its `send_attachment` actions send.
fn rule_json(
    app: &App,
    r: &AutomationRule,
    files: &HashMap<AutomationRuleId, Vec<UploadedFile>>,
) -> Value {
    let files: Vec<Value> = files
        .get(&r.id)
        .into_iter()
        .flatten()
        .map(|f| {
            json!({
                "id": f.id,
                "automation_rule_id": r.id,
                "file_type": f.mime_type,
                "account_id": r.account_id,
                "file_url": app.upload_url(f),
                "blob_id": f.id,
                "filename": f.file_name,
            })
        })
        .collect();
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
        "files": files,
    })
}

/// `{"payload": <rule>}` for one rule.
async fn one(app: &App, scope: &Scope, r: &AutomationRule) -> RuleResult<Json<Value>> {
    let files = app.automation_rule_files(scope, &[r]).await?;
    Ok(Json(json!({ "payload": rule_json(app, r, &files) })))
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

async fn list(State(app): State<App>, Scoped(scope): Scoped) -> RuleResult<Json<Value>> {
    let rules = app.list_automation_rules(&scope).await?;
    let files = app
        .automation_rule_files(&scope, &rules.iter().collect::<Vec<_>>())
        .await?;
    let payload: Vec<Value> = rules.iter().map(|r| rule_json(&app, r, &files)).collect();
    Ok(Json(json!({ "payload": payload })))
}

async fn show(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> RuleResult<Json<Value>> {
    let r = app
        .get_automation_rule(&scope, AutomationRuleId(id))
        .await?;
    one(&app, &scope, &r).await
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> RuleResult<Json<Value>> {
    let r = app.create_automation_rule(&scope, &input(&body)?).await?;
    one(&app, &scope, &r).await
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> RuleResult<Json<Value>> {
    let r = app
        .update_automation_rule(&scope, AutomationRuleId(id), &input(&body)?)
        .await?;
    one(&app, &scope, &r).await
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> RuleResult<Json<Value>> {
    app.delete_automation_rule(&scope, AutomationRuleId(id))
        .await?;
    Ok(Json(json!({})))
}

async fn clone_rule(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> RuleResult<Json<Value>> {
    let r = app
        .clone_automation_rule(&scope, AutomationRuleId(id))
        .await?;
    one(&app, &scope, &r).await
}
