//! Conversations and messages as stored: the channel behind a code, starting, closing
//! and appending within a transaction, the views the pages and events show, history and
//! typing. The lowest of the services: it calls none of them (adding a message is
//! [`crate::backend::messaging`]; finishing and rating, [`super::customer`]).
//!
//! Guarantees (with [`crate::backend::messaging`]):
//! - a message is committed before it is acknowledged or published;
//! - each conversation numbers its messages 1, 2, 3… (unique (conversation, seq));
//! - a resent message (same client id) is stored once and acknowledged again with the
//!   same seq (unique (conversation, client id) plus a look-up before writing);
//! - the per-customer limit of open conversations holds under concurrency: the check and
//!   the write happen in one write transaction that holds the channel's row lock on
//!   PostgreSQL and the database write lock on SQLite.

use crate::backend::entities::{account, conversation, message, network_connector, open_channel, user};
use crate::backend::hub::{Hub, Topic};
use crate::backend::policy::{self, ConversationRight};
use crate::backend::principal::{Actor, Customer, Party, Viewer};
use crate::backend::OrInternal;
use crate::domain::channel::ChannelCode;
use crate::domain::conversation::{Author, ConversationStatus};
use crate::domain::{AccountId, ChannelId, ConversationId, UserId};
use crate::error::{AppError, Code};
use crate::protocol::{ConversationView, MessageView, ServerMsg};
use crate::views::SessionUser;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::HashMap;

mod history;
mod user_code;

pub use history::*;
pub use user_code::*;

/// The customer `user` writing from account `slug`; they must work in it
/// ([`policy::customer`]).
pub async fn customer(
    db: &impl ConnectionTrait,
    user: &SessionUser,
    slug: &str,
) -> Result<Customer, AppError> {
    policy::customer(db, user, slug).await
}

/// What the rules need to know about the channel behind a code.
#[derive(Clone, Debug)]
pub struct ChannelInfo {
    pub channel: ChannelId,
    pub account: AccountId,
    pub name: String,
    pub welcome: String,
    pub limit: Option<i64>,
    pub available: bool,
    /// Whether finished conversations ask the customer for a rating.
    pub ask_rating: bool,
    /// Whether other accounts' apps may send messages from the channel (REST).
    pub rest_messages: bool,
    /// Working hours and automatic messages.
    pub hours: crate::domain::hours::Hours,
}

pub async fn channel_info(db: &impl ConnectionTrait, code: &ChannelCode) -> Result<ChannelInfo, AppError> {
    let n = network_connector::Entity::find()
        .filter(network_connector::Column::Code.eq(code.as_str()))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let c = open_channel::Entity::find_by_id(n.channel_id)
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let hours = n.hours();
    Ok(ChannelInfo {
        channel: ChannelId(c.id),
        account: AccountId(c.account_id),
        name: n.name,
        welcome: n.welcome_message,
        limit: n.multi_chat.then_some(n.chat_limit as i64),
        available: n.connected && c.active,
        ask_rating: n.ask_rating,
        rest_messages: !n.rest_messages_off,
        hours,
    })
}

/// Whether the customer may write to the channel behind `code` (not their own account's,
/// and available), without locking anything: a check made before reading an upload.
pub async fn channel_for_customer(
    db: &impl ConnectionTrait,
    customer: &Customer,
    code: &ChannelCode,
) -> Result<ChannelInfo, AppError> {
    let info = channel_info(db, code).await?;
    policy::channel_open_to(customer, info.account, info.available)?;
    Ok(info)
}

