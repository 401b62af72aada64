//! plan: pure — from the identified patches, the product's catalog and the chosen roles and
//! languages, what goes where and in which order for each role.
//!
//! Rules (vendor document 004 and the catalog):
//! - patches are cumulative per family: for each (family, language) only the newest build is
//!   placed; the others are listed as superseded;
//! - a role gets the families of its components; a family some role lists in `role_families`
//!   (or that a release's role table assigns) goes only to the roles that list it;
//! - global patches always; localized ones for the chosen languages; where the product uses
//!   language packs, localized patches of languages other than the base language go to
//!   `LanguagePacks/<culture>/Updates/`;
//! - install order: service packs before cumulative updates (the vendor's recommended
//!   sequence WSS SP2 → MOSS SP2 → WSS CU → MOSS CU), then components in catalog order (WSS
//!   before MOSS), global before localized, then build and name;
//! - setup quirks (a WSS `wsssetup.dll` must not stay in a MOSS source's `Updates`);
//! - two placed files with the same name in one folder are both kept, renamed
//!   `NN-<name>` by install order (never one overwriting the other).

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::model::{Catalog, Role};
use crate::extract::safe_path::SafePath;
use crate::identify::inspect::{Item, input_of, is_service_pack};
use crate::model::{Build, Lang, Scope};

/// What to build.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Role ids; empty means every role of the product.
    pub roles: Vec<String>,
    /// Languages; empty means every language present in the inputs. The first is the base
    /// language (see [`base_language`]).
    pub languages: Vec<Lang>,
}

/// Why the plan cannot be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("product {product} has no role {role:?} (roles: {known})")]
    UnknownRole {
        product: String,
        role: String,
        known: String,
    },
    #[error("no patch among the inputs: nothing to place")]
    NoPatches,
    #[error("role id {role:?} of product {product} cannot be a folder name ({reason})")]
    UnsafeRole {
        product: String,
        role: String,
        reason: crate::extract::safe_path::PathRefusal,
    },
}

/// Checks the requested roles against the catalog (before any input is read): each must
/// exist, and every role id must be usable as a folder name.
pub fn check_roles(catalog: &Catalog, request: &Request) -> Result<(), PlanError> {
    for role in &catalog.roles {
        SafePath::component(&role.id).map_err(|reason| PlanError::UnsafeRole {
            product: catalog.id.clone(),
            role: role.id.clone(),
            reason,
        })?;
    }
    for id in &request.roles {
        if !catalog.roles.iter().any(|r| r.id.eq_ignore_ascii_case(id)) {
            return Err(PlanError::UnknownRole {
                product: catalog.id.clone(),
                role: id.clone(),
                known: catalog
                    .roles
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
    }
    Ok(())
}

/// One file placed in a role's folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// Index into the inspection's items.
    pub item: usize,
    /// Relative to OUT, `/`-separated: `<role>/Updates/sts-x-none.msp`.
    pub file: String,
    /// `None` for a companion file (setup controller, …).
    pub family: Option<String>,
    pub scope: Scope,
    pub language: Option<Lang>,
    pub build: Option<Build>,
    /// Install order within the role, from 1; `None` for companion files.
    pub order: Option<u32>,
}

/// A role's part of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct RolePlan {
    pub role: Role,
    pub placed: Vec<Placed>,
    /// The catalog's post-install steps that concern this role, in order.
    pub steps: Vec<String>,
}

/// A patch left out because a newer build of its family (and language) is placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Superseded {
    pub item: usize,
    pub family: String,
    pub build: Option<Build>,
    /// The item placed instead.
    pub by: usize,
}

/// Something the plan left out or changed, other than supersedence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A localized patch of a language that was not chosen.
    LanguageNotChosen { item: usize, language: Lang },
    /// A family no catalog component declares: placed in every role.
    UnknownFamily { item: usize, family: String },
    /// A setup quirk removed a file from a role.
    QuirkApplied {
        role: String,
        quirk: String,
        file: String,
    },
    /// The same bytes twice (the same patch in two packages): placed once.
    Duplicate { item: usize, of: usize },
    /// A file whose name cannot be a file name in OUT (`..`, a reserved device name, …): not
    /// placed. The path checker refuses it as extraction would.
    UnsafeName {
        item: usize,
        reason: crate::extract::safe_path::PathRefusal,
    },
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// In rollout order.
    pub roles: Vec<RolePlan>,
    pub superseded: Vec<Superseded>,
    pub notes: Vec<Note>,
    pub languages: Vec<Lang>,
    pub base_language: Option<Lang>,
}

/// The base language: the first chosen one; else `en-us` when present; else the first in
/// alphabetical order.
pub fn base_language(chosen: &[Lang], present: &BTreeSet<Lang>) -> Option<Lang> {
    if let Some(first) = chosen.first() {
        return Some(first.clone());
    }
    present
        .iter()
        .find(|l| l.as_str() == "en-us")
        .or_else(|| present.iter().next())
        .cloned()
}

