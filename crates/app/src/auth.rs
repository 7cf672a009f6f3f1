//! Who is calling: token look-up, account scoping, roles.
//! Mirrors app/controllers/concerns/access_token_auth_helper.rb and ensure_current_account_helper.rb.

use confab_domain::account::{Account, AccountUser};
use confab_domain::agent_bot::AgentBot;
use confab_domain::api_key::{ApiKey, KeyScope};
use confab_domain::platform::PlatformApp;
use confab_domain::user::User;
use confab_domain::{AccountId, AccountStatus, AgentBotId, PlatformAppId, UserId};
use confab_store::tokens::{self, OwnerKind};
use confab_store::{accounts, agent_bots, api_keys, platform, users};

use crate::App;
use crate::error::{AppError, AppResult, messages};
use crate::secrets;

/// The owner of a presented token.
#[derive(Debug, Clone)]
pub enum Principal {
    User(User),
    AgentBot(AgentBot),
    PlatformApp(PlatformApp),
    /// A service API key (not a person) of one account.
    ServiceKey(ApiKey),
}

/// How a service key's secret starts; other tokens never do.
pub const SERVICE_KEY_PREFIX: &str = "cfk_";

/// The caller inside one account.
#[derive(Debug, Clone)]
pub enum Actor {
    User { user: User, membership: AccountUser },
    AgentBot(AgentBot),
    ServiceKey(ApiKey),
}

/// An authorised request inside one account.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account: Account,
    pub actor: Actor,
}

impl Scope {
    pub fn account_id(&self) -> AccountId {
        self.account.id
    }
    /// Whether the caller is an administrator of the account.
    pub fn is_admin(&self) -> bool {
        matches!(&self.actor, Actor::User { membership, .. } if membership.role.is_admin())
    }
    /// The calling user, if a user calls.
    pub fn user(&self) -> Option<&User> {
        match &self.actor {
            Actor::User { user, .. } => Some(user),
            Actor::AgentBot(_) | Actor::ServiceKey(_) => None,
        }
    }
    /// The calling service key, if a key calls.
    pub fn service_key(&self) -> Option<&ApiKey> {
        match &self.actor {
            Actor::ServiceKey(k) => Some(k),
            _ => None,
        }
    }
    /// Refuses a service key that lacks `scope`, naming the request's `field` that needs it.
    /// People and bots are governed by their roles, not by scopes.
    pub fn require_key_scope(&self, scope: KeyScope, field: &str) -> AppResult<()> {
        match self.service_key() {
            Some(k) if !k.allows(scope) => Err(AppError::MissingScope {
                field: field.to_owned(),
                scope: scope.as_str(),
            }),
            _ => Ok(()),
        }
    }
    /// For endpoints open to people and service keys but not to bots: a key needs `scope`
    /// (named after the request's `field`); answers the calling user, if a user calls.
    pub fn require_user_or_key(&self, scope: KeyScope, field: &str) -> AppResult<Option<&User>> {
        if self.service_key().is_some() {
            self.require_key_scope(scope, field)?;
            return Ok(None);
        }
        self.require_user().map(Some)
    }
    /// Refuses agent bots (Fernand's API takes people's tokens and service keys).
    pub fn refuse_bots(&self) -> AppResult<()> {
        match self.actor {
            Actor::AgentBot(_) => Err(AppError::Forbidden(messages::BOT_NOT_ALLOWED)),
            _ => Ok(()),
        }
    }
    /// Refuses service keys: for endpoints that do not take them.
    pub fn refuse_keys(&self) -> AppResult<()> {
        match self.actor {
            Actor::ServiceKey(_) => Err(AppError::KeyNotAllowed),
            _ => Ok(()),
        }
    }
    /// Refuses anyone but an administrator (Pundit's denial, answered 401).
    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AppError::Forbidden(messages::NOT_AUTHORIZED))
        }
    }
    /// Refuses with 402 when the account's plan limit `key` (`agents`, `inboxes`) is reached.
    pub fn check_limit(&self, key: &str, current: i64, message: &str) -> AppResult<()> {
        match self
            .account
            .limits
            .get(key)
            .and_then(serde_json::Value::as_i64)
        {
            Some(max) if current >= max => Err(AppError::LimitExceeded(message.to_owned())),
            _ => Ok(()),
        }
    }
    /// Refuses agent bots on endpoints outside Chatwoot's bot allow-list.
    pub fn require_user(&self) -> AppResult<&User> {
        self.refuse_keys()?;
        self.user()
            .ok_or(AppError::Forbidden(messages::BOT_NOT_ALLOWED))
    }
}

