//! `cargo xtask cycles`: fails when modules of a workspace crate depend on each other in a cycle.
//!
//! The rule. A module contains its children (`logs::convert` is part of `logs`), so a reference
//! between a module and one it contains is no dependency. Any other reference, from module F to
//! module T, is an edge between the two *siblings* where their paths part: `logs::convert` →
//! `logs::args` is an edge between those two children of `logs`; `logs::convert` → `options` one
//! between the top-level modules `logs` and `options`. A cycle is a cycle of such edges among the
//! children of one module (the crate root's included). So a `#[cfg(test)] mod tests` using
//! `super::*` is fine (it is inside its module), and a test that reaches into another module
//! counts as its module's dependency.
//!
//! The references are the paths anchored at `crate::`, `super::` or `self::` anywhere in the code
//! — `use` trees with their `{…}` groups, expressions, types, attributes — after comments and
//! literals are removed ([`tokens`]). A path names the longest prefix of it that is a known module
//! (declared with `mod`, in a file or inline); the rest is an item. Paths not anchored that way
//! name an external crate, a child module (contained: no edge) or something a `use` brought in
//! (that `use` is the edge). Not seen: an item reached through a re-export names the module of the
//! path written (`crate::Failure` is the crate root's), paths made by macros or inside the code a
//! generator quotes (`quote! { … }`), and the files under `src/generated/` (generated code, not
//! read; its modules are still known as targets).
//!
//! Each crate target (`src/lib.rs`, `src/main.rs`, `src/bin/*.rs`) is its own module tree.

mod tokens;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Component, Path, PathBuf};

use tokens::{tokenize, Tok, Token};

/// A module's path from its crate root: `[]` is the root, `["logs", "convert"]` `logs::convert`.
type ModPath = Vec<String>;

/// Where a reference was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub file: PathBuf,
    pub line: usize,
}

/// The module graph of one crate target.
#[derive(Debug, Default)]
pub struct Tree {
    /// The package name, with the target's root file when it is not `src/lib.rs`.
    pub label: String,
    pub modules: BTreeSet<ModPath>,
    /// Edges between siblings, each with the first reference seen.
    pub edges: BTreeMap<(ModPath, ModPath), Site>,
}

/// One cycle: the modules in order, the first repeated at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub modules: Vec<ModPath>,
}

/// Checks every workspace member; prints the cycles (with `edges`, every edge first) and what
/// was checked.
pub fn run(root: &Path, edges_too: bool) -> Result<(), String> {
    let mut found = 0;
    let (mut crates, mut targets, mut modules, mut edges) = (0, 0, 0, 0);
    for member in workspace_members(root)? {
        crates += 1;
        for tree in check_package(&root.join(&member))? {
            targets += 1;
            modules += tree.modules.len();
            edges += tree.edges.len();
            if edges_too {
                for ((from, to), site) in &tree.edges {
                    let file = site.file.strip_prefix(root).unwrap_or(&site.file);
                    let (from, to) = (from.join("::"), to.join("::"));
                    println!(
                        "{}: {from} → {to} ({}:{})",
                        tree.label,
                        file.display(),
                        site.line
                    );
                }
            }
            for cycle in tree.cycles() {
                found += 1;
                println!("{}", tree.render(&cycle, root));
            }
        }
    }
    println!(
        "module cycles: {found} found in {crates} crates ({targets} targets, {modules} modules, \
         {edges} edges between modules)"
    );
    match found {
        0 => Ok(()),
        n => Err(format!("{n} module cycle(s); see above")),
    }
}

/// The `members` of the workspace manifest.
fn workspace_members(root: &Path) -> Result<Vec<String>, String> {
    let path = root.join("Cargo.toml");
    let text = fs::read_to_string(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let list = text
        .split_once("members")
        .and_then(|(_, rest)| rest.split_once('['))
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
        .ok_or_else(|| format!("{}: no workspace members list", path.display()))?;
    Ok(list
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(|line| line.split(','))
        .map(|item| item.trim().trim_matches('"').to_owned())
        .filter(|item| !item.is_empty())
        .collect())
}

/// The module trees of the package in `dir`: one per target root found under `src/`.
pub fn check_package(dir: &Path) -> Result<Vec<Tree>, String> {
    let name = package_name(dir);
    let src = dir.join("src");
    let mut roots = Vec::new();
    for file in ["lib.rs", "main.rs"] {
        if src.join(file).is_file() {
            roots.push(src.join(file));
        }
    }
    if let Ok(entries) = fs::read_dir(src.join("bin")) {
        let mut bins: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .map(|p| if p.is_dir() { p.join("main.rs") } else { p })
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "rs"))
            .collect();
        bins.sort();
        roots.extend(bins);
    }
    roots
        .into_iter()
        .map(|root| {
            let label = match root.strip_prefix(&src).ok().and_then(Path::to_str) {
                Some("lib.rs") => name.clone(),
                Some(file) => format!("{name} (src/{file})"),
                None => name.clone(),
            };
            check_target(label, &src, &root)
        })
        .collect()
}

