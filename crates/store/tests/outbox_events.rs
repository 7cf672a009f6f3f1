//! The outbox's events: which are still to dispatch, and marking a batch dispatched.
#![expect(clippy::unwrap_used, reason = "helper code of tests fails loudly")]

use confab_domain::{AccountId, Timestamp};
use confab_store::events;
use confab_store::testing::TestDb;
use serde_json::json;
use sqlx::Connection as _;

fn now() -> Timestamp {
    Timestamp::from_micros(1_800_000_000_000_000)
}

async fn record(db: &TestDb, names: &[&str]) {
    let mut tx = db.store.begin().await.unwrap();
    for name in names {
        events::record(&mut tx.conn(), AccountId(1), name, None, &json!({}), now())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn pending(db: &TestDb, limit: u64) -> Vec<events::EventRow> {
    events::undispatched(&mut db.store.conn(), limit)
        .await
        .unwrap()
}

fn names(rows: &[events::EventRow]) -> Vec<&str> {
    rows.iter().map(|r| r.name.as_str()).collect()
}

async fn mark(db: &TestDb, batch: &[events::EventRow]) -> Vec<i64> {
    let ids: Vec<i64> = batch.iter().map(|e| e.id).collect();
    let mut tx = db.store.begin().await.unwrap();
    let marked = events::mark_dispatched(&mut tx.conn(), &ids, now())
        .await
        .unwrap();
    tx.commit_quiet().await.unwrap();
    marked
}

#[tokio::test]
async fn a_dispatched_batch_is_not_read_again_and_the_events_after_it_are_the_next_batch() {
    let db = TestDb::new().await.unwrap();
    record(&db, &["a", "b"]).await;
    record(&db, &["c"]).await;

    let first = pending(&db, 2).await;
    assert_eq!(names(&first), ["a", "b"]);
    let ids: Vec<i64> = first.iter().map(|e| e.id).collect();
    assert_eq!(mark(&db, &first).await, ids);

    record(&db, &["d"]).await;
    let second = pending(&db, 10).await;
    assert_eq!(names(&second), ["c", "d"]);
    assert_eq!(mark(&db, &second).await.len(), 2);
    assert!(pending(&db, 10).await.is_empty());
}

#[tokio::test]
async fn a_dispatcher_that_read_a_batch_another_already_dispatched_marks_nothing() {
    let db = TestDb::new().await.unwrap();
    record(&db, &["a", "b"]).await;
    let seen_by_one = pending(&db, 10).await;
    let seen_by_other = pending(&db, 10).await;
    assert_eq!(seen_by_one, seen_by_other);

    assert_eq!(mark(&db, &seen_by_one).await.len(), 2);
    assert!(mark(&db, &seen_by_other).await.is_empty());

    // The late dispatcher's stale batch still marks nothing once newer events exist, and the
    // newer ones are dispatched as usual.
    record(&db, &["c"]).await;
    assert!(mark(&db, &seen_by_other).await.is_empty());
    let next = pending(&db, 10).await;
    assert_eq!(names(&next), ["c"]);
    assert_eq!(mark(&db, &next).await.len(), 1);
}

/// A SQLite database upgraded to the cursor keeps its undispatched events: the cursor starts
/// before the first of them, and no dispatched event is read again.
#[tokio::test]
async fn events_undispatched_before_the_upgrade_to_sqlite_outbox_cursor_are_still_dispatched() {
    // The schema as it was before the cursor: every migration before 0015.
    let db = TestDb::sqlite_before("0015").await.unwrap();
    let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    for (name, dispatched) in [("old", true), ("also old", true), ("waiting", false)] {
        sqlx::query(
            "INSERT INTO events (account_id, name, data, created_at, dispatched_at) \
             VALUES (1, ?, '{}', 0, ?)",
        )
        .bind(name)
        .bind(dispatched.then_some(1i64))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    conn.close().await.unwrap();

    db.store.migrate().await.unwrap();
    record(&db, &["new"]).await;
    let batch = pending(&db, 10).await;
    assert_eq!(names(&batch), ["waiting", "new"]);
    assert_eq!(mark(&db, &batch).await.len(), 2);
    assert!(pending(&db, 10).await.is_empty());
}
