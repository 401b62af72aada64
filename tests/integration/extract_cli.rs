//! `slipway extract` end to end: layout, safety rules, budgets, exit codes, JSON contract.

use std::fs;
use std::path::{Path, PathBuf};

use crate::fixtures::zip::zip;
use crate::support::{absent_or_empty, code, files_below, json, sha256_hex, slipway};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

fn extract(inputs: &[&Path], out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<std::ffi::OsString> = vec!["extract".into()];
    args.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
    args.push("-o".into());
    args.push(out.as_os_str().to_owned());
    args.extend(extra.iter().map(Into::into));
    slipway(args)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn one_input_lands_directly_in_the_output_with_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = write(
        tmp.path(),
        "pkg.zip",
        &zip(&[("a.txt", b"alpha"), (r"dir/b.txt", b"beta")]),
    );
    let out = tmp.path().join("out");
    let res = extract(&[&pkg], &out, &["--json"]);
    assert_eq!(code(&res), 0, "{}", stderr(&res));
    assert_eq!(files_below(&out), vec!["a.txt", "dir/b.txt"]);
    let doc = json(&res);
    assert_eq!(doc["ok"], true);
    let members = doc["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0]["path"], "a.txt");
    assert_eq!(members[0]["size"], 5);
    assert_eq!(members[0]["sha256"], sha256_hex(b"alpha"));
    assert_eq!(members[1]["origin"][1], "dir/b.txt");
    assert!(
        members[1]["origin"][0]
            .as_str()
            .unwrap()
            .ends_with("pkg.zip")
    );
}

#[test]
fn several_inputs_each_get_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(tmp.path(), "a.zip", &zip(&[("x", b"1")]));
    let b = write(tmp.path(), "b.zip", &zip(&[("x", b"2")]));
    let out = tmp.path().join("out");
    let res = extract(&[&a, &b], &out, &[]);
    assert_eq!(code(&res), 0, "{}", stderr(&res));
    assert_eq!(files_below(&out), vec!["a.zip/x", "b.zip/x"]);
}

#[test]
fn traversal_names_are_refused_and_nothing_is_written() {
    for evil in [
        "../evil.txt",
        "/abs.txt",
        r"..\evil.txt",
        "C:/x.txt",
        "CON.txt",
        "a/../../b",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let pkg = write(
            tmp.path(),
            "evil.zip",
            &zip(&[("good.txt", b"ok"), (evil, b"bad")]),
        );
        let out = tmp.path().join("out");
        let res = extract(&[&pkg], &out, &[]);
        assert_eq!(code(&res), 2, "{evil}: {}", stderr(&res));
        let msg = stderr(&res);
        assert!(msg.contains("refused entry name"), "{evil}: {msg}");
        assert!(msg.contains("evil.zip"), "{evil}: origin missing in {msg}");
        assert!(absent_or_empty(&out), "{evil}: output left behind");
        let mut siblings: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        siblings.sort();
        assert_eq!(
            siblings,
            vec!["evil.zip"],
            "{evil}: something written outside the output"
        );
    }
}

/// The modes that print digests (`--json`, `-v`) and the ones that do not (nothing, `-q`):
/// without them no member is hashed as it is written, so two members on one path are
/// compared by digests computed for them alone.
const DIGEST_MODES: [&[&str]; 4] = [&[], &["-q"], &["--json"], &["-v"]];

#[test]
fn case_insensitive_collisions_with_other_bytes_fail() {
    for mode in DIGEST_MODES {
        let tmp = tempfile::tempdir().unwrap();
        // The same size: only the bytes tell them apart.
        let pkg = write(
            tmp.path(),
            "p.zip",
            &zip(&[("Setup.DLL", b"one"), ("setup.dll", b"two")]),
        );
        let out = tmp.path().join("out");
        let res = extract(&[&pkg], &out, mode);
        assert_eq!(code(&res), 2, "{mode:?}");
        assert!(
            stderr(&res).contains("collides"),
            "{mode:?}: {}",
            stderr(&res)
        );
        assert!(absent_or_empty(&out), "{mode:?}");
    }
}

