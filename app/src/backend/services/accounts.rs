//! Accounts (tenants) and their memberships.

use crate::backend::db::{begin_write, lock_account};
use crate::backend::entities::{account, membership, user};
use crate::backend::hub::Hub;
use crate::backend::principal::{account_by_slug, Actor};
use crate::backend::{internal, now_ms, OrInternal};
use crate::domain::{AccountId, AccountName, Email, Role, Slug, UserId};
use crate::error::{AppError, Code, Field};
use crate::views::{AccountSummary, MemberView};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, SqlErr, TransactionTrait,
};
use std::collections::HashMap;

fn role_of(m: &membership::Model) -> Role {
    Role::parse(&m.role).unwrap_or(Role::Employee)
}

/// Creates an account with `creator` as its first admin, in one transaction.
pub async fn create(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    creator: UserId,
    name: &AccountName,
    slug: &Slug,
) -> Result<account::Model, AppError> {
    create_capped(db, creator, name, slug, usize::MAX).await
}

/// [`create`], refused (`account_limit`) when `creator` already works in `max` accounts
/// (`NETLINES_MAX_ACCOUNTS_PER_USER`): counted under the creator's lock, so accounts
/// created at the same moment cannot pass it.
pub async fn create_capped(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    creator: UserId,
    name: &AccountName,
    slug: &Slug,
    max: usize,
) -> Result<account::Model, AppError> {
    let slug_taken = AppError::Conflict {
        field: Field::Slug,
        code: Code::SlugTaken,
    };
    if account::Entity::find()
        .filter(account::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await
        .or_internal()?
        .is_some()
    {
        return Err(slug_taken);
    }
    let txn = begin_write(db).await.or_internal()?;
    user::Entity::find_by_id(creator.0)
        .lock_exclusive()
        .one(&txn)
        .await
        .or_internal()?;
    let held = membership::Entity::find()
        .filter(membership::Column::UserId.eq(creator.0))
        .count(&txn)
        .await
        .or_internal()?;
    if held as usize >= max {
        return Err(AppError::Invalid {
            field: Field::AccountName,
            code: Code::AccountLimit,
        });
    }
    let now = now_ms();
    let acc = account::ActiveModel {
        name: Set(name.as_str().to_string()),
        slug: Set(slug.as_str().to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => slug_taken.clone(),
        _ => internal(e),
    })?;
    membership::ActiveModel {
        account_id: Set(acc.id),
        user_id: Set(creator.0),
        role: Set(Role::Admin.as_str().to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .or_internal()?;
    txn.commit().await.or_internal()?;
    Ok(acc)
}

/// Every account `user` works in, with their role, ordered by name (the Network page).
pub async fn list_for_user(db: &impl ConnectionTrait, user: UserId) -> Result<Vec<AccountSummary>, AppError> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.0))
        .all(db)
        .await
        .or_internal()?;
    let roles: HashMap<i64, Role> = memberships.iter().map(|m| (m.account_id, role_of(m))).collect();
    let accounts = account::Entity::find()
        .filter(account::Column::Id.is_in(roles.keys().copied().collect::<Vec<_>>()))
        .order_by_asc(account::Column::Name)
        .order_by_asc(account::Column::Id)
        .all(db)
        .await
        .or_internal()?;
    Ok(accounts
        .into_iter()
        .map(|a| AccountSummary {
            id: AccountId(a.id),
            role: roles[&a.id],
            name: a.name,
            slug: a.slug,
        })
        .collect())
}

/// The acting identity of `user` in the account `slug`. A missing account and an
/// account the user does not belong to give the same `NotFound`, so outsiders cannot
/// probe which accounts exist.
pub async fn actor(db: &impl ConnectionTrait, user: UserId, slug: &str) -> Result<Actor, AppError> {
    let (slug, acc) = account_by_slug(db, slug).await?;
    let m = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(acc.id))
        .filter(membership::Column::UserId.eq(user.0))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    Ok(Actor {
        user,
        account: AccountId(acc.id),
        slug,
        account_name: acc.name,
        role: role_of(&m),
    })
}

/// Members of the actor's account, admins first, then by name.
pub async fn members(db: &impl ConnectionTrait, actor: &Actor) -> Result<Vec<MemberView>, AppError> {
    let ms = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(actor.account.0))
        .all(db)
        .await
        .or_internal()?;
    let roles: HashMap<i64, Role> = ms.iter().map(|m| (m.user_id, role_of(m))).collect();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(roles.keys().copied().collect::<Vec<_>>()))
        .all(db)
        .await
        .or_internal()?;
    let mut out: Vec<MemberView> = users
        .into_iter()
        .map(|u| MemberView {
            user_id: UserId(u.id),
            role: roles[&u.id],
            name: u.name,
            email: u.email,
        })
        .collect();
    out.sort_by(|a, b| {
        (a.role != Role::Admin, a.name.to_lowercase(), a.user_id).cmp(&(
            b.role != Role::Admin,
            b.name.to_lowercase(),
            b.user_id,
        ))
    });
    Ok(out)
}

