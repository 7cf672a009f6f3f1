//! Chatwoot's JSON shapes (§6.7–6.10, §12.12–12.13). Only this module knows them.

use confab_app::contacts::ContactDetail;
use confab_app::domain::Timestamp;
use confab_app::domain::account::{Account, AccountUser};
use confab_app::domain::agent_bot::AgentBot;
use confab_app::domain::contact::{Contact, ContactInbox};
use confab_app::domain::inbox::Inbox;
use confab_app::domain::user::User;
use confab_app::domain::{AccountId, ContactId, UserId};
use serde::Serialize;
use serde_json::{Map, Value, json};

fn iso(t: Timestamp) -> Value {
    Value::String(t.to_rails_iso())
}

fn non_empty(v: &Value) -> bool {
    v.as_object().is_some_and(|o| !o.is_empty())
}

/// `GET /api/v1/accounts/:id`.
pub fn account(a: &Account) -> Value {
    let mut v = json!({
        "id": a.id,
        "name": a.name,
        "locale": a.locale,
        "domain": a.domain,
        "custom_email_domain_enabled": false,
        "support_email": a.support_email,
        "features": a.features,
        "auto_resolve_duration": a.auto_resolve_duration,
        "settings": a.settings,
        "status": a.status.as_str(),
        "created_at": iso(a.created_at),
        "cache_keys": {},
        "latest_chatwoot_version": env!("CARGO_PKG_VERSION"),
    });
    if non_empty(&a.custom_attributes) {
        v["custom_attributes"] = a.custom_attributes.clone();
    }
    v
}

fn enabled_features(features: &Value) -> Value {
    let enabled: Map<String, Value> = features
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(_, v)| v.as_bool() == Some(true))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    Value::Object(enabled)
}

/// The Platform API's account.
pub fn platform_account(a: &Account) -> Value {
    json!({
        "id": a.id,
        "name": a.name,
        "locale": a.locale,
        "domain": a.domain,
        "support_email": a.support_email,
        "features": a.features,
        "enabled_features": enabled_features(&a.features),
        "custom_attributes": a.custom_attributes,
        "limits": a.limits,
        "status": a.status.as_str(),
        "auto_resolve_duration": a.auto_resolve_duration,
    })
}

/// An account membership as the Platform API lists it (raw row).
pub fn account_user(m: &AccountUser) -> Value {
    json!({
        "id": m.id,
        "account_id": m.account_id,
        "user_id": m.user_id,
        "role": m.role.as_str(),
        "availability": m.availability.as_str(),
        "auto_offline": m.auto_offline,
        "inviter_id": m.inviter_id,
        "active_at": m.active_at.map(iso),
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
    })
}

/// The membership a user last used: it names the user's current `account_id` and `role`.
fn active_membership(memberships: &[(AccountUser, Account)]) -> Option<&AccountUser> {
    memberships
        .iter()
        .map(|(m, _)| m)
        .max_by_key(|m| (m.active_at, m.id))
}

/// The fields the profile and the Platform API's user share.
fn user_base(u: &User, token: &str, active: Option<&AccountUser>, accounts: Vec<Value>) -> Value {
    let mut v = json!({
        "access_token": token,
        "account_id": active.map(|m| m.account_id),
        "available_name": u.available_name(),
        "avatar_url": "",
        "confirmed": true,
        "display_name": u.display_name,
        "message_signature": u.message_signature,
        "email": u.email,
        "id": u.id,
        "name": u.name,
        "provider": "email",
        "pubsub_token": u.pubsub_token,
        "role": active.map(|m| m.role.as_str()),
        "ui_settings": u.ui_settings,
        "uid": u.email,
        "accounts": accounts,
    });
    if non_empty(&u.custom_attributes) {
        v["custom_attributes"] = u.custom_attributes.clone();
    }
    v
}

