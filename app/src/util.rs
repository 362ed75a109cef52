//! Small helpers shared by both sides.

/// Percent-encodes a query-string component (RFC 3986 unreserved characters stay).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Builds `path?k=v&…`, encoding each value and skipping empty ones; when `path` has a
/// query already, the pairs follow it.
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let q: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_component(v)))
        .collect();
    if q.is_empty() {
        path.to_string()
    } else if path.contains('?') {
        format!("{path}&{}", q.join("&"))
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

/// Escapes text for an HTML element's content or a quoted attribute: `&`, `<`, `>`, `"`
/// and `'` become character references. Used where text must be written as markup —
/// the content of a `<textarea>` (Leptos 0.8's server renderer writes textarea
/// children raw; see `ui::form::textarea_html`).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_html_leaves_no_markup() {
        assert_eq!(
            super::escape_html(r#"</textarea><img src=x onerror="a('&amp;')">"#),
            "&lt;/textarea&gt;&lt;img src=x onerror=&quot;a(&#39;&amp;amp;&#39;)&quot;&gt;"
        );
        assert_eq!(super::escape_html("zażółć"), "zażółć");
    }

    use super::*;

    #[test]
    fn query_values_are_encoded_and_empty_ones_dropped() {
        assert_eq!(encode_component("a b&c/ż"), "a%20b%26c%2F%C5%BC");
        assert_eq!(
            with_query("/login", &[("next", "/a/x?y=1"), ("email", "")]),
            "/login?next=%2Fa%2Fx%3Fy%3D1"
        );
        assert_eq!(with_query("/x", &[]), "/x");
        assert_eq!(with_query("/x?c=1", &[("error", "e")]), "/x?c=1&error=e");
    }
}
