//! Platform apps, the records they own, and installation-wide settings.

use confab_domain::platform::{Permissible, PlatformApp};
use confab_domain::{PlatformAppId, Timestamp};
use sea_query::{Expr, ExprTrait, Order, Query};

use crate::db::insert_into;
use crate::{Conn, StoreError};

pub async fn insert_platform_app(
    c: &mut Conn<'_>,
    name: &str,
    now: Timestamp,
) -> Result<PlatformAppId, StoreError> {
    let mut stmt = insert_into(
        "platform_apps",
        vec![
            ("name", name.into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    Ok(PlatformAppId(c.insert_returning_id(&mut stmt).await?))
}

pub async fn get_platform_app(
    c: &mut Conn<'_>,
    id: PlatformAppId,
) -> Result<PlatformApp, StoreError> {
    let stmt = Query::select()
        .columns(["id", "name", "created_at", "updated_at"])
        .from("platform_apps")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_one(&stmt).await
}

/// Records that a platform app created (and so may manage) a record.
pub async fn add_permissible(
    c: &mut Conn<'_>,
    app: PlatformAppId,
    kind: Permissible,
    id: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut stmt = insert_into(
        "platform_app_permissibles",
        vec![
            ("platform_app_id", app.get().into()),
            ("permissible_type", kind.type_name().into()),
            ("permissible_id", id.into()),
            ("created_at", now.as_micros().into()),
        ],
    )?;
    stmt.on_conflict(
        sea_query::OnConflict::columns(["permissible_type", "permissible_id", "platform_app_id"])
            .do_nothing()
            .to_owned(),
    );
    c.execute(&stmt).await?;
    Ok(())
}

/// Whether a platform app may manage a record.
pub async fn is_permitted(
    c: &mut Conn<'_>,
    app: PlatformAppId,
    kind: Permissible,
    id: i64,
) -> Result<bool, StoreError> {
    let stmt = Query::select()
        .expr(Expr::val(1i64))
        .from("platform_app_permissibles")
        .and_where(Expr::col("platform_app_id").eq(app.get()))
        .and_where(Expr::col("permissible_type").eq(kind.type_name()))
        .and_where(Expr::col("permissible_id").eq(id))
        .to_owned();
    Ok(c.fetch_scalar::<i64>(&stmt).await?.is_some())
}

/// The ids of records of one kind a platform app owns, ascending.
pub async fn list_permitted_ids(
    c: &mut Conn<'_>,
    app: PlatformAppId,
    kind: Permissible,
) -> Result<Vec<i64>, StoreError> {
    let stmt = Query::select()
        .column("permissible_id")
        .from("platform_app_permissibles")
        .and_where(Expr::col("platform_app_id").eq(app.get()))
        .and_where(Expr::col("permissible_type").eq(kind.type_name()))
        .order_by("permissible_id", Order::Asc)
        .to_owned();
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct IdRow {
        permissible_id: i64,
    }
    Ok(c.fetch_all::<IdRow>(&stmt)
        .await?
        .into_iter()
        .map(|r| r.permissible_id)
        .collect())
}

/// Forgets a deleted record in every platform app.
pub async fn remove_permissible(
    c: &mut Conn<'_>,
    kind: Permissible,
    id: i64,
) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("platform_app_permissibles")
        .and_where(Expr::col("permissible_type").eq(kind.type_name()))
        .and_where(Expr::col("permissible_id").eq(id))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// Reads an installation-wide setting.
pub async fn get_config(c: &mut Conn<'_>, name: &str) -> Result<Option<String>, StoreError> {
    let stmt = Query::select()
        .column("value")
        .from("installation_config")
        .and_where(Expr::col("name").eq(name))
        .to_owned();
    c.fetch_scalar::<String>(&stmt).await
}

/// Writes an installation-wide setting once; returns false if it was already set.
pub async fn set_config_once(
    c: &mut Conn<'_>,
    name: &str,
    value: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let mut stmt = insert_into(
        "installation_config",
        vec![
            ("name", name.into()),
            ("value", value.into()),
            ("created_at", now.as_micros().into()),
        ],
    )?;
    stmt.on_conflict(
        sea_query::OnConflict::column("name")
            .do_nothing()
            .to_owned(),
    );
    Ok(c.execute(&stmt).await? > 0)
}
