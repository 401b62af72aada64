//! `slipway build`: per-role sources, install manifest (validated against its schema),
//! SHA256SUMS, determinism, hard links, refusal on findings, dry run, bundles, and
//! `verify OUT` / `verify FILE.zip` catching every difference.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::fixtures::pe::Arch;
use crate::support::{code, files_below, json as parse_json, sha256_hex, slipway};
use crate::verify::{package, patch};

const SP2: &str = "12.0.6421.1000";
const OCT: &str = "12.0.6520.5000";
const AUG: &str = "12.0.6514.5002";

/// A farm's downloads: WSS and MOSS October CUs (global and de-de), an older MOSS CU, and a
/// catalog that knows them (components, role-specific families, language packs, the
/// wsssetup.dll quirk).
struct Downloads {
    dir: tempfile::TempDir,
}

impl Downloads {
    fn new() -> Downloads {
        let d = Downloads {
            dir: tempfile::tempdir().unwrap(),
        };
        fs::create_dir(d.downloads()).unwrap();
        let wss = package(
            Arch::X86,
            "wss-kb975002-fullfile-x86-glb.exe",
            OCT,
            &[
                (
                    "sts-x-none.msp",
                    patch("sts", "975002", OCT, "sts-x-none.msp"),
                ),
                ("wsssetup.dll", b"setup controller stand-in".to_vec()),
            ],
        );
        let wss_de = package(
            Arch::X86,
            "wss-kb975002-fullfile-x86-de-de.exe",
            OCT,
            &[(
                "wssmui-de-de.msp",
                patch("wssmui", "975002", OCT, "wssmui-de-de.msp"),
            )],
        );
        let moss = package(
            Arch::X86,
            "officeserver2007-kb975731-fullfile-x86-glb.exe",
            OCT,
            &[
                (
                    "coreserver-x-none.msp",
                    patch("coreserver", "975731", OCT, "coreserver-x-none.msp"),
                ),
                (
                    "xlsrvapp-x-none.msp",
                    patch("xlsrvapp", "975731", OCT, "xlsrvapp-x-none.msp"),
                ),
                (
                    "ifswfe-x-none.msp",
                    patch("ifswfe", "975731", OCT, "ifswfe-x-none.msp"),
                ),
            ],
        );
        let moss_de = package(
            Arch::X86,
            "officeserver2007-kb975731-fullfile-x86-de-de.exe",
            OCT,
            &[(
                "coreservermui-de-de.msp",
                patch("coreservermui", "975731", OCT, "coreservermui-de-de.msp"),
            )],
        );
        let moss_aug = package(
            Arch::X86,
            "officeserver2007-kb973399-fullfile-x86-glb.exe",
            AUG,
            &[(
                "coreserver-x-none.msp",
                patch("coreserver", "973399", AUG, "coreserver-x-none.msp"),
            )],
        );
        for (name, bytes) in [
            ("wss-kb975002-fullfile-x86-glb.exe", &wss),
            ("wss-kb975002-fullfile-x86-de-de.exe", &wss_de),
            ("officeserver2007-kb975731-fullfile-x86-glb.exe", &moss),
            ("officeserver2007-kb975731-fullfile-x86-de-de.exe", &moss_de),
            ("officeserver2007-kb973399-fullfile-x86-glb.exe", &moss_aug),
        ] {
            fs::write(d.downloads().join(name), bytes).unwrap();
        }
        fs::write(d.downloads().join("readme.txt"), b"not a package").unwrap();
        let catalog = json!({
            "schema_version": 1,
            "id": "test-farm",
            "title": "Test farm",
            "architectures": ["x86"],
            "language_packs": true,
            "components": [
                {"id": "wss", "title": "WSS", "families": ["sts", "wssmui"], "localized_families": ["wssmui"]},
                {"id": "moss", "title": "MOSS", "requires": ["wss"],
                 "families": ["coreserver", "coreservermui", "xlsrvapp", "ifswfe"], "localized_families": ["coreservermui"]}
            ],
            "roles": [
                {"id": "wfe", "title": "Web front end", "rollout_rank": 3, "role_families": ["ifswfe"]},
                {"id": "app-ca", "title": "Central Administration", "rollout_rank": 1, "role_families": ["xlsrvapp"]},
                {"id": "app", "title": "Application server", "rollout_rank": 2, "role_families": ["xlsrvapp"]}
            ],
            "releases": [
                {"id": "wss-oct", "name": "WSS October 2009 CU", "kind": "cumulative-update", "component": "wss",
                 "date": "2009-10", "kb": "975002", "build": OCT},
                {"id": "moss-aug", "name": "MOSS August 2009 CU", "kind": "cumulative-update", "component": "moss",
                 "date": "2009-08", "kb": "973399", "build": AUG},
                {"id": "moss-oct", "name": "MOSS October 2009 CU", "kind": "cumulative-update", "component": "moss",
                 "date": "2009-10", "kb": "975731", "build": OCT}
            ],
            "quirks": [
                {"id": "wsssetup-dll", "description": "WSS setup controller must not stay in a MOSS source",
                 "remove_file": "wsssetup.dll", "when_component": "moss"}
            ],
            "steps": [
                {"id": "psconfig", "text": "Run psconfig once per server, Central Administration first",
                 "scope": "per-server", "role_order": ["app-ca", "app", "wfe"]}
            ]
        });
        fs::write(d.catalog(), serde_json::to_string_pretty(&catalog).unwrap()).unwrap();
        d
    }

