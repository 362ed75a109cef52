//! Rights, in one place: every "may this actor do this to that" question of Netlines is
//! answered here, and every entry point (pages, server functions, form endpoints, both
//! WebSockets, REST methods and `batch`, avatar routes) asks through these functions.
//!
//! The rules:
//! - an **account's** pages and data are for its members only; outsiders get `NotFound`
//!   (they may not learn that it exists);
//! - **admins** manage members, channels, queues and settings of their account and act on
//!   every conversation of it;
//! - **operators** act on conversations of the channels whose queue they are in (and
//!   may change only those assigned to them or waiting);
//! - **employees** have no inbox and can never be in a queue;
//! - a **customer** is a user writing from an account they are a member of; they see
//!   their own conversations (that user, that account) and nothing else;
//! - live sockets subscribe to a topic only after the right to it is confirmed, and
//!   re-check it on every frame and whenever the account's rights change
//!   ([`crate::backend::hub::Topic::Access`]).

use super::entities::{channel_operator, conversation, membership, open_channel};
use super::principal::{Actor, Customer, Viewer};
use super::OrInternal;
use crate::domain::{AccountId, ConversationId, Role};
use crate::error::{AppError, Code, Field};
use crate::views::SessionUser;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// What someone wants to do with a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversationRight {
    /// Read its history (pages, REST).
    Read,
    /// Follow it live (`Resume` on a socket).
    Follow,
    /// Write a message.
    Write,
    /// Say "typing…".
    Typing,
    /// Move one's read position.
    MarkRead,
    /// Finish, transfer, "Start new conversation": the operators' side only.
    Operate,
}

/// Roles that may be in a channel's queue and have an inbox.
pub fn may_serve(role: Role) -> bool {
    matches!(role, Role::Admin | Role::Operator)
}

/// Account administration (members, channels, queues, channel settings).
pub fn require_admin(actor: &Actor) -> Result<(), AppError> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

impl Actor {
    /// Account administration ([`require_admin`]).
    pub fn require_admin(&self) -> Result<(), AppError> {
        require_admin(self)
    }
}

/// A queue may hold only members who may serve.
pub fn require_may_serve(role: Role) -> Result<(), AppError> {
    if may_serve(role) {
        Ok(())
    } else {
        Err(AppError::Invalid {
            field: Field::Operators,
            code: Code::NotOperator,
        })
    }
}

/// The customer `user` writing from account `slug`; they must be a member of it.
pub async fn customer(
    db: &impl ConnectionTrait,
    user: &SessionUser,
    slug: &str,
) -> Result<Customer, AppError> {
    let (_, acc) = super::principal::account_by_slug(db, slug).await?;
    require_member(db, AccountId(acc.id), user.id.0).await?;
    Ok(Customer {
        user: user.id,
        user_name: user.name.clone(),
        account: AccountId(acc.id),
        account_name: acc.name,
        account_slug: acc.slug,
    })
}

/// Is the customer still a member of the account they write from?
pub async fn customer_still_valid(db: &impl ConnectionTrait, c: &Customer) -> Result<(), AppError> {
    require_member(db, c.account, c.user.0).await
}

async fn require_member(db: &impl ConnectionTrait, account: AccountId, user: i64) -> Result<(), AppError> {
    membership::Entity::find()
        .filter(membership::Column::AccountId.eq(account.0))
        .filter(membership::Column::UserId.eq(user))
        .one(db)
        .await
        .or_internal()?
        .map(|_| ())
        .ok_or(AppError::NotFound)
}

