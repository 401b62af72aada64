//! The Windows binary under Wine: slipway.exe, cross-built for `x86_64-pc-windows-gnu`, runs
//! the README's quick start with Windows paths, verifies its output, extracts the corpus
//! byte for byte as the Linux build does, refuses the names Windows forbids as documented,
//! and honours Ctrl-C (exit 130, nothing half-written). Every test compares with the Linux
//! build of the same commit, so what is checked is "the same program on Windows", not a
//! second set of expectations. Needs `wine` and `x86_64-w64-mingw32-gcc` (Debian's `wine`,
//! `wine64`, `gcc-mingw-w64-x86-64`) and the Rust target; skips without them (fails under CI).

mod interrupt;
mod wine;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::fixtures::hostile;
use crate::fixtures::zip::zip;
use crate::support::{absent_or_empty, code, corpus, files_below, sha256_hex, slipway};
use wine::{unix_spelling, win, wine};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the Linux build in `dir`.
fn linux_in(dir: &Path, args: &[String]) -> Output {
    crate::support::slipway_cmd()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run slipway")
}

/// Every file below `dir` (relative, `/`-separated) with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_below(dir)
        .into_iter()
        .map(|f| {
            let bytes = fs::read(dir.join(&f)).expect("read a written file");
            (f, bytes)
        })
        .collect()
}

/// The README's quick start, with the paths a Windows administrator types (`Z:\…`; OUT
/// relative to the current folder as in the README), builds the same source as the Linux
/// build: every placed file, script and document byte for byte; the only difference allowed
/// is an input path echoed in a message (spelt the Windows way), and the two hash lists that
/// record those documents. `verify` of the output passes under Windows and Linux alike (each
/// build verifies the other's), and fails once a placed file is changed.
#[test]
fn windows_quick_start_builds_the_same_source_as_linux() {
    let Some(wine) = wine("windows_quick_start_builds_the_same_source_as_linux") else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let samples = root.join("samples");
    let tmp = tempfile::tempdir().unwrap();
    let (w_dir, l_dir) = (tmp.path().join("windows"), tmp.path().join("linux"));
    fs::create_dir_all(&w_dir).unwrap();
    fs::create_dir_all(&l_dir).unwrap();
    // slipway build DOWNLOADS -o out --product P --media DIR --language-pack C=DIR --farm F
    let args = |spell: &dyn Fn(&Path) -> String| -> Vec<String> {
        vec![
            "build".into(),
            spell(&samples.join("sharepoint-2007")),
            "-o".into(),
            "out".into(),
            "--product".into(),
            "sharepoint-2007".into(),
            "--media".into(),
            spell(&samples.join("media/sharepoint-2007")),
            "--language-pack".into(),
            format!(
                "de-de={}",
                spell(&samples.join("media/sharepoint-2007-de-de"))
            ),
            "--farm".into(),
            spell(&samples.join("farms/sharepoint-2007.toml")),
        ]
    };
    let w_args = args(&|p| win(p));
    assert!(
        w_args
            .iter()
            .skip(1)
            .step_by(2)
            .any(|a| a.starts_with("Z:\\"))
    );
    let w = wine.run_in(&w_dir, &w_args);
    assert_eq!(code(&w), 0, "slipway.exe build: {}", stderr(&w));
    let l = linux_in(&l_dir, &args(&|p| p.display().to_string()));
    assert_eq!(code(&l), 0, "slipway build: {}", stderr(&l));

    let (w_out, l_out) = (w_dir.join("out"), l_dir.join("out"));
    let (w_tree, l_tree) = (tree(&w_out), tree(&l_out));
    assert_eq!(
        w_tree.keys().collect::<Vec<_>>(),
        l_tree.keys().collect::<Vec<_>>(),
        "the two builds wrote different files"
    );
    assert!(w_tree.keys().any(|f| f.starts_with("app-ca/Updates/")));
    // Files that differ only by an input path spelt the Windows way (any file or folder of
    // the samples).
    let mut inputs: Vec<PathBuf> = files_below(&samples)
        .iter()
        .map(|f| samples.join(f))
        .collect();
    inputs.push(samples.clone());
    let hashes = ["SHA256SUMS", "install-manifest.json"];
    let mut echoing = Vec::new();
    for (name, w_bytes) in &w_tree {
        let l_bytes = &l_tree[name];
        if w_bytes == l_bytes || hashes.contains(&name.as_str()) {
            continue;
        }
        let w_text = String::from_utf8(w_bytes.clone())
            .unwrap_or_else(|_| panic!("{name}: binary files differ between the builds"));
        let w_text = unix_spelling(&w_text, &inputs);
        let l_text = String::from_utf8_lossy(l_bytes);
        if let Some((w_line, l_line)) = w_text.lines().zip(l_text.lines()).find(|(w, l)| w != l) {
            panic!("{name} differs beyond an echoed input path:\n{w_line}\n{l_line}");
        }
        assert_eq!(w_text, l_text, "{name} differs beyond an echoed input path");
        echoing.push(name.clone());
    }
    // The manifest: the same after the path spelling, but for its own records of those files.
    let manifest = |t: &BTreeMap<String, Vec<u8>>, spell: bool| {
        let text = String::from_utf8_lossy(&t["install-manifest.json"]).into_owned();
        let text = if spell {
            unix_spelling(&text, &inputs)
        } else {
            text
        };
        let mut doc: serde_json::Value = serde_json::from_str(&text).expect("manifest JSON");
        doc["documents"]
            .as_array_mut()
            .expect("documents")
            .retain(|d| !echoing.iter().any(|e| d["file"] == e.as_str()));
        doc
    };
    assert_eq!(manifest(&w_tree, true), manifest(&l_tree, false));
    // SHA256SUMS: every line right for the Windows tree, and the same as Linux's wherever
    // the file is the same.
    let sums = String::from_utf8(w_tree["SHA256SUMS"].clone()).expect("SHA256SUMS text");
    let l_sums = String::from_utf8_lossy(&l_tree["SHA256SUMS"]).into_owned();
    for line in sums.lines() {
        let (hash, file) = line.split_once("  ").expect("`hash  file` lines");
        assert_eq!(hash, sha256_hex(&w_tree[file]), "SHA256SUMS: {file}");
        if w_tree[file] == l_tree[file] {
            assert!(l_sums.lines().any(|l| l == line), "SHA256SUMS: {line}");
        }
    }

    // `verify` of the output: the Windows build of both outputs, the Linux build of the
    // Windows one.
    for out in [&w_out, &l_out] {
        let v = wine.run([String::from("verify"), win(out)]);
        assert_eq!(
            code(&v),
            0,
            "slipway.exe verify {}: {}",
            win(out),
            stderr(&v)
        );
        assert!(stderr(&v).contains("verify ok"), "{}", stderr(&v));
    }
    let v = slipway([Path::new("verify"), &w_out]);
    assert_eq!(
        code(&v),
        0,
        "slipway verify (Windows output): {}",
        stderr(&v)
    );
    // …and it fails once a placed file is changed.
    let placed = w_tree
        .keys()
        .find(|f| f.ends_with(".msp"))
        .expect("a placed patch");
    let mut bytes = w_tree[placed].clone();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(w_out.join(placed), bytes).unwrap();
    let v = wine.run([String::from("verify"), win(&w_out)]);
    assert_eq!(code(&v), 1, "verify of a changed file: {}", stderr(&v));
}

