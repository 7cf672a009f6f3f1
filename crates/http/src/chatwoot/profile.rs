//! `GET|PATCH|PUT /api/v1/profile`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use confab_app::App;
use confab_app::profile::ProfileInput;
use serde_json::Value;

use crate::error::ApiResult;
use crate::extract::{Body, CurrentUser};
use crate::views;

pub fn router() -> Router<App> {
    Router::new().route("/api/v1/profile", get(show).patch(update).put(update))
}

async fn render(app: &App, user: &confab_app::domain::user::User) -> ApiResult<Json<Value>> {
    let token = app.user_token(user.id).await?;
    let memberships = app.memberships(user.id).await?;
    Ok(Json(views::profile(user, &token, &memberships)))
}

async fn show(State(app): State<App>, CurrentUser(user): CurrentUser) -> ApiResult<Json<Value>> {
    render(&app, &user).await
}

async fn update(
    State(app): State<App>,
    CurrentUser(user): CurrentUser,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let f = body.wrapped("profile");
    let input = ProfileInput {
        name: f.string("name")?,
        display_name: f.nullable_string("display_name")?,
        email: f.string("email")?,
        message_signature: f.nullable_string("message_signature")?,
        ui_settings: f.object("ui_settings")?,
        password: f.raw_string("password")?.filter(|p| !p.is_empty()),
        password_confirmation: f.raw_string("password_confirmation")?,
        current_password: f.raw_string("current_password")?,
        availability: f.string("availability")?,
    };
    let user = app.update_profile(&user, &input).await?;
    render(&app, &user).await
}
