//! The install manifest (`OUT/install-manifest.json`) as types: what `build` writes and
//! `verify OUT` reads back. `manifests/install-manifest.schema.json` is the contract; a test
//! validates every manifest the builds write against it.

use serde::{Deserialize, Serialize};

use super::{Arch, Build, Kb, Lang, NameKind, Scope, Severity, Sha1, Sha256};

/// The install manifest's file name in a built folder (and at a bundle's root).
pub const MANIFEST: &str = "install-manifest.json";
/// The checksum file's name in a built folder (`sha256sum -c` format).
pub const SUMS: &str = "SHA256SUMS";
/// The only `schema_version` this version writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstallManifest {
    pub schema_version: u32,
    pub tool: Tool,
    /// The build time (RFC 3339, UTC): `--timestamp`, else `$SOURCE_DATE_EPOCH`, else when
    /// the build ran. Optional when read: earlier versions wrote it only with `--timestamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The product's catalog id.
    pub product: String,
    pub languages: Languages,
    pub inputs: Vec<Input>,
    /// What a person should know about this source as a whole (every role holds the same
    /// updates, …).
    pub notes: Vec<String>,
    /// The setup media merged into every role folder (`build --media`, `--language-pack`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<MediaEntry>,
    /// In rollout order.
    pub roles: Vec<RoleEntry>,
    /// The downloaded packages existing servers run, as the vendor prescribes (`packages/`),
    /// in install order; only for products whose rollout installs packages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PackageEntry>,
    pub superseded: Vec<SupersededEntry>,
    pub findings: Vec<FindingEntry>,
    /// The documents written beside the sources (report, rollout, scripts), sorted by file:
    /// listed in `SHA256SUMS` and re-checked by `verify OUT` like placed files.
    #[serde(default)]
    pub documents: Vec<DocumentEntry>,
}

/// A document `build` wrote (report.html, rollout.json, a script).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentEntry {
    /// Relative to OUT, `/`-separated.
    pub file: String,
    pub sha256: Sha256,
    pub size: u64,
}

/// What wrote it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// The base language and every language chosen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Languages {
    pub base: Option<Lang>,
    pub chosen: Vec<Lang>,
}

/// One input (a download), as given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub path: String,
    pub size: u64,
    pub sha256: Sha256,
    pub sha1: Sha1,
    pub kind: NameKind,
    pub kb: Option<Kb>,
    pub build: Option<Build>,
    pub arch: Option<Arch>,
    pub scope: Scope,
    pub language: Option<Lang>,
}

/// One role's folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleEntry {
    /// The role id.
    pub name: String,
    pub title: String,
    /// Relative to OUT.
    pub folder: String,
    pub rollout_rank: u32,
    /// Every file placed, patches in install order, then companion files.
    pub patches: Vec<PlacedEntry>,
    pub steps: Vec<String>,
    /// The catalog's notes on the role (what sets it apart, with their sources).
    pub notes: Vec<String>,
}

/// What a placed file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlacedKind {
    Patch,
    /// A file of the package's payload other than a patch (a setup controller).
    Companion,
    /// A download placed whole, as the catalog asks (OCS's Cumulative Server Update
    /// Installer).
    Package,
}

/// One file placed in a role's folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacedEntry {
    /// Relative to OUT, `/`-separated.
    pub file: String,
    pub kind: PlacedKind,
    pub sha256: Sha256,
    pub size: u64,
    pub family: Option<String>,
    pub kb: Option<Kb>,
    pub build: Option<Build>,
    pub scope: Scope,
    pub language: Option<Lang>,
    /// Install order within the role, from 1; `None` for companion files.
    pub order: Option<u32>,
    /// A patch's target product codes (its summary information's template): Windows
    /// Installer applies it only where one of them is installed.
    pub targets: Vec<String>,
    /// The Origin chain it was taken from.
    pub from: Vec<String>,
}

/// A downloaded package carried into OUT for existing servers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageEntry {
    /// Relative to OUT: `packages/<name>`.
    pub file: String,
    pub sha256: Sha256,
    pub size: u64,
    /// The input it is a copy of (as `inputs` names it).
    pub input: String,
    pub kb: Option<Kb>,
    /// The roles whose updates came from it.
    pub roles: Vec<String>,
    /// Install order among the packages, from 1.
    pub order: u32,
}

/// A patch left out because a newer build of its family is placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupersededEntry {
    pub name: String,
    pub family: String,
    pub build: Option<Build>,
    pub sha256: Sha256,
    /// The Origin chain of the patch placed instead.
    pub by: Vec<String>,
    pub from: Vec<String>,
}

/// A finding, as the JSON reports write it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingEntry {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    pub origin: Vec<String>,
}

impl InstallManifest {
    /// The manifest exactly as it is written: pretty JSON with a trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Every placed file with its SHA-256, by path relative to OUT: the role's updates, in
    /// every role folder every media file, the packages and the documents (report, rollout,
    /// scripts).
    pub fn placed_files(&self) -> impl Iterator<Item = (String, Sha256)> + '_ {
        self.roles
            .iter()
            .flat_map(move |r| {
                let patches = r.patches.iter().map(|p| (p.file.clone(), p.sha256));
                let media = self.media.iter().flat_map(move |m| {
                    m.files.iter().map(move |f| {
                        let path = if m.folder.is_empty() {
                            format!("{}/{}", r.folder, f.path)
                        } else {
                            format!("{}/{}/{}", r.folder, m.folder, f.path)
                        };
                        (path, f.sha256)
                    })
                });
                patches.chain(media)
            })
            .chain(self.packages.iter().map(|p| (p.file.clone(), p.sha256)))
            .chain(self.documents.iter().map(|d| (d.file.clone(), d.sha256)))
    }
}

/// Setup media merged into every role folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaEntry {
    /// `product` (`--media`) or `language-pack` (`--language-pack`).
    pub kind: String,
    /// The language pack's culture.
    pub culture: Option<Lang>,
    /// The folder or image as given (its file name).
    pub source: String,
    /// Read from a disc image (else a folder).
    pub image: bool,
    /// Where its tree is inside each role folder: `""` (the role folder) or
    /// `LanguagePacks/<culture>`.
    pub folder: String,
    /// What its `setup.exe` says.
    pub identity: MediaIdentity,
    /// What the catalog says about the product's media (with sources).
    pub notes: Vec<String>,
    /// Every file copied into each role folder, by path inside `folder` (patches of its
    /// `Updates` folder are listed with the role's updates, or under `superseded`).
    pub files: Vec<MediaFileEntry>,
}

/// One media file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaFileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: Sha256,
}

/// What a medium is, from its `setup.exe` (and `setup.dll`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaIdentity {
    /// The catalog's product id.
    pub product: String,
    /// The catalog edition recognised, when one was.
    pub edition: Option<String>,
    /// `setup.exe`'s `ProductName`.
    pub product_name: Option<String>,
    pub build: Option<Build>,
    pub arch: Option<Arch>,
    pub language: Option<Lang>,
    /// Whether the product was recognised by name (else only not contradicted).
    pub confirmed: bool,
}
