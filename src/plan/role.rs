//! One role's part of the plan: the chosen patches the role gets, in install order, the
//! companion files of their packages (less what a setup quirk removes), every name checked
//! by the one path checker, folders and collision-free names, and the role's steps.

use std::collections::{BTreeMap, BTreeSet};

use super::{Placed, RolePlan};
use crate::catalog::model::{Catalog, Role};
use crate::classify::Class;
use crate::findings::{Finding, FindingKind};
use crate::identify::inspect::Item;
use crate::model::manifest::PlacedKind;
use crate::model::{Lang, Scope};
use crate::safe_path::SafePath;

/// What every role's plan is made from.
pub(super) struct Context<'a, 'c> {
    pub items: &'a [Item],
    pub classes: &'a [Class<'c>],
    pub catalog: &'a Catalog,
    pub languages: &'a [Lang],
    pub base: Option<&'a Lang>,
    /// The newest patches, with their family.
    pub chosen: &'a [(usize, String)],
    /// Role-relative paths the setup media take (lower-case).
    pub reserved: &'a BTreeSet<String>,
}

/// Where a package's files go for a role: `Updates/` or a language pack's.
fn folder(catalog: &Catalog, base: Option<&Lang>, language: Option<&Lang>) -> String {
    match language {
        Some(lang) if catalog.language_packs && !base.is_some_and(|b| b.agrees_with(lang)) => {
            format!("LanguagePacks/{lang}/Updates")
        }
        _ => "Updates".to_owned(),
    }
}

/// The plan of one role; its findings (quirks applied, refused names) go to `findings`.
pub(super) fn plan_role(
    ctx: &Context<'_, '_>,
    role: &Role,
    findings: &mut Vec<Finding>,
) -> RolePlan {
    let (items, classes) = (ctx.items, ctx.classes);
    let mut placed: Vec<Placed> = ctx
        .chosen
        .iter()
        .filter(|(i, _)| classes[*i].roles.contains(&role.id))
        .map(|(i, family)| Placed {
            item: *i,
            kind: PlacedKind::Patch,
            file: String::new(),
            family: Some(family.clone()),
            scope: classes[*i].scope,
            language: classes[*i].language.clone(),
            build: classes[*i].build,
            order: None,
        })
        .collect();
    // Service packs before cumulative updates across components (the vendor's sequence:
    // WSS SP2 → MOSS SP2 → WSS CU → MOSS CU), then component order, global first.
    placed.sort_by_key(|p| {
        let class = &classes[p.item];
        (
            !class.service_pack,
            class.component.map_or(usize::MAX, |c| c.rank),
            p.scope == Scope::Localized,
            p.build,
            p.family.clone().unwrap_or_default(),
            items[p.item].name.to_lowercase(),
            p.item,
        )
    });
    for (n, p) in placed.iter_mut().enumerate() {
        p.order = u32::try_from(n + 1).ok();
    }
    let companions = companions(ctx, role, &placed, findings);
    placed.extend(companions);
    placed.extend(whole_downloads(ctx, role));
    // Every name goes through the one path checker before it becomes a file in OUT.
    placed.retain(|p| match SafePath::component(&items[p.item].name) {
        Ok(_) => true,
        Err(reason) => {
            let origin = &items[p.item].origin;
            let reported = findings.iter().any(|f| {
                f.origin == *origin && matches!(f.kind, FindingKind::UnsafeFileName { .. })
            });
            if !reported {
                findings.push(Finding::new(
                    origin,
                    FindingKind::UnsafeFileName {
                        name: items[p.item].name.clone(),
                        reason,
                    },
                ));
            }
            false
        }
    });
    name_files(ctx, role, &mut placed);
    let steps = ctx
        .catalog
        .steps
        .iter()
        .filter(|s| s.role_order.is_empty() || s.role_order.iter().any(|r| r == &role.id))
        .map(|s| s.text.clone())
        .collect();
    RolePlan {
        role: role.clone(),
        placed,
        steps,
    }
}

