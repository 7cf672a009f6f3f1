//! `…/webhooks` (administrators): CRUD, secret rotation, the test event, the delivery log and
//! replay; and the same log and secret for an API inbox's `webhook_url`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use confab_app::App;
use confab_app::domain::webhook::{Attempt, DeliveryState, Receiver, Webhook};
use confab_app::domain::{AgentBotId, DeliveryId, InboxId, WebhookId};
use confab_app::webhooks::{DeliveryLog, WebhookInput};
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::extract::{Body, Ids, Params, Scoped};

const WEBHOOKS: &str = "/api/v1/accounts/{account_id}/webhooks";
const INBOX: &str = "/api/v1/accounts/{account_id}/inboxes/{id}";
const BOT: &str = "/api/v1/accounts/{account_id}/agent_bots/{id}";

pub fn router() -> Router<App> {
    let r = Router::new()
        .route(WEBHOOKS, get(list).post(create))
        .route(
            &format!("{WEBHOOKS}/{{id}}"),
            get(show).patch(update).put(update).delete(destroy),
        )
        .route(&format!("{WEBHOOKS}/{{id}}/rotate_secret"), post(rotate))
        .route(&format!("{WEBHOOKS}/{{id}}/test"), post(test_event))
        .route(
            &format!("{INBOX}/webhook_secret"),
            get(inbox_secret).post(rotate_inbox_secret),
        )
        .route(
            &format!("{BOT}/secret"),
            get(bot_secret).post(rotate_bot_secret),
        );
    let r = log_routes(r, &format!("{WEBHOOKS}/{{id}}/deliveries"), |id| {
        Receiver::Webhook(WebhookId(id))
    });
    let r = log_routes(r, &format!("{INBOX}/webhook_deliveries"), |id| {
        Receiver::Inbox(InboxId(id))
    });
    log_routes(r, &format!("{BOT}/deliveries"), |id| {
        Receiver::AgentBot(AgentBotId(id))
    })
}

/// A receiver's delivery log at `base`, one delivery at `base/{delivery_id}`, and its replay.
fn log_routes(r: Router<App>, base: &str, of: fn(i64) -> Receiver) -> Router<App> {
    r.route(
        base,
        get(
            move |State(app): State<App>,
                  Scoped(scope): Scoped,
                  Ids((_, id)): Ids<(i64, i64)>,
                  params: Params| async move {
                log_page(&app, &scope, of(id), &params).await
            },
        ),
    )
    .route(
        &format!("{base}/{{delivery_id}}"),
        get(
            move |State(app): State<App>,
                  Scoped(scope): Scoped,
                  Ids((_, id, d)): Ids<(i64, i64, i64)>| async move {
                let log = app.get_delivery(&scope, of(id), DeliveryId(d)).await?;
                ApiResult::Ok(Json(json!({ "payload": delivery_json(&log, true) })))
            },
        ),
    )
    .route(
        &format!("{base}/{{delivery_id}}/replay"),
        post(
            move |State(app): State<App>,
                  Scoped(scope): Scoped,
                  Ids((_, id, d)): Ids<(i64, i64, i64)>| async move {
                let log = app.replay_delivery(&scope, of(id), DeliveryId(d)).await?;
                ApiResult::Ok(Json(json!({ "payload": delivery_json(&log, true) })))
            },
        ),
    )
}

/// A webhook as upstream renders it; `secret` only in the answers that create or rotate it.
fn webhook_json(w: &Webhook, with_secret: bool) -> Value {
    let mut v = json!({
        "id": w.id,
        "name": w.name,
        "url": w.url,
        "account_id": w.account_id,
        "subscriptions": w.subscriptions,
        "webhook_type": if w.webhook_type == 1 { "inbox_type" } else { "account_type" },
    });
    if let Some(i) = w.inbox_id {
        v["inbox"] = json!({ "id": i });
    }
    if with_secret {
        v["secret"] = json!(w.secret);
    }
    v
}

fn attempt_json(a: &Attempt) -> Value {
    json!({
        "attempt": a.attempt,
        "started_at": a.started_at.to_rails_iso(),
        "status_code": a.status_code,
        "latency_ms": a.latency_ms,
        "error": a.error,
    })
}

