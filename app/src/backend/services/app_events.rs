//! Outgoing events of OAuth apps, as Bitrix24 sends them: an app binds an event to a
//! handler URL (`event.bind`); every change that raises the event writes one outbox row
//! per binding **in the transaction of the change** (so an acknowledged message always
//! has its event); a worker posts them form-encoded to the handler, in order per
//! conversation, retrying with exponential backoff for more than a day. Each event
//! carries a stable `event_id` (the outbox row's id) for de-duplication.
//!
//! Handlers on loopback, private, link-local and other non-public addresses are refused
//! (at bind time and again, on the resolved address, at every delivery) unless the
//! server's admin allows them (`NETLINES_EVENTS_ALLOW_PRIVATE`).

use crate::backend::entities::{event_binding, event_outbox, rest_app};
use crate::backend::OrInternal;
use crate::error::AppError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement, Value,
};
use std::net::{IpAddr, SocketAddr};

mod handlers;

pub use handlers::*;

/// A message added to a conversation (the customer's, an operator's or the channel's).
pub const MESSAGE_ADD: &str = "ONOPENLINEMESSAGEADD";
/// A conversation started.
pub const SESSION_START: &str = "ONSESSIONSTART";
/// A conversation finished.
pub const SESSION_FINISH: &str = "ONSESSIONFINISH";
/// Every event an app can bind.
pub const EVENTS: [&str; 3] = [MESSAGE_ADD, SESSION_START, SESSION_FINISH];
/// Bindings per app.
pub const MAX_BINDINGS: u64 = 50;
/// Bindings of all the apps of one account together: one change of the account writes
/// at most this many events (and posts at most this many requests).
pub const MAX_BINDINGS_PER_ACCOUNT: u64 = 100;
/// "Retry now" presses per app per minute.
pub const RETRIES_PER_MINUTE: u32 = 10;
/// Retries stop once an event is this old (Bitrix24-like: more than a day).
pub const GIVE_UP_AFTER_MS: i64 = 26 * 3600 * 1000;
/// A claimed event is someone else's to deliver for this long.
pub const LEASE_MS: i64 = 60_000;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const FAILED: &str = "failed";

/// The event's canonical (upper-case) name, if it is one Netlines raises.
pub fn event_name(raw: &str) -> Option<&'static str> {
    let up = raw.trim().to_ascii_uppercase();
    EVENTS.iter().copied().find(|e| *e == up)
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones: 30 s, 1 min,
/// 2 min… at most an hour.
pub fn backoff_ms(attempts: i32) -> i64 {
    let n = attempts.clamp(1, 20) as u32 - 1;
    (30_000i64.saturating_mul(1i64 << n.min(7))).min(3_600_000)
}

/// One binding as `event.get` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub id: i64,
    pub event: String,
    pub handler: String,
}

/// What `event.bind` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bound {
    /// Bound (or already bound: the same binding again is not a second one).
    Bound(Binding),
    /// The app already has [`MAX_BINDINGS`].
    AppFull,
    /// The account's apps already have [`MAX_BINDINGS_PER_ACCOUNT`].
    AccountFull,
}

