//! The "Network" channel attached to one open channel, with its settings.
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
