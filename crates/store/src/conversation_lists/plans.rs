//! The query plans SQLite chooses for the lists an agent keeps open, on a database without
//! statistics (a new install, before `PRAGMA optimize` has anything to say).

use confab_domain::conversation::{AssigneeFilter, ConversationStatus, StatusFilter};
use confab_domain::{AccountId, Timestamp, UserId};
use sea_query::SqliteQueryBuilder;

use super::{ConversationQuery, page_statement};
use crate::testing::TestDb;
use crate::{Conn, StoreError};

/// The details of SQLite's `EXPLAIN QUERY PLAN` for `sql`, one line per step.
fn plan_of(conn: &Conn<'_>, sql: &str) -> Vec<String> {
    let Conn::SqlitePool(db, _) = conn else {
        unreachable!("TestDb::sqlite opens SQLite");
    };
    db.read(|c| {
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(3))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
    .map_err(|e: StoreError| e.to_string())
    .unwrap_or_else(|e| unreachable!("EXPLAIN failed: {e}"))
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
    plan_of(conn, &stmt.to_string(SqliteQueryBuilder))
}

#[tokio::test]
async fn mine_and_unassigned_pages_are_read_in_order_from_the_assignee_index() {
    let db = TestDb::sqlite().await.unwrap();
    db.store.migrate().await.unwrap();
    let conn = db.store.conn();
    for assignee in [AssigneeFilter::Me, AssigneeFilter::Unassigned] {
        let plan = open_page_plan(&conn, assignee);
        assert!(
            plan.iter()
                .any(|step| step.contains("USING INDEX conversations_assignee_idx")),
            "{assignee:?}: {plan:?}"
        );
        // A sort step would order every conversation of the agent before the page is cut.
        assert!(
            !plan.iter().any(|step| step.contains("TEMP B-TREE")),
            "{assignee:?}: {plan:?}"
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
        "UPDATE conversations SET team_id = NULL WHERE team_id = 3",
    );
    assert!(
        plan.iter()
            .any(|step| step.contains("INDEX conversations_team_idx (team_id=?)")),
        "{plan:?}"
    );
}