/// A newly issued token of an owner.
pub(crate) async fn issue_token(
    app: &App,
    c: &mut confab_store::Conn<'_>,
    owner: OwnerKind,
    owner_id: i64,
) -> AppResult<String> {
    let seed = secrets::new_seed();
    let token = app.secret().token_for_seed(&seed);
    tokens::upsert_token(
        c,
        owner,
        owner_id,
        &app.secret().digest(&token),
        &seed,
        app.now(),
    )
    .await?;
    Ok(token)
}

impl App {
    /// Resolves a token to its owner. `InvalidToken` when nothing matches.
    pub async fn authenticate(&self, token: &str) -> AppResult<Principal> {
        let token = token.trim();
        if token.is_empty() {
            return Err(AppError::InvalidToken);
        }
        let digest = self.secret().digest(token);
        // Read before the look-up: an answer read under an older epoch is never kept.
        let epoch = self.store().auth_epoch();
        let kept = epoch.and_then(|e| self.inner.credentials.owner(e, &digest));
        let owner = match kept {
            Some(owner) => owner,
            None => {
                let owner = self.look_up_owner(token, &digest).await?;
                if let (Some(e), Principal::User(_) | Principal::ServiceKey(_)) = (epoch, &owner) {
                    self.inner.credentials.keep_owner(e, digest, owner.clone());
                }
                owner
            }
        };
        match owner {
            Principal::ServiceKey(k) if !k.usable_at(self.now()) => Err(AppError::InvalidToken),
            owner => Ok(owner),
        }
    }

    async fn look_up_owner(&self, token: &str, digest: &str) -> AppResult<Principal> {
        let mut c = self.store().conn();
        if token.starts_with(SERVICE_KEY_PREFIX) {
            let key = api_keys::find_by_digest(&mut c, digest)
                .await?
                .ok_or(AppError::InvalidToken)?;
            return Ok(Principal::ServiceKey(key));
        }
        // Users first: one joined statement for the common case.
        if let Some(user) = tokens::find_user_by_digest(&mut c, digest).await? {
            return Ok(Principal::User(user));
        }
        let stored = tokens::find_by_digest(&mut c, digest)
            .await?
            .ok_or(AppError::InvalidToken)?;
        let found = match stored.owner {
            // A user's token was looked for above, joined to its user: none means no user.
            OwnerKind::User => None,
            OwnerKind::AgentBot => agent_bots::find_agent_bot(&mut c, AgentBotId(stored.owner_id))
                .await?
                .map(Principal::AgentBot),
            OwnerKind::PlatformApp => Some(Principal::PlatformApp(
                platform::get_platform_app(&mut c, PlatformAppId(stored.owner_id)).await?,
            )),
        };
        found.ok_or(AppError::InvalidToken)
    }

    /// The token of an owner, re-derived from its stored seed.
    pub async fn token_of(&self, owner: OwnerKind, id: i64) -> AppResult<Option<String>> {
        let stored = tokens::find_by_owner(&mut self.store().conn(), owner, id).await?;
        Ok(stored.map(|s| self.secret().token_for_seed(&s.seed)))
    }

    /// Tokens of several owners of one kind, by owner id.
    pub async fn tokens_of(
        &self,
        owner: OwnerKind,
        ids: &[i64],
    ) -> AppResult<std::collections::HashMap<i64, String>> {
        let stored = tokens::list_by_owners(&mut self.store().conn(), owner, ids).await?;
        Ok(stored
            .into_iter()
            .map(|s| (s.owner_id, self.secret().token_for_seed(&s.seed)))
            .collect())
    }

