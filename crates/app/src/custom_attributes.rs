//! Custom attribute definitions: the account's own fields on conversations and contacts.

use std::collections::HashMap;

use confab_domain::filter::DataType;
use confab_domain::team::{
    ATTRIBUTE_MODELS, CustomAttributeDefinition, DISPLAY_TYPES, display_type_filter_kind,
    enum_code, is_reserved_attribute_key, is_valid_attribute_key,
};
use confab_domain::{AccountId, CustomAttributeDefinitionId, ValidationErrors};
use confab_store::custom_attributes::{self, DefinitionChanges, NewDefinition};
use confab_store::{Conn, StoreError};
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::{App, Scope};

/// Upstream's text for a key that names a standard attribute.
pub const KEY_CONFLICT: &str =
    "The provided key is not allowed as it might conflict with default attributes.";
/// Upstream's text for a key with characters outside letters, digits, `_`, `.` and `-`.
pub const KEY_FORMAT: &str = "must only contain letters, numbers, underscores, hyphens, and dots";

/// Fields of a definition for create and update. Enums are sent by name or by code;
/// `Some(None)` clears an optional text.
#[derive(Debug, Clone, Default)]
pub struct DefinitionInput {
    pub attribute_display_name: Option<String>,
    pub attribute_key: Option<String>,
    pub attribute_display_type: Option<String>,
    pub attribute_model: Option<String>,
    pub attribute_description: Option<Option<String>>,
    pub attribute_values: Option<Value>,
    pub regex_pattern: Option<Option<String>>,
    pub regex_cue: Option<Option<String>>,
    pub default_value: Option<Option<String>>,
}

/// The input, checked field by field.
struct Clean {
    display_name: Option<String>,
    key: Option<String>,
    display_type: Option<i16>,
    model: Option<i16>,
    values: Option<Value>,
}

fn clean(input: &DefinitionInput, creating: bool) -> Result<Clean, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let display_name = input
        .attribute_display_name
        .as_ref()
        .map(|n| n.trim().to_owned());
    if (creating && display_name.is_none()) || display_name.as_deref() == Some("") {
        errors.add("attribute_display_name", "can't be blank");
    }
    let key = input.attribute_key.as_ref().map(|k| k.trim().to_owned());
    match key.as_deref() {
        None if creating => errors.add("attribute_key", "can't be blank"),
        Some("") => errors.add("attribute_key", "can't be blank"),
        Some(k) if !is_valid_attribute_key(k) => errors.add("attribute_key", KEY_FORMAT),
        _ => {}
    }
    let mut parse = |field: &str, names: &[&str], sent: &Option<String>| {
        sent.as_deref().and_then(|s| {
            let code = enum_code(names, s);
            if code.is_none() {
                errors.add(field, "is not included in the list");
            }
            code
        })
    };
    let display_type = parse(
        "attribute_display_type",
        &DISPLAY_TYPES,
        &input.attribute_display_type,
    );
    let model = parse("attribute_model", &ATTRIBUTE_MODELS, &input.attribute_model);
    let values = match &input.attribute_values {
        None => None,
        Some(Value::Array(items)) if items.iter().all(|v| !v.is_array() && !v.is_object()) => {
            Some(Value::Array(items.clone()))
        }
        Some(_) => {
            errors.add("attribute_values", "must be a list");
            None
        }
    };
    errors.into_result()?;
    Ok(Clean {
        display_name,
        key,
        display_type,
        model,
        values,
    })
}

fn key_taken() -> AppError {
    AppError::invalid("attribute_key", "has already been taken")
}

async fn check_key_free(
    c: &mut Conn<'_>,
    account: AccountId,
    model: i16,
    key: &str,
    me: Option<CustomAttributeDefinitionId>,
) -> AppResult<()> {
    match custom_attributes::find_definition_by_key(c, account, model, key).await? {
        Some(other) if Some(other.id) != me => Err(key_taken()),
        _ => Ok(()),
    }
}

/// How `attribute_model` narrows a listing.
fn model_filter(sent: Option<&str>) -> Option<Option<i16>> {
    sent.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| enum_code(&ATTRIBUTE_MODELS, s))
}

