//! The operators' side of conversations: finishing, transferring, "Start new
//! conversation", the queue settings and the inbox list. The queue itself is in
//! [`super::queue`], read state in [`super::reads`].
//!
//! Every rule that counts conversations (an operator's capacity, the customer's limit)
//! runs in one write transaction holding the channel's row lock on PostgreSQL and the
//! database write lock on SQLite, so it holds under concurrent requests.

use super::conversations::{
    append, conversation_view, conversation_views, hub_publish, make_room, message_view, names_of,
    operator_conversation, status,
};
use super::queue::{
    active, load_of, loads, lock_queue, publish_committed, queue_of, redispatch, topics_of, Queue,
};
use crate::backend::db::begin_write;
use crate::backend::entities::{
    channel_operator, conversation, conversation_pin, message, network_connector, open_channel,
};
use crate::backend::hub::Hub;
use crate::backend::principal::Actor;
use crate::backend::principal::Viewer;
use crate::backend::{internal, now_ms, OrInternal};
use crate::domain::channel::{Capacity, Distribution, TakeTime};
use crate::domain::conversation::{Author, ConversationStatus};
use crate::domain::{AccountId, ChannelId, ConversationId, Role, UserId};
use crate::error::{AppError, Code, Field};
use crate::protocol::ServerMsg;
use crate::views::{ConversationDetail, InboxFilter, InboxPage, OperatorView, QueueView, SplitRule};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

mod list;
mod pins;

pub use list::*;
pub use pins::*;

/// The conversation, locked for a change by `actor`: their account's, a channel they
/// serve, and not assigned to someone else (admins may act on any).
async fn for_change(
    txn: &DatabaseTransaction,
    actor: &Actor,
    id: ConversationId,
) -> Result<(conversation::Model, Queue), AppError> {
    let c = operator_conversation(txn, actor, id).await?;
    let queue = lock_queue(txn, ChannelId(c.channel_id)).await?;
    let c = operator_conversation(txn, actor, id).await?;
    if let Some(op) = c.operator_user_id {
        if op != actor.user.0 && actor.role != Role::Admin {
            return Err(AppError::Conflict {
                field: Field::Conversation,
                code: Code::ConversationTaken,
            });
        }
    }
    Ok((c, queue))
}

fn closed_error() -> AppError {
    AppError::Invalid {
        field: Field::Conversation,
        code: Code::ConversationClosed,
    }
}

/// Finishes (closes) a conversation; a waiting one may then be dispatched.
pub async fn finish(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    id: ConversationId,
) -> Result<(), AppError> {
    let txn = begin_write(db).await.or_internal()?;
    let (c, _) = for_change(&txn, actor, id).await?;
    if status(&c) == ConversationStatus::Closed {
        txn.rollback().await.or_internal()?;
        return Ok(());
    }
    let c = super::conversations::close(&txn, c, now_ms()).await?;
    txn.commit().await.or_internal()?;
    publish_committed(db, hub, std::slice::from_ref(&c)).await;
    redispatch(db, hub, ChannelId(c.channel_id)).await;
    Ok(())
}

/// Skip: the operator who has a conversation gives it back to the queue. It goes to the
/// next operator ("evenly" / "strictly in order") and is never handed to this one again;
/// with "to everyone" it waits for whoever answers first.
pub async fn skip(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    id: ConversationId,
) -> Result<(), AppError> {
    let txn = begin_write(db).await.or_internal()?;
    let (c, _) = for_change(&txn, actor, id).await?;
    if status(&c) == ConversationStatus::Closed {
        return Err(closed_error());
    }
    if c.operator_user_id != Some(actor.user.0) {
        return Err(AppError::Invalid {
            field: Field::Conversation,
            code: Code::NotAssigned,
        });
    }
    let c = super::queue::pass_on(&txn, c, actor.user, now_ms()).await?;
    txn.commit().await.or_internal()?;
    publish_committed(db, hub, std::slice::from_ref(&c)).await;
    redispatch(db, hub, ChannelId(c.channel_id)).await;
    Ok(())
}

