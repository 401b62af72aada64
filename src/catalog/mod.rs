//! Catalogs: built-in product knowledge from `manifests/`, plus `--catalog FILE`s that add or
//! override products; loading, validation and the checks behind `slipway catalog check`.
//!
//! - [`model`] is the data model (the JSON shape, snake_case keys);
//! - [`schema`] validates a document against `manifests/catalog.schema.json` (the single source
//!   of truth for the shape), [`check()`] adds the semantic checks; both report [`Problem`]s with
//!   JSON pointers and stable codes;
//! - [`Catalogs`] holds the catalogs in use and answers the verifier's look-ups (by KB, by file
//!   name, family → component).

pub mod check;
pub mod model;
pub mod problem;
pub mod rollout;
pub mod schema;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub use check::check;
pub use model::{Catalog, Component, Release, ReleaseFile};
pub use problem::{Problem, has_errors};

use crate::model::{Build, Kb, YearMonth};

/// The built-in catalogs: file name in `manifests/` and text. The one list of shipped catalogs
/// (keep in step with the folder; a test checks that every `manifests/*.json` but the schema
/// is here).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "sharepoint-2007.json",
        include_str!("../../manifests/sharepoint-2007.json"),
    ),
    (
        "exchange-2007.json",
        include_str!("../../manifests/exchange-2007.json"),
    ),
    (
        "ocs-2007-r2.json",
        include_str!("../../manifests/ocs-2007-r2.json"),
    ),
    (
        "sharepoint-2010.json",
        include_str!("../../manifests/sharepoint-2010.json"),
    ),
    (
        "sharepoint-2013.json",
        include_str!("../../manifests/sharepoint-2013.json"),
    ),
    (
        "sharepoint-2016.json",
        include_str!("../../manifests/sharepoint-2016.json"),
    ),
    (
        "sharepoint-2019.json",
        include_str!("../../manifests/sharepoint-2019.json"),
    ),
    (
        "sharepoint-se.json",
        include_str!("../../manifests/sharepoint-se.json"),
    ),
    (
        "project-server-2013.json",
        include_str!("../../manifests/project-server-2013.json"),
    ),
    (
        "office-web-apps-2010.json",
        include_str!("../../manifests/office-web-apps-2010.json"),
    ),
    (
        "office-web-apps-2013.json",
        include_str!("../../manifests/office-web-apps-2013.json"),
    ),
    (
        "office-online-server-2016.json",
        include_str!("../../manifests/office-online-server-2016.json"),
    ),
    (
        "office-online-server-2019.json",
        include_str!("../../manifests/office-online-server-2019.json"),
    ),
];

/// Every built-in catalog that parses (all of them: a test makes sure), in [`BUILTIN`] order.
pub fn builtin() -> Vec<Catalog> {
    BUILTIN
        .iter()
        .filter_map(|(name, text)| parse(&Source::Builtin(name), text).ok())
        .collect()
}

/// Largest catalog file read (the largest built-in one is about 100 KiB).
pub const MAX_CATALOG_BYTES: u64 = 16 << 20;

/// Where a catalog came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Embedded from `manifests/<name>`.
    Builtin(&'static str),
    /// A `--catalog FILE`.
    File(PathBuf),
    /// Given as a value ([`Catalogs::from_catalogs`]).
    Memory,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Builtin(name) => write!(f, "built-in manifests/{name}"),
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Memory => f.write_str("(in memory)"),
        }
    }
}

/// Why a catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The file could not be read.
    #[error("{}: cannot read", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The text is not JSON (or not UTF-8).
    #[error("{source_name}: not valid JSON")]
    Syntax {
        source_name: Source,
        line: usize,
        column: usize,
        #[source]
        source: serde_json::Error,
    },
    /// The document breaks the schema or the semantic checks (errors only; warnings do not
    /// stop a catalog from being used).
    #[error("{source_name}: not a valid catalog: {}", summary(problems))]
    Invalid {
        source_name: Source,
        problems: Vec<Problem>,
    },
    /// Two `--catalog` files describe the same product.
    #[error("catalog {id:?} is given twice: {first} and {second}")]
    DuplicateId {
        id: String,
        first: Source,
        second: Source,
    },
}

fn summary(problems: &[Problem]) -> String {
    match problems {
        [] => "no details".to_owned(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!(
            "{first} (and {} more: run `slipway catalog check` on it)",
            rest.len()
        ),
    }
}

impl crate::error::Diagnostic for CatalogError {
    fn code(&self) -> &'static str {
        match self {
            CatalogError::Read { .. } => "catalog-unreadable",
            CatalogError::Syntax { .. } => "catalog-syntax",
            CatalogError::Invalid { .. } => "catalog-invalid",
            CatalogError::DuplicateId { .. } => "catalog-duplicate-id",
        }
    }
}

