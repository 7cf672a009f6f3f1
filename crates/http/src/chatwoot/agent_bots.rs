//! `…/agent_bots`: the account's bots.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use confab_app::App;
use confab_app::domain::AgentBotId;
use confab_app::platform::AgentBotInput;
use serde_json::Value;

use crate::error::ApiResult;
use crate::extract::{Body, Fields, Ids, Scoped};
use crate::views;

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/accounts/{account_id}/agent_bots",
            get(list).post(create),
        )
        .route(
            "/api/v1/accounts/{account_id}/agent_bots/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
        .route(
            "/api/v1/accounts/{account_id}/agent_bots/{id}/reset_access_token",
            post(reset_token),
        )
}

pub(crate) fn input(body: &Fields) -> ApiResult<AgentBotInput> {
    let f = body.wrapped("agent_bot");
    Ok(AgentBotInput {
        name: f.string("name")?,
        description: f.nullable_string("description")?,
        outgoing_url: f.nullable_string("outgoing_url")?,
        bot_config: f.object("bot_config")?,
        account_id: f.id("account_id")?.map(confab_app::domain::AccountId),
    })
}

async fn list(State(app): State<App>, Scoped(scope): Scoped) -> ApiResult<Json<Value>> {
    let bots = app.list_agent_bots(&scope).await?;
    Ok(Json(Value::Array(
        bots.iter().map(|b| views::agent_bot(b, None)).collect(),
    )))
}

async fn show(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let (bot, token) = app.get_agent_bot(&scope, AgentBotId(id)).await?;
    Ok(Json(views::agent_bot(&bot, token.as_deref())))
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let (bot, token) = app.create_agent_bot(&scope, &input(&body)?).await?;
    Ok(Json(views::agent_bot(&bot, Some(&token))))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let (bot, token) = app
        .update_agent_bot(&scope, AgentBotId(id), &input(&body)?)
        .await?;
    Ok(Json(views::agent_bot(&bot, token.as_deref())))
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.delete_agent_bot(&scope, AgentBotId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reset_token(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let (bot, token) = app.reset_agent_bot_token(&scope, AgentBotId(id)).await?;
    Ok(Json(views::agent_bot(&bot, Some(&token))))
}
