//! The `--json` contract: every document a test run prints is validated against the command's
//! published schema (`manifests/<command>.output.schema.json`) by an independent JSON Schema
//! validator; the schemas themselves are checked against the draft 2020-12 meta-schema.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use jsonschema::{Registry, Validator};
use serde_json::{Value, json};

use super::support::{slipway, slipway_cmd};

fn manifests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests")
}

/// A shipped sample package, for the runs whose stdout goes somewhere unusual.
fn sample_package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/sharepoint-2007/wss-kb975002-fullfile-x86-glb.exe")
}

/// Every schema in `manifests/`, by file name.
fn schemas() -> &'static Vec<(String, Value)> {
    static SCHEMAS: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let mut all = Vec::new();
        for entry in std::fs::read_dir(manifests()).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".schema.json") {
                let text = std::fs::read_to_string(&path).unwrap();
                let value: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
                all.push((name, value));
            }
        }
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    })
}

/// The published output schema of each command, by the name `command` carries.
const COMMANDS: &[(&str, &str)] = &[
    ("extract", "extract.output.schema.json"),
    ("inspect", "inspect.output.schema.json"),
    ("verify", "verify.output.schema.json"),
    ("build", "build.output.schema.json"),
    ("catalog list", "catalog-list.output.schema.json"),
    ("catalog show", "catalog-show.output.schema.json"),
    ("catalog check", "catalog-check.output.schema.json"),
    ("farm check", "farm-check.output.schema.json"),
];

/// A validator for every command's schema (and `fatal` for the commands that only ever print
/// the document of a run that stopped), every schema of `manifests/` registered under its
/// `$id`, nothing fetched.
fn validators() -> &'static HashMap<&'static str, Validator> {
    static VALIDATORS: OnceLock<HashMap<&'static str, Validator>> = OnceLock::new();
    VALIDATORS.get_or_init(|| {
        let mut registry = Registry::new();
        for (name, schema) in schemas() {
            let id = schema["$id"]
                .as_str()
                .unwrap_or_else(|| panic!("{name} has no $id"));
            registry = registry.add(id, schema.clone()).unwrap();
        }
        let registry = registry.prepare().unwrap();
        let build = |schema: &Value| {
            jsonschema::options()
                .offline()
                .with_registry(&registry)
                .build(schema)
                .unwrap_or_else(|e| panic!("schema does not compile: {e}"))
        };
        let mut map = HashMap::new();
        for (command, file) in COMMANDS {
            let (_, schema) = schemas()
                .iter()
                .find(|(n, _)| n == file)
                .unwrap_or_else(|| panic!("manifests/{file} is missing"));
            map.insert(*command, build(schema));
        }
        let fatal = json!({"$ref": "https://slipway.invalid/output-defs.schema.json#/$defs/fatal"});
        map.insert("fatal", build(&fatal));
        map
    })
}

/// The problems of `doc` against `command`'s schema (empty: valid).
pub fn problems(command: &str, doc: &Value) -> Vec<String> {
    let key = if COMMANDS.iter().any(|(c, _)| *c == command) {
        command
    } else {
        "fatal"
    };
    let mut found: Vec<String> = validators()[key]
        .iter_errors(doc)
        .map(|e| {
            // The message quotes the whole value: keep the start of it.
            let text = e.to_string();
            let short: String = text.chars().take(400).collect();
            format!("at {:?}: {short}", e.instance_path().to_string())
        })
        .collect();
    // A document names the command that printed it (`catalog show` prints the catalog itself).
    if (command != "catalog show" || doc.get("command").is_some())
        && doc["command"] != json!(command)
    {
        found.push(format!("command is {}, not {command:?}", doc["command"]));
    }
    found
}

/// Panics unless `doc` is a valid `--json` document of `command`.
pub fn assert_valid(command: &str, doc: &Value) {
    let found = problems(command, doc);
    assert!(
        found.is_empty(),
        "the --json document of `{command}` does not match its schema:\n{}\n{}",
        found.join("\n"),
        serde_json::to_string_pretty(doc).unwrap()
    );
}

/// The command a command line runs, as documents name it (`catalog list`), when it asks for
/// `--json`: the first word that is a command, and for `catalog`/`farm` the next.
pub fn json_command(args: &[String]) -> Option<String> {
    if !args.iter().any(|a| a == "--json") {
        return None;
    }
    const TOP: &[&str] = &[
        "extract",
        "inspect",
        "verify",
        "build",
        "catalog",
        "farm",
        "completions",
        "man",
    ];
    let at = args.iter().position(|a| TOP.contains(&a.as_str()))?;
    match args[at].as_str() {
        group @ ("catalog" | "farm") => {
            let sub = args[at + 1..].iter().find(|a| !a.starts_with('-'))?;
            Some(format!("{group} {sub}"))
        }
        one => Some(one.to_owned()),
    }
}

