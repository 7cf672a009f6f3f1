//! `POST …/upload`: a file of its own (upstream's blob), multipart field `attachment`; answers
//! `{file_url, blob_key, blob_id}`. Automation rules send such files (`send_attachment`).

use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::routing::post;
use axum::{Json, Router};
use confab_app::App;
use serde_json::{Value, json};

use crate::chatwoot::MessageBody;
use crate::error::{ApiError, ApiResult};
use crate::extract::Scoped;

pub fn router() -> Router<App> {
    Router::new().route(
        "/api/v1/accounts/{account_id}/upload",
        post(upload).layer(DefaultBodyLimit::disable()),
    )
}

/// The one file of an upload; reading stops at a second.
struct OneFile(MessageBody);

impl FromRequest<App> for OneFile {
    type Rejection = ApiError;
    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        MessageBody::parse(req, app, "attachment", 1)
            .await
            .map(Self)
    }
}

async fn upload(
    State(app): State<App>,
    Scoped(scope): Scoped,
    OneFile(body): OneFile,
) -> ApiResult<Json<Value>> {
    let Some(file) = body.files.into_iter().next() else {
        return Err(ApiError::field(
            "attachment",
            "must be a file (multipart field `attachment`)",
        ));
    };
    let f = app.upload_file(&scope, file).await?;
    Ok(Json(json!({
        "file_url": app.upload_url(&f),
        "blob_key": f.storage_key,
        "blob_id": f.id,
    })))
}
