//! OAuth 2.0 apps, as Bitrix24's "local applications" work.
//!
//! An account's admin registers an app (name, handler URL, scopes) and gets its
//! `client_id` and `client_secret` (the secret shown once; only its SHA-256 is kept). A
//! member of that account allows the app on the consent page; the app gets a one-use
//! code (valid a minute) at its redirect URI and trades it at `/oauth/token/` for an
//! access token (one hour) and a refresh token (28 days). A refresh token is used once:
//! refreshing rotates both. Tokens act as the member, with the member's rights in that
//! account and the app's scopes. Deleting the app, or revoking a member on the app's
//! page, removes every token at once; removing the member from the account disables them.

use super::accounts;
use super::credentials::{self, AuthFailure};
use crate::backend::auth::token_hash;
use crate::backend::entities::{
    account, event_binding, event_outbox, oauth_code, rest_app, rest_credential, user,
};
use crate::backend::principal::Actor;
use crate::backend::{internal, now_ms, random_token, OrInternal};
use crate::domain::UserId;
use crate::error::{AppError, Code, Field};
use crate::views::{AppView, ConsentView, GrantView};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set, SqlErr, TransactionTrait,
};
use sha2::{Digest, Sha256};

mod consent;
mod tokens;

pub use consent::*;
pub use tokens::*;

/// At most this many apps per account.
pub const MAX_APPS: u64 = 50;
/// How long an authorization code can be traded for tokens.
pub const CODE_TTL_MS: i64 = 60 * 1000;
/// How long a refresh token lasts (Bitrix24: 28 days).
pub const REFRESH_TTL_MS: i64 = 28 * 24 * 3600 * 1000;
/// The longest handler URL.
const URL_MAX: usize = 2000;
/// The longest `state` passed through the consent page.
pub const STATE_MAX: usize = 1000;

/// Checks an app's name: 1–64 characters, no control characters.
pub fn app_name(raw: &str) -> Result<String, AppError> {
    let t = raw.trim();
    let invalid = |code| AppError::Invalid {
        field: Field::Name,
        code,
    };
    if t.is_empty() {
        return Err(invalid(Code::Required));
    }
    if t.chars().count() > 64 {
        return Err(invalid(Code::TooLong));
    }
    if t.chars().any(char::is_control) {
        return Err(invalid(Code::ControlChars));
    }
    Ok(t.to_string())
}

/// Checks a handler URL: an absolute `https://` or `http://` address with a host, no
/// user name or password, no fragment, at most 2,000 characters.
pub fn handler_url(raw: &str) -> Result<String, AppError> {
    let t = raw.trim();
    let invalid = |code| AppError::Invalid {
        field: Field::HandlerUrl,
        code,
    };
    if t.is_empty() {
        return Err(invalid(Code::Required));
    }
    if t.len() > URL_MAX {
        return Err(invalid(Code::TooLong));
    }
    let u = url::Url::parse(t).map_err(|_| invalid(Code::UrlFormat))?;
    let ok = matches!(u.scheme(), "http" | "https")
        && u.host_str().is_some_and(|h| !h.is_empty())
        && u.username().is_empty()
        && u.password().is_none()
        && u.fragment().is_none();
    if !ok {
        return Err(invalid(Code::UrlFormat));
    }
    Ok(u.to_string())
}

/// The account's stable public id in OAuth answers and events (Bitrix24's `member_id`:
/// 32 hexadecimal digits).
pub fn member_id(account: i64) -> String {
    let d = Sha256::digest(format!("netlines-member-{account}").as_bytes());
    hex::encode(&d[..16])
}

fn new_client_id() -> String {
    use rand::Rng;
    let n: u32 = rand::thread_rng().gen_range(10_000_000..100_000_000);
    format!("local.{}.{n}", random_token(7))
}

