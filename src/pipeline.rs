//! The one orchestrator: for each command, the stages in pipeline order — scan (done by
//! [`crate::config`]) → extract and identify (one walk) → classify → verify → plan → assemble →
//! manifest — with nothing printed: [`crate::app`] hands the results to `ui`.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::assemble::{self, Stage};
use crate::catalog::model::Catalog;
use crate::classify::{self, Class};
use crate::config::{BuildRequest, InspectRequest, VerifyRequest};
use crate::extract::{Error, Progress};
use crate::findings::{Finding, Severity};
use crate::identify;
use crate::identify::inspect::{self, Inspection, WalkOptions};
use crate::manifest;
use crate::media::{self, MediaError, Staged};
use crate::model::manifest::InstallManifest;
use crate::plan::{self, Plan, PlanError};
use crate::verify::output::{OutputCheck, OutputError};
use crate::verify::{self, Verification};

/// `inspect`: the walk, and what each item is (no catalogs: nothing to look up).
pub fn inspect(
    req: &InspectRequest,
    progress: &dyn Progress,
    interrupt: &'static AtomicBool,
) -> (Inspection, Vec<Class<'static>>) {
    let walk = WalkOptions {
        limits: req.limits,
        pool: None,
        trust: &req.trust,
        threads: req.threads,
    };
    let insp = inspect::walk_with(&req.inputs, &walk, progress, interrupt);
    let classes = classify::classify(&insp.items, &[], None);
    (insp, classes)
}

/// What `verify` found.
#[derive(Debug)]
pub struct Verified<'c> {
    /// Built folders and bundles re-checked.
    pub outputs: Vec<OutputCheck>,
    /// The downloads (when any were given).
    pub downloads: Option<(Inspection, Vec<Class<'c>>, Verification)>,
}

/// `verify`: built outputs re-checked against their manifests, then the downloads walked,
/// classified and verified.
pub fn verify<'c>(
    req: &VerifyRequest,
    catalogs: &'c [Catalog],
    progress: &dyn Progress,
    interrupt: &'static AtomicBool,
) -> Result<Verified<'c>, OutputError> {
    let mut outputs = Vec::new();
    let watch = verify::output::Watch {
        progress,
        interrupt,
    };
    for out in &req.outputs {
        progress.phase("re-hashing the build");
        outputs.push(if out.is_dir() {
            verify::output::check_folder(out, watch)?
        } else {
            verify::output::check_bundle(out, watch)?
        });
    }
    if !req.outputs.is_empty() && !req.downloads.is_empty() {
        progress.phase("reading the downloads");
    }
    if req.downloads.is_empty() {
        return Ok(Verified {
            outputs,
            downloads: None,
        });
    }
    let walk = WalkOptions {
        limits: req.limits,
        pool: None,
        trust: &req.trust,
        threads: req.threads,
    };
    let insp = inspect::walk_with(&req.downloads, &walk, progress, interrupt);
    let classes = classify::classify(&insp.items, catalogs, None);
    let ver = verify::verify(&insp, &classes, &req.verify);
    Ok(Verified {
        outputs,
        downloads: Some((insp, classes, ver)),
    })
}

/// How a build ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// OUT was written (and the bundle, if asked).
    Built,
    /// `--dry-run`: the plan only.
    DryRun,
    /// Verification found errors: nothing written.
    Refused,
    /// Some inputs could not be read at all (`Inspection::failed`): nothing written.
    InputsFailed,
}

/// Everything a build produced, for the report.
#[derive(Debug)]
pub struct Built<'c> {
    pub inspection: Inspection,
    pub classes: Vec<Class<'c>>,
    pub verification: Verification,
    pub plan: Option<Plan>,
    /// The setup media merged into the role folders (`--media`, `--language-pack`).
    pub media: Vec<Staged>,
    /// The install manifest (also for a dry run, as it would be written).
    pub manifest: Option<InstallManifest>,
    pub outcome: Outcome,
}

impl Built<'_> {
    /// Every finding: the inspection's, verify's and the plan's, in that order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.inspection
            .findings()
            .chain(self.verification.findings.iter())
            .chain(self.plan.iter().flat_map(|p| p.findings.iter()))
    }
}

/// Why a build could not run.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Run(#[from] Error),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Media(#[from] MediaError),
    /// The farm file does not fit the build (a server language it has no updates for).
    #[error(transparent)]
    Farm(#[from] crate::farm::FarmErrors),
    /// A download another product's catalog claims.
    #[error(
        "{origin}: an update of {other} ({by}), not of {product}: take it out of the downloads, or build it with --product {other}"
    )]
    OtherProduct {
        origin: crate::model::Origin,
        product: String,
        other: String,
        by: String,
    },
    #[error("cannot write the bundle {}", path.display())]
    Bundle {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Diagnostic for BuildError {
    fn code(&self) -> &'static str {
        match self {
            BuildError::Run(e) => e.code(),
            BuildError::Plan(e) => e.code(),
            BuildError::Media(e) => e.code(),
            BuildError::Farm(e) => e.code(),
            BuildError::OtherProduct { .. } => "other-product",
            BuildError::Bundle { .. } => "bundle-error",
        }
    }

    fn origin(&self) -> Option<&crate::model::Origin> {
        match self {
            BuildError::OtherProduct { origin, .. } => Some(origin),
            _ => self.inner().and_then(crate::error::Diagnostic::origin),
        }
    }

    fn is_interrupt(&self) -> bool {
        self.inner()
            .is_some_and(crate::error::Diagnostic::is_interrupt)
    }
}

