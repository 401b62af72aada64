//! farm: the administrator's farm file (TOML: the servers, their roles, clusters, active and
//! passive nodes, SCR targets), read with the line of every value, and checked against the
//! product's catalog ([`check`]) — one [`FarmError`] per mistake, each naming its line. The
//! servers' rollout order is [`order`]'s; what each server does is `rollout`'s.
//!
//! ```toml
//! name = "Contoso intranet"
//! product = "sharepoint-2007"
//! [[server]]
//! name = "SPAPP01"
//! role = "app-ca"
//! ```

mod check;
pub mod order;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use check::{check, check_languages, product};

use crate::model::Lang;

/// Largest farm file read (a farm of thousands of servers is a few hundred KiB).
pub const MAX_FARM_BYTES: u64 = 1 << 20;

/// A farm, as read from its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Farm {
    /// The file it was read from (for messages).
    pub path: PathBuf,
    pub name: Option<String>,
    pub product: Option<Located<String>>,
    /// In file order.
    pub servers: Vec<Server>,
    /// `[[pool]]`: the pools servers name (Office Communications Server Enterprise pools),
    /// in file order.
    pub pools: Vec<PoolDef>,
}

/// One `[[pool]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolDef {
    /// The `[[pool]]` header's line.
    pub line: usize,
    pub name: Located<String>,
    /// The pool's back-end database server (not one of the farm's `[[server]]`s).
    pub backend: Option<Located<String>>,
}

/// A value with the line (from 1) it was written on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
}

/// One `[[server]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// The `[[server]]` header's line.
    pub line: usize,
    pub name: Located<String>,
    pub role: Located<String>,
    pub language: Option<Located<String>>,
    /// The clustered server (Exchange: the clustered mailbox server) this node belongs to.
    pub cluster: Option<Located<String>>,
    /// This node owns its cluster's server now (passive when false or absent).
    pub active: Option<Located<bool>>,
    /// The clustered server this one is a standby continuous replication target of.
    pub scr_target_of: Option<Located<String>>,
    /// The pool it serves (Office Communications Server: an Enterprise pool's front ends and
    /// its back-end database server).
    pub pool: Option<Located<String>>,
}

impl Server {
    pub fn is_active(&self) -> bool {
        self.active.as_ref().is_some_and(|a| a.value)
    }

    /// The server's install language (`None`: the build's base language).
    pub fn lang(&self) -> Option<Lang> {
        self.language.as_ref().and_then(|l| Lang::parse(&l.value))
    }
}

/// What is wrong with a farm file, at one line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}: {kind}", path.display())]
pub struct FarmError {
    pub path: PathBuf,
    /// From 1; 0 when the whole file is meant.
    pub line: usize,
    pub kind: Box<FarmErrorKind>,
}

