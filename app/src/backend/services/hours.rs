//! Working hours and automatic messages: the settings page's service, what customers are
//! told (open now or not), the offline message, and the timers.
//!
//! Timers are not kept in memory: each is a condition on stored columns (an unanswered
//! conversation older than N minutes without a no-answer message; an answered one
//! waiting for the customer since more than N minutes), so they survive a restart. Every
//! node runs [`run_timers`]; a timer fires in one write transaction that first claims it
//! in the database (the channel's row lock on PostgreSQL, the write lock on SQLite, then
//! a conditional update or a re-check), so it fires once whatever the number of nodes.

use super::conversations::{self as conv, close, hub_publish, message_view};
use crate::backend::db::begin_write;
use crate::backend::entities::{conversation, network_connector, open_channel};
use crate::backend::hub::{Hub, Topic};
use crate::backend::principal::Actor;
use crate::backend::OrInternal;
use crate::domain::conversation::{Author, ConversationStatus};
use crate::domain::hours::{clock, Availability, Hours, OfflineQueue};
use crate::domain::{ChannelId, ConversationId};
use crate::error::AppError;
use crate::protocol::ServerMsg;
use crate::views::HoursSettingsView;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

/// The most timers of one kind fired per channel per round.
const ROUND: u64 = 100;

/// What a customer is told about the channel's hours at `now` (`None`: no hours set).
pub fn availability(h: &Hours, now: i64) -> Option<Availability> {
    h.enabled.then(|| Availability {
        open: clock::open_at(h, now),
        next_change: clock::next_change(h, now),
        time_zone: h.time_zone.clone(),
        week: h.week,
    })
}

/// Is the channel outside its hours at `now` with an offline message to send?
pub fn offline_with_message(h: &Hours, now: i64) -> bool {
    h.enabled && !h.offline_message.trim().is_empty() && !clock::open_at(h, now)
}

/// The working-hours page of a connected channel. Admins only.
pub async fn settings(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ChannelId,
) -> Result<HoursSettingsView, AppError> {
    actor.require_admin()?;
    let c = open_channel::Entity::find_by_id(id.0)
        .filter(open_channel::Column::AccountId.eq(actor.account.0))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let n = network_connector::of_channel(db, c.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let hours = n.hours();
    Ok(HoursSettingsView {
        account: actor.summary(),
        channel_id: id,
        channel_name: c.name,
        connector_name: n.name.clone(),
        availability: availability(&hours, crate::backend::now_ms()),
        hours,
        ask_rating: n.ask_rating,
        time_zones: crate::domain::hours::time_zone_names(),
    })
}

/// Saves valid hours and automatic messages. Admins of the channel's account only.
pub async fn save(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    id: ChannelId,
    h: &Hours,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let txn = begin_write(db).await.or_internal()?;
    open_channel::Entity::find_by_id(id.0)
        .filter(open_channel::Column::AccountId.eq(actor.account.0))
        .one(&txn)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let n = network_connector::of_channel(&txn, id.0)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut am: network_connector::ActiveModel = n.into();
    am.hours_on = Set(h.enabled);
    am.time_zone = Set(h.time_zone.clone());
    am.week = Set(h.week_to_stored());
    am.holidays = Set(h.holidays_to_stored());
    am.offline_message = Set(h.offline_message.clone());
    am.offline_queue = Set(h.offline_queue.as_str().to_string());
    am.no_answer_minutes = Set(h.no_answer_minutes as i32);
    am.no_answer_message = Set(h.no_answer_message.clone());
    am.auto_close_minutes = Set(h.auto_close_minutes as i32);
    am.auto_close_message = Set(h.auto_close_message.clone());
    am.updated_at = Set(crate::backend::now_ms());
    am.update(&txn).await.or_internal()?;
    txn.commit().await.or_internal()?;
    // Hours may have opened the channel (or stopped holding it): hand out what waits.
    super::queue::redispatch(db, hub, id).await;
    Ok(())
}

/// Sends the offline message into `c` after a customer's message, in the caller's
/// transaction, once per offline period (not again until the channel has opened and
/// closed since). Returns the stored message, if one was sent.
pub(crate) async fn offline_notice(
    txn: &DatabaseTransaction,
    c: &mut conversation::Model,
    h: &Hours,
    now: i64,
) -> Result<Option<crate::backend::entities::message::Model>, AppError> {
    if !offline_with_message(h, now) {
        return Ok(None);
    }
    let since = clock::last_close(h, now);
    let told = c.offline_notice_at.is_some_and(|t| since.is_none_or(|s| t >= s));
    if told {
        return Ok(None);
    }
    conversation::Entity::update_many()
        .col_expr(conversation::Column::OfflineNoticeAt, Expr::value(now))
        .filter(conversation::Column::Id.eq(c.id))
        .exec(txn)
        .await
        .or_internal()?;
    c.offline_notice_at = Some(now);
    let id = format!("sys:offline:{}:{}", c.id, c.last_seq + 1);
    let m = conv::append(txn, c, Author::Channel, None, &id, &h.offline_message, now).await?;
    Ok(Some(m))
}

/// What one round of timers did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fired {
    pub no_answer: usize,
    pub closed: usize,
    /// Channels that opened with conversations waiting for them.
    pub opened: usize,
}

