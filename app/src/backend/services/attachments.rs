//! Who may open an attached file: exactly those who may read its conversation — the
//! customer who writes in it (still a member of the account they write from), and the
//! operators who may see it in their inbox (its channel's operators, the account's
//! admins). Everyone else, signed in or not, learns nothing: "not found".

use crate::backend::entities::{account, attachment, conversation};
use crate::backend::policy;
use crate::backend::OrInternal;
use crate::domain::ConversationId;
use crate::error::AppError;
use crate::views::SessionUser;
use sea_orm::{ConnectionTrait, EntityTrait};

/// A file whose bytes are in the file store, to attach to a message.
#[derive(Clone, Debug)]
pub struct NewFile {
    pub key: String,
    pub thumb_key: Option<String>,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// The attachment `id` if `user` may read its conversation.
pub async fn readable(
    db: &impl ConnectionTrait,
    user: Option<&SessionUser>,
    id: i64,
) -> Result<attachment::Model, AppError> {
    let user = user.ok_or(AppError::NotFound)?;
    let a = attachment::Entity::find_by_id(id)
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let c = conversation::Entity::find_by_id(a.conversation_id)
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let slug_of = |account_id: i64| async move {
        account::Entity::find_by_id(account_id)
            .one(db)
            .await
            .or_internal()
            .map(|a| a.map(|a| a.slug))
    };
    // The customer's side.
    if c.customer_user_id == user.id.0 {
        if let Some(slug) = slug_of(c.customer_account_id).await? {
            if let Ok(customer) = policy::customer(db, user, &slug).await {
                if policy::customer_conversation(db, &customer, ConversationId(c.id))
                    .await
                    .is_ok()
                {
                    return Ok(a);
                }
            }
        }
    }
    // The operators' side.
    if let Some(slug) = slug_of(c.account_id).await? {
        if let Ok(actor) = super::accounts::actor(db, user.id, &slug).await {
            if policy::operator_conversation(db, &actor, ConversationId(c.id))
                .await
                .is_ok()
            {
                return Ok(a);
            }
        }
    }
    Err(AppError::NotFound)
}

/// The attachments of message `message_id`, in the order they were sent.
pub async fn of_message(
    db: &impl ConnectionTrait,
    message_id: i64,
) -> Result<Vec<attachment::Model>, AppError> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    attachment::Entity::find()
        .filter(attachment::Column::MessageId.eq(message_id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await
        .or_internal()
}

/// Attachment `id` if the caller of the REST API (an account's user, `actor`) may read
/// its conversation from that account; "not found" otherwise.
pub async fn readable_by_rest(
    db: &impl ConnectionTrait,
    actor: &crate::backend::principal::Actor,
    user_name: &str,
    id: i64,
) -> Result<attachment::Model, AppError> {
    let a = attachment::Entity::find_by_id(id)
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    match super::conversations::party_of(db, actor, user_name, ConversationId(a.conversation_id)).await {
        Ok(_) => Ok(a),
        Err(AppError::NotFound | AppError::Forbidden) => Err(AppError::NotFound),
        Err(e) => Err(e),
    }
}
