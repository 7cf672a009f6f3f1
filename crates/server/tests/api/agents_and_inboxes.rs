use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, acc};

#[tokio::test]
async fn administrators_manage_agents_and_agents_only_list_them() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Crew").await;
    let list = app.get(&acc(&t, "/agents"), &t.agent).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body.as_array().unwrap().len(), 2);
    let denied = app
        .post(
            &acc(&t, "/agents"),
            &t.agent,
            json!({ "name": "X", "email": "x@crew.test" }),
        )
        .await;
    assert_eq!(denied.status, 401);
    let created = app
        .post(
            &acc(&t, "/agents"),
            &t.admin,
            json!({ "agent": { "name": "Nia", "email": "nia@crew.test", "role": "agent" } }),
        )
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_eq!(created.body["role"], "agent");
    let id = created.body["id"].as_i64().unwrap();
    let dup = app
        .post(
            &acc(&t, "/agents"),
            &t.admin,
            json!({ "name": "Nia", "email": "NIA@crew.test" }),
        )
        .await;
    assert_eq!(dup.status, 422);
    let up = app
        .patch(
            &acc(&t, &format!("/agents/{id}")),
            &t.admin,
            json!({ "role": "administrator", "availability": "busy" }),
        )
        .await;
    assert_eq!(up.body["role"], "administrator");
    assert_eq!(up.body["availability_status"], "busy");
    let bad = app
        .patch(
            &acc(&t, &format!("/agents/{id}")),
            &t.admin,
            json!({ "role": "owner" }),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["attributes"], json!(["role"]));
    assert_eq!(
        app.delete(&acc(&t, &format!("/agents/{id}")), &t.admin, None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&acc(&t, "/agents"), &t.admin)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn the_agent_limit_of_an_account_is_enforced_with_402() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Small").await;
    app.platform(
        reqwest::Method::PATCH,
        &format!("/accounts/{}", t.account_id),
        Some(json!({ "limits": { "agents": 2 } })),
    )
    .await;
    let r = app
        .post(
            &acc(&t, "/agents"),
            &t.admin,
            json!({ "name": "Third", "email": "third@small.test" }),
        )
        .await;
    assert_eq!(r.status, 402);
}

#[tokio::test]
async fn api_inboxes_are_created_updated_listed_and_deleted_by_administrators() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Inboxes").await;
    let created = app
        .post(
            &acc(&t, "/inboxes"),
            &t.admin,
            json!({ "name": "Zeta", "greeting_enabled": "true", "channel": { "type": "api", "webhook_url": "https://hooks.test/in", "hmac_mandatory": true } }),
        )
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_eq!(created.body["webhook_url"], "https://hooks.test/in");
    assert_eq!(created.body["hmac_mandatory"], true);
    assert_eq!(created.body["greeting_enabled"], true);
    let id = created.body["id"].as_i64().unwrap();
    app.api_inbox(&t, "alpha").await;
    let names: Vec<String> = app.get(&acc(&t, "/inboxes"), &t.admin).await.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, vec!["alpha", "Zeta"], "ordered by lower-cased name");
    let up = app
        .patch(
            &acc(&t, &format!("/inboxes/{id}")),
            &t.admin,
            json!({ "name": "Zeta 2", "channel": { "webhook_url": "" } }),
        )
        .await;
    assert_eq!(up.body["name"], "Zeta 2");
    assert_eq!(up.body["webhook_url"], serde_json::Value::Null);
    let denied = app
        .patch(
            &acc(&t, &format!("/inboxes/{id}")),
            &t.agent,
            json!({ "name": "nope" }),
        )
        .await;
    assert_eq!(denied.status, 401);
    let del = app
        .delete(&acc(&t, &format!("/inboxes/{id}")), &t.admin, None)
        .await;
    assert_eq!(
        del.body["message"],
        "Your inbox deletion request will be processed in some time."
    );
    assert_eq!(
        app.get(&acc(&t, &format!("/inboxes/{id}")), &t.admin)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn unsupported_channel_types_and_bad_webhook_urls_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Chan").await;
    let r = app
        .post(
            &acc(&t, "/inboxes"),
            &t.admin,
            json!({ "name": "Mail", "channel": { "type": "email" } }),
        )
        .await;
    assert_eq!(r.status, 422);
    let r = app
        .post(
            &acc(&t, "/inboxes"),
            &t.admin,
            json!({ "name": "Bad", "channel": { "type": "api", "webhook_url": "ftp://x" } }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["webhook_url"]));
    let r = app
        .post(
            &acc(&t, "/inboxes"),
            &t.admin,
            json!({ "channel": { "type": "api" } }),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["attributes"], json!(["name"]));
}

