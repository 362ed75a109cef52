//! Attachments: one row per file of a message (for serving it to those who may read the
//! conversation), and the message's own list of them (`messages.files`, JSON written once
//! with the message), so every path that reads messages shows them without a join.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, integer_null, string, string_null, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    Files,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    ConversationId,
    MessageId,
    Key,
    ThumbKey,
    Name,
    Mime,
    Size,
    Width,
    Height,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(text_null(Messages::Files))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Attachments::Id))
                    .col(big_integer(Attachments::ConversationId))
                    .col(big_integer(Attachments::MessageId))
                    .col(string(Attachments::Key))
                    .col(string_null(Attachments::ThumbKey))
                    .col(string(Attachments::Name))
                    .col(string(Attachments::Mime))
                    .col(big_integer(Attachments::Size))
                    .col(integer_null(Attachments::Width))
                    .col(integer_null(Attachments::Height))
                    .col(big_integer(Attachments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Attachments::Table, Attachments::MessageId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_attachments_message")
                    .table(Attachments::Table)
                    .col(Attachments::MessageId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
