//! Conversations and messages: the reliable messaging core shared by the customer's chat
//! and the operators' inbox.
//!
//! Guarantees:
//! - a message is committed before it is acknowledged or published;
//! - each conversation numbers its messages 1, 2, 3… (unique (conversation, seq));
//! - a resent message (same client id) is stored once and acknowledged again with the
//!   same seq (unique (conversation, client id) plus a look-up before writing);
//! - the per-customer limit of open conversations holds under concurrency: the check and
//!   the write happen in one write transaction that holds the channel's row lock on
//!   PostgreSQL and the database write lock on SQLite.

use super::accounts::Actor;
use crate::api::SessionUser;
use crate::backend::db::begin_write;
use crate::backend::entities::{
    account, attachment, conversation, message, network_connector, open_channel, user,
};
use crate::backend::hub::{Hub, Topic};
use crate::backend::policy::{self, ConversationRight};
use crate::backend::{now_ms, OrInternal};
use crate::domain::channel::ChannelCode;
use crate::domain::conversation::{Author, ClientMsgId, ConversationStatus, MessageBody};
use crate::domain::{AccountId, ChannelId, ConversationId, UserId};
use crate::error::{AppError, Code, Field};
use crate::protocol::{ConversationView, MessageView, ServerMsg};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::collections::HashMap;

/// A customer: the signed-in user and the account they chose to write from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub user: UserId,
    pub user_name: String,
    pub account: AccountId,
    pub account_name: String,
    pub account_slug: String,
}

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
    let hours = super::hours::hours_of(&n);
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
    if info.account == customer.account {
        return Err(AppError::Invalid {
            field: Field::Account,
            code: Code::OwnAccount,
        });
    }
    if !info.available {
        return Err(AppError::Invalid {
            field: Field::Channel,
            code: Code::ChannelUnavailable,
        });
    }
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
async fn writable_channel(
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

/// Where a customer's message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Start a new conversation (within the channel's rules).
    New,
    /// Continue this conversation.
    Existing(ConversationId),
}

/// The server's acknowledgement of a stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ack {
    pub conversation: ConversationId,
    pub seq: i64,
    pub at: i64,
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

