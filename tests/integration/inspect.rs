//! `slipway inspect`: real and synthetic packages round-trip through it, name/content
//! disagreements become findings, damaged input never crashes it.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::facts::{OTHER_TARGET, SUPERSEDED, full_patch, have_msiinfo, idt_lines, msiinfo};
use crate::fixtures::msi::{FIXTURE_PRODUCT_CODE, MsiBuilder, cabinet};
use crate::fixtures::pe::{Arch, PeBuilder, VersionInfo};
use crate::support::{code, corpus, json, slipway};

fn inspect(paths: &[&Path]) -> (i32, Value, String) {
    let mut args: Vec<std::ffi::OsString> = vec!["inspect".into(), "--json".into()];
    args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
    let out = slipway(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (code(&out), json(&out), stderr)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

fn codes(item: &Value) -> Vec<String> {
    item["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

/// A package wrapper like the real ones: PE with a version resource and the cabinet in
/// `RCDATA/CABINET`.
fn wrapper(arch: Arch, name: &str, build: &str, members: &[(&str, &[u8])]) -> Vec<u8> {
    PeBuilder::new(arch)
        .version_info(VersionInfo {
            file_version: build.into(),
            product_version: build.into(),
            original_filename: name.into(),
            ..VersionInfo::default()
        })
        .cabinet_resource(cabinet(members))
        .build()
}

#[test]
fn synthetic_package_and_patch_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let msp = full_patch();
    let exe = wrapper(
        Arch::X64,
        "wss-kb975002-fullfile-x64-glb.exe",
        "12.0.6520.5000",
        &[("sts-x-none.msp", &msp)],
    );
    let path = write(tmp.path(), "wss-kb975002-fullfile-x64-glb.exe", &exe);
    let (status, doc, stderr) = inspect(&[&path]);
    assert_eq!(status, 0, "{stderr}");
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{doc:#}");

    let pkg = &items[0];
    assert_eq!(pkg["kind"], "package-exe");
    assert_eq!(pkg["kb"], "975002");
    assert_eq!(pkg["arch"], "x64");
    assert_eq!(pkg["scope"], "global");
    assert_eq!(pkg["build"], "12.0.6520.5000");
    assert_eq!(pkg["pe"]["file_version"], "12.0.6520.5000");
    assert_eq!(
        pkg["pe"]["original_filename"],
        "wss-kb975002-fullfile-x64-glb.exe"
    );
    assert_eq!(pkg["pe"]["machine"], "x64");
    assert_eq!(pkg["pe"]["signed"], false);
    assert_eq!(pkg["depth"], 0);

    let patch = &items[1];
    assert_eq!(patch["depth"], 1);
    assert_eq!(patch["kind"], "patch-msp");
    assert_eq!(patch["family"], "sts");
    assert_eq!(patch["origin"][1], "[pe rsrc RCDATA/CABINET]");
    assert_eq!(patch["origin"][2], "sts-x-none.msp");
    let p = &patch["patch"];
    assert_eq!(p["kb"], "975002");
    assert_eq!(p["build"], "12.0.6520.5000");
    assert_eq!(p["supersedes"], serde_json::json!([SUPERSEDED]));
    assert_eq!(
        p["targets"],
        serde_json::json!([FIXTURE_PRODUCT_CODE, OTHER_TARGET])
    );
    let families: Vec<(String, String)> = p["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["family"].as_str().unwrap().into(),
                f["sequence"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        families,
        vec![
            ("STS".into(), "12.0.6520.5000".into()),
            ("STS".into(), "12.0.6514.5000".into()),
            ("WSSMUI".into(), "12.0".into())
        ]
    );
    let meta = p["metadata"].as_array().unwrap();
    assert_eq!(meta.len(), 4);
    let row = |property: &str| meta.iter().find(|m| m["property"] == property).unwrap();
    assert_eq!(row("KBArticle Number")["value"], "KB975002");
    assert!(row("KBArticle Number")["company"].is_null());
    assert_eq!(row("Flavor")["company"], "Microsoft");
    assert_eq!(row("Flavor")["value"], "x-none");
    assert!(codes(pkg).is_empty() && codes(patch).is_empty(), "{doc:#}");
    assert!(doc["findings"].as_array().unwrap().is_empty());
}

#[test]
fn disagreements_between_name_and_content_are_findings() {
    let tmp = tempfile::tempdir().unwrap();
    // KB and StdPackageName: the patch says KB975002 / sts-x-none.msp.
    let renamed = write(tmp.path(), "sts-kb123456-x-none.msp", &full_patch());
    // Language: ProductLanguage 1031 (de-de) in an MSI named en-us.
    let msi = MsiBuilder::installer()
        .property("ProductLanguage", "1031")
        .embedded_cabinet("a.cab", cabinet(&[("a", b"a")]))
        .build();
    let german = write(tmp.path(), "lp-kb111111-fullfile-x86-en-us.msi", &msi);
    // Arch: a 64-bit image named x86, holding a patch named for x86 in an x64-named package.
    let inner = MsiBuilder::patch()
        .patch_metadata(None, "StdPackageName", "coreserver-x86-none.msp")
        .build();
    let exe = PeBuilder::new(Arch::X64)
        .cabinet_resource(cabinet(&[("mui-kb222222-x64-de-de.msp", &inner)]))
        .build();
    let mixed = write(tmp.path(), "office-kb222222-fullfile-x86-en-us.exe", &exe);
    let (status, doc, stderr) = inspect(&[&renamed, &german, &mixed]);
    assert_eq!(status, 0, "warnings do not fail inspect: {stderr}");
    let items = doc["items"].as_array().unwrap();
    assert_eq!(
        codes(&items[0]),
        vec!["kb-mismatch", "std-package-name-mismatch"],
        "{:#}",
        items[0]
    );
    assert_eq!(
        codes(&items[1]),
        vec!["language-mismatch"],
        "{:#}",
        items[1]
    );
    assert_eq!(codes(&items[2]), vec!["arch-mismatch"], "{:#}", items[2]);
    let nested = &items[3];
    assert_eq!(
        codes(nested),
        vec![
            "std-package-name-mismatch",
            "arch-mismatch",
            "language-mismatch"
        ],
        "{nested:#}"
    );
    assert!(stderr.contains("[kb-mismatch]"), "{stderr}");
    assert_eq!(doc["findings"].as_array().unwrap().len(), 7);
}

#[test]
fn damaged_containers_and_unreadable_metadata_are_findings_not_crashes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cab = cabinet(&[("x.msp", &full_patch())]);
    let n = cab.len();
    cab[n - 10] ^= 0xFF;
    let broken = write(tmp.path(), "broken-kb975002-fullfile-x86-glb.cab", &cab);
    let mut msp = full_patch();
    msp.truncate(1200);
    let cut = write(tmp.path(), "cut-x-none.msp", &msp);
    let (status, doc, stderr) = inspect(&[&broken, &cut]);
    assert_eq!(status, 1, "a damaged package is an error finding: {stderr}");
    let items = doc["items"].as_array().unwrap();
    assert_eq!(codes(&items[0]), vec!["damaged"]);
    let last = items.last().unwrap();
    assert_eq!(last["name"], "cut-x-none.msp");
    // Its summary and tables are unreadable, and so is its cabinet stream.
    assert_eq!(codes(last), vec!["metadata-unreadable", "damaged"]);
    assert!(last["patch"].is_null());
}

#[test]
fn names_mode_touches_no_file() {
    let out = slipway([
        "inspect",
        "--names",
        "--json",
        "/no/such/dir/wssv3sp2-kb953338-x64-fullfile-de-de.exe",
        "coreservermui-en-us.msp",
    ]);
    assert_eq!(code(&out), 0);
    let doc = json(&out);
    let items = doc["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kb"], "953338");
    assert_eq!(items[0]["language"], "de-de");
    assert_eq!(items[0]["arch"], "x64");
    assert_eq!(items[1]["family"], "coreservermui");
    assert_eq!(items[1]["scope"], "localized");
    let keys: Vec<&String> = items[1].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        vec![
            "arch", "family", "kb", "kind", "language", "name", "product", "reasons", "release",
            "scope", "sha1"
        ]
    );
}

#[test]
fn missing_input_is_fatal_and_still_one_document() {
    let (status, doc, stderr) = inspect(&[Path::new("/no/such/file.exe")]);
    assert_eq!(status, 2);
    assert!(stderr.contains("/no/such/file.exe"), "{stderr}");
    assert_eq!(doc["errors"][0]["error"]["code"], "read-error");
}

#[test]
fn wpf_patch_inspect_json_equals_msiinfo() {
    let Some(corpus) = corpus("wpf_patch_inspect_json_equals_msiinfo") else {
        return;
    };
    if !have_msiinfo("wpf_patch_inspect_json_equals_msiinfo") {
        return;
    }
    let path = corpus.join("lessmsi/WPF2_32.msp");
    let (status, doc, stderr) = inspect(&[&path]);
    assert_eq!(status, 0, "{stderr}");
    let patch = &doc["items"][0]["patch"];

    let suminfo = msiinfo(&["suminfo".as_ref(), path.as_os_str()]).unwrap();
    let field = |label: &str| {
        suminfo
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap_or_default()
            .to_owned()
    };
    let revision = field("Revision number (UUID): ");
    assert_eq!(patch["patch_code"].as_str().unwrap(), &revision[..38]);
    let targets: Vec<String> = field("Template: ").split(';').map(str::to_owned).collect();
    assert_eq!(patch["targets"], serde_json::json!(targets));

    let export = |table: &str| {
        let out = msiinfo(&["export".as_ref(), path.as_os_str(), table.as_ref()]).unwrap();
        idt_lines(&out).split_off(3)
    };
    let families: Vec<Vec<String>> = patch["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            vec![
                f["family"].as_str().unwrap_or_default().to_owned(),
                f["product_code"].as_str().unwrap_or_default().to_owned(),
                f["sequence"].as_str().unwrap_or_default().to_owned(),
                f["attributes"]
                    .as_i64()
                    .map(|a| a.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    assert_eq!(families, export("MsiPatchSequence"));
    let metadata: Vec<Vec<String>> = patch["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            vec![
                m["company"].as_str().unwrap_or_default().to_owned(),
                m["property"].as_str().unwrap_or_default().to_owned(),
                m["value"].as_str().unwrap_or_default().to_owned(),
            ]
        })
        .collect();
    assert_eq!(metadata, export("MsiPatchMetadata"));
    assert_eq!(metadata.len(), 8);
}

#[test]
fn inspect_never_panics_on_any_corpus_file() {
    let Some(corpus) = corpus("inspect_never_panics_on_any_corpus_file") else {
        return;
    };
    let mut files = Vec::new();
    let mut stack = vec![corpus.clone()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("md" | "tsv" | "txt")
            ) {
                files.push(p);
            }
        }
    }
    files.sort();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (status, doc, stderr) = inspect(&refs);
    // Exit 2 only for inputs the walk refuses as every command does (a member name that
    // cannot be a file name, as `extract` refuses it; a file that is no package at all);
    // damage is a finding (exit 1).
    assert!((0..=2).contains(&status), "exit {status}: {stderr}");
    for e in doc["errors"].as_array().unwrap() {
        let refused = e["error"]["code"] == "unsafe-name"
            || e["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("not a cabinet, zip, MSI/MSP"));
        assert!(refused, "{e:#}");
    }
    let listed = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["depth"] == 0)
        .count();
    assert_eq!(
        listed + doc["errors"].as_array().unwrap().len(),
        files.len()
    );
    let damaged = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "damaged")
        .count();
    assert!(
        damaged > 10,
        "the corpus's bad cabinets are reported as damaged"
    );
}

