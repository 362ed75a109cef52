//! Outgoing events of OAuth apps (Bitrix24's `event.bind`): what each app listens to and
//! where, and the durable outbox of events to deliver — written in the transaction of the
//! change itself, so an acknowledged change never loses its event.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, integer, integer_null, string, string_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RestApps {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum EventBindings {
    Table,
    Id,
    AppId,
    AccountId,
    Event,
    HandlerUrl,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventOutbox {
    Table,
    Id,
    BindingId,
    AccountId,
    Event,
    ConversationId,
    Seq,
    Status,
    Attempts,
    NextAt,
    LeaseUntil,
    CreatedAt,
    LastAt,
    LastStatus,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventBindings::Table)
                    .if_not_exists()
                    .col(big_pk_auto(EventBindings::Id))
                    .col(big_integer(EventBindings::AppId))
                    .col(big_integer(EventBindings::AccountId))
                    // Upper case, as Bitrix24 names events (`ONOPENLINEMESSAGEADD`).
                    .col(string(EventBindings::Event))
                    .col(string(EventBindings::HandlerUrl))
                    .col(big_integer(EventBindings::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EventBindings::Table, EventBindings::AppId)
                            .to(RestApps::Table, RestApps::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_bindings_app_event_handler")
                    .table(EventBindings::Table)
                    .col(EventBindings::AppId)
                    .col(EventBindings::Event)
                    .col(EventBindings::HandlerUrl)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_bindings_account_event")
                    .table(EventBindings::Table)
                    .col(EventBindings::AccountId)
                    .col(EventBindings::Event)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EventOutbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(EventOutbox::Id))
                    .col(big_integer(EventOutbox::BindingId))
                    .col(big_integer(EventOutbox::AccountId))
                    .col(string(EventOutbox::Event))
                    .col(big_integer(EventOutbox::ConversationId))
                    // The message's seq (message events), else 0.
                    .col(big_integer(EventOutbox::Seq))
                    // `pending`, `delivered` or `failed` (gave up after a day and more).
                    .col(string(EventOutbox::Status))
                    .col(integer(EventOutbox::Attempts))
                    .col(big_integer(EventOutbox::NextAt))
                    .col(big_integer(EventOutbox::LeaseUntil))
                    .col(big_integer(EventOutbox::CreatedAt))
                    .col(big_integer(EventOutbox::LastAt))
                    .col(integer_null(EventOutbox::LastStatus))
                    .col(string_null(EventOutbox::LastError))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EventOutbox::Table, EventOutbox::BindingId)
                            .to(EventBindings::Table, EventBindings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_outbox_due")
                    .table(EventOutbox::Table)
                    .col(EventOutbox::Status)
                    .col(EventOutbox::NextAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_outbox_order")
                    .table(EventOutbox::Table)
                    .col(EventOutbox::BindingId)
                    .col(EventOutbox::ConversationId)
                    .col(EventOutbox::Id)
                    .to_owned(),
            )
            .await
    }
}
