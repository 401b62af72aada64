//! From parsed arguments to loaded, validated requests (ripgrep's LowArgs → HiArgs): catalogs,
//! trust anchors and checksum files read and checked, downloads expanded, the product, roles
//! and languages resolved — before any stage runs. Whatever fails here is one [`SetupError`]
//! with a stable code, and nothing was read from the inputs or written.

use std::path::PathBuf;

use crate::authenticode::{TrustError, TrustStore};
use crate::catalog::{CatalogError, Catalogs};
use crate::cli::{BuildConfig, Config, TrustArgs};
use crate::extract::Options as ExtractOptions;
use crate::extract::limits::Limits;
use crate::farm::{self, Farm, FarmErrors};
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
    Completions(clap_complete::Shell),
    Man(Option<String>),
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
    /// The product's catalog id (known to `catalogs`).
    pub product: String,
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
    /// Seconds since 1970 to record as `created` (`--timestamp`); `None` keeps the output
    /// byte-identical across runs.
    pub timestamp: Option<u64>,
    /// `--farm`: the farm file, checked against the product's catalog.
    pub farm: Option<Farm>,
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
}

impl SetupError {
    /// The stable code for `--json`.
    pub fn code(&self) -> &'static str {
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
        }
    }
}

/// Loads and validates a request.
pub fn load(config: Config) -> Result<Request, SetupError> {
    Ok(match config {
        Config::Extract {
            inputs,
            output,
            options,
        } => Request::Extract {
            inputs,
            output,
            options,
        },
        Config::Inspect {
            inputs,
            limits,
            trust,
            threads,
        } => Request::Inspect(InspectRequest {
            inputs,
            limits,
            trust: load_trust(&trust)?,
            threads: threads_or_cpus(threads),
        }),
        Config::InspectNames { names } => Request::InspectNames(names),
        Config::Verify {
            inputs,
            sums,
            baseline,
            strict,
            limits,
            catalogs,
            trust,
            require_signature,
            threads,
        } => {
            let catalogs = Catalogs::load(&catalogs)?;
            let sums = verify::read_sums(&sums)?;
            let trust = load_trust(&trust)?;
            // A built folder or bundle is re-checked against its install manifest; any other
            // folder is a folder of downloads, verified like `build` reads one.
            let (outputs, inputs): (Vec<PathBuf>, Vec<PathBuf>) = inputs
                .into_iter()
                .partition(|p| scan::is_built_folder(p) || scan::is_bundle(p));
            let (downloads, skipped) = scan::downloads(&inputs)?;
            if downloads.is_empty() && outputs.is_empty() {
                return Err(SetupError::NoPackage(scan::nothing_found(
                    &inputs, &skipped,
                )));
            }
            Request::Verify(VerifyRequest {
                downloads,
                skipped,
                outputs,
                catalogs,
                trust,
                verify: verify::Options {
                    sums,
                    baseline,
                    media: None,
                    strict,
                    require_signature,
                },
                limits,
                threads: threads_or_cpus(threads),
            })
        }
        Config::Build(req) => Request::Build(Box::new(build(*req)?)),
        Config::CatalogList { catalogs } => Request::CatalogList(Catalogs::load(&catalogs)?),
        Config::CatalogShow { product, catalogs } => Request::CatalogShow {
            catalogs: Catalogs::load(&catalogs)?,
            product,
        },
        Config::CatalogCheck { file } => Request::CatalogCheck(file),
        Config::FarmCheck {
            file,
            product,
            catalogs,
        } => {
            let catalogs = Catalogs::load(&catalogs)?;
            Request::FarmCheck(farm_check(&file, product.as_deref(), &catalogs))
        }
        Config::Completions(shell) => Request::Completions(shell),
        Config::Man(command) => Request::Man(command),
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

/// The trust store: Microsoft's built-in roots (unless switched off) and the `--trust` files.
fn load_trust(args: &TrustArgs) -> Result<TrustStore, TrustError> {
    if args.builtin {
        TrustStore::load(&args.files)
    } else {
        TrustStore::load_pinned(&args.files)
    }
}

/// The media asked for: each must exist (a folder or a file; what it holds is judged when it
/// is read), no path twice, no culture twice.
fn media_sources(
    media: Option<PathBuf>,
    packs: Vec<(Lang, PathBuf)>,
) -> Result<Vec<MediaSource>, MediaError> {
    let mut out: Vec<MediaSource> = media
        .into_iter()
        .map(|path| MediaSource {
            kind: MediaKind::Product,
            path,
        })
        .collect();
    for (culture, path) in packs {
        out.push(MediaSource {
            kind: MediaKind::LanguagePack(culture),
            path,
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
    }
    Ok(out)
}

fn build(req: BuildConfig) -> Result<BuildRequest, SetupError> {
    let catalogs = Catalogs::load(&req.catalogs)?;
    let Some(catalog) = catalogs.get(&req.product) else {
        let known: Vec<&str> = catalogs.iter().map(|c| c.id.as_str()).collect();
        return Err(SetupError::UnknownProduct {
            product: req.product,
            known: known.join(", "),
        });
    };
    // The farm file is read and checked before any input is read.
    let farm = match &req.farm {
        Some(path) => {
            let list: Vec<_> = catalogs.iter().cloned().collect();
            let farm = farm::read(path)?;
            farm::product(&farm, Some(&req.product), &list)?;
            farm::check(&farm, catalog, &req.roles, &list)?;
            Some(farm)
        }
        None => None,
    };
    let plan = plan::Request {
        roles: req.roles,
        languages: req.langs,
        ..plan::Request::default()
    };
    let media = media_sources(req.media, req.language_packs)?;
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
    let sums = verify::read_sums(&req.sums)?;
    let trust = load_trust(&req.trust)?;
    let (inputs, skipped) = scan::downloads(&req.inputs)?;
    if inputs.is_empty() {
        return Err(SetupError::NoPackage(scan::nothing_found(
            &req.inputs,
            &skipped,
        )));
    }
    let timestamp = req.timestamp.then(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    Ok(BuildRequest {
        inputs,
        skipped,
        given: req.inputs,
        output: req.output,
        product: req.product,
        catalogs,
        plan,
        media,
        verify: verify::Options {
            sums,
            baseline: req.baseline,
            media: None,
            strict: req.strict,
            require_signature: req.require_signature,
        },
        limits: req.limits,
        trust,
        threads: threads_or_cpus(req.threads),
        bundle: req.bundle,
        dry_run: req.dry_run,
        force: req.force,
        allow_findings: req.allow_findings,
        timestamp,
        farm,
    })
}

/// `farm check FILE [--product P]`: the product (`--product`, else the file's), every
/// mistake, and the rollout order of a good file.
fn farm_check(
    path: &std::path::Path,
    product: Option<&str>,
    catalogs: &Catalogs,
) -> Result<FarmChecked, FarmErrors> {
    let list: Vec<_> = catalogs.iter().cloned().collect();
    let farm = farm::read(path)?;
    let catalog = farm::product(&farm, product, &list)?;
    farm::check(&farm, catalog, &[], &list)?;
    let order = farm::order::order(&farm, catalog).map_err(|e| FarmErrors(vec![e]))?;
    Ok(FarmChecked {
        product: catalog.id.clone(),
        farm,
        order,
    })
}
