//! The typed `--json` documents, one per command: what each prints on stdout, field for field.
//! Their JSON Schemas are published as `manifests/<command>.output.schema.json` (README: "JSON
//! output"); the integration tests validate every document they produce against them.
//!
//! Every document carries [`SCHEMA_VERSION`], `command` (as [`crate::cli::Cli::command_name`]
//! says it) and `ok`. A change that can break a reader (a field removed, renamed or retyped, a
//! value a field could not hold before) bumps the version; a new field does not.

use serde::Serialize;

use crate::authenticode::Verdict;
use crate::catalog::Problem;
use crate::error::Diagnostic;
use crate::formats::Format;
use crate::formats::msi::{PackageKind, PatchFamily, SummaryInfo};
use crate::formats::pe::VersionInfo;
use crate::model::manifest::{FindingEntry, InstallManifest};
use crate::model::{Arch, Build, Kb, Sha1, Sha256};
use crate::names::NameFacts;
use crate::verify::Checks;

/// The version of the `--json` contract, the same in every command's document.
pub const SCHEMA_VERSION: u32 = 1;

/// An error as JSON: its code, its one-line message (every cause said once) and the Origin
/// chain of the node it is about.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorJson {
    pub code: &'static str,
    pub message: String,
    pub origin: Option<Vec<String>>,
}

impl ErrorJson {
    pub fn new(err: &dyn Diagnostic) -> ErrorJson {
        ErrorJson {
            code: err.code(),
            message: crate::error::line(err),
            origin: err.origin().map(crate::model::Origin::labels),
        }
    }
}

/// An input that could not be read at all.
#[derive(Clone, Debug, Serialize)]
pub struct InputErrorJson {
    pub path: String,
    pub error: ErrorJson,
}

/// A run that stopped as a whole (any command).
#[derive(Clone, Debug, Serialize)]
pub struct FatalDoc<'a> {
    pub schema_version: u32,
    pub command: &'a str,
    /// Always false.
    pub ok: bool,
    pub error: ErrorJson,
}

/// An item's version resource, as `inspect` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct PeJson<'a> {
    pub machine: Option<Arch>,
    pub file_version: Option<&'a str>,
    pub product_version: Option<&'a str>,
    pub product_name: Option<&'a str>,
    pub original_filename: Option<&'a str>,
    pub version: Option<&'a VersionInfo>,
    pub signed: bool,
}

/// An MSI/MSP's identity.
#[derive(Clone, Debug, Serialize)]
pub struct MsiJson<'a> {
    pub kind: PackageKind,
    pub product_code: Option<&'a str>,
    pub product_version: Option<&'a str>,
    pub product_language: Option<&'a str>,
    pub manufacturer: Option<&'a str>,
    pub product_name: Option<&'a str>,
    pub summary: &'a SummaryInfo,
}

/// One row of an MSP's MsiPatchMetadata table.
#[derive(Clone, Debug, Serialize)]
pub struct MetadataJson<'a> {
    pub company: Option<&'a str>,
    pub property: &'a str,
    pub value: &'a str,
}

/// What an MSP says about itself.
#[derive(Clone, Debug, Serialize)]
pub struct PatchJson<'a> {
    pub patch_code: Option<&'a str>,
    pub supersedes: &'a [String],
    pub targets: &'a [String],
    pub families: &'a [PatchFamily],
    pub metadata: Vec<MetadataJson<'a>>,
    pub kb: Option<Kb>,
    pub build: Option<Build>,
}

/// One item of an inspection (and, with `checks`, of a verification): what its name says
/// (the fields of `inspect --names`), then what its bytes say.
#[derive(Clone, Debug, Serialize)]
pub struct ItemJson<'a> {
    #[serde(flatten)]
    pub named: &'a NameFacts,
    pub origin: Vec<String>,
    pub depth: usize,
    pub size: u64,
    pub sha256: Sha256,
    /// `sha1` is the name's (Microsoft Update catalog names carry one); this is the content's.
    pub content_sha1: Sha1,
    pub format: Format,
    pub build: Option<Build>,
    pub pe: Option<PeJson<'a>>,
    pub msi: Option<MsiJson<'a>>,
    pub patch: Option<PatchJson<'a>>,
    pub signature: Option<&'a Verdict>,
    pub findings: Vec<FindingEntry>,
    /// `verify` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks: Option<&'a Checks>,
}

/// `inspect PATH…`.
#[derive(Clone, Debug, Serialize)]
pub struct InspectDoc<'a> {
    pub schema_version: u32,
    pub command: &'static str,
    /// No input failed and no finding is an error (exit 0).
    pub ok: bool,
    pub items: Vec<ItemJson<'a>>,
    pub findings: Vec<FindingEntry>,
    pub errors: Vec<InputErrorJson>,
}

/// `inspect --names NAME…`.
#[derive(Clone, Debug, Serialize)]
pub struct NamesDoc<'a> {
    pub schema_version: u32,
    pub command: &'static str,
    pub ok: bool,
    pub items: &'a [NameFacts],
}