/// One round of every channel's timers at `now`: no-answer messages, auto-close, and
/// handing out conversations held outside working hours once the channel opens.
pub async fn run_timers(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    now: i64,
) -> Result<Fired, AppError> {
    let mut fired = Fired::default();
    let connectors = network_connector::Entity::find()
        .filter(network_connector::Column::Connected.eq(true))
        .filter(
            Condition::any()
                .add(network_connector::Column::NoAnswerMinutes.gt(0))
                .add(network_connector::Column::AutoCloseMinutes.gt(0))
                .add(network_connector::Column::HoursOn.eq(true)),
        )
        .all(db)
        .await
        .or_internal()?;
    for n in connectors {
        let h = n.hours();
        let open = clock::open_at(&h, now);
        if h.no_answer_minutes > 0 && !h.no_answer_message.trim().is_empty() && open {
            let cutoff = now - h.no_answer_minutes as i64 * 60_000;
            let due: Vec<i64> = conversation::Entity::find()
                .select_only()
                .column(conversation::Column::Id)
                .filter(conversation::Column::ChannelId.eq(n.channel_id))
                .filter(conversation::Column::Status.eq(ConversationStatus::New.as_str()))
                .filter(conversation::Column::NoAnswerAt.is_null())
                // Told already that the channel is offline: no second apology.
                .filter(conversation::Column::OfflineNoticeAt.is_null())
                .filter(conversation::Column::CreatedAt.lte(cutoff))
                .order_by_asc(conversation::Column::Id)
                .limit(ROUND)
                .into_tuple()
                .all(db)
                .await
                .or_internal()?;
            for id in due {
                if fire_no_answer(db, hub, &n, id, cutoff, now).await? {
                    fired.no_answer += 1;
                }
            }
        }
        if h.auto_close_minutes > 0 {
            let cutoff = now - h.auto_close_minutes as i64 * 60_000;
            let due: Vec<i64> = conversation::Entity::find()
                .select_only()
                .column(conversation::Column::Id)
                .filter(conversation::Column::ChannelId.eq(n.channel_id))
                .filter(conversation::Column::Status.eq(ConversationStatus::Open.as_str()))
                .filter(conversation::Column::AwaitingSince.lte(cutoff))
                .order_by_asc(conversation::Column::Id)
                .limit(ROUND)
                .into_tuple()
                .all(db)
                .await
                .or_internal()?;
            let mut any = false;
            for id in due {
                if fire_auto_close(db, hub, &n, id, cutoff, now).await? {
                    fired.closed += 1;
                    any = true;
                }
            }
            if any {
                // Their operators have room again.
                super::queue::redispatch(db, hub, ChannelId(n.channel_id)).await;
            }
        }
        if h.enabled && h.offline_queue == OfflineQueue::Wait && open && assigns(db, n.channel_id).await? {
            let waiting = conversation::Entity::find()
                .filter(conversation::Column::ChannelId.eq(n.channel_id))
                .filter(conversation::Column::Status.eq(ConversationStatus::New.as_str()))
                .filter(conversation::Column::OperatorUserId.is_null())
                .count(db)
                .await
                .or_internal()?;
            if waiting > 0 {
                let made = super::queue::dispatch(db, hub, ChannelId(n.channel_id)).await?;
                if !made.is_empty() {
                    fired.opened += 1;
                }
            }
        }
    }
    Ok(fired)
}

