//! Quick answers (saved replies) of an account: admins keep the list, everyone who may
//! serve (admins and operators) reads it to use in the inbox. Outsiders never get here:
//! [`super::accounts::actor`] answers `NotFound` to non-members.

use crate::backend::db::{begin_write, lock_account};
use crate::backend::entities::quick_answer;
use crate::backend::policy::may_serve;
use crate::backend::principal::Actor;
use crate::backend::{internal, now_ms, OrInternal};
use crate::domain::conversation::MessageBody;
use crate::domain::quick_answer::{QuickAnswerTitle, MAX_PER_ACCOUNT};
use crate::error::{AppError, Code, Field};
use crate::views::{QuickAnswerView, QuickAnswersView};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set, SqlErr,
};

fn view(m: quick_answer::Model) -> QuickAnswerView {
    QuickAnswerView {
        id: m.id,
        title: m.title,
        body: m.body,
    }
}

fn title_taken() -> AppError {
    AppError::Conflict {
        field: Field::Title,
        code: Code::TitleTaken,
    }
}

fn map_write(e: sea_orm::DbErr) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => title_taken(),
        _ => internal(e),
    }
}

/// The account's quick answers by title; for admins and operators.
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<QuickAnswerView>, AppError> {
    if !may_serve(actor.role) {
        return Err(AppError::Forbidden);
    }
    Ok(quick_answer::Entity::find()
        .filter(quick_answer::Column::AccountId.eq(actor.account.0))
        .order_by_asc(quick_answer::Column::Title)
        .order_by_asc(quick_answer::Column::Id)
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(view)
        .collect())
}

/// The quick answers page: the list, and whether the actor may change it.
pub async fn page(db: &impl ConnectionTrait, actor: &Actor) -> Result<QuickAnswersView, AppError> {
    Ok(QuickAnswersView {
        account: actor.summary(),
        can_manage: crate::backend::policy::require_admin(actor).is_ok(),
        items: list(db, actor).await?,
    })
}

async fn one(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<quick_answer::Model, AppError> {
    quick_answer::Entity::find_by_id(id)
        .filter(quick_answer::Column::AccountId.eq(actor.account.0))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)
}

/// Adds a quick answer (admins); at most [`MAX_PER_ACCOUNT`] per account, titles unique.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    title: &QuickAnswerTitle,
    body: &MessageBody,
) -> Result<QuickAnswerView, AppError> {
    actor.require_admin()?;
    let txn = begin_write(db).await.or_internal()?;
    lock_account(&txn, actor.account.0).await.or_internal()?;
    let count = quick_answer::Entity::find()
        .filter(quick_answer::Column::AccountId.eq(actor.account.0))
        .count(&txn)
        .await
        .or_internal()?;
    if count as usize >= MAX_PER_ACCOUNT {
        return Err(AppError::Invalid {
            field: Field::Title,
            code: Code::QuickAnswerLimit,
        });
    }
    let now = now_ms();
    let m = quick_answer::ActiveModel {
        account_id: Set(actor.account.0),
        title: Set(title.as_str().to_string()),
        body: Set(body.as_str().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(map_write)?;
    txn.commit().await.or_internal()?;
    Ok(view(m))
}

/// Changes a quick answer's title and text (admins).
pub async fn update(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
    title: &QuickAnswerTitle,
    body: &MessageBody,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let mut am: quick_answer::ActiveModel = one(db, actor, id).await?.into();
    am.title = Set(title.as_str().to_string());
    am.body = Set(body.as_str().to_string());
    am.updated_at = Set(now_ms());
    am.update(db).await.map_err(map_write)?;
    Ok(())
}

/// Deletes a quick answer (admins).
pub async fn delete(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<(), AppError> {
    actor.require_admin()?;
    let m = one(db, actor, id).await?;
    quick_answer::Entity::delete_by_id(m.id)
        .exec(db)
        .await
        .or_internal()?;
    Ok(())
}
