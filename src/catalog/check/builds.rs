//! `build-backwards`: within one line of builds (component, kind of release, service-pack
//! level), a release must not have a lower build than the releases dated before it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::Build;

use super::{Checker, Problem, acknowledged, pointer_push, release_order, str_at};

/// Release kinds whose builds rise from one release to the next, by line: a service pack's
/// build belongs to its own line (`.1000`), CUs and rollups to another, fixes to a third.
fn build_line(kind: &str) -> Option<&'static str> {
    match kind {
        "rtm" | "service-pack" => Some("baseline"),
        "cumulative-update" | "public-update" | "update-rollup" => Some("update"),
        "security-update" | "hotfix" => Some("fix"),
        _ => None,
    }
}

fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 7 && b[4] == b'-' && d.bytes().filter(u8::is_ascii_digit).count() == 6
}

impl<'a> Checker<'a> {
    /// `build-backwards`: within one line of builds (component, kind line, service-pack
    /// level), a release dated after another must not have a lower build than the releases of
    /// the month before it. Notes containing `build-backwards` make it a warning (a documented
    /// vendor anomaly).
    pub(super) fn builds(&mut self) {
        type LineKey<'v> = (Option<&'v str>, &'static str, Option<&'v str>);
        struct Dated<'v> {
            date: &'v str,
            build: Build,
            id: &'v str,
            path: String,
            release: &'v Value,
        }
        let mut lines: BTreeMap<LineKey<'a>, Vec<Dated<'a>>> = BTreeMap::new();
        for (_, rp, r) in self.releases() {
            let (Some(kind), Some(date), Some(build)) = (
                str_at(r, "kind").and_then(build_line),
                str_at(r, "date").filter(|d| valid_date(d)),
                str_at(r, "build").and_then(Build::parse),
            ) else {
                continue;
            };
            let key = (
                str_at(r, "component"),
                kind,
                str_at(r, "service_pack_level"),
            );
            lines.entry(key).or_default().push(Dated {
                date,
                build,
                id: str_at(r, "id").unwrap_or("?"),
                path: pointer_push(&rp, "build"),
                release: r,
            });
        }
        let mut found = Vec::new();
        for list in lines.values() {
            for r in list {
                // The releases of the latest month before this one's.
                let Some(prev_date) = list.iter().map(|o| o.date).filter(|d| *d < r.date).max()
                else {
                    continue;
                };
                let Some(prev) = list
                    .iter()
                    .filter(|o| o.date == prev_date)
                    .max_by_key(|o| o.build)
                else {
                    continue;
                };
                if r.build < prev.build {
                    let msg = format!(
                        "build {} of {:?} ({}) is lower than build {} of {:?} ({}), released before it",
                        r.build, r.id, r.date, prev.build, prev.id, prev.date
                    );
                    found.push(if acknowledged(r.release, "build-backwards") {
                        Problem::warning(
                            "build-backwards",
                            &r.path,
                            format!("{msg} (acknowledged in the release's notes)"),
                        )
                    } else {
                        Problem::error(
                            "build-backwards",
                            &r.path,
                            format!("{msg}; check the build, the date and the kind"),
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
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::catalog::check::check;
    use crate::catalog::check::tests::{codes, minimal};
    use crate::model::Severity;

    #[test]
    fn builds_backwards_are_errors_unless_acknowledged() {
        let mut v = minimal();
        v["releases"][1]["build"] = json!("12.0.6100.5000");
        v["releases"][1]["requires_build"] = json!(null);
        // Different lines: SP vs CU are not compared.
        assert_eq!(check(&v), vec![]);
        v["releases"][1]["kind"] = json!("service-pack");
        assert_eq!(
            codes(&v),
            vec![("build-backwards".into(), "/releases/1/build".into())]
        );
        v["releases"][1]["notes"] = json!(["Build-backwards: documented vendor anomaly"]);
        let p = check(&v);
        assert_eq!(p[0].severity, Severity::Warning);
        // No date: not compared.
        v["releases"][1]["date"] = json!(null);
        v["releases"][1]["notes"] = json!([]);
        assert_eq!(check(&v), vec![]);
    }
}
