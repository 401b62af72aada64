//! What `build` tells people (the plan per role, what was left out, findings, a summary) and
//! programs (`--json`: the install manifest and the outcome).

use super::Printer;
use super::inspect::finding_json;
use super::json::{BuildDoc, SCHEMA_VERSION};
use super::table;
use crate::config::BuildRequest;
use crate::findings::{Finding, Severity};
use crate::manifest;
use crate::pipeline::{Built, Outcome};

fn all_findings<'a>(b: &'a Built<'_>) -> Vec<&'a Finding> {
    b.findings().collect()
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Built => "built",
        Outcome::DryRun => "dry-run",
        Outcome::Refused => "refused",
        Outcome::InputsFailed => "inputs-failed",
    }
}

/// The `--json` document of `build`.
pub fn build_json<'a>(req: &BuildRequest, b: &'a Built<'_>) -> BuildDoc<'a> {
    BuildDoc {
        schema_version: SCHEMA_VERSION,
        command: "build",
        ok: matches!(b.outcome, Outcome::Built | Outcome::DryRun),
        outcome: outcome_name(&b.outcome),
        output: req.output.display().to_string(),
        bundle: req.bundle.as_ref().map(|p| p.display().to_string()),
        manifest: b.manifest.as_ref(),
        findings: all_findings(b).into_iter().map(finding_json).collect(),
        errors: b
            .inspection
            .failed
            .iter()
            .map(|(p, e)| super::input_error_json(p, e))
            .collect(),
    }
}

/// Prints a build's result.
pub fn print_build(p: &Printer, req: &BuildRequest, b: &Built<'_>) {
    let (product, out, bundle) = (&req.product, &req.output, req.bundle.as_deref());
    for (path, e) in &b.inspection.failed {
        p.error(super::report::input_error_line(path, e));
    }
    let findings = all_findings(b);
    if p.json_mode() {
        p.json(&build_json(req, b));
    } else if let Some(plan) = &b.plan {
        let items = &b.inspection.items;
        let mut rows = Vec::new();
        for role in &plan.roles {
            for placed in &role.placed {
                rows.push(vec![
                    format!("{} ({})", role.role.id, role.role.rollout_rank),
                    placed
                        .order
                        .map_or_else(|| "-".to_owned(), |o| o.to_string()),
                    placed.file.clone(),
                    placed.family.clone().unwrap_or_else(|| "-".to_owned()),
                    placed
                        .build
                        .map_or_else(|| "-".to_owned(), |b| b.to_string()),
                    placed
                        .language
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), ToString::to_string),
                ]);
            }
        }
        table(
            p,
            &["ROLE (ROLLOUT)", "ORDER", "FILE", "FAMILY", "BUILD", "LANG"],
            &rows,
        );
        for (n, m) in b.media.iter().enumerate() {
            let id = &m.identity;
            // The files merged into every role: the media's own, less the Updates patches
            // the plan took over.
            let merged = b
                .manifest
                .as_ref()
                .and_then(|doc| doc.media.get(n))
                .map_or(m.files.len(), |e| e.files.len());
            p.info(format_args!(
                "media: {} ({}{}, build {}, {}, {}): {} file{} in every role{}",
                m.source.label(),
                id.edition.as_deref().unwrap_or("edition not recognised"),
                match &m.source.kind {
                    crate::media::MediaKind::Product => String::new(),
                    crate::media::MediaKind::LanguagePack(c) => format!(" language pack {c}"),
                },
                id.build.map_or_else(|| "?".to_owned(), |b| b.to_string()),
                id.arch
                    .map_or_else(|| "arch ?".to_owned(), |a| a.to_string()),
                id.language
                    .as_ref()
                    .map_or_else(|| "language neutral".to_owned(), ToString::to_string),
                merged,
                if merged == 1 { "" } else { "s" },
                if m.source.folder().is_empty() {
                    String::new()
                } else {
                    format!(" (under {})", m.source.folder())
                }
            ));
        }
        for s in &plan.superseded {
            p.info(format_args!(
                "superseded: {} (family {}, build {}) by {}",
                items[s.item].origin,
                s.family,
                s.build.map_or_else(|| "?".to_owned(), |b| b.to_string()),
                items[s.by].name
            ));
        }
        for role in &plan.roles {
            for (n, step) in role.steps.iter().enumerate() {
                p.detail(format_args!("{} step {}: {step}", role.role.id, n + 1));
            }
        }
    }
    super::print_findings(p, &findings, req.verify.strict);
    let errors = findings
        .iter()
        .filter(|f| f.severity() == Severity::Error)
        .count();
    match b.outcome {
        Outcome::Built => {
            let files: usize = b
                .plan
                .as_ref()
                .map_or(0, |plan| plan.roles.iter().map(|r| r.placed.len()).sum());
            p.info(format_args!(
                "built {product} into {}: {} role{}, {files} placed file{}, {} and {}{}",
                out.display(),
                b.plan.as_ref().map_or(0, |plan| plan.roles.len()),
                if b.plan.as_ref().map_or(0, |plan| plan.roles.len()) == 1 {
                    ""
                } else {
                    "s"
                },
                if files == 1 { "" } else { "s" },
                manifest::MANIFEST,
                manifest::SUMS,
                bundle.map_or_else(String::new, |b| format!("; bundle {}", b.display()))
            ));
            if let Some(m) = &b.manifest
                && !m.documents.is_empty()
            {
                let scripts = m
                    .documents
                    .iter()
                    .filter(|d| d.file.starts_with("scripts/"))
                    .count();
                let mut names: Vec<&str> = m
                    .documents
                    .iter()
                    .filter(|d| !d.file.starts_with("scripts/"))
                    .map(|d| d.file.as_str())
                    .collect();
                let scripts_note = format!("{scripts} server script(s) in scripts/");
                if scripts > 0 {
                    names.push(&scripts_note);
                }
                p.info(format_args!("documents: {}", names.join(", ")));
            }
        }
        Outcome::DryRun => p.info("dry run: nothing was written"),
        Outcome::Refused => p.error(format_args!(
            "verification failed ({errors} error{}{}); nothing was written (--allow-findings builds anyway)",
            if errors == 1 { "" } else { "s" },
            if errors == 0 {
                "; with --strict, warnings count as errors"
            } else {
                ""
            }
        )),
        Outcome::InputsFailed => p.error(format_args!(
            "{} input{} could not be read; nothing was written",
            b.inspection.failed.len(),
            if b.inspection.failed.len() == 1 { "" } else { "s" }
        )),
    }
}
