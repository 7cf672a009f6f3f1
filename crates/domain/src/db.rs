//! Database codecs for domain types (feature `db`, enabled only by `confab-store`).
//! `Timestamp` is a 64-bit integer of microseconds on both engines.

use sqlx::{Database, Decode, Encode, Type};

use crate::Timestamp;

impl<DB: Database> Type<DB> for Timestamp
where
    i64: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <i64 as Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <i64 as Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for Timestamp
where
    i64: Decode<'r, DB>,
{
    fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(Timestamp::from_micros(<i64 as Decode<DB>>::decode(value)?))
    }
}

impl<'q, DB: Database> Encode<'q, DB> for Timestamp
where
    i64: Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as Database>::ArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as Encode<DB>>::encode_by_ref(&self.as_micros(), buf)
    }
}

// ---- SQLite rows (rusqlite) -------------------------------------------------------------------
//
// The store runs SQLite statements in the calling task through rusqlite (see confab-store's
// `db` module); records decode with `#[derive(SqliteRow)]`, which reads the same field
// attributes as `sqlx::FromRow`.

pub use confab_row_derive::SqliteRow;
pub use rusqlite;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, Type as SqlType, ValueRef};

/// A record that decodes from a SQLite result row by column name.
pub trait SqliteRow: Sized {
    fn from_sqlite_row(row: &rusqlite::Row<'_>, cols: &Columns) -> rusqlite::Result<Self>;
}

/// The column names of a statement's result, read once per statement, so each field finds its
/// column without calling into SQLite.
#[derive(Debug, Default)]
pub struct Columns(Vec<String>);

impl Columns {
    pub fn of(stmt: &rusqlite::Statement<'_>) -> Self {
        Self(stmt.column_names().into_iter().map(str::to_owned).collect())
    }

    /// The index of a column: exact name first, then ignoring ASCII case as SQLite does.
    pub fn index(&self, name: &str) -> rusqlite::Result<usize> {
        self.0
            .iter()
            .position(|c| c == name)
            .or_else(|| self.0.iter().position(|c| c.eq_ignore_ascii_case(name)))
            .ok_or_else(|| rusqlite::Error::InvalidColumnName(name.to_owned()))
    }
}

/// A plain column.
pub fn column<T: FromSql>(
    row: &rusqlite::Row<'_>,
    cols: &Columns,
    name: &str,
) -> rusqlite::Result<T> {
    row.get(cols.index(name)?)
}

/// A column stored as `S` and converted with `TryFrom` (`#[sqlx(try_from = "S")]`).
pub fn column_try_from<S, T>(
    row: &rusqlite::Row<'_>,
    cols: &Columns,
    name: &str,
) -> rusqlite::Result<T>
where
    S: FromSql,
    T: TryFrom<S>,
    T::Error: std::fmt::Debug,
{
    let i = cols.index(name)?;
    T::try_from(row.get::<_, S>(i)?).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, SqlType::Integer, format!("{e:?}").into())
    })
}

/// A JSON document stored as text (`#[sqlx(json)]`); NULL reads as JSON `null`.
pub fn column_json<T: serde::de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    cols: &Columns,
    name: &str,
) -> rusqlite::Result<T> {
    let i = cols.index(name)?;
    let parsed = match row.get_ref(i)? {
        ValueRef::Null => serde_json::from_value(serde_json::Value::Null),
        ValueRef::Text(b) | ValueRef::Blob(b) => serde_json::from_slice(b),
        other => {
            return Err(rusqlite::Error::InvalidColumnType(
                i,
                name.to_owned(),
                other.data_type(),
            ));
        }
    };
    parsed.map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, SqlType::Text, Box::new(e)))
}

impl FromSql for Timestamp {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        i64::column_result(value).map(Timestamp::from_micros)
    }
}

/// Used by the id newtypes (`ids.rs`).
pub(crate) fn id_from_sql(value: ValueRef<'_>) -> FromSqlResult<i64> {
    match value {
        ValueRef::Integer(i) => Ok(i),
        _ => Err(FromSqlError::InvalidType),
    }
}

/// Tuples decode by position, as sqlx decodes them.
macro_rules! tuple_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: FromSql),+> SqliteRow for ($($t,)+) {
            fn from_sqlite_row(row: &rusqlite::Row<'_>, _: &Columns) -> rusqlite::Result<Self> {
                Ok(($(row.get::<_, $t>($i)?,)+))
            }
        }
    };
}
tuple_row!(A 0);
tuple_row!(A 0, B 1);
tuple_row!(A 0, B 1, C 2);
tuple_row!(A 0, B 1, C 2, D 3);
tuple_row!(A 0, B 1, C 2, D 3, E 4);
tuple_row!(A 0, B 1, C 2, D 3, E 4, F 5);
