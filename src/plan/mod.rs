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
mod packages;
mod role;

pub use packages::PlannedPackage;

use std::collections::BTreeSet;

use crate::catalog::model::{Catalog, Role};
use crate::classify::Class;
use crate::findings::Finding;
use crate::identify::inspect::Item;
use crate::model::manifest::PlacedKind;
use crate::model::{Build, Lang, Scope};
use crate::safe_path::SafePath;

/// What to build.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Role ids; empty means every role of the product.
    pub roles: Vec<String>,
    /// Languages (cultures); empty means every language present in the inputs. The first is
    /// the base language (see [`base_language`]).
    pub languages: Vec<Lang>,
    /// The base language when no `--lang` gives one: the setup media's.
    pub base: Option<Lang>,
    /// Role-relative paths (lower-case, `/`-separated) the setup media already take: a placed
    /// file never takes one of them.
    pub reserved: BTreeSet<String>,
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
    #[error("--lang {language} is a language, not a culture: give one of {present}")]
    NotACulture { language: String, present: String },
    #[error(
        "product {product} has no language packs: a server has one installation language; build one source per language (--lang {first})"
    )]
    OneLanguage { product: String, first: String },
    #[error("role id {role:?} of product {product} cannot be a folder name ({reason})")]
    UnsafeRole {
        product: String,
        role: String,
        reason: crate::safe_path::PathRefusal,
    },
}

