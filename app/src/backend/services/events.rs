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
use crate::backend::internal;
use crate::error::AppError;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement, Value,
};
use std::net::{IpAddr, SocketAddr};

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

/// Whether events may go to `ip` without the admin's permission: only public unicast
/// addresses.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                // Carrier-grade NAT 100.64/10, benchmarking 198.18/15, reserved 240/4.
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32,
                // NAT64 64:ff9b::/96 (reaches IPv4 addresses behind it).
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x0064 && s[1] == 0xff9b))
        }
    }
}

/// Why a handler URL is refused (English: REST errors are English).
pub fn handler_problem(raw: &str) -> Option<&'static str> {
    let Ok(u) = url::Url::parse(raw.trim()) else {
        return Some("handler must be an absolute http(s) URL");
    };
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none_or(str::is_empty) {
        return Some("handler must be an absolute http(s) URL");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Some("handler must not carry a user name or password");
    }
    if raw.len() > 2000 {
        return Some("handler is longer than 2,000 characters");
    }
    None
}

/// The addresses `url` resolves to, all of them public unless `allow_private`; the
/// delivery connects to exactly these (no second lookup an attacker's DNS could change).
pub async fn resolve_handler(url: &url::Url, allow_private: bool) -> Result<Vec<SocketAddr>, String> {
    let host = url.host_str().ok_or("the handler has no host")?;
    let port = url.port_or_known_default().ok_or("the handler has no port")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(
            std::time::Duration::from_secs(5),
            tokio::net::lookup_host((host, port)),
        )
        .await
        .map_err(|_| "the handler's host name did not resolve in time".to_string())?
        .map_err(|_| "the handler's host name does not resolve".to_string())?
        .collect(),
    };
    if addrs.is_empty() {
        return Err("the handler's host name does not resolve".into());
    }
    if !allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err("the handler is on a private, loopback or otherwise non-public address".into());
    }
    Ok(addrs)
}

/// One binding as `event.get` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub id: i64,
    pub event: String,
    pub handler: String,
}

