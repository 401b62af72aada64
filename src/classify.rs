//! classify: pure — from each item's facts (name, PE, MSI/MSP) and the catalogs, what the item
//! is, computed once: patch or not, family, build, KB, scope and language, service pack or
//! update, the catalog release that knows it, its component and the roles it goes to. verify,
//! plan and the manifest read these [`Class`]es; none of them recomputes them.

use std::collections::BTreeSet;

use crate::catalog::model::{Catalog, Component, Release, ReleaseFile};
use crate::identify::inspect::Item;
use crate::model::{Build, Kb, Lang, Scope};
use crate::names::NameKind;

/// Where a catalog knows an item from.
#[derive(Clone, Copy, Debug)]
pub struct Known<'c> {
    pub catalog: &'c Catalog,
    pub release: &'c Release,
    /// The release's package of the same name, when the item was found by file name.
    pub file: Option<&'c ReleaseFile>,
}

impl Known<'_> {
    /// `catalog-id/release-id`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.catalog.id, self.release.id)
    }
}

/// The catalog component an item's family belongs to.
#[derive(Clone, Copy, Debug)]
pub struct ComponentRef<'c> {
    /// Its place in the catalog's install order (WSS before MOSS).
    pub rank: usize,
    pub component: &'c Component,
}

/// What one item is.
#[derive(Clone, Debug)]
pub struct Class<'c> {
    /// The input (depth 0) item it comes from.
    pub input: usize,
    /// A patch (`.msp`), by content or by name; never a companion file.
    pub patch: bool,
    /// Named or made like a package or patch: what a catalog is expected to know.
    pub package: bool,
    /// Every patch family it carries, lower-case: its MsiPatchSequence families, else its
    /// name's.
    pub families: Vec<String>,
    /// The one family it belongs to (for supersedence and placement): its name's family when
    /// MsiPatchSequence lists it (or lists nothing), else the first MsiPatchSequence family.
    pub family: Option<String>,
    /// The build the content states (see [`build_of`]).
    pub build: Option<Build>,
    /// The KB it states: the patch metadata's, else the name's.
    pub kb: Option<Kb>,
    pub scope: Scope,
    /// Its language, when localized.
    pub language: Option<Lang>,
    /// Part of a service pack: its name, or the name of the input package holding it, says
    /// so (`stswwsp2.msp`, `wssv3sp2-kb953338-…`). Service packs and updates are separate
    /// lines: a cumulative update does not replace the service pack it builds on
    /// ("Microsoft enforces the installation order of service packs", vendor document 004).
    pub service_pack: bool,
    /// The catalog release that knows it (by file name, else by KB).
    pub release: Option<Known<'c>>,
    /// The component of its family in the product's catalog (or the catalog that knows it).
    pub component: Option<ComponentRef<'c>>,
    /// The product's roles it goes to (every role when the catalog restricts nothing).
    pub roles: Vec<String>,
}

/// The build the content states: a patch's highest MsiPatchSequence, an MSI's
/// ProductVersion, an executable's version resource (the package's build: "a better reference
/// point for the package contents" than file versions, vendor document 004).
pub fn build_of(item: &Item) -> Option<Build> {
    if let Some(pkg) = &item.package {
        if let Some(b) = pkg.patch.as_ref().and_then(|p| p.build) {
            return Some(b);
        }
        if let Some(b) = pkg
            .properties
            .get("ProductVersion")
            .and_then(|v| Build::parse(v))
        {
            return Some(b);
        }
    }
    let v = item.pe.as_ref()?.version.as_ref()?;
    v.file_version
        .as_deref()
        .and_then(Build::parse)
        .or(v.fixed_file_version)
}

fn sequence_families(item: &Item) -> Vec<String> {
    item.package
        .as_ref()
        .and_then(|p| p.patch.as_ref())
        .map(|p| p.families.iter().map(|f| f.family.to_lowercase()).collect())
        .unwrap_or_default()
}

/// Among candidate releases, the one whose build matches the content, else the newest.
fn pick<'c>(candidates: &[Known<'c>], build: Option<Build>) -> Option<Known<'c>> {
    candidates
        .iter()
        .find(|k| build.is_some() && k.release.build == build)
        .or_else(|| candidates.iter().max_by_key(|k| k.release.build))
        .copied()
}

/// The release that knows an item: by file name (a name several releases list — an installer
/// shipped again — is the one whose build matches the content, else the newest), else by KB
/// (a KB shared by several releases, a re-release, is resolved the same way).
fn lookup<'c>(
    catalogs: &'c [Catalog],
    name: &str,
    kb: Option<Kb>,
    build: Option<Build>,
) -> Option<Known<'c>> {
    let by_name: Vec<Known<'c>> = catalogs
        .iter()
        .flat_map(|catalog| {
            catalog.releases.iter().filter_map(move |release| {
                release
                    .files
                    .iter()
                    .find(|f| f.name.trim().eq_ignore_ascii_case(name))
                    .map(|file| Known {
                        catalog,
                        release,
                        file: Some(file),
                    })
            })
        })
        .collect();
    if let Some(k) = pick(&by_name, build) {
        return Some(k);
    }
    let kb = kb?;
    let by_kb: Vec<Known<'c>> = catalogs
        .iter()
        .flat_map(|catalog| {
            catalog
                .releases
                .iter()
                .filter(move |r| r.kb == Some(kb))
                .map(move |release| Known {
                    catalog,
                    release,
                    file: None,
                })
        })
        .collect();
    pick(&by_kb, build)
}

