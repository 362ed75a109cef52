//! REST parameters: the query string, `application/x-www-form-urlencoded` and
//! `multipart/form-data` with PHP-style brackets (`fields[TITLE]=x`,
//! `QUEUE[0][ENTITY_ID]=5`, `a[]=1`), or a JSON body — all become one JSON object.
//! Top-level names are matched case-insensitively (stored upper-cased).
//!
//! Decoding is bounded before anything is allocated per level: a name nested deeper than
//! PHP's `max_input_nesting_level` (64), more than [`MAX_PARAMS`] parameters, or a JSON
//! body nested deeper than [`MAX_DEPTH`] is refused with [`ParamError`]; nothing here
//! recurses on input, so no request can exhaust the stack.

use serde_json::{Map, Value};

/// PHP's default `max_input_nesting_level`.
pub const MAX_DEPTH: usize = 64;
/// Parameters per request (PHP's default `max_input_vars` is 1,000).
pub const MAX_PARAMS: usize = 1000;

/// Why parameters were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamError {
    /// A name or JSON value nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// More than [`MAX_PARAMS`] parameters.
    TooMany,
}

impl ParamError {
    pub fn describe(self) -> String {
        match self {
            ParamError::TooDeep => format!("Parameters are nested deeper than {MAX_DEPTH} levels"),
            ParamError::TooMany => format!("More than {MAX_PARAMS} parameters"),
        }
    }
}

/// A call's parameters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(pub Map<String, Value>);

impl Params {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(&name.to_ascii_uppercase())
    }

    /// A text parameter (numbers are read as their text); `None` when absent or empty.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A whole-number parameter (a number or a numeric string).
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Adds `other`'s parameters (later sources win on the same name).
    pub fn merge(&mut self, other: Params) {
        for (k, v) in other.0 {
            self.0.insert(k, v);
        }
    }

    /// A JSON object body; `Ok(None)` when the body is not an object.
    pub fn from_json(v: Value) -> Result<Option<Params>, ParamError> {
        if depth_of(&v) > MAX_DEPTH {
            return Err(ParamError::TooDeep);
        }
        Ok(match v {
            Value::Object(m) => {
                if m.len() > MAX_PARAMS {
                    return Err(ParamError::TooMany);
                }
                Some(Params(
                    m.into_iter().map(|(k, v)| (k.to_ascii_uppercase(), v)).collect(),
                ))
            }
            _ => None,
        })
    }

    /// Form pairs with PHP-style brackets.
    pub fn from_pairs<I, K, V>(pairs: I) -> Result<Params, ParamError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut root = Map::new();
        for (n, (k, v)) in pairs.into_iter().enumerate() {
            if n >= MAX_PARAMS {
                return Err(ParamError::TooMany);
            }
            let path = split_key(k.as_ref())?;
            if path.is_empty() {
                continue;
            }
            insert(&mut root, &path, Value::String(v.into()));
        }
        let root = root
            .into_iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), listify(v)))
            .collect();
        Ok(Params(root))
    }

    pub fn from_query(q: &str) -> Result<Params, ParamError> {
        Params::from_pairs(
            url::form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())),
        )
    }
}

/// How deeply a JSON value nests (a scalar is 0), counted without recursion.
fn depth_of(v: &Value) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&Value, usize)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(m) => stack.extend(m.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}

/// `a[b][0][]` → `["a", "b", "0", ""]`; more than [`MAX_DEPTH`] brackets is refused
/// before any of them is copied.
fn split_key(k: &str) -> Result<Vec<String>, ParamError> {
    let Some(open) = k.find('[') else {
        return Ok(vec![k.to_string()]);
    };
    if k.matches('[').count() > MAX_DEPTH {
        return Err(ParamError::TooDeep);
    }
    let mut out = vec![k[..open].to_string()];
    let mut rest = &k[open..];
    while let Some(r) = rest.strip_prefix('[') {
        match r.find(']') {
            Some(close) => {
                out.push(r[..close].to_string());
                rest = &r[close + 1..];
            }
            None => {
                // An unclosed bracket is part of the name, as PHP reads it.
                let last = out.pop().unwrap_or_default();
                out.push(format!("{last}[{r}"));
                break;
            }
        }
    }
    if out[0].is_empty() {
        return Ok(Vec::new());
    }
    Ok(out)
}

/// Puts `v` at `path` (walking down without recursion).
fn insert(map: &mut Map<String, Value>, path: &[String], v: Value) {
    let mut map = map;
    for (i, part) in path.iter().enumerate() {
        let key = if part.is_empty() {
            map.len().to_string()
        } else {
            part.clone()
        };
        if i + 1 == path.len() {
            map.insert(key, v);
            return;
        }
        let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if !child.is_object() {
            *child = Value::Object(Map::new());
        }
        let Value::Object(m) = child else { return };
        map = m;
    }
}