/// `event.bind` for the member `user` whose grant the calling token carries: the
/// binding acts with that grant (events only of conversations `user` may read, none
/// once the grant is gone). The caps are checked and the row written under the
/// account's lock, so concurrent binds cannot pass them.
pub async fn bind(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    app: &rest_app::Model,
    user: i64,
    event: &'static str,
    handler: &str,
    now: i64,
) -> Result<Bound, AppError> {
    let txn = crate::backend::db::begin_write(db).await.or_internal()?;
    crate::backend::db::lock_account(&txn, app.account_id)
        .await
        .or_internal()?;
    let existing = event_binding::Entity::find()
        .filter(event_binding::Column::AppId.eq(app.id))
        .filter(event_binding::Column::UserId.eq(user))
        .filter(event_binding::Column::Event.eq(event))
        .filter(event_binding::Column::HandlerUrl.eq(handler))
        .one(&txn)
        .await
        .or_internal()?;
    if let Some(b) = existing {
        return Ok(Bound::Bound(Binding {
            id: b.id,
            event: b.event,
            handler: b.handler_url,
        }));
    }
    let of_app = event_binding::Entity::find()
        .filter(event_binding::Column::AppId.eq(app.id))
        .count(&txn)
        .await
        .or_internal()?;
    if of_app >= MAX_BINDINGS {
        return Ok(Bound::AppFull);
    }
    let of_account = event_binding::Entity::find()
        .filter(event_binding::Column::AccountId.eq(app.account_id))
        .count(&txn)
        .await
        .or_internal()?;
    if of_account >= MAX_BINDINGS_PER_ACCOUNT {
        return Ok(Bound::AccountFull);
    }
    let b = event_binding::ActiveModel {
        app_id: Set(app.id),
        account_id: Set(app.account_id),
        event: Set(event.to_string()),
        handler_url: Set(handler.to_string()),
        created_at: Set(now),
        user_id: Set(user),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .or_internal()?;
    txn.commit().await.or_internal()?;
    Ok(Bound::Bound(Binding {
        id: b.id,
        event: b.event,
        handler: b.handler_url,
    }))
}

/// Drops the bindings of `app` (every app when `None`) that act with `user`'s grants in
/// `account`, with their events not delivered yet: a revoked grant or a removed member
/// stops them at once. How many bindings.
pub async fn drop_grants(
    db: &impl ConnectionTrait,
    account: i64,
    app: Option<i64>,
    user: i64,
) -> Result<u64, AppError> {
    let mut q = event_binding::Entity::find()
        .filter(event_binding::Column::AccountId.eq(account))
        .filter(event_binding::Column::UserId.eq(user));
    if let Some(a) = app {
        q = q.filter(event_binding::Column::AppId.eq(a));
    }
    let ids: Vec<i64> = q.all(db).await.or_internal()?.into_iter().map(|b| b.id).collect();
    if ids.is_empty() {
        return Ok(0);
    }
    event_outbox::Entity::delete_many()
        .filter(event_outbox::Column::BindingId.is_in(ids.clone()))
        .filter(event_outbox::Column::Status.eq(PENDING))
        .exec(db)
        .await
        .or_internal()?;
    Ok(event_binding::Entity::delete_many()
        .filter(event_binding::Column::Id.is_in(ids))
        .exec(db)
        .await
        .or_internal()?
        .rows_affected)
}

/// `event.unbind`: the app's bindings of `event` (to `handler`, or to any); how many.
pub async fn unbind(
    db: &impl ConnectionTrait,
    app_id: i64,
    event: &'static str,
    handler: Option<&str>,
) -> Result<u64, AppError> {
    let mut q = event_binding::Entity::delete_many()
        .filter(event_binding::Column::AppId.eq(app_id))
        .filter(event_binding::Column::Event.eq(event));
    if let Some(h) = handler {
        q = q.filter(event_binding::Column::HandlerUrl.eq(h));
    }
    Ok(q.exec(db).await.or_internal()?.rows_affected)
}

/// `event.get`: the app's bindings.
pub async fn list(db: &impl ConnectionTrait, app_id: i64) -> Result<Vec<Binding>, AppError> {
    Ok(event_binding::Entity::find()
        .filter(event_binding::Column::AppId.eq(app_id))
        .order_by_asc(event_binding::Column::Id)
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(|b| Binding {
            id: b.id,
            event: b.event,
            handler: b.handler_url,
        })
        .collect())
}

fn placeholder(backend: DbBackend, n: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_string(),
    }
}

/// Writes `event` of conversation `conversation` (of the channel's account `account`;
/// `seq` of the message, or 0) for every binding of it, in the caller's transaction.
pub(crate) async fn record(
    txn: &impl ConnectionTrait,
    account: i64,
    event: &'static str,
    conversation: i64,
    seq: i64,
    now: i64,
) -> Result<(), AppError> {
    record_many(txn, event, &[(account, conversation, seq)], now)
        .await
        .or_internal()
}

