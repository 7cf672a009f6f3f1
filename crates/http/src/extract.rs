//! Extractors: the caller, the account scope, liberal JSON bodies, and path ids.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use confab_app::error::messages;
use confab_app::{App, AppError, Principal, Scope};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Largest JSON body accepted.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// The token a request carries: `api_access_token` (also spelled `Api-Access-Token` or
/// `api-access-token`), else devise's `access-token` header. `Authorization` is ignored.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    for name in ["api_access_token", "api-access-token", "access-token"] {
        if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
            let v = v.trim();
            if !v.is_empty() {
                return Some(v.to_owned());
            }
        }
    }
    None
}

/// The authenticated owner of the request's token (user, bot or platform app).
pub struct Caller(pub Principal);

impl FromRequestParts<App> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let token = token_from_headers(&parts.headers).ok_or(AppError::Unauthenticated)?;
        Ok(Caller(app.authenticate(&token).await?))
    }
}

/// A signed-in user (bots and platform apps are refused).
pub struct CurrentUser(pub confab_app::domain::user::User);

impl FromRequestParts<App> for CurrentUser {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        match Caller::from_request_parts(parts, app).await?.0 {
            Principal::User(u) => Ok(CurrentUser(u)),
            _ => Err(AppError::Forbidden(messages::BOT_NOT_ALLOWED).into()),
        }
    }
}

async fn scope_of(parts: &mut Parts, app: &App) -> Result<Scope, ApiError> {
    let raw = axum::extract::RawPathParams::from_request_parts(parts, app)
        .await
        .map_err(|_| AppError::NotFound)?;
    let account = raw
        .iter()
        .find(|(k, _)| *k == "account_id")
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .ok_or(AppError::NotFound)?;
    let Caller(principal) = Caller::from_request_parts(parts, app).await?;
    Ok(app
        .scope(&principal, confab_app::domain::AccountId(account))
        .await?)
}

/// The caller inside the account of the path, as a user. Bots are refused: the endpoints that
/// Chatwoot opens to bots use [`BotScoped`].
pub struct Scoped(pub Scope);

impl FromRequestParts<App> for Scoped {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let scope = scope_of(parts, app).await?;
        scope.require_user()?;
        Ok(Scoped(scope))
    }
}

/// The caller inside the account of the path, users and agent bots alike (service keys are
/// refused: the endpoints that take them use [`KeyOrBotScoped`]).
pub struct BotScoped(pub Scope);

impl FromRequestParts<App> for BotScoped {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let scope = scope_of(parts, app).await?;
        scope.refuse_keys()?;
        Ok(BotScoped(scope))
    }
}

/// [`BotScoped`] that also takes service keys. Every use case behind such an endpoint checks
/// the key's scope for each field it touches.
pub struct KeyOrBotScoped(pub Scope);

impl FromRequestParts<App> for KeyOrBotScoped {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(KeyOrBotScoped(scope_of(parts, app).await?))
    }
}

/// [`Scoped`] that also takes service keys (agent bots are still refused). Every use case
/// behind such an endpoint checks the key's scope for each field it touches.
pub struct KeyOrUserScoped(pub Scope);

impl FromRequestParts<App> for KeyOrUserScoped {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let scope = scope_of(parts, app).await?;
        if scope.service_key().is_none() {
            scope.require_user()?;
        }
        Ok(KeyOrUserScoped(scope))
    }
}

/// Path parameters; anything that does not parse is a missing record (404), as in Rails.
pub struct Ids<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequestParts<App> for Ids<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if path_has_nul(parts) {
            return Err(AppError::NotFound.into());
        }
        Path::<T>::from_request_parts(parts, app)
            .await
            .map(|p| Ids(p.0))
            .map_err(|_| AppError::NotFound.into())
    }
}

/// Query parameters as strings (liberal: unknown keys are ignored, nothing is rejected here).
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        let pairs = form_urlencoded_pairs(q);
        if pairs
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(ApiError::BadRequest(
                "Query parameters must not contain NUL characters".into(),
            ));
        }
        Ok(Params(pairs.into_iter().collect()))
    }
}

fn form_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether any text in a JSON value holds a NUL character (PostgreSQL cannot store one).
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

/// Whether a request path holds an encoded NUL (no record can match it).
fn path_has_nul(parts: &Parts) -> bool {
    parts.uri.path().contains("%00")
}

/// A request body as a JSON object: JSON, or a flat form, or nothing (an empty object).
/// Malformed JSON is a 400, an oversized body a 413, both with a JSON body.
pub struct Body(pub Fields);

impl FromRequest<App> for Body {
    type Rejection = ApiError;
    async fn from_request(req: Request, _: &App) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), JSON_BODY_LIMIT)
            .await
            .map_err(|_| ApiError::TooLarge(JSON_BODY_LIMIT))?;
        let value = if bytes.iter().all(u8::is_ascii_whitespace) {
            Value::Object(Map::new())
        } else if is_form {
            let text = String::from_utf8_lossy(&bytes);
            Value::Object(
                form_urlencoded_pairs(&text)
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect(),
            )
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::BadRequest(format!("Malformed JSON body: {e}")))?
        };
        if has_nul(&value) {
            return Err(ApiError::BadRequest(
                "Text in the request body must not contain NUL characters".into(),
            ));
        }
        match value {
            Value::Object(map) => Ok(Body(Fields(map))),
            _ => Err(ApiError::BadRequest(
                "The request body must be a JSON object".into(),
            )),
        }
    }
}

