//! The feed of committed events behind live updates.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helper code of tests fails loudly"
)]

use std::time::Duration;

use confab_domain::{AccountId, Timestamp};
use confab_store::Engine;
use confab_store::events::{self, EventRow};
use confab_store::live::EventFeed;
use confab_store::testing::TestDb;
use serde_json::json;

async fn record(db: &TestDb, name: &str) {
    let mut tx = db.store.begin().await.unwrap();
    let account = AccountId(1);
    let now = Timestamp::from_micros(1_800_000_000_000_000);
    events::record(&mut tx.conn(), account, name, None, &json!({}), now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn next_names(feed: &mut EventFeed) -> Vec<String> {
    let rows: Vec<EventRow> = tokio::time::timeout(Duration::from_secs(10), feed.next(|| true))
        .await
        .expect("the feed delivered nothing within 10 s")
        .unwrap();
    rows.into_iter().map(|r| r.name).collect()
}

#[tokio::test]
async fn events_committed_while_the_listener_was_disconnected_are_delivered_once_after_it_reconnects()
 {
    let db = TestDb::new().await.unwrap();
    if db.store.engine() == Engine::Sqlite {
        // One node reads the table itself after each commit; it has no listener to lose.
        return;
    }
    // Committed before the feed opened: never delivered, not even by a catch-up.
    record(&db, "old").await;
    let mut feed = db.store.event_feed().await.unwrap();
    record(&db, "before").await;
    assert_eq!(next_names(&mut feed).await, ["before"]);

    // Cut the listener's connection while nobody polls the feed, then commit an event: its
    // announcement goes to no one.
    db.store
        .conn()
        .execute_raw(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                .into(),
        )
        .await
        .unwrap();
    record(&db, "during").await;

    let mut seen = Vec::new();
    while !seen.contains(&"during".to_owned()) {
        seen.extend(next_names(&mut feed).await);
    }
    record(&db, "after").await;
    while !seen.contains(&"after".to_owned()) {
        seen.extend(next_names(&mut feed).await);
    }
    assert_eq!(seen, ["during", "after"]);
}

#[tokio::test]
async fn events_nobody_wants_are_passed_over_and_later_ones_still_arrive() {
    let db = TestDb::new().await.unwrap();
    let mut feed = db.store.event_feed().await.unwrap();
    record(&db, "unheard").await;
    // Nobody listens: SQLite skips to the newest id and waits for the next commit; PostgreSQL
    // notes the announced ids and returns nothing.
    let patience = match db.store.engine() {
        Engine::Sqlite => Duration::from_millis(300),
        Engine::Postgres => Duration::from_secs(10),
    };
    if let Ok(passed) = tokio::time::timeout(patience, feed.next(|| false)).await {
        assert!(passed.unwrap().is_empty());
    }
    record(&db, "heard").await;
    let mut seen = Vec::new();
    while seen.is_empty() {
        seen = next_names(&mut feed).await;
    }
    assert_eq!(seen, ["heard"]);
}
