//! The downloaded packages an existing server runs (`packages/` in OUT): where the catalog's
//! rollout installs packages rather than the patches taken out of them (SharePoint 2007: an
//! individual patch starts the upgrade on its own, the package suppresses it — "Deploy
//! software updates for Office SharePoint Server 2007", Microsoft TechNet cc263467, section
//! "Packages and patches"), every download whose patches a role holds is carried once, in the
//! install order of the first patch it gave.

use std::collections::{BTreeMap, BTreeSet};

use super::RolePlan;
use crate::catalog::model::Catalog;
use crate::catalog::rollout::Installs;
use crate::identify::inspect::Item;
use crate::model::manifest::PlacedKind;
use crate::safe_path::SafePath;

/// OUT's folder of packages.
pub const PACKAGES: &str = "packages";

/// One package carried into OUT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedPackage {
    /// The input (depth 0) item.
    pub item: usize,
    /// Relative to OUT: `packages/<file name>`.
    pub file: String,
    /// The roles whose patches came from it, in rollout order.
    pub roles: Vec<String>,
    /// Install order among the packages, from 1: the order of the first patch it gave.
    pub order: u32,
}

/// The input each item was found in: the nearest item of depth 0 at or before it (items are
/// in pre-order, each input followed by what it holds).
fn inputs_of(items: &[Item]) -> Vec<usize> {
    let mut current = 0;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            if item.depth == 0 {
                current = i;
            }
            current
        })
        .collect()
}

/// The packages to carry: none unless the catalog's rollout installs packages.
pub fn packages(items: &[Item], catalog: &Catalog, roles: &[RolePlan]) -> Vec<PlannedPackage> {
    let wanted = catalog
        .rollout
        .as_ref()
        .is_some_and(|r| r.installers.iter().any(|i| i.installs == Installs::Package));
    if !wanted {
        return Vec::new();
    }
    let input_of = inputs_of(items);
    // input item → (first order, roles)
    let mut found: BTreeMap<usize, (u32, BTreeSet<usize>)> = BTreeMap::new();
    for (r, role) in roles.iter().enumerate() {
        for p in role.placed.iter().filter(|p| p.kind == PlacedKind::Patch) {
            let input = input_of[p.item];
            // A patch downloaded on its own, or one already on the setup media, has no
            // package to run.
            if input == p.item || items[input].from_media {
                continue;
            }
            let entry = found.entry(input).or_insert((u32::MAX, BTreeSet::new()));
            entry.0 = entry.0.min(p.order.unwrap_or(u32::MAX));
            entry.1.insert(r);
        }
    }
    let mut list: Vec<(u32, String, usize, BTreeSet<usize>)> = found
        .into_iter()
        .map(|(item, (order, rs))| (order, items[item].name.clone(), item, rs))
        .collect();
    list.sort();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    list.into_iter()
        .enumerate()
        .map(|(n, (_, name, item, rs))| {
            // An input's file name passed the scan but may not be a portable one (a name with
            // a backslash on Linux): such a package is carried under a neutral name, keeping
            // its extension so that it still runs. Two inputs of one name (from two folders)
            // get a number, as placed files do.
            let base = if SafePath::component(&name).is_ok() {
                name.clone()
            } else {
                let ext = name
                    .rsplit_once('.')
                    .map(|(_, e)| e)
                    .filter(|e| e.len() <= 4 && e.chars().all(|c| c.is_ascii_alphanumeric()));
                format!(
                    "package-{:04}{}",
                    n + 1,
                    ext.map_or(String::new(), |e| format!(".{e}"))
                )
            };
            let mut file_name = base.clone();
            let mut k = 2;
            while !taken.insert(SafePath::key_of(&file_name)) {
                file_name = format!("{k:02}-{base}");
                k += 1;
            }
            PlannedPackage {
                item,
                file: format!("{PACKAGES}/{file_name}"),
                roles: rs.into_iter().map(|r| roles[r].role.id.clone()).collect(),
                order: u32::try_from(n + 1).unwrap_or(u32::MAX),
            }
        })
        .collect()
}
