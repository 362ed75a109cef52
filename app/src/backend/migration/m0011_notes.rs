//! Internal notes: operators' remarks on a conversation that the customer never sees.
//! Kept apart from `messages`, so no path that serves a customer can ever read one;
//! unique on (conversation, client id), so a resent note is stored once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, string, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ConversationNotes {
    Table,
    Id,
    ConversationId,
    AuthorUserId,
    AuthorName,
    ClientId,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConversationNotes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ConversationNotes::Id))
                    .col(big_integer(ConversationNotes::ConversationId))
                    .col(big_integer(ConversationNotes::AuthorUserId))
                    .col(string(ConversationNotes::AuthorName))
                    .col(string(ConversationNotes::ClientId))
                    .col(text(ConversationNotes::Body))
                    .col(big_integer(ConversationNotes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConversationNotes::Table, ConversationNotes::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_conversation_notes_client")
                    .table(ConversationNotes::Table)
                    .col(ConversationNotes::ConversationId)
                    .col(ConversationNotes::ClientId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
