//! Server-only code: configuration, database, entities, migrations, services, auth.
//! Compiled only with the `ssr` feature.

pub mod auth;
pub mod cluster;
pub mod config;
pub mod db;
pub mod entities;
pub mod files;
pub mod http_util;
pub mod hub;
pub mod images;
pub mod messaging;
pub mod metrics;
pub mod migration;
pub mod policy;
pub mod principal;
pub mod ratelimit;
pub mod services;
pub mod state;
pub mod web;

pub use config::Config;
pub use state::AppState;

use crate::error::AppError;

/// Logs an unexpected failure (a database error, say) with where it happened, and turns
/// it into the opaque `Internal` error for the user.
#[track_caller]
pub fn internal(err: impl std::fmt::Display) -> AppError {
    let at = std::panic::Location::caller();
    tracing::error!(error = %err, at = %format_args!("{}:{}", at.file(), at.line()), "internal error");
    AppError::Internal
}

/// `result.or_internal()`: an unexpected failure becomes [`AppError::Internal`], logged
/// with the line that asked (`.map_err(internal)` would log the standard library's).
pub trait OrInternal<T> {
    fn or_internal(self) -> Result<T, AppError>;
}

impl<T, E: std::fmt::Display> OrInternal<T> for Result<T, E> {
    #[track_caller]
    fn or_internal(self) -> Result<T, AppError> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => Err(internal(e)),
        }
    }
}

/// Milliseconds since the Unix epoch: how every timestamp is stored, the same on
/// SQLite and PostgreSQL.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A random token of `bytes` random bytes, hex-encoded.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}