/// The kinds of mistakes, each with a stable code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FarmErrorKind {
    #[error("cannot read: {0}")]
    Unreadable(String),
    #[error("{0}")]
    Syntax(String),
    #[error("no [[server]]: a farm file lists at least one server")]
    NoServer,
    #[error("no product: write product = \"…\" in the file or give --product")]
    NoProduct,
    #[error("no catalog for product {product:?} (known: {known})")]
    UnknownProduct { product: String, known: String },
    #[error("product {file:?} in the file, but the build is for {given:?}")]
    ProductMismatch { file: String, given: String },
    #[error("{name:?} is not a server name: {reason}")]
    BadName { name: String, reason: String },
    #[error("server {name:?} is listed twice (names are compared without case)")]
    DuplicateName { name: String },
    #[error("{role:?} is not a role of {product} (roles: {known}){other}")]
    UnknownRole {
        role: String,
        product: String,
        known: String,
        /// ` — it is a role of …` when another catalog has it.
        other: String,
    },
    #[error("role {role:?} is not in this build (--role {chosen})")]
    RoleNotBuilt { role: String, chosen: String },
    #[error("{value:?} is not a culture like en-us or de-de")]
    BadLanguage { value: String },
    #[error(
        "language {language} of server {server:?} is not in this build ({built}): build with --lang {language}"
    )]
    LanguageNotBuilt {
        server: String,
        language: String,
        built: String,
    },
    #[error(
        "role {role:?} of {product} does not run in failover clusters (its catalog has no cluster rules for it)"
    )]
    NotClusteredRole { role: String, product: String },
    #[error("`active` only means something for a node of a cluster: add cluster = \"…\"")]
    ActiveWithoutCluster,
    #[error("cluster {cluster:?} has nodes of two roles ({first} and {second})")]
    MixedRoles {
        cluster: String,
        first: String,
        second: String,
    },
    #[error(
        "cluster {cluster:?} has two active nodes ({first} and {second}): only the node that owns it now is active"
    )]
    TwoActive {
        cluster: String,
        first: String,
        second: String,
    },
    #[error(
        "cluster {cluster:?} has no active node: set active = true on the node that owns it now"
    )]
    NoActive { cluster: String },
    #[error(
        "cluster {cluster:?} has no passive node: it cannot be moved off {active} before {active} is updated (update rollups go on passive nodes only)"
    )]
    NoPassive { cluster: String, active: String },
    #[error(
        "{product} does not know standby continuous replication targets (its catalog has no SCR rule)"
    )]
    ScrUnknown { product: String },
    #[error(
        "scr_target_of = {source_name:?}: no server has cluster = {source_name:?} (an SCR source is a clustered server of this farm)"
    )]
    ScrSourceNotCluster { source_name: String },
    #[error("{server:?} is a node of {cluster:?} and cannot be its SCR target")]
    ScrOwnCluster { server: String, cluster: String },
    #[error(
        "no rollout order satisfies every rule: {servers} must each come before another of them (SCR targets and cluster nodes in a circle)"
    )]
    OrderCycle { servers: String },
    #[error(
        "the catalog of {product} has no rollout rules (\"rollout\"): no rollout can be written for it"
    )]
    NoRolloutRules { product: String },
    #[error("role {role:?} of {product} has no pools: remove `pool`")]
    NotPooledRole { role: String, product: String },
    #[error("server {server:?} ({role}) serves a pool: add pool = \"…\" (the pool's name)")]
    PoolMissing { server: String, role: String },
    #[error(
        "pool {pool:?} is not described: add a [[pool]] with name = {pool:?} (and its backend)"
    )]
    UnknownPool { pool: String },
    #[error("pool {pool:?} is described twice (names are compared without case)")]
    DuplicatePool { pool: String },
    /// Ctrl-C (or SIGTERM) while the file was checked or ordered.
    #[error("interrupted")]
    Interrupted,
}

impl FarmErrorKind {
    /// The stable code for `--json`.
    pub fn code(&self) -> &'static str {
        match self {
            FarmErrorKind::Unreadable(_) => "farm-unreadable",
            FarmErrorKind::Syntax(_) => "farm-syntax",
            FarmErrorKind::NoServer => "farm-no-server",
            FarmErrorKind::NoProduct => "farm-no-product",
            FarmErrorKind::UnknownProduct { .. } => "farm-unknown-product",
            FarmErrorKind::ProductMismatch { .. } => "farm-product-mismatch",
            FarmErrorKind::BadName { .. } => "farm-bad-name",
            FarmErrorKind::DuplicateName { .. } => "farm-duplicate-name",
            FarmErrorKind::UnknownRole { .. } => "farm-unknown-role",
            FarmErrorKind::RoleNotBuilt { .. } => "farm-role-not-built",
            FarmErrorKind::BadLanguage { .. } => "farm-bad-language",
            FarmErrorKind::LanguageNotBuilt { .. } => "farm-language-not-built",
            FarmErrorKind::NotClusteredRole { .. } => "farm-not-clustered",
            FarmErrorKind::ActiveWithoutCluster => "farm-active-without-cluster",
            FarmErrorKind::MixedRoles { .. } => "farm-mixed-roles",
            FarmErrorKind::TwoActive { .. } => "farm-two-active",
            FarmErrorKind::NoActive { .. } => "farm-no-active",
            FarmErrorKind::NoPassive { .. } => "farm-no-passive",
            FarmErrorKind::ScrUnknown { .. } => "farm-scr-unknown",
            FarmErrorKind::ScrSourceNotCluster { .. } => "farm-scr-not-cluster",
            FarmErrorKind::ScrOwnCluster { .. } => "farm-scr-own-cluster",
            FarmErrorKind::OrderCycle { .. } => "farm-order-cycle",
            FarmErrorKind::NoRolloutRules { .. } => "farm-no-rollout-rules",
            FarmErrorKind::NotPooledRole { .. } => "farm-not-pooled",
            FarmErrorKind::PoolMissing { .. } => "farm-pool-missing",
            FarmErrorKind::UnknownPool { .. } => "farm-unknown-pool",
            FarmErrorKind::DuplicatePool { .. } => "farm-duplicate-pool",
            FarmErrorKind::Interrupted => "interrupted",
        }
    }
}

