//! `confab admin seed`: the generated account behaves like one built through the API.

use confab_app::seed::{SeedOptions, SeedReport};
use serde_json::json;

use crate::helpers::TestApp;
use crate::search::sqlite_indexed_messages;

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

/// `GET` of an account path as the seeded administrator; the body of its 200 answer.
async fn admin_get(t: &TestApp, r: &SeedReport, rest: &str) -> serde_json::Value {
    let got = t.get(&path(r, rest), &r.admin_token).await;
    assert_eq!(got.status, 200, "{rest}: {:?}", got.body);
    got.body
}

/// The conversations whose messages hold `q`, as the administrator sees them.
async fn search(t: &TestApp, r: &SeedReport, q: &str) -> serde_json::Value {
    admin_get(t, r, &format!("conversations/search?q={q}")).await
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

    let search = search(&t, &r, &r.rare_word).await;
    assert!(
        !search["payload"].as_array().unwrap().is_empty(),
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

/// The list's counts come from trigger-kept counters; the filter counts the rows themselves.
/// After every kind of change they must agree.
async fn counts_agree(t: &TestApp, r: &SeedReport, inbox: Option<i64>) {
    for status in ["open", "resolved", "pending", "snoozed"] {
        let narrow = inbox.map(|i| format!("&inbox_id={i}")).unwrap_or_default();
        let meta = admin_get(t, r, &format!("conversations/meta?status={status}{narrow}")).await;
        let mut conditions = vec![
            json!({ "attribute_key": "status", "filter_operator": "equal_to", "values": [status], "query_operator": "and" }),
        ];
        if let Some(i) = inbox {
            conditions.push(json!({ "attribute_key": "inbox_id", "filter_operator": "equal_to", "values": [i], "query_operator": null }));
        } else {
            conditions[0]["query_operator"] = json!(null);
        }
        let counted = t
            .post(
                &path(r, "conversations/filter"),
                &r.admin_token,
                json!({ "payload": conditions }),
            )
            .await;
        assert_eq!(counted.status, 200, "{:?}", counted.body);
        for key in ["all_count", "unassigned_count", "mine_count"] {
            assert_eq!(
                meta["meta"][key], counted.body["meta"][key],
                "{status} {key} (inbox {inbox:?}): counters {} vs rows {}",
                meta["meta"], counted.body["meta"]
            );
        }
    }
}

#[tokio::test]
async fn list_counts_stay_exact_through_status_assignment_team_and_deletions() {
    let t = TestApp::spawn().await;
    let r = seeded(&t, 300).await;
    counts_agree(&t, &r, None).await;

    let agents = t.get(&path(&r, "agents"), &r.admin_token).await;
    let agent_ids: Vec<i64> = agents
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    let teams = t.get(&path(&r, "teams"), &r.admin_token).await;
    let team_id = teams.body[0]["id"].as_i64().unwrap();
    for id in 1..=60i64 {
        let status = ["open", "resolved", "pending", "snoozed"][(id % 4) as usize];
        let s = t
            .post(
                &path(&r, &format!("conversations/{id}/toggle_status")),
                &r.admin_token,
                json!({ "status": status }),
            )
            .await;
        assert_eq!(s.status, 200, "{:?}", s.body);
        let assignee = if id % 3 == 0 {
            json!(null)
        } else {
            json!(agent_ids[(id as usize) % agent_ids.len()])
        };
        let a = t
            .post(
                &path(&r, &format!("conversations/{id}/assignments")),
                &r.admin_token,
                json!({ "assignee_id": assignee }),
            )
            .await;
        assert_eq!(a.status, 200, "{:?}", a.body);
        if id % 5 == 0 {
            let tm = t
                .post(
                    &path(&r, &format!("conversations/{id}/assignments")),
                    &r.admin_token,
                    json!({ "team_id": team_id }),
                )
                .await;
            assert_eq!(tm.status, 200, "{:?}", tm.body);
        }
    }
    counts_agree(&t, &r, None).await;
    counts_agree(&t, &r, Some(r.inbox_ids[0])).await;

    for id in 61..=70 {
        let d = t
            .delete(
                &path(&r, &format!("conversations/{id}")),
                &r.admin_token,
                None,
            )
            .await;
        assert!(d.status.is_success(), "{:?}", d.body);
    }
    // Deleting an inbox removes its conversations by cascade; the counters follow.
    let d = t
        .delete(
            &path(&r, &format!("inboxes/{}", r.inbox_ids[1])),
            &r.admin_token,
            None,
        )
        .await;
    assert!(d.status.is_success(), "{:?}", d.body);
    counts_agree(&t, &r, None).await;
    let all = t
        .get(&path(&r, "conversations/meta?status=all"), &r.admin_token)
        .await;
    let left = all.body["meta"]["all_count"].as_i64().unwrap();
    assert!(
        left < 290,
        "the second inbox's conversations are gone: {left}"
    );
}

/// Like any bulk load, the seed leaves the planner's statistics in place and, on PostgreSQL, the
/// tables vacuumed (VACUUM removes the dead row versions): its large transactions leave thousands of dead versions of every counter
/// row behind, which `meta` would otherwise read through until autovacuum came by.
#[tokio::test]
async fn a_seeded_database_is_analyzed_and_on_postgres_vacuumed() {
    let t = TestApp::spawn().await;
    seeded(&t, 200).await;
    let scalar = |sql: &str| {
        let stmt = sea_query::Query::select()
            .expr(sea_query::Expr::cust(sql.to_owned()))
            .to_owned();
        let store = t.db.store.clone();
        async move { store.conn().fetch_scalar::<i64>(&stmt).await.unwrap() }
    };
    match t.db.store.engine() {
        confab_store::Engine::Sqlite => {
            let analyzed = scalar(
                "(SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl IN ('conversations', 'messages'))",
            )
            .await;
            assert!(analyzed.unwrap_or(0) >= 2, "no statistics: {analyzed:?}");
        }
        confab_store::Engine::Postgres => {
            for table in ["conversation_counts", "messages"] {
                // Counts VACUUM commands only (autovacuum has a column of its own). Not the
                // all-visible pages: a background task's snapshot can keep VACUUM from
                // setting them.
                let vacuumed = scalar(&format!(
                    "(SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = '{table}'::regclass)"
                ))
                .await;
                assert!(
                    vacuumed.unwrap_or(0) > 0,
                    "{table} not vacuumed: {vacuumed:?}"
                );
            }
            let analyzed = scalar("(SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE oid = 'conversations'::regclass)").await;
            assert_eq!(analyzed, Some(200), "statistics of conversations");
        }
    }
}

/// Messages of every account that search reads: incoming and outgoing, not private notes.
fn searchable_messages(extra: &str) -> sea_query::SelectStatement {
    sea_query::Query::select()
        .expr(sea_query::Expr::cust("COUNT(DISTINCT conversation_id)"))
        .expr(sea_query::Expr::cust("COUNT(*)"))
        .from("messages")
        .and_where(sea_query::Expr::cust(format!(
            "message_type IN (0, 1) AND NOT private{extra}"
        )))
        .to_owned()
}

#[tokio::test]
async fn a_seed_indexes_exactly_its_searchable_messages_and_messages_after_it_are_indexed_live() {
    let t = TestApp::spawn().await;
    let r = seeded(&t, 400).await;
    let store = &t.db.store;
    let (_, searchable): (i64, i64) = store
        .conn()
        .fetch_one(&searchable_messages(""))
        .await
        .unwrap();
    assert!(searchable > 0 && (searchable as u64) < r.messages, "{r:?}");
    if let Some(indexed) = sqlite_indexed_messages(&t).await {
        assert_eq!(
            indexed, searchable,
            "the word index holds the searchable messages only"
        );
    }

    let (with_word, _): (i64, i64) = store
        .conn()
        .fetch_one(&searchable_messages(&format!(
            " AND content LIKE '%{}%'",
            r.rare_word
        )))
        .await
        .unwrap();
    assert!(with_word > 0, "{r:?}");
    let found = search(&t, &r, &r.rare_word).await;
    assert_eq!(found["meta"]["all_count"], json!(with_word));

    // The seed leaves the word index's triggers on: a reply written now is found.
    let reply = t
        .post(
            &path(&r, "conversations/7/messages"),
            &r.admin_token,
            json!({ "content": "a zyzzyva reply" }),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let found = search(&t, &r, "zyzzyva").await;
    assert_eq!(found["meta"]["all_count"], json!(1), "{found:?}");
    assert_eq!(found["payload"][0]["id"], json!(7));
    if let Some(indexed) = sqlite_indexed_messages(&t).await {
        assert_eq!(indexed, searchable + 1);
    }
}
