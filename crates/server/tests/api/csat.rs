//! CSAT (§12.9): the survey sent when a conversation is resolved, answered through the public
//! message update or the survey page, listed and counted for administrators.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, acc};
use crate::public::{conversations_path, new_source, open, public, public_inbox, say, show};

/// An inbox with surveys on (`config` as `csat_config`), a customer and an open conversation
/// assigned to the agent: (inbox identifier, source id, conversation id).
async fn surveyed(app: &TestApp, t: &Tenant, config: Value) -> (String, String, i64) {
    let (inbox_id, inbox, _) = public_inbox(app, t, "Website").await;
    let r = app
        .patch(
            &acc(t, &format!("/inboxes/{inbox_id}")),
            &t.admin,
            json!({ "csat_survey_enabled": true, "csat_config": config }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let source = new_source(app, &inbox, json!({ "name": "Ann" })).await;
    let id = open(app, &inbox, &source).await["id"].as_i64().unwrap();
    let r = app
        .post(
            &acc(t, &format!("/conversations/{id}/assignments")),
            &t.admin,
            json!({ "assignee_id": t.agent_id }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    (inbox, source, id)
}

async fn resolve(app: &TestApp, t: &Tenant, id: i64) {
    let r = app
        .post(
            &acc(t, &format!("/conversations/{id}/toggle_status")),
            &t.admin,
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

/// The survey messages the customer sees.
async fn surveys(app: &TestApp, inbox: &str, source: &str, id: i64) -> Vec<Value> {
    let r = public(
        app,
        Method::GET,
        &format!("{}/{id}/messages", conversations_path(inbox, source)),
        None,
    )
    .await;
    r.body
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["content_type"] == "input_csat")
        .cloned()
        .collect()
}

#[tokio::test]
async fn resolving_sends_one_survey_and_the_answer_is_listed_for_administrators() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, source, id) = surveyed(
        &app,
        &t,
        json!({ "message": "How did we do?", "display_type": "star" }),
    )
    .await;
    resolve(&app, &t, id).await;
    let sent = surveys(&app, &inbox, &source, id).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["content"], "How did we do?");
    assert_eq!(sent[0]["message_type"], 3);
    let survey_id = sent[0]["id"].as_i64().unwrap();

    // Reopened and resolved again: no second survey.
    say(&app, &inbox, &source, id, "one more thing").await;
    resolve(&app, &t, id).await;
    assert_eq!(surveys(&app, &inbox, &source, id).await.len(), 1);

    let path = format!(
        "{}/{id}/messages/{survey_id}",
        conversations_path(&inbox, &source)
    );
    let answer = public(
        &app,
        Method::PATCH,
        &path,
        Some(json!({ "submitted_values": { "csat_survey_response": { "rating": 4, "feedback_message": "Quick help" } } })),
    )
    .await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(
        answer.body["content_attributes"]["submitted_values"]["csat_survey_response"]["rating"],
        4
    );

    let list = app.get(&acc(&t, "/csat_survey_responses"), &t.admin).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    let rows = list.body.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["rating"], 4);
    assert_eq!(rows[0]["feedback_message"], "Quick help");
    assert_eq!(rows[0]["conversation_id"], id);
    assert_eq!(rows[0]["message_id"], survey_id);
    assert_eq!(rows[0]["contact"]["name"], "Ann");
    assert_eq!(rows[0]["assigned_agent"]["id"], t.agent_id);

    // Answering again replaces the answer.
    let again = public(
        &app,
        Method::PUT,
        &path,
        Some(json!({ "submitted_values": { "csat_survey_response": { "rating": 2 } } })),
    )
    .await;
    assert_eq!(again.status, 200);
    let metrics = app
        .get(&acc(&t, "/csat_survey_responses/metrics"), &t.admin)
        .await;
    assert_eq!(
        metrics.body,
        json!({ "total_count": 1, "ratings_count": { "2": 1 }, "total_sent_messages_count": 1 })
    );
    let by_rating = app
        .get(&acc(&t, "/csat_survey_responses?rating=4"), &t.admin)
        .await;
    assert_eq!(by_rating.body, json!([]));

    // Agents may not read them; a bad filter names itself.
    let agent = app.get(&acc(&t, "/csat_survey_responses"), &t.agent).await;
    assert_eq!(agent.status, 401);
    let bad = app
        .get(&acc(&t, "/csat_survey_responses?since=yesterday"), &t.admin)
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["attributes"], json!(["since"]));
}

