//! `event.bind`, `event.unbind`, `event.get`: an OAuth app's event handlers.

#[allow(unused_imports)]
use super::*;

/// The OAuth app behind the caller's token; events are an app's (Bitrix24: "Application
/// context required").
pub(super) async fn caller_app(
    state: &AppState,
    caller: &RestCaller,
) -> Result<app::backend::entities::rest_app::Model, RestError> {
    let denied = || {
        RestError::new(
            StatusCode::FORBIDDEN,
            "WRONG_AUTH_TYPE",
            "Events are for OAuth apps: call with an app's access token",
        )
    };
    let id = caller.app.ok_or_else(denied)?;
    use sea_orm::EntityTrait;
    app::backend::entities::rest_app::Entity::find_by_id(id)
        .one(&state.db)
        .await
        .map_err(|_| RestError::from(AppError::Internal))?
        .ok_or_else(denied)
}

pub(super) fn event_param(p: &Params) -> Result<&'static str, RestError> {
    let raw = p
        .text("event")
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| RestError::bad("ERROR_EVENT_NOT_FOUND", "event is required"))?;
    app_events::event_name(&raw).ok_or_else(|| {
        RestError::bad(
            "ERROR_EVENT_NOT_FOUND",
            format!(
                "Unknown event {}: Netlines raises {}",
                raw.trim(),
                app_events::EVENTS.join(", ")
            ),
        )
    })
}

/// `event` and `handler` (default: the app's handler URL). The handler must be a public
/// http(s) address unless the server's admin allows private ones.
pub(super) async fn event_bind(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let app = caller_app(state, caller).await?;
    let event = event_param(p)?;
    // Open-line events carry conversations: the grant must include the scope that reads
    // them, and its member must be someone who reads conversations (an admin, or an
    // operator, who then gets those of the channels they serve).
    if !caller.has_scope("imopenlines") {
        return Err(RestError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "Open-line events need the imopenlines scope",
        ));
    }
    if !app::backend::policy::may_serve(caller.actor.role) {
        return Err(RestError::new(
            StatusCode::FORBIDDEN,
            "ACCESS_DENIED",
            "Only admins and operators, who read conversations, can receive open-line events",
        ));
    }
    let handler = p
        .text("handler")
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| app.handler_url.clone());
    if let Some(why) = app_events::handler_problem(&handler) {
        return Err(RestError::bad("WRONG_HANDLER_URL", why));
    }
    let url = url::Url::parse(&handler)
        .map_err(|_| RestError::bad("WRONG_HANDLER_URL", "handler must be an absolute http(s) URL"))?;
    app_events::resolve_handler(&url, state.config.events_allow_private)
        .await
        .map_err(|why| RestError::bad("WRONG_HANDLER_URL", why))?;
    match app_events::bind(
        &state.db,
        &app,
        caller.actor.user.0,
        event,
        &handler,
        app::backend::now_ms(),
    )
    .await?
    {
        app_events::Bound::Bound(_) => Ok(json!(true).into()),
        app_events::Bound::AppFull => Err(RestError::bad(
            "ERROR_EVENT_LIMIT",
            format!("An app binds at most {} handlers", app_events::MAX_BINDINGS),
        )),
        app_events::Bound::AccountFull => Err(RestError::bad(
            "ERROR_EVENT_LIMIT",
            format!(
                "The apps of an account bind at most {} handlers together",
                app_events::MAX_BINDINGS_PER_ACCOUNT
            ),
        )),
    }
}

pub(super) async fn event_unbind(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let app = caller_app(state, caller).await?;
    let event = event_param(p)?;
    let handler = p
        .text("handler")
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    let count = app_events::unbind(&state.db, app.id, event, handler.as_deref()).await?;
    Ok(json!({ "count": count }).into())
}

pub(super) async fn event_get(state: &AppState, caller: &RestCaller) -> Result<Output, RestError> {
    let app = caller_app(state, caller).await?;
    let list: Vec<Value> = app_events::list(&state.db, app.id)
        .await?
        .into_iter()
        .map(|b| json!({ "event": b.event, "handler": b.handler, "auth_type": "0", "offline": 0 }))
        .collect();
    Ok(json!(list).into())
}