/// Does the channel hand conversations to one operator (else everyone sees them and
/// nothing is held back)?
async fn assigns(db: &impl ConnectionTrait, channel: i64) -> Result<bool, AppError> {
    Ok(open_channel::Entity::find_by_id(channel)
        .one(db)
        .await
        .or_internal()?
        .is_some_and(|c| super::queue::queue_of(&c).distribution.assigns()))
}

/// A committed message of the channel, to the conversation's followers and its operators.
fn publish_message(
    hub: &dyn Hub,
    n: &network_connector::Model,
    m: &crate::backend::entities::message::Model,
) {
    hub_publish(
        hub,
        &[
            Topic::Conversation(ConversationId(m.conversation_id)),
            Topic::Channel(ChannelId(n.channel_id)),
        ],
        ServerMsg::Message {
            message: message_view(m, &n.name),
        },
    );
}

/// Locks the channel's row (every writer's first lock) in a new write transaction.
async fn lock_channel(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    channel: i64,
) -> Result<DatabaseTransaction, AppError> {
    let txn = begin_write(db).await.or_internal()?;
    open_channel::Entity::find_by_id(channel)
        .lock_exclusive()
        .one(&txn)
        .await
        .or_internal()?;
    Ok(txn)
}

/// Sends the no-answer message into conversation `id` unless another node did: the
/// claim (setting `no_answer_at` where it is still empty and nobody has answered) and
/// the message commit together.
async fn fire_no_answer(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    n: &network_connector::Model,
    id: i64,
    cutoff: i64,
    now: i64,
) -> Result<bool, AppError> {
    let txn = lock_channel(db, n.channel_id).await?;
    let claimed = conversation::Entity::update_many()
        .col_expr(conversation::Column::NoAnswerAt, Expr::value(now))
        .filter(conversation::Column::Id.eq(id))
        .filter(conversation::Column::NoAnswerAt.is_null())
        .filter(conversation::Column::Status.eq(ConversationStatus::New.as_str()))
        .filter(conversation::Column::CreatedAt.lte(cutoff))
        .exec(&txn)
        .await
        .or_internal()?
        .rows_affected;
    if claimed == 0 {
        txn.rollback().await.or_internal()?;
        return Ok(false);
    }
    let mut c = conversation::Entity::find_by_id(id)
        .one(&txn)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let client_id = format!("sys:no-answer:{id}");
    let m = conv::append(
        &txn,
        &mut c,
        Author::Channel,
        None,
        &client_id,
        &n.no_answer_message,
        now,
    )
    .await?;
    txn.commit().await.or_internal()?;
    publish_message(hub, n, &m);
    Ok(true)
}

/// Closes conversation `id` after the customer's silence, with the closing message,
/// unless it changed meanwhile (the customer wrote, someone closed it, another node
/// fired): re-checked under the locks, in the transaction that closes it.
async fn fire_auto_close(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    n: &network_connector::Model,
    id: i64,
    cutoff: i64,
    now: i64,
) -> Result<bool, AppError> {
    let txn = lock_channel(db, n.channel_id).await?;
    let c = conversation::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await
        .or_internal()?;
    let Some(mut c) = c.filter(|c| {
        c.status == ConversationStatus::Open.as_str() && c.awaiting_since.is_some_and(|a| a <= cutoff)
    }) else {
        txn.rollback().await.or_internal()?;
        return Ok(false);
    };
    let message = if n.auto_close_message.trim().is_empty() {
        None
    } else {
        let client_id = format!("sys:auto-close:{id}");
        Some(
            conv::append(
                &txn,
                &mut c,
                Author::Channel,
                None,
                &client_id,
                &n.auto_close_message,
                now,
            )
            .await?,
        )
    };
    let c = close(&txn, c, now).await?;
    txn.commit().await.or_internal()?;
    if let Some(m) = message {
        publish_message(hub, n, &m);
    }
    super::queue::publish_committed(db, hub, std::slice::from_ref(&c)).await;
    Ok(true)
}
