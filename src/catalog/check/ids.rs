//! Identifiers: ids and families declared twice, and references (components, roles,
//! releases, families, architectures, baselines) that lead nowhere.

use std::collections::{HashMap, HashSet};

use crate::model::Build;

use super::{Checker, members, pointer_push, str_at, strings};

impl<'a> Checker<'a> {
    /// `duplicate-id` among releases, components, roles, quirks and steps;
    /// `duplicate-family` for a family declared twice.
    pub(super) fn duplicate_ids(&mut self) {
        for (key, what) in [
            ("releases", "release"),
            ("components", "component"),
            ("roles", "role"),
            ("quirks", "quirk"),
            ("steps", "step"),
        ] {
            let mut seen: HashMap<&str, String> = HashMap::new();
            for (_, p, m) in members(self.doc.get(key), &format!("/{key}")) {
                let Some(id) = str_at(m, "id") else { continue };
                let idp = pointer_push(&p, "id");
                if let Some(first) = seen.get(id) {
                    let msg = format!("{what} id {id:?} is already used at {first}");
                    self.error("duplicate-id", &idp, msg);
                } else {
                    seen.insert(id, p);
                }
            }
        }
        let mut families: HashMap<String, String> = HashMap::new();
        for (_, cp, c) in members(self.doc.get("components"), "/components") {
            for (fp, fam) in strings(c, "families", &cp) {
                let lower = fam.to_ascii_lowercase();
                if let Some(first) = families.get(&lower) {
                    let msg = format!(
                        "family {fam:?} is already declared at {first}; a family belongs to one component"
                    );
                    self.error("duplicate-family", &fp, msg);
                } else {
                    families.insert(lower, fp);
                }
            }
        }
    }

    /// `unknown-component`, `unknown-role`, `unknown-release`, `unknown-family`,
    /// `unknown-arch`, `bad-baseline`: references that lead nowhere.
    pub(super) fn references(&mut self) {
        let ids = |key: &str| -> HashSet<&'a str> {
            members(self.doc.get(key), "")
                .into_iter()
                .filter_map(|(_, _, m)| str_at(m, "id"))
                .collect()
        };
        let components = ids("components");
        let roles = ids("roles");
        let releases = ids("releases");
        let mut families: HashSet<String> = HashSet::new();
        for (_, _, c) in members(self.doc.get("components"), "") {
            for (_, f) in strings(c, "families", "") {
                families.insert(f.to_ascii_lowercase());
            }
        }