/// The component of `catalog` that declares `family`, with its rank.
fn component_in<'c>(catalog: &'c Catalog, family: &str) -> Option<ComponentRef<'c>> {
    catalog
        .components
        .iter()
        .enumerate()
        .find(|(_, c)| c.families.iter().any(|f| f.eq_ignore_ascii_case(family)))
        .map(|(rank, component)| ComponentRef { rank, component })
}

/// The roles of `catalog` that get `family`: the roles that list it in `role_families` or a
/// release's role table (OCS publishes one) when any does; else the roles whose components
/// include its component (every role when a role lists none, or the family has no component).
fn roles_of(catalog: &Catalog, family: Option<&str>) -> Vec<String> {
    let every = || catalog.roles.iter().map(|r| r.id.clone()).collect();
    let Some(family) = family else {
        return every();
    };
    let mut only: BTreeSet<&str> = catalog
        .roles
        .iter()
        .filter(|r| {
            r.role_families
                .iter()
                .any(|f| f.eq_ignore_ascii_case(family))
        })
        .map(|r| r.id.as_str())
        .collect();
    for release in &catalog.releases {
        for p in release
            .patches
            .iter()
            .filter(|p| p.family.eq_ignore_ascii_case(family))
        {
            only.extend(p.roles.iter().map(String::as_str));
        }
    }
    if !only.is_empty() {
        return catalog
            .roles
            .iter()
            .filter(|r| only.contains(r.id.as_str()))
            .map(|r| r.id.clone())
            .collect();
    }
    match component_in(catalog, family) {
        Some(c) => catalog
            .roles
            .iter()
            .filter(|r| r.components.is_empty() || r.components.contains(&c.component.id))
            .map(|r| r.id.clone())
            .collect(),
        None => every(),
    }
}

