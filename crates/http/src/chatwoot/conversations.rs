//! `…/conversations`: list, meta, search, filter, CRUD, the lifecycle actions, assignments,
//! labels, attachments and transcript (seed 001, §4 and §6 of the behaviour reference).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use confab_app::App;
use confab_app::assignment::{Assigned, AssignmentInput};
use confab_app::conversations::{ConversationInput, ConversationListing, ConversationPage};
use confab_app::domain::filter::RawCondition;
use confab_app::domain::{ContactId, InboxId, TeamId, UserId};
use confab_app::lifecycle::{SnoozeInput, StatusRequest};
use serde_json::{Value, json};

use crate::conversation_views as cv;
use crate::error::{ApiError, ApiResult};
use crate::extract::{
    Body, BotScoped, Fields, Ids, KeyOrBotScoped, KeyOrUserScoped, Params, QueryPairs, Scoped,
    page_param,
};

const BASE: &str = "/api/v1/accounts/{account_id}/conversations";

pub fn router() -> Router<App> {
    let at = |rest: &str| format!("{BASE}{rest}");
    Router::new()
        .route(BASE, get(list).post(create))
        .route(&at("/meta"), get(meta))
        .route(&at("/search"), get(search))
        .route(&at("/filter"), post(filter))
        .route(
            &at("/{id}"),
            get(show).patch(update).put(update).delete(destroy),
        )
        .route(&at("/{id}/toggle_status"), post(toggle_status))
        .route(&at("/{id}/toggle_priority"), post(toggle_priority))
        .route(&at("/{id}/mute"), post(mute))
        .route(&at("/{id}/unmute"), post(unmute))
        .route(&at("/{id}/unread"), post(unread))
        .route(&at("/{id}/update_last_seen"), post(update_last_seen))
        .route(&at("/{id}/custom_attributes"), post(custom_attributes))
        .route(&at("/{id}/transcript"), post(transcript))
        .route(&at("/{id}/toggle_typing_status"), post(toggle_typing))
        .route(&at("/{id}/attachments"), get(attachments))
        .route(&at("/{id}/labels"), get(labels).post(set_labels))
        .route(&at("/{id}/assignments"), post(assign))
        .route(
            "/api/v1/accounts/{account_id}/contacts/{id}/conversations",
            get(contact_conversations),
        )
}

fn listing(params: &Params, pairs: &QueryPairs) -> ConversationListing {
    let p = &params.0;
    let id = |k: &str| p.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    ConversationListing {
        status: p.get("status").cloned(),
        assignee_type: p.get("assignee_type").cloned(),
        inbox_id: id("inbox_id").map(InboxId),
        team_id: id("team_id").map(TeamId),
        labels: pairs.list("labels"),
        q: p.get("q").cloned(),
        source_id: p.get("source_id").cloned(),
        conversation_type: p.get("conversation_type").cloned(),
        sort_by: p.get("sort_by").or_else(|| p.get("sort_order")).cloned(),
        page: page_param(p),
        filter: None,
    }
}

fn payload<'a>(app: &'a App, page: &'a ConversationPage) -> Vec<cv::ConversationJson<'a>> {
    page.conversations
        .iter()
        .map(|v| cv::conversation(app, v))
        .collect()
}

fn counts4(page: &ConversationPage) -> Value {
    json!({
        "mine_count": page.counts.mine,
        "assigned_count": page.counts.assigned(),
        "unassigned_count": page.counts.unassigned,
        "all_count": page.counts.all,
    })
}

fn counts3(page: &ConversationPage) -> Value {
    json!({
        "mine_count": page.counts.mine,
        "unassigned_count": page.counts.unassigned,
        "all_count": page.counts.all,
    })
}

async fn list(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    params: Params,
    pairs: QueryPairs,
) -> ApiResult<Response> {
    let page = app
        .list_conversations(&scope, &listing(&params, &pairs), true)
        .await?;
    let page = cv::Page {
        meta: counts4(&page),
        payload: payload(&app, &page),
    };
    Ok(Json(cv::Data { data: page }).into_response())
}

async fn meta(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    params: Params,
    pairs: QueryPairs,
) -> ApiResult<Json<Value>> {
    let page = app
        .list_conversations(&scope, &listing(&params, &pairs), false)
        .await?;
    Ok(Json(json!({ "meta": counts4(&page) })))
}