/// The fields of a JSON object, read liberally: ids may be strings, blanks mean "not given",
/// `{}` stands for an absent nested object. A wrong type is a 422 that names the field.
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Map<String, Value>);

impl Fields {
    /// Rails' `wrap_parameters`: the nested object under `key` if the client sent one, else the
    /// flat body.
    pub fn wrapped(&self, key: &str) -> Fields {
        match self.0.get(key) {
            Some(Value::Object(inner)) => Fields(inner.clone()),
            _ => self.clone(),
        }
    }

    /// A nested object (`{}` when absent or blank).
    pub fn nested(&self, key: &str) -> Result<Fields, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(Fields::default()),
            Some(Value::String(s)) if s.is_empty() => Ok(Fields::default()),
            Some(Value::Object(m)) => Ok(Fields(m.clone())),
            Some(_) => Err(ApiError::field(key, "must be an object")),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// A string; numbers and booleans are taken as their text. Blank is `None`.
    pub fn string(&self, key: &str) -> Result<Option<String>, ApiError> {
        Ok(self.nullable_string(key)?.flatten())
    }

    /// A string that may be cleared: absent → `None`, null or blank → `Some(None)`.
    pub fn nullable_string(&self, key: &str) -> Result<Option<Option<String>>, ApiError> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(Value::Number(n)) => Ok(Some(Some(n.to_string()))),
            Some(Value::Bool(b)) => Ok(Some(Some(b.to_string()))),
            Some(_) => Err(ApiError::field(key, "must be a string")),
        }
    }

    /// A string kept as sent (blank stays blank), for passwords.
    pub fn raw_string(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::field(key, "must be a string")),
        }
    }

    /// An integer id, as a JSON number or a numeric string. Blank is `None`.
    pub fn id(&self, key: &str) -> Result<Option<i64>, ApiError> {
        Ok(self.nullable_id(key)?.flatten())
    }

    /// An id that may be cleared: absent → `None`, null, blank or `0` → `Some(None)`.
    pub fn nullable_id(&self, key: &str) -> Result<Option<Option<i64>>, ApiError> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
            Some(v) => parse_id(v)
                .map(|i| Some(Some(i)).filter(|_| i != 0).or(Some(None)))
                .ok_or_else(|| ApiError::field(key, "must be an integer")),
        }
    }

    /// An integer, as a JSON number or numeric string. Blank is `None`.
    pub fn integer(&self, key: &str) -> Result<Option<Option<i64>>, ApiError> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(Some(None)),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(|i| Some(Some(i)))
                .ok_or_else(|| ApiError::field(key, "must be an integer")),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(|i| Some(Some(i)))
                .map_err(|_| ApiError::field(key, "must be an integer")),
            Some(_) => Err(ApiError::field(key, "must be an integer")),
        }
    }

    /// A boolean: `true`/`false`, `"true"`/`"false"`, `1`/`0`, `"1"`/`"0"`. Blank is `None`.
    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim() {
                "" => Ok(None),
                "true" | "1" | "t" | "on" => Ok(Some(true)),
                "false" | "0" | "f" | "off" => Ok(Some(false)),
                _ => Err(ApiError::field(key, "must be true or false")),
            },
            Some(Value::Number(n)) => match n.as_i64() {
                Some(1) => Ok(Some(true)),
                Some(0) => Ok(Some(false)),
                _ => Err(ApiError::field(key, "must be true or false")),
            },
            Some(_) => Err(ApiError::field(key, "must be true or false")),
        }
    }

    /// A JSON object; null or blank is `None`.
    pub fn object(&self, key: &str) -> Result<Option<Value>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(v.clone())),
            Some(_) => Err(ApiError::field(key, "must be an object")),
        }
    }

    /// A list of ids (a single id is a list of one). Absent is `None`.
    pub fn id_list(&self, key: &str) -> Result<Option<Vec<i64>>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    parse_id(v).ok_or_else(|| ApiError::field(key, "must be a list of integers"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => parse_id(v)
                .map(|i| Some(vec![i]))
                .ok_or_else(|| ApiError::field(key, "must be a list of integers")),
        }
    }

    /// A list of strings (a single string is a list of one). Absent or null is `None`.
    pub fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| ApiError::field(key, "must be a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(ApiError::field(key, "must be a list of strings")),
        }
    }

    /// The raw value.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }
}

/// A number or a numeric string (clients send either).
pub(crate) fn parse_id(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The 1-based `page` query parameter (anything unparseable is page 1).
pub fn page_param(params: &HashMap<String, String>) -> u64 {
    params
        .get("page")
        .and_then(|p| p.trim().parse::<u64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

/// Query parameters as ordered pairs (for repeated keys such as `labels[]`).
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryPairs(form_urlencoded_pairs(
            parts.uri.query().unwrap_or(""),
        )))
    }
}

impl QueryPairs {
    /// Every value of `key`, `key[]` and `key[n]`, with comma-separated values split.
    pub fn list(&self, key: &str) -> Vec<String> {
        let bracket = format!("{key}[");
        self.0
            .iter()
            .filter(|(k, _)| k == key || k.starts_with(&bracket))
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_owned()))
            .filter(|s| !s.is_empty())
            .collect()
    }
}
