//! What `inspect` tells people (a tree-indented table on stdout, findings on stderr) and
//! programs (`--json`).

use super::json::{
    InspectDoc, ItemJson, MetadataJson, MsiJson, NamesDoc, PatchJson, PeJson, SCHEMA_VERSION,
};
use super::{Printer, table};
use crate::classify::Class;
use crate::findings::{Finding, Severity};
use crate::identify::inspect::{Inspection, Item};
use crate::model::manifest::FindingEntry;
use crate::names::NameFacts;

/// A finding as JSON (the install manifest's form).
pub fn finding_json(f: &Finding) -> FindingEntry {
    FindingEntry::from(f)
}

/// One item as JSON: what its name says, then what its bytes say.
pub fn item_json<'a>(item: &'a Item, class: &Class<'_>) -> ItemJson<'a> {
    let pe = item.pe.as_ref().map(|pe| {
        let v = pe.version.as_ref();
        PeJson {
            machine: pe.machine,
            file_version: v.and_then(|v| v.file_version.as_deref()),
            product_version: v.and_then(|v| v.product_version.as_deref()),
            product_name: v.and_then(|v| v.product_name.as_deref()),
            original_filename: v.and_then(|v| v.original_filename.as_deref()),
            version: v,
            signed: pe.signature.is_some(),
        }
    });
    let msi = item.package.as_ref().map(|pkg| {
        let prop = |k: &str| pkg.properties.get(k).map(String::as_str);
        MsiJson {
            kind: pkg.kind,
            product_code: prop("ProductCode"),
            product_version: prop("ProductVersion"),
            product_language: prop("ProductLanguage"),
            manufacturer: prop("Manufacturer"),
            product_name: prop("ProductName"),
            summary: &pkg.summary,
        }
    });
    let patch = item
        .package
        .as_ref()
        .and_then(|pkg| pkg.patch.as_ref())
        .map(|patch| PatchJson {
            patch_code: patch.patch_code.as_deref(),
            supersedes: &patch.supersedes,
            targets: &patch.targets,
            families: &patch.families,
            metadata: patch
                .metadata
                .iter()
                .map(|(company, property, value)| MetadataJson {
                    company: company.as_deref(),
                    property,
                    value,
                })
                .collect(),
            kb: patch.kb,
            build: patch.build,
        });
    ItemJson {
        named: &item.named,
        origin: item.origin.labels(),
        depth: item.depth,
        size: item.size,
        sha256: item.sha256,
        content_sha1: item.sha1,
        format: item.format,
        build: class.build,
        pe,
        msi,
        patch,
        signature: item.signature.as_ref(),
        findings: item.findings.iter().map(finding_json).collect(),
        checks: None,
    }
}

/// The `--json` document of `inspect PATH…`.
pub fn inspection_json<'a>(insp: &'a Inspection, classes: &[Class<'_>]) -> InspectDoc<'a> {
    InspectDoc {
        schema_version: SCHEMA_VERSION,
        command: "inspect",
        ok: insp.failed.is_empty() && !insp.findings().any(|f| f.severity() == Severity::Error),
        items: insp
            .items
            .iter()
            .zip(classes)
            .map(|(i, c)| item_json(i, c))
            .collect(),
        findings: insp.findings().map(finding_json).collect(),
        errors: insp
            .failed
            .iter()
            .map(|(p, e)| super::input_error_json(p, e))
            .collect(),
    }
}

/// The `--json` document of `inspect --names`.
pub fn names_document(facts: &[NameFacts]) -> NamesDoc<'_> {
    NamesDoc {
        schema_version: SCHEMA_VERSION,
        command: "inspect",
        ok: true,
        items: facts,
    }
}

/// The SIG column: the Authenticode verdict, `-` where a format carries no signature.
pub fn sig_cell(item: &Item) -> String {
    item.signature
        .as_ref()
        .map_or_else(|| "-".to_owned(), |v| v.status.to_string())
}

fn cell(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".to_owned())
}

fn name_cells(f: &NameFacts) -> Vec<String> {
    vec![
        serde_json::to_value(f.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        cell(f.kb.map(|k| k.0.to_string())),
        cell(f.arch.map(|a| a.to_string())),
        f.scope.to_string(),
        cell(f.language.as_ref().map(ToString::to_string)),
        cell(f.family.clone()),
        cell(f.release.clone()),
    ]
}

/// Prints the result of `inspect --names`.
pub fn print_names(p: &Printer, facts: &[NameFacts]) {
    if p.json_mode() {
        p.json(&names_document(facts));
        return;
    }
    let rows: Vec<Vec<String>> = facts
        .iter()
        .map(|f| {
            let mut r = vec![f.name.clone()];
            r.extend(name_cells(f));
            r
        })
        .collect();
    table(
        p,
        &[
            "NAME", "KIND", "KB", "ARCH", "SCOPE", "LANG", "FAMILY", "RELEASE",
        ],
        &rows,
    );
    for f in facts {
        for reason in &f.reasons {
            p.detail(format_args!("{}: {reason}", f.name));
        }
    }
}

/// Prints the result of `inspect PATH…`.
pub fn print_inspection(p: &Printer, insp: &Inspection, classes: &[Class<'_>]) {
    for (path, e) in &insp.failed {
        p.error(super::report::input_error_line(path, e));
    }
    if p.json_mode() {
        p.json(&inspection_json(insp, classes));
    } else {
        let rows: Vec<Vec<String>> = insp
            .items
            .iter()
            .zip(classes)
            .map(|(item, class)| {
                let indent = if item.depth == 0 {
                    String::new()
                } else {
                    format!("{}└ ", "  ".repeat(item.depth - 1))
                };
                let mut r = vec![format!("{indent}{}", item.name)];
                let named = name_cells(&item.named);
                r.extend(named[..1].iter().cloned());
                r.push(cell(class.kb.map(|k| k.0.to_string())));
                r.push(cell(class.build.map(|b| b.to_string())));
                r.extend(named[2..6].iter().cloned());
                r.push(sig_cell(item));
                r
            })
            .collect();
        table(
            p,
            &[
                "NAME", "KIND", "KB", "BUILD", "ARCH", "SCOPE", "LANG", "FAMILY", "SIG",
            ],
            &rows,
        );
    }
    let findings: Vec<&Finding> = insp.findings().collect();
    super::print_findings(p, &findings, false);
}
