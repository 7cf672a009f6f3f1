//! The lifecycle beyond Chatwoot's: spam, the snooze grammar in Chatwoot's dialect, the
//! snooze's reply policy, the account time zone and auto-resolve on inactivity.

use serde_json::{Value, json};

use crate::conversations::{activities, conversation, incoming, messages, setup, show, toggle};
use crate::helpers::{Tenant, TestApp, acc, assert_invalid};
use crate::messages::post_message;

/// The test clock's start: 2026-11-18T11:06:40Z, a Wednesday (06:06:40 in New York).
const START: i64 = 1_795_000_000;

async fn list_ids(app: &TestApp, t: &Tenant, query: &str) -> (Vec<i64>, Value) {
    let r = app
        .get(&acc(t, &format!("/conversations{query}")), &t.admin)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let ids = r.body["data"]["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    (ids, r.body["data"]["meta"].clone())
}

#[tokio::test]
async fn spam_is_hidden_from_every_default_list_and_count_and_reachable_by_name() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    for _ in 0..3 {
        conversation(&app, &t, inbox, contact, json!({})).await;
    }
    let r = toggle(&app, &t, &t.admin, 2, json!({ "status": "spam" })).await;
    assert_eq!(r["payload"]["current_status"], "spam");
    assert_eq!(
        activities(&app, &t, 2).await,
        vec!["Conversation was marked as spam by admin of Acme"]
    );

    let (open, meta) = list_ids(&app, &t, "").await;
    assert_eq!(open, vec![3, 1]);
    assert_eq!(meta["all_count"], 2);
    let (all, meta) = list_ids(&app, &t, "?status=all").await;
    assert_eq!(all, vec![3, 1]);
    assert_eq!(meta["all_count"], 2);
    let meta = app
        .get(&acc(&t, "/conversations/meta?status=all"), &t.admin)
        .await;
    assert_eq!(meta.body["meta"]["all_count"], 2);
    let (spam, meta) = list_ids(&app, &t, "?status=spam").await;
    assert_eq!(spam, vec![2]);
    assert_eq!(meta["all_count"], 1);
    // A filter that does not name the status leaves spam out; one that names it reaches it.
    let filter = |status: &str| json!({ "payload": [{ "attribute_key": "status", "filter_operator": "equal_to", "values": [status], "query_operator": null }] });
    let r = app
        .post(&acc(&t, "/conversations/filter"), &t.admin, filter("all"))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["meta"]["all_count"], 2);
    let r = app
        .post(&acc(&t, "/conversations/filter"), &t.admin, filter("spam"))
        .await;
    assert_eq!(r.body["meta"]["all_count"], 1);
    assert_eq!(r.body["payload"][0]["id"], 2);
}

#[tokio::test]
async fn incoming_messages_do_not_reopen_spam_and_marking_spam_can_block_the_contact() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    toggle(&app, &t, &t.admin, 1, json!({ "status": "spam" })).await;
    incoming(&app, &t, 1, "buy cheap watches").await;
    assert_eq!(show(&app, &t, 1).await["status"], "spam");
    let c = app
        .get(&acc(&t, &format!("/contacts/{contact}")), &t.admin)
        .await;
    assert_eq!(c.body["payload"]["blocked"], false);

    conversation(&app, &t, inbox, contact, json!({})).await;
    toggle(
        &app,
        &t,
        &t.admin,
        2,
        json!({ "status": "spam", "block_contact": true }),
    )
    .await;
    let c = app
        .get(&acc(&t, &format!("/contacts/{contact}")), &t.admin)
        .await;
    assert_eq!(c.body["payload"]["blocked"], true);
    // Toggling without a status takes spam back to open.
    let r = toggle(&app, &t, &t.admin, 1, json!({})).await;
    assert_eq!(r["payload"]["current_status"], "open");
}

