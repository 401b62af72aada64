//! media: the product's setup media (`build --media`) and language-pack media
//! (`--language-pack CULTURE=PATH`) — a folder or a disc image, copied once into the build's
//! staging tree (hashed in the same pass, cloned where the filesystem can), then identified
//! from the bytes of its `setup.exe` ([`identity`]) and refused when it is not the product's.
//!
//! A medium is never hard-linked to OUT (an edit in OUT would change the medium): the copy
//! inside the staging tree is what the role folders link to.

mod folder;
pub mod identity;
mod settle;

pub use folder::set_copy_hook;

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::catalog::model::Catalog;
use crate::extract::limits::Limits;
use crate::extract::{self, Progress};
use crate::findings::{Finding, FindingKind};
use crate::formats::{Format, sniff};
use crate::model::{Arch, Lang, Origin, OriginStep, Sha256};

pub use identity::{Identity, Mismatch};
pub use settle::{Found, Settled, settle};

/// The folder setup applies updates from, at a medium's root (seed 004 lines 134, 928-932).
pub const UPDATES: &str = "Updates";
/// The folder language-pack media go to in a role folder.
pub const LANGUAGE_PACKS: &str = "LanguagePacks";

/// Which medium this is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaKind {
    /// The product's setup media (`--media`).
    Product,
    /// A language pack's media for a culture (`--language-pack CULTURE=PATH`).
    LanguagePack(Lang),
}

/// A medium as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaSource {
    pub kind: MediaKind,
    pub path: PathBuf,
    /// `--media-unconfirmed`: the person checked the media; used even when nothing in its
    /// `setup.exe` confirms the product (never when something contradicts it).
    pub unconfirmed_ok: bool,
}

impl MediaSource {
    /// How the manifest and messages name it: its file or folder name.
    pub fn label(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// Where its tree goes inside a role folder: the role folder itself, or
    /// `LanguagePacks/<culture>`.
    pub fn folder(&self) -> String {
        match &self.kind {
            MediaKind::Product => String::new(),
            MediaKind::LanguagePack(culture) => format!("{LANGUAGE_PACKS}/{culture}"),
        }
    }

    /// The Origin of one of its files.
    pub fn origin(&self, rel: &str) -> Origin {
        Origin::input(self.label()).child(OriginStep::Member(rel.to_owned()))
    }
}

/// One file of a medium, copied into the staging tree.
#[derive(Clone, Debug)]
pub struct MediaFile {
    /// Relative to the medium's root, `/`-separated, as on the medium.
    pub path: String,
    pub size: u64,
    pub sha256: Sha256,
    /// The copy inside the staging tree.
    pub stored: PathBuf,
}

impl MediaFile {
    /// Whether it lies directly in the medium's `Updates` folder (compared
    /// case-insensitively, as Windows does).
    pub fn in_updates(&self) -> bool {
        self.path
            .split_once('/')
            .is_some_and(|(dir, rest)| dir.eq_ignore_ascii_case(UPDATES) && !rest.contains('/'))
    }

    /// Its path inside a role folder's tree: the `Updates` and `LanguagePacks` folders
    /// spelled as the build spells them, so they merge on Windows' case-insensitive names.
    pub fn placed_path(&self) -> String {
        match self.path.split_once('/') {
            Some((dir, rest)) if dir.eq_ignore_ascii_case(UPDATES) => format!("{UPDATES}/{rest}"),
            Some((dir, rest)) if dir.eq_ignore_ascii_case(LANGUAGE_PACKS) => {
                format!("{LANGUAGE_PACKS}/{rest}")
            }
            _ => self.path.clone(),
        }
    }
}

/// A medium copied and identified.
#[derive(Debug)]
pub struct Staged {
    pub source: MediaSource,
    /// Read from a disc image (else a folder).
    pub image: bool,
    /// Every file, sorted by path.
    pub files: Vec<MediaFile>,
    pub identity: Identity,
    /// Bytes written by the copy (0 for files the filesystem cloned).
    pub written: u64,
}

/// Why a medium cannot be used; nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Reading or copying it failed (damage, a refused name, a budget, Ctrl-C).
    #[error(transparent)]
    Extract(#[from] extract::Error),
    #[error("{}: not setup media: {reason}", path.display())]
    NotMedia { path: PathBuf, reason: String },
    #[error(
        "{}: no setup.exe at the root: not setup media (give the folder or image that holds setup.exe)",
        path.display()
    )]
    NoSetup { path: PathBuf },
    #[error("{}: not media of {product}: {mismatch}", path.display())]
    Product {
        path: PathBuf,
        product: String,
        mismatch: Mismatch,
    },
    #[error(
        "{}: the media are {media} (setup's machine type) but the updates are {updates}; use the {updates} media",
        path.display()
    )]
    Arch {
        path: PathBuf,
        media: Arch,
        updates: Arch,
    },
    #[error(
        "{}: given as the {culture} language pack, but its setup.exe is {found}; give the {culture} language pack's media",
        path.display()
    )]
    Language {
        path: PathBuf,
        culture: Lang,
        found: Lang,
    },
    #[error(
        "{}: the media install {media} but --lang makes {first} the base language; drop --lang {first} or put --lang {media} first",
        path.display()
    )]
    BaseLanguage {
        path: PathBuf,
        media: Lang,
        first: Lang,
    },
    #[error("{}: given twice (--media and --language-pack name the same media, or a culture twice)", path.display())]
    Twice { path: PathBuf },
    /// The media and OUT overlap: the build would copy its own staging folder (OUT inside
    /// the media), or replace the media (the media inside OUT).
    #[error(
        "{}: the media and the output directory {} overlap (one is or holds the other); choose an output outside the media",
        path.display(),
        output.display()
    )]
    AtOutput { path: PathBuf, output: PathBuf },
    #[error(
        "{}: {product} has no language packs (a server has one installation language): build with that language's media as --media instead",
        path.display()
    )]
    NoLanguagePacks { path: PathBuf, product: String },
}

