//! `…/teams` and `…/teams/{team_id}/team_members`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use confab_app::domain::account::AccountUser;
use confab_app::domain::user::User;
use confab_app::domain::{TeamId, UserId};
use confab_app::inboxes::MemberChange;
use confab_app::teams::{TeamEntry, TeamInput};
use confab_app::{App, AppError};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Fields, Ids, Scoped};
use crate::views;

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/accounts/{account_id}/teams",
            get(list).post(create),
        )
        .route(
            "/api/v1/accounts/{account_id}/teams/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
        .route(
            "/api/v1/accounts/{account_id}/teams/{team_id}/team_members",
            get(members)
                .post(add_members)
                .patch(set_members)
                .delete(remove_members),
        )
}

/// A team as upstream's `_team` partial renders it.
pub fn team_json(e: &TeamEntry) -> Value {
    json!({
        "id": e.team.id,
        "name": e.team.name,
        "description": e.team.description,
        "allow_auto_assign": e.team.allow_auto_assign,
        "account_id": e.team.account_id,
        "is_member": e.is_member,
    })
}

/// Rails' `params.require(key)` after `wrap_parameters`: the nested object under `key`, or the
/// flat body when it carries one of the resource's fields; otherwise 422 "param is missing".
pub(super) fn required(body: &Fields, key: &str, fields: &[&str]) -> ApiResult<Fields> {
    let f = body.wrapped(key);
    if fields.iter().any(|k| f.has(k)) {
        Ok(f)
    } else {
        Err(param_missing(key))
    }
}

pub(super) fn param_missing(key: &str) -> ApiError {
    ApiError::App(AppError::Unprocessable(format!(
        "param is missing or the value is empty: {key}"
    )))
}

/// A text field that, when sent blank, is blank (so presence rules can refuse it) rather than
/// absent.
pub(super) fn text(f: &Fields, key: &str) -> ApiResult<Option<String>> {
    Ok(f.nullable_string(key)?.map(Option::unwrap_or_default))
}

fn input(body: &Fields) -> ApiResult<TeamInput> {
    let f = required(body, "team", &["name", "description", "allow_auto_assign"])?;
    Ok(TeamInput {
        name: text(&f, "name")?,
        description: f.nullable_string("description")?,
        allow_auto_assign: f.bool("allow_auto_assign")?,
    })
}

async fn list(State(app): State<App>, Scoped(scope): Scoped) -> ApiResult<Json<Value>> {
    let list = app.list_teams(&scope).await?;
    Ok(Json(Value::Array(list.iter().map(team_json).collect())))
}

async fn show(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(team_json(&app.get_team(&scope, TeamId(id)).await?)))
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let team = app.create_team(&scope, &input(&body)?).await?;
    Ok(Json(team_json(&team)))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let team = app.update_team(&scope, TeamId(id), &input(&body)?).await?;
    Ok(Json(team_json(&team)))
}

/// Upstream answers a deletion with an empty 200.
async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.delete_team(&scope, TeamId(id)).await?;
    Ok(StatusCode::OK)
}

fn agents_json(list: &[(User, AccountUser)]) -> Json<Value> {
    Json(Value::Array(
        list.iter().map(|(u, m)| views::agent(u, m)).collect(),
    ))
}

fn user_ids(body: &Fields) -> ApiResult<Vec<UserId>> {
    let ids = body
        .id_list("user_ids")?
        .ok_or_else(|| param_missing("user_ids"))?;
    Ok(ids.into_iter().map(UserId).collect())
}

async fn members(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, team)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    Ok(agents_json(
        &app.list_team_members(&scope, TeamId(team)).await?,
    ))
}

/// Adds members; answers the agents added (upstream renders `{}` when none were named; Confab
/// answers an empty array).
async fn add_members(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, team)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let users = user_ids(&body)?;
    Ok(agents_json(
        &app.change_team_members(&scope, TeamId(team), &users, MemberChange::Add)
            .await?,
    ))
}

/// Makes the member list exactly `user_ids`; answers every member.
async fn set_members(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, team)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let users = user_ids(&body)?;
    Ok(agents_json(
        &app.change_team_members(&scope, TeamId(team), &users, MemberChange::Set)
            .await?,
    ))
}

/// Removes members; upstream answers an empty 200.
async fn remove_members(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, team)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<StatusCode> {
    let users = user_ids(&body)?;
    app.change_team_members(&scope, TeamId(team), &users, MemberChange::Remove)
        .await?;
    Ok(StatusCode::OK)
}
