//! Retention: only old events the outbox has dispatched are deleted, and a batch looks at the
//! oldest rows only.
#![expect(clippy::unwrap_used, reason = "helper code of tests fails loudly")]

use confab_domain::{AccountId, Timestamp};
use confab_store::testing::TestDb;
use confab_store::{events, retention};
use serde_json::json;

const DAY: i64 = 86_400;

fn day(n: i64) -> Timestamp {
    Timestamp::from_unix_seconds(1_800_000_000 + n * DAY)
}

async fn record(db: &TestDb, names: &[&str], at: Timestamp) {
    let mut tx = db.store.begin().await.unwrap();
    for name in names {
        events::record(&mut tx.conn(), AccountId(1), name, None, &json!({}), at)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Marks every event recorded so far dispatched, as the outbox does.
async fn dispatch_all(db: &TestDb) {
    let batch = events::undispatched(&mut db.store.conn(), 1000)
        .await
        .unwrap();
    let ids: Vec<i64> = batch.iter().map(|e| e.id).collect();
    let mut tx = db.store.begin().await.unwrap();
    events::mark_dispatched(&mut tx.conn(), &ids, day(0))
        .await
        .unwrap();
    tx.commit_quiet().await.unwrap();
}

async fn names_left(db: &TestDb) -> Vec<String> {
    db.store
        .conn()
        .fetch_all_static::<(String,)>("SELECT name FROM events ORDER BY id")
        .await
        .unwrap()
        .into_iter()
        .map(|(n,)| n)
        .collect()
}

async fn prune(db: &TestDb, cutoff: Timestamp, batch: u64) -> u64 {
    let mut tx = db.store.begin().await.unwrap();
    let n = retention::prune_events(&mut tx.conn(), cutoff, batch)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

#[tokio::test]
async fn old_dispatched_events_are_deleted_and_undispatched_or_recent_ones_kept() {
    let db = TestDb::new().await.unwrap();
    record(&db, &["old", "also old"], day(0)).await;
    record(&db, &["recent"], day(40)).await;
    dispatch_all(&db).await;
    // Old, but the outbox has not sent it yet.
    record(&db, &["old, waiting"], day(0)).await;

    assert_eq!(prune(&db, day(30), 100).await, 2);
    assert_eq!(names_left(&db).await, ["recent", "old, waiting"]);
    // Once dispatched it goes too.
    dispatch_all(&db).await;
    assert_eq!(prune(&db, day(30), 100).await, 1);
    assert_eq!(names_left(&db).await, ["recent"]);
}

#[tokio::test]
async fn a_batch_deletes_among_the_oldest_rows_only_until_none_is_old_enough() {
    let db = TestDb::new().await.unwrap();
    record(&db, &["1", "2", "3", "4", "5"], day(0)).await;
    record(&db, &["new"], day(40)).await;
    dispatch_all(&db).await;

    let mut deleted = Vec::new();
    loop {
        let n = prune(&db, day(30), 2).await;
        deleted.push(n);
        if n == 0 {
            break;
        }
    }
    assert_eq!(deleted, [2, 2, 1, 0]);
    assert_eq!(names_left(&db).await, ["new"]);
}
