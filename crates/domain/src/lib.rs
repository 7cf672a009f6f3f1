//! Confab's domain: identifiers, enums, timestamps, validation rules and the filter DSL.
//!
//! This crate is pure. It depends on no I/O, no HTTP and no SQL, so every rule here is
//! unit-tested beside its code and reused unchanged by the store, the use cases and the
//! wire formats.

// The SqliteRow derive names `::confab_domain`, also from inside this crate.
extern crate self as confab_domain;

pub mod account;
pub mod agent_bot;
pub mod api_key;
pub mod automation;
pub mod contact;
pub mod conversation;
pub mod csat;
#[cfg(feature = "db")]
pub mod db;
pub mod filter;
pub mod ids;
pub mod inbox;
pub mod message;
pub mod platform;
pub mod snooze;
pub mod team;
pub mod time;
pub mod user;
pub mod validation;
pub mod webhook;

pub use account::{AccountStatus, Availability, Role};
pub use ids::*;
pub use time::Timestamp;
pub use validation::{FieldError, ValidationErrors};
