//! Accounts and account users.

use confab_domain::account::{Account, AccountUser};
use confab_domain::user::User;
use confab_domain::{AccountId, AccountStatus, Availability, Role, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Order, Query};
use serde_json::Value;

use crate::db::{Changes, insert_into, json};
use crate::{Conn, StoreError};

const ACCOUNT_COLUMNS: [&str; 13] = [
    "id",
    "name",
    "locale",
    "domain",
    "support_email",
    "status",
    "features",
    "limits",
    "custom_attributes",
    "settings",
    "auto_resolve_duration",
    "created_at",
    "updated_at",
];

/// A new account's fields.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub locale: String,
    pub domain: Option<String>,
    pub support_email: Option<String>,
    pub status: AccountStatus,
    pub features: Value,
    pub limits: Value,
    pub custom_attributes: Value,
}

/// Changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub name: Option<String>,
    pub locale: Option<String>,
    pub domain: Option<Option<String>>,
    pub support_email: Option<Option<String>>,
    pub status: Option<AccountStatus>,
    pub features: Option<Value>,
    pub limits: Option<Value>,
    pub custom_attributes: Option<Value>,
    pub settings: Option<Value>,
    pub auto_resolve_duration: Option<Option<i64>>,
}

pub async fn insert_account(
    c: &mut Conn<'_>,
    a: &NewAccount,
    now: Timestamp,
) -> Result<AccountId, StoreError> {
    let mut stmt = insert_into(
        "accounts",
        vec![
            ("name", a.name.clone().into()),
            ("locale", a.locale.clone().into()),
            ("domain", a.domain.clone().into()),
            ("support_email", a.support_email.clone().into()),
            ("status", a.status.code().into()),
            ("features", json(&a.features)),
            ("limits", json(&a.limits)),
            ("custom_attributes", json(&a.custom_attributes)),
            ("settings", json(&Value::Object(Default::default()))),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    Ok(AccountId(c.insert_returning_id(&mut stmt).await?))
}

pub async fn find_account(c: &mut Conn<'_>, id: AccountId) -> Result<Option<Account>, StoreError> {
    let stmt = Query::select()
        .columns(ACCOUNT_COLUMNS)
        .from("accounts")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

pub async fn get_account(c: &mut Conn<'_>, id: AccountId) -> Result<Account, StoreError> {
    find_account(c, id).await?.ok_or(StoreError::NotFound)
}

/// Accounts with the given ids, by id.
pub async fn list_accounts_by_ids(
    c: &mut Conn<'_>,
    ids: &[i64],
) -> Result<Vec<Account>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(ACCOUNT_COLUMNS)
        .from("accounts")
        .and_where(Expr::col("id").is_in(ids.iter().copied()))
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

pub async fn update_account(
    c: &mut Conn<'_>,
    id: AccountId,
    ch: &AccountChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("name", ch.name.clone())
        .opt("locale", ch.locale.clone())
        .opt("domain", ch.domain.clone())
        .opt("support_email", ch.support_email.clone())
        .opt("status", ch.status.map(AccountStatus::code))
        .opt_json("features", ch.features.as_ref())
        .opt_json("limits", ch.limits.as_ref())
        .opt_json("custom_attributes", ch.custom_attributes.as_ref())
        .opt_json("settings", ch.settings.as_ref())
        .opt("auto_resolve_duration", ch.auto_resolve_duration);
    let n = c
        .execute(&changes.update("accounts", id.get(), now))
        .await?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Deletes an account and, through foreign keys, everything it owns.
pub async fn delete_account(c: &mut Conn<'_>, id: AccountId) -> Result<(), StoreError> {
    let stmt = Query::delete()
        .from_table("accounts")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

/// A membership's own columns read beside another table's through a left join (account and
/// user are known from the join), prefixed `member_`.
#[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
struct MemberColumns {
    member_id: Option<i64>,
    member_role: Option<i16>,
    member_availability: Option<i16>,
    member_auto_offline: Option<bool>,
    member_inviter_id: Option<i64>,
    member_active_at: Option<Timestamp>,
    member_created_at: Option<Timestamp>,
    member_updated_at: Option<Timestamp>,
}

impl MemberColumns {
    fn select(stmt: &mut sea_query::SelectStatement) {
        for col in ACCOUNT_USER_COLUMNS
            .into_iter()
            .filter(|c| !matches!(*c, "account_id" | "user_id"))
        {
            stmt.expr_as(
                Expr::col(("account_users", col)),
                sea_query::Alias::new(format!("member_{col}")),
            );
        }
    }

    fn membership(self, account_id: AccountId, user_id: UserId) -> Option<AccountUser> {
        match (
            self.member_id,
            self.member_created_at,
            self.member_updated_at,
        ) {
            (Some(id), Some(created_at), Some(updated_at)) => Some(AccountUser {
                id: confab_domain::AccountUserId(id),
                account_id,
                user_id,
                role: Role::from_code(self.member_role.unwrap_or_default()),
                availability: Availability::from_code(self.member_availability.unwrap_or_default()),
                auto_offline: self.member_auto_offline.unwrap_or(true),
                inviter_id: self.member_inviter_id,
                active_at: self.member_active_at,
                created_at,
                updated_at,
            }),
            _ => None,
        }
    }
}

/// An account and, when the user is a member, the membership: what entering an account needs,
/// in one statement.
pub async fn find_account_with_membership(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
) -> Result<Option<(Account, Option<AccountUser>)>, StoreError> {
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct Joined {
        #[sqlx(flatten)]
        account: Account,
        #[sqlx(flatten)]
        member: MemberColumns,
    }
    let mut stmt = Query::select();
    for col in ACCOUNT_COLUMNS {
        stmt.column(("accounts", col));
    }
    MemberColumns::select(&mut stmt);
    stmt.from("accounts")
        .left_join(
            "account_users",
            Expr::col(("account_users", "account_id"))
                .equals(("accounts", "id"))
                .and(Expr::col(("account_users", "user_id")).eq(user.get())),
        )
        .and_where(Expr::col(("accounts", "id")).eq(account.get()));
    let Some(row) = c.fetch_optional::<Joined>(&stmt).await? else {
        return Ok(None);
    };
    Ok(Some((row.account, row.member.membership(account, user))))
}

/// Users by id, each with their membership in `account` if they have one: the assignees and
/// message senders of a page, in one statement.
pub async fn list_users_with_membership(
    c: &mut Conn<'_>,
    account: AccountId,
    ids: &[UserId],
) -> Result<Vec<(User, Option<AccountUser>)>, StoreError> {
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct Joined {
        #[sqlx(flatten)]
        user: User,
        #[sqlx(flatten)]
        member: MemberColumns,
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = Query::select();
    for col in crate::users::USER_COLUMNS {
        stmt.column(("users", col));
    }
    MemberColumns::select(&mut stmt);
    stmt.from("users")
        .left_join(
            "account_users",
            Expr::col(("account_users", "user_id"))
                .equals(("users", "id"))
                .and(Expr::col(("account_users", "account_id")).eq(account.get())),
        )
        .and_where(Expr::col(("users", "id")).is_in(ids.iter().map(|u| u.get())));
    Ok(c.fetch_all::<Joined>(&stmt)
        .await?
        .into_iter()
        .map(|r| {
            let user_id = r.user.id;
            (r.user, r.member.membership(account, user_id))
        })
        .collect())
}

const ACCOUNT_USER_COLUMNS: [&str; 10] = [
    "id",
    "account_id",
    "user_id",
    "role",
    "availability",
    "auto_offline",
    "inviter_id",
    "active_at",
    "created_at",
    "updated_at",
];

/// Adds a user to an account, or changes the role of an existing membership (upsert).
pub async fn upsert_account_user(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
    role: Role,
    inviter: Option<UserId>,
    now: Timestamp,
) -> Result<AccountUser, StoreError> {
    let mut stmt = insert_into(
        "account_users",
        vec![
            ("account_id", account.get().into()),
            ("user_id", user.get().into()),
            ("role", role.code().into()),
            ("availability", Availability::Online.code().into()),
            ("auto_offline", true.into()),
            ("inviter_id", inviter.map(UserId::get).into()),
            ("active_at", now.as_micros().into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    stmt.on_conflict(
        sea_query::OnConflict::columns(["account_id", "user_id"])
            .update_columns(["role", "updated_at"])
            .to_owned(),
    );
    c.execute(&stmt).await?;
    get_account_user(c, account, user).await
}

pub async fn find_account_user(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
) -> Result<Option<AccountUser>, StoreError> {
    let stmt = Query::select()
        .columns(ACCOUNT_USER_COLUMNS)
        .from("account_users")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("user_id").eq(user.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

pub async fn get_account_user(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
) -> Result<AccountUser, StoreError> {
    find_account_user(c, account, user)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Every membership of an account, oldest first.
pub async fn list_account_users(
    c: &mut Conn<'_>,
    account: AccountId,
) -> Result<Vec<AccountUser>, StoreError> {
    let stmt = Query::select()
        .columns(ACCOUNT_USER_COLUMNS)
        .from("account_users")
        .and_where(Expr::col("account_id").eq(account.get()))
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Every membership of a user, oldest first.
pub async fn list_user_accounts(
    c: &mut Conn<'_>,
    user: UserId,
) -> Result<Vec<AccountUser>, StoreError> {
    let stmt = Query::select()
        .columns(ACCOUNT_USER_COLUMNS)
        .from("account_users")
        .and_where(Expr::col("user_id").eq(user.get()))
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Changes to a membership.
#[derive(Debug, Clone, Default)]
pub struct AccountUserChanges {
    pub role: Option<Role>,
    pub availability: Option<Availability>,
    pub auto_offline: Option<bool>,
}

pub async fn update_account_user(
    c: &mut Conn<'_>,
    id: confab_domain::AccountUserId,
    ch: &AccountUserChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("role", ch.role.map(Role::code))
        .opt("availability", ch.availability.map(Availability::code))
        .opt("auto_offline", ch.auto_offline);
    c.execute(&changes.update("account_users", id.get(), now))
        .await?;
    Ok(())
}

/// Deletes `user`'s rows of a membership table (`inbox_members`, `team_members`) whose `parent`
/// row (`inboxes`, `teams`, by `key`) belongs to `account`.
fn leave(
    user: UserId,
    table: &'static str,
    key: &'static str,
    parent: &'static str,
    account: AccountId,
) -> sea_query::DeleteStatement {
    let parents = Query::select()
        .column("id")
        .from(parent)
        .and_where(Expr::col("account_id").eq(account.get()))
        .to_owned();
    Query::delete()
        .from_table(table)
        .and_where(Expr::col("user_id").eq(user.get()))
        .and_where(Expr::col(key).in_subquery(parents))
        .to_owned()
}

/// Removes a user from an account, as upstream does when an agent leaves: from its inboxes and
/// teams, and its conversations there lose their assignee. Returns whether a membership went.
pub async fn delete_account_user(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
) -> Result<bool, StoreError> {
    c.execute(&leave(
        user,
        "inbox_members",
        "inbox_id",
        "inboxes",
        account,
    ))
    .await?;
    c.execute(&leave(user, "team_members", "team_id", "teams", account))
        .await?;
    // As upstream: one statement, no activity messages or events (its `update_all`).
    let unassign = Query::update()
        .table("conversations")
        .value("assignee_id", Option::<i64>::None)
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("assignee_id").eq(user.get()))
        .to_owned();
    c.execute(&unassign).await?;
    let stmt = Query::delete()
        .from_table("account_users")
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("user_id").eq(user.get()))
        .to_owned();
    Ok(c.execute(&stmt).await? > 0)
}

/// The agents of an account with their memberships, ordered by lower-cased name as upstream.
pub async fn list_agents(
    c: &mut Conn<'_>,
    account: AccountId,
) -> Result<Vec<(User, AccountUser)>, StoreError> {
    let users = crate::users::USER_COLUMNS.map(|col| ("users", col));
    let stmt = Query::select()
        .columns(users)
        .from("users")
        .inner_join(
            "account_users",
            Expr::col(("account_users", "user_id")).equals(("users", "id")),
        )
        .and_where(Expr::col(("account_users", "account_id")).eq(account.get()))
        .order_by_expr(
            sea_query::Func::lower(Expr::col(("users", "name"))).into(),
            Order::Asc,
        )
        .order_by(("users", "id"), Order::Asc)
        .to_owned();
    let list: Vec<User> = c.fetch_all(&stmt).await?;
    let mut memberships: std::collections::HashMap<UserId, AccountUser> =
        list_account_users(c, account)
            .await?
            .into_iter()
            .map(|m| (m.user_id, m))
            .collect();
    Ok(list
        .into_iter()
        .filter_map(|u| memberships.remove(&u.id).map(|m| (u, m)))
        .collect())
}

/// How many users an account has (the `agents` plan limit).
pub async fn count_account_users(c: &mut Conn<'_>, account: AccountId) -> Result<i64, StoreError> {
    let stmt = Query::select()
        .expr(sea_query::Func::count(Expr::col("id")))
        .from("account_users")
        .and_where(Expr::col("account_id").eq(account.get()))
        .to_owned();
    Ok(c.fetch_scalar::<i64>(&stmt).await?.unwrap_or(0))
}

/// Memberships of some users in an account (one query for the assignees of a page).
pub async fn list_account_users_of(
    c: &mut Conn<'_>,
    account: AccountId,
    users: &[UserId],
) -> Result<Vec<AccountUser>, StoreError> {
    list_account_users_in(c, &[account], users).await
}

/// Memberships of some users in some accounts: who may hear an account's live events is
/// decided when they happen, not when the socket subscribed.
pub async fn list_account_users_in(
    c: &mut Conn<'_>,
    accounts: &[AccountId],
    users: &[UserId],
) -> Result<Vec<AccountUser>, StoreError> {
    if accounts.is_empty() || users.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(ACCOUNT_USER_COLUMNS)
        .from("account_users")
        .and_where(Expr::col("account_id").is_in(accounts.iter().map(|a| a.get())))
        .and_where(Expr::col("user_id").is_in(users.iter().map(|u| u.get())))
        .to_owned();
    c.fetch_all(&stmt).await
}
