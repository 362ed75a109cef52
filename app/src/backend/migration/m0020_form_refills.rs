//! What a refused form had typed in it, kept on the server for the page that shows the
//! error (never in the redirect's URL): one row per browser, named by the SHA-256 of
//! its refill cookie, purged after a few minutes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, string, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FormRefills {
    Table,
    Id,
    TokenHash,
    Path,
    Values,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FormRefills::Table)
                    .if_not_exists()
                    .col(big_pk_auto(FormRefills::Id))
                    .col(string(FormRefills::TokenHash).unique_key())
                    .col(string(FormRefills::Path))
                    .col(text(FormRefills::Values))
                    .col(big_integer(FormRefills::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("ix_form_refills_created")
                    .table(FormRefills::Table)
                    .col(FormRefills::CreatedAt)
                    .to_owned(),
            )
            .await
    }
}
