//! `StoreError`: what can go wrong below the use cases.

/// Errors of the store. Unique and foreign-key violations are recognised by kind (never by
/// constraint name, which SQLite does not report) so callers can map them to field errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("record not found")]
    NotFound,
    #[error("unique constraint violated")]
    UniqueViolation,
    #[error("foreign key constraint violated")]
    ForeignKeyViolation,
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("database error")]
    Sqlite(#[source] rusqlite::Error),
    #[error("commit failed: {0}")]
    CommitFailed(String),
    #[error("migration failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Config(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db) => match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => Self::UniqueViolation,
                sqlx::error::ErrorKind::ForeignKeyViolation => Self::ForeignKeyViolation,
                _ => Self::Database(e),
            },
            _ => Self::Database(e),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Migrate(e)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match &e {
            rusqlite::Error::QueryReturnedNoRows => Self::NotFound,
            rusqlite::Error::SqliteFailure(f, _) => match f.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    Self::UniqueViolation
                }
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Self::ForeignKeyViolation,
                _ => Self::Sqlite(e),
            },
            _ => Self::Sqlite(e),
        }
    }
}
