//! `imopenlines.*`: joining a channel and writing through it, the channels' settings
//! (`config.*`), dialogs, the operator's actions and sessions.

#[allow(unused_imports)]
use super::*;

pub(super) async fn network_join(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let code = code_param(p)?;
    let info = available_channel(state, &code).await?;
    if info.account == caller.actor.account {
        return Err(RestError::bad(
            "WRONG_REQUEST",
            "This is your own account's channel",
        ));
    }
    let id = credentials::network_join(&state.db, &caller.actor, info.channel.0).await?;
    Ok(json!(id).into())
}

pub(super) async fn network_message_add(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let code = code_param(p)?;
    let user_id = p
        .int("USER_ID")
        .ok_or_else(|| RestError::bad("USER_ID_EMPTY", "USER_ID is required"))?;
    let message = p
        .text("MESSAGE")
        .ok_or_else(|| RestError::bad("MESSAGE_EMPTY", "MESSAGE is required"))?;
    let text = message.trim().to_string();
    if let Some(a) = p.get("ATTACH") {
        if serde_json::to_string(a).map(|s| s.len()).unwrap_or(0) > 30 * 1024 {
            return Err(RestError::bad("ATTACH_OVERSIZE", "ATTACH is larger than 30 KB"));
        }
    }
    // Rich blocks and link buttons, shown as such in the chat (not flattened to text).
    let mut rich =
        app::domain::rich::from_bitrix(p.get("ATTACH"), p.get("KEYBOARD")).map_err(|e| match e {
            app::domain::rich::RichError::Attach(why) => RestError::bad("ATTACH_ERROR", why),
            app::domain::rich::RichError::Keyboard(why) => RestError::bad("KEYBOARD_ERROR", why),
        })?;
    // Marked with the calling account wherever it is shown.
    rich.via = Some(caller.actor.account_name.clone());
    if let Some(v) = p.text("URL_PREVIEW") {
        if v != "Y" && v != "N" {
            return Err(RestError::bad("WRONG_REQUEST", "URL_PREVIEW must be Y or N"));
        }
    }
    let body = MessageBody::parse(&text).map_err(|_| {
        RestError::bad(
            "WRONG_REQUEST",
            "MESSAGE is too long (at most 4,000 characters in all)",
        )
    })?;
    let info = available_channel(state, &code).await?;
    // The channel's admin may refuse messages from other accounts' apps.
    if !info.rest_messages {
        return Err(RestError::new(
            StatusCode::FORBIDDEN,
            "ACCESS_DENIED",
            "The channel does not take messages from other accounts' apps",
        ));
    }
    if !credentials::has_joined(&state.db, caller.actor.account.0, info.channel.0).await? {
        return Err(RestError::bad(
            "WRONG_REQUEST",
            "Join the channel first (imopenlines.network.join)",
        ));
    }
    // The recipient: a member of the caller's account, writing "from" it.
    let member = app::backend::services::accounts::actor(
        &state.db,
        app::domain::UserId(user_id),
        caller.actor.slug.as_str(),
    )
    .await
    .map_err(|_| RestError::bad("WRONG_REQUEST", "USER_ID is not a member of this account"))?;
    let name = app::backend::services::users::find_by_id(&state.db, member.user)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let customer = Customer::of_member(&member, &name);
    let limits = state.config.rest;
    let r = messaging::channel_send(
        &state.db,
        state.hub.as_ref(),
        &customer,
        &code,
        &body,
        Some(&rich),
        (limits.network_messages, limits.network_window_secs as i64 * 1000),
    )
    .await;
    match r {
        Ok(_) => Ok(json!(true).into()),
        Err(AppError::Limit {
            code: app::error::Code::MessageLimit,
            ..
        }) => Err(RestError::bad(
            "USER_MESSAGE_LIMIT",
            format!(
                "At most {} message(s) per user every {} s",
                limits.network_messages, limits.network_window_secs
            ),
        )),
        Err(e) => Err(e.into()),
    }
}

