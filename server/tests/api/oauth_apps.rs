//! OAuth 2.0 apps over HTTP, on SQLite and PostgreSQL: registering an app (admins only,
//! every field checked), the consent page, the authorization-code and refresh-token
//! grants in Bitrix24's shapes and errors, calls with the access token, rotation,
//! revocation, and what strangers and other accounts can do (nothing).

use crate::harness::*;
use app::backend::services::accounts;
use app::domain::{AccountName, Role, Slug};
use reqwest::StatusCode;
use serde_json::Value;

struct World {
    app: TestApp,
    /// Anna, Acme's admin (browser with a session).
    anna: reqwest::Client,
    /// Emil, an Acme operator.
    emil: reqwest::Client,
    /// Zed, admin of Zeta only.
    zed: reqwest::Client,
    http: reqwest::Client,
    anna_id: app::domain::UserId,
    zed_id: app::domain::UserId,
}

async fn world(b: &Backend) -> World {
    let app = spawn(b).await;
    let db = &app.state.db;
    let anna = app.user("anna@acme.test", "Anna").await;
    app.user("emil@acme.test", "Emil").await;
    let zed = app.user("zed@zeta.test", "Zed").await;
    for (who, name, slug) in [(anna.id, "Acme", "acme"), (zed.id, "Zeta", "zeta")] {
        accounts::create(
            db,
            who,
            &AccountName::parse(name).unwrap(),
            &Slug::parse(slug).unwrap(),
        )
        .await
        .unwrap();
    }
    let anna_a = accounts::actor(db, anna.id, "acme").await.unwrap();
    accounts::add_member(db, &anna_a, "emil@acme.test", Role::Operator)
        .await
        .unwrap();
    let (a, e, z) = (browser(), browser(), browser());
    app.sign_in(&a, "anna@acme.test", PASSWORD).await;
    app.sign_in(&e, "emil@acme.test", PASSWORD).await;
    app.sign_in(&z, "zed@zeta.test", PASSWORD).await;
    World {
        app,
        anna: a,
        emil: e,
        zed: z,
        http: http_client(),
        anna_id: anna.id,
        zed_id: zed.id,
    }
}

/// Registers an app as `c`; returns (client_id, client_secret).
async fn register(w: &World, c: &reqwest::Client, handler: &str) -> (String, String) {
    let r = w
        .app
        .post_form(
            c,
            "/a/acme/apps",
            &[
                ("name", "Invoice bot"),
                ("handler_url", handler),
                ("scopes", "imopenlines"),
                ("scopes", "im"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/a/acme/apps?ok=app_created");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Path=/a/acme/apps"),
        "{cookie}"
    );
    // The page shows both once.
    let (status, html) = w.app.get_html(c, "/a/acme/apps").await;
    assert_eq!(status, 200);
    let value_of = |id: &str| {
        let at = html
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("{id} in {html}"));
        let rest = &html[at..];
        let v = &rest[rest.find("value=\"").unwrap() + 7..];
        v[..v.find('"').unwrap()].to_string()
    };
    let (id, secret) = (value_of("fresh-client-id"), value_of("fresh-client-secret"));
    assert!(id.starts_with("local."));
    assert_eq!(secret.len(), 50);
    let (_, again) = w.app.get_html(c, "/a/acme/apps").await;
    assert!(!again.contains(&secret), "the secret is shown once");
    assert!(again.contains(&id), "the client_id stays");
    (id, secret)
}