        let mut refs: Vec<(&str, String, &str)> = Vec::new(); // (kind, path, value)
        for (_, cp, c) in members(self.doc.get("components"), "/components") {
            for (p, r) in strings(c, "requires", &cp) {
                refs.push(("component", p, r));
            }
            let own: HashSet<String> = strings(c, "families", "")
                .into_iter()
                .map(|(_, f)| f.to_ascii_lowercase())
                .collect();
            for (p, f) in strings(c, "localized_families", &cp) {
                if !own.contains(&f.to_ascii_lowercase()) {
                    self.error(
                        "unknown-family",
                        &p,
                        format!(
                            "localized family {f:?} is not among this component's families; add it to `families`"
                        ),
                    );
                }
            }
        }
        for (_, rp, r) in members(self.doc.get("roles"), "/roles") {
            for (p, c) in strings(r, "components", &rp) {
                refs.push(("component", p, c));
            }
            for (p, f) in strings(r, "role_families", &rp) {
                refs.push(("family", p, f));
            }
        }
        if let Some(media) = self.doc.get("media") {
            for (_, ep, e) in members(media.get("editions"), "/media/editions") {
                for (p, c) in strings(e, "components", &ep) {
                    refs.push(("component", p, c));
                }
            }
        }
        for (_, rp, r) in self.releases() {
            if let Some(c) = str_at(r, "component") {
                refs.push(("component", pointer_push(&rp, "component"), c));
            }
            for (_, pp, patch) in members(r.get("patches"), &pointer_push(&rp, "patches")) {
                if let Some(f) = str_at(patch, "family") {
                    refs.push(("family", pointer_push(&pp, "family"), f));
                }
                for (p, role) in strings(patch, "roles", &pp) {
                    refs.push(("role", p, role));
                }
            }
            if let (Some(b), Some(req)) = (
                str_at(r, "build").and_then(Build::parse),
                str_at(r, "requires_build").and_then(Build::parse),
            ) && req > b
            {
                self.error(
                    "bad-baseline",
                    &pointer_push(&rp, "requires_build"),
                    format!(
                        "the release (build {b}) requires a higher build {req} as its baseline"
                    ),
                );
            }
        }
        for (p, r) in strings(self.doc, "recommended_sequence", "") {
            refs.push(("release", p, r));
        }
        // Unified families and language-dependent pairs name declared families (package
        // stems are declared as families by the catalogs generated from the inventory).
        for (_, up, u) in members(self.doc.get("unified"), "/unified") {
            if let Some(f) = str_at(u, "family") {
                refs.push(("family", pointer_push(&up, "family"), f));
            }
            for (p, f) in strings(u, "replaces", &up) {
                refs.push(("family", p, f));
            }
        }
        for (_, lp, l) in members(self.doc.get("language_dependent"), "/language_dependent") {
            for key in ["core", "partner"] {
                if let Some(f) = str_at(l, key) {
                    refs.push(("family", pointer_push(&lp, key), f));
                }
            }
        }
        for (_, qp, q) in members(self.doc.get("quirks"), "/quirks") {
            if let Some(c) = str_at(q, "when_component") {
                refs.push(("component", pointer_push(&qp, "when_component"), c));
            }
        }
        for (_, sp, s) in members(self.doc.get("steps"), "/steps") {
            for (p, role) in strings(s, "role_order", &sp) {
                refs.push(("role", p, role));
            }
        }
        for (kind, path, value) in refs {
            let (known, code) = match kind {
                "component" => (components.contains(value), "unknown-component"),
                "role" => (roles.contains(value), "unknown-role"),
                "release" => (releases.contains(value), "unknown-release"),
                _ => (
                    families.contains(&value.to_ascii_lowercase()),
                    "unknown-family",
                ),
            };
            if !known {
                let hint = match kind {
                    "family" => "declare it in a component's `families`".to_owned(),
                    _ => format!("no {kind} has this id"),
                };
                self.error(code, &path, format!("{kind} {value:?} is unknown; {hint}"));
            }
        }

        // Architectures of the files against the product's.
        let archs: HashSet<&str> = strings(self.doc, "architectures", "")
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        if archs.is_empty() {
            return;
        }
        for (_, rp, r) in self.releases() {
            for (_, fp, f) in members(r.get("files"), &pointer_push(&rp, "files")) {
                let Some(a) = str_at(f, "arch") else { continue };
                let ok = archs.contains(a)
                    || (a == "x86_x64" && archs.contains("x86") && archs.contains("x64"));
                if !ok {
                    let mut list: Vec<&str> = archs.iter().copied().collect();
                    list.sort_unstable();
                    self.error(
                        "unknown-arch",
                        &pointer_push(&fp, "arch"),
                        format!(
                            "architecture {a:?} is not among the product's ({})",
                            list.join(", ")
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::catalog::check::tests::{codes, minimal};

    #[test]
    fn each_reference_kind_is_checked() {
        let mut v = minimal();
        v["releases"][1]["component"] = json!("nope");
        v["releases"][1]["patches"][0]["family"] = json!("xlsrv");
        v["releases"][1]["patches"][0]["roles"] = json!(["edge"]);
        v["recommended_sequence"][1] = json!("cu9");
        v["roles"][0]["role_families"] = json!(["pjsrvapp"]);
        v["components"][1]["requires"] = json!(["nope2"]);
        v["components"][0]["localized_families"] = json!(["coreservermui"]);
        v["steps"][0]["role_order"] = json!(["ca"]);
        v["quirks"][0]["when_component"] = json!("mos");
        assert_eq!(
            codes(&v),
            vec![
                (
                    "unknown-family".into(),
                    "/components/0/localized_families/0".into()
                ),
                (
                    "unknown-component".into(),
                    "/components/1/requires/0".into()
                ),
                ("unknown-family".into(), "/roles/0/role_families/0".into()),
                ("unknown-component".into(), "/releases/1/component".into()),
                (
                    "unknown-family".into(),
                    "/releases/1/patches/0/family".into()
                ),
                (
                    "unknown-role".into(),
                    "/releases/1/patches/0/roles/0".into()
                ),
                ("unknown-release".into(), "/recommended_sequence/1".into()),
                (
                    "unknown-component".into(),
                    "/quirks/0/when_component".into()
                ),
                ("unknown-role".into(), "/steps/0/role_order/0".into()),
            ]
        );
    }
}
