//! The one orchestrator: for each command, the stages in pipeline order — scan (done by
//! [`crate::config`]) → extract and identify (one walk) → classify → verify → plan → assemble →
//! manifest — with nothing printed: [`crate::app`] hands the results to `ui`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use crate::assemble::{self, Stage};
use crate::catalog::model::Catalog;
use crate::classify::{self, Class};
use crate::config::{BuildRequest, InspectRequest, VerifyRequest};
use crate::extract::{Error, Progress};
use crate::findings::{Finding, FindingKind, Severity};
use crate::identify::inspect::{self, Inspection, WalkOptions};
use crate::manifest;
use crate::media::{self, MediaError, MediaKind, Staged};
use crate::model::manifest::InstallManifest;
use crate::model::{Arch, Build};
use crate::plan::{self, Plan, PlanError};
use crate::verify::output::{OutputCheck, OutputError};
use crate::verify::{self, Verification};

/// `inspect`: the walk, and what each item is (no catalogs: nothing to look up).
pub fn inspect(
    req: &InspectRequest,
    progress: &dyn Progress,
    interrupt: &AtomicBool,
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
    interrupt: &AtomicBool,
) -> Result<Verified<'c>, OutputError> {
    let mut outputs = Vec::new();
    for out in &req.outputs {
        outputs.push(if out.is_dir() {
            verify::output::check_folder(out)?
        } else {
            verify::output::check_bundle(out)?
        });
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
    #[error("cannot write the bundle {}: {source}", path.display())]
    Bundle {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl BuildError {
    /// The stable code for `--json`.
    pub fn code(&self) -> &'static str {
        match self {
            BuildError::Run(e) => e.code(),
            BuildError::Plan(e) => e.code(),
            BuildError::Media(e) => e.code(),
            BuildError::Farm(e) => e.code(),
            BuildError::Bundle { .. } => "bundle-error",
        }
    }
}

/// `build`: the whole pipeline into OUT's staging folder, committed only when complete.
pub fn build<'c>(
    req: &BuildRequest,
    catalogs: &'c [Catalog],
    product: &'c Catalog,
    progress: &dyn Progress,
    interrupt: &AtomicBool,
) -> Result<Built<'c>, BuildError> {
    let stage = Stage::prepare(
        &req.output,
        &req.inputs,
        &req.given,
        req.bundle.as_deref(),
        req.force,
        req.dry_run,
    )?;
    // The media first: a medium that is not the product's is refused before the downloads
    // are read.
    let staged = stage_media(req, &stage, product, catalogs, progress, interrupt)?;
    let walk = WalkOptions {
        limits: req.limits,
        pool: Some(stage.pool()),
        trust: &req.trust,
        threads: req.threads,
    };
    let mut inspection = inspect::walk_with(&req.inputs, &walk, progress, interrupt);
    if inspection.interrupted {
        return Err(Error::Interrupted.into());
    }
    check_media_arch(&staged, &inspection)?;
    let mut plan_request = req.plan.clone();
    if let Some(product_media) = staged.iter().find(|m| m.source.kind == MediaKind::Product)
        && let Some(lang) = &product_media.identity.language
    {
        if let Some(first) = plan_request.languages.first()
            && !first.agrees_with(lang)
        {
            return Err(MediaError::BaseLanguage {
                path: product_media.source.path.clone(),
                media: lang.clone(),
                first: first.clone(),
            }
            .into());
        }
        plan_request.base = Some(lang.clone());
    }
    walk_media_updates(&staged, &walk, &mut inspection, progress, interrupt);
    if inspection.interrupted {
        return Err(Error::Interrupted.into());
    }
    let classes = classify::classify(&inspection.items, catalogs, Some(product));
    // The media files not copied as they are: the patches the plan takes over (placed when
    // newest, else left out) and those a setup quirk removes. No placed file may take the
    // path of one that is copied.
    let handled: BTreeSet<PathBuf> = inspection
        .items
        .iter()
        .zip(&classes)
        .filter(|(i, c)| i.from_media && i.depth == 0 && c.patch)
        .filter_map(|(i, _)| i.stored.clone())
        .collect();
    let (removed, media_findings) = media::quirks(&staged, product);
    let handled: BTreeSet<PathBuf> = handled.into_iter().chain(removed).collect();
    plan_request.reserved = media::reserved(&staged, &handled);
    let mut verify_opts = req.verify.clone();
    if !staged.is_empty() {
        verify_opts.media = Some(media_levels(&staged, &inspection, &classes));
    }
    let mut verification = verify::verify(&inspection, &classes, &verify_opts);
    verification.findings.extend(media_findings);
    for m in staged.iter().filter(|m| !m.identity.confirmed) {
        verification.findings.push(Finding::new(
            &m.source.origin("setup.exe"),
            FindingKind::MediaUnconfirmed {
                product: product.id.clone(),
                name: m.identity.product_name.clone(),
                build: m.identity.build,
            },
        ));
    }
    let mut built = Built {
        inspection,
        classes,
        verification,
        plan: None,
        media: Vec::new(),
        manifest: None,
        outcome: Outcome::InputsFailed,
    };
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
    let plan = plan::plan(
        &built.inspection.items,
        &built.classes,
        product,
        &plan_request,
    )?;
    if let Some(farm) = &req.farm {
        crate::farm::check_languages(
            farm,
            plan.base_language.as_ref(),
            &plan.languages,
            product.language_packs,
        )?;
    }
    // A name the path checker refuses is an error like any other: nothing is written.
    let plan_errors = plan
        .findings
        .iter()
        .any(|f| f.severity() == Severity::Error);
    built.plan = Some(plan);
    let findings: Vec<Finding> = built.findings().cloned().collect();
    let Some(plan) = &built.plan else {
        return Ok(built);
    };
    let mut doc = manifest::install_manifest(
        &product.id,
        &built.inspection,
        &built.classes,
        plan,
        &findings,
        manifest::media_entries(&staged, &handled, product),
        req.timestamp.map(manifest::rfc3339),
    );
    built.media = staged;
    if plan_errors && !req.allow_findings {
        built.manifest = Some(doc);
        built.outcome = Outcome::Refused;
        return Ok(built);
    }
    if req.dry_run {
        built.manifest = Some(doc);
        built.outcome = Outcome::DryRun;
        return Ok(built);
    }
    assemble::place(&stage, &built.inspection.items, plan)?;
    assemble::place_media(&stage, plan, &built.media, &handled)?;
    // The documents (report, rollout, scripts) go in before the manifest lists them.
    let documents = crate::docs::write_build(
        stage.root(),
        &crate::docs::BuildDocs {
            catalog: product,
            manifest: &doc,
            items: &built.inspection.items,
            classes: &built.classes,
            plan,
            baseline: req.verify.baseline,
            farm: req.farm.as_ref(),
        },
    )
    .map_err(|source| Error::Write {
        path: stage.root().to_path_buf(),
        source,
    })?;
    doc.documents = documents;
    manifest::write(stage.root(), &doc).map_err(|source| Error::Write {
        path: stage.root().to_path_buf(),
        source,
    })?;
    stage.commit()?;
    if let Some(bundle) = &req.bundle {
        manifest::write_bundle(&req.output, bundle).map_err(|source| BuildError::Bundle {
            path: bundle.clone(),
            source,
        })?;
    }
    built.manifest = Some(doc);
    built.outcome = Outcome::Built;
    Ok(built)
}