/// Records `files` as message `m`'s attachments (in `m`'s transaction) and writes their
/// list into the message itself. They count against the storage of the message's author
/// and of `charged_account`, the account the author wrote from.
async fn attach(
    txn: &DatabaseTransaction,
    mut m: message::Model,
    files: &[NewFile],
    charged_account: i64,
) -> Result<message::Model, AppError> {
    if files.is_empty() {
        return Ok(m);
    }
    let mut views = Vec::with_capacity(files.len());
    for f in files {
        let row = attachment::ActiveModel {
            conversation_id: Set(m.conversation_id),
            message_id: Set(m.id),
            key: Set(f.key.clone()),
            thumb_key: Set(f.thumb_key.clone()),
            name: Set(f.name.clone()),
            mime: Set(f.mime.clone()),
            size: Set(f.size),
            width: Set(f.width.map(|w| w as i32)),
            height: Set(f.height.map(|h| h as i32)),
            created_at: Set(m.created_at),
            uploaded_by: Set(m.author_user_id.unwrap_or(0)),
            charged_account: Set(charged_account),
            ..Default::default()
        }
        .insert(txn)
        .await
        .or_internal()?;
        views.push(crate::protocol::FileView {
            id: row.id,
            name: f.name.clone(),
            mime: f.mime.clone(),
            size: f.size,
            width: f.width,
            height: f.height,
        });
    }
    let json = serde_json::to_string(&views).or_internal()?;
    message::Entity::update_many()
        .col_expr(message::Column::Files, Expr::value(json.clone()))
        .filter(message::Column::Id.eq(m.id))
        .exec(txn)
        .await
        .or_internal()?;
    m.files = Some(json);
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
async fn customer_conversations_in(
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

/// The per-customer rule for opening one more conversation, given the customer's open
/// ones: at the channel's limit it is refused (`conversation_limit`); with one chat at a
/// time the open ones are closed (and returned).
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
            let of_person = conversation::Entity::find()
                .filter(conversation::Column::ChannelId.eq(person.1 .0))
                .filter(conversation::Column::CustomerUserId.eq(person.0 .0))
                .filter(conversation::Column::Status.ne(ConversationStatus::Closed.as_str()))
                .count(txn)
                .await
                .or_internal()?;
            if open.len() as i64 >= limit || of_person as i64 >= limit {
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

/// The customer finishes their own conversation `id` with the channel behind `code`
/// (nobody else's: another customer's id is "not found"). Finishing one already closed
/// changes nothing. The operator's place in the queue is freed at once.
pub async fn customer_finish(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    customer: &Customer,
    code: &ChannelCode,
    id: ConversationId,
) -> Result<(), AppError> {
    let txn = begin_write(db).await.or_internal()?;
    let info = writable_channel(&txn, customer, code).await?;
    let mine = customer_conversations_in(&txn, customer, info.channel).await?;
    let c = mine
        .into_iter()
        .find(|c| c.id == id.0)
        .ok_or(AppError::NotFound)?;
    if status(&c) == ConversationStatus::Closed {
        txn.rollback().await.or_internal()?;
        return Ok(());
    }
    let c = close(&txn, c, now_ms()).await?;
    txn.commit().await.or_internal()?;
    super::queue::publish_committed(db, hub, std::slice::from_ref(&c)).await;
    // The operator it was assigned to has room again.
    if let Err(e) = super::queue::dispatch(db, hub, info.channel).await {
        tracing::error!(error = ?e, channel = info.channel.0, "dispatch after a customer finished failed");
    }
    Ok(())
}

/// The customer rates their finished conversation `id` with the channel behind `code`,
/// once (nobody else's: another customer's id is "not found"). Operators see the rating
/// live in the inbox.
pub async fn customer_rate(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    customer: &Customer,
    code: &ChannelCode,
    id: ConversationId,
    rating: crate::domain::rating::Rating,
    comment: &crate::domain::rating::RatingComment,
) -> Result<(), AppError> {
    let info = channel_info(db, code).await?;
    let c = customer_conversations_in(db, customer, info.channel)
        .await?
        .into_iter()
        .find(|c| c.id == id.0)
        .ok_or(AppError::NotFound)?;
    if !info.ask_rating {
        return Err(AppError::Invalid {
            field: Field::Rating,
            code: Code::RatingOff,
        });
    }
    if status(&c) != ConversationStatus::Closed {
        return Err(AppError::Invalid {
            field: Field::Conversation,
            code: Code::NotFinished,
        });
    }
    let already = AppError::Conflict {
        field: Field::Rating,
        code: Code::AlreadyRated,
    };
    if c.rating.is_some() {
        return Err(already);
    }
    // Once: only a row still without a rating is changed, whoever posts at the same time.
    let changed = conversation::Entity::update_many()
        .col_expr(conversation::Column::Rating, Expr::value(rating.as_str()))
        .col_expr(
            conversation::Column::RatingComment,
            Expr::value((!comment.as_str().is_empty()).then(|| comment.as_str().to_string())),
        )
        .col_expr(conversation::Column::RatedAt, Expr::value(now_ms()))
        .filter(conversation::Column::Id.eq(c.id))
        .filter(conversation::Column::Rating.is_null())
        .exec(db)
        .await
        .or_internal()?;
    if changed.rows_affected == 0 {
        return Err(already);
    }
    let c = conversation::Entity::find_by_id(c.id)
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    super::queue::publish_committed(db, hub, std::slice::from_ref(&c)).await;
    Ok(())
}

/// Sends a customer's message to the channel behind `code`, opening a conversation when
/// asked to (and closing the current one when the channel allows only one).
pub async fn customer_send(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    customer: &Customer,
    code: &ChannelCode,
    target: Target,
    client_id: &ClientMsgId,
    body: &MessageBody,
) -> Result<Ack, AppError> {
    customer_send_files(db, hub, customer, code, target, client_id, body, &[]).await
}

/// [`customer_send`] with attachments, stored with the message in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn customer_send_files(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    customer: &Customer,
    code: &ChannelCode,
    target: Target,
    client_id: &ClientMsgId,
    body: &MessageBody,
    files: &[NewFile],
) -> Result<Ack, AppError> {
    let txn = begin_write(db).await.or_internal()?;
    let info = writable_channel(&txn, customer, code).await?;
    let mine = customer_conversations_in(&txn, customer, info.channel).await?;
    // A resend: answer with what was stored the first time.
    let ids: Vec<i64> = mine.iter().map(|c| c.id).collect();
    if let Some(m) = message::Entity::find()
        .filter(message::Column::ConversationId.is_in(ids))
        .filter(message::Column::Author.eq(Author::Customer.as_str()))
        .filter(message::Column::ClientId.eq(client_id.as_str()))
        .one(&txn)
        .await
        .or_internal()?
    {
        txn.rollback().await.or_internal()?;
        return Ok(Ack {
            conversation: ConversationId(m.conversation_id),
            seq: m.seq,
            at: m.created_at,
        });
    }
    let now = now_ms();
    let mut events: Vec<(Vec<Topic>, ServerMsg)> = Vec::new();
    let customer_topic = Topic::Customer {
        user: customer.user,
        account: customer.account,
        channel: info.channel,
    };
    let conv_topics = |id: i64| {
        vec![
            Topic::Conversation(ConversationId(id)),
            Topic::Channel(info.channel),
            customer_topic.clone(),
        ]
    };
    let mut conv = match target {
        Target::Existing(id) => {
            let c = mine
                .iter()
                .find(|c| c.id == id.0)
                .cloned()
                .ok_or(AppError::NotFound)?;
            if status(&c) == ConversationStatus::Closed {
                return Err(AppError::Invalid {
                    field: Field::Conversation,
                    code: Code::ConversationClosed,
                });
            }
            c
        }
        Target::New => {
            let open: Vec<conversation::Model> = mine
                .iter()
                .filter(|c| status(c) != ConversationStatus::Closed)
                .cloned()
                .collect();
            for closed in make_room(&txn, info.limit, open, (customer.user, info.channel), now).await? {
                events.push((
                    conv_topics(closed.id),
                    ServerMsg::Conversation {
                        conversation: conversation_view(&txn, &closed).await?,
                    },
                ));
            }
            let mut c = new_conversation(
                &txn,
                info.channel,
                info.account,
                customer.user,
                customer.account,
                None,
                now,
            )
            .await?;
            if !info.welcome.trim().is_empty() {
                // Server-made ids contain `:`, which client ids may not: never forgeable.
                let welcome_id = format!("sys:welcome:{}", c.id);
                let w = append(
                    &txn,
                    &mut c,
                    Author::Channel,
                    None,
                    &welcome_id,
                    &info.welcome,
                    now,
                )
                .await?;
                // Messages go to the conversation's followers and the operators' channel only.
                events.push((
                    vec![
                        Topic::Conversation(ConversationId(c.id)),
                        Topic::Channel(info.channel),
                    ],
                    ServerMsg::Message {
                        message: message_view(&w, &info.name),
                    },
                ));
            }
            c
        }
    };
    let m = append(
        &txn,
        &mut conv,
        Author::Customer,
        Some(customer.user),
        client_id.as_str(),
        body.as_str(),
        now,
    )
    .await?;
    let m = attach(&txn, m, files, customer.account.0).await?;
    // Outside working hours: the offline message, once per offline period.
    let offline = super::hours::offline_notice(&txn, &mut conv, &info.hours, now).await?;
    let new_view = if target == Target::New {
        Some(conversation_view(&txn, &conv).await?)
    } else {
        None
    };
    let closed_any = !events.is_empty();
    txn.commit().await.or_internal()?;
    // Published only after the commit.
    if let Some(view) = new_view {
        hub_publish(
            hub,
            &conv_topics(conv.id),
            ServerMsg::Conversation { conversation: view },
        );
    }
    for (topics, msg) in events {
        hub_publish(hub, &topics, msg);
    }
    // The customer's message, then the offline message if one was sent.
    let followers = [
        Topic::Conversation(ConversationId(conv.id)),
        Topic::Channel(info.channel),
    ];
    let stored = std::iter::once(message_view(&m, &customer.user_name))
        .chain(offline.map(|o| message_view(&o, &info.name)));
    for message in stored {
        hub_publish(hub, &followers, ServerMsg::Message { message });
    }
    if target == Target::New || closed_any {
        // A new conversation waits for an operator; a closed one freed one up. The
        // message is stored: a failure here is logged, never reported as "not sent".
        if let Err(e) = super::queue::dispatch(db, hub, info.channel).await {
            tracing::error!(error = ?e, channel = info.channel.0, "dispatch after a customer message failed");
        }
    }
    Ok(Ack {
        conversation: ConversationId(conv.id),
        seq: m.seq,
        at: m.created_at,
    })
}

/// A message from the channel itself to a customer (REST
/// `imopenlines.network.message.add`): it continues the customer's newest open
/// conversation with the channel, or opens one. At most `max` such messages reach one
/// customer per `window_ms` (`message_limit`), counted in the same transaction.
pub async fn channel_send(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    customer: &Customer,
    code: &ChannelCode,
    body: &MessageBody,
    rich: Option<&crate::domain::rich::Rich>,
    (max, window_ms): (u32, i64),
) -> Result<Ack, AppError> {
    let txn = begin_write(db).await.or_internal()?;
    let info = writable_channel(&txn, customer, code).await?;
    let counted = super::credentials::count_network_message(
        &txn,
        info.channel.0,
        customer.user.0,
        customer.account.0,
        max,
        window_ms,
    )
    .await?;
    if !counted {
        return Err(AppError::Limit {
            code: Code::MessageLimit,
            retry_after_secs: 0,
        });
    }
    let now = now_ms();
    let open = customer_conversations_in(&txn, customer, info.channel)
        .await?
        .into_iter()
        .find(|c| status(c) != ConversationStatus::Closed);
    let created = open.is_none();
    let mut conv = match open {
        Some(c) => c,
        None => {
            new_conversation(
                &txn,
                info.channel,
                info.account,
                customer.user,
                customer.account,
                None,
                now,
            )
            .await?
        }
    };
    let client_id = format!("sys:rest:{}", crate::backend::random_token(12));
    let mut m = append(
        &txn,
        &mut conv,
        Author::Channel,
        None,
        &client_id,
        body.as_str(),
        now,
    )
    .await?;
    if let Some(rich) = rich.filter(|r| !r.is_empty()) {
        let json = serde_json::to_string(rich).or_internal()?;
        message::Entity::update_many()
            .col_expr(message::Column::Rich, Expr::value(json.clone()))
            .filter(message::Column::Id.eq(m.id))
            .exec(&txn)
            .await
            .or_internal()?;
        m.rich = Some(json);
    }
    let view = if created {
        Some(conversation_view(&txn, &conv).await?)
    } else {
        None
    };
    txn.commit().await.or_internal()?;
    let topics = [
        Topic::Conversation(ConversationId(conv.id)),
        Topic::Channel(info.channel),
        Topic::Customer {
            user: customer.user,
            account: customer.account,
            channel: info.channel,
        },
    ];
    if let Some(view) = view {
        hub_publish(hub, &topics, ServerMsg::Conversation { conversation: view });
    }
    hub_publish(
        hub,
        &topics[..2],
        ServerMsg::Message {
            message: message_view(&m, &info.name),
        },
    );
    if created {
        if let Err(e) = super::queue::dispatch(db, hub, info.channel).await {
            tracing::error!(error = ?e, channel = info.channel.0, "dispatch after a channel message failed");
        }
    }
    Ok(Ack {
        conversation: ConversationId(conv.id),
        seq: m.seq,
        at: m.created_at,
    })
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

/// An operator's reply. The first reply marks the conversation answered (`open`).
pub async fn operator_send(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    operator_name: &str,
    id: ConversationId,
    client_id: &ClientMsgId,
    body: &MessageBody,
) -> Result<Ack, AppError> {
    operator_send_files(db, hub, actor, operator_name, id, client_id, body, &[]).await
}

/// [`operator_send`] with attachments, stored with the message in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn operator_send_files(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    operator_name: &str,
    id: ConversationId,
    client_id: &ClientMsgId,
    body: &MessageBody,
    files: &[NewFile],
) -> Result<Ack, AppError> {
    let txn = begin_write(db).await.or_internal()?;
    let first = operator_conversation(&txn, actor, id).await?;
    // One lock order everywhere: the channel, then the conversation. Every writer of a
    // conversation (the customer, the channel, operators) holds the channel's lock, so
    // sequence numbers and the operator's capacity are decided by one writer at a time.
    let queue = super::queue::lock_queue(&txn, ChannelId(first.channel_id)).await?;
    conversation::Entity::find_by_id(id.0)
        .lock_exclusive()
        .one(&txn)
        .await
        .or_internal()?;
    let mut conv = operator_conversation(&txn, actor, id).await?;
    if let Some(m) = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conv.id))
        .filter(message::Column::Author.eq(Author::Operator.as_str()))
        .filter(message::Column::AuthorUserId.eq(actor.user.0))
        .filter(message::Column::ClientId.eq(client_id.as_str()))
        .one(&txn)
        .await
        .or_internal()?
    {
        txn.rollback().await.or_internal()?;
        return Ok(Ack {
            conversation: id,
            seq: m.seq,
            at: m.created_at,
        });
    }
    if status(&conv) == ConversationStatus::Closed {
        return Err(AppError::Invalid {
            field: Field::Conversation,
            code: Code::ConversationClosed,
        });
    }
    let now = now_ms();
    let answered = status(&conv) == ConversationStatus::New;
    let taken = match conv.operator_user_id {
        Some(op) if op == actor.user.0 => false,
        Some(_) => {
            return Err(AppError::Conflict {
                field: Field::Conversation,
                code: Code::ConversationTaken,
            })
        }
        None => {
            // The first to answer takes it, within their capacity.
            let load = super::queue::load_of(&txn, ChannelId(conv.channel_id), actor.user).await?;
            if load >= queue.capacity as i64 {
                return Err(AppError::Limit {
                    code: Code::OperatorFull,
                    retry_after_secs: 0,
                });
            }
            true
        }
    };
    if answered || taken {
        let mut am: conversation::ActiveModel = conv.clone().into();
        if answered {
            am.status = Set(ConversationStatus::Open.as_str().to_string());
            am.first_response_at = Set(Some(now));
        }
        if taken {
            am.operator_user_id = Set(Some(actor.user.0));
            am.assigned_at = Set(Some(now));
        }
        conv = am.update(&txn).await.or_internal()?;
    }
    let m = append(
        &txn,
        &mut conv,
        Author::Operator,
        Some(actor.user),
        client_id.as_str(),
        body.as_str(),
        now,
    )
    .await?;
    let m = attach(&txn, m, files, conv.account_id).await?;
    txn.commit().await.or_internal()?;
    let topics = [
        Topic::Conversation(id),
        Topic::Channel(ChannelId(conv.channel_id)),
        Topic::Customer {
            user: UserId(conv.customer_user_id),
            account: AccountId(conv.customer_account_id),
            channel: ChannelId(conv.channel_id),
        },
    ];
    if answered || taken {
        // Stored already: a failure to describe it is logged, the ack still goes out.
        match conversation_view(db, &conv).await {
            Ok(view) => hub_publish(hub, &topics, ServerMsg::Conversation { conversation: view }),
            Err(e) => {
                tracing::error!(error = ?e, conversation = id.0, "conversation view after a reply failed")
            }
        }
    }
    hub_publish(
        hub,
        &topics[..2],
        ServerMsg::Message {
            message: message_view(&m, operator_name),
        },
    );
    Ok(Ack {
        conversation: id,
        seq: m.seq,
        at: m.created_at,
    })
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

/// Who is reading a conversation.
pub enum Viewer<'a> {
    Customer(&'a Customer),
    Operator(&'a Actor),
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

async fn views(
    db: &impl ConnectionTrait,
    conv: &conversation::Model,
    ms: Vec<message::Model>,
) -> Result<Vec<MessageView>, AppError> {
    let ids: Vec<i64> = ms.iter().filter_map(|m| m.author_user_id).collect();
    let names = names_of(db, &ids).await?;
    let channel_name = network_connector::Entity::find()
        .filter(network_connector::Column::ChannelId.eq(conv.channel_id))
        .one(db)
        .await
        .or_internal()?
        .map(|n| n.name)
        .unwrap_or_default();
    Ok(ms
        .iter()
        .map(|m| {
            let name = m
                .author_user_id
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_else(|| channel_name.clone());
            message_view(m, &name)
        })
        .collect())
}

/// Messages after `since_seq`, oldest first, at most `limit` (what a reconnecting client
/// missed).
pub async fn messages_since(
    db: &impl ConnectionTrait,
    viewer: &Viewer<'_>,
    id: ConversationId,
    since_seq: i64,
    limit: u64,
) -> Result<Vec<MessageView>, AppError> {
    let conv = viewable(db, viewer, id).await?;
    let ms = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conv.id))
        .filter(message::Column::Seq.gt(since_seq))
        .order_by_asc(message::Column::Seq)
        .limit(limit.min(500))
        .all(db)
        .await
        .or_internal()?;
    views(db, &conv, ms).await
}

/// The `limit` messages before `before_seq` (history paging), oldest first.
pub async fn messages_before(
    db: &impl ConnectionTrait,
    viewer: &Viewer<'_>,
    id: ConversationId,
    before_seq: i64,
    limit: u64,
) -> Result<Vec<MessageView>, AppError> {
    let conv = viewable(db, viewer, id).await?;
    let mut ms = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conv.id))
        .filter(message::Column::Seq.lt(before_seq))
        .order_by_desc(message::Column::Seq)
        .limit(limit.min(200))
        .all(db)
        .await
        .or_internal()?;
    ms.reverse();
    views(db, &conv, ms).await
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