/// A built folder or bundle re-checked by `verify`.
#[derive(Clone, Debug, Serialize)]
pub struct OutputCheckJson {
    pub path: String,
    pub ok: bool,
    pub files: usize,
    pub findings: Vec<FindingEntry>,
}

/// `verify …`: `items`, `findings` and `errors` only when downloads were given.
#[derive(Clone, Debug, Serialize)]
pub struct VerifyDoc<'a> {
    pub schema_version: u32,
    pub command: &'static str,
    pub ok: bool,
    pub outputs: Vec<OutputCheckJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<ItemJson<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<FindingEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<InputErrorJson>>,
}

/// `build …`.
#[derive(Clone, Debug, Serialize)]
pub struct BuildDoc<'a> {
    pub schema_version: u32,
    pub command: &'static str,
    pub ok: bool,
    /// `built`, `dry-run`, `refused` or `inputs-failed`.
    pub outcome: &'static str,
    pub output: String,
    pub bundle: Option<String>,
    /// The install manifest (`manifests/install-manifest.schema.json`), when one was made.
    pub manifest: Option<&'a InstallManifest>,
    pub findings: Vec<FindingEntry>,
    pub errors: Vec<InputErrorJson>,
}

/// One input of an `extract` run.
#[derive(Clone, Debug, Serialize)]
pub struct ExtractInputJson {
    pub path: String,
    pub format: Option<Format>,
    pub members: usize,
    pub bytes: u64,
    pub error: Option<ErrorJson>,
}

/// One member written by `extract`.
#[derive(Clone, Debug, Serialize)]
pub struct ExtractMemberJson<'a> {
    pub path: &'a str,
    pub size: u64,
    pub sha256: Sha256,
    pub origin: Vec<String>,
    pub unpacked: bool,
    pub name_decoding: crate::formats::NameDecoding,
}

/// Something `extract` tells that is not an error.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum ExtractNoteJson<'a> {
    DuplicateIdentical { path: &'a str, origin: Vec<String> },
}

/// `extract …`.
#[derive(Clone, Debug, Serialize)]
pub struct ExtractDoc<'a> {
    pub schema_version: u32,
    pub command: &'static str,
    pub output: String,
    pub ok: bool,
    pub inputs: Vec<ExtractInputJson>,
    pub members: Vec<ExtractMemberJson<'a>>,
    pub notes: Vec<ExtractNoteJson<'a>>,
}

/// One product of `catalog list`.
#[derive(Clone, Debug, Serialize)]
pub struct CatalogSummaryJson<'a> {
    pub id: &'a str,
    pub title: &'a str,
    /// `built-in`, the catalog file as given, or `in memory`.
    pub source: String,
    pub components: Vec<&'a str>,
    pub roles: Vec<&'a str>,
    pub releases: usize,
    pub newest_build: Option<String>,
    pub latest_release: Option<&'a str>,
}

/// `catalog list`.
#[derive(Clone, Debug, Serialize)]
pub struct CatalogListDoc<'a> {
    pub schema_version: u32,
    pub command: &'static str,
    pub ok: bool,
    pub catalogs: Vec<CatalogSummaryJson<'a>>,
}

/// `catalog check FILE`.
#[derive(Clone, Debug, Serialize)]
pub struct CatalogCheckDoc<'a> {
    pub schema_version: u32,
    pub command: &'static str,
    pub file: String,
    pub ok: bool,
    pub problems: &'a [Problem],
}

/// One server of a good farm file, in rollout order.
#[derive(Clone, Debug, Serialize)]
pub struct FarmServerJson<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub language: Option<&'a str>,
    pub cluster: Option<&'a str>,
    pub active: bool,
    pub scr_target_of: Option<&'a str>,
    pub line: usize,
}

/// One mistake in a farm file.
#[derive(Clone, Debug, Serialize)]
pub struct FarmErrorJson {
    pub code: &'static str,
    /// From 1; 0 when the whole file is meant.
    pub line: usize,
    pub message: String,
}

/// `farm check FILE`: `product`, `name` and `servers` only when the file is good.
#[derive(Clone, Debug, Serialize)]
pub struct FarmCheckDoc<'a> {
    pub schema_version: u32,
    pub command: &'static str,
    pub ok: bool,
    pub file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<&'a str>,
    /// The farm's `name` (absent from the document when the file is bad; null when unnamed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub servers: Option<Vec<FarmServerJson<'a>>>,
    pub errors: Vec<FarmErrorJson>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_in_the_code_is_the_version_in_the_schemas() {
        let defs: serde_json::Value =
            serde_json::from_str(include_str!("../../manifests/output-defs.schema.json")).unwrap();
        assert_eq!(
            defs["$defs"]["schema_version"]["const"],
            serde_json::json!(SCHEMA_VERSION)
        );
    }
}