/// Copies and identifies every medium into the stage (`.media/<n>/`).
fn stage_media(
    req: &BuildRequest,
    stage: &Stage,
    product: &Catalog,
    catalogs: &[Catalog],
    progress: &dyn Progress,
    interrupt: &AtomicBool,
) -> Result<Vec<Staged>, BuildError> {
    let mut staged = Vec::new();
    for (n, source) in req.media.iter().enumerate() {
        let dest = stage.media_dir().join(n.to_string());
        let scratch = stage.media_dir().join(format!("{n}.scratch"));
        std::fs::create_dir_all(&scratch).map_err(|source| Error::Write {
            path: scratch.clone(),
            source,
        })?;
        staged.push(media::stage(
            source,
            &dest,
            &scratch,
            req.limits,
            req.threads,
            product,
            catalogs,
            progress,
            interrupt,
        )?);
    }
    Ok(staged)
}

/// The media's architecture (setup's machine type) must be the updates' (their names).
fn check_media_arch(staged: &[Staged], inspection: &Inspection) -> Result<(), MediaError> {
    let updates: BTreeSet<Arch> = inspection
        .items
        .iter()
        .filter(|i| i.depth == 0)
        .filter_map(|i| i.named.arch)
        .filter(|a| *a != Arch::X86X64)
        .collect();
    for m in staged {
        if let Some(arch) = m.identity.arch
            && let Some(other) = updates.iter().find(|u| **u != arch)
        {
            return Err(MediaError::Arch {
                path: m.source.path.clone(),
                media: arch,
                updates: *other,
            });
        }
    }
    Ok(())
}

/// Walks the patches in each medium's `Updates` folder like downloads (identified, classified,
/// verified, their signatures checked), named by the medium they are on.
fn walk_media_updates(
    staged: &[Staged],
    walk: &WalkOptions<'_>,
    inspection: &mut Inspection,
    progress: &dyn Progress,
    interrupt: &AtomicBool,
) {
    for m in staged {
        let patches: Vec<&media::MediaFile> = m
            .files
            .iter()
            .filter(|f| f.in_updates() && is_compound_file(&f.stored))
            .collect();
        if patches.is_empty() {
            continue;
        }
        let paths: Vec<PathBuf> = patches.iter().map(|f| f.stored.clone()).collect();
        let mut found = inspect::walk_with(&paths, walk, progress, interrupt);
        inspection.interrupted |= found.interrupted;
        // Each walk's items start with its input; its origin becomes `<media> › Updates/x.msp`.
        let mut current = None;
        for item in &mut found.items {
            if item.depth == 0 {
                current = patches
                    .iter()
                    .find(|f| item.stored.as_deref() == Some(f.stored.as_path()));
            }
            if let Some(f) = current {
                item.origin = item.origin.rebased(&m.source.origin(&f.path));
            }
            item.from_media = true;
        }
        inspection.items.append(&mut found.items);
        for (path, e) in found.failed {
            let shown = patches
                .iter()
                .find(|f| f.stored == path)
                .map_or(path, |f| m.source.path.join(&f.path));
            inspection.failed.push((shown, e));
        }
    }
}

fn is_compound_file(path: &std::path::Path) -> bool {
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && crate::formats::sniff(&head) == crate::formats::Format::CompoundFile
}

/// What the media bring: the product media's setup build and the service packs in any
/// medium's `Updates`.
fn media_levels(staged: &[Staged], inspection: &Inspection, classes: &[Class<'_>]) -> Vec<Build> {
    let mut levels: Vec<Build> = staged
        .iter()
        .filter(|m| m.source.kind == MediaKind::Product)
        .filter_map(|m| m.identity.build)
        .collect();
    levels.extend(
        inspection
            .items
            .iter()
            .zip(classes)
            .filter(|(i, c)| i.from_media && i.depth == 0 && c.service_pack)
            .filter_map(|(_, c)| c.build),
    );
    levels
}
