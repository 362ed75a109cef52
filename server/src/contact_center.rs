//! Contact Center form endpoints: open channels, the Network connector and its settings,
//! and the avatar images. Same Post/Redirect/Get pattern as [`crate::forms`].

use crate::extract::Member;
use crate::forms::{back_to, back_with_error, back_with_errors, errors_param};
use crate::respond::see_other;
use app::backend::images;
use app::backend::services::channels::{self, AvatarChange, ConnectTarget};
use app::backend::services::inbox;
use app::backend::services::quick_answers;
use app::backend::AppState;
use app::domain::channel::{Capacity, ChannelName, Distribution, RawSettings, Settings, TakeTime};
use app::domain::conversation::MessageBody;
use app::domain::quick_answer::QuickAnswerTitle;
use app::domain::{ChannelId, UserId};
use app::error::{AppError, Code, Field};
use app::util::with_query;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Form;
use axum::Router;
use serde::Deserialize;

mod answer_forms;
mod hours;

use answer_forms::{create_quick_answer, delete_quick_answer, update_quick_answer};
use hours::save_hours;

fn cc_home(slug: &str) -> String {
    format!("/a/{slug}/contact-center")
}

fn settings_page(slug: &str, id: i64) -> String {
    format!("/a/{slug}/contact-center/network/settings/{id}")
}

#[derive(Deserialize)]
pub struct ChannelNameForm {
    #[serde(default)]
    channel_name: String,
}

/// `POST /a/{slug}/contact-center/channels`: creates an open channel.
pub async fn create_channel(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(f): Form<ChannelNameForm>,
) -> Response {
    let home = cc_home(actor.slug.as_str());
    let result = async {
        let name = ChannelName::parse(&f.channel_name)?;
        channels::create_channel(&state.db, &actor, &name).await
    }
    .await;
    match result {
        Ok(_) => see_other(&with_query(&home, &[("ok", "channel_created")]), None),
        Err(e) => back_with_error(&home, &e, &[("channel_name", f.channel_name.trim())]),
    }
}

