//! Searching the account's conversations by message text and customer name, through
//! the full-text indexes of migration `m0012_search`, within the operator's rights: the
//! same channels the inbox shows them ([`super::inbox::visible_channels`]), re-checked
//! on the real columns whatever the index says.
//!
//! On SQLite the message index is filled after the fact by [`index_pending`], in
//! batches, so the message path does not pay for it; a search first indexes what is
//! still pending (up to one batch), so what was just sent is found.

use super::conversations::conversation_views;
use super::inbox::{page_of, visible_channels};
use crate::backend::db::begin_write;
use crate::backend::entities::conversation;
use crate::backend::principal::Actor;
use crate::backend::OrInternal;
use crate::domain::search::{fold_sql, SearchQuery};
use crate::error::AppError;
use crate::views::{SearchHit, SearchPage};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, Statement, Value,
};

/// Messages indexed per pass. Each pass holds SQLite's one write lock, so passes are
/// small and spaced ([`INDEX_EVERY`]): indexing never takes more than its share from
/// the message path, and under a sustained flood beyond [`INDEX_BATCH`] per
/// [`INDEX_EVERY`] the index falls behind and catches up once the flood is over.
pub const INDEX_BATCH: i64 = 500;
/// How often the server indexes a pass.
pub const INDEX_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Adds the messages committed since the last pass (at most [`INDEX_BATCH`]) to the
/// SQLite message index; answers how many it went through. Welcome messages are not
/// indexed. PostgreSQL keeps its index itself: nothing to do there.
pub async fn index_pending(db: &DatabaseConnection) -> Result<i64, AppError> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(0);
    }
    let txn = begin_write(db).await.or_internal()?;
    let one = |sql: &str, values: Vec<Value>| Statement::from_sql_and_values(DbBackend::Sqlite, sql, values);
    let done: i64 = txn
        .query_one_raw(one(
            "SELECT messages AS n FROM search_progress WHERE id = 1",
            vec![],
        ))
        .await
        .or_internal()?
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or(0);
    let upto: Option<i64> = txn
        .query_one_raw(one(
            "SELECT MAX(id) AS n FROM (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ?)",
            vec![done.into(), INDEX_BATCH.into()],
        ))
        .await
        .or_internal()?
        .and_then(|r| r.try_get::<Option<i64>>("", "n").ok())
        .flatten();
    let Some(upto) = upto else {
        return Ok(0);
    };
    // Each document starts with its account and channel as words of their own, so a
    // search reads only its own account's and channels' postings.
    // The text is folded as the queries fold it (`ł` → `l`…; the tokenizer folds the
    // rest).
    let sql = format!(
        "INSERT INTO message_fts (rowid, doc) \
         SELECT m.id, 'xa' || c.account_id || 'x xc' || c.channel_id || 'x ' || {} \
         FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE m.id > ? AND m.id <= ? AND m.author <> 'channel'",
        fold_sql(false, "m.body")
    );
    txn.execute_raw(one(&sql, vec![done.into(), upto.into()]))
        .await
        .or_internal()?;
    txn.execute_raw(one(
        "UPDATE search_progress SET messages = ? WHERE id = 1",
        vec![upto.into()],
    ))
    .await
    .or_internal()?;
    txn.commit().await.or_internal()?;
    Ok(upto - done)
}

/// `?` placeholders as the backend writes them: PostgreSQL numbers them (`$1`, `$2`…);
/// sea-query binds custom expressions' values only in the backend's own style.
fn placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_string();
    }
    let mut n = 0;
    let mut out = String::with_capacity(sql.len() + 8);
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