impl crate::error::Diagnostic for PlanError {
    fn code(&self) -> &'static str {
        match self {
            PlanError::UnknownRole { .. } => "unknown-role",
            PlanError::NoPatches => "no-patches",
            PlanError::NotACulture { .. } => "lang-not-a-culture",
            PlanError::OneLanguage { .. } => "one-language",
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
    /// A patch, a companion file of a package, or a download placed whole.
    pub kind: PlacedKind,
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
    /// What a person should know about the source as a whole.
    pub notes: Vec<String>,
    pub superseded: Vec<Superseded>,
    /// What the plan left out or changed, other than supersedence.
    pub findings: Vec<Finding>,
    pub languages: Vec<Lang>,
    pub base_language: Option<Lang>,
    /// The downloaded packages existing servers run (`packages/`), in install order; empty
    /// unless the catalog's rollout installs packages.
    pub packages: Vec<PlannedPackage>,
}

/// The base language: the first chosen one, else `en-us` — never whatever the downloads
/// happen to hold, so a German language pack never becomes a farm's base language by accident.
pub fn base_language(chosen: &[Lang]) -> Lang {
    chosen
        .first()
        .cloned()
        .or_else(|| Lang::parse("en-us"))
        .unwrap_or_else(|| unreachable!("en-us is a culture"))
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
    let listed = || {
        present
            .iter()
            .map(Lang::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(l) = request.languages.iter().find(|l| !l.is_culture()) {
        return Err(PlanError::NotACulture {
            language: l.to_string(),
            present: if present.is_empty() {
                "en-us, de-de, …".to_owned()
            } else {
                listed()
            },
        });
    }
    if !catalog.language_packs && request.languages.len() > 1 {
        return Err(PlanError::OneLanguage {
            product: catalog.id.clone(),
            first: request.languages[0].to_string(),
        });
    }
    let base = match (&request.base, request.languages.is_empty()) {
        (Some(media), true) => media.clone(),
        _ => base_language(&request.languages),
    };
    // Every language present, where the product has language packs; else the one
    // installation language (Exchange: one rollup per server, in its language).
    let languages: Vec<Lang> = if !request.languages.is_empty() {
        request.languages.clone()
    } else if catalog.language_packs {
        present.iter().cloned().collect()
    } else {
        vec![base.clone()]
    };
    let base = Some(base);
    let mut findings = Vec::new();
    // A language asked for must be there where the product has localized patches: without
    // them a server of that language ends at mixed levels (vendor document 004: localized
    // patches are installed for every language pack).
    let localized_product = !present.is_empty()
        || catalog
            .components
            .iter()
            .any(|c| !c.localized_families.is_empty());
    if localized_product {
        for l in &request.languages {
            if !present.iter().any(|p| p.agrees_with(l)) {
                findings.push(Finding::new(
                    &crate::model::Origin::input(format!("--lang {l}")),
                    crate::findings::FindingKind::LanguageMissing {
                        language: l.clone(),
                        present: present.iter().cloned().collect(),
                    },
                ));
            }
        }
    }
    let newest = newest::newest(items, classes, catalog, &patches, &languages, &mut findings);
    let ctx = role::Context {
        items,
        classes,
        catalog,
        languages: &languages,
        base: base.as_ref(),
        chosen: &newest.chosen,
        reserved: &request.reserved,
    };
    let role_plans: Vec<RolePlan> = roles
        .into_iter()
        .map(|r| role::plan_role(&ctx, r, &mut findings))
        .collect();
    role::unmapped_patches(&ctx, &newest.chosen, &mut findings);
    let mut notes = Vec::new();
    let contents = |r: &RolePlan| -> Vec<usize> {
        let mut v: Vec<usize> = r.placed.iter().map(|p| p.item).collect();
        v.sort_unstable();
        v
    };
    if role_plans.len() > 1
        && role_plans
            .iter()
            .all(|r| contents(r) == contents(&role_plans[0]))
    {
        notes.push(format!(
            "Every role folder holds the same {} file(s) (hard links): setup applies only the patches whose product is installed on the server; the roles differ in rollout order and steps.",
            role_plans[0].placed.len()
        ));
    }
    let packages = packages::packages(items, catalog, &role_plans);
    Ok(Plan {
        roles: role_plans,
        packages,
        notes,
        superseded: newest.superseded,
        findings,
        languages,
        base_language: base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::ComponentRef;
    use crate::error::Diagnostic as _;
    use crate::formats::Format;
    use crate::model::{Origin, Sha1, Sha256};
    use crate::names::classify_name;

    fn catalog() -> Catalog {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "id": "demo", "title": "Demo", "language_packs": true,
            "components": [
                {"id": "wss", "title": "WSS", "families": ["sts", "wssmui"],
                 "localized_families": ["wssmui"]},
                {"id": "moss", "title": "MOSS", "families": ["coreserver"]}
            ],
            "roles": [
                {"id": "wfe", "title": "WFE", "rollout_rank": 2},
                {"id": "app", "title": "App", "rollout_rank": 1}
            ],
            "releases": [],
            "quirks": [{"id": "q", "description": "d", "remove_file": "wsssetup.dll",
                        "when_component": "moss"}],
            "steps": [{"id": "s", "text": "run the wizard", "role_order": ["app"]}]
        }))
        .unwrap()
    }

    /// An input item (depth 0) or a patch/companion inside the last input.
    fn item(name: &str, depth: usize, byte: u8, companion: bool) -> Item {
        Item {
            origin: Origin::input(name),
            depth,
            name: name.to_owned(),
            size: 1,
            sha256: Sha256([byte; 32]),
            sha1: Sha1([0; 20]),
            format: Format::Unknown,
            named: classify_name(name),
            pe: None,
            package: None,
            findings: Vec::new(),
            signature: None,
            stored: (depth > 0).then(|| format!("/pool/{name}").into()),
            companion,
            from_media: false,
        }
    }

    /// A row: family, build, language, service pack, component rank, roles.
    struct Row<'a> {
        family: &'a str,
        build: &'a str,
        language: Option<&'a str>,
        sp: bool,
        component: Option<usize>,
        roles: &'a [&'a str],
    }

    fn class<'c>(c: &'c Catalog, input: usize, row: Option<&Row<'_>>) -> Class<'c> {
        let language = row.and_then(|r| r.language).and_then(Lang::parse);
        Class {
            input,
            patch: row.is_some(),
            package: row.is_some(),
            families: row.map(|r| vec![r.family.to_owned()]).unwrap_or_default(),
            family: row.map(|r| r.family.to_owned()),
            build: row.and_then(|r| Build::parse(r.build)),
            kb: None,
            scope: if language.is_some() {
                Scope::Localized
            } else {
                Scope::Global
            },
            language,
            service_pack: row.is_some_and(|r| r.sp),
            release: None,
            component: row.and_then(|r| r.component).map(|rank| ComponentRef {
                rank,
                component: &c.components[rank],
            }),
            roles: row
                .map(|r| r.roles.iter().map(|s| (*s).to_owned()).collect())
                .unwrap_or_default(),
        }
    }