/// [`record`] for many changes of one kind at once (the message writer's batches): one
/// statement per 300 changes, whatever the number of bindings.
///
/// A binding gets the event only while it acts with a live grant — the app still holds
/// an unexpired access or refresh token of the binding's member — and only when that
/// member may read the conversation: an admin of the account, or an operator in the
/// queue of the conversation's channel (`policy::operator_conversation`'s rule, asked
/// here in SQL so the message writer's batches pay one statement). The event's data
/// (the message, the conversation's state) is copied into the row now, so what is
/// delivered is what happened, however late.
pub(crate) async fn record_many(
    txn: &impl ConnectionTrait,
    event: &'static str,
    changes: &[(i64, i64, i64)],
    now: i64,
) -> Result<(), sea_orm::DbErr> {
    let backend = txn.get_database_backend();
    let data = match backend {
        DbBackend::Postgres => format!("json_build_object({DATA_FIELDS})::text"),
        _ => format!("json_object({DATA_FIELDS})"),
    };
    for chunk in changes.chunks(300) {
        // Values in the order their placeholders appear (SQLite's `?` are positional).
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 3 + 4);
        values.push(now.into());
        let next_at = placeholder(backend, values.len());
        values.push(now.into());
        let created_at = placeholder(backend, values.len());
        let mut rows = Vec::with_capacity(chunk.len());
        for (account, conversation, seq) in chunk {
            let mut row = Vec::with_capacity(3);
            for v in [*account, *conversation, *seq] {
                values.push(v.into());
                row.push(placeholder(backend, values.len()));
            }
            rows.push(format!("({})", row.join(", ")));
        }
        values.push(event.into());
        let ev = placeholder(backend, values.len());
        values.push(now.into());
        let live = placeholder(backend, values.len());
        let sql = format!(
            "INSERT INTO event_outbox (binding_id, account_id, event, conversation_id, seq, status, attempts, \
             next_at, lease_until, created_at, last_at, data) \
             SELECT b.id, b.account_id, b.event, v.column2, v.column3, '{PENDING}', 0, {next_at}, 0, {created_at}, 0, {data} \
             FROM event_bindings b JOIN (VALUES {}) AS v ON b.account_id = v.column1 \
             JOIN conversations c ON c.id = v.column2 \
             JOIN memberships mb ON mb.account_id = b.account_id AND mb.user_id = b.user_id \
             LEFT JOIN messages m ON m.conversation_id = v.column2 AND m.seq = v.column3 \
             WHERE b.event = {ev} \
             AND (mb.role = 'admin' OR (mb.role = 'operator' AND EXISTS (SELECT 1 FROM channel_operators co \
                  WHERE co.channel_id = c.channel_id AND co.user_id = b.user_id))) \
             AND EXISTS (SELECT 1 FROM rest_credentials rc WHERE rc.app_id = b.app_id AND rc.user_id = b.user_id \
                  AND rc.account_id = b.account_id AND rc.kind IN ('oauth', 'refresh') AND rc.expires_at > {live}) \
             ORDER BY v.column2, v.column3, b.id",
            rows.join(", ")
        );
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// The fields of an event's captured data (`json_object` / `json_build_object`
/// arguments): the message (for message events) and the conversation as they were.
const DATA_FIELDS: &str =
    "'message_id', m.id, 'date', m.created_at, 'text', m.body, 'user_id', m.author_user_id, \
     'author', m.author, 'status', c.status, 'operator_id', c.operator_user_id, 'channel_id', c.channel_id, \
     'customer_id', c.customer_user_id, 'customer_account_id', c.customer_account_id";

/// An event's data as captured when it happened ([`record_many`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct Captured {
    pub message_id: Option<i64>,
    pub date: Option<i64>,
    pub text: Option<String>,
    pub user_id: Option<i64>,
    pub author: Option<String>,
    pub status: Option<String>,
    pub operator_id: Option<i64>,
    pub channel_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub customer_account_id: Option<i64>,
}

impl Captured {
    pub fn parse(row: &event_outbox::Model) -> Option<Self> {
        serde_json::from_str(row.data.as_deref()?).ok()
    }
}

