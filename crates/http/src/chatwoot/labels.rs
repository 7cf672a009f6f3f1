//! `…/labels`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use confab_app::App;
use confab_app::domain::LabelId;
use confab_app::domain::team::Label;
use confab_app::labels::LabelInput;
use serde_json::{Value, json};

use super::teams::{required, text};
use crate::error::ApiResult;
use crate::extract::{Body, Fields, Ids, Scoped};

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/accounts/{account_id}/labels",
            get(list).post(create),
        )
        .route(
            "/api/v1/accounts/{account_id}/labels/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
}

/// A label as upstream renders it.
pub fn label_json(l: &Label) -> Value {
    json!({
        "id": l.id,
        "title": l.title,
        "description": l.description,
        "color": l.color,
        "show_on_sidebar": l.show_on_sidebar,
    })
}

fn input(body: &Fields) -> ApiResult<LabelInput> {
    let f = required(
        body,
        "label",
        &["title", "description", "color", "show_on_sidebar"],
    )?;
    Ok(LabelInput {
        title: text(&f, "title")?,
        description: f.nullable_string("description")?,
        color: f.string("color")?,
        show_on_sidebar: f.bool("show_on_sidebar")?,
    })
}

async fn list(State(app): State<App>, Scoped(scope): Scoped) -> ApiResult<Json<Value>> {
    let list = app.list_labels(&scope).await?;
    Ok(Json(
        json!({ "payload": list.iter().map(label_json).collect::<Vec<_>>() }),
    ))
}

async fn show(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(label_json(&app.get_label(&scope, LabelId(id)).await?)))
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let label = app.create_label(&scope, &input(&body)?).await?;
    Ok(Json(label_json(&label)))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let label = app
        .update_label(&scope, LabelId(id), &input(&body)?)
        .await?;
    Ok(Json(label_json(&label)))
}

/// Upstream answers a deletion with an empty 200.
async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.delete_label(&scope, LabelId(id)).await?;
    Ok(StatusCode::OK)
}
