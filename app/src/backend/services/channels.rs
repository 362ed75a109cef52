//! Open channels, their operator queues and their Network connectors (Contact Center).

use crate::backend::db::{begin_write, lock_account};
use crate::backend::entities::{
    avatar_image, channel_operator, conversation, membership, network_connector, network_join,
    network_message, open_channel,
};
use crate::backend::images::Avatar;
use crate::backend::principal::Actor;
use crate::backend::{internal, now_ms, OrInternal};
use crate::domain::channel::{Capacity, ChannelCode, ChannelName, Distribution, Settings, TakeTime};
use crate::domain::{ChannelId, Role, UserId};
use crate::error::{AppError, Code, Field};
use crate::views::{
    avatar_url, ChannelCard, ChannelView, ConnectorSettingsView, ConnectorSummary, ContactCenterView,
};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, Set, SqlErr, TransactionTrait,
};
use std::collections::HashSet;

mod connector;

pub use connector::*;

/// The default limit stored while "multiple chats" is off.
const DEFAULT_LIMIT: i32 = 2;

/// The open channel `id` if it belongs to the actor's account; `NotFound` otherwise.
async fn channel_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ChannelId,
) -> Result<open_channel::Model, AppError> {
    open_channel::Entity::find_by_id(id.0)
        .filter(open_channel::Column::AccountId.eq(actor.account.0))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)
}

/// The Contact Center: admins see all channels, operators the ones they serve.
pub async fn contact_center(db: &impl ConnectionTrait, actor: &Actor) -> Result<ContactCenterView, AppError> {
    if actor.role == Role::Employee {
        return Err(AppError::Forbidden);
    }
    let channels = open_channel::Entity::find()
        .filter(open_channel::Column::AccountId.eq(actor.account.0))
        .order_by_asc(open_channel::Column::Name)
        .order_by_asc(open_channel::Column::Id)
        .all(db)
        .await
        .or_internal()?;
    let ids: Vec<i64> = channels.iter().map(|c| c.id).collect();
    let ops = channel_operator::Entity::find()
        .filter(channel_operator::Column::ChannelId.is_in(ids.clone()))
        .order_by_asc(channel_operator::Column::Position)
        .order_by_asc(channel_operator::Column::UserId)
        .all(db)
        .await
        .or_internal()?;
    let connectors = network_connector::Entity::find()
        .filter(network_connector::Column::ChannelId.is_in(ids))
        .all(db)
        .await
        .or_internal()?;
    let is_admin = actor.role == Role::Admin;
    let op_ids: Vec<i64> = ops.iter().map(|o| o.user_id).collect();
    let names = super::conversations::names_of(db, &op_ids).await?;
    let views = channels
        .into_iter()
        .map(|c| {
            // In the queue's order.
            let operators: Vec<UserId> = ops
                .iter()
                .filter(|o| o.channel_id == c.id)
                .map(|o| UserId(o.user_id))
                .collect();
            let operator_names: Vec<String> = operators
                .iter()
                .filter_map(|u| names.get(&u.0).cloned())
                .collect();
            let network = connectors
                .iter()
                .find(|n| n.channel_id == c.id)
                .map(|n| ConnectorSummary {
                    code: n.code.clone(),
                    connected: n.connected,
                    name: n.name.clone(),
                });
            ChannelView {
                id: ChannelId(c.id),
                name: c.name,
                active: c.active,
                operators,
                operator_names,
                network,
                distribution: crate::domain::channel::Distribution::from_stored(&c.distribution),
                capacity: c.max_per_operator.clamp(1, u16::MAX as i32) as u16,
                take_seconds: c.take_seconds.clamp(0, u16::MAX as i32) as u16,
            }
        })
        .filter(|v| is_admin || v.operators.contains(&actor.user))
        .collect();
    // The people a queue may hold: operators and admins (never employees).
    let members = if is_admin {
        super::accounts::members(db, actor)
            .await?
            .into_iter()
            .filter(|m| crate::backend::policy::may_serve(m.role))
            .collect()
    } else {
        Vec::new()
    };
    Ok(ContactCenterView {
        account: actor.summary(),
        can_manage: is_admin,
        channels: views,
        members,
    })
}