pub(super) fn yn(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

pub(super) fn config_json(c: &app::api::ChannelView) -> Value {
    json!({
        "ID": c.id.0,
        "LINE_NAME": c.name,
        "ACTIVE": yn(c.active),
        "QUEUE_TYPE": match c.distribution { Distribution::All => "all", Distribution::Even => "evenly", Distribution::Strict => "strictly" },
        "MAX_CHAT": c.capacity,
        "QUEUE_TIME": c.take_seconds,
        "QUEUE": c.operators.iter().map(|u| json!({"ENTITY_TYPE": "user", "ENTITY_ID": u.0})).collect::<Vec<_>>(),
        "NETWORK": c.network.as_ref().map(|n| json!({"CODE": n.code, "CONNECTED": yn(n.connected), "NAME": n.name})),
    })
}

pub(super) async fn config_list(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let cc = channels::contact_center(&state.db, &caller.actor).await?;
    let list: Vec<Value> = cc.channels.iter().map(config_json).collect();
    Ok(page(list, p))
}

pub(super) async fn config_get(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = p
        .int("CONFIG_ID")
        .ok_or_else(|| RestError::bad("CONFIG_ID_EMPTY", "CONFIG_ID is required"))?;
    let cc = channels::contact_center(&state.db, &caller.actor).await?;
    let c = cc
        .channels
        .iter()
        .find(|c| c.id.0 == id)
        .ok_or_else(|| RestError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Open channel is not found"))?;
    Ok(config_json(c).into())
}

pub(super) fn config_id(p: &Params) -> Result<ChannelId, RestError> {
    p.int("CONFIG_ID")
        .map(ChannelId)
        .ok_or_else(|| RestError::bad("CONFIG_ID_EMPTY", "CONFIG_ID is required"))
}

pub(super) async fn config_add(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let change = config_change(p)?;
    let id = channels::configure(&state.db, state.hub.as_ref(), &caller.actor, None, change).await?;
    Ok(json!(id.0).into())
}

pub(super) async fn config_update(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = config_id(p)?;
    let change = config_change(p)?;
    channels::configure(&state.db, state.hub.as_ref(), &caller.actor, Some(id), change).await?;
    Ok(json!(true).into())
}

pub(super) async fn config_delete(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = config_id(p)?;
    channels::delete_channel(&state.db, &caller.actor, id).await?;
    Ok(json!(true).into())
}

/// The `PARAMS` of `imopenlines.config.add / update`, read as Bitrix24 names them (keys
/// in any case). Keys Netlines has no setting for (`WORKTIME_*`, `CLOSE_RULE`…) are
/// ignored, as Bitrix24 ignores unknown ones; a known key with a wrong value is refused.
pub(super) fn config_change(p: &Params) -> Result<ConfigChange, RestError> {
    let params: serde_json::Map<String, Value> = match p.get("PARAMS") {
        None => serde_json::Map::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v.clone()))
            .collect(),
        Some(Value::Array(a)) if a.is_empty() => serde_json::Map::new(),
        Some(_) => return Err(RestError::bad("WRONG_REQUEST", "PARAMS must be an object")),
    };
    let text = |k: &str| -> Option<String> {
        match params.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let flag = |k: &str| -> Result<Option<bool>, RestError> {
        match params.get(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => match v
                .as_str()
                .map(str::trim)
                .or(v.as_i64().map(|n| if n == 0 { "N" } else { "Y" }))
            {
                Some("Y" | "y" | "1" | "true") => Ok(Some(true)),
                Some("N" | "n" | "0" | "false") => Ok(Some(false)),
                _ => Err(RestError::bad("WRONG_REQUEST", format!("{k} must be Y or N"))),
            },
        }
    };
    let mut change = ConfigChange::default();
    if params.contains_key("LINE_NAME") {
        change.name = Some(ChannelName::parse(&text("LINE_NAME").unwrap_or_default())?);
    }
    change.active = flag("ACTIVE")?;
    change.network = flag("NETWORK")?;
    if params.contains_key("QUEUE_TYPE") {
        let raw = text("QUEUE_TYPE").unwrap_or_default();
        change.distribution = Some(match raw.trim() {
            "evenly" => Distribution::Even,
            "strictly" => Distribution::Strict,
            "all" => Distribution::All,
            other => Distribution::parse(other)?,
        });
    }
    if params.contains_key("MAX_CHAT") {
        let raw = text("MAX_CHAT").unwrap_or_default();
        // Bitrix24's 0 is "no limit": the most Netlines allows.
        change.capacity = Some(if raw.trim() == "0" {
            Capacity::new(Capacity::MAX as i64)?
        } else {
            Capacity::parse(&raw)?
        });
    }
    if params.contains_key("QUEUE_TIME") {
        change.take = Some(TakeTime::parse(&text("QUEUE_TIME").unwrap_or_default())?);
    }
    if let Some(q) = params.get("QUEUE") {
        change.operators = Some(queue_param(q)?);
    }
    let welcome_on = flag("WELCOME_MESSAGE")?;
    if welcome_on == Some(false) {
        change.welcome_message = Some(String::new());
    } else if params.contains_key("WELCOME_MESSAGE_TEXT") {
        change.welcome_message = Some(channel_domain::welcome_message(
            &text("WELCOME_MESSAGE_TEXT").unwrap_or_default(),
        )?);
    }
    Ok(change)
}

/// `QUEUE`: `[{ENTITY_TYPE: "user", ENTITY_ID: 5}, …]` or plain user ids `[5, 7]`.
pub(super) fn queue_param(q: &Value) -> Result<Vec<UserId>, RestError> {
    let items: Vec<&Value> = match q {
        Value::Array(a) => a.iter().collect(),
        // `QUEUE[a][ENTITY_ID]=5` (non-numeric keys) arrives as an object.
        Value::Object(m) => m.values().collect(),
        Value::String(s) if s.is_empty() => Vec::new(),
        _ => return Err(RestError::bad("WRONG_REQUEST", "QUEUE must be a list of users")),
    };
    let wrong = || {
        RestError::bad(
            "WRONG_REQUEST",
            "QUEUE entries must be {ENTITY_TYPE: \"user\", ENTITY_ID: user id} (departments are not supported)",
        )
    };
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let id = match item {
            Value::Object(m) => {
                let kind = m
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("ENTITY_TYPE"))
                    .and_then(|(_, v)| v.as_str())
                    .unwrap_or("user");
                if !kind.eq_ignore_ascii_case("user") {
                    return Err(wrong());
                }
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("ENTITY_ID"))
                    .and_then(|(_, v)| number(v))
                    .ok_or_else(wrong)?
            }
            v => number(v).ok_or_else(wrong)?,
        };
        if !out.contains(&UserId(id)) {
            out.push(UserId(id));
        }
    }
    Ok(out)
}

