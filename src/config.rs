//! From the arguments as typed ([`crate::cli::Cli`]) to a loaded, validated [`Request`] in one
//! step (ripgrep's LowArgs → HiArgs): catalogs, trust anchors and checksum files read and
//! checked, downloads expanded, the product, roles, languages, media and farm file resolved —
//! before any stage runs. Whatever fails here is one [`SetupError`] with a stable code, and
//! nothing was read from the inputs or written.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use crate::authenticode::{TrustError, TrustStore};
use crate::catalog::{Catalog, CatalogError, Catalogs};
use crate::cli::{
    self, BuildArgs, CatalogCommand, Cli, Command, FarmCommand, GlobalArgs, VerifyArgs,
};
use crate::extract::Options as ExtractOptions;
use crate::extract::limits::Limits;
use crate::farm::{self, Farm, FarmErrors};
use crate::formats::msi::MsiView;
use crate::media::{MediaError, MediaKind, MediaSource};
use crate::model::Lang;
use crate::plan::{self, PlanError};
use crate::scan::{self, ScanError};
use crate::verify::{self, SumsError};

/// A validated request.
#[derive(Debug)]
pub enum Request {
    Extract {
        inputs: Vec<PathBuf>,
        output: PathBuf,
        options: ExtractOptions,
    },
    Inspect(InspectRequest),
    InspectNames(Vec<String>),
    Verify(VerifyRequest),
    Build(Box<BuildRequest>),
    CatalogList(Catalogs),
    CatalogShow {
        catalogs: Catalogs,
        product: String,
    },
    CatalogCheck(PathBuf),
    /// `farm check`: the farm file read and checked (or its mistakes).
    FarmCheck(Result<FarmChecked, FarmErrors>),
    /// `completions`, `man`: the text to print.
    Print(Vec<u8>),
}

/// `inspect PATH…`.
#[derive(Debug)]
pub struct InspectRequest {
    pub inputs: Vec<PathBuf>,
    pub limits: Limits,
    pub trust: TrustStore,
    /// Inputs walked side by side.
    pub threads: usize,
}

/// `verify PATH…`.
#[derive(Debug)]
pub struct VerifyRequest {
    /// Packages and patches (folders of downloads expanded).
    pub downloads: Vec<PathBuf>,
    /// Files in download folders that are not packages.
    pub skipped: Vec<PathBuf>,
    /// Built folders and bundles, re-checked against their install manifest.
    pub outputs: Vec<PathBuf>,
    pub catalogs: Catalogs,
    pub trust: TrustStore,
    pub verify: verify::Options,
    pub limits: Limits,
    /// Inputs walked side by side.
    pub threads: usize,
}

/// `build DOWNLOADS… -o OUT --product P …`.
#[derive(Debug)]
pub struct BuildRequest {
    /// Packages and patches (folders of downloads expanded).
    pub inputs: Vec<PathBuf>,
    /// Files in download folders that are not packages.
    pub skipped: Vec<PathBuf>,
    /// The DOWNLOADS as given (files and folders).
    pub given: Vec<PathBuf>,
    pub output: PathBuf,
    pub catalogs: Catalogs,
    /// The product's catalog id.
    pub product: String,
    /// Its catalog's index in `catalogs` ([`BuildRequest::catalog`]).
    product_at: usize,
    /// Roles (checked against the product) and languages.
    pub plan: plan::Request,
    /// `--media` first, then each `--language-pack`.
    pub media: Vec<MediaSource>,
    pub verify: verify::Options,
    pub limits: Limits,
    pub trust: TrustStore,
    /// Inputs walked side by side.
    pub threads: usize,
    pub bundle: Option<PathBuf>,
    pub dry_run: bool,
    pub force: bool,
    pub allow_findings: bool,
    /// The build time recorded as `created` (seconds since 1970): `--timestamp`,
    /// `$SOURCE_DATE_EPOCH` or now.
    pub timestamp: i64,
    /// `--farm`: the farm file, checked against the product's catalog.
    pub farm: Option<Farm>,
}

impl BuildRequest {
    /// The product's catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalogs.as_slice()[self.product_at]
    }
}

/// A farm file that passed `farm check`.
#[derive(Debug)]
pub struct FarmChecked {
    pub farm: Farm,
    pub product: String,
    /// Server indices in rollout order.
    pub order: Vec<usize>,
}