/// Every corpus file (good and malformed) extracted by slipway.exe under Wine gives the
/// Linux build's exit code and, where it succeeds, the same tree: names and bytes.
#[test]
fn windows_extract_of_the_corpus_matches_linux_byte_for_byte() {
    let test = "windows_extract_of_the_corpus_matches_linux_byte_for_byte";
    let Some(corpus) = corpus(test) else {
        return;
    };
    let Some(wine) = wine(test) else {
        return;
    };
    let mut files: Vec<PathBuf> = files_below(&corpus)
        .into_iter()
        .filter(|f| f.contains('/'))
        .map(|f| corpus.join(f))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no corpus files below {}",
        corpus.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let (mut extracted, mut refused) = (0, 0);
    for (i, file) in files.iter().enumerate() {
        let (w_out, l_out) = (
            tmp.path().join(format!("w{i}")),
            tmp.path().join(format!("l{i}")),
        );
        let w = wine.run([String::from("extract"), win(file), "-o".into(), win(&w_out)]);
        let l = slipway([Path::new("extract"), file, Path::new("-o"), &l_out]);
        let name = file.strip_prefix(&corpus).unwrap().display();
        assert_eq!(
            code(&w),
            code(&l),
            "{name}: exit codes differ\nslipway.exe: {}\nslipway: {}",
            stderr(&w),
            stderr(&l)
        );
        if code(&l) == 0 {
            let (w_tree, l_tree) = (tree(&w_out), tree(&l_out));
            assert_eq!(
                w_tree.keys().collect::<Vec<_>>(),
                l_tree.keys().collect::<Vec<_>>(),
                "{name}: different names"
            );
            for (member, bytes) in &w_tree {
                assert!(bytes == &l_tree[member], "{name}: {member} differs");
            }
            extracted += 1;
        } else {
            assert!(absent_or_empty(&w_out), "{name}: slipway.exe left output");
            refused += 1;
        }
        let _ = fs::remove_dir_all(&w_out);
        let _ = fs::remove_dir_all(&l_out);
    }
    eprintln!(
        "{test}: {} corpus files, {extracted} extracted identically, {refused} refused alike",
        files.len()
    );
    assert!(extracted > 0);
}

