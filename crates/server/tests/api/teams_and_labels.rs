//! `…/teams`, `…/teams/{id}/team_members` and `…/labels`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Tenant, TestApp, acc};

const NOT_AUTHORIZED: &str = "You are not authorized to do this action";

async fn team(app: &TestApp, t: &Tenant, name: &str) -> i64 {
    let r = app
        .post(&acc(t, "/teams"), &t.admin, json!({ "name": name }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

async fn label(app: &TestApp, t: &Tenant, title: &str) -> i64 {
    let r = app
        .post(&acc(t, "/labels"), &t.admin, json!({ "title": title }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

fn ids(body: &Value) -> Vec<i64> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn administrators_create_show_update_and_delete_teams_in_chatwoots_shape() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Teams").await;
    let created = app
        .post(
            &acc(&t, "/teams"),
            &t.admin,
            json!({ "team": { "name": "Billing Squad", "description": "Money matters", "allow_auto_assign": false } }),
        )
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        created.body,
        json!({
            "id": id,
            "name": "billing squad",
            "description": "Money matters",
            "allow_auto_assign": false,
            "account_id": t.account_id,
            "is_member": false,
        })
    );
    let alpha = app
        .post(&acc(&t, "/teams"), &t.admin, json!({ "name": "alpha" }))
        .await;
    assert_eq!(alpha.body["allow_auto_assign"], true, "defaults to true");
    assert_eq!(alpha.body["description"], Value::Null);

    let list = app.get(&acc(&t, "/teams"), &t.agent).await;
    assert_eq!(list.status, 200);
    let names: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["alpha", "billing squad"],
        "a bare array by name"
    );

    let shown = app.get(&acc(&t, &format!("/teams/{id}")), &t.agent).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body, created.body);

    let patched = app
        .patch(
            &acc(&t, &format!("/teams/{id}")),
            &t.admin,
            json!({ "team": { "description": null, "allow_auto_assign": "true" } }),
        )
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["description"], Value::Null);
    assert_eq!(patched.body["allow_auto_assign"], true);
    assert_eq!(patched.body["name"], "billing squad");
    let put = app
        .request(
            Method::PUT,
            &acc(&t, &format!("/teams/{id}")),
            Some(&t.admin),
            Some(json!({ "name": "Accounts" })),
        )
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(put.body["name"], "accounts");

    let gone = app
        .delete(&acc(&t, &format!("/teams/{id}")), &t.admin, None)
        .await;
    assert_eq!(gone.status, 200);
    assert_eq!(gone.body, Value::Null, "an empty body");
    let missing = app.get(&acc(&t, &format!("/teams/{id}")), &t.admin).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.body,
        json!({ "error": "Resource could not be found" })
    );
}

#[tokio::test]
async fn team_names_are_lower_cased_required_and_unique_per_account() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Names").await;
    let other = app.tenant("Other Names").await;
    let first = team(&app, &t, "Support").await;
    let dup = app
        .post(&acc(&t, "/teams"), &t.admin, json!({ "name": "SUPPORT" }))
        .await;
    assert_eq!(dup.status, 422);
    assert_eq!(
        dup.body,
        json!({ "message": "Name has already been taken", "attributes": ["name"] })
    );
    team(&app, &other, "support").await;

    let blank = app
        .post(&acc(&t, "/teams"), &t.admin, json!({ "name": "  " }))
        .await;
    assert_eq!(blank.status, 422);
    assert_eq!(
        blank.body,
        json!({ "message": "Name must not be blank", "attributes": ["name"] })
    );
    let nothing = app.post(&acc(&t, "/teams"), &t.admin, json!({})).await;
    assert_eq!(nothing.status, 422);
    assert_eq!(
        nothing.body,
        json!({ "error": "param is missing or the value is empty: team" })
    );

    let second = team(&app, &t, "Sales").await;
    let rename = app
        .patch(
            &acc(&t, &format!("/teams/{second}")),
            &t.admin,
            json!({ "name": "support" }),
        )
        .await;
    assert_eq!(rename.status, 422);
    assert_eq!(rename.body["attributes"], json!(["name"]));
    let same = app
        .patch(
            &acc(&t, &format!("/teams/{first}")),
            &t.admin,
            json!({ "name": "Support", "description": "kept" }),
        )
        .await;
    assert_eq!(same.status, 200, "renaming a team to its own name is fine");
    assert_eq!(same.body["description"], "kept");
}

