//! REST API credentials and the Network methods' rules.
//!
//! A credential belongs to one membership (user + account), so it fixes both the user and
//! the account every call acts as. Webhooks never expire (until revoked); access tokens
//! last an hour, like Bitrix24's OAuth access tokens. Only SHA-256 of a secret is stored;
//! the secret itself is shown once, when it is made.

use crate::backend::auth::token_hash;
use crate::backend::entities::{account, membership, network_join, network_message, rest_credential};
use crate::backend::principal::Actor;
use crate::backend::services::accounts;
use crate::backend::{internal, now_ms, random_token, OrInternal};
use crate::domain::{Role, UserId};
use crate::error::{AppError, Code, Field};
use crate::views::CredentialView;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set, SqlErr,
};

/// Permission groups of REST methods.
pub const SCOPES: [&str; 2] = ["imopenlines", "im"];

/// The credentials a user makes for themselves on the profile page (apps' tokens are
/// managed on the app's page).
const OWN_KINDS: [&str; 2] = ["webhook", "token"];

/// How long an access token lasts.
pub const TOKEN_TTL_MS: i64 = 3600 * 1000;

/// Checks a list of scopes (`imopenlines`, `im`; at least one) and returns it normalised.
pub fn parse_scopes(raw: &[String]) -> Result<Vec<String>, AppError> {
    let mut out: Vec<String> = Vec::new();
    for s in raw.iter().flat_map(|s| s.split(',')) {
        let s = s.trim().to_ascii_lowercase();
        if s.is_empty() {
            continue;
        }
        if !SCOPES.contains(&s.as_str()) {
            return Err(AppError::Invalid {
                field: Field::Scopes,
                code: Code::ScopeUnknown,
            });
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(AppError::Invalid {
            field: Field::Scopes,
            code: Code::Required,
        });
    }
    out.sort();
    Ok(out)
}

fn title_of(raw: &str) -> Result<String, AppError> {
    let t = raw.trim();
    if t.chars().count() > 64 {
        return Err(AppError::Invalid {
            field: Field::Title,
            code: Code::TooLong,
        });
    }
    if t.chars().any(char::is_control) {
        return Err(AppError::Invalid {
            field: Field::Title,
            code: Code::ControlChars,
        });
    }
    Ok(t.to_string())
}

async fn make(
    db: &impl ConnectionTrait,
    kind: &str,
    user: UserId,
    slug: &str,
    title: &str,
    scopes: &[String],
    expires_at: i64,
) -> Result<(rest_credential::Model, String), AppError> {
    let actor = accounts::actor(db, user, slug).await?;
    let title = title_of(title)?;
    let scopes = parse_scopes(scopes)?;
    // A bounded number per member: REST limits are per user, and credentials are not a
    // way around them or a store of unbounded rows.
    let held = rest_credential::Entity::find()
        .filter(rest_credential::Column::UserId.eq(user.0))
        .filter(rest_credential::Column::AccountId.eq(actor.account.0))
        .filter(rest_credential::Column::Kind.eq(kind))
        .filter(
            sea_orm::Condition::any()
                .add(rest_credential::Column::ExpiresAt.eq(0))
                .add(rest_credential::Column::ExpiresAt.gt(now_ms())),
        )
        .count(db)
        .await
        .or_internal()?;
    if held >= MAX_CREDENTIALS {
        return Err(AppError::Invalid {
            field: Field::Title,
            code: Code::CredentialLimit,
        });
    }
    insert(db, kind, user, actor.account.0, &title, &scopes, expires_at, None).await
}

/// Webhooks, and live profile tokens, one member may hold in one account.
pub const MAX_CREDENTIALS: u64 = 20;

/// Stores a new credential with a fresh 128-bit secret; returns it and the secret.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert(
    db: &impl ConnectionTrait,
    kind: &str,
    user: UserId,
    account: i64,
    title: &str,
    scopes: &[String],
    expires_at: i64,
    app_id: Option<i64>,
) -> Result<(rest_credential::Model, String), AppError> {
    loop {
        let secret = random_token(16);
        let r = rest_credential::ActiveModel {
            kind: Set(kind.to_string()),
            user_id: Set(user.0),
            account_id: Set(account),
            secret_hash: Set(token_hash(&secret)),
            hint: Set(secret[..6].to_string()),
            title: Set(title.to_string()),
            scopes: Set(scopes.join(",")),
            created_at: Set(now_ms()),
            expires_at: Set(expires_at),
            app_id: Set(app_id),
            ..Default::default()
        }
        .insert(db)
        .await;
        match r {
            Ok(m) => return Ok((m, secret)),
            // A 128-bit collision: draw again.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => continue,
            Err(e) => return Err(internal(e)),
        }
    }
}

