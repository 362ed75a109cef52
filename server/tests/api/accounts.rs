//! API tests: accounts, memberships, roles, the Network page and tenant isolation.
//! Every test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.

use crate::harness::*;
use reqwest::{Client, StatusCode};

struct World {
    app: TestApp,
    admin: Client,
    operator: Client,
    outsider: Client,
}

/// Anna admins "acme"; Olek is its operator; Zed admins his own "zeta" and is an outsider to acme.
async fn world(b: &Backend) -> World {
    let app = spawn(b).await;
    let (admin, operator, outsider) = (browser(), browser(), browser());
    app.register(&admin, "anna@acme.test", "Anna").await;
    app.register(&operator, "olek@acme.test", "Olek").await;
    app.register(&outsider, "zed@zeta.test", "Zed").await;
    assert_eq!(
        app.create_account(&admin, "Acme Logistics", "acme").await,
        "/a/acme?ok=account_created"
    );
    assert_eq!(
        app.create_account(&outsider, "Zeta", "zeta").await,
        "/a/zeta?ok=account_created"
    );
    let to = app
        .invite_and_accept(&admin, "acme", "OLEK@acme.test", "operator", &operator)
        .await;
    assert_eq!(to, "/a/acme?ok=invited");
    World {
        app,
        admin,
        operator,
        outsider,
    }
}

async fn user_id(app: &TestApp, c: &Client) -> String {
    app.server_fn(c, "current_user", &[]).await.unwrap()["id"].to_string()
}

#[both_databases]
async fn the_network_page_lists_every_account_of_the_user_with_their_role(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    app.create_account(&w.operator, "Borealis", "borealis").await;
    let list = app.server_fn(&w.operator, "my_accounts", &[]).await.unwrap();
    let got: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["slug"].as_str().unwrap().to_string(),
                a["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("acme".into(), "operator".into()),
            ("borealis".into(), "admin".into())
        ],
        "{b:?}"
    );

    // The server-rendered page (no JavaScript needed) shows the same.
    let (status, html) = app.get_html(&w.operator, "/network").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<a href="/a/acme">Acme Logistics</a>"#), "{html}");
    assert!(html.contains("Operator") && html.contains("Admin"));
    assert!(!html.contains("Zeta"), "only the user's own accounts");
}