async fn search(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Params(params): Params,
) -> ApiResult<Json<Value>> {
    let q = params.get("q").cloned().unwrap_or_default();
    let (page, matches) = app
        .search_conversations(&scope, &q, page_param(&params))
        .await?;
    let payload: Vec<Value> = page
        .conversations
        .iter()
        .map(|v| {
            let hits: Vec<_> = matches
                .get(&v.conversation.id)
                .map(|m| m.iter().collect())
                .unwrap_or_default();
            cv::search_hit(v, &hits)
        })
        .collect();
    Ok(Json(json!({ "meta": counts3(&page), "payload": payload })))
}

async fn filter(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Params(params): Params,
    Body(body): Body,
) -> ApiResult<Response> {
    let raw: Vec<RawCondition> = match body.value("payload") {
        Some(v @ Value::Array(_)) => serde_json::from_value(v.clone())
            .map_err(|_| ApiError::field("payload", "must be a list of filter conditions"))?,
        _ => {
            return Err(ApiError::field(
                "payload",
                "must be a list of filter conditions",
            ));
        }
    };
    let page = params
        .get("page")
        .and_then(|p| p.parse::<u64>().ok())
        .or_else(|| {
            body.value("page").and_then(|p| {
                p.as_u64()
                    .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
            })
        })
        .unwrap_or(1);
    let listing = ConversationListing {
        page,
        filter: Some(raw),
        ..Default::default()
    };
    let page = app.list_conversations(&scope, &listing, true).await?;
    let page = cv::Page {
        meta: counts3(&page),
        payload: payload(&app, &page),
    };
    Ok(Json(page).into_response())
}

fn conversation_input(body: &Fields) -> ApiResult<ConversationInput> {
    let f = body.wrapped("conversation");
    // `"message": {}` (or a message without content) means no initial message.
    let message = match f.value("message") {
        Some(Value::Object(_)) => {
            let m = f.nested("message")?;
            (m.string("content")?, m.object("template_params")?)
        }
        Some(Value::Null) | None => (None, None),
        Some(_) => return Err(ApiError::field("message", "must be an object")),
    };
    Ok(ConversationInput {
        source_id: f.string("source_id")?,
        inbox_id: f.id("inbox_id")?.map(InboxId),
        contact_id: f.id("contact_id")?.map(ContactId),
        status: f.string("status")?,
        assignee_id: f.id("assignee_id")?.filter(|id| *id > 0).map(UserId),
        team_id: f.id("team_id")?.filter(|id| *id > 0).map(TeamId),
        snoozed_until: snooze_input(&f, "snoozed_until")?,
        additional_attributes: f.object("additional_attributes")?,
        custom_attributes: f.object("custom_attributes")?,
        message: message.0,
        message_template_params: message.1,
    })
}

async fn create(
    State(app): State<App>,
    BotScoped(scope): BotScoped,
    Body(body): Body,
) -> ApiResult<Response> {
    let v = app
        .create_conversation(&scope, &conversation_input(&body)?)
        .await?;
    Ok(Json(cv::conversation(&app, &v)).into_response())
}

