//! HTTP integration tests: the real server on port 0 against a fresh database per test
//! (SQLite by default, PostgreSQL when `CONFAB_TEST_DATABASE_URL` is set).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helper code of tests fails loudly"
)]

mod helpers;
mod live;

mod accounts_and_profile;
mod agent_bot_events;
mod agents_and_inboxes;
mod auth;
mod automation;
mod concurrent_changes;
mod contacts;
mod conversations;
mod credential_changes;
mod csat;
mod custom_attributes_and_filters;
mod errors;
mod fernand;
mod lifecycle;
mod message_files;
mod messages;
mod platform;
mod public;
mod retention;
mod search;
mod search_and_filter;
mod seed;
mod service_keys;
mod single_conversation;
mod smtp_sink;
mod snapshots;
mod teams_and_labels;
mod tenancy;
mod transcript;
mod webhook_sink;
mod webhooks;
