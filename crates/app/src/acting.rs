//! Who is acting on a conversation: a user (agent or administrator), an agent bot, a service
//! key, the contact, an automation or the system, as the lifecycle names and records them.

use confab_domain::agent_bot::AgentBot;
use confab_domain::api_key::ApiKey;
use confab_domain::conversation::ActorKind;
use confab_domain::message::SenderType;
use confab_domain::user::User;
use serde_json::{Value, json};

use crate::{Actor, Scope};

/// Who is acting, as the lifecycle needs it.
#[derive(Debug, Clone)]
pub(crate) struct Acting {
    pub kind: ActorKind,
    pub user: Option<User>,
    pub bot: Option<AgentBot>,
    /// A service API key, named in activity texts and events.
    pub key: Option<ApiKey>,
    /// An agent-role user (self-assigns when opening).
    pub is_agent_role: bool,
}

impl Acting {
    pub fn of(scope: &Scope) -> Self {
        match &scope.actor {
            Actor::User { user, membership } => Self {
                kind: ActorKind::Named(user.name.clone()),
                user: Some(user.clone()),
                bot: None,
                key: None,
                is_agent_role: !membership.role.is_admin(),
            },
            Actor::AgentBot(bot) => Self {
                kind: ActorKind::Named(bot.name.clone()),
                user: None,
                bot: Some(bot.clone()),
                key: None,
                is_agent_role: false,
            },
            Actor::ServiceKey(key) => Self {
                kind: ActorKind::Named(key.name.clone()),
                user: None,
                bot: None,
                key: Some(key.clone()),
                is_agent_role: false,
            },
        }
    }
    pub fn system() -> Self {
        Self {
            kind: ActorKind::System,
            user: None,
            bot: None,
            key: None,
            is_agent_role: false,
        }
    }
    /// An automation rule (its changes never trigger rules again).
    pub fn automation() -> Self {
        Self {
            kind: ActorKind::Automation,
            user: None,
            bot: None,
            key: None,
            is_agent_role: false,
        }
    }
    /// The contact, acting on the customer side (public API).
    pub fn contact(contact: &confab_domain::contact::Contact) -> Self {
        Self {
            kind: ActorKind::Contact(contact.name.clone()),
            user: None,
            bot: None,
            key: None,
            is_agent_role: false,
        }
    }
    /// The agent (not an administrator) who becomes the assignee of a conversation they open,
    /// as Chatwoot's `toggle_status` does.
    pub fn opener(&self) -> Option<&User> {
        self.user.as_ref().filter(|_| self.is_agent_role)
    }
    /// The name activity texts use, when someone acts.
    pub fn name(&self) -> Option<String> {
        match &self.kind {
            ActorKind::Named(n) => Some(n.clone()),
            ActorKind::Automation => Some("Automation System".into()),
            _ => None,
        }
    }
    /// The sender of an outgoing message written by this actor.
    pub fn sender(&self) -> Option<(SenderType, i64)> {
        if let Some(u) = &self.user {
            Some((SenderType::User, u.id.get()))
        } else {
            self.bot
                .as_ref()
                .map(|b| (SenderType::AgentBot, b.id.get()))
        }
    }
    pub(crate) fn json(&self) -> Value {
        if let Some(k) = &self.key {
            return json!({ "type": "ApiKey", "id": k.id, "name": k.name });
        }
        match (&self.user, &self.bot, &self.kind) {
            (Some(u), _, _) => json!({ "type": "User", "id": u.id }),
            (_, Some(b), _) => json!({ "type": "AgentBot", "id": b.id }),
            (_, _, ActorKind::Contact(_) | ActorKind::ContactMessage) => {
                json!({ "type": "Contact" })
            }
            (_, _, ActorKind::Automation) => json!({ "type": "AutomationRule" }),
            _ => json!({ "type": "System" }),
        }
    }
}
