//! `POST …/conversations/:id/transcript`: the conversation by email over real SMTP.

use serde_json::json;

use crate::conversations::{conversation, setup};
use crate::helpers::{TestApp, acc};
use crate::smtp_sink::SmtpSink;

#[tokio::test]
async fn the_transcript_is_mailed_with_the_public_messages_only() {
    let sink = SmtpSink::start().await;
    let settings = sink.settings();
    let app = TestApp::spawn_with(|c| c.smtp = Some(settings)).await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(
        &app,
        &t,
        inbox,
        contact,
        json!({ "message": { "content": "How can we help?" } }),
    )
    .await;
    let path = acc(&t, "/conversations/1/messages");
    app.post(
        &path,
        &t.admin,
        json!({ "content": "My order is late", "message_type": "incoming" }),
    )
    .await;
    app.post(
        &path,
        &t.admin,
        json!({ "content": "internal: check the courier", "private": true }),
    )
    .await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/transcript"),
            &t.admin,
            json!({ "email": "jane@example.com" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    app.app.run_pending_jobs().await.unwrap();
    let mails = sink.wait_for(1).await;
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["jane@example.com".to_owned()]);
    assert_eq!(
        mail.subject().as_deref(),
        Some("[#1] Conversation Transcript")
    );
    let body = mail.body();
    assert!(body.contains("How can we help?"), "{body}");
    assert!(body.contains("Jane Doe: My order is late"), "{body}");
    assert!(
        !body.contains("check the courier"),
        "private notes stay private: {body}"
    );
}

#[tokio::test]
async fn a_transcript_without_an_email_or_without_smtp_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let path = acc(&t, "/conversations/1/transcript");
    let r = app.post(&path, &t.admin, json!({})).await;
    assert_eq!(
        (r.status.as_u16(), r.body.clone()),
        (422, json!({ "error": "email param missing" }))
    );
    let r = app
        .post(&path, &t.admin, json!({ "email": "not-an-email" }))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["email"]));
    let r = app
        .post(&path, &t.admin, json!({ "email": "jane@example.com" }))
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body["error"].as_str().unwrap().contains("SMTP_ADDRESS"),
        "{:?}",
        r.body
    );
    assert_eq!(
        app.app.run_pending_jobs().await.unwrap(),
        0,
        "nothing was queued"
    );
}

#[tokio::test]
async fn a_failed_delivery_is_retried_later() {
    let sink = SmtpSink::start_with(crate::smtp_sink::SinkOptions {
        reject_recipients: vec!["bounce@example.com".into()],
        ..Default::default()
    })
    .await;
    let settings = sink.settings();
    let app = TestApp::spawn_with(|c| c.smtp = Some(settings)).await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    conversation(&app, &t, inbox, contact, json!({})).await;
    let r = app
        .post(
            &acc(&t, "/conversations/1/transcript"),
            &t.admin,
            json!({ "email": "bounce@example.com" }),
        )
        .await;
    assert_eq!(r.status, 200);
    app.app.run_pending_jobs().await.unwrap();
    // The job stays queued for a later attempt, with the server's answer, instead of being lost.
    let mut c = app.db.store.conn();
    let jobs = confab_store::jobs::list(&mut c).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].kind, "conversation.transcript");
    assert_eq!(jobs[0].attempts, 1);
    let error = jobs[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("550"), "{error}");
    assert_eq!(
        app.app.run_pending_jobs().await.unwrap(),
        0,
        "not before its backoff"
    );
    assert!(sink.received().is_empty());
}
