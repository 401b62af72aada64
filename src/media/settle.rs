//! The media stage's second call, once the downloads and the media's own `Updates` patches
//! are walked and classified: whether the media fit the updates (architecture, base
//! language), which media files the build handles instead of copying them (patches the plan
//! takes over, files a setup quirk removes), the paths they reserve in every role folder, and
//! the levels they bring for the baseline checks.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::{MediaError, MediaKind, Staged};
use crate::catalog::model::Catalog;
use crate::findings::{Finding, FindingKind};
use crate::model::{Arch, Build, Lang};

/// What the walk and classify found about one top-level file: a download, or a file in a
/// medium's `Updates` folder.
#[derive(Clone, Debug)]
pub struct Found {
    /// Its copy in the staging tree (a medium's file) or the download itself.
    pub stored: Option<PathBuf>,
    /// A file of a medium (else a download).
    pub from_media: bool,
    /// The architecture its name states.
    pub arch: Option<Arch>,
    /// A Windows Installer patch.
    pub patch: bool,
    /// Its build when it is a service pack.
    pub service_pack: Option<Build>,
    /// Its language, when localized.
    pub language: Option<Lang>,
}

/// What the media mean for the rest of the build.
#[derive(Debug, Default)]
pub struct Settled {
    /// The product media's language: the base language when `--lang` gives none.
    pub base: Option<Lang>,
    /// Staged media files not copied as they are (patches the plan takes over, files a quirk
    /// removes).
    pub handled: BTreeSet<PathBuf>,
    /// Role-relative paths (lower-case) the copied media files take: no placed update may.
    pub reserved: BTreeSet<String>,
    /// `quirk-applied`, `media-unconfirmed`.
    pub findings: Vec<Finding>,
    /// The builds the media bring (setup's, and the service packs in any `Updates`); `None`
    /// without media.
    pub levels: Option<Vec<Build>>,
}

/// Settles the media against what was found (see the module documentation). `languages` are
/// the `--lang` values, the first the base language.
pub fn settle(
    staged: &[Staged],
    found: &[Found],
    languages: &[Lang],
    product: &Catalog,
) -> Result<Settled, MediaError> {
    if staged.is_empty() {
        return Ok(Settled::default());
    }
    check_arch(staged, found)?;
    let mut base = None;
    if let Some(product_media) = staged.iter().find(|m| m.source.kind == MediaKind::Product)
        && let Some(lang) = &product_media.identity.language
    {
        if let Some(first) = languages.first()
            && !first.agrees_with(lang)
        {
            return Err(MediaError::BaseLanguage {
                path: product_media.source.path.clone(),
                media: lang.clone(),
                first: first.clone(),
            });
        }
        base = Some(lang.clone());
    }
    let media_patches = found.iter().filter(|f| f.from_media);
    let (removed, mut findings) = super::quirks(staged, product);
    let handled: BTreeSet<PathBuf> = media_patches
        .clone()
        .filter(|f| f.patch)
        .filter_map(|f| f.stored.clone())
        .chain(removed)
        .collect();
    for m in staged.iter().filter(|m| !m.identity.confirmed) {
        findings.push(Finding::new(
            &m.source.origin("setup.exe"),
            FindingKind::MediaUnconfirmed {
                product: product.id.clone(),
                name: m.identity.product_name.clone(),
                build: m.identity.build,
            },
        ));
    }
    findings.extend(language_pack_baselines(staged, found));
    let levels = staged
        .iter()
        .filter(|m| m.source.kind == MediaKind::Product)
        .filter_map(|m| m.identity.build)
        .chain(media_patches.filter_map(|f| f.service_pack))
        .collect();
    Ok(Settled {
        base,
        reserved: super::reserved(staged, &handled),
        handled,
        findings,
        levels: Some(levels),
    })
}

/// Each language pack's media must have a service pack for the change's updates in its
/// language: "you must install both the Windows SharePoint Services 3.0 Service Pack 1
/// language template pack and the Office SharePoint Server 2007 Service Pack 1 language
/// template pack (or any service pack language template pack subsequent to SP1) for each
/// language template pack you have installed" ("Deploy software updates for Office
/// SharePoint Server 2007", Microsoft TechNet cc263467, "Update language template packs").
/// A language pack whose media bring no service pack in their `Updates`, with no
/// language-pack service pack for its culture among the downloads, while the downloads hold
/// updates in its language, is at its release level: `missing-language-pack-baseline`.
fn language_pack_baselines(staged: &[Staged], found: &[Found]) -> Vec<Finding> {
    let mut out = Vec::new();
    for m in staged {
        let MediaKind::LanguagePack(culture) = &m.source.kind else {
            continue;
        };
        let ours = |f: &Found| f.language.as_ref().is_some_and(|l| l.agrees_with(culture));
        let on_media = |f: &Found| {
            f.stored
                .as_ref()
                .is_some_and(|s| m.files.iter().any(|mf| &mf.stored == s))
        };
        let has_sp = found
            .iter()
            .any(|f| f.service_pack.is_some() && (on_media(f) || (!f.from_media && ours(f))));
        let needs = found
            .iter()
            .any(|f| !f.from_media && f.service_pack.is_none() && ours(f));
        if needs && !has_sp {
            out.push(Finding::new(
                &m.source.origin("setup.exe"),
                FindingKind::MissingLanguagePackBaseline {
                    culture: culture.clone(),
                    build: m.identity.build,
                },
            ));
        }
    }
    out
}

/// The media's architecture (setup's machine type) must be the downloads' (their names).
fn check_arch(staged: &[Staged], found: &[Found]) -> Result<(), MediaError> {
    let updates: BTreeSet<Arch> = found
        .iter()
        .filter(|f| !f.from_media)
        .filter_map(|f| f.arch)
        .filter(|a| *a != Arch::X86X64)
        .collect();
    for m in staged {
        if let Some(arch) = m.identity.arch
            && let Some(other) = updates.iter().find(|u| **u != arch)
        {
            return Err(MediaError::Arch {
                path: m.source.path.clone(),
                media: arch,
                updates: *other,
            });
        }
    }
    Ok(())
}
