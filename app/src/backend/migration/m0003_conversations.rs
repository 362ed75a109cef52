//! Conversations and their messages, with per-conversation sequence numbers and the
//! unique (conversation, client id) key that makes resent messages idempotent.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, big_pk_auto, string, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OpenChannels {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    ChannelId,
    AccountId,
    CustomerUserId,
    CustomerAccountId,
    Status,
    LastSeq,
    CreatedAt,
    UpdatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    ConversationId,
    Seq,
    ClientId,
    Author,
    AuthorUserId,
    Body,
    CreatedAt,
}

fn fk(
    name: &str,
    from: (Conversations, Conversations),
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Conversations::Id))
                    .col(big_integer(Conversations::ChannelId))
                    .col(big_integer(Conversations::AccountId))
                    .col(big_integer(Conversations::CustomerUserId))
                    .col(big_integer(Conversations::CustomerAccountId))
                    .col(string(Conversations::Status))
                    .col(big_integer(Conversations::LastSeq))
                    .col(big_integer(Conversations::CreatedAt))
                    .col(big_integer(Conversations::UpdatedAt))
                    .col(big_integer_null(Conversations::ClosedAt))
                    .foreign_key(&mut fk(
                        "fk_conversations_channel",
                        (Conversations::Table, Conversations::ChannelId),
                        OpenChannels::Table,
                        OpenChannels::Id,
                    ))
                    .foreign_key(&mut fk(
                        "fk_conversations_account",
                        (Conversations::Table, Conversations::AccountId),
                        Accounts::Table,
                        Accounts::Id,
                    ))
                    .foreign_key(&mut fk(
                        "fk_conversations_customer_user",
                        (Conversations::Table, Conversations::CustomerUserId),
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut fk(
                        "fk_conversations_customer_account",
                        (Conversations::Table, Conversations::CustomerAccountId),
                        Accounts::Table,
                        Accounts::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_conversations_customer")
                    .table(Conversations::Table)
                    .col(Conversations::ChannelId)
                    .col(Conversations::CustomerUserId)
                    .col(Conversations::CustomerAccountId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_conversations_account_updated")
                    .table(Conversations::Table)
                    .col(Conversations::AccountId)
                    .col(Conversations::UpdatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Messages::Id))
                    .col(big_integer(Messages::ConversationId))
                    .col(big_integer(Messages::Seq))
                    .col(string(Messages::ClientId))
                    .col(string(Messages::Author))
                    .col(big_integer_null(Messages::AuthorUserId))
                    .col(text(Messages::Body))
                    .col(big_integer(Messages::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_conversation")
                            .from(Messages::Table, Messages::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ux_messages_seq", Messages::Seq),
            ("ux_messages_client_id", Messages::ClientId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Messages::Table)
                        .col(Messages::ConversationId)
                        .col(col)
                        .unique()
                        .if_not_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
