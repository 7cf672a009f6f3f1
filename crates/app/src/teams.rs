//! Teams and their members.

use std::collections::HashSet;

use confab_domain::account::AccountUser;
use confab_domain::team::Team;
use confab_domain::user::User;
use confab_domain::{TeamId, UserId};
use confab_store::teams::{self, NewTeam, TeamChanges};
use confab_store::{Conn, StoreError, accounts};

use crate::error::{AppError, AppResult};
use crate::inboxes::MemberChange;
use crate::{App, Scope};

/// Fields of a team for create (`name` required) and update. `Some(None)` clears the description.
#[derive(Debug, Clone, Default)]
pub struct TeamInput {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub allow_auto_assign: Option<bool>,
}

/// A team as one user sees it.
#[derive(Debug, Clone)]
pub struct TeamEntry {
    pub team: Team,
    /// Whether the calling user is a member of the team.
    pub is_member: bool,
}

/// Upstream's refusal of member ids that are not users of the account (answered 401).
pub const INVALID_USER_IDS: &str = "Invalid User IDs";

/// Team names are stored lower-cased, as upstream's model does before validating.
fn clean_name(input: &TeamInput, creating: bool) -> AppResult<Option<String>> {
    let name = input.name.as_ref().map(|n| n.trim().to_lowercase());
    if (creating && name.is_none()) || name.as_deref() == Some("") {
        return Err(AppError::invalid("name", "must not be blank"));
    }
    if name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        return Err(AppError::invalid(
            "name",
            "is too long (maximum is 255 characters)",
        ));
    }
    Ok(name)
}

fn name_taken() -> AppError {
    AppError::invalid("name", "has already been taken")
}

impl App {
    async fn entries(
        &self,
        c: &mut Conn<'_>,
        scope: &Scope,
        list: Vec<Team>,
    ) -> AppResult<Vec<TeamEntry>> {
        let user = scope.require_user()?;
        let mine: HashSet<TeamId> = teams::team_ids_of_user(c, scope.account_id(), user.id)
            .await?
            .into_iter()
            .collect();
        Ok(list
            .into_iter()
            .map(|team| TeamEntry {
                is_member: mine.contains(&team.id),
                team,
            })
            .collect())
    }

    async fn entry(&self, c: &mut Conn<'_>, scope: &Scope, team: Team) -> AppResult<TeamEntry> {
        self.entries(c, scope, vec![team])
            .await?
            .pop()
            .ok_or(AppError::NotFound)
    }

