//! The "Network" channel attached to one open channel, with its settings.
use crate::backend::OrInternal;
use crate::domain::hours::{Hours, OfflineQueue};
use crate::error::AppError;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "network_connectors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub channel_id: i64,
    /// 32 lowercase hex characters; kept across disconnect / reconnect.
    #[sea_orm(unique)]
    pub code: String,
    pub connected: bool,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "Text")]
    pub welcome_message: String,
    /// Content hash of the current avatar (see `avatar_images`), if any.
    pub avatar_key: Option<String>,
    pub multi_chat: bool,
    pub chat_limit: i32,
    /// Ask the customer to rate a finished conversation.
    pub ask_rating: bool,
    /// Messages from other accounts' apps (`imopenlines.network.message.add`) refused.
    pub rest_messages_off: bool,
    /// Working hours on (see [`crate::domain::hours`]).
    pub hours_on: bool,
    /// IANA name of the zone the schedule is written in.
    pub time_zone: String,
    /// Seven `HH:MM-HH:MM` or empty, Monday first.
    pub week: String,
    /// `YYYY-MM-DD` dates, comma-separated.
    #[sea_orm(column_type = "Text")]
    pub holidays: String,
    #[sea_orm(column_type = "Text")]
    pub offline_message: String,
    /// `wait` (nobody is assigned until opening) or `accept`.
    pub offline_queue: String,
    pub no_answer_minutes: i32,
    #[sea_orm(column_type = "Text")]
    pub no_answer_message: String,
    pub auto_close_minutes: i32,
    #[sea_orm(column_type = "Text")]
    pub auto_close_message: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// A connector's working hours and automatic messages.
    pub fn hours(&self) -> Hours {
        Hours {
            offline_queue: OfflineQueue::from_stored(&self.offline_queue),
            no_answer_minutes: self.no_answer_minutes.max(0) as u32,
            no_answer_message: self.no_answer_message.clone(),
            auto_close_minutes: self.auto_close_minutes.max(0) as u32,
            auto_close_message: self.auto_close_message.clone(),
            ..stored_hours(
                self.hours_on,
                self.time_zone.clone(),
                &self.week,
                &self.holidays,
                self.offline_message.clone(),
            )
        }
    }
}

/// The clock part of a connector's stored hours (the columns that decide whether it is
/// open, and what it says when it is not); the automatic messages are left unset. The
/// one decoder of those columns: [`Model::hours`] and the message writer's own SQLite
/// reader both use it.
pub fn stored_hours(
    enabled: bool,
    time_zone: String,
    week: &str,
    holidays: &str,
    offline_message: String,
) -> Hours {
    Hours {
        enabled,
        time_zone,
        week: Hours::week_from_stored(week),
        holidays: Hours::holidays_from_stored(holidays),
        offline_message,
        ..Default::default()
    }
}

/// The connector of open channel `channel`, if it has one.
pub async fn of_channel(db: &impl ConnectionTrait, channel: i64) -> Result<Option<Model>, AppError> {
    Entity::find()
        .filter(Column::ChannelId.eq(channel))
        .one(db)
        .await
        .or_internal()
}
