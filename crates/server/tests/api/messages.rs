//! Messages of a conversation: create (outgoing, notes, incoming, attachments), list with
//! `before`/`after` paging, status updates, soft delete, bad input and tenancy (§5, §6.6).

use std::sync::Arc;

use confab_app::{App, AppConfig, Secret, TestClock};
use confab_domain::Timestamp;
use confab_server::config::ServeOpts;
use confab_server::startup::Server;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::conversations::{conversation, setup};
use crate::helpers::{Resp, Tenant, TestApp, acc};

/// The instant the test clocks start at.
pub const T0: i64 = 1_795_000_000;

/// A second server on the same database as a `TestApp`, with its own clock (tests move it)
/// and its own data directory (attachments land in a temporary directory, not the repo).
/// Tokens and rows are shared, so a tenant made through the `TestApp` works here too.
pub struct Side {
    pub base: String,
    pub clock: Arc<TestClock>,
    _dir: tempfile::TempDir,
    shutdown: CancellationToken,
}

impl Drop for Side {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Side {
    pub async fn spawn(t: &TestApp) -> Side {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(TestClock::new(Timestamp::from_unix_seconds(T0)));
        let config = AppConfig {
            data_dir: dir.path().to_path_buf(),
            ..AppConfig::default()
        };
        let app = App::new(
            t.db.store.clone(),
            Secret::new("test-secret"),
            clock.clone(),
            config,
        );
        let opts = ServeOpts {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        };
        let server = Server::bind(app, &opts).await.unwrap();
        let base = format!("http://127.0.0.1:{}", server.port());
        let shutdown = CancellationToken::new();
        tokio::spawn(server.run(shutdown.clone()));
        Side {
            base,
            clock,
            _dir: dir,
            shutdown,
        }
    }

