//! Statements marked as possibly long (`Conn::scanning`) run off the runtime's worker threads on
//! SQLite. They must give the same answers as any other read, on either runtime flavour, with
//! more of them at once than there are turns for them.
#![expect(clippy::unwrap_used, reason = "helper code of tests fails loudly")]

use confab_store::testing::TestDb;
use sea_query::{Expr, ExprTrait, Query};

async fn table_of(rows: i64) -> TestDb {
    let db = TestDb::new().await.unwrap();
    let mut c = db.store.conn();
    c.execute_raw("CREATE TABLE t (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)".into())
        .await
        .unwrap();
    let values: Vec<String> = (1..=rows).map(|i| format!("({i},{})", i % 7)).collect();
    c.execute_raw(format!("INSERT INTO t (id, n) VALUES {}", values.join(",")))
        .await
        .unwrap();
    db
}

fn count_of(n: i64) -> sea_query::SelectStatement {
    Query::select()
        .expr(Expr::col("id").count())
        .from("t")
        .and_where(Expr::col("n").eq(n))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_scanning_reads_at_once_answer_like_plain_reads() {
    let db = table_of(7_000).await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..32i64 {
        let store = db.store.clone();
        tasks.spawn(async move {
            let n = i % 7;
            let scanned = store
                .conn()
                .scanning()
                .fetch_scalar::<i64>(&count_of(n))
                .await;
            let plain = store.conn().fetch_scalar::<i64>(&count_of(n)).await;
            (scanned.unwrap(), plain.unwrap())
        });
    }
    while let Some(r) = tasks.join_next().await {
        let (scanned, plain) = r.unwrap();
        assert_eq!(scanned, Some(1_000));
        assert_eq!(scanned, plain);
    }
}

#[tokio::test]
async fn a_scanning_read_works_on_a_single_threaded_runtime() {
    let db = table_of(70).await;
    let rows: Vec<(i64, i64)> = db
        .store
        .conn()
        .scanning()
        .fetch_all(
            &Query::select()
                .columns(["id", "n"])
                .from("t")
                .and_where(Expr::col("n").eq(3))
                .order_by("id", sea_query::Order::Asc)
                .to_owned(),
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[0], (3, 3));
}