#[test]
fn identical_duplicates_are_written_once_with_a_note() {
    for mode in DIGEST_MODES {
        let tmp = tempfile::tempdir().unwrap();
        // Large enough to stream through the writing threads, small enough to be quick.
        let big: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        let pkg = write(
            tmp.path(),
            "p.zip",
            &zip(&[
                ("dir/a.txt", b"same"),
                ("DIR/A.txt", b"same"),
                ("big.bin", &big),
                ("BIG.BIN", &big),
            ]),
        );
        let out = tmp.path().join("out");
        let res = extract(&[&pkg], &out, mode);
        assert_eq!(code(&res), 0, "{mode:?}: {}", stderr(&res));
        assert_eq!(files_below(&out), vec!["big.bin", "dir/a.txt"], "{mode:?}");
        assert_eq!(fs::read(out.join("big.bin")).unwrap(), big, "{mode:?}");
        if mode == ["--json"] {
            let doc = json(&res);
            assert_eq!(doc["notes"][0]["code"], "duplicate-identical");
            assert_eq!(doc["notes"][1]["code"], "duplicate-identical");
            assert_eq!(doc["members"][0]["sha256"], sha256_hex(&big));
        }
    }
}

/// A digest nobody reads is not computed: a run that prints none hashes nothing, and one
/// that prints them prints the digests of the bytes written.
#[test]
fn digests_are_computed_only_for_a_run_that_reports_them() {
    use slipway::extract::{self, NoProgress, Options};
    static NEVER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let tmp = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..600_000u32).map(|i| (i % 241) as u8).collect();
    let pkg = write(
        tmp.path(),
        "p.zip",
        &zip(&[("a.txt", b"alpha"), ("big.bin", &big)]),
    );
    for skip in [false, true] {
        let out = tmp.path().join(format!("out-{skip}"));
        let opts = Options {
            skip_digests: skip,
            ..Options::default()
        };
        let report =
            extract::run(std::slice::from_ref(&pkg), &out, &opts, &NoProgress, &NEVER).unwrap();
        let got: Vec<(String, String)> = report
            .members
            .iter()
            .map(|m| (m.path.clone(), m.sha256.to_string()))
            .collect();
        let want: Vec<(String, String)> = if skip {
            vec![
                ("a.txt".into(), "0".repeat(64)),
                ("big.bin".into(), "0".repeat(64)),
            ]
        } else {
            vec![
                ("a.txt".into(), sha256_hex(b"alpha")),
                ("big.bin".into(), sha256_hex(&big)),
            ]
        };
        assert_eq!(got, want, "skip {skip}");
        assert_eq!(fs::read(out.join("big.bin")).unwrap(), big, "skip {skip}");
    }
    // The command line asks for digests with --json and -v only.
    let out = tmp.path().join("cli");
    let res = extract(&[&pkg], &out, &["-v"]);
    assert_eq!(code(&res), 0, "{}", stderr(&res));
    let stdout = String::from_utf8_lossy(&res.stdout);
    assert!(
        stdout.contains(&format!("{}  big.bin", sha256_hex(&big))),
        "{stdout}"
    );
}

#[test]
fn a_file_and_a_folder_of_the_same_name_collide() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = write(
        tmp.path(),
        "p.zip",
        &zip(&[("x", b"file"), ("X/y", b"below")]),
    );
    let out = tmp.path().join("out");
    let res = extract(&[&pkg], &out, &[]);
    assert_eq!(code(&res), 2);
    assert!(absent_or_empty(&out));
}