/// Events due for delivery: pending, past their time, and each the oldest pending one
/// of its app and conversation (so an app gets a conversation's events in order, whatever
/// events and handlers it bound) — at most `per_app` of each app, taken in turns (every
/// app's first, then every app's second…), so one app with many waiting events does not
/// crowd out the others. Each with its app's id.
pub async fn due(
    db: &impl ConnectionTrait,
    now: i64,
    per_app: u64,
    limit: u64,
) -> Result<Vec<(event_outbox::Model, i64)>, AppError> {
    let backend = db.get_database_backend();
    let p = |n| placeholder(backend, n);
    let sql = format!(
        "SELECT t.* FROM (SELECT o.*, ROW_NUMBER() OVER (PARTITION BY ob.app_id ORDER BY o.next_at, o.id) AS turn \
         FROM event_outbox o JOIN event_bindings ob ON ob.id = o.binding_id \
         WHERE o.status = {} AND o.next_at <= {} AND o.lease_until <= {} \
         AND NOT EXISTS (SELECT 1 FROM event_outbox e JOIN event_bindings eb ON eb.id = e.binding_id \
         WHERE eb.app_id = ob.app_id AND e.conversation_id = o.conversation_id AND e.status = {} AND e.id < o.id)) t \
         WHERE t.turn <= {} ORDER BY t.turn, t.next_at, t.id LIMIT {}",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5),
        p(6)
    );
    let rows = event_outbox::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            sql,
            [
                PENDING.into(),
                now.into(),
                now.into(),
                PENDING.into(),
                (per_app as i64).into(),
                (limit as i64).into(),
            ],
        ))
        .all(db)
        .await
        .or_internal()?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let apps: std::collections::HashMap<i64, i64> = event_binding::Entity::find()
        .filter(event_binding::Column::Id.is_in(rows.iter().map(|r| r.binding_id)))
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(|b| (b.id, b.app_id))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| apps.get(&r.binding_id).map(|a| (r.clone(), *a)))
        .collect())
}

/// Takes event `id` for one delivery attempt (false: another node has it).
pub async fn claim(db: &impl ConnectionTrait, id: i64, now: i64) -> Result<bool, AppError> {
    let r = event_outbox::Entity::update_many()
        .col_expr(event_outbox::Column::LeaseUntil, Expr::value(now + LEASE_MS))
        .filter(event_outbox::Column::Id.eq(id))
        .filter(event_outbox::Column::Status.eq(PENDING))
        .filter(event_outbox::Column::LeaseUntil.lte(now))
        .exec(db)
        .await
        .or_internal()?;
    Ok(r.rows_affected == 1)
}

/// How one attempt went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The handler answered 2xx.
    Delivered(u16),
    /// Another status, or no answer (the reason).
    Failed(Option<u16>, String),
    /// The event can never be delivered (its binding, app or conversation is gone, or
    /// the handler is refused): give up now.
    Dropped(String),
}

/// Records an attempt: delivered, or the next try after [`backoff_ms`] — or given up
/// once the event is older than [`GIVE_UP_AFTER_MS`].
pub async fn finish_attempt(
    db: &impl ConnectionTrait,
    row: &event_outbox::Model,
    outcome: Outcome,
    now: i64,
) -> Result<(), AppError> {
    let attempts = row.attempts + 1;
    let mut am: event_outbox::ActiveModel = row.clone().into();
    am.attempts = Set(attempts);
    am.last_at = Set(now);
    am.lease_until = Set(0);
    match outcome {
        Outcome::Delivered(code) => {
            am.status = Set(DELIVERED.into());
            am.last_status = Set(Some(code as i32));
            am.last_error = Set(None);
        }
        Outcome::Failed(code, why) => {
            am.last_status = Set(code.map(i32::from));
            am.last_error = Set(Some(why.chars().take(200).collect()));
            if now - row.created_at >= GIVE_UP_AFTER_MS {
                am.status = Set(FAILED.into());
            } else {
                am.next_at = Set(now + backoff_ms(attempts));
            }
        }
        Outcome::Dropped(why) => {
            am.status = Set(FAILED.into());
            am.last_status = Set(None);
            am.last_error = Set(Some(why.chars().take(200).collect()));
        }
    }
    am.update(db).await.or_internal()?;
    Ok(())
}

