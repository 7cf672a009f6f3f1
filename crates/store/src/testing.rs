//! `TestDb`: a fresh, migrated database per test.
//!
//! SQLite (the default) lives in a temporary directory owned by the `TestDb`. When
//! `CONFAB_TEST_DATABASE_URL` names a PostgreSQL server (`postgres://user@host:port/postgres`),
//! each `TestDb` creates its own database `confab_test_<uuid>` there.

use crate::{ConnectOptions, Store, StoreError};

/// The database of one test. Keep it alive as long as the store is used.
pub struct TestDb {
    pub store: Store,
    /// The URL the store was opened with (for a second process to open the same database).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    /// A fresh migrated database on the engine the environment selects.
    pub async fn new() -> Result<Self, StoreError> {
        let db = Self::unmigrated().await?;
        db.store.migrate().await?;
        Ok(db)
    }

    /// A fresh empty database (no migrations run).
    pub async fn unmigrated() -> Result<Self, StoreError> {
        match std::env::var("CONFAB_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.trim().is_empty() => Self::postgres(admin_url.trim()).await,
            _ => Self::sqlite().await,
        }
    }

    /// A fresh SQLite database regardless of the environment.
    pub async fn sqlite() -> Result<Self, StoreError> {
        let dir = tempfile::tempdir().map_err(|e| StoreError::Config(format!("temp dir: {e}")))?;
        let url = format!("sqlite://{}", dir.path().join("confab-test.db").display());
        let store = Store::connect(&url, &ConnectOptions::default()).await?;
        Ok(Self {
            store,
            url,
            _dir: Some(dir),
        })
    }

    /// A fresh SQLite database as an older release left it: only the migrations numbered
    /// below `version` (e.g. `"0016"`) applied. [`Store::migrate`] then upgrades it.
    pub async fn sqlite_before(version: &str) -> Result<Self, StoreError> {
        let db = Self::sqlite().await?;
        let all = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite");
        let io = |e: std::io::Error| StoreError::Config(format!("older migrations: {e}"));
        let before = tempfile::tempdir().map_err(io)?;
        for entry in std::fs::read_dir(&all).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.as_str() < version {
                std::fs::copy(entry.path(), before.path().join(&name)).map_err(io)?;
            }
        }
        let migrator = sqlx::migrate::Migrator::new(before.path()).await?;
        let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(&db.url).await?;
        migrator.run(&mut conn).await?;
        sqlx::Connection::close(conn).await?;
        Ok(db)
    }

    async fn postgres(admin_url: &str) -> Result<Self, StoreError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let name = format!("confab_test_{now}_{}", uuid::Uuid::new_v4().simple());
        let admin = Store::connect(
            admin_url,
            &ConnectOptions {
                max_connections: Some(1),
                ..Default::default()
            },
        )
        .await?;
        sweep_old_databases(&admin, now).await;
        admin.create_database(&name).await?;
        admin.close().await;
        let (base, _) = admin_url
            .rsplit_once('/')
            .ok_or_else(|| StoreError::Config("bad CONFAB_TEST_DATABASE_URL".into()))?;
        let url = format!("{base}/{name}");
        let store = Store::connect(
            &url,
            &ConnectOptions {
                max_connections: Some(8),
                ..Default::default()
            },
        )
        .await?;
        Ok(Self {
            store,
            url,
            _dir: None,
        })
    }
}

/// Test databases are not dropped when their test ends (each test runs in a process that exits
/// right after it); left alone they pile up by the thousand on a reused server and slow it
/// down (the autovacuum launcher visits every database). So whoever creates one also drops
/// those older than an hour (and unnamed by time, from before this naming), one process at a
/// time. Best effort: a failure here never fails a test.
async fn sweep_old_databases(admin: &Store, now: u64) {
    const AN_HOUR: u64 = 3600;
    let mut c = admin.conn();
    let Ok(lock) = c
        .fetch_all_static::<(bool,)>("SELECT pg_try_advisory_lock(7406381)")
        .await
    else {
        return;
    };
    if lock.first().is_none_or(|(got,)| !got) {
        return;
    }
    let Ok(names) = c
        .fetch_all_static::<(String,)>(
            "SELECT datname FROM pg_database WHERE datname LIKE 'confab\\_test\\_%'",
        )
        .await
    else {
        return;
    };
    for (name,) in names {
        let made = name
            .strip_prefix("confab_test_")
            .and_then(|rest| rest.split_once('_'))
            .and_then(|(secs, _)| secs.parse::<u64>().ok());
        if made.is_some_and(|t| t + AN_HOUR > now) {
            continue;
        }
        let _ = c
            .execute_raw(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
    let _ = c
        .fetch_all_static::<(bool,)>("SELECT pg_advisory_unlock(7406381)")
        .await;
}
