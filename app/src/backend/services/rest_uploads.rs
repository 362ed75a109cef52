//! Files uploaded through the REST API, Bitrix24's way: `disk.folder.uploadfile` puts
//! the bytes in the file store and a row here (the uploader's, for one conversation);
//! `im.disk.file.commit` sends them as one message through the same idempotent,
//! sequenced path as the pages' uploads, and marks the rows with that message.
//!
//! Bounds: at most [`MAX_WAITING`] unsent uploads per user at a time; an unsent upload
//! older than [`KEEP_MS`] can no longer be sent.

use super::attachments::NewFile;
use crate::backend::entities::rest_upload;
use crate::backend::principal::Actor;
use crate::backend::{now_ms, OrInternal};
use crate::domain::ConversationId;
use crate::error::{AppError, Code, Field};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

/// Unsent uploads one user may hold.
pub const MAX_WAITING: u64 = 50;
/// How long an unsent upload may be sent (a day).
pub const KEEP_MS: i64 = 24 * 3600 * 1000;

/// Refuses (`too_many_files`) when `actor` already holds [`MAX_WAITING`] unsent uploads:
/// asked before the new file's bytes are kept, and again when it is recorded.
pub async fn ensure_room(db: &impl ConnectionTrait, actor: &Actor) -> Result<(), AppError> {
    let now = now_ms();
    let waiting = rest_upload::Entity::find()
        .filter(rest_upload::Column::UserId.eq(actor.user.0))
        .filter(rest_upload::Column::MessageId.is_null())
        .filter(rest_upload::Column::CreatedAt.gt(now - KEEP_MS))
        .count(db)
        .await
        .or_internal()?;
    if waiting >= MAX_WAITING {
        return Err(AppError::Invalid {
            field: Field::Files,
            code: Code::TooManyFiles,
        });
    }
    Ok(())
}

/// Records an uploaded file (its bytes already stored) as waiting to be sent by `actor`
/// into `conversation` (whose rights the caller has checked).
pub async fn add(
    db: &impl ConnectionTrait,
    actor: &Actor,
    conversation: ConversationId,
    f: &NewFile,
) -> Result<rest_upload::Model, AppError> {
    ensure_room(db, actor).await?;
    let now = now_ms();
    rest_upload::ActiveModel {
        conversation_id: Set(conversation.0),
        user_id: Set(actor.user.0),
        account_id: Set(actor.account.0),
        key: Set(f.key.clone()),
        thumb_key: Set(f.thumb_key.clone()),
        name: Set(f.name.clone()),
        mime: Set(f.mime.clone()),
        size: Set(f.size),
        width: Set(f.width.map(|w| w as i32)),
        height: Set(f.height.map(|h| h as i32)),
        message_id: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .or_internal()
}

/// What a commit of some uploads finds.
#[derive(Debug)]
pub enum Commit {
    /// None of them sent yet: the files to send, in the order asked.
    Send(Vec<NewFile>),
    /// All of them already sent together, in this message (a retried commit).
    Sent(i64),
    /// Some already sent, some not, or sent in different messages.
    Mixed,
}

/// The uploads `ids` of `actor` for `conversation`. Any id that is not the actor's
/// upload for that conversation (or expired unsent) is "not found": nobody learns of
/// others' uploads.
pub async fn for_commit(
    db: &impl ConnectionTrait,
    actor: &Actor,
    conversation: ConversationId,
    ids: &[i64],
) -> Result<Commit, AppError> {
    let rows = rest_upload::Entity::find()
        .filter(rest_upload::Column::Id.is_in(ids.iter().copied()))
        .filter(rest_upload::Column::UserId.eq(actor.user.0))
        .filter(rest_upload::Column::AccountId.eq(actor.account.0))
        .filter(rest_upload::Column::ConversationId.eq(conversation.0))
        .all(db)
        .await
        .or_internal()?;
    let oldest = now_ms() - KEEP_MS;
    let mut ordered = Vec::with_capacity(ids.len());
    for id in ids {
        let row = rows
            .iter()
            .find(|r| r.id == *id)
            .filter(|r| r.message_id.is_some() || r.created_at > oldest)
            .ok_or(AppError::NotFound)?;
        ordered.push(row);
    }
    let sent: Vec<Option<i64>> = ordered.iter().map(|r| r.message_id).collect();
    if sent.iter().all(Option::is_none) {
        return Ok(Commit::Send(
            ordered
                .into_iter()
                .map(|r| NewFile {
                    key: r.key.clone(),
                    thumb_key: r.thumb_key.clone(),
                    name: r.name.clone(),
                    mime: r.mime.clone(),
                    size: r.size,
                    width: r.width.map(|w| w as u32),
                    height: r.height.map(|h| h as u32),
                })
                .collect(),
        ));
    }
    match sent[0] {
        Some(m) if sent.iter().all(|s| *s == Some(m)) => Ok(Commit::Sent(m)),
        _ => Ok(Commit::Mixed),
    }
}

/// Marks the uploads as sent in `message_id`.
pub async fn mark_sent(db: &impl ConnectionTrait, ids: &[i64], message_id: i64) -> Result<(), AppError> {
    rest_upload::Entity::update_many()
        .col_expr(
            rest_upload::Column::MessageId,
            sea_orm::sea_query::Expr::value(message_id),
        )
        .filter(rest_upload::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await
        .or_internal()?;
    Ok(())
}
