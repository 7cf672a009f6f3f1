//! Teams and team members.

use confab_domain::team::Team;
use confab_domain::{AccountId, TeamId, Timestamp, UserId};
use sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};

use crate::db::{Changes, insert_into};
use crate::membership::Membership;
use crate::{Conn, StoreError};

const COLUMNS: [&str; 7] = [
    "id",
    "account_id",
    "name",
    "description",
    "allow_auto_assign",
    "created_at",
    "updated_at",
];

fn select_teams() -> SelectStatement {
    Query::select().columns(COLUMNS).from("teams").to_owned()
}

/// A new team. `name` must already be normalised (trimmed, lower-cased).
#[derive(Debug, Clone)]
pub struct NewTeam {
    pub name: String,
    pub description: Option<String>,
    pub allow_auto_assign: bool,
}

/// Changes to a team; `None` leaves a field alone, `Some(None)` clears the description.
#[derive(Debug, Clone, Default)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub allow_auto_assign: Option<bool>,
}

/// Inserts a team. `StoreError::UniqueViolation` when the account already has one of that name.
pub async fn insert_team(
    c: &mut Conn<'_>,
    account: AccountId,
    n: &NewTeam,
    now: Timestamp,
) -> Result<TeamId, StoreError> {
    let mut stmt = insert_into(
        "teams",
        vec![
            ("account_id", account.get().into()),
            ("name", n.name.clone().into()),
            ("description", n.description.clone().into()),
            ("allow_auto_assign", n.allow_auto_assign.into()),
            ("created_at", now.as_micros().into()),
            ("updated_at", now.as_micros().into()),
        ],
    )?;
    Ok(TeamId(c.insert_returning_id(&mut stmt).await?))
}

/// A team of an account; `None` when it does not exist there.
pub async fn find_team(
    c: &mut Conn<'_>,
    account: AccountId,
    id: TeamId,
) -> Result<Option<Team>, StoreError> {
    let stmt = select_teams()
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// A team of an account by its (normalised) name.
pub async fn find_team_by_name(
    c: &mut Conn<'_>,
    account: AccountId,
    name: &str,
) -> Result<Option<Team>, StoreError> {
    let stmt = select_teams()
        .and_where(Expr::col("account_id").eq(account.get()))
        .and_where(Expr::col("name").eq(name))
        .to_owned();
    c.fetch_optional(&stmt).await
}

/// The teams of an account ordered by name, then id.
pub async fn list_teams(c: &mut Conn<'_>, account: AccountId) -> Result<Vec<Team>, StoreError> {
    let stmt = select_teams()
        .and_where(Expr::col("account_id").eq(account.get()))
        .order_by("name", Order::Asc)
        .order_by("id", Order::Asc)
        .to_owned();
    c.fetch_all(&stmt).await
}

/// Teams by id, each with whether `member` belongs to it (never, without a member): the teams
/// a page shows and the viewer's place in them, in one statement.
pub async fn list_teams_by_ids(
    c: &mut Conn<'_>,
    ids: &[TeamId],
    member: Option<UserId>,
) -> Result<Vec<(Team, bool)>, StoreError> {
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct Row {
        #[sqlx(flatten)]
        team: Team,
        is_member: bool,
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let is_member = match member {
        Some(user) => Expr::exists(
            Query::select()
                .expr(Expr::val(1i64))
                .from("team_members")
                .and_where(Expr::col(("team_members", "team_id")).equals(("teams", "id")))
                .and_where(Expr::col(("team_members", "user_id")).eq(user.get()))
                .to_owned(),
        ),
        None => Expr::val(false),
    };
    let stmt = select_teams()
        .expr_as(is_member, sea_query::Alias::new("is_member"))
        .and_where(Expr::col("id").is_in(ids.iter().map(|i| i.get())))
        .order_by("id", Order::Asc)
        .to_owned();
    Ok(c.fetch_all::<Row>(&stmt)
        .await?
        .into_iter()
        .map(|r| (r.team, r.is_member))
        .collect())
}

/// Updates a team. `StoreError::UniqueViolation` when the new name is taken in the account.
pub async fn update_team(
    c: &mut Conn<'_>,
    id: TeamId,
    ch: &TeamChanges,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    changes
        .opt("name", ch.name.clone())
        .opt("description", ch.description.clone())
        .opt("allow_auto_assign", ch.allow_auto_assign);
    c.execute(&changes.update("teams", id.get(), now)).await?;
    Ok(())
}

/// Deletes a team; its members go through the foreign key, conversations keep no team.
pub async fn delete_team(c: &mut Conn<'_>, id: TeamId) -> Result<(), StoreError> {
    let members = Query::delete()
        .from_table("team_members")
        .and_where(Expr::col("team_id").eq(id.get()))
        .to_owned();
    c.execute(&members).await?;
    let stmt = Query::delete()
        .from_table("teams")
        .and_where(Expr::col("id").eq(id.get()))
        .to_owned();
    c.execute(&stmt).await?;
    Ok(())
}

const TEAM_MEMBERS: Membership = Membership {
    table: "team_members",
    parent: "team_id",
};

/// The user ids of the members, ascending.
pub async fn member_ids(c: &mut Conn<'_>, team: TeamId) -> Result<Vec<UserId>, StoreError> {
    TEAM_MEMBERS.member_ids(c, team.get()).await
}

/// Adds members (ignoring those already there).
pub async fn add_members(
    c: &mut Conn<'_>,
    team: TeamId,
    users: &[UserId],
    now: Timestamp,
) -> Result<(), StoreError> {
    TEAM_MEMBERS.add(c, team.get(), users, now).await
}

/// Removes members (ignoring those who are not members).
pub async fn remove_members(
    c: &mut Conn<'_>,
    team: TeamId,
    users: &[UserId],
) -> Result<(), StoreError> {
    TEAM_MEMBERS.remove(c, team.get(), users).await
}

/// Whether a user is a member.
pub async fn is_member(c: &mut Conn<'_>, team: TeamId, user: UserId) -> Result<bool, StoreError> {
    TEAM_MEMBERS.contains(c, team.get(), user).await
}

/// The ids of the account's teams a user belongs to, ascending.
pub async fn team_ids_of_user(
    c: &mut Conn<'_>,
    account: AccountId,
    user: UserId,
) -> Result<Vec<TeamId>, StoreError> {
    #[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
    struct TeamRow {
        team_id: i64,
    }
    let stmt = Query::select()
        .column(("team_members", "team_id"))
        .from("team_members")
        .inner_join(
            "teams",
            Expr::col(("teams", "id")).equals(("team_members", "team_id")),
        )
        .and_where(Expr::col(("teams", "account_id")).eq(account.get()))
        .and_where(Expr::col(("team_members", "user_id")).eq(user.get()))
        .order_by(("team_members", "team_id"), Order::Asc)
        .to_owned();
    Ok(c.fetch_all::<TeamRow>(&stmt)
        .await?
        .into_iter()
        .map(|r| TeamId(r.team_id))
        .collect())
}