/// Adds an existing user (by email) to the actor's account. Admins only.
pub async fn add_member(
    db: &impl ConnectionTrait,
    actor: &Actor,
    email: &str,
    role: Role,
) -> Result<MemberView, AppError> {
    actor.require_admin()?;
    let email = Email::parse(email).map_err(|e| match e {
        AppError::Invalid { code, .. } => AppError::Invalid {
            field: Field::Member,
            code,
        },
        other => other,
    })?;
    let u = super::users::find_by_email(db, &email)
        .await?
        .ok_or(AppError::Invalid {
            field: Field::Member,
            code: Code::UserUnknown,
        })?;
    let already = AppError::Conflict {
        field: Field::Member,
        code: Code::AlreadyMember,
    };
    let exists = membership::Entity::find()
        .filter(membership::Column::AccountId.eq(actor.account.0))
        .filter(membership::Column::UserId.eq(u.id))
        .count(db)
        .await
        .or_internal()?;
    if exists > 0 {
        return Err(already);
    }
    membership::ActiveModel {
        account_id: Set(actor.account.0),
        user_id: Set(u.id),
        role: Set(role.as_str().to_string()),
        created_at: Set(now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => already.clone(),
        _ => internal(e),
    })?;
    Ok(MemberView {
        user_id: UserId(u.id),
        name: u.name,
        email: u.email,
        role,
    })
}

async fn target_membership(
    db: &impl ConnectionTrait,
    actor: &Actor,
    target: UserId,
) -> Result<membership::Model, AppError> {
    membership::Entity::find()
        .filter(membership::Column::AccountId.eq(actor.account.0))
        .filter(membership::Column::UserId.eq(target.0))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)
}

async fn admin_count(db: &impl ConnectionTrait, account: AccountId) -> Result<u64, AppError> {
    membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account.0))
        .filter(membership::Column::Role.eq(Role::Admin.as_str()))
        .count(db)
        .await
        .or_internal()
}

/// Changes a member's role. Admins only; the last admin cannot be demoted. Checked and
/// written in one transaction so two admins demoting each other cannot leave none.
///
/// A member who may no longer serve (now an employee) leaves every queue of the account;
/// their open conversations go back to the queue and are dispatched again; their open
/// sockets re-check their rights ([`crate::backend::hub::Topic::Access`]).
pub async fn change_role(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    target: UserId,
    role: Role,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let txn = begin_write(db).await.or_internal()?;
    lock_account(&txn, actor.account.0).await.or_internal()?;
    let m = target_membership(&txn, actor, target).await?;
    if role_of(&m) == Role::Admin && role != Role::Admin && admin_count(&txn, actor.account).await? <= 1 {
        return Err(AppError::Conflict {
            field: Field::Role,
            code: Code::LastAdmin,
        });
    }
    let mut am: membership::ActiveModel = m.into();
    am.role = Set(role.as_str().to_string());
    am.update(&txn).await.or_internal()?;
    let released = if crate::backend::policy::may_serve(role) {
        Vec::new()
    } else {
        super::queue::remove_from_queues(&txn, actor.account.0, target).await?;
        super::queue::release_operator(&txn, actor.account, target, None).await?
    };
    txn.commit().await.or_internal()?;
    super::queue::after_access_change(db, hub, actor.account, released).await;
    Ok(())
}

/// Removes a member. Admins only; the last admin cannot be removed.
///
/// They leave every queue of the account, their open conversations go back to the queue
/// and are dispatched again, and their open sockets lose the account at once.
pub async fn remove_member(
    db: &(impl ConnectionTrait + TransactionTrait<Transaction = sea_orm::DatabaseTransaction>),
    hub: &dyn Hub,
    actor: &Actor,
    target: UserId,
) -> Result<(), AppError> {
    actor.require_admin()?;
    let txn = begin_write(db).await.or_internal()?;
    lock_account(&txn, actor.account.0).await.or_internal()?;
    let m = target_membership(&txn, actor, target).await?;
    if role_of(&m) == Role::Admin && admin_count(&txn, actor.account).await? <= 1 {
        return Err(AppError::Conflict {
            field: Field::Member,
            code: Code::LastAdmin,
        });
    }
    membership::Entity::delete_by_id(m.id)
        .exec(&txn)
        .await
        .or_internal()?;
    // Their webhooks, tokens and apps' grants in this account are deleted (not merely
    // refused): adding them again later does not bring old credentials back. Apps'
    // bindings that acted with their grants go too, with their undelivered events.
    crate::backend::entities::rest_credential::Entity::delete_many()
        .filter(crate::backend::entities::rest_credential::Column::AccountId.eq(actor.account.0))
        .filter(crate::backend::entities::rest_credential::Column::UserId.eq(target.0))
        .exec(&txn)
        .await
        .or_internal()?;
    let apps: Vec<i64> = crate::backend::entities::rest_app::Entity::find()
        .filter(crate::backend::entities::rest_app::Column::AccountId.eq(actor.account.0))
        .all(&txn)
        .await
        .or_internal()?
        .into_iter()
        .map(|a| a.id)
        .collect();
    crate::backend::entities::oauth_code::Entity::delete_many()
        .filter(crate::backend::entities::oauth_code::Column::UserId.eq(target.0))
        .filter(crate::backend::entities::oauth_code::Column::AppId.is_in(apps))
        .exec(&txn)
        .await
        .or_internal()?;
    super::app_events::drop_grants(&txn, actor.account.0, None, target.0).await?;
    super::queue::remove_from_queues(&txn, actor.account.0, target).await?;
    let released = super::queue::release_operator(&txn, actor.account, target, None).await?;
    txn.commit().await.or_internal()?;
    super::queue::after_access_change(db, hub, actor.account, released).await;
    Ok(())
}

/// The account as the server's operator sees it from the admin CLI: admin rights
/// without being a member. Never reachable from the web.
pub async fn system_actor(db: &impl ConnectionTrait, slug: &str) -> Result<Actor, AppError> {
    let slug = Slug::parse(slug)?;
    let acc = account::Entity::find()
        .filter(account::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    Ok(Actor {
        user: UserId(0),
        account: AccountId(acc.id),
        slug,
        account_name: acc.name,
        role: Role::Admin,
    })
}