#[test]
fn non_empty_output_is_refused_without_force_and_replaced_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = write(tmp.path(), "p.zip", &zip(&[("new.txt", b"new")]));
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("old.txt"), b"old").unwrap();
    let res = extract(&[&pkg], &out, &["--json"]);
    assert_eq!(code(&res), 2);
    let doc = json(&res);
    assert_eq!(doc["error"]["code"], "output-not-empty");
    assert_eq!(files_below(&out), vec!["old.txt"]);
    let res = extract(&[&pkg], &out, &["--force"]);
    assert_eq!(code(&res), 0, "{}", stderr(&res));
    assert_eq!(files_below(&out), vec!["new.txt"]);
}

#[test]
fn budgets_stop_the_run_and_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = write(
        tmp.path(),
        "p.zip",
        &zip(&[("a", &[0u8; 4096]), ("b", b"x")]),
    );
    for (flag, value, needle) in [
        ("--max-size", "1K", "size budget"),
        ("--max-entries", "1", "more than 1 members"),
    ] {
        let out = tmp.path().join(format!("out{flag}"));
        let res = extract(&[&pkg], &out, &[flag, value]);
        assert_eq!(code(&res), 2, "{flag}");
        assert!(stderr(&res).contains(needle), "{flag}: {}", stderr(&res));
        assert!(absent_or_empty(&out));
    }
}

#[test]
fn recursive_unpacks_nested_archives_beside_them_within_the_depth_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let inner = zip(&[("deep.txt", b"deep")]);
    let middle = zip(&[("inner.zip", &inner)]);
    let pkg = write(tmp.path(), "outer.zip", &zip(&[("middle.zip", &middle)]));

    let out = tmp.path().join("flat");
    assert_eq!(code(&extract(&[&pkg], &out, &[])), 0);
    assert_eq!(files_below(&out), vec!["middle.zip"]);

    let out = tmp.path().join("deep");
    let res = extract(&[&pkg], &out, &["--recursive", "--json"]);
    assert_eq!(code(&res), 0, "{}", stderr(&res));
    assert_eq!(
        files_below(&out),
        vec![
            "middle.zip",
            "middle.zip.extracted/inner.zip",
            "middle.zip.extracted/inner.zip.extracted/deep.txt"
        ]
    );
    let doc = json(&res);
    let deep = &doc["members"][2];
    assert_eq!(deep["origin"].as_array().unwrap().len(), 4);

    let out = tmp.path().join("shallow");
    let res = extract(&[&pkg], &out, &["--recursive", "--max-depth", "1"]);
    assert_eq!(code(&res), 2);
    assert!(stderr(&res).contains("depth budget"), "{}", stderr(&res));
    assert!(absent_or_empty(&out));
}

#[test]
fn unreadable_and_unknown_inputs_fail_with_their_name_and_finish_the_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let junk = write(tmp.path(), "junk.bin", b"this is not an archive at all");
    let good = write(tmp.path(), "good.zip", &zip(&[("a", b"a")]));
    let missing = tmp.path().join("missing.cab");
    let out = tmp.path().join("out");
    let res = extract(&[&junk, &good, &missing], &out, &["--json"]);
    assert_eq!(code(&res), 2);
    let msg = stderr(&res);
    assert!(
        msg.contains("junk.bin") && msg.contains("missing.cab"),
        "{msg}"
    );
    let doc = json(&res);
    assert_eq!(doc["inputs"][0]["error"]["code"], "format-error");
    assert!(doc["inputs"][1]["error"].is_null());
    assert_eq!(doc["inputs"][2]["error"]["code"], "read-error");
    assert!(absent_or_empty(&out));
}

#[test]
fn encrypted_zip_members_get_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    use zip::unstable::write::FileOptionsExt;
    let opts = zip::write::SimpleFileOptions::default()
        .with_deprecated_encryption(b"secret")
        .unwrap();
    w.start_file("s.txt", opts).unwrap();
    std::io::Write::write_all(&mut w, b"hidden").unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let pkg = write(tmp.path(), "enc.zip", &bytes);
    let res = extract(&[&pkg], &tmp.path().join("out"), &[]);
    assert_eq!(code(&res), 2);
    assert!(stderr(&res).contains("encrypted"), "{}", stderr(&res));
}