#[tokio::test]
async fn an_agent_cannot_create_update_or_delete_a_team() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Agent Teams").await;
    let id = team(&app, &t, "core").await;
    let refused = json!({ "error": NOT_AUTHORIZED });
    let create = app
        .post(&acc(&t, "/teams"), &t.agent, json!({ "name": "mine" }))
        .await;
    assert_eq!((create.status.as_u16(), &create.body), (401, &refused));
    let update = app
        .patch(
            &acc(&t, &format!("/teams/{id}")),
            &t.agent,
            json!({ "name": "renamed" }),
        )
        .await;
    assert_eq!((update.status.as_u16(), &update.body), (401, &refused));
    let delete = app
        .delete(&acc(&t, &format!("/teams/{id}")), &t.agent, None)
        .await;
    assert_eq!((delete.status.as_u16(), &delete.body), (401, &refused));
    let list = app.get(&acc(&t, "/teams"), &t.agent).await;
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["name"], "core");
}

#[tokio::test]
async fn team_members_are_added_set_listed_and_removed_by_administrators() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Members").await;
    let id = team(&app, &t, "crew").await;
    let path = acc(&t, &format!("/teams/{id}/team_members"));

    let added = app
        .post(
            &path,
            &t.admin,
            json!({ "user_ids": [t.agent_id, t.agent_id.to_string()] }),
        )
        .await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    assert_eq!(ids(&added.body), vec![t.agent_id], "the agents added");
    assert_eq!(added.body[0]["role"], "agent");
    assert_eq!(added.body[0]["email"], "agent@members.test");
    assert_eq!(added.body[0]["account_id"], t.account_id);
    let again = app
        .post(&path, &t.admin, json!({ "user_ids": [t.agent_id] }))
        .await;
    assert_eq!(again.status, 200, "adding a member twice is harmless");

    let listed = app.get(&path, &t.agent).await;
    assert_eq!(listed.status, 200);
    assert_eq!(ids(&listed.body), vec![t.agent_id]);
    let mine = app.get(&acc(&t, &format!("/teams/{id}")), &t.agent).await;
    assert_eq!(mine.body["is_member"], true);
    let not_mine = app.get(&acc(&t, &format!("/teams/{id}")), &t.admin).await;
    assert_eq!(not_mine.body["is_member"], false);

    let set = app
        .patch(&path, &t.admin, json!({ "user_ids": [t.admin_id] }))
        .await;
    assert_eq!(set.status, 200);
    assert_eq!(ids(&set.body), vec![t.admin_id], "exactly the list sent");
    assert_eq!(ids(&app.get(&path, &t.admin).await.body), vec![t.admin_id]);

    let both = app
        .patch(
            &path,
            &t.admin,
            json!({ "user_ids": [t.admin_id, t.agent_id] }),
        )
        .await;
    assert_eq!(both.body.as_array().unwrap().len(), 2);

    let removed = app
        .delete(&path, &t.admin, Some(json!({ "user_ids": [t.admin_id] })))
        .await;
    assert_eq!(removed.status, 200);
    assert_eq!(ids(&app.get(&path, &t.admin).await.body), vec![t.agent_id]);

    let no_ids = app.post(&path, &t.admin, json!({})).await;
    assert_eq!(no_ids.status, 422);
    assert_eq!(
        no_ids.body,
        json!({ "error": "param is missing or the value is empty: user_ids" })
    );

    app.delete(&acc(&t, &format!("/teams/{id}")), &t.admin, None)
        .await;
    assert_eq!(app.get(&path, &t.admin).await.status, 404);
}

#[tokio::test]
async fn team_member_ids_outside_the_account_are_refused_with_401_and_change_nothing() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Strict").await;
    let other = app.tenant("Elsewhere").await;
    let id = team(&app, &t, "crew").await;
    let path = acc(&t, &format!("/teams/{id}/team_members"));
    let invalid = json!({ "error": "Invalid User IDs" });
    for (method, ids) in [
        (Method::POST, json!([t.agent_id, other.admin_id])),
        (Method::PATCH, json!([other.agent_id])),
        (Method::DELETE, json!([999_999])),
    ] {
        let r = app
            .request(
                method.clone(),
                &path,
                Some(&t.admin),
                Some(json!({ "user_ids": ids })),
            )
            .await;
        assert_eq!(r.status, 401, "{method}");
        assert_eq!(r.body, invalid, "{method}");
    }
    let members = app.get(&path, &t.admin).await;
    assert_eq!(members.body, json!([]), "the valid id was not added either");
}

