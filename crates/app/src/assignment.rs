//! Assignment (agent, bot or team) and conversation labels, with their activity messages and
//! events.

use confab_domain::account::AccountUser;
use confab_domain::agent_bot::AgentBot;
use confab_domain::api_key::KeyScope;
use confab_domain::conversation::{self as conv_rules, Conversation};
use confab_domain::team::Team;
use confab_domain::user::User;
use confab_domain::{AgentBotId, TeamId, Timestamp, UserId};
use confab_store::conversations::{self, ConversationChanges};
use confab_store::{Conn, accounts, agent_bots, teams, users};
use serde_json::json;

use crate::error::{AppError, AppResult};
use crate::lifecycle::{Acting, changed};
use crate::{App, Scope};

/// What an assignment request names.
#[derive(Debug, Clone, Default)]
pub struct AssignmentInput {
    /// `Some(None)`: unassign (`0`, null or an unknown id).
    pub assignee_id: Option<Option<i64>>,
    /// `AgentBot` assigns a bot instead of a user.
    pub assignee_type: Option<String>,
    pub team_id: Option<Option<i64>>,
}

/// What an assignment renders.
#[derive(Debug, Clone)]
pub enum Assigned {
    Agent(User, Option<AccountUser>),
    Bot(AgentBot),
    Team(Team),
    Nobody,
}

impl App {
    /// `POST …/assignments`: a user, a bot or a team (§6.3).
    pub async fn assign_conversation(
        &self,
        scope: &Scope,
        display_id: i64,
        input: &AssignmentInput,
    ) -> AppResult<Assigned> {
        let field = if input.assignee_id.is_some() {
            "assignee_id"
        } else {
            "team_id"
        };
        scope.require_key_scope(KeyScope::ConversationAssign, field)?;
        let account = scope.account_id();
        let acting = Acting::of(scope);
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        let result = if let Some(team_id) = input.team_id.filter(|_| input.assignee_id.is_none()) {
            let team = match team_id.filter(|id| *id > 0) {
                Some(id) => teams::find_team(&mut c, account, TeamId(id)).await?,
                None => None,
            };
            self.set_team_tx(&mut c, &conv, team.as_ref(), &acting, now)
                .await?;
            team.map(Assigned::Team).unwrap_or(Assigned::Nobody)
        } else if input.assignee_type.as_deref() == Some("AgentBot") {
            let bot = match input.assignee_id.flatten().filter(|id| *id > 0) {
                Some(id) => agent_bots::find_agent_bot(&mut c, AgentBotId(id))
                    .await?
                    .filter(|b| b.account_id.is_none() || b.account_id == Some(account)),
                None => None,
            };
            let ch = ConversationChanges {
                assignee_id: Some(None),
                assignee_agent_bot_id: Some(bot.as_ref().map(|b| b.id)),
                ..Default::default()
            };
            conversations::update_conversation(&mut c, conv.id, &ch, now).await?;
            let attrs = changed(
                "assignee_agent_bot_id",
                json!(conv.assignee_agent_bot_id),
                json!(bot.as_ref().map(|b| b.id)),
            );
            self.record_event(&mut c, &conv, "assignee_changed", attrs, &acting, now)
                .await?;
            bot.map(Assigned::Bot).unwrap_or(Assigned::Nobody)
        } else if let Some(assignee) = input.assignee_id {
            let found = match assignee.filter(|id| *id > 0) {
                Some(id) => match accounts::find_account_user(&mut c, account, UserId(id)).await? {
                    Some(m) => Some((users::get_user(&mut c, UserId(id)).await?, m)),
                    None => None,
                },
                None => None,
            };
            self.set_assignee_tx(&mut c, &conv, found.as_ref().map(|(u, _)| u), &acting, now)
                .await?;
            found
                .map(|(u, m)| Assigned::Agent(u, Some(m)))
                .unwrap_or(Assigned::Nobody)
        } else {
            Assigned::Nobody
        };
        tx.commit().await?;
        Ok(result)
    }

