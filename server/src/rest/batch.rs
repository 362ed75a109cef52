//! `batch`: up to 50 commands in one request, with references to earlier answers
//! (`$result[cmd][FIELD]`), bounded in what references may copy.

use super::methods::call;
use super::params::Params;
use super::{Output, RestError};
use app::backend::services::credentials::RestCaller;
use app::backend::AppState;
use serde_json::{json, Value};

/// One `$result[cmd][FIELD]…` reference found in a text: where it starts and ends, which
/// earlier answer it names, and the path into it.
struct Reference {
    start: usize,
    end: usize,
    source: usize,
    path: Vec<String>,
}

/// The references of `text` to the earlier answers named in `sources`
/// (`$result[cmd]`, `$result[cmd][FIELD]`, deeper `[…]` too; `$result_total[cmd]`…).
fn references(text: &str, sources: &[&str]) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = text[at..].find('$') {
        let start = at + found;
        at = start + 1;
        let rest = &text[start + 1..];
        // The longest name first: `result_total` before `result`.
        let Some((source, name)) = sources
            .iter()
            .enumerate()
            .filter(|(_, n)| rest.starts_with(**n) && rest[n.len()..].starts_with('['))
            .max_by_key(|(_, n)| n.len())
        else {
            continue;
        };
        let mut pos = start + 1 + name.len();
        let mut path = Vec::new();
        while text[pos..].starts_with('[') {
            let Some(close) = text[pos + 1..].find(']') else {
                break;
            };
            path.push(text[pos + 1..pos + 1 + close].to_string());
            pos += close + 2;
        }
        if !path.is_empty() {
            out.push(Reference {
                start,
                end: pos,
                source,
                path,
            });
            at = pos;
        }
    }
    out
}

/// Replaces references to earlier commands' answers in a command's parameters, as
/// Bitrix24 does: a value that is exactly one reference becomes the referenced value
/// (a list or an object stays one); references inside a longer text are replaced by
/// the referenced number or text. A reference to nothing is left as it was.
/// References resolved in one command at most (each may copy a whole earlier answer,
/// so the copies a command can make are bounded); further ones are left as written.
const MAX_REFERENCES: usize = 100;
/// Bytes (as JSON) that references may copy into the commands of one batch, all
/// commands together: a chain of commands each copying the one before cannot grow
/// memory and work beyond this. Past it, a command is refused (`ERROR_BATCH_LIMIT`).
const MAX_REFERENCE_BYTES: usize = 256 * 1024;

/// What references may still copy: how many in this command, how many bytes in this
/// batch; `over` once a copy was refused.
struct RefBudget {
    refs: usize,
    bytes: usize,
    over: bool,
}

impl RefBudget {
    fn new(bytes: usize) -> Self {
        Self {
            refs: MAX_REFERENCES,
            bytes,
            over: false,
        }
    }

    /// Takes `v`'s size (as JSON) from the byte budget; false when it does not fit.
    fn take(&mut self, v: &Value) -> bool {
        struct Count(usize);
        impl std::io::Write for Count {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0 += b.len();
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut c = Count(0);
        let _ = serde_json::to_writer(&mut c, v);
        if c.0 > self.bytes {
            self.over = true;
            return false;
        }
        self.bytes -= c.0;
        true
    }
}

fn resolve_references(
    v: &mut Value,
    sources: &[(&str, &serde_json::Map<String, Value>)],
    budget: &mut RefBudget,
) {
    match v {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| resolve_references(i, sources, budget)),
        Value::Object(m) => m
            .values_mut()
            .for_each(|i| resolve_references(i, sources, budget)),
        Value::String(text) => {
            let names: Vec<&str> = sources.iter().map(|(n, _)| *n).collect();
            let mut refs = references(text, &names);
            refs.truncate(budget.refs);
            budget.refs -= refs.len();
            let lookup = |r: &Reference| -> Option<Value> {
                let mut cur = sources[r.source].1.get(&r.path[0])?;
                for step in &r.path[1..] {
                    cur = match cur {
                        Value::Object(m) => m.get(step).or_else(|| {
                            m.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case(step))
                                .map(|(_, v)| v)
                        })?,
                        Value::Array(a) => a.get(step.parse::<usize>().ok()?)?,
                        _ => return None,
                    };
                }
                Some(cur.clone())
            };
            if let [only] = refs.as_slice() {
                if only.start == 0 && only.end == text.len() {
                    if let Some(found) = lookup(only) {
                        if budget.take(&found) {
                            *v = found;
                        }
                    }
                    return;
                }
            }
            let mut out = String::with_capacity(text.len());
            let mut last = 0;
            for r in &refs {
                let scalar = match lookup(r) {
                    Some(Value::String(s)) => Some(s),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    Some(Value::Bool(b)) => Some(if b { "1".into() } else { String::new() }),
                    _ => None,
                };
                let scalar = scalar.filter(|s| budget.take(&Value::String(s.clone())));
                if let Some(s) = scalar {
                    out.push_str(&text[last..r.start]);
                    out.push_str(&s);
                    last = r.end;
                }
            }
            out.push_str(&text[last..]);
            *text = out;
        }
        _ => {}
    }
}