/// A new inbound webhook of `user` in account `slug`; returns it and its secret code.
pub async fn create_webhook(
    db: &impl ConnectionTrait,
    user: UserId,
    slug: &str,
    title: &str,
    scopes: &[String],
) -> Result<(rest_credential::Model, String), AppError> {
    make(db, "webhook", user, slug, title, scopes, 0).await
}

/// A new access token (one hour) of `user` in account `slug`; returns it and the token.
pub async fn issue_token(
    db: &impl ConnectionTrait,
    user: UserId,
    slug: &str,
    scopes: &[String],
) -> Result<(rest_credential::Model, String), AppError> {
    make(db, "token", user, slug, "", scopes, now_ms() + TOKEN_TTL_MS).await
}

/// The user's credentials that still work, newest first.
pub async fn list(db: &impl ConnectionTrait, user: UserId) -> Result<Vec<CredentialView>, AppError> {
    let now = now_ms();
    let rows = rest_credential::Entity::find()
        .filter(rest_credential::Column::UserId.eq(user.0))
        .filter(rest_credential::Column::Kind.is_in(OWN_KINDS))
        .order_by_desc(rest_credential::Column::Id)
        .all(db)
        .await
        .or_internal()?;
    let accounts: Vec<account::Model> = account::Entity::find()
        .filter(account::Column::Id.is_in(rows.iter().map(|r| r.account_id).collect::<Vec<_>>()))
        .all(db)
        .await
        .or_internal()?;
    Ok(rows
        .into_iter()
        .filter(|r| r.expires_at == 0 || r.expires_at > now)
        .map(|r| {
            let acc = accounts.iter().find(|a| a.id == r.account_id);
            CredentialView {
                id: r.id,
                kind: r.kind,
                account_name: acc.map(|a| a.name.clone()).unwrap_or_default(),
                account_slug: acc.map(|a| a.slug.clone()).unwrap_or_default(),
                title: r.title,
                scopes: r.scopes.split(',').map(str::to_string).collect(),
                hint: r.hint,
                created_at: r.created_at,
                expires_at: r.expires_at,
            }
        })
        .collect())
}

/// Revokes one of the user's own credentials.
pub async fn revoke(db: &impl ConnectionTrait, user: UserId, id: i64) -> Result<(), AppError> {
    let r = rest_credential::Entity::delete_many()
        .filter(rest_credential::Column::Id.eq(id))
        .filter(rest_credential::Column::UserId.eq(user.0))
        .filter(rest_credential::Column::Kind.is_in(OWN_KINDS))
        .exec(db)
        .await
        .or_internal()?;
    if r.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Who a REST call acts as.
#[derive(Clone, Debug)]
pub struct RestCaller {
    pub actor: Actor,
    pub user_name: String,
    pub scopes: Vec<String>,
    /// The credential's id (the rate limit's key).
    pub credential: i64,
    pub kind: String,
    /// The OAuth app the credential was issued to (none: a webhook or a profile token).
    pub app: Option<i64>,
}

impl RestCaller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// Why a credential was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// Unknown, revoked, or not this user's.
    Invalid,
    /// An access token past its hour.
    Expired,
}

pub(crate) async fn caller_of(
    db: &impl ConnectionTrait,
    r: rest_credential::Model,
) -> Result<RestCaller, AuthFailure> {
    // The membership must still exist: removing a member disables their credentials.
    let m = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(r.account_id))
        .filter(membership::Column::UserId.eq(r.user_id))
        .one(db)
        .await
        .map_err(|_| AuthFailure::Invalid)?
        .ok_or(AuthFailure::Invalid)?;
    let acc = account::Entity::find_by_id(m.account_id)
        .one(db)
        .await
        .map_err(|_| AuthFailure::Invalid)?
        .ok_or(AuthFailure::Invalid)?;
    let actor = accounts::actor(db, UserId(r.user_id), &acc.slug)
        .await
        .map_err(|_| AuthFailure::Invalid)?;
    let name = crate::backend::entities::user::Entity::find_by_id(r.user_id)
        .one(db)
        .await
        .map_err(|_| AuthFailure::Invalid)?
        .map(|u| u.name)
        .unwrap_or_default();
    Ok(RestCaller {
        actor,
        user_name: name,
        scopes: r.scopes.split(',').map(str::to_string).collect(),
        credential: r.id,
        kind: r.kind,
        app: r.app_id,
    })
}

