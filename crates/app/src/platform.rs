//! The Platform API's use cases: provisioning accounts, users, memberships and bots.
//! A platform app only reaches records it created (app/controllers/platform_controller.rb).

use confab_domain::account::{Account, AccountUser};
use confab_domain::agent_bot::AgentBot;
use confab_domain::platform::{Permissible, PlatformApp};
use confab_domain::user::User;
use confab_domain::validation::is_valid_email;
use confab_domain::{AccountId, AccountStatus, AgentBotId, Role, UserId, ValidationErrors};
use confab_store::accounts::{self, AccountChanges, NewAccount};
use confab_store::agent_bots::{self, AgentBotChanges, NewAgentBot};
use confab_store::tokens::OwnerKind;
use confab_store::users::{self, NewUser, UserChanges};
use confab_store::{Conn, StoreError, platform};
use serde_json::Value;

use crate::auth::{Principal, issue_token};
use crate::error::{AppError, AppResult, messages};
use crate::{App, secrets};

/// Fields of an account, for create (name required) and update.
#[derive(Debug, Clone, Default)]
pub struct AccountInput {
    pub name: Option<String>,
    pub locale: Option<String>,
    pub domain: Option<Option<String>>,
    pub support_email: Option<Option<String>>,
    pub status: Option<String>,
    pub features: Option<Value>,
    pub limits: Option<Value>,
    pub custom_attributes: Option<Value>,
    pub auto_resolve_duration: Option<Option<i64>>,
    /// Settings to merge into the stored ones (`timezone`, `auto_resolve_message`,
    /// `auto_resolve_ignore_waiting`, `auto_resolve_pending`); only the account's own API.
    pub settings: Option<serde_json::Map<String, Value>>,
}

/// Checks the account settings a client may write.
fn check_settings(settings: &serde_json::Map<String, Value>, errors: &mut ValidationErrors) {
    for (k, v) in settings {
        match k.as_str() {
            // null resets a setting to its default.
            _ if v.is_null() => {}
            "timezone" => {
                let known = v
                    .as_str()
                    .and_then(confab_domain::snooze::AccountZone::named)
                    .is_some();
                if !known {
                    errors.add("timezone", "is not a known IANA time zone");
                }
            }
            "auto_resolve_message" => {
                if v.as_str().is_none_or(|m| m.chars().count() > 10_000) {
                    errors.add(
                        "auto_resolve_message",
                        "must be a text of at most 10000 characters",
                    );
                }
            }
            "auto_resolve_ignore_waiting" | "auto_resolve_pending" => {
                if !v.is_boolean() {
                    errors.add(k, "must be true or false");
                }
            }
            _ => errors.add(k, "is not an account setting"),
        }
    }
}

/// Fields of a user, for create (name, email required) and update.
#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub name: Option<String>,
    pub display_name: Option<Option<String>>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub custom_attributes: Option<Value>,
}

/// Fields of an agent bot.
#[derive(Debug, Clone, Default)]
pub struct AgentBotInput {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub outgoing_url: Option<Option<String>>,
    pub bot_config: Option<Value>,
    pub account_id: Option<AccountId>,
}

pub(crate) fn check_password(p: &str, errors: &mut ValidationErrors) {
    if p.chars().count() < 6 {
        errors.add("password", "is too short (minimum is 6 characters)");
    } else if p.chars().count() > 128 {
        errors.add("password", "is too long (maximum is 128 characters)");
    }
}

fn account_changes(input: &AccountInput, creating: bool) -> AppResult<AccountChanges> {
    let mut errors = ValidationErrors::new();
    let name = input.name.as_ref().map(|n| n.trim().to_owned());
    if (creating && name.is_none()) || name.as_deref() == Some("") {
        errors.add("name", "can't be blank");
    }
    if name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        errors.add("name", "is too long (maximum is 255 characters)");
    }
    let status = match input.status.as_deref() {
        None => None,
        Some(s) => match AccountStatus::parse(s) {
            Some(s) => Some(s),
            None => {
                errors.add("status", "is not included in the list");
                None
            }
        },
    };
    if let Some(Some(e)) = &input.support_email
        && !is_valid_email(e)
    {
        errors.add("support_email", "is invalid");
    }
    for (field, v) in [
        ("features", &input.features),
        ("limits", &input.limits),
        ("custom_attributes", &input.custom_attributes),
    ] {
        if v.as_ref().is_some_and(|v| !v.is_object()) {
            errors.add(field, "must be an object");
        }
    }
    if let Some(settings) = &input.settings {
        check_settings(settings, &mut errors);
    }
    if let Some(Some(d)) = input.auto_resolve_duration
        && !(10..=1_439_856).contains(&d)
    {
        errors.add(
            "auto_resolve_duration",
            "must be between 10 and 1439856 minutes",
        );
    }
    errors.into_result()?;
    Ok(AccountChanges {
        name,
        locale: input.locale.clone(),
        domain: input.domain.clone(),
        support_email: input.support_email.clone(),
        status,
        features: input.features.clone(),
        limits: input.limits.clone(),
        custom_attributes: input.custom_attributes.clone(),
        settings: None,
        auto_resolve_duration: input.auto_resolve_duration,
    })
}

