//! The node's periodic work: presence sweep, working-hours timers, the search indexer,
//! the purges (sessions, events, OAuth codes, unsent uploads, unreferenced files, form
//! refills) and the outgoing app events. Started by [`spawn_all`], stopped with the
//! application.

use app::backend::AppState;

/// Starts every worker of a node; the handles stop them.
pub(crate) fn spawn_all(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let mut background = vec![
        spawn_session_purge(state.clone()),
        spawn_refill_purge(state.clone()),
        spawn_presence_sweep(state.clone()),
        crate::app_events::spawn(state.clone()),
        spawn_timers(state.clone()),
    ];
    background.extend(spawn_search_indexer(state.db.clone()));
    background
}

/// Every second: operators who have had no inbox open on any node for the presence
/// time-to-live give their unanswered conversations of "evenly" and "strictly in order"
/// queues back, and the queues dispatch them again (a closed laptop, a crashed node);
/// and conversations left unanswered past their channel's time to take pass on.
fn spawn_presence_sweep(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let grace = state.config.presence_ttl;
        let mut seen: std::collections::HashSet<app::domain::UserId> = Default::default();
        let mut absent: std::collections::HashMap<app::domain::UserId, std::time::Instant> =
            Default::default();
        let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            every.tick().await;
            let online: std::collections::HashSet<_> = state.hub.online_users().into_iter().collect();
            let departed = state.hub.take_departed();
            for gone in seen.difference(&online).chain(departed.iter()) {
                absent.entry(*gone).or_insert_with(std::time::Instant::now);
            }
            absent.retain(|u, _| !online.contains(u));
            seen = online;
            let due: Vec<_> = absent
                .iter()
                .filter(|(_, since)| since.elapsed() >= grace)
                .map(|(u, _)| *u)
                .collect();
            for user in due {
                absent.remove(&user);
                match app::backend::services::queue::operator_gone(&state.db, state.hub.as_ref(), user).await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(
                        user_id = user.0,
                        conversations = n,
                        "an absent operator's waiting conversations went back to the queue"
                    ),
                    Err(e) => {
                        tracing::warn!(error = ?e, user_id = user.0, "re-dispatch after an operator left failed")
                    }
                }
            }
            // Time to take: unanswered assigned conversations pass to the next operator.
            match app::backend::services::queue::pass_on_untaken(
                &state.db,
                state.hub.as_ref(),
                app::backend::now_ms(),
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    conversations = n,
                    "untaken conversations passed to the next operator"
                ),
                Err(e) => tracing::warn!(error = ?e, "passing on untaken conversations failed"),
            }
        }
    })
}

/// Every two seconds: channels' automatic messages (no answer, auto-close) and handing
/// out conversations held outside working hours once a channel opens. Each timer is
/// claimed in the database, so every node may run this.
fn spawn_timers(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(2));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match app::backend::services::hours::run_timers(
                &state.db,
                state.hub.as_ref(),
                app::backend::now_ms(),
            )
            .await
            {
                Ok(f) if f == Default::default() => {}
                Ok(f) => tracing::info!(
                    no_answer = f.no_answer,
                    closed = f.closed,
                    opened = f.opened,
                    "channel timers fired"
                ),
                Err(e) => tracing::warn!(error = ?e, "channel timers failed"),
            }
        }
    })
}

/// Every quarter of a second (SQLite): adds a batch of the messages committed since to
/// the search index, off the message path. PostgreSQL keeps its own index.
fn spawn_search_indexer(db: sea_orm::DatabaseConnection) -> Option<tokio::task::JoinHandle<()>> {
    if sea_orm::ConnectionTrait::get_database_backend(&db) != sea_orm::DbBackend::Sqlite {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut every = tokio::time::interval(app::backend::services::search::INDEX_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = app::backend::services::search::index_pending(&db).await {
                tracing::warn!(error = ?e, "indexing messages for search failed");
            }
        }
    }))
}

/// Deletes expired and idle sessions, apps' expired codes and tokens, old delivered
/// events, REST uploads never sent, and attachments' bytes nothing refers to — once an
/// hour (and once at start).
fn spawn_session_purge(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let db = &state.db;
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match app::backend::auth::purge_expired_sessions(db, state.config.sessions.idle).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sessions = n, "expired sessions purged"),
                Err(e) => tracing::warn!(error = %e, "purging expired sessions failed"),
            }
            match app::backend::services::app_events::purge(db, app::backend::now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "old delivered and given-up events purged"),
                Err(e) => tracing::warn!(error = ?e, "purging old events failed"),
            }
            match app::backend::services::apps::purge_expired(db).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "expired OAuth codes and tokens purged"),
                Err(e) => tracing::warn!(error = %e, "purging OAuth codes and tokens failed"),
            }
            let storage = async {
                let unsent =
                    app::backend::services::storage::purge_unsent(db, app::backend::now_ms()).await?;
                let files = app::backend::services::storage::collect(db, state.files.as_ref()).await?;
                Ok::<_, app::error::AppError>((unsent, files))
            };
            match storage.await {
                Ok((0, 0)) => {}
                Ok((unsent, files)) => {
                    tracing::info!(unsent, files, "unsent uploads and unreferenced files removed")
                }
                Err(e) => tracing::warn!(error = ?e, "collecting unreferenced files failed"),
            }
        }
    })
}

/// Deletes refused forms' expired refills every minute (see `services::refills`).
fn spawn_refill_purge(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(app::backend::services::refills::PURGE_EVERY);
        loop {
            every.tick().await;
            if let Err(e) = app::backend::services::refills::purge(&state.db).await {
                tracing::warn!(error = ?e, "purging form refills failed");
            }
        }
    })
}
