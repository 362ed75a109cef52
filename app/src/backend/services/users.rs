//! Network identities: registration and sign-in.

use crate::backend::auth::{dummy_verify, hash_password, verify_password};
use crate::backend::entities::user;
use crate::backend::{internal, now_ms};
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
        .map_err(internal)
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: UserId) -> Result<Option<user::Model>, AppError> {
    user::Entity::find_by_id(id.0).one(db).await.map_err(internal)
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