/// Why a request cannot run.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    Sums(#[from] SumsError),
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("no catalog for product {product:?} (known: {known})")]
    UnknownProduct { product: String, known: String },
    /// Nothing to work on among the inputs: what was found instead.
    #[error("{0}")]
    NoPackage(String),
    /// A bad farm file (the first mistake, with its line).
    #[error(transparent)]
    Farm(#[from] FarmErrors),
    /// `man COMMAND` for a command slipway does not have.
    #[error("slipway has no command {0:?}; `slipway man` lists them")]
    UnknownCommand(String),
    /// `$SOURCE_DATE_EPOCH` is not a number of seconds.
    #[error("{0} is not a time: expected seconds since 1970")]
    BadTime(String),
    /// The man page could not be rendered.
    #[error("cannot render the man page")]
    Man(#[source] std::io::Error),
}

impl crate::error::Diagnostic for SetupError {
    fn code(&self) -> &'static str {
        match self {
            SetupError::Catalog(e) => e.code(),
            SetupError::Trust(_) => "trust-error",
            SetupError::Sums(e) => e.code(),
            SetupError::Scan(e) => e.code(),
            SetupError::Plan(e) => e.code(),
            SetupError::Media(e) => e.code(),
            SetupError::UnknownProduct { .. } => "unknown-product",
            SetupError::NoPackage(_) => "no-input",
            SetupError::Farm(e) => e.code(),
            SetupError::UnknownCommand(_) => "unknown-command",
            SetupError::BadTime(_) => "bad-timestamp",
            SetupError::Man(_) => "write-error",
        }
    }

    fn origin(&self) -> Option<&crate::model::Origin> {
        self.inner().and_then(crate::error::Diagnostic::origin)
    }

    fn is_interrupt(&self) -> bool {
        self.inner()
            .is_some_and(crate::error::Diagnostic::is_interrupt)
    }
}

impl SetupError {
    /// The stage error it wraps, which knows the origin.
    fn inner(&self) -> Option<&dyn crate::error::Diagnostic> {
        match self {
            SetupError::Media(e) => Some(e),
            SetupError::Farm(e) => Some(e),
            SetupError::Scan(e) => Some(e),
            SetupError::Catalog(_)
            | SetupError::Trust(_)
            | SetupError::Sums(_)
            | SetupError::Plan(_)
            | SetupError::UnknownProduct { .. }
            | SetupError::NoPackage(_)
            | SetupError::UnknownCommand(_)
            | SetupError::BadTime(_)
            | SetupError::Man(_) => None,
        }
    }
}

/// Loads and validates the request a command line asks for. `interrupt` is the run's Ctrl-C
/// flag: the farm file's checks look at it (a farm of thousands of servers is checked here).
pub fn load(cli: Cli, interrupt: &AtomicBool) -> Result<Request, SetupError> {
    let Cli { global: g, command } = cli;
    Ok(match command {
        Command::Extract(a) => Request::Extract {
            options: ExtractOptions {
                recursive: a.recursive,
                limits: a.budgets.limits(),
                force: a.force,
                msi_view: if a.msi_streams {
                    MsiView::Streams
                } else {
                    MsiView::Installed
                },
                threads: threads_or_cpus(g.threads),
                // The digests are printed with `--json` and `-v` only (`ui::report`).
                skip_digests: !(g.json || (g.verbose > 0 && g.quiet == 0)),
            },
            inputs: a.paths,
            output: a.output,
        },
        Command::Inspect(a) if a.names => Request::InspectNames(a.paths),
        Command::Inspect(a) => Request::Inspect(InspectRequest {
            limits: a.budgets.limits(),
            inputs: a.paths.into_iter().map(PathBuf::from).collect(),
            trust: load_trust(&g)?,
            threads: threads_or_cpus(g.threads),
        }),
        Command::Verify(a) => Request::Verify(verify(a, &g, interrupt)?),
        Command::Build(a) => Request::Build(Box::new(build(*a, &g, interrupt)?)),
        Command::Catalog(CatalogCommand::List) => {
            Request::CatalogList(Catalogs::load(&g.catalogs)?)
        }
        Command::Catalog(CatalogCommand::Show { product }) => {
            let catalogs = Catalogs::load(&g.catalogs)?;
            known_product(&catalogs, &product)?;
            Request::CatalogShow { catalogs, product }
        }
        Command::Catalog(CatalogCommand::Check { file }) => Request::CatalogCheck(file),
        Command::Farm(FarmCommand::Check { file, product }) => {
            let catalogs = Catalogs::load(&g.catalogs)?;
            match farm_check(&file, product.as_deref(), &catalogs, interrupt) {
                Err(e) if crate::error::Diagnostic::is_interrupt(&e) => {
                    return Err(SetupError::Farm(e));
                }
                checked => Request::FarmCheck(checked),
            }
        }
        Command::Completions { shell } => Request::Print(cli::completions(shell)),
        Command::Man { command } => Request::Print(
            cli::man_page(&command)
                .map_err(SetupError::Man)?
                .ok_or_else(|| SetupError::UnknownCommand(command.join(" ")))?,
        ),
    })
}

