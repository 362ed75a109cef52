//! The operators' side of conversations: the queue (distribution and capacity),
//! finishing, transferring, "Start new conversation", read state and the inbox list.
//!
//! Every rule that counts conversations (an operator's capacity, the customer's limit)
//! runs in one write transaction holding the channel's row lock on PostgreSQL and the
//! database write lock on SQLite, so it holds under concurrent requests.

use super::accounts::Actor;
use super::conversations::{
    append, conversation_view, conversation_views, hub_publish, make_room, message_view, names_of,
    operator_conversation, status, Viewer,
};
use crate::api::{ConversationDetail, InboxFilter, InboxPage, OperatorView, QueueView, SplitRule};
use crate::backend::db::begin_write;
use crate::backend::entities::{channel_operator, conversation, message, network_connector, open_channel};
use crate::backend::hub::{Hub, Topic};
use crate::backend::{internal, now_ms};
use crate::domain::channel::{Capacity, Distribution};
use crate::domain::conversation::{Author, ConversationStatus};
use crate::domain::{AccountId, ChannelId, ConversationId, Role, UserId};
use crate::error::{AppError, Code, Field};
use crate::protocol::ServerMsg;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::HashMap;

/// A channel's queue settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queue {
    pub distribution: Distribution,
    pub capacity: u16,
}

fn queue_of(c: &open_channel::Model) -> Queue {
    Queue {
        distribution: Distribution::from_stored(&c.distribution),
        capacity: c.max_per_operator.clamp(1, u16::MAX as i32) as u16,
    }
}

/// Reads the channel's queue settings and locks its row until the transaction ends.
pub(crate) async fn lock_queue(txn: &DatabaseTransaction, channel: ChannelId) -> Result<Queue, AppError> {
    let c = open_channel::Entity::find_by_id(channel.0)
        .lock_exclusive()
        .one(txn)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    Ok(queue_of(&c))
}

fn active() -> Condition {
    Condition::all().add(conversation::Column::Status.ne(ConversationStatus::Closed.as_str()))
}

/// Conversations of `channel` assigned to `user` and not finished.
pub(crate) async fn load_of(
    db: &impl ConnectionTrait,
    channel: ChannelId,
    user: UserId,
) -> Result<i64, AppError> {
    Ok(conversation::Entity::find()
        .filter(conversation::Column::ChannelId.eq(channel.0))
        .filter(conversation::Column::OperatorUserId.eq(user.0))
        .filter(active())
        .count(db)
        .await
        .map_err(internal)? as i64)
}

/// Load of every operator with at least one conversation in `channel`.
async fn loads(db: &impl ConnectionTrait, channel: ChannelId) -> Result<HashMap<i64, i64>, AppError> {
    let rows: Vec<(Option<i64>, i64)> = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::OperatorUserId)
        .column_as(conversation::Column::Id.count(), "n")
        .filter(conversation::Column::ChannelId.eq(channel.0))
        .filter(conversation::Column::OperatorUserId.is_not_null())
        .filter(active())
        .group_by(conversation::Column::OperatorUserId)
        .into_tuple()
        .all(db)
        .await
        .map_err(internal)?;
    Ok(rows.into_iter().filter_map(|(u, n)| u.map(|u| (u, n))).collect())
}

fn topics_of(c: &conversation::Model) -> Vec<Topic> {
    vec![
        Topic::Conversation(ConversationId(c.id)),
        Topic::Channel(ChannelId(c.channel_id)),
        Topic::Customer {
            user: UserId(c.customer_user_id),
            account: AccountId(c.customer_account_id),
            channel: ChannelId(c.channel_id),
        },
    ]
}

async fn publish_views(
    db: &impl ConnectionTrait,
    hub: &dyn Hub,
    cs: &[conversation::Model],
) -> Result<(), AppError> {
    let views = conversation_views(db, cs).await?;
    for (c, v) in cs.iter().zip(views) {
        hub_publish(hub, &topics_of(c), ServerMsg::Conversation { conversation: v });
    }
    Ok(())
}

