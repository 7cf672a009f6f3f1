//! Chatwoot's Platform API (`/platform/api/v1/…`): provisioning by platform apps.

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use confab_app::App;
use confab_app::domain::platform::PlatformApp;
use confab_app::domain::{AccountId, AgentBotId, UserId};
use confab_app::platform::{AccountInput, UserInput};
use serde_json::{Value, json};

use crate::error::{OuterApiError, OuterResult};
use crate::extract::{Body, Fields, Ids, token_from_headers};
use crate::views;

const P: &str = "/platform/api/v1";

pub fn router() -> Router<App> {
    Router::new()
        .route(
            &format!("{P}/accounts"),
            get(list_accounts).post(create_account),
        )
        .route(
            &format!("{P}/accounts/{{id}}"),
            get(show_account)
                .patch(update_account)
                .put(update_account)
                .delete(delete_account),
        )
        .route(
            &format!("{P}/accounts/{{id}}/account_users"),
            get(list_account_users)
                .post(create_account_user)
                .delete(delete_account_user),
        )
        .route(&format!("{P}/users"), post(create_user))
        .route(
            &format!("{P}/users/{{id}}"),
            get(show_user)
                .patch(update_user)
                .put(update_user)
                .delete(delete_user),
        )
        .route(&format!("{P}/users/{{id}}/token"), post(user_token))
        .route(&format!("{P}/agent_bots"), get(list_bots).post(create_bot))
        .route(
            &format!("{P}/agent_bots/{{id}}"),
            get(show_bot)
                .patch(update_bot)
                .put(update_bot)
                .delete(delete_bot),
        )
}

/// The calling platform app.
struct Platform(PlatformApp);

impl FromRequestParts<App> for Platform {
    type Rejection = OuterApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(Platform(
            app.platform_app(token_from_headers(&parts.headers).as_deref())
                .await?,
        ))
    }
}

fn account_input(f: &Fields) -> OuterResult<AccountInput> {
    Ok(AccountInput {
        name: f.string("name")?,
        locale: f.string("locale")?,
        domain: f.nullable_string("domain")?,
        support_email: f.nullable_string("support_email")?,
        status: f.string("status")?,
        features: f.object("features")?,
        limits: f.object("limits")?,
        custom_attributes: f.object("custom_attributes")?,
        auto_resolve_duration: f.integer("auto_resolve_duration")?,
        settings: None,
    })
}

async fn list_accounts(State(app): State<App>, Platform(p): Platform) -> OuterResult<Json<Value>> {
    let list = app.platform_list_accounts(&p).await?;
    Ok(Json(Value::Array(
        list.iter().map(views::platform_account).collect(),
    )))
}

async fn create_account(
    State(app): State<App>,
    Platform(p): Platform,
    Body(body): Body,
) -> OuterResult<Json<Value>> {
    let a = app
        .platform_create_account(&p, &account_input(&body.wrapped("account"))?)
        .await?;
    Ok(Json(views::platform_account(&a)))
}

async fn show_account(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
) -> OuterResult<Json<Value>> {
    Ok(Json(views::platform_account(
        &app.platform_get_account(&p, AccountId(id)).await?,
    )))
}

async fn update_account(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
    Body(body): Body,
) -> OuterResult<Json<Value>> {
    let a = app
        .platform_update_account(&p, AccountId(id), &account_input(&body.wrapped("account"))?)
        .await?;
    Ok(Json(views::platform_account(&a)))
}

async fn delete_account(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
) -> OuterResult<StatusCode> {
    app.platform_delete_account(&p, AccountId(id)).await?;
    Ok(StatusCode::OK)
}

async fn list_account_users(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
) -> OuterResult<Json<Value>> {
    let list = app.platform_list_account_users(&p, AccountId(id)).await?;
    Ok(Json(Value::Array(
        list.iter().map(views::account_user).collect(),
    )))
}

async fn create_account_user(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
    Body(body): Body,
) -> OuterResult<Json<Value>> {
    let f = body.wrapped("account_user");
    let m = app
        .platform_create_account_user(
            &p,
            AccountId(id),
            f.id("user_id")?.map(UserId),
            f.string("role")?.as_deref(),
        )
        .await?;
    Ok(Json(views::account_user(&m)))
}