/// The actor takes a waiting conversation of a channel whose queue they are in, without
/// writing (Bitrix24's `imopenlines.operator.answer`), within their capacity. Taking one
/// that is already theirs changes nothing; someone else's is `conversation_taken`.
pub async fn answer(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    id: ConversationId,
) -> Result<(), AppError> {
    let txn = begin_write(db).await.or_internal()?;
    let (c, queue) = for_change(&txn, actor, id).await?;
    if status(&c) == ConversationStatus::Closed {
        return Err(closed_error());
    }
    match c.operator_user_id {
        Some(op) if op == actor.user.0 => {
            txn.rollback().await.or_internal()?;
            return Ok(());
        }
        // An admin passes `for_change` for anyone's conversation; taking it is a transfer.
        Some(_) => {
            return Err(AppError::Conflict {
                field: Field::Conversation,
                code: Code::ConversationTaken,
            })
        }
        None => {}
    }
    let in_queue = channel_operator::Entity::find()
        .filter(channel_operator::Column::ChannelId.eq(c.channel_id))
        .filter(channel_operator::Column::UserId.eq(actor.user.0))
        .one(&txn)
        .await
        .or_internal()?;
    if in_queue.is_none() {
        return Err(AppError::Invalid {
            field: Field::Operator,
            code: Code::NotInQueue,
        });
    }
    if load_of(&txn, ChannelId(c.channel_id), actor.user).await? >= queue.capacity as i64 {
        return Err(AppError::Limit {
            code: Code::OperatorFull,
            retry_after_secs: 0,
        });
    }
    let mut am: conversation::ActiveModel = c.into();
    am.operator_user_id = Set(Some(actor.user.0));
    am.assigned_at = Set(Some(now_ms()));
    let c = am.update(&txn).await.or_internal()?;
    txn.commit().await.or_internal()?;
    publish_committed(db, hub, std::slice::from_ref(&c)).await;
    redispatch(db, hub, ChannelId(c.channel_id)).await;
    Ok(())
}

/// Hands a conversation to another operator of the channel (within their capacity).
pub async fn transfer(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    id: ConversationId,
    to: UserId,
) -> Result<(), AppError> {
    let txn = begin_write(db).await.or_internal()?;
    let (c, queue) = for_change(&txn, actor, id).await?;
    if status(&c) == ConversationStatus::Closed {
        return Err(closed_error());
    }
    if c.operator_user_id == Some(to.0) {
        txn.rollback().await.or_internal()?;
        return Ok(());
    }
    let in_queue = channel_operator::Entity::find()
        .filter(channel_operator::Column::ChannelId.eq(c.channel_id))
        .filter(channel_operator::Column::UserId.eq(to.0))
        .one(&txn)
        .await
        .or_internal()?;
    if in_queue.is_none() {
        return Err(AppError::Invalid {
            field: Field::Operator,
            code: Code::NotInQueue,
        });
    }
    if load_of(&txn, ChannelId(c.channel_id), to).await? >= queue.capacity as i64 {
        return Err(AppError::Limit {
            code: Code::OperatorFull,
            retry_after_secs: 0,
        });
    }
    let now = now_ms();
    let mut am: conversation::ActiveModel = c.into();
    am.operator_user_id = Set(Some(to.0));
    am.assigned_at = Set(Some(now));
    let c = am.update(&txn).await.or_internal()?;
    txn.commit().await.or_internal()?;
    publish_committed(db, hub, std::slice::from_ref(&c)).await;
    redispatch(db, hub, ChannelId(c.channel_id)).await;
    Ok(())
}

/// The customer's conversations with the channel that are not finished.
async fn customer_open(
    db: &impl ConnectionTrait,
    c: &conversation::Model,
) -> Result<Vec<conversation::Model>, AppError> {
    conversation::Entity::find()
        .filter(conversation::Column::ChannelId.eq(c.channel_id))
        .filter(conversation::Column::CustomerUserId.eq(c.customer_user_id))
        .filter(conversation::Column::CustomerAccountId.eq(c.customer_account_id))
        .filter(active())
        .all(db)
        .await
        .or_internal()
}

