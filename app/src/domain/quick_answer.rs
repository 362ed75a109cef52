//! Quick answers: an account's saved replies. Admins keep the list; operators pick one
//! in the inbox's composer by typing `/`, and its placeholders are filled in there.

use super::bounded_text;
use crate::error::{AppError, Field};
use serde::{Deserialize, Serialize};

/// How many quick answers one account may keep.
pub const MAX_PER_ACCOUNT: usize = 200;

/// A quick answer's title, what the composer's list shows and filters on: 1–80 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickAnswerTitle(String);

impl QuickAnswerTitle {
    pub const MAX_LEN: usize = 80;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        bounded_text(raw, Field::Title, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The placeholders a quick answer may hold, and what each is replaced with.
pub const PLACEHOLDERS: [&str; 4] = [
    "{customer_name}",
    "{customer_account}",
    "{operator_name}",
    "{channel_name}",
];

/// The values of [`PLACEHOLDERS`] for one conversation.
#[derive(Clone, Debug, Default)]
pub struct Fill<'a> {
    pub customer_name: &'a str,
    pub customer_account: &'a str,
    pub operator_name: &'a str,
    pub channel_name: &'a str,
}

/// `text` with every known placeholder replaced; anything else in braces stays as written.
/// The replacement is one pass, so a value that itself looks like a placeholder (a
/// customer named `{operator_name}`) is not expanded again.
pub fn fill(text: &str, f: &Fill<'_>) -> String {
    let values = [
        f.customer_name,
        f.customer_account,
        f.operator_name,
        f.channel_name,
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        match PLACEHOLDERS.iter().position(|p| tail.starts_with(p)) {
            Some(i) => {
                out.push_str(values[i]);
                rest = &tail[PLACEHOLDERS[i].len()..];
            }
            None => {
                out.push('{');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The indexes of `items` (title, text) that match `query`, best first: titles that start
/// with it, then titles that contain it, then texts that contain it; case-insensitive.
/// An empty query matches everything in the list's order.
pub fn search<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>, query: &str) -> Vec<usize> {
    let q = lowercase(query.trim());
    let mut ranked: Vec<(u8, usize)> = items
        .into_iter()
        .enumerate()
        .filter_map(|(i, (title, text))| {
            if q.is_empty() {
                return Some((0, i));
            }
            let t = lowercase(title);
            if t.starts_with(&q) {
                Some((0, i))
            } else if t.contains(&q) {
                Some((1, i))
            } else if lowercase(text).contains(&q) {
                Some((2, i))
            } else {
                None
            }
        })
        .collect();
    ranked.sort();
    ranked.into_iter().map(|(_, i)| i).collect()
}

/// Unicode lowercase. In the browser the browser's own (`String.prototype.toLowerCase`):
/// Rust's would add its case tables to the wasm every page loads (the customer's chat
/// page included), for a list only the inbox shows.
#[cfg(feature = "hydrate")]
fn lowercase(s: &str) -> String {
    js_sys::JsString::from(s).to_lower_case().into()
}

#[cfg(not(feature = "hydrate"))]
fn lowercase(s: &str) -> String {
    s.to_lowercase()
}

/// The composer's query when its text calls up the quick answers: it starts with `/`
/// and is still on its first line. `None` for any other text.
pub fn composer_query(draft: &str) -> Option<&str> {
    let q = draft.strip_prefix('/')?;
    (!q.contains('\n')).then_some(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn titles_are_one_to_eighty_characters_on_one_line() {
        assert_eq!(QuickAnswerTitle::parse("  Hello  ").unwrap().as_str(), "Hello");
        assert_eq!(QuickAnswerTitle::parse(" ").unwrap_err().code(), Code::Required);
        assert_eq!(
            QuickAnswerTitle::parse(&"ż".repeat(81)).unwrap_err().code(),
            Code::TooLong
        );
        assert!(QuickAnswerTitle::parse(&"ż".repeat(80)).is_ok());
        assert_eq!(
            QuickAnswerTitle::parse("a\nb").unwrap_err().field(),
            Some(Field::Title)
        );
    }

    #[test]
    fn placeholders_are_filled_once_and_unknown_braces_stay() {
        let f = Fill {
            customer_name: "Cleo {operator_name}",
            customer_account: "Borealis",
            operator_name: "Olek",
            channel_name: "Support",
        };
        assert_eq!(
            fill("Hi {customer_name} of {customer_account}, {operator_name} from {channel_name} here. {other} {", &f),
            "Hi Cleo {operator_name} of Borealis, Olek from Support here. {other} {"
        );
        assert_eq!(
            fill("Dzień dobry, {customer_name}!", &f),
            "Dzień dobry, Cleo {operator_name}!"
        );
        assert_eq!(fill("", &f), "");
        assert_eq!(fill("{{customer_name}}", &f), "{Cleo {operator_name}}");
    }

    #[test]
    fn search_ranks_title_prefix_then_title_then_text() {
        let items = [
            ("Refund policy", "We refund within 14 days."),
            ("Greeting", "Hello, how can I help?"),
            ("Opening hours", "We are open 9–17; greetings!"),
            ("Greeting (Polish)", "Dzień dobry!"),
            ("Goodbye", "Bye"),
        ];
        assert_eq!(search(items, "greet"), vec![1, 3, 2]);
        assert_eq!(search(items, "GREETING"), vec![1, 3, 2]);
        assert_eq!(search(items, "polish"), vec![3]);
        assert_eq!(search(items, "refund"), vec![0]);
        assert_eq!(search(items, "nothing"), Vec::<usize>::new());
        assert_eq!(search(items, ""), vec![0, 1, 2, 3, 4]);
        assert_eq!(search(items, "dzień"), vec![3]);
    }

    #[test]
    fn the_composer_asks_for_quick_answers_only_at_a_leading_slash_on_the_first_line() {
        assert_eq!(composer_query("/"), Some(""));
        assert_eq!(composer_query("/gre"), Some("gre"));
        assert_eq!(composer_query("/two words"), Some("two words"));
        assert_eq!(composer_query("hello /gre"), None);
        assert_eq!(composer_query(" /gre"), None);
        assert_eq!(composer_query("/gre\nmore"), None);
        assert_eq!(composer_query(""), None);
    }
}