/// How many open channels one account may have (the form and REST alike).
pub const MAX_CHANNELS: u64 = 200;

/// Creates an active open channel with no operators. Admins only.
pub async fn create_channel(
    db: &impl ConnectionTrait,
    actor: &Actor,
    name: &ChannelName,
) -> Result<open_channel::Model, AppError> {
    actor.require_admin()?;
    let count = open_channel::Entity::find()
        .filter(open_channel::Column::AccountId.eq(actor.account.0))
        .count(db)
        .await
        .or_internal()?;
    if count >= MAX_CHANNELS {
        return Err(AppError::Invalid {
            field: Field::ChannelName,
            code: Code::ChannelLimit,
        });
    }
    open_channel::ActiveModel {
        account_id: Set(actor.account.0),
        name: Set(name.as_str().to_string()),
        active: Set(true),
        created_at: Set(now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
    .or_internal()
}

pub async fn rename_channel(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ChannelId,
    name: &ChannelName,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let c = channel_of(db, actor, id).await?;
    let mut am: open_channel::ActiveModel = c.into();
    am.name = Set(name.as_str().to_string());
    am.update(db).await.or_internal()?;
    Ok(())
}

/// Switches a channel on or off. An inactive channel is "unavailable" to customers.
pub async fn set_channel_active(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ChannelId,
    active: bool,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let c = channel_of(db, actor, id).await?;
    let mut am: open_channel::ActiveModel = c.into();
    am.active = Set(active);
    am.update(db).await.or_internal()?;
    Ok(())
}

/// Replaces the channel's operator queue. Every operator must be a member of the account
/// who may serve (an operator or an admin; never an employee). Someone taken out of the
/// queue gives their open conversations of this channel back to the queue, and the
/// account's live sockets re-check their rights.
/// Moves `user` one place up or down in the channel's queue order (admins).
pub async fn move_operator(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    actor: &Actor,
    id: ChannelId,
    user: UserId,
    up: bool,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let txn = begin_write(db).await.or_internal()?;
    lock_account(&txn, actor.account.0).await.or_internal()?;
    let c = channel_of(&txn, actor, id).await?;
    let mut ops = super::queue::operators_in_order(&txn, ChannelId(c.id)).await?;
    let Some(at) = ops.iter().position(|o| o.user_id == user.0) else {
        return Err(AppError::Invalid {
            field: Field::Operator,
            code: Code::NotInQueue,
        });
    };
    let to = if up {
        at.checked_sub(1)
    } else {
        Some(at + 1).filter(|t| *t < ops.len())
    };
    let Some(to) = to else {
        // Already first (or last): nothing to do.
        txn.rollback().await.or_internal()?;
        return Ok(());
    };
    ops.swap(at, to);
    for (i, o) in ops.into_iter().enumerate() {
        let position = i as i64 + 1;
        if o.position != position {
            let mut am: channel_operator::ActiveModel = o.into();
            am.position = Set(position);
            am.update(&txn).await.or_internal()?;
        }
    }
    txn.commit().await.or_internal()?;
    Ok(())
}

pub async fn set_operators(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn crate::backend::hub::Hub,
    actor: &Actor,
    id: ChannelId,
    users: &[UserId],
) -> Result<(), AppError> {
    actor.require_admin()?;
    let txn = begin_write(db).await.or_internal()?;
    lock_account(&txn, actor.account.0).await.or_internal()?;
    let c = channel_of(&txn, actor, id).await?;
    let released = replace_operators(&txn, actor, &c, users, false).await?;
    txn.commit().await.or_internal()?;
    super::queue::after_access_change(db, hub, actor.account, released).await;
    Ok(())
}

/// The queue replacement of [`set_operators`] inside the caller's write transaction
/// (the account locked), in `users`' order or keeping the places of those who stay; returns the conversations that went back to the queue.
async fn replace_operators(
    txn: &DatabaseTransaction,
    actor: &Actor,
    c: &open_channel::Model,
    users: &[UserId],
    in_given_order: bool,
) -> Result<Vec<conversation::Model>, AppError> {
    let wanted: HashSet<i64> = users.iter().map(|u| u.0).collect();
    let members: Vec<membership::Model> = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(actor.account.0))
        .filter(membership::Column::UserId.is_in(wanted.iter().copied().collect::<Vec<_>>()))
        .all(txn)
        .await
        .or_internal()?;
    if members.len() != wanted.len() {
        return Err(AppError::Invalid {
            field: Field::Operators,
            code: Code::UserUnknown,
        });
    }
    for m in &members {
        crate::backend::policy::require_may_serve(Role::parse(&m.role).unwrap_or(Role::Employee))?;
    }
    let kept_rows = super::queue::operators_in_order(txn, ChannelId(c.id)).await?;
    let before: Vec<i64> = kept_rows.iter().map(|o| o.user_id).collect();
    channel_operator::Entity::delete_many()
        .filter(channel_operator::Column::ChannelId.eq(c.id))
        .exec(txn)
        .await
        .or_internal()?;
    let order: Vec<(i64, i64)> = if in_given_order {
        // As listed (REST's QUEUE is an ordered list); round-robin state is kept.
        users
            .iter()
            .map(|u| {
                let last = kept_rows
                    .iter()
                    .find(|o| o.user_id == u.0)
                    .map_or(0, |o| o.last_assigned_at);
                (u.0, last)
            })
            .collect()
    } else {
        // Those who stay keep their place (and round-robin state); newcomers join at the end.
        let mut added: Vec<i64> = wanted.iter().copied().filter(|u| !before.contains(u)).collect();
        added.sort();
        kept_rows
            .iter()
            .filter(|o| wanted.contains(&o.user_id))
            .map(|o| (o.user_id, o.last_assigned_at))
            .chain(added.into_iter().map(|u| (u, 0)))
            .collect()
    };
    for (position, (user_id, last)) in order.into_iter().enumerate() {
        channel_operator::ActiveModel {
            channel_id: Set(c.id),
            user_id: Set(user_id),
            last_assigned_at: Set(last),
            position: Set(position as i64 + 1),
            ..Default::default()
        }
        .insert(txn)
        .await
        .or_internal()?;
    }
    let mut released = Vec::new();
    for gone in before.into_iter().filter(|u| !wanted.contains(u)) {
        released.extend(super::queue::release_operator(txn, actor.account, UserId(gone), Some(c.id)).await?);
    }
    Ok(released)
}

/// A change of a channel's configuration as `imopenlines.config.add / update` carries
/// it: each part is optional, every part already valid.
#[derive(Clone, Debug, Default)]
pub struct ConfigChange {
    pub name: Option<ChannelName>,
    pub active: Option<bool>,
    /// The whole queue, in order.
    pub operators: Option<Vec<UserId>>,
    pub distribution: Option<Distribution>,
    pub capacity: Option<Capacity>,
    pub take: Option<TakeTime>,
    /// Connect (`true`) or disconnect the Network channel.
    pub network: Option<bool>,
    /// The Network channel's welcome message (`""` for none).
    pub welcome_message: Option<String>,
}

/// Creates (`id` = `None`, named `name` or "Open channel") or changes a channel with all
/// of `change` in one transaction: if any part is refused, nothing changes. Admins only.
pub async fn configure(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn crate::backend::hub::Hub,
    actor: &Actor,
    id: Option<ChannelId>,
    change: ConfigChange,
) -> Result<ChannelId, AppError> {
    actor.require_admin()?;
    let txn = begin_write(db).await.or_internal()?;
    lock_account(&txn, actor.account.0).await.or_internal()?;
    let mut c = match id {
        Some(id) => channel_of(&txn, actor, id).await?,
        None => {
            let name = match &change.name {
                Some(n) => n.clone(),
                None => ChannelName::parse("Open channel")?,
            };
            create_channel(&txn, actor, &name).await?
        }
    };
    let now = now_ms();
    let touches_channel = change.name.is_some()
        || change.active.is_some()
        || change.distribution.is_some()
        || change.capacity.is_some()
        || change.take.is_some();
    if touches_channel {
        let mut am: open_channel::ActiveModel = c.clone().into();
        if let Some(n) = &change.name {
            am.name = Set(n.as_str().to_string());
        }
        if let Some(a) = change.active {
            am.active = Set(a);
        }
        if let Some(d) = change.distribution {
            am.distribution = Set(d.as_str().to_string());
        }
        if let Some(cap) = change.capacity {
            am.max_per_operator = Set(cap.get() as i32);
        }
        if let Some(t) = change.take {
            am.take_seconds = Set(t.secs() as i32);
        }
        c = am.update(&txn).await.or_internal()?;
    }
    let released = match &change.operators {
        Some(users) => replace_operators(&txn, actor, &c, users, true).await?,
        None => Vec::new(),
    };
    let mut connector = network_connector::of_channel(&txn, c.id).await?;
    match (change.network, &connector) {
        (Some(true), None) => {
            insert_connector(&txn, &c, now).await?;
            connector = network_connector::of_channel(&txn, c.id).await?;
        }
        (Some(wanted), Some(n)) if n.connected != wanted => {
            let mut am: network_connector::ActiveModel = n.clone().into();
            am.connected = Set(wanted);
            am.updated_at = Set(now);
            connector = Some(am.update(&txn).await.or_internal()?);
        }
        _ => {}
    }
    if let Some(text) = &change.welcome_message {
        let Some(n) = connector else {
            return Err(AppError::Invalid {
                field: Field::WelcomeMessage,
                code: Code::NetworkRequired,
            });
        };
        let mut am: network_connector::ActiveModel = n.into();
        am.welcome_message = Set(text.clone());
        am.updated_at = Set(now);
        am.update(&txn).await.or_internal()?;
    }
    txn.commit().await.or_internal()?;
    let id = ChannelId(c.id);
    super::queue::after_access_change(db, hub, actor.account, released).await;
    // More room, another mode or other operators may let waiting conversations go.
    super::queue::redispatch(db, hub, id).await;
    Ok(id)
}

/// Deletes a channel nobody has used yet: with no conversation, no account that joined
/// it and no message sent from it (history is never thrown away; such a channel is
/// switched off instead). Its queue and Network connector go with it. Admins only.
pub async fn delete_channel(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    actor: &Actor,
    id: ChannelId,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let txn = begin_write(db).await.or_internal()?;
    lock_account(&txn, actor.account.0).await.or_internal()?;
    let c = channel_of(&txn, actor, id).await?;
    let conversations = conversation::Entity::find()
        .filter(conversation::Column::ChannelId.eq(c.id))
        .count(&txn)
        .await
        .or_internal()?;
    let joins = network_join::Entity::find()
        .filter(network_join::Column::ChannelId.eq(c.id))
        .count(&txn)
        .await
        .or_internal()?;
    let sent = network_message::Entity::find()
        .filter(network_message::Column::ChannelId.eq(c.id))
        .count(&txn)
        .await
        .or_internal()?;
    if conversations + joins + sent > 0 {
        return Err(AppError::Conflict {
            field: Field::Channel,
            code: Code::ChannelInUse,
        });
    }
    let avatar = network_connector::of_channel(&txn, c.id)
        .await?
        .and_then(|n| n.avatar_key);
    channel_operator::Entity::delete_many()
        .filter(channel_operator::Column::ChannelId.eq(c.id))
        .exec(&txn)
        .await
        .or_internal()?;
    network_connector::Entity::delete_many()
        .filter(network_connector::Column::ChannelId.eq(c.id))
        .exec(&txn)
        .await
        .or_internal()?;
    open_channel::Entity::delete_by_id(c.id)
        .exec(&txn)
        .await
        .or_internal()?;
    if let Some(key) = avatar {
        drop_avatar_if_unused(&txn, &key).await?;
    }
    txn.commit().await.or_internal()
}
