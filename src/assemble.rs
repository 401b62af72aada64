//! assemble: the `build` command's I/O — walk the downloads into a pool inside the staging
//! folder, verify, plan, place each role's files (hard links between roles), write the
//! install manifest and SHA256SUMS, rename into place, and pack the bundle.
//!
//! Nothing is written outside OUT (and the bundle file); a failed or interrupted build leaves
//! OUT absent or empty; error findings stop the build before anything is placed unless
//! `--allow-findings`.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::catalog::model::Catalog;
use crate::extract::Error;
use crate::extract::limits::Limits;
use crate::extract::staging::Staging;
use crate::findings::Finding;
use crate::identify::inspect::{Inspection, walk_with};
use crate::manifest::{self, MANIFEST, SUMS};
use crate::model::Sha256;
use crate::plan::{self, Plan, PlanError, Request};
use crate::verify::{self, Verification};

/// What `build` was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    pub out: PathBuf,
    pub request: Request,
    pub verify: verify::Options,
    pub limits: Limits,
    pub bundle: Option<PathBuf>,
    pub dry_run: bool,
    pub force: bool,
    pub allow_findings: bool,
    /// Seconds since 1970 to record as `created` (`--timestamp`); `None` keeps the output
    /// byte-identical across runs.
    pub timestamp: Option<u64>,
    /// Anchors for Authenticode chains (`--trust`).
    pub trust: crate::authenticode::TrustStore,
    /// Absent or untrusted signatures are errors (`--require-signature`).
    pub require_signature: bool,
}

/// How a build ended.
#[derive(Debug)]
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
pub struct Build {
    pub inspection: Inspection,
    pub verification: Verification,
    pub plan: Option<Plan>,
    /// Findings of the plan (quirks applied, languages left out, …).
    pub plan_findings: Vec<Finding>,
    pub outcome: Outcome,
}

