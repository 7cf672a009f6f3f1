//! Two changes of one conversation at the same time.

use std::time::Duration;

use confab_domain::AccountId;
use confab_store::Engine;
use confab_store::conversations;
use reqwest::Method;
use sea_query::{Expr, Query};
use serde_json::{Value, json};

use crate::conversations::{conversation, setup};
use crate::helpers::{TestApp, acc};

/// Sessions waiting for the PostgreSQL session `holder` (the test's transaction): directly, or
/// queued behind one that does (a row's later waiters queue on its first).
async fn blocked_by(app: &TestApp, holder: i32) -> i64 {
    let stmt = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_as("pg_stat_activity", "a")
        .and_where(Expr::cust(format!(
            "{holder} = ANY(pg_blocking_pids(a.pid)) OR EXISTS (SELECT 1 FROM pg_stat_activity b \
             WHERE b.pid = ANY(pg_blocking_pids(a.pid)) AND {holder} = ANY(pg_blocking_pids(b.pid)))"
        )))
        .to_owned();
    app.db
        .store
        .conn()
        .fetch_scalar::<i64>(&stmt)
        .await
        .unwrap()
        .unwrap_or(0)
}

/// Waits until `n` sessions queue behind the PostgreSQL session `holder`; fails the test with
/// `what` when they have not after 10 s.
pub(crate) async fn wait_until_blocked(app: &TestApp, holder: i32, n: i64, what: &str) {
    let mut waited = false;
    for _ in 0..500 {
        if blocked_by(app, holder).await >= n {
            waited = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(waited, "{what}");
}

/// The PostgreSQL session of a transaction of the test.
pub(crate) async fn backend_pid(tx: &mut confab_store::Tx) -> i32 {
    let pid = Query::select()
        .expr(Expr::cust("pg_backend_pid()"))
        .to_owned();
    tx.conn().fetch_scalar::<i32>(&pid).await.unwrap().unwrap()
}

/// A POST sent from a task of its own, so the test can hold a transaction meanwhile.
fn spawn_post(
    app: &TestApp,
    path: String,
    token: &str,
    body: Value,
) -> tokio::task::JoinHandle<u16> {
    let req = app.builder(Method::POST, &path, Some(token), Some(body));
    tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_waits_while_another_change_of_the_conversation_holds_it_and_the_newest_message_stays_last()
 {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let c = conversation(&app, &t, inbox, contact, json!({})).await;
    let id = c["id"].as_i64().unwrap();

    // A change of the conversation in progress: its transaction has read the conversation.
    let postgres = app.db.store.engine() == Engine::Postgres;
    let mut tx = app.db.store.begin().await.unwrap();
    let held = conversations::find_by_display_id(&mut tx.conn(), AccountId(t.account_id), id)
        .await
        .unwrap();
    assert!(held.is_some());
    let holder = if postgres {
        backend_pid(&mut tx).await
    } else {
        0
    };

    // Meanwhile an agent resolves it and the customer writes.
    let resolve = spawn_post(
        &app,
        acc(&t, &format!("/conversations/{id}/toggle_status")),
        &t.admin,
        json!({ "status": "resolved" }),
    );
    let reply = spawn_post(
        &app,
        acc(&t, &format!("/conversations/{id}/messages")),
        &t.admin,
        json!({ "content": "Are you there?", "message_type": "incoming" }),
    );
    if postgres {
        // Both wait for the transaction that read the conversation.
        let what = "the changes did not wait for the conversation's row";
        wait_until_blocked(&app, holder, 2, what).await;
    } else {
        // SQLite: the transaction holds the one writer.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!resolve.is_finished() && !reply.is_finished());

    tx.commit().await.unwrap();
    assert_eq!(resolve.await.unwrap(), 200);
    assert_eq!(reply.await.unwrap(), 200);

    // Whichever went first, the conversation's last message is its newest.
    let r = app
        .get(&acc(&t, &format!("/conversations/{id}/messages")), &t.admin)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let newest = r.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_i64())
        .max()
        .unwrap();
    let shown = app
        .get(&acc(&t, &format!("/conversations/{id}")), &t.admin)
        .await;
    assert_eq!(shown.body["messages"][0]["id"], newest, "{:?}", shown.body);
}
