//! Rich content of a message sent through the REST API: Bitrix24's `ATTACH` blocks and
//! `KEYBOARD` link buttons, kept as blocks so the chat renders them as such (not as
//! flattened text). Only what can be shown safely is kept: text, links to http(s)
//! addresses, delimiters and name/value grids; images and files become links (the
//! pages never load third-party content).

use serde::{Deserialize, Serialize};

/// At most this many blocks, grid rows and buttons in one message.
pub const MAX_BLOCKS: usize = 50;
pub const MAX_GRID_ROWS: usize = 50;
pub const MAX_BUTTONS: usize = 20;
/// Characters of one text, name or value; of one link.
pub const MAX_TEXT: usize = 2_000;
pub const MAX_URL: usize = 2_000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rich {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocks: Vec<Block>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// The account whose app sent the message through the channel
    /// (`imopenlines.network.message.add`): shown with it wherever it is read, so
    /// nobody takes it for the channel's own words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: String,
    },
    Link {
        name: String,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        desc: String,
        url: String,
    },
    Delimiter,
    Grid {
        rows: Vec<GridRow>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridRow {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub text: String,
    pub url: String,
}

impl Rich {
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty() && self.buttons.is_empty() && self.via.is_none()
    }
}

/// Whether `url` may be put in a page's `href`: an absolute http(s) address without
/// spaces or control characters. Checked again when rendering, whatever was stored.
pub fn is_web_link(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && url.len() <= MAX_URL
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(feature = "ssr")]
pub use parse::{from_bitrix, RichError};

#[cfg(feature = "ssr")]
mod parse {
    use super::*;
    use serde_json::{Map, Value};

