//! Who acts: the identities every rule is asked about, in one place below the
//! services and [`super::policy`].
//!
//! - [`Actor`]: a member of an account with a role (pages, inbox, REST). Made only by
//!   [`crate::backend::services::accounts::actor`], which proves the membership.
//! - [`Customer`]: a person writing to another account's channel *from* one of their own
//!   accounts. Made by [`crate::backend::policy::customer`] (a signed-in user and an
//!   account slug) or [`Customer::of_member`] (a member already proven as an [`Actor`]).
//! - [`Party`]: who writes a message — a customer to the channel behind a code, or an
//!   operator shown under a name. The socket, the writer and the full path all carry it.
//! - [`Viewer`]: a borrowed customer or operator, for reads (history, typing, read
//!   position), where no channel code or display name is needed.

use crate::backend::entities::account;
use crate::backend::OrInternal;
use crate::domain::channel::ChannelCode;
use crate::domain::conversation::Author;
use crate::domain::{AccountId, Role, Slug, UserId};
use crate::error::AppError;
use crate::views::AccountSummary;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Who is acting, in which account, with which role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    pub account: AccountId,
    pub slug: Slug,
    pub account_name: String,
    pub role: Role,
}

impl Actor {
    /// The account as the pages name it, with the actor's role.
    pub fn summary(&self) -> AccountSummary {
        AccountSummary {
            id: self.account,
            name: self.account_name.clone(),
            slug: self.slug.to_string(),
            role: self.role,
        }
    }
}

/// A customer: the signed-in user and the account they chose to write from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub user: UserId,
    pub user_name: String,
    pub account: AccountId,
    pub account_name: String,
    pub account_slug: String,
}

impl Customer {
    /// The member `actor` (named `user_name`) writing from their own account.
    pub fn of_member(actor: &Actor, user_name: &str) -> Self {
        Self {
            user: actor.user,
            user_name: user_name.to_string(),
            account: actor.account,
            account_name: actor.account_name.clone(),
            account_slug: actor.slug.to_string(),
        }
    }
}

/// Who writes a message.
#[derive(Clone, Debug)]
pub enum Party {
    /// A customer, writing to the channel behind `code`.
    Customer { customer: Customer, code: ChannelCode },
    /// An operator (or admin) of the conversation's account, shown as `name`.
    Operator { actor: Actor, name: String },
}

impl Party {
    /// The person writing.
    pub fn user(&self) -> UserId {
        match self {
            Party::Customer { customer, .. } => customer.user,
            Party::Operator { actor, .. } => actor.user,
        }
    }

    /// The account they act in (the customer's own, the operator's).
    pub fn account(&self) -> AccountId {
        match self {
            Party::Customer { customer, .. } => customer.account,
            Party::Operator { actor, .. } => actor.account,
        }
    }

    /// How their messages are stored.
    pub fn author(&self) -> Author {
        match self {
            Party::Customer { .. } => Author::Customer,
            Party::Operator { .. } => Author::Operator,
        }
    }

    /// The name their messages show.
    pub fn name(&self) -> &str {
        match self {
            Party::Customer { customer, .. } => &customer.user_name,
            Party::Operator { name, .. } => name,
        }
    }

    /// The same person as a reader.
    pub fn viewer(&self) -> Viewer<'_> {
        match self {
            Party::Customer { customer, .. } => Viewer::Customer(customer),
            Party::Operator { actor, .. } => Viewer::Operator(actor),
        }
    }
}

/// Who is reading a conversation.
#[derive(Clone, Copy, Debug)]
pub enum Viewer<'a> {
    Customer(&'a Customer),
    Operator(&'a Actor),
}

impl Viewer<'_> {
    /// How the reader's own messages are stored.
    pub fn author(&self) -> Author {
        match self {
            Viewer::Customer(_) => Author::Customer,
            Viewer::Operator(_) => Author::Operator,
        }
    }
}

/// The account behind `slug`; a malformed slug and an unknown one are the same
/// `NotFound`. Where an actor or a customer is made, the account comes from here.
pub(crate) async fn account_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<(Slug, account::Model), AppError> {
    let slug = Slug::parse(slug).map_err(|_| AppError::NotFound)?;
    let acc = account::Entity::find()
        .filter(account::Column::Slug.eq(slug.as_str()))
        .one(db)
        .await
        .or_internal()?
        .ok_or(AppError::NotFound)?;
    Ok((slug, acc))
}
