//! `ApiError`: the one mapping from errors to Chatwoot's status codes and bodies (§2.4).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use confab_app::AppError;
use confab_app::domain::ValidationErrors;
use serde_json::json;

/// An error on its way to the client.
#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    /// The body is not JSON (or not the JSON object the endpoint needs).
    BadRequest(String),
    /// The body is larger than the limit.
    TooLarge(usize),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        Self::App(AppError::Invalid(e))
    }
}

impl ApiError {
    /// One invalid field (422 `{"message","attributes"}`).
    pub fn field(field: &str, message: &str) -> Self {
        Self::App(AppError::invalid(field, message))
    }

    fn render(self, not_found: serde_json::Value) -> Response {
        let (status, body) = match self {
            ApiError::BadRequest(msg) => (StatusCode::BAD_REQUEST, json!({ "error": msg })),
            ApiError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({ "error": format!("Request body is too large; the limit is {limit} bytes") }),
            ),
            ApiError::App(e) => match e {
                AppError::Unauthenticated => (
                    StatusCode::UNAUTHORIZED,
                    json!({ "errors": ["You need to sign in or sign up before continuing."] }),
                ),
                AppError::InvalidToken => (
                    StatusCode::UNAUTHORIZED,
                    json!({ "error": "Invalid Access Token" }),
                ),
                AppError::Forbidden(msg) => (StatusCode::UNAUTHORIZED, json!({ "error": msg })),
                AppError::MissingScope { field, scope } => {
                    let text = AppError::MissingScope {
                        field: field.clone(),
                        scope,
                    }
                    .to_string();
                    (
                        StatusCode::FORBIDDEN,
                        json!({ "error": text, "field": field, "required_scope": scope }),
                    )
                }
                e @ AppError::KeyNotAllowed => {
                    (StatusCode::FORBIDDEN, json!({ "error": e.to_string() }))
                }
                AppError::NotFound => (StatusCode::NOT_FOUND, not_found),
                AppError::Invalid(v) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({ "message": v.full_message(), "attributes": v.fields() }),
                ),
                AppError::Unprocessable(msg) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, json!({ "error": msg }))
                }
                AppError::LimitExceeded(msg) => {
                    (StatusCode::PAYMENT_REQUIRED, json!({ "error": msg }))
                }
                AppError::RateLimited {
                    message,
                    retry_after,
                } => {
                    let mut res = (
                        StatusCode::TOO_MANY_REQUESTS,
                        axum::Json(json!({ "error": message, "retry_after": retry_after })),
                    )
                        .into_response();
                    res.headers_mut().insert(
                        axum::http::header::RETRY_AFTER,
                        axum::http::HeaderValue::from(retry_after.max(1)),
                    );
                    return res;
                }
                AppError::Internal(err) => {
                    tracing::error!(error = ?err, "request failed");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        json!({ "status": 500, "error": "Internal Server Error" }),
                    )
                }
            },
        };
        (status, axum::Json(body)).into_response()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.render(json!({ "error": "Resource could not be found" }))
    }
}

/// The Platform and Public APIs' error dialect: not-found falls through to Rails' exception app.
#[derive(Debug)]
pub struct OuterApiError(pub ApiError);

impl<E: Into<ApiError>> From<E> for OuterApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for OuterApiError {
    fn into_response(self) -> Response {
        self.0
            .render(json!({ "status": 404, "error": "Not Found" }))
    }
}

/// The automation rules' dialect: an invalid rule is upstream's
/// `{"error": {"<field>": ["<message>", …]}}` (Rails' `errors.messages`), with the usual
/// `message` and `attributes` beside it.
#[derive(Debug)]
pub struct RuleApiError(pub ApiError);

impl<E: Into<ApiError>> From<E> for RuleApiError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for RuleApiError {
    fn into_response(self) -> Response {
        match self.0 {
            ApiError::App(AppError::Invalid(v)) => {
                let mut by_field = serde_json::Map::new();
                for e in &v.0 {
                    if let Some(list) = by_field
                        .entry(e.field.clone())
                        .or_insert_with(|| json!([]))
                        .as_array_mut()
                    {
                        list.push(e.message.clone().into());
                    }
                }
                let body = json!({
                    "error": by_field,
                    "message": v.full_message(),
                    "attributes": v.fields(),
                });
                (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
            }
            other => other.into_response(),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
pub type RuleResult<T> = Result<T, RuleApiError>;
pub type OuterResult<T> = Result<T, OuterApiError>;
