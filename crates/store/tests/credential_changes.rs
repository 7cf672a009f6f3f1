//! The epoch of credential changes that lets a node keep token and membership look-ups.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helper code of tests fails loudly"
)]

use std::time::Duration;

use confab_domain::{AccountId, AccountStatus, Timestamp};
use confab_store::accounts::{self, AccountChanges, NewAccount};
use confab_store::testing::TestDb;
use confab_store::{Engine, Store, conversations};
use serde_json::json;

fn now() -> Timestamp {
    Timestamp::from_micros(1_800_000_000_000_000)
}

async fn new_account(store: &Store) -> AccountId {
    let mut tx = store.begin().await.unwrap();
    let a = NewAccount {
        name: "Acme".into(),
        locale: "en".into(),
        domain: None,
        support_email: None,
        status: AccountStatus::Active,
        features: json!({}),
        limits: json!({}),
        custom_attributes: json!({}),
    };
    let id = accounts::insert_account(&mut tx.conn(), &a, now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

fn renamed(name: &str) -> AccountChanges {
    AccountChanges {
        name: Some(name.into()),
        ..Default::default()
    }
}

/// Waits until `store` hears every change (its PostgreSQL listener is connected).
async fn complete(store: &Store) -> u64 {
    for _ in 0..500 {
        if let Some(e) = store.auth_epoch() {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    store
        .auth_epoch()
        .expect("the store never listened for credential changes")
}

/// The epoch once any announcement on its way has arrived.
async fn settled(store: &Store) -> u64 {
    tokio::time::sleep(Duration::from_millis(300)).await;
    store.auth_epoch().expect("listening")
}

#[tokio::test]
async fn a_change_to_an_account_moves_the_epoch_only_once_committed_and_a_display_id_never() {
    let db = TestDb::new().await.unwrap();
    let store = db.store.clone();
    let follower = tokio::spawn({
        let s = store.clone();
        async move { s.follow_auth_changes().await }
    });
    complete(&store).await;
    let account = new_account(&store).await;
    // On PostgreSQL this node also hears its own announcements, a moment after its commits.
    let before = settled(&store).await;

    // New conversations take display ids from their own table: nothing a look-up reads.
    let mut tx = store.begin().await.unwrap();
    conversations::next_display_id(&mut tx.conn(), account)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    conversations::next_display_id(&mut store.conn(), account)
        .await
        .unwrap();
    assert_eq!(settled(&store).await, before, "display ids moved the epoch");

    // Inside a transaction: not before the commit (a look-up meanwhile still reads the old row,
    // and may keep it), then at once.
    let mut tx = store.begin().await.unwrap();
    accounts::update_account(&mut tx.conn(), account, &renamed("Acme 2"), now())
        .await
        .unwrap();
    assert_eq!(store.auth_epoch(), Some(before), "moved before the commit");
    tx.commit().await.unwrap();
    let after_commit = store.auth_epoch().unwrap();
    assert!(after_commit > before, "the commit did not move the epoch");

    // Outside a transaction: when the statement returns.
    accounts::update_account(&mut store.conn(), account, &renamed("Acme 3"), now())
        .await
        .unwrap();
    assert!(store.auth_epoch().unwrap() > after_commit);
    follower.abort();
}

#[tokio::test]
async fn another_node_hears_a_credential_change_committed_on_the_first() {
    let db = TestDb::new().await.unwrap();
    if db.store.engine() == Engine::Sqlite {
        // One node per SQLite file; it sees its own writes (tested above).
        return;
    }
    let other = Store::connect(&db.url, &Default::default()).await.unwrap();
    assert_eq!(
        other.auth_epoch(),
        None,
        "a PostgreSQL node must not keep answers before it listens"
    );
    let follower = tokio::spawn({
        let s = other.clone();
        async move { s.follow_auth_changes().await }
    });
    let before = complete(&other).await;
    let account = new_account(&db.store).await;
    let mut heard = None;
    for _ in 0..200 {
        match other.auth_epoch() {
            Some(e) if e > before => {
                heard = Some(e);
                break;
            }
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    let heard = heard.expect("the second node did not hear the new account within 2 s");

    // A display id is announced to nobody.
    conversations::next_display_id(&mut db.store.conn(), account)
        .await
        .unwrap();
    accounts::update_account(&mut db.store.conn(), account, &renamed("Acme 2"), now())
        .await
        .unwrap();
    let mut last = heard;
    for _ in 0..200 {
        last = other.auth_epoch().unwrap_or(last);
        if last > heard {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Had the display id been announced, its announcement (first) and the rename's would
    // both arrive: give a second one time to.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let last = other.auth_epoch().unwrap_or(last);
    assert_eq!(
        last,
        heard + 1,
        "the rename is heard once, the display id not at all"
    );
    follower.abort();
    other.close().await;
}

#[tokio::test]
async fn the_listeners_leave_a_one_connection_pool_to_requests() {
    let db = TestDb::new().await.unwrap();
    if db.store.engine() == Engine::Sqlite {
        return;
    }
    let store = Store::connect(
        &db.url,
        &confab_store::ConnectOptions {
            max_connections: Some(1),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let follower = tokio::spawn({
        let s = store.clone();
        async move { s.follow_auth_changes().await }
    });
    complete(&store).await;
    let _feed = store.event_feed().await.unwrap();
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        accounts::find_account(&mut store.conn(), AccountId(1)),
    )
    .await
    .expect("a read waited for the pool's only connection, held by a listener");
    assert!(read.unwrap().is_none());
    follower.abort();
}
