//! Queue completeness: the operators' order in a channel's queue ("strictly in order"),
//! a channel's time to take, and who has passed each conversation on (Skip, or the time
//! to take running out), so it is not handed to them again.

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
enum ChannelOperators {
    Table,
    Position,
}

#[derive(DeriveIden)]
enum OpenChannels {
    Table,
    TakeSeconds,
}

#[derive(DeriveIden)]
enum ConversationSkips {
    Table,
    Id,
    ConversationId,
    UserId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ChannelOperators::Table)
                    .add_column(
                        ColumnDef::new(ChannelOperators::Position)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OpenChannels::Table)
                    .add_column(
                        ColumnDef::new(OpenChannels::TakeSeconds)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ConversationSkips::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ConversationSkips::Id))
                    .col(big_integer(ConversationSkips::ConversationId))
                    .col(big_integer(ConversationSkips::UserId))
                    .col(big_integer(ConversationSkips::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ConversationSkips::Table, ConversationSkips::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_conversation_skips")
                    .table(ConversationSkips::Table)
                    .col(ConversationSkips::ConversationId)
                    .col(ConversationSkips::UserId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
