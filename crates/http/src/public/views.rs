//! The Public API's JSON shapes (`app/views/public/api/v1/**`, §12.8–12.9): bare objects and
//! arrays, conversations by display id, Unix-second times in conversations and messages, ISO
//! times in the raw contact and CSAT rows.

use confab_app::App;
use confab_app::conversations::MessageView;
use confab_app::csat::CsatSurvey;
use confab_app::domain::contact::Contact;
use confab_app::domain::csat::CsatResponse;
use confab_app::domain::inbox::Inbox;
use confab_app::public::{Customer, CustomerConversation};
use serde_json::{Value, json};

use crate::conversation_views as cv;

/// `GET /public/api/v1/inboxes/:inbox_identifier`.
pub fn inbox(i: &Inbox) -> Value {
    json!({
        "identifier": i.identifier,
        "identity_validation_enabled": i.hmac_mandatory.unwrap_or(false),
        "name": i.name,
        "timezone": i.timezone,
        "working_hours": i.working_hours,
        "working_hours_enabled": i.working_hours_enabled,
        "csat_survey_enabled": i.csat_survey_enabled,
        "greeting_enabled": i.greeting_enabled,
    })
}

/// A contact identity (contact create and show).
pub fn customer(c: &Customer) -> Value {
    json!({
        "source_id": c.contact_inbox.source_id,
        "pubsub_token": c.contact_inbox.pubsub_token,
        "id": c.contact.id,
        "name": c.contact.name,
        "email": c.contact.email,
        "phone_number": c.contact.phone_number,
    })
}

fn contact_type(code: i16) -> &'static str {
    match code {
        1 => "lead",
        2 => "customer",
        _ => "visitor",
    }
}

/// The contact's row as upstream renders a record (contact update, and inside conversations).
pub fn contact_row(c: &Contact) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "phone_number": c.phone_number,
        "account_id": c.account_id,
        "created_at": c.created_at.to_rails_iso(),
        "updated_at": c.updated_at.to_rails_iso(),
        "additional_attributes": c.additional_attributes,
        "identifier": c.identifier,
        "custom_attributes": c.custom_attributes,
        "last_activity_at": cv::iso_or_null(c.last_activity_at),
        "contact_type": contact_type(c.contact_type),
        "middle_name": "",
        "last_name": "",
        "location": "",
        "country_code": "",
        "blocked": c.blocked,
        "company_id": null,
    })
}

/// A message as the customer sees it (no status, privacy or source id).
pub fn message(app: &App, m: &MessageView) -> Value {
    let msg = &m.message;
    let mut v = json!({
        "id": msg.id,
        "content": msg.content,
        "message_type": msg.message_type.code(),
        "content_type": msg.content_type.as_str(),
        "content_attributes": msg.content_attributes,
        "created_at": msg.created_at.unix_seconds(),
        "conversation_id": m.display_id,
    });
    if let Some(e) = &m.echo_id {
        v["echo_id"] = json!(e);
    }
    if !m.attachments.is_empty() {
        v["attachments"] = m
            .attachments
            .iter()
            .map(|a| cv::attachment(app, a))
            .collect();
    }
    if let Some(s) = &m.sender {
        v["sender"] = cv::sender(s);
    }
    v
}

/// A conversation as the customer sees it: its public messages and its contact.
pub fn conversation(app: &App, c: &CustomerConversation) -> Value {
    let conv = &c.conversation;
    json!({
        "id": conv.display_id,
        "uuid": conv.uuid,
        "inbox_id": conv.inbox_id,
        "contact_last_seen_at": cv::unix_or_zero(conv.contact_last_seen_at),
        "status": conv.status.as_str(),
        "agent_last_seen_at": cv::unix_or_zero(conv.agent_last_seen_at),
        "messages": c.messages.iter().map(|m| message(app, m)).collect::<Vec<_>>(),
        "contact": contact_row(&c.contact),
    })
}

/// A CSAT answer's row.
pub fn csat_row(r: &CsatResponse) -> Value {
    json!({
        "id": r.id,
        "account_id": r.account_id,
        "conversation_id": r.conversation_id,
        "message_id": r.message_id,
        "rating": r.rating,
        "feedback_message": r.feedback_message,
        "contact_id": r.contact_id,
        "assigned_agent_id": r.assigned_agent_id,
        "created_at": r.created_at.to_rails_iso(),
        "updated_at": r.updated_at.to_rails_iso(),
    })
}

/// The survey page's data (`GET|PUT /public/api/v1/csat_survey/:uuid`).
pub fn csat_survey(s: &CsatSurvey) -> Value {
    let config = &s.inbox.csat_config;
    json!({
        "id": s.message.id,
        "csat_survey_response": s.response.as_ref().map(csat_row),
        "display_type": config.get("display_type").and_then(Value::as_str).unwrap_or("emoji"),
        "content": config.get("message").cloned().unwrap_or(Value::Null),
        "inbox_avatar_url": "",
        "inbox_name": s.inbox.name,
        "locale": s.account.locale,
        "conversation_id": s.conversation.id,
        "created_at": s.message.created_at.to_rails_iso(),
    })
}