/// Validates the stdout of a run of `args` when it asked for `--json`. A run clap refused
/// (usage error, exit 2) prints no document; any other prints exactly one.
pub fn check_run(args: &[String], stdout: &[u8]) {
    let Some(command) = json_command(args) else {
        return;
    };
    if stdout.is_empty() {
        return;
    }
    let doc: Value = serde_json::from_slice(stdout).unwrap_or_else(|e| {
        panic!(
            "`{}` printed no JSON document ({e}):\n{}",
            args.join(" "),
            String::from_utf8_lossy(stdout)
        )
    });
    assert_valid(&command, &doc);
}

#[test]
fn every_schema_is_a_valid_draft_2020_12_schema_with_an_id() {
    for (name, schema) in schemas() {
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert!(schema["$id"].is_string(), "{name} has no $id");
        if let Err(e) = jsonschema::meta::validate(schema) {
            panic!("{name}: {e}");
        }
    }
    // Every command's schema compiles with every reference resolved offline.
    assert_eq!(validators().len(), COMMANDS.len() + 1);
}

#[test]
fn every_output_schema_is_one_a_command_prints() {
    let published: Vec<&str> = schemas()
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| n.ends_with(".output.schema.json"))
        .collect();
    let used: Vec<&str> = COMMANDS.iter().map(|(_, f)| *f).collect();
    for name in &published {
        assert!(used.contains(name), "{name} belongs to no command");
    }
}

#[test]
fn the_schemas_reject_what_the_contract_does_not_allow() {
    let out = slipway(["catalog", "list", "--json"]);
    let good: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(problems("catalog list", &good).is_empty());
    let mut unknown = good.clone();
    unknown["surprise"] = json!(1);
    assert!(!problems("catalog list", &unknown).is_empty());
    let mut version = good.clone();
    version["schema_version"] = json!(2);
    assert!(!problems("catalog list", &version).is_empty());
    let mut missing = good.clone();
    missing["catalogs"][0]
        .as_object_mut()
        .unwrap()
        .remove("releases");
    assert!(!problems("catalog list", &missing).is_empty());
    // Another command's document is not this one's.
    assert!(!problems("farm check", &good).is_empty());
    // The document of a run that stopped is every command's.
    let fatal = json!({"schema_version": 1, "command": "verify", "ok": false,
        "error": {"code": "no-inputs", "message": "nothing to verify", "origin": null}});
    assert!(problems("verify", &fatal).is_empty());
    let mut bad = fatal.clone();
    bad["ok"] = json!(true);
    assert!(!problems("verify", &bad).is_empty());
}

#[test]
fn the_command_of_a_command_line_is_found() {
    let args = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(
        json_command(&args("--catalog x.json catalog check --json f.json")),
        Some("catalog check".into())
    );
    assert_eq!(
        json_command(&args("farm --json check f.toml")),
        Some("farm check".into())
    );
    assert_eq!(
        json_command(&args("verify a.exe --json")),
        Some("verify".into())
    );
    assert_eq!(json_command(&args("verify a.exe")), None);
}

#[test]
#[should_panic(expected = "does not match its schema")]
fn a_run_whose_document_breaks_the_contract_fails_its_test() {
    let args = ["catalog", "list", "--json"].map(str::to_owned);
    check_run(
        &args,
        br#"{"schema_version": 1, "command": "catalog list", "ok": true}"#,
    );
}

/// `--json > file` on a full disk: the document is cut short, so the run fails (exit 2) with
/// one line naming standard output, even though the command itself succeeded.
#[cfg(target_os = "linux")]
#[test]
fn a_document_that_cannot_be_written_to_stdout_fails_the_run() {
    let pkg = sample_package();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let out = slipway_cmd()
        .args(["inspect", "--json"])
        .arg(&pkg)
        .stdout(full)
        .output()
        .expect("run slipway");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("could not write to standard output"),
        "{stderr}"
    );
    // The same run with somewhere to write succeeds (its document checked against the schema).
    let ok = slipway([
        std::ffi::OsStr::new("inspect"),
        std::ffi::OsStr::new("--json"),
        pkg.as_os_str(),
    ]);
    assert_eq!(ok.status.code(), Some(0));
}

/// `slipway … | head`: a reader that stops early is not an error of slipway's.
#[cfg(unix)]
#[test]
fn a_pipe_closed_by_its_reader_is_not_a_failure() {
    let pkg = sample_package();
    let mut child = slipway_cmd()
        .args(["inspect", "--json"])
        .arg(&pkg)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run slipway");
    // Close the reading end before anything is read.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("standard output"), "{stderr}");
}
