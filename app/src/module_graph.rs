//! The check that keeps the layers in order: no two modules of this crate depend on
//! each other, directly or around a circle (`cargo test -p app module_graph`).
//!
//! Each source file is a module; it depends on another when it names it in a `use` or
//! in a path (`crate::…`, `super::…`). A module containing another (a parent and its
//! files) is not a dependency of it; a child naming its parent is. Unit-test modules
//! are left out. On failure the test prints the circle, file by file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every `.rs` file under `dir`, with its module path (`backend/services/queue.rs` →
/// `backend::services::queue`; `lib.rs` is the crate root).
fn modules(root: &Path) -> BTreeMap<Module, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path
                    .strip_prefix(root)
                    .expect("under the root")
                    .with_extension("");
                let mut m: Module = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if m == ["lib"] {
                    m.clear();
                }
                out.insert(m, path);
            }
        }
    }
    out
}

/// The file's code without its unit tests and comments.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths a `use` tree names: `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree.trim_end_matches("::*").to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let (mut parts, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty() && *p != "self")
        .flat_map(|p| expand(p).into_iter().map(move |s| format!("{prefix}::{s}")))
        .collect()
}

/// Every `crate::…` and `super::…` path the code names.
fn paths_in(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let boundary =
            i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric() && rest.as_bytes()[i - 1] != b'_';
        let tail = &rest[i + 4..];
        match tail.find(';') {
            Some(end) if boundary => {
                out.extend(expand(&tail[..end]));
                rest = &tail[end..];
            }
            _ => rest = tail,
        }
    }
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        for (i, _) in code.match_indices(start) {
            if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_' || bytes[i - 1] == b':')
            {
                continue;
            }
            let end = code[i..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| i + e);
            out.push(code[i..end].trim_end_matches(':').to_string());
        }
    }
    out
}

/// The module a path in `from` refers to, as one of `known` (the longest prefix).
fn resolve(from: &Module, path: &str, known: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    let mut segments = path.split("::").filter(|s| !s.is_empty());
    let mut at: Module = match segments.next()? {
        "crate" => Vec::new(),
        "super" => from[..from.len().saturating_sub(1)].to_vec(),
        _ => return None,
    };
    let mut rest: Vec<&str> = segments.collect();
    while rest.first() == Some(&"super") {
        at.pop();
        rest.remove(0);
    }
    let mut best = known.contains_key(&at).then(|| at.clone());
    for s in rest {
        at.push(s.to_string());
        if known.contains_key(&at) {
            best = Some(at.clone());
        }
    }
    best
}

/// A circle of the graph, if there is one.
fn circle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        m: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<Module, Mark>,
        path: &mut Vec<Module>,
    ) -> Option<Vec<Module>> {
        match marks.get(m) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = path.iter().position(|p| p == m).unwrap_or(0);
                let mut c = path[from..].to_vec();
                c.push(m.clone());
                return Some(c);
            }
            None => {}
        }
        marks.insert(m.clone(), Mark::Open);
        path.push(m.clone());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, edges, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(m.clone(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    edges
        .keys()
        .find_map(|m| visit(m, edges, &mut marks, &mut Vec::new()))
}

fn graph(root: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let known = modules(root);
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (m, file) in &known {
        let code = code_of(&std::fs::read_to_string(file).expect("a readable source file"));
        let targets = edges.entry(m.clone()).or_default();
        for p in paths_in(&code) {
            let Some(t) = resolve(m, &p, &known) else { continue };
            // Itself, or a module inside it: not a dependency.
            if t.starts_with(m) {
                continue;
            }
            targets.insert(t);
        }
    }
    edges
}

#[test]
fn no_module_depends_on_itself_around_a_circle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = graph(&root);
    assert!(edges.len() > 100, "the crate's files were read: {}", edges.len());
    if let Some(c) = circle(&edges) {
        let names: Vec<String> = c.iter().map(|m| m.join("::")).collect();
        panic!(
            "modules depend on each other around a circle: {}",
            names.join(" → ")
        );
    }
}

#[test]
fn the_check_finds_circles_and_reads_grouped_imports() {
    assert_eq!(
        expand("super::{a, b::{c, d}, e::*}"),
        ["super::a", "super::b::c", "super::b::d", "super::e"]
    );
    let dir = std::env::temp_dir().join(format!("netlines-module-graph-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("services")).unwrap();
    std::fs::write(dir.join("lib.rs"), "pub mod services;\n").unwrap();
    std::fs::write(dir.join("services.rs"), "pub mod a;\npub mod b;\npub use a::X;\n").unwrap();
    std::fs::write(
        dir.join("services/a.rs"),
        "use super::b::{self, Y};\npub struct X;\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("services/b.rs"),
        "pub struct Y;\n#[cfg(test)]\nmod tests {\n    use super::super::a::X;\n}\n",
    )
    .unwrap();
    assert_eq!(
        circle(&graph(&dir)),
        None,
        "a parent's re-export and a test module are not edges"
    );
    std::fs::write(
        dir.join("services/b.rs"),
        "pub struct Y;\nfn f() -> crate::services::a::X { todo!() }\n",
    )
    .unwrap();
    let c = circle(&graph(&dir)).expect("a circle");
    assert_eq!(c.first(), c.last());
    assert_eq!(c.len(), 3, "{c:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