/// The companion files (setup controllers) of the packages that contributed a patch, less
/// those a setup quirk removes for this role.
fn companions(
    ctx: &Context<'_, '_>,
    role: &Role,
    placed: &[Placed],
    findings: &mut Vec<Finding>,
) -> Vec<Placed> {
    let (items, classes) = (ctx.items, ctx.classes);
    let inputs: BTreeSet<usize> = placed.iter().map(|p| classes[p.item].input).collect();
    let components: BTreeSet<&str> = placed
        .iter()
        .filter_map(|p| classes[p.item].component)
        .map(|c| c.component.id.as_str())
        .collect();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if !item.companion || item.stored.is_none() || !inputs.contains(&classes[i].input) {
            continue;
        }
        let removed = ctx.catalog.quirks.iter().find(|q| {
            q.remove_file
                .as_deref()
                .is_some_and(|f| f.eq_ignore_ascii_case(&item.name))
                && q.when_component
                    .as_deref()
                    .is_none_or(|c| components.contains(c))
        });
        if let Some(q) = removed {
            findings.push(Finding::new(
                &item.origin,
                FindingKind::QuirkApplied {
                    quirk: q.id.clone(),
                    file: item.name.clone(),
                    role: role.id.clone(),
                },
            ));
            continue;
        }
        let package = &classes[classes[i].input];
        let language = package.language.clone();
        if language
            .as_ref()
            .is_some_and(|l| !ctx.languages.contains(l))
        {
            continue;
        }
        out.push(Placed {
            item: i,
            kind: PlacedKind::Companion,
            file: String::new(),
            family: None,
            scope: package.scope,
            language,
            build: None,
            order: None,
        });
    }
    out
}

/// The downloads the catalog asks to place whole in a role (`place_file` quirks: OCS's
/// Cumulative Server Update Installer, run on every server; its pools' database update, with
/// the front ends).
fn whole_downloads(ctx: &Context<'_, '_>, role: &Role) -> Vec<Placed> {
    let (items, classes) = (ctx.items, ctx.classes);
    items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.depth == 0 && item.stored.is_some())
        .filter(|(_, item)| {
            ctx.catalog.quirks.iter().any(|q| {
                q.place_file
                    .as_deref()
                    .is_some_and(|f| f.eq_ignore_ascii_case(&item.name))
                    && (q.roles.is_empty() || q.roles.contains(&role.id))
            })
        })
        .map(|(i, _)| Placed {
            item: i,
            kind: PlacedKind::Package,
            file: String::new(),
            family: None,
            scope: classes[i].scope,
            language: classes[i].language.clone(),
            build: classes[i].build,
            order: None,
        })
        .collect()
}

/// Where the product maps patches to roles (a role table, role families), a chosen patch the
/// mapping does not name goes to every role: a finding says so, with the products it targets
/// (Windows Installer applies it only where one of them is installed).
pub(super) fn unmapped_patches(
    ctx: &Context<'_, '_>,
    chosen: &[(usize, String)],
    findings: &mut Vec<Finding>,
) {
    let catalog = ctx.catalog;
    let mapped: Vec<&str> = catalog
        .releases
        .iter()
        .flat_map(|r| r.patches.iter())
        .filter(|p| !p.roles.is_empty())
        .map(|p| p.family.as_str())
        .chain(
            catalog
                .roles
                .iter()
                .flat_map(|r| r.role_families.iter().map(String::as_str)),
        )
        .collect();
    if mapped.is_empty() || catalog.roles.len() < 2 {
        return;
    }
    for (i, family) in chosen {
        if mapped.iter().any(|m| m.eq_ignore_ascii_case(family)) {
            continue;
        }
        let targets = ctx.items[*i]
            .package
            .as_ref()
            .and_then(|p| p.patch.as_ref())
            .map(|p| p.targets.clone())
            .unwrap_or_default();
        findings.push(Finding::new(
            &ctx.items[*i].origin,
            FindingKind::EveryRole {
                family: family.clone(),
                targets,
            },
        ));
    }
}

/// Gives every placed file its path: `<role>/<folder>/<name>`; names that collide in a folder
/// (compared case-insensitively) become `NN-<name>` by install order, never overwriting.
fn name_files(ctx: &Context<'_, '_>, role: &Role, placed: &mut [Placed]) {
    let items = ctx.items;
    for p in placed.iter_mut() {
        p.file = format!(
            "{}/{}",
            role.id,
            folder(ctx.catalog, ctx.base, p.language.as_ref())
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
    // A media file's path is taken too (the media are merged into the role folder).
    let media_has = |path: &str| {
        path.split_once('/')
            .is_some_and(|(_, rel)| ctx.reserved.contains(&rel.to_lowercase()))
    };
    let mut taken: BTreeSet<String> = ctx
        .reserved
        .iter()
        .map(|r| format!("{}/{r}", role.id).to_lowercase())
        .collect();
    taken.extend(
        by_name
            .iter()
            .filter(|((dir, name), ks)| ks.len() == 1 && !media_has(&format!("{dir}/{name}")))
            .map(|((dir, name), _)| format!("{dir}/{name}").to_lowercase()),
    );
    for ((dir, _), ks) in &by_name {
        for &k in ks {
            let name = &items[placed[k].item].name;
            finals[k] = if ks.len() > 1 || media_has(&format!("{dir}/{name}")) {
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
}