    pub async fn send(
        &self,
        t: &TestApp,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Resp {
        let mut req = t
            .client
            .request(method, format!("{}{}", self.base, path))
            .header("api_access_token", token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        into_resp(req.send().await.unwrap()).await
    }
    pub async fn post(&self, t: &TestApp, path: &str, token: &str, body: Value) -> Resp {
        self.send(t, Method::POST, path, token, Some(body)).await
    }
}

pub async fn into_resp(resp: reqwest::Response) -> Resp {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Resp {
        status,
        body,
        headers,
    }
}

fn messages_path(t: &Tenant, display_id: i64) -> String {
    acc(t, &format!("/conversations/{display_id}/messages"))
}

/// Posts a message as the administrator and returns its JSON.
pub(crate) async fn post_message(app: &TestApp, t: &Tenant, display_id: i64, body: Value) -> Value {
    let r = app
        .post(&messages_path(t, display_id), &t.admin, body)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

async fn list(app: &TestApp, t: &Tenant, display_id: i64, query: &str) -> Value {
    let r = app
        .get(
            &format!("{}{query}", messages_path(t, display_id)),
            &t.admin,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

fn ids(payload: &Value) -> Vec<i64> {
    payload
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

/// The error text of a 4xx body, in either of Chatwoot's envelopes.
fn error_text(body: &Value) -> String {
    body["error"]
        .as_str()
        .or_else(|| body["message"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// A conversation without an initial message; returns its display id.
async fn fresh(app: &TestApp, t: &Tenant) -> (i64, i64, i64) {
    let (inbox, contact) = setup(app, t).await;
    let c = conversation(app, t, inbox, contact, json!({})).await;
    (c["id"].as_i64().unwrap(), inbox, contact)
}

#[tokio::test]
async fn an_outgoing_message_is_answered_in_rest_shape_with_its_echo_id() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (conv, inbox, _) = fresh(&app, &t).await;
    let m = post_message(
        &app,
        &t,
        conv,
        json!({ "content": "Hello there", "echo_id": "temp-42", "content_attributes": { "data": { "order": 7 } } }),
    )
    .await;
    assert!(m["id"].as_i64().unwrap() > 0);
    assert_eq!(m["content"], "Hello there");
    assert_eq!(m["inbox_id"], inbox);
    assert_eq!(m["conversation_id"], conv);
    assert_eq!(m["message_type"], json!(1), "message_type is an integer");
    assert_eq!(m["content_type"], "text");
    assert_eq!(m["status"], "sent");
    assert_eq!(m["private"], false);
    assert_eq!(m["created_at"], json!(T0), "created_at is a Unix integer");
    assert_eq!(m["echo_id"], "temp-42");
    assert_eq!(m["content_attributes"], json!({ "data": { "order": 7 } }));
    assert_eq!(m["sender"]["type"], "user");
    assert_eq!(m["sender"]["id"], t.admin_id);

    let as_string = post_message(
        &app,
        &t,
        conv,
        json!({ "content": "Again", "content_attributes": "{\"data\":{\"order\":8}}" }),
    )
    .await;
    assert_eq!(
        as_string["content_attributes"],
        json!({ "data": { "order": 8 } })
    );
    assert!(
        as_string.get("echo_id").is_none(),
        "echo_id only when sent: {as_string}"
    );

    let listed = list(&app, &t, conv, "").await;
    assert_eq!(
        ids(&listed["payload"]),
        vec![m["id"].as_i64().unwrap(), as_string["id"].as_i64().unwrap()]
    );
    assert!(
        listed["payload"][0].get("echo_id").is_none(),
        "echo_id is not stored"
    );
    assert_eq!(
        listed["payload"][1]["content_attributes"],
        json!({ "data": { "order": 8 } })
    );
}

#[tokio::test]
async fn a_private_note_is_listed_and_marked_private() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    let note = post_message(
        &app,
        &t,
        conv,
        json!({ "content": "Customer is a VIP", "private": true }),
    )
    .await;
    assert_eq!(note["private"], true);
    assert_eq!(note["message_type"], 1);
    let listed = list(&app, &t, conv, "").await;
    assert_eq!(listed["payload"].as_array().unwrap().len(), 1);
    assert_eq!(listed["payload"][0]["id"], note["id"]);
    assert_eq!(listed["payload"][0]["content"], "Customer is a VIP");
    assert_eq!(listed["payload"][0]["private"], true);
}

#[tokio::test]
async fn an_incoming_message_waits_for_a_reply_and_the_first_agent_reply_ends_the_wait() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let created = side
        .post(
            &app,
            &acc(&t, "/conversations"),
            &t.admin,
            json!({ "inbox_id": inbox, "contact_id": contact }),
        )
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let conv = created.body["id"].as_i64().unwrap();
    let show = || async {
        let r = app
            .get(&acc(&t, &format!("/conversations/{conv}")), &t.admin)
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body
    };
    assert_eq!(show().await["first_reply_created_at"], 0);
    assert_eq!(show().await["unread_count"], 0);

    side.clock.advance_seconds(60);
    let incoming = side
        .post(
            &app,
            &messages_path(&t, conv),
            &t.admin,
            json!({ "content": "Where is my order?", "message_type": "incoming" }),
        )
        .await;
    assert_eq!(incoming.status, 200, "{:?}", incoming.body);
    assert_eq!(incoming.body["message_type"], 0);
    assert_eq!(incoming.body["sender"]["type"], "contact");
    assert_eq!(incoming.body["sender"]["id"], contact);
    assert_eq!(incoming.body["created_at"], T0 + 60);
    let c = show().await;
    assert_eq!(c["unread_count"], 1);
    assert_eq!(
        c["waiting_since"], T0,
        "set when the conversation was created; an incoming message does not move it"
    );
    assert_eq!(c["first_reply_created_at"], 0);

    side.clock.advance_seconds(60);
    let reply = side
        .post(
            &app,
            &messages_path(&t, conv),
            &t.agent,
            json!({ "content": "On its way" }),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let c = show().await;
    assert_eq!(c["first_reply_created_at"], T0 + 120);
    assert_eq!(c["waiting_since"], 0);

    side.clock.advance_seconds(60);
    let again = side
        .post(
            &app,
            &messages_path(&t, conv),
            &t.admin,
            json!({ "content": "Thanks, and another thing", "message_type": "incoming" }),
        )
        .await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    let c = show().await;
    assert_eq!(
        c["waiting_since"],
        T0 + 180,
        "the next incoming message starts a new wait"
    );
    assert_eq!(
        c["first_reply_created_at"],
        T0 + 120,
        "the first reply is kept"
    );
    assert_eq!(c["unread_count"], 2);
}

#[tokio::test]
async fn messages_list_oldest_first_newest_twenty_and_page_with_before() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    let mut all = Vec::new();
    for i in 1..=45 {
        let m = post_message(&app, &t, conv, json!({ "content": format!("m{i}") })).await;
        all.push(m["id"].as_i64().unwrap());
    }
    let latest = list(&app, &t, conv, "").await;
    assert_eq!(ids(&latest["payload"]), all[25..45].to_vec());
    assert_eq!(latest["payload"][0]["content"], "m26");
    assert_eq!(latest["payload"][19]["content"], "m45");

    let older = list(&app, &t, conv, &format!("?before={}", all[25])).await;
    assert_eq!(ids(&older["payload"]), all[5..25].to_vec());
    let oldest = list(&app, &t, conv, &format!("?before={}", all[5])).await;
    assert_eq!(ids(&oldest["payload"]), all[0..5].to_vec());

    let between = list(
        &app,
        &t,
        conv,
        &format!("?after={}&before={}", all[9], all[14]),
    )
    .await;
    assert_eq!(
        ids(&between["payload"]),
        all[9..14].to_vec(),
        "after and before together read [after, before)"
    );
}

/// Upstream MessageFinder#messages_after: `where('id > ?', after_id)` (exclusive), oldest
/// first, at most 100.
#[tokio::test]
async fn messages_after_an_id_are_the_newer_ones_only() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    let mut all = Vec::new();
    for i in 1..=8 {
        let m = post_message(&app, &t, conv, json!({ "content": format!("m{i}") })).await;
        all.push(m["id"].as_i64().unwrap());
    }
    let newer = list(&app, &t, conv, &format!("?after={}", all[2])).await;
    assert_eq!(ids(&newer["payload"]), all[3..8].to_vec());
    let none = list(&app, &t, conv, &format!("?after={}", all[7])).await;
    assert_eq!(ids(&none["payload"]), Vec::<i64>::new());
}

#[tokio::test]
async fn the_message_list_meta_has_labels_contact_and_the_assignee_when_assigned() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (conv, _, contact) = fresh(&app, &t).await;
    post_message(&app, &t, conv, json!({ "content": "Hi" })).await;
    let before = list(&app, &t, conv, "").await;
    assert_eq!(before["meta"]["labels"], json!([]));
    assert_eq!(before["meta"]["contact"]["id"], contact);
    assert_eq!(before["meta"]["contact"]["name"], "Jane Doe");
    assert_eq!(before["meta"]["contact"]["email"], "jane@example.com");
    assert_eq!(before["meta"]["contact"]["type"], "contact");
    assert!(
        before["meta"].get("assignee").is_none(),
        "no assignee key while unassigned: {}",
        before["meta"]
    );

    let r = app
        .post(
            &acc(&t, &format!("/conversations/{conv}/labels")),
            &t.admin,
            json!({ "labels": ["billing", "vip"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app
        .post(
            &acc(&t, &format!("/conversations/{conv}/assignments")),
            &t.admin,
            json!({ "assignee_id": t.agent_id }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let after = list(&app, &t, conv, "").await;
    let mut labels: Vec<String> = after["meta"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    labels.sort();
    assert_eq!(labels, vec!["billing", "vip"]);
    assert_eq!(after["meta"]["assignee"]["id"], t.agent_id);
    assert_eq!(after["meta"]["assignee"]["type"], "user");
    assert_eq!(after["meta"]["assignee"]["name"], "agent of Acme");
}

#[tokio::test]
async fn deleting_a_message_keeps_the_row_and_blanks_it() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    let m = post_message(
        &app,
        &t,
        conv,
        json!({ "content": "Oops, wrong customer", "content_attributes": { "data": { "x": 1 } } }),
    )
    .await;
    let id = m["id"].as_i64().unwrap();
    let r = app
        .delete(&format!("{}/{id}", messages_path(&t, conv)), &t.admin, None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["id"], id);
    assert_eq!(r.body["content"], "This message was deleted");
    assert_eq!(r.body["content_attributes"], json!({ "deleted": true }));
    assert_eq!(r.body["content_type"], "text");
    let listed = list(&app, &t, conv, "").await;
    assert_eq!(ids(&listed["payload"]), vec![id]);
    assert_eq!(listed["payload"][0]["content"], "This message was deleted");
    assert_eq!(
        listed["payload"][0]["content_attributes"],
        json!({ "deleted": true })
    );
}

#[tokio::test]
async fn message_status_updates_follow_the_status_rules() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    let m = post_message(&app, &t, conv, json!({ "content": "Ping" })).await;
    let path = format!("{}/{}", messages_path(&t, conv), m["id"]);
    let patch = |body: Value| {
        let path = path.clone();
        let app = &app;
        let token = t.admin.clone();
        async move {
            let r = app.patch(&path, &token, body).await;
            assert_eq!(r.status, 200, "{:?}", r.body);
            r.body
        }
    };

    let delivered = patch(json!({ "status": "delivered" })).await;
    assert_eq!(delivered["status"], "delivered");
    assert!(delivered["content_attributes"]["external_error"].is_null());

    let failed = patch(json!({ "status": "failed", "external_error": "Provider said no" })).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        failed["content_attributes"]["external_error"],
        "Provider said no"
    );

    let unknown = patch(json!({ "status": "teleported" })).await;
    assert_eq!(unknown["status"], "failed", "an unknown status is ignored");
    assert_eq!(
        unknown["content_attributes"]["external_error"],
        "Provider said no"
    );

    let read = patch(json!({ "status": "read" })).await;
    assert_eq!(read["status"], "read");
    assert!(
        read["content_attributes"]["external_error"].is_null(),
        "external_error is kept only while failed: {read}"
    );
    let back = patch(json!({ "status": "delivered" })).await;
    assert_eq!(back["status"], "read", "read → delivered is refused");

    let listed = list(&app, &t, conv, "").await;
    assert_eq!(listed["payload"][0]["status"], "read");
}

#[tokio::test]
async fn bad_message_input_is_refused_with_422_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    post_message(&app, &t, conv, json!({ "content": "The one good message" })).await;
    let path = messages_path(&t, conv);

    let r = app
        .post(
            &path,
            &t.admin,
            json!({ "content": "x", "message_type": "sideways" }),
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(
        r.body,
        json!({ "error": "'sideways' is not a valid message_type" })
    );

    for body in [
        json!({ "content": "" }),
        json!({}),
        json!({ "content": "   " }),
    ] {
        let r = app.post(&path, &t.admin, body.clone()).await;
        assert_eq!(r.status, 422, "{body}: {:?}", r.body);
        let text = error_text(&r.body);
        assert!(
            text.to_lowercase().contains("content"),
            "{body}: the error names content: {:?}",
            r.body
        );
    }

    let too_long = "a".repeat(150_001);
    let r = app
        .post(&path, &t.admin, json!({ "content": too_long }))
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(
        error_text(&r.body).contains("Content is too long (maximum is 150000 characters)"),
        "{:?}",
        r.body
    );

    let listed = list(&app, &t, conv, "").await;
    assert_eq!(listed["payload"].as_array().unwrap().len(), 1);
    assert_eq!(listed["payload"][0]["content"], "The one good message");

    let longest = "b".repeat(150_000);
    let ok = post_message(&app, &t, conv, json!({ "content": longest })).await;
    assert_eq!(ok["content"].as_str().unwrap().len(), 150_000);
}

/// A 1×1 transparent PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];
pub const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

const BOUNDARY: &str = "confab-test-boundary-7d1f";

/// A multipart body: text fields, then files as (field, file name, content type, bytes).
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, mime, bytes) in files {
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// Posts a multipart body to `path` on the server at `base`.
pub async fn upload(app: &TestApp, base: &str, path: &str, token: &str, body: Vec<u8>) -> Resp {
    upload_as(app, base, path, Some(token), body).await
}

/// [`upload`] with a token or none (the customer's side sends none).
pub async fn upload_as(
    app: &TestApp,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> Resp {
    let mut req = app.client.post(format!("{base}{path}")).header(
        "content-type",
        format!("multipart/form-data; boundary={BOUNDARY}"),
    );
    if let Some(token) = token {
        req = req.header("api_access_token", token);
    }
    into_resp(req.body(body).send().await.unwrap()).await
}

/// The path of a `data_url` (its host is the configured frontend URL, not the test server).
pub fn url_path(url: &Value) -> String {
    let url = url.as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:3000/"),
        "data_url on the frontend URL: {url}"
    );
    let path = &url["http://127.0.0.1:3000".len()..];
    assert!(path.starts_with("/attachments/"), "{url}");
    path.to_owned()
}

#[tokio::test]
async fn attachments_upload_list_and_serve_the_exact_bytes() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    let path = messages_path(&t, conv);
    let r = upload(
        &app,
        &side.base,
        &path,
        &t.admin,
        multipart(
            &[("content", "Here are the files")],
            &[
                ("attachments[]", "pixel.png", "image/png", PNG),
                ("attachments[]", "invoice.pdf", "application/pdf", PDF),
            ],
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let m = r.body;
    assert_eq!(m["content"], "Here are the files");
    let files = m["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{m}");
    assert_eq!(files[0]["file_type"], "image");
    assert_eq!(files[0]["extension"], "png");
    assert_eq!(files[0]["message_id"], m["id"]);
    assert_eq!(files[0]["account_id"], t.account_id);
    assert_eq!(files[0]["file_size"], PNG.len());
    assert_eq!(files[1]["file_type"], "file");
    assert_eq!(files[1]["extension"], "pdf");
    assert_eq!(files[1]["file_size"], PDF.len());

    for (file, bytes, mime) in [
        (&files[0], PNG, "image/png"),
        (&files[1], PDF, "application/pdf"),
    ] {
        let url = url_path(&file["data_url"]);
        let resp = app
            .client
            .get(format!("{}{url}", side.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{url}");
        assert_eq!(resp.headers()["content-type"], mime);
        assert_eq!(resp.bytes().await.unwrap().as_ref(), bytes);
    }

    let listed = list(&app, &t, conv, "").await;
    assert_eq!(listed["payload"][0]["attachments"], m["attachments"]);

    let r = app
        .get(
            &acc(&t, &format!("/conversations/{conv}/attachments")),
            &t.admin,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["meta"]["total_count"], 2);
    let payload = r.body["payload"].as_array().unwrap();
    assert_eq!(payload.len(), 2);
    let mut urls: Vec<&str> = payload
        .iter()
        .map(|a| a["data_url"].as_str().unwrap())
        .collect();
    urls.sort();
    let mut expected = vec![
        files[0]["data_url"].as_str().unwrap(),
        files[1]["data_url"].as_str().unwrap(),
    ];
    expected.sort();
    assert_eq!(urls, expected);
    for a in payload {
        assert_eq!(a["message_id"], m["id"]);
        assert_eq!(a["created_at"], T0);
        assert_eq!(a["sender"]["id"], t.admin_id);
        assert_eq!(a["sender"]["type"], "user");
    }
}

#[tokio::test]
async fn a_disallowed_file_type_is_refused_and_creates_no_message() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    let r = upload(
        &app,
        &side.base,
        &messages_path(&t, conv),
        &t.admin,
        multipart(
            &[("content", "run me")],
            &[(
                "attachments[]",
                "setup.exe",
                "application/x-msdownload",
                b"MZ\x90\x00fake",
            )],
        ),
    )
    .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(
        error_text(&r.body).contains("application/x-msdownload")
            || r.body["attributes"] == json!(["attachments"]),
        "{:?}",
        r.body
    );
    let listed = list(&app, &t, conv, "").await;
    assert_eq!(listed["payload"], json!([]));
    let atts = app
        .get(
            &acc(&t, &format!("/conversations/{conv}/attachments")),
            &t.admin,
        )
        .await;
    assert_eq!(atts.body["meta"]["total_count"], 0);
}

#[tokio::test]
async fn an_uploaded_file_is_stored_by_the_last_segment_of_its_name() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    let r = upload(
        &app,
        &side.base,
        &messages_path(&t, conv),
        &t.admin,
        multipart(
            &[],
            &[(
                "attachments[]",
                "../../etc/report.pdf",
                "application/pdf",
                PDF,
            )],
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let url = r.body["attachments"][0]["data_url"].as_str().unwrap();
    assert!(url.ends_with("/report.pdf"), "{url}");
    assert!(!url.contains(".."), "{url}");
    let path = url_path(&r.body["attachments"][0]["data_url"]);
    let served = app
        .client
        .get(format!("{}{path}", side.base))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().as_ref(), PDF);
}

#[tokio::test]
async fn an_unknown_attachment_key_is_not_found() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    let r = upload(
        &app,
        &side.base,
        &messages_path(&t, conv),
        &t.admin,
        multipart(&[], &[("attachments[]", "a.png", "image/png", PNG)]),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let real = url_path(&r.body["attachments"][0]["data_url"]);
    let key = real.split('/').nth(2).unwrap().to_owned();
    for path in [
        "/attachments/AbCdEfGhIjKlMnOpQrStUvWxYz012345/a.png".to_owned(),
        format!("/attachments/{key}/other-name.png"),
    ] {
        let resp = app
            .client
            .get(format!("{}{path}", side.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn another_accounts_token_cannot_read_or_post_messages() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let other = app.tenant("Other").await;
    let (conv, _, _) = fresh(&app, &t).await;
    post_message(&app, &t, conv, json!({ "content": "Private to Acme" })).await;
    let path = messages_path(&t, conv);

    let r = app.get(&path, &other.admin).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert_eq!(
        r.body,
        json!({ "error": "You are not authorized to access this account" })
    );
    let r = app
        .post(&path, &other.admin, json!({ "content": "Injected" }))
        .await;
    assert_eq!(r.status, 401, "{:?}", r.body);

    // The same display id under the other account's own path is its own (missing) conversation.
    let r = app.get(&messages_path(&other, conv), &other.admin).await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    assert_eq!(r.body, json!({ "error": "Resource could not be found" }));
    let r = app
        .post(
            &messages_path(&other, conv),
            &other.admin,
            json!({ "content": "Injected" }),
        )
        .await;
    assert_eq!(r.status, 404, "{:?}", r.body);

    let listed = list(&app, &t, conv, "").await;
    assert_eq!(listed["payload"].as_array().unwrap().len(), 1);
    assert_eq!(listed["payload"][0]["content"], "Private to Acme");
}

#[tokio::test]
async fn an_agent_outside_the_inbox_cannot_read_or_post_messages() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let inbox = app.api_inbox(&t, "Admins only").await["id"]
        .as_i64()
        .unwrap();
    let contact = app
        .contact(&t, json!({ "name": "Sam", "email": "sam@example.com" }))
        .await["id"]
        .as_i64()
        .unwrap();
    let conv = conversation(&app, &t, inbox, contact, json!({})).await["id"]
        .as_i64()
        .unwrap();
    post_message(&app, &t, conv, json!({ "content": "Admins talking" })).await;
    let path = messages_path(&t, conv);
    let refused = json!({ "error": "You are not authorized to do this action" });

    let r = app.get(&path, &t.agent).await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert_eq!(r.body, refused);
    let r = app
        .post(&path, &t.agent, json!({ "content": "Let me in" }))
        .await;
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert_eq!(r.body, refused);

    let listed = list(&app, &t, conv, "").await;
    assert_eq!(listed["payload"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_flood_guard_refuses_the_two_hundred_and_first_message_in_a_minute() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    for i in 0..200 {
        post_message(&app, &t, conv, json!({ "content": format!("spam {i}") })).await;
    }
    let r = app
        .post(
            &messages_path(&t, conv),
            &t.admin,
            json!({ "content": "one too many" }),
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(
        error_text(&r.body).contains("Too many messages"),
        "{:?}",
        r.body
    );
    let listed = list(&app, &t, conv, "").await;
    assert_eq!(listed["payload"][19]["content"], "spam 199");
}

#[tokio::test]
async fn a_file_name_with_spaces_is_served_from_its_encoded_url() {
    let app = TestApp::spawn().await;
    let side = Side::spawn(&app).await;
    let t = app.tenant("Acme").await;
    let (conv, _, _) = fresh(&app, &t).await;
    let r = upload(
        &app,
        &side.base,
        &messages_path(&t, conv),
        &t.admin,
        multipart(
            &[],
            &[("attachments[]", "my invoice.pdf", "application/pdf", PDF)],
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let url = r.body["attachments"][0]["data_url"].as_str().unwrap();
    assert!(url.ends_with("/my%20invoice.pdf"), "{url}");
    let path = url_path(&r.body["attachments"][0]["data_url"]);
    let served = app
        .client
        .get(format!("{}{path}", side.base))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.bytes().await.unwrap().as_ref(), PDF);
}