pub(super) fn session_status(s: ConversationStatus) -> &'static str {
    match s {
        ConversationStatus::New => "new",
        ConversationStatus::Open => "answered",
        ConversationStatus::Closed => "closed",
    }
}

pub(super) async fn dialog_get(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let view = match conv::party_of(&state.db, &caller.actor, &caller.user_name, id).await? {
        Party::Operator { .. } => inbox::detail(&state.db, &caller.actor, id).await?.conversation,
        Party::Customer { customer: c, .. } => {
            conv::customer_conversations(&state.db, &c, &conv::code_of(&state.db, id).await?)
                .await?
                .into_iter()
                .find(|v| v.id == id)
                .ok_or(AppError::NotFound)?
        }
    };
    Ok(json!({
        "id": view.id.0,
        "chat_id": view.id.0,
        "dialog_id": format!("chat{}", view.id.0),
        "entity_type": "LINES",
        "entity_id": view.channel.0,
        "name": view.customer_name,
        "customer_account": view.customer_account,
        "line_name": view.channel_name,
        "user_code": conv::user_code_of(&state.db, id).await?.to_string(),
        "status": session_status(view.status),
        "operator_id": view.operator.map(|u| u.0),
        "last_seq": view.last_seq,
        "date_create": super::super::rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_millis(view.created_at as u64)),
    })
    .into())
}

pub(super) async fn operator_finish(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    inbox::finish(&state.db, state.hub.as_ref(), &caller.actor, id).await?;
    Ok(json!(true).into())
}

pub(super) async fn operator_skip(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    inbox::skip(&state.db, state.hub.as_ref(), &caller.actor, id).await?;
    Ok(json!(true).into())
}

pub(super) async fn operator_answer(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    inbox::answer(&state.db, state.hub.as_ref(), &caller.actor, id).await?;
    Ok(json!(true).into())
}

/// `TRANSFER_ID`: the user id of an operator of the conversation's channel (Bitrix24's
/// `queueN`, another open line, is refused: a conversation stays in its channel).
pub(super) async fn operator_transfer(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let raw = p
        .text("TRANSFER_ID")
        .ok_or_else(|| RestError::bad("TRANSFER_ID_EMPTY", "TRANSFER_ID is required"))?;
    let to = raw.trim().parse::<i64>().map_err(|_| {
        RestError::bad(
            "WRONG_TRANSFER_ID",
            "TRANSFER_ID must be the user id of an operator of the conversation's channel",
        )
    })?;
    inbox::transfer(&state.db, state.hub.as_ref(), &caller.actor, id, UserId(to)).await?;
    Ok(json!(true).into())
}

/// `USER_CODE` (`network|channel|customer account|customer`, as `dialog.get` gives it)
/// → `{CHAT_ID}`: the customer's conversation an operator of the channel opens.
pub(super) async fn session_open(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let raw = p
        .text("USER_CODE")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| RestError::bad("USER_CODE_EMPTY", "USER_CODE is required"))?;
    let code = conv::UserCode::parse(&raw).ok_or_else(|| {
        RestError::bad(
            "WRONG_USER_CODE",
            "USER_CODE must read network|LINE_ID|CUSTOMER_ACCOUNT_ID|CUSTOMER_USER_ID",
        )
    })?;
    let id = conv::open_by_user_code(&state.db, &caller.actor, code).await?;
    Ok(json!({ "CHAT_ID": id.0 }).into())
}

pub(super) async fn session_start(
    state: &AppState,
    caller: &RestCaller,
    p: &Params,
) -> Result<Output, RestError> {
    let id = chat_param(p)?;
    let message_id = p
        .int("MESSAGE_ID")
        .ok_or_else(|| RestError::bad("MESSAGE_ID_EMPTY", "MESSAGE_ID is required"))?;
    // Rights first, so nobody learns whether a message exists in someone else's chat.
    inbox::detail(&state.db, &caller.actor, id).await?;
    let seq = conv::message_seq(&state.db, id, message_id)
        .await?
        .ok_or_else(|| RestError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Message is not found"))?;
    inbox::start_new(&state.db, state.hub.as_ref(), &caller.actor, id, seq).await?;
    Ok(json!(true).into())
}