/// Registers an app in the admin's account; returns it and its client secret.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    actor: &Actor,
    name: &str,
    handler: &str,
    scopes: &[String],
) -> Result<(rest_app::Model, String), AppError> {
    actor.require_admin()?;
    let mut errs = Vec::new();
    let name = app_name(name).map_err(|e| errs.push(e)).ok();
    let handler = handler_url(handler).map_err(|e| errs.push(e)).ok();
    let scopes = credentials::parse_scopes(scopes).map_err(|e| errs.push(e)).ok();
    let (Some(name), Some(handler), Some(scopes)) = (name, handler, scopes) else {
        return Err(errs.remove(0));
    };
    // Counted and written under the account's lock: registrations at the same moment
    // cannot pass the cap.
    let txn = crate::backend::db::begin_write(db).await.or_internal()?;
    crate::backend::db::lock_account(&txn, actor.account.0)
        .await
        .or_internal()?;
    let db = &txn;
    let count = rest_app::Entity::find()
        .filter(rest_app::Column::AccountId.eq(actor.account.0))
        .count(db)
        .await
        .or_internal()?;
    if count >= MAX_APPS {
        return Err(AppError::Invalid {
            field: Field::Name,
            code: Code::AppLimit,
        });
    }
    loop {
        let secret = random_token(25);
        let r = rest_app::ActiveModel {
            account_id: Set(actor.account.0),
            created_by: Set(actor.user.0),
            name: Set(name.clone()),
            handler_url: Set(handler.clone()),
            scopes: Set(scopes.join(",")),
            client_id: Set(new_client_id()),
            secret_hash: Set(token_hash(&secret)),
            secret_hint: Set(secret[..6].to_string()),
            application_token: Set(random_token(16)),
            created_at: Set(now_ms()),
            ..Default::default()
        }
        .insert(db)
        .await;
        match r {
            Ok(m) => {
                txn.commit().await.or_internal()?;
                return Ok((m, secret));
            }
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => continue,
            Err(e) => return Err(internal(e)),
        }
    }
}

