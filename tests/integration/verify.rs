//! `slipway verify`: every rule on generated fixtures — good, tampered, superseded, wrong
//! build, wrong arch, missing baseline, unknown package, sums files, catalog-name SHA-1,
//! localized without global, components at different levels.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::fixtures::msi::{MsiBuilder, cabinet};
use crate::fixtures::pe::{Arch, PeBuilder, VersionInfo};
use crate::support::{code, sha256_hex, slipway};

/// The JSON document, without the `signature-absent` findings: the fixtures are unsigned, so
/// every package and patch gets one (a warning; authenticode.rs tests signature findings).
fn parse_json(out: &std::process::Output) -> Value {
    let mut doc = crate::support::json(out);
    if let Some(all) = doc["findings"].as_array_mut() {
        all.retain(|f| f["code"] != "signature-absent");
    }
    doc
}

const SP2: &str = "12.0.6421.1000";

/// A patch of `family` at `build` for `kb`, named `file`.
pub(crate) fn patch(family: &str, kb: &str, build: &str, file: &str) -> Vec<u8> {
    MsiBuilder::patch()
        .patch_metadata(None, "KBArticle Number", &format!("KB{kb}"))
        .patch_metadata(None, "StdPackageName", file)
        .patch_sequence(&family.to_uppercase(), None, build)
        .patch_cabinet(family, cabinet(&[("FILE.DLL", build.as_bytes())]))
        .build()
}

/// A package wrapper named `name` (version `build`) holding the given patches.
pub(crate) fn package(arch: Arch, name: &str, build: &str, patches: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let members: Vec<(&str, &[u8])> = patches.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    PeBuilder::new(arch)
        .version_info(VersionInfo {
            file_version: build.into(),
            product_version: build.into(),
            original_filename: name.into(),
            ..VersionInfo::default()
        })
        .cabinet_resource(cabinet(&members))
        .build()
}

struct Farm {
    dir: tempfile::TempDir,
}

