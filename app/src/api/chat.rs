//! The customer's side: the account picker behind the link and the chat page; and the
//! operator's reply until the inbox exists.

use super::{ChatView, PickerView};
use crate::error::AppError;
use crate::protocol::MessageView;
use leptos::prelude::*;

/// How many messages a page of history holds.
pub const PAGE: u64 = 50;

/// The link page: the channel's public card and the user's accounts to write from. A
/// visitor who is not signed in gets the card alone (the link is the channel's public
/// address), so they see whom they are about to contact before signing in.
#[server(prefix = "/api", endpoint = "picker", output = crate::api::Answer)]
pub async fn picker(dialog: String) -> Result<PickerView, AppError> {
    use super::PickerAccount;
    use crate::backend::{auth::current_user_from_context, services, AppState};
    use crate::domain::channel::ChannelCode;
    use crate::error::Code;
    let state = expect_context::<AppState>();
    let code = ChannelCode::from_dialog(&dialog).map_err(|_| AppError::NotFound)?;
    let card = services::channels::card(&state.db, &code).await?;
    let Some(user) = current_user_from_context().await? else {
        return Ok(PickerView {
            card,
            accounts: Vec::new(),
            signed_in: false,
        });
    };
    let info = services::conversations::channel_info(&state.db, &code).await?;
    let accounts = services::accounts::list_for_user(&state.db, user.id)
        .await?
        .into_iter()
        .map(|a| PickerAccount {
            disabled: (a.id == info.account).then_some(Code::OwnAccount),
            name: a.name,
            slug: a.slug,
            role: a.role,
        })
        .collect();
    Ok(PickerView {
        card,
        accounts,
        signed_in: true,
    })
}

/// The chat page of the signed-in user writing from account `slug` to channel `code`.
#[server(prefix = "/api", endpoint = "chat_page", output = crate::api::Answer)]
pub async fn chat_page(
    code: String,
    slug: String,
    conversation: Option<i64>,
    before: Option<i64>,
) -> Result<ChatView, AppError> {
    use crate::backend::services::{channels, conversations as conv};
    use crate::backend::{auth::require_user, AppState};
    use crate::domain::channel::ChannelCode;
    use crate::domain::ConversationId;
    use crate::error::{Code, Field};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let code = ChannelCode::parse(&code).map_err(|_| AppError::NotFound)?;
    let customer = conv::customer(&state.db, &user, &slug).await?;
    let card = channels::card(&state.db, &code).await?;
    let info = conv::channel_info(&state.db, &code).await?;
    if info.account == customer.account {
        return Err(AppError::Invalid {
            field: Field::Account,
            code: Code::OwnAccount,
        });
    }
    let conversations = conv::customer_conversations(&state.db, &customer, &code).await?;
    let open_here = conversations
        .iter()
        .filter(|c| c.status != crate::domain::conversation::ConversationStatus::Closed)
        .count() as i64;
    let open_elsewhere =
        (conv::open_of_person(&state.db, customer.user, info.channel).await? - open_here).max(0);
    let selected = conversation
        .map(ConversationId)
        .filter(|id| conversations.iter().any(|c| c.id == *id))
        .or_else(|| conversations.first().map(|c| c.id));
    let (messages, has_older) = match selected {
        Some(id) => {
            let last = conversations
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.last_seq)
                .unwrap_or(0);
            let until = before.filter(|b| *b <= last).unwrap_or(last + 1);
            let ms = conv::messages_before(
                &state.db,
                &crate::backend::principal::Viewer::Customer(&customer),
                id,
                until,
                PAGE,
            )
            .await?;
            let older = ms.first().map(|m| m.seq > 1).unwrap_or(false);
            (ms, older)
        }
        None => (Vec::new(), false),
    };
    Ok(ChatView {
        card,
        account_name: customer.account_name.clone(),
        account_slug: customer.account_slug.clone(),
        user_name: customer.user_name.clone(),
        user: customer.user,
        conversations,
        selected,
        messages,
        has_older,
        limit: info.limit,
        open_elsewhere,
        form_client_id: crate::backend::random_token(12),
        ask_rating: info.ask_rating,
    })
}

/// Older messages of a conversation (history paging while scrolling up).
#[server(prefix = "/api", endpoint = "older_messages", output = crate::api::Answer)]
pub async fn older_messages(
    code: String,
    slug: String,
    conversation: i64,
    before_seq: i64,
) -> Result<Vec<MessageView>, AppError> {
    use crate::backend::services::conversations as conv;
    use crate::backend::{auth::require_user, AppState};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let _ = code;
    let customer = conv::customer(&state.db, &user, &slug).await?;
    conv::messages_before(
        &state.db,
        &crate::backend::principal::Viewer::Customer(&customer),
        crate::domain::ConversationId(conversation),
        before_seq,
        PAGE,
    )
    .await
}

/// An operator's reply to a conversation of account `slug` (the inbox will use it too).
/// Returns the stored message's sequence number.
#[server(prefix = "/api", endpoint = "operator_reply", output = crate::api::Answer)]
pub async fn operator_reply(
    slug: String,
    conversation: i64,
    client_id: String,
    body: String,
) -> Result<i64, AppError> {
    use crate::backend::messaging::{self, Append, Target};
    use crate::backend::principal::Party;
    use crate::backend::services::accounts;
    use crate::backend::{auth::require_user, AppState};
    use crate::domain::conversation::{ClientMsgId, MessageBody};
    let user = require_user().await?;
    let state = expect_context::<AppState>();
    let actor = accounts::actor(&state.db, user.id, &slug).await?;
    let client_id = ClientMsgId::parse(&client_id)?;
    let body = MessageBody::parse(&body)?;
    let append = Append {
        party: Party::Operator {
            actor,
            name: user.name.clone(),
        },
        target: Target::Existing(crate::domain::ConversationId(conversation)),
        client_id,
        body,
    };
    let ack = messaging::send(&state.db, state.hub.as_ref(), &append, &[]).await?;
    Ok(ack.seq)
}
