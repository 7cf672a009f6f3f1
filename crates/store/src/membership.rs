//! User membership tables (`inbox_members`, `team_members`): one implementation for both.

use confab_domain::{Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Order, Query};

use crate::db::insert_into;
use crate::{Conn, StoreError};

/// A table of (parent, user) rows with a unique pair.
pub(crate) struct Membership {
    pub table: &'static str,
    pub parent: &'static str,
}

impl Membership {
    /// The user ids of a parent's members, ascending.
    pub async fn member_ids(
        &self,
        c: &mut Conn<'_>,
        parent: i64,
    ) -> Result<Vec<UserId>, StoreError> {
        #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
        struct MemberRow {
            user_id: i64,
        }
        let stmt = Query::select()
            .column("user_id")
            .from(self.table)
            .and_where(Expr::col(self.parent).eq(parent))
            .order_by("user_id", Order::Asc)
            .to_owned();
        Ok(c.fetch_all::<MemberRow>(&stmt)
            .await?
            .into_iter()
            .map(|r| UserId(r.user_id))
            .collect())
    }

    /// Adds members (ignoring those already there).
    pub async fn add(
        &self,
        c: &mut Conn<'_>,
        parent: i64,
        users: &[UserId],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        for u in users {
            let mut stmt = insert_into(
                self.table,
                vec![
                    (self.parent, parent.into()),
                    ("user_id", u.get().into()),
                    ("created_at", now.as_micros().into()),
                ],
            )?;
            stmt.on_conflict(
                sea_query::OnConflict::columns([self.parent, "user_id"])
                    .do_nothing()
                    .to_owned(),
            );
            c.execute(&stmt).await?;
        }
        Ok(())
    }

    /// Removes members (ignoring those who are not members).
    pub async fn remove(
        &self,
        c: &mut Conn<'_>,
        parent: i64,
        users: &[UserId],
    ) -> Result<(), StoreError> {
        if users.is_empty() {
            return Ok(());
        }
        let stmt = Query::delete()
            .from_table(self.table)
            .and_where(Expr::col(self.parent).eq(parent))
            .and_where(Expr::col("user_id").is_in(users.iter().map(|u| u.get())))
            .to_owned();
        c.execute(&stmt).await?;
        Ok(())
    }

    /// Whether a user is a member.
    pub async fn contains(
        &self,
        c: &mut Conn<'_>,
        parent: i64,
        user: UserId,
    ) -> Result<bool, StoreError> {
        let stmt = Query::select()
            .expr(Expr::val(1i64))
            .from(self.table)
            .and_where(Expr::col(self.parent).eq(parent))
            .and_where(Expr::col("user_id").eq(user.get()))
            .to_owned();
        Ok(c.fetch_scalar::<i64>(&stmt).await?.is_some())
    }
}
