//! An OAuth app's subscription to one event (`event.bind`), delivered to its handler.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_bindings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub app_id: i64,
    pub account_id: i64,
    pub event: String,
    pub handler_url: String,
    pub created_at: i64,
    /// The member whose grant the binding acts with: events only for conversations
    /// they may read, and none once the grant is gone.
    pub user_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
