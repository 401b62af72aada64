//! Which product, edition, build, architecture and language a setup medium is, judged from the
//! version resources of its `setup.exe` (and `setup.dll`) against the catalogs — pure, tested
//! with tables.
//!
//! The rules (a medium is never judged by its file or folder names):
//! - edition: the first edition of the product's catalog whose `product_names` the
//!   `ProductName` contains (case-insensitively);
//! - another product: a `ProductName` that names an edition of another catalog (and none of
//!   this product), or a build
//!   whose major and minor version is none of the product's releases' (when the catalog
//!   records builds) — refused;
//! - products of one major and minor version (SharePoint Server 2016, 2019, Subscription
//!   Edition: 16.0) by their first builds (`media.min_build`): the build belongs to the
//!   catalog with the highest `min_build` not above it — another catalog's is refused;
//! - files: a medium without one of the catalog's `required_files` (language packs:
//!   `language_pack_files`) is not the product's — refused;
//! - edition without a name: where the catalog gives `min_build`, an edition with no
//!   `product_names` is recognised by the build range and the files (confirmed);
//! - unconfirmed: neither an edition name nor a contradiction, but a build of one of the
//!   product's versions (a real `setup.exe` may carry a suite name such as the Office
//!   system's): accepted with a warning;
//! - nothing to go by — no version resource, or neither an edition name nor a build the
//!   catalog can compare — or a `ProductName` that names editions of two products: refused,
//!   unless `--media-unconfirmed` says the person checked the media (then accepted with the
//!   warning);
//! - build: `ProductVersion`, else the fixed product version, else `FileVersion`;
//! - architecture: the machine of `setup.dll` when the medium has one (the setup engine),
//!   else of `setup.exe`;
//! - language: the first StringTable's LCID; 0 (neutral) and unknown LCIDs say nothing.

use crate::catalog::model::Catalog;
use crate::formats::pe::PeFacts;
pub use crate::model::manifest::MediaIdentity as Identity;
use crate::model::{Build, lcid_language};

/// Why a medium is not the product's, or cannot be told to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// Its `ProductName` names an edition of another product.
    OtherProduct { product: String, name: String },
    /// Its build is not one of the product's versions.
    OtherVersion { build: Build, versions: String },
    /// Its build lies in another product of the same version's range (`media.min_build`).
    OtherRange {
        build: Build,
        product: String,
        from: Build,
    },
    /// Its build is below the product's first build and no catalog's range holds it.
    BelowFirst { build: Build, first: Build },
    /// A file the product's media hold is not on it.
    MissingFile { file: String },
    /// Nothing in its `setup.exe` confirms the product (overridable: `--media-unconfirmed`).
    Unconfirmed { reason: String },
    /// Its `ProductName` names editions of several products (overridable).
    Ambiguous { name: String, products: String },
}

impl Mismatch {
    /// Whether `--media-unconfirmed` lets the media be used anyway (no contradiction, only
    /// nothing that confirms them).
    pub fn overridable(&self) -> bool {
        matches!(
            self,
            Mismatch::Unconfirmed { .. } | Mismatch::Ambiguous { .. }
        )
    }
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mismatch::OtherProduct { product, name } => {
                write!(f, "setup.exe names {name:?}, which is {product}")
            }
            Mismatch::OtherVersion { build, versions } => write!(
                f,
                "setup.exe is build {build}, not one of the product's versions ({versions})"
            ),
            Mismatch::OtherRange {
                build,
                product,
                from,
            } => write!(
                f,
                "setup.exe is build {build}, which is {product} (its builds start at {from})"
            ),
            Mismatch::BelowFirst { build, first } => write!(
                f,
                "setup.exe is build {build}, older than the product's first build {first}"
            ),
            Mismatch::MissingFile { file } => {
                write!(f, "no {file} on it, which the product's media hold")
            }
            Mismatch::Unconfirmed { reason } => write!(
                f,
                "{reason}, so nothing confirms these are its media; check them, then give --media-unconfirmed to use them"
            ),
            Mismatch::Ambiguous { name, products } => write!(
                f,
                "setup.exe names {name:?}, which names editions of {products}; check the media, then give --media-unconfirmed to use them"
            ),
        }
    }
}

