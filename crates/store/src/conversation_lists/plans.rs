//! The query plans SQLite chooses for the lists an agent keeps open: on a new install, which
//! has no statistics (the server never runs `ANALYZE` on its own; the seed does), and after an
//! upgrade of a database that has them. SQLite only, on either pass of the suite.

use confab_domain::conversation::{AssigneeFilter, ConversationStatus, StatusFilter};
use confab_domain::{AccountId, Timestamp, UserId};
use sea_query::SqliteQueryBuilder;

use super::{ConversationQuery, page_statement};
use crate::Conn;
use crate::testing::TestDb;

/// One step of SQLite's `EXPLAIN QUERY PLAN`.
#[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
struct PlanStep {
    detail: String,
}

/// The steps SQLite plans for `sql` with `values` bound, on a reader of the store (set up as
/// the server's are: plans that do not look at bound values).
fn plan_of(conn: &Conn<'_>, sql: &str, values: &sea_query::Values) -> Vec<String> {
    let Conn::SqlitePool(db, _) = conn else {
        unreachable!("TestDb::sqlite opens SQLite");
    };
    let explain = format!("EXPLAIN QUERY PLAN {sql}");
    db.read(|c| crate::sqlite::fetch_all::<PlanStep>(c, &explain, values))
        .unwrap()
        .into_iter()
        .map(|step| step.detail)
        .collect()
}

/// The plan of the page of open conversations `assignee` selects, as the store writes it.
fn open_page_plan(conn: &Conn<'_>, assignee: AssigneeFilter) -> Vec<String> {
    let q = ConversationQuery {
        status: Some(StatusFilter::One(ConversationStatus::Open)),
        assignee,
        me: Some(UserId(7)),
        page: 2,
        per_page: 25,
        ..Default::default()
    };
    let stmt = page_statement(conn, AccountId(1), &q, Timestamp::from_unix_seconds(0));
    let (sql, values) = stmt.build(SqliteQueryBuilder);
    plan_of(conn, &sql, &values)
}

/// Asserts that `plan` reads the page through `index`, in its order: a sort step would order
/// every matching conversation before the page is cut.
fn assert_read_in_order_from(plan: &[String], index: &str, context: &str) {
    assert!(
        plan.iter()
            .any(|step| step.contains(&format!("USING INDEX {index}"))),
        "{context}: {plan:?}"
    );
    assert!(
        !plan.iter().any(|step| step.contains("TEMP B-TREE")),
        "{context}: {plan:?}"
    );
}

#[tokio::test]
async fn mine_and_unassigned_pages_are_read_in_order_from_the_assignee_index() {
    let db = TestDb::sqlite().await.unwrap();
    db.store.migrate().await.unwrap();
    let conn = db.store.conn();
    for assignee in [AssigneeFilter::Me, AssigneeFilter::Unassigned] {
        let plan = open_page_plan(&conn, assignee);
        assert_read_in_order_from(
            &plan,
            "conversations_assignee_idx",
            &format!("{assignee:?}"),
        );
    }
}

#[tokio::test]
async fn a_teams_conversations_are_found_through_the_partial_team_index() {
    let db = TestDb::sqlite().await.unwrap();
    db.store.migrate().await.unwrap();
    let conn = db.store.conn();
    // What the foreign key's ON DELETE SET NULL runs when a team is deleted. The index holds
    // only conversations with a team; `team_id = ?` implies that, so SQLite may use it.
    let plan = plan_of(
        &conn,
        "UPDATE conversations SET team_id = NULL WHERE team_id = ?",
        &sea_query::Values(vec![3i64.into()]),
    );
    assert!(
        plan.iter()
            .any(|step| step.contains("INDEX conversations_team_idx (team_id=?)")),
        "{plan:?}"
    );
}

/// A database that had statistics when 0016 replaced two indexes: without statistics for the
/// new ones beside the old ones' (SQLite drops an index's with it), SQLite took the new assignee
/// index for the default list of open conversations and sorted every open conversation (66-100
/// ms a page at 1M, against 1 ms) instead of reading its page in order.
#[tokio::test]
async fn the_default_list_is_read_in_order_after_the_index_upgrade_of_an_analyzed_database() {
    let db = TestDb::sqlite_before("0016").await.unwrap();
    let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    // 20,000 conversations mixed as the seed mixes them (18% open, three quarters assigned
    // among 34 agents, 30% with one of three teams), analysed as the seed leaves them.
    sqlx::raw_sql(
        "PRAGMA foreign_keys = OFF; \
         WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 20000) \
         INSERT INTO conversations (account_id, display_id, uuid, inbox_id, contact_id, status, \
             assignee_id, team_id, last_activity_at, created_at, updated_at) \
         SELECT 1, x, 'u' || x, 1 + x % 3, x, \
             CASE WHEN x % 100 < 18 THEN 0 WHEN x % 100 < 93 THEN 1 \
                  WHEN x % 100 < 97 THEN 2 ELSE 3 END, \
             CASE WHEN x % 4 = 0 THEN NULL ELSE 1 + x % 34 END, \
             CASE WHEN x % 10 < 3 THEN 1 + x % 3 END, \
             x * 1000, x * 1000, x * 1000 FROM n; \
         ANALYZE;",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::Connection::close(conn).await.unwrap();
    db.store.migrate().await.unwrap();
    let plan = open_page_plan(&db.store.conn(), AssigneeFilter::All);
    assert_read_in_order_from(&plan, "conversations_list_idx", "open, every assignee");
}