    fn downloads(&self) -> PathBuf {
        self.dir.path().join("downloads")
    }

    fn catalog(&self) -> PathBuf {
        self.dir.path().join("test-farm.json")
    }

    fn build(&self, out: &Path, extra: &[&str]) -> (i32, Value, String) {
        let mut args: Vec<std::ffi::OsString> = vec![
            "build".into(),
            "--json".into(),
            "--catalog".into(),
            self.catalog().into(),
            "--product".into(),
            "test-farm".into(),
            "--baseline".into(),
            SP2.into(),
            "-o".into(),
            out.into(),
        ];
        args.extend(extra.iter().map(Into::into));
        args.push(self.downloads().into());
        let res = slipway(args);
        (
            code(&res),
            parse_json(&res),
            String::from_utf8_lossy(&res.stderr).into_owned(),
        )
    }
}

fn manifest(out: &Path) -> Value {
    serde_json::from_slice(&fs::read(out.join("install-manifest.json")).unwrap()).unwrap()
}

fn role_files(m: &Value, role: &str) -> Vec<String> {
    m["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == role)
        .unwrap()["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap().to_owned())
        .collect()
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    files_below(dir)
        .into_iter()
        .map(|f| {
            let bytes = fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

#[test]
fn each_role_gets_exactly_its_patches_in_install_order() {
    let d = Downloads::new();
    let out = d.dir.path().join("out");
    // No --lang: every language present (de-de), the base language en-us.
    let (status, doc, stderr) = d.build(&out, &[]);
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(doc["outcome"], "built");
    let m = manifest(&out);
    // Rollout order, and role-specific families.
    let names: Vec<&str> = m["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["app-ca", "app", "wfe"]);
    assert_eq!(
        role_files(&m, "app-ca"),
        vec![
            "app-ca/Updates/sts-x-none.msp",
            "app-ca/LanguagePacks/de-de/Updates/wssmui-de-de.msp",
            "app-ca/Updates/coreserver-x-none.msp",
            "app-ca/Updates/xlsrvapp-x-none.msp",
            "app-ca/LanguagePacks/de-de/Updates/coreservermui-de-de.msp",
        ]
    );
    assert_eq!(
        role_files(&m, "wfe"),
        vec![
            "wfe/Updates/sts-x-none.msp",
            "wfe/LanguagePacks/de-de/Updates/wssmui-de-de.msp",
            "wfe/Updates/coreserver-x-none.msp",
            "wfe/Updates/ifswfe-x-none.msp",
            "wfe/LanguagePacks/de-de/Updates/coreservermui-de-de.msp",
        ]
    );
    // WSS before MOSS, each component's global before its localized: orders 1..n.
    let orders: Vec<i64> = m["roles"][0]["patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["order"].as_i64().unwrap())
        .collect();
    assert_eq!(orders, vec![1, 2, 3, 4, 5]);
    // The quirk: wsssetup.dll is not in a MOSS source.
    assert!(
        !files_below(&out)
            .iter()
            .any(|f| f.ends_with("wsssetup.dll"))
    );
    let quirks: Vec<&Value> = m["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "quirk-applied")
        .collect();
    assert_eq!(quirks.len(), 3, "once per role");
    // The August CU's coreserver is superseded and listed.
    let sup = m["superseded"].as_array().unwrap();
    assert_eq!(sup.len(), 1);
    assert_eq!(sup[0]["family"], "coreserver");
    assert_eq!(sup[0]["build"], AUG);
    assert!(sup[0]["from"][0].as_str().unwrap().contains("kb973399"));
    // Steps.
    assert_eq!(
        m["roles"][0]["steps"][0],
        "Run psconfig once per server, Central Administration first"
    );
    assert_eq!(m["languages"]["base"], "en-us");
    assert_eq!(
        m["inputs"].as_array().unwrap().len(),
        5,
        "readme.txt is skipped"
    );
}

#[test]
fn every_listed_file_exists_with_its_hash_and_sums_check() {
    let d = Downloads::new();
    let out = d.dir.path().join("out");
    assert_eq!(d.build(&out, &[]).0, 0);
    let m = manifest(&out);
    for role in m["roles"].as_array().unwrap() {
        for p in role["patches"].as_array().unwrap() {
            let bytes = fs::read(out.join(p["file"].as_str().unwrap())).unwrap();
            assert_eq!(sha256_hex(&bytes), p["sha256"].as_str().unwrap());
            assert_eq!(bytes.len() as u64, p["size"].as_u64().unwrap());
        }
    }
    // SHA256SUMS covers every file but itself, in sha256sum format.
    let sums = fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    let listed: Vec<String> = sums
        .lines()
        .map(|l| l.split_once("  ").unwrap().1.to_owned())
        .collect();
    let mut all = files_below(&out);
    all.retain(|f| f != "SHA256SUMS");
    assert_eq!(listed, all);
    for line in sums.lines() {
        let (sha, file) = line.split_once("  ").unwrap();
        assert_eq!(
            sha256_hex(&fs::read(out.join(file)).unwrap()),
            sha,
            "{file}"
        );
    }
    if std::process::Command::new("sha256sum")
        .arg("--version")
        .output()
        .is_ok()
    {
        let ok = std::process::Command::new("sha256sum")
            .args(["-c", "--quiet", "SHA256SUMS"])
            .current_dir(&out)
            .status()
            .unwrap();
        assert!(ok.success());
    }
    // The same bytes in several roles are one file (hard links) where the file system allows.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let nlink = fs::metadata(out.join("wfe/Updates/sts-x-none.msp"))
            .unwrap()
            .nlink();
        assert_eq!(nlink, 3);
    }
}

#[test]
fn the_manifest_validates_against_its_schema() {
    let d = Downloads::new();
    let out = d.dir.path().join("out");
    assert_eq!(d.build(&out, &["--timestamp", "2026-01-15T09:30:00Z"]).0, 0);
    let schema: Value = serde_json::from_str(slipway::manifest::MANIFEST_SCHEMA).unwrap();
    let m = manifest(&out);
    let problems = slipway::catalog::schema::validate(&schema, &m);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(m["created"], "2026-01-15T09:30:00Z");
    // A broken manifest does not validate (the validator really runs).
    let mut bad = m.clone();
    bad["roles"][0]["patches"][0]["sha256"] = json!("xyz");
    assert!(!slipway::catalog::schema::validate(&schema, &bad).is_empty());
}

#[test]
fn two_builds_are_byte_identical_and_so_are_their_bundles() {
    let d = Downloads::new();
    let (a, b) = (d.dir.path().join("a"), d.dir.path().join("b"));
    let (za, zb) = (d.dir.path().join("a.zip"), d.dir.path().join("b.zip"));
    assert_eq!(d.build(&a, &["--bundle", za.to_str().unwrap()]).0, 0);
    assert_eq!(d.build(&b, &["--bundle", zb.to_str().unwrap()]).0, 0);
    assert_eq!(tree(&a), tree(&b));
    assert_eq!(fs::read(&za).unwrap(), fs::read(&zb).unwrap());
}

#[test]
fn verify_out_and_bundle_catch_every_difference() {
    let d = Downloads::new();
    let out = d.dir.path().join("out");
    let zip = d.dir.path().join("out.zip");
    assert_eq!(d.build(&out, &["--bundle", zip.to_str().unwrap()]).0, 0);
    let verify = |p: &Path| {
        let res = slipway(["verify".as_ref(), "--json".as_ref(), p.as_os_str()]);
        (code(&res), parse_json(&res))
    };
    assert_eq!(verify(&out).0, 0);
    assert_eq!(verify(&zip).0, 0);
    // One flipped byte in a patch: named.
    let victim = out.join("app/Updates/coreserver-x-none.msp");
    let mut bytes = fs::read(&victim).unwrap();
    bytes[100] ^= 1;
    fs::remove_file(&victim).unwrap(); // break the hard link: only this role's copy changes
    fs::write(&victim, &bytes).unwrap();
    let (status, doc) = verify(&out);
    assert_eq!(status, 1);
    let f = &doc["outputs"][0]["findings"];
    assert_eq!(f.as_array().unwrap().len(), 1);
    assert_eq!(f[0]["code"], "output-modified");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("app/Updates/coreserver-x-none.msp")
    );
    // Missing and extra files.
    fs::remove_file(out.join("wfe/Updates/ifswfe-x-none.msp")).unwrap();
    fs::write(out.join("wfe/Updates/extra.msp"), b"x").unwrap();
    let (_, doc) = verify(&out);
    let mut found: Vec<String> = doc["outputs"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec!["output-extra", "output-missing", "output-modified"]
    );
    // A tampered bundle.
    let mut z = fs::read(&zip).unwrap();
    let at = z.len() / 2;
    z[at] ^= 0xFF;
    let bad = d.dir.path().join("bad.zip");
    fs::write(&bad, &z).unwrap();
    let res = slipway(["verify".as_ref(), bad.as_os_str()]);
    assert_ne!(code(&res), 0);
}

#[test]
fn error_findings_stop_the_build_unless_allowed() {
    let d = Downloads::new();
    let sums = d.dir.path().join("SHA256SUMS");
    fs::write(
        &sums,
        format!("{}  wss-kb975002-fullfile-x86-glb.exe\n", "0".repeat(64)),
    )
    .unwrap();
    let out = d.dir.path().join("out");
    let (status, doc, _) = d.build(&out, &["--sums", sums.to_str().unwrap()]);
    assert_eq!(status, 1);
    assert_eq!(doc["outcome"], "refused");
    assert!(!out.exists(), "nothing written");
    let (status, doc, _) = d.build(
        &out,
        &["--sums", sums.to_str().unwrap(), "--allow-findings"],
    );
    assert_eq!(status, 0);
    assert_eq!(doc["outcome"], "built");
    let m = manifest(&out);
    assert!(
        m["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "hash-mismatch")
    );
}

#[test]
fn dry_run_writes_nothing_and_non_empty_output_needs_force() {
    let d = Downloads::new();
    let out = d.dir.path().join("out");
    let (status, doc, _) = d.build(&out, &["--dry-run"]);
    assert_eq!(status, 0);
    assert_eq!(doc["outcome"], "dry-run");
    assert!(doc["manifest"]["roles"].as_array().unwrap().len() == 3);
    assert!(!out.exists());
    fs::create_dir(&out).unwrap();
    fs::write(out.join("old.txt"), b"old").unwrap();
    let (status, doc, _) = d.build(&out, &[]);
    assert_eq!(status, 2);
    assert_eq!(doc["ok"], false);
    assert!(out.join("old.txt").exists());
    assert_eq!(d.build(&out, &["--force"]).0, 0);
    assert!(!out.join("old.txt").exists());
}

#[test]
fn roles_and_languages_can_be_chosen() {
    let d = Downloads::new();
    let out = d.dir.path().join("out");
    let (status, _, stderr) = d.build(&out, &["--role", "wfe", "--lang", "de-de"]);
    assert_eq!(status, 0, "{stderr}");
    let m = manifest(&out);
    assert_eq!(m["roles"].as_array().unwrap().len(), 1);
    // de-de is the base language now: its patches go to Updates.
    assert!(role_files(&m, "wfe").contains(&"wfe/Updates/wssmui-de-de.msp".to_owned()));
    let out2 = d.dir.path().join("out2");
    let (status, _, _) = d.build(
        &out2,
        &["--lang", "de-de", "--lang", "fr-fr", "--allow-findings"],
    );
    assert_eq!(status, 0);
    let m = manifest(&out2);
    assert!(!role_files(&m, "app").iter().any(|f| f.contains("fr-fr")));
    let (status, doc, _) = d.build(&d.dir.path().join("out3"), &["--role", "mailbox"]);
    assert_eq!(status, 2);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no role")
    );
}

#[test]
fn patches_sharing_a_file_name_are_both_kept_in_order() {
    let d = Downloads::new();
    // A second, different patch also named sts-x-none.msp (another family) in its own package.
    let other = package(
        Arch::X86,
        "wss-kb975003-fullfile-x86-glb.exe",
        OCT,
        &[(
            "sts-x-none.msp",
            patch("wssmui", "975003", OCT, "sts-x-none.msp"),
        )],
    );
    fs::write(
        d.downloads().join("wss-kb975003-fullfile-x86-glb.exe"),
        other,
    )
    .unwrap();
    let out = d.dir.path().join("out");
    let (status, _, stderr) = d.build(&out, &[]);
    assert_eq!(status, 0, "{stderr}");
    let files = files_below(&out.join("app-ca/Updates"));
    let sts: Vec<&String> = files
        .iter()
        .filter(|f| f.ends_with("sts-x-none.msp"))
        .collect();
    assert_eq!(sts.len(), 2, "{files:?}");
    assert!(
        sts.iter().all(|f| f.len() > "sts-x-none.msp".len()),
        "renamed with their order: {sts:?}"
    );
}

#[test]
fn the_sharepoint_sample_builds_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let samples = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/sharepoint-2007"
    ));
    let res = slipway([
        "build".as_ref(),
        samples.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--product".as_ref(),
        "sharepoint-2007".as_ref(),
    ]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let res = slipway(["verify".as_ref(), out.as_os_str()]);
    assert_eq!(code(&res), 0);
}

#[test]
fn service_packs_come_first_and_are_not_superseded_by_cumulative_updates() {
    let d = Downloads::new();
    let wss_sp2 = package(
        Arch::X86,
        "wssv3sp2-kb953338-x86-fullfile-en-us.exe",
        SP2,
        &[("stswwsp2.msp", patch("sts", "953338", SP2, "stswwsp2.msp"))],
    );
    let moss_sp2 = package(
        Arch::X86,
        "officeserver2007sp2-kb953334-x86-fullfile-en-us.exe",
        "12.0.6420.1000",
        &[(
            "coreserverwwsp2.msp",
            patch(
                "coreserver",
                "953334",
                "12.0.6420.1000",
                "coreserverwwsp2.msp",
            ),
        )],
    );
    fs::write(
        d.downloads()
            .join("wssv3sp2-kb953338-x86-fullfile-en-us.exe"),
        wss_sp2,
    )
    .unwrap();
    fs::write(
        d.downloads()
            .join("officeserver2007sp2-kb953334-x86-fullfile-en-us.exe"),
        moss_sp2,
    )
    .unwrap();
    let out = d.dir.path().join("out");
    let (status, _, stderr) = d.build(&out, &["--role", "app", "--lang", "de-de"]);
    assert_eq!(status, 0, "{stderr}");
    let m = manifest(&out);
    // The vendor's sequence: WSS SP2 → MOSS SP2 → WSS CU → MOSS CU.
    assert_eq!(
        role_files(&m, "app"),
        vec![
            "app/Updates/stswwsp2.msp",
            "app/Updates/coreserverwwsp2.msp",
            "app/Updates/sts-x-none.msp",
            "app/Updates/wssmui-de-de.msp",
            "app/Updates/coreserver-x-none.msp",
            "app/Updates/xlsrvapp-x-none.msp",
            "app/Updates/coreservermui-de-de.msp",
        ]
    );
    let superseded: Vec<&str> = m["superseded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        superseded,
        vec!["coreserver-x-none.msp"],
        "only the August CU's"
    );
}

/// The three sample sets: each builds, every listed file is there with its hash, SHA256SUMS
/// checks, a second build is identical, `verify OUT` passes and names a flipped byte; the
/// manifest and the human summary are locked by snapshots.
#[test]
fn every_sample_set_builds_reproducibly_and_verifies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (set, product) in [
        ("sharepoint-2007", "sharepoint-2007"),
        ("exchange-2007", "exchange-2007"),
        ("ocs-2007-r2", "ocs-2007-r2"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let run = |out: &Path| {
            crate::support::slipway_cmd()
                .current_dir(root)
                .env_remove("NO_COLOR")
                .args([
                    "build",
                    &format!("samples/{set}"),
                    "--product",
                    product,
                    "-o",
                ])
                .arg(out)
                .args(crate::support::sample_baseline(set))
                .output()
                .unwrap()
        };
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        let res = run(&a);
        assert_eq!(
            code(&res),
            0,
            "{set}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        assert_eq!(code(&run(&b)), 0);
        assert_eq!(tree(&a), tree(&b), "{set}: two builds differ");
        let m = manifest(&a);
        let mut placed = 0;
        for role in m["roles"].as_array().unwrap() {
            for p in role["patches"].as_array().unwrap() {
                let bytes = fs::read(a.join(p["file"].as_str().unwrap())).unwrap();
                assert_eq!(sha256_hex(&bytes), p["sha256"].as_str().unwrap());
                placed += 1;
            }
        }
        assert!(placed > 0, "{set}: nothing placed");
        assert!(
            !m["superseded"].as_array().unwrap().is_empty(),
            "{set}: a superseded update"
        );
        for line in fs::read_to_string(a.join("SHA256SUMS")).unwrap().lines() {
            let (sha, file) = line.split_once("  ").unwrap();
            assert_eq!(
                sha256_hex(&fs::read(a.join(file)).unwrap()),
                sha,
                "{set}: {file}"
            );
        }
        let verify = |p: &Path| slipway(["verify".as_ref(), "--json".as_ref(), p.as_os_str()]);
        assert_eq!(code(&verify(&a)), 0, "{set}");
        // One flipped byte in a patch (its hard links share the change).
        let first = m["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|r| r["patches"][0]["file"].as_str())
            .unwrap()
            .to_owned();
        let victim = a.join(&first);
        let mut bytes = fs::read(&victim).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 1;
        fs::write(&victim, &bytes).unwrap();
        let res = verify(&a);
        assert_eq!(code(&res), 1, "{set}");
        let doc = parse_json(&res);
        assert!(
            doc["outputs"][0]["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["message"].as_str().unwrap().contains(&first)),
            "{set}: the flipped file is named"
        );
        // Snapshots: the manifest as written, and what people see.
        insta::assert_json_snapshot!(format!("sample_build_manifest_{set}"), manifest(&b));
        let human = format!(
            "stdout:\n{}stderr:\n{}",
            String::from_utf8_lossy(&res_human(&run, tmp.path()).stdout),
            String::from_utf8_lossy(&res_human(&run, tmp.path()).stderr)
                .replace(&tmp.path().join("c").display().to_string(), "<out>")
        );
        insta::assert_snapshot!(format!("sample_build_human_{set}"), human);
    }
}

/// Runs the sample build once more into `<dir>/c` (fresh each call) for the human snapshot.
fn res_human(run: &dyn Fn(&Path) -> std::process::Output, dir: &Path) -> std::process::Output {
    let c = dir.join("c");
    let _ = fs::remove_dir_all(&c);
    run(&c)
}

/// Regression: a member whose file name is not a valid file name in OUT (a reserved device
/// name) must not be placed; the walk refuses the input as extraction would (exit 2).
#[test]
fn regression_unsafe_member_names_never_become_files_in_out() {
    let d = Downloads::new();
    let evil = crate::fixtures::zip::zip(&[("CON.msp", b"x"), ("ok-x-none.msp", b"y")]);
    fs::write(
        d.downloads().join("evil-kb999999-fullfile-x86-glb.zip"),
        evil,
    )
    .unwrap();
    let out = d.dir.path().join("out");
    let (status, doc, _) = d.build(&out, &[]);
    assert_eq!(status, 2);
    assert_eq!(doc["outcome"], "inputs-failed");
    assert!(
        doc["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["error"]["code"] == "unsafe-name"),
        "{:#}",
        doc["errors"]
    );
    assert!(!out.exists());
}

/// Regression: the build walk pools members on disk, so it has total-size and entry budgets.
#[test]
fn regression_build_walk_is_budgeted() {
    let d = Downloads::new();
    for (flag, value) in [("--max-size", "4K"), ("--max-entries", "2")] {
        let out = d.dir.path().join(format!("out{flag}"));
        let (status, doc, stderr) = d.build(&out, &[flag, value]);
        assert_eq!(status, 2, "{flag}: {stderr}");
        assert_eq!(doc["outcome"], "inputs-failed");
        assert!(
            stderr.contains("budget") || stderr.contains("more than"),
            "{stderr}"
        );
        assert!(!out.exists());
    }
}

/// Languages on purpose: a language asked for that the downloads do not hold is an error
/// (nothing written), a bare language is refused with the cultures present, and without
/// --lang the base language is en-us, not whatever the downloads hold.
#[test]
fn regression_languages_are_chosen_on_purpose() {
    let d = Downloads::new();
    let out = d.dir.path().join("out");
    let (status, doc, stderr) = d.build(&out, &["--lang", "fr-fr"]);
    assert_eq!(status, 1, "{stderr}");
    assert_eq!(doc["outcome"], "refused");
    let missing: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "language-missing")
        .collect();
    assert_eq!(missing.len(), 1, "{:#}", doc["findings"]);
    assert!(
        missing[0]["message"].as_str().unwrap().contains("de-de"),
        "names the languages present: {}",
        missing[0]["message"]
    );
    assert!(!out.exists());
    let (status, doc, _) = d.build(&out, &["--lang", "de"]);
    assert_eq!(status, 2);
    assert_eq!(doc["error"]["code"], "lang-not-a-culture");
    assert!(doc["error"]["message"].as_str().unwrap().contains("de-de"));
    assert!(!out.exists());
    let (status, doc, _) = d.build(&out, &["--dry-run"]);
    assert_eq!(status, 0);
    assert_eq!(doc["manifest"]["languages"]["base"], "en-us");
}

/// Inputs walked side by side give the same output as one after the other: results are put
/// back in input order.
#[test]
fn builds_on_one_or_several_threads_are_byte_identical() {
    let d = Downloads::new();
    let one = d.dir.path().join("one");
    let many = d.dir.path().join("many");
    assert_eq!(d.build(&one, &["--threads", "1"]).0, 0);
    assert_eq!(d.build(&many, &["--threads", "4"]).0, 0);
    assert_eq!(tree(&one), tree(&many));
}
