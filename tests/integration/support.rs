//! Helpers for running the slipway binary and reading its JSON.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Whether the tests run under CI (`CI` set to anything but `false`/`0`/empty), where no test
/// may skip: what it needs is installed by `.ci/run`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// A test cannot run because `reason`: outside CI it says so and skips; under CI it fails,
/// so a missing corpus or reference tool can never turn a CI run green.
pub fn skip(test: &str, reason: &str) {
    assert!(
        !in_ci(),
        "{test}: {reason}; under CI every test must run (.ci/run provides the corpus and tools)"
    );
    eprintln!("SKIP {test}: {reason}");
}

/// The corpus folder from `SLIPWAY_CORPUS`, or `None` (the test skips; under CI it fails).
pub fn corpus(test: &str) -> Option<PathBuf> {
    match std::env::var_os("SLIPWAY_CORPUS").map(PathBuf::from) {
        Some(p) if p.join("expected.tsv").is_file() => Some(p),
        Some(p) => {
            skip(
                test,
                &format!("SLIPWAY_CORPUS={} has no expected.tsv", p.display()),
            );
            None
        }
        None => {
            skip(
                test,
                "SLIPWAY_CORPUS is not set (CI sets it to ../shared/corpus)",
            );
            None
        }
    }
}

/// Whether the reference tool `tool` runs (`tool --version`); when it does not, the test
/// skips (and fails under CI).
pub fn tool(test: &str, tool: &str) -> bool {
    let ok = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok();
    if !ok {
        skip(
            test,
            &format!("{tool} is not installed (.ci/run installs it)"),
        );
    }
    ok
}

/// The build time every test's builds record (`$SOURCE_DATE_EPOCH`, 2010-01-01T00:00:00Z):
/// two builds of the same inputs are byte-identical, and snapshots stay put.
pub const BUILD_TIME: &str = "1262304000";

/// The slipway binary as a command, with the build time pinned ([`BUILD_TIME`]) and colours
/// left to the flags.
pub fn slipway_cmd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway"));
    cmd.env("SOURCE_DATE_EPOCH", BUILD_TIME)
        .env_remove("NO_COLOR");
    cmd
}

/// Runs `slipway ARGS…` (see [`slipway_cmd`]); with `--json`, the document it prints is
/// validated against the command's published schema (`contract`).
pub fn slipway<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let out = slipway_cmd().args(&args).output().expect("run slipway");
    check_json_run(&args, &out);
    out
}

/// Runs a prepared slipway command (its own directory, environment) and validates its
/// `--json` document like [`slipway`].
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run slipway");
    let args: Vec<&std::ffi::OsStr> = cmd.get_args().collect();
    check_json_run(&args, &out);
    out
}

/// Validates the `--json` document of a run of `args` against its schema (for tests that run
/// the binary themselves).
pub fn check_json_run<S: AsRef<std::ffi::OsStr>>(args: &[S], out: &Output) {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    super::contract::check_run(&args, &out.stdout);
}

/// The exit code; a signal (e.g. a panic's abort) counts as a failure of the test.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("slipway was killed by a signal")
}

/// Parses the one JSON document on stdout.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// (size, sha256) of every member listed in an extract JSON document, sorted.
pub fn member_set(doc: &serde_json::Value) -> Vec<(u64, String)> {
    let mut set: Vec<(u64, String)> = doc["members"]
        .as_array()
        .expect("members array")
        .iter()
        .map(|m| {
            (
                m["size"].as_u64().expect("size"),
                m["sha256"].as_str().expect("sha256").to_owned(),
            )
        })
        .collect();
    set.sort();
    set
}

/// Every regular file below `dir`, relative, `/`-separated, sorted.
pub fn files_below(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(
                    p.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// Whether `dir` is absent or an empty directory.
pub fn absent_or_empty(dir: &Path) -> bool {
    match std::fs::read_dir(dir) {
        Ok(mut rd) => rd.next().is_none(),
        Err(_) => !dir.exists(),
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(data);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a sample set's servers already run, as `build`/`verify` arguments: the Exchange
/// sample's rollups build on Service Pack 1 (8.1.240.6, the catalog's `requires_build`), a full
/// setup that is not among the sample downloads, so the sample organisation declares it as an
/// administrator would (`--baseline`); the other sets need nothing.
pub fn sample_baseline(set: &str) -> &'static [&'static str] {
    match set {
        "exchange-2007" => &["--baseline", "8.1.240.6"],
        _ => &[],
    }
}