#[tokio::test]
async fn an_agent_cannot_change_team_members() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Agent Members").await;
    let id = team(&app, &t, "crew").await;
    let path = acc(&t, &format!("/teams/{id}/team_members"));
    for method in [Method::POST, Method::PATCH, Method::DELETE] {
        let r = app
            .request(
                method.clone(),
                &path,
                Some(&t.agent),
                Some(json!({ "user_ids": [t.agent_id] })),
            )
            .await;
        assert_eq!(r.status, 401, "{method}");
        assert_eq!(r.body, json!({ "error": NOT_AUTHORIZED }), "{method}");
    }
    assert_eq!(app.get(&path, &t.agent).await.body, json!([]));
}

#[tokio::test]
async fn teams_and_labels_of_another_account_are_out_of_reach() {
    let app = TestApp::spawn().await;
    let a = app.tenant("Alpha Org").await;
    let b = app.tenant("Bravo Org").await;
    let b_team = team(&app, &b, "secret").await;
    let b_label = label(&app, &b, "secret").await;

    // A's token on B's account: not a member.
    for path in [
        acc(&b, "/teams"),
        acc(&b, &format!("/teams/{b_team}")),
        acc(&b, &format!("/teams/{b_team}/team_members")),
        acc(&b, "/labels"),
        acc(&b, &format!("/labels/{b_label}")),
    ] {
        let r = app.get(&path, &a.admin).await;
        assert_eq!(r.status, 401, "{path}");
        assert_eq!(
            r.body,
            json!({ "error": "You are not authorized to access this account" })
        );
    }
    // B's ids under A's account: not found, and nothing changes.
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, acc(&a, &format!("/teams/{b_team}")), None),
        (
            Method::PATCH,
            acc(&a, &format!("/teams/{b_team}")),
            Some(json!({ "name": "pwned" })),
        ),
        (Method::DELETE, acc(&a, &format!("/teams/{b_team}")), None),
        (
            Method::GET,
            acc(&a, &format!("/teams/{b_team}/team_members")),
            None,
        ),
        (
            Method::POST,
            acc(&a, &format!("/teams/{b_team}/team_members")),
            Some(json!({ "user_ids": [a.agent_id] })),
        ),
        (Method::GET, acc(&a, &format!("/labels/{b_label}")), None),
        (
            Method::PATCH,
            acc(&a, &format!("/labels/{b_label}")),
            Some(json!({ "title": "pwned" })),
        ),
        (Method::DELETE, acc(&a, &format!("/labels/{b_label}")), None),
    ];
    for (method, path, body) in cases {
        let r = app
            .request(method.clone(), &path, Some(&a.admin), body)
            .await;
        assert_eq!(r.status, 404, "{method} {path}");
    }
    assert_eq!(app.get(&acc(&a, "/teams"), &a.admin).await.body, json!([]));
    let b_teams = app.get(&acc(&b, "/teams"), &b.admin).await;
    assert_eq!(b_teams.body[0]["name"], "secret");
    let b_labels = app.get(&acc(&b, "/labels"), &b.admin).await;
    assert_eq!(b_labels.body["payload"][0]["title"], "secret");
}