/// `event.bind`: idempotent (the same binding again is not a second one); `None` when the
/// app already has [`MAX_BINDINGS`].
pub async fn bind(
    db: &impl ConnectionTrait,
    app: &rest_app::Model,
    event: &'static str,
    handler: &str,
    now: i64,
) -> Result<Option<Binding>, AppError> {
    let existing = event_binding::Entity::find()
        .filter(event_binding::Column::AppId.eq(app.id))
        .filter(event_binding::Column::Event.eq(event))
        .filter(event_binding::Column::HandlerUrl.eq(handler))
        .one(db)
        .await
        .map_err(internal)?;
    if let Some(b) = existing {
        return Ok(Some(Binding {
            id: b.id,
            event: b.event,
            handler: b.handler_url,
        }));
    }
    let count = event_binding::Entity::find()
        .filter(event_binding::Column::AppId.eq(app.id))
        .count(db)
        .await
        .map_err(internal)?;
    if count >= MAX_BINDINGS {
        return Ok(None);
    }
    let b = event_binding::ActiveModel {
        app_id: Set(app.id),
        account_id: Set(app.account_id),
        event: Set(event.to_string()),
        handler_url: Set(handler.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(internal)?;
    Ok(Some(Binding {
        id: b.id,
        event: b.event,
        handler: b.handler_url,
    }))
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
    Ok(q.exec(db).await.map_err(internal)?.rows_affected)
}

/// `event.get`: the app's bindings.
pub async fn list(db: &impl ConnectionTrait, app_id: i64) -> Result<Vec<Binding>, AppError> {
    Ok(event_binding::Entity::find()
        .filter(event_binding::Column::AppId.eq(app_id))
        .order_by_asc(event_binding::Column::Id)
        .all(db)
        .await
        .map_err(internal)?
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
        .map_err(internal)
}

/// [`record`] for many changes of one kind at once (the message writer's batches): one
/// statement per 300 changes, whatever the number of bindings.
pub(crate) async fn record_many(
    txn: &impl ConnectionTrait,
    event: &'static str,
    changes: &[(i64, i64, i64)],
    now: i64,
) -> Result<(), sea_orm::DbErr> {
    let backend = txn.get_database_backend();
    for chunk in changes.chunks(300) {
        // Values in the order their placeholders appear (SQLite's `?` are positional).
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 3 + 3);
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
        let sql = format!(
            "INSERT INTO event_outbox (binding_id, account_id, event, conversation_id, seq, status, attempts, \
             next_at, lease_until, created_at, last_at) \
             SELECT b.id, b.account_id, b.event, v.column2, v.column3, '{PENDING}', 0, {next_at}, 0, {created_at}, 0 \
             FROM event_bindings b JOIN (VALUES {}) AS v ON b.account_id = v.column1 \
             WHERE b.event = {ev} ORDER BY v.column2, v.column3, b.id",
            rows.join(", ")
        );
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

/// Events due for delivery: pending, past their time, and each the oldest pending one
/// of its app and conversation (so an app gets a conversation's events in order, whatever
/// events and handlers it bound).
pub async fn due(
    db: &impl ConnectionTrait,
    now: i64,
    limit: u64,
) -> Result<Vec<event_outbox::Model>, AppError> {
    let backend = db.get_database_backend();
    let p = |n| placeholder(backend, n);
    let sql = format!(
        "SELECT o.* FROM event_outbox o JOIN event_bindings ob ON ob.id = o.binding_id \
         WHERE o.status = {} AND o.next_at <= {} AND o.lease_until <= {} \
         AND NOT EXISTS (SELECT 1 FROM event_outbox e JOIN event_bindings eb ON eb.id = e.binding_id \
         WHERE eb.app_id = ob.app_id AND e.conversation_id = o.conversation_id AND e.status = {} AND e.id < o.id) \
         ORDER BY o.next_at, o.id LIMIT {}",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5)
    );
    event_outbox::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            backend,
            sql,
            [
                PENDING.into(),
                now.into(),
                now.into(),
                PENDING.into(),
                (limit as i64).into(),
            ],
        ))
        .all(db)
        .await
        .map_err(internal)
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
        .map_err(internal)?;
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
    am.update(db).await.map_err(internal)?;
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
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let binding = event_binding::Entity::find_by_id(row.binding_id)
        .one(db)
        .await
        .map_err(internal)?
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
        .map_err(internal)?;
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
        .map_err(internal)?;
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
        .map_err(internal)?;
    if bindings.is_empty() {
        return Ok(Vec::new());
    }
    let rows = event_outbox::Entity::find()
        .filter(event_outbox::Column::BindingId.is_in(bindings.iter().map(|b| b.id)))
        .order_by_desc(event_outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
        .map_err(internal)?;
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

    #[test]
    fn only_public_addresses_take_events_without_the_admins_permission() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn handlers_are_absolute_web_urls_without_credentials() {
        assert_eq!(handler_problem("https://app.example.com/events"), None);
        for bad in [
            "",
            "/events",
            "ftp://x.example.com/",
            "javascript:alert(1)",
            "https://user:pw@x.example.com/",
            "http://",
        ] {
            assert!(handler_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(event_name("onOpenLineMessageAdd"), Some(MESSAGE_ADD));
        assert_eq!(event_name("OnCrmLeadAdd"), None);
    }

    #[tokio::test]
    async fn private_handlers_are_refused_unless_allowed() {
        let u = url::Url::parse("http://127.0.0.1:9/x").unwrap();
        assert!(resolve_handler(&u, false).await.is_err());
        assert_eq!(
            resolve_handler(&u, true).await.unwrap(),
            vec!["127.0.0.1:9".parse().unwrap()]
        );
        let u = url::Url::parse("http://localhost:9/x").unwrap();
        assert!(resolve_handler(&u, false).await.is_err());
        let u = url::Url::parse("http://[::1]:9/x").unwrap();
        assert!(resolve_handler(&u, false).await.is_err());
    }
}
