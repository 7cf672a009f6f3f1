//! `…/custom_filters`: the caller's saved views.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use confab_app::App;
use confab_app::custom_filters::CustomFilterInput;
use confab_app::domain::CustomFilterId;
use confab_app::domain::team::{CustomFilter, FILTER_TYPES, enum_name};
use serde_json::{Value, json};

use super::teams::{required, text};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Fields, Ids, Params, Scoped};

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/accounts/{account_id}/custom_filters",
            get(list).post(create),
        )
        .route(
            "/api/v1/accounts/{account_id}/custom_filters/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
}

/// A saved filter as upstream renders it: `filter_type` by name, timestamps as Rails ISO strings.
pub fn custom_filter_json(f: &CustomFilter) -> Value {
    json!({
        "id": f.id,
        "name": f.name,
        "filter_type": enum_name(&FILTER_TYPES, f.filter_type),
        "query": f.query,
        "created_at": f.created_at.to_rails_iso(),
        "updated_at": f.updated_at.to_rails_iso(),
    })
}

fn input(body: &Fields) -> ApiResult<CustomFilterInput> {
    let f = required(body, "custom_filter", &["name", "filter_type", "query"])?;
    let query = match f.value("query") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => return Err(ApiError::field("query", "must be an object")),
    };
    Ok(CustomFilterInput {
        name: text(&f, "name")?,
        filter_type: f.string("filter_type")?,
        query,
    })
}

async fn list(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Params(params): Params,
) -> ApiResult<Json<Value>> {
    let list = app
        .list_custom_filters(&scope, params.get("filter_type").map(String::as_str))
        .await?;
    Ok(Json(Value::Array(
        list.iter().map(custom_filter_json).collect(),
    )))
}

async fn show(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let f = app.get_custom_filter(&scope, CustomFilterId(id)).await?;
    Ok(Json(custom_filter_json(&f)))
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let f = app.create_custom_filter(&scope, &input(&body)?).await?;
    Ok(Json(custom_filter_json(&f)))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let f = app
        .update_custom_filter(&scope, CustomFilterId(id), &input(&body)?)
        .await?;
    Ok(Json(custom_filter_json(&f)))
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.delete_custom_filter(&scope, CustomFilterId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