/// A cabinet that lists one range of bytes under several names (as MSI cabinets do) hands
/// the later names over as repeats, whose digests are reused instead of computed again: they
/// must still be the digests of the bytes, SHA-1 included when the member before was not kept
/// (and so had none).
#[test]
fn repeated_members_report_the_digests_of_their_bytes() {
    use sha1::Digest as _;
    let tmp = tempfile::tempdir().unwrap();
    let bytes = b"the same bytes under three names\n".repeat(300);
    let folders = vec![(
        cab::CompressionType::MsZip,
        vec![
            ("a.txt".to_string(), bytes.clone()),
            ("b.msp".to_string(), b"x".to_vec()),
            ("c.msp".to_string(), b"y".to_vec()),
        ],
    )];
    let mut cabinet = crate::cab::build_cab(&folders);
    // b.msp and c.msp become a.txt's bytes (same folder, offset and size).
    let at = crate::cab::cffile_offsets(&cabinet);
    let field = cabinet[at[0]..at[0] + 8].to_vec();
    for i in [1, 2] {
        cabinet[at[i]..at[i] + 8].copy_from_slice(&field);
    }
    let path = write(tmp.path(), "dup.cab", &cabinet);
    let (code, doc, stderr) = inspect(&[&path]);
    assert!(code == 0 || code == 1, "{stderr}");
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let sha256 = hex(&sha2::Sha256::digest(&bytes));
    let sha1 = hex(&sha1::Sha1::digest(&bytes));
    let items = doc["items"].as_array().unwrap();
    for name in ["b.msp", "c.msp"] {
        let item = items
            .iter()
            .find(|i| i["name"] == name)
            .unwrap_or_else(|| panic!("{name} not reported: {doc}"));
        assert_eq!(item["sha256"], sha256.as_str(), "{name}");
        assert_eq!(item["content_sha1"], sha1.as_str(), "{name}");
        assert_eq!(item["size"], bytes.len(), "{name}");
    }
}