#[tokio::test]
async fn administrators_create_labels_with_lower_cased_titles_and_defaults() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Labels").await;
    let created = app
        .post(
            &acc(&t, "/labels"),
            &t.admin,
            json!({ "label": { "title": "VIP-Customers_2", "description": "Big spenders" } }),
        )
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let id = created.body["id"].as_i64().unwrap();
    assert_eq!(
        created.body,
        json!({
            "id": id,
            "title": "vip-customers_2",
            "description": "Big spenders",
            "color": "#1f93ff",
            "show_on_sidebar": false,
        })
    );
    let billing = app
        .post(
            &acc(&t, "/labels"),
            &t.admin,
            json!({ "title": "Billing", "color": "#ff0000", "show_on_sidebar": true }),
        )
        .await;
    assert_eq!(billing.body["color"], "#ff0000");
    assert_eq!(billing.body["show_on_sidebar"], true);

    let list = app.get(&acc(&t, "/labels"), &t.agent).await;
    assert_eq!(list.status, 200);
    let titles: Vec<&str> = list.body["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec!["billing", "vip-customers_2"],
        "ordered by title"
    );

    let shown = app.get(&acc(&t, &format!("/labels/{id}")), &t.admin).await;
    assert_eq!(shown.body, created.body);
    let updated = app
        .patch(
            &acc(&t, &format!("/labels/{id}")),
            &t.admin,
            json!({ "label": { "title": "VIP", "color": "#000000", "show_on_sidebar": true, "description": "" } }),
        )
        .await;
    assert_eq!(updated.status, 200, "{:?}", updated.body);
    assert_eq!(
        updated.body,
        json!({ "id": id, "title": "vip", "description": null, "color": "#000000", "show_on_sidebar": true })
    );
    let deleted = app
        .delete(&acc(&t, &format!("/labels/{id}")), &t.admin, None)
        .await;
    assert_eq!(deleted.status, 200);
    assert_eq!(
        app.get(&acc(&t, &format!("/labels/{id}")), &t.admin)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&acc(&t, "/labels"), &t.admin).await.body["payload"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn label_titles_must_be_valid_and_unique_per_account() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Titles").await;
    let other = app.tenant("Other Titles").await;
    let vip = label(&app, &t, "vip").await;
    let cases = [
        (json!({ "title": "with space" }), "Title is invalid"),
        (json!({ "title": "a,b" }), "Title is invalid"),
        (json!({ "title": "" }), "Title must not be blank"),
        (json!({ "title": "VIP" }), "Title has already been taken"),
        (
            json!({ "description": "no title" }),
            "Title must not be blank",
        ),
    ];
    for (body, message) in cases {
        let r = app.post(&acc(&t, "/labels"), &t.admin, body.clone()).await;
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(
            r.body,
            json!({ "message": message, "attributes": ["title"] }),
            "{body}"
        );
    }
    let nothing = app.post(&acc(&t, "/labels"), &t.admin, json!({})).await;
    assert_eq!(
        nothing.body,
        json!({ "error": "param is missing or the value is empty: label" })
    );
    label(&app, &other, "VIP").await;

    let urgent = label(&app, &t, "urgent").await;
    let clash = app
        .patch(
            &acc(&t, &format!("/labels/{urgent}")),
            &t.admin,
            json!({ "title": "Vip" }),
        )
        .await;
    assert_eq!(clash.status, 422);
    assert_eq!(
        clash.body,
        json!({ "message": "Title has already been taken", "attributes": ["title"] })
    );
    let invalid = app
        .patch(
            &acc(&t, &format!("/labels/{vip}")),
            &t.admin,
            json!({ "title": "no good" }),
        )
        .await;
    assert_eq!(invalid.status, 422, "refused, not silently ignored");
    let shown = app.get(&acc(&t, &format!("/labels/{vip}")), &t.admin).await;
    assert_eq!(shown.body["title"], "vip");
}

#[tokio::test]
async fn agents_list_labels_but_only_administrators_show_or_change_them() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Label Roles").await;
    let id = label(&app, &t, "billing").await;
    let list = app.get(&acc(&t, "/labels"), &t.agent).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["payload"][0]["id"], id);
    let refused = json!({ "error": NOT_AUTHORIZED });
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, acc(&t, &format!("/labels/{id}")), None),
        (
            Method::POST,
            acc(&t, "/labels"),
            Some(json!({ "title": "mine" })),
        ),
        (
            Method::PATCH,
            acc(&t, &format!("/labels/{id}")),
            Some(json!({ "title": "renamed" })),
        ),
        (Method::DELETE, acc(&t, &format!("/labels/{id}")), None),
    ];
    for (method, path, body) in cases {
        let r = app
            .request(method.clone(), &path, Some(&t.agent), body)
            .await;
        assert_eq!(r.status, 401, "{method} {path}");
        assert_eq!(r.body, refused, "{method} {path}");
    }
    let after = app.get(&acc(&t, "/labels"), &t.admin).await;
    assert_eq!(after.body["payload"].as_array().unwrap().len(), 1);
    assert_eq!(after.body["payload"][0]["title"], "billing");
}

#[tokio::test]
async fn a_conversation_s_team_says_whether_the_viewer_is_a_member() {
    let app = TestApp::spawn().await;
    let t = app.tenant("Viewers").await;
    let (inbox, contact) = crate::conversations::setup(&app, &t).await;
    let conv = crate::conversations::conversation(&app, &t, inbox, contact, json!({})).await;
    let id = team(&app, &t, "crew").await;
    let r = app
        .post(
            &acc(&t, &format!("/teams/{id}/team_members")),
            &t.admin,
            json!({ "user_ids": [t.agent_id] }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let path = acc(&t, &format!("/conversations/{}", conv["id"]));
    let r = app
        .post(
            &format!("{path}/assignments"),
            &t.admin,
            json!({ "team_id": id }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    for (token, member) in [(&t.agent, true), (&t.admin, false)] {
        let shown = app.get(&path, token).await;
        assert_eq!(shown.body["meta"]["team"]["is_member"], member, "show");
        let listed = app.get(&acc(&t, "/conversations?status=open"), token).await;
        let team = &listed.body["data"]["payload"][0]["meta"]["team"];
        assert_eq!(team["id"], id, "{:?}", listed.body);
        assert_eq!(team["is_member"], member, "list");
    }
}
