//! One message; unique on (conversation, seq) and on (conversation, client id).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conversation_id: i64,
    pub seq: i64,
    pub client_id: String,
    /// `customer`, `operator` or `channel`.
    pub author: String,
    pub author_user_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub created_at: i64,
    /// The message's attachments ([`crate::protocol::FileView`]s as JSON), if any.
    #[sea_orm(column_type = "Text", nullable)]
    pub files: Option<String>,
    /// Rich blocks and link buttons ([`crate::domain::rich::Rich`] as JSON), if any.
    #[sea_orm(column_type = "Text", nullable)]
    pub rich: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