/// `POST /a/{slug}/contact-center/channels/{id}/rename`.
pub async fn rename_channel(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
    Form(f): Form<ChannelNameForm>,
) -> Response {
    let home = cc_home(actor.slug.as_str());
    let result = async {
        let name = ChannelName::parse(&f.channel_name)?;
        channels::rename_channel(&state.db, &actor, ChannelId(id), &name).await
    }
    .await;
    match result {
        Ok(()) => see_other(&with_query(&home, &[("ok", "channel_renamed")]), None),
        Err(e) => back_with_error(&with_query(&home, &[("channel", &id.to_string())]), &e, &[]),
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

/// `POST /a/{slug}/contact-center/channels/{id}/active` with `active=1|0`.
pub async fn set_active(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
    Form(f): Form<ActiveForm>,
) -> Response {
    let home = cc_home(actor.slug.as_str());
    let active = f.active == "1" || f.active == "true";
    match channels::set_channel_active(&state.db, &actor, ChannelId(id), active).await {
        Ok(()) => see_other(
            &with_query(
                &home,
                &[(
                    "ok",
                    if active {
                        "channel_activated"
                    } else {
                        "channel_deactivated"
                    },
                )],
            ),
            None,
        ),
        Err(e) => back_with_error(&home, &e, &[]),
    }
}

/// `POST /a/{slug}/contact-center/channels/{id}/operators` with `operator=ID` repeated.
pub async fn set_operators(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
    body: Bytes,
) -> Response {
    let home = cc_home(actor.slug.as_str());
    let mut users = Vec::new();
    for (k, v) in url::form_urlencoded::parse(&body) {
        if k == "operator" {
            match v.parse::<i64>() {
                Ok(n) => users.push(UserId(n)),
                Err(_) => {
                    let e = AppError::Invalid {
                        field: Field::Operators,
                        code: Code::UserUnknown,
                    };
                    return back_with_error(&home, &e, &[]);
                }
            }
        }
    }
    match channels::set_operators(&state.db, state.hub.as_ref(), &actor, ChannelId(id), &users).await {
        Ok(()) => see_other(&with_query(&home, &[("ok", "operators_saved")]), None),
        Err(e) => back_with_error(&home, &e, &[]),
    }
}

#[derive(Deserialize)]
pub struct QueueForm {
    #[serde(default)]
    distribution: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    take_time: String,
}

/// `POST /a/{slug}/contact-center/channels/{id}/queue`: distribution mode and the most
/// simultaneous conversations per operator. Both fields are checked before anything is
/// saved; errors come back next to their fields.
pub async fn set_queue(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
    Form(f): Form<QueueForm>,
) -> Response {
    let home = cc_home(actor.slug.as_str());
    let distribution = Distribution::parse(&f.distribution);
    let capacity = Capacity::parse(&f.capacity);
    let take = TakeTime::parse(&f.take_time);
    let id_s = id.to_string();
    let back_page = with_query(&home, &[("channel", id_s.as_str())]);
    let keep = [("capacity", f.capacity.trim()), ("take_time", f.take_time.trim())];
    match (distribution, capacity, take) {
        (Ok(d), Ok(c), Ok(t)) => {
            match inbox::set_queue(&state.db, state.hub.as_ref(), &actor, ChannelId(id), d, c, t).await {
                Ok(()) => see_other(&with_query(&home, &[("ok", "queue_saved")]), None),
                Err(e) => back_with_error(&back_page, &e, &keep),
            }
        }
        (d, c, t) => {
            let errs: Vec<AppError> = [d.err(), c.err(), t.err()].into_iter().flatten().collect();
            back_with_errors(&back_page, &errs, &keep)
        }
    }
}

#[derive(Deserialize)]
pub struct ConnectForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    new_channel_name: String,
}

/// `POST /a/{slug}/contact-center/network/connect`: `channel=ID`, or `channel=new` with
/// `new_channel_name`. Opens the settings form on success.
pub async fn connect(
    State(state): State<AppState>,
    Member(actor): Member,
    Form(f): Form<ConnectForm>,
) -> Response {
    let back = format!("{}/network/connect", cc_home(actor.slug.as_str()));
    let result = async {
        let target = match f.channel.trim() {
            "new" => ConnectTarget::New(ChannelName::parse(&f.new_channel_name)?),
            "" => {
                return Err(AppError::Invalid {
                    field: Field::Channel,
                    code: Code::Required,
                })
            }
            id => ConnectTarget::Existing(ChannelId(id.parse().map_err(|_| AppError::Invalid {
                field: Field::Channel,
                code: Code::NotFound,
            })?)),
        };
        channels::connect(&state.db, &actor, target).await
    }
    .await;
    match result {
        Ok(id) => see_other(
            &with_query(&settings_page(actor.slug.as_str(), id.0), &[("ok", "connected")]),
            None,
        ),
        Err(e) => back_with_error(
            &back,
            &e,
            &[
                ("channel", f.channel.trim()),
                ("new_channel_name", f.new_channel_name.trim()),
            ],
        ),
    }
}

/// `POST /a/{slug}/contact-center/network/disconnect/{id}` (after the confirmation page).
pub async fn disconnect(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
) -> Response {
    let list = format!("{}/network", cc_home(actor.slug.as_str()));
    match channels::disconnect(&state.db, &actor, ChannelId(id)).await {
        Ok(()) => see_other(&with_query(&list, &[("ok", "disconnected")]), None),
        Err(e) => back_with_error(&list, &e, &[]),
    }
}

/// The settings form as received (multipart, because of the avatar file).
#[derive(Default)]
struct SettingsUpload {
    raw: RawSettings,
    avatar: Option<Vec<u8>>,
    avatar_too_large: bool,
    crop: bool,
    remove: bool,
}

async fn read_settings(mut mp: Multipart) -> Result<SettingsUpload, AppError> {
    let mut up = SettingsUpload::default();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            // The body limit was hit: the only large part is the picture.
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                up.avatar_too_large = true;
                break;
            }
            Err(_) => {
                return Err(AppError::Invalid {
                    field: Field::Avatar,
                    code: Code::AvatarCorrupt,
                })
            }
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "avatar" {
            let has_file = field.file_name().map(|n| !n.is_empty()).unwrap_or(false);
            match field.bytes().await {
                Ok(b) if has_file && !b.is_empty() => up.avatar = Some(b.to_vec()),
                Ok(_) => {}
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    up.avatar_too_large = true;
                    break;
                }
                Err(_) => {
                    return Err(AppError::Invalid {
                        field: Field::Avatar,
                        code: Code::AvatarCorrupt,
                    })
                }
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "name" => up.raw.name = value,
            "description" => up.raw.description = value,
            "welcome_message" => up.raw.welcome_message = value,
            "multi_chat" => up.raw.multi_chat = !value.is_empty() && value != "0" && value != "off",
            "chat_limit" => up.raw.chat_limit = value,
            "ask_rating" => up.raw.ask_rating = !value.is_empty() && value != "0" && value != "off",
            // The form shows the switch with a hidden marker: switched off, only the
            // marker comes.
            "rest_messages_shown" => {
                up.raw.rest_messages_off.get_or_insert(true);
            }
            "rest_messages" => {
                up.raw.rest_messages_off = Some(value.is_empty() || value == "0" || value == "off")
            }
            "avatar_crop" => up.crop = value == "1" || value == "on",
            "avatar_remove" => up.remove = value == "1" || value == "on",
            _ => {}
        }
    }
    Ok(up)
}

