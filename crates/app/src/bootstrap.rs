//! First start on an empty database: one account, one administrator, one platform app.

use confab_domain::Role;
use confab_domain::account::Account;
use confab_domain::platform::{Permissible, PlatformApp};
use confab_domain::user::User;
use confab_store::accounts;
use confab_store::platform;
use confab_store::tokens::OwnerKind;
use confab_store::users::{self, NewUser};
use serde_json::Value;

use crate::auth::issue_token;
use crate::error::AppResult;
use crate::{App, secrets};

/// What the first start created, to be shown once.
#[derive(Debug, Clone)]
pub struct Bootstrap {
    pub account: Account,
    pub admin: User,
    pub password: String,
    pub user_token: String,
    pub platform_app: PlatformApp,
    pub platform_token: String,
}

const MARKER: &str = "bootstrapped_at";

impl App {
    /// Creates the first account, administrator and platform app when the installation has never
    /// been set up. Returns `None` on every later start. The marker row makes it happen once even
    /// if every user is deleted later.
    pub async fn bootstrap_if_empty(&self, admin_email: &str) -> AppResult<Option<Bootstrap>> {
        let now = self.now();
        let mut tx = self.store().begin().await?;
        if platform::get_config(&mut tx.conn(), MARKER)
            .await?
            .is_some()
        {
            return Ok(None);
        }
        if users::count_users(&mut tx.conn()).await? > 0 {
            // An installation set up by `admin create-user` or restored from elsewhere.
            platform::set_config_once(&mut tx.conn(), MARKER, &now.as_micros().to_string(), now)
                .await?;
            tx.commit().await?;
            return Ok(None);
        }
        let password = format!("{}-{}", secrets::random_alnum(12), secrets::random_alnum(6));
        let hash = secrets::hash_password(password.clone()).await?;
        let account_id =
            accounts::insert_account(&mut tx.conn(), &crate::platform::new_account("Confab"), now)
                .await?;
        let user_id = users::insert_user(
            &mut tx.conn(),
            &NewUser {
                name: "Administrator".into(),
                display_name: None,
                email: admin_email.to_lowercase(),
                password_hash: Some(hash),
                pubsub_token: secrets::random_alnum(24),
                custom_attributes: Value::Object(Default::default()),
            },
            now,
        )
        .await?;
        let user_token = issue_token(self, &mut tx.conn(), OwnerKind::User, user_id.get()).await?;
        accounts::upsert_account_user(
            &mut tx.conn(),
            account_id,
            user_id,
            Role::Administrator,
            None,
            now,
        )
        .await?;
        let app_id = platform::insert_platform_app(&mut tx.conn(), "Confab bootstrap", now).await?;
        let platform_token =
            issue_token(self, &mut tx.conn(), OwnerKind::PlatformApp, app_id.get()).await?;
        platform::add_permissible(
            &mut tx.conn(),
            app_id,
            Permissible::Account,
            account_id.get(),
            now,
        )
        .await?;
        platform::add_permissible(
            &mut tx.conn(),
            app_id,
            Permissible::User,
            user_id.get(),
            now,
        )
        .await?;
        platform::set_config_once(&mut tx.conn(), MARKER, &now.as_micros().to_string(), now)
            .await?;
        let out = Bootstrap {
            account: accounts::get_account(&mut tx.conn(), account_id).await?,
            admin: users::get_user(&mut tx.conn(), user_id).await?,
            password,
            user_token,
            platform_app: platform::get_platform_app(&mut tx.conn(), app_id).await?,
            platform_token,
        };
        tx.commit().await?;
        Ok(Some(out))
    }

    /// `confab admin create-user`: creates or resets a user with a password, and makes them an
    /// administrator of the given account (for recovery).
    pub async fn admin_create_user(
        &self,
        email: &str,
        name: &str,
        password: &str,
        account: Option<confab_domain::AccountId>,
    ) -> AppResult<(User, String)> {
        let mut errors = confab_domain::ValidationErrors::new();
        let email = email.trim().to_lowercase();
        if !confab_domain::validation::is_valid_email(&email) {
            errors.add("email", "is invalid");
        }
        crate::platform::check_password(password, &mut errors);
        errors.into_result()?;
        let hash = secrets::hash_password(password.to_owned()).await?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let id = match users::find_user_by_email(&mut tx.conn(), &email).await? {
            Some(u) => {
                let ch = users::UserChanges {
                    password_hash: Some(hash),
                    ..Default::default()
                };
                users::update_user(&mut tx.conn(), u.id, &ch, now).await?;
                u.id
            }
            None => {
                let new = NewUser {
                    name: if name.trim().is_empty() {
                        email.clone()
                    } else {
                        name.trim().to_owned()
                    },
                    display_name: None,
                    email: email.clone(),
                    password_hash: Some(hash),
                    pubsub_token: secrets::random_alnum(24),
                    custom_attributes: Value::Object(Default::default()),
                };
                let id = users::insert_user(&mut tx.conn(), &new, now).await?;
                issue_token(self, &mut tx.conn(), OwnerKind::User, id.get()).await?;
                id
            }
        };
        if let Some(account) = account {
            accounts::find_account(&mut tx.conn(), account)
                .await?
                .ok_or_else(|| crate::AppError::invalid("account_id", "must exist"))?;
            accounts::upsert_account_user(
                &mut tx.conn(),
                account,
                id,
                Role::Administrator,
                None,
                now,
            )
            .await?;
        }
        let user = users::get_user(&mut tx.conn(), id).await?;
        tx.commit().await?;
        let token = self.user_token(id).await?;
        Ok((user, token))
    }
}
