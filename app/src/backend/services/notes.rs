//! Internal notes: what operators tell each other about a conversation. Only those who
//! may see the conversation in the inbox ([`policy::operator_conversation`]: its
//! account's admins, and the operators of its channel) read or write them; a customer
//! has no path to them at all — they live in their own table, and are published on the
//! channel's operators' feed only ([`Topic::Channel`]), which customers never follow.

use crate::backend::db::begin_write;
use crate::backend::entities::{conversation_note, open_channel};
use crate::backend::hub::{Hub, Topic};
use crate::backend::policy;
use crate::backend::principal::Actor;
use crate::backend::{now_ms, OrInternal};
use crate::domain::conversation::{ClientMsgId, MessageBody};
use crate::domain::{ChannelId, ConversationId, UserId};
use crate::error::{AppError, Code, Field};
use crate::protocol::{NoteView, ServerMsg};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

/// The most notes one conversation keeps.
pub const MAX_PER_CONVERSATION: u64 = 200;

fn view(m: conversation_note::Model) -> NoteView {
    NoteView {
        id: m.id,
        conversation: ConversationId(m.conversation_id),
        author: UserId(m.author_user_id),
        author_name: m.author_name,
        body: m.body,
        at: m.created_at,
        client_id: m.client_id,
    }
}

/// The notes of a conversation, oldest first.
pub async fn list(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ConversationId,
) -> Result<Vec<NoteView>, AppError> {
    let c = policy::operator_conversation(db, actor, id).await?;
    of(db, c.id).await
}

/// The notes of conversation `id`, oldest first, without a rights check (the caller
/// has made it).
pub(crate) async fn of(db: &impl ConnectionTrait, id: i64) -> Result<Vec<NoteView>, AppError> {
    Ok(conversation_note::Entity::find()
        .filter(conversation_note::Column::ConversationId.eq(id))
        .order_by_asc(conversation_note::Column::Id)
        .limit(MAX_PER_CONVERSATION)
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(view)
        .collect())
}

/// Adds a note by the actor (shown as `name`) to conversation `id`, open or finished.
/// A note resent with the same client id is stored once and answered as stored.
pub async fn add(
    db: &DatabaseConnection,
    hub: &dyn Hub,
    actor: &Actor,
    name: &str,
    id: ConversationId,
    client_id: &ClientMsgId,
    body: &MessageBody,
) -> Result<NoteView, AppError> {
    let c = policy::operator_conversation(db, actor, id).await?;
    let txn = begin_write(db).await.or_internal()?;
    // The channel first, as every writer locks: notes of one conversation are counted
    // and added one at a time.
    open_channel::Entity::find_by_id(c.channel_id)
        .lock_exclusive()
        .one(&txn)
        .await
        .or_internal()?;
    let same = conversation_note::Entity::find()
        .filter(conversation_note::Column::ConversationId.eq(c.id))
        .filter(conversation_note::Column::ClientId.eq(client_id.as_str()))
        .one(&txn)
        .await
        .or_internal()?;
    if let Some(m) = same {
        // Only the one who wrote it gets it back; another's client id is taken.
        if m.author_user_id != actor.user.0 {
            return Err(AppError::Conflict {
                field: Field::ClientId,
                code: Code::InvalidFormat,
            });
        }
        return Ok(view(m));
    }
    let count = conversation_note::Entity::find()
        .filter(conversation_note::Column::ConversationId.eq(c.id))
        .count(&txn)
        .await
        .or_internal()?;
    if count >= MAX_PER_CONVERSATION {
        return Err(AppError::Invalid {
            field: Field::Body,
            code: Code::NoteLimit,
        });
    }
    let m = conversation_note::ActiveModel {
        conversation_id: Set(c.id),
        author_user_id: Set(actor.user.0),
        author_name: Set(name.to_string()),
        client_id: Set(client_id.as_str().to_string()),
        body: Set(body.as_str().to_string()),
        created_at: Set(now_ms()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .or_internal()?;
    txn.commit().await.or_internal()?;
    let note = view(m);
    hub.publish(
        &Topic::Channel(ChannelId(c.channel_id)),
        ServerMsg::InternalNote { note: note.clone() },
    );
    Ok(note)
}
