//! `…/csat_survey_responses` (administrators): the contacts' survey answers and their metrics.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use confab_app::App;
use confab_app::csat::{CsatQuery, CsatResponseView};
use confab_app::domain::csat::valid_rating;
use confab_app::domain::{InboxId, TeamId, Timestamp, UserId};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::extract::{QueryPairs, Scoped, page_param};
use crate::views;

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/accounts/{account_id}/csat_survey_responses",
            get(list),
        )
        .route(
            "/api/v1/accounts/{account_id}/csat_survey_responses/metrics",
            get(metrics),
        )
}

/// The filters `since`, `until` (Unix seconds), `user_ids[]`, `inbox_id`, `team_id`, `rating`.
fn query(q: &QueryPairs) -> ApiResult<CsatQuery> {
    let one = |key: &str| -> ApiResult<Option<i64>> {
        match q.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim()) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::field(key, "must be a whole number")),
        }
    };
    let agents = q
        .list("user_ids")
        .iter()
        .map(|v| {
            v.parse::<i64>()
                .map(UserId)
                .map_err(|_| ApiError::field("user_ids", "must be a list of ids"))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let rating = match one("rating")? {
        None => None,
        Some(r) => Some(
            i16::try_from(r)
                .ok()
                .filter(|r| valid_rating(i64::from(*r)))
                .ok_or_else(|| ApiError::field("rating", "must be from 1 to 5"))?,
        ),
    };
    Ok(CsatQuery {
        since: one("since")?.map(Timestamp::from_unix_seconds),
        until: one("until")?.map(Timestamp::from_unix_seconds),
        agents,
        inbox: one("inbox_id")?.map(InboxId),
        team: one("team_id")?.map(TeamId),
        rating,
    })
}

fn response_json(v: &CsatResponseView) -> Value {
    let r = &v.response;
    let mut out = json!({
        "id": r.id,
        "rating": r.rating,
        "feedback_message": r.feedback_message,
        "account_id": r.account_id,
        "message_id": r.message_id,
    });
    if let Some(c) = &v.contact {
        out["contact"] = views::contact_record(c);
    }
    out["conversation_id"] = json!(v.display_id);
    if let Some((u, m)) = &v.assigned_agent {
        out["assigned_agent"] = match m {
            Some(m) => views::agent(u, m),
            None => {
                json!({ "id": u.id, "name": u.name, "available_name": u.available_name(), "email": u.email })
            }
        };
    }
    out["created_at"] = json!(r.created_at.unix_seconds());
    out
}

async fn list(
    State(app): State<App>,
    Scoped(scope): Scoped,
    q: QueryPairs,
) -> ApiResult<Json<Value>> {
    let filters = query(&q)?;
    let params = q.0.iter().cloned().collect();
    let rows = app
        .list_csat_responses(&scope, &filters, page_param(&params))
        .await?;
    Ok(Json(rows.iter().map(response_json).collect()))
}

async fn metrics(
    State(app): State<App>,
    Scoped(scope): Scoped,
    q: QueryPairs,
) -> ApiResult<Json<Value>> {
    let m = app.csat_metrics(&scope, &query(&q)?).await?;
    let ratings: BTreeMap<String, i64> =
        m.ratings.iter().map(|(r, n)| (r.to_string(), *n)).collect();
    Ok(Json(json!({
        "total_count": m.total_count,
        "ratings_count": ratings,
        "total_sent_messages_count": m.surveys_sent,
    })))
}