async fn snooze_phrase(app: &TestApp, t: &Tenant, id: i64, phrase: Value) -> Value {
    let r = app
        .post(
            &acc(t, &format!("/conversations/{id}/toggle_status")),
            &t.admin,
            json!({ "status": "snoozed", "snoozed_until": phrase }),
        )
        .await;
    assert_eq!(r.status, 200, "{phrase}: {:?}", r.body);
    r.body["payload"]["snoozed_until"].clone()
}

#[tokio::test]
async fn every_snooze_form_works_in_chatwoots_toggle_status_in_the_account_zone() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let r = app
        .patch(
            &acc(&t, ""),
            &t.admin,
            json!({ "timezone": "America/New_York" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["settings"]["timezone"], "America/New_York");
    // Now is Wednesday 2026-11-18 11:06:40Z = 06:06:40 in New York (EST, UTC-5).
    let cases: Vec<(Value, &str)> = vec![
        (json!("5m"), "2026-11-18T11:11:40.000Z"),
        (json!("2h"), "2026-11-18T13:06:40.000Z"),
        (json!("+30"), "2026-11-18T11:36:40.000Z"),
        (json!("3d"), "2026-11-21T11:06:40.000Z"),
        // 09:00 in New York, not in UTC; "wednesday" said on a Wednesday is next week.
        (json!("tomorrow"), "2026-11-19T14:00:00.000Z"),
        (json!("wednesday"), "2026-11-25T14:00:00.000Z"),
        (json!("tuesday"), "2026-11-24T14:00:00.000Z"),
        (json!("monday"), "2026-11-23T14:00:00.000Z"),
        (json!("sunday"), "2026-11-22T14:00:00.000Z"),
        (json!("one week"), "2026-11-25T11:06:40.000Z"),
        (json!("next week"), "2026-11-23T14:00:00.000Z"),
        (json!("one month"), "2026-12-18T11:06:40.000Z"),
        (json!("2026-12-01T10:00:00Z"), "2026-12-01T10:00:00.000Z"),
        (json!("2026-12-01"), "2026-12-01T14:00:00.000Z"),
        (json!(START + 3600), "2026-11-18T12:06:40.000Z"),
        (json!((START + 60).to_string()), "2026-11-18T11:07:40.000Z"),
    ];
    for (phrase, want) in cases {
        let got = snooze_phrase(&app, &t, 1, phrase.clone()).await;
        assert_eq!(got, want, "snoozed_until {phrase}");
        assert_eq!(show(&app, &t, 1).await["snoozed_until"], want);
    }
    for bad in [
        json!("2020-01-01T00:00:00Z"),
        json!(START - 10),
        json!("someday"),
    ] {
        let r = app
            .post(
                &acc(&t, "/conversations/1/toggle_status"),
                &t.admin,
                json!({ "status": "snoozed", "snoozed_until": bad }),
            )
            .await;
        assert_invalid(r.status, &r.body, "snoozed_until", &bad.to_string());
    }
    let r = app
        .patch(
            &acc(&t, ""),
            &t.admin,
            json!({ "timezone": "Mars/Olympus" }),
        )
        .await;
    assert_invalid(r.status, &r.body, "timezone", "an unknown zone");
}

#[tokio::test]
async fn a_new_conversation_may_start_snoozed_with_a_phrase() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let c = conversation(
        &app,
        &t,
        inbox,
        contact,
        json!({ "status": "snoozed", "snoozed_until": "2h" }),
    )
    .await;
    assert_eq!(c["status"], "snoozed");
    assert_eq!(c["snoozed_until"], "2026-11-18T13:06:40.000Z");
}

