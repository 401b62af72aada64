//! The README is the short workflow page with the two commands and the one exit-code table;
//! reference material is in `docs/`, and every link between them leads somewhere.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::slipway;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The README and every Markdown file of `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    out.extend(docs);
    out
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| anchor(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn the_readme_is_the_workflow_with_one_exit_code_table() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let mut at = 0;
    for heading in [
        "## Workflow",
        "**Download**",
        "**Verify**",
        "**Build**",
        "**Roll out**",
        "**Verify on the server**",
        "### The setup media from the vendor's download",
        "slipway extract",
        "## Quick start",
        "## Exit codes",
        "## Reference",
    ] {
        let found = readme[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("README lacks {heading:?} after byte {at}"));
        at += found + heading.len();
    }
    assert!(readme.lines().count() < 200, "the README is a short page");
    // One exit-code table, in the README, with the codes every man page gives.
    let tables: usize = pages()
        .iter()
        .map(|p| {
            fs::read_to_string(p)
                .unwrap()
                .lines()
                .filter(|l| l.starts_with("| code | meaning |"))
                .count()
        })
        .sum();
    assert_eq!(tables, 1);
    let table: Vec<&str> = readme
        .split("| code | meaning |")
        .nth(1)
        .unwrap()
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split('|').next().unwrap().trim())
        .collect();
    assert_eq!(table, ["0", "1", "2", "130"]);
    let man = String::from_utf8(slipway(["man"]).stdout).unwrap();
    let status = man
        .split("EXIT STATUS")
        .nth(1)
        .expect("man page exit codes");
    for code in &table {
        assert!(
            status.contains(&format!("\\fB{code}\\fR")),
            "man page lacks {code}"
        );
    }
    // `out/`, where the quick start builds, is not committed.
    let ignore = fs::read_to_string(root().join(".gitignore")).unwrap();
    assert!(
        ignore
            .lines()
            .any(|l| l.trim() == "out/" || l.trim() == "/out/")
    );
}

#[test]
fn every_link_of_the_readme_and_docs_leads_somewhere() {
    let mut checked = 0;
    for page in pages() {
        let text = fs::read_to_string(&page).unwrap();
        for (i, _) in text.match_indices("](") {
            let rest = &text[i + 2..];
            let target = &rest[..rest.find(')').unwrap()];
            if target.starts_with("http") {
                continue;
            }
            let (file, frag) = target.split_once('#').unwrap_or((target, ""));
            let dest = if file.is_empty() {
                page.clone()
            } else {
                page.parent().unwrap().join(file)
            };
            assert!(dest.exists(), "{}: {target} does not exist", page.display());
            if !frag.is_empty() {
                let dest_text = fs::read_to_string(&dest).unwrap();
                assert!(
                    anchors(&dest_text).iter().any(|a| a == frag),
                    "{}: no heading for {target}",
                    page.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "{checked} links");
}