/// May `actor` work on conversations of a channel of account `account`, given whether
/// they are `in_queue` of that channel? Another account's is `NotFound` (they may not
/// learn it exists). In their own account: admins every channel, operators the ones
/// whose queue they are in, employees none, even if a stale queue row names them
/// (`Forbidden`). Pure: the message writer asks it about facts read in its transaction.
pub fn may_operate(actor: &Actor, account: AccountId, in_queue: bool) -> Result<(), AppError> {
    if account != actor.account {
        return Err(AppError::NotFound);
    }
    let serves = match actor.role {
        Role::Admin => true,
        Role::Employee => false,
        Role::Operator => in_queue,
    };
    if serves {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// May `customer` write to a channel of account `channel_account` that is (or is not)
/// `available`? Not to their own account's, and not while it is disconnected or off.
pub fn channel_open_to(
    customer: &Customer,
    channel_account: AccountId,
    available: bool,
) -> Result<(), AppError> {
    if channel_account == customer.account {
        return Err(AppError::Invalid {
            field: Field::Account,
            code: Code::OwnAccount,
        });
    }
    if !available {
        return Err(AppError::Invalid {
            field: Field::Channel,
            code: Code::ChannelUnavailable,
        });
    }
    Ok(())
}

/// Is `user` in the queue of channel `channel`?
async fn in_queue(db: &impl ConnectionTrait, user: i64, channel: i64) -> Result<bool, AppError> {
    Ok(channel_operator::Entity::find()
        .filter(channel_operator::Column::ChannelId.eq(channel))
        .filter(channel_operator::Column::UserId.eq(user))
        .one(db)
        .await
        .or_internal()?
        .is_some())
}

/// The conversation if the operator may see it: their account's, and a channel they
/// serve. Another account's conversation is `NotFound`; one of a channel of their own
/// account that they do not serve is `Forbidden`.
pub async fn operator_conversation(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: ConversationId,
) -> Result<conversation::Model, AppError> {
    let c = conversation::Entity::find_by_id(id.0)
        .filter(conversation::Column::AccountId.eq(actor.account.0))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    // The conversation is of the actor's account, so its channel is too.
    let queued = actor.role == Role::Operator && in_queue(db, actor.user.0, c.channel_id).await?;
    may_operate(actor, AccountId(c.account_id), queued)?;
    Ok(c)
}

/// The conversation if it is this customer's (that user writing from that account).
pub async fn customer_conversation(
    db: &impl ConnectionTrait,
    customer: &Customer,
    id: ConversationId,
) -> Result<conversation::Model, AppError> {
    conversation::Entity::find_by_id(id.0)
        .filter(conversation::Column::CustomerUserId.eq(customer.user.0))
        .filter(conversation::Column::CustomerAccountId.eq(customer.account.0))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)
}

/// The one check for doing `right` to conversation `id` as `viewer`. Returns the
/// conversation when allowed; `NotFound` / `Forbidden` otherwise.
pub async fn conversation(
    db: &impl ConnectionTrait,
    viewer: &Viewer<'_>,
    right: ConversationRight,
    id: ConversationId,
) -> Result<conversation::Model, AppError> {
    match viewer {
        Viewer::Operator(actor) => operator_conversation(db, actor, id).await,
        Viewer::Customer(_) if right == ConversationRight::Operate => Err(AppError::Forbidden),
        Viewer::Customer(c) => customer_conversation(db, c, id).await,
    }
}

/// The channels an inbox covers: admins all of the account's, operators the ones whose
/// queue they are in. Employees have no inbox (`Forbidden`).
pub async fn inbox_channels(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Vec<open_channel::Model>, AppError> {
    let all = open_channel::Entity::find()
        .filter(open_channel::Column::AccountId.eq(actor.account.0))
        .order_by_asc(open_channel::Column::Name)
        .order_by_asc(open_channel::Column::Id)
        .all(db)
        .await
        .or_internal()?;
    match actor.role {
        Role::Admin => Ok(all),
        Role::Employee => Err(AppError::Forbidden),
        Role::Operator => {
            let mine: Vec<i64> = channel_operator::Entity::find()
                .filter(channel_operator::Column::UserId.eq(actor.user.0))
                .all(db)
                .await
                .or_internal()?
                .into_iter()
                .map(|o| o.channel_id)
                .collect();
            Ok(all.into_iter().filter(|c| mine.contains(&c.id)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_and_operators_may_serve() {
        assert!(may_serve(Role::Admin));
        assert!(may_serve(Role::Operator));
        assert!(!may_serve(Role::Employee));
        assert_eq!(
            require_may_serve(Role::Employee),
            Err(AppError::Invalid {
                field: Field::Operators,
                code: Code::NotOperator
            })
        );
    }
}
