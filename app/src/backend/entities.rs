//! SeaORM entities. Timestamps are Unix milliseconds (`i64`) on every backend.

pub mod account;
pub mod avatar_image;
pub mod channel_operator;
pub mod conversation;
pub mod membership;
pub mod message;
pub mod network_connector;
pub mod open_channel;
pub mod session;
pub mod user;
