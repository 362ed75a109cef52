//! One event to deliver to one binding, with its delivery state (the app's delivery log).
//! Its id is the event's stable id (`event_id`): the same on every retry.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub binding_id: i64,
    pub account_id: i64,
    pub event: String,
    pub conversation_id: i64,
    pub seq: i64,
    pub status: String,
    pub attempts: i32,
    pub next_at: i64,
    pub lease_until: i64,
    pub created_at: i64,
    pub last_at: i64,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    /// The event's data as it was when the change happened (JSON), sent as it is.
    pub data: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