impl Farm {
    fn new() -> Farm {
        Farm {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn put(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        fs::write(&p, bytes).unwrap();
        p
    }

    /// The WSS October 2009 CU package (global patch sts).
    fn wss_oct(&self) -> (PathBuf, Vec<u8>) {
        let name = "wss-kb975002-fullfile-x86-glb.exe";
        let bytes = package(
            Arch::X86,
            name,
            "12.0.6520.5000",
            &[(
                "sts-x-none.msp",
                patch("sts", "975002", "12.0.6520.5000", "sts-x-none.msp"),
            )],
        );
        (self.put(name, &bytes), bytes)
    }

    fn wss_aug(&self) -> PathBuf {
        let name = "wss-kb973410-fullfile-x86-glb.exe";
        self.put(
            name,
            &package(
                Arch::X86,
                name,
                "12.0.6510.5000",
                &[(
                    "sts-x-none.msp",
                    patch("sts", "973410", "12.0.6510.5000", "sts-x-none.msp"),
                )],
            ),
        )
    }

    fn moss_aug(&self) -> PathBuf {
        let name = "officeserver-kb973399-fullfile-x86-glb.exe";
        self.put(
            name,
            &package(
                Arch::X86,
                name,
                "12.0.6510.5000",
                &[(
                    "coreserver-x-none.msp",
                    patch(
                        "coreserver",
                        "973399",
                        "12.0.6510.5000",
                        "coreserver-x-none.msp",
                    ),
                )],
            ),
        )
    }

    fn sp2(&self) -> PathBuf {
        let name = "wssv3sp2-kb953338-x86-fullfile-en-us.exe";
        self.put(
            name,
            &package(
                Arch::X86,
                name,
                SP2,
                &[("stswwsp2.msp", patch("sts", "953338", SP2, "stswwsp2.msp"))],
            ),
        )
    }

    /// A test catalog; `oct_sha256` (if any) is recorded for the October CU package.
    fn catalog(&self, oct_sha256: Option<&str>) -> PathBuf {
        let cat = json!({
            "schema_version": 1,
            "id": "test-sharepoint",
            "title": "Test SharePoint",
            "architectures": ["x86", "x64"],
            "components": [
                {"id": "wss", "title": "WSS", "families": ["sts", "wssmui"], "localized_families": ["wssmui"]},
                {"id": "moss", "title": "MOSS", "families": ["coreserver"], "requires": ["wss"]}
            ],
            "roles": [{"id": "wfe", "title": "Web front end", "rollout_rank": 1}],
            "releases": [
                {"id": "wss-sp2", "name": "WSS SP2", "kind": "service-pack", "component": "wss",
                 "date": "2009-04", "kb": "953338", "build": SP2,
                 "files": [{"name": "wssv3sp2-kb953338-x86-fullfile-en-us.exe", "arch": "x86"}]},
                {"id": "wss-2009-08", "name": "WSS August 2009 CU", "kind": "cumulative-update",
                 "component": "wss", "date": "2009-08", "kb": "973410", "build": "12.0.6510.5000",
                 "requires_build": SP2},
                {"id": "moss-2009-08", "name": "MOSS August 2009 CU", "kind": "cumulative-update",
                 "component": "moss", "date": "2009-08", "kb": "973399", "build": "12.0.6510.5000",
                 "requires_build": SP2},
                {"id": "wss-2009-10", "name": "WSS October 2009 CU", "kind": "cumulative-update",
                 "component": "wss", "date": "2009-10", "kb": "975002", "build": "12.0.6520.5000",
                 "requires_build": SP2,
                 "files": [{"name": "wss-kb975002-fullfile-x86-glb.exe", "arch": "x86", "sha256": oct_sha256}]}
            ]
        });
        self.put(
            "test-catalog.json",
            serde_json::to_string_pretty(&cat).unwrap().as_bytes(),
        )
    }

    fn verify(&self, inputs: &[&Path], extra: &[&str]) -> (i32, Value, String) {
        let (_, oct) = (0, self.dir.path().join("wss-kb975002-fullfile-x86-glb.exe"));
        let sha = fs::read(&oct).ok().map(|b| sha256_hex(&b));
        let catalog = self.catalog(sha.as_deref());
        let mut args: Vec<std::ffi::OsString> = vec![
            "verify".into(),
            "--json".into(),
            "--catalog".into(),
            catalog.into_os_string(),
        ];
        args.extend(extra.iter().map(Into::into));
        args.extend(inputs.iter().map(|p| p.as_os_str().to_owned()));
        let out = slipway(args);
        (
            code(&out),
            parse_json(&out),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn codes(doc: &Value) -> Vec<String> {
    let mut c: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    c.sort();
    c
}

#[test]
fn a_good_package_passes_every_check() {
    let farm = Farm::new();
    let (oct, _) = farm.wss_oct();
    let (status, doc, stderr) = farm.verify(&[&oct], &["--baseline", SP2]);
    assert_eq!(status, 0, "{stderr}");
    assert!(codes(&doc).is_empty(), "{:#}", doc["findings"]);
    let checks = &doc["items"][0]["checks"];
    assert_eq!(checks["hash"], "pass");
    assert_eq!(checks["build"], "pass");
    assert_eq!(checks["current"], "pass");
    assert_eq!(checks["release"], "test-sharepoint/wss-2009-10");
    assert_eq!(
        doc["items"][1]["checks"]["build"], "pass",
        "the patch's sequence too"
    );
    assert_eq!(doc["ok"], true);
}

#[test]
fn a_tampered_package_fails_its_hash() {
    let farm = Farm::new();
    let (oct, bytes) = farm.wss_oct();
    let catalog_sha = sha256_hex(&bytes);
    let mut tampered = bytes;
    let n = tampered.len();
    tampered[n - 1] ^= 0x01;
    // The catalog keeps the original's digest: write the catalog first, then tamper.
    let cat = farm.catalog(Some(&catalog_sha));
    fs::write(&oct, &tampered).unwrap();
    let out = slipway([
        "verify".as_ref(),
        "--json".as_ref(),
        "--baseline".as_ref(),
        SP2.as_ref(),
        "--catalog".as_ref(),
        cat.as_os_str(),
        oct.as_os_str(),
    ]);
    assert_eq!(code(&out), 1);
    let doc = parse_json(&out);
    assert_eq!(codes(&doc), vec!["hash-mismatch"]);
    assert_eq!(doc["items"][0]["checks"]["hash"], "fail");
    assert!(
        doc["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&catalog_sha)
    );
}

#[test]
fn a_lower_build_of_the_same_family_is_superseded() {
    let farm = Farm::new();
    let (oct, _) = farm.wss_oct();
    let aug = farm.wss_aug();
    let (status, doc, stderr) = farm.verify(&[&aug, &oct], &["--baseline", SP2]);
    assert_eq!(status, 0, "superseded is a warning: {stderr}");
    assert_eq!(codes(&doc), vec!["superseded"]);
    let f = &doc["findings"][0];
    assert!(
        f["origin"][0]
            .as_str()
            .unwrap()
            .ends_with("wss-kb973410-fullfile-x86-glb.exe")
    );
    assert!(f["message"].as_str().unwrap().contains("12.0.6520.5000"));
    assert_eq!(doc["items"][1]["checks"]["current"], "fail");
    let (status, _, _) = farm.verify(&[&aug, &oct], &["--baseline", SP2, "--strict"]);
    assert_eq!(status, 1, "--strict turns warnings into errors");
}

#[test]
fn a_package_whose_build_is_not_the_catalogs_fails() {
    let farm = Farm::new();
    let name = "wss-kb975002-fullfile-x86-glb.exe";
    let wrong = farm.put(
        name,
        &package(
            Arch::X86,
            name,
            "12.0.6514.5000",
            &[(
                "sts-x-none.msp",
                patch("sts", "975002", "12.0.6514.5000", "sts-x-none.msp"),
            )],
        ),
    );
    let (status, doc, _) = farm.verify(&[&wrong], &["--baseline", SP2]);
    assert_eq!(status, 1);
    assert_eq!(codes(&doc), vec!["build-mismatch", "build-mismatch"]);
    assert_eq!(doc["items"][0]["checks"]["build"], "fail");
}

#[test]
fn mixed_architectures_fail() {
    let farm = Farm::new();
    let (oct, _) = farm.wss_oct();
    let name = "officeserver-kb973399-fullfile-x64-glb.exe";
    let x64 = farm.put(
        name,
        &package(
            Arch::X64,
            name,
            "12.0.6520.5000",
            &[("readme.txt", b"x".to_vec())],
        ),
    );
    let (status, doc, _) = farm.verify(&[&oct, &x64], &["--baseline", SP2]);
    assert_eq!(status, 1);
    assert!(
        codes(&doc).contains(&"arch-mismatch".to_owned()),
        "{:#}",
        doc["findings"]
    );
}

#[test]
fn a_cumulative_update_without_its_service_pack_fails_unless_declared_or_present() {
    let farm = Farm::new();
    let (oct, _) = farm.wss_oct();
    let (status, doc, _) = farm.verify(&[&oct], &[]);
    assert_eq!(status, 1);
    assert_eq!(codes(&doc), vec!["missing-baseline"]);
    assert!(
        doc["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains(SP2)
    );
    let sp2 = farm.sp2();
    let (status, doc, stderr) = farm.verify(&[&sp2, &oct], &[]);
    assert_eq!(status, 0, "{stderr}: {:#}", doc["findings"]);
    let (status, _, _) = farm.verify(&[&oct], &["--baseline", "12.0.6500.5000"]);
    assert_eq!(status, 0, "a declared later baseline satisfies it");
}

#[test]
fn unknown_packages_are_warnings() {
    let farm = Farm::new();
    let name = "newthing-kb5555555-fullfile-x64-glb.exe";
    let p = farm.put(
        name,
        &package(
            Arch::X64,
            name,
            "16.0.1.1000",
            &[("readme.txt", b"x".to_vec())],
        ),
    );
    let (status, doc, _) = farm.verify(&[&p], &[]);
    assert_eq!(status, 0);
    assert_eq!(codes(&doc), vec!["unknown-package"]);
    let (status, _, _) = farm.verify(&[&p], &["--strict"]);
    assert_eq!(status, 1);
}

#[test]
fn sums_files_are_checked() {
    let farm = Farm::new();
    let (oct, bytes) = farm.wss_oct();
    let good = farm.put(
        "SHA256SUMS",
        format!(
            "{}  wss-kb975002-fullfile-x86-glb.exe\n",
            sha256_hex(&bytes)
        )
        .as_bytes(),
    );
    let sums = good.to_str().unwrap().to_owned();
    let (status, doc, stderr) = farm.verify(&[&oct], &["--baseline", SP2, "--sums", &sums]);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(doc["items"][0]["checks"]["hash"], "pass");
    let bad = farm.put(
        "SHA1SUMS",
        format!("{}  wss-kb975002-fullfile-x86-glb.exe\n", "0".repeat(40)).as_bytes(),
    );
    let bad = bad.to_str().unwrap().to_owned();
    let (status, doc, _) = farm.verify(
        &[&oct],
        &["--baseline", SP2, "--sums", &sums, "--sums", &bad],
    );
    assert_eq!(status, 1);
    assert_eq!(codes(&doc), vec!["hash-mismatch"]);
    let junk = farm.put("JUNK", b"not a sums file\n");
    let out = slipway([
        "verify".as_ref(),
        "--sums".as_ref(),
        junk.as_os_str(),
        oct.as_os_str(),
    ]);
    assert_eq!(code(&out), 2, "an unreadable sums file is a usage error");
}

#[test]
fn the_sha1_in_a_microsoft_update_catalog_name_is_checked() {
    use sha1::Digest;
    let farm = Farm::new();
    let cab = cabinet(&[("coreserver-x-none.msp", b"x")]);
    let sha1: String = sha1::Sha1::digest(&cab)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let good = farm.put(&format!("coreserver-x-none_{sha1}.cab"), &cab);
    let bad = farm.put(&format!("coreserver-x-none_{}.cab", "1".repeat(40)), &cab);
    let (_, doc, _) = farm.verify(&[&good], &[]);
    assert_eq!(doc["items"][0]["checks"]["hash"], "pass");
    let (status, doc, _) = farm.verify(&[&bad], &[]);
    assert_eq!(status, 1);
    assert!(codes(&doc).contains(&"hash-mismatch".to_owned()));
}

#[test]
fn a_localized_patch_without_its_global_partner_is_a_warning() {
    let farm = Farm::new();
    let name = "wss-kb975002-fullfile-x86-de-de.exe";
    let p = farm.put(
        name,
        &package(
            Arch::X86,
            name,
            "12.0.6520.5000",
            &[(
                "wssmui-de-de.msp",
                patch("wssmui", "975002", "12.0.6520.5000", "wssmui-de-de.msp"),
            )],
        ),
    );
    let (status, doc, _) = farm.verify(&[&p], &["--baseline", SP2]);
    assert_eq!(status, 0);
    assert!(
        codes(&doc).contains(&"missing-global-partner".to_owned()),
        "{:#}",
        doc["findings"]
    );
    let (oct, _) = farm.wss_oct();
    let (_, doc, _) = farm.verify(&[&p, &oct], &["--baseline", SP2]);
    assert!(!codes(&doc).contains(&"missing-global-partner".to_owned()));
}

#[test]
fn components_at_different_levels_are_a_warning() {
    let farm = Farm::new();
    let (oct, _) = farm.wss_oct();
    let moss = farm.moss_aug();
    let (status, doc, _) = farm.verify(&[&oct, &moss], &["--baseline", SP2]);
    assert_eq!(status, 0);
    assert_eq!(codes(&doc), vec!["level-mismatch"], "{:#}", doc["findings"]);
    assert!(
        doc["findings"][0]["origin"][0]
            .as_str()
            .unwrap()
            .contains("officeserver")
    );
}

#[test]
fn a_baseline_inferred_from_the_last_service_pack_is_a_warning() {
    let farm = Farm::new();
    let (oct, bytes) = farm.wss_oct();
    let path = farm.catalog(Some(&sha256_hex(&bytes)));
    let mut cat: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    for r in cat["releases"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("requires_build");
    }
    let path = farm.put(
        "inferred.json",
        serde_json::to_string(&cat).unwrap().as_bytes(),
    );
    let run = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "verify".into(),
            "--json".into(),
            "--catalog".into(),
            path.clone().into(),
        ];
        args.extend(extra.iter().map(Into::into));
        args.push(oct.clone().into());
        let out = slipway(args);
        (code(&out), parse_json(&out))
    };
    let (status, doc) = run(&[]);
    assert_eq!(status, 0, "an inferred baseline only warns");
    assert_eq!(codes(&doc), vec!["missing-baseline"]);
    assert_eq!(doc["findings"][0]["severity"], "warning");
    assert_eq!(run(&["--baseline", SP2]).0, 0);
    assert!(codes(&run(&["--baseline", SP2]).1).is_empty());
}

/// Regression: a global patch of another component (MOSS coreserver) at the same build is not
/// the partner of WSS's wssmui; only WSS's global family (sts) is.
#[test]
fn regression_the_global_partner_must_be_of_the_same_component() {
    let farm = Farm::new();
    let name = "wss-kb975002-fullfile-x86-de-de.exe";
    let de = farm.put(
        name,
        &package(
            Arch::X86,
            name,
            "12.0.6520.5000",
            &[(
                "wssmui-de-de.msp",
                patch("wssmui", "975002", "12.0.6520.5000", "wssmui-de-de.msp"),
            )],
        ),
    );
    let moss_name = "officeserver-kb975731-fullfile-x86-glb.exe";
    let moss = farm.put(
        moss_name,
        &package(
            Arch::X86,
            moss_name,
            "12.0.6520.5000",
            &[(
                "coreserver-x-none.msp",
                patch(
                    "coreserver",
                    "975731",
                    "12.0.6520.5000",
                    "coreserver-x-none.msp",
                ),
            )],
        ),
    );
    let (_, doc, _) = farm.verify(&[&de, &moss], &["--baseline", SP2]);
    assert!(
        codes(&doc).contains(&"missing-global-partner".to_owned()),
        "{:#}",
        doc["findings"]
    );
}
