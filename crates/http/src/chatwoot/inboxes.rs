//! `…/inboxes` (API channel), `…/inbox_members` and the inbox's agent bot.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use confab_app::domain::{AgentBotId, InboxId, UserId};
use confab_app::inboxes::{InboxInput, MemberChange};
use confab_app::{App, Scope};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Fields, Ids, Scoped};
use crate::views;

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/accounts/{account_id}/inboxes",
            get(list).post(create),
        )
        .route(
            "/api/v1/accounts/{account_id}/inboxes/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
        .route(
            "/api/v1/accounts/{account_id}/inboxes/{id}/agent_bot",
            get(agent_bot),
        )
        .route(
            "/api/v1/accounts/{account_id}/inboxes/{id}/set_agent_bot",
            post(set_agent_bot),
        )
        .route(
            "/api/v1/accounts/{account_id}/inbox_members",
            post(add_members).patch(set_members).delete(remove_members),
        )
        .route(
            "/api/v1/accounts/{account_id}/inbox_members/{inbox_id}",
            get(members),
        )
}

fn input(body: &Fields) -> ApiResult<InboxInput> {
    let f = body.wrapped("inbox");
    let channel = f.nested("channel")?;
    Ok(InboxInput {
        name: f.string("name")?,
        greeting_enabled: f.bool("greeting_enabled")?,
        greeting_message: f.nullable_string("greeting_message")?,
        enable_email_collect: f.bool("enable_email_collect")?,
        csat_survey_enabled: f.bool("csat_survey_enabled")?,
        csat_config: f.object("csat_config")?,
        enable_auto_assignment: f.bool("enable_auto_assignment")?,
        auto_assignment_config: f.object("auto_assignment_config")?,
        working_hours_enabled: f.bool("working_hours_enabled")?,
        out_of_office_message: f.nullable_string("out_of_office_message")?,
        timezone: f.string("timezone")?,
        allow_messages_after_resolved: f.bool("allow_messages_after_resolved")?,
        lock_to_single_conversation: f.bool("lock_to_single_conversation")?,
        sender_name_type: f.string("sender_name_type")?,
        business_name: f.nullable_string("business_name")?,
        channel_type: channel.string("type")?,
        webhook_url: channel.nullable_string("webhook_url")?,
        hmac_mandatory: channel.bool("hmac_mandatory")?,
        channel_additional_attributes: channel.object("additional_attributes")?,
        auto_resolve_after: f.integer("auto_resolve_after")?,
        auto_resolve_pending: match f.value("auto_resolve_pending") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => Some(f.bool("auto_resolve_pending")?),
        },
        auto_resolve_message: f.nullable_string("auto_resolve_message")?,
    })
}

async fn list(State(app): State<App>, Scoped(scope): Scoped) -> ApiResult<Json<Value>> {
    let list = app.list_inboxes(&scope).await?;
    let admin = scope.is_admin();
    Ok(Json(
        json!({ "payload": list.iter().map(|i| views::inbox(i, admin)).collect::<Vec<_>>() }),
    ))
}

async fn show(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let inbox = app.get_inbox(&scope, InboxId(id)).await?;
    Ok(Json(views::inbox(&inbox, scope.is_admin())))
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let inbox = app.create_inbox(&scope, &input(&body)?).await?;
    Ok(Json(views::inbox(&inbox, true)))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let inbox = app
        .update_inbox(&scope, InboxId(id), &input(&body)?)
        .await?;
    Ok(Json(views::inbox(&inbox, true)))
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    app.delete_inbox(&scope, InboxId(id)).await?;
    Ok(Json(
        json!({ "message": "Your inbox deletion request will be processed in some time." }),
    ))
}

async fn agent_bot(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let bot = app.inbox_agent_bot(&scope, InboxId(id)).await?;
    Ok(Json(
        json!({ "agent_bot": bot.as_ref().map(|b| views::agent_bot(b, None)) }),
    ))
}

async fn set_agent_bot(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<StatusCode> {
    if !body.has("agent_bot") {
        return Err(ApiError::App(confab_app::AppError::Unprocessable(
            "param is missing or the value is empty: agent_bot".into(),
        )));
    }
    let bot = body
        .nullable_id("agent_bot")?
        .flatten()
        .filter(|b| *b != 0)
        .map(AgentBotId);
    app.set_inbox_agent_bot(&scope, InboxId(id), bot).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn member_params(body: &Fields) -> ApiResult<(InboxId, Vec<UserId>)> {
    let inbox = body.id("inbox_id")?.ok_or_else(|| missing("inbox_id"))?;
    let users = body
        .id_list("user_ids")?
        .ok_or_else(|| missing("user_ids"))?;
    Ok((InboxId(inbox), users.into_iter().map(UserId).collect()))
}

fn missing(param: &str) -> ApiError {
    ApiError::App(confab_app::AppError::Unprocessable(format!(
        "param is missing or the value is empty: {param}"
    )))
}

fn agents_payload(
    list: &[(
        confab_app::domain::user::User,
        confab_app::domain::account::AccountUser,
    )],
) -> Json<Value> {
    Json(json!({ "payload": list.iter().map(|(u, m)| views::agent(u, m)).collect::<Vec<_>>() }))
}

async fn members(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    Ok(agents_payload(
        &app.list_inbox_members(&scope, InboxId(id)).await?,
    ))
}

/// Applies one kind of member change from a `{inbox_id, user_ids}` body.
async fn change_members(
    app: &App,
    scope: &Scope,
    body: &Fields,
    change: MemberChange,
) -> ApiResult<Json<Value>> {
    let (inbox, users) = member_params(body)?;
    Ok(agents_payload(
        &app.change_inbox_members(scope, inbox, &users, change)
            .await?,
    ))
}

async fn add_members(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    change_members(&app, &scope, &body, MemberChange::Add).await
}

async fn set_members(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    change_members(&app, &scope, &body, MemberChange::Set).await
}

/// Upstream answers a removal with an empty 200.
async fn remove_members(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<StatusCode> {
    change_members(&app, &scope, &body, MemberChange::Remove)
        .await
        .map(|_| StatusCode::OK)
}
