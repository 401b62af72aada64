//! The rules that compare the inputs with each other and with their releases: supersedence,
//! baselines, and consistency (architectures, global partners, component levels).

use std::collections::BTreeMap;

use super::{Check, Checks};
use crate::catalog::model::{Catalog, Release, ReleaseKind};
use crate::classify::Class;
use crate::findings::{Finding, FindingKind};
use crate::identify::inspect::Item;
use crate::model::{Arch, Build, Kb, Scope};

/// Same family (and language) twice: the lower build is superseded. Same KB twice with
/// different builds: the lower is an earlier release of it.
pub(super) fn supersedence(
    items: &[Item],
    classes: &[Class<'_>],
    checks: &mut [Checks],
    findings: &mut Vec<Finding>,
) {
    // (family, language, service pack?) → items carrying it, with builds. A cumulative update
    // does not supersede the service pack it builds on.
    let mut by_family: BTreeMap<(String, String, bool), Vec<(usize, Build)>> = BTreeMap::new();
    for (i, class) in classes.iter().enumerate() {
        let (true, Some(build), Some(family)) = (class.patch, class.build, class.family.clone())
        else {
            continue;
        };
        let lang = class
            .language
            .as_ref()
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default();
        by_family
            .entry((family, lang, class.service_pack))
            .or_default()
            .push((i, build));
    }
    for ((family, _, _), members) in &by_family {
        let Some(&(top, top_build)) = members.iter().max_by_key(|(i, b)| (*b, usize::MAX - i))
        else {
            continue;
        };
        for &(i, build) in members {
            if build < top_build && checks[i].current != Check::Fail {
                checks[i].current = Check::Fail;
                findings.push(Finding::new(
                    &items[i].origin,
                    FindingKind::Superseded {
                        family: family.clone(),
                        build,
                        by: items[top].origin.to_string(),
                        by_build: top_build,
                    },
                ));
            }
        }
    }
    unified(items, classes, checks, findings);
    // KB re-releases among the inputs.
    let mut by_kb: BTreeMap<Kb, Vec<(usize, Build)>> = BTreeMap::new();
    for (i, (item, class)) in items.iter().zip(classes).enumerate() {
        if item.depth != 0 {
            continue;
        }
        if let (Some(kb), Some(build)) = (class.kb, class.build) {
            by_kb.entry(kb).or_default().push((i, build));
        }
    }
    for (kb, members) in by_kb {
        let Some(&(top, top_build)) = members.iter().max_by_key(|(_, b)| *b) else {
            continue;
        };
        for &(i, build) in &members {
            if build < top_build && checks[i].current != Check::Fail {
                checks[i].current = Check::Fail;
                findings.push(Finding::new(
                    &items[i].origin,
                    FindingKind::KbReReleased {
                        kb,
                        build,
                        by: items[top].origin.to_string(),
                        by_build: top_build,
                    },
                ));
            }
        }
    }
}

/// The catalogs' unified families (Subscription Edition's "uber" patch holds every fix of the
/// `sts` and `wssloc` patches): a patch of a replaced family is superseded by a patch of the
/// unified family of a higher build from the same catalog.
fn unified<'c>(
    items: &[Item],
    classes: &[Class<'c>],
    checks: &mut [Checks],
    findings: &mut Vec<Finding>,
) {
    let catalog_of = |c: &Class<'c>| -> Option<&'c Catalog> {
        c.release
            .or(classes.get(c.input).and_then(|i| i.release))
            .map(|k| k.catalog)
    };
    for (i, class) in classes.iter().enumerate() {
        let (true, Some(build), Some(family), Some(catalog)) =
            (class.patch, class.build, &class.family, catalog_of(class))
        else {
            continue;
        };
        for rule in catalog
            .unified
            .iter()
            .filter(|r| r.replaces.iter().any(|f| f.eq_ignore_ascii_case(family)))
        {
            let by = classes
                .iter()
                .enumerate()
                .filter(|(_, o)| {
                    o.patch
                        && o.family
                            .as_deref()
                            .is_some_and(|f| f.eq_ignore_ascii_case(&rule.family))
                        && catalog_of(o).is_some_and(|c| std::ptr::eq(c, catalog))
                })
                .filter_map(|(j, o)| o.build.map(|b| (j, b)))
                .max_by_key(|&(j, b)| (b, usize::MAX - j));
            if let Some((j, by_build)) = by
                && build < by_build
                && checks[i].current != Check::Fail
            {
                checks[i].current = Check::Fail;
                findings.push(Finding::new(
                    &items[i].origin,
                    FindingKind::Superseded {
                        family: family.clone(),
                        build,
                        by: items[j].origin.to_string(),
                        by_build,
                    },
                ));
            }
        }
    }
}

/// What a release needs installed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Baseline {
    pub build: Build,
    /// The kind of release that provides it (a service pack, or the CU before a hotfix).
    pub provided_by: ReleaseKind,
    /// Stated by the catalog (or the COD rule), as opposed to inferred from the newest
    /// earlier service pack.
    pub stated: bool,
}

