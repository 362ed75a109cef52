//! Web hardening: the Content-Security-Policy of pages (a nonce per page, so only
//! Leptos' own inline scripts run — never anything inline from users), and the headers
//! every response carries.

use http::header::{HeaderName, HeaderValue};

/// The policy of a page whose inline scripts carry `nonce`. The WebAssembly client is
/// loaded from this site (`'wasm-unsafe-eval'` lets it compile); styles and images come
/// from this site (images also as `data:`/`blob:` previews); the live socket and server
/// functions talk to this site; nothing may frame the page.
pub fn page_csp(nonce: &str) -> String {
    page_csp_with(nonce, None)
}

/// The page policy, with one more origin its forms may lead to (the consent page's Allow
/// redirects to the app; Chromium applies `form-action` to a form's redirects too).
pub fn page_csp_with(nonce: &str, form_target: Option<&str>) -> String {
    let extra = form_target
        .filter(|o| is_plain_origin(o))
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'{extra}; frame-ancestors 'none'"
    )
}

/// `http(s)://host[:port]` and nothing that could end or widen a directive.
fn is_plain_origin(o: &str) -> bool {
    let rest = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && r.len() <= 300
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    })
}

/// The policy of every other response (JSON, images, files): nothing runs.
pub const STRICT_CSP: &str =
    "default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Where the page being rendered leaves its nonce for the response's policy. The
/// hardening middleware puts one into every request's extensions (Leptos hands the
/// request's parts, extensions included, to the page as context) and, once the page is
/// rendered, sets the page policy from it — the policy is set outside Leptos, on the
/// response the client gets. (Setting it through `leptos_axum::ResponseOptions` lost the
/// header now and then: about one page in 20 right after a form's 303 went out with the
/// strict policy, so it did not hydrate.)
#[derive(Clone, Debug, Default)]
pub struct PageNonceSlot(
    std::sync::Arc<std::sync::OnceLock<String>>,
    std::sync::Arc<std::sync::OnceLock<String>>,
);

impl PageNonceSlot {
    /// Lets the page's forms lead to `origin` as well (set once, by the consent page).
    pub fn allow_form_target(&self, origin: &str) {
        let _ = self.1.set(origin.to_owned());
    }

    /// The nonce the page's inline scripts carry, once the page was rendered.
    pub fn get(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }

    fn set(&self, nonce: &str) {
        let _ = self.0.set(nonce.to_owned());
    }
}

/// Provides a fresh nonce to the page being rendered and leaves it in the request's
/// [`PageNonceSlot`], from which its policy is set.
pub fn provide_page_csp() {
    leptos::nonce::provide_nonce();
    let nonce = leptos::nonce::use_nonce();
    let slot = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<PageNonceSlot>().cloned());
    match (nonce, slot) {
        (Some(nonce), Some(slot)) => slot.set(&nonce),
        _ => tracing::error!("page rendered without a nonce slot: it gets the strict policy"),
    }
}

/// The headers of a response to a request that carried `slot`: a page that was rendered
/// gets the policy with its own nonce; everything gets [`hardening_headers`].
pub fn secure_response(slot: &PageNonceSlot, headers: &mut http::HeaderMap) {
    let is_html = headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if let (true, Some(nonce)) = (is_html, slot.get()) {
        if let Ok(v) = HeaderValue::from_str(&page_csp_with(nonce, slot.1.get().map(String::as_str))) {
            headers.insert(http::header::CONTENT_SECURITY_POLICY, v);
        }
    }
    hardening_headers(headers);
}

/// Headers every response gets, each unless the response already has it: [`STRICT_CSP`]
/// (a rendered page got its own policy from [`secure_response`] first), no sniffing, no
/// referrer to other sites, no framing.
fn hardening_headers(headers: &mut http::HeaderMap) {
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

    fn html() -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h
    }

    #[test]
    fn only_a_plain_origin_is_added_to_form_action() {
        let p = page_csp_with("n", Some("https://app.example:8443"));
        assert!(p.contains("form-action 'self' https://app.example:8443;"), "{p}");
        for bad in [
            "https://a.example; script-src *",
            "*",
            "https://a.example/path",
            "javascript:x",
            "https://",
        ] {
            assert!(
                page_csp_with("n", Some(bad)).contains("form-action 'self';"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_rendered_page_gets_the_policy_with_its_own_nonce() {
        let slot = PageNonceSlot::default();
        slot.set("n1");
        slot.set("n2"); // a second render of the same request cannot change it
        let mut h = html();
        secure_response(&slot, &mut h);
        assert_eq!(h[http::header::CONTENT_SECURITY_POLICY], page_csp("n1").as_str());
        assert_eq!(h[http::header::X_FRAME_OPTIONS], "DENY");
    }

    #[test]
    fn anything_else_gets_the_strict_policy() {
        // HTML that was not rendered as a page (no nonce): nothing inline may run.
        let mut h = html();
        secure_response(&PageNonceSlot::default(), &mut h);
        assert_eq!(h[http::header::CONTENT_SECURITY_POLICY], STRICT_CSP);
        // A nonce but not HTML (e.g. a server function answering during a page's request).
        let slot = PageNonceSlot::default();
        slot.set("n1");
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        secure_response(&slot, &mut h);
        assert_eq!(h[http::header::CONTENT_SECURITY_POLICY], STRICT_CSP);
    }
}