/// "Retry now" from the app's page: an event not delivered yet (pending, or given up)
/// is tried at once. Only the app's own events (checked by the caller's app id).
pub async fn retry_now(
    db: &impl ConnectionTrait,
    app_id: i64,
    event_id: i64,
    now: i64,
) -> Result<(), AppError> {
    let row = event_outbox::Entity::find_by_id(event_id)
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let binding = event_binding::Entity::find_by_id(row.binding_id)
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    if binding.app_id != app_id {
        return Err(AppError::NotFound);
    }
    if row.status == DELIVERED {
        return Ok(());
    }
    event_outbox::Entity::update_many()
        .col_expr(event_outbox::Column::Status, Expr::value(PENDING))
        .col_expr(event_outbox::Column::NextAt, Expr::value(now))
        .col_expr(event_outbox::Column::LeaseUntil, Expr::value(0i64))
        .filter(event_outbox::Column::Id.eq(row.id))
        .exec(db)
        .await
        .or_internal()?;
    Ok(())
}

/// Delivered events are kept this long (the delivery log), given-up ones longer.
pub const KEEP_DELIVERED_MS: i64 = 7 * 24 * 3600 * 1000;
pub const KEEP_FAILED_MS: i64 = 30 * 24 * 3600 * 1000;

/// Deletes delivered events older than a week and given-up ones older than 30 days
/// (hourly), so the outbox holds what is still to do and a recent log. How many.
pub async fn purge(db: &impl ConnectionTrait, now: i64) -> Result<u64, AppError> {
    use sea_orm::Condition;
    let r = event_outbox::Entity::delete_many()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(event_outbox::Column::Status.eq(DELIVERED))
                        .add(event_outbox::Column::CreatedAt.lt(now - KEEP_DELIVERED_MS)),
                )
                .add(
                    Condition::all()
                        .add(event_outbox::Column::Status.eq(FAILED))
                        .add(event_outbox::Column::CreatedAt.lt(now - KEEP_FAILED_MS)),
                ),
        )
        .exec(db)
        .await
        .or_internal()?;
    Ok(r.rows_affected)
}

/// One line of an app's delivery log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub event: String,
    pub handler: String,
    pub conversation: i64,
    pub status: String,
    pub attempts: i32,
    pub created_at: i64,
    pub last_at: i64,
    pub next_at: i64,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

/// The app's newest `limit` events with their delivery state.
pub async fn log(db: &impl ConnectionTrait, app_id: i64, limit: u64) -> Result<Vec<Delivery>, AppError> {
    let bindings = event_binding::Entity::find()
        .filter(event_binding::Column::AppId.eq(app_id))
        .all(db)
        .await
        .or_internal()?;
    if bindings.is_empty() {
        return Ok(Vec::new());
    }
    let rows = event_outbox::Entity::find()
        .filter(event_outbox::Column::BindingId.is_in(bindings.iter().map(|b| b.id)))
        .order_by_desc(event_outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .or_internal()?;
    Ok(rows
        .into_iter()
        .map(|r| Delivery {
            id: r.id,
            handler: bindings
                .iter()
                .find(|b| b.id == r.binding_id)
                .map(|b| b.handler_url.clone())
                .unwrap_or_default(),
            event: r.event,
            conversation: r.conversation_id,
            status: r.status,
            attempts: r.attempts,
            created_at: r.created_at,
            last_at: r.last_at,
            next_at: r.next_at,
            last_status: r.last_status,
            last_error: r.last_error,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_to_an_hour_and_retries_last_over_a_day() {
        assert_eq!(backoff_ms(1), 30_000);
        assert_eq!(backoff_ms(2), 60_000);
        assert_eq!(backoff_ms(3), 120_000);
        assert_eq!(backoff_ms(8), 3_600_000);
        assert_eq!(backoff_ms(500), 3_600_000);
        // Tried until the event is older than a day: at least 26 attempts.
        let mut t = 0;
        let mut n = 0;
        while t < GIVE_UP_AFTER_MS {
            n += 1;
            t += backoff_ms(n);
        }
        assert!(n >= 26, "{n}");
    }
}