/// The JSON syntax error of `text`, as a [`Problem`] (code `syntax`) and the error itself.
fn syntax(source_name: &Source, e: serde_json::Error) -> CatalogError {
    CatalogError::Syntax {
        source_name: source_name.clone(),
        line: e.line(),
        column: e.column(),
        source: e,
    }
}

/// Parses one catalog text without the semantic checks (built-ins are checked by tests).
fn parse(source_name: &Source, text: &str) -> Result<Catalog, CatalogError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| syntax(source_name, e))?;
    from_value(source_name, value)
}

fn from_value(source_name: &Source, value: serde_json::Value) -> Result<Catalog, CatalogError> {
    serde_json::from_value(value).map_err(|e| CatalogError::Invalid {
        source_name: source_name.clone(),
        problems: vec![Problem::error("schema", "", e.to_string())],
    })
}

/// What `catalog check` found in one file.
#[derive(Debug)]
pub enum FileCheck {
    /// The file could not be read at all.
    Unreadable(CatalogError),
    /// The problems (a JSON syntax error is one problem with code `syntax`).
    Checked(Vec<Problem>),
}

/// Reads and checks one catalog file (`slipway catalog check FILE`).
pub fn check_file(path: &Path) -> FileCheck {
    let bytes = match crate::formats::read_small(path, MAX_CATALOG_BYTES) {
        Ok(b) => b,
        Err(source) => {
            return FileCheck::Unreadable(CatalogError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    FileCheck::Checked(check_bytes(&bytes))
}

/// Checks a catalog document given as bytes: a syntax problem, or [`check()`]'s problems.
pub fn check_bytes(bytes: &[u8]) -> Vec<Problem> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => check(&value),
        Err(e) => {
            let text = e.to_string();
            let at = format!(" at line {} column {}", e.line(), e.column());
            let reason = text.strip_suffix(&at).unwrap_or(&text);
            vec![Problem::error(
                "syntax",
                "",
                format!(
                    "not valid JSON at line {}, column {}: {reason}",
                    e.line(),
                    e.column()
                ),
            )]
        }
    }
}

/// Loads a user catalog file: read, parse, check (errors refuse it), deserialize.
pub fn load_file(path: &Path) -> Result<Catalog, CatalogError> {
    let source_name = Source::File(path.to_owned());
    let text = crate::formats::read_small(path, MAX_CATALOG_BYTES).map_err(|source| {
        CatalogError::Read {
            path: path.to_owned(),
            source,
        }
    })?;
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| syntax(&source_name, e))?;
    let errors: Vec<Problem> = check(&value)
        .into_iter()
        .filter(Problem::is_error)
        .collect();
    if !errors.is_empty() {
        return Err(CatalogError::Invalid {
            source_name,
            problems: errors,
        });
    }
    from_value(&source_name, value)
}

/// The catalogs in use: the built-in ones, with `--catalog` files added or replacing a
/// built-in of the same `id`. Kept in `id` order, so every stage borrows them as one slice.
#[derive(Debug, Clone)]
pub struct Catalogs {
    /// By `id`.
    catalogs: Vec<Catalog>,
    /// Where each of `catalogs` came from (same index).
    sources: Vec<Source>,
}

impl Catalogs {
    /// The built-in catalogs plus `extra` files (in order; one whose `id` is a built-in's
    /// replaces it; two files with one `id` are an error).
    pub fn load(extra: &[PathBuf]) -> Result<Catalogs, CatalogError> {
        let mut c = Catalogs {
            catalogs: Vec::with_capacity(BUILTIN.len() + extra.len()),
            sources: Vec::with_capacity(BUILTIN.len() + extra.len()),
        };
        for (name, text) in BUILTIN {
            let source = Source::Builtin(name);
            let catalog = parse(&source, text)?;
            c.insert(source, catalog)?;
        }
        for path in extra {
            let catalog = load_file(path)?;
            c.insert(Source::File(path.clone()), catalog)?;
        }
        Ok(c)
    }

    /// Catalogs from values already in memory (tests, tools); no built-ins.
    pub fn from_catalogs(catalogs: impl IntoIterator<Item = Catalog>) -> Catalogs {
        let mut catalogs: Vec<Catalog> = catalogs.into_iter().collect();
        catalogs.sort_by(|a, b| a.id.cmp(&b.id));
        let sources = catalogs.iter().map(|_| Source::Memory).collect();
        Catalogs { catalogs, sources }
    }

