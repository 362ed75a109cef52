//! One file of a message: its bytes' content key in the file store, the thumbnail's for
//! images, and what is shown of it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conversation_id: i64,
    pub message_id: i64,
    pub key: String,
    pub thumb_key: Option<String>,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub created_at: i64,
    /// The user who uploaded it (storage quotas).
    pub uploaded_by: i64,
    /// The account its bytes count against: the one the uploader wrote from.
    pub charged_account: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