impl BuildError {
    /// The stage error it wraps, which knows the origin.
    fn inner(&self) -> Option<&dyn crate::error::Diagnostic> {
        match self {
            BuildError::Run(e) => Some(e),
            BuildError::Media(e) => Some(e),
            BuildError::Plan(_)
            | BuildError::Farm(_)
            | BuildError::OtherProduct { .. }
            | BuildError::Bundle { .. } => None,
        }
    }
}

/// `build`: the whole pipeline into OUT's staging folder, committed only when complete.
pub fn build<'r>(
    req: &'r BuildRequest,
    progress: &dyn Progress,
    interrupt: &'static AtomicBool,
) -> Result<Built<'r>, BuildError> {
    let stage = Stage::prepare(
        &req.output,
        &req.inputs,
        &req.given,
        req.bundle.as_deref(),
        req.force,
        req.dry_run,
    )?;
    // Ctrl-C is looked at between the phases too (the walk looks at it all the time): a run
    // interrupted after the reading ends before anything is committed.
    let stop = || -> Result<(), BuildError> {
        if interrupt.load(Ordering::Relaxed) {
            return Err(Error::Interrupted.into());
        }
        Ok(())
    };
    let (staged, inspection) = read(req, &stage, progress, interrupt)?;
    stop()?;
    let (mut built, settled) = judge(req, staged, inspection)?;
    stop()?;
    if !built.inspection.failed.is_empty() {
        return Ok(built);
    }
    if built
        .verification
        .failed(&built.inspection, req.verify.strict)
        && !req.allow_findings
    {
        built.outcome = Outcome::Refused;
        return Ok(built);
    }
    let plan = plan_for(req, &built, &settled)?;
    stop()?;
    // A name the path checker refuses is an error like any other: nothing is written.
    let plan_refused = plan
        .findings
        .iter()
        .any(|f| f.severity() == Severity::Error);
    built.plan = Some(plan);
    let findings: Vec<Finding> = built.findings().cloned().collect();
    let Some(plan) = &built.plan else {
        return Ok(built);
    };
    let mut doc = manifest::install_manifest(
        &req.product,
        &built.inspection,
        &built.classes,
        plan,
        &findings,
        manifest::media_entries(&built.media, &settled.handled, req.catalog()),
        Some(manifest::rfc3339(req.timestamp)),
    );
    built.outcome = if plan_refused && !req.allow_findings {
        Outcome::Refused
    } else if req.dry_run {
        Outcome::DryRun
    } else {
        write(req, &stage, &built, &settled, &mut doc, progress, interrupt)?;
        stop()?;
        let pending = pack_bundle(req, &stage, progress, interrupt)?;
        stop()?;
        stage.commit()?;
        if let Some((p, bundle)) = pending {
            p.persist(bundle).map_err(|source| BuildError::Bundle {
                path: bundle.clone(),
                source,
            })?;
        }
        Outcome::Built
    };
    built.manifest = Some(doc);
    Ok(built)
}

/// Packs the bundle (`--bundle`) from the staging folder, before OUT is committed: an
/// interrupt or a failure while it is written leaves neither OUT nor a bundle. The packed
/// file waits beside the bundle's path until OUT is committed.
fn pack_bundle<'q>(
    req: &'q BuildRequest,
    stage: &Stage,
    progress: &dyn Progress,
    interrupt: &AtomicBool,
) -> Result<Option<(manifest::PendingBundle, &'q std::path::PathBuf)>, BuildError> {
    let Some(bundle) = &req.bundle else {
        return Ok(None);
    };
    progress.phase("writing the bundle");
    match manifest::write_bundle(stage.root(), bundle, progress, interrupt) {
        Ok(p) => Ok(Some((p, bundle))),
        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(Error::Interrupted.into()),
        Err(source) => Err(BuildError::Bundle {
            path: bundle.clone(),
            source,
        }),
    }
}

