//! The full path: one message per transaction, with every rule ([`super::rules::admit`])
//! and everything only it does — starting a conversation (the channel's limits, its
//! welcome message), taking and answering a waiting conversation, the offline message,
//! attachments — and the channel's own messages sent through REST.
//!
//! Every change is published only after the commit; a conversation started or freed is
//! then offered to the queue.

use super::rules::{self, ConvFacts, Facts, Verdict};
use super::{Ack, Append, Target};
use crate::backend::db::begin_write;
use crate::backend::entities::{attachment, conversation, message};
use crate::backend::hub::{Hub, Topic};
use crate::backend::policy;
use crate::backend::principal::{Actor, Customer, Party};
use crate::backend::services::attachments::NewFile;
use crate::backend::services::conversations;
use crate::backend::services::{credentials, hours, queue};
use crate::backend::{now_ms, OrInternal};
use crate::domain::channel::ChannelCode;
use crate::domain::conversation::{Author, ConversationStatus, MessageBody};
use crate::domain::{AccountId, ChannelId, ConversationId, UserId};
use crate::error::{AppError, Code, Field};
use crate::protocol::ServerMsg;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set, TransactionTrait,
};

/// Adds `a` with its attachments `files` (already in the file store) by every rule, in
/// one transaction; answers once it is committed and published.
pub async fn send(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    a: &Append,
    files: &[NewFile],
) -> Result<Ack, AppError> {
    match (&a.party, a.target) {
        (Party::Customer { customer, code }, _) => customer_send(db, hub, a, (customer, code), files).await,
        (Party::Operator { actor, name }, Target::Existing(id)) => {
            operator_send(db, hub, a, (actor, name, id), files).await
        }
        (Party::Operator { .. }, Target::New) => Err(AppError::Invalid {
            field: Field::Conversation,
            code: Code::Required,
        }),
    }
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

/// A customer's message to the channel behind `code`, opening a conversation when
/// asked to (and closing the current one when the channel allows only one), with its
/// attachments, in one transaction.
async fn customer_send(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    a: &Append,
    (customer, code): (&Customer, &ChannelCode),
    files: &[NewFile],
) -> Result<Ack, AppError> {
    let (target, client_id, body) = (a.target, &a.client_id, &a.body);
    let txn = begin_write(db).await.or_internal()?;
    let info = conversations::writable_channel(&txn, customer, code).await?;
    let mine = conversations::customer_conversations_in(&txn, customer, info.channel).await?;
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
            let facts = ConvFacts::from(&c);
            let facts = Facts {
                conversation: &facts,
                code: Some(code.as_str()),
                available: info.available,
                // The full path sends the offline message itself when it is due.
                offline_message: hours::offline_with_message(&info.hours, now),
                serving: false,
            };
            if let Verdict::Refuse(e) = rules::admit(&facts, &a.party) {
                return Err(e);
            }
            c
        }
        Target::New => {
            let open: Vec<conversation::Model> = mine
                .iter()
                .filter(|c| conversations::status(c) != ConversationStatus::Closed)
                .cloned()
                .collect();
            for closed in
                conversations::make_room(&txn, info.limit, open, (customer.user, info.channel), now).await?
            {
                events.push((
                    conv_topics(closed.id),
                    ServerMsg::Conversation {
                        conversation: conversations::conversation_view(&txn, &closed).await?,
                    },
                ));
            }
            let mut c = conversations::new_conversation(
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
                let w = conversations::append(
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
                        message: conversations::message_view(&w, &info.name),
                    },
                ));
            }
            c
        }
    };
    let m = conversations::append(
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
    let offline = hours::offline_notice(&txn, &mut conv, &info.hours, now).await?;
    let new_view = if target == Target::New {
        Some(conversations::conversation_view(&txn, &conv).await?)
    } else {
        None
    };
    let closed_any = !events.is_empty();
    txn.commit().await.or_internal()?;
    // Published only after the commit.
    if let Some(view) = new_view {
        hub.publish_all(
            &conv_topics(conv.id),
            ServerMsg::Conversation { conversation: view },
        );
    }
    for (topics, msg) in events {
        hub.publish_all(&topics, msg);
    }
    // The customer's message, then the offline message if one was sent.
    let followers = [
        Topic::Conversation(ConversationId(conv.id)),
        Topic::Channel(info.channel),
    ];
    let stored = std::iter::once(conversations::message_view(&m, &customer.user_name))
        .chain(offline.map(|o| conversations::message_view(&o, &info.name)));
    for message in stored {
        hub.publish_all(&followers, ServerMsg::Message { message });
    }
    if target == Target::New || closed_any {
        // A new conversation waits for an operator; a closed one freed one up. The
        // message is stored: a failure here is logged, never reported as "not sent".
        if let Err(e) = queue::dispatch(db, hub, info.channel).await {
            tracing::error!(error = ?e, channel = info.channel.0, "dispatch after a customer message failed");
        }
    }
    Ok(Ack {
        conversation: ConversationId(conv.id),
        seq: m.seq,
        at: m.created_at,
    })
}

