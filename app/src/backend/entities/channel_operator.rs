//! A user in an open channel's operator queue.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_operators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: i64,
    pub user_id: i64,
    /// When this operator was last given a conversation (round-robin tie-break).
    pub last_assigned_at: i64,
    /// Place in the queue's order (1 first); "strictly in order" follows it.
    pub position: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
