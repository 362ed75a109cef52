//! SeaORM entities. Timestamps are Unix milliseconds (`i64`) on every backend.

pub mod account;
pub mod attachment;
pub mod avatar_image;
pub mod channel_operator;
pub mod conversation;
pub mod conversation_note;
pub mod conversation_pin;
pub mod conversation_skip;
pub mod event_binding;
pub mod event_outbox;
pub mod form_refill;
pub mod invitation;
pub mod known_device;
pub mod membership;
pub mod message;
pub mod network_connector;
pub mod network_join;
pub mod network_message;
pub mod oauth_code;
pub mod open_channel;
pub mod quick_answer;
pub mod rest_app;
pub mod rest_credential;
pub mod rest_upload;
pub mod session;
pub mod user;
