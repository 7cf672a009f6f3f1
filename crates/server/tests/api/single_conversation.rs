//! `lock_to_single_conversation`: an inbox where a contact keeps one conversation. Creating a
//! conversation there, by the Application API or the customer's, returns the contact's last one
//! whatever its status, also when two creations arrive at once.

use std::time::Duration;

use confab_domain::InboxId;
use confab_store::{Engine, contacts};
use reqwest::Method;
use serde_json::{Value, json};

use crate::concurrent_changes::{backend_pid, wait_until_blocked};
use crate::conversations::toggle;
use crate::helpers::{Tenant, TestApp, acc};
use crate::public::{conversations_path, new_source, open, public_inbox};

async fn lock_inbox(app: &TestApp, t: &Tenant, inbox: i64, on: bool) {
    let r = app
        .patch(
            &acc(t, &format!("/inboxes/{inbox}")),
            &t.admin,
            json!({ "lock_to_single_conversation": on }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["lock_to_single_conversation"], on);
}

/// `POST …/conversations` of the Application API for an existing identity; returns its id.
async fn create(app: &TestApp, t: &Tenant, source: &str) -> i64 {
    let r = app
        .post(
            &acc(t, "/conversations"),
            &t.admin,
            json!({ "source_id": source }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_locked_inbox_gives_a_contact_its_last_conversation_whatever_its_status() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, identifier, _) = public_inbox(&app, &t, "Chat").await;
    let jane = new_source(&app, &identifier, json!({ "name": "Jane" })).await;
    let john = new_source(&app, &identifier, json!({ "name": "John" })).await;

    // Unlocked (the default): every creation is a new conversation.
    let first = create(&app, &t, &jane).await;
    let second = create(&app, &t, &jane).await;
    assert_ne!(first, second);

    lock_inbox(&app, &t, inbox, true).await;
    assert_eq!(create(&app, &t, &jane).await, second);
    assert_eq!(open(&app, &identifier, &jane).await["id"], second);
    // Resolved, it is still the one the contact gets.
    let r = toggle(&app, &t, &t.admin, second, json!({ "status": "resolved" })).await;
    assert_eq!(r["payload"]["current_status"], "resolved");
    assert_eq!(create(&app, &t, &jane).await, second);
    let again = open(&app, &identifier, &jane).await;
    assert_eq!(
        (again["id"].as_i64(), &again["status"]),
        (Some(second), &json!("resolved"))
    );
    // Another contact gets a conversation of its own, once.
    let johns = open(&app, &identifier, &john).await["id"].as_i64().unwrap();
    assert!(johns != first && johns != second);
    assert_eq!(create(&app, &t, &john).await, johns);

    lock_inbox(&app, &t, inbox, false).await;
    let third = create(&app, &t, &jane).await;
    assert!(third != first && third != second && third != johns);
}

/// Sends `requests` at once while a transaction of the test holds the identity `source` of
/// `inbox`, waits until both queue behind it, lets it go; returns the answers.
async fn two_at_once(
    app: &TestApp,
    inbox: i64,
    source: &str,
    requests: [reqwest::RequestBuilder; 2],
) -> Vec<Value> {
    let postgres = app.db.store.engine() == Engine::Postgres;
    let mut tx = app.db.store.begin().await.unwrap();
    let ci = contacts::find_contact_inbox(&mut tx.conn(), InboxId(inbox), source)
        .await
        .unwrap()
        .unwrap();
    contacts::lock_contact_inbox(&mut tx.conn(), ci.id)
        .await
        .unwrap();
    let holder = if postgres {
        backend_pid(&mut tx).await
    } else {
        0
    };
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|req| {
            tokio::spawn(async move {
                let r = req.send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.json::<Value>().await.unwrap()
            })
        })
        .collect();
    if postgres {
        let what = "the creations did not wait for the identity's row";
        wait_until_blocked(app, holder, 2, what).await;
    } else {
        // SQLite: the transaction holds the one writer.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(tasks.iter().all(|t| !t.is_finished()));
    tx.commit().await.unwrap();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_creations_at_once_in_a_locked_inbox_make_one_conversation() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, identifier, _) = public_inbox(&app, &t, "Chat").await;
    lock_inbox(&app, &t, inbox, true).await;

    // The customer's side: the widget opens a conversation twice (two tabs).
    let jane = new_source(&app, &identifier, json!({ "name": "Jane" })).await;
    let path = format!("/public/api/v1{}", conversations_path(&identifier, &jane));
    let answers = two_at_once(
        &app,
        inbox,
        &jane,
        [(); 2].map(|()| app.builder(Method::POST, &path, None, Some(json!({})))),
    )
    .await;
    assert_eq!(answers[0]["id"], answers[1]["id"], "{answers:?}");

    // The Application API: a script creates the same contact's conversation twice.
    let john = new_source(&app, &identifier, json!({ "name": "John" })).await;
    let path = acc(&t, "/conversations");
    let body = json!({ "source_id": john });
    let answers = two_at_once(
        &app,
        inbox,
        &john,
        [(); 2].map(|()| app.builder(Method::POST, &path, Some(&t.admin), Some(body.clone()))),
    )
    .await;
    assert_eq!(answers[0]["id"], answers[1]["id"], "{answers:?}");

    let r = app
        .get(&acc(&t, "/conversations?status=all"), &t.admin)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["data"]["meta"]["all_count"], 2, "{:?}", r.body);
}
