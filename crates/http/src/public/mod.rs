//! Chatwoot's Client/Public API (`/public/api/v1/…`): the customer's side, with no token. The
//! inbox identifier and the contact's `source_id` in the path are the credentials; errors use
//! the public dialect (`{"status":404,"error":"Not Found"}` for anything not found).

mod views;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use confab_app::App;
use confab_app::domain::MessageId;
use confab_app::public::{CustomerContactInput, CustomerMessage};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::chatwoot::MessageBody;
use crate::error::{OuterApiError, OuterResult};
use crate::extract::{Body, Fields, Params};

const INBOX: &str = "/public/api/v1/inboxes/{inbox_identifier}";
const CONTACT: &str = "/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}";
const CONVERSATION: &str = "/public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}";

pub fn router() -> Router<App> {
    Router::new()
        .route(INBOX, get(show_inbox))
        .route(&format!("{INBOX}/contacts"), post(create_contact))
        .route(
            CONTACT,
            get(show_contact).patch(update_contact).put(update_contact),
        )
        .route(
            &format!("{CONTACT}/conversations"),
            get(list_conversations).post(create_conversation),
        )
        .route(CONVERSATION, get(show_conversation))
        .route(&format!("{CONVERSATION}/toggle_status"), post(resolve))
        .route(
            &format!("{CONVERSATION}/toggle_typing"),
            post(toggle_typing),
        )
        .route(
            &format!("{CONVERSATION}/update_last_seen"),
            post(update_last_seen),
        )
        .route(
            &format!("{CONVERSATION}/messages"),
            get(list_messages)
                .post(create_message)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            &format!("{CONVERSATION}/messages/{{message_id}}"),
            patch(update_message).put(update_message),
        )
        .route(
            "/public/api/v1/csat_survey/{uuid}",
            get(show_survey).patch(answer_survey).put(answer_survey),
        )
}

/// Path parameters as `crate::extract::Ids` reads them, refused in the public dialect.
struct Ids<T>(T);

impl<T: DeserializeOwned + Send> FromRequestParts<App> for Ids<T> {
    type Rejection = OuterApiError;
    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let crate::extract::Ids(v) = crate::extract::Ids::from_request_parts(parts, app).await?;
        Ok(Ids(v))
    }
}

type Contact = (String, String);
type Conversation = (String, String, i64);

async fn show_inbox(State(app): State<App>, Ids(inbox): Ids<String>) -> OuterResult<Json<Value>> {
    Ok(Json(views::inbox(&app.public_inbox(&inbox).await?)))
}

fn contact_input(f: &Fields) -> Result<CustomerContactInput, OuterApiError> {
    Ok(CustomerContactInput {
        source_id: f.string("source_id")?,
        identifier: f.string("identifier")?,
        identifier_hash: f.string("identifier_hash")?,
        name: f.string("name")?,
        email: f.string("email")?,
        phone_number: f.string("phone_number")?,
        custom_attributes: f.object("custom_attributes")?,
    })
}

async fn create_contact(
    State(app): State<App>,
    Ids(inbox): Ids<String>,
    Body(f): Body,
) -> OuterResult<Json<Value>> {
    let input = contact_input(&f)?;
    let customer = app.public_create_contact(&inbox, &input).await?;
    Ok(Json(views::customer(&customer)))
}

async fn show_contact(
    State(app): State<App>,
    Ids((inbox, source)): Ids<Contact>,
    Params(params): Params,
) -> OuterResult<Json<Value>> {
    let param = |k: &str| params.get(k).map(String::as_str);
    let customer = app
        .public_contact(
            &inbox,
            &source,
            param("identifier"),
            param("identifier_hash"),
        )
        .await?;
    Ok(Json(views::customer(&customer)))
}

async fn update_contact(
    State(app): State<App>,
    Ids((inbox, source)): Ids<Contact>,
    Body(f): Body,
) -> OuterResult<Json<Value>> {
    let input = contact_input(&f)?;
    let contact = app.public_update_contact(&inbox, &source, &input).await?;
    Ok(Json(views::contact_row(&contact)))
}

