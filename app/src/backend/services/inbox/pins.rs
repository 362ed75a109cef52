//! Conversations an operator pins to the top of their list.

use super::*;

/// How many conversations one operator may keep pinned.
pub const MAX_PINS: u64 = 50;

/// Pins (or unpins) conversation `id` for the actor alone; only a conversation they may
/// see. Pinning twice or unpinning what is not pinned changes nothing.
pub async fn pin(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    actor: &Actor,
    id: ConversationId,
    on: bool,
) -> Result<(), AppError> {
    // The cap is counted and the pin written under the user's lock, so pins made at
    // the same moment from several windows cannot pass it.
    let txn = crate::backend::db::begin_write(db).await.or_internal()?;
    crate::backend::entities::user::Entity::find_by_id(actor.user.0)
        .lock_exclusive()
        .one(&txn)
        .await
        .or_internal()?;
    let db = &txn;
    let c = operator_conversation(db, actor, id).await?;
    let mine = conversation_pin::Entity::find()
        .filter(conversation_pin::Column::UserId.eq(actor.user.0))
        .filter(conversation_pin::Column::ConversationId.eq(c.id))
        .one(db)
        .await
        .or_internal()?;
    match (on, mine) {
        (true, None) => {
            let count = conversation_pin::Entity::find()
                .filter(conversation_pin::Column::UserId.eq(actor.user.0))
                .count(db)
                .await
                .or_internal()?;
            if count >= MAX_PINS {
                return Err(AppError::Invalid {
                    field: Field::Conversation,
                    code: Code::PinLimit,
                });
            }
            let inserted = conversation_pin::ActiveModel {
                user_id: Set(actor.user.0),
                conversation_id: Set(c.id),
                created_at: Set(now_ms()),
                ..Default::default()
            }
            .insert(db)
            .await;
            match inserted {
                Ok(_) => {}
                // Pinned at the same moment from another window: pinned all the same.
                Err(e) if matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
                    return Ok(());
                }
                Err(e) => return Err(internal(e)),
            }
        }
        (false, Some(p)) => {
            conversation_pin::Entity::delete_by_id(p.id)
                .exec(db)
                .await
                .or_internal()?;
        }
        _ => {}
    }
    txn.commit().await.or_internal()
}

/// The conversations of the actor's account they have pinned and may still see.
pub async fn pinned(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<ConversationId>, AppError> {
    let ids: Vec<i64> = conversation_pin::Entity::find()
        .filter(conversation_pin::Column::UserId.eq(actor.user.0))
        .order_by_asc(conversation_pin::Column::Id)
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(|p| p.conversation_id)
        .collect();
    let channels: Vec<i64> = visible_channels(db, actor)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    Ok(conversation::Entity::find()
        .select_only()
        .column(conversation::Column::Id)
        .filter(conversation::Column::Id.is_in(ids))
        .filter(conversation::Column::AccountId.eq(actor.account.0))
        .filter(conversation::Column::ChannelId.is_in(channels))
        .into_tuple::<i64>()
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(ConversationId)
        .collect())
}
