//! Write transactions under concurrency, on the engine the environment selects. On SQLite these
//! go through group commit (several transactions in one SQLite transaction, one COMMIT); what a
//! caller sees must be exactly what it would see with one COMMIT each.
#![expect(clippy::unwrap_used, reason = "helper code of tests fails loudly")]

use std::time::Duration;

use confab_store::testing::TestDb;
use confab_store::{Store, StoreError};
use sea_query::{Expr, ExprTrait, Query};

async fn db_with_table() -> TestDb {
    let db = TestDb::new().await.unwrap();
    db.store
        .conn()
        .execute_raw("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)".into())
        .await
        .unwrap();
    db
}

fn insert(id: i64) -> sea_query::InsertStatement {
    Query::insert()
        .into_table("t")
        .columns(["id", "n"])
        .values_panic([id.into(), 0i64.into()])
        .to_owned()
}

async fn ids(store: &Store) -> Vec<i64> {
    let stmt = Query::select()
        .column("id")
        .from("t")
        .order_by("id", sea_query::Order::Asc)
        .to_owned();
    let rows: Vec<(i64,)> = store.conn().fetch_all(&stmt).await.unwrap();
    rows.into_iter().map(|(id,)| id).collect()
}

async fn exists(store: &Store, id: i64) -> bool {
    let stmt = Query::select()
        .expr(Expr::col("id").count())
        .from("t")
        .and_where(Expr::col("id").eq(id))
        .to_owned();
    store.conn().fetch_scalar::<i64>(&stmt).await.unwrap() == Some(1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_transactions_each_see_their_write_as_soon_as_commit_returns() {
    let db = db_with_table().await;
    db.store.conn().execute(&insert(0)).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for id in 1..=200i64 {
        let store = db.store.clone();
        tasks.spawn(async move {
            let mut tx = store.begin().await.unwrap();
            tx.conn().execute(&insert(id)).await.unwrap();
            // Bump a shared row as well, so the transactions really overlap in what they touch.
            let bump = Query::update()
                .table("t")
                .value("n", Expr::col("n").add(1))
                .and_where(Expr::col("id").eq(0))
                .to_owned();
            tx.conn().execute(&bump).await.unwrap();
            tx.commit().await.unwrap();
            // Durable and visible to every other connection once commit has returned.
            assert!(
                exists(&store, id).await,
                "row {id} not visible after commit"
            );
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    assert_eq!(ids(&db.store).await, (0..=200).collect::<Vec<_>>());
    let n = Query::select()
        .column("n")
        .from("t")
        .and_where(Expr::col("id").eq(0))
        .to_owned();
    // No update is lost between the members of a group.
    let bumps = db.store.conn().fetch_scalar::<i64>(&n).await.unwrap();
    assert_eq!(bumps, Some(200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_abandoned_between_committed_ones_loses_only_its_own_writes() {
    let db = db_with_table().await;
    let store = db.store.clone();
    // A holds the writer while B (abandons) and C (commits) queue behind it.
    let mut a = store.begin().await.unwrap();
    a.conn().execute(&insert(1)).await.unwrap();
    let b = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            tx.conn().execute(&insert(2)).await.unwrap();
            drop(tx);
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let c = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            tx.conn().execute(&insert(3)).await.unwrap();
            tx.commit().await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.commit().await.unwrap();
    assert!(exists(&store, 1).await);
    b.await.unwrap();
    c.await.unwrap().unwrap();
    assert_eq!(ids(&store).await, vec![1, 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_statement_in_one_transaction_does_not_spoil_the_others_committed_with_it() {
    let db = db_with_table().await;
    let store = db.store.clone();
    store.conn().execute(&insert(10)).await.unwrap();
    let mut a = store.begin().await.unwrap();
    a.conn().execute(&insert(1)).await.unwrap();
    // B inserts, then hits a unique violation and gives up.
    let b = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            tx.conn().execute(&insert(2)).await.unwrap();
            let dup = tx.conn().execute(&insert(10)).await;
            assert!(matches!(dup, Err(StoreError::UniqueViolation)), "{dup:?}");
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let c = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            tx.conn().execute(&insert(3)).await.unwrap();
            tx.commit().await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    a.commit().await.unwrap();
    b.await.unwrap();
    c.await.unwrap().unwrap();
    assert_eq!(ids(&store).await, vec![1, 3, 10]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_outside_a_transaction_is_durable_when_it_returns_even_while_others_commit() {
    let db = db_with_table().await;
    let mut tasks = tokio::task::JoinSet::new();
    for id in 1..=100i64 {
        let store = db.store.clone();
        tasks.spawn(async move {
            if id % 2 == 0 {
                store.conn().execute(&insert(id)).await.unwrap();
            } else {
                let mut tx = store.begin().await.unwrap();
                tx.conn().execute(&insert(id)).await.unwrap();
                tx.commit().await.unwrap();
            }
            assert!(exists(&store, id).await, "row {id} not visible");
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    assert_eq!(ids(&db.store).await.len(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_transaction_of_a_group_abandoned_leaves_nothing_and_the_next_ones_commit() {
    let db = db_with_table().await;
    let store = db.store.clone();
    // A starts a group on an idle writer (on SQLite without a savepoint of its own) while B
    // queues behind it; A gives up after writing.
    let mut a = store.begin().await.unwrap();
    a.conn().execute(&insert(1)).await.unwrap();
    let b = tokio::spawn({
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            tx.conn().execute(&insert(2)).await.unwrap();
            tx.commit().await
        }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(a);
    b.await.unwrap().unwrap();
    // A later lone transaction that fails halfway also leaves nothing behind.
    let mut c = store.begin().await.unwrap();
    c.conn().execute(&insert(3)).await.unwrap();
    let dup = c.conn().execute(&insert(2)).await;
    assert!(matches!(dup, Err(StoreError::UniqueViolation)), "{dup:?}");
    drop(c);
    // The writer is free and clean at once: a write outside any transaction goes through.
    store.conn().execute(&insert(5)).await.unwrap();
    let mut d = store.begin().await.unwrap();
    d.conn().execute(&insert(4)).await.unwrap();
    d.commit().await.unwrap();
    assert_eq!(ids(&store).await, vec![2, 4, 5]);
}

#[tokio::test]
async fn a_transaction_s_events_are_written_in_recording_order_at_commit_and_never_when_abandoned()
{
    use confab_domain::{AccountId, Timestamp};
    use confab_store::events;
    let db = TestDb::new().await.unwrap();
    let account = AccountId(1);
    let now = Timestamp::from_micros(1_800_000_000_000_000);
    let record_three = || async {
        let mut tx = db.store.begin().await.unwrap();
        for name in ["first", "second", "third"] {
            let data = serde_json::json!({ "n": name });
            events::record(&mut tx.conn(), account, name, None, &data, now)
                .await
                .unwrap();
        }
        tx
    };

    drop(record_three().await);
    let none = events::list_after(&mut db.store.conn(), account, 0, 10)
        .await
        .unwrap();
    assert!(none.is_empty(), "an abandoned transaction wrote {none:?}");

    record_three().await.commit().await.unwrap();
    let data = serde_json::json!({});
    events::record(&mut db.store.conn(), account, "outside", None, &data, now)
        .await
        .unwrap();
    let rows = events::list_after(&mut db.store.conn(), account, 0, 10)
        .await
        .unwrap();
    assert_eq!(rows[1].data, serde_json::json!({ "n": "second" }));
    let names: Vec<String> = rows.into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["first", "second", "third", "outside"]);
}
