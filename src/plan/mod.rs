//! plan: pure — from the identified and classified patches, the product's catalog and the
//! chosen roles and languages, what goes where and in which order for each role, with the
//! findings of what was left out or changed.
//!
//! Rules (vendor document 004 and the catalog):
//! - patches are cumulative per family: for each (family, language) only the newest build is
//!   placed; the others are listed as superseded ([`newest`]);
//! - a role gets the patches `classify` assigned to it (role tables, role families,
//!   components);
//! - global patches always; localized ones for the chosen languages; where the product uses
//!   language packs, localized patches of languages other than the base language go to
//!   `LanguagePacks/<culture>/Updates/`;
//! - install order: service packs before cumulative updates (the vendor's recommended
//!   sequence WSS SP2 → MOSS SP2 → WSS CU → MOSS CU), then components in catalog order (WSS
//!   before MOSS), global before localized, then build and name ([`role`]);
//! - setup quirks (a WSS `wsssetup.dll` must not stay in a MOSS source's `Updates`);
//! - two placed files with the same name in one folder are both kept, renamed
//!   `NN-<name>` by install order (never one overwriting the other).

mod newest;
mod role;

use std::collections::BTreeSet;

use crate::catalog::model::{Catalog, Role};
use crate::classify::Class;
use crate::extract::safe_path::SafePath;
use crate::findings::Finding;
use crate::identify::inspect::Item;
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

impl PlanError {
    /// The stable code for `--json`.
    pub fn code(&self) -> &'static str {
        match self {
            PlanError::UnknownRole { .. } => "unknown-role",
            PlanError::NoPatches => "no-patches",
            PlanError::UnsafeRole { .. } => "unsafe-role",
        }
    }
}

/// The roles of a request, in rollout order, checked against the catalog (before any input is
/// read): each must exist, and every role id must be usable as a folder name.
pub fn roles<'c>(catalog: &'c Catalog, request: &Request) -> Result<Vec<&'c Role>, PlanError> {
    for role in &catalog.roles {
        SafePath::component(&role.id).map_err(|reason| PlanError::UnsafeRole {
            product: catalog.id.clone(),
            role: role.id.clone(),
            reason,
        })?;
    }
    let mut chosen: Vec<&Role> = Vec::new();
    if request.roles.is_empty() {
        chosen.extend(&catalog.roles);
    }
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
        if !chosen.iter().any(|r| r.id == role.id) {
            chosen.push(role);
        }
    }
    chosen.sort_by(|a, b| (a.rollout_rank, &a.id).cmp(&(b.rollout_rank, &b.id)));
    Ok(chosen)
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

/// The whole plan.
#[derive(Clone, Debug)]
pub struct Plan {
    /// In rollout order.
    pub roles: Vec<RolePlan>,
    pub superseded: Vec<Superseded>,
    /// What the plan left out or changed, other than supersedence.
    pub findings: Vec<Finding>,
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

/// Makes the plan for the items `classes` describe.
pub fn plan(
    items: &[Item],
    classes: &[Class<'_>],
    catalog: &Catalog,
    request: &Request,
) -> Result<Plan, PlanError> {
    let roles = roles(catalog, request)?;
    let patches: Vec<usize> = (0..items.len())
        .filter(|&i| classes[i].patch && items[i].stored.is_some())
        .collect();
    if patches.is_empty() {
        return Err(PlanError::NoPatches);
    }
    let present: BTreeSet<Lang> = patches
        .iter()
        .filter_map(|&i| classes[i].language.clone())
        .collect();
    let languages: Vec<Lang> = if request.languages.is_empty() {
        present.iter().cloned().collect()
    } else {
        request.languages.clone()
    };
    let base = base_language(&request.languages, &present);
    let mut findings = Vec::new();
    let newest = newest::newest(items, classes, &patches, &languages, &mut findings);
    let ctx = role::Context {
        items,
        classes,
        catalog,
        languages: &languages,
        base: base.as_ref(),
        chosen: &newest.chosen,
    };
    let role_plans = roles
        .into_iter()
        .map(|r| role::plan_role(&ctx, r, &mut findings))
        .collect();
    Ok(Plan {
        roles: role_plans,
        superseded: newest.superseded,
        findings,
        languages,
        base_language: base,
    })
}