#[tokio::test]
async fn the_survey_page_answers_by_conversation_uuid_for_fourteen_days() {
    let app = TestApp::spawn().await;
    // Another account's conversation first, so internal ids and display ids differ.
    let first = app.tenant("First").await;
    let (_, first_inbox, _) = public_inbox(&app, &first, "Theirs").await;
    let first_source = new_source(&app, &first_inbox, json!({})).await;
    open(&app, &first_inbox, &first_source).await;
    let t = app.tenant("Acme").await;
    let (inbox, source, id) = surveyed(&app, &t, json!({})).await;
    assert_eq!(id, 1);
    resolve(&app, &t, id).await;
    let conv = show(&app, &inbox, &source, id).await;
    let uuid = conv.body["uuid"].as_str().unwrap().to_owned();
    let page = format!("/csat_survey/{uuid}");

    let show = public(&app, Method::GET, &page, None).await;
    assert_eq!(show.status, 200, "{:?}", show.body);
    assert_eq!(show.body["csat_survey_response"], Value::Null);
    assert_eq!(show.body["display_type"], "emoji");
    assert_eq!(show.body["inbox_name"], "Website");
    // The survey page names the internal conversation id, as upstream.
    assert_eq!(show.body["conversation_id"], 2);
    let sent = surveys(&app, &inbox, &source, id).await;
    assert_eq!(sent[0]["content"], "Please rate the conversation");
    assert_eq!(show.body["id"], sent[0]["id"]);

    let bad = public(
        &app,
        Method::PUT,
        &page,
        Some(json!({ "message": { "submitted_values": { "csat_survey_response": { "rating": 9 } } } })),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        bad.body["attributes"],
        json!(["submitted_values.csat_survey_response.rating"])
    );
    let missing = public(&app, Method::PUT, &page, Some(json!({}))).await;
    assert_eq!(missing.status, 422);

    let ok = public(
        &app,
        Method::PUT,
        &page,
        Some(json!({ "message": { "submitted_values": { "csat_survey_response": { "rating": 5, "feedback_message": "Great" } } } })),
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(ok.body["csat_survey_response"]["rating"], 5);
    assert_eq!(ok.body["csat_survey_response"]["feedback_message"], "Great");
    assert_eq!(
        ok.body["csat_survey_response"]["assigned_agent_id"],
        t.agent_id
    );
    assert_eq!(ok.body["csat_survey_response"]["conversation_id"], 2);
    let listed = app.get(&acc(&t, "/csat_survey_responses"), &t.admin).await;
    assert_eq!(listed.body[0]["conversation_id"], 1);

    app.clock.advance_seconds(15 * 86_400);
    let late = public(
        &app,
        Method::PUT,
        &page,
        Some(json!({ "message": { "submitted_values": { "csat_survey_response": { "rating": 1 } } } })),
    )
    .await;
    assert_eq!(late.status, 422);
    assert_eq!(
        late.body,
        json!({ "error": "You cannot update the CSAT survey after 14 days" })
    );
    let unchanged = public(&app, Method::GET, &page, None).await;
    assert_eq!(unchanged.body["csat_survey_response"]["rating"], 5);

    let unknown = public(
        &app,
        Method::GET,
        "/csat_survey/00000000-0000-0000-0000-000000000000",
        None,
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body, json!({ "status": 404, "error": "Not Found" }));
}

#[tokio::test]
async fn survey_rules_send_only_to_conversations_with_matching_labels() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, source, id) = surveyed(
        &app,
        &t,
        json!({ "survey_rules": { "operator": "contains", "values": ["support"] } }),
    )
    .await;
    resolve(&app, &t, id).await;
    assert!(surveys(&app, &inbox, &source, id).await.is_empty());

    let second = open(&app, &inbox, &source).await["id"].as_i64().unwrap();
    let r = app
        .post(
            &acc(&t, &format!("/conversations/{second}/labels")),
            &t.admin,
            json!({ "labels": ["support"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    resolve(&app, &t, second).await;
    assert_eq!(surveys(&app, &inbox, &source, second).await.len(), 1);
}

#[tokio::test]
async fn inboxes_without_surveys_send_none() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (_, inbox, _) = public_inbox(&app, &t, "Website").await;
    let source = new_source(&app, &inbox, json!({})).await;
    let id = open(&app, &inbox, &source).await["id"].as_i64().unwrap();
    resolve(&app, &t, id).await;
    assert!(surveys(&app, &inbox, &source, id).await.is_empty());
    let conv = show(&app, &inbox, &source, id).await;
    let uuid = conv.body["uuid"].as_str().unwrap();
    let page = public(&app, Method::GET, &format!("/csat_survey/{uuid}"), None).await;
    assert_eq!(page.status, 404);
}
