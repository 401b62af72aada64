//! What `verify` tells people (a ✓/✗ table on stdout, findings on stderr, a summary) and
//! programs (`--json`).

use super::Printer;
use super::inspect::{finding_json, item_json};
use super::json::{OutputCheckJson, SCHEMA_VERSION, VerifyDoc};
use super::table;
use crate::classify::Class;
use crate::findings::{Finding, Severity};
use crate::identify::inspect::Inspection;
use crate::pipeline::Verified;
use crate::verify::output::OutputCheck;
use crate::verify::{Check, Verification};

fn mark(c: Check) -> &'static str {
    match c {
        Check::Pass => "✓",
        Check::Fail => "✗",
        Check::Unknown => "-",
    }
}

/// Every finding: the inspection's (on its items) and verify's own, in item order.
fn all_findings<'a>(insp: &'a Inspection, ver: &'a Verification) -> Vec<&'a Finding> {
    let mut all: Vec<&Finding> = insp.findings().chain(ver.findings.iter()).collect();
    let mut position: std::collections::HashMap<&crate::model::Origin, usize> =
        std::collections::HashMap::with_capacity(insp.items.len());
    for (i, item) in insp.items.iter().enumerate() {
        position.entry(&item.origin).or_insert(i);
    }
    all.sort_by_key(|f| position.get(&f.origin).copied().unwrap_or(usize::MAX));
    all
}

/// The `--json` document of `verify` (with the re-checked outputs given beside downloads).
pub fn verification_json<'a>(
    insp: &'a Inspection,
    classes: &[Class<'_>],
    ver: &'a Verification,
    strict: bool,
    outputs: &[OutputCheck],
) -> VerifyDoc<'a> {
    let items = insp
        .items
        .iter()
        .zip(classes)
        .zip(&ver.checks)
        .map(|((item, class), checks)| {
            let mut v = item_json(item, class);
            v.checks = Some(checks);
            v
        })
        .collect();
    VerifyDoc {
        schema_version: SCHEMA_VERSION,
        command: "verify",
        ok: !ver.failed(insp, strict)
            && insp.failed.is_empty()
            && outputs.iter().all(|c| c.findings.is_empty()),
        outputs: outputs.iter().map(output_check_json).collect(),
        items: Some(items),
        findings: Some(
            all_findings(insp, ver)
                .into_iter()
                .map(finding_json)
                .collect(),
        ),
        errors: Some(
            insp.failed
                .iter()
                .map(|(p, e)| super::input_error_json(p, e))
                .collect(),
        ),
    }
}

/// Prints the result of `verify`.
pub fn print_verification(
    p: &Printer,
    insp: &Inspection,
    classes: &[Class<'_>],
    ver: &Verification,
    strict: bool,
    outputs: &[OutputCheck],
) {
    for (path, e) in &insp.failed {
        p.error(super::report::input_error_line(path, e));
    }
    if p.json_mode() {
        p.json(&verification_json(insp, classes, ver, strict, outputs));
    } else {
        let rows: Vec<Vec<String>> = insp
            .items
            .iter()
            .zip(classes)
            .zip(&ver.checks)
            .map(|((item, class), c)| {
                let indent = if item.depth == 0 {
                    String::new()
                } else {
                    format!("{}└ ", "  ".repeat(item.depth - 1))
                };
                vec![
                    format!("{indent}{}", item.name),
                    item.named
                        .kb
                        .map_or_else(|| "-".to_owned(), |k| k.0.to_string()),
                    class
                        .build
                        .map_or_else(|| "-".to_owned(), |b| b.to_string()),
                    mark(c.hash).to_owned(),
                    mark(c.build).to_owned(),
                    mark(c.current).to_owned(),
                    super::inspect::sig_cell(item),
                    c.release.clone().unwrap_or_else(|| "-".to_owned()),
                ]
            })
            .collect();
        table(
            p,
            &[
                "NAME", "KB", "BUILD", "HASH", "BUILD", "CURRENT", "SIG", "RELEASE",
            ],
            &rows,
        );
    }
    let all = all_findings(insp, ver);
    super::print_findings(p, &all, strict);
    let errors = all
        .iter()
        .filter(|f| f.severity() == Severity::Error)
        .count();
    let warnings = all
        .iter()
        .filter(|f| f.severity() == Severity::Warning)
        .count();
    let inputs = insp.items.iter().filter(|i| i.depth == 0).count();
    let verdict = if ver.failed(insp, strict) || !insp.failed.is_empty() {
        "FAILED"
    } else {
        "ok"
    };
    p.info(format_args!(
        "verify {verdict}: {inputs} input{}, {} item{}, {errors} error{}, {warnings} warning{}{}",
        if inputs == 1 { "" } else { "s" },
        insp.items.len(),
        if insp.items.len() == 1 { "" } else { "s" },
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        if strict {
            " (--strict: warnings fail)"
        } else {
            ""
        }
    ));
}

/// One re-checked output as JSON.
pub fn output_check_json(check: &OutputCheck) -> OutputCheckJson {
    OutputCheckJson {
        path: check.path.display().to_string(),
        ok: check.findings.is_empty(),
        files: check.files,
        findings: check.findings.iter().map(finding_json).collect(),
    }
}

/// The `--json` document of `verify OUT…` / `verify FILE.zip…` (no downloads among them).
pub fn outputs_json(checks: &[OutputCheck]) -> VerifyDoc<'static> {
    VerifyDoc {
        schema_version: SCHEMA_VERSION,
        command: "verify",
        ok: checks.iter().all(|c| c.findings.is_empty()),
        outputs: checks.iter().map(output_check_json).collect(),
        items: None,
        findings: None,
        errors: None,
    }
}

/// Prints the re-check of a built folder or bundle.
pub fn print_output_check(p: &Printer, check: &OutputCheck) {
    let findings: Vec<&Finding> = check.findings.iter().collect();
    super::print_findings(p, &findings, false);
    p.info(format_args!(
        "verify {}: {} ({} files re-hashed against the install manifest, {} difference{})",
        if check.findings.is_empty() {
            "ok"
        } else {
            "FAILED"
        },
        check.path.display(),
        check.files,
        check.findings.len(),
        if check.findings.len() == 1 { "" } else { "s" }
    ));
}

/// Reports a whole `verify` run.
pub fn print_verified(p: &Printer, v: &Verified<'_>, strict: bool) {
    for check in &v.outputs {
        print_output_check(p, check);
    }
    match &v.downloads {
        None if p.json_mode() => p.json(&outputs_json(&v.outputs)),
        None => {}
        Some((insp, classes, ver)) => print_verification(p, insp, classes, ver, strict, &v.outputs),
    }
}