/// Whether `customer` may write in conversation `id` of the channel behind `code`:
/// theirs, with that channel (uploads ask before keeping a byte; the message path checks
/// everything again in its transaction). Anything else is `NotFound`.
pub async fn customer_may_write(
    db: &impl ConnectionTrait,
    customer: &Customer,
    code: &ChannelCode,
    id: ConversationId,
) -> Result<(), AppError> {
    let info = channel_info(db, code).await?;
    let c = policy::customer_conversation(db, customer, id).await?;
    if c.channel_id != info.channel.0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Whether the operator (or admin) `actor` may write in conversation `id`: one they see
/// in their inbox (uploads ask before keeping a byte).
pub async fn operator_may_write(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ConversationId,
) -> Result<(), AppError> {
    policy::operator_conversation(db, actor, id).await.map(|_| ())
}

/// The channel behind `code` for a customer to write to: not their own account's, and
/// available. Locks its row until the transaction ends (one writer per channel on
/// PostgreSQL; SQLite: the write transaction).
pub(crate) async fn writable_channel(
    txn: &DatabaseTransaction,
    customer: &Customer,
    code: &ChannelCode,
) -> Result<ChannelInfo, AppError> {
    let info = channel_for_customer(txn, customer, code).await?;
    open_channel::Entity::find_by_id(info.channel.0)
        .lock_exclusive()
        .one(txn)
        .await
        .or_internal()?;
    Ok(info)
}

/// Stores a new, empty conversation (status `new`) of a customer (user + account) with
/// channel `channel` of account `account`, assigned to `operator` or waiting in the queue.
pub(crate) async fn new_conversation(
    txn: &DatabaseTransaction,
    channel: ChannelId,
    account: AccountId,
    customer_user: UserId,
    customer_account: AccountId,
    operator: Option<UserId>,
    now: i64,
) -> Result<conversation::Model, AppError> {
    let c = conversation::ActiveModel {
        channel_id: Set(channel.0),
        account_id: Set(account.0),
        customer_user_id: Set(customer_user.0),
        customer_account_id: Set(customer_account.0),
        status: Set(ConversationStatus::New.as_str().to_string()),
        last_seq: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        closed_at: Set(None),
        operator_user_id: Set(operator.map(|o| o.0)),
        assigned_at: Set(operator.map(|_| now)),
        operator_read_seq: Set(0),
        customer_read_seq: Set(0),
        operator_unread: Set(0),
        preview: Set(String::new()),
        ..Default::default()
    }
    .insert(txn)
    .await
    .or_internal()?;
    super::app_events::record(txn, c.account_id, super::app_events::SESSION_START, c.id, 0, now).await?;
    Ok(c)
}

pub(crate) fn status(c: &conversation::Model) -> ConversationStatus {
    ConversationStatus::parse(&c.status)
}

/// The views of conversations, with the names they show (three look-ups in all).
pub(crate) async fn conversation_views(
    db: &impl ConnectionTrait,
    cs: &[conversation::Model],
) -> Result<Vec<ConversationView>, AppError> {
    let mut user_ids: Vec<i64> = cs.iter().map(|c| c.customer_user_id).collect();
    user_ids.extend(cs.iter().filter_map(|c| c.operator_user_id));
    let names = names_of(db, &user_ids).await?;
    let accounts: HashMap<i64, String> = account::Entity::find()
        .filter(account::Column::Id.is_in(cs.iter().map(|c| c.customer_account_id).collect::<Vec<_>>()))
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let channels: HashMap<i64, String> = open_channel::Entity::find()
        .filter(open_channel::Column::Id.is_in(cs.iter().map(|c| c.channel_id).collect::<Vec<_>>()))
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(cs
        .iter()
        .map(|c| ConversationView {
            id: ConversationId(c.id),
            channel: ChannelId(c.channel_id),
            status: status(c),
            customer_name: name(c.customer_user_id),
            customer_account: accounts.get(&c.customer_account_id).cloned().unwrap_or_default(),
            last_seq: c.last_seq,
            created_at: c.created_at,
            channel_name: channels.get(&c.channel_id).cloned().unwrap_or_default(),
            operator: c.operator_user_id.map(UserId),
            operator_name: c.operator_user_id.map(name).unwrap_or_default(),
            preview: c.preview.clone(),
            updated_at: c.updated_at,
            // A finished conversation asks nothing more of anyone.
            unread: if status(c) == ConversationStatus::Closed {
                0
            } else {
                c.operator_unread
            },
            operator_read_seq: c.operator_read_seq,
            customer_read_seq: c.customer_read_seq,
            rating: crate::domain::rating::Rating::from_stored(c.rating.as_deref()),
            rating_comment: c.rating_comment.clone().unwrap_or_default(),
        })
        .collect())
}

pub(crate) async fn conversation_view(
    db: &impl ConnectionTrait,
    c: &conversation::Model,
) -> Result<ConversationView, AppError> {
    Ok(conversation_views(db, std::slice::from_ref(c))
        .await?
        .pop()
        .expect("one view per conversation"))
}

/// Appends one message with the next sequence number (and keeps the conversation's
/// preview and the operators' unread count up to date).
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    conv: &mut conversation::Model,
    author: Author,
    author_user: Option<UserId>,
    client_id: &str,
    body: &str,
    now: i64,
) -> Result<message::Model, AppError> {
    let seq = conv.last_seq + 1;
    let m = message::ActiveModel {
        conversation_id: Set(conv.id),
        seq: Set(seq),
        client_id: Set(client_id.to_string()),
        author: Set(author.as_str().to_string()),
        author_user_id: Set(author_user.map(|u| u.0)),
        body: Set(body.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .or_internal()?;
    conv.last_seq = seq;
    conv.updated_at = now;
    conv.preview = crate::domain::conversation::preview_of(body);
    // Counters change atomically (`x = x + 1`), so a concurrent read receipt on another
    // connection can never lose an increment.
    let mut upd = conversation::Entity::update_many()
        .col_expr(conversation::Column::LastSeq, Expr::value(seq))
        .col_expr(conversation::Column::UpdatedAt, Expr::value(now))
        .col_expr(conversation::Column::Preview, Expr::value(conv.preview.clone()));
    if author == Author::Customer {
        conv.operator_unread += 1;
        upd = upd.col_expr(
            conversation::Column::OperatorUnread,
            sea_orm::sea_query::ExprTrait::add(Expr::col(conversation::Column::OperatorUnread), 1),
        );
    }
    // The customer has the last word (nothing to wait for), or the operators do.
    conv.awaiting_since = (author != Author::Customer).then_some(now);
    upd = upd.col_expr(
        conversation::Column::AwaitingSince,
        Expr::value(conv.awaiting_since),
    );
    upd.filter(conversation::Column::Id.eq(conv.id))
        .exec(txn)
        .await
        .or_internal()?;
    super::app_events::record(
        txn,
        conv.account_id,
        super::app_events::MESSAGE_ADD,
        conv.id,
        seq,
        now,
    )
    .await?;
    Ok(m)
}

pub(crate) fn message_view(m: &message::Model, author_name: &str) -> MessageView {
    let author = Author::parse(&m.author);
    MessageView {
        conversation: ConversationId(m.conversation_id),
        seq: m.seq,
        author,
        author_name: author_name.to_string(),
        body: m.body.clone(),
        at: m.created_at,
        client_id: (author != Author::Channel).then(|| m.client_id.clone()),
        files: m
            .files
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default(),
        rich: m.rich.as_deref().and_then(|j| serde_json::from_str(j).ok()),
    }
}

/// A customer's conversations with a channel (any status).
pub(crate) async fn customer_conversations_in(
    db: &impl ConnectionTrait,
    customer: &Customer,
    channel: ChannelId,
) -> Result<Vec<conversation::Model>, AppError> {
    conversation::Entity::find()
        .filter(conversation::Column::ChannelId.eq(channel.0))
        .filter(conversation::Column::CustomerUserId.eq(customer.user.0))
        .filter(conversation::Column::CustomerAccountId.eq(customer.account.0))
        .order_by_desc(conversation::Column::Id)
        .all(db)
        .await
        .or_internal()
}

/// Marks conversation `c` closed at `now` (in the caller's transaction).
pub(crate) async fn close(
    txn: &DatabaseTransaction,
    c: conversation::Model,
    now: i64,
) -> Result<conversation::Model, AppError> {
    let mut am: conversation::ActiveModel = c.into();
    am.status = Set(ConversationStatus::Closed.as_str().to_string());
    am.closed_at = Set(Some(now));
    am.updated_at = Set(now);
    let c = am.update(txn).await.or_internal()?;
    super::app_events::record(txn, c.account_id, super::app_events::SESSION_FINISH, c.id, 0, now).await?;
    Ok(c)
}

/// The per-customer rule for opening one more conversation, given the customer's open
/// ones: at the channel's limit it is refused (`conversation_limit`); with one chat at a
/// time the open ones are closed (and returned).
///
/// The limit counts the person's open conversations with the channel whichever of
/// their accounts they write from (`person`: user and channel), so more accounts are
/// not more conversations.
pub(crate) async fn make_room(
    txn: &DatabaseTransaction,
    limit: Option<i64>,
    open: Vec<conversation::Model>,
    person: (UserId, ChannelId),
    now: i64,
) -> Result<Vec<conversation::Model>, AppError> {
    match limit {
        Some(limit) => {
            let of_person = open_of_person(txn, person.0, person.1).await?;
            if open.len() as i64 >= limit || of_person >= limit {
                return Err(AppError::Limit {
                    code: Code::ConversationLimit,
                    retry_after_secs: 0,
                });
            }
            Ok(Vec::new())
        }
        None => {
            let mut closed = Vec::new();
            for c in open {
                closed.push(close(txn, c, now).await?);
            }
            Ok(closed)
        }
    }
}

pub(crate) fn hub_publish(hub: &dyn Hub, topics: &[Topic], msg: ServerMsg) {
    hub.publish_all(topics, msg);
}

/// The conversation if the operator may see it ([`policy::operator_conversation`]).
pub(crate) async fn operator_conversation(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ConversationId,
) -> Result<conversation::Model, AppError> {
    policy::operator_conversation(db, actor, id).await
}

pub(crate) async fn names_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, String>, AppError> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect())
}

