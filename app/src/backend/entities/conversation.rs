//! One dialog between a customer (user + the account they write from) and a channel.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: i64,
    /// The channel's account (the operators' tenant).
    pub account_id: i64,
    pub customer_user_id: i64,
    /// The account the customer writes from.
    pub customer_account_id: i64,
    /// `new`, `open` or `closed`.
    pub status: String,
    /// Sequence number of the last message.
    pub last_seq: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    /// The operator the conversation is assigned to (none: waiting in the queue).
    pub operator_user_id: Option<i64>,
    pub assigned_at: Option<i64>,
    /// The last seq the operators have read / the customer has read.
    pub operator_read_seq: i64,
    pub customer_read_seq: i64,
    /// Customer messages after `operator_read_seq`.
    pub operator_unread: i64,
    /// The start of the last message (inbox list).
    pub preview: String,
    /// The customer's rating once finished: `like` or `dislike`.
    pub rating: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub rating_comment: Option<String>,
    pub rated_at: Option<i64>,
    /// When an operator first answered.
    pub first_response_at: Option<i64>,
    /// Since when an answered conversation waits for the customer (the last message is
    /// the operators' or the channel's); none while the customer has the last word.
    pub awaiting_since: Option<i64>,
    /// When the no-answer message was sent.
    pub no_answer_at: Option<i64>,
    /// When the last offline message was sent.
    pub offline_notice_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