#[tokio::test]
async fn a_snooze_that_ignores_replies_stays_snoozed_until_its_time() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    toggle(
        &app,
        &t,
        &t.admin,
        1,
        json!({ "status": "snoozed", "snoozed_until": "2h", "wake_on_reply": false }),
    )
    .await;
    toggle(
        &app,
        &t,
        &t.admin,
        2,
        json!({ "status": "snoozed", "snoozed_until": "2h" }),
    )
    .await;
    incoming(&app, &t, 1, "any news?").await;
    incoming(&app, &t, 2, "any news?").await;
    assert_eq!(show(&app, &t, 1).await["status"], "snoozed");
    assert_eq!(show(&app, &t, 2).await["status"], "open");
    // Its time still wakes it, and the policy does not outlive the snooze.
    app.clock.advance_seconds(2 * 3600);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(show(&app, &t, 1).await["status"], "open");
    toggle(
        &app,
        &t,
        &t.admin,
        1,
        json!({ "status": "snoozed", "snoozed_until": "1h" }),
    )
    .await;
    incoming(&app, &t, 1, "hello again").await;
    assert_eq!(show(&app, &t, 1).await["status"], "open");
}

async fn set_account(app: &TestApp, t: &Tenant, body: Value) {
    let r = app.patch(&acc(t, ""), &t.admin, body).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

#[tokio::test]
async fn inactive_conversations_resolve_with_the_closing_message_and_activity_moves_the_time() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    set_account(
        &app,
        &t,
        json!({ "auto_resolve_after": 60, "auto_resolve_message": "Closing this for now." }),
    )
    .await;
    conversation(
        &app,
        &t,
        inbox,
        contact,
        json!({ "message": { "content": "hi" } }),
    )
    .await;
    conversation(
        &app,
        &t,
        inbox,
        contact,
        json!({ "message": { "content": "hi" } }),
    )
    .await;
    app.clock.advance_seconds(40 * 60);
    incoming(&app, &t, 2, "still there?").await;
    app.clock.advance_seconds(25 * 60);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(show(&app, &t, 1).await["status"], "resolved");
    assert_eq!(show(&app, &t, 2).await["status"], "open");
    let msgs = messages(&app, &t, 1).await;
    let closing = msgs
        .iter()
        .find(|m| m["content"] == "Closing this for now.")
        .expect("the closing message");
    assert_eq!(closing["message_type"], 1);
    assert_eq!(
        activities(&app, &t, 1).await,
        vec!["Conversation was marked resolved by system due to 1 hours of inactivity"]
    );
    // Conversation 2's hour runs from its last message.
    app.clock.advance_seconds(40 * 60);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(show(&app, &t, 2).await["status"], "resolved");
    // Resolved conversations are left alone, and a job runs once.
    app.clock.advance_seconds(3 * 3600);
    assert_eq!(app.app.run_pending_jobs().await.unwrap(), 0);
    assert_eq!(
        activities(&app, &t, 1).await.len(),
        1,
        "resolved exactly once"
    );
}

