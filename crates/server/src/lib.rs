//! `confab-server`: the composition root. Configuration, start-up, shutdown, subcommands.
//! Holds no logic of its own; the HTTP integration tests live in `tests/api/`.

pub mod config;
pub mod startup;
pub mod telemetry;
