//! ARCHITECTURE.md's rules, checked against the code: the floors and the stage order are read
//! from the document itself, every module of `src/` must be on a floor, and the `crate::`
//! paths of each module (comments aside) may only point at modules the rules allow.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The modules a line `<label>: a, b → c …` of ARCHITECTURE.md names, in order.
fn listed(doc: &str, label: &str) -> Vec<String> {
    let line = doc
        .lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no line starting {label:?}"));
    line.split([',', '→', ' '])
        .map(|w| w.trim_matches(|c: char| c == '`' || c == '.' || c.is_whitespace()))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every `.rs` file below `dir`.
fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its comments (a `//` to the end of the line).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names through `crate::`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::x, b};`
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn architecture_stage_rules_hold_in_the_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let top = listed(&doc, "Top floor:");
    let stages = listed(&doc, "Stages, in order:");
    let below = listed(&doc, "Below every stage:");
    let floor_of: BTreeMap<&str, (usize, usize)> = top
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), (2, i)))
        .chain(stages.iter().enumerate().map(|(i, m)| (m.as_str(), (1, i))))
        .chain(below.iter().map(|m| (m.as_str(), (0, 0))))
        .collect();
    assert_eq!(
        floor_of.len(),
        top.len() + stages.len() + below.len(),
        "a module is on two floors"
    );

    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(root.join("src")).unwrap();
        let first = rel.components().next().unwrap().as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_owned();
        if module == "lib" {
            continue;
        }
        seen.insert(module.clone());
        let Some(&(floor, rank)) = floor_of.get(module.as_str()) else {
            problems.push(format!(
                "src/{}: module {module} is on no floor",
                rel.display()
            ));
            continue;
        };
        let text = fs::read_to_string(file).unwrap();
        let text = code(&text);
        for used in crate_paths(&text) {
            if used == module {
                continue;
            }
            let Some(&(used_floor, used_rank)) = floor_of.get(used.as_str()) else {
                problems.push(format!(
                    "src/{}: crate::{used} is on no floor",
                    rel.display()
                ));
                continue;
            };
            let allowed = match floor {
                // The top floor may use anything below it, and its own earlier modules.
                2 => used_floor < 2 || used_rank < rank,
                // A stage may use earlier stages and the modules below every stage.
                1 => used_floor == 0 || (used_floor == 1 && used_rank < rank),
                // Below every stage: only each other.
                _ => used_floor == 0,
            };
            if !allowed {
                problems.push(format!(
                    "src/{}: {module} uses crate::{used}, which its floor may not",
                    rel.display()
                ));
            }
        }
        // Only ui/ (and main.rs) talk to the terminal.
        if module != "ui" && module != "main" {
            for mac in ["println!", "eprintln!", "print!(", "eprint!("] {
                if text.contains(mac) {
                    problems.push(format!("src/{}: prints ({mac})", rel.display()));
                }
            }
        }
    }
    for m in floor_of.keys() {
        if !seen.contains(*m) {
            problems.push(format!(
                "ARCHITECTURE.md names {m}, which src/ does not have"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_rules_see_a_violation() {
    // The scanner itself: grouped and single paths, comments ignored.
    let found = crate_paths(&code(
        "use crate::{extract::Error, model};\nlet x = crate::plan::plan(); // crate::ui::x\n",
    ));
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["extract", "model", "plan"]
    );
}

/// `pipeline::build` reads like the pipeline in ARCHITECTURE.md: at most 90 lines, the
/// stages' work (and every file it writes) in their own functions. A merge once grew it back
/// past the limit by inlining the bundle's packing.
#[test]
fn pipeline_build_stays_short() {
    let text =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pipeline.rs")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("pub fn build"))
        .expect("pipeline::build");
    let len = lines[start..]
        .iter()
        .position(|l| *l == "}")
        .expect("the end of pipeline::build")
        + 1;
    assert!(len <= 90, "pipeline::build is {len} lines (at most 90)");
}
