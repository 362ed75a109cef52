//! REST parameters: the query string, `application/x-www-form-urlencoded` and
//! `multipart/form-data` with PHP-style brackets (`fields[TITLE]=x`,
//! `QUEUE[0][ENTITY_ID]=5`, `a[]=1`), or a JSON body — all become one JSON object.
//! Top-level names are matched case-insensitively (stored upper-cased).

use serde_json::{Map, Value};

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

    pub fn from_json(v: Value) -> Option<Params> {
        match v {
            Value::Object(m) => Some(Params(
                m.into_iter().map(|(k, v)| (k.to_ascii_uppercase(), v)).collect(),
            )),
            _ => None,
        }
    }

    /// Form pairs with PHP-style brackets.
    pub fn from_pairs<I, K, V>(pairs: I) -> Params
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut root = Map::new();
        for (k, v) in pairs {
            let path = split_key(k.as_ref());
            if path.is_empty() {
                continue;
            }
            insert(&mut root, &path, Value::String(v.into()));
        }
        let root = root
            .into_iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), listify(v)))
            .collect();
        Params(root)
    }

    pub fn from_query(q: &str) -> Params {
        Params::from_pairs(
            url::form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())),
        )
    }
}

/// `a[b][0][]` → `["a", "b", "0", ""]`.
fn split_key(k: &str) -> Vec<String> {
    let Some(open) = k.find('[') else {
        return vec![k.to_string()];
    };
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
        return Vec::new();
    }
    out
}

fn insert(map: &mut Map<String, Value>, path: &[String], v: Value) {
    let key = if path[0].is_empty() {
        map.len().to_string()
    } else {
        path[0].clone()
    };
    if path.len() == 1 {
        map.insert(key, v);
        return;
    }
    let child = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !child.is_object() {
        *child = Value::Object(Map::new());
    }
    if let Value::Object(m) = child {
        insert(m, &path[1..], v);
    }
}

/// Objects whose keys are exactly 0, 1, 2… become arrays (what PHP's JSON would give).
fn listify(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let sequential = !m.is_empty() && (0..m.len()).all(|i| m.contains_key(&i.to_string()));
            if sequential {
                let mut m = m;
                Value::Array(
                    (0..m.len())
                        .map(|i| listify(m.remove(&i.to_string()).unwrap_or(Value::Null)))
                        .collect(),
                )
            } else {
                Value::Object(m.into_iter().map(|(k, v)| (k, listify(v))).collect())
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_brackets_nest_objects_and_lists() {
        let p = Params::from_query(
            "code=abc&fields%5BTITLE%5D=x&QUEUE%5B0%5D%5BENTITY_ID%5D=5&QUEUE%5B1%5D%5BENTITY_ID%5D=6&tags[]=a&tags[]=b",
        );
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
        let p = Params::from_json(json!({"user_id": 7, "Message": "hi", "LIMIT": "20"})).unwrap();
        assert_eq!(p.int("USER_ID"), Some(7));
        assert_eq!(p.text("user_id").as_deref(), Some("7"));
        assert_eq!(p.text("MESSAGE").as_deref(), Some("hi"));
        assert_eq!(p.int("limit"), Some(20));
        assert_eq!(p.text("missing"), None);
    }

    #[test]
    fn odd_keys_do_not_panic() {
        let p = Params::from_pairs([("a[b", "1"), ("[x]", "2"), ("c[1]", "3"), ("d[]", "4")]);
        assert_eq!(p.get("A[B"), Some(&json!("1")));
        assert_eq!(p.get("C"), Some(&json!({"1": "3"})));
        assert_eq!(p.get("D"), Some(&json!(["4"])));
    }
}
