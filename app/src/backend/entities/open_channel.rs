//! An account's inbound chat line.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "open_channels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub active: bool,
    pub created_at: i64,
    /// `all` (everyone sees new conversations; the first to answer takes it), `even`
    /// (assigned to the least-loaded online operator) or `strict` (to the first online
    /// operator with room, in the queue's order).
    pub distribution: String,
    /// Simultaneous conversations per operator.
    pub max_per_operator: i32,
    /// Seconds an assigned conversation may stay unanswered before it passes to the
    /// next operator; 0: off.
    pub take_seconds: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