impl crate::error::Diagnostic for MediaError {
    fn code(&self) -> &'static str {
        match self {
            MediaError::Extract(e) => e.code(),
            MediaError::NotMedia { .. } => "not-media",
            MediaError::NoSetup { .. } => "media-no-setup",
            MediaError::Product { mismatch, .. } if mismatch.overridable() => "media-not-confirmed",
            MediaError::Product { .. } => "media-product",
            MediaError::Arch { .. } => "media-arch",
            MediaError::Language { .. } | MediaError::BaseLanguage { .. } => "media-language",
            MediaError::Twice { .. } => "media-twice",
            MediaError::AtOutput { .. } => "media-at-output",
            MediaError::NoLanguagePacks { .. } => "media-language",
        }
    }

    fn origin(&self) -> Option<&crate::model::Origin> {
        self.inner().and_then(crate::error::Diagnostic::origin)
    }

    fn is_interrupt(&self) -> bool {
        self.inner()
            .is_some_and(crate::error::Diagnostic::is_interrupt)
    }
}

impl MediaError {
    /// The stage error it wraps, which knows the origin.
    fn inner(&self) -> Option<&dyn crate::error::Diagnostic> {
        match self {
            MediaError::Extract(e) => Some(e),
            MediaError::NotMedia { .. }
            | MediaError::NoSetup { .. }
            | MediaError::Product { .. }
            | MediaError::Arch { .. }
            | MediaError::Language { .. }
            | MediaError::BaseLanguage { .. }
            | MediaError::Twice { .. }
            | MediaError::AtOutput { .. }
            | MediaError::NoLanguagePacks { .. } => None,
        }
    }
}

/// The media stage's first call, before any download is read: copies every medium into
/// `dir/<n>/` (scratch space for disc images beside it) and identifies it against `product`,
/// so that a medium that is not the product's is refused before the downloads are read.
#[allow(clippy::too_many_arguments)]
pub fn stage(
    sources: &[MediaSource],
    dir: &Path,
    limits: Limits,
    threads: usize,
    product: &Catalog,
    catalogs: &[Catalog],
    progress: &dyn Progress,
    interrupt: &'static AtomicBool,
) -> Result<Vec<Staged>, MediaError> {
    let mut staged = Vec::with_capacity(sources.len());
    for (n, source) in sources.iter().enumerate() {
        let dest = dir.join(n.to_string());
        let scratch = dir.join(format!("{n}.scratch"));
        std::fs::create_dir_all(&scratch).map_err(|e| extract::Error::Write {
            path: scratch.clone(),
            source: e,
        })?;
        staged.push(stage_one(
            source, &dest, &scratch, limits, threads, product, catalogs, progress, interrupt,
        )?);
    }
    Ok(staged)
}

