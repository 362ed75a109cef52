//! Network identities: registration and sign-in.

use crate::backend::auth::{dummy_verify, hash_password, verify_password};
use crate::backend::entities::user;
use crate::backend::{internal, now_ms, OrInternal};
use crate::domain::{DisplayName, Email, Password, UserId};
use crate::error::{AppError, Code, Field};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, SqlErr};

/// Creates a user. A taken email (in any letter case) is a `Conflict` on `email`.
pub async fn register(
    db: &impl ConnectionTrait,
    email: &Email,
    name: &DisplayName,
    password: &Password,
) -> Result<user::Model, AppError> {
    if find_by_email(db, email).await?.is_some() {
        return Err(AppError::Conflict {
            field: Field::Email,
            code: Code::EmailTaken,
        });
    }
    let hash = hash_password(password).await?;
    user::ActiveModel {
        email: Set(email.as_str().to_string()),
        email_norm: Set(email.normalized()),
        name: Set(name.as_str().to_string()),
        password_hash: Set(hash),
        created_at: Set(now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        // Two registrations racing for the same address: the unique index decides.
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::Conflict {
            field: Field::Email,
            code: Code::EmailTaken,
        },
        _ => internal(e),
    })
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> Result<Option<user::Model>, AppError> {
    user::Entity::find()
        .filter(user::Column::EmailNorm.eq(email.normalized()))
        .one(db)
        .await
        .or_internal()
}

/// The identity behind a typed email, if it is a valid address of one.
pub async fn find_by_email_raw(
    db: &impl ConnectionTrait,
    raw: &str,
) -> Result<Option<user::Model>, AppError> {
    match Email::parse(raw) {
        Ok(e) => find_by_email(db, &e).await,
        Err(_) => Ok(None),
    }
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: UserId) -> Result<Option<user::Model>, AppError> {
    user::Entity::find_by_id(id.0).one(db).await.or_internal()
}

/// Checks email + password. Any mismatch is the same `BadCredentials` error, so the
/// answer does not tell whether the email exists.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    email: &str,
    password: &str,
) -> Result<user::Model, AppError> {
    let bad = AppError::Invalid {
        field: Field::Password,
        code: Code::BadCredentials,
    };
    let Ok(email) = Email::parse(email) else {
        dummy_verify(password).await;
        return Err(bad);
    };
    match find_by_email(db, &email).await? {
        Some(u) if verify_password(password, &u.password_hash).await? => Ok(u),
        Some(_) => Err(bad),
        None => {
            dummy_verify(password).await;
            Err(bad)
        }
    }
}

/// The name of the cookie the browser sets with its own time zone (IANA name).
pub const ZONE_COOKIE: &str = "netlines_tz";

/// The zone of this request's cookie, if it names a known zone.
pub fn cookie_zone(headers: &http::HeaderMap) -> Option<String> {
    crate::backend::http_util::cookie(headers, ZONE_COOKIE)
        .map(|z| z.trim().to_string())
        .filter(|z| crate::domain::hours::known_time_zone(z))
}

/// The viewer's time zone: the browser's (its cookie) when known, else the one chosen on
/// the profile, else UTC.
pub async fn viewer_zone(db: &impl ConnectionTrait, user: UserId) -> Result<String, AppError> {
    let from_cookie =
        leptos::prelude::use_context::<http::request::Parts>().and_then(|p| cookie_zone(&p.headers));
    if let Some(z) = from_cookie {
        return Ok(z);
    }
    Ok(profile_zone(db, user).await?.unwrap_or_else(|| "UTC".into()))
}

/// The zone chosen on the profile, if any.
pub async fn profile_zone(db: &impl ConnectionTrait, user: UserId) -> Result<Option<String>, AppError> {
    Ok(find_by_id(db, user)
        .await?
        .and_then(|u| u.time_zone)
        .filter(|z| crate::domain::hours::known_time_zone(z)))
}

/// Sets (or with `None` clears) the profile's time zone; an unknown zone is refused.
pub async fn set_time_zone(
    db: &impl ConnectionTrait,
    user: UserId,
    zone: Option<&str>,
) -> Result<(), AppError> {
    if let Some(z) = zone {
        if !crate::domain::hours::known_time_zone(z) {
            return Err(AppError::Invalid {
                field: Field::TimeZone,
                code: Code::TimeZoneUnknown,
            });
        }
    }
    let u = find_by_id(db, user).await?.ok_or(AppError::NotFound)?;
    let mut am: user::ActiveModel = u.into();
    am.time_zone = Set(zone.map(str::to_string));
    am.update(db).await.or_internal()?;
    Ok(())
}
