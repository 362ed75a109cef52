//! Quick answers: an account's saved replies, unique on (account, title).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, string, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum QuickAnswers {
    Table,
    Id,
    AccountId,
    Title,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QuickAnswers::Table)
                    .if_not_exists()
                    .col(big_pk_auto(QuickAnswers::Id))
                    .col(big_integer(QuickAnswers::AccountId))
                    .col(string(QuickAnswers::Title))
                    .col(text(QuickAnswers::Body))
                    .col(big_integer(QuickAnswers::CreatedAt))
                    .col(big_integer(QuickAnswers::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(QuickAnswers::Table, QuickAnswers::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_quick_answers_title")
                    .table(QuickAnswers::Table)
                    .col(QuickAnswers::AccountId)
                    .col(QuickAnswers::Title)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
