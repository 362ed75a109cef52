//! What an operator types to search the account's conversations: words, each matched as
//! the start of a word of a message or of the customer's name, case-insensitively.
//!
//! Only letters and digits make a word, so the query handed to the full-text index
//! (SQLite FTS5 or PostgreSQL `tsquery`) never carries operators or quotes of its own.

use super::invalid;
use crate::error::{AppError, Code, Field};

/// A parsed search: 1–[`SearchQuery::MAX_TERMS`] words of 2–40 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    terms: Vec<String>,
}

impl SearchQuery {
    pub const MAX_LEN: usize = 200;
    pub const MAX_TERMS: usize = 8;
    const MAX_TERM: usize = 40;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(invalid(Field::Search, Code::Required));
        }
        if raw.chars().count() > Self::MAX_LEN {
            return Err(invalid(Field::Search, Code::TooLong));
        }
        let mut terms: Vec<String> = Vec::new();
        for word in raw.split(|c: char| !c.is_alphanumeric()) {
            // One-letter words would match nearly everything; they are left out.
            if word.chars().count() < 2 {
                continue;
            }
            let w: String = word
                .chars()
                .take(Self::MAX_TERM)
                .collect::<String>()
                .to_lowercase();
            if !terms.contains(&w) {
                terms.push(w);
            }
        }
        if terms.is_empty() {
            return Err(invalid(Field::Search, Code::SearchShort));
        }
        terms.truncate(Self::MAX_TERMS);
        Ok(Self { terms })
    }

    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The words for SQLite FTS5: each quoted, as a prefix, all required.
    pub fn fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("\"{t}\"*"))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The words for PostgreSQL's `to_tsquery('simple', …)`: each a prefix, all required.
    pub fn tsquery(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("{t}:*"))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// Up to [`SNIPPET_CHARS`] characters of `body` around the first place one of the
/// query's words starts (case-insensitively), with "…" where it was cut.
pub fn snippet(body: &str, q: &SearchQuery) -> String {
    let chars: Vec<char> = body.chars().collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let first = q
        .terms
        .iter()
        .filter_map(|t| {
            let t: Vec<char> = t.chars().collect();
            (0..lower.len()).find(|&i| lower[i..].starts_with(&t))
        })
        .min()
        .unwrap_or(0);
    let start = first.saturating_sub(SNIPPET_CHARS / 3);
    let end = (start + SNIPPET_CHARS).min(chars.len());
    let start = end.saturating_sub(SNIPPET_CHARS).min(start);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(
        chars[start..end]
            .iter()
            .map(|c| if c.is_control() { ' ' } else { *c }),
    );
    if end < chars.len() {
        out.push('…');
    }
    out
}

/// The longest snippet of a found message.
pub const SNIPPET_CHARS: usize = 160;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_letters_and_digits_lowercased_and_nothing_else_reaches_the_index() {
        let q = SearchQuery::parse("  Faktura NR-2024/15 \"OR\" * NEAR(x) faktura ").unwrap();
        assert_eq!(q.terms(), ["faktura", "nr", "2024", "15", "or", "near"]);
        assert_eq!(
            q.fts5(),
            r#""faktura"* AND "nr"* AND "2024"* AND "15"* AND "or"* AND "near"*"#
        );
        assert_eq!(q.tsquery(), "faktura:* & nr:* & 2024:* & 15:* & or:* & near:*");
        let q = SearchQuery::parse("Żółw ćma").unwrap();
        assert_eq!(q.terms(), ["żółw", "ćma"]);
    }

    #[test]
    fn empty_short_long_and_many_words_are_answered_plainly() {
        let code = |s: &str| SearchQuery::parse(s).unwrap_err().code();
        assert_eq!(code("   "), Code::Required);
        assert_eq!(code("a b ? !"), Code::SearchShort);
        assert_eq!(code(&"x".repeat(201)), Code::TooLong);
        let many = SearchQuery::parse("aa bb cc dd ee ff gg hh ii jj").unwrap();
        assert_eq!(many.terms().len(), SearchQuery::MAX_TERMS);
        let long = SearchQuery::parse(&"y".repeat(60)).unwrap();
        assert_eq!(long.terms()[0].len(), 40);
    }

    #[test]
    fn the_snippet_shows_where_the_word_is() {
        let q = SearchQuery::parse("invoice").unwrap();
        let long = format!("{}Your INVOICE is ready{}", "a".repeat(300), "b".repeat(300));
        let s = snippet(&long, &q);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("INVOICE is ready"));
        assert_eq!(s.chars().count(), SNIPPET_CHARS + 2);
        assert_eq!(snippet("Invoice\nplease", &q), "Invoice please");
        // A match only by the stemming of the index (none here): the start.
        assert_eq!(snippet("short", &q), "short");
    }
}