async fn show(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Response> {
    let v = app.get_conversation(&scope, id).await?;
    Ok(Json(cv::conversation(&app, &v)).into_response())
}

async fn update(
    State(app): State<App>,
    KeyOrBotScoped(scope): KeyOrBotScoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Response> {
    let f = body.wrapped("conversation");
    let priority = if f.has("priority") {
        Some(f.nullable_string("priority")?.flatten())
    } else {
        None
    };
    let v = app
        .update_conversation(&scope, id, priority.as_ref().map(|p| p.as_deref()))
        .await?;
    Ok(Json(cv::conversation(&app, &v)).into_response())
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.delete_conversation(&scope, id).await?;
    Ok(StatusCode::OK)
}

/// A snooze time: a number is Unix seconds (upstream's format), a string goes through the snooze
/// grammar (which also reads digits as Unix seconds); null or blank is none.
pub(crate) fn snooze_input(body: &Fields, key: &str) -> ApiResult<Option<SnoozeInput>> {
    match body.value(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(SnoozeInput::Text(s.clone()))),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .map(|secs| Some(SnoozeInput::UnixSeconds(secs)))
            .ok_or_else(|| ApiError::field(key, "must be a Unix timestamp or a snooze phrase")),
        Some(_) => Err(ApiError::field(
            key,
            "must be a Unix timestamp or a snooze phrase",
        )),
    }
}

async fn toggle_status(
    State(app): State<App>,
    KeyOrBotScoped(scope): KeyOrBotScoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let req = StatusRequest {
        status: body.nullable_string("status")?.flatten(),
        snoozed_until: snooze_input(&body, "snoozed_until")?,
        wake_on_reply: body.bool("wake_on_reply")?,
        block_contact: body.bool("block_contact")?.unwrap_or(false),
    };
    let o = app.toggle_status(&scope, id, &req).await?;
    Ok(Json(cv::toggle(&o)))
}

async fn toggle_priority(
    State(app): State<App>,
    KeyOrBotScoped(scope): KeyOrBotScoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<StatusCode> {
    let p = body.nullable_string("priority")?.flatten();
    app.toggle_priority(&scope, id, p.as_deref()).await?;
    Ok(StatusCode::OK)
}

async fn mute(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.set_muted(&scope, id, true).await?;
    Ok(StatusCode::OK)
}

async fn unmute(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.set_muted(&scope, id, false).await?;
    Ok(StatusCode::OK)
}

async fn unread(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Response> {
    let v = app.mark_unread(&scope, id).await?;
    Ok(Json(cv::conversation(&app, &v)).into_response())
}

async fn update_last_seen(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Response> {
    let v = app.update_last_seen(&scope, id).await?;
    Ok(Json(cv::conversation(&app, &v)).into_response())
}

async fn custom_attributes(
    State(app): State<App>,
    KeyOrBotScoped(scope): KeyOrBotScoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let attrs = body
        .object("custom_attributes")?
        .ok_or_else(|| ApiError::field("custom_attributes", "can't be blank"))?;
    let attrs = app
        .set_conversation_custom_attributes(&scope, id, attrs)
        .await?;
    Ok(Json(json!({ "custom_attributes": attrs })))
}

async fn transcript(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<StatusCode> {
    let email = body.string("email")?;
    app.send_transcript(&scope, id, email.as_deref()).await?;
    Ok(StatusCode::OK)
}

/// An agent typing (`typing_status` on/off/recording, `is_private` for a note): an event for
/// webhooks and live listeners.
async fn toggle_typing(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<StatusCode> {
    let status = body.string("typing_status")?;
    let is_private = body.bool("is_private")?.unwrap_or(false);
    app.agent_typing(&scope, id, status.as_deref(), is_private)
        .await?;
    Ok(StatusCode::OK)
}

async fn attachments(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Params(params): Params,
) -> ApiResult<Json<Value>> {
    let (list, total) = app
        .conversation_attachments(&scope, id, page_param(&params))
        .await?;
    let payload: Vec<Value> = list
        .iter()
        .map(|(a, m)| {
            let mut v = cv::attachment(&app, a);
            v["created_at"] = json!(a.created_at.unix_seconds());
            v["sender"] = m
                .as_ref()
                .and_then(|m| m.sender.as_ref())
                .map(cv::sender)
                .unwrap_or(Value::Null);
            v
        })
        .collect();
    Ok(Json(
        json!({ "meta": { "total_count": total }, "payload": payload }),
    ))
}

async fn labels(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let list = app.conversation_labels(&scope, id).await?;
    Ok(Json(json!({ "payload": list })))
}

async fn set_labels(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let titles: Vec<String> = match body.value("labels") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => Err(ApiError::field("labels", "must be a list of label titles")),
            })
            .collect::<Result<_, _>>()?,
        Some(Value::String(s)) => s.split(',').map(str::to_owned).collect(),
        Some(_) => return Err(ApiError::field("labels", "must be a list of label titles")),
    };
    let list = app.set_conversation_labels(&scope, id, titles).await?;
    Ok(Json(json!({ "payload": list })))
}

async fn assign(
    State(app): State<App>,
    KeyOrBotScoped(scope): KeyOrBotScoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let input = AssignmentInput {
        assignee_id: if body.has("assignee_id") {
            Some(body.nullable_id("assignee_id")?.flatten())
        } else {
            None
        },
        assignee_type: body.string("assignee_type")?,
        team_id: if body.has("team_id") {
            Some(body.nullable_id("team_id")?.flatten())
        } else {
            None
        },
    };
    let out = match app.assign_conversation(&scope, id, &input).await? {
        Assigned::Agent(u, m) => cv::assignee(&u, m.as_ref()),
        Assigned::Bot(b) => cv::bot_assignee(&b),
        Assigned::Team(t) => cv::team_record(&t),
        Assigned::Nobody => Value::Null,
    };
    Ok(Json(out))
}

async fn contact_conversations(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Response> {
    let list = app.contact_conversations(&scope, ContactId(id)).await?;
    let payload: Vec<_> = list.iter().map(|v| cv::conversation(&app, v)).collect();
    Ok(Json(cv::Payload { payload }).into_response())
}
