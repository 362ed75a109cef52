//! The second security pass (#33): when a session was last used (idle timeout); who
//! uploaded each attachment and which account it is charged to (storage quotas) with
//! the indexes the file collector asks by content key; the member whose grant an app's
//! event binding acts with; an event's data as it was when the change happened; and
//! whether an OAuth code's request named its redirect URI; browsers users have signed in
//! from (known devices); invitations to accounts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_pk_auto, boolean, string, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Key,
    ThumbKey,
    UploadedBy,
    ChargedAccount,
}

#[derive(DeriveIden)]
enum RestUploads {
    Table,
    Key,
}

#[derive(DeriveIden)]
enum EventBindings {
    Table,
    AppId,
    UserId,
    Event,
    HandlerUrl,
}

#[derive(DeriveIden)]
enum EventOutbox {
    Table,
    Data,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    AccountId,
    EmailNorm,
    Role,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum KnownDevices {
    Table,
    Id,
    TokenHash,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NetworkConnectors {
    Table,
    RestMessagesOff,
}

#[derive(DeriveIden)]
enum OauthCodes {
    Table,
    RedirectAsked,
}

async fn add(manager: &SchemaManager<'_>, table: impl IntoIden, mut col: ColumnDef) -> Result<(), DbErr> {
    manager
        .alter_table(Table::alter().table(table).add_column(&mut col).to_owned())
        .await
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    col: impl IntoIden,
) -> Result<(), DbErr> {
    manager
        .create_index(
            Index::create()
                .name(name)
                .table(table)
                .col(col)
                .if_not_exists()
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        add(
            manager,
            Sessions::Table,
            big_integer(Sessions::LastSeenAt).default(0).to_owned(),
        )
        .await?;
        add(
            manager,
            Attachments::Table,
            big_integer(Attachments::UploadedBy).default(0).to_owned(),
        )
        .await?;
        add(
            manager,
            Attachments::Table,
            big_integer(Attachments::ChargedAccount).default(0).to_owned(),
        )
        .await?;
        add(
            manager,
            EventBindings::Table,
            big_integer(EventBindings::UserId).default(0).to_owned(),
        )
        .await?;
        // A binding is one member's grant's: the same handler may be bound through the
        // grants of several members of the account.
        manager
            .drop_index(
                Index::drop()
                    .name("event_bindings_app_event_handler")
                    .table(EventBindings::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("event_bindings_app_user_event_handler")
                    .table(EventBindings::Table)
                    .col(EventBindings::AppId)
                    .col(EventBindings::UserId)
                    .col(EventBindings::Event)
                    .col(EventBindings::HandlerUrl)
                    .unique()
                    .to_owned(),
            )
            .await?;
        add(
            manager,
            EventOutbox::Table,
            text_null(EventOutbox::Data).to_owned(),
        )
        .await?;
        // Whether the authorization request named its redirect URI (then the token
        // request must name the same one: RFC 6749 §4.1.3).
        add(
            manager,
            OauthCodes::Table,
            boolean(OauthCodes::RedirectAsked).default(false).to_owned(),
        )
        .await?;
        index(
            manager,
            "ix_attachments_key",
            Attachments::Table,
            Attachments::Key,
        )
        .await?;
        index(
            manager,
            "ix_attachments_thumb_key",
            Attachments::Table,
            Attachments::ThumbKey,
        )
        .await?;
        index(
            manager,
            "ix_attachments_uploaded_by",
            Attachments::Table,
            Attachments::UploadedBy,
        )
        .await?;
        index(
            manager,
            "ix_attachments_charged_account",
            Attachments::Table,
            Attachments::ChargedAccount,
        )
        .await?;
        index(
            manager,
            "ix_rest_uploads_key",
            RestUploads::Table,
            RestUploads::Key,
        )
        .await?;
        // A channel's admin may refuse messages other accounts' apps send from it
        // (`imopenlines.network.message.add`).
        add(
            manager,
            NetworkConnectors::Table,
            boolean(NetworkConnectors::RestMessagesOff)
                .default(false)
                .to_owned(),
        )
        .await?;
        // Adding someone to an account is an invitation the person accepts: pending ones
        // here, one per account and email.
        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Invitations::Id))
                    .col(big_integer(Invitations::AccountId))
                    .col(string(Invitations::EmailNorm))
                    .col(string(Invitations::Role))
                    .col(big_integer(Invitations::InvitedBy))
                    .col(big_integer(Invitations::CreatedAt))
                    .col(big_integer(Invitations::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_invitations_account_email")
                    .table(Invitations::Table)
                    .col(Invitations::AccountId)
                    .col(Invitations::EmailNorm)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_invitations_email",
            Invitations::Table,
            Invitations::EmailNorm,
        )
        .await?;
        // Browsers a user has signed in from (the device cookie's hash): their sign-ins
        // are limited on their own, so strangers' guesses cannot lock the user out.
        manager
            .create_table(
                Table::create()
                    .table(KnownDevices::Table)
                    .if_not_exists()
                    .col(big_pk_auto(KnownDevices::Id))
                    .col(string(KnownDevices::TokenHash).unique_key())
                    .col(big_integer(KnownDevices::UserId))
                    .col(big_integer(KnownDevices::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_known_devices_user",
            KnownDevices::Table,
            KnownDevices::UserId,
        )
        .await?;
        // Sessions used until now count as used now.
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE sessions SET last_seen_at = created_at")
            .await?;
        // Bindings made before they were tied to a grant act with the app's registrar.
        db.execute_unprepared(
            "UPDATE event_bindings SET user_id = \
             (SELECT created_by FROM rest_apps WHERE rest_apps.id = event_bindings.app_id)",
        )
        .await?;
        Ok(())
    }
}