async fn list_conversations(
    State(app): State<App>,
    Ids((inbox, source)): Ids<Contact>,
) -> OuterResult<Json<Value>> {
    let list = app.public_conversations(&inbox, &source).await?;
    Ok(Json(
        list.iter().map(|c| views::conversation(&app, c)).collect(),
    ))
}

async fn create_conversation(
    State(app): State<App>,
    Ids((inbox, source)): Ids<Contact>,
    Body(f): Body,
) -> OuterResult<Json<Value>> {
    let custom = f.object("custom_attributes")?;
    let conv = app
        .public_create_conversation(&inbox, &source, custom)
        .await?;
    Ok(Json(views::conversation(&app, &conv)))
}

async fn show_conversation(
    State(app): State<App>,
    Ids((inbox, source, id)): Ids<Conversation>,
) -> OuterResult<Json<Value>> {
    let conv = app.public_conversation(&inbox, &source, id).await?;
    Ok(Json(views::conversation(&app, &conv)))
}

async fn resolve(
    State(app): State<App>,
    Ids((inbox, source, id)): Ids<Conversation>,
) -> OuterResult<Json<Value>> {
    let conv = app.public_resolve(&inbox, &source, id).await?;
    Ok(Json(views::conversation(&app, &conv)))
}

async fn toggle_typing(
    State(app): State<App>,
    Ids((inbox, source, id)): Ids<Conversation>,
    Params(params): Params,
    Body(f): Body,
) -> OuterResult<()> {
    let status = match f.string("typing_status")? {
        Some(s) => Some(s),
        None => params.get("typing_status").cloned(),
    };
    app.public_typing(&inbox, &source, id, status.as_deref())
        .await?;
    Ok(())
}

async fn update_last_seen(
    State(app): State<App>,
    Ids((inbox, source, id)): Ids<Conversation>,
) -> OuterResult<()> {
    app.public_update_last_seen(&inbox, &source, id).await?;
    Ok(())
}

async fn list_messages(
    State(app): State<App>,
    Ids((inbox, source, id)): Ids<Conversation>,
    Params(params): Params,
) -> OuterResult<Json<Value>> {
    let before = params
        .get("before")
        .and_then(|v| v.trim().parse::<i64>().ok());
    let list = app.public_messages(&inbox, &source, id, before).await?;
    Ok(Json(list.iter().map(|m| views::message(&app, m)).collect()))
}

async fn create_message(
    State(app): State<App>,
    Ids((inbox, source, id)): Ids<Conversation>,
    req: Request,
) -> OuterResult<Json<Value>> {
    // The credentials are checked before a byte of a (possibly large) body is read.
    app.public_conversation_exists(&inbox, &source, id).await?;
    let body = MessageBody::from_request(req, &app).await?;
    let f = &body.fields;
    let input = CustomerMessage {
        content: f.raw_string("content")?,
        echo_id: f.string("echo_id")?,
        attachments: body.files,
    };
    let msg = app
        .public_create_message(&inbox, &source, id, input)
        .await?;
    Ok(Json(views::message(&app, &msg)))
}

async fn update_message(
    State(app): State<App>,
    Ids((inbox, source, id, message)): Ids<(String, String, i64, i64)>,
    Body(f): Body,
) -> OuterResult<Json<Value>> {
    let submitted = f.value("submitted_values").cloned();
    let msg = app
        .public_update_message(&inbox, &source, id, MessageId(message), submitted)
        .await?;
    Ok(Json(views::message(&app, &msg)))
}

async fn show_survey(State(app): State<App>, Ids(uuid): Ids<String>) -> OuterResult<Json<Value>> {
    Ok(Json(views::csat_survey(&app.csat_survey(&uuid).await?)))
}

async fn answer_survey(
    State(app): State<App>,
    Ids(uuid): Ids<String>,
    Body(f): Body,
) -> OuterResult<Json<Value>> {
    let submitted = f.nested("message")?.value("submitted_values").cloned();
    let survey = app.answer_csat_survey(&uuid, submitted).await?;
    Ok(Json(views::csat_survey(&survey)))
}