pub(crate) async fn find(
    db: &impl ConnectionTrait,
    kinds: &[&str],
    secret: &str,
) -> Result<rest_credential::Model, AuthFailure> {
    rest_credential::Entity::find()
        .filter(rest_credential::Column::SecretHash.eq(token_hash(secret)))
        .filter(rest_credential::Column::Kind.is_in(kinds.iter().copied()))
        .one(db)
        .await
        .map_err(|_| AuthFailure::Invalid)?
        .ok_or(AuthFailure::Invalid)
}

/// `/rest/{user_id}/{code}/…`: the webhook `code` of user `user_id`.
pub async fn by_webhook(
    db: &impl ConnectionTrait,
    user_id: i64,
    code: &str,
) -> Result<RestCaller, AuthFailure> {
    let r = find(db, &["webhook"], code).await?;
    if r.user_id != user_id {
        return Err(AuthFailure::Invalid);
    }
    caller_of(db, r).await
}

/// `?auth=TOKEN`: a profile's access token or an OAuth app's.
pub async fn by_token(db: &impl ConnectionTrait, token: &str) -> Result<RestCaller, AuthFailure> {
    let r = find(db, &["token", "oauth"], token).await?;
    if r.expires_at <= now_ms() {
        return Err(AuthFailure::Expired);
    }
    caller_of(db, r).await
}

/// `imopenlines.network.join`: the caller's account joins the external channel behind
/// `code` (admins only). Idempotent: the same id every time.
pub async fn network_join(db: &impl ConnectionTrait, actor: &Actor, channel: i64) -> Result<i64, AppError> {
    if actor.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let existing = || async {
        network_join::Entity::find()
            .filter(network_join::Column::AccountId.eq(actor.account.0))
            .filter(network_join::Column::ChannelId.eq(channel))
            .one(db)
            .await
            .or_internal()
    };
    if let Some(j) = existing().await? {
        return Ok(j.id);
    }
    let r = network_join::ActiveModel {
        account_id: Set(actor.account.0),
        channel_id: Set(channel),
        created_at: Set(now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await;
    match r {
        Ok(j) => Ok(j.id),
        // Joined concurrently: the unique index decided; answer with that row.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            existing().await?.map(|j| j.id).ok_or(AppError::Internal)
        }
        Err(e) => Err(internal(e)),
    }
}

/// Whether the account has joined the channel.
pub async fn has_joined(db: &impl ConnectionTrait, account: i64, channel: i64) -> Result<bool, AppError> {
    Ok(network_join::Entity::find()
        .filter(network_join::Column::AccountId.eq(account))
        .filter(network_join::Column::ChannelId.eq(channel))
        .one(db)
        .await
        .or_internal()?
        .is_some())
}

/// Records one `network.message.add` for (channel, user, account) unless the limit of
/// `max` per `window_ms` is reached (`false` then).
pub async fn count_network_message(
    db: &impl ConnectionTrait,
    channel: i64,
    user: i64,
    account: i64,
    max: u32,
    window_ms: i64,
) -> Result<bool, AppError> {
    let now = now_ms();
    let recent = network_message::Entity::find()
        .filter(network_message::Column::ChannelId.eq(channel))
        .filter(network_message::Column::UserId.eq(user))
        .filter(network_message::Column::AccountId.eq(account))
        .filter(network_message::Column::CreatedAt.gt(now - window_ms))
        .count(db)
        .await
        .or_internal()?;
    if recent >= max as u64 {
        return Ok(false);
    }
    network_message::ActiveModel {
        channel_id: Set(channel),
        user_id: Set(user),
        account_id: Set(account),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .or_internal()?;
    Ok(true)
}
