//! The newest build of each patch family: patches are cumulative, so for each (family,
//! language, service pack or update) only the newest build is placed; the others are
//! superseded (vendor document 004: "a higher build of a family supersedes a lower one");
//! a family the catalog calls unified ([`Catalog::unified`]) supersedes the families it
//! replaces where their builds are lower.

use std::collections::BTreeMap;

use super::Superseded;
use crate::catalog::model::Catalog;
use crate::classify::Class;
use crate::findings::{Finding, FindingKind};
use crate::identify::inspect::Item;
use crate::model::Lang;

/// The patches chosen, each with its family, and the ones left out.
#[derive(Debug, Default)]
pub(super) struct Newest {
    /// (item, family), by family.
    pub chosen: Vec<(usize, String)>,
    pub superseded: Vec<Superseded>,
}

/// Picks the newest build of every (family, language, line) among `patches`; localized
/// patches of languages not in `languages` are left out with a finding.
pub(super) fn newest(
    items: &[Item],
    classes: &[Class<'_>],
    catalog: &Catalog,
    patches: &[usize],
    languages: &[Lang],
    findings: &mut Vec<Finding>,
) -> Newest {
    // Service packs and updates are separate lines: a CU does not supersede the service pack
    // it builds on.
    let mut groups: BTreeMap<(String, Option<Lang>, bool), Vec<usize>> = BTreeMap::new();
    for &i in patches {
        let class = &classes[i];
        if let Some(l) = &class.language
            && !languages.iter().any(|c| c.agrees_with(l))
        {
            findings.push(Finding::new(
                &items[i].origin,
                FindingKind::LanguageNotChosen {
                    language: l.clone(),
                },
            ));
            continue;
        }
        let family = class
            .family
            .clone()
            .unwrap_or_else(|| items[i].name.to_lowercase());
        groups
            .entry((family, class.language.clone(), class.service_pack))
            .or_default()
            .push(i);
    }
    let mut out = Newest::default();
    for ((family, _, _), members) in &groups {
        // Newest build; among equals, the first given (input order).
        let Some(&top) = members
            .iter()
            .max_by(|&&a, &&b| classes[a].build.cmp(&classes[b].build).then(b.cmp(&a)))
        else {
            continue;
        };
        let top_build = classes[top].build;
        for &m in members {
            if m == top {
                continue;
            }
            if classes[m].build == top_build {
                if items[m].sha256 == items[top].sha256 {
                    findings.push(Finding::new(
                        &items[m].origin,
                        FindingKind::DuplicatePatch {
                            of: items[top].origin.to_string(),
                        },
                    ));
                } else {
                    // Same family and build, other bytes: both must be applied.
                    out.chosen.push((m, family.clone()));
                }
            } else {
                out.superseded.push(Superseded {
                    item: m,
                    family: family.clone(),
                    build: classes[m].build,
                    by: top,
                });
            }
        }
        out.chosen.push((top, family.clone()));
    }
    unified(classes, catalog, &mut out);
    for (i, family) in &out.chosen {
        if classes[*i].component.is_none() {
            findings.push(Finding::new(
                &items[*i].origin,
                FindingKind::UnknownFamily {
                    family: family.clone(),
                },
            ));
        }
    }
    out
}

/// The catalog's unified families: a chosen patch of a family that another chosen patch's
/// family replaces, at a lower build, is superseded by the newest such patch.
fn unified(classes: &[Class<'_>], catalog: &Catalog, out: &mut Newest) {
    for rule in &catalog.unified {
        let Some((by, by_build)) = out
            .chosen
            .iter()
            .filter(|(_, f)| f.eq_ignore_ascii_case(&rule.family))
            .filter_map(|&(i, _)| classes[i].build.map(|b| (i, b)))
            .max_by_key(|&(i, b)| (b, usize::MAX - i))
        else {
            continue;
        };
        let (gone, kept): (Vec<_>, Vec<_>) = out.chosen.drain(..).partition(|(i, f)| {
            rule.replaces.iter().any(|r| r.eq_ignore_ascii_case(f))
                && classes[*i].build.is_some_and(|b| b < by_build)
        });
        out.chosen = kept;
        for (item, family) in gone {
            out.superseded.push(Superseded {
                item,
                family,
                build: classes[item].build,
                by,
            });
        }
    }
}
