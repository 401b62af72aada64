//! SharePoint Server 2019 and Subscription Edition end to end (and 2013's Service Pack 1
//! baseline): the sample downloads with their media, a German language pack and a MinRole farm
//! give identical role folders and the zero-downtime rollout; the language-dependent fallback
//! and its finding; the uber switch; MinRole order rules, table-tested; media refusals.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::fixtures::modern::{Pkg, medium};
use crate::support::{absent_or_empty, code, files_below, json, slipway};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

/// `build --json PRODUCT's samples --media … --language-pack de-de=… -o OUT [extra]`.
fn build_sample(product: &str, out: &Path, extra: &[&OsStr]) -> std::process::Output {
    let s = root().join("samples");
    let lp = format!(
        "de-de={}",
        s.join(format!("media/{product}-de-de")).display()
    );
    let mut args: Vec<&OsStr> = vec![
        "build".as_ref(),
        "--json".as_ref(),
        "--product".as_ref(),
        product.as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ];
    let downloads = s.join(product);
    let media = s.join(format!("media/{product}"));
    args.extend([
        downloads.as_os_str(),
        "--media".as_ref(),
        media.as_os_str(),
        "--language-pack".as_ref(),
        lp.as_ref(),
    ]);
    args.extend_from_slice(extra);
    slipway(args)
}

