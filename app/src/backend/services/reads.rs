//! Read state: how far each side has read a conversation, and the operators' unread
//! count. Live sockets store receipts outside their loop (`server/src/live.rs`).

use super::conversations::hub_publish;
use super::queue::{publish_committed, topics_of};
use crate::backend::db::begin_write;
use crate::backend::entities::{conversation, message};
use crate::backend::hub::Hub;
use crate::backend::principal::Viewer;
use crate::backend::OrInternal;
use crate::domain::conversation::Author;
use crate::domain::ConversationId;
use crate::error::AppError;
use crate::protocol::ServerMsg;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};

/// Records that the viewer has read `id` up to `seq` and tells the other side.
/// Returns the read position now stored.
pub async fn mark_read(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    viewer: &Viewer<'_>,
    id: ConversationId,
    seq: i64,
) -> Result<i64, AppError> {
    let txn = begin_write(db).await.or_internal()?;
    super::conversations::viewable(&txn, viewer, id).await?;
    // The row is locked before counting, so a message committed meanwhile is counted
    // (its `operator_unread + 1` and this count never overwrite each other).
    let c = conversation::Entity::find_by_id(id.0)
        .lock_exclusive()
        .one(&txn)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let upto = seq.min(c.last_seq);
    let (by, before) = match viewer {
        Viewer::Operator(_) => (Author::Operator, c.operator_read_seq),
        Viewer::Customer(_) => (Author::Customer, c.customer_read_seq),
    };
    if upto <= before {
        txn.rollback().await.or_internal()?;
        return Ok(before);
    }
    let mut am: conversation::ActiveModel = c.clone().into();
    match by {
        Author::Operator => {
            let unread = message::Entity::find()
                .filter(message::Column::ConversationId.eq(c.id))
                .filter(message::Column::Author.eq(Author::Customer.as_str()))
                .filter(message::Column::Seq.gt(upto))
                .count(&txn)
                .await
                .or_internal()? as i64;
            am.operator_read_seq = Set(upto);
            am.operator_unread = Set(unread);
        }
        _ => am.customer_read_seq = Set(upto),
    }
    let c = am.update(&txn).await.or_internal()?;
    txn.commit().await.or_internal()?;
    hub_publish(
        hub,
        &topics_of(&c)[..2],
        ServerMsg::Read {
            conversation: id,
            by,
            seq: upto,
        },
    );
    if by == Author::Operator {
        // Other inboxes update the unread count.
        publish_committed(db, hub, std::slice::from_ref(&c)).await;
    }
    Ok(upto)
}