    /// Which parameter is wrong, and why (in English: REST errors are English).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum RichError {
        Attach(String),
        Keyboard(String),
    }

    fn field<'a>(m: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// A list as JSON sends it, or as PHP's brackets do (`{"0": …, "1": …}`), or one item.
    fn items(v: &Value) -> Vec<&Value> {
        match v {
            Value::Array(a) => a.iter().collect(),
            Value::Object(m) if !m.is_empty() && m.keys().all(|k| k.parse::<usize>().is_ok()) => {
                let mut kv: Vec<_> = m
                    .iter()
                    .map(|(k, v)| (k.parse::<usize>().unwrap_or(0), v))
                    .collect();
                kv.sort_by_key(|(k, _)| *k);
                kv.into_iter().map(|(_, v)| v).collect()
            }
            other => vec![other],
        }
    }

    fn text_of(v: Option<&Value>) -> Option<String> {
        let s = match v? {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        (!s.is_empty()).then_some(s)
    }

    fn bounded(s: String, what: &str) -> Result<String, String> {
        if s.chars().count() > MAX_TEXT {
            Err(format!("{what} is longer than {MAX_TEXT} characters"))
        } else {
            Ok(s)
        }
    }

    fn web_link(v: Option<&Value>, what: &str) -> Result<String, String> {
        let raw = text_of(v).ok_or_else(|| format!("{what} needs a LINK"))?;
        let ok = is_web_link(&raw)
            && url::Url::parse(&raw)
                .map(|u| {
                    matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
                })
                .unwrap_or(false);
        if ok {
            Ok(raw)
        } else {
            Err(format!("{what} LINK must be an http(s) address"))
        }
    }

    /// One `LINK` / `IMAGE` / `FILE` / `USER` item as a link block.
    fn link(m: &Map<String, Value>, what: &str, default_name: &str) -> Result<Block, String> {
        let url = web_link(field(m, "LINK"), what)?;
        let name = text_of(field(m, "NAME")).unwrap_or_else(|| {
            if default_name.is_empty() {
                url.clone()
            } else {
                default_name.to_string()
            }
        });
        Ok(Block::Link {
            name: bounded(name, what)?,
            desc: bounded(text_of(field(m, "DESC")).unwrap_or_default(), what)?,
            url,
        })
    }

    fn object<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
        v.as_object().ok_or_else(|| format!("{what} must be an object"))
    }

    fn blocks_of(v: &Value, out: &mut Vec<Block>, depth: u8) -> Result<(), String> {
        if depth > 3 {
            return Err("ATTACH is nested too deeply".into());
        }
        for item in items(v) {
            let m = object(item, "each ATTACH block")?;
            for (k, v) in m {
                match k.to_ascii_uppercase().as_str() {
                    "MESSAGE" => {
                        if let Some(t) = text_of(Some(v)) {
                            out.push(Block::Text {
                                text: bounded(t, "MESSAGE")?,
                            });
                        }
                    }
                    "LINK" => {
                        for l in items(v) {
                            out.push(link(object(l, "LINK")?, "LINK", "")?);
                        }
                    }
                    "IMAGE" => {
                        for l in items(v) {
                            out.push(link(object(l, "IMAGE")?, "IMAGE", "Image")?);
                        }
                    }
                    "FILE" => {
                        for l in items(v) {
                            out.push(link(object(l, "FILE")?, "FILE", "")?);
                        }
                    }
                    "USER" => {
                        let u = object(v, "USER")?;
                        if field(u, "LINK").is_some() {
                            out.push(link(u, "USER", "")?);
                        } else if let Some(n) = text_of(field(u, "NAME")) {
                            out.push(Block::Text {
                                text: bounded(n, "USER")?,
                            });
                        }
                    }
                    "DELIMITER" => out.push(Block::Delimiter),
                    "GRID" => {
                        let mut rows = Vec::new();
                        for r in items(v) {
                            let r = object(r, "GRID row")?;
                            rows.push(GridRow {
                                name: bounded(text_of(field(r, "NAME")).unwrap_or_default(), "GRID NAME")?,
                                value: bounded(text_of(field(r, "VALUE")).unwrap_or_default(), "GRID VALUE")?,
                            });
                        }
                        if rows.len() > MAX_GRID_ROWS {
                            return Err(format!("GRID has more than {MAX_GRID_ROWS} rows"));
                        }
                        rows.retain(|r| !(r.name.is_empty() && r.value.is_empty()));
                        if !rows.is_empty() {
                            out.push(Block::Grid { rows });
                        }
                    }
                    "BLOCKS" => blocks_of(v, out, depth + 1)?,
                    // ID, COLOR, COLOR_TOKEN, DESCRIPTION and blocks Netlines does not show.
                    _ => {}
                }
                if out.len() > MAX_BLOCKS {
                    return Err(format!("ATTACH has more than {MAX_BLOCKS} blocks"));
                }
            }
        }
        Ok(())
    }

    fn buttons_of(v: &Value) -> Result<Vec<Button>, String> {
        let list = match v {
            Value::Object(m) if field(m, "BUTTONS").is_some() => field(m, "BUTTONS").expect("checked"),
            other => other,
        };
        let mut out = Vec::new();
        for b in items(list) {
            let b = object(b, "each button")?;
            if text_of(field(b, "TYPE")).is_some_and(|t| t.eq_ignore_ascii_case("NEWLINE")) {
                continue;
            }
            let text = text_of(field(b, "TEXT")).ok_or("each button needs a TEXT")?;
            out.push(Button {
                text: bounded(text, "TEXT")?,
                url: web_link(field(b, "LINK"), "each button's")?,
            });
            if out.len() > MAX_BUTTONS {
                return Err(format!("KEYBOARD has more than {MAX_BUTTONS} buttons"));
            }
        }
        if out.is_empty() {
            return Err("KEYBOARD has no buttons".into());
        }
        Ok(out)
    }

    /// `ATTACH` and `KEYBOARD` as Bitrix24 apps send them (JSON or PHP form brackets).
    pub fn from_bitrix(attach: Option<&Value>, keyboard: Option<&Value>) -> Result<Rich, RichError> {
        let mut rich = Rich::default();
        if let Some(a) = attach {
            if !(a.is_array() || a.is_object()) {
                return Err(RichError::Attach("ATTACH must be a list of blocks".into()));
            }
            blocks_of(a, &mut rich.blocks, 0).map_err(RichError::Attach)?;
        }
        if let Some(k) = keyboard {
            rich.buttons = buttons_of(k).map_err(|e| {
                RichError::Keyboard(format!(
                    "KEYBOARD must be a list of buttons with TEXT and an http(s) LINK: {e}"
                ))
            })?;
        }
        Ok(rich)
    }

    impl Rich {
        /// Back in Bitrix24's shape (`params.ATTACH` / `params.KEYBOARD` of REST answers).
        pub fn to_bitrix(&self) -> (Value, Value) {
            use serde_json::json;
            let attach = self
                .blocks
                .iter()
                .map(|b| match b {
                    Block::Text { text } => json!({ "MESSAGE": text }),
                    Block::Link { name, desc, url } => json!({ "LINK": { "NAME": name, "DESC": desc, "LINK": url } }),
                    Block::Delimiter => json!({ "DELIMITER": {} }),
                    Block::Grid { rows } => json!({
                        "GRID": rows.iter().map(|r| json!({ "NAME": r.name, "VALUE": r.value })).collect::<Vec<_>>()
                    }),
                })
                .collect::<Vec<_>>();
            let keyboard = self
                .buttons
                .iter()
                .map(|b| json!({ "TEXT": b.text, "LINK": b.url }))
                .collect::<Vec<_>>();
            (Value::Array(attach), Value::Array(keyboard))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;

        #[test]
        fn bitrix_blocks_become_rich_blocks_in_their_order() {
            let r = from_bitrix(
                Some(&json!({"ID": 1, "COLOR": "#29619b", "BLOCKS": [
                    {"MESSAGE": "Invoice 7/2026"},
                    {"DELIMITER": {"SIZE": 200}},
                    {"GRID": [{"NAME": "Total", "VALUE": "120 EUR", "DISPLAY": "LINE"}, {"NAME": "Due", "VALUE": 30}]},
                    {"LINK": {"NAME": "Invoice", "DESC": "PDF", "LINK": "https://acme.test/i/7"}},
                    {"IMAGE": [{"LINK": "https://acme.test/p.png"}]},
                    {"USER": {"NAME": "Olek"}},
                    {"HTML": "<b>ignored</b>"}
                ]})),
                Some(&json!([{"TEXT": "Open", "LINK": "https://acme.test/i/7"}, {"TYPE": "NEWLINE"}, {"TEXT": "Pay", "LINK": "http://pay.test/"}])),
            )
            .unwrap();
            assert_eq!(
                r.blocks,
                vec![
                    Block::Text {
                        text: "Invoice 7/2026".into()
                    },
                    Block::Delimiter,
                    Block::Grid {
                        rows: vec![
                            GridRow {
                                name: "Total".into(),
                                value: "120 EUR".into()
                            },
                            GridRow {
                                name: "Due".into(),
                                value: "30".into()
                            },
                        ]
                    },
                    Block::Link {
                        name: "Invoice".into(),
                        desc: "PDF".into(),
                        url: "https://acme.test/i/7".into()
                    },
                    Block::Link {
                        name: "Image".into(),
                        desc: String::new(),
                        url: "https://acme.test/p.png".into()
                    },
                    Block::Text { text: "Olek".into() },
                ]
            );
            assert_eq!(r.buttons.len(), 2);
            assert_eq!(
                r.buttons[1],
                Button {
                    text: "Pay".into(),
                    url: "http://pay.test/".into()
                }
            );
            // PHP brackets give numbered objects: the same blocks, in number order.
            let php =
                from_bitrix(Some(&json!({"1": {"MESSAGE": "b"}, "0": {"MESSAGE": "a"}})), None).unwrap();
            assert_eq!(
                php.blocks,
                vec![Block::Text { text: "a".into() }, Block::Text { text: "b".into() }]
            );
            // And back in Bitrix24's shape.
            let (a, k) = r.to_bitrix();
            assert_eq!(a[0], json!({"MESSAGE": "Invoice 7/2026"}));
            assert_eq!(k[0], json!({"TEXT": "Open", "LINK": "https://acme.test/i/7"}));
        }

        #[test]
        fn unsafe_or_unbounded_blocks_are_refused_with_the_parameter_named() {
            let attach = |v: Value| from_bitrix(Some(&v), None);
            let keyboard = |v: Value| from_bitrix(None, Some(&v));
            for bad in [
                json!("text"),
                json!(7),
                json!([{"LINK": {"NAME": "x", "LINK": "javascript:alert(1)"}}]),
                json!([{"LINK": {"NAME": "x", "LINK": "data:text/html,<script>"}}]),
                json!([{"LINK": {"NAME": "x", "LINK": "https://a b.test/"}}]),
                json!([{"LINK": {"NAME": "x"}}]),
                json!([{"IMAGE": {"LINK": "//evil.test/x.png"}}]),
                json!([{"MESSAGE": "x".repeat(MAX_TEXT + 1)}]),
                json!((0..=MAX_BLOCKS)
                    .map(|_| json!({"DELIMITER": {}}))
                    .collect::<Vec<_>>()),
                json!([{"GRID": (0..=MAX_GRID_ROWS).map(|_| json!({"NAME": "a", "VALUE": "b"})).collect::<Vec<_>>()}]),
                json!({"BLOCKS": {"BLOCKS": {"BLOCKS": {"BLOCKS": {"BLOCKS": [{"MESSAGE": "deep"}]}}}}}),
                json!(["not a block"]),
            ] {
                assert!(matches!(attach(bad.clone()), Err(RichError::Attach(_))), "{bad}");
            }
            for bad in [
                json!([]),
                json!("Open"),
                json!([{"TEXT": "Go", "LINK": "javascript:alert(1)"}]),
                json!([{"TEXT": " ", "LINK": "https://a.test/"}]),
                json!([{"TEXT": "Go", "COMMAND": "do"}]),
                json!((0..=MAX_BUTTONS)
                    .map(|_| json!({"TEXT": "a", "LINK": "https://a.test/"}))
                    .collect::<Vec<_>>()),
            ] {
                assert!(
                    matches!(keyboard(bad.clone()), Err(RichError::Keyboard(_))),
                    "{bad}"
                );
            }
            assert!(keyboard(json!({"BUTTONS": [{"TEXT": "Go", "LINK": "https://a.test/"}]})).is_ok());
        }

        #[test]
        fn only_web_links_are_rendered() {
            assert!(is_web_link("https://acme.test/x?y=1"));
            assert!(is_web_link("HTTP://acme.test/"));
            for bad in [
                "javascript:alert(1)",
                "JaVaScRiPt:x",
                "//acme.test",
                "https://a\nb",
                "ftp://x",
                "",
            ] {
                assert!(!is_web_link(bad), "{bad}");
            }
        }
    }
}
