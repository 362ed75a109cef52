//! The token endpoint (`/oauth/token/`): codes traded for tokens, refresh tokens used
//! once, and the purge of expired ones.

use super::*;

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

pub(super) const INVALID_CLIENT: OAuthError = OAuthError::new("invalid_client", "Invalid client credentials");
pub(super) const INVALID_GRANT: OAuthError =
    OAuthError::new("invalid_grant", "Invalid authorization code or refresh token");
pub(super) const SERVER_ERROR: OAuthError = OAuthError::new("server_error", "Internal server error");

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

pub(super) async fn client(
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
pub(super) async fn issue<
    C: ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>,
>(
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
pub(super) async fn still_member(
    db: &impl ConnectionTrait,
    app: &rest_app::Model,
    user: i64,
) -> Result<(), OAuthError> {
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
pub(super) async fn revoke_family(
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
    crate::backend::services::app_events::drop_grants(db, app.account_id, Some(app.id), user)
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
