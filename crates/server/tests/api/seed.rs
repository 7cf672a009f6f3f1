//! `confab admin seed`: the generated account behaves like one built through the API.

use confab_app::seed::{SeedOptions, SeedReport};
use serde_json::json;

use crate::helpers::TestApp;

async fn seeded(t: &TestApp, conversations: u64) -> SeedReport {
    t.app
        .seed(&SeedOptions {
            conversations,
            agents: 4,
            inboxes: 2,
            seed: 7,
        })
        .await
        .unwrap()
}

fn path(r: &SeedReport, rest: &str) -> String {
    format!("/api/v1/accounts/{}/{rest}", r.account_id)
}

#[tokio::test]
async fn seeded_conversations_are_counted_listed_and_searchable_through_the_api() {
    let t = TestApp::spawn().await;
    let r = seeded(&t, 400).await;
    assert_eq!(r.conversations, 400);
    assert!(r.messages >= 400, "{r:?}");
    assert!(
        r.open_conversations > 0 && r.open_conversations < 400,
        "{r:?}"
    );

    let meta = t
        .get(&path(&r, "conversations/meta?status=open"), &r.admin_token)
        .await;
    assert_eq!(meta.status, 200, "{:?}", meta.body);
    assert_eq!(meta.body["meta"]["all_count"], json!(r.open_conversations));

    let all = t
        .get(&path(&r, "conversations/meta?status=all"), &r.admin_token)
        .await;
    assert_eq!(all.body["meta"]["all_count"], json!(400));

    let list = t
        .get(&path(&r, "conversations?status=open"), &r.admin_token)
        .await;
    assert_eq!(list.status, 200);
    let payload = list.body["data"]["payload"].as_array().unwrap();
    assert_eq!(payload.len(), 25.min(r.open_conversations as usize));
    // Newest activity first, as the list index orders them.
    let times: Vec<i64> = payload
        .iter()
        .map(|c| c["last_activity_at"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    // Every conversation's last message is the last of its messages.
    let first = &payload[0];
    let id = first["id"].as_i64().unwrap();
    let msgs = t
        .get(
            &path(&r, &format!("conversations/{id}/messages")),
            &r.admin_token,
        )
        .await;
    let last = msgs.body["payload"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(first["last_non_activity_message"]["id"], last["id"]);

    let search = t
        .get(
            &path(&r, &format!("conversations/search?q={}", r.rare_word)),
            &r.admin_token,
        )
        .await;
    assert_eq!(search.status, 200, "{:?}", search.body);
    assert!(
        !search.body["payload"].as_array().unwrap().is_empty(),
        "the rare word is in about 1% of {} messages",
        r.messages
    );
}

#[tokio::test]
async fn writes_after_a_seed_continue_its_ids_and_display_ids() {
    let t = TestApp::spawn().await;
    let r = seeded(&t, 120).await;
    let contact = t
        .post(
            &path(&r, "contacts"),
            &r.admin_token,
            json!({ "name": "After Seed", "email": "after@example.com", "inbox_id": r.inbox_ids[0] }),
        )
        .await;
    assert_eq!(contact.status, 200, "{:?}", contact.body);
    let contact_id = contact.body["payload"]["contact"]["id"].as_i64().unwrap();
    let conv = t
        .post(
            &path(&r, "conversations"),
            &r.admin_token,
            json!({ "contact_id": contact_id, "inbox_id": r.inbox_ids[0], "message": { "content": "hi" } }),
        )
        .await;
    assert_eq!(conv.status, 200, "{:?}", conv.body);
    assert_eq!(conv.body["id"], json!(121));

    // A second seeded account on the same database starts its own display ids at 1.
    let again = seeded(&t, 10).await;
    assert_ne!(again.account_id, r.account_id);
    let one = t
        .get(&path(&again, "conversations/1"), &again.admin_token)
        .await;
    assert_eq!(one.status, 200, "{:?}", one.body);
    let foreign = t
        .get(&path(&again, "conversations/11"), &again.admin_token)
        .await;
    assert_eq!(foreign.status, 404);
}

#[tokio::test]
async fn seeded_timed_snoozes_wake_up_like_live_ones() {
    let t = TestApp::spawn().await;
    let r = seeded(&t, 600).await;
    let before = t
        .get(
            &path(&r, "conversations/meta?status=snoozed"),
            &r.admin_token,
        )
        .await;
    let snoozed = before.body["meta"]["all_count"].as_i64().unwrap();
    assert!(snoozed > 0, "600 conversations include snoozed ones");
    t.clock.advance_seconds(8 * 24 * 3600);
    t.app.run_pending_jobs().await.unwrap();
    let after = t
        .get(
            &path(&r, "conversations/meta?status=snoozed"),
            &r.admin_token,
        )
        .await;
    let left = after.body["meta"]["all_count"].as_i64().unwrap();
    assert!(left < snoozed, "timed snoozes woke: {snoozed} -> {left}");
}