#[tokio::test]
async fn an_inbox_overrides_the_account_and_may_take_pending_conversations_too() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let quiet = app.api_inbox(&t, "Quiet").await["id"].as_i64().unwrap();
    set_account(&app, &t, json!({ "auto_resolve_after": 60 })).await;
    // The support inbox resolves after 30 minutes, pending ones too; the quiet one never.
    let r = app
        .patch(
            &acc(&t, &format!("/inboxes/{inbox}")),
            &t.admin,
            json!({ "auto_resolve_after": 30, "auto_resolve_pending": true, "auto_resolve_message": "Bye" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["auto_resolve_after"], 30);
    let r = app
        .patch(
            &acc(&t, &format!("/inboxes/{quiet}")),
            &t.admin,
            json!({ "auto_resolve_after": 0 }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    conversation(&app, &t, inbox, contact, json!({ "status": "pending" })).await;
    conversation(&app, &t, quiet, contact, json!({})).await;
    toggle(&app, &t, &t.admin, 1, json!({ "status": "pending" })).await;
    app.clock.advance_seconds(31 * 60);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(show(&app, &t, 1).await["status"], "resolved");
    assert!(
        messages(&app, &t, 1)
            .await
            .iter()
            .any(|m| m["content"] == "Bye")
    );
    app.clock.advance_seconds(5 * 3600);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(show(&app, &t, 2).await["status"], "open");
    let bad = app
        .patch(
            &acc(&t, &format!("/inboxes/{inbox}")),
            &t.admin,
            json!({ "auto_resolve_after": 5 }),
        )
        .await;
    assert_invalid(bad.status, &bad.body, "auto_resolve_after", "5 minutes");
}

#[tokio::test]
async fn without_the_pending_option_and_with_ignore_waiting_conversations_stay() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    set_account(
        &app,
        &t,
        json!({ "auto_resolve_after": 60, "auto_resolve_ignore_waiting": true }),
    )
    .await;
    // 1: pending (not covered); 2: the contact waits for a reply; 3: answered, then idle.
    conversation(&app, &t, inbox, contact, json!({})).await;
    toggle(&app, &t, &t.admin, 1, json!({ "status": "pending" })).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    incoming(&app, &t, 2, "hello?").await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    incoming(&app, &t, 3, "hello?").await;
    post_message(&app, &t, 3, json!({ "content": "Here to help" })).await;
    app.clock.advance_seconds(2 * 3600);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(show(&app, &t, 1).await["status"], "pending");
    assert_eq!(show(&app, &t, 2).await["status"], "open");
    assert_eq!(show(&app, &t, 3).await["status"], "resolved");
}

#[tokio::test]
async fn with_ignore_waiting_an_agent_reply_restarts_the_clock_after_a_wait() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    set_account(
        &app,
        &t,
        json!({ "auto_resolve_after": 60, "auto_resolve_ignore_waiting": true }),
    )
    .await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    incoming(&app, &t, 1, "hello?").await;
    // The job comes due while the contact waits: nothing happens.
    app.clock.advance_seconds(2 * 3600);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(show(&app, &t, 1).await["status"], "open");
    post_message(&app, &t, 1, json!({ "content": "Here to help" })).await;
    app.clock.advance_seconds(30 * 60);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(
        show(&app, &t, 1).await["status"],
        "open",
        "half an hour after the reply"
    );
    app.clock.advance_seconds(31 * 60);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(
        show(&app, &t, 1).await["status"],
        "resolved",
        "an hour after the reply"
    );
}

#[tokio::test]
async fn turning_auto_resolve_on_gives_the_idle_conversations_already_open_their_jobs() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    // Three idle conversations from before the setting, one recent, one resolved.
    for _ in 0..3 {
        conversation(&app, &t, inbox, contact, json!({})).await;
    }
    app.clock.advance_seconds(5 * 3600);
    conversation(&app, &t, inbox, contact, json!({})).await;
    conversation(&app, &t, inbox, contact, json!({ "status": "resolved" })).await;
    set_account(&app, &t, json!({ "auto_resolve_after": 120 })).await;
    app.app.run_pending_jobs().await.unwrap();
    for id in 1..=3 {
        assert_eq!(show(&app, &t, id).await["status"], "resolved", "#{id}");
    }
    assert_eq!(show(&app, &t, 4).await["status"], "open");
    app.clock.advance_seconds(2 * 3600);
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(show(&app, &t, 4).await["status"], "resolved");
    assert_eq!(
        activities(&app, &t, 5).await,
        Vec::<String>::new(),
        "a resolved conversation is not touched"
    );
}