impl FarmError {
    pub fn new(path: &Path, line: usize, kind: FarmErrorKind) -> FarmError {
        FarmError {
            path: path.to_path_buf(),
            line,
            kind: Box::new(kind),
        }
    }
}

impl crate::error::Diagnostic for FarmError {
    fn code(&self) -> &'static str {
        self.kind.code()
    }

    fn is_interrupt(&self) -> bool {
        matches!(*self.kind, FarmErrorKind::Interrupted)
    }
}

/// Every mistake of a farm file, in line order (never empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FarmErrors(pub Vec<FarmError>);

impl crate::error::Diagnostic for FarmErrors {
    /// The first mistake's code.
    fn code(&self) -> &'static str {
        self.0.first().map_or("farm-syntax", |e| e.kind.code())
    }

    fn is_interrupt(&self) -> bool {
        self.0.iter().any(crate::error::Diagnostic::is_interrupt)
    }
}

/// The first mistake on one line, and how many more there are.
impl fmt::Display for FarmErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(first) = self.0.first() else {
            return f.write_str("bad farm file");
        };
        write!(f, "{first}")?;
        if self.0.len() > 1 {
            write!(
                f,
                " (and {} more: `slipway farm check {}` lists them)",
                self.0.len() - 1,
                first.path.display()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for FarmErrors {}

/// The file as TOML sees it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFarm {
    name: Option<String>,
    product: Option<Spanned<String>>,
    #[serde(default)]
    server: Vec<Spanned<RawServer>>,
    #[serde(default)]
    pool: Vec<Spanned<RawPool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPool {
    name: Spanned<String>,
    backend: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    name: Spanned<String>,
    role: Spanned<String>,
    language: Option<Spanned<String>>,
    cluster: Option<Spanned<String>>,
    active: Option<Spanned<bool>>,
    scr_target_of: Option<Spanned<String>>,
    pool: Option<Spanned<String>>,
}

/// The line (from 1) of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    Lines::new(text).of(at)
}

/// Where the lines of a text start, for the line of any offset in O(log n): a farm file
/// has thousands of values, and counting newlines from the start for each would be
/// quadratic in the file's size.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(
            std::iter::once(0)
                .chain(
                    text.bytes()
                        .enumerate()
                        .filter(|&(_, b)| b == b'\n')
                        .map(|(i, _)| i + 1),
                )
                .collect(),
        )
    }

    /// The line (from 1) of byte offset `at`.
    fn of(&self, at: usize) -> usize {
        self.0.partition_point(|&start| start <= at)
    }
}

/// Reads a farm file (at most [`MAX_FARM_BYTES`], a regular file, UTF-8).
pub fn read(path: &Path) -> Result<Farm, FarmErrors> {
    let fail = |msg: String| {
        FarmErrors(vec![FarmError::new(
            path,
            0,
            FarmErrorKind::Unreadable(msg),
        )])
    };
    // Never through a link, never a FIFO (which would block), at most the limit.
    let file = crate::formats::open::open_regular(path, None).map_err(|e| {
        fail(match e {
            crate::formats::open::OpenError::Io(e) => e.to_string(),
            refused => refused.to_string(),
        })
    })?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, MAX_FARM_BYTES + 1),
        &mut bytes,
    )
    .map_err(|e| fail(e.to_string()))?;
    if bytes.len() as u64 > MAX_FARM_BYTES {
        return Err(fail(format!("larger than {MAX_FARM_BYTES} bytes")));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = line_of(
            &String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]),
            usize::MAX,
        );
        FarmErrors(vec![FarmError::new(
            path,
            line,
            FarmErrorKind::Syntax("not UTF-8 text".to_owned()),
        )])
    })?;
    parse(&text, path)
}

