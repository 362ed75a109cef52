//! Passwords (argon2id) and browser sessions (random token in an HttpOnly cookie, its
//! SHA-256 in the database).

use super::entities::{session, user};
use super::{internal, now_ms, OrInternal};
use crate::domain::{Password, UserId};
use crate::error::AppError;
use crate::views::SessionUser;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use sha2::{Digest, Sha256};

/// Name of the session cookie over plain HTTP.
pub const SESSION_COOKIE: &str = "netlines_session";
/// Its name over HTTPS: the `__Host-` prefix makes browsers take it only when it is
/// `Secure`, for `Path=/` and without a `Domain`, so a sibling host or a plain-HTTP
/// page cannot plant a session of its choosing.
pub const SECURE_SESSION_COOKIE: &str = "__Host-netlines_session";

/// The session cookie's name for a server whose public address is (not) HTTPS.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The session token the request carries, under the cookie name the server uses.
pub fn session_token(config: &super::Config, headers: &http::HeaderMap) -> Option<String> {
    super::http_util::cookie(headers, session_cookie_name(config.secure_cookies()))
}
/// How long a session lasts: 30 days.
pub const SESSION_TTL_SECS: i64 = 30 * 24 * 3600;
/// A session's last use is written at most this often (ms), so reading pages does not
/// write on every request.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Password hashing is deliberately slow and memory-hungry (19 MiB each): at most one
/// per CPU runs at a time; the others wait their turn instead of exhausting the machine.
fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2))
    })
}

/// Hashes a password with argon2id on a blocking thread (it is deliberately slow).
pub async fn hash_password(password: &Password) -> Result<String, AppError> {
    let pw = password.expose().to_string();
    let _permit = hashing_permits().acquire().await.or_internal()?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(pw.as_bytes(), &salt)
            .map(|h| h.to_string())
            .or_internal()
    })
    .await
    .or_internal()?
}

/// Checks a password against a stored PHC hash on a blocking thread.
pub async fn verify_password(password: &str, hash: &str) -> Result<bool, AppError> {
    let pw = password.to_string();
    let hash = hash.to_string();
    let _permit = hashing_permits().acquire().await.or_internal()?;
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).or_internal()?;
        Ok(Argon2::default().verify_password(pw.as_bytes(), &parsed).is_ok())
    })
    .await
    .or_internal()?
}

/// A hash of a password nobody knows, checked when the email is unknown so that a
/// failed sign-in takes the same time whether or not the account exists.
pub async fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = match DUMMY.get() {
        Some(h) => h.clone(),
        None => {
            let Ok(p) = Password::parse("netlines-dummy-password") else {
                return;
            };
            let Ok(h) = hash_password(&p).await else { return };
            DUMMY.get_or_init(|| h).clone()
        }
    };
    let _ = verify_password(password, &hash).await;
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session for `user` and returns the token to put in the cookie.
pub async fn create_session(db: &impl ConnectionTrait, user: UserId) -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let now = now_ms();
    session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(user.0),
        created_at: Set(now),
        expires_at: Set(now + SESSION_TTL_SECS * 1000),
        last_seen_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .or_internal()?;
    Ok(token)
}

/// When a session ends if it is not used again: its absolute expiry, or its last use
/// plus the idle timeout, whichever comes first (Unix ms).
pub fn ends_at(s: &session::Model, idle: std::time::Duration) -> i64 {
    s.expires_at
        .min(s.last_seen_at.saturating_add(idle.as_millis() as i64))
}

/// The session behind `token_hash` if it has neither expired nor been idle for longer
/// than `idle`; an ended one is deleted.
pub async fn live_session(
    db: &impl ConnectionTrait,
    idle: std::time::Duration,
    token_hash: &str,
) -> Result<Option<session::Model>, AppError> {
    let Some(s) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
        .or_internal()?
    else {
        return Ok(None);
    };
    if ends_at(&s, idle) < now_ms() {
        session::Entity::delete_by_id(s.id).exec(db).await.or_internal()?;
        return Ok(None);
    }
    Ok(Some(s))
}

/// Records that the session was used now (at most once a minute).
pub async fn touch(db: &impl ConnectionTrait, s: &session::Model) -> Result<(), AppError> {
    let now = now_ms();
    if now - s.last_seen_at < TOUCH_EVERY_MS {
        return Ok(());
    }
    session::Entity::update_many()
        .col_expr(session::Column::LastSeenAt, sea_orm::sea_query::Expr::value(now))
        .filter(session::Column::Id.eq(s.id))
        .exec(db)
        .await
        .or_internal()?;
    Ok(())
}

