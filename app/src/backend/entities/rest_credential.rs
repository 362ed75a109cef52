//! A REST credential of one membership (user + account): an inbound webhook or an
//! access token. Only the SHA-256 of the secret is kept.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rest_credentials")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `webhook`, `token` (issued on the profile page), or an app's `oauth` (access)
    /// and `refresh` tokens.
    pub kind: String,
    pub user_id: i64,
    pub account_id: i64,
    pub secret_hash: String,
    pub hint: String,
    pub title: String,
    /// Comma-separated scopes (`imopenlines`, `im`).
    pub scopes: String,
    pub created_at: i64,
    /// Unix ms; 0 = never.
    pub expires_at: i64,
    /// The OAuth app the token was issued to.
    pub app_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