fn build_of(exe: &PeFacts) -> Option<Build> {
    let v = exe.version.as_ref()?;
    v.product_version
        .as_deref()
        .and_then(Build::parse)
        .or(v.fixed_product_version)
        .or_else(|| v.file_version.as_deref().and_then(Build::parse))
}

/// Major and minor versions of a catalog's releases (`12.0`), sorted.
fn versions(catalog: &Catalog) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = catalog
        .releases
        .iter()
        .filter_map(|r| r.build)
        .map(|b| (b.0[0], b.0[1]))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn names_edition<'c>(catalog: &'c Catalog, name: &str) -> Option<&'c str> {
    let name = name.to_lowercase();
    catalog.media.as_ref().and_then(|m| {
        m.editions
            .iter()
            .find(|e| {
                e.product_names
                    .iter()
                    .any(|n| name.contains(&n.to_lowercase()))
            })
            .map(|e| e.id.as_str())
    })
}

/// The build range check: `build` must belong to `product` among the catalogs of its major
/// and minor version that state a first build.
fn range(build: Build, product: &Catalog, catalogs: &[Catalog]) -> Result<(), Mismatch> {
    let first = |c: &Catalog| {
        c.media
            .as_ref()
            .and_then(|m| m.min_build)
            .filter(|b| b.0[..2] == build.0[..2])
    };
    let Some(mine) = first(product) else {
        return Ok(());
    };
    let owner = catalogs
        .iter()
        .filter(|c| c.id != product.id)
        .chain(std::iter::once(product))
        .filter_map(|c| first(c).map(|f| (f, c)))
        .filter(|(f, _)| *f <= build)
        .max_by_key(|(f, c)| (*f, c.id == product.id));
    match owner {
        Some((_, c)) if c.id == product.id => Ok(()),
        Some((from, c)) => Err(Mismatch::OtherRange {
            build,
            product: c.id.clone(),
            from,
        }),
        None => Err(Mismatch::BelowFirst { build, first: mine }),
    }
}

