//! A message's files stay on disk only when its message is written: a message refused inside
//! its transaction leaves none behind, on either API.

use serde_json::json;

use crate::conversations::{conversation, setup};
use crate::helpers::{TestApp, acc};
use crate::messages::{PNG, multipart, upload, upload_as};
use crate::public::{conversations_path, new_source, public_inbox};

/// The files in the app's attachment store (`attachments/<first two characters>/<key>`).
fn stored_files(app: &TestApp) -> usize {
    let dir = app.config.data_dir.join("attachments");
    if !dir.exists() {
        return 0;
    }
    std::fs::read_dir(dir)
        .unwrap()
        .map(|d| std::fs::read_dir(d.unwrap().path()).unwrap().count())
        .sum()
}

#[tokio::test]
async fn a_message_refused_in_its_transaction_leaves_no_file_and_a_written_one_keeps_its_file() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = setup(&app, &t).await;
    let id = conversation(&app, &t, inbox, contact, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let body = || {
        multipart(
            &[("content", "the screenshot")],
            &[("attachments[]", "pixel.png", "image/png", PNG)],
        )
    };

    // The files are stored before the transaction; the conversation is looked up inside it.
    let missing = acc(&t, "/conversations/999999/messages");
    let r = upload(&app, &app.base, &missing, &t.admin, body()).await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    assert_eq!(stored_files(&app), 0);

    // The customer's side: a conversation that is not the contact's.
    let (_, identifier, _) = public_inbox(&app, &t, "Chat").await;
    let jane = new_source(&app, &identifier, json!({ "name": "Jane" })).await;
    let path = format!(
        "/public/api/v1{}/{id}/messages",
        conversations_path(&identifier, &jane)
    );
    let r = upload_as(&app, &app.base, &path, None, body()).await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    assert_eq!(stored_files(&app), 0);

    let ok = acc(&t, &format!("/conversations/{id}/messages"));
    let r = upload(&app, &app.base, &ok, &t.admin, body()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["attachments"].as_array().map(Vec::len), Some(1));
    assert_eq!(stored_files(&app), 1);
}
