//! The API tests: every module drives a real server over HTTP, WebSockets and REST (on
//! SQLite, and on PostgreSQL and several nodes over NATS when `TEST_DATABASE_URL` is
//! set), through the shared [`harness`]. One test binary, so the whole server is linked
//! once rather than once per file. (`metrics.rs` stays a binary of its own: its figures
//! are per process.)

mod harness;

mod accounts;
mod attachments;
mod chat;
mod cli;
mod cluster;
mod compression;
mod contact_center;
mod conversations;
mod events;
mod hours;
mod identity;
mod inbox;
mod messages;
mod nodes;
mod oauth_apps;
mod rest;
mod security;
mod stats;
