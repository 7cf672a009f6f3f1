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

    async fn postgres(admin_url: &str) -> Result<Self, StoreError> {
        let name = format!("confab_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Store::connect(
            admin_url,
            &ConnectOptions {
                max_connections: Some(1),
                ..Default::default()
            },
        )
        .await?;
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
