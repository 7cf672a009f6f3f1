//! Inboxes (API channel), their members and their agent bot.

use confab_domain::account::AccountUser;
use confab_domain::agent_bot::AgentBot;
use confab_domain::inbox::{ChannelKind, Inbox, SenderNameType, default_working_hours};
use confab_domain::user::User;
use confab_domain::{AgentBotId, InboxId, UserId, ValidationErrors};
use confab_store::inboxes::{self, ApiChannelChanges, InboxSettings, NewApiChannel};
use confab_store::{accounts, agent_bots};
use serde_json::Value;

use crate::error::{AppError, AppResult, messages};
use crate::{App, Scope, secrets};

/// Fields of an inbox and its channel, for create and update.
#[derive(Debug, Clone, Default)]
pub struct InboxInput {
    pub name: Option<String>,
    pub greeting_enabled: Option<bool>,
    pub greeting_message: Option<Option<String>>,
    pub enable_email_collect: Option<bool>,
    pub csat_survey_enabled: Option<bool>,
    pub csat_config: Option<Value>,
    pub enable_auto_assignment: Option<bool>,
    pub auto_assignment_config: Option<Value>,
    pub working_hours_enabled: Option<bool>,
    pub out_of_office_message: Option<Option<String>>,
    pub timezone: Option<String>,
    pub allow_messages_after_resolved: Option<bool>,
    pub lock_to_single_conversation: Option<bool>,
    pub sender_name_type: Option<String>,
    pub business_name: Option<Option<String>>,
    /// `channel.type` (create only).
    pub channel_type: Option<String>,
    pub webhook_url: Option<Option<String>>,
    pub hmac_mandatory: Option<bool>,
    pub channel_additional_attributes: Option<Value>,
    pub auto_resolve_after: Option<Option<i64>>,
    pub auto_resolve_pending: Option<Option<bool>>,
    pub auto_resolve_message: Option<Option<String>>,
}

fn settings(
    input: &InboxInput,
    creating: bool,
    allow_private: bool,
) -> AppResult<(InboxSettings, ApiChannelChanges)> {
    let mut errors = ValidationErrors::new();
    let name = input.name.as_ref().map(|n| n.trim().to_owned());
    if (creating && name.is_none()) || name.as_deref() == Some("") {
        errors.add("name", "can't be blank");
    }
    if name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        errors.add("name", "is too long (maximum is 255 characters)");
    }
    let sender_name_type = input.sender_name_type.as_deref().and_then(|s| {
        let p = SenderNameType::parse(s);
        if p.is_none() {
            errors.add("sender_name_type", "is not included in the list");
        }
        p
    });
    if let Some(tz) = &input.timezone
        && (tz.trim().is_empty() || tz.len() > 64)
    {
        errors.add("timezone", "is invalid");
    }
    for (field, v) in [
        ("csat_config", &input.csat_config),
        ("auto_assignment_config", &input.auto_assignment_config),
        (
            "additional_attributes",
            &input.channel_additional_attributes,
        ),
    ] {
        if v.as_ref().is_some_and(|v| !v.is_object()) {
            errors.add(field, "must be an object");
        }
    }
    if let Some(attrs) = &input.channel_additional_attributes
        && let Some(w) = attrs.get("agent_reply_time_window")
        && !w.as_f64().is_some_and(|h| h > 0.0)
    {
        errors.add("agent_reply_time_window", "must be greater than 0");
    }
    if let Some(Some(m)) = input.auto_resolve_after
        && !(m == 0 || (10..=1_439_856).contains(&m))
    {
        errors.add(
            "auto_resolve_after",
            "must be 0 (off), null (the account's setting) or between 10 and 1439856 minutes",
        );
    }
    if input
        .auto_resolve_message
        .as_ref()
        .and_then(|m| m.as_deref())
        .is_some_and(|m| m.chars().count() > 10_000)
    {
        errors.add(
            "auto_resolve_message",
            "is too long (maximum is 10000 characters)",
        );
    }
    if let Some(url) = input.webhook_url.as_ref().and_then(|u| u.as_deref())
        && let Err(why) = crate::outbound::check_url(url, allow_private)
    {
        errors.add("webhook_url", why);
    }
    errors.into_result()?;
    Ok((
        InboxSettings {
            name,
            greeting_enabled: input.greeting_enabled,
            greeting_message: input.greeting_message.clone(),
            enable_email_collect: input.enable_email_collect,
            csat_survey_enabled: input.csat_survey_enabled,
            csat_config: input.csat_config.clone(),
            enable_auto_assignment: input.enable_auto_assignment,
            auto_assignment_config: input.auto_assignment_config.clone(),
            working_hours_enabled: input.working_hours_enabled,
            out_of_office_message: input.out_of_office_message.clone(),
            timezone: input.timezone.clone(),
            allow_messages_after_resolved: input.allow_messages_after_resolved,
            lock_to_single_conversation: input.lock_to_single_conversation,
            sender_name_type,
            business_name: input.business_name.clone(),
            auto_resolve_after: input.auto_resolve_after,
            auto_resolve_pending: input.auto_resolve_pending,
            auto_resolve_message: input.auto_resolve_message.clone(),
        },
        ApiChannelChanges {
            hmac_mandatory: input.hmac_mandatory,
            webhook_url: input.webhook_url.clone(),
            additional_attributes: input.channel_additional_attributes.clone(),
        },
    ))
}

