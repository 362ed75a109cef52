//! OAuth 2.0 apps (Bitrix24's "local applications"): an account's registered apps, the
//! one-use authorization codes of its members' consents, and the app a REST credential
//! was issued to (access and refresh tokens carry it; revoking removes them).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, big_pk_auto, string};

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
enum RestApps {
    Table,
    Id,
    AccountId,
    CreatedBy,
    Name,
    HandlerUrl,
    Scopes,
    ClientId,
    SecretHash,
    SecretHint,
    ApplicationToken,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OauthCodes {
    Table,
    Id,
    CodeHash,
    AppId,
    UserId,
    RedirectUri,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum RestCredentials {
    Table,
    AppId,
}

fn cascade(
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
                    .table(RestApps::Table)
                    .if_not_exists()
                    .col(big_pk_auto(RestApps::Id))
                    .col(big_integer(RestApps::AccountId))
                    .col(big_integer(RestApps::CreatedBy))
                    .col(string(RestApps::Name))
                    .col(string(RestApps::HandlerUrl))
                    .col(string(RestApps::Scopes))
                    // `local.{hex}.{digits}`, as Bitrix24 names local apps.
                    .col(string(RestApps::ClientId).unique_key())
                    .col(string(RestApps::SecretHash))
                    .col(string(RestApps::SecretHint))
                    // Sent with every event so the app can tell they are ours.
                    .col(string(RestApps::ApplicationToken))
                    .col(big_integer(RestApps::CreatedAt))
                    .foreign_key(&mut cascade(
                        RestApps::Table,
                        RestApps::AccountId,
                        Accounts::Table,
                        Accounts::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthCodes::Table)
                    .if_not_exists()
                    .col(big_pk_auto(OauthCodes::Id))
                    .col(string(OauthCodes::CodeHash).unique_key())
                    .col(big_integer(OauthCodes::AppId))
                    .col(big_integer(OauthCodes::UserId))
                    .col(string(OauthCodes::RedirectUri))
                    .col(big_integer(OauthCodes::ExpiresAt))
                    .foreign_key(&mut cascade(
                        OauthCodes::Table,
                        OauthCodes::AppId,
                        RestApps::Table,
                        RestApps::Id,
                    ))
                    .foreign_key(&mut cascade(
                        OauthCodes::Table,
                        OauthCodes::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // Not a foreign key (SQLite cannot add one to an existing table): deleting an
        // app deletes its credentials in the same transaction.
        manager
            .alter_table(
                Table::alter()
                    .table(RestCredentials::Table)
                    .add_column(big_integer_null(RestCredentials::AppId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_rest_credentials_app")
                    .table(RestCredentials::Table)
                    .col(RestCredentials::AppId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