#[test]
fn completions_and_man_page_are_generated() {
    let res = slipway(["completions", "bash"]);
    assert_eq!(code(&res), 0);
    assert!(String::from_utf8_lossy(&res.stdout).contains("slipway"));
    let res = slipway(["man"]);
    assert_eq!(code(&res), 0);
    assert!(String::from_utf8_lossy(&res.stdout).contains(".TH"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&slipway(["extract"])), 2);
    assert_eq!(
        code(&slipway(["extract", "x", "-o", "y", "--max-size", "lots"])),
        2
    );
    assert_eq!(code(&slipway(["frobnicate"])), 2);
}

#[test]
fn an_interrupted_run_cleans_up_and_reports_it() {
    use std::sync::atomic::AtomicBool;

    use slipway::extract::{NoProgress, Options, run};

    let tmp = tempfile::tempdir().unwrap();
    let pkg = write(tmp.path(), "p.zip", &zip(&[("a", b"a"), ("b", b"b")]));
    let out = tmp.path().join("out");
    static INTERRUPTED: AtomicBool = AtomicBool::new(true);
    let report = run(&[pkg], &out, &Options::default(), &NoProgress, &INTERRUPTED).unwrap();
    assert!(report.interrupted);
    assert!(!report.committed);
    assert!(report.members.is_empty());
    assert!(absent_or_empty(&out));
}

/// Regression: with a relative `-o`, `--force` removed the staging folder itself (its
/// absolute path never equalled the relative entries) and lost both old and new content.
#[test]
fn regression_force_with_a_relative_output_keeps_the_new_content() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "p.zip", &zip(&[("new.txt", b"new")]));
    fs::create_dir(tmp.path().join("rel-out")).unwrap();
    fs::write(tmp.path().join("rel-out/old.txt"), b"old").unwrap();
    let res = crate::support::slipway_cmd()
        .current_dir(tmp.path())
        .args(["extract", "p.zip", "-o", "rel-out", "--force"])
        .output()
        .unwrap();
    assert_eq!(code(&res), 0, "{}", stderr(&res));
    assert_eq!(files_below(&tmp.path().join("rel-out")), vec!["new.txt"]);
}

/// Regression: `--force` must never delete inputs that live inside the output directory.
#[test]
fn regression_inputs_inside_the_output_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    let pkg = write(&out, "p.zip", &zip(&[("a", b"a")]));
    let res = extract(&[&pkg], &out, &["--force"]);
    assert_eq!(code(&res), 2);
    assert!(
        stderr(&res).contains("inside the output"),
        "{}",
        stderr(&res)
    );
    assert!(pkg.exists(), "the input is untouched");
}

