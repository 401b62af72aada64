//! Issue 20: real, intact files are read, never refused or called damaged — one test per
//! point, named after it, on generated fixtures (the shared corpus in `real_corpus.rs`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::fixtures::msi::{MsiBuilder, cabinet, empty_cabinet};
use crate::fixtures::pe::{Arch, PeBuilder, VersionInfo, dos_program};
use crate::support::{code, files_below, json, slipway};

pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

fn run(args: &[&std::ffi::OsStr]) -> Output {
    slipway(args.iter().copied())
}

/// `slipway <command> --json PATH` (and `-o OUT` for extract).
pub(crate) fn command(cmd: &str, path: &Path, out: Option<&Path>, extra: &[&str]) -> Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![cmd.as_ref(), "--json".as_ref(), path.as_os_str()];
    if let Some(out) = out {
        args.push("-o".as_ref());
        args.push(out.as_os_str());
    }
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    run(&args)
}

/// Every finding code of a JSON document (top level and per item).
pub(crate) fn finding_codes(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut visit = |list: &Value| {
        for f in list.as_array().into_iter().flatten() {
            if let Some(c) = f["code"].as_str() {
                out.push(c.to_owned());
            }
        }
    };
    visit(&doc["findings"]);
    for item in doc["items"].as_array().into_iter().flatten() {
        visit(&item["findings"]);
    }
    out
}

/// The mirror rule for one run: no damage exit, no `damaged` finding, no "damaged" or
/// "download the package again" on stderr.
pub(crate) fn assert_not_damaged(what: &str, out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(code(out), 2, "{what}: refused\n{stderr}");
    let text = stderr.to_lowercase();
    assert!(
        !text.contains("damaged") && !text.contains("download the package again"),
        "{what}: called damaged\n{stderr}"
    );
    if let Ok(doc) = serde_json::from_slice::<Value>(&out.stdout) {
        assert!(
            !finding_codes(&doc).iter().any(|c| c == "damaged"),
            "{what}: a damaged finding\n{doc:#}"
        );
    }
}

/// inspect, verify and extract (plain and recursive) of one file: none calls it damaged.
pub(crate) fn assert_read_by_every_command(path: &Path) {
    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["inspect", "verify"] {
        let out = command(cmd, path, None, &[]);
        assert_not_damaged(&format!("{cmd} {}", path.display()), &out);
    }
    for (i, extra) in [&[][..], &["--recursive"][..]].iter().enumerate() {
        let dir = tmp.path().join(format!("out{i}"));
        let out = command("extract", path, Some(&dir), extra);
        assert_not_damaged(&format!("extract {extra:?} {}", path.display()), &out);
        assert_eq!(
            code(&out),
            0,
            "extract {extra:?} {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn package(name: &str, build: &str, members: &[(&str, &[u8])]) -> Vec<u8> {
    PeBuilder::new(Arch::X86)
        .version_info(VersionInfo {
            file_version: build.into(),
            product_version: build.into(),
            original_filename: name.into(),
            ..VersionInfo::default()
        })
        .cabinet_resource(cabinet(members))
        .build()
}

const OCT: &str = "12.0.6520.5000";

/// A WSS October 2009 patch whose only cabinet is empty (a transform that changes no file).
fn patch_with_empty_cabinet() -> Vec<u8> {
    MsiBuilder::patch()
        .patch_metadata(None, "KBArticle Number", "KB975002")
        .patch_metadata(None, "StdPackageName", "sts-x-none.msp")
        .patch_sequence("STS", None, OCT)
        .patch_cabinet("sts", empty_cabinet())
        .build()
}

#[test]
fn point2_an_empty_cabinet_is_valid_in_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let cab = write(tmp.path(), "empty.cab", &empty_cabinet());
    assert_read_by_every_command(&cab);
    let out = command("extract", &cab, Some(&tmp.path().join("x")), &[]);
    assert_eq!(json(&out)["members"].as_array().map(Vec::len), Some(0));
}

#[test]
fn point2_a_patch_with_an_empty_cabinet_reports_its_facts_and_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let downloads = tmp.path().join("downloads");
    fs::create_dir(&downloads).unwrap();
    let msp = patch_with_empty_cabinet();
    let exe = package(
        "wss-kb975002-fullfile-x86-glb.exe",
        OCT,
        &[("sts-x-none.msp", &msp)],
    );
    let pkg = write(&downloads, "wss-kb975002-fullfile-x86-glb.exe", &exe);
    assert_read_by_every_command(&pkg);

    let doc = json(&command("inspect", &pkg, None, &[]));
    let items = doc["items"].as_array().unwrap();
    let patch = items
        .iter()
        .find(|i| i["name"] == "sts-x-none.msp")
        .unwrap_or_else(|| panic!("the patch is listed: {doc:#}"));
    assert_eq!(patch["patch"]["kb"], "975002", "{patch:#}");
    assert_eq!(patch["patch"]["build"], OCT, "{patch:#}");

    let out_dir = tmp.path().join("out");
    let res = slipway([
        "build".as_ref(),
        "--json".as_ref(),
        "--product".as_ref(),
        "sharepoint-2007".as_ref(),
        "--baseline".as_ref(),
        "12.0.6421.1000".as_ref(),
        "-o".as_ref(),
        out_dir.as_os_str(),
        downloads.as_os_str(),
    ] as [&std::ffi::OsStr; 9]);
    assert_not_damaged("build", &res);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    assert!(
        files_below(&out_dir)
            .iter()
            .any(|f| f.ends_with("Updates/sts-x-none.msp")),
        "{:?}",
        files_below(&out_dir)
    );
}

#[test]
fn point3_a_dos_executable_member_is_a_plain_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dos = dos_program(3000);
    let cab = write(
        tmp.path(),
        "tools.cab",
        &cabinet(&[("readme.txt", b"hello"), ("DOSTOOL.EXE", &dos)]),
    );
    assert_read_by_every_command(&cab);
    let dir = tmp.path().join("x");
    let out = command("extract", &cab, Some(&dir), &["--recursive"]);
    assert_eq!(code(&out), 0);
    assert_eq!(files_below(&dir), vec!["DOSTOOL.EXE", "readme.txt"]);
    assert_eq!(fs::read(dir.join("DOSTOOL.EXE")).unwrap(), dos);
    // An executable that really is a PE and is cut stays damage.
    let pe = PeBuilder::new(Arch::X86).build();
    let cut = write(tmp.path(), "cut.exe", &pe[..pe.len() - 100]);
    let out = command("inspect", &cut, None, &[]);
    assert!(
        finding_codes(&json(&out)).iter().any(|c| c == "damaged") || code(&out) == 2,
        "a cut PE is damaged: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
