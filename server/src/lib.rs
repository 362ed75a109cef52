#![recursion_limit = "512"]
//! The Netlines server: start-up, router, form endpoints, health, CLI.
//!
//! Where things are: [`startup`] (options, [`Application::build`] binds the listener —
//! port 0 in tests — and wires everything; [`Application::run_until_stopped`] serves until
//! the shutdown future resolves), [`routes`] (every route and layer), [`middleware`]
//! (the layers), [`workers`] (the node's periodic work), [`health`]; then one module per
//! area of entry points: form endpoints ([`forms`], [`contact_center`], [`chat`],
//! [`profile`], [`apps`]), [`sockets`] (the live WebSockets), [`files`] and [`uploads`], [`rest`],
//! [`stats`], outgoing [`app_events`], [`cli`].

pub mod app_events;
pub mod apps;
pub mod assets;
pub mod chat;
pub mod cli;
pub mod contact_center;
pub mod extract;
pub mod files;
pub mod forms;
pub mod health;
pub mod middleware;
pub mod profile;
pub mod respond;
pub mod rest;
pub mod routes;
pub mod serve;
pub mod sockets;
pub mod startup;
pub mod stats;
pub mod uploads;
pub mod workers;

pub use middleware::origin_allowed;
pub use routes::router;
pub use startup::{leptos_options_from_env, shutdown_signal, Application};
