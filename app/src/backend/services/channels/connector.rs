//! A channel's Network connector: connecting (a code kept for life), its settings and
//! avatar, disconnecting, and the card customers see.

use super::*;

/// Which channel to connect: an existing one, or a new one created on the spot.
pub enum ConnectTarget {
    Existing(ChannelId),
    New(ChannelName),
}

pub(super) fn new_code() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Connects the Network channel to an open channel. A channel that was disconnected
/// gets its old code back; one that is connected already is refused.
pub async fn connect(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    actor: &Actor,
    target: ConnectTarget,
) -> Result<ChannelId, AppError> {
    actor.require_admin()?;
    let txn = begin_write(db).await.or_internal()?;
    lock_account(&txn, actor.account.0).await.or_internal()?;
    let channel = match target {
        ConnectTarget::Existing(id) => channel_of(&txn, actor, id).await.map_err(|_| AppError::Invalid {
            field: Field::Channel,
            code: Code::NotFound,
        })?,
        ConnectTarget::New(name) => create_channel(&txn, actor, &name).await?,
    };
    let now = now_ms();
    match network_connector::of_channel(&txn, channel.id).await? {
        Some(c) if c.connected => {
            return Err(AppError::Conflict {
                field: Field::Channel,
                code: Code::ChannelTaken,
            });
        }
        Some(c) => {
            let mut am: network_connector::ActiveModel = c.into();
            am.connected = Set(true);
            am.updated_at = Set(now);
            am.update(&txn).await.or_internal()?;
        }
        None => insert_connector(&txn, &channel, now).await?,
    }
    txn.commit().await.or_internal()?;
    Ok(ChannelId(channel.id))
}

/// A new, connected Network connector with a fresh code for `channel`.
pub(super) async fn insert_connector(
    txn: &DatabaseTransaction,
    channel: &open_channel::Model,
    now: i64,
) -> Result<(), AppError> {
    // 128 random bits: a collision is practically impossible, but the unique
    // index has the last word, so retry a few times rather than fail.
    let mut attempt = 0;
    loop {
        let res = network_connector::ActiveModel {
            channel_id: Set(channel.id),
            code: Set(new_code()),
            connected: Set(true),
            name: Set(channel.name.clone()),
            description: Set(String::new()),
            welcome_message: Set(String::new()),
            avatar_key: Set(None),
            multi_chat: Set(false),
            chat_limit: Set(DEFAULT_LIMIT),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await;
        match res {
            Ok(_) => return Ok(()),
            Err(e) if attempt < 3 && matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                attempt += 1;
            }
            Err(e) => return Err(internal(e)),
        }
    }
}

