//! The layers every request passes: origin checks on state-changing requests, time
//! bounds, security headers, the page's user (and refused form's refill), and the
//! status of server-function errors.

use crate::forms;
use app::backend::AppState;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Server functions answer every error with 500; this gives an `AppError` its own
/// status (400, 401, 403, 404, 409, 422, 429) so clients, proxies and logs tell a
/// malformed request, "not yours" and "not found" from a fault. The body (the encoded
/// error) is kept as it is.
pub(crate) async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_server_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // An encoded AppError is a few hundred bytes; anything bigger is not one.
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(e) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Security headers on every response (`app::backend::web`).
/// How long any request may take to be answered.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long an upload may take (25 MB at 400 kbit/s).
const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// Requests whose handler reads a file-sized body: the pages' upload forms and the REST
/// upload method.
fn is_upload(method: &http::Method, path: &str) -> bool {
    method == http::Method::POST
        && (path.ends_with("/files")
            || path.ends_with("/disk.folder.uploadfile")
            || path.ends_with("/disk.folder.uploadfile.json"))
}

/// Answers 503 when a request is not answered within its bound.
pub(crate) async fn bounded_in_time(req: Request, next: Next) -> Response {
    let limit = if is_upload(req.method(), req.uri().path()) {
        UPLOAD_TIMEOUT
    } else {
        REQUEST_TIMEOUT
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

pub(crate) async fn hardening(mut req: Request, next: Next) -> Response {
    let slot = app::backend::web::PageNonceSlot::default();
    req.extensions_mut().insert(slot.clone());
    let mut res = next.run(req).await;
    app::backend::web::secure_response(&slot, res.headers_mut());
    res
}

/// Resolves the session user of page requests before Leptos renders them, so the page
/// frame can show it without a `<Suspense>` (see `app::ui::RequestUser`).
pub(crate) async fn attach_user(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_page = req.method() == Method::GET
        && !path.starts_with("/pkg/")
        && !path.starts_with("/api/")
        && !path.starts_with("/avatars/")
        && path != "/ws"
        && path != "/healthz"
        && path != "/metrics";
    if is_page {
        let user = crate::extract::session_user(&state, req.headers())
            .await
            .ok()
            .flatten();
        if let Some(u) = &user {
            match app::backend::services::accounts::list_for_user(&state.db, u.id).await {
                Ok(accounts) => {
                    req.extensions_mut().insert(app::ui::RequestAccounts(accounts));
                }
                Err(e) => tracing::warn!(error = ?e, "page frame: the user's accounts are unavailable"),
            }
        }
        req.extensions_mut().insert(app::ui::RequestUser(user));
        let (path, query) = (
            req.uri().path().to_string(),
            req.uri().query().unwrap_or("").to_string(),
        );
        if let Some(refill) = forms::page_refill(&state, &path, &query, req.headers()).await {
            req.extensions_mut().insert(refill);
        }
    }
    next.run(req).await
}

/// Is the request's `Origin` this site? This site is the origin of
/// `NETLINES_PUBLIC_URL` (what users open, also behind a proxy that rewrites `Host`), or
/// the `Host` the request was sent to **with the public URL's scheme**: `https://host`
/// or `wss://host` never pass for a site served over `http://`, nor the other way round.
/// A missing or opaque (`null`) `Origin` is not allowed here.
pub fn origin_allowed(public_url: &str, headers: &axum::http::HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Ok(offered) = url::Url::parse(origin) else {
        return false;
    };
    let offered = offered.origin();
    if !offered.is_tuple() {
        return false;
    }
    let Ok(public) = url::Url::parse(public_url) else {
        return false;
    };
    if offered == public.origin() {
        return true;
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if host.is_empty() {
        return false;
    }
    match url::Url::parse(&format!("{}://{host}", public.scheme())) {
        Ok(by_host) => offered == by_host.origin(),
        Err(_) => false,
    }
}

/// Refuses state-changing requests whose `Origin` is another site (CSRF defence in
/// depth on top of `SameSite=Lax` cookies). Requests without `Origin` (non-browser
/// clients) pass.
pub(crate) async fn same_origin_posts(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // REST calls and OAuth token requests carry their own credential (never the session
    // cookie), so a foreign page cannot forge one.
    let rest = req.uri().path().starts_with("/rest/") || req.uri().path().starts_with("/oauth/token");
    if !rest
        && req.method() != Method::GET
        && req.method() != Method::HEAD
        && req.headers().contains_key(header::ORIGIN)
        && !origin_allowed(&state.config.public_url, req.headers())
    {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::warn!(%origin, "cross-origin request refused");
        return (StatusCode::FORBIDDEN, "cross-origin request refused").into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod origin_tests {
    use super::origin_allowed;

    fn with(origin: &str, host: &str) -> axum::http::HeaderMap {
        let mut h = axum::http::HeaderMap::new();
        h.insert("origin", origin.parse().unwrap());
        h.insert("host", host.parse().unwrap());
        h
    }

    #[test]
    fn the_origin_must_match_the_public_url_scheme_host_and_port_exactly() {
        let public = "http://chat.example.com";
        assert!(origin_allowed(
            public,
            &with("http://chat.example.com", "chat.example.com")
        ));
        // The Host the request was sent to, with the public URL's scheme.
        assert!(origin_allowed(
            public,
            &with("http://127.0.0.1:3000", "127.0.0.1:3000")
        ));
        for bad in [
            "https://chat.example.com",
            "wss://chat.example.com",
            "ws://chat.example.com",
            "http://chat.example.com:8080",
            "http://evil.example.com",
            "null",
            "chat.example.com",
            "http://chat.example.com.evil.test",
        ] {
            assert!(!origin_allowed(public, &with(bad, "chat.example.com")), "{bad}");
        }
        let secure = "https://chat.example.com";
        assert!(origin_allowed(
            secure,
            &with("https://chat.example.com", "internal:8080")
        ));
        assert!(origin_allowed(secure, &with("https://chat.example.com:443", "x")));
        assert!(!origin_allowed(
            secure,
            &with("http://chat.example.com", "chat.example.com")
        ));
    }
}

#[cfg(test)]
mod timeout_tests {
    use super::is_upload;
    use http::Method;

    #[test]
    fn only_uploads_get_the_long_bound() {
        assert!(is_upload(&Method::POST, "/chat/0123/acme/files"));
        assert!(is_upload(&Method::POST, "/a/acme/inbox/files"));
        assert!(is_upload(&Method::POST, "/rest/3/abc/disk.folder.uploadfile"));
        assert!(is_upload(&Method::POST, "/rest/disk.folder.uploadfile.json"));
        assert!(!is_upload(&Method::GET, "/files/7"));
        assert!(!is_upload(&Method::POST, "/chat/0123/acme/send"));
        assert!(!is_upload(&Method::POST, "/rest/3/abc/im.message.add"));
        assert!(!is_upload(&Method::GET, "/a/acme/inbox/files"));
    }
}

/// A request answered before its body was read to the end closes its connection, and
/// says so (`Connection: close`).
///
/// Many requests are refused before their body is read — not signed in, not a member,
/// a foreign origin, over a limit — so that a stranger's bytes cost nothing. HTTP/1.1
/// then requires the server to close the connection (RFC 9112 §9.6); hyper does, but
/// without the header, so a client that pools connections could write its next request
/// on a connection that is already closing and get no answer at all (browsers retry
/// such requests, most HTTP libraries do not). With the header it opens a new one.
pub(crate) async fn close_if_unread(req: Request, next: Next) -> Response {
    let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n > 0);
    let http1 = matches!(req.version(), http::Version::HTTP_10 | http::Version::HTTP_11);
    if !has_body || !http1 {
        return next.run(req).await;
    }
    let read = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::new(Tracked {
        inner: body,
        read: read.clone(),
    });
    let mut res = next.run(Request::from_parts(parts, body)).await;
    if !read.load(std::sync::atomic::Ordering::Acquire) {
        res.headers_mut()
            .insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    }
    res
}

/// A request body that notes when it has been read to the end.
struct Tracked {
    inner: axum::body::Body,
    read: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl http_body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, std::task::Poll::Ready(None)) || self.inner.is_end_stream() {
            self.read.store(true, std::sync::atomic::Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