impl App {
    async fn account_definition(
        &self,
        scope: &Scope,
        id: CustomAttributeDefinitionId,
    ) -> AppResult<CustomAttributeDefinition> {
        custom_attributes::find_definition(&mut self.store().conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// The definitions of the account, oldest first. `attribute_model` (a name or a code)
    /// narrows them to one model; absent or blank lists every model, as upstream's scope does;
    /// an unknown model lists nothing.
    pub async fn list_custom_attribute_definitions(
        &self,
        scope: &Scope,
        attribute_model: Option<&str>,
    ) -> AppResult<Vec<CustomAttributeDefinition>> {
        scope.require_user()?;
        let mut c = self.store().conn();
        Ok(match model_filter(attribute_model) {
            None => custom_attributes::list_all_definitions(&mut c, scope.account_id()).await?,
            Some(Some(model)) => {
                custom_attributes::list_definitions(&mut c, scope.account_id(), model).await?
            }
            Some(None) => Vec::new(),
        })
    }

    pub async fn get_custom_attribute_definition(
        &self,
        scope: &Scope,
        id: CustomAttributeDefinitionId,
    ) -> AppResult<CustomAttributeDefinition> {
        scope.require_user()?;
        self.account_definition(scope, id).await
    }

    /// Creates a definition (any member, as upstream). The key is unique per account and model and
    /// may not name a standard attribute of the model.
    pub async fn create_custom_attribute_definition(
        &self,
        scope: &Scope,
        input: &DefinitionInput,
    ) -> AppResult<CustomAttributeDefinition> {
        scope.require_user()?;
        let cl = clean(input, true)?;
        let key = cl.key.unwrap_or_default();
        let model = cl.model.unwrap_or(0);
        if is_reserved_attribute_key(model, &key) {
            return Err(AppError::invalid("attribute_key", KEY_CONFLICT));
        }
        let mut tx = self.store().begin().await?;
        check_key_free(&mut tx.conn(), scope.account_id(), model, &key, None).await?;
        let new = NewDefinition {
            attribute_display_name: cl.display_name.unwrap_or_default(),
            attribute_key: key,
            attribute_display_type: cl.display_type.unwrap_or(0),
            attribute_model: model,
            attribute_description: input.attribute_description.clone().flatten(),
            attribute_values: cl.values.unwrap_or_else(|| Value::Array(Vec::new())),
            regex_pattern: input.regex_pattern.clone().flatten(),
            regex_cue: input.regex_cue.clone().flatten(),
            default_value: input.default_value.clone().flatten(),
        };
        let id = match custom_attributes::insert_definition(
            &mut tx.conn(),
            scope.account_id(),
            &new,
            self.now(),
        )
        .await
        {
            Err(StoreError::UniqueViolation) => return Err(key_taken()),
            other => other?,
        };
        let def = custom_attributes::find_definition(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(def)
    }

    /// Updates a definition (any member). As upstream, the standard-key rule applies
    /// on create only; uniqueness always.
    pub async fn update_custom_attribute_definition(
        &self,
        scope: &Scope,
        id: CustomAttributeDefinitionId,
        input: &DefinitionInput,
    ) -> AppResult<CustomAttributeDefinition> {
        let current = self.account_definition(scope, id).await?;
        scope.require_user()?;
        let cl = clean(input, false)?;
        let mut tx = self.store().begin().await?;
        if cl.key.is_some() || cl.model.is_some() {
            let key = cl.key.as_deref().unwrap_or(&current.attribute_key);
            let model = cl.model.unwrap_or(current.attribute_model);
            check_key_free(&mut tx.conn(), scope.account_id(), model, key, Some(id)).await?;
        }
        let ch = DefinitionChanges {
            attribute_display_name: cl.display_name,
            attribute_key: cl.key,
            attribute_display_type: cl.display_type,
            attribute_model: cl.model,
            attribute_description: input.attribute_description.clone(),
            attribute_values: cl.values,
            regex_pattern: input.regex_pattern.clone(),
            regex_cue: input.regex_cue.clone(),
            default_value: input.default_value.clone(),
        };
        match custom_attributes::update_definition(&mut tx.conn(), id, &ch, self.now()).await {
            Err(StoreError::UniqueViolation) => return Err(key_taken()),
            other => other?,
        }
        let def = custom_attributes::find_definition(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(def)
    }

    /// Deletes a definition (any member). Values already stored on conversations and
    /// contacts stay, as upstream.
    pub async fn delete_custom_attribute_definition(
        &self,
        scope: &Scope,
        id: CustomAttributeDefinitionId,
    ) -> AppResult<()> {
        self.account_definition(scope, id).await?;
        scope.require_user()?;
        let mut tx = self.store().begin().await?;
        custom_attributes::delete_definition(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The filter data type of every custom attribute key the account defines for a model
    /// (`0` conversation, `1` contact), for resolving custom keys in the filter DSL.
    pub async fn custom_attribute_kinds(
        &self,
        account: AccountId,
        model: i16,
    ) -> AppResult<HashMap<String, DataType>> {
        Ok(
            custom_attributes::list_definitions(&mut self.store().conn(), account, model)
                .await?
                .into_iter()
                .map(|d| {
                    (
                        d.attribute_key,
                        display_type_filter_kind(d.attribute_display_type),
                    )
                })
                .collect(),
        )
    }
}