/// `--threads` changes how the work is spread, never what is written or reported: one
/// thread, two (writing and hashing threads) and four (a decoding thread too) give the same
/// files and the same JSON, duplicates (written again, digest reused) and a damaged cabinet
/// (the same error for the same member) included.
#[test]
fn extract_output_is_the_same_whatever_the_threads() {
    use crate::fixtures::lzx::{BlockKind, LzxFolder, LzxOptions, lzx_cabinet};
    let tmp = tempfile::tempdir().unwrap();
    let a = crate::cab::data(11, 300_000, 1);
    let folder = LzxFolder {
        options: LzxOptions::new(16).blocks(&[BlockKind::Verbatim], 60_000),
        files: vec![
            ("a.bin".into(), a.clone()),
            ("b.bin".into(), crate::cab::data(12, 90_000, 0)),
            ("copy.bin".into(), vec![1; 4]),
        ],
    };
    let mut bytes = lzx_cabinet(&[folder]);
    // "copy.bin" lists the bytes of "a.bin" (same offset and size), as MSI cabinets do.
    let at = crate::cab::cffile_offsets(&bytes);
    let field = bytes[at[0]..at[0] + 8].to_vec();
    bytes[at[2]..at[2] + 8].copy_from_slice(&field);
    let good = write(tmp.path(), "good.cab", &bytes);
    let mut damaged = bytes.clone();
    let n = damaged.len();
    damaged[n - 100] ^= 0x40;
    let bad = write(tmp.path(), "bad.cab", &damaged);
    let mut seen: Vec<(Vec<String>, String, i32)> = Vec::new();
    for threads in ["1", "2", "4"] {
        let out = tmp.path().join(format!("out{threads}"));
        let res = extract(&[&good], &out, &["--json", "--threads", threads]);
        assert_eq!(code(&res), 0, "{}", stderr(&res));
        assert_eq!(fs::read(out.join("copy.bin")).unwrap(), a);
        let doc = json(&res)
            .to_string()
            .replace(&format!("out{threads}"), "out");
        let bad_out = tmp.path().join(format!("bad{threads}"));
        let res = extract(&[&bad], &bad_out, &["--threads", threads]);
        assert!(absent_or_empty(&bad_out));
        seen.push((
            files_below(&out),
            doc + &stderr(&res).replace(&format!("bad{threads}"), "bad"),
            code(&res),
        ));
    }
    assert!(seen.iter().all(|s| *s == seen[0]), "{seen:#?}");
    assert_eq!(seen[0].2, 2, "the damaged cabinet fails: {}", seen[0].1);
    assert!(
        seen[0].1.contains("a.bin") || seen[0].1.contains("b.bin"),
        "{}",
        seen[0].1
    );
}

/// Several inputs are walked side by side with `--threads` above 1; the report (members,
/// notes, each input's outcome, in input order) and the files are those of one thread.
#[test]
fn several_inputs_side_by_side_report_as_one_after_another() {
    let tmp = tempfile::tempdir().unwrap();
    let mut inputs = Vec::new();
    for i in 0..5u8 {
        let a = crate::cab::data(u64::from(i), 50_000 + usize::from(i) * 1000, 1);
        let entries: Vec<(String, Vec<u8>)> = vec![
            (format!("dir/{i}.txt"), a.clone()),
            // The same name twice with the same bytes: written once, with a note.
            ("same.txt".into(), vec![i; 10]),
            ("SAME.txt".into(), vec![i; 10]),
        ];
        let refs: Vec<(&str, &[u8])> = entries
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        inputs.push(write(tmp.path(), &format!("in{i}.zip"), &zip(&refs)));
    }
    // One input is not an archive at all: it fails, the others are still read and reported.
    inputs.push(write(
        tmp.path(),
        "not-an-archive.bin",
        b"plain bytes, no archive",
    ));
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let mut seen = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = tmp.path().join(format!("out{threads}"));
        let res = extract(&refs, &out, &["--json", "--threads", threads]);
        assert_eq!(code(&res), 2, "{}", stderr(&res));
        assert!(absent_or_empty(&out));
        let doc = json(&res)
            .to_string()
            .replace(&format!("out{threads}"), "out");
        seen.push(doc);
        // Without the bad input the run succeeds, with the same files whatever the threads.
        let good = tmp.path().join(format!("good{threads}"));
        let res = extract(&refs[..5], &good, &["--json", "--threads", threads]);
        assert_eq!(code(&res), 0, "{}", stderr(&res));
        let doc = json(&res);
        assert_eq!(doc["notes"].as_array().map(Vec::len), Some(5), "{doc}");
        seen.push(doc.to_string().replace(&format!("good{threads}"), "good"));
        seen.push(files_below(&good).join("\n"));
    }
    for (i, s) in seen.iter().enumerate().skip(3) {
        assert_eq!(s, &seen[i % 3], "--threads changed the outcome");
    }
}
