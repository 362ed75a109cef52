//! Business rules. Every function that touches tenant data takes the acting identity
//! ([`crate::backend::principal::Actor`]) and filters by its account.

pub mod accounts;
pub mod app_events;
pub mod apps;
pub mod attachments;
pub mod channels;
pub mod conversations;
pub mod credentials;
pub mod customer;
pub mod hours;
pub mod inbox;
pub mod invitations;
pub mod notes;
pub mod queue;
pub mod quick_answers;
pub mod reads;
pub mod refills;
pub mod rest_uploads;
pub mod search;
pub mod stats;
pub mod storage;
pub mod users;
