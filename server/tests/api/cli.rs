//! The admin CLI, run as a real process against an SQLite file.

use std::process::{Command, Output};

fn netlines(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netlines"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "error")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .output()
        .expect("netlines runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn cli_creates_users_accounts_and_members_and_refuses_duplicates_and_unknowns() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/cli.db?mode=rwc", dir.path().display());
    let ok = |args: &[&str]| {
        let o = netlines(&db, args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
        text(&o)
    };
    let fails = |args: &[&str], needle: &str| {
        let o = netlines(&db, args);
        assert!(!o.status.success(), "{args:?} should fail: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(err.contains(needle), "{args:?}: expected {needle:?} in {err:?}");
    };
    ok(&[
        "user",
        "create",
        "--email",
        "ada@example.com",
        "--name",
        "Ada",
        "--password",
        "long enough",
    ]);
    ok(&[
        "user",
        "create",
        "--email",
        "bob@example.com",
        "--name",
        "Bob",
        "--password",
        "long enough",
    ]);
    fails(
        &[
            "user",
            "create",
            "--email",
            "ADA@example.com",
            "--name",
            "Ada 2",
            "--password",
            "long enough",
        ],
        "already exists",
    );
    fails(
        &[
            "user",
            "create",
            "--email",
            "c@example.com",
            "--name",
            "C",
            "--password",
            "short",
        ],
        "at least 8 characters",
    );
    ok(&[
        "account",
        "create",
        "--name",
        "Acme",
        "--slug",
        "acme",
        "--admin",
        "ada@example.com",
    ]);
    fails(
        &[
            "account",
            "create",
            "--name",
            "Acme 2",
            "--slug",
            "acme",
            "--admin",
            "ada@example.com",
        ],
        "already exists",
    );
    fails(
        &[
            "account",
            "create",
            "--name",
            "X",
            "--slug",
            "Bad Slug",
            "--admin",
            "ada@example.com",
        ],
        "slug",
    );
    fails(
        &[
            "account",
            "create",
            "--name",
            "X",
            "--slug",
            "xyz",
            "--admin",
            "ghost@example.com",
        ],
        "no user with email ghost@example.com",
    );
    ok(&[
        "member",
        "add",
        "--account",
        "acme",
        "--email",
        "bob@example.com",
        "--role",
        "operator",
    ]);
    fails(
        &[
            "member",
            "add",
            "--account",
            "acme",
            "--email",
            "bob@example.com",
            "--role",
            "operator",
        ],
        "already a member",
    );
    fails(
        &[
            "member",
            "add",
            "--account",
            "nope",
            "--email",
            "bob@example.com",
            "--role",
            "operator",
        ],
        "no account with slug nope",
    );
    fails(
        &[
            "member",
            "add",
            "--account",
            "acme",
            "--email",
            "ghost@example.com",
            "--role",
            "operator",
        ],
        "no user with email ghost@example.com",
    );
    fails(
        &[
            "member",
            "add",
            "--account",
            "acme",
            "--email",
            "bob@example.com",
            "--role",
            "owner",
        ],
        "role",
    );
}

#[tokio::test]
async fn demo_prints_credentials_that_sign_in_and_can_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let db = format!("sqlite://{}?mode=rwc", path.display());
    let first = netlines(&db, &["demo"]);
    assert!(first.status.success(), "{}", text(&first));
    let out = String::from_utf8_lossy(&first.stdout).to_string();
    assert!(
        out.contains("anna.admin@acme.test") && out.contains("netlines-demo"),
        "{out}"
    );
    assert!(out.contains("Borealis Studio"), "{out}");
    let link = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("link: "))
        .expect("the demo prints the channel's link")
        .to_string();
    assert!(
        link.contains("/oauth/select/?preset=im&IM_DIALOG=networkLines"),
        "{link}"
    );
    let again = netlines(&db, &["demo"]);
    assert!(again.status.success(), "second run: {}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stdout).contains(&link),
        "the same channel and code again"
    );

    // Serve that very database and sign in with printed credentials.
    let leptos_options = leptos::config::LeptosOptions::builder()
        .output_name("netlines")
        .site_addr("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())
        .build();
    let config =
        app::backend::Config::new(db.clone(), "http://127.0.0.1".into(), Default::default()).unwrap();
    let (port, state, _stop) = crate::harness::start(leptos_options, config).await;
    // One demo conversation waits in Acme's inbox, however often the demo runs.
    let anna = app::backend::services::accounts::system_actor(&state.db, "acme")
        .await
        .unwrap();
    let page = app::backend::services::inbox::inbox(&state.db, &anna, app::api::InboxFilter::Waiting, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].customer_name, "Cleo Customer");
    let base = format!("http://127.0.0.1:{port}");
    let c = crate::harness::browser();
    let r = c
        .post(format!("{base}/auth/login"))
        .form(&[
            ("email", "cleo.customer@borealis.test"),
            ("password", "netlines-demo"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(crate::harness::location(&r), "/network");
    let list: serde_json::Value = c
        .post(format!("{base}/api/my_accounts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slugs: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, vec!["acme", "borealis"]);
    // The printed link opens the channel's public card.
    let path = link
        .split_once("/oauth/")
        .map(|(_, p)| format!("/oauth/{p}"))
        .unwrap();
    let html = crate::harness::send_page(|| c.get(format!("{base}{path}")).header("accept", "text/html"))
        .await
        .text()
        .await
        .unwrap();
    assert!(crate::harness::strip_markers(&html).contains("Acme Support"));
}

#[tokio::test]
async fn cli_creates_a_webhook_whose_url_authenticates() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/cli-hook.db?mode=rwc", dir.path().display());
    let run = |args: &[&str]| netlines(&db, args);
    for args in [
        &[
            "user",
            "create",
            "--email",
            "ada@example.com",
            "--name",
            "Ada",
            "--password",
            "long enough",
        ][..],
        &[
            "user",
            "create",
            "--email",
            "bob@example.com",
            "--name",
            "Bob",
            "--password",
            "long enough",
        ][..],
        &[
            "account",
            "create",
            "--name",
            "Acme",
            "--slug",
            "acme",
            "--admin",
            "ada@example.com",
        ][..],
    ] {
        let o = run(args);
        assert!(o.status.success(), "{args:?}: {}", text(&o));
    }
    let o = run(&[
        "webhook",
        "create",
        "--account",
        "acme",
        "--email",
        "ada@example.com",
        "--scopes",
        "imopenlines,im",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let url = String::from_utf8_lossy(&o.stdout).trim().to_string();
    // …/rest/{user id}/{code}/
    let parts: Vec<&str> = url.trim_end_matches('/').rsplitn(3, '/').collect();
    assert!(url.contains("/rest/") && url.ends_with('/'), "{url}");
    let (code, user_id) = (parts[0], parts[1].parse::<i64>().unwrap());
    let conn = app::backend::db::connect_and_migrate(&db).await.unwrap();
    let caller = app::backend::services::credentials::by_webhook(&conn, user_id, code)
        .await
        .unwrap();
    assert_eq!(caller.actor.slug.as_str(), "acme");
    assert_eq!(caller.scopes, vec!["im".to_string(), "imopenlines".to_string()]);
    // Refusals: not a member, unknown scope.
    let o = run(&[
        "webhook",
        "create",
        "--account",
        "acme",
        "--email",
        "bob@example.com",
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is not a member of acme"),
        "{}",
        text(&o)
    );
    let o = run(&[
        "webhook",
        "create",
        "--account",
        "acme",
        "--email",
        "ada@example.com",
        "--scopes",
        "crm",
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("scopes: Choose imopenlines and/or im."),
        "{}",
        text(&o)
    );
}
