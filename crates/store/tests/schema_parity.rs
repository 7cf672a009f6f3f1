//! Both migration folders must describe the same schema.
#![expect(clippy::unwrap_used, reason = "helper code of tests fails loudly")]

use confab_store::testing::TestDb;
use confab_store::{ConnectOptions, Store, schema};

fn migration_names(engine: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(engine);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_engines_have_the_same_migration_versions_and_names() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
}

#[tokio::test]
async fn the_migrated_sqlite_schema_has_the_expected_tables_and_unique_indexes() {
    let db = TestDb::sqlite().await.unwrap();
    db.store.migrate().await.unwrap();
    let shape = schema::shape(&mut db.store.conn()).await.unwrap();
    for table in [
        "accounts",
        "users",
        "account_users",
        "access_tokens",
        "inboxes",
        "channel_api",
        "contacts",
        "contact_inboxes",
    ] {
        assert!(shape.columns.contains_key(table), "{table} missing");
    }
    assert!(
        shape
            .unique_indexes
            .contains(&"contacts(account_id,email)".to_owned()),
        "{:?}",
        shape.unique_indexes
    );
    assert!(shape.columns["contacts"]["email"]);
    assert!(!shape.columns["contacts"]["account_id"]);
}

/// The table only SQLite's migrations create.
const SQLITE_ONLY: &str = "outbox_cursor";

/// Runs when `CONFAB_TEST_DATABASE_URL` names a PostgreSQL server; compares it with SQLite.
#[tokio::test]
async fn postgres_and_sqlite_migrations_produce_the_same_tables_columns_and_unique_indexes() {
    let Ok(url) = std::env::var("CONFAB_TEST_DATABASE_URL") else {
        return;
    };
    if url.trim().is_empty() {
        return;
    }
    let pg = TestDb::new().await.unwrap();
    let lite = TestDb::sqlite().await.unwrap();
    lite.store.migrate().await.unwrap();
    let a = schema::shape(&mut pg.store.conn()).await.unwrap();
    let mut b = schema::shape(&mut lite.store.conn()).await.unwrap();
    // SQLite's outbox keeps one cursor where PostgreSQL marks each event (migration 0015 says
    // why); it is the one table of one engine only.
    assert!(!a.columns.contains_key(SQLITE_ONLY));
    assert!(b.columns.remove(SQLITE_ONLY).is_some());
    assert_eq!(a.columns, b.columns);
    assert_eq!(a.unique_indexes, b.unique_indexes);
}

#[tokio::test]
async fn an_unknown_url_scheme_fails_with_a_message_that_says_how_to_fix_it() {
    let err = Store::connect("mysql://localhost/x", &ConnectOptions::default())
        .await
        .err()
        .unwrap();
    let text = err.to_string();
    assert!(
        text.contains("sqlite://") && text.contains("postgres://"),
        "{text}"
    );
}

#[tokio::test]
async fn an_unreachable_postgres_fails_fast_with_advice() {
    let started = std::time::Instant::now();
    let err = Store::connect(
        "postgres://nobody@127.0.0.1:1/x",
        &ConnectOptions::default(),
    )
    .await
    .err()
    .unwrap();
    assert!(
        err.to_string().contains("Check that the server is running"),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}
