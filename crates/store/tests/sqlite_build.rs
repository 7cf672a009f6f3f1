//! The bundled SQLite is built as `.cargo/config.toml` asks: each connection has a page cache of
//! its own, and allocations take no global lock for statistics. (libsqlite3-sys turns on
//! SQLITE_ENABLE_MEMORY_MANAGEMENT, under which every connection of the process shares one page
//! cache behind one mutex; concurrent searches then ran at the speed of one.)

#[test]
fn connections_keep_separate_page_caches_without_a_global_memory_lock() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("PRAGMA compile_options").unwrap();
    let options: Vec<String> = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        options.iter().any(|o| o == "THREADSAFE=1"),
        "not the bundled library? {options:?}"
    );
    assert!(
        !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
        "SQLITE_ENABLE_MEMORY_MANAGEMENT makes all connections share one page cache: {options:?}"
    );
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "memory statistics take a global mutex on every allocation: {options:?}"
    );
}