/// The names Windows forbids or changes: each archive holding one is refused (exit 2, one
/// error naming the entry), under Windows exactly as under Linux, and nothing is written —
/// no `CON` opened, no `a.` written as `a`. The batch goes on to report every such archive.
#[test]
fn windows_forbidden_names_are_refused_as_on_linux() {
    let Some(wine) = wine("windows_forbidden_names_are_refused_as_on_linux") else {
        return;
    };
    let long = "x".repeat(slipway::safe_path::MAX_NAME_BYTES + 1);
    let names: Vec<&[u8]> = vec![
        b"CON",
        b"nul.txt",
        b"dir/COM1",
        b"aux.tar.gz",
        b"LPT9.log",
        "COM\u{b9}".as_bytes(),
        b"trailing.",
        b"trailing ",
        b"dir./x",
        b"a:b",
        b"C:/windows/x",
        b"star*",
        b"what?",
        b"<less",
        b"more>",
        b"pipe|d",
        b"quote\"d",
        b"../up",
        b"\\\\server\\share\\x",
        b"/rooted",
        b"control\x01",
        long.as_bytes(),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let inputs: Vec<PathBuf> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let p = tmp.path().join(format!("n{i:02}.zip"));
            fs::write(&p, hostile::raw_names_zip(&[(name, b"data")])).unwrap();
            p
        })
        .collect();
    let mut w_args = vec![String::from("extract")];
    w_args.extend(inputs.iter().map(|p| win(p)));
    w_args.extend(["-o".into(), win(&tmp.path().join("out"))]);
    let w = wine.run(&w_args);
    let mut l_args = vec![String::from("extract")];
    l_args.extend(inputs.iter().map(|p| p.display().to_string()));
    l_args.extend(["-o".into(), tmp.path().join("out").display().to_string()]);
    let l = linux_in(tmp.path(), &l_args);
    assert_eq!(code(&w), 2, "{}", stderr(&w));
    assert_eq!(code(&l), 2, "{}", stderr(&l));
    let mut paths = inputs.clone();
    paths.push(tmp.path().join("out"));
    assert_eq!(unix_spelling(&stderr(&w), &paths), stderr(&l));
    let errors = stderr(&w)
        .lines()
        .filter(|l| l.starts_with("error: ") && l.contains(".zip"))
        .count();
    assert!(
        errors >= names.len(),
        "one error per archive:\n{}",
        stderr(&w)
    );
    // Nothing but the inputs, under either spelling of any name.
    let mut left = files_below(tmp.path());
    left.retain(|f| !f.ends_with(".zip"));
    assert_eq!(left, Vec::<String>::new());
    assert!(absent_or_empty(&tmp.path().join("out")));
}

/// Paths longer than Windows' classic 260-character limit are written (the standard
/// library's `\\?\` paths), byte for byte as on Linux; a component longer than Windows file
/// systems take (255) is refused by the path checker, naming the entry (exit 2), and leaves
/// nothing; names that differ
/// only in case meet in one folder, and different bytes under one name (case aside) fail.
#[test]
fn windows_long_paths_and_case_collisions_behave_as_on_linux() {
    let Some(wine) = wine("windows_long_paths_and_case_collisions_behave_as_on_linux") else {
        return;
    };
    let deep = format!("{}/deep.txt", vec!["d".repeat(100); 5].join("/"));
    let component = format!("{}.txt", "c".repeat(300));
    let cases: Vec<(&str, Vec<u8>, i32)> = vec![
        ("deep", zip(&[(deep.as_str(), b"deep")]), 0),
        ("component", zip(&[(component.as_str(), b"long")]), 2),
        (
            "case-folders",
            zip(&[
                ("Dir/a.txt", b"a"),
                ("DIR/b.txt", b"b"),
                ("dir/A.TXT", b"a"),
            ]),
            0,
        ),
        (
            "case-clash",
            zip(&[("x.txt", b"one"), ("X.TXT", b"two")]),
            2,
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (name, bytes, expect) in cases {
        let input = tmp.path().join(format!("{name}.zip"));
        fs::write(&input, bytes).unwrap();
        let (w_out, l_out) = (
            tmp.path().join(format!("w-{name}")),
            tmp.path().join(format!("l-{name}")),
        );
        let w = wine.run([
            String::from("extract"),
            win(&input),
            "-o".into(),
            win(&w_out),
        ]);
        let l = slipway([Path::new("extract"), &input, Path::new("-o"), &l_out]);
        assert_eq!(code(&l), expect, "{name} (Linux): {}", stderr(&l));
        assert_eq!(code(&w), expect, "{name} (Windows): {}", stderr(&w));
        if expect == 0 {
            assert_eq!(tree(&w_out), tree(&l_out), "{name}");
            if name == "deep" {
                assert!(win(&w_out.join(&deep)).len() > 260);
            }
        } else {
            assert!(absent_or_empty(&w_out), "{name}: slipway.exe left output");
        }
        if name == "component" {
            for (os, res) in [("Windows", &w), ("Linux", &l)] {
                let err = stderr(res);
                assert!(
                    err.contains("304 characters long") && err.contains(".txt"),
                    "{os}: {err}"
                );
            }
        }
    }
}