/// Validates account fields for an update.
pub(crate) fn account_changes_for_update(input: &AccountInput) -> AppResult<AccountChanges> {
    account_changes(input, false)
}

/// Merges feature flags into the stored ones (`{"name": bool}`), as upstream's `enable_features`.
fn merge_objects(base: &Value, patch: &Value) -> Value {
    let mut out = base.as_object().cloned().unwrap_or_default();
    if let Some(p) = patch.as_object() {
        for (k, v) in p {
            out.insert(k.clone(), v.clone());
        }
    }
    Value::Object(out)
}

impl App {
    /// Creates a platform app and returns its token (shown once).
    pub async fn create_platform_app(&self, name: &str) -> AppResult<(PlatformApp, String)> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::invalid("name", "can't be blank"));
        }
        let mut tx = self.store().begin().await?;
        let id = platform::insert_platform_app(&mut tx.conn(), name, self.now()).await?;
        let token = issue_token(self, &mut tx.conn(), OwnerKind::PlatformApp, id.get()).await?;
        let app = platform::get_platform_app(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok((app, token))
    }

    /// The platform app a token belongs to; anything else is refused as upstream.
    pub async fn platform_app(&self, token: Option<&str>) -> AppResult<PlatformApp> {
        let Some(token) = token else {
            return Err(AppError::Forbidden(messages::PLATFORM_INVALID_TOKEN));
        };
        match self.authenticate(token).await {
            Ok(Principal::PlatformApp(p)) => Ok(p),
            Ok(_) | Err(AppError::InvalidToken) => {
                Err(AppError::Forbidden(messages::PLATFORM_INVALID_TOKEN))
            }
            Err(e) => Err(e),
        }
    }

    async fn ensure_permitted(
        &self,
        c: &mut Conn<'_>,
        p: &PlatformApp,
        kind: Permissible,
        id: i64,
    ) -> AppResult<()> {
        if platform::is_permitted(c, p.id, kind, id).await? {
            Ok(())
        } else {
            Err(AppError::Forbidden(messages::PLATFORM_NOT_PERMITTED))
        }
    }

    pub async fn platform_list_accounts(&self, p: &PlatformApp) -> AppResult<Vec<Account>> {
        let mut c = self.store().conn();
        let ids = platform::list_permitted_ids(&mut c, p.id, Permissible::Account).await?;
        Ok(accounts::list_accounts_by_ids(&mut c, &ids).await?)
    }

    pub async fn platform_create_account(
        &self,
        p: &PlatformApp,
        input: &AccountInput,
    ) -> AppResult<Account> {
        let ch = account_changes(input, true)?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let id = accounts::insert_account(
            &mut tx.conn(),
            &NewAccount {
                name: ch.name.clone().unwrap_or_default(),
                locale: ch.locale.clone().unwrap_or_else(|| "en".into()),
                domain: ch.domain.clone().flatten(),
                support_email: ch.support_email.clone().flatten(),
                status: ch.status.unwrap_or(AccountStatus::Active),
                features: merge_objects(
                    &default_features(),
                    ch.features.as_ref().unwrap_or(&Value::Null),
                ),
                limits: ch
                    .limits
                    .clone()
                    .unwrap_or_else(|| Value::Object(Default::default())),
                custom_attributes: ch
                    .custom_attributes
                    .clone()
                    .unwrap_or_else(|| Value::Object(Default::default())),
            },
            now,
        )
        .await?;
        if let Some(Some(d)) = ch.auto_resolve_duration {
            accounts::update_account(
                &mut tx.conn(),
                id,
                &AccountChanges {
                    auto_resolve_duration: Some(Some(d)),
                    ..Default::default()
                },
                now,
            )
            .await?;
        }
        platform::add_permissible(&mut tx.conn(), p.id, Permissible::Account, id.get(), now)
            .await?;
        let account = accounts::get_account(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(account)
    }

    pub async fn platform_get_account(&self, p: &PlatformApp, id: AccountId) -> AppResult<Account> {
        let mut c = self.store().conn();
        let account = accounts::find_account(&mut c, id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.ensure_permitted(&mut c, p, Permissible::Account, id.get())
            .await?;
        Ok(account)
    }

    pub async fn platform_update_account(
        &self,
        p: &PlatformApp,
        id: AccountId,
        input: &AccountInput,
    ) -> AppResult<Account> {
        let account = self.platform_get_account(p, id).await?;
        let mut ch = account_changes(input, false)?;
        ch.features = ch.features.map(|f| merge_objects(&account.features, &f));
        let mut tx = self.store().begin().await?;
        accounts::update_account(&mut tx.conn(), id, &ch, self.now()).await?;
        if input.auto_resolve_duration.is_some() {
            self.start_auto_resolve_backfill(&mut tx.conn(), id, self.now())
                .await?;
        }
        let account = accounts::get_account(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(account)
    }

    pub async fn platform_delete_account(&self, p: &PlatformApp, id: AccountId) -> AppResult<()> {
        self.platform_get_account(p, id).await?;
        let mut tx = self.store().begin().await?;
        accounts::delete_account(&mut tx.conn(), id).await?;
        platform::remove_permissible(&mut tx.conn(), Permissible::Account, id.get()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a user, or takes over an existing user with that email as upstream does.
    pub async fn platform_create_user(
        &self,
        p: &PlatformApp,
        input: &UserInput,
    ) -> AppResult<(User, String)> {
        let mut errors = ValidationErrors::new();
        let name = input.name.as_deref().map(str::trim).unwrap_or("");
        let email = input
            .email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .unwrap_or_default();
        if name.is_empty() {
            errors.add("name", "can't be blank");
        }
        if email.is_empty() {
            errors.add("email", "can't be blank");
        } else if !is_valid_email(&email) {
            errors.add("email", "is invalid");
        }
        if let Some(pw) = &input.password {
            check_password(pw, &mut errors);
        }
        if input
            .custom_attributes
            .as_ref()
            .is_some_and(|v| !v.is_object())
        {
            errors.add("custom_attributes", "must be an object");
        }
        errors.into_result()?;
        let hash = match &input.password {
            Some(pw) => Some(secrets::hash_password(pw.clone()).await?),
            None => None,
        };
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let existing = users::find_user_by_email(&mut tx.conn(), &email).await?;
        let id = match existing {
            Some(u) => {
                let ch = UserChanges {
                    name: Some(name.to_owned()),
                    display_name: input.display_name.clone(),
                    password_hash: hash,
                    custom_attributes: input.custom_attributes.clone(),
                    ..Default::default()
                };
                users::update_user(&mut tx.conn(), u.id, &ch, now).await?;
                u.id
            }
            None => {
                let new = NewUser {
                    name: name.to_owned(),
                    display_name: input.display_name.clone().flatten(),
                    email: email.clone(),
                    password_hash: hash,
                    pubsub_token: secrets::random_alnum(24),
                    custom_attributes: input
                        .custom_attributes
                        .clone()
                        .unwrap_or_else(|| Value::Object(Default::default())),
                };
                let id = users::insert_user(&mut tx.conn(), &new, now).await?;
                issue_token(self, &mut tx.conn(), OwnerKind::User, id.get()).await?;
                id
            }
        };
        platform::add_permissible(&mut tx.conn(), p.id, Permissible::User, id.get(), now).await?;
        let user = users::get_user(&mut tx.conn(), id).await?;
        tx.commit().await?;
        let token = self.user_token(id).await?;
        Ok((user, token))
    }

    pub async fn platform_get_user(
        &self,
        p: &PlatformApp,
        id: UserId,
    ) -> AppResult<(User, String)> {
        let mut c = self.store().conn();
        let user = users::find_user(&mut c, id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.ensure_permitted(&mut c, p, Permissible::User, id.get())
            .await?;
        let token = self.user_token(id).await?;
        Ok((user, token))
    }

    pub async fn platform_update_user(
        &self,
        p: &PlatformApp,
        id: UserId,
        input: &UserInput,
    ) -> AppResult<(User, String)> {
        self.platform_get_user(p, id).await?;
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
        }
        if input
            .custom_attributes
            .as_ref()
            .is_some_and(|v| !v.is_object())
        {
            errors.add("custom_attributes", "must be an object");
        }
        errors.into_result()?;
        let hash = match &input.password {
            Some(pw) => Some(secrets::hash_password(pw.clone()).await?),
            None => None,
        };
        let ch = UserChanges {
            name,
            display_name: input.display_name.clone(),
            email,
            password_hash: hash,
            custom_attributes: input.custom_attributes.clone(),
            ..Default::default()
        };
        let mut tx = self.store().begin().await?;
        match users::update_user(&mut tx.conn(), id, &ch, self.now()).await {
            Err(StoreError::UniqueViolation) => {
                return Err(AppError::invalid("email", "has already been taken"));
            }
            other => other?,
        }
        tx.commit().await?;
        self.platform_get_user(p, id).await
    }

    pub async fn platform_delete_user(&self, p: &PlatformApp, id: UserId) -> AppResult<()> {
        self.platform_get_user(p, id).await?;
        let mut tx = self.store().begin().await?;
        users::delete_user(&mut tx.conn(), id).await?;
        platform::remove_permissible(&mut tx.conn(), Permissible::User, id.get()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn platform_list_account_users(
        &self,
        p: &PlatformApp,
        account: AccountId,
    ) -> AppResult<Vec<AccountUser>> {
        self.platform_get_account(p, account).await?;
        Ok(accounts::list_account_users(&mut self.store().conn(), account).await?)
    }

    /// Adds a user to an account with a role, or changes the role (upsert).
    pub async fn platform_create_account_user(
        &self,
        p: &PlatformApp,
        account: AccountId,
        user: Option<UserId>,
        role: Option<&str>,
    ) -> AppResult<AccountUser> {
        self.platform_get_account(p, account).await?;
        let mut errors = ValidationErrors::new();
        if user.is_none() {
            errors.add("user_id", "can't be blank");
        }
        let role = match role {
            None => Some(Role::Agent),
            Some(r) => {
                let parsed = Role::parse(r);
                if parsed.is_none() {
                    errors.add("role", "is not included in the list");
                }
                parsed
            }
        };
        errors.into_result()?;
        let (Some(user), Some(role)) = (user, role) else {
            return Err(AppError::invalid("user_id", "can't be blank"));
        };
        let mut tx = self.store().begin().await?;
        if users::find_user(&mut tx.conn(), user).await?.is_none() {
            return Err(AppError::invalid("user", "must exist"));
        }
        let m =
            accounts::upsert_account_user(&mut tx.conn(), account, user, role, None, self.now())
                .await?;
        tx.commit().await?;
        Ok(m)
    }

    pub async fn platform_delete_account_user(
        &self,
        p: &PlatformApp,
        account: AccountId,
        user: Option<UserId>,
    ) -> AppResult<()> {
        self.platform_get_account(p, account).await?;
        let user = user.ok_or_else(|| AppError::invalid("user_id", "can't be blank"))?;
        let mut tx = self.store().begin().await?;
        if !accounts::delete_account_user(&mut tx.conn(), account, user).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn platform_list_agent_bots(&self, p: &PlatformApp) -> AppResult<Vec<AgentBot>> {
        let mut c = self.store().conn();
        let ids = platform::list_permitted_ids(&mut c, p.id, Permissible::AgentBot).await?;
        Ok(agent_bots::list_by_ids(&mut c, &ids).await?)
    }

    pub async fn platform_create_agent_bot(
        &self,
        p: &PlatformApp,
        input: &AgentBotInput,
    ) -> AppResult<(AgentBot, String)> {
        if let Some(account) = input.account_id {
            let mut c = self.store().conn();
            accounts::find_account(&mut c, account)
                .await?
                .ok_or_else(|| AppError::invalid("account_id", "must exist"))?;
            self.ensure_permitted(&mut c, p, Permissible::Account, account.get())
                .await?;
        }
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let (bot, token) = self
            .insert_bot(&mut tx.conn(), input.account_id, input, now)
            .await?;
        platform::add_permissible(
            &mut tx.conn(),
            p.id,
            Permissible::AgentBot,
            bot.id.get(),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok((bot, token))
    }

    pub(crate) async fn insert_bot(
        &self,
        c: &mut Conn<'_>,
        account: Option<AccountId>,
        input: &AgentBotInput,
        now: confab_domain::Timestamp,
    ) -> AppResult<(AgentBot, String)> {
        let name = input.name.as_deref().map(str::trim).unwrap_or("");
        let mut errors = ValidationErrors::new();
        if name.is_empty() {
            errors.add("name", "can't be blank");
        }
        check_bot_url(
            input.outgoing_url.as_ref().and_then(|u| u.as_deref()),
            self.config().webhook_allow_private,
            &mut errors,
        );
        if input.bot_config.as_ref().is_some_and(|v| !v.is_object()) {
            errors.add("bot_config", "must be an object");
        }
        errors.into_result()?;
        let new = NewAgentBot {
            account_id: account,
            name: name.to_owned(),
            description: input.description.clone().flatten(),
            outgoing_url: input.outgoing_url.clone().flatten(),
            bot_config: input
                .bot_config
                .clone()
                .unwrap_or_else(|| Value::Object(Default::default())),
            secret: crate::secrets::webhook_secret(),
        };
        let id = agent_bots::insert_agent_bot(c, &new, now).await?;
        let token = issue_token(self, c, OwnerKind::AgentBot, id.get()).await?;
        Ok((agent_bots::get_agent_bot(c, id).await?, token))
    }

    pub(crate) fn bot_changes(&self, input: &AgentBotInput) -> AppResult<AgentBotChanges> {
        let mut errors = ValidationErrors::new();
        let name = input.name.as_ref().map(|n| n.trim().to_owned());
        if name.as_deref() == Some("") {
            errors.add("name", "can't be blank");
        }
        check_bot_url(
            input.outgoing_url.as_ref().and_then(|u| u.as_deref()),
            self.config().webhook_allow_private,
            &mut errors,
        );
        if input.bot_config.as_ref().is_some_and(|v| !v.is_object()) {
            errors.add("bot_config", "must be an object");
        }
        errors.into_result()?;
        Ok(AgentBotChanges {
            name,
            description: input.description.clone(),
            outgoing_url: input.outgoing_url.clone(),
            bot_config: input.bot_config.clone(),
            secret: None,
        })
    }

    pub async fn platform_get_agent_bot(
        &self,
        p: &PlatformApp,
        id: AgentBotId,
    ) -> AppResult<(AgentBot, String)> {
        let mut c = self.store().conn();
        let bot = agent_bots::find_agent_bot(&mut c, id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.ensure_permitted(&mut c, p, Permissible::AgentBot, id.get())
            .await?;
        let token = self
            .token_of(OwnerKind::AgentBot, id.get())
            .await?
            .unwrap_or_default();
        Ok((bot, token))
    }

    pub async fn platform_update_agent_bot(
        &self,
        p: &PlatformApp,
        id: AgentBotId,
        input: &AgentBotInput,
    ) -> AppResult<(AgentBot, String)> {
        self.platform_get_agent_bot(p, id).await?;
        let ch = self.bot_changes(input)?;
        let mut tx = self.store().begin().await?;
        agent_bots::update_agent_bot(&mut tx.conn(), id, &ch, self.now()).await?;
        tx.commit().await?;
        self.platform_get_agent_bot(p, id).await
    }

    pub async fn platform_delete_agent_bot(
        &self,
        p: &PlatformApp,
        id: AgentBotId,
    ) -> AppResult<()> {
        self.platform_get_agent_bot(p, id).await?;
        let mut tx = self.store().begin().await?;
        agent_bots::delete_agent_bot(&mut tx.conn(), id).await?;
        platform::remove_permissible(&mut tx.conn(), Permissible::AgentBot, id.get()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An http(s) URL of at most 2048 characters, when present.
/// An `outgoing_url` follows the webhook address rule: bots are posted to like webhooks.
fn check_bot_url(url: Option<&str>, allow_private: bool, errors: &mut ValidationErrors) {
    if let Some(u) = url
        && let Err(why) = crate::outbound::check_url(u, allow_private)
    {
        errors.add("outgoing_url", why);
    }
}

/// A new active account with the default features and nothing else set.
pub fn new_account(name: &str) -> confab_store::accounts::NewAccount {
    confab_store::accounts::NewAccount {
        name: name.to_owned(),
        locale: "en".into(),
        domain: None,
        support_email: None,
        status: AccountStatus::Active,
        features: default_features(),
        limits: Value::Object(Default::default()),
        custom_attributes: Value::Object(Default::default()),
    }
}

/// The features a new account starts with.
pub fn default_features() -> Value {
    serde_json::json!({
        "agent_management": true,
        "automations": true,
        "canned_responses": true,
        "custom_attributes": true,
        "inbox_management": true,
        "labels": true,
        "macros": true,
        "reports": true,
        "team_management": true,
        "channel_api": true,
        "channel_website": true,
        "crm": true,
    })
}
