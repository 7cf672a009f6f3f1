//! Chatwoot's Application API (`/api/v1/…`), `/auth` and `GET /api`.

mod accounts;
mod agent_bots;
mod agents;
mod auth;
mod contacts;
mod inboxes;
mod profile;

pub(crate) use agent_bots::input as agent_bot_input;
use axum::Router;
use confab_app::App;

/// Every Application API route.
pub fn router() -> Router<App> {
    Router::new()
        .merge(auth::router())
        .merge(profile::router())
        .merge(accounts::router())
        .merge(agents::router())
        .merge(inboxes::router())
        .merge(agent_bots::router())
        .merge(contacts::router())
}
