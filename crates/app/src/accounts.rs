//! The Application API's account endpoints.

use confab_domain::account::Account;
use confab_domain::snooze::AccountZone;
use confab_store::accounts;

use crate::error::AppResult;
use crate::platform::AccountInput;
use crate::{App, Scope};

/// The account's time zone (`settings.timezone`, an IANA name; UTC when unset or unknown).
pub fn account_zone(account: &Account) -> AccountZone {
    account
        .settings
        .get("timezone")
        .and_then(serde_json::Value::as_str)
        .and_then(AccountZone::named)
        .unwrap_or_default()
}

impl App {
    /// The caller's account.
    pub fn account(&self, scope: &Scope) -> Account {
        scope.account.clone()
    }

    /// Updates the account (administrators only). `status` and `limits` are the platform's to set.
    pub async fn update_account(&self, scope: &Scope, input: &AccountInput) -> AppResult<Account> {
        scope.require_admin()?;
        let input = AccountInput {
            status: None,
            limits: None,
            ..input.clone()
        };
        let mut ch = crate::platform::account_changes_for_update(&input)?;
        ch.features = None;
        let mut tx = self.store().begin().await?;
        if let Some(patch) = &input.settings {
            // Merged with what is stored now, inside the transaction: no concurrent update's
            // keys are lost. A null removes the key (back to its default).
            let current = accounts::get_account(&mut tx.conn(), scope.account_id()).await?;
            let mut settings = current.settings.as_object().cloned().unwrap_or_default();
            for (k, v) in patch {
                if v.is_null() {
                    settings.remove(k);
                } else {
                    settings.insert(k.clone(), v.clone());
                }
            }
            ch.settings = Some(serde_json::Value::Object(settings));
        }
        accounts::update_account(&mut tx.conn(), scope.account_id(), &ch, self.now()).await?;
        let auto_resolve_changed = input.auto_resolve_duration.is_some()
            || input.settings.as_ref().is_some_and(|s| {
                s.contains_key("auto_resolve_pending")
                    || s.contains_key("auto_resolve_ignore_waiting")
            });
        if auto_resolve_changed {
            self.start_auto_resolve_backfill(&mut tx.conn(), scope.account_id(), self.now())
                .await?;
        }
        let account = accounts::get_account(&mut tx.conn(), scope.account_id()).await?;
        tx.commit().await?;
        Ok(account)
    }
}
