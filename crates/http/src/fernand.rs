//! Fernand's conversation API under `/fernand/…`, authenticated by `X-API-Key` (a service key,
//! or a person's token with the account in `X-Account-Id` when they belong to several).

use std::collections::HashMap;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use confab_app::domain::AccountId;
use confab_app::domain::contact::Contact;
use confab_app::domain::message::{MessageStatus, MessageType, SenderType};
use confab_app::fernand::{
    FernandConversation, FernandListing, FernandPage, FernandPatch, FernandSort, Keyset,
    TimelineItem,
};
use confab_app::transcript::html_escape;
use confab_app::{App, AppError, Principal, Scope};
use serde_json::{Value, json};

use crate::chatwoot::snooze_input;
use crate::conversation_views::iso_or_null;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Ids, Params};

pub fn router() -> Router<App> {
    Router::new()
        .route("/fernand/conversations", get(list))
        .route("/fernand/conversations/{id}", get(show).patch(update))
        .route("/fernand/conversations/{id}/messages", get(timeline))
        .route("/fernand/contacts", get(contacts))
}

/// The caller of a Fernand request, inside its account.
struct FernandScope(Scope);

impl FromRequestParts<App> for FernandScope {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let token = header("x-api-key")
            .or_else(|| crate::extract::token_from_headers(&parts.headers))
            .ok_or(AppError::Unauthenticated)?;
        let principal = app.authenticate(&token).await?;
        let account = match &principal {
            Principal::ServiceKey(k) => k.account_id,
            Principal::User(u) => match header("x-account-id") {
                Some(id) => AccountId(id.parse().map_err(|_| AppError::NotFound)?),
                None => app
                    .memberships(u.id)
                    .await?
                    .first()
                    .map(|(m, _)| m.account_id)
                    .ok_or(AppError::Forbidden(
                        confab_app::error::messages::NOT_ACCOUNT_MEMBER,
                    ))?,
            },
            _ => {
                return Err(
                    AppError::Forbidden(confab_app::error::messages::BOT_NOT_ALLOWED).into(),
                );
            }
        };
        Ok(FernandScope(app.scope(&principal, account).await?))
    }
}

/// A query parameter, trimmed; blank is absent.
fn param<'a>(p: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    p.get(key).map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// `limit` as a number (its range is the use case's to check), `default` when absent.
fn limit_param(p: &HashMap<String, String>, default: u64) -> ApiResult<u64> {
    match param(p, "limit") {
        None => Ok(default),
        Some(l) => l
            .parse()
            .map_err(|_| ApiError::field("limit", "must be a whole number")),
    }
}

/// The opaque cursor: the sort it belongs to and the position of the last row seen.
fn encode_cursor(sort: FernandSort, k: &Keyset) -> String {
    let key = k.key.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
    URL_SAFE_NO_PAD.encode(format!("v1|{}|{key}|{}|{}", sort.as_str(), k.tie, k.id))
}

fn decode_cursor(raw: &str, sort: FernandSort) -> ApiResult<Keyset> {
    let bad = || ApiError::field("cursor", "is not a cursor of this list");
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<&str> = text.split('|').collect();
    let [version, s, key, tie, id] = parts[..] else {
        return Err(bad());
    };
    if version != "v1" {
        return Err(bad());
    }
    if s != sort.as_str() {
        return Err(ApiError::field(
            "cursor",
            &format!("belongs to the sort \"{s}\"; ask with that sort or start over"),
        ));
    }
    let key = match key {
        "-" => None,
        k => Some(k.parse().map_err(|_| bad())?),
    };
    Ok(Keyset {
        key,
        tie: tie.parse().map_err(|_| bad())?,
        id: id.parse().map_err(|_| bad())?,
    })
}

fn conversation_json(fc: &FernandConversation, sort: FernandSort) -> Value {
    let c = &fc.conversation;
    json!({
        "id": c.display_id,
        "contact_id": c.contact_id,
        "subject": fc.subject,
        "status": c.status.fernand(),
        "last_update": iso_or_null(fc.last_incoming_at),
        "tags": fc.tag_ids,
        "recipients": [{
            "id": c.contact_id,
            "contact_id": c.contact_id,
            "kind": "to",
            "conversation_id": c.display_id,
        }],
        "agent_id": c.assignee_id,
        "channel_id": c.inbox_id,
        "snooze_until": iso_or_null(c.snoozed_until),
        "wake_on_reply": c.snooze_wake_on_reply,
        "created_at": c.created_at.to_rails_iso(),
        "cursor": encode_cursor(sort, &sort.position(c)),
    })
}

fn page_json(page: &FernandPage) -> Value {
    json!({
        "data": page.conversations.iter().map(|c| conversation_json(c, page.sort)).collect::<Vec<_>>(),
        "cursor": page.next.as_ref().map(|k| encode_cursor(page.sort, k)),
    })
}

async fn list(
    State(app): State<App>,
    FernandScope(scope): FernandScope,
    Params(p): Params,
) -> ApiResult<Json<Value>> {
    let sort = match param(&p, "sort") {
        None => FernandSort::default(),
        Some(s) => FernandSort::parse(s).ok_or_else(|| {
            ApiError::field("sort", "must be one of priority, oldest, newest, longest")
        })?,
    };
    let limit = limit_param(&p, 50)?;
    let after = match param(&p, "cursor") {
        None => None,
        Some(c) => Some(decode_cursor(c, sort)?),
    };
    let page = app
        .fernand_list(
            &scope,
            &FernandListing {
                limit,
                sort,
                q: p.get("q").cloned(),
                after,
            },
        )
        .await?;
    Ok(Json(page_json(&page)))
}

