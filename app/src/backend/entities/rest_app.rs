//! An OAuth 2.0 app registered by an account's admin. Only the SHA-256 of its client
//! secret is kept.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rest_apps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub created_by: i64,
    pub name: String,
    pub handler_url: String,
    /// Comma-separated scopes.
    pub scopes: String,
    pub client_id: String,
    pub secret_hash: String,
    pub secret_hint: String,
    pub application_token: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
