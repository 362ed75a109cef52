//! Form endpoints (POST, then redirect: the Post/Redirect/Get pattern).
//!
//! They serve the plain HTML forms of the pages, so every form works with JavaScript
//! disabled. Success redirects to the next page (`?ok=…` for a confirmation); failure
//! redirects back to the form with `?error=CODE&field=FIELD` and writes nothing; the
//! typed values (never passwords) come back through the server (`services::refills`,
//! [`keep_refills`]), never in the URL.

use crate::extract::ClientIp;
use crate::extract::{require_user, session_user, Member};
use crate::respond::see_other;
use app::backend::auth::{
    create_session, delete_session, session_cookie_name, session_token, SESSION_TTL_SECS,
};
use app::backend::http_util::set_cookie;
use app::backend::services::{accounts, refills, users};
use app::backend::AppState;
use app::domain::{safe_next, AccountName, DisplayName, Email, Password, Role, Slug, UserId};
use app::error::{AppError, Code};
use app::i18n::Lang;
use app::util::with_query;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::post;
use axum::Form;
use axum::Router;
use serde::Deserialize;

/// The `errors` query value: `field.code` pairs joined by commas, read back by the pages'
/// `query_errors`.
pub(crate) fn errors_param(errs: &[AppError]) -> String {
    errs.iter()
        .map(|e| {
            format!(
                "{}.{}",
                e.field().map(|f| f.as_str()).unwrap_or(""),
                e.code().as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// What a refused form had typed, on its way from a form endpoint to [`keep_refills`],
/// which keeps it on the server for the page the browser is sent back to.
#[derive(Clone, Debug)]
pub(crate) struct PendingRefill {
    path: String,
    values: Vec<(String, String)>,
}

/// 303 back to `path` (which may carry navigation state such as `?c=5`) with `pairs`
/// added to its query, and the typed `keep` values handed to [`keep_refills`]: they
/// never travel in the URL.
pub(crate) fn back_to(path: &str, pairs: &[(&str, &str)], keep: &[(&str, &str)]) -> Response {
    let mut res = see_other(&with_query(path, pairs), None);
    if keep.iter().any(|(_, v)| !v.is_empty()) {
        res.extensions_mut().insert(PendingRefill {
            path: path.split('?').next().unwrap_or(path).to_string(),
            values: keep.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        });
    }
    res
}

/// Redirects back to `path` with every field error (`errors=field.code,…`); the typed
/// values in `keep` come back through the server (see [`back_to`]).
pub(crate) fn back_with_errors(path: &str, errs: &[AppError], keep: &[(&str, &str)]) -> Response {
    if let [one] = errs {
        return back_with_error(path, one, keep);
    }
    let joined = errors_param(errs);
    back_to(path, &[("errors", &joined)], keep)
}

/// Redirects back to `path` with the error (`error=code&field=field`); the typed values
/// in `keep` come back through the server (see [`back_to`]).
pub(crate) fn back_with_error(path: &str, err: &AppError, keep: &[(&str, &str)]) -> Response {
    let mut pairs: Vec<(&str, &str)> = vec![("error", err.code().as_str())];
    if let Some(f) = err.field() {
        pairs.push(("field", f.as_str()));
    }
    back_to(path, &pairs, keep)
}

/// Middleware: keeps a refused form's typed values ([`PendingRefill`]) on the server,
/// named by the browser's refill cookie (set here when it has none), for the page the
/// browser is sent back to. Writes are limited per client IP; past the limit the
/// values are not kept (the error still shows).
pub(crate) async fn keep_refills(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let secure = state.config.secure_cookies();
    let had = app::backend::http_util::cookie(req.headers(), refills::cookie_name(secure))
        .filter(|t| refills::well_formed(t));
    let ip = crate::extract::request_ip(&state, req.extensions(), req.headers());
    let mut res = next.run(req).await;
    let Some(pending) = res.extensions_mut().remove::<PendingRefill>() else {
        return res;
    };
    if state.refill_writes.take(ip).await.is_err() {
        tracing::warn!(%ip, "refused form: refill not kept (write limit)");
        return res;
    }
    let token = had.unwrap_or_else(refills::new_token);
    // The cookie is (re)set with each refill, so it lives as long as the row it names.
    match refills::save(&state.db, &token, &pending.path, &pending.values).await {
        Ok(()) => {
            let cookie = set_cookie(
                refills::cookie_name(secure),
                &token,
                refills::TTL_MS / 1000,
                true,
                secure,
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        Err(e) => tracing::warn!(error = ?e, "refused form: refill not kept"),
    }
    res
}

/// For a page showing a refused form (`?error=` or `?errors=`): the values the browser
/// typed into it, if the server kept them for this path.
pub(crate) async fn page_refill(
    state: &AppState,
    path: &str,
    query: &str,
    headers: &HeaderMap,
) -> Option<app::ui::RequestRefill> {
    let shows_error = query
        .split('&')
        .any(|p| p.starts_with("error=") || p.starts_with("errors="));
    if !shows_error {
        return None;
    }
    let token =
        app::backend::http_util::cookie(headers, refills::cookie_name(state.config.secure_cookies()))?;
    match refills::load(&state.db, &token, path).await {
        Ok(Some(values)) => Some(app::ui::RequestRefill {
            path: path.to_string(),
            values,
        }),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = ?e, "page refill unavailable");
            None
        }
    }
}

/// Forgets the browser's refill (at sign-out: the next person at this browser must not
/// see what was typed).
async fn forget_refill(state: &AppState, headers: &HeaderMap) {
    if let Some(token) =
        app::backend::http_util::cookie(headers, refills::cookie_name(state.config.secure_cookies()))
    {
        if let Err(e) = refills::forget(&state.db, &token).await {
            tracing::warn!(error = ?e, "refill not forgotten at sign-out");
        }
    }
}

fn session_cookie(state: &AppState, token: &str) -> String {
    set_cookie(
        session_cookie_name(state.config.secure_cookies()),
        token,
        SESSION_TTL_SECS,
        true,
        state.config.secure_cookies(),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /auth/login`. Attempts are limited per client IP, and per email — except from a
/// browser the user has signed in from before (its device cookie), whose attempts are
/// limited on their own: strangers guessing at an email lock only themselves out, never
/// the user on their own devices. Each attempt is counted before the password is
/// checked (atomically with the limit), and a success takes its attempt back. The
/// session id is new at every sign-in; the session the browser had before is ended on
/// the server.
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(Some(&f.next));
    // Where to go after signing in stays in the address (navigation, not typed text),
    // when the form had one.
    let login_page = with_query("/login", &[("next", if f.next.is_empty() { "" } else { &next })]);
    let back = |e: &AppError| back_with_error(&login_page, e, &[("email", f.email.trim())]);
    let limits = &state.config.login_limits;
    let ip_key = format!("ip:{ip}");
    // A known device of the identity behind this email?
    let device = app::backend::http_util::cookie(&headers, device_cookie_name(&state));
    let mut known_device = None;
    if let Some(token) = device.as_deref() {
        if let (Ok(Some(owner)), Ok(Some(user))) = (
            app::backend::auth::device_user(&state.db, token).await,
            users::find_by_email_raw(&state.db, f.email.trim()).await,
        ) {
            if owner.0 == user.id {
                known_device = Some(format!("device:{}", app::backend::auth::token_hash(token)));
            }
        }
    }
    let email_key = known_device
        .clone()
        .unwrap_or_else(|| format!("email:{}", f.email.trim().to_lowercase()));
    let counted = state
        .login_failures
        .try_attempt(&[(&email_key, limits.per_email), (&ip_key, limits.per_ip)])
        .await;
    if let Err(secs) = counted {
        tracing::warn!(%ip, retry_after = secs, known_device = known_device.is_some(), "sign-in rate limited");
        return back(&AppError::Limit {
            code: Code::TooManyAttempts,
            retry_after_secs: secs,
        });
    }
    match users::authenticate(&state.db, &f.email, &f.password).await {
        Ok(user) => {
            state.login_failures.reset(&email_key).await;
            state.login_failures.forgive(&ip_key).await;
            end_current_session(&state, &headers).await;
            let remembered = match known_device {
                Some(_) => None,
                None => match app::backend::auth::remember_device(&state.db, UserId(user.id)).await {
                    Ok(t) => Some(t),
                    Err(e) => {
                        tracing::warn!(error = ?e, "remembering the device failed");
                        None
                    }
                },
            };
            match create_session(&state.db, UserId(user.id)).await {
                Ok(token) => {
                    tracing::info!(user_id = user.id, "signed in");
                    let mut r = see_other(&next, Some(session_cookie(&state, &token)));
                    if let Some(d) = remembered {
                        let c = set_cookie(
                            device_cookie_name(&state),
                            &d,
                            365 * 24 * 3600,
                            true,
                            state.config.secure_cookies(),
                        );
                        if let Ok(v) = HeaderValue::from_str(&c) {
                            r.headers_mut().append(header::SET_COOKIE, v);
                        }
                    }
                    r
                }
                Err(e) => back(&e),
            }
        }
        Err(e) => {
            if matches!(e, AppError::Invalid { .. }) {
                tracing::info!(%ip, "failed sign-in");
            } else {
                // Not a wrong password (e.g. the database failed): no attempt is used up.
                state.login_failures.forgive(&email_key).await;
                state.login_failures.forgive(&ip_key).await;
            }
            back(&e)
        }
    }
}

/// The device cookie's name (`__Host-` over HTTPS, as the session's).
fn device_cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies() {
        "__Host-netlines_device"
    } else {
        app::backend::auth::DEVICE_COOKIE
    }
}

/// Tells `user`'s live sockets (on every node) that some of their sessions ended: each
/// checks its own and closes if it is gone.
pub(crate) fn sessions_ended(state: &AppState, user: UserId) {
    state.hub.publish(
        &app::backend::hub::Topic::Sessions(user),
        app::protocol::ServerMsg::SessionsEnded { user },
    );
}

/// Ends the session of the browser's cookie, if any (before a new one is made); its
/// sockets close.
async fn end_current_session(state: &AppState, headers: &HeaderMap) {
    if let Some(token) = session_token(&state.config, headers) {
        let user = session_user(state, headers).await.ok().flatten();
        if let Err(e) = delete_session(&state.db, &token).await {
            tracing::error!(error = %e, "ending the previous session failed");
        }
        if let Some(u) = user {
            sessions_ended(state, u.id);
        }
    }
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /auth/register`: creates the identity and signs it in. Limited per client IP
/// (`NETLINES_REGISTRATIONS_PER_IP_HOUR`).
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<RegisterForm>,
) -> Response {
    let next = safe_next(Some(&f.next));
    let keep = [("email", f.email.trim()), ("name", f.name.trim())];
    let register_page = with_query(
        "/register",
        &[("next", if f.next.is_empty() { "" } else { &next })],
    );
    let parsed = (
        Email::parse(&f.email),
        DisplayName::parse(&f.name),
        Password::parse(&f.password),
    );
    let (email, name, password) = match parsed {
        (Ok(e), Ok(n), Ok(p)) => (e, n, p),
        (e, n, p) => {
            let errs: Vec<AppError> = [e.err(), n.err(), p.err()].into_iter().flatten().collect();
            return back_with_errors(&register_page, &errs, &keep);
        }
    };
    let ip_key = format!("ip:{ip}");
    let max = state.config.abuse.registrations_per_ip_hour;
    if let Err(secs) = state.registrations.try_attempt(&[(&ip_key, max)]).await {
        tracing::warn!(%ip, retry_after = secs, "registration rate limited");
        let e = AppError::Limit {
            code: Code::TooManyAttempts,
            retry_after_secs: secs,
        };
        return back_with_error(&register_page, &e, &keep);
    }
    let result = async {
        let user = users::register(&state.db, &email, &name, &password).await?;
        end_current_session(&state, &headers).await;
        create_session(&state.db, UserId(user.id)).await
    }
    .await;
    match result {
        Ok(token) => see_other(&next, Some(session_cookie(&state, &token))),
        Err(e) => back_with_error(&register_page, &e, &keep),
    }
}

/// `POST /auth/logout-everywhere`: ends every session of the signed-in user (on every
/// device) and clears the cookie.
pub async fn logout_everywhere(State(state): State<AppState>, headers: HeaderMap) -> Response {
    forget_refill(&state, &headers).await;
    if let Ok(Some(user)) = session_user(&state, &headers).await {
        match app::backend::auth::delete_sessions_of(&state.db, user.id).await {
            Ok(n) => tracing::info!(user_id = user.id.0, sessions = n, "signed out everywhere"),
            Err(e) => tracing::error!(error = %e, "sign-out everywhere failed"),
        }
        sessions_ended(&state, user.id);
    }
    see_other(
        "/login",
        Some(set_cookie(
            session_cookie_name(state.config.secure_cookies()),
            "",
            0,
            true,
            state.config.secure_cookies(),
        )),
    )
}

/// `POST /auth/logout`: ends the session (its sockets close) and clears the cookie.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    end_current_session(&state, &headers).await;
    forget_refill(&state, &headers).await;
    see_other(
        "/",
        Some(set_cookie(
            session_cookie_name(state.config.secure_cookies()),
            "",
            0,
            true,
            state.config.secure_cookies(),
        )),
    )
}

#[derive(Deserialize)]
pub struct LangForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    next: String,
}

/// `POST /lang`: remembers the chosen UI language for a year.
pub async fn set_lang(State(state): State<AppState>, Form(f): Form<LangForm>) -> Response {
    let next = if f.next.is_empty() {
        "/".to_string()
    } else {
        safe_next(Some(&f.next))
    };
    match Lang::from_code(&f.lang) {
        Some(lang) => see_other(
            &next,
            Some(set_cookie(
                Lang::COOKIE,
                lang.code(),
                365 * 24 * 3600,
                false,
                state.config.secure_cookies(),
            )),
        ),
        None => see_other(&next, None),
    }
}

#[derive(Deserialize)]
pub struct NewAccountForm {
    #[serde(default)]
    account_name: String,
    #[serde(default)]
    slug: String,
}

/// `POST /accounts`: creates an account; the creator becomes its admin.
pub async fn create_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<NewAccountForm>,
) -> Response {
    let user = match require_user(&state, &headers, "/accounts/new").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let keep = [("account_name", f.account_name.trim()), ("slug", f.slug.trim())];
    let (name, slug) = match (AccountName::parse(&f.account_name), Slug::parse(&f.slug)) {
        (Ok(n), Ok(s)) => (n, s),
        (n, s) => {
            let errs: Vec<AppError> = [n.err(), s.err()].into_iter().flatten().collect();
            return back_with_errors("/accounts/new", &errs, &keep);
        }
    };
    let result = accounts::create_capped(
        &state.db,
        user.id,
        &name,
        &slug,
        state.config.max_accounts_per_user,
    )
    .await;
    match result {
        Ok(acc) => {
            tracing::info!(account_id = acc.id, user_id = user.id.0, "account created");
            see_other(
                &with_query(&format!("/a/{}", acc.slug), &[("ok", "account_created")]),
                None,
            )
        }
        Err(e) => back_with_error("/accounts/new", &e, &keep),
    }
}

#[derive(Deserialize)]
pub struct AddMemberForm {
    #[serde(default)]
    member_email: String,
    #[serde(default)]
    member_role: String,
}

/// `POST /a/{slug}/members`: an admin invites someone by email. The person joins only
/// when they accept (on their Network page); the answer is the same whether or not the
/// email has an identity here.
pub async fn add_member(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(f): Form<AddMemberForm>,
) -> Response {
    let home = format!("/a/{}", actor.slug);
    let result = async {
        let role = Role::parse(&f.member_role)?;
        app::backend::services::invitations::invite(&state.db, &actor, &f.member_email, role).await
    }
    .await;
    match result {
        Ok(()) => {
            tracing::info!(account_id = actor.account.0, "invitation made");
            see_other(&with_query(&home, &[("ok", "invited")]), None)
        }
        Err(e) => back_with_error(&home, &e, &[("member_email", f.member_email.trim())]),
    }
}

/// `POST /a/{slug}/invitations/{id}/cancel`: an admin withdraws an invitation.
pub async fn cancel_invitation(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    let home = format!("/a/{}", actor.slug);
    match app::backend::services::invitations::cancel(&state.db, &actor, id).await {
        Ok(()) => see_other(&with_query(&home, &[("ok", "invitation_cancelled")]), None),
        Err(e) => back_with_error(&home, &e, &[]),
    }
}

/// `POST /invitations/{id}/accept`: the invited person joins the account.
pub async fn accept_invitation(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let user = match require_user(&state, &headers, "/network").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let max = state.config.max_accounts_per_user;
    match app::backend::services::invitations::accept(&state.db, user.id, id, max).await {
        Ok(slug) => {
            tracing::info!(user_id = user.id.0, "invitation accepted");
            see_other(&with_query(&format!("/a/{slug}"), &[("ok", "joined")]), None)
        }
        Err(e) => back_with_error("/network", &e, &[]),
    }
}

/// `POST /invitations/{id}/decline`: the invited person says no.
pub async fn decline_invitation(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Response {
    let user = match require_user(&state, &headers, "/network").await {
        Ok(u) => u,
        Err(r) => return r,
    };
    match app::backend::services::invitations::decline(&state.db, user.id, id).await {
        Ok(()) => see_other(&with_query("/network", &[("ok", "invitation_declined")]), None),
        Err(e) => back_with_error("/network", &e, &[]),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /a/{slug}/members/{user_id}/role`: an admin changes a member's role.
pub async fn change_role(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, user_id)): Path<(String, i64)>,
    Form(f): Form<RoleForm>,
) -> Response {
    let home = format!("/a/{}", actor.slug);
    let result = async {
        let role = Role::parse(&f.role)?;
        accounts::change_role(&state.db, state.hub.as_ref(), &actor, UserId(user_id), role).await
    }
    .await;
    match result {
        Ok(()) => see_other(&with_query(&home, &[("ok", "role_changed")]), None),
        Err(e) => back_with_error(&home, &e, &[]),
    }
}

/// `POST /a/{slug}/members/{user_id}/remove`: an admin removes a member.
pub async fn remove_member(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, user_id)): Path<(String, i64)>,
) -> Response {
    let home = format!("/a/{}", actor.slug);
    match accounts::remove_member(&state.db, state.hub.as_ref(), &actor, UserId(user_id)).await {
        Ok(()) => see_other(&with_query(&home, &[("ok", "member_removed")]), None),
        Err(e) => back_with_error(&home, &e, &[]),
    }
}

/// The routes of signing in and out, the language, accounts, members and invitations.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/register", post(register))
        .route("/auth/logout", post(logout))
        .route("/auth/logout-everywhere", post(logout_everywhere))
        .route("/lang", post(set_lang))
        .route("/accounts", post(create_account))
        .route("/a/{slug}/members", post(add_member))
        .route("/a/{slug}/invitations/{id}/cancel", post(cancel_invitation))
        .route("/invitations/{id}/accept", post(accept_invitation))
        .route("/invitations/{id}/decline", post(decline_invitation))
        .route("/a/{slug}/members/{user_id}/role", post(change_role))
        .route("/a/{slug}/members/{user_id}/remove", post(remove_member))
}