async fn delete_account_user(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
    Body(body): Body,
) -> OuterResult<StatusCode> {
    let f = body.wrapped("account_user");
    app.platform_delete_account_user(&p, AccountId(id), f.id("user_id")?.map(UserId))
        .await?;
    Ok(StatusCode::OK)
}

fn user_input(body: &Fields) -> OuterResult<UserInput> {
    let f = body.wrapped("user");
    Ok(UserInput {
        name: f.string("name")?,
        display_name: f.nullable_string("display_name")?,
        email: f.string("email")?,
        password: f.raw_string("password")?.filter(|p| !p.is_empty()),
        custom_attributes: f.object("custom_attributes")?,
    })
}

async fn render_user(
    app: &App,
    user: &confab_app::domain::user::User,
    token: &str,
) -> OuterResult<Json<Value>> {
    let memberships = app.memberships(user.id).await?;
    Ok(Json(views::platform_user(user, token, &memberships)))
}

async fn create_user(
    State(app): State<App>,
    Platform(p): Platform,
    Body(body): Body,
) -> OuterResult<Json<Value>> {
    let (u, token) = app.platform_create_user(&p, &user_input(&body)?).await?;
    render_user(&app, &u, &token).await
}

async fn show_user(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
) -> OuterResult<Json<Value>> {
    let (u, token) = app.platform_get_user(&p, UserId(id)).await?;
    render_user(&app, &u, &token).await
}

async fn update_user(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
    Body(body): Body,
) -> OuterResult<Json<Value>> {
    let (u, token) = app
        .platform_update_user(&p, UserId(id), &user_input(&body)?)
        .await?;
    render_user(&app, &u, &token).await
}

async fn delete_user(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
) -> OuterResult<StatusCode> {
    app.platform_delete_user(&p, UserId(id)).await?;
    Ok(StatusCode::OK)
}

async fn user_token(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
) -> OuterResult<Json<Value>> {
    let (u, token) = app.platform_get_user(&p, UserId(id)).await?;
    Ok(Json(json!({
        "access_token": token,
        "expiry": null,
        "user": { "id": u.id, "name": u.name, "display_name": u.display_name, "email": u.email, "pubsub_token": u.pubsub_token },
    })))
}

async fn list_bots(State(app): State<App>, Platform(p): Platform) -> OuterResult<Json<Value>> {
    let bots = app.platform_list_agent_bots(&p).await?;
    let tokens = app
        .tokens_of(
            confab_app::TokenOwner::AgentBot,
            &bots.iter().map(|b| b.id.get()).collect::<Vec<_>>(),
        )
        .await?;
    Ok(Json(Value::Array(
        bots.iter()
            .map(|b| {
                views::platform_agent_bot(
                    b,
                    tokens
                        .get(&b.id.get())
                        .map(String::as_str)
                        .unwrap_or_default(),
                )
            })
            .collect(),
    )))
}

async fn create_bot(
    State(app): State<App>,
    Platform(p): Platform,
    Body(body): Body,
) -> OuterResult<Json<Value>> {
    let input = crate::chatwoot::agent_bot_input(&body)?;
    let (bot, token) = app.platform_create_agent_bot(&p, &input).await?;
    Ok(Json(views::platform_agent_bot(&bot, &token)))
}

async fn show_bot(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
) -> OuterResult<Json<Value>> {
    let (bot, token) = app.platform_get_agent_bot(&p, AgentBotId(id)).await?;
    Ok(Json(views::platform_agent_bot(&bot, &token)))
}

async fn update_bot(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
    Body(body): Body,
) -> OuterResult<Json<Value>> {
    let input = crate::chatwoot::agent_bot_input(&body)?;
    let (bot, token) = app
        .platform_update_agent_bot(&p, AgentBotId(id), &input)
        .await?;
    Ok(Json(views::platform_agent_bot(&bot, &token)))
}

async fn delete_bot(
    State(app): State<App>,
    Platform(p): Platform,
    Ids(id): Ids<i64>,
) -> OuterResult<StatusCode> {
    app.platform_delete_agent_bot(&p, AgentBotId(id)).await?;
    Ok(StatusCode::OK)
}
