//! Service API keys: created, listed and revoked by the account's administrators. The secret is
//! handed out once, at creation; only its keyed digest is stored.

use confab_domain::api_key::{self, ApiKey};
use confab_domain::{ApiKeyId, Timestamp};
use confab_store::api_keys::{self, NewApiKey};

use crate::auth::SERVICE_KEY_PREFIX;
use crate::error::{AppError, AppResult};
use crate::{App, Scope, secrets};

/// A key to create.
#[derive(Debug, Clone, Default)]
pub struct ApiKeyInput {
    pub name: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<Timestamp>,
}

impl App {
    /// Creates a key; returns it with its secret, which is never shown again.
    pub async fn create_api_key(
        &self,
        scope: &Scope,
        input: &ApiKeyInput,
    ) -> AppResult<(ApiKey, String)> {
        scope.require_admin()?;
        let mut errors = confab_domain::ValidationErrors::new();
        let name = input.name.as_deref().map(str::trim).unwrap_or("");
        if name.is_empty() {
            errors.add("name", "can't be blank");
        } else if name.chars().count() > 100 {
            errors.add("name", "is too long (maximum is 100 characters)");
        }
        let scopes = match &input.scopes {
            None => {
                errors.add("scopes", "can't be blank");
                Vec::new()
            }
            Some(list) => match api_key::parse_scopes(list.iter().map(String::as_str)) {
                Ok(s) if s.is_empty() => {
                    errors.add("scopes", "can't be blank");
                    s
                }
                Ok(s) => s,
                Err(bad) => {
                    errors.add("scopes", format!("has an unknown scope: {bad}"));
                    Vec::new()
                }
            },
        };
        let now = self.now();
        if input.expires_at.is_some_and(|t| t <= now) {
            errors.add("expires_at", "must be in the future");
        }
        errors.into_result()?;
        let token = format!("{SERVICE_KEY_PREFIX}{}", secrets::random_alnum(32));
        let hint = token[token.len().saturating_sub(4)..].to_owned();
        let mut c = self.store().conn();
        let key = api_keys::insert_api_key(
            &mut c,
            &NewApiKey {
                account: scope.account_id(),
                name: name.to_owned(),
                digest: self.secret().digest(&token),
                hint,
                scopes: api_key::join_scopes(&scopes),
                created_by: scope.user().map(|u| u.id),
                expires_at: input.expires_at,
            },
            now,
        )
        .await?;
        Ok((key, token))
    }

    /// The account's keys, newest first (secrets are never listed).
    pub async fn list_api_keys(&self, scope: &Scope) -> AppResult<Vec<ApiKey>> {
        scope.require_admin()?;
        Ok(api_keys::list_api_keys(&mut self.store().conn(), scope.account_id()).await?)
    }

    /// Revokes a key: it stops working at once and stays listed, revoked.
    pub async fn revoke_api_key(&self, scope: &Scope, id: ApiKeyId) -> AppResult<ApiKey> {
        scope.require_admin()?;
        let mut c = self.store().conn();
        api_keys::revoke_api_key(&mut c, scope.account_id(), id, self.now()).await?;
        api_keys::get_api_key(&mut c, scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)
    }
}