    /// Sets the team; an assignee who is not a member of the new team is dropped.
    pub(crate) async fn set_team_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        team: Option<&Team>,
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<()> {
        let new_id = team.map(|t| t.id);
        if conv.team_id == new_id {
            return Ok(());
        }
        let mut ch = ConversationChanges {
            team_id: Some(new_id),
            ..Default::default()
        };
        if let (Some(t), Some(a)) = (team, conv.assignee_id)
            && !teams::is_member(c, t.id, a).await?
        {
            ch.assignee_id = Some(None);
        }
        conversations::update_conversation(c, conv.id, &ch, now).await?;
        let attrs = changed("team_id", json!(conv.team_id), json!(new_id));
        self.record_event(c, conv, "team_changed", attrs.clone(), acting, now)
            .await?;
        self.record_event(c, conv, "conversation_updated", attrs, acting, now)
            .await?;
        let text = match (team, conv.team_id) {
            (Some(t), _) => acting
                .name()
                .map(|who| format!("Assigned to {} by {who}", t.name)),
            (None, Some(old)) => {
                let name = teams::find_team(c, conv.account_id, old)
                    .await?
                    .map(|t| t.name)
                    .unwrap_or_default();
                acting
                    .name()
                    .map(|who| format!("Unassigned from {name} by {who}"))
            }
            (None, None) => None,
        };
        self.activity_tx(c, conv, text, acting, now).await
    }

    /// The labels of a conversation.
    pub async fn conversation_labels(
        &self,
        scope: &Scope,
        display_id: i64,
    ) -> AppResult<Vec<String>> {
        scope.require_key_scope(KeyScope::ConversationRead, "conversation")?;
        let mut c = self.store().conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        Ok(conv.labels())
    }

    /// Replaces the labels of a conversation, with the added/removed activities.
    pub async fn set_conversation_labels(
        &self,
        scope: &Scope,
        display_id: i64,
        titles: Vec<String>,
    ) -> AppResult<Vec<String>> {
        scope.require_key_scope(KeyScope::ConversationUpdate, "labels")?;
        let titles = conv_rules::normalize_labels(titles);
        if let Some(bad) = titles
            .iter()
            .find(|t| !confab_domain::team::is_valid_label_title(t))
        {
            return Err(AppError::invalid(
                "labels",
                &format!("contains an invalid label title: {bad}"),
            ));
        }
        let acting = Acting::of(scope);
        let now = self.now();
        let mut tx = self.store().begin().await?;
        let mut c = tx.conn();
        let conv = self.load_conversation(&mut c, scope, display_id).await?;
        self.set_labels_tx(&mut c, &conv, &titles, &acting, now)
            .await?;
        tx.commit().await?;
        Ok(titles)
    }

    /// Replaces a conversation's labels (normalised titles), with the event and the
    /// added/removed activities.
    pub(crate) async fn set_labels_tx(
        &self,
        c: &mut Conn<'_>,
        conv: &Conversation,
        titles: &[String],
        acting: &Acting,
        now: Timestamp,
    ) -> AppResult<()> {
        let before = conv.labels();
        if before != titles {
            conversations::set_labels(c, conv.account_id, conv.id, titles, now).await?;
            let added: Vec<&str> = titles
                .iter()
                .filter(|t| !before.contains(t))
                .map(String::as_str)
                .collect();
            let removed: Vec<&str> = before
                .iter()
                .filter(|t| !titles.contains(t))
                .map(String::as_str)
                .collect();
            let attrs = changed("label_list", json!(before), json!(titles));
            self.record_event(c, conv, "conversation_updated", attrs, acting, now)
                .await?;
            if let Some(who) = acting.name() {
                if !added.is_empty() {
                    let text = format!("{who} added {}", added.join(", "));
                    self.activity_tx(c, conv, Some(text), acting, now).await?;
                }
                if !removed.is_empty() {
                    let text = format!("{who} removed {}", removed.join(", "));
                    self.activity_tx(c, conv, Some(text), acting, now).await?;
                }
            }
        }
        Ok(())
    }
}
