//! The REST API: inbound webhooks and access tokens (secrets stored as SHA-256 only),
//! accounts' joins of external channels, and the record behind the per-user limit of
//! `imopenlines.network.message.add`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, string};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OpenChannels {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum RestCredentials {
    Table,
    Id,
    Kind,
    UserId,
    AccountId,
    SecretHash,
    Hint,
    Title,
    Scopes,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum NetworkJoins {
    Table,
    Id,
    AccountId,
    ChannelId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NetworkMessages {
    Table,
    Id,
    ChannelId,
    UserId,
    AccountId,
    CreatedAt,
}

fn fk(
    table: impl IntoIden,
    col: impl IntoIden,
    to: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, col)
        .to(to, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RestCredentials::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RestCredentials::Id))
                    // `webhook` or `token`.
                    .col(string(RestCredentials::Kind))
                    .col(big_integer(RestCredentials::UserId))
                    .col(big_integer(RestCredentials::AccountId))
                    .col(string(RestCredentials::SecretHash).unique_key())
                    // The first characters of the secret, to tell credentials apart.
                    .col(string(RestCredentials::Hint))
                    .col(string(RestCredentials::Title))
                    .col(string(RestCredentials::Scopes))
                    .col(big_integer(RestCredentials::CreatedAt))
                    // 0: never (webhooks).
                    .col(big_integer(RestCredentials::ExpiresAt))
                    .foreign_key(&mut fk(
                        RestCredentials::Table,
                        RestCredentials::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut fk(
                        RestCredentials::Table,
                        RestCredentials::AccountId,
                        Accounts::Table,
                        Accounts::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NetworkJoins::Table)
                    .if_not_exists()
                    .col(big_pk_auto(NetworkJoins::Id))
                    .col(big_integer(NetworkJoins::AccountId))
                    .col(big_integer(NetworkJoins::ChannelId))
                    .col(big_integer(NetworkJoins::CreatedAt))
                    .foreign_key(&mut fk(
                        NetworkJoins::Table,
                        NetworkJoins::AccountId,
                        Accounts::Table,
                        Accounts::Id,
                    ))
                    .foreign_key(&mut fk(
                        NetworkJoins::Table,
                        NetworkJoins::ChannelId,
                        OpenChannels::Table,
                        OpenChannels::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_network_joins")
                    .table(NetworkJoins::Table)
                    .col(NetworkJoins::AccountId)
                    .col(NetworkJoins::ChannelId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NetworkMessages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(NetworkMessages::Id))
                    .col(big_integer(NetworkMessages::ChannelId))
                    .col(big_integer(NetworkMessages::UserId))
                    .col(big_integer(NetworkMessages::AccountId))
                    .col(big_integer(NetworkMessages::CreatedAt))
                    .foreign_key(&mut fk(
                        NetworkMessages::Table,
                        NetworkMessages::ChannelId,
                        OpenChannels::Table,
                        OpenChannels::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_network_messages_recipient")
                    .table(NetworkMessages::Table)
                    .col(NetworkMessages::ChannelId)
                    .col(NetworkMessages::UserId)
                    .col(NetworkMessages::AccountId)
                    .col(NetworkMessages::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