/// Classifies every item. `catalogs` are those in use (releases are looked up in all of
/// them); `product` is the catalog a build is for (components and roles come from it), or
/// `None` (verify, inspect: each item's own catalog).
pub fn classify<'c>(
    items: &[Item],
    catalogs: &'c [Catalog],
    product: Option<&'c Catalog>,
) -> Vec<Class<'c>> {
    let mut out: Vec<Class<'c>> = Vec::with_capacity(items.len());
    // The input each item comes from: the nearest earlier item of depth 0 (items are in
    // walk order, each input followed by what it holds).
    let mut input = 0;
    for (index, item) in items.iter().enumerate() {
        if item.depth == 0 {
            input = index;
        }
        let patch = !item.companion
            && (item.package.as_ref().is_some_and(|p| p.patch.is_some())
                || item.named.kind == NameKind::PatchMsp);
        let sequence = sequence_families(item);
        let mut families = sequence.clone();
        if families.is_empty() {
            families.extend(item.named.family.clone());
        }
        families.sort();
        families.dedup();
        let family = match &item.named.family {
            Some(f) if sequence.is_empty() || sequence.contains(f) => Some(f.clone()),
            _ => sequence
                .into_iter()
                .next()
                .or_else(|| item.named.family.clone()),
        };
        let build = build_of(item);
        let kb = item
            .package
            .as_ref()
            .and_then(|p| p.patch.as_ref())
            .and_then(|p| p.kb)
            .or(item.named.kb);
        let language = (item.named.scope == Scope::Localized)
            .then(|| item.named.language.clone())
            .flatten();
        let sp = |i: &Item| {
            i.named
                .release
                .as_deref()
                .is_some_and(|r| r.starts_with("SP"))
        };
        let service_pack = sp(item) || items.get(input).is_some_and(sp);
        // The product's own releases first: another catalog claims an item only when the
        // product's does not know it.
        let release = product
            .and_then(|p| lookup(std::slice::from_ref(p), &item.name, kb, build))
            .or_else(|| lookup(catalogs, &item.name, kb, build));
        // Components and roles: the product's catalog; else the catalog that knows the item
        // or, for a member, the one that knows its input package.
        let home = product
            .or(release.map(|k| k.catalog))
            .or_else(|| out.get(input).and_then(|c| c.release).map(|k| k.catalog));
        let component = home.and_then(|c| component_in(c, family.as_deref()?));
        let roles = product.map_or_else(Vec::new, |c| roles_of(c, family.as_deref()));
        out.push(Class {
            input,
            patch,
            package: patch
                || matches!(
                    item.named.kind,
                    NameKind::PackageExe | NameKind::PackageCab | NameKind::PatchMsp
                ),
            families,
            family,
            build,
            kb,
            scope: item.named.scope,
            language,
            service_pack,
            release,
            component,
            roles,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::Role;
    use crate::formats::Format;
    use crate::model::{Origin, Sha1, Sha256};
    use crate::names::classify_name;

    fn item(name: &str, depth: usize) -> Item {
        Item {
            origin: Origin::input(name),
            depth,
            name: name.to_owned(),
            size: 0,
            sha256: Sha256([0; 32]),
            sha1: Sha1([0; 20]),
            format: Format::Unknown,
            named: classify_name(name),
            pe: None,
            package: None,
            findings: Vec::new(),
            signature: None,
            stored: None,
            companion: false,
            from_media: false,
        }
    }

    fn catalog() -> Catalog {
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "id": "demo", "title": "Demo",
            "components": [
                {"id": "wss", "title": "WSS", "families": ["sts", "wssmui"],
                 "localized_families": ["wssmui"]},
                {"id": "moss", "title": "MOSS", "families": ["coreserver", "pjsrvapp"]}
            ],
            "roles": [
                {"id": "app", "title": "App", "rollout_rank": 1, "role_families": ["pjsrvapp"]},
                {"id": "wfe", "title": "WFE", "rollout_rank": 2},
                {"id": "search", "title": "Search", "rollout_rank": 3, "components": ["wss"]}
            ],
            "releases": [
                {"id": "wss-sp2", "name": "SP2", "kind": "service-pack", "component": "wss",
                 "kb": "953338", "build": "12.0.6421.1000",
                 "files": [{"name": "wssv3sp2-kb953338-x86-fullfile-en-us.exe"}]},
                {"id": "wss-cu", "name": "CU", "kind": "cumulative-update", "component": "wss",
                 "kb": "975002", "build": "12.0.6520.5000"}
            ]
        }))
        .unwrap()
    }

    /// A member's name, its depth, and what it should classify as: patch, family, scope,
    /// language, service pack.
    type Case<'a> = (
        &'a str,
        usize,
        bool,
        Option<&'a str>,
        Scope,
        Option<&'a str>,
        bool,
    );

    #[test]
    fn names_classify_into_family_scope_language_and_line() {
        let cases: &[Case<'_>] = &[
            (
                "sts-x-none.msp",
                1,
                true,
                Some("sts"),
                Scope::Global,
                None,
                false,
            ),
            (
                "wssmui-de-de.msp",
                1,
                true,
                Some("wssmui"),
                Scope::Localized,
                Some("de-de"),
                false,
            ),
            (
                "stswwsp2.msp",
                1,
                true,
                Some("sts"),
                Scope::Global,
                None,
                true,
            ),
            ("readme.txt", 1, false, None, Scope::Unknown, None, false),
        ];
        for &(name, depth, patch, family, scope, language, sp) in cases {
            let items = vec![
                item("wss-kb975002-fullfile-x86-glb.exe", 0),
                item(name, depth),
            ];
            let classes = classify(&items, &[], None);
            let c = &classes[1];
            assert_eq!(c.input, 0, "{name}");
            assert_eq!(c.patch, patch, "{name}");
            assert_eq!(c.family.as_deref(), family, "{name}");
            assert_eq!(c.scope, scope, "{name}");
            assert_eq!(c.language.as_ref().map(Lang::as_str), language, "{name}");
            assert_eq!(c.service_pack, sp, "{name}");
        }
        // A patch inside a service-pack package belongs to the service pack.
        let items = vec![
            item("wssv3sp2-kb953338-x86-fullfile-en-us.exe", 0),
            item("sts-x-none.msp", 1),
        ];
        assert!(classify(&items, &[], None)[1].service_pack);
    }

    #[test]
    fn releases_come_from_file_names_then_kbs() {
        let catalogs = vec![catalog()];
        let items = vec![
            item("wssv3sp2-kb953338-x86-fullfile-en-us.exe", 0),
            item("wss-kb975002-fullfile-x86-glb.exe", 0),
            item("wss-kb1-fullfile-x86-glb.exe", 0),
        ];
        let classes = classify(&items, &catalogs, None);
        let labels: Vec<Option<String>> = classes
            .iter()
            .map(|c| c.release.map(|k| k.label()))
            .collect();
        assert_eq!(
            labels,
            [
                Some("demo/wss-sp2".to_owned()),
                Some("demo/wss-cu".to_owned()),
                None
            ]
        );
        assert!(classes[0].release.unwrap().file.is_some());
        assert!(classes[1].release.unwrap().file.is_none());
        assert_eq!(classes[0].kb, Some(Kb(953338)));
    }

    #[test]
    fn roles_follow_role_families_then_components() {
        let c = catalog();
        let roles = |family: Option<&str>| roles_of(&c, family);
        // pjsrvapp is listed by a role: only there.
        assert_eq!(roles(Some("pjsrvapp")), ["app"]);
        // sts: a WSS family, every role whose components include WSS (or list none).
        assert_eq!(roles(Some("sts")), ["app", "wfe", "search"]);
        // coreserver: MOSS, not on the WSS-only search role.
        assert_eq!(roles(Some("coreserver")), ["app", "wfe"]);
        // Unknown family or none: every role.
        assert_eq!(roles(Some("xyz")), ["app", "wfe", "search"]);
        assert_eq!(roles(None), ["app", "wfe", "search"]);
        let _: &[Role] = &c.roles;
    }
}
