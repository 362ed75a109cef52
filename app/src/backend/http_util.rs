//! Small HTTP helpers: reading cookies and building `Set-Cookie` values.

use http::HeaderMap;

/// The value of cookie `name` from the request's `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
        .next()
}

/// A `Set-Cookie` value. `max_age_secs = 0` deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, http_only: bool, secure: bool) -> String {
    let mut s = format!("{name}={value}; Path=/; Max-Age={max_age_secs}; SameSite=Lax");
    if http_only {
        s.push_str("; HttpOnly");
    }
    if secure {
        s.push_str("; Secure");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_several() {
        let mut h = HeaderMap::new();
        h.append(
            http::header::COOKIE,
            "a=1; netlines_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, "netlines_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "b").as_deref(), Some("2"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn session_cookie_is_http_only_lax_and_secure_on_https() {
        let c = set_cookie("s", "v", 60, true, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        assert!(!set_cookie("s", "v", 60, true, false).contains("Secure"));
    }
}
