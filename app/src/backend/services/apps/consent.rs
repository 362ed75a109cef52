//! The consent page: which redirect an app may use, and a member allowing or refusing it.

use super::*;

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