/// Why a build could not run.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Run(#[from] Error),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error("cannot write the bundle {}: {source}", path.display())]
    Bundle {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn write_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs a build.
pub fn build(
    inputs: &[PathBuf],
    catalog: &Catalog,
    catalogs: &[Catalog],
    opts: &Options,
    progress: &dyn crate::extract::Progress,
    interrupt: &AtomicBool,
) -> Result<Build, BuildError> {
    plan::check_roles(catalog, &opts.request)?;
    let mut outside: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    if let Some(bundle) = &opts.bundle {
        outside.push(bundle);
        if bundle.exists() && !opts.force && !opts.dry_run {
            return Err(Error::BundleExists(bundle.clone()).into());
        }
    }
    crate::extract::staging::ensure_outside(&opts.out, &outside)?;
    // The pool lives inside the staging folder (inside OUT); a dry run pools into a
    // temporary folder instead, as it writes nothing to OUT.
    let (staging, scratch) = if opts.dry_run {
        let t = tempfile::tempdir().map_err(|source| Error::Write {
            path: std::env::temp_dir(),
            source,
        })?;
        (None, Some(t))
    } else {
        (Some(Staging::prepare(&opts.out, opts.force)?), None)
    };
    let root = staging
        .as_ref()
        .map(|s| s.path().to_path_buf())
        .or_else(|| scratch.as_ref().map(|t| t.path().to_path_buf()))
        .unwrap_or_default();
    let pool = root.join(".pool");
    fs::create_dir(&pool).map_err(write_err(&pool))?;

    let inspection = walk_with(
        inputs,
        &opts.limits,
        Some(&pool),
        &opts.trust,
        progress,
        interrupt,
    );
    if inspection.interrupted {
        return Err(Error::Interrupted.into());
    }
    let mut verification = verify::verify(&inspection, catalogs, &opts.verify);
    // Signatures too: an invalid one always stops the build.
    verification.findings.extend(verify::signature_findings(
        &inspection,
        opts.require_signature,
    ));
    if !inspection.failed.is_empty() {
        return Ok(Build {
            inspection,
            verification,
            plan: None,
            plan_findings: Vec::new(),
            outcome: Outcome::InputsFailed,
        });
    }
    if verification.failed(&inspection, opts.verify.strict) && !opts.allow_findings {
        return Ok(Build {
            inspection,
            verification,
            plan: None,
            plan_findings: Vec::new(),
            outcome: Outcome::Refused,
        });
    }
    let plan = plan::plan(&inspection.items, catalog, &opts.request)?;
    let plan_findings = manifest::plan_findings(&inspection, &plan);
    // A name the path checker refuses is an error like any other: nothing is written.
    if plan_findings
        .iter()
        .any(|f| f.severity() == crate::findings::Severity::Error)
        && !opts.allow_findings
    {
        return Ok(Build {
            inspection,
            verification,
            plan: Some(plan),
            plan_findings,
            outcome: Outcome::Refused,
        });
    }
    if opts.dry_run {
        return Ok(Build {
            inspection,
            verification,
            plan: Some(plan),
            plan_findings,
            outcome: Outcome::DryRun,
        });
    }

    // --- place every role's files -------------------------------------------------------------
    let items = &inspection.items;
    let mut first: BTreeMap<usize, PathBuf> = BTreeMap::new();
    let mut digests: BTreeMap<String, Sha256> = BTreeMap::new();
    for role in &plan.roles {
        for p in &role.placed {
            let dest = root.join(&p.file);
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent).map_err(write_err(parent))?;
            }
            // The plan gives every file a name of its own; never overwrite one.
            if dest.exists() {
                return Err(Error::Write {
                    path: dest,
                    source: io::Error::new(io::ErrorKind::AlreadyExists, "placed twice"),
                }
                .into());
            }
            match first.get(&p.item) {
                // The same bytes in another role: a hard link (a copy where links fail).
                Some(src) => {
                    if fs::hard_link(src, &dest).is_err() {
                        fs::copy(src, &dest).map_err(write_err(&dest))?;
                    }
                }
                None => {
                    let Some(src) = items[p.item].stored.as_ref() else {
                        continue;
                    };
                    // Pooled members move; inputs (the user's files) are copied, never linked.
                    if src.starts_with(&pool) {
                        fs::rename(src, &dest).map_err(write_err(&dest))?;
                    } else {
                        fs::copy(src, &dest).map_err(write_err(&dest))?;
                    }
                    first.insert(p.item, dest.clone());
                }
            }
            digests.insert(p.file.clone(), items[p.item].sha256);
        }
    }
    fs::remove_dir_all(&pool).map_err(write_err(&pool))?;

    // --- manifest and checksums ------------------------------------------------------------------
    let mut findings: Vec<Finding> = inspection
        .findings()
        .chain(verification.findings.iter())
        .cloned()
        .collect();
    findings.extend(plan_findings.iter().cloned());
    let created = opts.timestamp.map(manifest::rfc3339);
    let doc = manifest::manifest_json(
        &catalog.id,
        &inspection,
        &plan,
        &findings,
        created.as_deref(),
    );
    let bytes = manifest::manifest_bytes(&doc);
    let manifest_path = root.join(MANIFEST);
    fs::write(&manifest_path, &bytes).map_err(write_err(&manifest_path))?;
    {
        use sha2::Digest as _;
        digests.insert(
            MANIFEST.to_owned(),
            Sha256(sha2::Sha256::digest(&bytes).into()),
        );
    }
    let sums_path = root.join(SUMS);
    fs::write(&sums_path, manifest::sums_text(&digests)).map_err(write_err(&sums_path))?;

    if let Some(staging) = staging {
        // The manifest and SHA256SUMS last: a folder that has them is complete.
        staging.commit_with_last(&[MANIFEST, SUMS])?;
    }
    if let Some(bundle) = &opts.bundle {
        manifest::write_bundle(&opts.out, bundle).map_err(|source| BuildError::Bundle {
            path: bundle.clone(),
            source,
        })?;
    }
    Ok(Build {
        inspection,
        verification,
        plan: Some(plan),
        plan_findings,
        outcome: Outcome::Built,
    })
}