/// `POST /a/{slug}/contact-center/network/settings/{id}` (multipart). Every field is
/// checked and every error reported; when any is invalid nothing is saved.
pub async fn save_settings(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
    mp: Multipart,
) -> Response {
    let page = settings_page(actor.slug.as_str(), id);
    if let Err(e) = actor.require_admin() {
        return back_with_error(&page, &e, &[]);
    }
    let up = match read_settings(mp).await {
        Ok(u) => u,
        Err(e) => return back_with_error(&page, &e, &[]),
    };
    let mut errors: Vec<AppError> = Vec::new();
    let settings = match Settings::parse(&up.raw) {
        Ok(s) => Some(s),
        Err(es) => {
            errors.extend(es);
            None
        }
    };
    let avatar = if up.avatar_too_large {
        errors.push(AppError::Invalid {
            field: Field::Avatar,
            code: Code::AvatarTooLarge,
        });
        None
    } else if let Some(bytes) = up.avatar {
        // Decoding is CPU work: keep it off the async workers.
        let crop = up.crop;
        // At most one decode per CPU at a time (each may hold a 4096×4096 picture).
        let permit = decode_permits().acquire().await;
        let decoded = tokio::task::spawn_blocking(move || images::process(&bytes, crop)).await;
        drop(permit);
        match decoded {
            Ok(Ok(a)) => Some(a),
            Ok(Err(e)) => {
                errors.push(e);
                None
            }
            Err(e) => return back_with_error(&page, &app::backend::internal(e), &[]),
        }
    } else {
        None
    };
    let change = match (avatar, up.remove) {
        (Some(a), _) => AvatarChange::Replace(a),
        (None, true) => AvatarChange::Remove,
        (None, false) => AvatarChange::Keep,
    };
    let settings = match (settings, errors.is_empty()) {
        (Some(s), true) => s,
        _ => {
            let joined = errors_param(&errors);
            let multi = if up.raw.multi_chat { "1" } else { "0" };
            let ask = if up.raw.ask_rating { "1" } else { "0" };
            let rest_messages = if up.raw.rest_messages_off == Some(true) {
                "0"
            } else {
                "1"
            };
            return back_to(
                &page,
                &[("errors", &joined)],
                &[
                    ("name", &up.raw.name),
                    ("description", &up.raw.description),
                    ("welcome_message", &up.raw.welcome_message),
                    ("multi_chat", multi),
                    ("chat_limit", &up.raw.chat_limit),
                    ("ask_rating", ask),
                    ("rest_messages", rest_messages),
                ],
            );
        }
    };
    match channels::save_settings(&state.db, &actor, ChannelId(id), &settings, change).await {
        Ok(()) => {
            tracing::info!(
                account_id = actor.account.0,
                channel_id = id,
                "network settings saved"
            );
            see_other(&with_query(&page, &[("ok", "settings_saved")]), None)
        }
        Err(e) => back_with_error(&page, &e, &[]),
    }
}

