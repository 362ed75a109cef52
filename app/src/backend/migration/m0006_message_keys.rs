//! Idempotency keys scoped by author: a message is unique on (conversation, author,
//! client id), so one side's client id can never collide with — or answer for — the
//! other side's message. Also removes queue rows left behind for people who may not
//! serve (employees, former members): rights no longer depend on them being cleaned up.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Messages {
    Table,
    ConversationId,
    Author,
    ClientId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ux_messages_client_id")
                    .table(Messages::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_messages_author_client_id")
                    .table(Messages::Table)
                    .col(Messages::ConversationId)
                    .col(Messages::Author)
                    .col(Messages::ClientId)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "DELETE FROM channel_operators WHERE NOT EXISTS (\
                   SELECT 1 FROM memberships m JOIN open_channels c ON c.account_id = m.account_id \
                   WHERE c.id = channel_operators.channel_id \
                     AND m.user_id = channel_operators.user_id \
                     AND m.role IN ('admin', 'operator'))",
            )
            .await?;
        Ok(())
    }
}