/// A delivery in the log; `with_payload` adds the exact body sent.
fn delivery_json(l: &DeliveryLog, with_payload: bool) -> Value {
    let d = &l.delivery;
    let mut v = json!({
        "id": d.id,
        "delivery_id": d.uuid,
        "event": d.event,
        "url": d.url,
        "state": d.state,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at.filter(|_| d.state == DeliveryState::Pending.as_str()).map(|t| t.to_rails_iso()),
        "last_status": d.last_status,
        "last_error": d.last_error,
        "conversation_id": d.conversation_id,
        "replay_of": d.replay_of,
        "created_at": d.created_at.to_rails_iso(),
        "finished_at": d.finished_at.map(|t| t.to_rails_iso()),
        "attempt_log": l.attempts.iter().map(attempt_json).collect::<Vec<_>>(),
    });
    if with_payload {
        v["payload"] = serde_json::from_str(&d.payload).unwrap_or(Value::Null);
    }
    v
}

fn input(body: &crate::extract::Fields) -> ApiResult<WebhookInput> {
    let f = body.wrapped("webhook");
    Ok(WebhookInput {
        url: f.raw_string("url")?,
        name: f.nullable_string("name")?,
        inbox_id: f.nullable_id("inbox_id")?,
        subscriptions: f.value("subscriptions").cloned(),
    })
}

async fn list(State(app): State<App>, Scoped(scope): Scoped) -> ApiResult<Json<Value>> {
    let list = app.list_webhooks(&scope).await?;
    let hooks: Vec<Value> = list.iter().map(|w| webhook_json(w, false)).collect();
    Ok(Json(json!({ "payload": { "webhooks": hooks } })))
}

async fn show(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let w = app.get_webhook(&scope, WebhookId(id)).await?;
    Ok(Json(
        json!({ "payload": { "webhook": webhook_json(&w, false) } }),
    ))
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let w = app.create_webhook(&scope, &input(&body)?).await?;
    Ok(Json(
        json!({ "payload": { "webhook": webhook_json(&w, true) } }),
    ))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let w = app
        .update_webhook(&scope, WebhookId(id), &input(&body)?)
        .await?;
    Ok(Json(
        json!({ "payload": { "webhook": webhook_json(&w, false) } }),
    ))
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.delete_webhook(&scope, WebhookId(id)).await?;
    Ok(StatusCode::OK)
}

async fn rotate(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let w = app.rotate_webhook_secret(&scope, WebhookId(id)).await?;
    Ok(Json(
        json!({ "payload": { "webhook": webhook_json(&w, true) } }),
    ))
}

async fn test_event(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let log = app.send_test_webhook(&scope, WebhookId(id)).await?;
    Ok(Json(json!({ "payload": delivery_json(&log, true) })))
}

fn before(params: &Params) -> ApiResult<Option<i64>> {
    match params
        .0
        .get("before")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| crate::error::ApiError::field("before", "must be a delivery id")),
    }
}

async fn log_page(
    app: &App,
    scope: &confab_app::Scope,
    of: Receiver,
    params: &Params,
) -> ApiResult<Json<Value>> {
    let list = app
        .list_deliveries(
            scope,
            of,
            params.0.get("state").map(String::as_str),
            before(params)?,
        )
        .await?;
    let next = (list.len() as u64 == confab_app::webhooks::DELIVERIES_PAGE)
        .then(|| list.last().map(|l| l.delivery.id))
        .flatten();
    Ok(Json(json!({
        "meta": { "next_before": next },
        "payload": list.iter().map(|l| delivery_json(l, false)).collect::<Vec<_>>(),
    })))
}

async fn inbox_secret(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let secret = app.inbox_webhook_secret(&scope, InboxId(id)).await?;
    Ok(Json(json!({ "webhook_secret": secret })))
}

async fn rotate_inbox_secret(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let secret = app.rotate_inbox_webhook_secret(&scope, InboxId(id)).await?;
    Ok(Json(json!({ "webhook_secret": secret })))
}

async fn bot_secret(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let secret = app.agent_bot_secret(&scope, AgentBotId(id)).await?;
    Ok(Json(json!({ "secret": secret })))
}

async fn rotate_bot_secret(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let secret = app.rotate_agent_bot_secret(&scope, AgentBotId(id)).await?;
    Ok(Json(json!({ "secret": secret })))
}
