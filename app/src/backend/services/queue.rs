//! The queue: which operator gets a waiting conversation (distribution and capacity),
//! an operator's load, giving conversations back when rights change, and publishing
//! conversation changes. Called by the message path ([`crate::backend::messaging`]), the
//! inbox's actions ([`super::inbox`]), the customer's ([`super::customer`]), working
//! hours ([`super::hours`]) and the rights changes ([`super::accounts`],
//! [`super::channels`]); it calls none of them back, only [`super::conversations`] for
//! the conversation views it publishes.
//!
//! Every rule that counts conversations (an operator's capacity) runs in one write
//! transaction holding the channel's row lock on PostgreSQL and the database write lock
//! on SQLite, so it holds under concurrent requests.

use super::conversations::{conversation_views, hub_publish};
use crate::backend::db::begin_write;
use crate::backend::entities::{
    channel_operator, conversation, conversation_skip, network_connector, open_channel,
};
use crate::backend::hub::{Hub, Topic};
use crate::backend::principal::Actor;
use crate::backend::{now_ms, OrInternal};
use crate::domain::channel::{Distribution, TakeTime};
use crate::domain::conversation::ConversationStatus;
use crate::domain::{AccountId, ChannelId, ConversationId, UserId};
use crate::error::AppError;
use crate::protocol::ServerMsg;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::{HashMap, HashSet};

/// A channel's queue settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queue {
    pub distribution: Distribution,
    pub capacity: u16,
    pub take: TakeTime,
}

pub(crate) fn queue_of(c: &open_channel::Model) -> Queue {
    Queue {
        distribution: Distribution::from_stored(&c.distribution),
        capacity: c.max_per_operator.clamp(1, u16::MAX as i32) as u16,
        take: TakeTime::new(c.take_seconds as i64).unwrap_or(TakeTime::OFF),
    }
}

/// The channel's operators in the queue's order.
pub(crate) async fn operators_in_order(
    db: &impl ConnectionTrait,
    channel: ChannelId,
) -> Result<Vec<channel_operator::Model>, AppError> {
    channel_operator::Entity::find()
        .filter(channel_operator::Column::ChannelId.eq(channel.0))
        .order_by_asc(channel_operator::Column::Position)
        .order_by_asc(channel_operator::Column::UserId)
        .all(db)
        .await
        .or_internal()
}

/// Who has passed each of `conversations` on.
async fn skips_of(
    db: &impl ConnectionTrait,
    conversations: &[i64],
) -> Result<HashMap<i64, HashSet<i64>>, AppError> {
    let mut out: HashMap<i64, HashSet<i64>> = HashMap::new();
    if conversations.is_empty() {
        return Ok(out);
    }
    for s in conversation_skip::Entity::find()
        .filter(conversation_skip::Column::ConversationId.is_in(conversations.iter().copied()))
        .all(db)
        .await
        .or_internal()?
    {
        out.entry(s.conversation_id).or_default().insert(s.user_id);
    }
    Ok(out)
}

/// Records that `user` passed conversation `c` on and puts it back in the queue.
/// Runs in the caller's write transaction, under the channel's lock.
pub(crate) async fn pass_on(
    txn: &DatabaseTransaction,
    c: conversation::Model,
    user: UserId,
    now: i64,
) -> Result<conversation::Model, AppError> {
    let known = conversation_skip::Entity::find()
        .filter(conversation_skip::Column::ConversationId.eq(c.id))
        .filter(conversation_skip::Column::UserId.eq(user.0))
        .one(txn)
        .await
        .or_internal()?;
    if known.is_none() {
        conversation_skip::ActiveModel {
            conversation_id: Set(c.id),
            user_id: Set(user.0),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await
        .or_internal()?;
    }
    let mut am: conversation::ActiveModel = c.into();
    am.operator_user_id = Set(None);
    am.assigned_at = Set(None);
    am.update(txn).await.or_internal()
}

/// The operator a waiting conversation goes to: among `ops` (the queue's order) those
/// who have room and have not passed it on; "evenly" takes the least-loaded (the one who
/// waited longest on a tie), "strictly in order" the first.
pub fn pick_operator(
    distribution: Distribution,
    capacity: i64,
    ops: &[channel_operator::Model],
    load: &HashMap<i64, i64>,
    passed: Option<&HashSet<i64>>,
) -> Option<usize> {
    let free = |o: &channel_operator::Model| {
        load.get(&o.user_id).copied().unwrap_or(0) < capacity
            && !passed.is_some_and(|p| p.contains(&o.user_id))
    };
    match distribution {
        Distribution::All => None,
        Distribution::Strict => ops.iter().position(free),
        Distribution::Even => ops
            .iter()
            .enumerate()
            .filter(|(_, o)| free(o))
            .min_by_key(|(_, o)| {
                (
                    load.get(&o.user_id).copied().unwrap_or(0),
                    o.last_assigned_at,
                    o.user_id,
                )
            })
            .map(|(i, _)| i),
    }
}

/// Reads the channel's queue settings and locks its row until the transaction ends.
pub(crate) async fn lock_queue(txn: &DatabaseTransaction, channel: ChannelId) -> Result<Queue, AppError> {
    let c = open_channel::Entity::find_by_id(channel.0)
        .lock_exclusive()
        .one(txn)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    Ok(queue_of(&c))
}

pub(crate) fn active() -> Condition {
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
        .or_internal()? as i64)
}

