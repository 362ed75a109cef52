//! Rich content of a message sent through the REST API (`ATTACH` blocks and `KEYBOARD`
//! link buttons, [`crate::domain::rich::Rich`] as JSON, written once with the message).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text_null;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    Rich,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(text_null(Messages::Rich))
                    .to_owned(),
            )
            .await
    }
}