/// `GET /api/v1/profile` and `POST /auth/sign_in` (inside `data`).
pub fn profile(u: &User, token: &str, memberships: &[(AccountUser, Account)]) -> Value {
    let active = active_membership(memberships);
    let accounts = memberships
        .iter()
        .map(|(m, a)| {
            json!({
                "id": a.id,
                "name": a.name,
                "status": a.status.as_str(),
                "active_at": m.active_at.map(iso),
                "role": m.role.as_str(),
                "permissions": [m.role.as_str()],
                "availability": m.availability.as_str(),
                "availability_status": m.availability.as_str(),
                "auto_offline": m.auto_offline,
            })
        })
        .collect();
    let mut v = user_base(u, token, active, accounts);
    v["inviter_id"] = json!(active.and_then(|m| m.inviter_id));
    v["type"] = json!("User");
    v
}

/// The Platform API's user.
pub fn platform_user(u: &User, token: &str, memberships: &[(AccountUser, Account)]) -> Value {
    let accounts = memberships
        .iter()
        .map(|(m, a)| json!({ "id": a.id, "name": a.name, "active_at": m.active_at.map(iso), "role": m.role.as_str() }))
        .collect();
    user_base(u, token, active_membership(memberships), accounts)
}

/// An agent of an account, typed so pages of conversations write it without building a tree.
#[derive(Serialize)]
pub(crate) struct AgentJson<'a> {
    id: UserId,
    /// `null` (and `role` too) for a user who has left the account.
    account_id: Option<AccountId>,
    availability_status: &'static str,
    auto_offline: bool,
    confirmed: bool,
    email: &'a str,
    provider: &'static str,
    available_name: &'a str,
    name: &'a str,
    role: Option<&'static str>,
    thumbnail: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_attributes: Option<&'a Value>,
}

impl<'a> AgentJson<'a> {
    pub(crate) fn of(u: &'a User, m: &AccountUser) -> Self {
        AgentJson {
            id: u.id,
            account_id: Some(m.account_id),
            availability_status: m.availability.as_str(),
            auto_offline: m.auto_offline,
            confirmed: true,
            email: &u.email,
            provider: "email",
            available_name: u.available_name(),
            name: &u.name,
            role: Some(m.role.as_str()),
            thumbnail: "",
            custom_attributes: non_empty(&u.custom_attributes).then_some(&u.custom_attributes),
        }
    }

    /// A user who has left the account (an assignee can outlive the membership).
    pub(crate) fn departed(u: &'a User) -> Self {
        AgentJson {
            id: u.id,
            account_id: None,
            availability_status: "offline",
            auto_offline: true,
            confirmed: true,
            email: &u.email,
            provider: "email",
            available_name: u.available_name(),
            name: &u.name,
            role: None,
            thumbnail: "",
            custom_attributes: None,
        }
    }
}

/// An agent of an account.
pub fn agent(u: &User, m: &AccountUser) -> Value {
    json!(AgentJson::of(u, m))
}

/// An inbox; secrets (`hmac_token`) only for administrators.
pub fn inbox(i: &Inbox, admin: bool) -> Value {
    let mut v = json!({
        "id": i.id,
        "avatar_url": "",
        "channel_id": i.channel_id,
        "name": i.name,
        "channel_type": i.channel_type,
        "greeting_enabled": i.greeting_enabled,
        "greeting_message": i.greeting_message,
        "working_hours_enabled": i.working_hours_enabled,
        "enable_email_collect": i.enable_email_collect,
        "csat_survey_enabled": i.csat_survey_enabled,
        "csat_config": i.csat_config,
        "csat_response_visible": false,
        "enable_auto_assignment": i.enable_auto_assignment,
        "auto_assignment_config": i.auto_assignment_config,
        "out_of_office_message": i.out_of_office_message,
        "working_hours": i.working_hours,
        "timezone": i.timezone,
        "callback_webhook_url": null,
        "allow_messages_after_resolved": i.allow_messages_after_resolved,
        "lock_to_single_conversation": i.lock_to_single_conversation,
        "sender_name_type": i.sender_name_type.as_str(),
        "business_name": i.business_name,
        "auto_resolve_after": i.auto_resolve_after,
        "auto_resolve_pending": i.auto_resolve_pending,
        "auto_resolve_message": i.auto_resolve_message,
        "widget_color": null,
        "website_url": null,
        "hmac_mandatory": i.hmac_mandatory,
        "welcome_title": null,
        "welcome_tagline": null,
        "web_widget_script": null,
        "website_token": null,
        "selected_feature_flags": null,
        "reply_time": null,
        "messaging_service_sid": null,
        "phone_number": null,
        "provider": null,
    });
    if i.channel_type == "Channel::Api" {
        if admin {
            v["hmac_token"] = json!(i.hmac_token);
        }
        v["webhook_url"] = json!(i.webhook_url);
        v["inbox_identifier"] = json!(i.identifier);
        v["additional_attributes"] = i
            .channel_additional_attributes
            .clone()
            .unwrap_or_else(|| json!({}));
    }
    v
}