/// The conversation if the viewer may read it ([`policy::conversation`]).
pub(crate) async fn viewable(
    db: &impl ConnectionTrait,
    viewer: &Viewer<'_>,
    id: ConversationId,
) -> Result<conversation::Model, AppError> {
    policy::conversation(db, viewer, ConversationRight::Read, id).await
}

/// Tells the other side of conversation `id` that the viewer is typing. Nothing is
/// stored; followers of the conversation see it for a few seconds.
pub async fn typing(
    db: &impl ConnectionTrait,
    hub: &dyn Hub,
    viewer: &Viewer<'_>,
    id: ConversationId,
    name: &str,
) -> Result<(), AppError> {
    let c = viewable(db, viewer, id).await?;
    if status(&c) == ConversationStatus::Closed {
        return Ok(());
    }
    let by = match viewer {
        Viewer::Customer(_) => Author::Customer,
        Viewer::Operator(_) => Author::Operator,
    };
    hub.publish(
        &Topic::Conversation(id),
        ServerMsg::Typing {
            conversation: id,
            by,
            name: name.to_string(),
        },
    );
    Ok(())
}

/// A customer's conversations with the channel behind `code`, newest first.
pub async fn customer_conversations(
    db: &impl ConnectionTrait,
    customer: &Customer,
    code: &ChannelCode,
) -> Result<Vec<ConversationView>, AppError> {
    let info = channel_info(db, code).await?;
    let cs = customer_conversations_in(db, customer, info.channel).await?;
    conversation_views(db, &cs).await
}

