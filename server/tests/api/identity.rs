//! API tests: registration, sign-in, sessions, rate limiting, language, health.
//! Every test runs on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set.

use crate::harness::*;
use app::backend::config::LoginLimits;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use std::time::Duration;

#[both_databases]
async fn health_check_reports_the_database_ok(b: Backend) {
    let app = spawn(&b).await;
    let r = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{b:?}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["database"], "ok");
}

#[both_databases]
async fn registering_signs_the_user_in_with_a_safe_session_cookie(b: Backend) {
    let app = spawn(&b).await;
    let c = browser();
    let r = app
        .post_form(
            &c,
            "/auth/register",
            &[
                ("email", "Ada@Example.com"),
                ("name", " Ada "),
                ("password", PASSWORD),
                ("next", "/accounts/new"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/accounts/new");
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("netlines_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http public URL: no Secure flag: {cookie}"
    );
    let me = app.server_fn(&c, "current_user", &[]).await.unwrap();
    assert_eq!(me["name"], "Ada");
    assert_eq!(me["email"], "Ada@Example.com");
}

#[tokio::test]
async fn session_cookie_is_secure_when_the_public_url_is_https() {
    let app = spawn_with(
        &Backend::Sqlite,
        Options {
            public_url: Some("https://chat.example.com".into()),
            ..Default::default()
        },
    )
    .await;
    let c = browser();
    let r = app
        .post_form(
            &c,
            "/auth/register",
            &[("email", "s@example.com"), ("name", "S"), ("password", PASSWORD)],
        )
        .await;
    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[both_databases]
async fn duplicate_email_is_refused_in_any_letter_case_and_nothing_is_written(b: Backend) {
    let app = spawn(&b).await;
    app.register(&browser(), "dup@example.com", "First").await;
    let c = browser();
    let r = app
        .post_form(
            &c,
            "/auth/register",
            &[
                ("email", "DUP@example.COM"),
                ("name", "Second"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let to = location(&r);
    assert_eq!(to, "/register?error=email_taken&field=email", "{to}");
    assert!(!to.contains("password"), "passwords never travel in URLs: {to}");
    let (_, html) = app.get_html(&c, &to).await;
    assert!(
        html.contains(r#"value="Second""#),
        "{b:?}: typed values come back"
    );
    assert_eq!(app.count("users").await, 1, "{b:?}");
    let kept = app.state.db.query_one_raw(sea_orm::Statement::from_string(
        app.state.db.get_database_backend(),
        "SELECT \"values\" AS v FROM form_refills",
    ));
    let kept: String = kept.await.unwrap().unwrap().try_get("", "v").unwrap();
    assert!(!kept.contains(PASSWORD), "{b:?}: passwords are never kept");
}

#[both_databases]
async fn bad_registration_input_names_the_field_and_writes_nothing(b: Backend) {
    let app = spawn(&b).await;
    let cases: [(&str, &str, &str, &str); 5] = [
        (
            "short@example.com",
            "Shorty",
            "1234567",
            "error=password_too_short&field=password",
        ),
        ("not-an-email", "X", PASSWORD, "error=email_format&field=email"),
        ("", "X", PASSWORD, "error=required&field=email"),
        ("n@example.com", "   ", PASSWORD, "error=required&field=name"),
        (
            "long@example.com",
            &"x".repeat(81),
            PASSWORD,
            "error=too_long&field=name",
        ),
    ];
    for (email, name, pw, expected) in cases {
        let r = app
            .post_form(
                &browser(),
                "/auth/register",
                &[("email", email), ("name", name), ("password", pw)],
            )
            .await;
        let to = location(&r);
        assert!(
            to.starts_with(&format!("/register?{expected}")),
            "{email:?}/{name:?}: {to}"
        );
        assert!(
            !r.headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().contains("netlines_session")),
            "no session for a refused registration"
        );
    }
    // Several bad fields: every one is reported at once.
    let r = app
        .post_form(
            &browser(),
            "/auth/register",
            &[("email", "nope"), ("name", ""), ("password", "short")],
        )
        .await;
    assert!(
        location(&r)
            .starts_with("/register?errors=email.email_format%2Cname.required%2Cpassword.password_too_short"),
        "{}",
        location(&r)
    );
    assert_eq!(app.count("users").await, 0, "{b:?}");
    let (_, html) = app.get_html(&browser(), &location(&r)).await;
    assert!(
        html.contains("Enter an email address like name@example.com.")
            && html.contains("This field is required.")
    );
    // The register page shows the reason next to the field, in the user's language.
    let (_, html) = app
        .get_html(&browser(), "/register?error=password_too_short&field=password")
        .await;
    assert!(
        html.contains("The password must have at least 8 characters."),
        "{html}"
    );
    assert!(html.contains(r#"id="password-error""#));
}

#[both_databases]
async fn concurrent_registrations_of_one_email_create_exactly_one_user(b: Backend) {
    let app = spawn(&b).await;
    let mut tasks = Vec::new();
    for i in 0..12 {
        let url = app.url("/auth/register");
        tasks.push(tokio::spawn(async move {
            let name = format!("Racer {i}");
            let r = browser()
                .post(url)
                .form(&[
                    ("email", "race@example.com"),
                    ("name", name.as_str()),
                    ("password", PASSWORD),
                ])
                .send()
                .await
                .unwrap();
            location(&r) == "/network"
        }));
    }
    let mut ok = 0;
    for t in tasks {
        ok += t.await.unwrap() as i32;
    }
    assert_eq!(ok, 1, "{b:?}");
    assert_eq!(app.count("users").await, 1);
}

#[both_databases]
async fn signing_in_checks_the_password_and_returns_to_a_same_origin_next_only(b: Backend) {
    let app = spawn(&b).await;
    app.register(&browser(), "sam@example.com", "Sam").await;
    let c = browser();
    let r = app
        .post_form(
            &c,
            "/auth/login",
            &[("email", "sam@example.com"), ("password", "wrong password")],
        )
        .await;
    let to = location(&r);
    assert!(to.starts_with("/login?error=bad_credentials"), "{to}");
    assert_eq!(
        to, "/login?error=bad_credentials&field=password",
        "typed values never in URLs"
    );
    let (_, html) = app.get_html(&c, &to).await;
    assert!(
        html.contains(r#"value="sam@example.com""#),
        "the email comes back"
    );
    assert!(app.server_fn(&c, "current_user", &[]).await.unwrap().is_null());

    // Unknown email: the very same answer.
    let r = app
        .post_form(
            &c,
            "/auth/login",
            &[("email", "nobody@example.com"), ("password", "wrong password")],
        )
        .await;
    assert!(location(&r).starts_with("/login?error=bad_credentials"));

    for (next, expected) in [
        ("/a/x?y=1", "/a/x?y=1"),
        ("//evil.example", "/network"),
        ("https://evil.example/", "/network"),
        ("/\\evil", "/network"),
    ] {
        let c = browser();
        let r = app
            .post_form(
                &c,
                "/auth/login",
                &[
                    ("email", "SAM@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(location(&r), expected, "next={next}");
    }
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_rate_limited_per_email_even_for_the_right_password() {
    let limits = LoginLimits {
        per_email: 3,
        per_ip: 100,
        window: Duration::from_secs(60),
    };
    let app = spawn_with(
        &Backend::Sqlite,
        Options {
            login_limits: limits,
            ..Default::default()
        },
    )
    .await;
    app.register(&browser(), "target@example.com", "Target").await;
    let c = browser();
    for _ in 0..3 {
        let to = app.sign_in(&c, "target@example.com", "guess guess").await;
        assert!(to.starts_with("/login?error=bad_credentials"), "{to}");
    }
    let to = app.sign_in(&c, "Target@example.com", PASSWORD).await;
    assert!(to.starts_with("/login?error=too_many_attempts"), "{to}");
    // Another email from the same IP is not blocked by the email limit.
    app.register(&browser(), "other@example.com", "Other").await;
    assert_eq!(
        app.sign_in(&browser(), "other@example.com", PASSWORD).await,
        "/network"
    );
    let (_, html) = app.get_html(&browser(), "/login?error=too_many_attempts").await;
    assert!(html.contains("Too many failed sign-in attempts."), "{html}");
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_rate_limited_per_ip() {
    let limits = LoginLimits {
        per_email: 100,
        per_ip: 4,
        window: Duration::from_secs(60),
    };
    let app = spawn_with(
        &Backend::Sqlite,
        Options {
            login_limits: limits,
            ..Default::default()
        },
    )
    .await;
    app.register(&browser(), "victim@example.com", "Victim").await;
    for i in 0..4 {
        app.sign_in(&browser(), &format!("spray{i}@example.com"), "guess guess")
            .await;
    }
    let to = app.sign_in(&browser(), "victim@example.com", PASSWORD).await;
    assert!(to.starts_with("/login?error=too_many_attempts"), "{to}");
}

#[both_databases]
async fn signing_out_ends_the_session_on_the_server(b: Backend) {
    let app = spawn(&b).await;
    let c = browser();
    app.register(&c, "out@example.com", "Out").await;
    let r = send_page(|| c.get(app.url("/network"))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.count("sessions").await, 1);
    let r = app.post_form(&c, "/auth/logout", &[]).await;
    assert_eq!(location(&r), "/");
    assert!(r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(app.count("sessions").await, 0, "{b:?}");
    assert!(app.server_fn(&c, "current_user", &[]).await.unwrap().is_null());
}

#[tokio::test]
async fn pages_need_a_session_and_send_visitors_to_sign_in_and_back() {
    let app = spawn(&Backend::Sqlite).await;
    let c = browser();
    let r = app.get_page(&c, "/network").await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(location(&r), "/login?next=%2Fnetwork");
    let r = app.get_page(&c, "/accounts/new").await;
    assert_eq!(location(&r), "/login?next=%2Faccounts%2Fnew");
    let err = app.server_fn(&c, "my_accounts", &[]).await.unwrap_err();
    assert_eq!(err, serde_json::json!("Unauthorized"));
}

#[tokio::test]
async fn cross_origin_form_posts_are_refused() {
    let app = spawn(&Backend::Sqlite).await;
    let r = browser()
        .post(app.url("/auth/register"))
        .header("origin", "https://evil.example")
        .form(&[("email", "x@example.com"), ("name", "X"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("users").await, 0);
    let host = app.base.trim_start_matches("http://").to_string();
    let r = browser()
        .post(app.url("/auth/register"))
        .header("origin", format!("http://{host}"))
        .form(&[("email", "x@example.com"), ("name", "X"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn language_comes_from_the_switcher_cookie_else_accept_language() {
    let app = spawn(&Backend::Sqlite).await;
    let c = browser();
    let r = send_page(|| {
        c.get(app.url("/login"))
            .header("accept-language", "pl-PL,pl;q=0.9,en;q=0.5")
    })
    .await;
    let html = strip_markers(&r.text().await.unwrap());
    assert!(
        html.contains(r#"<html lang="pl""#),
        "{}",
        &html[..200.min(html.len())]
    );
    assert!(html.contains("Logowanie") && html.contains("Hasło"));

    let r = app
        .post_form(&c, "/lang", &[("lang", "en"), ("next", "/login")])
        .await;
    assert_eq!(location(&r), "/login");
    assert!(r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("netlines_lang=en"));
    let r = send_page(|| c.get(app.url("/login")).header("accept-language", "pl")).await;
    let html = strip_markers(&r.text().await.unwrap());
    assert!(html.contains(r#"<html lang="en""#) && html.contains("Sign in"));

    // An unsupported choice changes nothing; an off-site next is not followed.
    let r = app
        .post_form(&c, "/lang", &[("lang", "xx"), ("next", "https://evil.example")])
        .await;
    assert_eq!(location(&r), "/network");
    assert!(r.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn unknown_pages_answer_404() {
    let app = spawn(&Backend::Sqlite).await;
    let (status, html) = app.get_html(&browser(), "/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
}
