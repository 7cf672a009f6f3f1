//! Full-text search of conversations: `conversations/search` and the list's `q` (§6.1, §7):
//! which messages it reads, and that edits and deletions keep it true.

use serde_json::{Value, json};

use crate::conversations::{conversation, messages, setup, toggle};
use crate::helpers::{Tenant, TestApp, acc};
use crate::messages::{T0, post_message as message};
use crate::search_and_filter::{display_ids, get_ok, sorted};

struct SearchFixture {
    jane_refund: i64,
    bob_note: i64,
    bob_parcel: i64,
    refund_message: Value,
}

/// Jane asks for refunds; Bob's first conversation mentions a refund only in a private note;
/// Bob's second talks about a parcel.
async fn search_fixture(app: &TestApp, t: &Tenant) -> SearchFixture {
    let (inbox, jane) = setup(app, t).await;
    let bob = app
        .contact(t, json!({ "name": "Bob Stone", "email": "bob@stone.test" }))
        .await["id"]
        .as_i64()
        .unwrap();
    let jane_refund = conversation(app, t, inbox, jane, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let refund_message = message(
        app,
        t,
        jane_refund,
        json!({ "content": "I want my Refunds now", "message_type": "incoming" }),
    )
    .await;
    message(app, t, jane_refund, json!({ "content": "Looking into it" })).await;
    let bob_note = conversation(app, t, inbox, bob, json!({})).await["id"]
        .as_i64()
        .unwrap();
    message(app, t, bob_note, json!({ "content": "Hello Bob" })).await;
    message(
        app,
        t,
        bob_note,
        json!({ "content": "refund requested internally", "private": true }),
    )
    .await;
    let bob_parcel = conversation(app, t, inbox, bob, json!({})).await["id"]
        .as_i64()
        .unwrap();
    message(
        app,
        t,
        bob_parcel,
        json!({ "content": "Where is my parcel", "message_type": "incoming" }),
    )
    .await;
    SearchFixture {
        jane_refund,
        bob_note,
        bob_parcel,
        refund_message,
    }
}

#[tokio::test]
async fn search_finds_conversations_by_a_word_prefix_of_their_messages_in_the_slim_shape() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let f = search_fixture(&app, &t).await;
    for q in ["refund", "REFUND", "Refunds"] {
        let body = get_ok(
            &app,
            &acc(&t, &format!("/conversations/search?q={q}")),
            &t.admin,
        )
        .await;
        assert_eq!(
            body["meta"],
            json!({ "mine_count": 0, "unassigned_count": 1, "all_count": 1 }),
            "q={q}: counts without assigned_count"
        );
        assert_eq!(display_ids(&body["payload"]), vec![f.jane_refund], "q={q}");
        let hit = &body["payload"][0];
        let mut keys: Vec<&str> = hit
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            vec![
                "account_id",
                "contact",
                "created_at",
                "id",
                "inbox",
                "messages",
                "uuid"
            ],
            "q={q}: the slim search shape"
        );
        assert_eq!(hit["account_id"], t.account_id);
        assert_eq!(hit["created_at"], T0);
        assert_eq!(hit["contact"]["name"], "Jane Doe");
        assert_eq!(hit["inbox"]["name"], "Support");
        assert_eq!(hit["inbox"]["channel_type"], "Channel::Api");
        assert_eq!(
            hit["messages"],
            json!([{
                "id": f.refund_message["id"],
                "content": "I want my Refunds now",
                "message_type": 0,
                "created_at": T0,
                "sender_name": "Jane Doe",
            }]),
            "q={q}: only the matching messages"
        );
    }
}

#[tokio::test]
async fn search_finds_conversations_by_contact_name_and_email() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let f = search_fixture(&app, &t).await;
    let by_name = get_ok(&app, &acc(&t, "/conversations/search?q=jane"), &t.admin).await;
    assert_eq!(display_ids(&by_name["payload"]), vec![f.jane_refund]);
    assert_eq!(by_name["meta"]["all_count"], 1);

    let by_email = get_ok(
        &app,
        &acc(&t, "/conversations/search?q=bob%40stone.test"),
        &t.admin,
    )
    .await;
    assert_eq!(
        sorted(display_ids(&by_email["payload"])),
        vec![f.bob_note, f.bob_parcel]
    );
    assert_eq!(by_email["meta"]["all_count"], 2);

    // Contacts are found by the start of any word of their name or email (indexed, no scan).
    let by_prefix = get_ok(&app, &acc(&t, "/conversations/search?q=STON"), &t.admin).await;
    assert_eq!(
        sorted(display_ids(&by_prefix["payload"])),
        vec![f.bob_note, f.bob_parcel]
    );
    let nothing = get_ok(&app, &acc(&t, "/conversations/search?q=tone"), &t.admin).await;
    assert_eq!(
        nothing["meta"]["all_count"], 0,
        "inside a word is not a word start"
    );
}