/// Judges a medium whose `setup.exe` (and `setup.dll`, when present) have these facts;
/// `files` are its paths (`/`-separated), `language_pack` whether it is given as a language
/// pack; `unconfirmed_ok` (`--media-unconfirmed`) accepts media that nothing confirms.
pub fn identify(
    exe: &PeFacts,
    dll: Option<&PeFacts>,
    files: &[&str],
    language_pack: bool,
    product: &Catalog,
    catalogs: &[Catalog],
    unconfirmed_ok: bool,
) -> Result<Identity, Mismatch> {
    let product_name = exe.version.as_ref().and_then(|v| v.product_name.clone());
    let build = build_of(exe);
    let mut edition = product_name
        .as_deref()
        .and_then(|n| names_edition(product, n))
        .map(str::to_owned);
    let others: Vec<&str> = product_name.as_deref().map_or_else(Vec::new, |name| {
        catalogs
            .iter()
            .filter(|c| c.id != product.id && names_edition(c, name).is_some())
            .map(|c| c.id.as_str())
            .collect()
    });
    if let (None, Some(name), Some(other)) = (&edition, &product_name, others.first()) {
        return Err(Mismatch::OtherProduct {
            product: (*other).to_owned(),
            name: name.clone(),
        });
    }
    let refuse = |m: Mismatch| if unconfirmed_ok { Ok(()) } else { Err(m) };
    if let (Some(_), Some(name)) = (&edition, &product_name)
        && !others.is_empty()
    {
        refuse(Mismatch::Ambiguous {
            name: name.clone(),
            products: std::iter::once(product.id.as_str())
                .chain(others.iter().copied())
                .collect::<Vec<_>>()
                .join(" and "),
        })?;
        // Accepted on the person's word: not confirmed by the name.
        edition = None;
    }
    let known = versions(product);
    if let Some(b) = build
        && !known.is_empty()
        && !known.contains(&(b.0[0], b.0[1]))
    {
        return Err(Mismatch::OtherVersion {
            build: b,
            versions: known
                .iter()
                .map(|(a, m)| format!("{a}.{m}"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    if let Some(b) = build {
        range(b, product, catalogs)?;
    }
    let media = product.media.as_ref();
    let required = media.map_or(&[][..], |m| {
        if language_pack {
            &m.language_pack_files[..]
        } else {
            &m.required_files[..]
        }
    });
    if let Some(missing) = required
        .iter()
        .find(|r| !files.iter().any(|f| f.eq_ignore_ascii_case(r)))
    {
        return Err(Mismatch::MissingFile {
            file: missing.clone(),
        });
    }
    // No name, but the build lies in the product's range and the files are there.
    let edition = edition.or_else(|| {
        media
            .filter(|m| m.min_build.is_some() && build.is_some())
            .and_then(|m| m.editions.iter().find(|e| e.product_names.is_empty()))
            .map(|e| e.id.clone())
    });
    // No edition named: only a build of one of the product's versions says anything.
    let build_agrees = build.is_some_and(|b| known.contains(&(b.0[0], b.0[1])));
    if edition.is_none() && !build_agrees && others.is_empty() {
        let reason = if exe.version.is_none() {
            "setup.exe has no version resource".to_owned()
        } else if known.is_empty() {
            format!(
                "setup.exe names {} and the {} catalog records no builds to compare",
                product_name
                    .as_deref()
                    .map_or_else(|| "no product".to_owned(), |n| format!("{n:?}")),
                product.id
            )
        } else {
            format!(
                "setup.exe names {} and states no build",
                product_name
                    .as_deref()
                    .map_or_else(|| "no product".to_owned(), |n| format!("{n:?}"))
            )
        };
        refuse(Mismatch::Unconfirmed { reason })?;
    }
    let language = exe
        .version
        .as_ref()
        .and_then(|v| v.language_id)
        .filter(|&id| id != 0)
        .and_then(|id| lcid_language(u32::from(id)));
    Ok(Identity {
        product: product.id.clone(),
        confirmed: edition.is_some(),
        edition,
        product_name,
        build,
        arch: dll.and_then(|d| d.machine).or(exe.machine),
        language,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::pe::VersionInfo;
    use crate::model::{Arch, Lang};

    fn catalog(id: &str, names: &[&str], builds: &[&str]) -> Catalog {
        let releases: Vec<serde_json::Value> = builds
            .iter()
            .enumerate()
            .map(|(i, b)| {
                serde_json::json!({"id": format!("r{i}"), "name": "R", "kind": "service-pack",
                                   "date": "2009-01", "kb": "", "build": b})
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "id": id, "title": id,
            "components": [{"id": "c", "title": "C", "families": ["f"]}],
            "roles": [{"id": "r", "title": "R", "rollout_rank": 1}],
            "releases": releases,
            "media": {"editions": [{"id": "e", "title": "E", "product_names": names,
                                    "components": ["c"]}]}
        }))
        .unwrap()
    }

    fn exe(name: &str, version: &str, lcid: u16, machine: Arch) -> PeFacts {
        PeFacts {
            machine: Some(machine),
            version: Some(VersionInfo {
                product_name: Some(name.to_owned()),
                product_version: Some(version.to_owned()),
                language_id: Some(lcid),
                ..VersionInfo::default()
            }),
            signature: None,
        }
    }

    #[test]
    fn media_are_judged_by_their_setup_version_resource() {
        let sp = catalog(
            "sharepoint-2007",
            &["Office SharePoint Server 2007"],
            &["12.0.6420.1000"],
        );
        let ex = catalog("exchange-2007", &["Exchange Server 2007"], &["8.1.240.6"]);
        let ocs = catalog("ocs", &["Communications Server"], &[]);
        let all = [sp.clone(), ex.clone(), ocs.clone()];
        // (catalog, ProductName, version, LCID, machine) → edition / refusal / language, arch
        type Row<'a> = (
            &'a Catalog,
            &'a str,
            &'a str,
            u16,
            Arch,
            Result<(Option<&'a str>, Option<&'a str>), &'a str>,
        );
        let rows: [Row<'_>; 7] = [
            (
                &sp,
                "Microsoft Office SharePoint Server 2007",
                "12.0.4518.1016",
                0x0409,
                Arch::X64,
                Ok((Some("e"), Some("en-us"))),
            ),
            // A suite name that names no edition: accepted, unconfirmed.
            (
                &sp,
                "2007 Microsoft Office system",
                "12.0.4518.1016",
                0x0407,
                Arch::X86,
                Ok((None, Some("de-de"))),
            ),
            // Neutral language says nothing.
            (
                &sp,
                "Microsoft Office SharePoint Server 2007",
                "12.0.4518.1016",
                0,
                Arch::X64,
                Ok((Some("e"), None)),
            ),
            (
                &sp,
                "Microsoft Exchange Server 2007",
                "8.1.240.6",
                0x0409,
                Arch::X64,
                Err("exchange-2007"),
            ),
            // A name of its own but another version (SharePoint 2010 media).
            (
                &sp,
                "Microsoft SharePoint Server 2010",
                "14.0.4762.1000",
                0x0409,
                Arch::X64,
                Err("14.0"),
            ),
            (
                &ex,
                "Microsoft Exchange Server 2007",
                "8.1.240.6",
                0x0409,
                Arch::X64,
                Ok((Some("e"), Some("en-us"))),
            ),
            // No builds recorded: the name alone.
            (
                &ocs,
                "Office Communications Server 2007 R2",
                "3.5.6907.0",
                0x0409,
                Arch::X64,
                Ok((Some("e"), Some("en-us"))),
            ),
        ];
        for (cat, name, version, lcid, machine, want) in rows {
            let got = identify(
                &exe(name, version, lcid, machine),
                None,
                &[],
                false,
                cat,
                &all,
                false,
            );
            match (got, want) {
                (Ok(id), Ok((edition, lang))) => {
                    assert_eq!(id.edition.as_deref(), edition, "{name}");
                    assert_eq!(id.confirmed, edition.is_some(), "{name}");
                    assert_eq!(id.language.as_ref().map(Lang::as_str), lang, "{name}");
                    assert_eq!(id.arch, Some(machine), "{name}");
                    assert_eq!(id.build, Build::parse(version), "{name}");
                }
                (Err(m), Err(needle)) => assert!(m.to_string().contains(needle), "{name}: {m}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn setup_dll_gives_the_architecture() {
        let sp = catalog("sp", &["SharePoint"], &[]);
        let dll = PeFacts {
            machine: Some(Arch::X64),
            version: None,
            signature: None,
        };
        let id = identify(
            &exe("SharePoint", "12.0.1.0", 0x409, Arch::X86),
            Some(&dll),
            &[],
            false,
            &sp,
            &[],
            false,
        )
        .unwrap();
        assert_eq!(id.arch, Some(Arch::X64));
    }

    /// Issue 19, point 7: a setup.exe with no version resource, or one whose ProductName
    /// names two products, or a name of no edition without a build, was accepted as the
    /// product's media. Refused now, unless `--media-unconfirmed` (then unconfirmed).
    #[test]
    fn regression_media_nothing_confirms_are_refused_unless_unconfirmed_is_given() {
        let sp = catalog(
            "sharepoint-2007",
            &["Office SharePoint Server 2007"],
            &["12.0.6420.1000"],
        );
        let ex = catalog("exchange-2007", &["Exchange Server 2007"], &["8.1.240.6"]);
        let all = [sp.clone(), ex];
        let bare = PeFacts {
            machine: Some(Arch::X86),
            version: None,
            signature: None,
        };
        let two = exe(
            "Office SharePoint Server 2007 and Exchange Server 2007",
            "12.0.4518.1016",
            0x409,
            Arch::X86,
        );
        let no_build = PeFacts {
            version: Some(VersionInfo {
                product_name: Some("Setup".to_owned()),
                ..VersionInfo::default()
            }),
            ..bare.clone()
        };
        // (facts, what the refusal says)
        let cases = [
            (&bare, "no version resource"),
            (&two, "names editions of sharepoint-2007 and exchange-2007"),
            (&no_build, "states no build"),
        ];
        for (facts, says) in cases {
            let refused = identify(facts, None, &[], false, &sp, &all, false).unwrap_err();
            assert!(refused.overridable(), "{refused}");
            assert!(refused.to_string().contains(says), "{refused}");
            assert!(
                refused.to_string().contains("--media-unconfirmed"),
                "{refused}"
            );
            let taken = identify(facts, None, &[], false, &sp, &all, true).unwrap();
            assert!(!taken.confirmed, "{says}");
        }
        // A contradiction is never overridden.
        let other = exe(
            "Microsoft Exchange Server 2007",
            "8.1.240.6",
            0x409,
            Arch::X64,
        );
        let e = identify(&other, None, &[], false, &sp, &all, true).unwrap_err();
        assert!(!e.overridable(), "{e}");
    }
}

#[cfg(test)]
mod range_tests {
    use super::*;
    use crate::formats::pe::VersionInfo;
    use crate::model::Arch;

    fn catalog(id: &str, first: &str, files: &[&str]) -> Catalog {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "id": id, "title": id,
            "components": [{"id": "c", "title": "C", "families": ["f"]}],
            "roles": [{"id": "r", "title": "R", "rollout_rank": 1}],
            "releases": [{"id": "r0", "name": "R", "kind": "cumulative-update",
                          "kb": "", "build": first}],
            "media": {"editions": [{"id": "server", "title": "Server", "product_names": []}],
                      "min_build": first, "required_files": files,
                      "language_pack_files": ["files/setupsilent/config.xml"]}
        }))
        .unwrap()
    }

    fn exe(version: &str) -> PeFacts {
        PeFacts {
            machine: Some(Arch::X64),
            version: Some(VersionInfo {
                product_name: Some("Microsoft SharePoint".to_owned()),
                product_version: Some(version.to_owned()),
                language_id: Some(0x0409),
                ..VersionInfo::default()
            }),
            signature: None,
        }
    }

    /// Three products of version 16.0 told apart by their first builds; the files each
    /// product's media hold.
    #[test]
    fn products_of_one_version_are_told_apart_by_first_build_and_files() {
        let files = ["prerequisiteinstaller.exe"];
        let all = [
            catalog("sp2016", "16.0.4351.1000", &files),
            catalog("sp2019", "16.0.10337.12109", &files),
            catalog("spse", "16.0.14326.20450", &files),
        ];
        let on = ["setup.exe", "PrerequisiteInstaller.exe"];
        // (catalog, setup build) → Ok(edition) or the refusal's text
        for (cat, build, want) in [
            (0, "16.0.4351.1000", Ok("server")),
            (1, "16.0.10337.12109", Ok("server")),
            (2, "16.0.14326.20450", Ok("server")),
            (1, "16.0.4351.1000", Err("which is sp2016")),
            (0, "16.0.10337.12109", Err("which is sp2019")),
            (1, "16.0.14326.20450", Err("which is spse")),
            (
                0,
                "16.0.4200.1000",
                Err("older than the product's first build"),
            ),
        ] {
            let got = identify(&exe(build), None, &on, false, &all[cat], &all, false);
            match (got, want) {
                (Ok(id), Ok(edition)) => {
                    assert_eq!(id.edition.as_deref(), Some(edition));
                    assert!(id.confirmed);
                }
                (Err(m), Err(needle)) => {
                    assert!(m.to_string().contains(needle), "{build}: {m}");
                }
                (got, want) => panic!("{build} as {}: {got:?}, want {want:?}", all[cat].id),
            }
        }
        // A medium without the product's files, and a language pack without its own.
        let m = identify(
            &exe("16.0.4351.1000"),
            None,
            &["setup.exe"],
            false,
            &all[0],
            &all,
            false,
        )
        .unwrap_err();
        assert_eq!(
            m.to_string(),
            "no prerequisiteinstaller.exe on it, which the product's media hold"
        );
        let m = identify(
            &exe("16.0.4351.1000"),
            None,
            &on,
            true,
            &all[0],
            &all,
            false,
        )
        .unwrap_err();
        assert!(
            m.to_string().contains("files/setupsilent/config.xml"),
            "{m}"
        );
        assert!(
            identify(
                &exe("16.0.4351.1000"),
                None,
                &["setup.exe", "Files/SetupSilent/config.xml"],
                true,
                &all[0],
                &all,
                false
            )
            .is_ok()
        );
    }
}