async fn show(
    State(app): State<App>,
    FernandScope(scope): FernandScope,
    Ids(id): Ids<i64>,
) -> ApiResult<Json<Value>> {
    let c = app.fernand_get(&scope, id).await?;
    Ok(Json(conversation_json(&c, FernandSort::default())))
}

async fn update(
    State(app): State<App>,
    FernandScope(scope): FernandScope,
    Ids(id): Ids<i64>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let patch = FernandPatch {
        status: body.string("status")?,
        snooze_until: snooze_input(&body, "snooze_until")?,
        wake_on_reply: body.bool("wake_on_reply")?,
        block_contact: body.bool("block_contact")?,
        agent_id: body.nullable_id("agent_id")?,
        agent_email: body.string("agent_email")?,
        subject: body.raw_string("subject")?,
        contact_id: body.id("contact_id")?,
    };
    let c = app.fernand_patch(&scope, id, &patch).await?;
    Ok(Json(conversation_json(&c, FernandSort::default())))
}

/// An item id of the timeline: `m-`, `n-` or `e-` and the message id (a bare number too).
fn item_id(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let digits = raw
        .strip_prefix("m-")
        .or_else(|| raw.strip_prefix("n-"))
        .or_else(|| raw.strip_prefix("e-"))
        .unwrap_or(raw);
    digits.parse().ok()
}

fn timeline_json(app: &App, conversation: i64, item: &TimelineItem) -> Value {
    let m = &item.message;
    let (prefix, kind) = match (m.message_type, m.private) {
        (MessageType::Activity, _) => ("e", "EVENT"),
        (_, true) => ("n", "NOTE"),
        _ => ("m", "MESSAGE"),
    };
    let sender = m.sender_type();
    let agent_id = m.sender_id.filter(|_| sender == Some(SenderType::User));
    let contact_id = m.sender_id.filter(|_| sender == Some(SenderType::Contact));
    let automated = m.message_type == MessageType::Activity
        || m.message_type == MessageType::Template
        || sender == Some(SenderType::AgentBot)
        || (m.message_type == MessageType::Outgoing && sender.is_none());
    json!({
        "id": format!("{prefix}-{}", m.id.get()),
        "conversation_id": conversation,
        "type": kind,
        "timestamp": m.created_at.to_rails_iso(),
        "way": if m.message_type == MessageType::Incoming { "IN" } else { "OUT" },
        "status": m.status.as_str().to_ascii_uppercase(),
        "source": Value::Null,
        "agent_id": agent_id,
        "contact_id": contact_id,
        "message": m.content.as_deref().map(html),
        "attachments": item.attachments.iter().map(|a| json!({
            "id": a.id,
            "name": a.file_name,
            "url": app.attachment_url(a),
            "type": a.mime_type,
            "size": a.file_size,
            "uuid": a.storage_key,
        })).collect::<Vec<_>>(),
        "is_read": m.status == MessageStatus::Read,
        "is_automated": automated,
        "language": Value::Null,
    })
}

/// Plain text as HTML: escaped, one paragraph, line breaks kept.
fn html(text: &str) -> String {
    format!("<p>{}</p>", html_escape(text).replace('\n', "<br>"))
}

async fn timeline(
    State(app): State<App>,
    FernandScope(scope): FernandScope,
    Ids(id): Ids<i64>,
    Params(p): Params,
) -> ApiResult<Json<Value>> {
    let before = match param(&p, "before") {
        None => None,
        Some(b) => Some(
            item_id(b)
                .ok_or_else(|| ApiError::field("before", "must be an item id such as m-123"))?,
        ),
    };
    let limit = limit_param(&p, 50)?;
    let items = app.fernand_timeline(&scope, id, before, limit).await?;
    Ok(Json(json!({
        "data": items.iter().map(|i| timeline_json(&app, id, i)).collect::<Vec<_>>(),
    })))
}

fn contact_json(c: &Contact) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "email": c.email,
        "phone_number": c.phone_number,
        "identifier": c.identifier,
        "created_at": c.created_at.to_rails_iso(),
    })
}

async fn contacts(
    State(app): State<App>,
    FernandScope(scope): FernandScope,
    Params(p): Params,
) -> ApiResult<Json<Value>> {
    let limit = limit_param(&p, 25)?;
    let list = app
        .fernand_contacts(&scope, p.get("q").map(String::as_str), limit)
        .await?;
    Ok(Json(json!({
        "data": list.iter().map(contact_json).collect::<Vec<_>>(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_sort() {
        let k = Keyset {
            key: None,
            tie: 1_700_000_000_000_000,
            id: 42,
        };
        let raw = encode_cursor(FernandSort::Priority, &k);
        assert_eq!(decode_cursor(&raw, FernandSort::Priority).ok(), Some(k));
        assert!(decode_cursor(&raw, FernandSort::Newest).is_err());
        assert!(decode_cursor("not-a-cursor", FernandSort::Newest).is_err());
    }

    #[test]
    fn timeline_ids_take_their_kind_prefix_or_none() {
        assert_eq!(item_id("m-12"), Some(12));
        assert_eq!(item_id("e-7"), Some(7));
        assert_eq!(item_id("12"), Some(12));
        assert_eq!(item_id("x-12"), None);
        assert_eq!(html("a<b>\n&"), "<p>a&lt;b&gt;<br>&amp;</p>");
    }
}
