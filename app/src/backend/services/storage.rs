//! What attachments' bytes cost and when they go: storage quotas per user and per
//! account, bytes of refused uploads deleted at once, and a collector that removes the
//! bytes nothing refers to any more.
//!
//! - **Quotas** ([`StorageQuotas`], `NETLINES_QUOTA_USER_MB`, `NETLINES_QUOTA_ACCOUNT_MB`):
//!   the sent attachments a user uploaded plus their unsent REST uploads, and the same
//!   for an account (what its members uploaded writing from it). Checked before any byte
//!   is kept ([`check_quota`]).
//! - **Refused bytes** ([`discard`]): an upload whose message is refused after its bytes
//!   were written has them deleted — unless something else refers to the same content,
//!   or another upload of it is under way in this process ([`InFlight`]).
//! - **The collector** ([`collect`]): every hour, files written more than
//!   [`COLLECT_GRACE`] ago that no attachment and no REST upload refers to are deleted.
//!   Safe across nodes sharing one folder: a file is written (or marked fresh) before
//!   the row that refers to it is committed, and the grace period is far longer than
//!   any upload's transaction.
//! - **Unsent REST uploads** are purged a day after they were made ([`purge_unsent`]).

use crate::backend::entities::{attachment, rest_upload};
use crate::backend::files::FileStore;
use crate::backend::OrInternal;
use crate::domain::{AccountId, UserId};
use crate::error::{AppError, Code, Field};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use std::collections::HashMap;
use std::sync::Mutex;

pub use crate::backend::config::StorageQuotas;

/// How long a file nothing refers to is left alone by the collector.
pub const COLLECT_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);
/// Files looked at per collection.
const COLLECT_BATCH: usize = 10_000;

async fn sum(
    db: &impl ConnectionTrait,
    q: sea_orm::Select<impl EntityTrait>,
    col: impl sea_orm::ColumnTrait,
) -> Result<i64, AppError> {
    let total: Option<Option<i64>> = q
        .select_only()
        .column_as(Expr::col(col).sum().cast_as("BIGINT"), "total")
        .into_tuple()
        .one(db)
        .await
        .or_internal()?;
    Ok(total.flatten().unwrap_or(0))
}

/// Bytes `user` has stored: the attachments they sent and their unsent REST uploads.
pub async fn used_by_user(db: &impl ConnectionTrait, user: UserId) -> Result<i64, AppError> {
    let sent = sum(
        db,
        attachment::Entity::find().filter(attachment::Column::UploadedBy.eq(user.0)),
        attachment::Column::Size,
    )
    .await?;
    let waiting = sum(
        db,
        rest_upload::Entity::find()
            .filter(rest_upload::Column::UserId.eq(user.0))
            .filter(rest_upload::Column::MessageId.is_null()),
        rest_upload::Column::Size,
    )
    .await?;
    Ok(sent + waiting)
}

/// Bytes stored by members writing from `account`.
pub async fn used_by_account(db: &impl ConnectionTrait, account: AccountId) -> Result<i64, AppError> {
    let sent = sum(
        db,
        attachment::Entity::find().filter(attachment::Column::ChargedAccount.eq(account.0)),
        attachment::Column::Size,
    )
    .await?;
    let waiting = sum(
        db,
        rest_upload::Entity::find()
            .filter(rest_upload::Column::AccountId.eq(account.0))
            .filter(rest_upload::Column::MessageId.is_null()),
        rest_upload::Column::Size,
    )
    .await?;
    Ok(sent + waiting)
}

/// Refuses `adding` more bytes when they would take `user` or `account` over its quota
/// (`storage_quota` / `account_storage_quota`). Checked before the bytes are kept; the
/// few uploads one user may send at once bound how far a race can overshoot.
pub async fn check_quota(
    db: &impl ConnectionTrait,
    quotas: &StorageQuotas,
    user: UserId,
    account: AccountId,
    adding: i64,
) -> Result<(), AppError> {
    if used_by_user(db, user).await? + adding > quotas.per_user_bytes {
        return Err(AppError::Invalid {
            field: Field::Files,
            code: Code::StorageQuota,
        });
    }
    if used_by_account(db, account).await? + adding > quotas.per_account_bytes {
        return Err(AppError::Invalid {
            field: Field::Files,
            code: Code::AccountStorageQuota,
        });
    }
    Ok(())
}