/// Hands waiting conversations of an "evenly" channel to online operators: each goes to
/// the least-loaded operator under capacity (the one who waited longest on a tie).
/// Called when a conversation arrives or frees up and when an operator comes online.
/// Returns the assignments made.
pub async fn dispatch(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    channel: ChannelId,
) -> Result<Vec<(ConversationId, UserId)>, AppError> {
    const BATCH: u64 = 50;
    let mut made = Vec::new();
    loop {
        let txn = begin_write(db).await.map_err(internal)?;
        let queue = lock_queue(&txn, channel).await?;
        if queue.distribution != Distribution::Even {
            txn.commit().await.map_err(internal)?;
            return Ok(made);
        }
        let waiting = conversation::Entity::find()
            .filter(conversation::Column::ChannelId.eq(channel.0))
            .filter(active())
            .filter(conversation::Column::OperatorUserId.is_null())
            .order_by_asc(conversation::Column::Id)
            .limit(BATCH)
            .all(&txn)
            .await
            .map_err(internal)?;
        let mut ops: Vec<channel_operator::Model> = channel_operator::Entity::find()
            .filter(channel_operator::Column::ChannelId.eq(channel.0))
            .all(&txn)
            .await
            .map_err(internal)?
            .into_iter()
            .filter(|o| hub.is_online(UserId(o.user_id)))
            .collect();
        let mut load = loads(&txn, channel).await?;
        let now = now_ms();
        let mut assigned = Vec::new();
        for w in &waiting {
            ops.sort_by_key(|o| {
                (
                    load.get(&o.user_id).copied().unwrap_or(0),
                    o.last_assigned_at,
                    o.user_id,
                )
            });
            let Some(op) = ops
                .iter_mut()
                .find(|o| load.get(&o.user_id).copied().unwrap_or(0) < queue.capacity as i64)
            else {
                break;
            };
            let mut am: conversation::ActiveModel = w.clone().into();
            am.operator_user_id = Set(Some(op.user_id));
            am.assigned_at = Set(Some(now));
            assigned.push(am.update(&txn).await.map_err(internal)?);
            *load.entry(op.user_id).or_insert(0) += 1;
            op.last_assigned_at = now.max(op.last_assigned_at + 1);
            let mut oam: channel_operator::ActiveModel = op.clone().into();
            oam.last_assigned_at = Set(op.last_assigned_at);
            oam.update(&txn).await.map_err(internal)?;
        }
        txn.commit().await.map_err(internal)?;
        publish_committed(db, hub, &assigned).await;
        made.extend(assigned.iter().map(|c| {
            (
                ConversationId(c.id),
                UserId(c.operator_user_id.unwrap_or_default()),
            )
        }));
        if assigned.len() < waiting.len() || (waiting.len() as u64) < BATCH {
            return Ok(made);
        }
    }
}

/// Takes `user`'s open conversations of `account` (of one channel, or all) away from
/// them: they go back to the queue. Returns them as they are now. Runs inside the
/// caller's write transaction (a role change, a removal, a queue change).
pub(crate) async fn release_operator(
    txn: &DatabaseTransaction,
    account: AccountId,
    user: UserId,
    channel: Option<i64>,
) -> Result<Vec<conversation::Model>, AppError> {
    let mut q = conversation::Entity::find()
        .filter(conversation::Column::AccountId.eq(account.0))
        .filter(conversation::Column::OperatorUserId.eq(user.0))
        .filter(active());
    if let Some(ch) = channel {
        q = q.filter(conversation::Column::ChannelId.eq(ch));
    }
    let mine = q.all(txn).await.map_err(internal)?;
    let mut out = Vec::with_capacity(mine.len());
    for c in mine {
        let mut am: conversation::ActiveModel = c.into();
        am.operator_user_id = Set(None);
        am.assigned_at = Set(None);
        out.push(am.update(txn).await.map_err(internal)?);
    }
    Ok(out)
}

/// After a committed change of rights in `account`: inboxes see the conversations that
/// went back to the queue, their channels dispatch again, and every live socket of the
/// account re-checks what it may see. Errors are logged: the change itself is stored.
pub(crate) async fn after_access_change(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    account: AccountId,
    released: Vec<conversation::Model>,
) {
    hub.publish(&Topic::Access(account), ServerMsg::Access { account });
    if let Err(e) = publish_views(db, hub, &released).await {
        tracing::warn!(error = ?e, "publishing released conversations failed");
    }
    let mut channels: Vec<i64> = released.iter().map(|c| c.channel_id).collect();
    channels.sort_unstable();
    channels.dedup();
    for ch in channels {
        if let Err(e) = dispatch(db, hub, ChannelId(ch)).await {
            tracing::warn!(error = ?e, channel = ch, "re-dispatch after a change of rights failed");
        }
    }
}

/// Publishes committed conversations; a failure is logged (clients catch up on
/// reconnect, and the change itself is stored).
async fn publish_committed(db: &impl ConnectionTrait, hub: &dyn Hub, cs: &[conversation::Model]) {
    if let Err(e) = publish_views(db, hub, cs).await {
        tracing::error!(error = ?e, "publishing committed conversations failed");
    }
}

