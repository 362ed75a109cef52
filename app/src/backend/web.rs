//! Web hardening: the Content-Security-Policy of pages (a nonce per page, so only
//! Leptos' own inline scripts run — never anything inline from users), and the headers
//! every response carries.

use http::header::{HeaderName, HeaderValue};

/// The policy of a page whose inline scripts carry `nonce`. The WebAssembly client is
/// loaded from this site (`'wasm-unsafe-eval'` lets it compile); styles and images come
/// from this site (images also as `data:`/`blob:` previews); the live socket and server
/// functions talk to this site; nothing may frame the page.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The policy of every other response (JSON, images, files): nothing runs.
pub const STRICT_CSP: &str =
    "default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Provides a fresh nonce to the page being rendered and sets the page's policy with it.
pub fn provide_page_csp() {
    leptos::nonce::provide_nonce();
    let nonce = leptos::nonce::use_nonce();
    let response = leptos::prelude::use_context::<leptos_axum::ResponseOptions>();
    if let (Some(nonce), Some(response)) = (nonce, response) {
        if let Ok(v) = HeaderValue::from_str(&page_csp(&nonce)) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
}

/// Headers every response gets (the page policy is set by the page itself; others get
/// [`STRICT_CSP`]).
pub fn hardening_headers(headers: &mut http::HeaderMap) {
    let set = |h: &mut http::HeaderMap, k: HeaderName, v: &'static str| {
        if !h.contains_key(&k) {
            h.insert(k, HeaderValue::from_static(v));
        }
    };
    set(headers, http::header::CONTENT_SECURITY_POLICY, STRICT_CSP);
    set(headers, http::header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, http::header::REFERRER_POLICY, "same-origin");
    set(headers, http::header::X_FRAME_OPTIONS, "DENY");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_policy_allows_only_nonced_inline_scripts_and_no_framing() {
        let p = page_csp("abc");
        assert!(p.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'"));
        assert!(!p.contains("unsafe-inline"));
        assert!(p.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn every_response_gets_the_hardening_headers_without_overriding_a_page_policy() {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("x"),
        );
        hardening_headers(&mut h);
        assert_eq!(h[http::header::CONTENT_SECURITY_POLICY], "x");
        assert_eq!(h[http::header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[http::header::REFERRER_POLICY], "same-origin");
    }
}