#[tokio::test]
async fn only_a_filter_that_names_spam_reaches_it_and_the_customer_cannot_move_it() {
    use crate::public::{conversations_path, new_source, open, public, public_inbox};
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, identifier, _) = public_inbox(&app, &t, "Widget").await;
    let source = new_source(&app, &identifier, json!({ "name": "Spammer" })).await;
    let id = open(&app, &identifier, &source).await["id"]
        .as_i64()
        .unwrap();
    let other = open(&app, &identifier, &source).await["id"]
        .as_i64()
        .unwrap();
    toggle(&app, &t, &t.admin, id, json!({ "status": "spam" })).await;
    toggle(&app, &t, &t.admin, other, json!({ "status": "resolved" })).await;
    let cond = |op: &str, status: &str| json!({ "payload": [{ "attribute_key": "status", "filter_operator": op, "values": [status], "query_operator": null }] });
    let r = app
        .post(
            &acc(&t, "/conversations/filter"),
            &t.admin,
            cond("not_equal_to", "open"),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["meta"]["all_count"], 1, "{:?}", r.body);
    assert_eq!(r.body["payload"][0]["id"], other);
    // The customer's "resolve" leaves spam alone, so their next message cannot reopen it.
    let r = public(
        &app,
        reqwest::Method::POST,
        &format!(
            "{}/{id}/toggle_status",
            conversations_path(&identifier, &source)
        ),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    crate::public::say(&app, &identifier, &source, id, "hello again").await;
    assert_eq!(show(&app, &t, id).await["status"], "spam");
}

#[tokio::test]
async fn snoozes_that_nothing_could_wake_or_that_lie_beyond_ten_years_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    for (body, field) in [
        (
            json!({ "status": "snoozed", "wake_on_reply": false }),
            "wake_on_reply",
        ),
        (
            json!({ "status": "snoozed", "snoozed_until": 1e18 }),
            "snoozed_until",
        ),
        (
            json!({ "status": "snoozed", "snoozed_until": START + 11 * 366 * 86_400 }),
            "snoozed_until",
        ),
    ] {
        let r = app
            .post(
                &acc(&t, "/conversations/1/toggle_status"),
                &t.admin,
                body.clone(),
            )
            .await;
        assert_invalid(r.status, &r.body, field, &body.to_string());
    }
    assert_eq!(show(&app, &t, 1).await["status"], "open");
    // A null time zone goes back to UTC.
    set_account(&app, &t, json!({ "timezone": "Asia/Tokyo" })).await;
    let r = app
        .patch(&acc(&t, ""), &t.admin, json!({ "timezone": null }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.body["settings"].get("timezone").is_none(), "{:?}", r.body);
}

#[tokio::test]
async fn a_status_change_moves_the_activity_time_and_its_note_becomes_the_last_message() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let id = conversation(&app, &t, inbox, contact, json!({})).await["id"]
        .as_i64()
        .unwrap();
    incoming(&app, &t, id, "Where is my parcel?").await;
    let created = show(&app, &t, id).await["timestamp"].as_i64().unwrap();

    app.clock.advance_seconds(600);
    let r = toggle(&app, &t, &t.admin, id, json!({ "status": "pending" })).await;
    assert_eq!(r["payload"]["current_status"], "pending");
    let after = show(&app, &t, id).await;
    assert_eq!(after["status"], "pending");
    assert_eq!(after["timestamp"], created + 600, "{after}");
    assert_eq!(after["last_activity_at"], created + 600, "{after}");
    let last = &after["messages"][0];
    assert_eq!(last["message_type"], 2, "{after}");
    assert_eq!(
        last["content"],
        "Conversation was marked as pending by admin of Acme"
    );
    // The customer's message stays the last one that is not activity.
    assert_eq!(
        after["last_non_activity_message"]["content"], "Where is my parcel?",
        "{after}"
    );
    assert_eq!(
        activities(&app, &t, id).await,
        vec!["Conversation was marked as pending by admin of Acme"]
    );

    // Writing back the same status changes nothing: no activity, no new time.
    app.clock.advance_seconds(600);
    toggle(&app, &t, &t.admin, id, json!({ "status": "pending" })).await;
    let same = show(&app, &t, id).await;
    assert_eq!(same["timestamp"], created + 600, "{same}");
    assert_eq!(activities(&app, &t, id).await.len(), 1);
}
