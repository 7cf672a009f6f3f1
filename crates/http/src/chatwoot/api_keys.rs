//! `…/api_keys` (administrators): service API keys that are not a person. Confab's extension;
//! the secret is in the creation answer only.

use axum::extract::State;
use axum::routing::{delete, get};
use axum::{Json, Router};
use confab_app::App;
use confab_app::api_keys::ApiKeyInput;
use confab_app::domain::ApiKeyId;
use confab_app::domain::api_key::ApiKey;
use serde_json::{Value, json};

use crate::conversation_views::iso_or_null;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Ids, Scoped};

const KEYS: &str = "/api/v1/accounts/{account_id}/api_keys";

pub fn router() -> Router<App> {
    Router::new()
        .route(KEYS, get(list).post(create))
        .route(&format!("{KEYS}/{{id}}"), delete(revoke))
}

fn key_json(k: &ApiKey) -> Value {
    json!({
        "id": k.id,
        "account_id": k.account_id,
        "name": k.name,
        "scopes": k.scopes().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "token_hint": k.token_hint,
        "created_by": k.created_by,
        "expires_at": iso_or_null(k.expires_at),
        "revoked_at": iso_or_null(k.revoked_at),
        "created_at": k.created_at.to_rails_iso(),
    })
}

async fn list(State(app): State<App>, Scoped(scope): Scoped) -> ApiResult<Json<Value>> {
    let keys = app.list_api_keys(&scope).await?;
    Ok(Json(json!({
        "payload": keys.iter().map(key_json).collect::<Vec<_>>()
    })))
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let f = body.wrapped("api_key");
    let expires_at = match f.string("expires_at")? {
        None => None,
        Some(s) => Some(
            confab_app::domain::Timestamp::parse_rfc3339(s.trim())
                .or_else(|| {
                    s.trim()
                        .parse::<i64>()
                        .ok()
                        .map(confab_app::domain::Timestamp::from_unix_seconds)
                })
                .ok_or_else(|| {
                    ApiError::field("expires_at", "must be an ISO 8601 time or Unix seconds")
                })?,
        ),
    };
    let input = ApiKeyInput {
        name: f.string("name")?,
        scopes: f.string_list("scopes")?,
        expires_at,
    };
    let (key, token) = app.create_api_key(&scope, &input).await?;
    let mut v = key_json(&key);
    v["token"] = json!(token);
    Ok(Json(v))
}

async fn revoke(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(key_json(
        &app.revoke_api_key(&scope, ApiKeyId(id)).await?,
    )))
}