    /// Items and classes from (file name, row) pairs, all inside one input package.
    fn inputs<'c>(c: &'c Catalog, rows: &[(&str, Option<Row<'_>>)]) -> (Vec<Item>, Vec<Class<'c>>) {
        let mut items = vec![item("pkg-kb1-fullfile-x86-glb.exe", 0, 0, false)];
        let mut classes = vec![class(c, 0, None)];
        for (n, (name, row)) in rows.iter().enumerate() {
            let byte = u8::try_from(n + 1).unwrap_or(0);
            items.push(item(name, 1, byte, row.is_none()));
            classes.push(class(c, 0, row.as_ref()));
        }
        (items, classes)
    }

    const BOTH: &[&str] = &["app", "wfe"];

    fn files(p: &Plan, role: &str) -> Vec<String> {
        p.roles
            .iter()
            .find(|r| r.role.id == role)
            .map(|r| r.placed.iter().map(|p| p.file.clone()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_newest_build_of_a_family_is_placed_and_the_rest_superseded() {
        let c = catalog();
        let row = |build| Row {
            family: "sts",
            build,
            language: None,
            sp: false,
            component: Some(0),
            roles: BOTH,
        };
        let (items, classes) = inputs(
            &c,
            &[
                ("sts-old.msp", Some(row("12.0.6514.5002"))),
                ("sts-x-none.msp", Some(row("12.0.6520.5000"))),
            ],
        );
        let p = plan(&items, &classes, &c, &Request::default()).unwrap();
        assert_eq!(files(&p, "app"), ["app/Updates/sts-x-none.msp"]);
        assert_eq!(p.superseded.len(), 1);
        assert_eq!(items[p.superseded[0].item].name, "sts-old.msp");
        // Roles come in rollout order, whatever the catalog's order.
        let ids: Vec<&str> = p.roles.iter().map(|r| r.role.id.as_str()).collect();
        assert_eq!(ids, ["app", "wfe"]);
        assert_eq!(p.roles[0].steps, ["run the wizard"]);
        assert!(p.roles[1].steps.is_empty());
    }

    #[test]
    fn install_order_is_service_packs_then_components_then_global_first() {
        let c = catalog();
        let rows = [
            (
                "coreserver-x-none.msp",
                Some(Row {
                    family: "coreserver",
                    build: "12.0.6520.5000",
                    language: None,
                    sp: false,
                    component: Some(1),
                    roles: BOTH,
                }),
            ),
            (
                "wssmui-en-us.msp",
                Some(Row {
                    family: "wssmui",
                    build: "12.0.6520.5000",
                    language: Some("en-us"),
                    sp: false,
                    component: Some(0),
                    roles: BOTH,
                }),
            ),
            (
                "sts-x-none.msp",
                Some(Row {
                    family: "sts",
                    build: "12.0.6520.5000",
                    language: None,
                    sp: false,
                    component: Some(0),
                    roles: BOTH,
                }),
            ),
            (
                "stswwsp2.msp",
                Some(Row {
                    family: "sts",
                    build: "12.0.6421.1000",
                    language: None,
                    sp: true,
                    component: Some(0),
                    roles: BOTH,
                }),
            ),
        ];
        let (items, classes) = inputs(&c, &rows);
        let p = plan(&items, &classes, &c, &Request::default()).unwrap();
        assert_eq!(
            files(&p, "app"),
            [
                "app/Updates/stswwsp2.msp",
                "app/Updates/sts-x-none.msp",
                "app/Updates/wssmui-en-us.msp",
                "app/Updates/coreserver-x-none.msp",
            ]
        );
        let orders: Vec<Option<u32>> = p.roles[0].placed.iter().map(|p| p.order).collect();
        assert_eq!(orders, [Some(1), Some(2), Some(3), Some(4)]);
        assert!(p.superseded.is_empty(), "a CU does not supersede its SP");
    }

    #[test]
    fn languages_are_chosen_and_other_languages_go_to_language_packs() {
        let c = catalog();
        let mui = |language| Row {
            family: "wssmui",
            build: "12.0.6520.5000",
            language: Some(language),
            sp: false,
            component: Some(0),
            roles: BOTH,
        };
        let rows = [
            ("wssmui-de-de.msp", Some(mui("de-de"))),
            ("wssmui-en-us.msp", Some(mui("en-us"))),
            ("wssmui-fr-fr.msp", Some(mui("fr-fr"))),
        ];
        let (items, classes) = inputs(&c, &rows);
        let request = Request {
            roles: vec!["app".into()],
            languages: vec![Lang::parse("en-us").unwrap(), Lang::parse("de-de").unwrap()],
            ..Request::default()
        };
        let p = plan(&items, &classes, &c, &request).unwrap();
        assert_eq!(
            files(&p, "app"),
            [
                "app/LanguagePacks/de-de/Updates/wssmui-de-de.msp",
                "app/Updates/wssmui-en-us.msp"
            ]
        );
        assert_eq!(p.base_language.as_ref().map(Lang::as_str), Some("en-us"));
        let codes: Vec<&str> = p.findings.iter().map(Finding::code).collect();
        assert_eq!(codes, ["language-not-chosen"]);
        assert!(files(&p, "wfe").is_empty(), "only the requested role");
    }

    #[test]
    fn roles_get_only_what_classify_assigned_and_quirks_remove_companions() {
        let c = catalog();
        let rows = [
            (
                "coreserver-x-none.msp",
                Some(Row {
                    family: "coreserver",
                    build: "12.0.6520.5000",
                    language: None,
                    sp: false,
                    component: Some(1),
                    roles: &["app"],
                }),
            ),
            (
                "sts-x-none.msp",
                Some(Row {
                    family: "sts",
                    build: "12.0.6520.5000",
                    language: None,
                    sp: false,
                    component: Some(0),
                    roles: BOTH,
                }),
            ),
            ("wsssetup.dll", None),
            ("readme.htm", None),
        ];
        let (items, classes) = inputs(&c, &rows);
        let p = plan(&items, &classes, &c, &Request::default()).unwrap();
        assert_eq!(
            files(&p, "app"),
            [
                "app/Updates/sts-x-none.msp",
                "app/Updates/coreserver-x-none.msp",
                "app/Updates/readme.htm"
            ]
        );
        // The quirk applies where the role's updates include MOSS: not on this WSS-only role.
        assert_eq!(
            files(&p, "wfe"),
            [
                "wfe/Updates/sts-x-none.msp",
                "wfe/Updates/wsssetup.dll",
                "wfe/Updates/readme.htm"
            ]
        );
        let quirks = p
            .findings
            .iter()
            .filter(|f| f.code() == "quirk-applied")
            .count();
        assert_eq!(quirks, 1, "wsssetup.dll left out of the MOSS role only");
    }

    #[test]
    fn colliding_names_are_numbered_and_duplicates_placed_once() {
        let c = catalog();
        let row = |family, build| Row {
            family,
            build,
            language: None,
            sp: false,
            component: None,
            roles: BOTH,
        };
        let rows = [
            ("x.msp", Some(row("a", "1.0.0.0"))),
            ("X.msp", Some(row("b", "1.0.0.0"))),
        ];
        let (items, classes) = inputs(&c, &rows);
        let p = plan(
            &items,
            &classes,
            &c,
            &Request {
                roles: vec!["app".into()],
                ..Request::default()
            },
        )
        .unwrap();
        assert_eq!(
            files(&p, "app"),
            ["app/Updates/01-x.msp", "app/Updates/02-X.msp"]
        );
        let codes: Vec<&str> = p.findings.iter().map(Finding::code).collect();
        assert_eq!(codes, ["unknown-family", "unknown-family"]);
        // The same bytes twice under one family and build: placed once.
        let (mut items, classes) = inputs(
            &c,
            &[
                ("x.msp", Some(row("a", "1.0.0.0"))),
                ("y.msp", Some(row("a", "1.0.0.0"))),
            ],
        );
        items[2].sha256 = items[1].sha256;
        let p = plan(
            &items,
            &classes,
            &c,
            &Request {
                roles: vec!["app".into()],
                ..Request::default()
            },
        )
        .unwrap();
        assert_eq!(files(&p, "app"), ["app/Updates/x.msp"]);
        assert!(p.findings.iter().any(|f| f.code() == "duplicate"));
    }

    #[test]
    fn unknown_roles_and_no_patches_are_errors() {
        let c = catalog();
        let request = Request {
            roles: vec!["db".into()],
            ..Request::default()
        };
        assert_eq!(roles(&c, &request).unwrap_err().code(), "unknown-role");
        let (items, classes) = inputs(&c, &[("readme.htm", None)]);
        assert_eq!(
            plan(&items, &classes, &c, &Request::default()).unwrap_err(),
            PlanError::NoPatches
        );
    }

    #[test]
    fn a_place_file_quirk_puts_the_download_in_every_role_and_unmapped_patches_are_named() {
        let mut c = catalog();
        c.quirks = serde_json::from_value(serde_json::json!([
            {"id": "p", "description": "d", "place_file": "Installer.exe"}
        ]))
        .unwrap();
        c.roles[1].role_families = vec!["coreserver".into()];
        let rows = [
            (
                "coreserver-x-none.msp",
                Some(Row {
                    family: "coreserver",
                    build: "12.0.6520.5000",
                    language: None,
                    sp: false,
                    component: Some(1),
                    roles: &["app"],
                }),
            ),
            (
                "sts-x-none.msp",
                Some(Row {
                    family: "sts",
                    build: "12.0.6520.5000",
                    language: None,
                    sp: false,
                    component: Some(0),
                    roles: BOTH,
                }),
            ),
        ];
        let (mut items, mut classes) = inputs(&c, &rows);
        let mut whole = item("installer.EXE", 0, 9, false);
        whole.stored = Some("/pool/installer.EXE".into());
        items.push(whole);
        classes.push(class(&c, 1, None));
        let p = plan(&items, &classes, &c, &Request::default()).unwrap();
        assert_eq!(
            files(&p, "app"),
            [
                "app/Updates/sts-x-none.msp",
                "app/Updates/coreserver-x-none.msp",
                "app/Updates/installer.EXE"
            ]
        );
        assert_eq!(
            files(&p, "wfe"),
            ["wfe/Updates/sts-x-none.msp", "wfe/Updates/installer.EXE"]
        );
        let kinds: Vec<PlacedKind> = p.roles[0].placed.iter().map(|x| x.kind).collect();
        assert_eq!(
            kinds,
            [PlacedKind::Patch, PlacedKind::Patch, PlacedKind::Package]
        );
        // sts has no role mapping while coreserver has one: named, once, not per role.
        let every: Vec<&Finding> = p
            .findings
            .iter()
            .filter(|f| f.code() == "every-role")
            .collect();
        assert_eq!(every.len(), 1);
        assert!(every[0].to_string().contains("sts"), "{}", every[0]);
        // The roles differ, so there is no same-updates note.
        assert!(p.notes.is_empty(), "{:?}", p.notes);
    }

    #[test]
    fn roles_with_the_same_files_get_one_note_saying_so() {
        let c = catalog();
        let rows = [(
            "sts-x-none.msp",
            Some(Row {
                family: "sts",
                build: "12.0.6520.5000",
                language: None,
                sp: false,
                component: Some(0),
                roles: BOTH,
            }),
        )];
        let (items, classes) = inputs(&c, &rows);
        let p = plan(&items, &classes, &c, &Request::default()).unwrap();
        assert_eq!(p.notes.len(), 1);
        assert!(p.notes[0].contains("same 1 file(s)"), "{}", p.notes[0]);
        // No role mapping at all: nothing to warn about.
        assert!(!p.findings.iter().any(|f| f.code() == "every-role"));
    }
}
