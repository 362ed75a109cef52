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

/// Why an authorization request cannot even be shown (never redirected: the redirect
/// URI is not trusted yet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentError {
    /// No app with this `client_id`.
    UnknownClient,
    /// `redirect_uri` is not on the app's handler's site.
    BadRedirect,
    /// `response_type` other than `code`, or an over-long `state`.
    BadRequest,
    /// The signed-in user is not a member of the app's account.
    NotMember,
    Internal,
}

/// The redirect URI a consent answers to: the one asked for when it is on the same site
/// (scheme, host, port) as the app's handler URL; the handler URL when none is asked.
pub fn redirect_for(app: &rest_app::Model, asked: &str) -> Result<String, ConsentError> {
    let asked = asked.trim();
    if asked.is_empty() {
        return Ok(app.handler_url.clone());
    }
    let handler = url::Url::parse(&app.handler_url).map_err(|_| ConsentError::BadRedirect)?;
    let u = url::Url::parse(asked).map_err(|_| ConsentError::BadRedirect)?;
    let same_site = u.scheme() == handler.scheme()
        && u.host_str() == handler.host_str()
        && u.port_or_known_default() == handler.port_or_known_default()
        && u.username().is_empty()
        && u.password().is_none()
        && u.fragment().is_none()
        && asked.len() <= URL_MAX;
    if !same_site {
        return Err(ConsentError::BadRedirect);
    }
    Ok(u.to_string())
}

/// What the consent page needs, checked: the app, its account, the member.
pub async fn consent(
    db: &impl ConnectionTrait,
    user: UserId,
    client_id: &str,
    redirect_uri: &str,
    response_type: &str,
    state: &str,
) -> Result<(ConsentView, rest_app::Model), ConsentError> {
    let app = rest_app::Entity::find()
        .filter(rest_app::Column::ClientId.eq(client_id.trim()))
        .one(db)
        .await
        .map_err(|_| ConsentError::Internal)?
        .ok_or(ConsentError::UnknownClient)?;
    let redirect = redirect_for(&app, redirect_uri)?;
    if !(response_type.is_empty() || response_type == "code") || state.len() > STATE_MAX {
        return Err(ConsentError::BadRequest);
    }
    let acc = account::Entity::find_by_id(app.account_id)
        .one(db)
        .await
        .map_err(|_| ConsentError::Internal)?
        .ok_or(ConsentError::UnknownClient)?;
    accounts::actor(db, user, &acc.slug).await.map_err(|e| match e {
        AppError::NotFound | AppError::Forbidden => ConsentError::NotMember,
        _ => ConsentError::Internal,
    })?;
    let name = user::Entity::find_by_id(user.0)
        .one(db)
        .await
        .map_err(|_| ConsentError::Internal)?
        .map(|u| u.name)
        .unwrap_or_default();
    let origin = url::Url::parse(&redirect)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    Ok((
        ConsentView {
            app_name: app.name.clone(),
            account_name: acc.name,
            user_name: name,
            scopes: app.scopes.split(',').map(str::to_string).collect(),
            client_id: app.client_id.clone(),
            redirect_uri: redirect,
            redirect_origin: origin,
            state: state.to_string(),
        },
        app,
    ))
}

