//! `…/conversations/:id/messages`: list, create (JSON or multipart with attachments), status
//! update, delete; and `GET /attachments/:key/:name`, which serves stored files.

use axum::body::Body as HttpBody;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use axum::{Json, Router};
use confab_app::App;
use confab_app::attachments::Upload;
use confab_app::domain::MessageId;
use confab_app::messages::MessageInput;
use serde_json::{Map, Value, json};

use crate::conversation_views as cv;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Fields, Ids, KeyOrBotScoped, KeyOrUserScoped, Params, Scoped};

const BASE: &str = "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages";

pub fn router() -> Router<App> {
    Router::new()
        .route(
            BASE,
            get(list).post(create).layer(DefaultBodyLimit::disable()),
        )
        .route(
            &format!("{BASE}/{{id}}"),
            patch(update).put(update).delete(destroy),
        )
        .route("/attachments/{key}/{name}", get(serve_file))
}

async fn list(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Ids((_, conv)): Ids<(i64, i64)>,
    Params(params): Params,
) -> ApiResult<Response> {
    let id = |k: &str| params.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    let list = app
        .list_messages(&scope, conv, id("before"), id("after"))
        .await?;
    let c = &list.conversation;
    let mut meta = json!({
        "labels": c.conversation.labels(),
        "additional_attributes": c.conversation.additional_attributes,
        "contact": cv::contact_push(&c.contact),
        "agent_last_seen_at": c.conversation.agent_last_seen_at.map(|t| t.to_rails_iso()),
        "assignee_last_seen_at": c.conversation.assignee_last_seen_at.map(|t| t.to_rails_iso()),
    });
    if let Some((u, _)) = &c.assignee {
        meta["assignee"] = cv::user_push(u);
    }
    let payload: Vec<_> = list.messages.iter().map(|m| cv::message(&app, m)).collect();
    Ok(Json(cv::Page { meta, payload }).into_response())
}

/// A message body: JSON (or form) fields, or multipart with files under `attachments[]`.
/// File sizes are checked while streaming, so an oversized upload is refused early.
pub(crate) struct MessageBody {
    pub fields: Fields,
    pub files: Vec<Upload>,
}

impl FromRequest<App> for MessageBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        Self::parse(
            req,
            app,
            "attachments",
            confab_app::domain::message::MAX_ATTACHMENTS,
        )
        .await
    }
}

impl MessageBody {
    /// Reads fields and at most `max_files` files of the multipart field `file_field`
    /// (`file_field[]` too); other file fields are skipped unread.
    pub(crate) async fn parse(
        req: Request,
        app: &App,
        file_field: &str,
        max_files: usize,
    ) -> Result<Self, ApiError> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        if !multipart {
            let Body(fields) = Body::from_request(req, app).await?;
            return Ok(MessageBody {
                fields,
                files: Vec::new(),
            });
        }
        let limit = app.config().max_upload_bytes;
        let mut mp = Multipart::from_request(req, app)
            .await
            .map_err(|e| ApiError::BadRequest(format!("Malformed multipart body: {e}")))?;
        let mut fields = Map::new();
        let mut files = Vec::new();
        // Text fields together may not exceed the JSON body limit.
        let mut text_bytes = 0usize;
        while let Some(mut field) = mp
            .next_field()
            .await
            .map_err(|e| ApiError::BadRequest(format!("Malformed multipart body: {e}")))?
        {
            let name = field.name().unwrap_or("").to_owned();
            let key = name
                .strip_prefix("message[")
                .and_then(|n| n.strip_suffix(']'))
                .unwrap_or(&name)
                .trim_end_matches("[]")
                .to_owned();
            if let Some(file_name) = field.file_name().map(str::to_owned) {
                if key != file_field {
                    continue;
                }
                // Counted before a byte of the file is read.
                if files.len() >= max_files {
                    return Err(ApiError::field(
                        file_field,
                        &format!("are too many (maximum is {max_files} per request)"),
                    ));
                }
                let mime = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let mut bytes = Vec::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| ApiError::BadRequest(format!("Malformed multipart body: {e}")))?
                {
                    if (bytes.len() + chunk.len()) as u64 > limit {
                        return Err(ApiError::field(
                            file_field,
                            &format!(
                                "is too big (the limit is {} MB per file)",
                                limit / (1024 * 1024)
                            ),
                        ));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                files.push(Upload {
                    file_name,
                    mime_type: mime,
                    bytes,
                });
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|e| ApiError::BadRequest(format!("Malformed multipart body: {e}")))?;
                text_bytes += text.len();
                if text_bytes > 1024 * 1024 {
                    return Err(ApiError::TooLarge(1024 * 1024));
                }
                fields.insert(key, Value::String(text));
            }
        }
        Ok(MessageBody {
            fields: Fields(fields),
            files,
        })
    }
}

fn message_input(b: MessageBody) -> ApiResult<MessageInput> {
    let f = b.fields.wrapped("message");
    let content_attributes = match f.value("content_attributes") {
        None | Some(Value::Null) => None,
        Some(v @ (Value::Object(_) | Value::String(_))) => Some(v.clone()),
        Some(_) => {
            return Err(ApiError::field("content_attributes", "must be an object"));
        }
    };
    Ok(MessageInput {
        content: f.raw_string("content")?,
        message_type: match f.value("message_type") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => f.string("message_type")?,
        },
        private: f.bool("private")?,
        content_type: f.string("content_type")?,
        content_attributes,
        echo_id: match f.value("echo_id") {
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => f.string("echo_id")?,
        },
        source_id: f.string("source_id")?,
        template_params: f.object("template_params")?,
        sender_type: f.string("sender_type")?,
        sender_id: f.id("sender_id")?,
        attachments: b.files,
    })
}

async fn create(
    State(app): State<App>,
    KeyOrBotScoped(scope): KeyOrBotScoped,
    Ids((_, conv)): Ids<(i64, i64)>,
    body: MessageBody,
) -> ApiResult<Response> {
    let m = app
        .create_message(&scope, conv, message_input(body)?)
        .await?;
    Ok(Json(cv::message(&app, &m)).into_response())
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, conv, id)): Ids<(i64, i64, i64)>,
    Body(body): Body,
) -> ApiResult<Response> {
    let f = body.wrapped("message");
    let m = app
        .update_message_status(
            &scope,
            conv,
            MessageId(id),
            f.string("status")?.as_deref(),
            f.string("external_error")?,
        )
        .await?;
    Ok(Json(cv::message(&app, &m)).into_response())
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, conv, id)): Ids<(i64, i64, i64)>,
) -> ApiResult<Response> {
    let m = app.delete_message(&scope, conv, MessageId(id)).await?;
    Ok(Json(cv::message(&app, &m)).into_response())
}

/// Serves a stored attachment. The key is the credential (like a signed URL); the name must
/// match the stored one.
async fn serve_file(
    State(app): State<App>,
    Ids((key, name)): Ids<(String, String)>,
) -> ApiResult<Response> {
    let a = app.stored_file(&key).await?;
    if a.file_name != name {
        return Err(confab_app::AppError::NotFound.into());
    }
    let bytes = tokio::fs::read(&a.path)
        .await
        .map_err(|_| ApiError::App(confab_app::AppError::NotFound))?;
    let mut resp = HttpBody::from(bytes).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&a.mime_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{}\"", a.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(resp)
}
