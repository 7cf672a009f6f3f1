//! Account labels.

use confab_domain::team::{Label, is_valid_label_title};
use confab_domain::{LabelId, ValidationErrors};
use confab_store::labels::{self, LabelChanges, NewLabel};
use confab_store::{Conn, StoreError};

use crate::error::{AppError, AppResult};
use crate::{App, Scope};

/// The colour of a label created without one.
pub const DEFAULT_LABEL_COLOR: &str = "#1f93ff";

/// Fields of a label for create (`title` required) and update. `Some(None)` clears the
/// description.
#[derive(Debug, Clone, Default)]
pub struct LabelInput {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub color: Option<String>,
    pub show_on_sidebar: Option<bool>,
}

/// Titles are stored lower-cased and may hold only letters, digits, `-` and `_`.
fn clean_title(input: &LabelInput, creating: bool) -> AppResult<Option<String>> {
    let title = input.title.as_ref().map(|t| t.trim().to_lowercase());
    let mut errors = ValidationErrors::new();
    match title.as_deref() {
        None if creating => errors.add("title", "must not be blank"),
        Some("") => errors.add("title", "must not be blank"),
        Some(t) if !is_valid_label_title(t) => errors.add("title", "is invalid"),
        Some(t) if t.chars().count() > 255 => {
            errors.add("title", "is too long (maximum is 255 characters)");
        }
        _ => {}
    }
    errors.into_result()?;
    Ok(title)
}

fn title_taken() -> AppError {
    AppError::invalid("title", "has already been taken")
}

async fn check_title_free(
    c: &mut Conn<'_>,
    scope: &Scope,
    title: &str,
    me: Option<LabelId>,
) -> AppResult<()> {
    match labels::find_label_by_title(c, scope.account_id(), title).await? {
        Some(other) if Some(other.id) != me => Err(title_taken()),
        _ => Ok(()),
    }
}

impl App {
    async fn account_label(&self, scope: &Scope, id: LabelId) -> AppResult<Label> {
        labels::find_label(&mut self.store().conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Every label of the account, by title (agents and administrators alike).
    pub async fn list_labels(&self, scope: &Scope) -> AppResult<Vec<Label>> {
        scope.require_user()?;
        Ok(labels::list_labels(&mut self.store().conn(), scope.account_id()).await?)
    }

    /// One label. Upstream's policy lets only administrators `show` a label, though agents may
    /// list them all; Confab keeps that rule.
    pub async fn get_label(&self, scope: &Scope, id: LabelId) -> AppResult<Label> {
        let label = self.account_label(scope, id).await?;
        scope.require_admin()?;
        Ok(label)
    }

    /// Creates a label (administrators only).
    pub async fn create_label(&self, scope: &Scope, input: &LabelInput) -> AppResult<Label> {
        scope.require_admin()?;
        let title = clean_title(input, true)?.unwrap_or_default();
        let mut tx = self.store().begin().await?;
        check_title_free(&mut tx.conn(), scope, &title, None).await?;
        let new = NewLabel {
            title,
            description: input.description.clone().flatten(),
            color: input
                .color
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .unwrap_or(DEFAULT_LABEL_COLOR)
                .to_owned(),
            show_on_sidebar: input.show_on_sidebar.unwrap_or(false),
        };
        let id = match labels::insert_label(&mut tx.conn(), scope.account_id(), &new, self.now())
            .await
        {
            Err(StoreError::UniqueViolation) => return Err(title_taken()),
            other => other?,
        };
        let label = labels::find_label(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(label)
    }

    /// Updates a label (administrators only). Upstream silently keeps an invalid update and
    /// answers 200; Confab answers 422 and changes nothing.
    pub async fn update_label(
        &self,
        scope: &Scope,
        id: LabelId,
        input: &LabelInput,
    ) -> AppResult<Label> {
        self.account_label(scope, id).await?;
        scope.require_admin()?;
        let title = clean_title(input, false)?;
        let mut tx = self.store().begin().await?;
        if let Some(t) = &title {
            check_title_free(&mut tx.conn(), scope, t, Some(id)).await?;
        }
        let ch = LabelChanges {
            title,
            description: input.description.clone(),
            color: input
                .color
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            show_on_sidebar: input.show_on_sidebar,
        };
        match labels::update_label(&mut tx.conn(), id, &ch, self.now()).await {
            Err(StoreError::UniqueViolation) => return Err(title_taken()),
            other => other?,
        }
        let label = labels::find_label(&mut tx.conn(), scope.account_id(), id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(label)
    }

    /// Deletes a label (administrators only). Conversations keep their tags, as upstream.
    pub async fn delete_label(&self, scope: &Scope, id: LabelId) -> AppResult<()> {
        self.account_label(scope, id).await?;
        scope.require_admin()?;
        let mut tx = self.store().begin().await?;
        labels::delete_label(&mut tx.conn(), id).await?;
        tx.commit().await?;
        Ok(())
    }
}
