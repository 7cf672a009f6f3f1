//! Retention: events and finished webhook deliveries older than `CONFAB_RETENTION_DAYS` are
//! deleted by a recurring job; pending deliveries and anything recent stay.

use confab_app::Clock;
use serde_json::json;

use crate::conversations::{conversation, setup};
use crate::helpers::{Tenant, TestApp, acc};
use crate::messages::post_message;
use crate::webhook_sink::WebhookSink;
use crate::webhooks::webhook;

const DAY: i64 = 86_400;

/// The states of a webhook's delivery log, newest first.
async fn log_states(app: &TestApp, t: &Tenant, hook: i64) -> Vec<String> {
    let r = app
        .get(&acc(t, &format!("/webhooks/{hook}/deliveries")), &t.admin)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["state"].as_str().unwrap().to_owned())
        .collect()
}

/// How many events were recorded before and since `at` (Unix seconds).
async fn events_around(app: &TestApp, at: i64) -> (usize, usize) {
    let rows = app
        .db
        .store
        .conn()
        .fetch_all_static::<(i64,)>("SELECT created_at FROM events")
        .await
        .unwrap();
    let before = rows.iter().filter(|(t,)| *t < at * 1_000_000).count();
    (before, rows.len() - before)
}

/// A tenant with a webhook that receives (sink) and one whose receiver is down, both for
/// `message_created`, and a conversation; returns (tenant, good hook, down hook, conversation).
async fn receivers(app: &TestApp, sink: &WebhookSink) -> (Tenant, i64, i64, i64) {
    let t = app.tenant("Acme").await;
    let (good, _) = webhook(app, &t, &sink.url("/in"), &["message_created"]).await;
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let (bad, _) = webhook(app, &t, &format!("http://{down}/in"), &["message_created"]).await;
    let (inbox, contact) = setup(app, &t).await;
    let c = conversation(app, &t, inbox, contact, json!({})).await;
    (t, good, bad, c["id"].as_i64().unwrap())
}

/// Posts a message in conversation `id` and runs the outbox, so its deliveries are written and
/// tried.
async fn send(app: &TestApp, t: &Tenant, id: i64, text: &str) {
    post_message(app, t, id, json!({ "content": text })).await;
    app.app.run_outbox().await.unwrap();
}

#[tokio::test]
async fn old_events_and_finished_deliveries_are_deleted_and_pending_or_recent_ones_kept() {
    let app = TestApp::spawn_with(|c| c.retention_days = 30).await;
    let sink = WebhookSink::start().await;
    let (t, good, bad, id) = receivers(&app, &sink).await;
    send(&app, &t, id, "in March").await;

    app.clock.advance_seconds(31 * DAY);
    let month_later = app.clock.now().unix_seconds();
    send(&app, &t, id, "in April").await;
    assert_eq!(log_states(&app, &t, good).await, ["delivered", "delivered"]);
    assert_eq!(log_states(&app, &t, bad).await, ["pending", "pending"]);
    let (old, recent) = events_around(&app, month_later).await;
    assert!(old > 0 && recent > 0, "{old} old, {recent} recent");

    app.app.schedule_retention().await.unwrap();
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(log_states(&app, &t, good).await, ["delivered"]);
    // Still being retried: kept however old.
    assert_eq!(log_states(&app, &t, bad).await, ["pending", "pending"]);
    assert_eq!(events_around(&app, month_later).await, (0, recent));

    // The job comes back by itself: a month on, April's delivery goes too.
    app.clock.advance_seconds(31 * DAY);
    app.app.run_pending_jobs().await.unwrap();
    assert!(log_states(&app, &t, good).await.is_empty());
    assert_eq!(
        events_around(&app, app.clock.now().unix_seconds()).await.0,
        0
    );
}

#[tokio::test]
async fn with_retention_off_nothing_is_deleted() {
    let app = TestApp::spawn_with(|c| c.retention_days = 0).await;
    let sink = WebhookSink::start().await;
    let (t, good, _, id) = receivers(&app, &sink).await;
    send(&app, &t, id, "long ago").await;

    app.clock.advance_seconds(400 * DAY);
    app.app.schedule_retention().await.unwrap();
    app.app.run_pending_jobs().await.unwrap();
    assert_eq!(log_states(&app, &t, good).await, ["delivered"]);
    assert!(events_around(&app, app.clock.now().unix_seconds()).await.0 > 0);
}

#[tokio::test]
async fn a_backlog_larger_than_one_run_is_deleted_at_once_in_bounded_runs() {
    let app = TestApp::spawn_with(|c| c.retention_days = 30).await;
    let t = app.tenant("Acme").await;
    let long_ago =
        confab_domain::Timestamp::from_unix_seconds(app.clock.now().unix_seconds() - 40 * DAY);
    // A deployment that kept everything until now: more old events than one run takes.
    let mut tx = app.db.store.begin().await.unwrap();
    for _ in 0..2_500 {
        confab_store::events::record(
            &mut tx.conn(),
            confab_domain::AccountId(t.account_id),
            "conversation_updated",
            None,
            &json!({}),
            long_ago,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    app.app.run_outbox().await.unwrap();
    let now = app.clock.now().unix_seconds();
    assert_eq!(events_around(&app, now).await.0, 2_500);

    app.app.schedule_retention().await.unwrap();
    // The job is due again at once while it finds rows: runs of 1,000, 1,000 and 500, then one
    // that finds nothing and waits an hour. The clock has not moved.
    assert_eq!(app.app.run_pending_jobs().await.unwrap(), 4);
    assert_eq!(events_around(&app, now).await, (0, 0));
    assert_eq!(app.app.run_pending_jobs().await.unwrap(), 0);
}
