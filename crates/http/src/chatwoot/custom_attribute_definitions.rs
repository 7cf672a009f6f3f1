//! `…/custom_attribute_definitions`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use confab_app::App;
use confab_app::custom_attributes::DefinitionInput;
use confab_app::domain::CustomAttributeDefinitionId;
use confab_app::domain::team::{
    ATTRIBUTE_MODELS, CustomAttributeDefinition, DISPLAY_TYPES, enum_name,
};
use serde_json::{Value, json};

use super::teams::{required, text};
use crate::error::ApiResult;
use crate::extract::{Body, Fields, Ids, Params, Scoped};

pub fn router() -> Router<App> {
    Router::new()
        .route(
            "/api/v1/accounts/{account_id}/custom_attribute_definitions",
            get(list).post(create),
        )
        .route(
            "/api/v1/accounts/{account_id}/custom_attribute_definitions/{id}",
            get(show).patch(update).put(update).delete(destroy),
        )
}

const FIELDS: [&str; 9] = [
    "attribute_display_name",
    "attribute_key",
    "attribute_display_type",
    "attribute_model",
    "attribute_description",
    "attribute_values",
    "regex_pattern",
    "regex_cue",
    "default_value",
];

/// A definition as upstream renders it: enums by name, timestamps as Rails ISO strings.
pub fn definition_json(d: &CustomAttributeDefinition) -> Value {
    json!({
        "id": d.id,
        "attribute_display_name": d.attribute_display_name,
        "attribute_display_type": enum_name(&DISPLAY_TYPES, d.attribute_display_type),
        "attribute_description": d.attribute_description,
        "attribute_key": d.attribute_key,
        "regex_pattern": d.regex_pattern,
        "regex_cue": d.regex_cue,
        "attribute_values": d.attribute_values,
        "attribute_model": enum_name(&ATTRIBUTE_MODELS, d.attribute_model),
        "default_value": d.default_value,
        "created_at": d.created_at.to_rails_iso(),
        "updated_at": d.updated_at.to_rails_iso(),
    })
}

fn input(body: &Fields) -> ApiResult<DefinitionInput> {
    let f = required(body, "custom_attribute_definition", &FIELDS)?;
    let values = match f.value("attribute_values") {
        None => None,
        Some(Value::Null) => Some(Value::Array(Vec::new())),
        Some(Value::String(s)) if s.trim().is_empty() => Some(Value::Array(Vec::new())),
        Some(v) => Some(v.clone()),
    };
    Ok(DefinitionInput {
        attribute_display_name: text(&f, "attribute_display_name")?,
        attribute_key: text(&f, "attribute_key")?,
        attribute_display_type: f.string("attribute_display_type")?,
        attribute_model: f.string("attribute_model")?,
        attribute_description: f.nullable_string("attribute_description")?,
        attribute_values: values,
        regex_pattern: f.nullable_string("regex_pattern")?,
        regex_cue: f.nullable_string("regex_cue")?,
        default_value: f.nullable_string("default_value")?,
    })
}

async fn list(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Params(params): Params,
) -> ApiResult<Json<Value>> {
    let list = app
        .list_custom_attribute_definitions(
            &scope,
            params.get("attribute_model").map(String::as_str),
        )
        .await?;
    Ok(Json(Value::Array(
        list.iter().map(definition_json).collect(),
    )))
}

async fn show(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<Json<Value>> {
    let d = app
        .get_custom_attribute_definition(&scope, CustomAttributeDefinitionId(id))
        .await?;
    Ok(Json(definition_json(&d)))
}

async fn create(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let d = app
        .create_custom_attribute_definition(&scope, &input(&body)?)
        .await?;
    Ok(Json(definition_json(&d)))
}

async fn update(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let d = app
        .update_custom_attribute_definition(&scope, CustomAttributeDefinitionId(id), &input(&body)?)
        .await?;
    Ok(Json(definition_json(&d)))
}

async fn destroy(
    State(app): State<App>,
    Scoped(scope): Scoped,
    Ids((_, id)): Ids<(i64, i64)>,
) -> ApiResult<StatusCode> {
    app.delete_custom_attribute_definition(&scope, CustomAttributeDefinitionId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
