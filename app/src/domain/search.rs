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

    /// The words for SQLite FTS5: each folded and quoted, as a prefix, all required.
    pub fn fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("\"{}\"*", fold(t)))
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The words for PostgreSQL's `to_tsquery('simple', …)`: each folded, a prefix,
    /// all required.
    pub fn tsquery(&self) -> String {
        self.terms
            .iter()
            .map(|t| format!("{}:*", fold(t)))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// Letters with diacritics that Unicode decomposes (`ą` = `a` + ogonek). SQLite's
/// tokenizer (`remove_diacritics 2`) folds these itself; PostgreSQL's `simple`
/// configuration does not, so its index and queries fold them with `translate`.
const FOLD_DECOMPOSED: (&str, &str) = (
    "ąćęńóśźżáàâäãåāăéèêëēėěíìîïīįòôöõōőúùûüūůűųýÿçčďğģķĺľļňņřŕšşťţžñĄĆĘŃÓŚŹŻÁÀÂÄÃÅĀĂÉÈÊËĒĖĚÍÌÎÏĪĮÒÔÖÕŌŐÚÙÛÜŪŮŰŲÝŸÇČĎĞĢĶĹĽĻŇŅŘŔŠŞŤŢŽÑ",
    "acenoszzaaaaaaaaeeeeeeeiiiiiioooooouuuuuuuuyyccdggklllnnrrssttznACENOSZZAAAAAAAAEEEEEEEIIIIIIOOOOOOUUUUUUUUYYCCDGGKLLLNNRRSSTTZN",
);
/// Letters Unicode does not decompose, so no tokenizer folds them: `ł` stays `ł` and
/// "platnosc" would never find "płatność". Folded by hand on both databases.
const FOLD_UNDECOMPOSED: (&str, &str) = ("łŁđĐøØħĦıŀĿðÐ", "lLdDoOhHilLdD");
/// Letters that fold into two.
const FOLD_TWO: &[(char, &str)] = &[
    ('ß', "ss"),
    ('æ', "ae"),
    ('Æ', "AE"),
    ('œ', "oe"),
    ('Œ', "OE"),
    ('þ', "th"),
    ('Þ', "TH"),
];

fn fold_one(c: char) -> Option<char> {
    [FOLD_DECOMPOSED, FOLD_UNDECOMPOSED]
        .into_iter()
        .find_map(|(from, to)| from.chars().position(|f| f == c).and_then(|i| to.chars().nth(i)))
}

/// `text` as the search indexes hold it: letters with diacritics folded to their base
/// letters (`Płatność` → `Platnosc`, `Øre` → `Ore`, `Straße` → `Strasse`).
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some(f) = fold_one(c) {
            out.push(f);
        } else if let Some((_, two)) = FOLD_TWO.iter().find(|(f, _)| *f == c) {
            out.push_str(two);
        } else {
            out.push(c);
        }
    }
    out
}

/// The SQL that folds the text of `expr` as [`fold`] does, for the index and the
/// queries alike (the same expression, so PostgreSQL uses its index). On SQLite the
/// tokenizer folds decomposable letters itself: only the others are replaced.
pub fn fold_sql(postgres: bool, expr: &str) -> String {
    let mut sql = if postgres {
        let from = format!("{}{}", FOLD_DECOMPOSED.0, FOLD_UNDECOMPOSED.0);
        let to = format!("{}{}", FOLD_DECOMPOSED.1, FOLD_UNDECOMPOSED.1);
        format!("translate({expr}, '{from}', '{to}')")
    } else {
        let mut sql = expr.to_string();
        for (f, t) in FOLD_UNDECOMPOSED.0.chars().zip(FOLD_UNDECOMPOSED.1.chars()) {
            sql = format!("replace({sql}, '{f}', '{t}')");
        }
        sql
    };
    for (f, t) in FOLD_TWO {
        sql = format!("replace({sql}, '{f}', '{t}')");
    }
    sql
}

/// Up to [`SNIPPET_CHARS`] characters of `body` around the first place one of the
/// query's words starts (case-insensitively), with "…" where it was cut.
pub fn snippet(body: &str, q: &SearchQuery) -> String {
    let chars: Vec<char> = body.chars().collect();
    // Compared letter by letter, folded as the index folds them (a two-letter fold
    // keeps its letter: only where the snippet starts depends on it).
    let key = |c: char| {
        let c = c.to_lowercase().next().unwrap_or(c);
        fold_one(c).unwrap_or(c)
    };
    let lower: Vec<char> = chars.iter().map(|c| key(*c)).collect();
    let first = q
        .terms
        .iter()
        .filter_map(|t| {
            let t: Vec<char> = t.chars().map(key).collect();
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
    fn words_are_folded_to_their_base_letters_also_where_unicode_does_not_decompose() {
        assert_eq!(
            fold("Płatność Łódź Øre đak Straße Æther"),
            "Platnosc Lodz Ore dak Strasse AEther"
        );
        let q = SearchQuery::parse("Płatność łódź").unwrap();
        assert_eq!(q.fts5(), r#""platnosc"* AND "lodz"*"#);
        assert_eq!(q.tsquery(), "platnosc:* & lodz:*");
        // The snippet finds the word however it was typed.
        let body = format!("{} Płatność przyjęta", "x ".repeat(200));
        let s = snippet(&body, &SearchQuery::parse("platnosc").unwrap());
        assert!(s.contains("Płatność"), "{s}");
        // The SQL folds the same letters (and quotes nothing from outside: fixed tables).
        assert_eq!(
            FOLD_DECOMPOSED.0.chars().count(),
            FOLD_DECOMPOSED.1.chars().count()
        );
        assert_eq!(
            FOLD_UNDECOMPOSED.0.chars().count(),
            FOLD_UNDECOMPOSED.1.chars().count()
        );
        let pg = fold_sql(true, "m.body");
        assert!(
            pg.starts_with("replace(") && pg.contains("translate(m.body, 'ąćę"),
            "{pg}"
        );
        let lite = fold_sql(false, "m.body");
        assert!(
            lite.contains("replace(m.body, 'ł', 'l')") && !lite.contains("translate"),
            "{lite}"
        );
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