/// The catalog of `product`.
fn known_product<'c>(catalogs: &'c Catalogs, product: &str) -> Result<&'c Catalog, SetupError> {
    if let Some(c) = catalogs.get(product) {
        return Ok(c);
    }
    let known: Vec<&str> = catalogs.iter().map(|c| c.id.as_str()).collect();
    Err(SetupError::UnknownProduct {
        product: product.to_owned(),
        known: known.join(", "),
    })
}

fn verify(
    a: VerifyArgs,
    g: &GlobalArgs,
    interrupt: &AtomicBool,
) -> Result<VerifyRequest, SetupError> {
    let catalogs = Catalogs::load(&g.catalogs)?;
    let sums = verify::read_sums(&a.sums)?;
    let trust = load_trust(g)?;
    // A built folder or bundle is re-checked against its install manifest; any other folder is
    // a folder of downloads, verified like `build` reads one.
    let (outputs, inputs): (Vec<PathBuf>, Vec<PathBuf>) = a
        .paths
        .into_iter()
        .partition(|p| scan::is_built_folder(p) || scan::is_bundle(p));
    let (downloads, skipped) = scan::downloads(&inputs, interrupt)?;
    if downloads.is_empty() && outputs.is_empty() {
        return Err(SetupError::NoPackage(scan::nothing_found(
            &inputs, &skipped,
        )));
    }
    Ok(VerifyRequest {
        downloads,
        skipped,
        outputs,
        catalogs,
        trust,
        verify: verify::Options {
            sums,
            baseline: a.baseline,
            media: None,
            strict: a.strict,
            require_signature: a.require_signature,
        },
        limits: a.budgets.limits(),
        threads: threads_or_cpus(g.threads),
    })
}