    /// A team of the caller's account (404 otherwise).
    async fn account_team(&self, c: &mut Conn<'_>, scope: &Scope, id: TeamId) -> AppResult<Team> {
        teams::find_team(c, scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Every team of the account, by name (agents and administrators alike).
    pub async fn list_teams(&self, scope: &Scope) -> AppResult<Vec<TeamEntry>> {
        scope.require_user()?;
        let mut c = self.store().conn();
        let list = teams::list_teams(&mut c, scope.account_id()).await?;
        self.entries(&mut c, scope, list).await
    }

    pub async fn get_team(&self, scope: &Scope, id: TeamId) -> AppResult<TeamEntry> {
        scope.require_user()?;
        let mut c = self.store().conn();
        let team = self.account_team(&mut c, scope, id).await?;
        self.entry(&mut c, scope, team).await
    }

    /// Creates a team (administrators only); names are unique per account, compared lower-cased.
    pub async fn create_team(&self, scope: &Scope, input: &TeamInput) -> AppResult<TeamEntry> {
        scope.require_admin()?;
        let name = clean_name(input, true)?.unwrap_or_default();
        let mut tx = self.store().begin().await?;
        if teams::find_team_by_name(&mut tx.conn(), scope.account_id(), &name)
            .await?
            .is_some()
        {
            return Err(name_taken());
        }
        let new = NewTeam {
            name,
            description: input.description.clone().flatten(),
            allow_auto_assign: input.allow_auto_assign.unwrap_or(true),
        };
        let id =
            match teams::insert_team(&mut tx.conn(), scope.account_id(), &new, self.now()).await {
                Err(StoreError::UniqueViolation) => return Err(name_taken()),
                other => other?,
            };
        let team = self.account_team(&mut tx.conn(), scope, id).await?;
        tx.commit().await?;
        self.entry(&mut self.store().conn(), scope, team).await
    }

    /// Updates a team (administrators only).
    pub async fn update_team(
        &self,
        scope: &Scope,
        id: TeamId,
        input: &TeamInput,
    ) -> AppResult<TeamEntry> {
        self.account_team(&mut self.store().conn(), scope, id)
            .await?;
        scope.require_admin()?;
        let name = clean_name(input, false)?;
        let mut tx = self.store().begin().await?;
        if let Some(n) = &name
            && let Some(other) =
                teams::find_team_by_name(&mut tx.conn(), scope.account_id(), n).await?
            && other.id != id
        {
            return Err(name_taken());
        }
        let ch = TeamChanges {
            name,
            description: input.description.clone(),
            allow_auto_assign: input.allow_auto_assign,
        };
        match teams::update_team(&mut tx.conn(), id, &ch, self.now()).await {
            Err(StoreError::UniqueViolation) => return Err(name_taken()),
            other => other?,
        }
        let team = self.account_team(&mut tx.conn(), scope, id).await?;
        tx.commit().await?;
        self.entry(&mut self.store().conn(), scope, team).await
    }

    /// Deletes a team (administrators only); its conversations keep no team.
    pub async fn delete_team(&self, scope: &Scope, id: TeamId) -> AppResult<()> {
        self.account_team(&mut self.store().conn(), scope, id)
            .await?;
        scope.require_admin()?;
        let mut tx = self.store().begin().await?;
        teams::delete_team(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The members of a team as agents, by name (agents and administrators alike).
    pub async fn list_team_members(
        &self,
        scope: &Scope,
        id: TeamId,
    ) -> AppResult<Vec<(User, AccountUser)>> {
        scope.require_user()?;
        let mut c = self.store().conn();
        self.account_team(&mut c, scope, id).await?;
        let ids: HashSet<UserId> = teams::member_ids(&mut c, id).await?.into_iter().collect();
        Ok(accounts::list_agents(&mut c, scope.account_id())
            .await?
            .into_iter()
            .filter(|(u, _)| ids.contains(&u.id))
            .collect())
    }

    /// Changes the members of a team (administrators only). Every id must be a user of the
    /// account, else nothing changes and the answer is 401 "Invalid User IDs". Returns, as
    /// upstream: for `Add` the agents named (in the order given), for `Set` every member, for
    /// `Remove` nothing.
    pub async fn change_team_members(
        &self,
        scope: &Scope,
        id: TeamId,
        user_ids: &[UserId],
        change: MemberChange,
    ) -> AppResult<Vec<(User, AccountUser)>> {
        let now = self.now();
        self.account_team(&mut self.store().conn(), scope, id)
            .await?;
        scope.require_admin()?;
        let mut tx = self.store().begin().await?;
        let agents = accounts::list_agents(&mut tx.conn(), scope.account_id()).await?;
        if user_ids
            .iter()
            .any(|u| !agents.iter().any(|(user, _)| user.id == *u))
        {
            return Err(AppError::Forbidden(INVALID_USER_IDS));
        }
        let mut wanted: Vec<UserId> = Vec::with_capacity(user_ids.len());
        for u in user_ids {
            if !wanted.contains(u) {
                wanted.push(*u);
            }
        }
        match change {
            MemberChange::Add => teams::add_members(&mut tx.conn(), id, &wanted, now).await?,
            MemberChange::Remove => teams::remove_members(&mut tx.conn(), id, &wanted).await?,
            MemberChange::Set => {
                let gone: Vec<UserId> = teams::member_ids(&mut tx.conn(), id)
                    .await?
                    .into_iter()
                    .filter(|u| !wanted.contains(u))
                    .collect();
                teams::remove_members(&mut tx.conn(), id, &gone).await?;
                teams::add_members(&mut tx.conn(), id, &wanted, now).await?;
            }
        }
        let members: HashSet<UserId> = teams::member_ids(&mut tx.conn(), id)
            .await?
            .into_iter()
            .collect();
        tx.commit().await?;
        Ok(match change {
            MemberChange::Add => wanted
                .iter()
                .filter_map(|u| agents.iter().find(|(user, _)| user.id == *u).cloned())
                .collect(),
            MemberChange::Set => agents
                .into_iter()
                .filter(|(u, _)| members.contains(&u.id))
                .collect(),
            MemberChange::Remove => Vec::new(),
        })
    }
}
