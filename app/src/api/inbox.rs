//! Server functions of the operators' inbox. Messages travel over the inbox's
//! WebSocket; these read pages and perform the actions (finish, transfer, start a new
//! conversation, queue settings).

#[cfg(feature = "ssr")]
use super::InboxFilter;
use super::{ConversationDetail, InboxPage, InboxView};
use crate::error::AppError;
use crate::protocol::MessageView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
async fn actor_for(
    slug: &str,
) -> Result<(crate::backend::principal::Actor, crate::api::SessionUser), AppError> {
    use crate::backend::services::accounts;
    use crate::backend::{auth::require_user, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let actor = accounts::actor(&state.db, user.id, slug).await?;
    Ok((actor, user))
}

/// The inbox on load: the first page of `filter`, the queues, and conversation `open`.
#[server(prefix = "/api", endpoint = "load_inbox", output = crate::api::Answer)]
pub async fn load_inbox(
    slug: String,
    filter: String,
    open: Option<i64>,
    q: Option<String>,
) -> Result<InboxView, AppError> {
    use crate::backend::services::inbox;
    use crate::backend::AppState;
    use crate::domain::ConversationId;
    let (actor, user) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    let filter = InboxFilter::parse(&filter);
    let page = inbox::inbox(&state.db, &actor, filter, None).await?;
    let queues = inbox::queues(&state.db, state.hub.as_ref(), &actor).await?;
    let open = match open {
        Some(id) => match inbox::detail(&state.db, &actor, ConversationId(id)).await {
            Ok(d) => Some(d),
            Err(AppError::NotFound | AppError::Forbidden) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    Ok(InboxView {
        account: crate::api::AccountSummary {
            id: actor.account,
            name: actor.account_name.clone(),
            slug: actor.slug.to_string(),
            role: actor.role,
        },
        me: user.id,
        me_name: user.name,
        filter,
        page,
        queues,
        open,
        pinned: inbox::pinned(&state.db, &actor).await?,
        search: match q.filter(|q| !q.trim().is_empty()) {
            Some(query) => Some(crate::api::SearchOutcome {
                result: run_search(&actor, &query, None).await.map_err(|e| e.code()),
                query,
            }),
            None => None,
        },
        form_client_id: crate::backend::random_token(12),
    })
}

#[cfg(feature = "ssr")]
async fn run_search(
    actor: &crate::backend::principal::Actor,
    query: &str,
    cursor: Option<&str>,
) -> Result<crate::api::SearchPage, AppError> {
    use crate::backend::services::search;
    use crate::backend::AppState;
    let q = crate::domain::search::SearchQuery::parse(query)?;
    let state = expect_context::<AppState>();
    search::search(&state.db, actor, &q, cursor).await
}

/// Searches the account's conversations the caller may see by customer name and message
/// text: the first page with an empty `cursor`, else the next one.
#[server(prefix = "/api", endpoint = "search_conversations", output = crate::api::Answer)]
pub async fn search_conversations(
    slug: String,
    q: String,
    cursor: String,
) -> Result<crate::api::SearchPage, AppError> {
    let (actor, _) = actor_for(&slug).await?;
    run_search(&actor, &q, (!cursor.is_empty()).then_some(cursor.as_str())).await
}

/// A page of the inbox list: the first with an empty `cursor`, else the next one.
#[server(prefix = "/api", endpoint = "inbox_more", output = crate::api::Answer)]
pub async fn inbox_more(slug: String, filter: String, cursor: String) -> Result<InboxPage, AppError> {
    use crate::backend::services::inbox;
    use crate::backend::AppState;
    let (actor, _) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    let cursor = (!cursor.is_empty()).then_some(cursor.as_str());
    inbox::inbox(&state.db, &actor, InboxFilter::parse(&filter), cursor).await
}

/// One conversation, opened in the inbox.
#[server(prefix = "/api", endpoint = "inbox_conversation", output = crate::api::Answer)]
pub async fn inbox_conversation(slug: String, conversation: i64) -> Result<ConversationDetail, AppError> {
    use crate::backend::services::inbox;
    use crate::backend::AppState;
    let (actor, _) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    inbox::detail(&state.db, &actor, crate::domain::ConversationId(conversation)).await
}

/// Older messages of a conversation in the inbox (history paging).
#[server(prefix = "/api", endpoint = "inbox_older", output = crate::api::Answer)]
pub async fn inbox_older(
    slug: String,
    conversation: i64,
    before_seq: i64,
) -> Result<Vec<MessageView>, AppError> {
    use crate::backend::services::conversations as conv;
    use crate::backend::AppState;
    let (actor, _) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    conv::messages_before(
        &state.db,
        &crate::backend::principal::Viewer::Operator(&actor),
        crate::domain::ConversationId(conversation),
        before_seq,
        50,
    )
    .await
}

/// What "Start new conversation" would do in a conversation now.
#[server(prefix = "/api", endpoint = "split_rule", output = crate::api::Answer)]
pub async fn split_rule(slug: String, conversation: i64) -> Result<super::SplitRule, AppError> {
    use crate::backend::services::inbox;
    use crate::backend::AppState;
    let (actor, _) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    inbox::split_rule(&state.db, &actor, crate::domain::ConversationId(conversation)).await
}

/// Finishes a conversation.
#[server(prefix = "/api", endpoint = "finish_conversation", output = crate::api::Answer)]
pub async fn finish_conversation(slug: String, conversation: i64) -> Result<(), AppError> {
    use crate::backend::services::inbox;
    use crate::backend::AppState;
    let (actor, _) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    inbox::finish(
        &state.db,
        state.hub.as_ref(),
        &actor,
        crate::domain::ConversationId(conversation),
    )
    .await
}

/// Skip: gives the caller's conversation back to the queue (the next operator gets it).
#[server(prefix = "/api", endpoint = "skip_conversation", output = crate::api::Answer)]
pub async fn skip_conversation(slug: String, conversation: i64) -> Result<(), AppError> {
    use crate::backend::services::inbox;
    use crate::backend::AppState;
    let (actor, _) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    inbox::skip(
        &state.db,
        state.hub.as_ref(),
        &actor,
        crate::domain::ConversationId(conversation),
    )
    .await
}

/// Hands a conversation to another operator of its channel.
#[server(prefix = "/api", endpoint = "transfer_conversation", output = crate::api::Answer)]
pub async fn transfer_conversation(slug: String, conversation: i64, operator: i64) -> Result<(), AppError> {
    use crate::backend::services::inbox;
    use crate::backend::AppState;
    let (actor, _) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    inbox::transfer(
        &state.db,
        state.hub.as_ref(),
        &actor,
        crate::domain::ConversationId(conversation),
        crate::domain::UserId(operator),
    )
    .await
}

/// "Start new conversation" from customer message `seq`; returns the new conversation.
#[server(prefix = "/api", endpoint = "start_new_conversation", output = crate::api::Answer)]
pub async fn start_new_conversation(slug: String, conversation: i64, seq: i64) -> Result<i64, AppError> {
    use crate::backend::services::inbox;
    use crate::backend::AppState;
    let (actor, _) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    inbox::start_new(
        &state.db,
        state.hub.as_ref(),
        &actor,
        crate::domain::ConversationId(conversation),
        seq,
    )
    .await
    .map(|c| c.0)
}

/// The account's quick answers, for the composer's `/` list (admins and operators).
#[server(prefix = "/api", endpoint = "quick_answers", output = crate::api::Answer)]
pub async fn quick_answers(slug: String) -> Result<Vec<crate::api::QuickAnswerView>, AppError> {
    use crate::backend::services::quick_answers;
    use crate::backend::AppState;
    let (actor, _) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    quick_answers::list(&state.db, &actor).await
}

/// Pins (`on`) or unpins a conversation for the caller alone.
#[server(prefix = "/api", endpoint = "pin_conversation", output = crate::api::Answer)]
pub async fn pin_conversation(slug: String, conversation: i64, on: bool) -> Result<(), AppError> {
    use crate::backend::services::inbox;
    use crate::backend::AppState;
    let (actor, _) = actor_for(&slug).await?;
    let state = expect_context::<AppState>();
    inbox::pin(&state.db, &actor, crate::domain::ConversationId(conversation), on).await
}

/// Adds an internal note to a conversation (operators of its channel and admins); a
/// note resent with the same `client_id` is stored once.
#[server(prefix = "/api", endpoint = "add_note", output = crate::api::Answer)]
pub async fn add_note(
    slug: String,
    conversation: i64,
    client_id: String,
    body: String,
) -> Result<crate::protocol::NoteView, AppError> {
    use crate::backend::services::notes;
    use crate::backend::AppState;
    use crate::domain::conversation::{ClientMsgId, MessageBody};
    let (actor, user) = actor_for(&slug).await?;
    let client_id = ClientMsgId::parse(&client_id)?;
    let body = MessageBody::parse(&body)?;
    let state = expect_context::<AppState>();
    notes::add(
        &state.db,
        state.hub.as_ref(),
        &actor,
        &user.name,
        crate::domain::ConversationId(conversation),
        &client_id,
        &body,
    )
    .await
}
