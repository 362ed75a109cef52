//! Signing in, registering, signing out (here or everywhere) and the language switch.

use super::*;

pub(super) fn session_cookie(state: &AppState, token: &str) -> String {
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
pub(super) fn device_cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies() {
        "__Host-netlines_device"
    } else {
        app::backend::auth::DEVICE_COOKIE
    }
}

/// Tells `user`'s live sockets (on every node) that some of their sessions ended: each
/// checks its own and closes if it is gone.
pub(super) fn sessions_ended(state: &AppState, user: UserId) {
    state.hub.publish(
        &app::backend::hub::Topic::Sessions(user),
        app::protocol::ServerMsg::SessionsEnded { user },
    );
}

/// Ends the session of the browser's cookie, if any (before a new one is made); its
/// sockets close.
pub(super) async fn end_current_session(state: &AppState, headers: &HeaderMap) {
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