/// The signed-in member allowed the app: a one-use code, and where to send it.
/// Returns the full redirect address (`code`, `state`, `domain`, `member_id`, `scope`,
/// `server_domain`, as Bitrix24 sends them).
pub async fn allow(
    db: &impl ConnectionTrait,
    public_url: &str,
    user: UserId,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
) -> Result<String, ConsentError> {
    let (view, app) = consent(db, user, client_id, redirect_uri, "code", state).await?;
    let code = random_token(16);
    oauth_code::ActiveModel {
        code_hash: Set(token_hash(&code)),
        app_id: Set(app.id),
        user_id: Set(user.0),
        redirect_uri: Set(view.redirect_uri.clone()),
        expires_at: Set(now_ms() + CODE_TTL_MS),
        redirect_asked: Set(!redirect_uri.trim().is_empty()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|_| ConsentError::Internal)?;
    let domain = domain_of(public_url);
    let mut u = url::Url::parse(&view.redirect_uri).map_err(|_| ConsentError::BadRedirect)?;
    u.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", state)
        .append_pair("domain", &domain)
        .append_pair("member_id", &member_id(app.account_id))
        .append_pair("scope", &app.scopes)
        .append_pair("server_domain", &domain);
    Ok(u.to_string())
}

/// The member said no: back to the app with `error=access_denied`.
pub async fn deny(
    db: &impl ConnectionTrait,
    user: UserId,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
) -> Result<String, ConsentError> {
    let (view, _) = consent(db, user, client_id, redirect_uri, "code", state).await?;
    let mut u = url::Url::parse(&view.redirect_uri).map_err(|_| ConsentError::BadRedirect)?;
    u.query_pairs_mut()
        .append_pair("error", "access_denied")
        .append_pair("error_description", "The user denied access")
        .append_pair("state", state);
    Ok(u.to_string())
}

/// The host (and port) of the public URL: Bitrix24's `domain`.
pub fn domain_of(public_url: &str) -> String {
    url::Url::parse(public_url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_default()
}

/// An OAuth error as Bitrix24 answers it (`error`, `error_description`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    pub error: &'static str,
    pub description: &'static str,
}

impl OAuthError {
    const fn new(error: &'static str, description: &'static str) -> Self {
        Self { error, description }
    }
}

const INVALID_CLIENT: OAuthError = OAuthError::new("invalid_client", "Invalid client credentials");
const INVALID_GRANT: OAuthError =
    OAuthError::new("invalid_grant", "Invalid authorization code or refresh token");
const SERVER_ERROR: OAuthError = OAuthError::new("server_error", "Internal server error");

/// A successful `/oauth/token/` answer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TokenAnswer {
    pub access_token: String,
    /// Unix seconds when the access token expires.
    pub expires: i64,
    pub expires_in: i64,
    pub scope: String,
    pub domain: String,
    pub server_endpoint: String,
    pub status: &'static str,
    pub client_endpoint: String,
    pub member_id: String,
    pub user_id: i64,
    pub refresh_token: String,
}

async fn client(
    db: &impl ConnectionTrait,
    client_id: &str,
    secret: &str,
) -> Result<rest_app::Model, OAuthError> {
    let app = rest_app::Entity::find()
        .filter(rest_app::Column::ClientId.eq(client_id.trim()))
        .one(db)
        .await
        .map_err(|_| SERVER_ERROR)?
        .ok_or(INVALID_CLIENT)?;
    // Compared as hashes: equal length, and the stored value is not the secret.
    if token_hash(secret) != app.secret_hash {
        return Err(INVALID_CLIENT);
    }
    Ok(app)
}

/// Issues an access and a refresh token for (app, member) in one transaction.
async fn issue<C: ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>>(
    db: &C,
    public_url: &str,
    app: &rest_app::Model,
    user: i64,
) -> Result<TokenAnswer, OAuthError> {
    let scopes: Vec<String> = app.scopes.split(',').map(str::to_string).collect();
    let now = now_ms();
    let txn = db.begin().await.map_err(|_| SERVER_ERROR)?;
    let (access_row, access) = credentials::insert(
        &txn,
        "oauth",
        UserId(user),
        app.account_id,
        &app.name,
        &scopes,
        now + credentials::TOKEN_TTL_MS,
        Some(app.id),
    )
    .await
    .map_err(|_| SERVER_ERROR)?;
    let (_, refresh) = credentials::insert(
        &txn,
        "refresh",
        UserId(user),
        app.account_id,
        &app.name,
        &scopes,
        now + REFRESH_TTL_MS,
        Some(app.id),
    )
    .await
    .map_err(|_| SERVER_ERROR)?;
    txn.commit().await.map_err(|_| SERVER_ERROR)?;
    let base = public_url.trim_end_matches('/');
    Ok(TokenAnswer {
        access_token: access,
        expires: access_row.expires_at / 1000,
        expires_in: credentials::TOKEN_TTL_MS / 1000,
        scope: app.scopes.clone(),
        domain: domain_of(public_url),
        server_endpoint: format!("{base}/rest/"),
        status: "L",
        client_endpoint: format!("{base}/rest/"),
        member_id: member_id(app.account_id),
        user_id: user,
        refresh_token: refresh,
    })
}

/// The member must still belong to the app's account.
async fn still_member(db: &impl ConnectionTrait, app: &rest_app::Model, user: i64) -> Result<(), OAuthError> {
    let acc = account::Entity::find_by_id(app.account_id)
        .one(db)
        .await
        .map_err(|_| SERVER_ERROR)?
        .ok_or(INVALID_GRANT)?;
    accounts::actor(db, UserId(user), &acc.slug)
        .await
        .map(|_| ())
        .map_err(|e| match e {
            AppError::NotFound | AppError::Forbidden => INVALID_GRANT,
            _ => SERVER_ERROR,
        })
}

/// `grant_type=authorization_code`: trades a code (once) for tokens.
pub async fn exchange_code<
    C: ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>,
