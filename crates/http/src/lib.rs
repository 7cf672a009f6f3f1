//! `confab-http`: the axum transport. Chatwoot's and the Platform API's wire formats live here
//! and only here. Depends on `confab-app` (and the domain types it re-exports), never on the store.

mod cable;
pub mod chatwoot;
mod conversation_json;
pub mod conversation_views;
pub mod error;
pub mod extract;
mod fernand;
pub mod platform;
pub mod public;
pub mod views;
pub mod webhook_payloads;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use confab_app::App;
use serde_json::json;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::normalize_path::NormalizePath;
use tower_http::trace::TraceLayer;

/// The whole HTTP surface, ready to serve: Rails ignores a trailing slash (`…/inboxes/`), and
/// existing clients send one, so paths are normalised before routing.
pub fn service(app: App) -> NormalizePath<Router> {
    NormalizePath::trim_trailing_slash(router(app))
}

/// Gives the app what it needs from the wire layer outside requests: webhook bodies and live
/// frames.
pub fn install(app: &App) {
    app.install_renderer(std::sync::Arc::new(webhook_payloads::WebhookRenderer));
    app.install_live_renderer(std::sync::Arc::new(webhook_payloads::WebhookRenderer));
}

/// The whole HTTP surface of Confab.
/// (`install` gives the app its renderers; the server calls it when it binds.)
pub fn router(app: App) -> Router {
    Router::new()
        .merge(chatwoot::router())
        .merge(fernand::router())
        .merge(platform::router())
        .merge(public::router())
        .merge(cable::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(|_| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({ "status": 500, "error": "Internal Server Error" })),
            )
                .into_response()
        }))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({ "status": 404, "error": "Not Found" })),
    )
}

async fn method_not_allowed() -> impl IntoResponse {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(json!({ "status": 405, "error": "Method Not Allowed" })),
    )
}
