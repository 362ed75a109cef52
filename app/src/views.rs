//! The shapes data takes on its way to the pages: what the backend's services answer
//! with and the server functions pass on. Plain serde types, below both.

mod accounts;
mod apps;
mod channels;
mod chat;
mod inbox;
mod profile;

pub use accounts::*;
pub use apps::*;
pub use channels::*;
pub use chat::*;
pub use inbox::*;
pub use profile::*;
