//! The chat page's form endpoint, for browsers without JavaScript: the composer posts
//! here and the page reloads (Post/Redirect/Get). With JavaScript the page sends over
//! the WebSocket instead; both go through the same service.

use crate::forms::back_with_error;
use crate::respond::see_other;
use app::api::SessionUser;
use app::backend::messaging::{self, Append, Target};
use app::backend::principal::Party;
use app::backend::services::conversations as conv;
use app::backend::services::customer;
use app::backend::AppState;
use app::domain::channel::ChannelCode;
use app::domain::conversation::{ClientMsgId, MessageBody};
use app::domain::rating::{Rating, RatingComment};
use app::domain::ConversationId;
use app::error::AppError;
use app::util::with_query;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Form;
use axum::Router;
use serde::Deserialize;

/// The signed-in user posting a form of the chat page `page`; otherwise the redirect to
/// sign in and come back.
async fn signed_in(state: &AppState, headers: &HeaderMap, page: &str) -> Result<SessionUser, Response> {
    match crate::extract::session_user(state, headers).await.ok().flatten() {
        Some(user) => Ok(user),
        None => Err(see_other(&with_query("/login", &[("next", page)]), None)),
    }
}

/// A conversation id to put back into the address: only a number, else nothing.
fn number_only(raw: &str) -> String {
    raw.parse::<i64>().map(|n| n.to_string()).unwrap_or_default()
}

#[derive(Deserialize)]
pub struct SendForm {
    /// The conversation shown (`new` when there is none).
    #[serde(default)]
    current: String,
    /// Set by the "Start a new conversation" button.
    #[serde(default)]
    new_conversation: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    body: String,
}

/// `POST /chat/{code}/{slug}/send`: into `current`, or a new conversation when
/// `new_conversation` is set or there is none yet.
pub async fn send(
    State(state): State<AppState>,
    Path((code, slug)): Path<(String, String)>,
    headers: HeaderMap,
    Form(f): Form<SendForm>,
) -> Response {
    let page = format!("/chat/{code}/{slug}");
    let user = match signed_in(&state, &headers, &page).await {
        Ok(u) => u,
        Err(to_login) => return to_login,
    };
    let target = match (f.new_conversation.is_empty(), f.current.parse::<i64>()) {
        (true, Ok(n)) => Target::Existing(ConversationId(n)),
        _ => Target::New,
    };
    let result = async {
        let code = ChannelCode::parse(&code).map_err(|_| AppError::NotFound)?;
        let customer = conv::customer(&state.db, &user, &slug).await?;
        let cid = ClientMsgId::parse(&f.client_id)?;
        let body = MessageBody::parse(&f.body)?;
        let append = Append {
            party: Party::Customer { customer, code },
            target,
            client_id: cid,
            body,
        };
        messaging::send(&state.db, state.hub.as_ref(), &append, &[]).await
    }
    .await;
    match result {
        Ok(ack) => see_other(&format!("{page}?c={}#composer", ack.conversation), None),
        Err(e) => {
            let c = match target {
                Target::Existing(id) => id.to_string(),
                Target::New => "new".into(),
            };
            back_with_error(&with_query(&page, &[("c", &c)]), &e, &[("body", &f.body)])
        }
    }
}

#[derive(Deserialize)]
pub struct FinishForm {
    /// The conversation to finish.
    #[serde(default)]
    current: String,
}

/// `POST /chat/{code}/{slug}/finish`: the customer finishes their conversation `current`
/// (a plain form, so it works without JavaScript too); back to the page showing it.
pub async fn finish(
    State(state): State<AppState>,
    Path((code, slug)): Path<(String, String)>,
    headers: HeaderMap,
    Form(f): Form<FinishForm>,
) -> Response {
    let page = format!("/chat/{code}/{slug}");
    let user = match signed_in(&state, &headers, &page).await {
        Ok(u) => u,
        Err(to_login) => return to_login,
    };
    let result = async {
        let code = ChannelCode::parse(&code).map_err(|_| AppError::NotFound)?;
        let id = f.current.parse::<i64>().map_err(|_| AppError::NotFound)?;
        let customer = conv::customer(&state.db, &user, &slug).await?;
        customer::finish(
            &state.db,
            state.hub.as_ref(),
            &customer,
            &code,
            ConversationId(id),
        )
        .await
    }
    .await;
    let c = number_only(&f.current);
    match result {
        Ok(()) => see_other(&with_query(&page, &[("c", &c)]), None),
        Err(e) => see_other(
            &with_query(&page, &[("c", &c), ("error", e.code().as_str())]),
            None,
        ),
    }
}

#[derive(Deserialize)]
pub struct RateForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

/// `POST /chat/{code}/{slug}/rate`: the customer rates their finished conversation
/// `current` once (like / dislike, optional comment); a plain form, back to the page.
pub async fn rate(
    State(state): State<AppState>,
    Path((code, slug)): Path<(String, String)>,
    headers: HeaderMap,
    Form(f): Form<RateForm>,
) -> Response {
    let page = format!("/chat/{code}/{slug}");
    let user = match signed_in(&state, &headers, &page).await {
        Ok(u) => u,
        Err(to_login) => return to_login,
    };
    let result = async {
        let code = ChannelCode::parse(&code).map_err(|_| AppError::NotFound)?;
        let id = f.current.parse::<i64>().map_err(|_| AppError::NotFound)?;
        let rating = Rating::parse(&f.rating)?;
        let comment = RatingComment::parse(&f.comment)?;
        let customer = conv::customer(&state.db, &user, &slug).await?;
        customer::rate(
            &state.db,
            state.hub.as_ref(),
            &customer,
            &code,
            ConversationId(id),
            rating,
            &comment,
        )
        .await
    }
    .await;
    let c = number_only(&f.current);
    match result {
        Ok(()) => see_other(&with_query(&page, &[("c", &c), ("ok", "rated")]), None),
        Err(e) => {
            let comment: String = f.comment.chars().take(RatingComment::MAX_LEN + 1).collect();
            back_with_error(&with_query(&page, &[("c", &c)]), &e, &[("comment", &comment)])
        }
    }
}

/// The customer's chat forms (they work without JavaScript too).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/chat/{code}/{slug}/send", post(send))
        .route("/chat/{code}/{slug}/finish", post(finish))
        .route("/chat/{code}/{slug}/rate", post(rate))
}
