//! The operators' inbox: queue settings per channel (distribution, capacity per
//! operator), the assigned operator and read state per conversation, and the indexes
//! that keep a paged inbox fast with many conversations.
//!
//! SQLite alters one column per statement, so every column is its own `ALTER TABLE`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, integer, string};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    AccountId,
    ChannelId,
    Status,
    UpdatedAt,
    Id,
    OperatorUserId,
    AssignedAt,
    OperatorReadSeq,
    CustomerReadSeq,
    OperatorUnread,
    Preview,
}

#[derive(DeriveIden)]
enum OpenChannels {
    Table,
    Distribution,
    MaxPerOperator,
}

#[derive(DeriveIden)]
enum ChannelOperators {
    Table,
    LastAssignedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conversation_columns = [
            big_integer_null(Conversations::OperatorUserId),
            big_integer_null(Conversations::AssignedAt),
            big_integer(Conversations::OperatorReadSeq).default(0).to_owned(),
            big_integer(Conversations::CustomerReadSeq).default(0).to_owned(),
            big_integer(Conversations::OperatorUnread).default(0).to_owned(),
            string(Conversations::Preview).default("").to_owned(),
        ];
        for mut col in conversation_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Conversations::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        let channel_columns = [
            string(OpenChannels::Distribution).default("all").to_owned(),
            integer(OpenChannels::MaxPerOperator).default(20).to_owned(),
        ];
        for mut col in channel_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(OpenChannels::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ChannelOperators::Table)
                    .add_column(
                        big_integer(ChannelOperators::LastAssignedAt)
                            .default(0)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        // Inbox pages: one account, one status, newest activity first (keyset paging).
        manager
            .create_index(
                Index::create()
                    .name("ix_conversations_inbox")
                    .table(Conversations::Table)
                    .col(Conversations::AccountId)
                    .col(Conversations::Status)
                    .col(Conversations::UpdatedAt)
                    .col(Conversations::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // Load per operator and the waiting queue of a channel.
        manager
            .create_index(
                Index::create()
                    .name("ix_conversations_queue")
                    .table(Conversations::Table)
                    .col(Conversations::ChannelId)
                    .col(Conversations::Status)
                    .col(Conversations::OperatorUserId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        // "Mine": one operator's conversations by activity.
        manager
            .create_index(
                Index::create()
                    .name("ix_conversations_operator")
                    .table(Conversations::Table)
                    .col(Conversations::OperatorUserId)
                    .col(Conversations::UpdatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
