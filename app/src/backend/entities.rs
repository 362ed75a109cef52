//! SeaORM entities. Timestamps are Unix milliseconds (`i64`) on every backend.

pub mod account;
pub mod membership;
pub mod session;
pub mod user;