/// Every checked field error of an app form at once (the form shows them all).
pub fn form_errors(name: &str, handler: &str, scopes: &[String]) -> Vec<AppError> {
    [
        app_name(name).err(),
        handler_url(handler).err(),
        credentials::parse_scopes(scopes).err(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The account's apps with the members who allowed each (admins only).
pub async fn list(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<AppView>, AppError> {
    actor.require_admin()?;
    let apps = rest_app::Entity::find()
        .filter(rest_app::Column::AccountId.eq(actor.account.0))
        .order_by_asc(rest_app::Column::Id)
        .all(db)
        .await
        .or_internal()?;
    let now = now_ms();
    let creds = rest_credential::Entity::find()
        .filter(rest_credential::Column::AppId.is_in(apps.iter().map(|a| a.id).collect::<Vec<_>>()))
        .filter(rest_credential::Column::Kind.eq("refresh"))
        .filter(rest_credential::Column::ExpiresAt.gt(now))
        .all(db)
        .await
        .or_internal()?;
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(creds.iter().map(|c| c.user_id).collect::<Vec<_>>()))
        .all(db)
        .await
        .or_internal()?;
    let mut logs = std::collections::HashMap::new();
    for a in &apps {
        let bindings = super::app_events::list(db, a.id).await?;
        let log = super::app_events::log(db, a.id, DELIVERY_LOG).await?;
        logs.insert(a.id, (bindings, log));
    }
    Ok(apps
        .into_iter()
        .map(|a| {
            let (bindings, log) = logs.remove(&a.id).unwrap_or_default();
            let mut grants: Vec<GrantView> = Vec::new();
            for c in creds.iter().filter(|c| c.app_id == Some(a.id)) {
                match grants.iter_mut().find(|g| g.user_id == c.user_id) {
                    Some(g) => g.last_issued_at = g.last_issued_at.max(c.created_at),
                    None => grants.push(GrantView {
                        user_id: c.user_id,
                        user_name: users
                            .iter()
                            .find(|u| u.id == c.user_id)
                            .map(|u| u.name.clone())
                            .unwrap_or_default(),
                        last_issued_at: c.created_at,
                    }),
                }
            }
            grants.sort_by(|a, b| a.user_name.cmp(&b.user_name));
            AppView {
                id: a.id,
                name: a.name,
                handler_url: a.handler_url,
                scopes: a.scopes.split(',').map(str::to_string).collect(),
                client_id: a.client_id,
                secret_hint: a.secret_hint,
                created_at: a.created_at,
                grants,
                bindings: bindings.into_iter().map(|b| (b.event, b.handler)).collect(),
                deliveries: log
                    .into_iter()
                    .map(|d| crate::views::DeliveryView {
                        id: d.id,
                        event: d.event,
                        conversation: d.conversation,
                        status: d.status,
                        attempts: d.attempts,
                        created_at: d.created_at,
                        last_at: d.last_at,
                        next_at: d.next_at,
                        last_status: d.last_status,
                        last_error: d.last_error,
                    })
                    .collect(),
            }
        })
        .collect())
}

/// Events shown in an app's delivery log.
pub const DELIVERY_LOG: u64 = 20;

/// "Retry now" on the app's page (admins of its account): the event is tried at once —
/// at most [`super::app_events::RETRIES_PER_MINUTE`] presses per app a minute (`presses`),
/// so the page cannot be used to fire requests at a handler.
pub async fn retry_event(
    db: &impl ConnectionTrait,
    presses: &crate::backend::ratelimit::FailureLimiter,
    actor: &Actor,
    app_id: i64,
    event_id: i64,
) -> Result<(), AppError> {
    let app = own_app(db, actor, app_id).await?;
    let key = format!("app:{}", app.id);
    if let Err(secs) = presses
        .try_attempt(&[(&key, super::app_events::RETRIES_PER_MINUTE)])
        .await
    {
        return Err(AppError::Limit {
            code: Code::RateLimited,
            retry_after_secs: secs,
        });
    }
    super::app_events::retry_now(db, app.id, event_id, now_ms()).await
}

async fn own_app(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<rest_app::Model, AppError> {
    actor.require_admin()?;
    rest_app::Entity::find_by_id(id)
        .filter(rest_app::Column::AccountId.eq(actor.account.0))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)
}

/// Deletes an app with its codes and every token it was given (admins of its account).
pub async fn delete<C: ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>>(
    db: &C,
    actor: &Actor,
    id: i64,
) -> Result<(), AppError> {
    let app = own_app(db, actor, id).await?;
    let txn = db.begin().await.or_internal()?;
    rest_credential::Entity::delete_many()
        .filter(rest_credential::Column::AppId.eq(app.id))
        .exec(&txn)
        .await
        .or_internal()?;
    oauth_code::Entity::delete_many()
        .filter(oauth_code::Column::AppId.eq(app.id))
        .exec(&txn)
        .await
        .or_internal()?;
    // Its events and bindings (explicitly: SQLite may run without foreign keys).
    let bindings: Vec<i64> = event_binding::Entity::find()
        .filter(event_binding::Column::AppId.eq(app.id))
        .all(&txn)
        .await
        .or_internal()?
        .into_iter()
        .map(|b| b.id)
        .collect();
    if !bindings.is_empty() {
        event_outbox::Entity::delete_many()
            .filter(event_outbox::Column::BindingId.is_in(bindings.clone()))
            .exec(&txn)
            .await
            .or_internal()?;
        event_binding::Entity::delete_many()
            .filter(event_binding::Column::Id.is_in(bindings))
            .exec(&txn)
            .await
            .or_internal()?;
    }
    rest_app::Entity::delete_by_id(app.id)
        .exec(&txn)
        .await
        .or_internal()?;
    txn.commit().await.or_internal()
}

/// Revokes one member's grant: every token and unused code the app holds for them, and
/// the event bindings that acted with it (with their events not delivered yet).
pub async fn revoke_member(
    db: &impl ConnectionTrait,
    actor: &Actor,
    app_id: i64,
    member: i64,
) -> Result<(), AppError> {
    let app = own_app(db, actor, app_id).await?;
    let bindings = super::app_events::drop_grants(db, app.account_id, Some(app.id), member).await?;
    let r = rest_credential::Entity::delete_many()
        .filter(rest_credential::Column::AppId.eq(app.id))
        .filter(rest_credential::Column::UserId.eq(member))
        .exec(db)
        .await
        .or_internal()?;
    oauth_code::Entity::delete_many()
        .filter(oauth_code::Column::AppId.eq(app.id))
        .filter(oauth_code::Column::UserId.eq(member))
        .exec(db)
        .await
        .or_internal()?;
    if r.rows_affected == 0 && bindings == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(handler: &str) -> rest_app::Model {
        rest_app::Model {
            id: 1,
            account_id: 1,
            created_by: 1,
            name: "A".into(),
            handler_url: handler.into(),
            scopes: "im".into(),
            client_id: "local.x.1".into(),
            secret_hash: String::new(),
            secret_hint: String::new(),
            application_token: String::new(),
            created_at: 0,
        }
    }

    #[test]
    fn handler_urls_are_absolute_web_addresses() {
        assert_eq!(
            handler_url(" https://app.example/b24 ").unwrap(),
            "https://app.example/b24"
        );
        assert_eq!(
            handler_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/"
        );
        for bad in [
            "ftp://x.example/",
            "app.example/b24",
            "https://user:pw@app.example/",
            "https://app.example/#frag",
            "javascript:alert(1)",
            "https://",
            "http://",
        ] {
            assert!(handler_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            handler_url(""),
            Err(AppError::Invalid {
                field: Field::HandlerUrl,
                code: Code::Required
            })
        );
        let long = format!("https://a.example/{}", "x".repeat(URL_MAX));
        assert!(matches!(
            handler_url(&long),
            Err(AppError::Invalid {
                code: Code::TooLong,
                ..
            })
        ));
    }

    #[test]
    fn redirects_stay_on_the_handlers_site() {
        let a = app("https://app.example/b24/handler");
        assert_eq!(redirect_for(&a, "").unwrap(), "https://app.example/b24/handler");
        assert_eq!(
            redirect_for(&a, "https://app.example/other?x=1").unwrap(),
            "https://app.example/other?x=1"
        );
        assert_eq!(
            redirect_for(&a, "https://app.example:443/x").unwrap(),
            "https://app.example/x"
        );
        for bad in [
            "https://evil.example/b24/handler",
            "http://app.example/b24/handler",
            "https://app.example:8443/x",
            "https://app.example.evil.example/",
            "https://app.example@evil.example/",
            "//evil.example/",
            "not a url",
        ] {
            assert_eq!(redirect_for(&a, bad), Err(ConsentError::BadRedirect), "{bad}");
        }
    }

    #[test]
    fn member_ids_are_stable_32_hex_digits() {
        assert_eq!(member_id(7), member_id(7));
        assert_ne!(member_id(7), member_id(8));
        assert_eq!(member_id(7).len(), 32);
        assert!(member_id(7).chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn client_ids_look_like_bitrix24_local_apps() {
        let id = new_client_id();
        let parts: Vec<&str> = id.split('.').collect();
        assert_eq!(parts[0], "local");
        assert_eq!(parts[1].len(), 14);
        assert_eq!(parts[2].len(), 8);
    }

    #[test]
    fn the_domain_keeps_a_port() {
        assert_eq!(domain_of("http://127.0.0.1:3000"), "127.0.0.1:3000");
        assert_eq!(domain_of("https://nl.example"), "nl.example");
    }
}
