//! A network identity.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The address as the user typed it.
    pub email: String,
    /// Lower-cased address: the unique key.
    #[sea_orm(unique)]
    pub email_norm: String,
    pub name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    pub created_at: i64,
    /// The zone chosen on the profile (IANA name): used where the browser's is unknown.
    pub time_zone: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