    /// Enters an account as the given principal: the account must exist (else `NotFound`) and be
    /// active; a user must be a member; a bot must belong to the account or serve one of its inboxes.
    pub async fn scope(&self, principal: &Principal, account_id: AccountId) -> AppResult<Scope> {
        let mut c = self.store().conn();
        let epoch = self.store().auth_epoch();
        let kept = &self.inner.credentials;
        let (account, actor) = match principal {
            Principal::User(user) => {
                let (account, membership) =
                    match epoch.and_then(|e| kept.member(e, user.id, account_id)) {
                        Some(found) => found,
                        None => {
                            let (account, membership) =
                                accounts::find_account_with_membership(&mut c, account_id, user.id)
                                    .await?
                                    .ok_or(AppError::NotFound)?;
                            let membership = membership
                                .ok_or(AppError::Forbidden(messages::NOT_ACCOUNT_MEMBER))?;
                            if let Some(e) = epoch {
                                kept.keep_member(e, account.clone(), membership.clone());
                            }
                            (account, membership)
                        }
                    };
                let actor = Actor::User {
                    user: user.clone(),
                    membership,
                };
                (account, actor)
            }
            Principal::ServiceKey(key) => {
                // A key lives in one account; anywhere else it is no credential at all.
                if key.account_id != account_id {
                    return Err(AppError::InvalidToken);
                }
                let account = match epoch.and_then(|e| kept.account(e, account_id)) {
                    Some(account) => account,
                    None => {
                        let account = accounts::find_account(&mut c, account_id)
                            .await?
                            .ok_or(AppError::NotFound)?;
                        if let Some(e) = epoch {
                            kept.keep_account(e, account.clone());
                        }
                        account
                    }
                };
                (account, Actor::ServiceKey(key.clone()))
            }
            other => {
                let account = accounts::find_account(&mut c, account_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let Principal::AgentBot(bot) = other else {
                    return Err(AppError::Forbidden(messages::BOT_NOT_ALLOWED));
                };
                let own = bot.account_id == Some(account_id);
                if !own && !agent_bots::is_connected_to_account(&mut c, bot.id, account_id).await? {
                    return Err(AppError::Forbidden(messages::BOT_NOT_IN_ACCOUNT));
                }
                (account, Actor::AgentBot(bot.clone()))
            }
        };
        if account.status == AccountStatus::Suspended {
            return Err(AppError::Forbidden(messages::ACCOUNT_SUSPENDED));
        }
        Ok(Scope { account, actor })
    }

    /// `POST /auth/sign_in`: the user with that email and password, and their token.
    pub async fn sign_in(&self, email: &str, password: &str) -> AppResult<(User, String)> {
        let mut c = self.store().conn();
        let user = users::find_user_by_email(&mut c, email.trim()).await?;
        let Some(user) = user else {
            // Spend the same time as a real check so response timing does not reveal accounts.
            let _ = secrets::hash_password(password.to_owned()).await;
            return Err(AppError::Forbidden(messages::INVALID_CREDENTIALS));
        };
        let ok = match &user.password_hash {
            Some(h) => secrets::verify_password(password.to_owned(), h.clone()).await?,
            None => false,
        };
        if !ok {
            return Err(AppError::Forbidden(messages::INVALID_CREDENTIALS));
        }
        let token = self.user_token(user.id).await?;
        Ok((user, token))
    }

    /// A user's token, issuing one if the user has none.
    pub async fn user_token(&self, user: UserId) -> AppResult<String> {
        if let Some(t) = self.token_of(OwnerKind::User, user.get()).await? {
            return Ok(t);
        }
        let mut tx = self.store().begin().await?;
        let t = issue_token(self, &mut tx.conn(), OwnerKind::User, user.get()).await?;
        tx.commit().await?;
        Ok(t)
    }

    /// The memberships of a user, each with its account, oldest first.
    pub async fn memberships(&self, user: UserId) -> AppResult<Vec<(AccountUser, Account)>> {
        let mut c = self.store().conn();
        let ms = accounts::list_user_accounts(&mut c, user).await?;
        let ids: Vec<i64> = ms.iter().map(|m| m.account_id.get()).collect();
        let accts: std::collections::HashMap<AccountId, Account> =
            accounts::list_accounts_by_ids(&mut c, &ids)
                .await?
                .into_iter()
                .map(|a| (a.id, a))
                .collect();
        Ok(ms
            .into_iter()
            .filter_map(|m| accts.get(&m.account_id).cloned().map(|a| (m, a)))
            .collect())
    }
}
