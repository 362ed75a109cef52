//! Server functions: the reads the pages make (so the hydrated pages can refetch them),
//! one module per area. The shapes they answer with are in [`crate::views`]; their
//! encoding in [`crate::codec`].
//!
//! Writes from forms go to plain form endpoints in the `server` crate, so every form
//! also works with JavaScript disabled.

pub mod accounts;
pub mod apps;
pub mod channels;
pub mod chat;
pub mod inbox;
pub mod profile;
pub mod session;

pub use crate::codec::{Answer, JsonText};
pub use crate::views::*;