fn codes(doc: &Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn verify(files: &[PathBuf]) -> Value {
    let mut args: Vec<&OsStr> = vec!["verify".as_ref(), "--json".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let res = slipway(args);
    json(&res)
}

fn sample_files(product: &str, stems: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("samples").join(product))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_lowercase();
            stems.iter().any(|s| n.starts_with(s))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn modern_sample_farms_build_identical_role_folders_and_the_rollout_documents() {
    let tmp = tempfile::tempdir().unwrap();
    for (product, updates) in [
        (
            "sharepoint-2019",
            vec!["sts-x-none.msp", "wssloc-x-none.msp"],
        ),
        ("sharepoint-se", vec!["uber-subscription-x-none.msp"]),
    ] {
        let out = tmp.path().join(product);
        let farm = root().join(format!("samples/farms/{product}.toml"));
        let res = build_sample(product, &out, &["--farm".as_ref(), farm.as_os_str()]);
        assert_eq!(
            code(&res),
            0,
            "{product}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        let manifest = read_json(&out.join("install-manifest.json"));
        let roles: Vec<&str> = manifest["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["folder"].as_str().unwrap())
            .collect();
        assert!(roles.len() >= 2, "{product}: {roles:?}");
        // Every role the same media and updates, byte for byte (every server gets the same
        // binaries and patch level).
        let tree = |role: &str| -> BTreeMap<String, Vec<u8>> {
            let dir = out.join(role);
            files_below(&dir)
                .into_iter()
                .map(|f| {
                    let b = std::fs::read(dir.join(&f)).unwrap();
                    (f, b)
                })
                .collect()
        };
        let first = tree(roles[0]);
        for want in [
            "setup.exe",
            "prerequisiteinstaller.exe",
            "LanguagePacks/de-de/setup.exe",
        ] {
            assert!(
                first.contains_key(want),
                "{product}: no {want} in {:?}",
                first.keys()
            );
        }
        let placed: Vec<&String> = first
            .keys()
            .filter(|k| k.starts_with("Updates/") && k.ends_with(".msp"))
            .collect();
        assert_eq!(
            placed
                .iter()
                .map(|k| k.trim_start_matches("Updates/"))
                .collect::<Vec<_>>(),
            updates,
            "{product}"
        );
        for r in &roles[1..] {
            assert!(
                tree(r) == first,
                "{product}: role {r} differs from {}",
                roles[0]
            );
        }
        for doc in ["report.html", "RUNBOOK.md", "rollout.json", "verify.ps1"] {
            assert!(out.join(doc).is_file(), "{product}: no {doc}");
        }
        let rollout = read_json(&out.join("rollout.json"));
        for sv in rollout["farm"]["servers"].as_array().unwrap() {
            assert!(out.join(sv["script"].as_str().unwrap()).is_file(), "{sv}");
        }
        // Every rule cites its source.
        for s in rollout["sequence"].as_array().unwrap() {
            assert!(
                !s["sources"].as_array().unwrap().is_empty(),
                "{product} step {}: no source",
                s["step"]
            );
        }
        let report = std::fs::read_to_string(out.join("report.html")).unwrap();
        for sv in rollout["farm"]["servers"].as_array().unwrap() {
            assert!(
                report.contains(sv["name"].as_str().unwrap()),
                "{product}: report lacks {sv}"
            );
        }
    }
}

/// The rollout's servers of the steps whose template id is `id`, in step order.
fn servers_of(r: &Value, id: &str) -> Vec<String> {
    r["sequence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["id"] == id)
        .map(|s| s["server"].as_str().unwrap().to_owned())
        .collect()
}

fn step_nums(r: &Value, f: impl Fn(&Value) -> bool) -> Vec<u64> {
    r["sequence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| f(s))
        .map(|s| s["step"].as_u64().unwrap())
        .collect()
}

/// The zero-downtime order for MinRole farms (the vendor's "SharePoint Server zero downtime
/// patching steps"): front ends' first half patched, then their second half, then the other
/// servers' first half ("column 1"), then the second ("column 2"); PSConfig on the second half
/// of the front ends first, then the first half, then column 1, then column 2, one at a time;
/// every binary on every server before any PSConfig; Search paused around the Search servers'
/// patching; the Distributed Cache stopped before each patch and PSConfig on its hosts.
#[test]
fn minrole_farms_follow_the_zero_downtime_order() {
    let s = |n: &str, r: &str| format!("[[server]]\nname = \"{n}\"\nrole = \"{r}\"\n");
    type Row = (&'static str, String, Vec<&'static str>, Vec<&'static str>);
    let rows: Vec<Row> = vec![
        (
            "sharepoint-se",
            std::fs::read_to_string(root().join("samples/farms/sharepoint-se.toml")).unwrap(),
            vec![
                "SPWEB01", "SPWEB02", "SPAPP01", "SPDCH01", "SPSRCH01", "SPAPP02", "SPDCH02",
                "SPSRCH02",
            ],
            vec![
                "SPWEB02", "SPWEB01", "SPAPP01", "SPDCH01", "SPSRCH01", "SPAPP02", "SPDCH02",
                "SPSRCH02",
            ],
        ),
        (
            "sharepoint-2019",
            std::fs::read_to_string(root().join("samples/farms/sharepoint-2019.toml")).unwrap(),
            vec!["SP19WFE01", "SP19WFE02", "SP19APP01", "SP19APP02"],
            vec!["SP19WFE02", "SP19WFE01", "SP19APP01", "SP19APP02"],
        ),
        // Three front ends, given out of order: halves of two (by name) and one.
        (
            "sharepoint-se",
            [
                s("W3", "web-front-end"),
                s("A2", "application"),
                s("W1", "web-front-end"),
                s("A1", "application"),
                s("W2", "web-front-end"),
                s("Q1", "search"),
            ]
            .concat(),
            vec!["W1", "W2", "W3", "A1", "Q1", "A2"],
            vec!["W3", "W1", "W2", "A1", "Q1", "A2"],
        ),
        // One server: the single-server farm, patched and configured.
        (
            "sharepoint-2019",
            s("ONE", "single-server-farm"),
            vec!["ONE"],
            vec!["ONE"],
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    for (n, (product, farm, install, configure)) in rows.into_iter().enumerate() {
        let farm_file = tmp.path().join(format!("farm{n}.toml"));
        std::fs::write(&farm_file, &farm).unwrap();
        let out = tmp.path().join(format!("out{n}"));
        let downloads = root().join("samples").join(product);
        let res = slipway([
            "build".as_ref(),
            "--product".as_ref(),
            OsStr::new(product),
            "-o".as_ref(),
            out.as_os_str(),
            "--farm".as_ref(),
            farm_file.as_os_str(),
            downloads.as_os_str(),
        ]);
        assert_eq!(
            code(&res),
            0,
            "row {n}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        let r = read_json(&out.join("rollout.json"));
        // The first package on each server, in step order.
        let mut first_install: Vec<String> = Vec::new();
        for sv in servers_of(&r, "sharepoint-package") {
            if !first_install.contains(&sv) {
                first_install.push(sv);
            }
        }
        assert_eq!(first_install, install, "row {n}: install order");
        assert_eq!(
            servers_of(&r, "psconfig"),
            configure,
            "row {n}: PSConfig order"
        );
        let installs = step_nums(&r, |s| s["action"] == "install");
        let psconfig = step_nums(&r, |s| s["id"] == "psconfig");
        assert!(
            installs.iter().max() < psconfig.iter().min(),
            "row {n}: a PSConfig runs before every server is patched"
        );
        // The vendor's command line for updates, on every server.
        for st in r["sequence"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["id"] == "psconfig")
        {
            assert!(
                st["command"].as_str().unwrap().ends_with(
                    "PSConfig.exe') -cmd upgrade -inplace b2b -wait -cmd applicationcontent -install -cmd installfeatures -cmd secureresources -cmd services -install"
                ),
                "row {n}: {st}"
            );
        }
        // Search: paused before any Search server is patched, resumed after all of them and
        // before the first PSConfig.
        let hosts = |role_part: &str| -> Vec<String> {
            r["farm"]["servers"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["role"].as_str().unwrap().contains(role_part))
                .map(|s| s["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let search = hosts("search");
        if !search.is_empty() {
            let suspend = step_nums(&r, |s| s["id"] == "suspend-search");
            let resume = step_nums(&r, |s| s["id"] == "resume-search");
            assert_eq!((suspend.len(), resume.len()), (1, 1), "row {n}");
            let search_installs = step_nums(&r, |s| {
                s["action"] == "install" && search.iter().any(|h| s["server"] == h.as_str())
            });
            assert!(
                suspend[0] < search_installs[0],
                "row {n}: Search not paused first"
            );
            assert!(resume[0] > *search_installs.last().unwrap(), "row {n}");
            assert!(resume[0] < psconfig[0], "row {n}");
        }
        // Distributed Cache: stopped on its host before each patch and each PSConfig there;
        // -Graceful only on Subscription Edition (the vendor's warning for 2013-2019).
        for h in hosts("distributed-cache") {
            let on = |id: &str| step_nums(&r, |s| s["server"] == h.as_str() && s["id"] == id);
            let stops = on("stop-distributed-cache");
            let (inst, conf) = (on("sharepoint-package"), on("psconfig"));
            assert_eq!(stops.len(), 2, "row {n} {h}: {stops:?}");
            assert!(
                stops[0] < inst[0] && inst.iter().all(|&i| i < stops[1]) && stops[1] < conf[0],
                "row {n} {h}"
            );
            let cmd = r["sequence"][usize::try_from(stops[0] - 1).unwrap()]["command"]
                .as_str()
                .unwrap()
                .to_owned();
            assert_eq!(
                cmd.contains("Stop-SPDistributedCacheServiceInstance -Graceful"),
                product == "sharepoint-se",
                "row {n}: {cmd}"
            );
        }
    }
}

#[test]
fn a_month_without_a_language_dependent_package_takes_the_newest_earlier_one_and_says_so() {
    // Both packages: the fallback is said (info), nothing is missing.
    let doc = verify(&sample_files("sharepoint-2019", &["sts", "wssloc"]));
    let c = codes(&doc);
    let fallback: Vec<&String> = c
        .iter()
        .filter(|(k, _)| k == "language-dependent-fallback")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(fallback.len(), 1, "{c:?}");
    assert!(
        fallback[0].contains("November 2025")
            && fallback[0].contains("KB5002798")
            && fallback[0].contains("October 2025"),
        "{}",
        fallback[0]
    );
    assert!(
        !c.iter().any(|(k, _)| k == "language-dependent-missing"),
        "{c:?}"
    );
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "language-dependent-fallback")
        .unwrap();
    assert_eq!(f["severity"], "info");
    // The core alone: the partner it needs is named as missing (a warning).
    let doc = verify(&sample_files("sharepoint-2019", &["sts"]));
    let missing: Vec<&Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "language-dependent-missing")
        .collect();
    assert_eq!(missing.len(), 1, "{doc}");
    assert_eq!(missing[0]["severity"], "warning");
    assert!(
        missing[0]["message"]
            .as_str()
            .unwrap()
            .contains("wssloc2019-kb5002798-fullfile-x64-glb.exe")
    );
}

#[test]
fn an_uber_package_supersedes_an_older_sts_wssloc_pair() {
    let doc = verify(&sample_files("sharepoint-se", &["uber", "sts", "wssloc"]));
    let superseded: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "superseded")
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(superseded.len(), 2, "{superseded:?}");
    for (fam, m) in ["sts", "wssloc"].iter().zip(&superseded) {
        assert!(
            m.starts_with(&format!("family {fam} build 16.0.15601.20478")),
            "{m}"
        );
        assert!(
            m.contains("uber-subscription-x-none.msp (build 16.0.19725.20280)"),
            "{m}"
        );
    }
    // The pair alone (February 2023, before the switch) is current and complete.
    let doc = verify(&sample_files("sharepoint-se", &["sts", "wssloc"]));
    let c = codes(&doc);
    assert!(
        !c.iter()
            .any(|(k, _)| k == "superseded" || k.starts_with("language-dependent")),
        "{c:?}"
    );
    assert!(doc["errors"].as_array().unwrap().is_empty(), "{doc}");
}

/// SharePoint Server 2013 cumulative updates from April 2015 need Service Pack 1
/// (`requires_build` 15.0.4571.1502, third-party source in the catalog): on RTM media the build
/// stops with `missing-baseline` and writes nothing; on SP1 media it builds.
#[test]
fn a_2013_cumulative_update_on_media_without_its_service_pack_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let downloads = tmp.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let name = "ubersrv2013-kb2965266-fullfile-x64-glb.exe";
    let pkg = Pkg {
        name,
        kb: "2965266",
        build: "15.0.4711.1000",
        patch: "sts-x-none.msp",
        family: "sts",
        product: "Microsoft SharePoint Server 2013",
        target: "{90150000-110D-0000-1000-0000000FF1CE}",
        created: "04/14/2015 12:00",
    };
    std::fs::write(downloads.join(name), pkg.build()).unwrap();
    for (media_build, want_code, refused) in
        [("15.0.4420.1017", 1, true), ("15.0.4571.1502", 0, false)]
    {
        let media = tmp.path().join(format!("media-{media_build}"));
        for (rel, bytes) in medium(
            "m",
            "Microsoft SharePoint Server 2013",
            media_build,
            0x0409,
            &["prerequisiteinstaller.exe"],
        ) {
            let p = media.join(rel.trim_start_matches("m/"));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        }
        let out = tmp.path().join(format!("out-{media_build}"));
        let res = slipway([
            "build".as_ref(),
            "--json".as_ref(),
            "--product".as_ref(),
            OsStr::new("sharepoint-2013"),
            "--media".as_ref(),
            media.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            downloads.as_os_str(),
        ]);
        let doc = json(&res);
        let missing: Vec<&Value> = doc["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|f| f["code"] == "missing-baseline")
                    .collect()
            })
            .unwrap_or_default();
        if refused {
            assert_eq!(code(&res), want_code, "{doc}");
            assert!(!missing.is_empty(), "{doc}");
            for f in &missing {
                assert_eq!(f["severity"], "error");
                let m = f["message"].as_str().unwrap();
                assert!(
                    m.contains("15.0.4571.1502") && m.contains(media_build),
                    "{m}"
                );
            }
            assert!(absent_or_empty(&out), "written despite the refusal");
        } else {
            assert_eq!(code(&res), want_code, "{doc}");
            assert!(missing.is_empty(), "{doc}");
        }
    }
}

#[test]
fn modern_media_of_another_product_or_language_are_refused_and_nothing_is_written() {
    let s = root().join("samples");
    let tmp = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<String>, &str, &str)> = vec![
        // 2019 media for Subscription Edition and back: the same 16.0 version, told apart by
        // first build.
        (
            "sharepoint-se",
            vec![
                "--media".into(),
                s.join("media/sharepoint-2019").display().to_string(),
            ],
            "media-product",
            "which is sharepoint-2019",
        ),
        (
            "sharepoint-2019",
            vec![
                "--media".into(),
                s.join("media/sharepoint-se").display().to_string(),
            ],
            "media-product",
            "which is sharepoint-se",
        ),
        // 2007 media for Subscription Edition.
        (
            "sharepoint-se",
            vec![
                "--media".into(),
                s.join("media/sharepoint-2007").display().to_string(),
            ],
            "media-product",
            "sharepoint-2007",
        ),
        // A language pack given as the server media: its files are not the server's.
        (
            "sharepoint-se",
            vec![
                "--media".into(),
                s.join("media/sharepoint-se-de-de").display().to_string(),
            ],
            "media-product",
            "prerequisiteinstaller.exe",
        ),
        // The German language pack given as French.
        (
            "sharepoint-se",
            vec![
                "--language-pack".into(),
                format!("fr-fr={}", s.join("media/sharepoint-se-de-de").display()),
            ],
            "media-language",
            "its setup.exe is de-de",
        ),
        (
            "sharepoint-2019",
            vec![
                "--language-pack".into(),
                format!("fr-fr={}", s.join("media/sharepoint-2019-de-de").display()),
            ],
            "media-language",
            "its setup.exe is de-de",
        ),
        // Another product's language pack.
        (
            "sharepoint-se",
            vec![
                "--language-pack".into(),
                format!("de-de={}", s.join("media/sharepoint-2019-de-de").display()),
            ],
            "media-product",
            "which is sharepoint-2019",
        ),
    ];
    for (n, (product, extra, want, says)) in cases.into_iter().enumerate() {
        let out = tmp.path().join(format!("out{n}"));
        let downloads = s.join(product);
        let mut args: Vec<&OsStr> = vec![
            "build".as_ref(),
            "--json".as_ref(),
            downloads.as_os_str(),
            "--product".as_ref(),
            OsStr::new(product),
            "-o".as_ref(),
            out.as_os_str(),
        ];
        args.extend(extra.iter().map(OsStr::new));
        let res = slipway(args);
        assert_eq!(code(&res), 2, "case {n}");
        let doc = json(&res);
        assert_eq!(doc["error"]["code"], want, "case {n}: {doc}");
        assert!(
            doc["error"]["message"].as_str().unwrap().contains(says),
            "case {n}: {doc}"
        );
        assert!(absent_or_empty(&out), "case {n}: something was written");
        assert_eq!(
            String::from_utf8_lossy(&res.stderr).lines().count(),
            1,
            "case {n}"
        );
    }
}
