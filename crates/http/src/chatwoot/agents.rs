//! `…/agents`: list, create, update, delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use confab_app::App;
use confab_app::agents::AgentInput;
use confab_app::domain::UserId;
use serde_json::Value;

use crate::error::ApiResult;
use crate::extract::{Body, Fields, Ids, Scoped};
use crate::views;

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/accounts/{account_id}/agents",
            get(list).post(create),
        )
        .route(
            "/api/v1/accounts/{account_id}/agents/{id}",
            patch(update).put(update).delete(destroy),
        )
}

fn input(body: &Fields) -> ApiResult<AgentInput> {
    let f = body.wrapped("agent");
    Ok(AgentInput {
        name: f.string("name")?,
        email: f.string("email")?,
        role: f.string("role")?,
        availability: f.string("availability")?,
        auto_offline: f.bool("auto_offline")?,
    })
}

async fn list(State(app): State<App>, Scoped(scope): Scoped) -> ApiResult<Json<Value>> {
    let agents = app.list_agents(&scope).await?;
    Ok(Json(Value::Array(
        agents.iter().map(|(u, m)| views::agent(u, m)).collect(),
    )))
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let (u, m) = app.create_agent(&scope, &input(&body)?).await?;
    Ok(Json(views::agent(&u, &m)))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let (u, m) = app.update_agent(&scope, UserId(id), &input(&body)?).await?;
    Ok(Json(views::agent(&u, &m)))
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.delete_agent(&scope, UserId(id)).await?;
    Ok(StatusCode::OK)
}