/// Objects whose keys are exactly 0, 1, 2… become arrays (what PHP's JSON would give).
/// Post-order over an explicit stack, so depth costs heap, never stack.
fn listify(v: Value) -> Value {
    enum Frame {
        Enter(Value),
        /// Rebuild an object (sequential keys: an array) from its children on `done`.
        Exit {
            keys: Vec<String>,
            sequential: bool,
        },
    }
    let mut work = vec![Frame::Enter(v)];
    let mut done: Vec<Value> = Vec::new();
    while let Some(f) = work.pop() {
        match f {
            Frame::Enter(Value::Object(m)) => {
                let sequential = !m.is_empty() && (0..m.len()).all(|i| m.contains_key(&i.to_string()));
                let mut m = m;
                let keys: Vec<String> = if sequential {
                    (0..m.len()).map(|i| i.to_string()).collect()
                } else {
                    m.keys().cloned().collect()
                };
                let children: Vec<Value> = keys.iter().map(|k| m.remove(k).unwrap_or(Value::Null)).collect();
                work.push(Frame::Exit { keys, sequential });
                // Children are finished in order: push them reversed.
                work.extend(children.into_iter().rev().map(Frame::Enter));
            }
            Frame::Enter(other) => done.push(other),
            Frame::Exit { keys, sequential } => {
                let children = done.split_off(done.len() - keys.len());
                done.push(if sequential {
                    Value::Array(children)
                } else {
                    Value::Object(keys.into_iter().zip(children).collect())
                });
            }
        }
    }
    done.pop().unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_brackets_nest_objects_and_lists() {
        let p = Params::from_query(
            "code=abc&fields%5BTITLE%5D=x&QUEUE%5B0%5D%5BENTITY_ID%5D=5&QUEUE%5B1%5D%5BENTITY_ID%5D=6&tags[]=a&tags[]=b",
        )
        .unwrap();
        assert_eq!(p.text("CODE").as_deref(), Some("abc"));
        assert_eq!(p.get("fields"), Some(&json!({"TITLE": "x"})));
        assert_eq!(
            p.get("queue"),
            Some(&json!([{"ENTITY_ID": "5"}, {"ENTITY_ID": "6"}]))
        );
        assert_eq!(p.get("TAGS"), Some(&json!(["a", "b"])));
    }

    #[test]
    fn names_are_case_insensitive_and_numbers_read_both_ways() {
        let p = Params::from_json(json!({"user_id": 7, "Message": "hi", "LIMIT": "20"}))
            .unwrap()
            .unwrap();
        assert_eq!(p.int("USER_ID"), Some(7));
        assert_eq!(p.text("user_id").as_deref(), Some("7"));
        assert_eq!(p.text("MESSAGE").as_deref(), Some("hi"));
        assert_eq!(p.int("limit"), Some(20));
        assert_eq!(p.text("missing"), None);
    }

    #[test]
    fn odd_keys_do_not_panic() {
        let p = Params::from_pairs([("a[b", "1"), ("[x]", "2"), ("c[1]", "3"), ("d[]", "4")]).unwrap();
        assert_eq!(p.get("A[B"), Some(&json!("1")));
        assert_eq!(p.get("C"), Some(&json!({"1": "3"})));
        assert_eq!(p.get("D"), Some(&json!(["4"])));
    }

    #[test]
    fn nesting_up_to_php_s_limit_is_read_and_deeper_is_refused() {
        let ok = format!("a{}=1", "[x]".repeat(MAX_DEPTH));
        let p = Params::from_query(&ok).unwrap();
        assert!(p.get("A").is_some());
        let deep = format!("a{}=1", "[]".repeat(MAX_DEPTH + 1));
        assert_eq!(Params::from_query(&deep), Err(ParamError::TooDeep));
        // What crashed the server: a million brackets, before any credential is checked.
        let huge = format!("a{}=1", "[".repeat(1_000_000));
        assert_eq!(Params::from_query(&huge), Err(ParamError::TooDeep));
        let huge = format!("a{}=1", "[]".repeat(500_000));
        assert_eq!(Params::from_query(&huge), Err(ParamError::TooDeep));
    }

    #[test]
    fn json_bodies_are_bounded_too() {
        let mut v = json!(1);
        for _ in 0..MAX_DEPTH + 1 {
            v = json!([v]);
        }
        assert_eq!(Params::from_json(json!({ "a": v })), Err(ParamError::TooDeep));
        let many: Map<String, Value> = (0..MAX_PARAMS + 1).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(Params::from_json(Value::Object(many)), Err(ParamError::TooMany));
        assert_eq!(Params::from_json(json!([1])), Ok(None));
    }

    #[test]
    fn too_many_pairs_are_refused() {
        let q: String = (0..MAX_PARAMS + 1).map(|i| format!("k{i}=1&")).collect();
        assert_eq!(Params::from_query(&q), Err(ParamError::TooMany));
    }

    #[test]
    fn lists_nest_in_lists_and_keep_their_order() {
        let p = Params::from_query("a[0][0]=x&a[0][1]=y&a[1][k]=z&a[2]=w").unwrap();
        assert_eq!(p.get("a"), Some(&json!([["x", "y"], {"k": "z"}, "w"])));
        let deep = format!("d{}=v", "[0]".repeat(MAX_DEPTH));
        let p = Params::from_query(&deep).unwrap();
        let mut v = p.get("d").unwrap();
        for _ in 0..MAX_DEPTH - 1 {
            v = &v.as_array().unwrap()[0];
        }
        assert_eq!(v, &json!(["v"]));
    }

    proptest::proptest! {
        // `PROPTEST_CASES=… cargo test -p server --features app/ssr params` for longer runs.
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
        ))]
        /// Any query string at all decodes or is refused; never a panic.
        #[test]
        fn any_query_string_decodes_or_is_refused(q in "[a-zA-Z0-9\\[\\]=&%_.-]{0,400}") {
            let _ = Params::from_query(&q);
        }

        /// Any bracket name at any depth: decoded exactly when within PHP's limit.
        #[test]
        fn bracket_depth_decides(depth in 0usize..200, key in "[a-z0-9]{0,3}") {
            let name = format!("n{}", format!("[{key}]").repeat(depth));
            let r = Params::from_pairs([(name, "v")]);
            proptest::prop_assert_eq!(r.is_ok(), depth <= MAX_DEPTH);
        }
    }
}
