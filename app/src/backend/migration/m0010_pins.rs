//! Pinned conversations: each operator's own, unique on (user, conversation).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ConversationPins {
    Table,
    Id,
    UserId,
    ConversationId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConversationPins::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ConversationPins::Id))
                    .col(big_integer(ConversationPins::UserId))
                    .col(big_integer(ConversationPins::ConversationId))
                    .col(big_integer(ConversationPins::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConversationPins::Table, ConversationPins::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_conversation_pins")
                    .table(ConversationPins::Table)
                    .col(ConversationPins::UserId)
                    .col(ConversationPins::ConversationId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