/// `--threads N`, or (0, the default) one per processor.
fn threads_or_cpus(n: usize) -> usize {
    if n > 0 {
        n
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// The trust store: Microsoft's built-in roots (unless `--no-builtin-trust`) and the
/// `--trust` files.
fn load_trust(g: &GlobalArgs) -> Result<TrustStore, TrustError> {
    if g.no_builtin_trust {
        TrustStore::load_pinned(&g.trust)
    } else {
        TrustStore::load(&g.trust)
    }
}

/// The media asked for: each must exist (a folder or a file; what it holds is judged when it
/// is read), no path twice, no culture twice, none overlapping `output` (OUT inside the media
/// would be copied into itself, level after level; media inside OUT replaced).
fn media_sources(
    media: Option<PathBuf>,
    packs: Vec<(Lang, PathBuf)>,
    output: &std::path::Path,
    unconfirmed_ok: bool,
) -> Result<Vec<MediaSource>, MediaError> {
    let mut out: Vec<MediaSource> = media
        .into_iter()
        .map(|path| MediaSource {
            kind: MediaKind::Product,
            path,
            unconfirmed_ok,
        })
        .collect();
    for (culture, path) in packs {
        out.push(MediaSource {
            kind: MediaKind::LanguagePack(culture),
            path,
            unconfirmed_ok,
        });
    }
    for (i, m) in out.iter().enumerate() {
        std::fs::metadata(&m.path).map_err(|source| {
            MediaError::Extract(crate::extract::Error::Read {
                origin: crate::model::Origin::input(&m.path),
                source,
            })
        })?;
        let same_culture = |o: &MediaSource| match (&o.kind, &m.kind) {
            (MediaKind::LanguagePack(a), MediaKind::LanguagePack(b)) => a == b,
            _ => false,
        };
        if out[..i].iter().any(|o| o.path == m.path || same_culture(o)) {
            return Err(MediaError::Twice {
                path: m.path.clone(),
            });
        }
        let at_output = || MediaError::AtOutput {
            path: m.path.clone(),
            output: output.to_path_buf(),
        };
        crate::extract::staging::ensure_outside(output, &[m.path.as_path()])
            .map_err(|_| at_output())?;
        crate::extract::staging::ensure_not_input(output, &[m.path.as_path()])
            .map_err(|_| at_output())?;
    }
    Ok(out)
}

fn build(a: BuildArgs, g: &GlobalArgs, interrupt: &AtomicBool) -> Result<BuildRequest, SetupError> {
    let catalogs = Catalogs::load(&g.catalogs)?;
    let catalog = known_product(&catalogs, &a.product)?;
    // The farm file is read and checked before any input is read.
    let farm = match &a.farm {
        Some(path) => {
            let farm = farm::read(path)?;
            farm::product(&farm, Some(&a.product), catalogs.as_slice())?;
            farm::check(&farm, catalog, &a.roles, catalogs.as_slice(), interrupt)?;
            Some(farm)
        }
        None => None,
    };
    let plan = plan::Request {
        roles: a.roles,
        languages: a.langs,
        ..plan::Request::default()
    };
    let media = media_sources(a.media, a.language_packs, &a.output, a.media_unconfirmed)?;
    if !catalog.language_packs
        && let Some(lp) = media
            .iter()
            .find(|m| matches!(m.kind, MediaKind::LanguagePack(_)))
    {
        return Err(MediaError::NoLanguagePacks {
            path: lp.path.clone(),
            product: catalog.id.clone(),
        }
        .into());
    }
    // Roles are checked before any input is read.
    plan::roles(catalog, &plan)?;
    let sums = verify::read_sums(&a.sums)?;
    let trust = load_trust(g)?;
    let (inputs, skipped) = scan::downloads(&a.paths, interrupt)?;
    if inputs.is_empty() {
        return Err(SetupError::NoPackage(scan::nothing_found(
            &a.paths, &skipped,
        )));
    }
    let timestamp = build_time(a.timestamp)?;
    Ok(BuildRequest {
        inputs,
        skipped,
        given: a.paths,
        output: a.output,
        product_at: catalogs
            .as_slice()
            .iter()
            .position(|c| c.id == a.product)
            .unwrap_or_default(),
        product: a.product,
        catalogs,
        plan,
        media,
        verify: verify::Options {
            sums,
            baseline: a.baseline,
            media: None,
            strict: a.strict,
            require_signature: a.require_signature,
        },
        limits: a.budgets.limits(),
        trust,
        threads: threads_or_cpus(g.threads),
        bundle: a.bundle,
        dry_run: a.dry_run,
        force: a.force,
        allow_findings: a.allow_findings,
        timestamp,
        farm,
    })
}

/// The reproducible-builds variable that pins the build time when `--timestamp` is not
/// given (<https://reproducible-builds.org/specs/source-date-epoch/>).
const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";

/// The time a build records: `--timestamp`, else `$SOURCE_DATE_EPOCH` (seconds since 1970; a
/// malformed value is refused, as the specification asks), else now.
fn build_time(given: Option<i64>) -> Result<i64, SetupError> {
    if let Some(t) = given {
        return Ok(t);
    }
    match std::env::var(SOURCE_DATE_EPOCH) {
        Ok(v) => v
            .trim()
            .parse::<i64>()
            .map_err(|_| SetupError::BadTime(format!("{SOURCE_DATE_EPOCH}={v:?}"))),
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))),
    }
}

/// `farm check FILE [--product P]`: the product (`--product`, else the file's), every
/// mistake, and the rollout order of a good file.
fn farm_check(
    path: &std::path::Path,
    product: Option<&str>,
    catalogs: &Catalogs,
    interrupt: &AtomicBool,
) -> Result<FarmChecked, FarmErrors> {
    let farm = farm::read(path)?;
    let catalog = farm::product(&farm, product, catalogs.as_slice())?;
    farm::check(&farm, catalog, &[], catalogs.as_slice(), interrupt)?;
    let order =
        farm::order::order_until(&farm, catalog, interrupt).map_err(|e| FarmErrors(vec![e]))?;
    Ok(FarmChecked {
        product: catalog.id.clone(),
        farm,
        order,
    })
}
