//! Account labels.

use confab_domain::team::Label;
use confab_domain::{AccountId, LabelId, Timestamp};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};

use crate::db::{Changes, insert_into};
use crate::{Conn, StoreError};

const COLUMNS: [&str; 8] = [
    "id",
    "account_id",
    "title",
    "description",
    "color",
    "show_on_sidebar",
    "created_at",
    "updated_at",
];

fn select_labels() -> SelectStatement {
    Query::select().columns(COLUMNS).from("labels").to_owned()
}

/// A new label. `title` must already be lower-cased and valid.
#[derive(Debug, Clone)]
pub struct NewLabel {
    pub title: String,
    pub description: Option<String>,
    pub color: String,
    pub show_on_sidebar: bool,
}

/// Changes to a label; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct LabelChanges {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub color: Option<String>,
    pub show_on_sidebar: Option<bool>,
}

/// Inserts a label. `StoreError::UniqueViolation` when the account already has the title.
pub async fn insert_label(
    c: &mut Conn<'_>,
    account: AccountId,
    n: &NewLabel,
    now: Timestamp,
) -> Result<LabelId, StoreError> {
    let mut stmt = insert_into(
        "labels",
        vec![
            ("account_id", account.get().into()),
            ("title", n.title.clone().into()),
            ("description", n.description.clone().into()),
            ("color", n.color.clone().into()),
            ("show_on_sidebar", n.show_on_sidebar.into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    Ok(LabelId(c.insert_returning_id(&mut stmt).await?))
}

/// A label of an account; `None` when it does not exist there.
pub async fn find_label(
    c: &mut Conn<'_>,
    account: AccountId,
    id: LabelId,
) -> Result<Option<Label>, StoreError> {
    let stmt = select_labels()
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// A label of an account by its (lower-cased) title.
pub async fn find_label_by_title(
    c: &mut Conn<'_>,
    account: AccountId,
    title: &str,
) -> Result<Option<Label>, StoreError> {
    let stmt = select_labels()
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("title").eq(title))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// The labels of an account ordered by title, then id.
pub async fn list_labels(c: &mut Conn<'_>, account: AccountId) -> Result<Vec<Label>, StoreError> {
    let stmt = select_labels()
        .and_where(Expr::col("account_id").eq(account.get()))
        .order_by("title", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Updates a label. `StoreError::UniqueViolation` when the new title is taken in the account.
pub async fn update_label(
    c: &mut Conn<'_>,
    id: LabelId,
    ch: &LabelChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("title", ch.title.clone())
        .opt("description", ch.description.clone())
        .opt("color", ch.color.clone())
        .opt("show_on_sidebar", ch.show_on_sidebar);
    c.execute(&changes.update("labels", id.get(), now)).await?;
    Ok(())
}

pub async fn delete_label(c: &mut Conn<'_>, id: LabelId) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("labels")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}