/// The channel's per-customer limit (`None`: one conversation at a time).
async fn customer_limit(db: &impl ConnectionTrait, channel: i64) -> Result<Option<i64>, AppError> {
    Ok(network_connector::Entity::find()
        .filter(network_connector::Column::ChannelId.eq(channel))
        .one(db)
        .await
        .or_internal()?
        .and_then(|n| n.multi_chat.then_some(n.chat_limit as i64)))
}

async fn split_rule_of(db: &impl ConnectionTrait, c: &conversation::Model) -> Result<SplitRule, AppError> {
    if status(c) == ConversationStatus::Closed {
        return Ok(SplitRule::Closed);
    }
    Ok(match customer_limit(db, c.channel_id).await? {
        None => SplitRule::ClosesCurrent,
        Some(limit) if customer_open(db, c).await?.len() as i64 >= limit => SplitRule::AtLimit,
        Some(_) => SplitRule::Parallel,
    })
}

/// What "Start new conversation" would do in conversation `id` now.
pub async fn split_rule(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ConversationId,
) -> Result<SplitRule, AppError> {
    let c = operator_conversation(db, actor, id).await?;
    split_rule_of(db, &c).await
}

/// "Start new conversation" from message `seq` of conversation `id` (the customer's or an
/// operator's): a new conversation starting with a copy of that message by the same
/// author, assigned to the operator who started it.
/// With multiple chats allowed and under the limit the old one stays open; with one chat
/// at a time it closes; at the limit nothing happens (`conversation_limit`). Doing it
/// twice for the same message returns the conversation made the first time.
pub async fn start_new(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    id: ConversationId,
    seq: i64,
) -> Result<ConversationId, AppError> {
    let txn = begin_write(db).await.or_internal()?;
    let (c, queue) = for_change(&txn, actor, id).await?;
    let msg = message::Entity::find()
        .filter(message::Column::ConversationId.eq(c.id))
        .filter(message::Column::Seq.eq(seq))
        .one(&txn)
        .await
        .or_internal()?
        .ok_or(AppError::Invalid {
            field: Field::Message,
            code: Code::NotFound,
        })?;
    // A message to or from the customer (the source document's words): theirs or an
    // operator's, not the channel's welcome message.
    let author = Author::parse(&msg.author);
    if author == Author::Channel {
        return Err(AppError::Invalid {
            field: Field::Message,
            code: Code::NotCustomerMessage,
        });
    }
    // Server-made ids contain `:`, which client ids may not; `split-…` is the form
    // stored before, still recognised so asking again gives the same answer.
    let client_id = format!("sys:split:{}:{}", c.id, seq);
    let legacy_id = format!("split-{}-{}", c.id, seq);
    let open = customer_open(&txn, &c).await?;
    // Already done for this message: the same answer again.
    let all_ids: Vec<i64> = conversation::Entity::find()
        .filter(conversation::Column::ChannelId.eq(c.channel_id))
        .filter(conversation::Column::CustomerUserId.eq(c.customer_user_id))
        .filter(conversation::Column::CustomerAccountId.eq(c.customer_account_id))
        .all(&txn)
        .await
        .or_internal()?
        .into_iter()
        .map(|x| x.id)
        .collect();
    // The `sys:` id cannot come from a client, whoever the author; the legacy one was
    // only ever stored as the customer's.
    if let Some(done) = message::Entity::find()
        .filter(message::Column::ConversationId.is_in(all_ids))
        .filter(
            Condition::any()
                .add(message::Column::ClientId.eq(client_id.as_str()))
                .add(
                    Condition::all()
                        .add(message::Column::Author.eq(Author::Customer.as_str()))
                        .add(message::Column::ClientId.eq(legacy_id.as_str())),
                ),
        )
        .one(&txn)
        .await
        .or_internal()?
    {
        txn.rollback().await.or_internal()?;
        return Ok(ConversationId(done.conversation_id));
    }
    if status(&c) == ConversationStatus::Closed {
        return Err(closed_error());
    }
    let now = now_ms();
    let person = (UserId(c.customer_user_id), ChannelId(c.channel_id));
    let closed = make_room(&txn, customer_limit(&txn, c.channel_id).await?, open, person, now).await?;
    // The operator who started it keeps it, unless they are full: then it waits.
    let mine = load_of(&txn, ChannelId(c.channel_id), actor.user).await? < queue.capacity as i64;
    let mut n = super::conversations::new_conversation(
        &txn,
        ChannelId(c.channel_id),
        AccountId(c.account_id),
        UserId(c.customer_user_id),
        AccountId(c.customer_account_id),
        mine.then_some(actor.user),
        now,
    )
    .await?;
    let first = append(
        &txn,
        &mut n,
        author,
        msg.author_user_id.map(UserId),
        &client_id,
        &msg.body,
        now,
    )
    .await?;
    let author_id = msg.author_user_id.unwrap_or(c.customer_user_id);
    let author_name = names_of(&txn, &[author_id])
        .await?
        .remove(&author_id)
        .unwrap_or_default();
    txn.commit().await.or_internal()?;
    publish_committed(db, hub, &closed).await;
    publish_committed(db, hub, std::slice::from_ref(&n)).await;
    hub_publish(
        hub,
        &topics_of(&n)[..2],
        ServerMsg::Message {
            message: message_view(&first, &author_name),
        },
    );
    redispatch(db, hub, ChannelId(c.channel_id)).await;
    Ok(ConversationId(n.id))
}

