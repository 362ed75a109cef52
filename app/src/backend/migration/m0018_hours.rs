//! Working hours and automatic messages of a channel's Network connector, the
//! conversation times they and the statistics need, and a user's time zone.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer_null, boolean, integer, string, string_null, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NetworkConnectors {
    Table,
    HoursOn,
    TimeZone,
    Week,
    Holidays,
    OfflineMessage,
    OfflineQueue,
    NoAnswerMinutes,
    NoAnswerMessage,
    AutoCloseMinutes,
    AutoCloseMessage,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    AccountId,
    CreatedAt,
    FirstResponseAt,
    AwaitingSince,
    NoAnswerAt,
    OfflineNoticeAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    TimeZone,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        let connector_columns = [
            boolean(NetworkConnectors::HoursOn).default(false).to_owned(),
            string(NetworkConnectors::TimeZone).default("UTC").to_owned(),
            string(NetworkConnectors::Week).default("").to_owned(),
            text(NetworkConnectors::Holidays).default("").to_owned(),
            text(NetworkConnectors::OfflineMessage).default("").to_owned(),
            string(NetworkConnectors::OfflineQueue).default("wait").to_owned(),
            integer(NetworkConnectors::NoAnswerMinutes).default(0).to_owned(),
            text(NetworkConnectors::NoAnswerMessage).default("").to_owned(),
            integer(NetworkConnectors::AutoCloseMinutes).default(0).to_owned(),
            text(NetworkConnectors::AutoCloseMessage).default("").to_owned(),
        ];
        for mut col in connector_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(NetworkConnectors::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        // First operator answer (statistics); since when an answered conversation waits
        // for the customer (auto-close); when the no-answer and offline messages went.
        for col in [
            Conversations::FirstResponseAt,
            Conversations::AwaitingSince,
            Conversations::NoAnswerAt,
            Conversations::OfflineNoticeAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Conversations::Table)
                        .add_column(big_integer_null(col))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string_null(Users::TimeZone))
                    .to_owned(),
            )
            .await?;
        // Statistics: one account's conversations started in a period.
        manager
            .create_index(
                Index::create()
                    .name("ix_conversations_started")
                    .table(Conversations::Table)
                    .col(Conversations::AccountId)
                    .col(Conversations::CreatedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}
