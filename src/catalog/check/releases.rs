//! Per-release checks: KBs and builds no source gives, KBs claimed by two releases or two
//! packages, files listed twice or with conflicting hashes, names stating another KB.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::model::Kb;

use super::text::kb_in_name;
use super::{Checker, Problem, acknowledged, members, pointer_push, release_order, str_at};

impl<'a> Checker<'a> {
    /// `missing-kb`, `missing-build` (warnings): a release whose KB or build no source gives
    /// (empty in the catalog): packages cannot be matched or checked by it.
    pub(super) fn undocumented(&mut self) {
        for (_, rp, r) in self.releases() {
            for (key, code, what) in [
                (
                    "kb",
                    "missing-kb",
                    "no KB: its packages cannot be recognised by KB",
                ),
                (
                    "build",
                    "missing-build",
                    "no build: its packages' builds cannot be checked",
                ),
            ] {
                if str_at(r, key) == Some("") {
                    self.out.push(Problem::warning(
                        code,
                        &pointer_push(&rp, key),
                        format!("the release has {what} (left empty: no source gives it)"),
                    ));
                }
            }
        }
    }

    /// `duplicate-kb`: a KB identifies one release. Several packages of one release (with or
    /// without their own `kb`) are fine, and so is the same package (same file name) listed in
    /// several releases under its own `kb`; two releases with the same `kb`, or one KB naming
    /// different packages, are not. Notes containing `duplicate-kb` make it a warning.
    pub(super) fn kbs(&mut self) {
        struct Claim<'v> {
            release: usize,
            path: String,
            release_level: bool,
            file: Option<String>,
            value: &'v Value,
        }
        let releases = self.releases();
        let mut by_kb: BTreeMap<Kb, Vec<Claim<'a>>> = BTreeMap::new();
        for (i, rp, r) in &releases {
            if let Some(kb) = str_at(r, "kb").and_then(Kb::parse) {
                by_kb.entry(kb).or_default().push(Claim {
                    release: *i,
                    path: pointer_push(rp, "kb"),
                    release_level: true,
                    file: None,
                    value: r,
                });
            }
            for (_, fp, f) in members(r.get("files"), &pointer_push(rp, "files")) {
                if let Some(kb) = str_at(f, "kb").and_then(Kb::parse) {
                    by_kb.entry(kb).or_default().push(Claim {
                        release: *i,
                        path: pointer_push(&fp, "kb"),
                        release_level: false,
                        file: str_at(f, "name").map(str::to_lowercase),
                        value: r,
                    });
                }
            }
        }
        let release_id = |i: usize| -> String {
            releases
                .get(i)
                .and_then(|(_, _, r)| str_at(r, "id"))
                .unwrap_or("?")
                .to_owned()
        };
        let files_of = |i: usize| -> HashSet<String> {
            releases
                .get(i)
                .map(|(_, _, r)| {
                    members(r.get("files"), "")
                        .into_iter()
                        .filter_map(|(_, _, f)| str_at(f, "name"))
                        .map(str::to_lowercase)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut found = Vec::new();
        for (kb, claims) in &by_kb {
            let mut first_release: Option<&Claim> = None;
            for (idx, c) in claims.iter().enumerate() {
                let conflict: Option<String> = if c.release_level {
                    match first_release {
                        Some(f) if f.release != c.release => Some(format!(
                            "{kb} is also the KB of release {:?} ({})",
                            release_id(f.release),
                            f.path
                        )),
                        Some(_) => None,
                        None => {
                            first_release = Some(c);
                            None
                        }
                    }
                } else {
                    // A package's own KB: every other release claiming this KB must list the
                    // same package (reported once, at the later of two packages).
                    let other = claims.iter().enumerate().find(|(j, o)| {
                        o.release != c.release
                            && if o.release_level {
                                c.file
                                    .as_ref()
                                    .is_none_or(|n| !files_of(o.release).contains(n))
                            } else {
                                *j < idx && o.file.is_some() && o.file != c.file
                            }
                    });
                    other.map(|(_, o)| {
                        format!(
                            "{kb} names package {:?} here but release {:?} ({}) lists it for another package",
                            c.file.as_deref().unwrap_or("?"),
                            release_id(o.release),
                            o.path
                        )
                    })
                };
                if let Some(msg) = conflict {
                    found.push(if acknowledged(c.value, "duplicate-kb") {
                        Problem::warning(
                            "duplicate-kb",
                            &c.path,
                            format!("{msg} (acknowledged in the release's notes)"),
                        )
                    } else {
                        Problem::error(
                            "duplicate-kb",
                            &c.path,
                            format!(
                                "{msg}; one KB article is one release: fix the KB or merge the releases"
                            ),
                        )
                    });
                }
            }
        }
        found.sort_by(|a, b| {
            (release_order(&a.path), &a.path).cmp(&(release_order(&b.path), &b.path))
        });
        self.out.extend(found);
    }

    /// `duplicate-file` (one release lists a package twice), `conflicting-file` (the same
    /// package, by name and KB, with different hashes or sizes), `kb-mismatch` (a name that
    /// states another KB).
    pub(super) fn files(&mut self) {
        // (lower-case name, effective KB) → (path, sha256, sha1, size) of the first listing.
        type Seen<'v> = HashMap<(String, Option<Kb>), (String, &'v Value)>;
        let mut seen: Seen<'a> = HashMap::new();
        for (_, rp, r) in self.releases() {
            let release_kb = str_at(r, "kb").and_then(Kb::parse);
            let mut in_release: HashMap<String, String> = HashMap::new();
            for (_, fp, f) in members(r.get("files"), &pointer_push(&rp, "files")) {
                let Some(name) = str_at(f, "name") else {
                    continue;
                };
                let lower = name.to_lowercase();
                let np = pointer_push(&fp, "name");
                if let Some(first) = in_release.get(&lower) {
                    let msg = format!("{name:?} is already listed at {first}");
                    self.error("duplicate-file", &np, msg);
                    continue;
                }
                in_release.insert(lower.clone(), np.clone());
                let own_kb = str_at(f, "kb").and_then(Kb::parse);
                let kb = own_kb.or(release_kb);
                if let (Some(stated), Some(_)) = (kb_in_name(name), kb)
                    && Some(stated) != own_kb
                    && Some(stated) != release_kb
                {
                    self.out.push(Problem::warning(
                        "kb-mismatch",
                        &np,
                        format!(
                            "the name states {stated} but the package is listed under {}; set the file's `kb`",
                            kb.map(|k| k.to_string()).unwrap_or_default()
                        ),
                    ));
                }
                match seen.get(&(lower.clone(), kb)) {
                    Some((first, other)) => {
                        for key in ["sha256", "sha1", "size"] {
                            let a = f.get(key).filter(|v| !v.is_null());
                            let b = other.get(key).filter(|v| !v.is_null());
                            let differ = match (a, b) {
                                (Some(Value::String(x)), Some(Value::String(y))) => {
                                    !x.eq_ignore_ascii_case(y)
                                }
                                (Some(x), Some(y)) => x != y,
                                _ => false,
                            };
                            if differ {
                                let msg = format!(
                                    "{name:?} has another {key} at {first}; the same package cannot have two"
                                );
                                self.error("conflicting-file", &pointer_push(&fp, key), msg);
                            }
                        }
                    }
                    None => {
                        seen.insert((lower, kb), (fp.clone(), f));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::catalog::check::check;
    use crate::catalog::check::tests::{codes, minimal};
    use crate::model::Severity;

    #[test]
    fn duplicates_are_errors_but_multi_package_releases_are_not() {
        let mut v = minimal();
        // One release of three packages: fine.
        v["releases"][1]["files"] = json!([
            {"name": "ubersrv.exe"}, {"name": "ubersrv_1.cab"}, {"name": "ubersrv_2.cab"},
            {"name": "wssloc-kb975003-fullfile-x64-glb.exe", "kb": "975003"}
        ]);
        assert_eq!(check(&v), vec![]);
        // The same language package carried into a later release under its own KB: fine.
        let mut later = v["releases"][1].clone();
        later["id"] = json!("cu2");
        later["kb"] = json!("976000");
        later["date"] = json!("2009-12");
        later["build"] = json!("12.0.6524.5000");
        v["releases"].as_array_mut().unwrap().push(later.clone());
        assert_eq!(check(&v), vec![]);
        // A third release with the second one's KB: duplicate.
        later["id"] = json!("cu2");
        later["date"] = json!("2010-02");
        later["build"] = json!("12.0.6529.5000");
        v["releases"].as_array_mut().unwrap().push(later.clone());
        assert_eq!(
            codes(&v),
            vec![
                ("duplicate-id".into(), "/releases/3/id".into()),
                ("duplicate-kb".into(), "/releases/3/kb".into()),
            ]
        );
        // Acknowledged: a warning.
        v["releases"][3]["id"] = json!("cu3");
        v["releases"][3]["notes"] = json!(["duplicate-kb: the vendor re-released KB976000"]);
        let p = check(&v);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].severity, Severity::Warning);
        // One KB for two different packages: duplicate.
        v["releases"][3]["notes"] = json!([]);
        v["releases"][3]["kb"] = json!("977000");
        v["releases"][3]["files"][3]["name"] = json!("other-kb975003.exe");
        assert_eq!(
            codes(&v),
            vec![("duplicate-kb".into(), "/releases/3/files/3/kb".into())]
        );
    }

    #[test]
    fn conflicting_hashes_arch_and_kb_in_name() {
        let mut v = minimal();
        v["releases"][0]["files"][0]["sha256"] = json!("ab".repeat(32));
        let mut again = v["releases"][0].clone();
        again["id"] = json!("sp1-again");
        again["kb"] = json!("936989");
        again["files"][0]["kb"] = json!("936988");
        again["files"][0]["sha256"] = json!("cd".repeat(32));
        again["files"][0]["arch"] = json!("ia64");
        v["releases"].as_array_mut().unwrap().push(again);
        v["releases"][1]["files"][0]["name"] = json!("wss-kb975999-fullfile-x64-glb.exe");
        assert_eq!(
            codes(&v),
            vec![
                ("unknown-arch".into(), "/releases/2/files/0/arch".into()),
                ("kb-mismatch".into(), "/releases/1/files/0/name".into()),
                (
                    "conflicting-file".into(),
                    "/releases/2/files/0/sha256".into()
                ),
            ]
        );
    }

    #[test]
    fn an_empty_kb_or_build_is_undocumented_not_malformed() {
        let mut v = minimal();
        v["releases"][0]["kb"] = json!("");
        v["releases"][1]["build"] = json!("");
        let p = check(&v);
        let got: Vec<(&str, &str, Severity)> = p
            .iter()
            .map(|p| (p.code.as_str(), p.path.as_str(), p.severity))
            .collect();
        assert_eq!(
            got,
            vec![
                ("missing-kb", "/releases/0/kb", Severity::Warning),
                ("missing-build", "/releases/1/build", Severity::Warning),
            ]
        );
        v["releases"][1]["build"] = json!("12.0");
        v["releases"][0]["kb"] = json!("KB936988");
        let codes: Vec<String> = check(&v).into_iter().map(|p| p.code).collect();
        assert_eq!(codes, ["bad-kb", "bad-build"]);
    }
}