/// Load of every operator with at least one conversation in `channel`.
pub(crate) async fn loads(
    db: &impl ConnectionTrait,
    channel: ChannelId,
) -> Result<HashMap<i64, i64>, AppError> {
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
        .or_internal()?;
    Ok(rows.into_iter().filter_map(|(u, n)| u.map(|u| (u, n))).collect())
}

pub(crate) fn topics_of(c: &conversation::Model) -> Vec<Topic> {
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

pub(crate) async fn publish_views(
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

/// Hands waiting conversations of an "evenly" or "strictly in order" channel to online
/// operators ([`pick_operator`]), never to one who has passed that conversation on.
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
        let txn = begin_write(db).await.or_internal()?;
        let queue = lock_queue(&txn, channel).await?;
        // Outside working hours, set to wait for the morning: nobody is assigned.
        if !queue.distribution.assigns() || holding(&txn, channel, now_ms()).await? {
            txn.commit().await.or_internal()?;
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
            .or_internal()?;
        let mut ops: Vec<channel_operator::Model> = operators_in_order(&txn, channel)
            .await?
            .into_iter()
            .filter(|o| hub.is_online(UserId(o.user_id)))
            .collect();
        let mut load = loads(&txn, channel).await?;
        let ids: Vec<i64> = waiting.iter().map(|w| w.id).collect();
        let passed = skips_of(&txn, &ids).await?;
        let now = now_ms();
        let mut assigned = Vec::new();
        for w in &waiting {
            let cap = queue.capacity as i64;
            if ops
                .iter()
                .all(|o| load.get(&o.user_id).copied().unwrap_or(0) >= cap)
            {
                break;
            }
            // Passed on by everyone who could take it now: it waits for someone else
            // (or for any of them to take it from the list).
            let Some(i) = pick_operator(queue.distribution, cap, &ops, &load, passed.get(&w.id)) else {
                continue;
            };
            let op = &mut ops[i];
            let mut am: conversation::ActiveModel = w.clone().into();
            am.operator_user_id = Set(Some(op.user_id));
            am.assigned_at = Set(Some(now));
            assigned.push(am.update(&txn).await.or_internal()?);
            *load.entry(op.user_id).or_insert(0) += 1;
            op.last_assigned_at = now.max(op.last_assigned_at + 1);
            let mut oam: channel_operator::ActiveModel = op.clone().into();
            oam.last_assigned_at = Set(op.last_assigned_at);
            oam.update(&txn).await.or_internal()?;
        }
        txn.commit().await.or_internal()?;
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
    let mine = q.all(txn).await.or_internal()?;
    let mut out = Vec::with_capacity(mine.len());
    for c in mine {
        let mut am: conversation::ActiveModel = c.into();
        am.operator_user_id = Set(None);
        am.assigned_at = Set(None);
        out.push(am.update(txn).await.or_internal()?);
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
pub(crate) async fn publish_committed(db: &impl ConnectionTrait, hub: &dyn Hub, cs: &[conversation::Model]) {
    if let Err(e) = publish_views(db, hub, cs).await {
        tracing::error!(error = ?e, "publishing committed conversations failed");
    }
}

/// Dispatches after a committed change; a failure is logged (what was committed stays,
/// and the next arrival, finish or operator coming online dispatches again).
pub(crate) async fn redispatch(
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
        .or_internal()?;
    for o in mine {
        dispatch(db, hub, ChannelId(o.channel_id)).await?;
    }
    Ok(())
}

/// An operator has had no inbox open anywhere for the presence time-to-live: their
/// conversations of "evenly" channels that nobody has answered yet (status `new`) go
/// back to the queue, which hands them to operators who are online. Each channel is
/// handled under its row lock, and only while the operator is still away, so nodes
/// doing this at once (each notices) release each conversation once. Returns how many
/// went back.
pub async fn operator_gone(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    user: UserId,
) -> Result<usize, AppError> {
    let mut channels: Vec<i64> = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::ChannelId)
        .filter(conversation::Column::OperatorUserId.eq(user.0))
        .filter(conversation::Column::Status.eq(ConversationStatus::New.as_str()))
        .into_tuple()
        .all(db)
        .await
        .or_internal()?;
    channels.sort_unstable();
    channels.dedup();
    let mut released = 0;
    for ch in channels {
        let txn = begin_write(db).await.or_internal()?;
        let queue = lock_queue(&txn, ChannelId(ch)).await?;
        if !queue.distribution.assigns() || hub.is_online(user) {
            txn.commit().await.or_internal()?;
            continue;
        }
        let waiting = conversation::Entity::find()
            .filter(conversation::Column::ChannelId.eq(ch))
            .filter(conversation::Column::OperatorUserId.eq(user.0))
            .filter(conversation::Column::Status.eq(ConversationStatus::New.as_str()))
            .all(&txn)
            .await
            .or_internal()?;
        let mut back = Vec::with_capacity(waiting.len());
        for c in waiting {
            let mut am: conversation::ActiveModel = c.into();
            am.operator_user_id = Set(None);
            am.assigned_at = Set(None);
            back.push(am.update(&txn).await.or_internal()?);
        }
        txn.commit().await.or_internal()?;
        released += back.len();
        publish_committed(db, hub, &back).await;
        redispatch(db, hub, ChannelId(ch)).await;
    }
    Ok(released)
}

/// Time to take: assigned conversations that nobody has answered (status `new`) for
/// longer than their channel's time to take pass to the next operator; the one who let
/// it wait is recorded ([`pass_on`]) and not given it again. Each channel is handled under
/// its row lock and the condition re-read there, so nodes doing this at once pass each
/// conversation on once; the state is in the database, so a restart loses nothing.
/// Returns how many were passed on.
pub async fn pass_on_untaken(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    now: i64,
) -> Result<usize, AppError> {
    let timed: Vec<(i64, i32)> = open_channel::Entity::find()
        .select_only()
        .column(open_channel::Column::Id)
        .column(open_channel::Column::TakeSeconds)
        .filter(open_channel::Column::TakeSeconds.gt(0))
        .into_tuple()
        .all(db)
        .await
        .or_internal()?;
    let mut passed = 0;
    for (ch, secs) in timed {
        let due = |q: sea_orm::Select<conversation::Entity>, secs: i64| {
            q.filter(conversation::Column::ChannelId.eq(ch))
                .filter(conversation::Column::Status.eq(ConversationStatus::New.as_str()))
                .filter(conversation::Column::OperatorUserId.is_not_null())
                .filter(conversation::Column::AssignedAt.lte(now - secs * 1000))
                .order_by_asc(conversation::Column::Id)
                .limit(100)
        };
        if due(conversation::Entity::find(), secs as i64)
            .count(db)
            .await
            .or_internal()?
            == 0
        {
            continue;
        }
        let txn = begin_write(db).await.or_internal()?;
        let queue = lock_queue(&txn, ChannelId(ch)).await?;
        if !queue.distribution.assigns() || queue.take == TakeTime::OFF {
            txn.commit().await.or_internal()?;
            continue;
        }
        let mut back = Vec::new();
        for c in due(conversation::Entity::find(), queue.take.secs() as i64)
            .all(&txn)
            .await
            .or_internal()?
        {
            let Some(op) = c.operator_user_id else { continue };
            back.push(pass_on(&txn, c, UserId(op), now).await?);
        }
        txn.commit().await.or_internal()?;
        passed += back.len();
        publish_committed(db, hub, &back).await;
        redispatch(db, hub, ChannelId(ch)).await;
    }
    Ok(passed)
}

/// Conversations not answered by an operator yet (status `new`), per channel that has
/// any: `(channel id, count)`.
pub async fn waiting_per_channel(db: &impl ConnectionTrait) -> Result<Vec<(i64, i64)>, AppError> {
    use sea_orm::{FromQueryResult, QuerySelect};
    #[derive(FromQueryResult)]
    struct Row {
        channel_id: i64,
        n: i64,
    }
    let rows = conversation::Entity::find()
        .select_only()
        .column(conversation::Column::ChannelId)
        .column_as(conversation::Column::Id.count(), "n")
        .filter(conversation::Column::Status.eq(ConversationStatus::New.as_str()))
        .group_by(conversation::Column::ChannelId)
        .into_model::<Row>()
        .all(db)
        .await
        .or_internal()?;
    Ok(rows.into_iter().map(|r| (r.channel_id, r.n)).collect())
}

/// Takes a removed member out of every queue of the account.
pub async fn remove_from_queues(
    db: &impl ConnectionTrait,
    account: i64,
    user: UserId,
) -> Result<(), AppError> {
    let ids: Vec<i64> = open_channel::Entity::find()
        .filter(open_channel::Column::AccountId.eq(account))
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(|c| c.id)
        .collect();
    channel_operator::Entity::delete_many()
        .filter(channel_operator::Column::ChannelId.is_in(ids))
        .filter(channel_operator::Column::UserId.eq(user.0))
        .exec(db)
        .await
        .or_internal()?;
    Ok(())
}

/// Does the channel hold new conversations in the queue at `now` (outside its hours,
/// set to wait for the morning)? Then nobody is assigned.
async fn holding(db: &impl ConnectionTrait, channel: ChannelId, now: i64) -> Result<bool, AppError> {
    Ok(network_connector::of_channel(db, channel.0)
        .await?
        .is_some_and(|n| {
            let h = n.hours();
            h.enabled
                && h.offline_queue == crate::domain::hours::OfflineQueue::Wait
                && !crate::domain::hours::clock::open_at(&h, now)
        }))
}
