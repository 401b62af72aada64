//! The one orchestrator: for each command, the stages in pipeline order — scan (done by
//! [`crate::config`]) → extract and identify (one walk) → classify → verify → plan → assemble →
//! manifest — with nothing printed: [`crate::app`] hands the results to `ui`.

use std::sync::atomic::AtomicBool;

use crate::assemble::{self, Stage};
use crate::catalog::model::Catalog;
use crate::classify::{self, Class};
use crate::config::{BuildRequest, InspectRequest, VerifyRequest};
use crate::extract::{Error, Progress};
use crate::findings::{Finding, Severity};
use crate::identify::inspect::{self, Inspection, WalkOptions};
use crate::manifest;
use crate::model::manifest::InstallManifest;
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
    let walk = WalkOptions {
        limits: req.limits,
        pool: Some(stage.pool()),
        trust: &req.trust,
        threads: req.threads,
    };
    let inspection = inspect::walk_with(&req.inputs, &walk, progress, interrupt);
    if inspection.interrupted {
        return Err(Error::Interrupted.into());
    }
    let classes = classify::classify(&inspection.items, catalogs, Some(product));
    let verification = verify::verify(&inspection, &classes, &req.verify);
    let mut built = Built {
        inspection,
        classes,
        verification,
        plan: None,
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
    let plan = plan::plan(&built.inspection.items, &built.classes, product, &req.plan)?;
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
        req.timestamp.map(manifest::rfc3339),
    );
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
