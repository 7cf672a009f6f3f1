//! `GET /api` (version and health) and `POST /auth/sign_in`.

use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use confab_app::App;
use serde_json::json;

use crate::error::ApiResult;
use crate::extract::Body;
use crate::views;

pub fn router() -> Router<App> {
    Router::new()
        .route("/api", get(api_info))
        .route("/auth/sign_in", post(sign_in))
}

/// Answers without a token: clients call it to check the server before trying credentials.
async fn api_info(State(app): State<App>) -> Response {
    let db = app.healthy().await;
    let status = if db {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "version": env!("CARGO_PKG_VERSION"),
            "queue_services": "ok",
            "data_services": if db { "ok" } else { "failing" },
            "server": "confab",
        })),
    )
        .into_response()
}

/// Email and password in; the user with their token out, plus devise's auth headers.
async fn sign_in(State(app): State<App>, Body(body): Body) -> ApiResult<Response> {
    let email = body
        .string("email")?
        .ok_or_else(|| crate::error::ApiError::field("email", "can't be blank"))?;
    let password = body.raw_string("password")?.unwrap_or_default();
    let (user, token) = app.sign_in(&email, &password).await?;
    let memberships = app.memberships(user.id).await?;
    let mut resp =
        Json(json!({ "data": views::profile(&user, &token, &memberships) })).into_response();
    let h = resp.headers_mut();
    for (k, v) in [
        ("access-token", token.as_str()),
        ("token-type", "Bearer"),
        ("client", "confab"),
        ("uid", user.email.as_str()),
    ] {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    }
    Ok(resp)
}