/// Copies `source` into `dest` (absent; created here) and identifies it against `product`.
/// `scratch` holds in-flight files of a disc image.
#[allow(clippy::too_many_arguments)]
fn stage_one(
    source: &MediaSource,
    dest: &Path,
    scratch: &Path,
    limits: Limits,
    threads: usize,
    product: &Catalog,
    catalogs: &[Catalog],
    progress: &dyn Progress,
    interrupt: &'static AtomicBool,
) -> Result<Staged, MediaError> {
    let path = &source.path;
    let read_err = |e| extract::Error::Read {
        origin: Origin::input(path),
        source: e,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    std::fs::create_dir_all(dest).map_err(|e| extract::Error::Write {
        path: dest.to_path_buf(),
        source: e,
    })?;
    let file = |path: String, size: u64, sha256: Sha256| MediaFile {
        stored: stored_at(dest, &path),
        path,
        size,
        sha256,
    };
    let (files, image, written): (Vec<MediaFile>, bool, u64) = if meta.is_dir() {
        let copied = folder::copy_tree(path, dest, limits, threads, progress, interrupt)?;
        let written = copied.iter().map(|c| c.written).sum();
        let files = copied
            .into_iter()
            .map(|c| file(c.path, c.size, c.sha256))
            .collect();
        (files, false, written)
    } else {
        let head = crate::formats::open::open_regular(path, None)
            .map_err(|e| extract::Error::opening(&Origin::input(path), e))
            .and_then(|mut f| crate::formats::read_head(&mut f).map_err(read_err))?;
        if sniff(&head) != Format::DiscImage {
            return Err(MediaError::NotMedia {
                path: path.clone(),
                reason: "neither a folder nor a disc image (ISO 9660, UDF)".to_owned(),
            });
        }
        let members =
            extract::unpack_into(path, dest, scratch, limits, threads, progress, interrupt)?;
        let written = members.iter().map(|m| m.size).sum();
        let files = members
            .into_iter()
            .map(|m| file(m.path, m.size, m.sha256))
            .collect();
        (files, true, written)
    };
    let at_root = |name: &str| {
        files
            .iter()
            .find(|f| !f.path.contains('/') && f.path.eq_ignore_ascii_case(name))
    };
    let setup = at_root("setup.exe").ok_or_else(|| MediaError::NoSetup { path: path.clone() })?;
    let exe = pe_facts(&setup.stored)
        .map_err(read_err)?
        .ok_or_else(|| MediaError::NotMedia {
            path: path.clone(),
            reason: "its setup.exe is not a Windows executable".to_owned(),
        })?;
    let dll = match at_root("setup.dll") {
        Some(f) => pe_facts(&f.stored).map_err(read_err)?,
        None => None,
    };
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let language_pack = matches!(source.kind, MediaKind::LanguagePack(_));
    let identity = identity::identify(
        &exe,
        dll.as_ref(),
        &paths,
        language_pack,
        product,
        catalogs,
        source.unconfirmed_ok,
    )
    .map_err(|m| MediaError::Product {
        path: path.clone(),
        product: product.id.clone(),
        mismatch: m,
    })?;
    if let MediaKind::LanguagePack(culture) = &source.kind
        && let Some(found) = &identity.language
        && !culture.agrees_with(found)
    {
        return Err(MediaError::Language {
            path: path.clone(),
            culture: culture.clone(),
            found: found.clone(),
        });
    }
    Ok(Staged {
        source: source.clone(),
        image,
        files,
        identity,
        written,
    })
}

fn stored_at(dest: &Path, rel: &str) -> PathBuf {
    rel.split('/').fold(dest.to_path_buf(), |p, c| p.join(c))
}

fn pe_facts(path: &Path) -> std::io::Result<Option<crate::formats::pe::PeFacts>> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    crate::formats::pe::facts(&mut f, len)
}

/// The catalog's setup quirks applied to the media's `Updates` folders: a `remove_file` whose
/// `when_component` the media's edition installs (a WSS `wsssetup.dll` in MOSS media) is left
/// out of every role. Returns the staged copies left out and a `quirk-applied` finding each.
fn quirks(staged: &[Staged], product: &Catalog) -> (Vec<PathBuf>, Vec<Finding>) {
    let mut removed = Vec::new();
    let mut findings = Vec::new();
    for m in staged {
        let components: Vec<&str> = product
            .media
            .as_ref()
            .and_then(|md| {
                md.editions
                    .iter()
                    .find(|e| Some(&e.id) == m.identity.edition.as_ref())
            })
            .map(|e| e.components.iter().map(String::as_str).collect())
            .unwrap_or_default();
        for f in m.files.iter().filter(|f| f.in_updates()) {
            let name = f.path.rsplit('/').next().unwrap_or(&f.path);
            let quirk = product.quirks.iter().find(|q| {
                q.remove_file
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(name))
                    && q.when_component
                        .as_deref()
                        .is_some_and(|c| components.contains(&c))
            });
            if let Some(q) = quirk {
                removed.push(f.stored.clone());
                findings.push(Finding::new(
                    &m.source.origin(&f.path),
                    FindingKind::QuirkApplied {
                        quirk: q.id.clone(),
                        file: f.path.clone(),
                        role: "every role".to_owned(),
                    },
                ));
            }
        }
    }
    (removed, findings)
}

/// The role-relative paths (lower-case) the media files take in every role folder, all but
/// the staged copies in `not_copied`: no placed update may take one.
fn reserved(staged: &[Staged], not_copied: &BTreeSet<PathBuf>) -> BTreeSet<String> {
    staged
        .iter()
        .flat_map(|m| {
            let folder = m.source.folder();
            m.files
                .iter()
                .filter(|f| !not_copied.contains(&f.stored))
                .map(move |f| {
                    let p = f.placed_path();
                    if folder.is_empty() {
                        p
                    } else {
                        format!("{folder}/{p}")
                    }
                    .to_lowercase()
                })
        })
        .collect()
}