#[tokio::test]
async fn search_skips_private_notes_and_needs_q() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    search_fixture(&app, &t).await;
    let body = get_ok(
        &app,
        &acc(&t, "/conversations/search?q=internally"),
        &t.admin,
    )
    .await;
    assert_eq!(body["payload"], json!([]));
    assert_eq!(
        body["meta"],
        json!({ "mine_count": 0, "unassigned_count": 0, "all_count": 0 })
    );

    for path in ["/conversations/search", "/conversations/search?q="] {
        let r = app.get(&acc(&t, path), &t.admin).await;
        assert_eq!(r.status, 422, "{path}: {:?}", r.body);
        assert!(
            r.body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path}: {:?}",
            r.body
        );
    }
}

#[tokio::test]
async fn the_list_q_parameter_narrows_by_message_text() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let f = search_fixture(&app, &t).await;
    let all = get_ok(&app, &acc(&t, "/conversations"), &t.admin).await;
    assert_eq!(all["data"]["meta"]["all_count"], 3);
    let body = get_ok(&app, &acc(&t, "/conversations?q=refund"), &t.admin).await;
    assert_eq!(display_ids(&body["data"]["payload"]), vec![f.jane_refund]);
    assert_eq!(
        body["data"]["meta"],
        json!({ "mine_count": 0, "assigned_count": 0, "unassigned_count": 1, "all_count": 1 })
    );
    let parcel = get_ok(&app, &acc(&t, "/conversations?q=parcel"), &t.admin).await;
    assert_eq!(display_ids(&parcel["data"]["payload"]), vec![f.bob_parcel]);
    let note = get_ok(&app, &acc(&t, "/conversations?q=internally"), &t.admin).await;
    assert_eq!(note["data"]["payload"], json!([]));
}

/// Number of messages the SQLite word index holds (one `docsize` row each), after checking
/// the index is consistent; `None` on PostgreSQL.
pub(crate) async fn sqlite_indexed_messages(app: &TestApp) -> Option<i64> {
    let store = &app.db.store;
    if store.engine() != confab_store::Engine::Sqlite {
        return None;
    }
    store
        .conn()
        .execute_raw("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')".into())
        .await
        .expect("the word index is consistent");
    let count = sea_query::Query::select()
        .expr(sea_query::Func::count(sea_query::Expr::col("id")))
        .from("messages_fts_docsize")
        .to_owned();
    store.conn().fetch_scalar::<i64>(&count).await.unwrap()
}

#[tokio::test]
async fn search_reads_what_was_said_never_activity_and_forgets_deleted_messages() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let f = search_fixture(&app, &t).await;
    // Four searchable messages: Jane's, the admin's reply, "Hello Bob", Bob's parcel.
    let before = sqlite_indexed_messages(&app).await;
    assert!(before.is_none() || before == Some(4), "{before:?}");

    // A status change writes an activity message ("… marked resolved by …"): never found.
    toggle(
        &app,
        &t,
        &t.admin,
        f.bob_parcel,
        json!({ "status": "resolved" }),
    )
    .await;
    let thread = messages(&app, &t, f.bob_parcel).await;
    assert!(
        thread
            .iter()
            .any(|m| m["message_type"] == 2 && m["content"].as_str().unwrap().contains("resolved")),
        "the activity message exists: {thread:?}"
    );
    let resolved = get_ok(&app, &acc(&t, "/conversations/search?q=resolved"), &t.admin).await;
    assert_eq!(resolved["meta"]["all_count"], 0, "{resolved}");
    assert_eq!(sqlite_indexed_messages(&app).await, before);

    // Deleting Jane's message replaces its content: its words are found no more.
    let deleted = app
        .delete(
            &acc(
                &t,
                &format!(
                    "/conversations/{}/messages/{}",
                    f.jane_refund, f.refund_message["id"]
                ),
            ),
            &t.admin,
            None,
        )
        .await;
    assert_eq!(deleted.status, 200, "{:?}", deleted.body);
    let gone = get_ok(&app, &acc(&t, "/conversations/search?q=refunds"), &t.admin).await;
    assert_eq!(gone["meta"]["all_count"], 0, "{gone}");

    // A new message with the word is found again, in the right conversation only.
    message(
        &app,
        &t,
        f.jane_refund,
        json!({ "content": "Still waiting for my refund", "message_type": "incoming" }),
    )
    .await;
    let again = get_ok(&app, &acc(&t, "/conversations/search?q=refund"), &t.admin).await;
    assert_eq!(display_ids(&again["payload"]), vec![f.jane_refund]);
    assert_eq!(
        sqlite_indexed_messages(&app).await,
        before.map(|n| n + 1),
        "the deleted message's replacement text and the new message are indexed"
    );
}
