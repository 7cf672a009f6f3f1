//! `…/contacts`: list, search, filter, CRUD, contactable inboxes, contact inboxes.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use confab_app::App;
use confab_app::contacts::{ContactInput, ContactListing, ContactPage};
use confab_app::domain::filter::RawCondition;
use confab_app::domain::{ContactId, InboxId};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Fields, Ids, KeyOrUserScoped, Params, Scoped, page_param};
use crate::views;

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/accounts/{account_id}/contacts",
            get(list).post(create),
        )
        .route("/api/v1/accounts/{account_id}/contacts/search", get(search))
        .route(
            "/api/v1/accounts/{account_id}/contacts/filter",
            post(filter),
        )
        .route(
            "/api/v1/accounts/{account_id}/contacts/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
        .route(
            "/api/v1/accounts/{account_id}/contacts/{id}/contactable_inboxes",
            get(contactable_inboxes),
        )
        .route(
            "/api/v1/accounts/{account_id}/contacts/{id}/contact_inboxes",
            post(create_contact_inbox),
        )
}

fn with_inboxes(params: &HashMap<String, String>) -> bool {
    params
        .get("include_contact_inboxes")
        .map(|v| v != "false")
        .unwrap_or(true)
}

/// `current_page` echoes the `page` parameter as sent (a string), or 1 when absent.
fn page_meta(params: &HashMap<String, String>, page: &ContactPage) -> Value {
    let current = params.get("page").map(|p| json!(p)).unwrap_or(json!(1));
    json!({ "count": page.total, "current_page": current })
}

fn page_body(params: &HashMap<String, String>, page: &ContactPage) -> Json<Value> {
    let inc = with_inboxes(params);
    Json(json!({
        "meta": page_meta(params, page),
        "payload": page.contacts.iter().map(|d| views::contact(d, inc)).collect::<Vec<_>>(),
    }))
}

async fn list(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Params(params): Params,
) -> ApiResult<Json<Value>> {
    let listing = ContactListing {
        page: page_param(&params),
        sort: params.get("sort").cloned(),
        ..Default::default()
    };
    Ok(page_body(
        &params,
        &app.list_contacts(&scope, &listing).await?,
    ))
}

async fn search(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Params(params): Params,
) -> ApiResult<Json<Value>> {
    let q = params
        .get("q")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let Some(q) = q else {
        return Err(ApiError::App(confab_app::AppError::Unprocessable(
            "Specify search string with parameter q".into(),
        )));
    };
    let listing = ContactListing {
        page: page_param(&params),
        sort: params.get("sort").cloned(),
        q: Some(q),
        ..Default::default()
    };
    Ok(page_body(
        &params,
        &app.list_contacts(&scope, &listing).await?,
    ))
}

async fn filter(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Params(mut params): Params,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
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
    if let (false, Some(p)) = (params.contains_key("page"), body.value("page")) {
        params.insert(
            "page".into(),
            p.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| p.to_string()),
        );
    }
    let listing = ContactListing {
        page: page_param(&params),
        filter: Some(raw),
        ..Default::default()
    };
    Ok(page_body(
        &params,
        &app.list_contacts(&scope, &listing).await?,
    ))
}

fn input(body: &Fields) -> ApiResult<ContactInput> {
    let f = body.wrapped("contact");
    Ok(ContactInput {
        name: f.nullable_string("name")?.map(Option::unwrap_or_default),
        email: f.nullable_string("email")?,
        phone_number: f.nullable_string("phone_number")?,
        identifier: f.nullable_string("identifier")?,
        blocked: f.bool("blocked")?,
        additional_attributes: f.object("additional_attributes")?,
        custom_attributes: f.object("custom_attributes")?,
        inbox_id: f.id("inbox_id")?.map(InboxId),
        source_id: f.string("source_id")?,
    })
}

async fn create(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let (detail, created) = app.create_contact(&scope, &input(&body)?).await?;
    let contact_inbox = match &created {
        Some((ci, inbox)) => {
            json!({ "inbox": views::slim_inbox(inbox), "source_id": ci.source_id })
        }
        None => json!({ "inbox": null, "source_id": null }),
    };
    Ok(Json(
        json!({ "payload": { "contact": views::contact(&detail, true), "contact_inbox": contact_inbox } }),
    ))
}

async fn show(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Params(params): Params,
) -> ApiResult<Json<Value>> {
    let d = app.get_contact(&scope, ContactId(id)).await?;
    Ok(Json(
        json!({ "payload": views::contact(&d, with_inboxes(&params)) }),
    ))
}

async fn update(
    State(app): State<App>,
    KeyOrUserScoped(scope): KeyOrUserScoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let d = app
        .update_contact(&scope, ContactId(id), &input(&body)?)
        .await?;
    Ok(Json(json!({ "payload": views::contact(&d, true) })))
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.delete_contact(&scope, ContactId(id)).await?;
    Ok(StatusCode::OK)
}

async fn contactable_inboxes(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let list = app.contactable_inboxes(&scope, ContactId(id)).await?;
    let payload: Vec<Value> = list
        .iter()
        .map(|(inbox, source)| json!({ "inbox": views::slim_inbox(inbox), "source_id": source }))
        .collect();
    Ok(Json(json!({ "payload": payload })))
}

async fn create_contact_inbox(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let (ci, inbox) = app
        .create_contact_inbox(
            &scope,
            ContactId(id),
            body.id("inbox_id")?.map(InboxId),
            body.string("source_id")?,
            body.bool("hmac_verified")?,
        )
        .await?;
    Ok(Json(views::contact_inbox(&ci, &inbox)))
}
