//! Chatwoot's Application API (`/api/v1/…`), `/auth` and `GET /api`.

mod accounts;
mod agent_bots;
mod agents;
mod api_keys;
mod auth;
mod automation_rules;
mod contacts;
mod conversations;
pub(crate) use conversations::snooze_input;
mod csat_survey_responses;
mod custom_attribute_definitions;
mod custom_filters;
mod inboxes;
mod labels;
mod messages;
mod profile;
mod teams;
mod uploads;
mod webhooks;

pub(crate) use agent_bots::input as agent_bot_input;
use axum::Router;
use confab_app::App;
pub(crate) use messages::MessageBody;

/// Every Application API route.
pub fn router() -> Router<App> {
    Router::new()
        .merge(auth::router())
        .merge(profile::router())
        .merge(accounts::router())
        .merge(agents::router())
        .merge(api_keys::router())
        .merge(inboxes::router())
        .merge(agent_bots::router())
        .merge(automation_rules::router())
        .merge(contacts::router())
        .merge(conversations::router())
        .merge(csat_survey_responses::router())
        .merge(messages::router())
        .merge(teams::router())
        .merge(labels::router())
        .merge(custom_attribute_definitions::router())
        .merge(custom_filters::router())
        .merge(webhooks::router())
        .merge(uploads::router())
}