>(
    db: &C,
    public_url: &str,
    client_id: &str,
    secret: &str,
    code: &str,
    redirect_uri: Option<&str>,
) -> Result<TokenAnswer, OAuthError> {
    let app = client(db, client_id, secret).await?;
    let row = oauth_code::Entity::find()
        .filter(oauth_code::Column::CodeHash.eq(token_hash(code)))
        .one(db)
        .await
        .map_err(|_| SERVER_ERROR)?
        .ok_or(INVALID_GRANT)?;
    if row.app_id != app.id {
        return Err(INVALID_GRANT);
    }
    // Used once: whoever deletes the row first gets the tokens.
    let gone = oauth_code::Entity::delete_by_id(row.id)
        .exec(db)
        .await
        .map_err(|_| SERVER_ERROR)?;
    if gone.rows_affected != 1 || row.expires_at <= now_ms() {
        return Err(INVALID_GRANT);
    }
    // RFC 6749 §4.1.3 (and RFC 9700): when the authorization request named a redirect
    // URI, the token request must name exactly the same one; a named one must match
    // in any case.
    let named = redirect_uri.filter(|r| !r.is_empty());
    match named {
        Some(r) if r != row.redirect_uri => return Err(INVALID_GRANT),
        None if row.redirect_asked => return Err(INVALID_GRANT),
        _ => {}
    }
    still_member(db, &app, row.user_id).await?;
    issue(db, public_url, &app, row.user_id).await
}

/// A refresh token that was traded once: kept (until it would have expired) only to
/// recognise it if it comes back.
pub const USED_REFRESH: &str = "refresh-used";

/// `grant_type=refresh_token`: a refresh token (once) for a new pair. A refresh token
/// that was already traded coming back means two parties hold it (RFC 9700 §4.14.2):
/// the whole grant — every token of that app for that member, and the event bindings
/// acting with it — is revoked, so whoever stole it is cut off with the rightful app.
pub async fn refresh<C: ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>>(
    db: &C,
    public_url: &str,
    client_id: &str,
    secret: &str,
    refresh_token: &str,
) -> Result<TokenAnswer, OAuthError> {
    let app = client(db, client_id, secret).await?;
    let row = credentials::find(db, &["refresh", USED_REFRESH], refresh_token)
        .await
        .map_err(|_: AuthFailure| INVALID_GRANT)?;
    if row.app_id != Some(app.id) {
        return Err(INVALID_GRANT);
    }
    if row.kind == USED_REFRESH {
        revoke_family(db, &app, row.user_id).await?;
        tracing::warn!(
            app = app.id,
            user_id = row.user_id,
            "a used refresh token came back: the grant is revoked"
        );
        return Err(INVALID_GRANT);
    }
    // Used once: whoever marks it first gets the new pair.
    let used = rest_credential::Entity::update_many()
        .col_expr(
            rest_credential::Column::Kind,
            sea_orm::sea_query::Expr::value(USED_REFRESH),
        )
        .filter(rest_credential::Column::Id.eq(row.id))
        .filter(rest_credential::Column::Kind.eq("refresh"))
        .exec(db)
        .await
        .map_err(|_| SERVER_ERROR)?;
    if used.rows_affected != 1 {
        revoke_family(db, &app, row.user_id).await?;
        return Err(INVALID_GRANT);
    }
    if row.expires_at <= now_ms() {
        return Err(OAuthError::new("expired_token", "The refresh token has expired"));
    }
    still_member(db, &app, row.user_id).await?;
    issue(db, public_url, &app, row.user_id).await
}

/// Every token of `app` for `user`, and the bindings acting with that grant.
async fn revoke_family(
    db: &impl ConnectionTrait,
    app: &rest_app::Model,
    user: i64,
) -> Result<(), OAuthError> {
    rest_credential::Entity::delete_many()
        .filter(rest_credential::Column::AppId.eq(app.id))
        .filter(rest_credential::Column::UserId.eq(user))
        .exec(db)
        .await
        .map_err(|_| SERVER_ERROR)?;
    super::app_events::drop_grants(db, app.account_id, Some(app.id), user)
        .await
        .map_err(|_| SERVER_ERROR)?;
    Ok(())
}

/// Drops expired codes and tokens of apps (run now and then).
pub async fn purge_expired(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    let now = now_ms();
    let a = oauth_code::Entity::delete_many()
        .filter(oauth_code::Column::ExpiresAt.lte(now))
        .exec(db)
        .await
        .or_internal()?;
    let b = rest_credential::Entity::delete_many()
        .filter(rest_credential::Column::AppId.is_not_null())
        .filter(rest_credential::Column::ExpiresAt.lte(now))
        .exec(db)
        .await
        .or_internal()?;
    Ok(a.rows_affected + b.rows_affected)
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
