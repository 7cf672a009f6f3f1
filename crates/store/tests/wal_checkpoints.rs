//! SQLite: committed pages reach the database file through the background checkpointer, not
//! through the writer's commits.

use std::time::{Duration, Instant};

use confab_store::testing::TestDb;

const FILLER: &str = "CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, body BLOB NOT NULL); \
     WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) \
     INSERT INTO filler (body) SELECT randomblob(1000) FROM n;";

#[tokio::test]
async fn committed_pages_are_copied_into_the_database_file_in_the_background() {
    let db = TestDb::sqlite().await.unwrap();
    db.store.migrate().await.unwrap();
    let path = db.url.strip_prefix("sqlite://").unwrap().to_owned();
    let file_len = || std::fs::metadata(&path).unwrap().len();
    let before = file_len();

    // About 4 MB in 40 transactions: far below the writer's own checkpoint threshold, so only
    // the checkpointer can move it into the database file while the store is open.
    for _ in 0..40 {
        let mut tx = db.store.begin().await.unwrap();
        tx.conn().execute_raw(FILLER.to_owned()).await.unwrap();
        tx.commit().await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while file_len() < before + 3_500_000 {
        assert!(
            Instant::now() < deadline,
            "the database file stayed at {} bytes (was {before}): nothing was checkpointed",
            file_len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The data reads back through the store, whichever file it is in.
    let count = sea_query::Query::select()
        .expr(sea_query::Func::count(sea_query::Expr::col("id")))
        .from("filler")
        .to_owned();
    let rows = db.store.conn().fetch_scalar::<i64>(&count).await.unwrap();
    assert_eq!(rows, Some(4000));
}

#[tokio::test]
async fn a_store_dropped_leaves_its_data_in_the_database_file_and_no_wal() {
    let db = TestDb::sqlite().await.unwrap();
    db.store.migrate().await.unwrap();
    let path = db.url.strip_prefix("sqlite://").unwrap().to_owned();
    for _ in 0..5 {
        let mut tx = db.store.begin().await.unwrap();
        tx.conn().execute_raw(FILLER.to_owned()).await.unwrap();
        tx.commit().await.unwrap();
    }
    let wal = format!("{path}-wal");
    assert!(std::path::Path::new(&wal).exists(), "a WAL while open");

    // The directory stays (it is the TestDb's); the store goes.
    let TestDb { store, .. } = db;
    store.close().await;
    drop(store);
    assert!(
        !std::path::Path::new(&wal).exists(),
        "the writer closed last, checkpointed everything and removed the WAL"
    );
    assert!(std::fs::metadata(&path).unwrap().len() > 450_000);
}

/// The WAL header's checkpoint sequence number (bytes 12-15, big-endian): SQLite counts one up
/// each time a writer starts the WAL over.
fn wal_restarts(wal: &str) -> u32 {
    use std::io::Read;
    let mut header = [0u8; 16];
    match std::fs::File::open(wal).and_then(|mut f| f.read_exact(&mut header)) {
        Ok(()) => u32::from_be_bytes([header[12], header[13], header[14], header[15]]),
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_a_steady_stream_of_commits_the_wal_starts_over_before_the_writer_would_checkpoint() {
    let db = TestDb::sqlite().await.unwrap();
    db.store.migrate().await.unwrap();
    let path = db.url.strip_prefix("sqlite://").unwrap().to_owned();
    let wal = format!("{path}-wal");
    let create = "CREATE TABLE stream (id INTEGER PRIMARY KEY, body BLOB NOT NULL)";
    db.store
        .conn()
        .execute_raw(create.to_owned())
        .await
        .unwrap();
    let first = wal_restarts(&wal);

    // Commits in quick bursts, each a few pages: a checkpoint outside the writer's turn (a sync
    // of the WAL, then the copy) never catches up with them. Stop well before the writer's own
    // backstop (16,384 frames, about 67 MB of WAL): only the checkpointer can have started the
    // WAL over by then. (The pause between bursts keeps the stream at a few thousand frames a
    // second, a second's margin for the checkpointer on a slow disk.)
    let frame = 4096 + 24;
    let mut commits = 0u32;
    while wal_restarts(&wal) == first {
        let wal_len = std::fs::metadata(&wal).map_or(0, |m| m.len());
        assert!(
            wal_len < 12_000 * frame,
            "the WAL grew to {wal_len} bytes in {commits} commits without starting over"
        );
        let mut tx = db.store.begin().await.unwrap();
        tx.conn()
            .execute_raw("INSERT INTO stream (body) VALUES (randomblob(3000))".to_owned())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        commits += 1;
        if commits.is_multiple_of(5) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
