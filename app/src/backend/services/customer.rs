//! The customer's actions on their conversations besides writing: finishing one and
//! rating it. Above the queue, which they free a place in and publish through.

use super::conversations;
use super::queue;
use crate::backend::db::begin_write;
use crate::backend::entities::conversation;
use crate::backend::hub::Hub;
use crate::backend::now_ms;
use crate::backend::principal::Customer;
use crate::backend::OrInternal;
use crate::domain::channel::ChannelCode;
use crate::domain::conversation::ConversationStatus;
use crate::domain::ConversationId;
use crate::error::{AppError, Code, Field};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait,
};

/// The customer finishes their own conversation `id` with the channel behind `code`
/// (nobody else's: another customer's id is "not found"). Finishing one already closed
/// changes nothing. The operator's place in the queue is freed at once.
pub async fn finish(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    customer: &Customer,
    code: &ChannelCode,
    id: ConversationId,
) -> Result<(), AppError> {
    let txn = begin_write(db).await.or_internal()?;
    let info = conversations::writable_channel(&txn, customer, code).await?;
    let mine = conversations::customer_conversations_in(&txn, customer, info.channel).await?;
    let c = mine
        .into_iter()
        .find(|c| c.id == id.0)
        .ok_or(AppError::NotFound)?;
    if conversations::status(&c) == ConversationStatus::Closed {
        txn.rollback().await.or_internal()?;
        return Ok(());
    }
    let c = conversations::close(&txn, c, now_ms()).await?;
    txn.commit().await.or_internal()?;
    queue::publish_committed(db, hub, std::slice::from_ref(&c)).await;
    // The operator it was assigned to has room again.
    if let Err(e) = queue::dispatch(db, hub, info.channel).await {
        tracing::error!(error = ?e, channel = info.channel.0, "dispatch after a customer finished failed");
    }
    Ok(())
}

/// The customer rates their finished conversation `id` with the channel behind `code`,
/// once (nobody else's: another customer's id is "not found"). Operators see the rating
/// live in the inbox.
pub async fn rate(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    customer: &Customer,
    code: &ChannelCode,
    id: ConversationId,
    rating: crate::domain::rating::Rating,
    comment: &crate::domain::rating::RatingComment,
) -> Result<(), AppError> {
    let info = conversations::channel_info(db, code).await?;
    let c = conversations::customer_conversations_in(db, customer, info.channel)
        .await?
        .into_iter()
        .find(|c| c.id == id.0)
        .ok_or(AppError::NotFound)?;
    if !info.ask_rating {
        return Err(AppError::Invalid {
            field: Field::Rating,
            code: Code::RatingOff,
        });
    }
    if conversations::status(&c) != ConversationStatus::Closed {
        return Err(AppError::Invalid {
            field: Field::Conversation,
            code: Code::NotFinished,
        });
    }
    let already = AppError::Conflict {
        field: Field::Rating,
        code: Code::AlreadyRated,
    };
    if c.rating.is_some() {
        return Err(already);
    }
    // Once: only a row still without a rating is changed, whoever posts at the same time.
    let changed = conversation::Entity::update_many()
        .col_expr(conversation::Column::Rating, Expr::value(rating.as_str()))
        .col_expr(
            conversation::Column::RatingComment,
            Expr::value((!comment.as_str().is_empty()).then(|| comment.as_str().to_string())),
        )
        .col_expr(conversation::Column::RatedAt, Expr::value(now_ms()))
        .filter(conversation::Column::Id.eq(c.id))
        .filter(conversation::Column::Rating.is_null())
        .exec(db)
        .await
        .or_internal()?;
    if changed.rows_affected == 0 {
        return Err(already);
    }
    let c = conversation::Entity::find_by_id(c.id)
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    queue::publish_committed(db, hub, std::slice::from_ref(&c)).await;
    Ok(())
}