    fn insert(&mut self, source: Source, catalog: Catalog) -> Result<(), CatalogError> {
        match self.catalogs.binary_search_by(|c| c.id.cmp(&catalog.id)) {
            Ok(i) => match &self.sources[i] {
                Source::File(first) => Err(CatalogError::DuplicateId {
                    id: catalog.id,
                    first: Source::File(first.clone()),
                    second: source,
                }),
                Source::Builtin(_) | Source::Memory => {
                    self.catalogs[i] = catalog;
                    self.sources[i] = source;
                    Ok(())
                }
            },
            Err(i) => {
                self.catalogs.insert(i, catalog);
                self.sources.insert(i, source);
                Ok(())
            }
        }
    }

    /// Every catalog, by id.
    pub fn as_slice(&self) -> &[Catalog] {
        &self.catalogs
    }

    /// The catalog with this id.
    pub fn get(&self, id: &str) -> Option<&Catalog> {
        self.catalogs.iter().find(|c| c.id == id)
    }

    /// Where the catalog with this id came from.
    pub fn source(&self, id: &str) -> Option<&Source> {
        let i = self.catalogs.iter().position(|c| c.id == id)?;
        self.sources.get(i)
    }

    /// Every catalog, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Catalog> {
        self.catalogs.iter()
    }

    /// Every catalog with its source, by id.
    pub fn with_sources(&self) -> impl Iterator<Item = (&Source, &Catalog)> {
        self.sources.iter().zip(&self.catalogs)
    }

    pub fn len(&self) -> usize {
        self.catalogs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.catalogs.is_empty()
    }

    /// Releases whose KB, or one of whose packages' own KB, is `kb`.
    pub fn release_by_kb(&self, kb: Kb) -> Vec<(&Catalog, &Release)> {
        let mut out = Vec::new();
        for c in self.iter() {
            for r in &c.releases {
                if r.kb == Some(kb) || r.files.iter().any(|f| f.kb == Some(kb)) {
                    out.push((c, r));
                }
            }
        }
        out
    }

    /// Releases listing a package of this name (compared case-insensitively), with the
    /// package's entry.
    pub fn release_by_file_name(&self, name: &str) -> Vec<(&Catalog, &Release, &ReleaseFile)> {
        let wanted = name.to_lowercase();
        let mut out = Vec::new();
        for c in self.iter() {
            for r in &c.releases {
                for f in &r.files {
                    if f.name.to_lowercase() == wanted {
                        out.push((c, r, f));
                    }
                }
            }
        }
        out
    }

    /// The component of catalog `catalog` that declares `family` (case-insensitive).
    pub fn family_component(&self, catalog: &str, family: &str) -> Option<&Component> {
        self.get(catalog)?.family_component(family)
    }
}

impl Catalog {
    /// The component that declares `family` (compared case-insensitively).
    pub fn family_component(&self, family: &str) -> Option<&Component> {
        self.components
            .iter()
            .find(|c| c.families.iter().any(|f| f.eq_ignore_ascii_case(family)))
    }

    /// The release with this id.
    pub fn release(&self, id: &str) -> Option<&Release> {
        self.releases.iter().find(|r| r.id == id)
    }

    /// The component with this id.
    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }

    /// The most recent release: the latest `date` (the highest build among that month's),
    /// or, when no release is dated, the highest build.
    pub fn latest_release(&self) -> Option<&Release> {
        let dated = self
            .releases
            .iter()
            .filter(|r| r.date.is_some() && r.build.is_some())
            .max_by_key(|r| (r.date, r.build));
        dated.or_else(|| self.releases.iter().max_by_key(|r| r.build))
    }

    /// The build of the most recent release ([`Catalog::latest_release`]): what a farm fully
    /// patched with this catalog's releases is at. (Not simply the highest build: a vendor
    /// anomaly can put a high build in an early month.)
    pub fn newest_build(&self) -> Option<Build> {
        self.latest_release().and_then(|r| r.build)
    }
}

impl Release {
    /// The KB a package of this release is published under: its own, else the release's.
    pub fn file_kb(&self, file: &ReleaseFile) -> Option<Kb> {
        file.kb.or(self.kb)
    }
}

