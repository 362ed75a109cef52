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
    /// `all` (everyone sees new conversations; the first to answer takes it) or `even`
    /// (assigned to the least-loaded online operator).
    pub distribution: String,
    /// Simultaneous conversations per operator.
    pub max_per_operator: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
