//! The mirror rule on the shared corpus (issue 20): no intact file is called damaged by any
//! command — inspect, verify, extract (plain and recursive), build — and every malformed one
//! is still refused. Intact and malformed are told apart by the corpus README's "expected"
//! column (`OK…` is intact), cross-checked with the reference tools' outcomes in
//! `expected-summary.tsv`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::real_files::command;
use crate::support::{absent_or_empty, code, corpus, slipway};

/// `(file, intact)` for every file the README's tables list.
fn expectations(corpus: &Path) -> Vec<(String, bool)> {
    crate::corpus::readme_verdicts(corpus).into_iter().collect()
}

/// Whether a reference tool read `file` (expected-summary.tsv: file, tool, outcome, …).
fn a_reference_tool_reads(corpus: &Path, file: &str) -> bool {
    let summary = fs::read_to_string(corpus.join("expected-summary.tsv")).expect("summary");
    summary.lines().any(|l| {
        let c: Vec<&str> = l.split('\t').collect();
        c.first() == Some(&file) && c.get(2) == Some(&"ok")
    })
}

/// Every trace of damage or of an unsupported format: with Quantum decoded, every compression
/// MS-CAB defines is read, so an intact corpus file is neither.
fn damage_in(out: &Output) -> Vec<String> {
    let mut found: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| {
            let l = l.to_lowercase();
            l.contains("damaged")
                || l.contains("download the package again")
                || l.contains("unsupported")
        })
        .map(str::to_owned)
        .collect();
    if let Ok(doc) = serde_json::from_slice::<Value>(&out.stdout) {
        let mut lists = vec![&doc["findings"]];
        lists.extend(
            doc["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| &i["findings"]),
        );
        for f in lists.into_iter().filter_map(Value::as_array).flatten() {
            let text = f.to_string().to_lowercase();
            if f["code"] == "damaged" || text.contains("unsupported") {
                found.push(f.to_string());
            }
        }
    }
    found
}

#[test]
fn corpus_intact_files_are_never_called_damaged_by_any_command() {
    let Some(corpus) = corpus("corpus_intact_files_are_never_called_damaged_by_any_command") else {
        return;
    };
    let files = expectations(&corpus);
    assert!(
        files.len() >= 70,
        "the README lists the corpus: {}",
        files.len()
    );
    let tmp = tempfile::tempdir().unwrap();
    let downloads = tmp.path().join("downloads");
    fs::create_dir(&downloads).unwrap();
    let mut failures = Vec::new();
    let mut intact = 0;
    for (file, _) in files.iter().filter(|(_, ok)| *ok) {
        intact += 1;
        assert!(
            a_reference_tool_reads(&corpus, file),
            "{file}: the README calls it intact, but no reference tool read it"
        );
        let path = corpus.join(file);
        let name = path.file_name().unwrap();
        fs::copy(&path, downloads.join(name)).unwrap();
        for cmd in ["inspect", "verify"] {
            let out = command(cmd, &path, None, &[]);
            failures.extend(
                damage_in(&out)
                    .into_iter()
                    .map(|d| format!("{cmd} {file}: {d}")),
            );
            if code(&out) == 2 {
                failures.push(format!(
                    "{cmd} {file}: refused: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        for (i, extra) in [&[][..], &["--recursive"][..]].iter().enumerate() {
            let dir = tmp.path().join(format!("x{intact}-{i}"));
            let out = command("extract", &path, Some(&dir), extra);
            failures.extend(
                damage_in(&out)
                    .into_iter()
                    .map(|d| format!("extract {extra:?} {file}: {d}")),
            );
            if code(&out) != 0 {
                failures.push(format!(
                    "extract {extra:?} {file}: exit {}: {}",
                    code(&out),
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
    }
    // build: every intact file as a download (findings such as an invalid signature are the
    // verifier's business here, not damage).
    let out_dir: PathBuf = tmp.path().join("out");
    let args: Vec<&std::ffi::OsStr> = vec![
        "build".as_ref(),
        "--json".as_ref(),
        "--allow-findings".as_ref(),
        "--product".as_ref(),
        "sharepoint-2007".as_ref(),
        "--baseline".as_ref(),
        "12.0.6421.1000".as_ref(),
        "-o".as_ref(),
        out_dir.as_os_str(),
        downloads.as_os_str(),
    ];
    let out = slipway(args);
    failures.extend(damage_in(&out).into_iter().map(|d| format!("build: {d}")));
    if code(&out) == 2 {
        failures.push(format!(
            "build refused: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    eprintln!("corpus mirror rule: {intact} intact files, 4 commands each, and one build");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_malformed_files_are_still_refused() {
    let Some(corpus) = corpus("corpus_malformed_files_are_still_refused") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut refused = 0;
    for (i, (file, _)) in expectations(&corpus)
        .iter()
        .filter(|(_, ok)| !*ok)
        .enumerate()
    {
        let dir = tmp.path().join(format!("x{i}"));
        let out = command("extract", &corpus.join(file), Some(&dir), &[]);
        assert_ne!(code(&out), 0, "{file} is malformed but was extracted");
        assert!(absent_or_empty(&dir), "{file}: partial output");
        refused += 1;
    }
    assert!(
        refused >= 25,
        "the README lists the malformed files: {refused}"
    );
}

#[test]
fn point5_corpus_msis_extract_like_msiextract() {
    let Some(corpus) = corpus("point5_corpus_msis_extract_like_msiextract") else {
        return;
    };
    // expected.tsv: file, tool, outcome, exit, count, path, size, sha256.
    let tsv = fs::read_to_string(corpus.join("expected.tsv")).expect("expected.tsv");
    let mut want: std::collections::BTreeMap<&str, Vec<(String, u64, String)>> =
        std::collections::BTreeMap::new();
    for c in tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
    {
        if c.len() >= 8 && c[1] == "msiextract" && c[2] == "ok" && !c[5].is_empty() {
            want.entry(c[0]).or_default().push((
                c[5].to_owned(),
                c[6].parse().expect("size"),
                c[7].to_owned(),
            ));
        }
    }
    assert!(
        want.len() >= 4,
        "msiextract read {} corpus files",
        want.len()
    );
    let tmp = tempfile::tempdir().unwrap();
    for (i, (file, mut rows)) in want.into_iter().enumerate() {
        let out = command(
            "extract",
            &corpus.join(file),
            Some(&tmp.path().join(format!("x{i}"))),
            &[],
        );
        assert_eq!(
            code(&out),
            0,
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut ours: Vec<(String, u64, String)> = doc["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["path"].as_str().unwrap().to_owned(),
                    m["size"].as_u64().unwrap(),
                    m["sha256"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        ours.sort();
        rows.sort();
        assert_eq!(
            ours, rows,
            "{file}: the installed layout differs from msiextract's"
        );
    }
}