/// Dispatches after a committed change; a failure is logged (what was committed stays,
/// and the next arrival, finish or operator coming online dispatches again).
async fn redispatch(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    channel: ChannelId,
) {
    if let Err(e) = dispatch(db, hub, channel).await {
        tracing::error!(error = ?e, channel = channel.0, "dispatch failed");
    }
}

/// An operator's inbox connected: they may take waiting conversations of their channels.
pub async fn came_online(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
) -> Result<(), AppError> {
    let mine = channel_operator::Entity::find()
        .filter(channel_operator::Column::UserId.eq(actor.user.0))
        .all(db)
        .await
        .map_err(internal)?;
    for o in mine {
        dispatch(db, hub, ChannelId(o.channel_id)).await?;
    }
    Ok(())
}

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
    let txn = begin_write(db).await.map_err(internal)?;
    let (c, _) = for_change(&txn, actor, id).await?;
    if status(&c) == ConversationStatus::Closed {
        txn.rollback().await.map_err(internal)?;
        return Ok(());
    }
    let now = now_ms();
    let mut am: conversation::ActiveModel = c.into();
    am.status = Set(ConversationStatus::Closed.as_str().to_string());
    am.closed_at = Set(Some(now));
    am.updated_at = Set(now);
    let c = am.update(&txn).await.map_err(internal)?;
    txn.commit().await.map_err(internal)?;
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
    let txn = begin_write(db).await.map_err(internal)?;
    let (c, queue) = for_change(&txn, actor, id).await?;
    if status(&c) == ConversationStatus::Closed {
        return Err(closed_error());
    }
    if c.operator_user_id == Some(to.0) {
        txn.rollback().await.map_err(internal)?;
        return Ok(());
    }
    let in_queue = channel_operator::Entity::find()
        .filter(channel_operator::Column::ChannelId.eq(c.channel_id))
        .filter(channel_operator::Column::UserId.eq(to.0))
        .one(&txn)
        .await
        .map_err(internal)?;
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
    let c = am.update(&txn).await.map_err(internal)?;
    txn.commit().await.map_err(internal)?;
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
        .map_err(internal)
}

/// The channel's per-customer limit (`None`: one conversation at a time).
async fn customer_limit(db: &impl ConnectionTrait, channel: i64) -> Result<Option<i64>, AppError> {
    Ok(network_connector::Entity::find()
        .filter(network_connector::Column::ChannelId.eq(channel))
        .one(db)
        .await
        .map_err(internal)?
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

/// "Start new conversation" from customer message `seq` of conversation `id`: a new
/// conversation starting with that message, assigned to the operator who started it.
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
    let txn = begin_write(db).await.map_err(internal)?;
    let (c, queue) = for_change(&txn, actor, id).await?;
    let msg = message::Entity::find()
        .filter(message::Column::ConversationId.eq(c.id))
        .filter(message::Column::Seq.eq(seq))
        .one(&txn)
        .await
        .map_err(internal)?
        .ok_or(AppError::Invalid {
            field: Field::Message,
            code: Code::NotFound,
        })?;
    if Author::parse(&msg.author) != Author::Customer {
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
        .map_err(internal)?
        .into_iter()
        .map(|x| x.id)
        .collect();
    if let Some(done) = message::Entity::find()
        .filter(message::Column::ConversationId.is_in(all_ids))
        .filter(message::Column::Author.eq(Author::Customer.as_str()))
        .filter(message::Column::ClientId.is_in([client_id.as_str(), legacy_id.as_str()]))
        .one(&txn)
        .await
        .map_err(internal)?
    {
        txn.rollback().await.map_err(internal)?;
        return Ok(ConversationId(done.conversation_id));
    }
    if status(&c) == ConversationStatus::Closed {
        return Err(closed_error());
    }
    let now = now_ms();
    let closed = make_room(&txn, customer_limit(&txn, c.channel_id).await?, open, now).await?;
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
        Author::Customer,
        msg.author_user_id.map(UserId),
        &client_id,
        &msg.body,
        now,
    )
    .await?;
    let customer_name = names_of(&txn, &[c.customer_user_id])
        .await?
        .remove(&c.customer_user_id)
        .unwrap_or_default();
    txn.commit().await.map_err(internal)?;
    publish_committed(db, hub, &closed).await;
    publish_committed(db, hub, std::slice::from_ref(&n)).await;
    hub_publish(
        hub,
        &topics_of(&n)[..2],
        ServerMsg::Message {
            message: message_view(&first, &customer_name),
        },
    );
    redispatch(db, hub, ChannelId(c.channel_id)).await;
    Ok(ConversationId(n.id))
}

/// Records that the viewer has read `id` up to `seq` and tells the other side.
/// Returns the read position now stored.
pub async fn mark_read(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    viewer: &Viewer<'_>,
    id: ConversationId,
    seq: i64,
) -> Result<i64, AppError> {
    let txn = begin_write(db).await.map_err(internal)?;
    super::conversations::viewable(&txn, viewer, id).await?;
    // The row is locked before counting, so a message committed meanwhile is counted
    // (its `operator_unread + 1` and this count never overwrite each other).
    let c = conversation::Entity::find_by_id(id.0)
        .lock_exclusive()
        .one(&txn)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let upto = seq.min(c.last_seq);
    let (by, before) = match viewer {
        Viewer::Operator(_) => (Author::Operator, c.operator_read_seq),
        Viewer::Customer(_) => (Author::Customer, c.customer_read_seq),
    };
    if upto <= before {
        txn.rollback().await.map_err(internal)?;
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
                .map_err(internal)? as i64;
            am.operator_read_seq = Set(upto);
            am.operator_unread = Set(unread);
        }
        _ => am.customer_read_seq = Set(upto),
    }
    let c = am.update(&txn).await.map_err(internal)?;
    txn.commit().await.map_err(internal)?;
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
        .map_err(internal)?;
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
) -> Result<(), AppError> {
    actor.require_admin()?;
    let c = open_channel::Entity::find_by_id(channel.0)
        .filter(open_channel::Column::AccountId.eq(actor.account.0))
        .one(db)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let mut am: open_channel::ActiveModel = c.into();
    am.distribution = Set(distribution.as_str().to_string());
    am.max_per_operator = Set(capacity.get() as i32);
    am.update(db).await.map_err(internal)?;
    // More room (or a new mode) may let waiting conversations go.
    redispatch(db, hub, channel).await;
    Ok(())
}