/// `GET /avatars/{key}/{size}.png`: content-addressed, so cacheable for a year.
pub async fn avatar(State(state): State<AppState>, Path((key, file)): Path<(String, String)>) -> Response {
    let size = match file.strip_suffix(".png").and_then(|s| s.parse::<u32>().ok()) {
        Some(s) if images::SIZES.contains(&s) => s,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match channels::avatar_bytes(&state.db, &key, size).await {
        Ok(Some(bytes)) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Image decoding is bounded: one per CPU at a time.
fn decode_permits() -> &'static tokio::sync::Semaphore {
    app::backend::files::decode_permits()
}

#[derive(Deserialize)]
pub struct OrderForm {
    #[serde(default)]
    user: String,
    #[serde(default)]
    dir: String,
}

/// `POST /a/{slug}/contact-center/channels/{id}/order` with `user=ID&dir=up|down`: moves
/// an operator one place in the queue's order (admins).
pub async fn move_operator(
    State(state): State<AppState>,
    Member(actor): Member,
    Path((_, id)): Path<(String, i64)>,
    Form(f): Form<OrderForm>,
) -> Response {
    let home = cc_home(actor.slug.as_str());
    let result = async {
        let user = f.user.trim().parse::<i64>().map_err(|_| AppError::Invalid {
            field: Field::Operator,
            code: Code::NotInQueue,
        })?;
        let up = match f.dir.as_str() {
            "up" => true,
            "down" => false,
            _ => {
                return Err(AppError::Invalid {
                    field: Field::Operator,
                    code: Code::InvalidFormat,
                })
            }
        };
        channels::move_operator(&state.db, &actor, ChannelId(id), UserId(user), up).await
    }
    .await;
    match result {
        Ok(()) => see_other(&with_query(&home, &[("ok", "order_saved")]), None),
        Err(e) => back_with_error(&with_query(&home, &[("channel", &id.to_string())]), &e, &[]),
    }
}

/// The Contact Center's routes: channels, operators and queues, connecting the Network
/// channel, its settings and working hours, quick answers, and the channels' avatars.
pub(crate) fn routes() -> Router<AppState> {
    let cc = "/a/{slug}/contact-center";
    Router::new()
        .route(&format!("{cc}/channels"), post(create_channel))
        .route(&format!("{cc}/channels/{{id}}/rename"), post(rename_channel))
        .route(&format!("{cc}/channels/{{id}}/active"), post(set_active))
        .route(&format!("{cc}/channels/{{id}}/operators"), post(set_operators))
        .route(&format!("{cc}/channels/{{id}}/queue"), post(set_queue))
        .route(&format!("{cc}/channels/{{id}}/order"), post(move_operator))
        .route(&format!("{cc}/network/connect"), post(connect))
        .route(&format!("{cc}/network/disconnect/{{id}}"), post(disconnect))
        .route(
            &format!("{cc}/network/settings/{{id}}"),
            post(save_settings).layer(DefaultBodyLimit::max(SETTINGS_BODY_LIMIT)),
        )
        .route(
            &format!("{cc}/network/hours/{{id}}"),
            post(save_hours).layer(DefaultBodyLimit::max(SMALL_FORM_LIMIT)),
        )
        .route(&format!("{cc}/quick-answers/add"), post(create_quick_answer))
        .route(&format!("{cc}/quick-answers/{{id}}"), post(update_quick_answer))
        .route(
            &format!("{cc}/quick-answers/{{id}}/delete"),
            post(delete_quick_answer),
        )
        .route("/avatars/{key}/{file}", get(avatar))
}

/// Largest settings form accepted: the 5 MB picture plus the text fields, with room to
/// spare so a too-large picture gets a clear message rather than a bare 413.
pub(crate) const SETTINGS_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Forms of a few text fields (working hours: at most ~20 KB of valid input).
pub(crate) const SMALL_FORM_LIMIT: usize = 64 * 1024;
