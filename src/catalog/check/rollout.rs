//! Checks of a catalog's `rollout` rules that the schema cannot state: roles that exist,
//! placeholders the expansion knows (and only validated names inside PowerShell), a text for
//! every step that is not an install, file patterns that stay cheap to match.

use std::collections::HashSet;

use serde_json::Value;

use super::{Checker, members, pointer_push, str_at, strings};
use crate::catalog::rollout::{COMPONENT_BUILD, PLACEHOLDERS, SNIPPET_PLACEHOLDERS, placeholders};

/// Most `*` in an installer's `match` (each one multiplies the matching work).
const MAX_STARS: usize = 4;

impl Checker<'_> {
    pub(super) fn rollout_rules(&mut self) {
        let Some(rollout) = self.doc.get("rollout").filter(|r| r.is_object()) else {
            return;
        };
        let roles: HashSet<&str> = members(self.doc.get("roles"), "")
            .into_iter()
            .filter_map(|(_, _, m)| str_at(m, "id"))
            .collect();
        let mut role_refs: Vec<(String, String)> = Vec::new();
        if let Some(cluster) = rollout.get("cluster").filter(|c| c.is_object()) {
            for (p, r) in strings(cluster, "roles", "/rollout/cluster") {
                role_refs.push((p, r.to_owned()));
            }
        }
        for (_, ip, inst) in members(rollout.get("installers"), "/rollout/installers") {
            for key in ["text", "downtime"] {
                self.text_placeholders(inst, key, &ip, PLACEHOLDERS);
            }
            self.argument_placeholders(inst, &ip);
            if let Some(m) = str_at(inst, "match")
                && m.matches('*').count() > MAX_STARS
            {
                self.error(
                    "bad-pattern",
                    &pointer_push(&ip, "match"),
                    format!("{m:?} has more than {MAX_STARS} `*`"),
                );
            }
        }
        for (_, pp, phase) in members(rollout.get("phases"), "/rollout/phases") {
            for (_, sp, step) in members(phase.get("steps"), &pointer_push(&pp, "steps")) {
                for (p, r) in strings(step, "roles", &sp) {
                    role_refs.push((p, r.to_owned()));
                }
                for key in ["text", "downtime", "remedy"] {
                    self.text_placeholders(step, key, &sp, PLACEHOLDERS);
                }
                for key in ["powershell", "check"] {
                    self.text_placeholders(step, key, &sp, SNIPPET_PLACEHOLDERS);
                }
                self.argument_placeholders(step, &sp);
                if str_at(step, "action") != Some("install") && str_at(step, "text").is_none() {
                    self.error(
                        "missing-text",
                        &sp,
                        "a step other than `install` needs a `text` for people".to_owned(),
                    );
                }
                let commands = ["program", "powershell", "check"]
                    .iter()
                    .filter(|k| step.get(**k).is_some_and(|p| !p.is_null()))
                    .count();
                if commands > 1 {
                    self.error(
                        "schema",
                        &sp,
                        "a step has one of `program`, `powershell` and `check`, not several"
                            .to_owned(),
                    );
                }
            }
        }
        for (path, role) in role_refs {
            if !roles.contains(role.as_str()) {
                self.error(
                    "unknown-role",
                    &path,
                    format!("no role {role:?} in this catalog"),
                );
            }
        }
    }

    fn text_placeholders(&mut self, v: &Value, key: &str, path: &str, allowed: &[&str]) {
        let Some(text) = str_at(v, key) else { return };
        for p in placeholders(text) {
            if let Some(component) = p.strip_prefix(COMPONENT_BUILD) {
                let known = members(self.doc.get("components"), "")
                    .into_iter()
                    .any(|(_, _, c)| str_at(c, "id") == Some(component));
                if !known {
                    self.error(
                        "unknown-component",
                        &pointer_push(path, key),
                        format!("{{{p}}}: no component {component:?} in this catalog"),
                    );
                }
                continue;
            }
            if !allowed.contains(&p) {
                self.error(
                    "unknown-placeholder",
                    &pointer_push(path, key),
                    format!(
                        "{{{p}}} is not a placeholder here (allowed: {})",
                        list(allowed)
                    ),
                );
            }
        }
    }

    /// `{file}` and `{log}` only as a whole argument (the script quotes it as a path); other
    /// arguments may hold the validated names.
    fn argument_placeholders(&mut self, v: &Value, path: &str) {
        if str_at(v, "program") != Some("{file}") {
            self.text_placeholders(v, "program", path, SNIPPET_PLACEHOLDERS);
        }
        for (p, arg) in strings(v, "arguments", path) {
            // `{log}` may follow a switch (`/log:{log}`): the script quotes the whole argument.
            let rest = arg.strip_suffix("{log}").unwrap_or(arg);
            if arg == "{file}" || (rest != arg && placeholders(rest).is_empty()) {
                continue;
            }
            for ph in placeholders(arg) {
                if !SNIPPET_PLACEHOLDERS.contains(&ph) {
                    self.error(
                        "unknown-placeholder",
                        &p,
                        format!(
                            "{{{ph}}} is not a placeholder inside an argument (allowed: {}; {{file}} and {{log}} only as a whole argument)",
                            list(SNIPPET_PLACEHOLDERS)
                        ),
                    );
                }
            }
        }
    }
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{{{n}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::{codes, minimal};

    fn with_rollout(rollout: serde_json::Value) -> serde_json::Value {
        let mut v = minimal();
        v["rollout"] = rollout;
        v
    }

    #[test]
    fn a_good_rollout_has_no_problems() {
        let v = with_rollout(json!({
            "installers": [{"id": "msi", "match": "*.msp", "text": "Install {name} ({kb})",
                            "program": "msiexec.exe",
                            "arguments": ["/update", "{file}", "/quiet", "/l*v", "{log}"],
                            "exit_codes": [{"code": 3010, "outcome": "reboot", "meaning": "restart"}]}],
            "cluster": {"roles": ["app"], "passive_first": true},
            "phases": [{"id": "p", "title": "P", "steps": [
                {"id": "stop", "action": "prepare", "roles": ["wfe"], "text": "Stop on {server}",
                 "powershell": "Stop-Service -Name W3SVC", "downtime": "{server} is out"},
                {"id": "install", "action": "install"},
                {"id": "move", "action": "prepare", "when": "passive-node", "text": "Move to {peer}",
                 "program": "cluster.exe", "arguments": ["group", "Cluster Group", "/move:{peer}"]}
            ]}]
        }));
        assert_eq!(codes(&v), vec![]);
        let c: crate::catalog::model::Catalog = serde_json::from_value(v).unwrap();
        assert_eq!(c.rollout.unwrap().phases[0].steps.len(), 3);
    }

    #[test]
    fn each_rollout_mistake_is_named_where_it_is() {
        let v = with_rollout(json!({
            "installers": [{"id": "msi", "match": "*a*b*c*d*e*", "text": "Install {nme}",
                            "program": "msiexec.exe", "arguments": ["/update:{file}"]}],
            "cluster": {"roles": ["mailbox"]},
            "phases": [{"id": "p", "title": "P", "steps": [
                {"id": "s", "action": "prepare", "roles": ["front-end"],
                 "powershell": "Remove-Item {file}"},
                {"id": "t", "action": "verify", "text": "x", "program": "a.exe", "powershell": "b"}
            ]}]
        }));
        let got = codes(&v);
        for (code, path) in [
            ("unknown-placeholder", "/rollout/installers/0/text"),
            ("unknown-placeholder", "/rollout/installers/0/arguments/0"),
            ("bad-pattern", "/rollout/installers/0/match"),
            (
                "unknown-placeholder",
                "/rollout/phases/0/steps/0/powershell",
            ),
            ("missing-text", "/rollout/phases/0/steps/0"),
            ("schema", "/rollout/phases/0/steps/1"),
            ("unknown-role", "/rollout/cluster/roles/0"),
            ("unknown-role", "/rollout/phases/0/steps/0/roles/0"),
        ] {
            assert!(
                got.contains(&(code.to_owned(), path.to_owned())),
                "{code} at {path}: {got:?}"
            );
        }
    }
}