/// Reading: the media copied into the stage and identified (a medium that is not the
/// product's is refused before any download is read), then the downloads and the media's own
/// `Updates` patches walked in one pool.
fn read(
    req: &BuildRequest,
    stage: &Stage,
    progress: &dyn Progress,
    interrupt: &'static AtomicBool,
) -> Result<(Vec<Staged>, Inspection), BuildError> {
    if !req.media.is_empty() {
        progress.phase("copying the media");
    }
    let staged = media::stage(
        &req.media,
        &stage.media_dir(),
        req.limits,
        req.threads,
        req.catalog(),
        req.catalogs.as_slice(),
        progress,
        interrupt,
    )?;
    let walk = WalkOptions {
        limits: req.limits,
        pool: Some(stage.pool()),
        trust: &req.trust,
        threads: req.threads,
    };
    progress.phase("reading the downloads");
    let mut inspection = inspect::walk_with(&req.inputs, &walk, progress, interrupt);
    identify::media::walk_media(&staged, &walk, &mut inspection, progress, interrupt);
    if inspection.interrupted {
        return Err(Error::Interrupted.into());
    }
    Ok((staged, inspection))
}

/// Judging what was read: classified, the media settled against it, verified.
fn judge<'r>(
    req: &'r BuildRequest,
    staged: Vec<Staged>,
    inspection: Inspection,
) -> Result<(Built<'r>, media::Settled), BuildError> {
    let product = req.catalog();
    let classes = classify::classify(&inspection.items, req.catalogs.as_slice(), Some(product));
    if let Some(o) = verify::other_product(
        &inspection.items,
        &classes,
        product,
        req.catalogs.as_slice(),
    ) {
        return Err(BuildError::OtherProduct {
            origin: inspection.items[o.item].origin.clone(),
            product: product.id.clone(),
            other: o.other,
            by: o.by,
        });
    }
    let found = found(&inspection, &classes);
    let settled = media::settle(&staged, &found, &req.plan.languages, product)?;
    let options = verify::Options {
        media: settled.levels.clone(),
        ..req.verify.clone()
    };
    let mut verification = verify::verify(&inspection, &classes, &options);
    verification
        .findings
        .extend(settled.findings.iter().cloned());
    let built = Built {
        inspection,
        classes,
        verification,
        plan: None,
        media: staged,
        manifest: None,
        outcome: Outcome::InputsFailed,
    };
    Ok((built, settled))
}

/// The plan for the request, the media's base language and reserved paths, checked against
/// the farm's languages.
fn plan_for(
    req: &BuildRequest,
    built: &Built<'_>,
    settled: &media::Settled,
) -> Result<Plan, BuildError> {
    let product = req.catalog();
    let request = plan::Request {
        base: settled.base.clone(),
        reserved: settled.reserved.clone(),
        ..req.plan.clone()
    };
    let plan = plan::plan(&built.inspection.items, &built.classes, product, &request)?;
    if let Some(farm) = &req.farm {
        crate::farm::check_languages(
            farm,
            plan.base_language.as_ref(),
            &plan.languages,
            product.language_packs,
        )?;
    }
    Ok(plan)
}

/// What the walk and classify found about each top-level file, for the media stage.
fn found(inspection: &Inspection, classes: &[Class<'_>]) -> Vec<media::Found> {
    inspection
        .items
        .iter()
        .zip(classes)
        .filter(|(i, _)| i.depth == 0)
        .map(|(i, c)| media::Found {
            stored: i.stored.clone(),
            from_media: i.from_media,
            arch: i.named.arch,
            patch: c.patch,
            service_pack: c.build.filter(|_| c.service_pack),
            language: c.language.clone(),
        })
        .collect()
}

/// Fills the staging folder: the placed updates and media, the documents (report, rollout,
/// scripts), then the install manifest, which lists them.
fn write(
    req: &BuildRequest,
    stage: &Stage,
    built: &Built<'_>,
    settled: &media::Settled,
    doc: &mut InstallManifest,
    progress: &dyn Progress,
    interrupt: &AtomicBool,
) -> Result<(), BuildError> {
    let Some(plan) = &built.plan else {
        return Ok(());
    };
    let stop = || -> Result<(), BuildError> {
        if interrupt.load(Ordering::Relaxed) {
            return Err(Error::Interrupted.into());
        }
        Ok(())
    };
    progress.phase("placing the files");
    assemble::place(stage, &built.inspection.items, plan, progress, interrupt)?;
    assemble::place_packages(stage, &built.inspection.items, plan, progress, interrupt)?;
    stop()?;
    assemble::place_media(stage, plan, &built.media, &settled.handled)?;
    stop()?;
    let written = |source| Error::Write {
        path: stage.root().to_path_buf(),
        source,
    };
    doc.documents = crate::docs::write_build(
        stage.root(),
        &crate::docs::BuildDocs {
            catalog: req.catalog(),
            manifest: doc,
            items: &built.inspection.items,
            classes: &built.classes,
            plan,
            baseline: req.verify.baseline,
            farm: req.farm.as_ref(),
        },
    )
    .map_err(written)?;
    stop()?;
    manifest::write(stage.root(), doc).map_err(written)?;
    Ok(())
}
