//! Joining an account takes the person's consent: an admin **invites** an email with a
//! role, and whoever holds that email's identity sees the invitation on their Network
//! page and accepts (or declines) it. Nobody is made a member of an account — and so
//! a "customer" writing from it — without saying yes.
//!
//! The admin's answer is the same whether or not an identity uses the email (an
//! invitation waits for someone who registers with it later), so the form reveals
//! nothing about who has an identity here. Invitations last [`VALID_MS`]; an account
//! keeps at most [`MAX_PENDING`] at once.

use crate::backend::entities::{account, invitation, membership, user};
use crate::backend::principal::Actor;
use crate::backend::{now_ms, OrInternal};
use crate::domain::{Email, Role, UserId};
use crate::error::{AppError, Code, Field};
use crate::views::{InvitationView, MyInvitationView};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

/// How long an invitation can be accepted: two weeks.
pub const VALID_MS: i64 = 14 * 24 * 3600 * 1000;
/// Invitations one account may have waiting.
pub const MAX_PENDING: u64 = 100;

fn member_field(e: AppError) -> AppError {
    match e {
        AppError::Invalid { code, .. } => AppError::Invalid {
            field: Field::Member,
            code,
        },
        other => other,
    }
}

/// Invites `email` to the actor's account with `role` (admins only). Inviting the same
/// email again renews the invitation with the new role. A member of the account with
/// that email is `already_member` (admins see their members' emails anyway); otherwise
/// the answer never depends on whether the email has an identity.
pub async fn invite(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    actor: &Actor,
    email: &str,
    role: Role,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let email = Email::parse(email).map_err(member_field)?;
    let norm = email.normalized();
    let txn = crate::backend::db::begin_write(db).await.or_internal()?;
    crate::backend::db::lock_account(&txn, actor.account.0)
        .await
        .or_internal()?;
    let member = user::Entity::find()
        .filter(user::Column::EmailNorm.eq(norm.as_str()))
        .one(&txn)
        .await
        .or_internal()?;
    if let Some(u) = member {
        let already = membership::Entity::find()
            .filter(membership::Column::AccountId.eq(actor.account.0))
            .filter(membership::Column::UserId.eq(u.id))
            .count(&txn)
            .await
            .or_internal()?;
        if already > 0 {
            return Err(AppError::Conflict {
                field: Field::Member,
                code: Code::AlreadyMember,
            });
        }
    }
    let now = now_ms();
    let existing = invitation::Entity::find()
        .filter(invitation::Column::AccountId.eq(actor.account.0))
        .filter(invitation::Column::EmailNorm.eq(norm.as_str()))
        .one(&txn)
        .await
        .or_internal()?;
    match existing {
        Some(i) => {
            let mut am: invitation::ActiveModel = i.into();
            am.role = Set(role.as_str().to_string());
            am.invited_by = Set(actor.user.0);
            am.created_at = Set(now);
            am.expires_at = Set(now + VALID_MS);
            am.update(&txn).await.or_internal()?;
        }
        None => {
            let pending = invitation::Entity::find()
                .filter(invitation::Column::AccountId.eq(actor.account.0))
                .filter(invitation::Column::ExpiresAt.gt(now))
                .count(&txn)
                .await
                .or_internal()?;
            if pending >= MAX_PENDING {
                return Err(AppError::Invalid {
                    field: Field::Member,
                    code: Code::InvitationLimit,
                });
            }
            invitation::ActiveModel {
                account_id: Set(actor.account.0),
                email_norm: Set(norm),
                role: Set(role.as_str().to_string()),
                invited_by: Set(actor.user.0),
                created_at: Set(now),
                expires_at: Set(now + VALID_MS),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .or_internal()?;
        }
    }
    txn.commit().await.or_internal()
}

/// The account's invitations still waiting (admins only), newest first.
pub async fn pending_for_account(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<InvitationView>, AppError> {
    actor.require_admin()?;
    Ok(invitation::Entity::find()
        .filter(invitation::Column::AccountId.eq(actor.account.0))
        .filter(invitation::Column::ExpiresAt.gt(now_ms()))
        .order_by_desc(invitation::Column::Id)
        .limit(MAX_PENDING)
        .all(db)
        .await
        .or_internal()?
        .into_iter()
        .map(|i| InvitationView {
            id: i.id,
            email: i.email_norm,
            role: Role::parse(&i.role).unwrap_or(Role::Employee),
            expires_at: i.expires_at,
        })
        .collect())
}

/// Withdraws invitation `id` of the actor's account (admins only).
pub async fn cancel(db: &impl ConnectionTrait, actor: &Actor, id: i64) -> Result<(), AppError> {
    actor.require_admin()?;
    let r = invitation::Entity::delete_many()
        .filter(invitation::Column::Id.eq(id))
        .filter(invitation::Column::AccountId.eq(actor.account.0))
        .exec(db)
        .await
        .or_internal()?;
    if r.rows_affected == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

async fn email_of(db: &impl ConnectionTrait, user: UserId) -> Result<String, AppError> {
    user::Entity::find_by_id(user.0)
        .one(db)
        .await
        .or_internal()?
        .map(|u| u.email_norm)
        .ok_or(AppError::Unauthorized)
}

/// The invitations waiting for `user` (for their email), with the accounts' names.
pub async fn pending_for_user(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<MyInvitationView>, AppError> {
    let email = email_of(db, user).await?;
    let rows = invitation::Entity::find()
        .filter(invitation::Column::EmailNorm.eq(email))
        .filter(invitation::Column::ExpiresAt.gt(now_ms()))
        .order_by_desc(invitation::Column::Id)
        .limit(MAX_PENDING)
        .all(db)
        .await
        .or_internal()?;
    let mut out = Vec::with_capacity(rows.len());
    for i in rows {
        let Some(acc) = account::Entity::find_by_id(i.account_id)
            .one(db)
            .await
            .or_internal()?
        else {
            continue;
        };
        let by = user::Entity::find_by_id(i.invited_by)
            .one(db)
            .await
            .or_internal()?
            .map(|u| u.name)
            .unwrap_or_default();
        out.push(MyInvitationView {
            id: i.id,
            account_name: acc.name,
            role: Role::parse(&i.role).unwrap_or(Role::Employee),
            invited_by: by,
        });
    }
    Ok(out)
}

/// The invitation `id` if it is `user`'s (for their email) and still valid; anything
/// else is `NotFound`.
async fn mine(db: &impl ConnectionTrait, user: UserId, id: i64) -> Result<invitation::Model, AppError> {
    let email = email_of(db, user).await?;
    invitation::Entity::find_by_id(id)
        .filter(invitation::Column::EmailNorm.eq(email))
        .filter(invitation::Column::ExpiresAt.gt(now_ms()))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)
}

/// `user` accepts invitation `id`: they become a member with its role (unless they
/// already work in `max_accounts` accounts: `account_limit`). Returns the account's slug.
pub async fn accept(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    user: UserId,
    id: i64,
    max_accounts: usize,
) -> Result<String, AppError> {
    let txn = crate::backend::db::begin_write(db).await.or_internal()?;
    user::Entity::find_by_id(user.0)
        .lock_exclusive()
        .one(&txn)
        .await
        .or_internal()?;
    let inv = mine(&txn, user, id).await?;
    let acc = account::Entity::find_by_id(inv.account_id)
        .one(&txn)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    let already = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(acc.id))
        .filter(membership::Column::UserId.eq(user.0))
        .count(&txn)
        .await
        .or_internal()?;
    if already == 0 {
        let held = membership::Entity::find()
            .filter(membership::Column::UserId.eq(user.0))
            .count(&txn)
            .await
            .or_internal()?;
        if held as usize >= max_accounts {
            return Err(AppError::Invalid {
                field: Field::Member,
                code: Code::AccountLimit,
            });
        }
        membership::ActiveModel {
            account_id: Set(acc.id),
            user_id: Set(user.0),
            role: Set(inv.role.clone()),
            created_at: Set(now_ms()),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .or_internal()?;
    }
    invitation::Entity::delete_by_id(inv.id)
        .exec(&txn)
        .await
        .or_internal()?;
    txn.commit().await.or_internal()?;
    Ok(acc.slug)
}

/// `user` declines invitation `id`: it is gone.
pub async fn decline(db: &impl ConnectionTrait, user: UserId, id: i64) -> Result<(), AppError> {
    let inv = mine(db, user, id).await?;
    invitation::Entity::delete_by_id(inv.id)
        .exec(db)
        .await
        .or_internal()?;
    Ok(())
}
