//! The agent bots of an account (Application API).

use confab_domain::AgentBotId;
use confab_domain::agent_bot::AgentBot;
use confab_store::agent_bots;
use confab_store::tokens::OwnerKind;

use crate::auth::issue_token;
use crate::error::{AppError, AppResult};
use crate::platform::AgentBotInput;
use crate::{App, Scope};

impl App {
    /// The account's bots and the system bots.
    pub async fn list_agent_bots(&self, scope: &Scope) -> AppResult<Vec<AgentBot>> {
        scope.require_user()?;
        Ok(agent_bots::list_for_account(&mut self.store().conn(), scope.account_id()).await?)
    }

    /// A bot visible to the account; its token only for the account's own bots and administrators.
    pub async fn get_agent_bot(
        &self,
        scope: &Scope,
        id: AgentBotId,
    ) -> AppResult<(AgentBot, Option<String>)> {
        scope.require_user()?;
        let bot = agent_bots::find_agent_bot(&mut self.store().conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        match bot.account_id {
            Some(a) if a != scope.account_id() => Err(AppError::NotFound),
            Some(_) if scope.is_admin() => {
                let token = self.token_of(OwnerKind::AgentBot, id.get()).await?;
                Ok((bot, token))
            }
            _ => Ok((bot, None)),
        }
    }

    async fn own_bot(&self, scope: &Scope, id: AgentBotId) -> AppResult<AgentBot> {
        scope.require_admin()?;
        let bot = agent_bots::find_agent_bot(&mut self.store().conn(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        if bot.account_id != Some(scope.account_id()) {
            // System bots are visible but belong to the installation, not to the account.
            return Err(if bot.account_id.is_none() {
                AppError::Forbidden(crate::error::messages::NOT_AUTHORIZED)
            } else {
                AppError::NotFound
            });
        }
        Ok(bot)
    }

    pub async fn create_agent_bot(
        &self,
        scope: &Scope,
        input: &AgentBotInput,
    ) -> AppResult<(AgentBot, String)> {
        scope.require_admin()?;
        let mut tx = self.store().begin().await?;
        let out = self
            .insert_bot(&mut tx.conn(), Some(scope.account_id()), input, self.now())
            .await?;
        tx.commit().await?;
        Ok(out)
    }

    pub async fn update_agent_bot(
        &self,
        scope: &Scope,
        id: AgentBotId,
        input: &AgentBotInput,
    ) -> AppResult<(AgentBot, Option<String>)> {
        self.own_bot(scope, id).await?;
        let ch = self.bot_changes(input)?;
        let mut tx = self.store().begin().await?;
        agent_bots::update_agent_bot(&mut tx.conn(), id, &ch, self.now()).await?;
        tx.commit().await?;
        self.get_agent_bot(scope, id).await
    }

    pub async fn delete_agent_bot(&self, scope: &Scope, id: AgentBotId) -> AppResult<()> {
        self.own_bot(scope, id).await?;
        let mut tx = self.store().begin().await?;
        agent_bots::delete_agent_bot(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The key a bot's deliveries are signed with (administrators of the bot's account).
    pub async fn agent_bot_secret(&self, scope: &Scope, id: AgentBotId) -> AppResult<String> {
        self.own_bot(scope, id).await?;
        agent_bots::bot_secret(&mut self.store().conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// A new signing key for a bot; deliveries not yet sent are signed with it.
    pub async fn rotate_agent_bot_secret(
        &self,
        scope: &Scope,
        id: AgentBotId,
    ) -> AppResult<String> {
        self.own_bot(scope, id).await?;
        let secret = crate::secrets::webhook_secret();
        let mut tx = self.store().begin().await?;
        let ch = agent_bots::AgentBotChanges {
            secret: Some(secret.clone()),
            ..Default::default()
        };
        agent_bots::update_agent_bot(&mut tx.conn(), id, &ch, self.now()).await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// Replaces a bot's token; the old one stops working at once.
    pub async fn reset_agent_bot_token(
        &self,
        scope: &Scope,
        id: AgentBotId,
    ) -> AppResult<(AgentBot, String)> {
        let bot = self.own_bot(scope, id).await?;
        let mut tx = self.store().begin().await?;
        let token = issue_token(self, &mut tx.conn(), OwnerKind::AgentBot, id.get()).await?;
        tx.commit().await?;
        Ok((bot, token))
    }
}