/// The slim inbox inside contact inboxes.
pub fn slim_inbox(i: &Inbox) -> Value {
    json!({
        "id": i.id,
        "avatar_url": "",
        "channel_id": i.channel_id,
        "name": i.name,
        "channel_type": i.channel_type,
        "provider": null,
    })
}

pub fn contact_inbox(ci: &ContactInbox, i: &Inbox) -> Value {
    json!({ "source_id": ci.source_id, "inbox": slim_inbox(i) })
}

/// A contact record (§6.7a) without its inboxes, typed (it is the sender of every conversation
/// of a page).
#[derive(Serialize)]
pub(crate) struct ContactRecordJson<'a> {
    additional_attributes: &'a Value,
    availability_status: &'static str,
    email: &'a Option<String>,
    id: ContactId,
    name: &'a str,
    phone_number: &'a Option<String>,
    blocked: bool,
    identifier: &'a Option<String>,
    thumbnail: &'static str,
    custom_attributes: &'a Value,
    created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_activity_at: Option<i64>,
}

impl<'a> ContactRecordJson<'a> {
    pub(crate) fn of(c: &'a Contact) -> Self {
        ContactRecordJson {
            additional_attributes: &c.additional_attributes,
            availability_status: "offline",
            email: &c.email,
            id: c.id,
            name: &c.name,
            phone_number: &c.phone_number,
            blocked: c.blocked,
            identifier: &c.identifier,
            thumbnail: "",
            custom_attributes: &c.custom_attributes,
            created_at: c.created_at.unix_seconds(),
            last_activity_at: c.last_activity_at.map(Timestamp::unix_seconds),
        }
    }
}

/// A contact record (§6.7a) without its inboxes.
pub fn contact_record(c: &Contact) -> Value {
    json!(ContactRecordJson::of(c))
}

/// A contact; `with_inboxes` adds `contact_inboxes` as the /contacts endpoints do.
pub fn contact(d: &ContactDetail, with_inboxes: bool) -> Value {
    let mut v = contact_record(&d.contact);
    if with_inboxes {
        v["contact_inboxes"] = Value::Array(
            d.contact_inboxes
                .iter()
                .map(|(ci, i)| contact_inbox(ci, i))
                .collect(),
        );
    }
    v
}

/// An agent bot; `token` only where the caller may see it.
pub fn agent_bot(b: &AgentBot, token: Option<&str>) -> Value {
    let mut v = json!({
        "id": b.id,
        "name": b.name,
        "description": b.description,
        "thumbnail": "",
        "outgoing_url": if b.is_system_bot() { Value::Null } else { json!(b.outgoing_url) },
        "bot_type": "webhook",
        "bot_config": b.bot_config,
        "account_id": b.account_id,
        "system_bot": b.is_system_bot(),
    });
    if let Some(t) = token {
        v["access_token"] = json!(t);
    }
    v
}

/// The Platform API's agent bot. Upstream renders `outgoing_url` with the bot's name (a bug);
/// Confab renders the URL.
pub fn platform_agent_bot(b: &AgentBot, token: &str) -> Value {
    json!({
        "id": b.id,
        "name": b.name,
        "description": b.description,
        "account_id": b.account_id,
        "outgoing_url": b.outgoing_url,
        "bot_type": "webhook",
        "bot_config": b.bot_config,
        "thumbnail": "",
        "access_token": token,
        "system_bot": b.is_system_bot(),
    })
}
