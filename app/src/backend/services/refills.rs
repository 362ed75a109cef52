//! Refills: what a refused form had typed, kept on the server so the page that shows the
//! error can fill the form in again — never in the redirect's URL, where a long text
//! made multi-kilobyte addresses that proxies refuse (losing the input) and a large body
//! became a megabytes-long `Location` header.
//!
//! One row per browser, named by the SHA-256 of its refill cookie (a later refusal
//! replaces the earlier one), read only on the page the form was sent back to, kept for
//! [`TTL_MS`] and purged by the housekeeping worker. Bounded: [`MAX_FIELDS`] fields,
//! [`MAX_VALUE_CHARS`] characters a field, [`MAX_BYTES`] in all; the form endpoints'
//! own body limits come first, and the server limits how many are written per client IP.

use crate::backend::auth::token_hash;
use crate::backend::entities::form_refill;
use crate::backend::{now_ms, OrInternal};
use crate::error::AppError;
use rand::RngCore;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use std::collections::BTreeMap;

/// The cookie that names a browser's refill (`__Host-` prefixed over HTTPS).
pub const COOKIE: &str = "netlines_refill";
/// How long a refill is kept: long enough to read the error and go on typing.
pub const TTL_MS: i64 = 15 * 60 * 1000;
/// At most this many fields are kept.
pub const MAX_FIELDS: usize = 64;
/// At most this many characters of each field are kept (more than any form field takes).
pub const MAX_VALUE_CHARS: usize = 20_000;
/// At most this many bytes of keys and values in all; fields past it are dropped.
pub const MAX_BYTES: usize = 64 * 1024;

/// Refills written per client IP: a burst, then one every ten seconds (a person corrects
/// a form a few times a minute; a script cannot fill the table: with the purge every
/// [`PURGE_EVERY`], one address holds at most ~120 rows, ~8 MB).
pub const WRITES_BURST: u32 = 20;
pub const WRITES_PER_SEC: f64 = 0.1;
/// How often the expired refills are deleted.
pub const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The cookie's name for a site served over HTTPS or not.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-netlines_refill"
    } else {
        COOKIE
    }
}

/// A new random cookie value.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Is `token` shaped like one this server hands out (so a forged cookie of any size is
/// never hashed or stored)?
pub fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The fields kept from `values`: non-empty ones, within the bounds above, in order.
pub fn bounded(values: &[(String, String)]) -> BTreeMap<String, String> {
    let mut kept = BTreeMap::new();
    let mut bytes = 0usize;
    for (k, v) in values {
        if v.is_empty() || k.len() > 64 || kept.contains_key(k) {
            continue;
        }
        if kept.len() == MAX_FIELDS {
            break;
        }
        let v: String = v.chars().take(MAX_VALUE_CHARS).collect();
        if bytes + k.len() + v.len() > MAX_BYTES {
            break;
        }
        bytes += k.len() + v.len();
        kept.insert(k.clone(), v);
    }
    kept
}

/// Keeps `values` for the browser holding `token`, to refill the form at `path`,
/// replacing what it had kept before. Nothing is written when no field is left.
pub async fn save(
    db: &impl ConnectionTrait,
    token: &str,
    path: &str,
    values: &[(String, String)],
) -> Result<(), AppError> {
    let kept = bounded(values);
    if kept.is_empty() || path.len() > 2048 {
        return Ok(());
    }
    let json = serde_json::to_string(&kept).or_internal()?;
    let row = form_refill::ActiveModel {
        token_hash: Set(token_hash(token)),
        path: Set(path.to_string()),
        values: Set(json),
        created_at: Set(now_ms()),
        ..Default::default()
    };
    form_refill::Entity::insert(row)
        .on_conflict(
            OnConflict::column(form_refill::Column::TokenHash)
                .update_columns([
                    form_refill::Column::Path,
                    form_refill::Column::Values,
                    form_refill::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .or_internal()?;
    Ok(())
}

/// What the browser holding `token` had typed into the form refused at `path`, if it is
/// still kept.
pub async fn load(
    db: &impl ConnectionTrait,
    token: &str,
    path: &str,
) -> Result<Option<BTreeMap<String, String>>, AppError> {
    if !well_formed(token) {
        return Ok(None);
    }
    let row = form_refill::Entity::find()
        .filter(form_refill::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await
        .or_internal()?;
    Ok(row
        .filter(|r| r.path == path && r.created_at > now_ms() - TTL_MS)
        .and_then(|r| serde_json::from_str(&r.values).ok()))
}

/// Forgets what the browser holding `token` had typed (at sign-out).
pub async fn forget(db: &impl ConnectionTrait, token: &str) -> Result<(), AppError> {
    if !well_formed(token) {
        return Ok(());
    }
    form_refill::Entity::delete_many()
        .filter(form_refill::Column::TokenHash.eq(token_hash(token)))
        .exec(db)
        .await
        .or_internal()?;
    Ok(())
}

/// Deletes the refills older than [`TTL_MS`]; returns how many.
pub async fn purge(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    let res = form_refill::Entity::delete_many()
        .filter(form_refill::Column::CreatedAt.lte(now_ms() - TTL_MS))
        .exec(db)
        .await
        .or_internal()?;
    Ok(res.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn empty_fields_are_not_kept_and_the_first_of_a_name_wins() {
        let kept = bounded(&pairs(&[("a", ""), ("b", "x"), ("b", "y")]));
        assert_eq!(kept.len(), 1);
        assert_eq!(kept["b"], "x");
    }

    #[test]
    fn fields_values_and_bytes_are_bounded() {
        let many: Vec<(String, String)> = (0..100).map(|i| (format!("f{i}"), "v".into())).collect();
        assert_eq!(bounded(&many).len(), MAX_FIELDS);
        let long = "ż".repeat(MAX_VALUE_CHARS + 10);
        let kept = bounded(&[("body".into(), long)]);
        assert_eq!(kept["body"].chars().count(), MAX_VALUE_CHARS);
        let big: Vec<(String, String)> = (0..10)
            .map(|i| (format!("f{i}"), "x".repeat(MAX_VALUE_CHARS)))
            .collect();
        let kept = bounded(&big);
        assert!(kept.values().map(|v| v.len()).sum::<usize>() <= MAX_BYTES);
        assert_eq!(kept.len(), 3);
        let odd_key = bounded(&[("k".repeat(65), "v".into())]);
        assert!(odd_key.is_empty());
    }

    #[test]
    fn only_tokens_this_server_makes_are_looked_up() {
        assert!(well_formed(&new_token()));
        assert!(!well_formed("abc"));
        assert!(!well_formed(&"g".repeat(64)));
        assert!(!well_formed(&"a".repeat(4096)));
    }
}