#[tokio::test]
async fn agents_see_only_their_inboxes_and_no_hmac_token() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Members").await;
    let a = app.api_inbox(&t, "A").await;
    let b = app.api_inbox(&t, "B").await;
    let (a_id, b_id) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
    let r = app
        .post(
            &acc(&t, "/inbox_members"),
            &t.admin,
            json!({ "inbox_id": a_id.to_string(), "user_ids": [t.agent_id] }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["payload"][0]["id"], t.agent_id);
    let mine = app.get(&acc(&t, "/inboxes"), &t.agent).await;
    let list = mine.body["payload"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], a_id);
    assert!(list[0].get("hmac_token").is_none());
    assert_eq!(
        app.get(&acc(&t, &format!("/inboxes/{b_id}")), &t.agent)
            .await
            .status,
        401
    );
    let set = app
        .patch(
            &acc(&t, "/inbox_members"),
            &t.admin,
            json!({ "inbox_id": a_id, "user_ids": [t.admin_id] }),
        )
        .await;
    assert_eq!(set.body["payload"].as_array().unwrap().len(), 1);
    assert_eq!(set.body["payload"][0]["id"], t.admin_id);
    assert_eq!(
        app.get(&acc(&t, "/inboxes"), &t.agent).await.body["payload"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let outsider = app
        .post(
            &acc(&t, "/inbox_members"),
            &t.admin,
            json!({ "inbox_id": a_id, "user_ids": [999_999] }),
        )
        .await;
    assert_eq!(outsider.status, 401);
    assert_eq!(outsider.body, json!({ "error": "Invalid User IDs" }));
    let missing = app
        .post(
            &acc(&t, "/inbox_members"),
            &t.admin,
            json!({ "inbox_id": a_id }),
        )
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(
        missing.body,
        json!({ "error": "param is missing or the value is empty: user_ids" })
    );
}

#[tokio::test]
async fn account_agent_bots_crud_token_reset_and_inbox_connection() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Botland").await;
    let bot = app
        .post(
            &acc(&t, "/agent_bots"),
            &t.admin,
            json!({ "name": "Triage", "outgoing_url": "https://bot.test/x" }),
        )
        .await;
    assert_eq!(bot.status, 200, "{:?}", bot.body);
    let id = bot.body["id"].as_i64().unwrap();
    let first = bot.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(bot.body["account_id"], t.account_id);
    let reset = app
        .post(
            &acc(&t, &format!("/agent_bots/{id}/reset_access_token")),
            &t.admin,
            json!({}),
        )
        .await;
    let second = reset.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(app.get(&acc(&t, "/contacts"), &first).await.status, 401);
    assert_eq!(
        app.get(&acc(&t, "/agent_bots"), &t.agent)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.post(&acc(&t, "/agent_bots"), &t.agent, json!({ "name": "no" }))
            .await
            .status,
        401
    );
    let inbox = app.api_inbox(&t, "Bot inbox").await;
    let iid = inbox["id"].as_i64().unwrap();
    let set = app
        .post(
            &acc(&t, &format!("/inboxes/{iid}/set_agent_bot")),
            &t.admin,
            json!({ "agent_bot": id }),
        )
        .await;
    assert_eq!(set.status, 204);
    let got = app
        .get(&acc(&t, &format!("/inboxes/{iid}/agent_bot")), &t.admin)
        .await;
    assert_eq!(got.body["agent_bot"]["id"], id);
    app.post(
        &acc(&t, &format!("/inboxes/{iid}/set_agent_bot")),
        &t.admin,
        json!({ "agent_bot": null }),
    )
    .await;
    assert_eq!(
        app.get(&acc(&t, &format!("/inboxes/{iid}/agent_bot")), &t.admin)
            .await
            .body["agent_bot"],
        serde_json::Value::Null
    );
    assert_eq!(
        app.delete(&acc(&t, &format!("/agent_bots/{id}")), &t.admin, None)
            .await
            .status,
        204
    );
    assert_eq!(
        app.get(&acc(&t, &format!("/agent_bots/{id}")), &t.admin)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn an_agent_who_leaves_an_account_leaves_its_inboxes_teams_and_conversations_there() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Acme").await;
    let (inbox, contact) = crate::conversations::setup(&app, &t).await;
    crate::conversations::conversation(&app, &t, inbox, contact, json!({})).await;
    let team = app
        .post(&acc(&t, "/teams"), &t.admin, json!({ "name": "Billing" }))
        .await;
    assert_eq!(team.status, 200, "{:?}", team.body);
    let team_id = team.body["id"].as_i64().unwrap();
    let r = app
        .post(
            &acc(&t, &format!("/teams/{team_id}/team_members")),
            &t.admin,
            json!({ "user_ids": [t.agent_id] }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let r = app
        .post(
            &acc(&t, "/conversations/1/assignments"),
            &t.admin,
            json!({ "assignee_id": t.agent_id }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // The agent also works for another account, so the user outlives this membership.
    let other = app.tenant("Globex").await;
    let m = app
        .platform(
            Method::POST,
            &format!("/accounts/{}/account_users", other.account_id),
            Some(json!({ "user_id": t.agent_id, "role": "agent" })),
        )
        .await;
    assert_eq!(m.status, 200, "{:?}", m.body);
    let r = app
        .delete(&acc(&t, &format!("/agents/{}", t.agent_id)), &t.admin, None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);

    let c = app.get(&acc(&t, "/conversations/1"), &t.admin).await;
    assert_eq!(c.status, 200, "{:?}", c.body);
    assert!(c.body["meta"].get("assignee").is_none(), "{:?}", c.body);
    let meta = app.get(&acc(&t, "/conversations/meta"), &t.admin).await;
    assert_eq!(meta.body["meta"]["unassigned_count"], 1, "{:?}", meta.body);
    let members = app
        .get(
            &acc(&t, &format!("/teams/{team_id}/team_members")),
            &t.admin,
        )
        .await;
    assert_eq!(members.body, json!([]), "{:?}", members.body);
    let members = app
        .get(&acc(&t, &format!("/inbox_members/{inbox}")), &t.admin)
        .await;
    let ids: Vec<i64> = members.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["id"].as_i64())
        .collect();
    assert_eq!(ids, vec![t.admin_id], "{:?}", members.body);
    // The other account still has the agent.
    let agents = app
        .get(
            &format!("/api/v1/accounts/{}/agents", other.account_id),
            &other.admin,
        )
        .await;
    assert!(
        agents
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == t.agent_id),
        "{:?}",
        agents.body
    );
}
