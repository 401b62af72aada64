//! What `slipway catalog list|show|check` tells people (tables and problem lines on stdout,
//! summaries on stderr) and programs (`--json`).

use std::path::Path;

use super::json::{CatalogCheckDoc, CatalogListDoc, CatalogSummaryJson, SCHEMA_VERSION};
use super::{Printer, table};
use crate::catalog::{Catalog, Catalogs, Problem, Source};

fn source_label(source: &Source) -> String {
    match source {
        Source::Builtin(_) => "built-in".to_owned(),
        Source::File(p) => p.display().to_string(),
        Source::Memory => "in memory".to_owned(),
    }
}

fn dash(v: Option<String>) -> String {
    v.filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".to_owned())
}

/// A release kind as its JSON name (`cumulative-update`).
fn kind_name(kind: crate::catalog::model::ReleaseKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The `--json` document of `catalog list`.
pub fn list_json(catalogs: &Catalogs) -> CatalogListDoc<'_> {
    CatalogListDoc {
        schema_version: SCHEMA_VERSION,
        command: "catalog list",
        ok: true,
        catalogs: catalogs
            .with_sources()
            .map(|(source, c)| CatalogSummaryJson {
                id: &c.id,
                title: &c.title,
                source: source_label(source),
                components: c.components.iter().map(|x| x.id.as_str()).collect(),
                roles: c.roles.iter().map(|x| x.id.as_str()).collect(),
                releases: c.releases.len(),
                newest_build: c.newest_build().map(|b| b.to_string()),
                latest_release: c.latest_release().map(|r| r.id.as_str()),
            })
            .collect(),
    }
}

/// Prints `catalog list`.
pub fn print_list(p: &Printer, catalogs: &Catalogs) {
    if p.json_mode() {
        p.json(&list_json(catalogs));
        return;
    }
    let rows: Vec<Vec<String>> = catalogs
        .with_sources()
        .map(|(source, c)| {
            vec![
                c.id.clone(),
                c.releases.len().to_string(),
                dash(c.latest_release().map(|r| r.name.clone())),
                dash(c.newest_build().map(|b| b.to_string())),
                source_label(source),
                c.title.clone(),
            ]
        })
        .collect();
    table(
        p,
        &["ID", "RELEASES", "LATEST", "NEWEST", "SOURCE", "TITLE"],
        &rows,
    );
}

/// Prints `catalog show PRODUCT`: a few lines about the product, then its releases.
pub fn print_show(p: &Printer, catalog: &Catalog, source: Option<&Source>) {
    if p.json_mode() {
        // The catalog itself, in its own format (`manifests/catalog.schema.json`).
        p.json(catalog);
        return;
    }
    p.data_line(format_args!("{} — {}", catalog.id, catalog.title));
    if let Some(s) = source {
        p.data_line(format_args!("source: {}", source_label(s)));
    }
    if !catalog.architectures.is_empty() {
        p.data_line(format_args!(
            "architectures: {}",
            catalog
                .architectures
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let components: Vec<String> = catalog
        .components
        .iter()
        .map(|c| {
            if c.families.is_empty() {
                c.id.clone()
            } else {
                format!("{} ({})", c.id, c.families.join(" "))
            }
        })
        .collect();
    p.data_line(format_args!("components: {}", components.join("; ")));
    if !catalog.roles.is_empty() {
        let mut roles: Vec<_> = catalog.roles.iter().collect();
        roles.sort_by_key(|r| r.rollout_rank);
        let roles: Vec<String> = roles
            .iter()
            .map(|r| format!("{}. {}", r.rollout_rank, r.id))
            .collect();
        p.data_line(format_args!("roles: {}", roles.join(", ")));
    }
    if !catalog.recommended_sequence.is_empty() {
        p.data_line(format_args!(
            "recommended sequence: {}",
            catalog.recommended_sequence.join(" → ")
        ));
    }
    p.data_line("");
    let rows: Vec<Vec<String>> = catalog
        .releases
        .iter()
        .map(|r| {
            let files: Vec<&str> = r.files.iter().map(|f| f.name.as_str()).collect();
            vec![
                dash(r.date.map(|d| d.to_string())),
                kind_name(r.kind),
                r.name.clone(),
                dash(r.component.clone()),
                r.kb.map(|k| k.0.to_string()).unwrap_or_default(),
                r.build.map(|b| b.to_string()).unwrap_or_default(),
                dash(Some(files.join(", "))),
            ]
        })
        .collect();
    table(
        p,
        &["DATE", "KIND", "NAME", "COMPONENT", "KB", "BUILD", "FILES"],
        &rows,
    );
    for q in &catalog.quirks {
        p.detail(format_args!("quirk {}: {}", q.id, q.description));
    }
    for s in &catalog.steps {
        p.detail(format_args!("step {}: {}", s.id, s.text));
    }
}

/// The `--json` document of `catalog check FILE`.
pub fn check_json<'a>(file: &Path, problems: &'a [Problem]) -> CatalogCheckDoc<'a> {
    CatalogCheckDoc {
        schema_version: SCHEMA_VERSION,
        command: "catalog check",
        file: file.display().to_string(),
        ok: !crate::catalog::has_errors(problems),
        problems,
    }
}

/// Prints the problems `catalog check` found: one line each on stdout, a summary on stderr.
pub fn print_check(p: &Printer, file: &Path, problems: &[Problem]) {
    if p.json_mode() {
        p.json(&check_json(file, problems));
        return;
    }
    for problem in problems {
        p.data_line(problem);
    }
    let errors = problems.iter().filter(|x| x.is_error()).count();
    let warnings = problems.len() - errors;
    if problems.is_empty() {
        p.info(format_args!("{}: ok, no problems", file.display()));
    } else {
        p.info(format_args!(
            "{}: {errors} error(s), {warnings} warning(s)",
            file.display()
        ));
    }
}