/// The channels the actor's inbox covers ([`crate::backend::policy::inbox_channels`]).
pub async fn visible_channels(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<open_channel::Model>, AppError> {
    crate::backend::policy::inbox_channels(db, actor).await
}

/// The queues of the actor's channels, with each operator's load and presence.
pub async fn queues(
    db: &impl ConnectionTrait,
    hub: &dyn Hub,
    actor: &Actor,
) -> Result<Vec<QueueView>, AppError> {
    let channels = visible_channels(db, actor).await?;
    let ops = channel_operator::Entity::find()
        .filter(channel_operator::Column::ChannelId.is_in(channels.iter().map(|c| c.id).collect::<Vec<_>>()))
        .all(db)
        .await
        .or_internal()?;
    let names = names_of(db, &ops.iter().map(|o| o.user_id).collect::<Vec<_>>()).await?;
    let mut out = Vec::new();
    for c in channels {
        let q = queue_of(&c);
        let load = loads(db, ChannelId(c.id)).await?;
        let mut operators: Vec<OperatorView> = ops
            .iter()
            .filter(|o| o.channel_id == c.id)
            .map(|o| OperatorView {
                id: UserId(o.user_id),
                name: names.get(&o.user_id).cloned().unwrap_or_default(),
                load: load.get(&o.user_id).copied().unwrap_or(0),
                online: hub.is_online(UserId(o.user_id)),
            })
            .collect();
        operators.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        out.push(QueueView {
            id: ChannelId(c.id),
            name: c.name,
            distribution: q.distribution,
            capacity: q.capacity,
            operators,
        });
    }
    Ok(out)
}

/// Sets a channel's distribution mode and capacity per operator. Admins only.
pub async fn set_queue(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    channel: ChannelId,
    distribution: Distribution,
    capacity: Capacity,
    take: TakeTime,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let c = open_channel::Entity::find_by_id(channel.0)
        .filter(open_channel::Column::AccountId.eq(actor.account.0))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let mut am: open_channel::ActiveModel = c.into();
    am.distribution = Set(distribution.as_str().to_string());
    am.max_per_operator = Set(capacity.get() as i32);
    am.take_seconds = Set(take.secs() as i32);
    am.update(db).await.or_internal()?;
    // More room (or a new mode) may let waiting conversations go.
    redispatch(db, hub, channel).await;
    Ok(())
}