/// Where a package's files go for a role: `Updates/` or a language pack's.
fn folder(catalog: &Catalog, base: Option<&Lang>, language: Option<&Lang>) -> String {
    match language {
        Some(lang) if catalog.language_packs && Some(lang) != base => {
            format!("LanguagePacks/{lang}/Updates")
        }
        _ => "Updates".to_owned(),
    }
}

/// Makes the plan.
pub fn plan(items: &[Item], catalog: &Catalog, request: &Request) -> Result<Plan, PlanError> {
    check_roles(catalog, request)?;
    // --- roles, in rollout order ----------------------------------------------------------
    let mut roles: Vec<&Role> = if request.roles.is_empty() {
        catalog.roles.iter().collect()
    } else {
        let mut chosen = Vec::new();
        for id in &request.roles {
            let role = catalog
                .roles
                .iter()
                .find(|r| r.id.eq_ignore_ascii_case(id))
                .ok_or_else(|| PlanError::UnknownRole {
                    product: catalog.id.clone(),
                    role: id.clone(),
                    known: catalog
                        .roles
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            if !chosen.iter().any(|r: &&Role| r.id == role.id) {
                chosen.push(role);
            }
        }
        chosen
    };
    roles.sort_by(|a, b| (a.rollout_rank, &a.id).cmp(&(b.rollout_rank, &b.id)));

    // --- patches and their facts -------------------------------------------------------------
    let patches: Vec<usize> = (0..items.len())
        .filter(|&i| items[i].is_patch() && items[i].stored.is_some())
        .collect();
    if patches.is_empty() {
        return Err(PlanError::NoPatches);
    }
    let language_of = |i: usize| -> Option<Lang> {
        (items[i].named.scope == Scope::Localized)
            .then(|| items[i].named.language.clone())
            .flatten()
    };
    let present: BTreeSet<Lang> = patches.iter().filter_map(|&i| language_of(i)).collect();
    let languages: Vec<Lang> = if request.languages.is_empty() {
        present.iter().cloned().collect()
    } else {
        request.languages.clone()
    };
    let base = base_language(&request.languages, &present);
    let mut notes = Vec::new();

    // --- newest build per (family, language) -------------------------------------------------
    // Service packs and updates are separate lines: a CU does not supersede the service pack
    // it builds on.
    let mut groups: BTreeMap<(String, Option<Lang>, bool), Vec<usize>> = BTreeMap::new();
    for &i in &patches {
        let lang = language_of(i);
        if let Some(l) = &lang
            && !languages.contains(l)
        {
            notes.push(Note::LanguageNotChosen {
                item: i,
                language: l.clone(),
            });
            continue;
        }
        let family = items[i]
            .family()
            .unwrap_or_else(|| items[i].name.to_lowercase());
        groups
            .entry((family, lang, is_service_pack(items, i)))
            .or_default()
            .push(i);
    }
    let mut chosen: Vec<(usize, String)> = Vec::new();
    let mut superseded = Vec::new();
    for ((family, _, _), members) in &groups {
        // Newest build; among equals, the first given (input order).
        let Some(&top) = members
            .iter()
            .max_by(|&&a, &&b| items[a].build().cmp(&items[b].build()).then(b.cmp(&a)))
        else {
            continue;
        };
        let top_build = items[top].build();
        for &m in members {
            if m == top {
                continue;
            }
            if items[m].build() == top_build {
                if items[m].sha256 == items[top].sha256 {
                    notes.push(Note::Duplicate { item: m, of: top });
                } else {
                    // Same family and build, other bytes: both must be applied.
                    chosen.push((m, family.clone()));
                }
            } else {
                superseded.push(Superseded {
                    item: m,
                    family: family.clone(),
                    build: items[m].build(),
                    by: top,
                });
            }
        }
        chosen.push((top, family.clone()));
    }

    // --- families → components and roles ---------------------------------------------------
    let component_of = |family: &str| -> Option<usize> {
        catalog
            .components
            .iter()
            .position(|c| c.families.iter().any(|f| f.eq_ignore_ascii_case(family)))
    };
    let mut family_roles: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for role in &catalog.roles {
        for f in &role.role_families {
            family_roles
                .entry(f.to_lowercase())
                .or_default()
                .insert(role.id.clone());
        }
    }
    for release in &catalog.releases {
        for p in release.patches.iter().filter(|p| !p.roles.is_empty()) {
            family_roles
                .entry(p.family.to_lowercase())
                .or_default()
                .extend(p.roles.iter().cloned());
        }
    }
    for (i, family) in &chosen {
        if component_of(family).is_none() {
            notes.push(Note::UnknownFamily {
                item: *i,
                family: family.clone(),
            });
        }
    }

    // --- per role ----------------------------------------------------------------------------
    let mut role_plans = Vec::new();
    for role in roles {
        let applies = |family: &str| -> bool {
            if let Some(only) = family_roles.get(&family.to_lowercase()) {
                return only.contains(&role.id);
            }
            match component_of(family) {
                Some(c) => {
                    role.components.is_empty()
                        || role
                            .components
                            .iter()
                            .any(|id| id == &catalog.components[c].id)
                }
                None => true,
            }
        };
        let mut placed: Vec<Placed> = chosen
            .iter()
            .filter(|(_, family)| applies(family))
            .map(|(i, family)| Placed {
                item: *i,
                file: String::new(),
                family: Some(family.clone()),
                scope: items[*i].named.scope,
                language: language_of(*i),
                build: items[*i].build(),
                order: None,
            })
            .collect();
        // Install order.
        let kind_rank = |item: usize| u8::from(!is_service_pack(items, item));
        // Service packs before cumulative updates across components (the vendor's sequence:
        // WSS SP2 → MOSS SP2 → WSS CU → MOSS CU), then component order, global first.
        placed.sort_by_key(|p| {
            let family = p.family.clone().unwrap_or_default();
            (
                kind_rank(p.item),
                component_of(&family).unwrap_or(usize::MAX),
                p.scope == Scope::Localized,
                p.build,
                family,
                items[p.item].name.to_lowercase(),
                p.item,
            )
        });
        for (n, p) in placed.iter_mut().enumerate() {
            p.order = u32::try_from(n + 1).ok();
        }
        // Companion files of the packages that contributed a patch.
        let inputs: BTreeSet<usize> = placed.iter().map(|p| input_of(items, p.item)).collect();
        let components: BTreeSet<String> = placed
            .iter()
            .filter_map(|p| p.family.as_deref().and_then(component_of))
            .map(|c| catalog.components[c].id.clone())
            .collect();
        let mut companions: Vec<Placed> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if !item.companion || item.stored.is_none() || !inputs.contains(&input_of(items, i)) {
                continue;
            }
            let removed = catalog.quirks.iter().find(|q| {
                q.remove_file
                    .as_deref()
                    .is_some_and(|f| f.eq_ignore_ascii_case(&item.name))
                    && q.when_component
                        .as_ref()
                        .is_none_or(|c| components.contains(c))
            });
            if let Some(q) = removed {
                notes.push(Note::QuirkApplied {
                    role: role.id.clone(),
                    quirk: q.id.clone(),
                    file: item.name.clone(),
                });
                continue;
            }
            let package = &items[input_of(items, i)].named;
            let language = (package.scope == Scope::Localized)
                .then(|| package.language.clone())
                .flatten();
            if language.as_ref().is_some_and(|l| !languages.contains(l)) {
                continue;
            }
            companions.push(Placed {
                item: i,
                file: String::new(),
                family: None,
                scope: package.scope,
                language,
                build: None,
                order: None,
            });
        }
        placed.extend(companions);
        // Every name goes through the one path checker before it becomes a file in OUT.
        placed.retain(|p| match SafePath::component(&items[p.item].name) {
            Ok(_) => true,
            Err(reason) => {
                if !notes
                    .iter()
                    .any(|n| matches!(n, Note::UnsafeName { item, .. } if *item == p.item))
                {
                    notes.push(Note::UnsafeName {
                        item: p.item,
                        reason,
                    });
                }
                false
            }
        });
        // Folders and names; colliding names are kept apart by order.
        for p in &mut placed {
            p.file = format!(
                "{}/{}",
                role.id,
                folder(catalog, base.as_ref(), p.language.as_ref())
            );
        }
        let mut by_name: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for (k, p) in placed.iter().enumerate() {
            by_name
                .entry((p.file.clone(), items[p.item].name.to_lowercase()))
                .or_default()
                .push(k);
        }
        let mut finals = vec![String::new(); placed.len()];
        // Every final name is unique in its folder, compared case-insensitively (a renamed
        // `NN-name` could meet a file really called so): on a clash the number goes up.
        let mut taken: BTreeSet<String> = by_name
            .iter()
            .filter(|(_, ks)| ks.len() == 1)
            .map(|((dir, name), _)| format!("{dir}/{name}").to_lowercase())
            .collect();
        for ((dir, _), ks) in &by_name {
            for &k in ks {
                let name = &items[placed[k].item].name;
                finals[k] = if ks.len() > 1 {
                    let mut n = placed[k].order.unwrap_or(u32::try_from(k + 1).unwrap_or(0));
                    loop {
                        let candidate = format!("{dir}/{n:02}-{name}");
                        if taken.insert(candidate.to_lowercase()) {
                            break candidate;
                        }
                        n += 1;
                    }
                } else {
                    format!("{dir}/{name}")
                };
            }
        }
        for (p, f) in placed.iter_mut().zip(finals) {
            p.file = f;
        }
        let steps = catalog
            .steps
            .iter()
            .filter(|s| s.role_order.is_empty() || s.role_order.iter().any(|r| r == &role.id))
            .map(|s| s.text.clone())
            .collect();
        role_plans.push(RolePlan {
            role: role.clone(),
            placed,
            steps,
        });
    }
    Ok(Plan {
        roles: role_plans,
        superseded,
        notes,
        languages,
        base_language: base,
    })
}