/// The signed-in user behind a session token, if the session exists, has not expired
/// and has not been idle for longer than `idle`. Using it counts as activity.
pub async fn user_for_token(
    db: &impl ConnectionTrait,
    idle: std::time::Duration,
    token: &str,
) -> Result<Option<SessionUser>, AppError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(s) = live_session(db, idle, &token_hash(token)).await? else {
        return Ok(None);
    };
    touch(db, &s).await?;
    let user = user::Entity::find_by_id(s.user_id).one(db).await.or_internal()?;
    Ok(user.map(|u| SessionUser {
        id: UserId(u.id),
        email: u.email,
        name: u.name,
        time_zone: u.time_zone,
    }))
}

/// The cookie of a browser its user has signed in from (a year; one per browser).
pub const DEVICE_COOKIE: &str = "netlines_device";
/// Known devices kept per user (the oldest go first).
const DEVICES_PER_USER: u64 = 20;

/// The user `token` (a device cookie) is a known device of, if any.
pub async fn device_user(db: &impl ConnectionTrait, token: &str) -> Result<Option<UserId>, AppError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    use super::entities::known_device;
    Ok(known_device::Entity::find()
        .filter(known_device::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await
        .or_internal()?
        .map(|d| UserId(d.user_id)))
}

/// Remembers this browser as one `user` signs in from; returns the cookie's token.
pub async fn remember_device(db: &impl ConnectionTrait, user: UserId) -> Result<String, AppError> {
    use super::entities::known_device;
    use sea_orm::{PaginatorTrait, QueryOrder};
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    known_device::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(user.0),
        created_at: Set(now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
    .or_internal()?;
    let held = known_device::Entity::find()
        .filter(known_device::Column::UserId.eq(user.0))
        .count(db)
        .await
        .or_internal()?;
    if held > DEVICES_PER_USER {
        let oldest = known_device::Entity::find()
            .filter(known_device::Column::UserId.eq(user.0))
            .order_by_asc(known_device::Column::Id)
            .limit(held - DEVICES_PER_USER)
            .all(db)
            .await
            .or_internal()?;
        known_device::Entity::delete_many()
            .filter(known_device::Column::Id.is_in(oldest.into_iter().map(|d| d.id)))
            .exec(db)
            .await
            .or_internal()?;
    }
    Ok(token)
}

/// Ends the session behind `token` (sign-out).
pub async fn delete_session(db: &impl ConnectionTrait, token: &str) -> Result<(), AppError> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .exec(db)
        .await
        .or_internal()?;
    Ok(())
}

/// Ends every session of `user` ("Sign out everywhere"). Returns how many there were.
pub async fn delete_sessions_of(db: &impl ConnectionTrait, user: UserId) -> Result<u64, AppError> {
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user.0))
        .exec(db)
        .await
        .or_internal()?
        .rows_affected)
}

/// Deletes expired sessions and those idle for longer than `idle` (run periodically).
/// Returns how many.
pub async fn purge_expired_sessions(
    db: &impl ConnectionTrait,
    idle: std::time::Duration,
) -> Result<u64, AppError> {
    use sea_orm::Condition;
    let now = now_ms();
    Ok(session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(session::Column::ExpiresAt.lt(now))
                .add(session::Column::LastSeenAt.lt(now - idle.as_millis() as i64)),
        )
        .exec(db)
        .await
        .or_internal()?
        .rows_affected)
}

/// The user whose session cookie is among `headers`, if the session is valid.
pub async fn user_from_headers(
    db: &impl ConnectionTrait,
    config: &super::Config,
    headers: &http::HeaderMap,
) -> Result<Option<SessionUser>, AppError> {
    match session_token(config, headers) {
        Some(token) => user_for_token(db, config.sessions.idle, &token).await,
        None => Ok(None),
    }
}

/// The user signed in on the current request, read from the session cookie in the
/// request parts that leptos_axum provides to server functions and SSR.
pub async fn current_user_from_context() -> Result<Option<SessionUser>, AppError> {
    let state = leptos::prelude::use_context::<super::AppState>()
        .ok_or_else(|| internal("AppState missing from context"))?;
    let Some(parts) = leptos::prelude::use_context::<http::request::Parts>() else {
        return Ok(None);
    };
    user_from_headers(&state.db, &state.config, &parts.headers).await
}

/// Like [`current_user_from_context`], but signing in is required.
pub async fn require_user() -> Result<SessionUser, AppError> {
    current_user_from_context().await?.ok_or(AppError::Unauthorized)
}

/// Whether an offered secret equals the expected one, in time that does not depend on
/// where they differ (their SHA-256 digests are compared).
pub fn same_secret(offered: &[u8], expected: &[u8]) -> bool {
    Sha256::digest(offered) == Sha256::digest(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_compared_by_value() {
        assert!(same_secret(b"metrics-token-123", b"metrics-token-123"));
        assert!(!same_secret(b"metrics-token-124", b"metrics-token-123"));
        assert!(!same_secret(b"", b"metrics-token-123"));
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_own_hash() {
        let p = Password::parse("correct horse").unwrap();
        let h = hash_password(&p).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h).await.unwrap());
        assert!(!verify_password("wrong horse", &h).await.unwrap());
    }
}
