//! What the strings of a catalog hold: invisible or unusual characters anywhere (keys too),
//! whitespace in file names, and the KB a file name states.

use serde_json::Value;

use crate::catalog::schema;
use crate::model::Kb;
use crate::model::chars::invisible_name;

use super::{Checker, Problem, acknowledged, members, pointer_push, str_at};

/// Keys whose strings are prose: there an odd character is a warning, and tabs and line
/// breaks are fine.
const FREE_TEXT_KEYS: &[&str] = &["title", "description", "text", "notes", "sources"];

/// The KB a file name states (`…-kb2878240-…`), if any.
pub fn kb_in_name(name: &str) -> Option<Kb> {
    let lower = name.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("kb") {
        let start = from + pos;
        let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let digits: String = lower[start + 2..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let after = lower[start + 2 + digits.len()..].chars().next();
        if before_ok
            && (4..=8).contains(&digits.len())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        {
            return Kb::parse(&digits);
        }
        from = start + 2;
    }
    None
}

impl<'a> Checker<'a> {
    /// `invisible-character` anywhere (keys too); an error except in prose.
    pub(super) fn characters(&mut self, v: &Value, path: &str, prose: bool) {
        match v {
            Value::String(s) => {
                for (i, c) in s.chars().enumerate() {
                    if prose && matches!(c, '\n' | '\t' | '\r') {
                        continue;
                    }
                    if let Some(name) = invisible_name(c) {
                        let msg = format!(
                            "{} contains {name} (U+{:04X}) at character {}; retype the value",
                            schema::show(v),
                            u32::from(c),
                            i + 1
                        );
                        let p = if prose {
                            Problem::warning("invisible-character", path, msg)
                        } else {
                            Problem::error("invisible-character", path, msg)
                        };
                        self.out.push(p);
                        break;
                    }
                }
            }
            Value::Array(a) => {
                for (i, m) in a.iter().enumerate() {
                    self.characters(m, &pointer_push(path, &i.to_string()), prose);
                }
            }
            Value::Object(m) => {
                for (k, child) in m {
                    let p = pointer_push(path, k);
                    if let Some((i, c)) = k
                        .chars()
                        .enumerate()
                        .find(|(_, c)| invisible_name(*c).is_some())
                    {
                        self.error(
                            "invisible-character",
                            &p,
                            format!(
                                "the key {k:?} contains U+{:04X} at character {}",
                                u32::from(c),
                                i + 1
                            ),
                        );
                    }
                    let prose = prose || FREE_TEXT_KEYS.contains(&k.as_str());
                    self.characters(child, &p, prose);
                }
            }
            _ => {}
        }
    }

    /// `space-in-name`: file names never contain spaces (nor other whitespace). Notes of the
    /// release containing `space-in-name` make it a warning (a name kept as a source
    /// published it).
    pub(super) fn file_names(&mut self) {
        let mut names: Vec<(String, &str, Option<&Value>)> = Vec::new();
        for (_, rp, r) in self.releases() {
            for (_, fp, f) in members(r.get("files"), &pointer_push(&rp, "files")) {
                if let Some(n) = str_at(f, "name") {
                    names.push((pointer_push(&fp, "name"), n, Some(r)));
                }
            }
            for (_, pp, p) in members(r.get("patches"), &pointer_push(&rp, "patches")) {
                if let Some(n) = str_at(p, "file") {
                    names.push((pointer_push(&pp, "file"), n, Some(r)));
                }
            }
        }
        for (_, qp, q) in members(self.doc.get("quirks"), "/quirks") {
            if let Some(n) = str_at(q, "remove_file") {
                names.push((pointer_push(&qp, "remove_file"), n, None));
            }
            if let Some(n) = str_at(q, "place_file") {
                names.push((pointer_push(&qp, "place_file"), n, None));
            }
        }
        for (path, name, release) in names {
            if name.chars().any(char::is_whitespace) {
                let squeezed: String = name.chars().filter(|c| !c.is_whitespace()).collect();
                let msg = format!(
                    "file name {name:?} contains a space; the vendor's name is probably {squeezed:?}"
                );
                self.out.push(
                    if release.is_some_and(|r| acknowledged(r, "space-in-name")) {
                        Problem::warning(
                            "space-in-name",
                            &path,
                            format!("{msg} (acknowledged in the release's notes)"),
                        )
                    } else {
                        Problem::error("space-in-name", &path, msg)
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::catalog::check::check;
    use crate::catalog::check::tests::minimal;
    use crate::model::Severity;

    #[test]
    fn characters_spaces_and_files() {
        let mut v = minimal();
        v["releases"][0]["files"][0]["name"] = json!("wssv3sp1\u{200b}-kb936988.exe");
        v["releases"][1]["files"][0]["name"] = json!("wss-kb 975002.exe");
        v["releases"][1]["notes"] = json!(["a\u{a0}note\nwith a line break"]);
        v["releases"][1]["files"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "WSS-KB 975002.EXE"}));
        let p = check(&v);
        let got: Vec<(&str, &str, Severity)> = p
            .iter()
            .map(|p| (p.code.as_str(), p.path.as_str(), p.severity))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "invisible-character",
                    "/releases/0/files/0/name",
                    Severity::Error
                ),
                (
                    "invisible-character",
                    "/releases/1/notes/0",
                    Severity::Warning
                ),
                ("space-in-name", "/releases/1/files/0/name", Severity::Error),
                ("space-in-name", "/releases/1/files/1/name", Severity::Error),
                (
                    "duplicate-file",
                    "/releases/1/files/1/name",
                    Severity::Error
                ),
            ]
        );
        assert!(p[0].message.contains("U+200B"), "{}", p[0].message);
        v["releases"][1]["notes"] = json!(["space-in-name: as the source published it"]);
        let p = check(&v);
        assert_eq!(p[1].code, "space-in-name");
        assert_eq!(p[1].severity, Severity::Warning);
    }

    #[test]
    fn kb_in_names() {
        assert_eq!(
            kb_in_name("office2010-kb2597014-fullfile-x64-glb.exe"),
            Some(Kb(2597014))
        );
        assert_eq!(kb_in_name("KB953338.exe"), Some(Kb(953338)));
        assert_eq!(kb_in_name("wacserver2016-kb 3191915-fullfile.exe"), None);
        assert_eq!(kb_in_name("ubersrv.exe"), None);
        assert_eq!(kb_in_name("kb12-kb975002"), Some(Kb(975002)));
    }
}