/// A release's baseline: the catalog's `requires_build`; for a critical on-demand fix
/// (`.5001`, `.5002`, …) the cumulative update it follows (`.5000`, vendor document 004: "COD
/// releases have the versioning pattern 12.0.xxxx.500X"); for a cumulative update, the newest
/// earlier service pack of the same component ("Microsoft enforces the installation order of
/// service packs").
pub(super) fn baseline_of(catalog: &Catalog, release: &Release) -> Option<Baseline> {
    if let Some(build) = release.requires_build {
        return Some(Baseline {
            build,
            provided_by: ReleaseKind::ServicePack,
            stated: true,
        });
    }
    let b = release.build?;
    let [a, m, n, rev] = b.0;
    // Only a fix released between CUs: a CU itself may carry a .500N build (the August 2009
    // SharePoint CU is 12.0.6514.5002).
    if rev > 5000
        && rev < 6000
        && !matches!(
            release.kind,
            ReleaseKind::ServicePack | ReleaseKind::CumulativeUpdate
        )
    {
        return Some(Baseline {
            build: Build([a, m, n, 5000]),
            provided_by: ReleaseKind::CumulativeUpdate,
            stated: true,
        });
    }
    if release.kind != ReleaseKind::CumulativeUpdate {
        return None;
    }
    catalog
        .releases
        .iter()
        .filter(|r| r.kind == ReleaseKind::ServicePack && r.component == release.component)
        .filter_map(|r| r.build)
        .filter(|sp| sp.major() == b.major() && *sp < b)
        .max()
        .map(|build| Baseline {
            build,
            provided_by: ReleaseKind::ServicePack,
            stated: false,
        })
}