#[both_databases]
async fn account_slugs_are_validated_and_unique_and_nothing_is_written_on_error(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let before = app.count("accounts").await;
    for (name, slug, expected) in [
        ("X", "Bad Slug", "error=slug_chars&field=slug"),
        ("X", "ab", "error=slug_length&field=slug"),
        ("X", &"a".repeat(41), "error=slug_length&field=slug"),
        ("", "fine-slug", "error=required&field=account_name"),
        ("Copycat", "acme", "error=slug_taken&field=slug"),
    ] {
        let to = app.create_account(&w.admin, name, slug).await;
        assert!(
            to.starts_with(&format!("/accounts/new?{expected}")),
            "{name:?}/{slug:?}: {to}"
        );
    }
    assert_eq!(app.count("accounts").await, before, "{b:?}");
    assert_eq!(app.count("memberships").await, 3);
    // The last refusal (Copycat/acme) comes back filled in, kept by the server.
    let (_, html) = app
        .get_html(&w.admin, "/accounts/new?error=slug_taken&field=slug")
        .await;
    assert!(html.contains("This slug is already used by another account."));
    assert!(html.contains(r#"value="Copycat""#));
}

#[both_databases]
async fn an_admin_adds_members_by_email_and_bad_requests_change_nothing(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let before = app.count("memberships").await;
    for (email, role, expected) in [
        // The answer is the same whether or not an identity uses the email.
        ("nobody@acme.test", "employee", "ok=invited"),
        ("not an email", "employee", "error=email_format&field=member"),
        ("olek@acme.test", "employee", "error=already_member&field=member"),
        ("zed@zeta.test", "owner", "error=role_unknown&field=role"),
    ] {
        let r = app
            .post_form(
                &w.admin,
                "/a/acme/members",
                &[("member_email", email), ("member_role", role)],
            )
            .await;
        let to = location(&r);
        assert!(
            to.starts_with(&format!("/a/acme?{expected}")),
            "{email}/{role}: {to}"
        );
    }
    assert_eq!(app.count("memberships").await, before, "{b:?}");

    // Zed is invited: not a member until he accepts.
    let r = app
        .post_form(
            &w.admin,
            "/a/acme/members",
            &[("member_email", "zed@zeta.test"), ("member_role", "employee")],
        )
        .await;
    assert_eq!(location(&r), "/a/acme?ok=invited");
    assert_eq!(
        app.count("memberships").await,
        before,
        "{b:?}: joined without consent"
    );
    let waiting = app.server_fn(&w.outsider, "my_invitations", &[]).await.unwrap();
    assert_eq!(waiting[0]["account_name"], "Acme Logistics", "{waiting}");
    assert_eq!(waiting[0]["role"], "employee");
    let r = app
        .post_form(
            &w.outsider,
            &format!("/invitations/{}/accept", waiting[0]["id"]),
            &[],
        )
        .await;
    assert_eq!(location(&r), "/a/acme?ok=joined");
    let page = app
        .server_fn(&w.admin, "account_page", &[("slug", "acme")])
        .await
        .unwrap();
    let members: Vec<(String, String)> = page["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().into(),
                m["role"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        members,
        vec![
            ("Anna".into(), "admin".into()),
            ("Olek".into(), "operator".into()),
            ("Zed".into(), "employee".into())
        ]
    );
}

#[both_databases]
async fn operators_and_employees_cannot_manage_members(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let anna = user_id(app, &w.admin).await;
    let before = app.count("memberships").await;
    let r = app
        .post_form(
            &w.operator,
            "/a/acme/members",
            &[("member_email", "zed@zeta.test"), ("member_role", "admin")],
        )
        .await;
    assert!(
        location(&r).starts_with("/a/acme?error=forbidden"),
        "{}",
        location(&r)
    );
    let r = app
        .post_form(
            &w.operator,
            &format!("/a/acme/members/{anna}/role"),
            &[("role", "employee")],
        )
        .await;
    assert_eq!(location(&r), "/a/acme?error=forbidden");
    let r = app
        .post_form(&w.operator, &format!("/a/acme/members/{anna}/remove"), &[])
        .await;
    assert_eq!(location(&r), "/a/acme?error=forbidden");
    assert_eq!(app.count("memberships").await, before, "{b:?}");
    let page = app
        .server_fn(&w.admin, "account_page", &[("slug", "acme")])
        .await
        .unwrap();
    assert_eq!(page["members"][0]["role"], "admin");
    // The operator still sees the account and its members, read-only.
    let (status, html) = app.get_html(&w.operator, "/a/acme").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Members") && !html.contains("Invite a member"));
}

#[both_databases]
async fn the_last_admin_can_be_neither_demoted_nor_removed(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let anna = user_id(app, &w.admin).await;
    let olek = user_id(app, &w.operator).await;
    let r = app
        .post_form(
            &w.admin,
            &format!("/a/acme/members/{anna}/role"),
            &[("role", "operator")],
        )
        .await;
    assert_eq!(location(&r), "/a/acme?error=last_admin&field=role");
    let r = app
        .post_form(&w.admin, &format!("/a/acme/members/{anna}/remove"), &[])
        .await;
    assert_eq!(location(&r), "/a/acme?error=last_admin&field=member");
    let (_, html) = app
        .get_html(&w.admin, "/a/acme?error=last_admin&field=role")
        .await;
    assert!(html.contains("The account must keep at least one admin."));

    // With a second admin, the first may step down; then Olek removes Anna.
    let r = app
        .post_form(
            &w.admin,
            &format!("/a/acme/members/{olek}/role"),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(location(&r), "/a/acme?ok=role_changed");
    let r = app
        .post_form(
            &w.admin,
            &format!("/a/acme/members/{anna}/role"),
            &[("role", "employee")],
        )
        .await;
    assert_eq!(location(&r), "/a/acme?ok=role_changed");
    let r = app
        .post_form(&w.operator, &format!("/a/acme/members/{anna}/remove"), &[])
        .await;
    assert_eq!(location(&r), "/a/acme?ok=member_removed", "{b:?}");
    let list = app.server_fn(&w.admin, "my_accounts", &[]).await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 0, "Anna no longer works in acme");
}

#[both_databases]
async fn two_admins_demoting_each_other_at_once_leave_one_admin(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let anna = user_id(app, &w.admin).await;
    let olek = user_id(app, &w.operator).await;
    app.post_form(
        &w.admin,
        &format!("/a/acme/members/{olek}/role"),
        &[("role", "admin")],
    )
    .await;
    for _ in 0..5 {
        let (demote_olek, demote_anna) = (
            format!("/a/acme/members/{olek}/role"),
            format!("/a/acme/members/{anna}/role"),
        );
        let (a, o) = tokio::join!(
            app.post_form(&w.admin, &demote_olek, &[("role", "employee")]),
            app.post_form(&w.operator, &demote_anna, &[("role", "employee")]),
        );
        let admins = app.server_fn(&w.admin, "account_page", &[("slug", "acme")]).await;
        let page = match admins {
            Ok(p) => p,
            Err(_) => app
                .server_fn(&w.operator, "account_page", &[("slug", "acme")])
                .await
                .unwrap(),
        };
        let n = page["members"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["role"] == "admin")
            .count();
        assert_eq!(n, 1, "{b:?}: {} / {}", location(&a), location(&o));
        // Restore two admins for the next round.
        let (who, c) = if page["members"][0]["name"] == "Anna" {
            (&olek, &w.admin)
        } else {
            (&anna, &w.operator)
        };
        app.post_form(c, &format!("/a/acme/members/{who}/role"), &[("role", "admin")])
            .await;
    }
}

#[both_databases]
async fn outsiders_cannot_see_or_change_another_account(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let anna = user_id(app, &w.admin).await;
    let err = app
        .server_fn(&w.outsider, "account_page", &[("slug", "acme")])
        .await
        .unwrap_err();
    assert_eq!(err, serde_json::json!("NotFound"));
    // The same answer as for an account that does not exist: no probing.
    let err = app
        .server_fn(&w.outsider, "account_page", &[("slug", "no-such")])
        .await
        .unwrap_err();
    assert_eq!(err, serde_json::json!("NotFound"));
    let (status, html) = app.get_html(&w.outsider, "/a/acme").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{b:?}");
    assert!(!html.contains("Anna") && !html.contains("olek@acme.test"));

    let before = app.count("memberships").await;
    let r = app
        .post_form(
            &w.outsider,
            "/a/acme/members",
            &[("member_email", "zed@zeta.test"), ("member_role", "admin")],
        )
        .await;
    assert_eq!(location(&r), "/a/acme");
    app.post_form(
        &w.outsider,
        &format!("/a/acme/members/{anna}/role"),
        &[("role", "employee")],
    )
    .await;
    app.post_form(&w.outsider, &format!("/a/acme/members/{anna}/remove"), &[])
        .await;
    assert_eq!(app.count("memberships").await, before);
    let page = app
        .server_fn(&w.admin, "account_page", &[("slug", "acme")])
        .await
        .unwrap();
    assert_eq!(page["members"][0]["role"], "admin");

    // Acme's admin cannot touch Zeta's members through Acme's URL either.
    let zed = user_id(app, &w.outsider).await;
    let r = app
        .post_form(&w.admin, &format!("/a/acme/members/{zed}/remove"), &[])
        .await;
    assert_eq!(location(&r), "/a/acme?error=not_found");
    let list = app.server_fn(&w.outsider, "my_accounts", &[]).await.unwrap();
    assert_eq!(list[0]["slug"], "zeta");
}

#[tokio::test]
async fn signed_out_form_posts_go_to_sign_in_and_write_nothing() {
    let w = world(&Backend::Sqlite).await;
    let app = &w.app;
    let anon = browser();
    let to = app.create_account(&anon, "Ghost", "ghost").await;
    assert_eq!(to, "/login?next=%2Faccounts%2Fnew");
    let r = app
        .post_form(
            &anon,
            "/a/acme/members",
            &[("member_email", "zed@zeta.test"), ("member_role", "admin")],
        )
        .await;
    assert_eq!(location(&r), "/login?next=%2Fa%2Facme");
    assert_eq!(app.count("accounts").await, 2);
    assert_eq!(app.count("memberships").await, 3);
}

#[tokio::test]
async fn who_is_calling_is_asked_before_the_body_is_decoded() {
    let w = world(&Backend::Sqlite).await;
    let app = &w.app;
    let before = app.count("open_channels").await;
    // A body the form endpoint could not decode (not a form at all): a visitor is sent to
    // sign in and an outsider to the account's page (a 404) — the body is never looked at.
    let not_a_form = |c: &reqwest::Client| {
        c.post(app.url("/a/acme/contact-center/channels"))
            .header("content-type", "text/plain")
            .body("channel_name=Sneaky")
            .send()
    };
    // Answered with the body unread, the connection closes, and the answer says so: a
    // client that pools connections opens a new one for its next request.
    let closes = |r: &reqwest::Response| r.headers().get("connection").is_some_and(|v| v == "close");
    let r = not_a_form(&browser()).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login?next=%2Fa%2Facme");
    assert!(closes(&r), "{:?}", r.headers());
    let r = not_a_form(&w.outsider).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/a/acme");
    assert!(closes(&r), "{:?}", r.headers());
    // A member is told about the body itself.
    let r = not_a_form(&w.admin).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(closes(&r), "{:?}", r.headers());
    assert_eq!(app.count("open_channels").await, before, "nothing created");
    // The same client's next requests are answered (on a new connection).
    assert_eq!(
        app.get_page(&w.outsider, "/a/zeta").await.status(),
        StatusCode::OK
    );
    // A body that was read keeps the connection open for the next request.
    let r = app
        .post_form(
            &w.admin,
            "/a/acme/contact-center/channels",
            &[("channel_name", "Read")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!closes(&r), "{:?}", r.headers());
    assert_eq!(app.count("open_channels").await, before + 1);
}

#[both_databases]
async fn joining_takes_the_persons_consent_and_the_form_reveals_no_identity(b: Backend) {
    let w = world(&b).await;
    let app = &w.app;
    let zed = user_id(app, &w.outsider).await;
    let before = app.count("memberships").await;
    // Registered or not, the admin gets the same answer, and nobody joins.
    for email in ["zed@zeta.test", "nobody-here@zeta.test"] {
        let r = app
            .post_form(
                &w.admin,
                "/a/acme/members",
                &[("member_email", email), ("member_role", "admin")],
            )
            .await;
        assert_eq!(location(&r), "/a/acme?ok=invited", "{b:?} {email}");
    }
    assert_eq!(app.count("memberships").await, before, "{b:?}");
    // The admin sees both waiting; the invited person sees theirs only, with the
    // account's name; nobody else sees it.
    let page = app
        .server_fn(&w.admin, "account_page", &[("slug", "acme")])
        .await
        .unwrap();
    assert_eq!(page["invitations"].as_array().unwrap().len(), 2, "{page}");
    let mine = app.server_fn(&w.outsider, "my_invitations", &[]).await.unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(
        app.server_fn(&w.operator, "my_invitations", &[]).await.unwrap(),
        serde_json::json!([])
    );
    let id = mine[0]["id"].clone();
    // Someone else cannot accept it for Zed.
    let r = app
        .post_form(&w.operator, &format!("/invitations/{id}/accept"), &[])
        .await;
    assert!(location(&r).contains("error=not_found"), "{}", location(&r));
    assert_eq!(app.count("memberships").await, before);
    // Zed declines: nothing changes, and the invitation is gone.
    let r = app
        .post_form(&w.outsider, &format!("/invitations/{id}/decline"), &[])
        .await;
    assert_eq!(location(&r), "/network?ok=invitation_declined");
    assert_eq!(app.count("memberships").await, before);
    assert_eq!(
        app.server_fn(&w.outsider, "my_invitations", &[]).await.unwrap(),
        serde_json::json!([])
    );
    // Invited again, Zed accepts and becomes an admin of Acme.
    let to = app
        .invite_and_accept(&w.admin, "acme", "zed@zeta.test", "admin", &w.outsider)
        .await;
    assert_eq!(to, "/a/acme?ok=invited");
    let page = app
        .server_fn(&w.admin, "account_page", &[("slug", "acme")])
        .await
        .unwrap();
    assert!(
        page["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["user_id"] == zed.parse::<serde_json::Value>().unwrap() && m["role"] == "admin"),
        "{page}"
    );
    // The admin withdraws the other invitation; a stranger cannot.
    let other = page["invitations"][0]["id"].clone();
    let r = app
        .post_form(&w.outsider, &format!("/a/zeta/invitations/{other}/cancel"), &[])
        .await;
    assert!(location(&r).contains("error=not_found"), "{}", location(&r));
    let r = app
        .post_form(&w.admin, &format!("/a/acme/invitations/{other}/cancel"), &[])
        .await;
    assert_eq!(location(&r), "/a/acme?ok=invitation_cancelled");
    assert_eq!(app.count("invitations").await, 0, "{b:?}");
    // Signed out: to sign in.
    let r = app
        .post_form(&browser(), &format!("/invitations/{id}/accept"), &[])
        .await;
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
}