/// Content keys being written by uploads in this process (their rows are not
/// committed yet): [`discard`] leaves them alone.
#[derive(Default)]
pub struct InFlight {
    keys: Mutex<HashMap<String, usize>>,
}

/// Keys held in flight; released when dropped.
pub struct Held<'a> {
    owner: &'a InFlight,
    keys: Vec<String>,
}

impl InFlight {
    pub fn hold(&self, keys: Vec<String>) -> Held<'_> {
        let mut map = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        for k in &keys {
            *map.entry(k.clone()).or_insert(0) += 1;
        }
        Held { owner: self, keys }
    }

    fn holds(&self, key: &str) -> bool {
        let map = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        map.contains_key(key)
    }
}

impl Held<'_> {
    pub fn keys(&self) -> &[String] {
        &self.keys
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        let mut map = self.owner.keys.lock().unwrap_or_else(|e| e.into_inner());
        for k in &self.keys {
            if let Some(n) = map.get_mut(k) {
                *n -= 1;
                if *n == 0 {
                    map.remove(k);
                }
            }
        }
    }
}

/// The uploads of this process in flight.
pub fn in_flight() -> &'static InFlight {
    static F: std::sync::OnceLock<InFlight> = std::sync::OnceLock::new();
    F.get_or_init(InFlight::default)
}

/// Whether an attachment or a REST upload refers to `key` (as its bytes or thumbnail).
pub async fn referenced(db: &impl ConnectionTrait, key: &str) -> Result<bool, AppError> {
    let attached = attachment::Entity::find()
        .filter(
            Condition::any()
                .add(attachment::Column::Key.eq(key))
                .add(attachment::Column::ThumbKey.eq(key)),
        )
        .count(db)
        .await
        .or_internal()?;
    if attached > 0 {
        return Ok(true);
    }
    let uploaded = rest_upload::Entity::find()
        .filter(
            Condition::any()
                .add(rest_upload::Column::Key.eq(key))
                .add(rest_upload::Column::ThumbKey.eq(key)),
        )
        .count(db)
        .await
        .or_internal()?;
    Ok(uploaded > 0)
}

/// Deletes the bytes of a refused upload (`held`: its keys, still held in flight by the
/// caller), except those another row or another upload under way needs.
pub async fn discard(db: &impl ConnectionTrait, store: &dyn FileStore, held: Held<'_>) {
    let keys = held.keys.clone();
    drop(held);
    for key in keys {
        if in_flight().holds(&key) {
            continue;
        }
        match referenced(db, &key).await {
            Ok(false) => {
                if let Err(e) = store.delete(&key).await {
                    tracing::warn!(error = %e, %key, "deleting a refused upload's bytes failed");
                }
            }
            Ok(true) => {}
            Err(e) => tracing::warn!(error = ?e, %key, "checking a refused upload's bytes failed"),
        }
    }
}

/// One pass of the collector: files older than [`COLLECT_GRACE`] that nothing refers to
/// are deleted. Returns how many.
pub async fn collect(db: &impl ConnectionTrait, store: &dyn FileStore) -> Result<usize, AppError> {
    let candidates = store
        .older_than(COLLECT_GRACE, COLLECT_BATCH)
        .await
        .or_internal()?;
    let mut deleted = 0;
    for key in candidates {
        if in_flight().holds(&key) || referenced(db, &key).await? {
            continue;
        }
        store.delete(&key).await.or_internal()?;
        deleted += 1;
    }
    Ok(deleted)
}

/// Deletes REST uploads never sent within a day (their bytes go with the collector).
pub async fn purge_unsent(db: &impl ConnectionTrait, now: i64) -> Result<u64, AppError> {
    Ok(rest_upload::Entity::delete_many()
        .filter(rest_upload::Column::MessageId.is_null())
        .filter(rest_upload::Column::CreatedAt.lt(now - super::rest_uploads::KEEP_MS))
        .exec(db)
        .await
        .or_internal()?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_in_flight_are_held_until_every_holder_lets_go() {
        let f = InFlight::default();
        let a = f.hold(vec!["k1".into(), "k2".into()]);
        let b = f.hold(vec!["k1".into()]);
        assert!(f.holds("k1") && f.holds("k2"));
        drop(a);
        assert!(f.holds("k1") && !f.holds("k2"));
        drop(b);
        assert!(!f.holds("k1"));
    }
}
