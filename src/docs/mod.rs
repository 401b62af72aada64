//! docs: the documents `build` writes beside the sources, into the staging root before the
//! install manifest and `SHA256SUMS` (which list them): `report.html` always (the change
//! request, [`html`]); with a farm file `rollout.json`, `RUNBOOK.md` ([`runbook`]),
//! `verify.ps1` and `scripts/<server>.ps1` ([`ps1`]). Deterministic: the same inputs and build
//! time (the manifest's `created`, which `--timestamp` pins) give the same bytes.

pub mod html;
pub mod ps1;
pub mod runbook;

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

use sha2::Digest as _;

use crate::authenticode::{Status, Verdict};
use crate::catalog::model::Catalog;
use crate::classify::Class;
use crate::identify::inspect::Item;
use crate::model::manifest::{DocumentEntry, InstallManifest};
use crate::model::{Build, Sha256};
use crate::plan::Plan;
use crate::rollout::{ROLLOUT_JSON, Rollout};

/// The report's file name at OUT's root.
pub const REPORT_HTML: &str = "report.html";
/// The runbook's file name.
pub const RUNBOOK_MD: &str = "RUNBOOK.md";
/// The Windows-side checksum script's file name.
pub const VERIFY_PS1: &str = "verify.ps1";

/// A build's baseline: what must be installed before the updates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// The input (download) that needs it.
    pub input: String,
    /// The catalog release the input is.
    pub release: String,
    pub build: Build,
}

/// What the documents say, gathered from the stages before.
#[derive(Debug)]
pub struct Facts<'a> {
    pub catalog: &'a Catalog,
    pub manifest: &'a InstallManifest,
    /// The signature verdict of each input, parallel to `manifest.inputs`.
    pub input_signatures: Vec<Option<&'a Verdict>>,
    /// The signature status of each placed file, by its path in OUT.
    pub file_signatures: BTreeMap<String, Status>,
    /// `--baseline`: a build declared installed.
    pub baseline: Option<Build>,
    /// The builds the catalog says the inputs need installed first.
    pub requires: Vec<Requirement>,
    pub rollout: Option<&'a Rollout>,
}

/// Gathers the facts of a build.
pub fn facts<'a>(
    catalog: &'a Catalog,
    manifest: &'a InstallManifest,
    items: &'a [Item],
    classes: &[Class<'_>],
    plan: &Plan,
    baseline: Option<Build>,
    rollout: Option<&'a Rollout>,
) -> Facts<'a> {
    // The downloads, as the manifest lists them (the media's own `Updates` patches are not
    // inputs).
    let inputs: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].depth == 0 && !items[i].from_media)
        .collect();
    let input_signatures = inputs
        .iter()
        .map(|&i| items[i].signature.as_ref())
        .collect();
    let file_signatures = plan
        .roles
        .iter()
        .flat_map(|r| r.placed.iter())
        .filter_map(|p| {
            items[p.item]
                .signature
                .as_ref()
                .map(|v| (p.file.clone(), v.status))
        })
        .collect();
    let mut requires: Vec<Requirement> = inputs
        .iter()
        .zip(&manifest.inputs)
        .filter_map(|(&i, input)| {
            let known = classes.get(i)?.release.as_ref()?;
            Some(Requirement {
                input: input.path.clone(),
                release: known.release.name.clone(),
                build: known.release.requires_build?,
            })
        })
        .collect();
    requires.sort_by(|a, b| (&a.input, a.build).cmp(&(&b.input, b.build)));
    Facts {
        catalog,
        manifest,
        input_signatures,
        file_signatures,
        baseline,
        requires,
        rollout,
    }
}

fn entry(file: &str, bytes: &[u8]) -> DocumentEntry {
    DocumentEntry {
        file: file.to_owned(),
        sha256: Sha256(sha2::Sha256::digest(bytes).into()),
        size: bytes.len() as u64,
    }
}

/// A UTF-8 byte order mark: Windows PowerShell reads a script without one in the ANSI code
/// page, which would garble non-ASCII file names.
const BOM: &str = "\u{FEFF}";

/// Writes every document into `root` and returns their entries for the install manifest,
/// sorted by file.
pub fn write(root: &Path, facts: &Facts<'_>) -> io::Result<Vec<DocumentEntry>> {
    let mut docs: Vec<(String, Vec<u8>)> =
        vec![(REPORT_HTML.to_owned(), html::report(facts).into_bytes())];
    if let Some(r) = facts.rollout {
        let version = &facts.manifest.tool.version;
        docs.push((ROLLOUT_JSON.to_owned(), r.to_bytes()));
        docs.push((
            RUNBOOK_MD.to_owned(),
            runbook::runbook(r, facts.catalog).into_bytes(),
        ));
        docs.push((
            VERIFY_PS1.to_owned(),
            format!("{BOM}{}", ps1::verify_script(version, &r.powershell)).into_bytes(),
        ));
        for server in &r.farm.servers {
            docs.push((
                server.script.clone(),
                format!("{BOM}{}", ps1::server_script(r, &server.name, version)).into_bytes(),
            ));
        }
    }
    let mut out = Vec::with_capacity(docs.len());
    for (file, bytes) in &docs {
        let path = root.join(file);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        // Never over a placed file (a role folder that a catalog named like a document).
        io::Write::write_all(
            &mut fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?,
            bytes,
        )?;
        out.push(entry(file, bytes));
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(out)
}

/// What a build hands to [`write_build`].
#[derive(Debug)]
pub struct BuildDocs<'a> {
    pub catalog: &'a Catalog,
    pub manifest: &'a InstallManifest,
    pub items: &'a [Item],
    pub classes: &'a [Class<'a>],
    pub plan: &'a Plan,
    /// `--baseline`.
    pub baseline: Option<Build>,
    /// `--farm`, checked.
    pub farm: Option<&'a crate::farm::Farm>,
}

/// The documents of a build: the rollout (with a farm file) planned from the install
/// manifest, then everything written into `root` (the staging folder).
pub fn write_build(root: &Path, b: &BuildDocs<'_>) -> io::Result<Vec<DocumentEntry>> {
    let rollout = match b.farm {
        Some(farm) => {
            let order = crate::farm::order::order(farm, b.catalog)
                .map_err(|e| io::Error::other(e.to_string()))?;
            Some(crate::rollout::plan(b.catalog, farm, &order, b.manifest))
        }
        None => None,
    };
    let facts = facts(
        b.catalog,
        b.manifest,
        b.items,
        b.classes,
        b.plan,
        b.baseline,
        rollout.as_ref(),
    );
    write(root, &facts)
}
