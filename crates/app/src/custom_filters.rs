//! Saved filters ("custom views"): always private to the user who saved them.

use confab_domain::team::{CustomFilter, FILTER_TYPES, MAX_CUSTOM_FILTERS, enum_code};
use confab_domain::{CustomFilterId, ValidationErrors};
use confab_store::custom_filters::{self, CustomFilterChanges, NewCustomFilter};
use serde_json::Value;

use crate::error::{AppError, AppResult};
use crate::{App, Scope};

/// Fields of a saved filter. `filter_type` is a name or a code; `query` must be an object.
#[derive(Debug, Clone, Default)]
pub struct CustomFilterInput {
    pub name: Option<String>,
    pub filter_type: Option<String>,
    pub query: Option<Value>,
}

struct Clean {
    name: Option<String>,
    filter_type: Option<i16>,
    query: Option<Value>,
}

fn clean(input: &CustomFilterInput, creating: bool) -> Result<Clean, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let name = input.name.as_ref().map(|n| n.trim().to_owned());
    if (creating && name.is_none()) || name.as_deref() == Some("") {
        errors.add("name", "can't be blank");
    }
    if name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        errors.add("name", "is too long (maximum is 255 characters)");
    }
    let filter_type = input.filter_type.as_deref().and_then(|t| {
        let code = enum_code(&FILTER_TYPES, t);
        if code.is_none() {
            errors.add("filter_type", "is not included in the list");
        }
        code
    });
    if input.query.as_ref().is_some_and(|q| !q.is_object()) {
        errors.add("query", "must be an object");
    }
    errors.into_result()?;
    Ok(Clean {
        name,
        filter_type,
        query: input.query.clone(),
    })
}

/// Upstream's refusal of one saved filter too many (on `account_id`, so the full message reads
/// "Account Limit reached. …").
fn limit_reached() -> AppError {
    AppError::invalid(
        "account_id",
        &format!(
            "Limit reached. The maximum number of allowed custom filters for a user per account is {MAX_CUSTOM_FILTERS}."
        ),
    )
}

impl App {
    async fn own_filter(&self, scope: &Scope, id: CustomFilterId) -> AppResult<CustomFilter> {
        let user = scope.require_user()?;
        custom_filters::find_custom_filter(
            &mut self.store().conn(),
            scope.account_id(),
            user.id,
            id,
        )
        .await?
        .ok_or(AppError::NotFound)
    }

    /// The caller's saved filters of one type (a name or a code; `conversation` when absent or
    /// blank; an unknown type lists nothing), oldest first.
    pub async fn list_custom_filters(
        &self,
        scope: &Scope,
        filter_type: Option<&str>,
    ) -> AppResult<Vec<CustomFilter>> {
        let user = scope.require_user()?;
        let code = match filter_type.map(str::trim).filter(|s| !s.is_empty()) {
            None => 0,
            Some(t) => match enum_code(&FILTER_TYPES, t) {
                Some(c) => c,
                None => return Ok(Vec::new()),
            },
        };
        Ok(custom_filters::list_custom_filters(
            &mut self.store().conn(),
            scope.account_id(),
            user.id,
            code,
        )
        .await?)
    }

    /// One of the caller's saved filters; another user's is not found.
    pub async fn get_custom_filter(
        &self,
        scope: &Scope,
        id: CustomFilterId,
    ) -> AppResult<CustomFilter> {
        self.own_filter(scope, id).await
    }

    /// Saves a filter for the caller, up to [`MAX_CUSTOM_FILTERS`] per user and account.
    pub async fn create_custom_filter(
        &self,
        scope: &Scope,
        input: &CustomFilterInput,
    ) -> AppResult<CustomFilter> {
        let user = scope.require_user()?;
        let cl = clean(input, true)?;
        let mut tx = self.store().begin().await?;
        let count =
            custom_filters::count_custom_filters(&mut tx.conn(), scope.account_id(), user.id)
                .await?;
        if count >= MAX_CUSTOM_FILTERS {
            return Err(limit_reached());
        }
        let new = NewCustomFilter {
            name: cl.name.unwrap_or_default(),
            filter_type: cl.filter_type.unwrap_or(0),
            query: cl
                .query
                .unwrap_or_else(|| Value::Object(Default::default())),
        };
        let id = custom_filters::insert_custom_filter(
            &mut tx.conn(),
            scope.account_id(),
            user.id,
            &new,
            self.now(),
        )
        .await?;
        let filter =
            custom_filters::find_custom_filter(&mut tx.conn(), scope.account_id(), user.id, id)
                .await?
                .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(filter)
    }

    /// Changes one of the caller's saved filters (`query` is replaced whole).
    pub async fn update_custom_filter(
        &self,
        scope: &Scope,
        id: CustomFilterId,
        input: &CustomFilterInput,
    ) -> AppResult<CustomFilter> {
        let user = scope.require_user()?;
        self.own_filter(scope, id).await?;
        let cl = clean(input, false)?;
        let mut tx = self.store().begin().await?;
        let ch = CustomFilterChanges {
            name: cl.name,
            filter_type: cl.filter_type,
            query: cl.query,
        };
        custom_filters::update_custom_filter(&mut tx.conn(), id, &ch, self.now()).await?;
        let filter =
            custom_filters::find_custom_filter(&mut tx.conn(), scope.account_id(), user.id, id)
                .await?
                .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(filter)
    }

    /// Deletes one of the caller's saved filters.
    pub async fn delete_custom_filter(&self, scope: &Scope, id: CustomFilterId) -> AppResult<()> {
        self.own_filter(scope, id).await?;
        let mut tx = self.store().begin().await?;
        custom_filters::delete_custom_filter(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(())
    }
}