/// How a REST caller (a membership) relates to a conversation.
pub enum Side {
    /// An operator (or admin) of the conversation's channel.
    Operator,
    /// The conversation's customer.
    Customer(Customer),
}

/// The caller's side of conversation `id`, checked exactly as the pages check it;
/// `NotFound` when they are on neither.
pub async fn side_of(
    db: &impl ConnectionTrait,
    actor: &Actor,
    user_name: &str,
    id: ConversationId,
) -> Result<Side, AppError> {
    match operator_conversation(db, actor, id).await {
        Ok(_) => return Ok(Side::Operator),
        Err(AppError::NotFound | AppError::Forbidden) => {}
        Err(e) => return Err(e),
    }
    let customer = Customer {
        user: actor.user,
        user_name: user_name.to_string(),
        account: actor.account,
        account_name: actor.account_name.clone(),
        account_slug: actor.slug.to_string(),
    };
    viewable(db, &Viewer::Customer(&customer), id).await?;
    Ok(Side::Customer(customer))
}

/// Messages by their global id (the REST API's `MESSAGE_ID`): before `last_id`, after
/// `first_id`, or the newest; at most `limit`, newest first. Each with its id and its
/// author's user id (none for the channel's own messages).
pub async fn messages_by_id(
    db: &impl ConnectionTrait,
    viewer: &Viewer<'_>,
    id: ConversationId,
    last_id: Option<i64>,
    first_id: Option<i64>,
    limit: u64,
) -> Result<Vec<(i64, Option<i64>, MessageView)>, AppError> {
    let conv = viewable(db, viewer, id).await?;
    let mut q = message::Entity::find().filter(message::Column::ConversationId.eq(conv.id));
    q = match (last_id, first_id) {
        (Some(l), _) => q
            .filter(message::Column::Id.lt(l))
            .order_by_desc(message::Column::Id),
        (None, Some(f)) => q
            .filter(message::Column::Id.gt(f))
            .order_by_asc(message::Column::Id),
        (None, None) => q.order_by_desc(message::Column::Id),
    };
    let mut ms = q.limit(limit).all(db).await.or_internal()?;
    ms.sort_by_key(|m| std::cmp::Reverse(m.id));
    let ids: Vec<(i64, Option<i64>)> = ms.iter().map(|m| (m.id, m.author_user_id)).collect();
    let vs = views(db, &conv, ms).await?;
    Ok(ids
        .into_iter()
        .zip(vs)
        .map(|((id, author), v)| (id, author, v))
        .collect())
}

