//! `slipway catalog check`: the schema rules plus the semantic checks a schema cannot state
//! (duplicates, builds that go backwards in time, invisible characters, dangling references).
//!
//! Everything works on the raw `serde_json::Value`, so a document with schema errors still gets
//! its semantic checks, and every problem carries the JSON pointer of the value it is about.
//! Codes are stable and kebab-case; the README lists them.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::model::{Build, Kb};

use super::schema;

// `Problem` lives in `problem`, which the schema validator shares without importing this
// module; re-exported so that `check::Problem` and friends keep working.
pub use super::problem::{Problem, has_errors, pointer_push};

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

/// What an invisible or unusual character is called, if `c` is one.
pub fn invisible_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00A0}' => "NO-BREAK SPACE",
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{034F}' => "COMBINING GRAPHEME JOINER",
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => "HANGUL FILLER",
        '\u{17B4}' | '\u{17B5}' => "KHMER VOWEL INHERENT",
        '\u{180E}' => "MONGOLIAN VOWEL SEPARATOR",
        '\u{2000}'..='\u{200A}' => "a typographic space",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
            "a bidirectional control"
        }
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        '\u{202F}' => "NARROW NO-BREAK SPACE",
        '\u{205F}' => "MEDIUM MATHEMATICAL SPACE",
        '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}' => "an invisible format character",
        '\u{3000}' => "IDEOGRAPHIC SPACE",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE (BOM)",
        '\u{FFF9}'..='\u{FFFB}' => "an interlinear annotation character",
        '\u{E0000}'..='\u{E007F}' => "a tag character",
        c if c.is_control() => "a control character",
        _ => return None,
    })
}

/// Keys whose strings are prose: there an odd character is a warning, and tabs and line
/// breaks are fine.
const FREE_TEXT_KEYS: &[&str] = &["title", "description", "text", "notes", "sources"];

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
    }

    /// `invisible-character` anywhere (keys too); an error except in prose.
    fn characters(&mut self, v: &Value, path: &str, prose: bool) {
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

    fn releases(&self) -> Vec<(usize, String, &'a Value)> {
        members(self.doc.get("releases"), "/releases")
    }

    /// `missing-kb`, `missing-build` (warnings): a release whose KB or build no source gives
    /// (empty in the catalog): packages cannot be matched or checked by it.
    fn undocumented(&mut self) {
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

    /// `space-in-name`: file names never contain spaces (nor other whitespace). Notes of the
    /// release containing `space-in-name` make it a warning (a name kept as a source
    /// published it).
    fn file_names(&mut self) {
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

    /// `duplicate-id` among releases, components, roles, quirks and steps;
    /// `duplicate-family` for a family declared twice.
    fn duplicate_ids(&mut self) {
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
    fn references(&mut self) {
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

    /// `duplicate-kb`: a KB identifies one release. Several packages of one release (with or
    /// without their own `kb`) are fine, and so is the same package (same file name) listed in
    /// several releases under its own `kb`; two releases with the same `kb`, or one KB naming
    /// different packages, are not. Notes containing `duplicate-kb` make it a warning.
    fn kbs(&mut self) {
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
    fn files(&mut self) {
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

    /// `build-backwards`: within one line of builds (component, kind line, service-pack
    /// level), a release dated after another must not have a lower build than the releases of
    /// the month before it. Notes containing `build-backwards` make it a warning (a documented
    /// vendor anomaly).
    fn builds(&mut self) {
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

fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 7 && b[4] == b'-' && d.bytes().filter(u8::is_ascii_digit).count() == 6
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
    use crate::findings::Severity;

    fn minimal() -> Value {
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

    fn codes(v: &Value) -> Vec<(String, String)> {
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