impl App {
    /// The inboxes the caller sees: all for administrators, their own for agents.
    pub async fn list_inboxes(&self, scope: &Scope) -> AppResult<Vec<Inbox>> {
        let user = scope.require_user()?;
        let member = if scope.is_admin() {
            None
        } else {
            Some(user.id)
        };
        Ok(inboxes::list_inboxes(&mut self.store().conn(), scope.account_id(), member).await?)
    }

    /// An inbox the caller may see (administrator, or member of the inbox).
    pub async fn get_inbox(&self, scope: &Scope, id: InboxId) -> AppResult<Inbox> {
        let user = scope.require_user()?;
        let mut c = self.store().conn();
        let inbox = inboxes::find_inbox(&mut c, scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !scope.is_admin() && !inboxes::is_member(&mut c, id, user.id).await? {
            return Err(AppError::Forbidden(messages::NOT_AUTHORIZED));
        }
        Ok(inbox)
    }

    /// An inbox of the account for an administrator.
    async fn admin_inbox(&self, scope: &Scope, id: InboxId) -> AppResult<Inbox> {
        scope.require_admin()?;
        inboxes::find_inbox(&mut self.store().conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Creates an inbox with its channel (administrators only). Only the API channel is served.
    pub async fn create_inbox(&self, scope: &Scope, input: &InboxInput) -> AppResult<Inbox> {
        scope.require_admin()?;
        let (settings, channel) = settings(input, true, self.config().webhook_allow_private)?;
        match input.channel_type.as_deref().map(str::trim) {
            None | Some("") => return Err(AppError::invalid("channel", "can't be blank")),
            Some(t) => {
                if ChannelKind::parse_request_type(t).is_none() {
                    return Err(AppError::Unprocessable(format!(
                        "Channel type {t:?} is not supported; this server offers the \"api\" channel"
                    )));
                }
            }
        }
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let count = inboxes::count_inboxes(&mut tx.conn(), scope.account_id()).await?;
        scope.check_limit(
            "inboxes",
            count,
            "Account limit exceeded. Upgrade to a higher plan",
        )?;
        let new_channel = NewApiChannel {
            identifier: secrets::random_alnum(24),
            hmac_token: secrets::random_alnum(24),
            hmac_mandatory: channel.hmac_mandatory.unwrap_or(false),
            webhook_url: channel.webhook_url.clone().flatten(),
            webhook_secret: secrets::webhook_secret(),
            additional_attributes: channel
                .additional_attributes
                .clone()
                .unwrap_or_else(|| Value::Object(Default::default())),
        };
        let id = inboxes::insert_api_inbox(
            &mut tx.conn(),
            scope.account_id(),
            &new_channel,
            &settings,
            &default_working_hours(),
            now,
        )
        .await?;
        let inbox = inboxes::find_inbox(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(inbox)
    }

    pub async fn update_inbox(
        &self,
        scope: &Scope,
        id: InboxId,
        input: &InboxInput,
    ) -> AppResult<Inbox> {
        let inbox = self.admin_inbox(scope, id).await?;
        let (settings, channel) = settings(input, false, self.config().webhook_allow_private)?;
        let mut tx = self.store().begin().await?;
        inboxes::update_inbox(&mut tx.conn(), &inbox, &settings, &channel, self.now()).await?;
        if input.auto_resolve_after.is_some() || input.auto_resolve_pending.is_some() {
            self.start_auto_resolve_backfill(&mut tx.conn(), scope.account_id(), self.now())
                .await?;
        }
        let inbox = inboxes::find_inbox(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(inbox)
    }

    pub async fn delete_inbox(&self, scope: &Scope, id: InboxId) -> AppResult<()> {
        let inbox = self.admin_inbox(scope, id).await?;
        let mut tx = self.store().begin().await?;
        inboxes::delete_inbox(&mut tx.conn(), &inbox).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The members of an inbox (administrators, or members themselves).
    pub async fn list_inbox_members(
        &self,
        scope: &Scope,
        id: InboxId,
    ) -> AppResult<Vec<(User, AccountUser)>> {
        self.get_inbox(scope, id).await?;
        let mut c = self.store().conn();
        let ids: std::collections::HashSet<UserId> = inboxes::list_member_ids(&mut c, id)
            .await?
            .into_iter()
            .collect();
        let agents = accounts::list_agents(&mut c, scope.account_id()).await?;
        Ok(agents
            .into_iter()
            .filter(|(u, _)| ids.contains(&u.id))
            .collect())
    }

    /// Changes the members of an inbox: `Add` adds, `Remove` removes, `Set` makes the list exact.
    pub async fn change_inbox_members(
        &self,
        scope: &Scope,
        id: InboxId,
        user_ids: &[UserId],
        change: MemberChange,
    ) -> AppResult<Vec<(User, AccountUser)>> {
        self.admin_inbox(scope, id).await?;
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let members = accounts::list_account_users(&mut tx.conn(), scope.account_id()).await?;
        if user_ids
            .iter()
            .any(|u| !members.iter().any(|m| m.user_id == *u))
        {
            return Err(AppError::Forbidden("Invalid User IDs"));
        }
        match change {
            MemberChange::Add => inboxes::add_members(&mut tx.conn(), id, user_ids, now).await?,
            MemberChange::Remove => inboxes::remove_members(&mut tx.conn(), id, user_ids).await?,
            MemberChange::Set => {
                let current = inboxes::list_member_ids(&mut tx.conn(), id).await?;
                let gone: Vec<UserId> = current
                    .iter()
                    .filter(|u| !user_ids.contains(u))
                    .copied()
                    .collect();
                inboxes::remove_members(&mut tx.conn(), id, &gone).await?;
                inboxes::add_members(&mut tx.conn(), id, user_ids, now).await?;
            }
        }
        tx.commit().await?;
        self.list_inbox_members(scope, id).await
    }

    /// The bot connected to an inbox.
    pub async fn inbox_agent_bot(&self, scope: &Scope, id: InboxId) -> AppResult<Option<AgentBot>> {
        self.get_inbox(scope, id).await?;
        Ok(agent_bots::find_inbox_bot(&mut self.store().conn(), id).await?)
    }

    /// Connects a bot of the account (or a system bot) to an inbox; `None` disconnects.
    pub async fn set_inbox_agent_bot(
        &self,
        scope: &Scope,
        id: InboxId,
        bot: Option<AgentBotId>,
    ) -> AppResult<()> {
        self.admin_inbox(scope, id).await?;
        let mut tx = self.store().begin().await?;
        if let Some(b) = bot {
            let found = agent_bots::find_agent_bot(&mut tx.conn(), b)
                .await?
                .ok_or(AppError::NotFound)?;
            if found.account_id.is_some_and(|a| a != scope.account_id()) {
                return Err(AppError::NotFound);
            }
        }
        agent_bots::set_inbox_bot(&mut tx.conn(), scope.account_id(), id, bot, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// How a member list changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Add,
    Remove,
    Set,
}