/// An operator's (or admin's) reply in conversation `id`, with its attachments, in one
/// transaction. The first reply answers the conversation (`open`); a reply to a
/// waiting conversation takes it, within the operator's capacity.
async fn operator_send(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    hub: &dyn Hub,
    a: &Append,
    (actor, operator_name, id): (&Actor, &str, ConversationId),
    files: &[NewFile],
) -> Result<Ack, AppError> {
    let (client_id, body) = (&a.client_id, &a.body);
    let txn = begin_write(db).await.or_internal()?;
    let first = policy::operator_conversation(&txn, actor, id).await?;
    // One lock order everywhere: the channel, then the conversation. Every writer of a
    // conversation (the customer, the channel, operators) holds the channel's lock, so
    // sequence numbers and the operator's capacity are decided by one writer at a time.
    let locked = queue::lock_queue(&txn, ChannelId(first.channel_id)).await?;
    conversation::Entity::find_by_id(id.0)
        .lock_exclusive()
        .one(&txn)
        .await
        .or_internal()?;
    let mut conv = policy::operator_conversation(&txn, actor, id).await?;
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
    let facts = ConvFacts::from(&conv);
    let facts = Facts {
        conversation: &facts,
        code: None,
        available: true,
        offline_message: false,
        // `policy::operator_conversation` confirmed it in this transaction.
        serving: true,
    };
    let duties = match rules::admit(&facts, &a.party) {
        Verdict::Admit(duties) => duties,
        Verdict::Refuse(e) => return Err(e),
    };
    let now = now_ms();
    let (answered, taken) = (duties.answer, duties.take);
    if taken {
        // The first to answer takes it, within their capacity.
        let load = queue::load_of(&txn, ChannelId(conv.channel_id), actor.user).await?;
        if load >= locked.capacity as i64 {
            return Err(AppError::Limit {
                code: Code::OperatorFull,
                retry_after_secs: 0,
            });
        }
    }
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
    let m = conversations::append(
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
        match conversations::conversation_view(db, &conv).await {
            Ok(view) => hub.publish_all(&topics, ServerMsg::Conversation { conversation: view }),
            Err(e) => {
                tracing::error!(error = ?e, conversation = id.0, "conversation view after a reply failed")
            }
        }
    }
    hub.publish_all(
        &topics[..2],
        ServerMsg::Message {
            message: conversations::message_view(&m, operator_name),
        },
    );
    Ok(Ack {
        conversation: id,
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
    let info = conversations::writable_channel(&txn, customer, code).await?;
    let counted = credentials::count_network_message(
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
    let open = conversations::customer_conversations_in(&txn, customer, info.channel)
        .await?
        .into_iter()
        .find(|c| conversations::status(c) != ConversationStatus::Closed);
    let created = open.is_none();
    let mut conv = match open {
        Some(c) => c,
        None => {
            conversations::new_conversation(
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
    let mut m = conversations::append(
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
        Some(conversations::conversation_view(&txn, &conv).await?)
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
        hub.publish_all(&topics, ServerMsg::Conversation { conversation: view });
    }
    hub.publish_all(
        &topics[..2],
        ServerMsg::Message {
            message: conversations::message_view(&m, &info.name),
        },
    );
    if created {
        if let Err(e) = queue::dispatch(db, hub, info.channel).await {
            tracing::error!(error = ?e, channel = info.channel.0, "dispatch after a channel message failed");
        }
    }
    Ok(Ack {
        conversation: ConversationId(conv.id),
        seq: m.seq,
        at: m.created_at,
    })
}