/// A release name's month (`December 2019`) as a catalog `date` (`2019-12`); `None` when the
/// name is not `<Month> <four-digit year>`.
pub fn month_date(name: &str) -> Option<YearMonth> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (month, year) = name.split_once(' ')?;
    let m = MONTHS.iter().position(|x| *x == month)? + 1;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    YearMonth::parse(&format!("{year}-{m:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Diagnostic as _;

    #[test]
    fn every_builtin_parses_and_every_manifest_is_listed() {
        for (name, text) in BUILTIN {
            let c = parse(&Source::Builtin(name), text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(format!("{}.json", c.id), *name);
        }
        assert_eq!(builtin().len(), BUILTIN.len());
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("manifests");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".json") && !n.ends_with(".schema.json"))
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = BUILTIN.iter().map(|(n, _)| (*n).to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn every_builtin_passes_the_checks() {
        for (name, text) in BUILTIN {
            let problems = check_bytes(text.as_bytes());
            let errors: Vec<String> = problems
                .iter()
                .filter(|p| p.is_error())
                .map(ToString::to_string)
                .collect();
            assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
        }
    }

    fn demo() -> Catalog {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "id": "demo", "title": "Demo",
            "components": [
                {"id": "wss", "title": "WSS", "families": ["sts", "wssmui"]},
                {"id": "moss", "title": "MOSS", "families": ["coreserver"]}
            ],
            "roles": [],
            "releases": [
                {"id": "a", "name": "A", "kind": "cumulative-update", "kb": "3141486",
                 "build": "16.0.4483.1000",
                 "files": [{"name": "sts2016-kb3141486-fullfile-x64-glb.exe"},
                           {"name": "wssloc2016-kb3141487-fullfile-x64-glb.exe", "kb": "3141487"}]},
                {"id": "b", "name": "B", "kind": "cumulative-update", "kb": "3141515",
                 "build": "16.0.4498.1000",
                 "files": [{"name": "sts2016-kb3141515-fullfile-x64-glb.exe"},
                           {"name": "wssloc2016-kb3141487-fullfile-x64-glb.exe", "kb": "3141487"}]}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn lookups_by_kb_file_name_and_family() {
        let all = Catalogs::from_catalogs([demo()]);
        assert_eq!(all.len(), 1);
        assert_eq!(all.source("demo"), Some(&Source::Memory));
        let by_kb: Vec<&str> = all
            .release_by_kb(Kb(3141486))
            .iter()
            .map(|(_, r)| r.id.as_str())
            .collect();
        assert_eq!(by_kb, ["a"]);
        // A package carried into a later release is found in both.
        assert_eq!(all.release_by_kb(Kb(3141487)).len(), 2);
        assert!(all.release_by_kb(Kb(1)).is_empty());
        let by_name = all.release_by_file_name("WSSLOC2016-KB3141487-FULLFILE-X64-GLB.EXE");
        assert_eq!(by_name.len(), 2);
        let (_, r, f) = by_name[0];
        assert_eq!(r.file_kb(f), Some(Kb(3141487)));
        assert_eq!(
            all.family_component("demo", "CoreServer")
                .map(|c| c.id.as_str()),
            Some("moss")
        );
        assert!(all.family_component("demo", "xlsrv").is_none());
        assert!(all.family_component("nope", "sts").is_none());
        let c = all.get("demo").unwrap();
        assert_eq!(c.newest_build(), Build::parse("16.0.4498.1000"));
        assert_eq!(c.release("b").and_then(|r| r.kb), Some(Kb(3141515)));
        assert!(c.component("wss").is_some());
    }

    #[test]
    fn load_replaces_builtins_and_refuses_bad_or_twice_given_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut replacing = demo();
        replacing.id = "sharepoint-2016".into();
        let path = dir.path().join("sp2016.json");
        std::fs::write(&path, serde_json::to_vec(&replacing).unwrap()).unwrap();
        let all = Catalogs::load(std::slice::from_ref(&path)).unwrap();
        assert_eq!(all.len(), BUILTIN.len());
        assert_eq!(all.get("sharepoint-2016").unwrap().releases.len(), 2);
        assert_eq!(
            all.source("sharepoint-2016"),
            Some(&Source::File(path.clone()))
        );
        let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted);

        let e = Catalogs::load(&[path.clone(), path.clone()]).unwrap_err();
        assert_eq!(e.code(), "catalog-duplicate-id");
        let e = Catalogs::load(&[dir.path().join("missing.json")]).unwrap_err();
        assert_eq!(e.code(), "catalog-unreadable");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, b"{\"id\": \"x\"}").unwrap();
        let e = Catalogs::load(std::slice::from_ref(&bad)).unwrap_err();
        let CatalogError::Invalid { problems, .. } = &e else {
            panic!("{e}")
        };
        assert!(problems.iter().all(Problem::is_error));
        assert!(e.to_string().contains("more"), "{e}");
        std::fs::write(&bad, b"\xff").unwrap();
        assert_eq!(
            Catalogs::load(std::slice::from_ref(&bad))
                .unwrap_err()
                .code(),
            "catalog-syntax"
        );
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let p = check_bytes(b"{\n  \"id\": ,\n}");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].code, "syntax");
        assert!(
            p[0].message.contains("line 2, column 9"),
            "{}",
            p[0].message
        );
        let e = parse(&Source::File("x.json".into()), "{\n\n]").unwrap_err();
        let CatalogError::Syntax { line, .. } = e else {
            panic!("{e}")
        };
        assert_eq!(line, 3);
    }
}
