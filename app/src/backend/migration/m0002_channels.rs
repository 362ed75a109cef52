//! Open channels, their operator queues, Network connectors and avatar images.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_pk_auto, binary, boolean, integer, string, string_null, string_uniq, text,
};

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
    AccountId,
    Name,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ChannelOperators {
    Table,
    Id,
    ChannelId,
    UserId,
}

#[derive(DeriveIden)]
enum NetworkConnectors {
    Table,
    Id,
    ChannelId,
    Code,
    Connected,
    Name,
    Description,
    WelcomeMessage,
    AvatarKey,
    MultiChat,
    ChatLimit,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AvatarImages {
    Table,
    Id,
    Key,
    Size,
    ContentType,
    Bytes,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OpenChannels::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OpenChannels::Id))
                    .col(big_integer(OpenChannels::AccountId))
                    .col(string(OpenChannels::Name))
                    .col(boolean(OpenChannels::Active))
                    .col(big_integer(OpenChannels::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_open_channels_account")
                            .from(OpenChannels::Table, OpenChannels::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_open_channels_account")
                    .table(OpenChannels::Table)
                    .col(OpenChannels::AccountId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChannelOperators::Table)
                    .if_not_exists()
                    .col(big_pk_auto(ChannelOperators::Id))
                    .col(big_integer(ChannelOperators::ChannelId))
                    .col(big_integer(ChannelOperators::UserId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_channel_operators_channel")
                            .from(ChannelOperators::Table, ChannelOperators::ChannelId)
                            .to(OpenChannels::Table, OpenChannels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_channel_operators_user")
                            .from(ChannelOperators::Table, ChannelOperators::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_channel_operators")
                    .table(ChannelOperators::Table)
                    .col(ChannelOperators::ChannelId)
                    .col(ChannelOperators::UserId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NetworkConnectors::Table)
                    .if_not_exists()
                    .col(big_pk_auto(NetworkConnectors::Id))
                    .col(big_integer(NetworkConnectors::ChannelId).unique_key())
                    .col(string_uniq(NetworkConnectors::Code))
                    .col(boolean(NetworkConnectors::Connected))
                    .col(string(NetworkConnectors::Name))
                    .col(text(NetworkConnectors::Description))
                    .col(text(NetworkConnectors::WelcomeMessage))
                    .col(string_null(NetworkConnectors::AvatarKey))
                    .col(boolean(NetworkConnectors::MultiChat))
                    .col(integer(NetworkConnectors::ChatLimit))
                    .col(big_integer(NetworkConnectors::CreatedAt))
                    .col(big_integer(NetworkConnectors::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_network_connectors_channel")
                            .from(NetworkConnectors::Table, NetworkConnectors::ChannelId)
                            .to(OpenChannels::Table, OpenChannels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AvatarImages::Table)
                    .if_not_exists()
                    .col(big_pk_auto(AvatarImages::Id))
                    .col(string(AvatarImages::Key))
                    .col(integer(AvatarImages::Size))
                    .col(string(AvatarImages::ContentType))
                    .col(binary(AvatarImages::Bytes))
                    .col(big_integer(AvatarImages::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_avatar_images_key_size")
                    .table(AvatarImages::Table)
                    .col(AvatarImages::Key)
                    .col(AvatarImages::Size)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
