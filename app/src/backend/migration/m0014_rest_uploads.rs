//! Files uploaded through the REST API (`disk.folder.uploadfile`) before they are sent
//! (`im.disk.file.commit`): the bytes are already in the file store; the row says whose
//! they are, for which conversation, and — once sent — in which message.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, integer_null, string, string_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RestUploads {
    Table,
    Id,
    ConversationId,
    UserId,
    AccountId,
    Key,
    ThumbKey,
    Name,
    Mime,
    Size,
    Width,
    Height,
    MessageId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RestUploads::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RestUploads::Id))
                    .col(big_integer(RestUploads::ConversationId))
                    .col(big_integer(RestUploads::UserId))
                    .col(big_integer(RestUploads::AccountId))
                    .col(string(RestUploads::Key))
                    .col(string_null(RestUploads::ThumbKey))
                    .col(string(RestUploads::Name))
                    .col(string(RestUploads::Mime))
                    .col(big_integer(RestUploads::Size))
                    .col(integer_null(RestUploads::Width))
                    .col(integer_null(RestUploads::Height))
                    .col(big_integer_null(RestUploads::MessageId))
                    .col(big_integer(RestUploads::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_rest_uploads_user")
                    .table(RestUploads::Table)
                    .col(RestUploads::UserId)
                    .col(RestUploads::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
