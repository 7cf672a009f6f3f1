//! Settings every PostgreSQL session of the pool runs with.

use confab_store::Engine;
use confab_store::testing::TestDb;

/// JIT compilation of a statement the planner prices high (a search over millions of messages)
/// took longer than running it; Confab's sessions turn it off, each of them.
#[tokio::test]
async fn postgres_sessions_run_without_jit_compilation() {
    let db = TestDb::new().await.unwrap();
    if db.store.engine() != Engine::Postgres {
        return;
    }
    // Three transactions at once hold three different connections of the pool.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(db.store.begin().await.unwrap());
    }
    let mut pids = Vec::new();
    for tx in &mut held {
        let mut c = tx.conn();
        let jit = c.fetch_all_static::<(String,)>("SHOW jit").await.unwrap();
        assert_eq!(jit, vec![("off".to_owned(),)]);
        let pid = c
            .fetch_all_static::<(i32,)>("SELECT pg_backend_pid()")
            .await
            .unwrap();
        pids.push(pid[0].0);
    }
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(
        pids.len(),
        3,
        "the transactions shared a connection: {pids:?}"
    );
}
