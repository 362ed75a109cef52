//! Bounds of uploads (the pages' `…/files` forms and REST `disk.folder.uploadfile`),
//! whose handlers read a file-sized body:
//!
//! - **per user, not per server**: at most [`ServeLimits::uploads_per_user`] uploads of
//!   one user at a time ([`take_slot`]); one more is refused at once
//!   (`too_many_uploads`) instead of waiting, so nobody can hold the others up — there is
//!   no server-wide pool a few slow clients could fill;
//! - **a minimum transfer rate**: an upload's body must bring
//!   [`ServeLimits::upload_min_bytes`] in every [`ServeLimits::upload_window`]
//!   ([`min_rate`]); a body that trickles is cut off (`upload_too_slow`) and what it sent
//!   is dropped.

use app::backend::config::ServeLimits;
use app::domain::UserId;
use app::error::{AppError, Code, Field};
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use futures::{Stream, StreamExt};
use std::time::Duration;
use tokio::time::Instant;

/// A slot for one more upload of `user` (the state's [`Slots`]), or
/// `too_many_uploads`.
pub fn take_slot(
    state: &app::backend::AppState,
    user: UserId,
) -> Result<app::backend::ratelimit::Slot, AppError> {
    state
        .upload_slots
        .take(user.0, state.config.serve.uploads_per_user)
        .ok_or(AppError::Invalid {
            field: Field::Files,
            code: Code::TooManyUploads,
        })
}

/// The error a body stream ends with when it is too slow (the extractors reading it
/// answer with their own error; handlers map any body error of an upload to
/// `upload_too_slow` when [`TooSlow`] is its cause).
#[derive(Debug)]
pub struct TooSlow;

impl std::fmt::Display for TooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the upload was slower than the minimum transfer rate")
    }
}

impl std::error::Error for TooSlow {}

/// `inner`, cut off with [`TooSlow`] when fewer than `min_bytes` arrive in a `window`.
pub fn min_rate<S, E>(
    inner: S,
    min_bytes: usize,
    window: Duration,
) -> impl Stream<Item = Result<Bytes, axum::BoxError>> + Send
where
    S: Stream<Item = Result<Bytes, E>> + Send + Unpin + 'static,
    E: Into<axum::BoxError>,
{
    struct State<S> {
        inner: S,
        deadline: Instant,
        got: usize,
        failed: bool,
    }
    let state = State {
        inner,
        deadline: Instant::now() + window,
        got: 0,
        failed: false,
    };
    futures::stream::unfold(state, move |mut st| async move {
        if st.failed {
            return None;
        }
        loop {
            match tokio::time::timeout_at(st.deadline, st.inner.next()).await {
                Ok(Some(Ok(chunk))) => {
                    st.got += chunk.len();
                    return Some((Ok(chunk), st));
                }
                Ok(Some(Err(e))) => {
                    st.failed = true;
                    return Some((Err(e.into()), st));
                }
                Ok(None) => return None,
                Err(_) if st.got < min_bytes => {
                    st.failed = true;
                    app::backend::metrics::get().uploads_too_slow.inc();
                    return Some((Err(Box::new(TooSlow) as axum::BoxError), st));
                }
                Err(_) => {
                    st.deadline += window;
                    st.got = 0;
                }
            }
        }
    })
}

/// Middleware of the upload routes: the request body under [`min_rate`].
pub async fn enforce_min_rate(
    axum::extract::State(limits): axum::extract::State<ServeLimits>,
    req: Request,
    next: Next,
) -> Response {
    let (parts, body) = req.into_parts();
    let slow = min_rate(
        body.into_data_stream(),
        limits.upload_min_bytes,
        limits.upload_window,
    );
    next.run(Request::from_parts(parts, Body::from_stream(slow)))
        .await
}

/// Whether a body error was [`TooSlow`] (it reaches handlers wrapped by the extractors).
pub fn is_too_slow(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.is::<TooSlow>() || err.to_string().contains("minimum transfer rate") {
            return true;
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_trickling_body_is_cut_off_and_a_steady_one_is_not() {
        // 100 bytes a second against a minimum of 1,000 per second.
        let trickle = futures::stream::unfold(0u32, |n| async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            (n < 100).then(|| (Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 100])), n + 1))
        });
        let mut s = Box::pin(min_rate(Box::pin(trickle), 10_000, Duration::from_secs(10)));
        let mut got = 0;
        let mut err = None;
        while let Some(r) = s.next().await {
            match r {
                Ok(b) => got += b.len(),
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        assert!(is_too_slow(err.expect("cut off").as_ref()));
        assert!(got < 1_100, "{got}");
        // 2,000 bytes a second passes, however long it takes.
        let steady = futures::stream::unfold(0u32, |n| async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            (n < 60).then(|| (Ok::<_, std::io::Error>(Bytes::from(vec![0u8; 1_000])), n + 1))
        });
        let s = min_rate(Box::pin(steady), 10_000, Duration::from_secs(10));
        let all: Vec<_> = s.collect().await;
        assert_eq!(all.len(), 60);
        assert!(all.iter().all(Result::is_ok));
    }
}