/// What selects the matching messages' ids (`m` is `messages`; one `?`), and its value.
fn message_match(backend: DbBackend, q: &SearchQuery, account: i64, channels: &[i64]) -> (String, Value) {
    match backend {
        DbBackend::Postgres => (
            format!(
                "to_tsvector('simple', {}) @@ to_tsquery('simple', ?) AND m.author <> 'channel'",
                fold_sql(true, "m.body")
            ),
            q.tsquery().into(),
        ),
        _ => {
            let scope = channels
                .iter()
                .map(|c| format!("xc{c}x"))
                .collect::<Vec<_>>()
                .join(" OR ");
            (
                "m.id IN (SELECT rowid FROM message_fts WHERE message_fts MATCH ?)".into(),
                format!("xa{account}x AND ({scope}) AND {}", q.fts5()).into(),
            )
        }
    }
}

/// What selects the users whose name matches (`u` is `users`; one `?`), and its value.
fn name_match(backend: DbBackend, q: &SearchQuery) -> (String, Value) {
    match backend {
        DbBackend::Postgres => (
            format!(
                "to_tsvector('simple', {}) @@ to_tsquery('simple', ?)",
                fold_sql(true, "u.name")
            ),
            q.tsquery().into(),
        ),
        _ => (
            "u.id IN (SELECT rowid FROM user_fts WHERE user_fts MATCH ?)".into(),
            q.fts5().into(),
        ),
    }
}

/// Conversations of the actor's account, in channels they may see, whose customer's
/// name or any message matches `q`; newest activity first, a page after `cursor`.
pub async fn search(
    db: &DatabaseConnection,
    actor: &Actor,
    q: &SearchQuery,
    cursor: Option<&str>,
) -> Result<SearchPage, AppError> {
    let channels: Vec<i64> = visible_channels(db, actor)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    if channels.is_empty() {
        return Ok(SearchPage {
            items: Vec::new(),
            next: None,
        });
    }
    index_pending(db).await?;
    let backend = db.get_database_backend();
    let (messages, mv) = message_match(backend, q, actor.account.0, &channels);
    let (names, nv) = name_match(backend, q);
    let matched = Expr::cust_with_values(
        placeholders(
            backend,
            &format!(
                "(conversations.id IN (SELECT m.conversation_id FROM messages m WHERE {messages}) \
                 OR conversations.customer_user_id IN (SELECT u.id FROM users u WHERE {names}))"
            ),
        ),
        [mv.clone(), nv],
    );
    let select = conversation::Entity::find()
        .filter(conversation::Column::AccountId.eq(actor.account.0))
        .filter(conversation::Column::ChannelId.is_in(channels))
        .filter(matched);
    let (rows, next) = page_of(db, select, cursor).await?;
    let snippets = latest_matches(db, backend, &messages, mv, &rows).await?;
    let views = conversation_views(db, &rows).await?;
    Ok(SearchPage {
        items: views
            .into_iter()
            .map(|c| {
                let hit = snippets.iter().find(|(id, _, _)| *id == c.id.0);
                SearchHit {
                    snippet: hit.map(|(_, _, body)| crate::domain::search::snippet(body, q)),
                    seq: hit.map(|(_, seq, _)| *seq),
                    conversation: c,
                }
            })
            .collect(),
        next,
    })
}

/// For each conversation of `rows`, its latest matching message: (conversation, seq, body).
async fn latest_matches(
    db: &DatabaseConnection,
    backend: DbBackend,
    messages: &str,
    value: Value,
    rows: &[conversation::Model],
) -> Result<Vec<(i64, i64, String)>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = rows
        .iter()
        .map(|c| c.id.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!(
        "SELECT m.conversation_id AS c, m.seq AS s, m.body AS b FROM messages m WHERE m.id IN \
         (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id IN ({ids}) AND {messages} \
          GROUP BY m.conversation_id)"
    );
    let sql = placeholders(backend, &sql);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [value]))
        .await
        .or_internal()?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get::<i64>("", "c").or_internal()?,
                r.try_get::<i64>("", "s").or_internal()?,
                r.try_get::<String>("", "b").or_internal()?,
            ))
        })
        .collect()
}