fn package_name(dir: &Path) -> String {
    let fallback = || {
        dir.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into())
    };
    let Ok(text) = fs::read_to_string(dir.join("Cargo.toml")) else {
        return fallback();
    };
    let package = text.split("[package]").nth(1).unwrap_or("");
    package
        .lines()
        .take_while(|line| !line.trim_start().starts_with('['))
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "name").then(|| value.trim().trim_matches('"').to_owned())
        })
        .unwrap_or_else(fallback)
}

/// A reference as written: from which module, the path's segments, where.
struct Reference {
    from: ModPath,
    path: Vec<String>,
    site: Site,
}

/// The tree of the target whose root file is `root`.
fn check_target(label: String, src: &Path, root: &Path) -> Result<Tree, String> {
    let mut tree = Tree {
        label,
        ..Tree::default()
    };
    tree.modules.insert(Vec::new());
    let mut references = Vec::new();
    // (file, its module, the directory of its children's files)
    let mut queue = vec![(root.to_path_buf(), Vec::new(), parent(root))];
    while let Some((file, module, dir)) = queue.pop() {
        if normalize(&file).starts_with(src.join("generated")) {
            continue;
        }
        let text =
            fs::read_to_string(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let scan = scan(&tokenize(&text), &module);
        for declared in scan.modules {
            tree.modules.insert(declared.path.clone());
            let Some(outline) = declared.outline else {
                continue;
            };
            let base = declared.inline.iter().fold(dir.clone(), |d, m| d.join(m));
            let name = declared.path.last().cloned().unwrap_or_default();
            let (child, child_dir) = match outline {
                Some(path) => {
                    let at = declared.inline.iter().fold(parent(&file), |d, m| d.join(m));
                    let child = at.join(path);
                    let child_dir = parent(&child);
                    (child, child_dir)
                }
                None if base.join(format!("{name}.rs")).is_file() => {
                    (base.join(format!("{name}.rs")), base.join(&name))
                }
                None => (base.join(&name).join("mod.rs"), base.join(&name)),
            };
            if !normalize(&child).starts_with(src.join("generated")) && !child.is_file() {
                return Err(format!(
                    "{}:{}: no file for module {}",
                    file.display(),
                    declared.line,
                    name
                ));
            }
            queue.push((child, declared.path, child_dir));
        }
        references.extend(
            scan.references
                .into_iter()
                .map(|(from, path, line)| Reference {
                    from,
                    path,
                    site: Site {
                        file: file.clone(),
                        line,
                    },
                }),
        );
    }
    for reference in references {
        let Some(target) = resolve(&reference.from, &reference.path, &tree.modules) else {
            continue;
        };
        let from = &reference.from;
        let shared = from.iter().zip(&target).take_while(|(a, b)| a == b).count();
        if shared >= from.len() || shared >= target.len() {
            continue; // one contains the other
        }
        tree.edges
            .entry((from[..=shared].to_vec(), target[..=shared].to_vec()))
            .or_insert(reference.site);
    }
    Ok(tree)
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map_or_else(PathBuf::new, Path::to_path_buf)
}

/// `path` without `.` and `a/..` (lexically).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The module `path` (written in module `from`) names: the longest known prefix of it.
fn resolve(from: &ModPath, path: &[String], modules: &BTreeSet<ModPath>) -> Option<ModPath> {
    let (first, rest) = path.split_first()?;
    let mut absolute = match first.as_str() {
        "crate" => Vec::new(),
        "self" => from.clone(),
        "super" => from.split_last()?.1.to_vec(),
        _ => return None,
    };
    let mut rest = rest.iter().peekable();
    while rest.peek().is_some_and(|s| *s == "super") {
        absolute.pop()?;
        rest.next();
    }
    absolute.extend(rest.filter(|s| *s != "self").cloned());
    (0..=absolute.len())
        .rev()
        .map(|n| absolute[..n].to_vec())
        .find(|prefix| modules.contains(prefix))
}

/// A `mod` seen in a file.
struct Declared {
    path: ModPath,
    /// The inline modules it is declared in, within its file.
    inline: Vec<String>,
    /// `Some` for `mod name;` (with its `#[path]`, if any), `None` for `mod name { … }`.
    outline: Option<Option<String>>,
    line: usize,
}

#[derive(Default)]
struct Scan {
    modules: Vec<Declared>,
    /// (the module the path is in, its segments, its line)
    references: Vec<(ModPath, Vec<String>, usize)>,
}

/// Macros whose input is code to be generated, not code of this crate: paths in them are no
/// references.
const QUOTING: &[&str] = &["quote", "quote_spanned", "parse_quote"];

/// The modules declared and the anchored paths in a file of module `module`. A `mod` inside a
/// macro's input is no module of this crate (a generator's `quote! { mod x; }`); paths inside a
/// macro's input are references, but for the [`QUOTING`] macros.
fn scan(tokens: &[Token], module: &ModPath) -> Scan {
    let mut out = Scan::default();
    let tok = |i: usize| tokens.get(i).map(|t| &t.tok);
    let ident = |i: usize, word: &str| matches!(tok(i), Some(Tok::Ident(w)) if w == word);
    // The open brackets, and the inline modules open at this point: (name, the number of
    // brackets open inside them).
    let mut brackets = 0usize;
    let mut inline: Vec<(String, usize)> = Vec::new();
    // Inside a macro's input: the brackets open outside it, and whether it quotes code.
    let mut in_macro: Option<(usize, bool)> = None;
    let mut path_attribute: Option<String> = None;
    let mut i = 0;
    while i < tokens.len() {
        let current = || {
            let mut path = module.clone();
            path.extend(inline.iter().map(|(name, _)| name.clone()));
            path
        };
        if let (
            None,
            Some(Tok::Ident(name)),
            Some(Tok::Punct('!')),
            Some(Tok::Punct('(' | '[' | '{')),
        ) = (in_macro, tok(i), tok(i + 1), tok(i + 2))
        {
            in_macro = Some((brackets, QUOTING.contains(&name.as_str())));
            i += 2;
            continue;
        }
        match &tokens[i].tok {
            Tok::Punct('#') => {
                if let (
                    Some(Tok::Punct('[')),
                    true,
                    Some(Tok::Punct('=')),
                    Some(Tok::Str(value)),
                    Some(Tok::Punct(']')),
                ) = (
                    tok(i + 1),
                    ident(i + 2, "path"),
                    tok(i + 3),
                    tok(i + 4),
                    tok(i + 5),
                ) {
                    path_attribute = Some(value.clone());
                    i += 6;
                    continue;
                }
            }
            Tok::Ident(word) if word == "mod" && in_macro.is_none() => {
                if let (Some(Tok::Ident(name)), Some(Tok::Punct(end @ (';' | '{')))) =
                    (tok(i + 1), tok(i + 2))
                {
                    let mut path = current();
                    path.push(name.clone());
                    out.modules.push(Declared {
                        path,
                        inline: inline.iter().map(|(name, _)| name.clone()).collect(),
                        outline: (*end == ';').then(|| path_attribute.take()),
                        line: tokens[i].line,
                    });
                    path_attribute = None;
                    if *end == '{' {
                        brackets += 1;
                        inline.push((name.clone(), brackets));
                    }
                    i += 3;
                    continue;
                }
            }
            Tok::Ident(word)
                if matches!(word.as_str(), "crate" | "super" | "self")
                    && !in_macro.is_some_and(|(_, quoting)| quoting) =>
            {
                let anchored = tok(i + 1) == Some(&Tok::PathSep)
                    && !matches!(
                        i.checked_sub(1).and_then(tok),
                        Some(Tok::PathSep | Tok::Punct('$'))
                    )
                    && !(i > 0 && ident(i - 1, "in"));
                if anchored {
                    let (paths, next) = use_tree(tokens, i, Vec::new());
                    let from = current();
                    for path in paths {
                        out.references.push((from.clone(), path, tokens[i].line));
                    }
                    i = next.max(i + 1);
                    continue;
                }
            }
            Tok::Punct('(' | '[' | '{') => brackets += 1,
            Tok::Punct(close @ (')' | ']' | '}')) => {
                if inline.last().is_some_and(|(_, open)| *open == brackets) {
                    inline.pop();
                }
                brackets = brackets.saturating_sub(1);
                if in_macro.is_some_and(|(outside, _)| outside == brackets) {
                    in_macro = None;
                }
                if *close == '}' {
                    path_attribute = None;
                }
            }
            Tok::Punct(';') => path_attribute = None,
            _ => {}
        }
        i += 1;
    }
    out
}

/// The paths of the path or `use` tree starting at `i`, each `prefix` + its segments, and the
/// index after it. `a::{b, c::{d, e}}` is `a::b`, `a::c::d`, `a::c::e`; generic arguments,
/// `as` and whatever follows end a path.
fn use_tree(tokens: &[Token], mut i: usize, prefix: Vec<String>) -> (Vec<Vec<String>>, usize) {
    let tok = |i: usize| tokens.get(i).map(|t| &t.tok);
    let mut segments = prefix;
    loop {
        match tok(i) {
            Some(Tok::Ident(name)) => {
                segments.push(name.clone());
                i += 1;
                if tok(i) != Some(&Tok::PathSep) {
                    return (vec![segments], i);
                }
                i += 1;
            }
            Some(Tok::Punct('{')) => {
                let mut paths = Vec::new();
                i += 1;
                while let Some(t) = tok(i) {
                    match t {
                        Tok::Punct('}') => {
                            i += 1;
                            break;
                        }
                        Tok::Punct(',') => i += 1,
                        Tok::Ident(word) if word == "as" => i += 2,
                        _ => {
                            let (more, next) = use_tree(tokens, i, segments.clone());
                            paths.extend(more);
                            // Anything it could not read is passed over.
                            i = next.max(i + 1);
                        }
                    }
                }
                return (paths, i);
            }
            Some(Tok::Punct('*')) => return (vec![segments], i + 1),
            _ => return (vec![segments], i),
        }
    }
}

impl Tree {
    /// A cycle through every edge that is on one, each edge in the first cycle found for it,
    /// so a module graph with cycles always shows at least one.
    pub fn cycles(&self) -> Vec<Cycle> {
        // Siblings only have edges between them: one graph per parent module.
        let mut graphs: BTreeMap<ModPath, BTreeMap<ModPath, BTreeSet<ModPath>>> = BTreeMap::new();
        for (from, to) in self.edges.keys() {
            let parent = from[..from.len() - 1].to_vec();
            graphs
                .entry(parent)
                .or_default()
                .entry(from.clone())
                .or_default()
                .insert(to.clone());
        }
        let mut cycles = Vec::new();
        for graph in graphs.values() {
            let mut covered: BTreeSet<(&ModPath, &ModPath)> = BTreeSet::new();
            for (from, targets) in graph {
                for to in targets {
                    if covered.contains(&(from, to)) {
                        continue;
                    }
                    let Some(back) = shortest_path(graph, to, from) else {
                        continue;
                    };
                    let mut modules = vec![from.clone()];
                    modules.extend(back);
                    for pair in modules.windows(2) {
                        if let Some((a, targets)) = graph.get_key_value(&pair[0]) {
                            if let Some(b) = targets.get(&pair[1]) {
                                covered.insert((a, b));
                            }
                        }
                    }
                    cycles.push(Cycle { modules });
                }
            }
        }
        cycles
    }

    /// `crate: a → b → a`, then each edge with one reference to it.
    pub fn render(&self, cycle: &Cycle, root: &Path) -> String {
        let name = |m: &ModPath| m.join("::");
        let names: Vec<String> = cycle.modules.iter().map(name).collect();
        let mut text = format!("{}: {}", self.label, names.join(" → "));
        for pair in cycle.modules.windows(2) {
            if let Some(site) = self.edges.get(&(pair[0].clone(), pair[1].clone())) {
                let file = site.file.strip_prefix(root).unwrap_or(&site.file);
                text.push_str(&format!(
                    "\n    {} → {}: {}:{}",
                    name(&pair[0]),
                    name(&pair[1]),
                    file.display(),
                    site.line
                ));
            }
        }
        text
    }
}

/// The shortest path `from` … `to` (both included), by breadth-first search.
fn shortest_path(
    graph: &BTreeMap<ModPath, BTreeSet<ModPath>>,
    from: &ModPath,
    to: &ModPath,
) -> Option<Vec<ModPath>> {
    let mut previous: BTreeMap<&ModPath, &ModPath> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    let mut seen = BTreeSet::from([from]);
    while let Some(node) = queue.pop_front() {
        if node == to {
            let mut path = vec![node.clone()];
            let mut at = node;
            while let Some(before) = previous.get(at) {
                path.push((*before).clone());
                at = before;
            }
            path.reverse();
            return Some(path);
        }
        for next in graph.get(node).into_iter().flatten() {
            if seen.insert(next) {
                previous.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package `demo` in a temporary directory with these files under `src/`.
    fn package(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"demo\"\n",
        )
        .unwrap();
        for (path, text) in files {
            let path = dir.path().join("src").join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    fn rendered(dir: &tempfile::TempDir) -> Vec<String> {
        let trees = check_package(dir.path()).unwrap();
        trees
            .iter()
            .flat_map(|tree| {
                tree.cycles()
                    .into_iter()
                    .map(|c| tree.render(&c, dir.path()))
            })
            .collect()
    }

    #[test]
    fn a_cycle_is_reported_with_a_reference_per_edge() {
        let dir = package(&[
            ("lib.rs", "mod a;\nmod b;\nmod c;\n"),
            ("a.rs", "use crate::b::{self, B};\npub struct A;\n"),
            (
                "b.rs",
                "// crate::c::C is only mentioned\npub struct B(super::c::C);\n",
            ),
            (
                "c.rs",
                "pub struct C;\nfn f() -> crate::a::A { crate::a::A }\n",
            ),
        ]);
        assert_eq!(
            rendered(&dir),
            [
                "demo: a → b → c → a\n    a → b: src/a.rs:1\n    b → c: src/b.rs:2\n    \
                 c → a: src/c.rs:2"
            ]
        );
    }

    #[test]
    fn contained_modules_tests_and_one_way_references_are_no_cycle() {
        let dir = package(&[
            ("lib.rs", "mod low;\nmod high;\npub use high::run;\n"),
            (
                "low.rs",
                "pub fn f() {}\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n\
                 // Code a generator quotes is not this crate's.\n\
                 fn emit() { quote! { mod generated; use crate::high::run; }; }\n",
            ),
            // A folder module: its children use their parent and each other one way.
            ("high/mod.rs", "mod args;\nmod run;\npub use self::run::run;\n"),
            ("high/args.rs", "pub struct Args;\nconst S: &str = \"crate::high::run\";\n"),
            (
                "high/run.rs",
                "use super::args::Args;\nuse crate::low;\npub fn run(_: Args) { low::f(); super::super::low::f() }\n",
            ),
        ]);
        assert_eq!(rendered(&dir), Vec::<String>::new());
        let trees = check_package(dir.path()).unwrap();
        let edges: Vec<String> = trees[0]
            .edges
            .keys()
            .map(|(a, b)| format!("{} → {}", a.join("::"), b.join("::")))
            .collect();
        assert_eq!(edges, ["high → low", "high::run → high::args"]);
    }

    #[test]
    fn sibling_cycles_inside_a_folder_and_inline_modules() {
        let dir = package(&[
            ("lib.rs", "mod m;\nmod inline { pub mod x { pub fn f() { super::y::g() } }\n pub mod y { pub fn g() { super::x::f() } } }\n"),
            ("m/mod.rs", "mod p;\nmod q;\n"),
            ("m/p.rs", "use super::q;\n"),
            ("m/q.rs", "use crate::m::p;\n"),
        ]);
        let cycles = rendered(&dir);
        assert_eq!(cycles.len(), 2, "{cycles:?}");
        assert!(
            cycles[0].starts_with("demo: inline::x → inline::y → inline::x"),
            "{cycles:?}"
        );
        assert!(
            cycles[1].starts_with("demo: m::p → m::q → m::p"),
            "{cycles:?}"
        );
    }

    #[test]
    fn the_workspace_members_are_read_from_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("Cargo.toml"),
            "[workspace]\nmembers = [\n    \"a\", # first\n    \"b\",\n]\n",
        )
        .unwrap();
        assert_eq!(workspace_members(dir.path()).unwrap(), ["a", "b"]);
    }
}
