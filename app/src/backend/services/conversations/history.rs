//! A conversation's history as its readers see it: messages since or before a seq (the
//! pages, a reconnecting socket) and by global id (REST).

use super::*;

async fn views(
    db: &impl ConnectionTrait,
    conv: &conversation::Model,
    ms: Vec<message::Model>,
) -> Result<Vec<MessageView>, AppError> {
    let ids: Vec<i64> = ms.iter().filter_map(|m| m.author_user_id).collect();
    let names = names_of(db, &ids).await?;
    let channel_name = network_connector::Entity::find()
        .filter(network_connector::Column::ChannelId.eq(conv.channel_id))
        .one(db)
        .await
        .or_internal()?
        .map(|n| n.name)
        .unwrap_or_default();
    Ok(ms
        .iter()
        .map(|m| {
            let name = m
                .author_user_id
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_else(|| channel_name.clone());
            message_view(m, &name)
        })
        .collect())
}

/// Messages after `since_seq`, oldest first, at most `limit` (what a reconnecting client
/// missed).
pub async fn messages_since(
    db: &impl ConnectionTrait,
    viewer: &Viewer<'_>,
    id: ConversationId,
    since_seq: i64,
    limit: u64,
) -> Result<Vec<MessageView>, AppError> {
    let conv = viewable(db, viewer, id).await?;
    let ms = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conv.id))
        .filter(message::Column::Seq.gt(since_seq))
        .order_by_asc(message::Column::Seq)
        .limit(limit.min(500))
        .all(db)
        .await
        .or_internal()?;
    views(db, &conv, ms).await
}

/// The `limit` messages before `before_seq` (history paging), oldest first.
pub async fn messages_before(
    db: &impl ConnectionTrait,
    viewer: &Viewer<'_>,
    id: ConversationId,
    before_seq: i64,
    limit: u64,
) -> Result<Vec<MessageView>, AppError> {
    let conv = viewable(db, viewer, id).await?;
    let mut ms = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conv.id))
        .filter(message::Column::Seq.lt(before_seq))
        .order_by_desc(message::Column::Seq)
        .limit(limit.min(200))
        .all(db)
        .await
        .or_internal()?;
    ms.reverse();
    views(db, &conv, ms).await
}

/// Messages by their global id (the REST API's `MESSAGE_ID`): before `last_id`, after
/// `first_id`, or the newest; at most `limit`, newest first. Each with its id and its
/// author's user id (none for the channel's own messages).
pub async fn messages_by_id(
    db: &impl ConnectionTrait,
    viewer: &Viewer<'_>,
    id: ConversationId,
    last_id: Option<i64>,
    first_id: Option<i64>,
    limit: u64,
) -> Result<Vec<(i64, Option<i64>, MessageView)>, AppError> {
    let conv = viewable(db, viewer, id).await?;
    let mut q = message::Entity::find().filter(message::Column::ConversationId.eq(conv.id));
    q = match (last_id, first_id) {
        (Some(l), _) => q
            .filter(message::Column::Id.lt(l))
            .order_by_desc(message::Column::Id),
        (None, Some(f)) => q
            .filter(message::Column::Id.gt(f))
            .order_by_asc(message::Column::Id),
        (None, None) => q.order_by_desc(message::Column::Id),
    };
    let mut ms = q.limit(limit).all(db).await.or_internal()?;
    ms.sort_by_key(|m| std::cmp::Reverse(m.id));
    let ids: Vec<(i64, Option<i64>)> = ms.iter().map(|m| (m.id, m.author_user_id)).collect();
    let vs = views(db, &conv, ms).await?;
    Ok(ids
        .into_iter()
        .zip(vs)
        .map(|((id, author), v)| (id, author, v))
        .collect())
}

/// The seq of message `message_id` in conversation `id`, and back.
pub async fn message_seq(
    db: &impl ConnectionTrait,
    id: ConversationId,
    message_id: i64,
) -> Result<Option<i64>, AppError> {
    Ok(message::Entity::find_by_id(message_id)
        .filter(message::Column::ConversationId.eq(id.0))
        .one(db)
        .await
        .or_internal()?
        .map(|m| m.seq))
}

pub async fn message_id_of(
    db: &impl ConnectionTrait,
    id: ConversationId,
    seq: i64,
) -> Result<Option<i64>, AppError> {
    Ok(message::Entity::find()
        .filter(message::Column::ConversationId.eq(id.0))
        .filter(message::Column::Seq.eq(seq))
        .one(db)
        .await
        .or_internal()?
        .map(|m| m.id))
}
