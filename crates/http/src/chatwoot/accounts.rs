//! `GET|PATCH|PUT /api/v1/accounts/:account_id`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use confab_app::App;
use confab_app::platform::AccountInput;
use serde_json::Value;

use crate::error::ApiResult;
use crate::extract::{Body, Scoped};
use crate::views;

pub fn router() -> Router<App> {
    Router::new().route(
        "/api/v1/accounts/{account_id}",
        get(show).patch(update).put(update),
    )
}

async fn show(State(app): State<App>, Scoped(scope): Scoped) -> Json<Value> {
    Json(views::account(&app.account(&scope)))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let f = body.wrapped("account");
    let input = AccountInput {
        name: f.string("name")?,
        locale: f.string("locale")?,
        domain: f.nullable_string("domain")?,
        support_email: f.nullable_string("support_email")?,
        custom_attributes: f.object("custom_attributes")?,
        auto_resolve_duration: f.integer("auto_resolve_duration")?,
        ..Default::default()
    };
    Ok(Json(views::account(
        &app.update_account(&scope, &input).await?,
    )))
}