/// How many conversations with `channel` the person `user` has open, from any of their
/// accounts: what the channel's limit counts ([`make_room`]).
pub async fn open_of_person(
    db: &impl ConnectionTrait,
    user: UserId,
    channel: ChannelId,
) -> Result<i64, AppError> {
    let n = conversation::Entity::find()
        .filter(conversation::Column::ChannelId.eq(channel.0))
        .filter(conversation::Column::CustomerUserId.eq(user.0))
        .filter(conversation::Column::Status.ne(ConversationStatus::Closed.as_str()))
        .count(db)
        .await
        .or_internal()?;
    Ok(n as i64)
}

/// Who the REST caller `actor` (named `user_name`) is in conversation `id`, checked
/// exactly as the pages check it: an operator of its channel, else its customer
/// (writing from the caller's account to the conversation's channel); `NotFound` when
/// they are neither.
pub async fn party_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    user_name: &str,
    id: ConversationId,
) -> Result<Party, AppError> {
    match policy::operator_conversation(db, actor, id).await {
        Ok(_) => {
            return Ok(Party::Operator {
                actor: actor.clone(),
                name: user_name.to_string(),
            })
        }
        Err(AppError::NotFound | AppError::Forbidden) => {}
        Err(e) => return Err(e),
    }
    let customer = Customer::of_member(actor, user_name);
    viewable(db, &Viewer::Customer(&customer), id).await?;
    let code = code_of(db, id).await?;
    Ok(Party::Customer { customer, code })
}

/// The code of the channel a conversation belongs to.
pub async fn code_of(db: &impl ConnectionTrait, id: ConversationId) -> Result<ChannelCode, AppError> {
    let c = conversation::Entity::find_by_id(id.0)
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let n = network_connector::Entity::find()
        .filter(network_connector::Column::ChannelId.eq(c.channel_id))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    ChannelCode::parse(&n.code).map_err(|_| AppError::Internal)
}
