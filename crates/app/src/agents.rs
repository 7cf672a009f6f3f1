//! Agents: the users of an account, with their per-account role.

use confab_domain::account::AccountUser;
use confab_domain::user::User;
use confab_domain::validation::is_valid_email;
use confab_domain::{Availability, Role, UserId, ValidationErrors};
use confab_store::accounts::{self, AccountUserChanges};
use confab_store::tokens::OwnerKind;
use confab_store::users::{self, NewUser, UserChanges};
use serde_json::Value;

use crate::auth::issue_token;
use crate::error::{AppError, AppResult};
use crate::{App, Scope, secrets};

/// Fields of an agent for create (`name`, `email` required) and update.
#[derive(Debug, Clone, Default)]
pub struct AgentInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub availability: Option<String>,
    pub auto_offline: Option<bool>,
}

fn parse_role_and_availability(
    input: &AgentInput,
    errors: &mut ValidationErrors,
) -> (Option<Role>, Option<Availability>) {
    let role = input.role.as_deref().and_then(|r| {
        let p = Role::parse(r);
        if p.is_none() {
            errors.add("role", "is not included in the list");
        }
        p
    });
    let availability = input.availability.as_deref().and_then(|a| {
        let p = Availability::parse(a);
        if p.is_none() {
            errors.add("availability", "is not included in the list");
        }
        p
    });
    (role, availability)
}

impl App {
    /// Every agent of the account, by name.
    pub async fn list_agents(&self, scope: &Scope) -> AppResult<Vec<(User, AccountUser)>> {
        scope.require_user()?;
        Ok(accounts::list_agents(&mut self.store().conn(), scope.account_id()).await?)
    }

    /// Adds an agent: an existing user with that email joins the account, otherwise a user is
    /// created (without a password; they sign in after an administrator or the platform sets one).
    pub async fn create_agent(
        &self,
        scope: &Scope,
        input: &AgentInput,
    ) -> AppResult<(User, AccountUser)> {
        scope.require_admin()?;
        let mut errors = ValidationErrors::new();
        let email = input
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .unwrap_or_default();
        if email.is_empty() {
            errors.add("email", "can't be blank");
        } else if !is_valid_email(&email) {
            errors.add("email", "is invalid");
        }
        let name = input
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned);
        let (role, availability) = parse_role_and_availability(input, &mut errors);
        errors.into_result()?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let count = accounts::count_account_users(&mut tx.conn(), scope.account_id()).await?;
        scope.check_limit(
            "agents",
            count,
            "Account limit exceeded. Please purchase more licenses",
        )?;
        let user_id = match users::find_user_by_email(&mut tx.conn(), &email).await? {
            Some(u) => {
                if accounts::find_account_user(&mut tx.conn(), scope.account_id(), u.id)
                    .await?
                    .is_some()
                {
                    return Err(AppError::invalid("email", "has already been taken"));
                }
                u.id
            }
            None => {
                let new = NewUser {
                    name: name
                        .clone()
                        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_owned()),
                    display_name: None,
                    email: email.clone(),
                    password_hash: None,
                    pubsub_token: secrets::random_alnum(24),
                    custom_attributes: Value::Object(Default::default()),
                };
                let id = users::insert_user(&mut tx.conn(), &new, now).await?;
                issue_token(self, &mut tx.conn(), OwnerKind::User, id.get()).await?;
                id
            }
        };
        let inviter = scope.user().map(|u| u.id);
        let m = accounts::upsert_account_user(
            &mut tx.conn(),
            scope.account_id(),
            user_id,
            role.unwrap_or(Role::Agent),
            inviter,
            now,
        )
        .await?;
        let ch = AccountUserChanges {
            availability,
            auto_offline: input.auto_offline,
            role: None,
        };
        accounts::update_account_user(&mut tx.conn(), m.id, &ch, now).await?;
        let m = accounts::get_account_user(&mut tx.conn(), scope.account_id(), user_id).await?;
        let user = users::get_user(&mut tx.conn(), user_id).await?;
        tx.commit().await?;
        Ok((user, m))
    }

    /// Changes an agent's name, role, availability or auto-offline setting.
    pub async fn update_agent(
        &self,
        scope: &Scope,
        id: UserId,
        input: &AgentInput,
    ) -> AppResult<(User, AccountUser)> {
        scope.require_admin()?;
        let mut errors = ValidationErrors::new();
        let name = input.name.as_ref().map(|n| n.trim().to_owned());
        if name.as_deref() == Some("") {
            errors.add("name", "can't be blank");
        }
        let (role, availability) = parse_role_and_availability(input, &mut errors);
        errors.into_result()?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let m = accounts::find_account_user(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        if name.is_some() {
            users::update_user(
                &mut tx.conn(),
                id,
                &UserChanges {
                    name,
                    ..Default::default()
                },
                now,
            )
            .await?;
        }
        let ch = AccountUserChanges {
            role,
            availability,
            auto_offline: input.auto_offline,
        };
        accounts::update_account_user(&mut tx.conn(), m.id, &ch, now).await?;
        let m = accounts::get_account_user(&mut tx.conn(), scope.account_id(), id).await?;
        let user = users::get_user(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok((user, m))
    }

    /// Removes an agent from the account; a user left without any account is deleted.
    pub async fn delete_agent(&self, scope: &Scope, id: UserId) -> AppResult<()> {
        scope.require_admin()?;
        let mut tx = self.store().begin().await?;
        if !accounts::delete_account_user(&mut tx.conn(), scope.account_id(), id).await? {
            return Err(AppError::NotFound);
        }
        if accounts::list_user_accounts(&mut tx.conn(), id)
            .await?
            .is_empty()
        {
            users::delete_user(&mut tx.conn(), id).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