/// Allows the app as `c`; returns the Location it was sent to.
async fn consent(w: &World, c: &reqwest::Client, client_id: &str, redirect: &str, decision: &str) -> String {
    let r = w
        .app
        .post_form(
            c,
            "/oauth/authorize/",
            &[
                ("client_id", client_id),
                ("redirect_uri", redirect),
                ("state", "xyz 1"),
                ("decision", decision),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    location(&r)
}

fn query_of(loc: &str) -> Vec<(String, String)> {
    let u = url::Url::parse(loc).unwrap();
    u.query_pairs().into_owned().collect()
}

fn param(loc: &str, k: &str) -> String {
    query_of(loc)
        .into_iter()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

async fn token(w: &World, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = w
        .http
        .post(w.app.url("/oauth/token/"))
        .form(form)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap())
}

async fn rest_call(w: &World, method: &str, token: &str) -> (StatusCode, Value) {
    let r = w
        .http
        .get(w.app.url(&format!("/rest/{method}?auth={token}")))
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap())
}

#[both_databases]
async fn an_app_gets_tokens_through_the_authorization_code_flow_and_refreshes_them(b: Backend) {
    let w = world(&b).await;
    let (id, secret) = register(&w, &w.anna, "https://app.example/b24/handler").await;

    // The consent page names the app, the account and what it may do.
    let path = format!("/oauth/authorize/?client_id={id}&response_type=code&state=s1");
    let (status, html) = w.app.get_html(&w.emil, &path).await;
    assert_eq!(status, 200, "{b:?}");
    assert!(html.contains("Invoice bot") && html.contains("Acme"), "{html}");
    assert!(
        html.contains("https://app.example"),
        "where the answer goes is shown"
    );
    // Signed out: to the sign-in page, which comes back here.
    let r = w.app.get_page(&browser(), &path).await;
    let loc = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let html = r.text().await.unwrap();
    assert!(
        loc.as_deref()
            .is_some_and(|l| l.starts_with("/login?next=%2Foauth%2Fauthorize"))
            || html.contains("/login?next="),
        "sign-in first: {loc:?} {html}"
    );

    // Allow: back to the app with a code and Bitrix24's fields.
    let loc = consent(&w, &w.emil, &id, "https://app.example/b24/return?x=1", "allow").await;
    assert!(
        loc.starts_with("https://app.example/b24/return?x=1&code="),
        "{loc}"
    );
    assert_eq!(param(&loc, "state"), "xyz 1");
    assert_eq!(param(&loc, "scope"), "im,imopenlines");
    let member_id = param(&loc, "member_id");
    assert_eq!(member_id.len(), 32);
    let domain = param(&loc, "domain");
    assert!(
        !domain.is_empty() && w.app.state.config.public_url.contains(&domain),
        "{domain}"
    );
    let code = param(&loc, "code");

    // A wrong secret is invalid_client (and the code is not spent).
    let (s, v) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", "wrong"),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (401, Some("invalid_client")));

    // The authorization request named its redirect URI, so the token request must
    // name the same one (RFC 6749 §4.1.3): without it, or with another, the code is
    // refused (and spent).
    for wrong in [None, Some("https://app.example/b24/return?x=2")] {
        let loc = consent(&w, &w.emil, &id, "https://app.example/b24/return?x=1", "allow").await;
        let c = param(&loc, "code");
        let mut f = vec![
            ("grant_type", "authorization_code"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("code", c.as_str()),
        ];
        if let Some(r) = wrong {
            f.push(("redirect_uri", r));
        }
        let (s, v) = token(&w, &f).await;
        assert_eq!(
            (s.as_u16(), v["error"].as_str()),
            (400, Some("invalid_grant")),
            "{b:?} {wrong:?}"
        );
    }

    // The code, once, for tokens in Bitrix24's shape.
    let (s, t) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("code", &code),
            ("redirect_uri", "https://app.example/b24/return?x=1"),
        ],
    )
    .await;
    assert_eq!(s, 200, "{t}");
    for k in [
        "access_token",
        "refresh_token",
        "expires",
        "expires_in",
        "scope",
        "domain",
        "server_endpoint",
        "client_endpoint",
        "member_id",
        "user_id",
        "status",
    ] {
        assert!(!t[k].is_null(), "{k} in {t}");
    }
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(t["member_id"], member_id);
    assert_eq!(
        t["client_endpoint"],
        format!("{}/rest/", w.app.state.config.public_url.trim_end_matches('/'))
    );
    let (s, again) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(
        (s.as_u16(), again["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // The access token calls REST as Emil, with Emil's rights.
    let access = t["access_token"].as_str().unwrap().to_string();
    let (s, v) = rest_call(&w, "imopenlines.config.list.get", &access).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = rest_call(&w, "imopenlines.network.join", &access).await;
    assert_eq!(s.as_u16(), 400, "{v}");

    // Refresh: a new pair; the old refresh token is spent; the old access token
    // keeps its hour.
    let refresh = t["refresh_token"].as_str().unwrap().to_string();
    let form = |rt: &str| {
        vec![
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("client_id".to_string(), id.clone()),
            ("client_secret".to_string(), secret.clone()),
            ("refresh_token".to_string(), rt.to_string()),
        ]
    };
    // As Bitrix24 apps usually do it: GET with the query string.
    let r = w
        .http
        .get(w.app.url("/oauth/token/"))
        .query(&form(&refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t2: Value = r.json().await.unwrap();
    assert_ne!(t2["refresh_token"], t["refresh_token"]);
    assert_ne!(t2["access_token"], t["access_token"]);
    let r = w
        .http
        .post(w.app.url("/oauth/token/"))
        .form(&form(&refresh))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // A spent refresh token coming back means two parties hold it (RFC 9700): the
    // whole grant is revoked, the new pair included.
    let (s, _) = rest_call(
        &w,
        "imopenlines.config.list.get",
        t2["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(s, 401, "{b:?}: the family was not revoked");
    let r = w
        .http
        .post(w.app.url("/oauth/token/"))
        .form(&form(t2["refresh_token"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // Emil allows it again (no redirect URI named: none needed at the token).
    let loc = consent(&w, &w.emil, &id, "", "allow").await;
    let (s, t2) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("code", &param(&loc, "code")),
        ],
    )
    .await;
    assert_eq!(s, 200, "{t2}");
    let (s, _) = rest_call(
        &w,
        "imopenlines.config.list.get",
        t2["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(s, 200);

    // Bad requests answer in OAuth's words.
    let (s, v) = token(&w, &[("client_id", &id)]).await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (400, Some("invalid_request")));
    let (s, v) = token(&w, &[("grant_type", "password"), ("client_id", &id)]).await;
    assert_eq!(
        (s.as_u16(), v["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    // The admin sees who allowed the app, and revokes: every token stops at once.
    let (_, html) = w.app.get_html(&w.anna, "/a/acme/apps").await;
    assert!(html.contains("Emil"), "grant listed");
    let emil_id = t["user_id"].as_i64().unwrap();
    let app_id: i64 = {
        let at = html.find("/apps/").unwrap();
        let rest = &html[at + 6..];
        rest[..rest.find('/').unwrap()].parse().unwrap()
    };
    let r = w
        .app
        .post_form(
            &w.anna,
            &format!("/a/acme/apps/{app_id}/grants/{emil_id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(location(&r), "/a/acme/apps?ok=access_revoked");
    let (s, v) = rest_call(
        &w,
        "imopenlines.config.list.get",
        t2["access_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (401, Some("invalid_token")));
    let r = w
        .http
        .post(w.app.url("/oauth/token/"))
        .form(&form(t2["refresh_token"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");

    // Deleting the app: its client is gone.
    let loc = consent(&w, &w.emil, &id, "", "allow").await;
    assert!(
        loc.starts_with("https://app.example/b24/handler?code="),
        "the handler by default: {loc}"
    );
    let r = w
        .app
        .post_form(&w.anna, &format!("/a/acme/apps/{app_id}/delete"), &[])
        .await;
    assert_eq!(location(&r), "/a/acme/apps?ok=app_deleted");
    let (s, v) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("code", &param(&loc, "code")),
        ],
    )
    .await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (401, Some("invalid_client")));
    assert_eq!(w.app.count("oauth_codes").await, 0);
    assert_eq!(w.app.count("rest_apps").await, 0);
    assert_eq!(w.app.count("rest_credentials WHERE app_id IS NOT NULL").await, 0);
}

#[both_databases]
async fn consent_is_refused_to_outsiders_foreign_redirects_and_denials(b: Backend) {
    let w = world(&b).await;
    let (id, secret) = register(&w, &w.anna, "https://app.example/b24").await;

    // A member of another account cannot allow it (the page says why; no redirect).
    let path = format!("/oauth/authorize/?client_id={id}&response_type=code");
    let (status, html) = w.app.get_html(&w.zed, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("not a member"), "{b:?}: {html}");
    let r = w
        .app
        .post_form(
            &w.zed,
            "/oauth/authorize/",
            &[("client_id", &id), ("decision", "allow")],
        )
        .await;
    assert!(
        location(&r).starts_with("/oauth/authorize/?client_id="),
        "back to the page"
    );
    assert_eq!(w.app.count("oauth_codes").await, 0);

    // A redirect to another site is stopped on our page, never followed.
    for evil in [
        "https://evil.example/steal",
        "http://app.example/b24",
        "https://app.example.evil.example/",
    ] {
        let (_, html) = w
            .app
            .get_html(
                &w.emil,
                &format!(
                    "/oauth/authorize/?client_id={id}&redirect_uri={}",
                    urlencode(evil)
                ),
            )
            .await;
        assert!(html.contains("outside its registered site"), "{evil}: {html}");
        let r = w
            .app
            .post_form(
                &w.emil,
                "/oauth/authorize/",
                &[("client_id", &id), ("redirect_uri", evil), ("decision", "allow")],
            )
            .await;
        assert!(
            location(&r).starts_with("/oauth/authorize/?"),
            "{evil}: {}",
            location(&r)
        );
    }
    assert_eq!(w.app.count("oauth_codes").await, 0);

    // An unknown client.
    let (_, html) = w
        .app
        .get_html(&w.emil, "/oauth/authorize/?client_id=local.nope.1")
        .await;
    assert!(html.contains("not known here"), "{html}");

    // Deny: back to the app with access_denied and no code.
    let loc = consent(&w, &w.emil, &id, "", "deny").await;
    assert_eq!(param(&loc, "error"), "access_denied");
    assert_eq!(param(&loc, "code"), "");
    assert_eq!(w.app.count("oauth_codes").await, 0);

    // A code is the app's own: another app's secret cannot trade it.
    let (other_id, other_secret) = register(&w, &w.anna, "https://other.example/").await;
    let loc = consent(&w, &w.emil, &id, "", "allow").await;
    let (s, v) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &other_id),
            ("client_secret", &other_secret),
            ("code", &param(&loc, "code")),
        ],
    )
    .await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (400, Some("invalid_grant")));
    // A redirect_uri at the exchange must be the one the code was sent to.
    let loc = consent(&w, &w.emil, &id, "", "allow").await;
    let (s, v) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("code", &param(&loc, "code")),
            ("redirect_uri", "https://app.example/elsewhere"),
        ],
    )
    .await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (400, Some("invalid_grant")));

    // A member who leaves the account: the app's tokens for them stop working.
    let loc = consent(&w, &w.emil, &id, "", "allow").await;
    let (_, t) = token(
        &w,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("code", &param(&loc, "code")),
        ],
    )
    .await;
    let access = t["access_token"].as_str().unwrap();
    let got = rest_call(&w, "imopenlines.config.list.get", access).await;
    assert_eq!(got.0, 200, "{}", got.1);
    let anna_a = accounts::actor(&w.app.state.db, w.anna_id, "acme").await.unwrap();
    accounts::remove_member(
        &w.app.state.db,
        w.app.state.hub.as_ref(),
        &anna_a,
        app::domain::UserId(t["user_id"].as_i64().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(rest_call(&w, "imopenlines.config.list.get", access).await.0, 401);
    let (s, v) = token(
        &w,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!((s.as_u16(), v["error"].as_str()), (400, Some("invalid_grant")));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[both_databases]
async fn only_admins_register_and_manage_apps_and_every_field_is_checked(b: Backend) {
    let w = world(&b).await;
    // An operator: no apps page, no registering.
    let (status, html) = w.app.get_html(&w.emil, "/a/acme/apps").await;
    assert_eq!(status, 403, "{b:?}: {html}");
    let r = w
        .app
        .post_form(
            &w.emil,
            "/a/acme/apps",
            &[
                ("name", "X"),
                ("handler_url", "https://x.example/"),
                ("scopes", "im"),
            ],
        )
        .await;
    assert!(location(&r).contains("error=forbidden"), "{}", location(&r));
    // A stranger: the account does not exist for them.
    let r = w
        .app
        .post_form(
            &w.zed,
            "/a/acme/apps",
            &[
                ("name", "X"),
                ("handler_url", "https://x.example/"),
                ("scopes", "im"),
            ],
        )
        .await;
    assert!(!location(&r).contains("ok="), "{}", location(&r));
    assert_eq!(w.app.count("rest_apps").await, 0);

    // Every bad field at once, named, with the typed values kept.
    let r = w
        .app
        .post_form(
            &w.anna,
            "/a/acme/apps",
            &[
                ("name", ""),
                ("handler_url", "ftp://x.example/"),
                ("scopes", "crm"),
            ],
        )
        .await;
    let loc = location(&r);
    assert!(loc.contains("name.required"), "{loc}");
    assert!(loc.contains("handler_url.url_format"), "{loc}");
    assert!(loc.contains("scopes.scope_unknown"), "{loc}");
    let (_, html) = w.app.get_html(&w.anna, &loc).await;
    assert!(html.contains("https://"), "the URL rule is explained: {html}");
    assert_eq!(w.app.count("rest_apps").await, 0);

    // Another account's admin cannot delete or revoke Acme's app.
    let (id, _) = register(&w, &w.anna, "https://app.example/").await;
    use app::backend::entities::rest_app;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app_id = rest_app::Entity::find()
        .filter(rest_app::Column::ClientId.eq(id.as_str()))
        .one(&w.app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let zeta_actor = accounts::actor(&w.app.state.db, w.zed_id, "zeta").await.unwrap();
    let got = app::backend::services::apps::delete(&w.app.state.db, &zeta_actor, app_id).await;
    assert_eq!(got, Err(app::error::AppError::NotFound));
    let r = w
        .app
        .post_form(&w.zed, &format!("/a/zeta/apps/{app_id}/delete"), &[])
        .await;
    assert!(location(&r).contains("error=not_found"), "{}", location(&r));
    assert_eq!(w.app.count("rest_apps").await, 1);
}