/// The seq of message `message_id` in conversation `id`, and back.
pub async fn message_seq(
    db: &impl ConnectionTrait,
    id: ConversationId,
    message_id: i64,
) -> Result<Option<i64>, AppError> {
    Ok(message::Entity::find_by_id(message_id)
        .filter(message::Column::ConversationId.eq(id.0))
        .one(db)
        .await
        .or_internal()?
        .map(|m| m.seq))
}

pub async fn message_id_of(
    db: &impl ConnectionTrait,
    id: ConversationId,
    seq: i64,
) -> Result<Option<i64>, AppError> {
    Ok(message::Entity::find()
        .filter(message::Column::ConversationId.eq(id.0))
        .filter(message::Column::Seq.eq(seq))
        .one(db)
        .await
        .or_internal()?
        .map(|m| m.id))
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

/// Netlines' form of Bitrix24's `USER_CODE` (`connector|line|chat|user`): the
/// connector, the channel, the account the customer writes from and the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserCode {
    pub channel: ChannelId,
    pub customer_account: AccountId,
    pub customer: UserId,
}

impl UserCode {
    pub const CONNECTOR: &'static str = "network";

    /// `network|{channel}|{customer account}|{customer}`; anything else is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.trim().split('|');
        if parts.next()? != Self::CONNECTOR {
            return None;
        }
        let mut id = || parts.next()?.parse::<i64>().ok().filter(|n| *n > 0);
        let code = UserCode {
            channel: ChannelId(id()?),
            customer_account: AccountId(id()?),
            customer: UserId(id()?),
        };
        parts.next().is_none().then_some(code)
    }

    pub fn of(c: &conversation::Model) -> Self {
        UserCode {
            channel: ChannelId(c.channel_id),
            customer_account: AccountId(c.customer_account_id),
            customer: UserId(c.customer_user_id),
        }
    }
}