/// A keyed result as PHP's `json_encode` writes an array, which is what Bitrix24 answers:
/// empty → `[]`; keys exactly 0, 1, 2… in order → a list; anything else → an object in
/// the order the commands ran.
fn php_array(m: serde_json::Map<String, Value>) -> Value {
    if m.keys().enumerate().all(|(i, k)| *k == i.to_string()) {
        Value::Array(m.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(m)
    }
}

/// `batch`: up to 50 commands (`cmd[key]=method?params`), stopping at the first error
/// with `halt=1`. Results are keyed like the commands.
pub async fn batch(state: &AppState, caller: &RestCaller, p: &Params) -> Result<Output, RestError> {
    let cmds: Vec<(String, String)> = match p.get("CMD") {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.as_str().unwrap_or_default().to_string()))
            .collect(),
        _ => return Err(RestError::bad("ERROR_BATCH_EMPTY", "cmd is required")),
    };
    if cmds.len() > 50 {
        return Err(RestError::bad(
            "ERROR_BATCH_LENGTH_EXCEEDED",
            "Max batch length exceeded (50)",
        ));
    }
    // `halt`: 1, "1", "Y", "true" or JSON true (the official SDKs send a boolean).
    let halt = match p.get("HALT") {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => matches!(s.trim(), "1" | "Y" | "y" | "true"),
        _ => false,
    };
    let (mut results, mut errors, mut totals, mut nexts, mut times) = (
        serde_json::Map::new(),
        serde_json::Map::new(),
        serde_json::Map::new(),
        serde_json::Map::new(),
        serde_json::Map::new(),
    );
    let mut bytes_left = MAX_REFERENCE_BYTES;
    for (key, cmd) in cmds {
        let started = std::time::Instant::now();
        let start = std::time::SystemTime::now();
        let (method, query) = cmd.split_once('?').unwrap_or((cmd.as_str(), ""));
        let method = super::method_name(method.trim())?;
        let r = if method == "batch" {
            Err(RestError::bad(
                "ERROR_BATCH_METHOD_NOT_ALLOWED",
                "batch cannot be nested",
            ))
        } else {
            match Params::from_query(query) {
                Ok(mut p) => {
                    let earlier = [
                        ("result", &results),
                        ("result_total", &totals),
                        ("result_next", &nexts),
                    ];
                    let mut budget = RefBudget::new(bytes_left);
                    for v in p.0.values_mut() {
                        resolve_references(v, &earlier, &mut budget);
                    }
                    bytes_left = budget.bytes;
                    if budget.over {
                        Err(RestError::bad(
                            "ERROR_BATCH_LIMIT",
                            format!(
                                "References copy more than {} KB into the commands of one batch",
                                MAX_REFERENCE_BYTES / 1024
                            ),
                        ))
                    } else {
                        call(state, caller, &method, &p).await
                    }
                }
                Err(e) => Err(RestError::bad("INVALID_REQUEST", e.describe())),
            }
        };
        times.insert(key.clone(), super::time_block(start, started));
        match r {
            Ok(o) => {
                results.insert(key.clone(), o.result);
                if let Some(t) = o.total {
                    totals.insert(key.clone(), json!(t));
                }
                if let Some(n) = o.next {
                    nexts.insert(key.clone(), json!(n));
                }
            }
            Err(e) => {
                errors.insert(key.clone(), e.body());
                if halt {
                    break;
                }
            }
        }
    }
    let shape = php_array;
    Ok(json!({
        "result": shape(results),
        "result_error": shape(errors),
        "result_total": shape(totals),
        "result_next": shape(nexts),
        "result_time": shape(times),
    })
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> serde_json::Map<String, Value> {
        let mut m = serde_json::Map::new();
        m.insert(
            "user".into(),
            json!({"ID": 7, "NAME": "Bob", "UF_DEPARTMENT": [3, 5]}),
        );
        m.insert("lines".into(), json!([{"ID": 11}, {"ID": 12}]));
        m.insert("n".into(), json!(4));
        m
    }

    fn resolved(v: Value) -> Value {
        let (results, totals) = (
            answers(),
            serde_json::Map::from_iter([("lines".to_string(), json!(2))]),
        );
        let mut v = v;
        resolve_references(
            &mut v,
            &[("result", &results), ("result_total", &totals)],
            &mut RefBudget::new(MAX_REFERENCE_BYTES),
        );
        v
    }

    #[test]
    fn a_command_resolves_a_bounded_number_of_references() {
        let results = answers();
        let mut v = json!(vec!["$result[n]"; MAX_REFERENCES + 5]);
        let mut budget = RefBudget::new(MAX_REFERENCE_BYTES);
        resolve_references(&mut v, &[("result", &results)], &mut budget);
        let items = v.as_array().unwrap();
        assert_eq!(items.iter().filter(|i| **i == json!(4)).count(), MAX_REFERENCES);
        assert_eq!(items.last().unwrap(), "$result[n]");
    }

    #[test]
    fn references_copy_a_bounded_number_of_bytes_per_batch() {
        let big = json!({"list": vec!["x".repeat(1000); 10]});
        let results = serde_json::Map::from_iter([("big".to_string(), big)]);
        // Each copy is ~10 KB: 20 of them fit in 256 KB across commands, not 30.
        let mut budget = RefBudget::new(MAX_REFERENCE_BYTES);
        let mut copied = 0;
        for _ in 0..3 {
            budget.refs = MAX_REFERENCES;
            let mut v = json!(vec!["$result[big]"; 10]);
            resolve_references(&mut v, &[("result", &results)], &mut budget);
            copied += v.as_array().unwrap().iter().filter(|i| i.is_object()).count();
        }
        assert!(budget.over);
        assert!((20..=26).contains(&copied), "{copied}");
    }

    #[test]
    fn a_whole_reference_becomes_the_value_it_names() {
        assert_eq!(resolved(json!("$result[user][UF_DEPARTMENT]")), json!([3, 5]));
        assert_eq!(resolved(json!("$result[user]"))["NAME"], "Bob");
        assert_eq!(resolved(json!("$result[lines][1][ID]")), json!(12));
        assert_eq!(
            resolved(json!("$result[user][name]")),
            json!("Bob"),
            "field names as Bitrix24: any case"
        );
        assert_eq!(resolved(json!("$result_total[lines]")), json!(2));
    }

    #[test]
    fn references_inside_a_text_are_replaced_by_their_text() {
        assert_eq!(resolved(json!("chat$result[user][ID]")), json!("chat7"));
        assert_eq!(
            resolved(json!({"A": ["$result[n] of $result_total[lines]", "x"]})),
            json!({"A": ["4 of 2", "x"]})
        );
    }

    #[test]
    fn references_to_nothing_and_lookalikes_stay_as_they_were() {
        for text in [
            "$result[missing]",
            "$result[user][NOPE]",
            "$result[lines][9][ID]",
            "$results[user]",
            "$result",
            "costs $5",
            "$result[user",
        ] {
            assert_eq!(resolved(json!(text)), json!(text), "{text}");
        }
        assert_eq!(
            resolved(json!("$result[user][UF_DEPARTMENT] x")),
            json!("$result[user][UF_DEPARTMENT] x"),
            "a list has no text"
        );
    }
}
