//! Schema introspection, for the migration-parity test: the same tables, columns, nullability
//! and unique indexes must come out of both migration folders.

use std::collections::BTreeMap;

use crate::{Conn, Engine, StoreError};

/// Table → (column → nullable), and the unique indexes as `table(col, col…)`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaShape {
    pub columns: BTreeMap<String, BTreeMap<String, bool>>,
    pub unique_indexes: Vec<String>,
}

#[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
struct ColumnRow {
    table_name: String,
    column_name: String,
    nullable: bool,
}

#[derive(sqlx::FromRow, confab_domain::db::SqliteRow)]
struct IndexRow {
    table_name: String,
    columns: String,
}

/// Reads the shape of the migrated schema (excluding sqlx's own bookkeeping table).
pub async fn shape(c: &mut Conn<'_>) -> Result<SchemaShape, StoreError> {
    let (cols_sql, idx_sql) = match c.engine() {
        Engine::Sqlite => (
            "SELECT m.name AS table_name, p.name AS column_name, (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '%_fts%' AND m.name <> '_sqlx_migrations'",
            "SELECT m.name AS table_name, \
                    (SELECT group_concat(name, ',') FROM (SELECT ii.name FROM pragma_index_info(il.name) ii ORDER BY ii.seqno)) AS columns \
             FROM sqlite_master m JOIN pragma_index_list(m.name) il \
             WHERE m.type = 'table' AND il.\"unique\" = 1 AND il.origin = 'c' AND m.name <> '_sqlx_migrations'",
        ),
        Engine::Postgres => (
            "SELECT table_name::text AS table_name, column_name::text AS column_name, (is_nullable = 'YES') AS nullable \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'",
            "SELECT t.relname::text AS table_name, \
                    (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord) FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, ord) \
                     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns \
             FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = current_schema() AND ix.indisunique AND NOT ix.indisprimary AND t.relname <> '_sqlx_migrations'",
        ),
    };
    let mut out = SchemaShape::default();
    for r in c.fetch_all_static::<ColumnRow>(cols_sql).await? {
        out.columns
            .entry(r.table_name)
            .or_default()
            .insert(r.column_name, r.nullable);
    }
    for r in c.fetch_all_static::<IndexRow>(idx_sql).await? {
        out.unique_indexes
            .push(format!("{}({})", r.table_name, r.columns));
    }
    out.unique_indexes.sort();
    Ok(out)
}
