//! The Application API's account endpoints.

use confab_domain::account::Account;
use confab_store::accounts;

use crate::error::AppResult;
use crate::platform::AccountInput;
use crate::{App, Scope};

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
        accounts::update_account(&mut tx.conn(), scope.account_id(), &ch, self.now()).await?;
        let account = accounts::get_account(&mut tx.conn(), scope.account_id()).await?;
        tx.commit().await?;
        Ok(account)
    }
}
