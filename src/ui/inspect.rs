//! What `inspect` tells people (a tree-indented table on stdout, findings on stderr) and
//! programs (`--json`).

use serde_json::{Map, Value, json};

use super::{Printer, table};
use crate::classify::Class;
use crate::findings::Finding;
use crate::identify::inspect::{Inspection, Item};
use crate::model::manifest::FindingEntry;
use crate::names::NameFacts;

/// A finding as JSON (the install manifest's form).
pub fn finding_json(f: &Finding) -> Value {
    serde_json::to_value(FindingEntry::from(f)).unwrap_or(Value::Null)
}

fn names_json(facts: &NameFacts) -> Map<String, Value> {
    match serde_json::to_value(facts) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

pub fn item_json(item: &Item, class: &Class<'_>) -> Value {
    let mut m = names_json(&item.named);
    m.insert("origin".into(), json!(item.origin.labels()));
    m.insert("depth".into(), json!(item.depth));
    m.insert("size".into(), json!(item.size));
    m.insert("sha256".into(), json!(item.sha256));
    // `sha1` is the name's (Microsoft Update catalog names carry one); this is the content's.
    m.insert("content_sha1".into(), json!(item.sha1));
    m.insert("format".into(), json!(item.format));
    m.insert("build".into(), json!(class.build));
    m.insert(
        "pe".into(),
        match &item.pe {
            Some(pe) => json!({
                "machine": pe.machine,
                "file_version": pe.version.as_ref().and_then(|v| v.file_version.clone()),
                "product_version": pe.version.as_ref().and_then(|v| v.product_version.clone()),
                "product_name": pe.version.as_ref().and_then(|v| v.product_name.clone()),
                "original_filename": pe.version.as_ref().and_then(|v| v.original_filename.clone()),
                "version": pe.version,
                "signed": pe.signature.is_some(),
            }),
            None => Value::Null,
        },
    );
    let (msi, patch) = match &item.package {
        Some(pkg) => {
            let prop = |k: &str| pkg.properties.get(k).cloned();
            let msi = json!({
                "kind": pkg.kind,
                "product_code": prop("ProductCode"),
                "product_version": prop("ProductVersion"),
                "product_language": prop("ProductLanguage"),
                "manufacturer": prop("Manufacturer"),
                "product_name": prop("ProductName"),
                "summary": pkg.summary,
            });
            let patch = match &pkg.patch {
                Some(patch) => {
                    let mut v = json!(patch);
                    v["metadata"] = patch
                        .metadata
                        .iter()
                        .map(|(company, property, value)| {
                            json!({"company": company, "property": property, "value": value})
                        })
                        .collect();
                    v
                }
                None => Value::Null,
            };
            (msi, patch)
        }
        None => (Value::Null, Value::Null),
    };
    m.insert("msi".into(), msi);
    m.insert("patch".into(), patch);
    m.insert("signature".into(), json!(item.signature));
    m.insert(
        "findings".into(),
        Value::Array(item.findings.iter().map(finding_json).collect()),
    );
    Value::Object(m)
}

/// The `--json` document of `inspect PATH…`.
pub fn inspection_json(insp: &Inspection, classes: &[Class<'_>]) -> Value {
    json!({
        "items": insp.items.iter().zip(classes).map(|(i, c)| item_json(i, c)).collect::<Vec<_>>(),
        "findings": insp.findings().map(finding_json).collect::<Vec<_>>(),
        "errors": insp.failed.iter().map(|(p, e)| json!({
            "path": p.display().to_string(),
            "error": super::error_json(e),
        })).collect::<Vec<_>>(),
    })
}

/// The `--json` document of `inspect --names`.
pub fn names_document(facts: &[NameFacts]) -> Value {
    json!({ "items": facts.iter().map(|f| Value::Object(names_json(f))).collect::<Vec<_>>() })
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
