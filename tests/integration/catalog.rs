//! `slipway catalog list|show|check`: the shipped catalogs pass, a catalog generated from the
//! reference inventory reports exactly its known defects, and a fixture for each defect class.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{code, json, slipway};

fn manifests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests")
}

fn shipped_catalogs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(manifests())
        .expect("manifests/")
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name()
                    .is_some_and(|n| !n.to_string_lossy().ends_with(".schema.json"))
        })
        .collect();
    v.sort();
    v
}

/// Writes `doc` to a temporary file and runs `slipway catalog check --json` on it.
fn check_doc(doc: &Value) -> (i32, Value) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.json");
    std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    let out = slipway([
        "catalog".as_ref(),
        "check".as_ref(),
        path.as_os_str(),
        "--json".as_ref(),
    ]);
    (code(&out), json(&out))
}

/// (severity, code, path) of every problem in a `catalog check --json` document.
fn triples(doc: &Value) -> Vec<(String, String, String)> {
    doc["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["severity"].as_str().unwrap().to_owned(),
                p["code"].as_str().unwrap().to_owned(),
                p["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn t(severity: &str, code: &str, path: &str) -> (String, String, String) {
    (severity.to_owned(), code.to_owned(), path.to_owned())
}

#[test]
fn every_shipped_catalog_passes_check_and_the_schema() {
    let files = shipped_catalogs();
    assert!(files.len() >= 13, "{files:?}");
    for f in files {
        let out = slipway(["catalog".as_ref(), "check".as_ref(), f.as_os_str()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            code(&out),
            0,
            "{}:\n{stdout}{}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !stdout.lines().any(|l| l.starts_with("error ")),
            "{}:\n{stdout}",
            f.display()
        );
        let value: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let schema_problems = slipway::catalog::schema::validate_catalog(&value);
        assert!(
            schema_problems.is_empty(),
            "{}: {schema_problems:?}",
            f.display()
        );
    }
}

#[test]
fn list_and_show_cover_every_builtin() {
    let out = slipway(["catalog", "list", "--json"]);
    assert_eq!(code(&out), 0);
    let doc = json(&out);
    let ids: Vec<&str> = doc["catalogs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), shipped_catalogs().len());
    for id in ids {
        let out = slipway(["catalog", "show", id, "--json"]);
        assert_eq!(code(&out), 0, "{id}");
        assert_eq!(json(&out)["id"], id);
        let human = slipway(["catalog", "show", id]);
        assert_eq!(code(&human), 0);
        let text = String::from_utf8_lossy(&human.stdout);
        assert!(text.starts_with(&format!("{id} — ")), "{text}");
        assert!(text.contains("DATE  "), "{text}");
    }
    let out = slipway(["catalog", "show", "no-such-product"]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-product"));
}

#[test]
fn list_snapshot() {
    let placeholders = shipped_catalogs()
        .iter()
        .any(|f| std::fs::read_to_string(f).is_ok_and(|t| t.contains("PLACEHOLDER")));
    assert!(
        !placeholders,
        "some manifests/*.json are still placeholders"
    );
    let out = slipway(["catalog", "list"]);
    assert_eq!(code(&out), 0);
    insta::assert_snapshot!("catalog_list", String::from_utf8_lossy(&out.stdout));
}

/// A small, valid catalog the defect fixtures start from.
fn good() -> Value {
    json!({
        "schema_version": 1,
        "id": "fixture",
        "title": "Fixture product",
        "architectures": ["x64"],
        "components": [
            {"id": "wss", "title": "WSS", "families": ["sts", "wssmui"], "localized_families": ["wssmui"]},
            {"id": "moss", "title": "MOSS", "families": ["coreserver"], "requires": ["wss"]}
        ],
        "roles": [
            {"id": "app-ca", "title": "Application server with Central Administration", "rollout_rank": 1},
            {"id": "wfe", "title": "Web front end", "rollout_rank": 2}
        ],
        "releases": [
            {"id": "wss-sp2", "name": "Service Pack 2", "kind": "service-pack", "component": "wss",
             "date": "2009-04", "kb": "953338", "build": "12.0.6421.1000",
             "files": [{"name": "wssv3sp2-kb953338-x64-fullfile-en-us.exe", "arch": "x64", "language": "en-us"}]},
            {"id": "wss-2009-08", "name": "August 2009 CU", "kind": "cumulative-update", "component": "wss",
             "date": "2009-08", "kb": "973399", "build": "12.0.6510.5000", "requires_build": "12.0.6421.1000",
             "files": [{"name": "wss-kb973399-fullfile-x64-glb.exe", "arch": "x64"}],
             "patches": [{"family": "sts", "file": "sts-x-none.msp"}]},
            {"id": "wss-2009-10", "name": "October 2009 CU", "kind": "cumulative-update", "component": "wss",
             "date": "2009-10", "kb": "975002", "build": "12.0.6520.5000", "requires_build": "12.0.6421.1000",
             "files": [{"name": "wss-kb975002-fullfile-x64-glb.exe", "arch": "x64",
                        "sha256": "00".repeat(32), "sha1": "11".repeat(20), "size": 1}],
             "patches": [{"family": "sts", "roles": ["app-ca", "wfe"]}]}
        ],
        "recommended_sequence": ["wss-sp2", "wss-2009-10"]
    })
}

#[test]
fn a_good_fixture_has_no_problems() {
    let (rc, doc) = check_doc(&good());
    assert_eq!(rc, 0, "{doc}");
    assert_eq!(doc["ok"], true);
    assert_eq!(triples(&doc), vec![]);
}

#[test]
fn schema_errors_carry_their_json_path() {
    let mut v = good();
    v["releases"][1]["build"] = json!("12.0.6510");
    v["releases"][2]["files"][0]["sha512"] = json!("ff");
    v["releases"][0].as_object_mut().unwrap().remove("kb");
    v["releases"][0]["kind"] = json!("service pack");
    v["roles"][1]["rollout_rank"] = json!(0);
    v["releases"][2]["files"][0]["sha1"] = json!("xyz");
    let (rc, doc) = check_doc(&v);
    assert_eq!(rc, 1);
    assert_eq!(doc["ok"], false);
    assert_eq!(
        triples(&doc),
        vec![
            t("error", "schema", "/releases/0/kb"),
            t("error", "schema", "/releases/0/kind"),
            t("error", "bad-build", "/releases/1/build"),
            t("error", "bad-hash", "/releases/2/files/0/sha1"),
            t("error", "schema", "/releases/2/files/0/sha512"),
            t("error", "schema", "/roles/1/rollout_rank"),
        ]
    );
}

#[test]
fn duplicate_kb_is_reported_at_the_later_release() {
    let mut v = good();
    v["releases"][2]["kb"] = json!("973399");
    v["releases"][2]["files"][0]["name"] = json!("wss-kb973399-fullfile-x64-glb.exe");
    let (rc, doc) = check_doc(&v);
    assert_eq!(rc, 1);
    assert_eq!(
        triples(&doc),
        vec![t("error", "duplicate-kb", "/releases/2/kb")]
    );
    // One release of several packages is not a duplicate.
    let mut v = good();
    v["releases"][2]["files"] = json!([
        {"name": "ubersrv.exe"}, {"name": "ubersrv_1.cab"}, {"name": "ubersrv_2.cab"},
        {"name": "wssloc-kb975003-fullfile-x64-glb.exe", "kb": "975003"}
    ]);
    assert_eq!(triples(&check_doc(&v).1), vec![]);
}

#[test]
fn a_build_that_goes_backwards_is_an_error_unless_acknowledged() {
    let mut v = good();
    v["releases"][2]["build"] = json!("12.0.6505.5000");
    let (rc, doc) = check_doc(&v);
    assert_eq!(rc, 1);
    assert_eq!(
        triples(&doc),
        vec![t("error", "build-backwards", "/releases/2/build")]
    );
    v["releases"][2]["notes"] =
        json!(["build-backwards: the vendor's October package carries an older build"]);
    let (rc, doc) = check_doc(&v);
    assert_eq!(rc, 0);
    assert_eq!(
        triples(&doc),
        vec![t("warning", "build-backwards", "/releases/2/build")]
    );
}

#[test]
fn invisible_characters_and_spaces_in_names() {
    let mut v = good();
    v["releases"][1]["files"][0]["name"] = json!("wss-kb973399-fullfile-x64\u{200b}-glb.exe");
    v["releases"][2]["files"][0]["name"] = json!("wss-kb 975002-fullfile-x64-glb.exe");
    v["releases"][0]["name"] = json!("Service\u{a0}Pack 2");
    let (rc, doc) = check_doc(&v);
    assert_eq!(rc, 1);
    assert_eq!(
        triples(&doc),
        vec![
            t("error", "invisible-character", "/releases/0/name"),
            t("error", "invisible-character", "/releases/1/files/0/name"),
            t("error", "space-in-name", "/releases/2/files/0/name"),
        ]
    );
    let msg = doc["problems"][1]["message"].as_str().unwrap();
    assert!(msg.contains("U+200B"), "{msg}");
}

#[test]
fn unknown_families_components_roles_and_releases() {
    let mut v = good();
    v["releases"][2]["patches"][0]["family"] = json!("xlsrvapp");
    v["releases"][2]["patches"][0]["roles"] = json!(["app-ca", "edge"]);
    v["releases"][1]["component"] = json!("project");
    v["recommended_sequence"] = json!(["wss-sp2", "moss-sp2"]);
    let (rc, doc) = check_doc(&v);
    assert_eq!(rc, 1);
    assert_eq!(
        triples(&doc),
        vec![
            t("error", "unknown-component", "/releases/1/component"),
            t("error", "unknown-family", "/releases/2/patches/0/family"),
            t("error", "unknown-role", "/releases/2/patches/0/roles/1"),
            t("error", "unknown-release", "/recommended_sequence/1"),
        ]
    );
}

#[test]
fn human_lines_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    let mut v = good();
    v["releases"][2]["build"] = json!("12.0.6505.5000");
    std::fs::write(&bad, serde_json::to_vec(&v).unwrap()).unwrap();
    let out = slipway(["catalog".as_ref(), "check".as_ref(), bad.as_os_str()]);
    assert_eq!(code(&out), 1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("error build-backwards /releases/2/build: build 12.0.6505.5000"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 error(s), 0 warning(s)"));

    let syntax = dir.path().join("syntax.json");
    std::fs::write(&syntax, "{\n  \"id\": \"x\",\n}").unwrap();
    let out = slipway([
        "catalog".as_ref(),
        "check".as_ref(),
        syntax.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(code(&out), 1);
    let doc = json(&out);
    assert_eq!(doc["problems"][0]["code"], "syntax");
    assert!(
        doc["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("line 3, column 1"),
        "{doc}"
    );

    let missing = dir.path().join("missing.json");
    let out = slipway([
        "catalog".as_ref(),
        "check".as_ref(),
        missing.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(code(&out), 2);
    assert_eq!(json(&out)["error"]["code"], "catalog-unreadable");
}

#[test]
fn catalog_files_add_and_replace_builtins() {
    let dir = tempfile::tempdir().unwrap();
    let added = dir.path().join("added.json");
    std::fs::write(&added, serde_json::to_vec(&good()).unwrap()).unwrap();
    let mut replacing = good();
    replacing["id"] = json!("sharepoint-2007");
    replacing["title"] = json!("My SharePoint 2007");
    let replaced = dir.path().join("replaced.json");
    std::fs::write(&replaced, serde_json::to_vec(&replacing).unwrap()).unwrap();

    // (clap keeps a global flag's values from one level: all before or all after the
    // subcommand.)
    let out = slipway([
        "--catalog".as_ref(),
        added.as_os_str(),
        "--catalog".as_ref(),
        replaced.as_os_str(),
        "catalog".as_ref(),
        "list".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let doc = json(&out);
    let list = doc["catalogs"].as_array().unwrap();
    assert_eq!(list.len(), shipped_catalogs().len() + 1);
    let by_id: BTreeMap<&str, &Value> = list
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c))
        .collect();
    assert_eq!(by_id["fixture"]["releases"], 3);
    assert_eq!(by_id["fixture"]["newest_build"], "12.0.6520.5000");
    assert_eq!(by_id["sharepoint-2007"]["title"], "My SharePoint 2007");
    assert_eq!(
        by_id["sharepoint-2007"]["source"],
        replaced.display().to_string()
    );

    // `show --json` prints the catalog as given.
    let out = slipway([
        "catalog".as_ref(),
        "show".as_ref(),
        "fixture".as_ref(),
        "--json".as_ref(),
        "--catalog".as_ref(),
        added.as_os_str(),
    ]);
    assert_eq!(code(&out), 0);
    let shown = json(&out);
    let back: slipway::catalog::Catalog = serde_json::from_value(shown.clone()).unwrap();
    let orig: slipway::catalog::Catalog = serde_json::from_value(good()).unwrap();
    assert_eq!(back, orig);
    assert!(slipway::catalog::schema::validate_catalog(&shown).is_empty());

    // A catalog with errors is refused, naming the problem.
    let mut broken = good();
    broken["releases"][2]["build"] = json!("12.0.6505.5000");
    let broken_path = dir.path().join("broken.json");
    std::fs::write(&broken_path, serde_json::to_vec(&broken).unwrap()).unwrap();
    let out = slipway([
        "catalog".as_ref(),
        "list".as_ref(),
        "--catalog".as_ref(),
        broken_path.as_os_str(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("build-backwards"));
    // Two files for one product are ambiguous.
    let out = slipway([
        "catalog".as_ref(),
        "list".as_ref(),
        "--catalog".as_ref(),
        added.as_os_str(),
        "--catalog".as_ref(),
        added.as_os_str(),
    ]);
    assert_eq!(code(&out), 2);
}

/// The reference inventory, or `None` (the test says it skips).
fn reference() -> Option<String> {
    let path = std::env::var_os("SLIPWAY_REFERENCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/reference/sharepoint-updates.tsv"
            ))
        });
    match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) => {
            crate::support::skip(
                "reference catalog",
                &format!(
                    "{} is not readable ({e}); set SLIPWAY_REFERENCE",
                    path.display()
                ),
            );
            None
        }
    }
}

/// The digits after `kb` in a file name, spaces allowed (`wacserver2016-kb 3191915-…`).
fn lenient_kb(file: &str) -> Option<String> {
    let lower = file.to_ascii_lowercase();
    let rest = &lower[lower.find("kb")? + 2..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// One catalog for the whole inventory: a component per product, a release per product and
/// release name (rows sharing a name are one release of several packages; a package with
/// its own KB keeps it in `kb`).
fn reference_catalog(tsv: &str) -> (Value, Vec<(String, String)>) {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut groups: BTreeMap<(String, String), Vec<Vec<&str>>> = BTreeMap::new();
    for line in tsv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 6, "{line}");
        let key = (cols[0].to_owned(), cols[2].to_owned());
        if !groups.contains_key(&key) {
            order.push(key.clone());
        }
        groups.entry(key).or_default().push(cols);
    }
    let products: BTreeSet<&str> = order.iter().map(|(p, _)| p.as_str()).collect();
    let mut releases = Vec::new();
    for key in &order {
        let rows = &groups[key];
        let (product, name) = key;
        let builds: BTreeSet<&str> = rows.iter().map(|r| r[3]).collect();
        assert_eq!(builds.len(), 1, "{key:?}: one build per release");
        let kb = rows
            .iter()
            .map(|r| r[4])
            .find(|k| !k.is_empty())
            .map(str::to_owned)
            .or_else(|| rows.iter().find_map(|r| lenient_kb(r[5])))
            .unwrap_or_else(|| panic!("{key:?}: no KB"));
        let date = slipway::catalog::month_date(name).map(|d| d.to_string());
        let slug = date
            .clone()
            .unwrap_or_else(|| name.to_ascii_lowercase().replace(' ', "-"));
        let files: Vec<Value> = rows
            .iter()
            .map(|r| {
                let mut f = json!({ "name": r[5] });
                if !r[4].is_empty() && r[4] != kb {
                    f["kb"] = json!(r[4]);
                }
                f
            })
            .collect();
        let mut release = json!({
            "id": format!("{}-{slug}", product.to_ascii_lowercase()),
            "name": name,
            "kind": rows[0][1],
            "component": product.to_ascii_lowercase(),
            "kb": kb,
            "build": rows[0][3],
            "files": files,
        });
        if let Some(d) = date {
            release["date"] = json!(d);
        }
        releases.push(release);
    }
    let components: Vec<Value> = products
        .iter()
        .map(|p| json!({"id": p.to_ascii_lowercase(), "title": p, "families": []}))
        .collect();
    let doc = json!({
        "schema_version": 1,
        "id": "reference",
        "title": "Generated from shared/reference/sharepoint-updates.tsv",
        "sources": ["shared/reference/sharepoint-updates.tsv"],
        "components": components,
        "roles": [],
        "releases": releases,
    });
    (doc, order)
}

#[test]
fn the_reference_inventory_reports_exactly_its_known_defects() {
    let Some(tsv) = reference() else { return };
    let (doc, order) = reference_catalog(&tsv);
    assert_eq!(
        tsv.lines().skip(1).filter(|l| !l.is_empty()).count(),
        1243,
        "the reference README promises 1,243 rows"
    );
    let (rc, report) = check_doc(&doc);
    assert_eq!(rc, 1, "the reference has errors");
    // Each problem as (code, product, release name).
    let found: BTreeSet<(String, String, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let path = p["path"].as_str().unwrap();
            let index: usize = path
                .split('/')
                .nth(2)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("not a release problem: {p}"));
            let (product, name) = &order[index];
            (
                p["code"].as_str().unwrap().to_owned(),
                product.clone(),
                name.clone(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String)> = [
        // The reference README's known defects: builds that go backwards…
        ("build-backwards", "SP2010", "December 2019"),
        ("build-backwards", "OfficeWebApps2013", "August 2018"),
        ("build-backwards", "OfficeOnlineServer2016", "July 2016"),
        // …and a space inside one file name (`wacserver2016-kb 3191915-…`).
        ("space-in-name", "OfficeOnlineServer2016", "May 2017"),
        // Two releases listing the same package under the same KB (the issue: "the reference
        // file has real examples of each"): the later month's row repeats the earlier's
        // package with another build.
        ("duplicate-kb", "ProjectServer2013", "October 2013"),
        ("duplicate-kb", "SP2019", "December 2022"),
    ]
    .into_iter()
    .map(|(c, p, n)| (c.to_owned(), p.to_owned(), n.to_owned()))
    .collect();
    assert_eq!(found, expected, "{report:#}");
    assert_eq!(report["problems"].as_array().unwrap().len(), expected.len());
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["severity"] == "error")
    );

    // Several releases span more than one package; none of them is reported as a duplicate.
    let multi = doc["releases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["files"].as_array().unwrap().len() > 1)
        .count();
    assert!(multi > 100, "{multi} multi-package releases");
}