impl std::fmt::Display for UserCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}|{}|{}|{}",
            Self::CONNECTOR,
            self.channel.0,
            self.customer_account.0,
            self.customer.0
        )
    }
}

/// The user code of conversation `id` (no rights checked: callers check them first).
pub async fn user_code_of(db: &impl ConnectionTrait, id: ConversationId) -> Result<UserCode, AppError> {
    conversation::Entity::find_by_id(id.0)
        .one(db)
        .await
        .or_internal()?
        .map(|c| UserCode::of(&c))
        .ok_or(AppError::NotFound)
}

/// The conversation an operator opens for a customer (`imopenlines.session.open`): the
/// newest one still going, else the newest finished one. `NotFound` both when there is
/// none and when the actor may not see it, so nobody learns who writes to whom.
pub async fn open_by_user_code(
    db: &impl ConnectionTrait,
    actor: &Actor,
    code: UserCode,
) -> Result<ConversationId, AppError> {
    let rows = conversation::Entity::find()
        .filter(conversation::Column::ChannelId.eq(code.channel.0))
        .filter(conversation::Column::CustomerAccountId.eq(code.customer_account.0))
        .filter(conversation::Column::CustomerUserId.eq(code.customer.0))
        .order_by_desc(conversation::Column::Id)
        .all(db)
        .await
        .or_internal()?;
    let found = rows
        .iter()
        .find(|c| c.status != ConversationStatus::Closed.as_str())
        .or_else(|| rows.first())
        .ok_or(AppError::NotFound)?;
    let id = ConversationId(found.id);
    match operator_conversation(db, actor, id).await {
        Ok(_) => Ok(id),
        Err(AppError::Forbidden) => Err(AppError::NotFound),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod user_code_tests {
    use super::*;

    #[test]
    fn user_codes_read_back_what_they_write_and_nothing_else() {
        let c = UserCode {
            channel: ChannelId(3),
            customer_account: AccountId(7),
            customer: UserId(11),
        };
        assert_eq!(c.to_string(), "network|3|7|11");
        assert_eq!(UserCode::parse("network|3|7|11"), Some(c));
        assert_eq!(UserCode::parse(" network|3|7|11 "), Some(c));
        for bad in [
            "",
            "network",
            "network|3|7",
            "network|3|7|11|1",
            "livechat|3|7|11",
            "network|x|7|11",
            "network|0|7|11",
            "network|-3|7|11",
            "network|3||11",
        ] {
            assert_eq!(UserCode::parse(bad), None, "{bad}");
        }
    }
}
