//! Ratings: the customer's like / dislike (and comment) of a finished conversation, and
//! the channel's switch for asking it (on by default).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Rating,
    RatingComment,
    RatedAt,
}

#[derive(DeriveIden)]
enum NetworkConnectors {
    Table,
    AskRating,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for col in [
            ColumnDef::new(Conversations::Rating).string().null().to_owned(),
            ColumnDef::new(Conversations::RatingComment)
                .text()
                .null()
                .to_owned(),
            ColumnDef::new(Conversations::RatedAt)
                .big_integer()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Conversations::Table)
                        .add_column(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(NetworkConnectors::Table)
                    .add_column(
                        ColumnDef::new(NetworkConnectors::AskRating)
                            .boolean()
                            .not_null()
                            .default(true),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
