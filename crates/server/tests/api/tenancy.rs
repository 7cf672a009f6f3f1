//! A token of account A never reads or changes anything of account B.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

#[tokio::test]
async fn every_endpoint_refuses_a_token_of_another_account() {
    let app = TestApp::spawn().await;
    let a = app.tenant("Alpha").await;
    let b = app.tenant("Bravo").await;
    let inbox = app.api_inbox(&b, "B inbox").await;
    let contact = app
        .contact(&b, json!({ "email": "secret@bravo.test" }))
        .await;
    let bot = app
        .post(
            &format!("/api/v1/accounts/{}/agent_bots", b.account_id),
            &b.admin,
            json!({ "name": "B bot" }),
        )
        .await
        .body;
    let (iid, cid, bid) = (
        inbox["id"].as_i64().unwrap(),
        contact["id"].as_i64().unwrap(),
        bot["id"].as_i64().unwrap(),
    );
    let p = format!("/api/v1/accounts/{}", b.account_id);
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, p.clone(), None),
        (Method::PATCH, p.clone(), Some(json!({ "name": "pwned" }))),
        (Method::GET, format!("{p}/agents"), None),
        (
            Method::POST,
            format!("{p}/agents"),
            Some(json!({ "name": "x", "email": "x@x.test" })),
        ),
        (
            Method::PATCH,
            format!("{p}/agents/{}", b.agent_id),
            Some(json!({ "role": "administrator" })),
        ),
        (Method::DELETE, format!("{p}/agents/{}", b.agent_id), None),
        (Method::GET, format!("{p}/inboxes"), None),
        (
            Method::POST,
            format!("{p}/inboxes"),
            Some(json!({ "name": "x", "channel": { "type": "api" } })),
        ),
        (Method::GET, format!("{p}/inboxes/{iid}"), None),
        (
            Method::PATCH,
            format!("{p}/inboxes/{iid}"),
            Some(json!({ "name": "x" })),
        ),
        (Method::DELETE, format!("{p}/inboxes/{iid}"), None),
        (Method::GET, format!("{p}/inboxes/{iid}/agent_bot"), None),
        (
            Method::POST,
            format!("{p}/inboxes/{iid}/set_agent_bot"),
            Some(json!({ "agent_bot": bid })),
        ),
        (Method::GET, format!("{p}/inbox_members/{iid}"), None),
        (
            Method::POST,
            format!("{p}/inbox_members"),
            Some(json!({ "inbox_id": iid, "user_ids": [a.agent_id] })),
        ),
        (
            Method::PATCH,
            format!("{p}/inbox_members"),
            Some(json!({ "inbox_id": iid, "user_ids": [] })),
        ),
        (
            Method::DELETE,
            format!("{p}/inbox_members"),
            Some(json!({ "inbox_id": iid, "user_ids": [b.agent_id] })),
        ),
        (Method::GET, format!("{p}/agent_bots"), None),
        (
            Method::POST,
            format!("{p}/agent_bots"),
            Some(json!({ "name": "x" })),
        ),
        (Method::GET, format!("{p}/agent_bots/{bid}"), None),
        (
            Method::PATCH,
            format!("{p}/agent_bots/{bid}"),
            Some(json!({ "name": "x" })),
        ),
        (Method::DELETE, format!("{p}/agent_bots/{bid}"), None),
        (
            Method::POST,
            format!("{p}/agent_bots/{bid}/reset_access_token"),
            None,
        ),
        (Method::GET, format!("{p}/contacts"), None),
        (
            Method::POST,
            format!("{p}/contacts"),
            Some(json!({ "name": "x" })),
        ),
        (Method::GET, format!("{p}/contacts/search?q=secret"), None),
        (
            Method::POST,
            format!("{p}/contacts/filter"),
            Some(json!({ "payload": [] })),
        ),
        (Method::GET, format!("{p}/contacts/{cid}"), None),
        (
            Method::PATCH,
            format!("{p}/contacts/{cid}"),
            Some(json!({ "name": "x" })),
        ),
        (Method::DELETE, format!("{p}/contacts/{cid}"), None),
        (
            Method::GET,
            format!("{p}/contacts/{cid}/contactable_inboxes"),
            None,
        ),
        (
            Method::POST,
            format!("{p}/contacts/{cid}/contact_inboxes"),
            Some(json!({ "inbox_id": iid })),
        ),
        (
            Method::GET,
            format!("{p}/contacts/{cid}/conversations"),
            None,
        ),
    ];
    for (method, path, body) in cases {
        for token in [&a.admin, &a.agent] {
            let r = app
                .request(method.clone(), &path, Some(token), body.clone())
                .await;
            assert_eq!(r.status, 401, "{method} {path}: {:?}", r.body);
            assert_eq!(
                r.body,
                json!({ "error": "You are not authorized to access this account" }),
                "{method} {path}"
            );
        }
    }
    // Ids of B's records used inside A's account are not found.
    let pa = format!("/api/v1/accounts/{}", a.account_id);
    for path in [
        format!("{pa}/inboxes/{iid}"),
        format!("{pa}/contacts/{cid}"),
        format!("{pa}/agent_bots/{bid}"),
    ] {
        assert_eq!(app.get(&path, &a.admin).await.status, 404, "{path}");
    }
    let r = app
        .patch(
            &format!("{pa}/agents/{}", b.agent_id),
            &a.admin,
            json!({ "role": "administrator" }),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .post(
            &format!("{pa}/contacts"),
            &a.admin,
            json!({ "name": "x", "inbox_id": iid }),
        )
        .await;
    assert_eq!(r.status, 404);
    // Nothing of B changed.
    let still = app.get(&format!("{p}/contacts/{cid}"), &b.admin).await;
    assert_eq!(still.body["payload"]["email"], "secret@bravo.test");
    assert_eq!(
        app.get(&format!("{p}/inboxes/{iid}"), &b.admin).await.body["name"],
        "B inbox"
    );
    assert_eq!(
        app.get(&format!("{p}/agents"), &b.admin)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
