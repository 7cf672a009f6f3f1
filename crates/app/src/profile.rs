//! The signed-in user's own profile.

use confab_domain::user::User;
use confab_domain::validation::is_valid_email;
use confab_domain::{Availability, ValidationErrors};
use confab_store::StoreError;
use confab_store::accounts::{self, AccountUserChanges};
use confab_store::users::{self, UserChanges};
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::platform::check_password;
use crate::{App, secrets};

/// Profile fields a user may change.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub name: Option<String>,
    pub display_name: Option<Option<String>>,
    pub email: Option<String>,
    pub message_signature: Option<Option<String>>,
    pub ui_settings: Option<Value>,
    pub password: Option<String>,
    pub password_confirmation: Option<String>,
    pub current_password: Option<String>,
    /// Sets the availability in every account of the user.
    pub availability: Option<String>,
}

impl App {
    /// Updates the caller's own profile. Changing the password needs the current one.
    pub async fn update_profile(&self, user: &User, input: &ProfileInput) -> AppResult<User> {
        let mut errors = ValidationErrors::new();
        let name = input.name.as_ref().map(|n| n.trim().to_owned());
        if name.as_deref() == Some("") {
            errors.add("name", "can't be blank");
        }
        let email = input.email.as_ref().map(|e| e.trim().to_lowercase());
        if email.as_ref().is_some_and(|e| !is_valid_email(e)) {
            errors.add("email", "is invalid");
        }
        if let Some(pw) = &input.password {
            check_password(pw, &mut errors);
            if input
                .password_confirmation
                .as_ref()
                .is_some_and(|c| c != pw)
            {
                errors.add("password_confirmation", "doesn't match Password");
            }
        }
        let availability = match input.availability.as_deref() {
            None => None,
            Some(a) => {
                let parsed = Availability::parse(a);
                if parsed.is_none() {
                    errors.add("availability", "is not included in the list");
                }
                parsed
            }
        };
        if input.ui_settings.as_ref().is_some_and(|v| !v.is_object()) {
            errors.add("ui_settings", "must be an object");
        }
        errors.into_result()?;
        let password_hash = match &input.password {
            Some(pw) => {
                let current_ok = match (&input.current_password, &user.password_hash) {
                    (Some(cur), Some(hash)) => {
                        secrets::verify_password(cur.clone(), hash.clone()).await?
                    }
                    _ => false,
                };
                if !current_ok {
                    return Err(AppError::Unprocessable("Invalid current password".into()));
                }
                Some(secrets::hash_password(pw.clone()).await?)
            }
            None => None,
        };
        let ui_settings = input.ui_settings.as_ref().map(|patch| {
            let mut merged = user.ui_settings.as_object().cloned().unwrap_or_default();
            if let Some(p) = patch.as_object() {
                merged.extend(p.clone());
            }
            Value::Object(merged)
        });
        let ch = UserChanges {
            name,
            display_name: input.display_name.clone(),
            email,
            password_hash,
            message_signature: input.message_signature.clone(),
            ui_settings,
            custom_attributes: None,
        };
        let now = self.now();
        let mut tx = self.store().begin().await?;
        match users::update_user(&mut tx.conn(), user.id, &ch, now).await {
            Err(StoreError::UniqueViolation) => {
                return Err(AppError::invalid("email", "has already been taken"));
            }
            other => other?,
        }
        if let Some(a) = availability {
            for m in accounts::list_user_accounts(&mut tx.conn(), user.id).await? {
                let ch = AccountUserChanges {
                    availability: Some(a),
                    ..Default::default()
                };
                accounts::update_account_user(&mut tx.conn(), m.id, &ch, now).await?;
            }
        }
        let user = users::get_user(&mut tx.conn(), user.id).await?;
        tx.commit().await?;
        Ok(user)
    }
}