/// Stops the link and the REST methods; keeps the code, settings and history.
pub async fn disconnect(db: &impl ConnectionTrait, actor: &Actor, id: ChannelId) -> Result<(), AppError> {
    actor.require_admin()?;
    let c = channel_of(db, actor, id).await?;
    let conn = network_connector::of_channel(db, c.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut am: network_connector::ActiveModel = conn.into();
    am.connected = Set(false);
    am.updated_at = Set(now_ms());
    am.update(db).await.or_internal()?;
    Ok(())
}

/// The settings form's data. Admins only: operators get `Forbidden`.
pub async fn settings(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ChannelId,
    public_url: &str,
) -> Result<ConnectorSettingsView, AppError> {
    actor.require_admin()?;
    let c = channel_of(db, actor, id).await?;
    let n = network_connector::of_channel(db, c.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let code = ChannelCode::parse(&n.code).or_internal()?;
    Ok(ConnectorSettingsView {
        account: actor.summary(),
        channel_id: ChannelId(c.id),
        channel_name: c.name,
        channel_active: c.active,
        connected: n.connected,
        link: code.link(public_url),
        code: n.code,
        name: n.name,
        description: n.description,
        welcome_message: n.welcome_message,
        avatar_url: n.avatar_key.as_deref().map(|k| avatar_url(k, 256)),
        multi_chat: n.multi_chat,
        chat_limit: n.chat_limit.clamp(2, 20) as u8,
        ask_rating: n.ask_rating,
        rest_messages: !n.rest_messages_off,
    })
}

/// What to do with the avatar when saving settings.
pub enum AvatarChange {
    Keep,
    Remove,
    Replace(Avatar),
}

/// Saves valid settings (and the avatar) in one transaction. Admins only.
pub async fn save_settings(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = DatabaseTransaction>),
    actor: &Actor,
    id: ChannelId,
    s: &Settings,
    avatar: AvatarChange,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let txn = begin_write(db).await.or_internal()?;
    let c = channel_of(&txn, actor, id).await?;
    let n = network_connector::of_channel(&txn, c.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let now = now_ms();
    let avatar_key = match avatar {
        AvatarChange::Keep => n.avatar_key.clone(),
        AvatarChange::Remove => None,
        AvatarChange::Replace(a) => {
            for (size, bytes) in &a.renditions {
                let exists = avatar_image::Entity::find()
                    .filter(avatar_image::Column::Key.eq(&a.key))
                    .filter(avatar_image::Column::Size.eq(*size as i32))
                    .one(&txn)
                    .await
                    .or_internal()?
                    .is_some();
                if !exists {
                    avatar_image::ActiveModel {
                        key: Set(a.key.clone()),
                        size: Set(*size as i32),
                        content_type: Set("image/png".into()),
                        bytes: Set(bytes.clone()),
                        created_at: Set(now),
                        ..Default::default()
                    }
                    .insert(&txn)
                    .await
                    .or_internal()?;
                }
            }
            Some(a.key)
        }
    };
    let mut am: network_connector::ActiveModel = n.clone().into();
    am.name = Set(s.name.as_str().to_string());
    am.description = Set(s.description.clone());
    am.welcome_message = Set(s.welcome_message.clone());
    am.multi_chat = Set(s.chat_limit.is_some());
    am.ask_rating = Set(s.ask_rating);
    if let Some(off) = s.rest_messages_off {
        am.rest_messages_off = Set(off);
    }
    am.chat_limit = Set(s.chat_limit.map(|l| l.get() as i32).unwrap_or(n.chat_limit));
    am.avatar_key = Set(avatar_key.clone());
    am.updated_at = Set(now);
    am.update(&txn).await.or_internal()?;
    // A rendition no channel uses any more is deleted (the same picture may be shared
    // by several channels: its key is its content hash).
    if let Some(old) = n.avatar_key.filter(|k| Some(k) != avatar_key.as_ref()) {
        drop_avatar_if_unused(&txn, &old).await?;
    }
    txn.commit().await.or_internal()
}

/// Deletes the renditions of `key` when no channel uses that picture any more.
pub(super) async fn drop_avatar_if_unused(txn: &DatabaseTransaction, key: &str) -> Result<(), AppError> {
    let still_used = network_connector::Entity::find()
        .filter(network_connector::Column::AvatarKey.eq(key))
        .one(txn)
        .await
        .or_internal()?
        .is_some();
    if !still_used {
        avatar_image::Entity::delete_many()
            .filter(avatar_image::Column::Key.eq(key))
            .exec(txn)
            .await
            .or_internal()?;
    }
    Ok(())
}

/// The public card behind a code: what anyone holding the link sees.
pub async fn card(db: &impl ConnectionTrait, code: &ChannelCode) -> Result<ChannelCard, AppError> {
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
    let hours = crate::backend::services::hours::availability(&n.hours(), crate::backend::now_ms());
    Ok(ChannelCard {
        code: n.code,
        name: n.name,
        description: n.description,
        avatar_url: n.avatar_key.as_deref().map(|k| avatar_url(k, 256)),
        available: n.connected && c.active,
        hours,
        welcome: n.welcome_message,
    })
}

/// One stored avatar rendition.
pub async fn avatar_bytes(
    db: &impl ConnectionTrait,
    key: &str,
    size: u32,
) -> Result<Option<Vec<u8>>, AppError> {
    Ok(avatar_image::Entity::find()
        .filter(avatar_image::Column::Key.eq(key))
        .filter(avatar_image::Column::Size.eq(size as i32))
        .one(db)
        .await
        .or_internal()?
        .map(|a| a.bytes))
}