pub(super) fn baselines(
    items: &[Item],
    classes: &[Class<'_>],
    declared: Option<Build>,
    media: Option<&[Build]>,
    findings: &mut Vec<Finding>,
) {
    for (i, (item, class)) in items.iter().zip(classes).enumerate() {
        // A patch already in the media needs nothing: setup applied its baseline before.
        if item.depth != 0 || item.from_media {
            continue;
        }
        let Some(k) = class.release else {
            continue;
        };
        let Some(needed) = baseline_of(k.catalog, k.release) else {
            continue;
        };
        let satisfies = |b: Build| b.major() == needed.build.major() && b >= needed.build;
        // Another input provides it: a release of the providing kind (a later service pack,
        // or the CU or a later one for a hotfix) of the same product.
        let among_inputs = items
            .iter()
            .zip(classes)
            .enumerate()
            .any(|(j, (other, oc))| {
                j != i
                    && other.depth == 0
                    && oc.release.is_some_and(|o| {
                        std::ptr::eq(o.catalog, k.catalog)
                            && (o.release.kind == needed.provided_by
                                || (needed.provided_by == ReleaseKind::CumulativeUpdate
                                    && o.release.kind == ReleaseKind::ServicePack))
                            && o.release.build.is_some_and(satisfies)
                    })
            });
        let by_media = media.is_some_and(|m| m.iter().any(|&b| satisfies(b)));
        if !among_inputs && !declared.is_some_and(satisfies) && !by_media {
            findings.push(Finding::new(
                &item.origin,
                FindingKind::MissingBaseline {
                    release: format!(
                        "{} ({})",
                        k.release.name,
                        k.release.kb.map_or_else(String::new, |kb| kb.to_string())
                    ),
                    requires: needed.build,
                    stated: needed.stated,
                    media: media.map(|m| {
                        m.iter()
                            .filter(|b| b.major() == needed.build.major())
                            .max()
                            .copied()
                            .unwrap_or(Build([0; 4]))
                    }),
                },
            ));
        }
    }
}

pub(super) fn consistency(items: &[Item], classes: &[Class<'_>], findings: &mut Vec<Finding>) {
    architectures(items, classes, findings);
    global_partners(items, classes, findings);
    levels(items, classes, findings);
    language_dependent(items, classes, findings);
}

/// The package a language-dependent rule needs with release `r` of `catalog`: `r`'s own
/// package of stem `partner`, else the newest earlier release's; with the release it was
/// first listed for (a month without one of its own lists the one it carries on).
fn partner_of<'c>(
    catalog: &'c Catalog,
    r: &'c Release,
    partner: &str,
) -> Option<(&'c crate::catalog::ReleaseFile, &'c Release)> {
    let is_partner = |f: &crate::catalog::ReleaseFile| {
        crate::names::package_stem(&f.name).as_deref() == Some(partner)
    };
    let key = |x: &Release| (x.date, x.build);
    let file = r.files.iter().find(|f| is_partner(f)).or_else(|| {
        catalog
            .releases
            .iter()
            .filter(|o| key(o) < key(r))
            .filter(|o| o.files.iter().any(is_partner))
            .max_by_key(|o| key(o))
            .and_then(|o| o.files.iter().find(|f| is_partner(f)))
    })?;
    let kb = r.file_kb(file);
    let first = catalog
        .releases
        .iter()
        .filter(|o| {
            o.files.iter().any(|g| {
                is_partner(g)
                    && (g.name.eq_ignore_ascii_case(&file.name)
                        || (kb.is_some() && o.file_kb(g) == kb))
            })
        })
        .min_by_key(|o| key(o))?;
    Some((file, first))
}

/// The catalogs' language-dependent pairs (SharePoint 2016, 2019: `sts` and `wssloc`): the
/// newest language-independent package among the inputs needs its month's language-dependent
/// package, or, in a month without one, the newest one released before it — said as a
/// finding (`language-dependent-fallback`); a missing one is `language-dependent-missing`.
/// A unified package of a build at least the core's replaces the pair (nothing to say).
fn language_dependent(items: &[Item], classes: &[Class<'_>], findings: &mut Vec<Finding>) {
    let inputs: Vec<(usize, String, crate::classify::Known<'_>)> = items
        .iter()
        .zip(classes)
        .enumerate()
        .filter(|(_, (item, _))| item.depth == 0 && !item.from_media)
        .filter_map(|(i, (item, c))| Some((i, crate::names::package_stem(&item.name)?, c.release?)))
        .collect();
    let mut catalogs: Vec<&Catalog> = inputs.iter().map(|(_, _, k)| k.catalog).collect();
    catalogs.sort_by(|a, b| a.id.cmp(&b.id));
    catalogs.dedup_by(|a, b| a.id == b.id);
    for catalog in catalogs {
        let mine = |stem: &str| -> Vec<(usize, crate::classify::Known<'_>)> {
            inputs
                .iter()
                .filter(|(_, s, k)| {
                    s.eq_ignore_ascii_case(stem) && std::ptr::eq(k.catalog, catalog)
                })
                .map(|(i, _, k)| (*i, *k))
                .collect()
        };
        for rule in &catalog.language_dependent {
            let Some((at, core)) = mine(&rule.core)
                .into_iter()
                .max_by_key(|(i, k)| (k.release.date, k.release.build, usize::MAX - i))
            else {
                continue;
            };
            let replaced = catalog.unified.iter().any(|u| {
                mine(&u.family)
                    .iter()
                    .any(|(_, k)| k.release.build >= core.release.build)
            });
            if replaced {
                continue;
            }
            let Some((file, first)) = partner_of(catalog, core.release, &rule.partner) else {
                continue;
            };
            let kb = core.release.file_kb(file);
            let fallback = (first.date, first.build) < (core.release.date, core.release.build);
            if fallback {
                findings.push(Finding::new(
                    &items[at].origin,
                    FindingKind::LanguageDependentFallback {
                        release: core.release.name.clone(),
                        partner: file.name.clone(),
                        kb,
                        from: first.name.clone(),
                        rule: rule.text.clone(),
                    },
                ));
            }
            let present = mine(&rule.partner).iter().any(|&(i, k)| {
                classes[i].kb.is_some_and(|c| Some(c) == kb)
                    || items[i].name.eq_ignore_ascii_case(&file.name)
                    || (k.release.date, k.release.build) > (first.date, first.build)
            });
            if !present {
                findings.push(Finding::new(
                    &items[at].origin,
                    FindingKind::LanguageDependentMissing {
                        release: core.release.name.clone(),
                        partner: file.name.clone(),
                        kb,
                        from: first.name.clone(),
                    },
                ));
            }
        }
    }
}

/// Architectures of the inputs (as their names say), and the catalogs' own lists.
fn architectures(items: &[Item], classes: &[Class<'_>], findings: &mut Vec<Finding>) {
    let mut archs: Vec<Arch> = items
        .iter()
        .filter(|i| i.depth == 0)
        .filter_map(|i| i.named.arch)
        .filter(|a| *a != Arch::X86X64)
        .collect();
    archs.sort();
    archs.dedup();
    if archs.len() > 1 {
        // Every input whose architecture is not the most common one is flagged.
        let count = |a: Arch| {
            items
                .iter()
                .filter(|i| i.depth == 0 && i.named.arch == Some(a))
                .count()
        };
        let main = archs
            .iter()
            .copied()
            .max_by_key(|a| (count(*a), std::cmp::Reverse(*a)))
            .unwrap_or(Arch::X64);
        for item in items.iter().filter(|i| i.depth == 0) {
            if let Some(a) = item.named.arch
                && a != main
                && a != Arch::X86X64
            {
                findings.push(Finding::new(
                    &item.origin,
                    FindingKind::MixedArchitectures {
                        arch: a,
                        others: vec![main],
                    },
                ));
            }
        }
    }
    for (item, class) in items.iter().zip(classes) {
        let (Some(k), Some(arch)) = (class.release, item.named.arch) else {
            continue;
        };
        let allowed = &k.catalog.architectures;
        if item.depth == 0 && !allowed.is_empty() && !allowed.contains(&arch) && archs.len() <= 1 {
            findings.push(Finding::new(
                &item.origin,
                FindingKind::MixedArchitectures {
                    arch,
                    others: allowed.clone(),
                },
            ));
        }
    }
}

/// Localized patches need the global patch of the same release.
fn global_partners(items: &[Item], classes: &[Class<'_>], findings: &mut Vec<Finding>) {
    for (item, class) in items.iter().zip(classes) {
        if !class.patch || class.scope != Scope::Localized {
            continue;
        }
        // Only where the product splits patches into global and localized ones: a localized
        // family of a catalog component (WSS's wssmui), or, with no catalog, a `mui` family.
        // Exchange rollups, for one, are per language with no global partner.
        let catalog = class
            .release
            .or(classes[class.input].release)
            .map(|k| k.catalog);
        let mine = &class.families;
        // The global families that partner it: the global families of its catalog
        // component; with no catalog, its family without `mui` (`coreservermui` →
        // `coreserver`). `None`: the product has no global/localized split for it.
        let partners: Option<Vec<String>> = match catalog {
            Some(c) => c
                .components
                .iter()
                .find(|comp| {
                    comp.localized_families
                        .iter()
                        .any(|f| mine.iter().any(|g| g.eq_ignore_ascii_case(f)))
                })
                .map(|comp| {
                    comp.families
                        .iter()
                        .filter(|f| {
                            !comp
                                .localized_families
                                .iter()
                                .any(|l| l.eq_ignore_ascii_case(f))
                        })
                        .map(|f| f.to_lowercase())
                        .collect()
                }),
            None => {
                let stems: Vec<String> = mine
                    .iter()
                    .filter_map(|f| f.strip_suffix("mui").map(str::to_owned))
                    .collect();
                (!stems.is_empty()).then_some(stems)
            }
        };
        let (Some(partners), Some(build)) = (partners, class.build) else {
            continue;
        };
        let has_partner = classes.iter().any(|other| {
            other.patch
                && other.scope != Scope::Localized
                && other.build == Some(build)
                && other.families.iter().any(|f| partners.contains(f))
        });
        if !has_partner {
            findings.push(Finding::new(
                &item.origin,
                FindingKind::MissingGlobalPartner {
                    family: class.families.join("+"),
                    build,
                },
            ));
        }
    }
}

/// Components of one product at different levels: cumulative updates of different components
/// from different months.
fn levels(items: &[Item], classes: &[Class<'_>], findings: &mut Vec<Finding>) {
    let cus: Vec<(usize, &Class<'_>)> = classes
        .iter()
        .enumerate()
        .filter(|(i, c)| {
            items[*i].depth == 0
                && c.release.is_some_and(|k| {
                    k.release.kind == ReleaseKind::CumulativeUpdate && k.release.component.is_some()
                })
        })
        .collect();
    let newest = cus
        .iter()
        .filter_map(|(_, c)| c.release.and_then(|k| k.release.date))
        .max();
    for (i, c) in &cus {
        let Some(k) = c.release else {
            continue;
        };
        let (Some(date), Some(newest)) = (k.release.date, newest) else {
            continue;
        };
        if date < newest
            && let Some(other) = cus.iter().filter_map(|(_, o)| o.release).find(|o| {
                o.release.date == Some(newest)
                    && std::ptr::eq(o.catalog, k.catalog)
                    && o.release.component != k.release.component
            })
        {
            findings.push(Finding::new(
                &items[*i].origin,
                FindingKind::LevelMismatch {
                    release: k.release.name.clone(),
                    other: other.release.component.clone().unwrap_or_default(),
                    other_release: other.release.name.clone(),
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baselines_come_from_the_catalog_the_cod_rule_or_the_last_service_pack() {
        let release = |id: &str, kind, build: &str, requires: Option<&str>| Release {
            id: id.into(),
            name: id.into(),
            kind,
            component: Some("wss".into()),
            date: None,
            kb: Some(Kb(975002)),
            build: Build::parse(build),
            requires_build: requires.and_then(Build::parse),
            service_pack_level: None,
            files: vec![],
            patches: vec![],
            notes: vec![],
            withdrawn: None,
        };
        let catalog = Catalog {
            schema_version: 1,
            id: "t".into(),
            title: "t".into(),
            sources: vec![],
            architectures: vec![],
            language_packs: false,
            components: vec![],
            roles: vec![],
            releases: vec![
                release("sp1", ReleaseKind::ServicePack, "12.0.6219.1000", None),
                release("sp2", ReleaseKind::ServicePack, "12.0.6421.1000", None),
                release("sp3", ReleaseKind::ServicePack, "12.0.6606.1000", None),
            ],
            recommended_sequence: vec![],
            quirks: vec![],
            unified: vec![],
            language_dependent: vec![],
            steps: vec![],
            media: None,
            rollout: None,
        };
        let base = |r: &Release| baseline_of(&catalog, r).map(|b| (b.build, b.stated));
        let cod = release("cod", ReleaseKind::Hotfix, "12.0.6327.5002", None);
        assert_eq!(base(&cod), Some((Build([12, 0, 6327, 5000]), true)));
        let cu = release("cu", ReleaseKind::CumulativeUpdate, "12.0.6520.5000", None);
        assert_eq!(base(&cu), Some((Build([12, 0, 6421, 1000]), false)));
        let stated = release(
            "cu",
            ReleaseKind::CumulativeUpdate,
            "12.0.6520.5000",
            Some("12.0.6219.1000"),
        );
        assert_eq!(base(&stated), Some((Build([12, 0, 6219, 1000]), true)));
        let sp = release("sp2", ReleaseKind::ServicePack, "12.0.6421.1000", None);
        assert_eq!(base(&sp), None);
    }
}