const PAGE: u64 = 50;

fn cursor_of(c: &conversation::Model) -> String {
    format!("{}_{}", c.updated_at, c.id)
}

fn parse_cursor(s: &str) -> Option<(i64, i64)> {
    let (a, b) = s.split_once('_')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// One page of the inbox, newest activity first; `cursor` continues after a page.
pub async fn inbox(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: InboxFilter,
    cursor: Option<&str>,
) -> Result<InboxPage, AppError> {
    let channels: Vec<i64> = visible_channels(db, actor)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut q = conversation::Entity::find()
        .filter(conversation::Column::AccountId.eq(actor.account.0))
        .filter(conversation::Column::ChannelId.is_in(channels));
    q = match filter {
        InboxFilter::All => q,
        InboxFilter::Mine => q
            .filter(conversation::Column::OperatorUserId.eq(actor.user.0))
            .filter(active()),
        InboxFilter::Waiting => q
            .filter(conversation::Column::Status.eq(ConversationStatus::New.as_str()))
            .filter(conversation::Column::OperatorUserId.is_null()),
        InboxFilter::Open => q.filter(conversation::Column::Status.eq(ConversationStatus::Open.as_str())),
        InboxFilter::Closed => q.filter(conversation::Column::Status.eq(ConversationStatus::Closed.as_str())),
    };
    if let Some((u, i)) = cursor.and_then(parse_cursor) {
        q = q.filter(
            Condition::any().add(conversation::Column::UpdatedAt.lt(u)).add(
                Condition::all()
                    .add(conversation::Column::UpdatedAt.eq(u))
                    .add(conversation::Column::Id.lt(i)),
            ),
        );
    }
    let mut rows = q
        .order_by_desc(conversation::Column::UpdatedAt)
        .order_by_desc(conversation::Column::Id)
        .limit(PAGE + 1)
        .all(db)
        .await
        .map_err(internal)?;
    let more = rows.len() as u64 > PAGE;
    rows.truncate(PAGE as usize);
    let next = if more { rows.last().map(cursor_of) } else { None };
    Ok(InboxPage {
        items: conversation_views(db, &rows).await?,
        next,
    })
}

/// A conversation as the inbox opens it: header, last messages, what "Start new
/// conversation" would do.
pub async fn detail(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ConversationId,
) -> Result<ConversationDetail, AppError> {
    let c = operator_conversation(db, actor, id).await?;
    let messages =
        super::conversations::messages_before(db, &Viewer::Operator(actor), id, i64::MAX, PAGE).await?;
    Ok(ConversationDetail {
        has_older: messages.first().is_some_and(|m| m.seq > 1),
        conversation: conversation_view(db, &c).await?,
        messages,
        split: split_rule_of(db, &c).await?,
    })
}
