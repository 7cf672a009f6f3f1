//! `GET|PATCH|PUT /api/v1/accounts/:account_id`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use confab_app::App;
use confab_app::platform::AccountInput;
use serde_json::{Map, Value};

use crate::error::ApiResult;
use crate::extract::{Body, Fields, Scoped};
use crate::views;

pub fn router() -> Router<App> {
    Router::new().route(
        "/api/v1/accounts/{account_id}",
        get(show).patch(update).put(update),
    )
}

/// The settings of the body, as sent: at the top level (upstream's style) or under `settings`.
fn settings(f: &Fields) -> Option<Map<String, Value>> {
    const KEYS: [&str; 4] = [
        "timezone",
        "auto_resolve_message",
        "auto_resolve_ignore_waiting",
        "auto_resolve_pending",
    ];
    let mut out = match f.value("settings") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    for k in KEYS {
        if let Some(v) = f.value(k) {
            out.insert(k.to_owned(), v.clone());
        }
    }
    (!out.is_empty()).then_some(out)
}

async fn show(State(app): State<App>, Scoped(scope): Scoped) -> Json<Value> {
    Json(views::account(&app.account(&scope)))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let f = body.wrapped("account");
    let input = AccountInput {
        name: f.string("name")?,
        locale: f.string("locale")?,
        domain: f.nullable_string("domain")?,
        support_email: f.nullable_string("support_email")?,
        custom_attributes: f.object("custom_attributes")?,
        // `auto_resolve_after` is upstream's newer name for the same number of minutes.
        auto_resolve_duration: match f.integer("auto_resolve_after")? {
            Some(v) => Some(v),
            None => f.integer("auto_resolve_duration")?,
        },
        settings: settings(&f),
        ..Default::default()
    };
    Ok(Json(views::account(
        &app.update_account(&scope, &input).await?,
    )))
}