/// Parses a farm file's text; `path` names it in messages.
pub fn parse(text: &str, path: &Path) -> Result<Farm, FarmErrors> {
    let raw: RawFarm = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        // toml's message is several lines (the source excerpt): keep its first line.
        let message = e.message().lines().next().unwrap_or("not TOML").to_owned();
        FarmErrors(vec![FarmError::new(
            path,
            line,
            FarmErrorKind::Syntax(message),
        )])
    })?;
    let lines = Lines::new(text);
    let loc = |s: Spanned<String>| Located {
        line: lines.of(s.span().start),
        value: s.into_inner(),
    };
    let servers = raw
        .server
        .into_iter()
        .map(|s| {
            let line = lines.of(s.span().start);
            let s = s.into_inner();
            Server {
                line,
                name: loc(s.name),
                role: loc(s.role),
                language: s.language.map(loc),
                cluster: s.cluster.map(loc),
                active: s.active.map(|a| Located {
                    line: lines.of(a.span().start),
                    value: *a.get_ref(),
                }),
                scr_target_of: s.scr_target_of.map(loc),
                pool: s.pool.map(loc),
            }
        })
        .collect();
    let pools = raw
        .pool
        .into_iter()
        .map(|p| {
            let line = line_of(text, p.span().start);
            let p = p.into_inner();
            PoolDef {
                line,
                name: loc(p.name),
                backend: p.backend.map(loc),
            }
        })
        .collect();
    Ok(Farm {
        path: path.to_path_buf(),
        name: raw.name,
        product: raw.product.map(loc),
        servers,
        pools,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Diagnostic as _;

    #[test]
    fn values_keep_their_lines() {
        let text = "name = \"Contoso\"\nproduct = \"exchange-2007\"\n\n[[server]]\nname = \"EXMBX01\"\nrole = \"mailbox\"\ncluster = \"CMS01\"\nactive = true\n\n[[server]]\nname = \"EXSCR01\"\nrole = \"mailbox\"\nscr_target_of = \"CMS01\"\n";
        let farm = parse(text, Path::new("farm.toml")).unwrap();
        assert_eq!(farm.name.as_deref(), Some("Contoso"));
        assert_eq!(farm.product.as_ref().unwrap().line, 2);
        assert_eq!(farm.servers.len(), 2);
        let (a, b) = (&farm.servers[0], &farm.servers[1]);
        assert_eq!((a.name.line, a.role.line), (5, 6));
        assert_eq!(a.cluster.as_ref().unwrap().line, 7);
        assert_eq!(a.active.as_ref().unwrap().line, 8);
        assert!(a.is_active() && !b.is_active());
        assert_eq!(b.scr_target_of.as_ref().unwrap().value, "CMS01");
        assert_eq!(b.scr_target_of.as_ref().unwrap().line, 13);
    }

    #[test]
    fn syntax_errors_and_unknown_keys_name_their_line() {
        for (text, line, needle) in [
            (
                "[[server]]\nname = \"A\"\nrole = \"app\"\nactiv = true\n",
                4,
                "activ",
            ),
            ("[[server]]\nname = \"A\"\n", 1, "role"),
            (
                "name = \"x\"\n[[server]]\nname = \"A\"\nrole = 5\n",
                4,
                "string",
            ),
            ("name = \"x\"\nproduct = \n", 2, ""),
            (
                "[[server]]\nname = \"A\"\nrole = \"app\"\nactive = \"yes\"\n",
                4,
                "bool",
            ),
        ] {
            let err = parse(text, Path::new("f.toml")).unwrap_err();
            let e = &err.0[0];
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert_eq!(e.code(), "farm-syntax");
            assert!(e.to_string().starts_with(&format!("f.toml:{line}: ")));
            assert!(e.to_string().contains(needle), "{e}");
            assert!(!e.to_string().contains('\n'), "one line: {e}");
        }
    }

    #[test]
    fn odd_input_never_panics() {
        for text in [
            "",
            "\u{0}",
            "[[server]]",
            "server = 5",
            "[server]\nname=\"a\"",
            "a=1\n\n\n[",
        ] {
            let _ = parse(text, Path::new("f.toml"));
        }
    }
}
