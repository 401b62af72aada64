//! Agreement with the reference tools on ../shared/corpus (issue "Done when").
//!
//! For every file the corpus README marks "OK", the multiset of (size, sha256) we write must
//! equal the reference tool's in expected.tsv: cabextract for cabinets and executables, 7-Zip
//! for zip, `msiinfo streams` + cabextract (or msiextract when the cabinet is external) for
//! MSI/MSP. For every other file: a non-zero exit that is not a crash, and nothing left in DIR.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{absent_or_empty, code, corpus, json, member_set, slipway};

/// Whether the README's "expected" column says the file must extract.
pub(crate) fn readme_verdicts(corpus: &Path) -> BTreeMap<String, bool> {
    let readme = std::fs::read_to_string(corpus.join("README.md")).expect("corpus README");
    let mut dir = String::new();
    let mut out = BTreeMap::new();
    for line in readme.lines() {
        if let Some(d) = line.strip_prefix("### ") {
            dir = d.trim().to_owned();
            continue;
        }
        if !line.starts_with("| `") {
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `file` | size | what | expected | oracle |
        let (Some(file), Some(expected)) = (cells.get(1), cells.get(4)) else {
            continue;
        };
        let file = file.trim_matches('`');
        out.insert(format!("{dir}{file}"), expected.starts_with("OK"));
    }
    out
}

/// expected.tsv rows: (file, tool) → (outcome, members).
type Oracle = BTreeMap<(String, String), (String, Vec<(u64, String)>)>;

fn oracle(corpus: &Path) -> Oracle {
    let tsv = std::fs::read_to_string(corpus.join("expected.tsv")).expect("expected.tsv");
    let mut out: Oracle = BTreeMap::new();
    for line in tsv.lines().skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        if c.len() < 8 {
            continue;
        }
        let e = out
            .entry((c[0].to_owned(), c[1].to_owned()))
            .or_insert_with(|| (c[2].to_owned(), Vec::new()));
        if !c[5].is_empty() {
            e.1.push((c[6].parse().expect("size"), c[7].to_owned()));
        }
    }
    for v in out.values_mut() {
        v.1.sort();
    }
    out
}

/// The reference members for an OK file.
fn reference(oracle: &Oracle, file: &str, head: &[u8]) -> Option<Vec<(u64, String)>> {
    let row = |tool: &str| oracle.get(&(file.to_owned(), tool.to_owned()));
    let ok = |r: Option<&(String, Vec<(u64, String)>)>| {
        r.filter(|(outcome, _)| outcome == "ok")
            .map(|(_, m)| m.clone())
    };
    match slipway::formats::sniff(head) {
        slipway::formats::Format::CompoundFile => {
            ok(row("msiinfo-streams+cabextract")).or_else(|| ok(row("msiextract")))
        }
        slipway::formats::Format::Zip => ok(row("7zz")),
        _ => ok(row("cabextract")),
    }
}

#[test]
fn corpus_agrees_with_reference_tools() {
    let Some(corpus) = corpus("corpus_agrees_with_reference_tools") else {
        return;
    };
    let verdicts = readme_verdicts(&corpus);
    let oracle = oracle(&corpus);
    assert!(
        verdicts.len() >= 70,
        "README table parse found {}",
        verdicts.len()
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut agree = 0;
    let mut deviations = Vec::new();
    for (i, (file, must_extract)) in verdicts.iter().enumerate() {
        let path = corpus.join(file);
        let head: Vec<u8> = std::fs::read(&path).unwrap().into_iter().take(64).collect();
        let out_dir = tmp.path().join(format!("o{i}"));
        let out = slipway([
            "extract".as_ref(),
            path.as_os_str(),
            "-o".as_ref(),
            out_dir.as_os_str(),
            "--json".as_ref(),
        ]);
        let status = code(&out);
        assert_ne!(
            status,
            101,
            "{file}: slipway panicked:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = json(&out);
        let verdict = if *must_extract {
            let want = reference(&oracle, file, &head)
                .unwrap_or_else(|| panic!("{file}: no successful reference row"));
            if status != 0 {
                Err(format!(
                    "exit {status}: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ))
            } else if member_set(&doc) != want {
                Err(format!(
                    "members differ: ours {:?}, reference {:?}",
                    member_set(&doc),
                    want
                ))
            } else {
                Ok(())
            }
        } else if status == 0 {
            Err("extracted, but the reference says it must fail".to_owned())
        } else if !absent_or_empty(&out_dir) {
            Err(format!(
                "exit {status} but {} is not empty",
                out_dir.display()
            ))
        } else {
            Ok(())
        };
        match verdict {
            Ok(()) => agree += 1,
            Err(why) => deviations.push(format!("{file}: {why}")),
        }
    }
    let total = verdicts.len();
    eprintln!(
        "corpus agreement: {agree}/{total} ({:.1}%)",
        100.0 * agree as f64 / total as f64
    );
    for d in &deviations {
        eprintln!("  deviation: {d}");
    }
    assert!(
        agree * 100 >= total * 95,
        "corpus agreement {agree}/{total} is below 95%:\n{}",
        deviations.join("\n")
    );
}
