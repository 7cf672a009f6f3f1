//! Custom attribute definitions.

use confab_domain::team::CustomAttributeDefinition;
use confab_domain::{AccountId, CustomAttributeDefinitionId, Timestamp};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::{Conn, StoreError};

const COLUMNS: [&str; 13] = [
    "id",
    "account_id",
    "attribute_display_name",
    "attribute_key",
    "attribute_display_type",
    "attribute_model",
    "attribute_description",
    "attribute_values",
    "regex_pattern",
    "regex_cue",
    "default_value",
    "created_at",
    "updated_at",
];

fn select_definitions(account: AccountId) -> SelectStatement {
    Query::select()
        .columns(COLUMNS)
        .from("custom_attribute_definitions")
        .and_where(Expr::col("account_id").eq(account.get()))
        .to_owned()
}

/// A new definition (display type and model as codes). `attribute_values` is a JSON array.
#[derive(Debug, Clone)]
pub struct NewDefinition {
    pub attribute_display_name: String,
    pub attribute_key: String,
    pub attribute_display_type: i16,
    pub attribute_model: i16,
    pub attribute_description: Option<String>,
    pub attribute_values: Value,
    pub regex_pattern: Option<String>,
    pub regex_cue: Option<String>,
    pub default_value: Option<String>,
}

/// Changes to a definition; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct DefinitionChanges {
    pub attribute_display_name: Option<String>,
    pub attribute_key: Option<String>,
    pub attribute_display_type: Option<i16>,
    pub attribute_model: Option<i16>,
    pub attribute_description: Option<Option<String>>,
    pub attribute_values: Option<Value>,
    pub regex_pattern: Option<Option<String>>,
    pub regex_cue: Option<Option<String>>,
    pub default_value: Option<Option<String>>,
}

/// Inserts a definition. `StoreError::UniqueViolation` when the account already defines the key
/// for that model.
pub async fn insert_definition(
    c: &mut Conn<'_>,
    account: AccountId,
    n: &NewDefinition,
    now: Timestamp,
) -> Result<CustomAttributeDefinitionId, StoreError> {
    let mut stmt = insert_into(
        "custom_attribute_definitions",
        vec![
            ("account_id", account.get().into()),
            (
                "attribute_display_name",
                n.attribute_display_name.clone().into(),
            ),
            ("attribute_key", n.attribute_key.clone().into()),
            ("attribute_display_type", n.attribute_display_type.into()),
            ("attribute_model", n.attribute_model.into()),
            (
                "attribute_description",
                n.attribute_description.clone().into(),
            ),
            ("attribute_values", json(&n.attribute_values)),
            ("regex_pattern", n.regex_pattern.clone().into()),
            ("regex_cue", n.regex_cue.clone().into()),
            ("default_value", n.default_value.clone().into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    Ok(CustomAttributeDefinitionId(
        c.insert_returning_id(&mut stmt).await?,
    ))
}

/// A definition of an account; `None` when it does not exist there.
pub async fn find_definition(
    c: &mut Conn<'_>,
    account: AccountId,
    id: CustomAttributeDefinitionId,
) -> Result<Option<CustomAttributeDefinition>, StoreError> {
    let stmt = select_definitions(account)
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// The definition of `key` for a model of an account.
pub async fn find_definition_by_key(
    c: &mut Conn<'_>,
    account: AccountId,
    model: i16,
    key: &str,
) -> Result<Option<CustomAttributeDefinition>, StoreError> {
    let stmt = select_definitions(account)
        .and_where(Expr::col("attribute_model").eq(model))
        .and_where(Expr::col("attribute_key").eq(key))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// The definitions of one model (`0` conversation, `1` contact) of an account, oldest first.
pub async fn list_definitions(
    c: &mut Conn<'_>,
    account: AccountId,
    model: i16,
) -> Result<Vec<CustomAttributeDefinition>, StoreError> {
    let stmt = select_definitions(account)
        .and_where(Expr::col("attribute_model").eq(model))
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Every definition of an account, whatever its model, oldest first.
pub async fn list_all_definitions(
    c: &mut Conn<'_>,
    account: AccountId,
) -> Result<Vec<CustomAttributeDefinition>, StoreError> {
    let stmt = select_definitions(account)
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Updates a definition. `StoreError::UniqueViolation` when the key is taken for the model.
pub async fn update_definition(
    c: &mut Conn<'_>,
    id: CustomAttributeDefinitionId,
    ch: &DefinitionChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("attribute_display_name", ch.attribute_display_name.clone())
        .opt("attribute_key", ch.attribute_key.clone())
        .opt("attribute_display_type", ch.attribute_display_type)
        .opt("attribute_model", ch.attribute_model)
        .opt("attribute_description", ch.attribute_description.clone())
        .opt_json("attribute_values", ch.attribute_values.as_ref())
        .opt("regex_pattern", ch.regex_pattern.clone())
        .opt("regex_cue", ch.regex_cue.clone())
        .opt("default_value", ch.default_value.clone());
    c.execute(&changes.update("custom_attribute_definitions", id.get(), now))
        .await?;
    Ok(())
}

pub async fn delete_definition(
    c: &mut Conn<'_>,
    id: CustomAttributeDefinitionId,
) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("custom_attribute_definitions")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}
