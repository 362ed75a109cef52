//! Links in what people write: `http://` and `https://` addresses in a message become
//! links (opening in a new tab, with no referrer, no access to this page and no
//! endorsement: `rel="noopener noreferrer nofollow"`); nothing else does — no other
//! scheme, no bare domains. Plain functions, the same on the server and in the browser,
//! so the page hydrates onto what the server drew.

use leptos::prelude::*;

/// A run of a message's text: plain, or an address to link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Link(&'a str),
}

/// Where an address may start: at the beginning, or after a space or an opening mark.
fn boundary(before: Option<char>) -> bool {
    before.is_none_or(|c| c.is_whitespace() || "([{<\"'«„“".contains(c))
}

/// Characters that end an address.
fn stops(c: char) -> bool {
    c.is_whitespace() || c.is_control() || "<>\"`{}|\\^".contains(c)
}

/// Splits `text` into plain runs and `http(s)://` addresses. Punctuation that closes a
/// sentence is left out of the address (`see https://a.test/x.` links `…/x`), as is a
/// closing bracket the address did not open.
pub fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut plain = 0;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let scheme = ["https://", "http://"]
            .into_iter()
            .find(|s| rest.get(..s.len()).is_some_and(|h| h.eq_ignore_ascii_case(s)));
        let before = text[..i].chars().next_back();
        let Some(scheme) = scheme.filter(|_| boundary(before)) else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let mut end = i + rest.find(stops).unwrap_or(rest.len());
        // Trailing sentence punctuation and unbalanced closing brackets stay text.
        loop {
            let addr = &text[i..end];
            let Some(last) = addr.chars().next_back() else {
                break;
            };
            let unbalanced = |open: char, close: char| {
                last == close && addr.matches(open).count() < addr.matches(close).count()
            };
            if ".,;:!?'…”’»".contains(last) || unbalanced('(', ')') || unbalanced('[', ']') {
                end -= last.len_utf8();
            } else {
                break;
            }
        }
        let host = &text[i + scheme.len()..end];
        if host.is_empty() || host.starts_with(['/', '.', ':', '@', '?', '#']) {
            i += scheme.len();
            continue;
        }
        if plain < i {
            out.push(Piece::Text(&text[plain..i]));
        }
        out.push(Piece::Link(&text[i..end]));
        i = end;
        plain = end;
    }
    if plain < text.len() {
        out.push(Piece::Text(&text[plain..]));
    }
    out
}

/// A message's text with its addresses as links.
#[component]
pub fn Linked(text: String) -> impl IntoView {
    pieces(&text)
        .into_iter()
        .map(|p| match p {
            Piece::Text(t) => t.to_string().into_any(),
            Piece::Link(url) => view! {
                <a href=url.to_string() target="_blank" rel="noopener noreferrer nofollow">{url.to_string()}</a>
            }
            .into_any(),
        })
        .collect_view()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Piece::*;

    #[test]
    fn http_and_https_addresses_become_links_and_nothing_else_does() {
        assert_eq!(
            pieces("see https://a.test/x?y=1#z and HTTP://b.test"),
            [
                Text("see "),
                Link("https://a.test/x?y=1#z"),
                Text(" and "),
                Link("HTTP://b.test")
            ]
        );
        for plain in [
            "javascript:alert(1)",
            "ftp://a.test",
            "www.a.test",
            "data:text/html,x",
            "xhttps://a.test",
            "https://",
            "https:///etc",
            "https://?q",
            "mailto:a@b.test",
        ] {
            assert_eq!(pieces(plain), [Text(plain)], "{plain}");
        }
        assert_eq!(pieces(""), []);
    }

    #[test]
    fn sentence_punctuation_and_unopened_brackets_stay_outside_the_link() {
        assert_eq!(
            pieces("Go to https://a.test/x."),
            [Text("Go to "), Link("https://a.test/x"), Text(".")]
        );
        assert_eq!(
            pieces("(details: https://a.test/y)"),
            [Text("(details: "), Link("https://a.test/y"), Text(")")]
        );
        assert_eq!(
            pieces("https://en.wikipedia.test/wiki/Rust_(language)!"),
            [Link("https://en.wikipedia.test/wiki/Rust_(language)"), Text("!")]
        );
        assert_eq!(
            pieces("„https://a.test/ł?q=żółw” ok"),
            [Text("„"), Link("https://a.test/ł?q=żółw"), Text("” ok")]
        );
        // Markup characters end an address: nothing can break out of the attribute.
        assert_eq!(
            pieces("https://a.test/\"onmouseover=x <b>"),
            [Link("https://a.test/"), Text("\"onmouseover=x <b>")]
        );
    }
}
