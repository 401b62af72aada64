//! `slipway catalog check`: the schema rules plus the semantic checks a schema cannot state
//! (duplicates, builds that go backwards in time, invisible characters, dangling references).
//!
//! Everything works on the raw `serde_json::Value`, so a document with schema errors still gets
//! its semantic checks, and every problem carries the JSON pointer of the value it is about.
//! Codes are stable and kebab-case; the README lists them.
//!
//! One file per group of checks, each adding its methods to the one `Checker` that walks
//! the document: `text` (invisible characters, spaces in file names), `ids` (duplicate ids and
//! families, references that lead nowhere), `releases` (undocumented KBs and builds, duplicate
//! KBs, duplicate and conflicting files), `builds` (builds that go backwards), `rollout` (the
//! rollout rules: roles, placeholders, texts).

mod builds;
mod ids;
mod releases;
mod rollout;
mod text;

use serde_json::Value;

use super::schema;

// `Problem` lives in `problem`, which the schema validator shares without importing this
// module; re-exported so that `check::Problem` and friends keep working.
pub use super::problem::{Problem, has_errors, pointer_push};
pub use text::kb_in_name;

/// Every problem in a catalog document: schema violations first, then the semantic checks,
/// each group in document order.
pub fn check(value: &Value) -> Vec<Problem> {
    let mut out = schema::validate_catalog(value);
    if out.is_empty()
        && let Err(e) = serde_json::from_value::<super::model::Catalog>(value.clone())
    {
        // The schema and the model disagree (a bug, but never a panic): report it so that a
        // catalog `check` accepts always loads.
        out.push(Problem::error(
            "schema",
            "",
            format!("cannot be loaded: {e}"),
        ));
    }
    let mut c = Checker {
        doc: value,
        out: Vec::new(),
    };
    c.run();
    out.extend(c.out);
    out
}

/// A note acknowledges a problem when it contains the problem's code (`"build-backwards: the
/// vendor shipped …"`): the problem is then reported as a warning.
fn acknowledged(release: &Value, code: &str) -> bool {
    release
        .get("notes")
        .and_then(Value::as_array)
        .is_some_and(|notes| {
            notes
                .iter()
                .filter_map(Value::as_str)
                .any(|n| n.to_ascii_lowercase().contains(code))
        })
}

/// The semantic checks of one document: each is a method (in the file of its group) that
/// appends to `out`; `run` calls them in report order.
struct Checker<'a> {
    doc: &'a Value,
    out: Vec<Problem>,
}

/// An array member of the document with its index and pointer.
fn members<'a>(v: Option<&'a Value>, path: &str) -> Vec<(usize, String, &'a Value)> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, m)| (i, pointer_push(path, &i.to_string()), m))
                .collect()
        })
        .unwrap_or_default()
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// The strings of an array member (`families`, `roles`, …) with their pointers.
fn strings<'a>(v: &'a Value, key: &str, path: &str) -> Vec<(String, &'a str)> {
    let here = pointer_push(path, key);
    members(v.get(key), &here)
        .into_iter()
        .filter_map(|(_, p, s)| s.as_str().map(|s| (p, s)))
        .collect()
}

impl<'a> Checker<'a> {
    fn error(&mut self, code: &str, path: &str, message: String) {
        self.out.push(Problem::error(code, path, message));
    }

    fn run(&mut self) {
        if !self.doc.is_object() {
            return; // the schema said so already
        }
        self.characters(self.doc, "", false);
        self.undocumented();
        self.file_names();
        self.duplicate_ids();
        self.references();
        self.kbs();
        self.files();
        self.builds();
        self.rollout_rules();
    }

    fn releases(&self) -> Vec<(usize, String, &'a Value)> {
        members(self.doc.get("releases"), "/releases")
    }
}

/// Sort key of a `/releases/N/…` pointer: N.
fn release_order(path: &str) -> usize {
    path.split('/')
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    pub(super) fn minimal() -> Value {
        json!({
            "schema_version": 1,
            "id": "demo",
            "title": "Demo product",
            "architectures": ["x64"],
            "components": [
                {"id": "wss", "title": "WSS", "families": ["sts", "wssmui"], "localized_families": ["wssmui"]},
                {"id": "moss", "title": "MOSS", "families": ["coreserver"], "requires": ["wss"]}
            ],
            "roles": [
                {"id": "app", "title": "App", "rollout_rank": 1, "role_families": ["sts"]},
                {"id": "wfe", "title": "WFE", "rollout_rank": 2}
            ],
            "releases": [
                {"id": "sp1", "name": "Service Pack 1", "kind": "service-pack", "component": "wss",
                 "date": "2007-12", "kb": "936988", "build": "12.0.6219.1000",
                 "files": [{"name": "wssv3sp1-kb936988-x64-fullfile-en-us.exe", "arch": "x64"}]},
                {"id": "cu1", "name": "October 2009 CU", "kind": "cumulative-update", "component": "wss",
                 "date": "2009-10", "kb": "975002", "build": "12.0.6520.5000", "requires_build": "12.0.6219.1000",
                 "files": [{"name": "wss-kb975002-fullfile-x64-glb.exe"}],
                 "patches": [{"family": "sts", "roles": ["app"]}]}
            ],
            "recommended_sequence": ["sp1", "cu1"],
            "quirks": [{"id": "q", "description": "d", "remove_file": "wsssetup.dll", "when_component": "moss"}],
            "steps": [{"id": "psconfig", "text": "Run it", "scope": "per-server", "role_order": ["app", "wfe"]}]
        })
    }

    pub(super) fn codes(v: &Value) -> Vec<(String, String)> {
        check(v).into_iter().map(|p| (p.code, p.path)).collect()
    }

    #[test]
    fn a_good_catalog_has_no_problems_and_deserializes() {
        let v = minimal();
        assert_eq!(check(&v), vec![]);
        let c: super::super::model::Catalog = serde_json::from_value(v).unwrap();
        assert_eq!(c.releases.len(), 2);
    }

    #[test]
    fn non_objects_and_odd_shapes_do_not_panic() {
        for v in [
            json!(null),
            json!([]),
            json!("x"),
            json!({"releases": 5}),
            json!({"releases": [1, {"files": 3, "patches": [null]}], "components": [{"families": [1]}]}),
        ] {
            let p = check(&v);
            assert!(has_errors(&p));
        }
    }
}
