//! Writes the catalogs of SharePoint 2010 … Subscription Edition, Project Server 2013, Office
//! Web Apps 2010/2013 and Office Online Server 2016/2019 from the reference inventory:
//!
//! ```text
//! cargo run --example gen_catalogs -- ../shared/reference/sharepoint-updates.tsv manifests/
//! ```
//!
//! The input is `product  kind  name  build  kb  file` (tab-separated, one package per row).
//! Every row becomes part of a release; rows with the same release name become ONE release with
//! several `files` (each with its own `kb` when it is not the release's). The output is
//! deterministic (same input, same bytes): releases oldest first, 2-space JSON, no `null`s.
//!
//! The inventory's known defects are kept as published, each acknowledged in the release's
//! `notes` with the code `slipway catalog check` reports for it (`build-backwards`,
//! `duplicate-kb`, `space-in-name`), so that the check reports them as warnings:
//! - a build lower than the month before (SharePoint 2010 "December 2019", Office Web Apps
//!   2013 "August 2018", Office Online Server 2016 "July 2016");
//! - a file name with a space (`wacserver2016-kb 3191915-…`, whose KB cell is empty too), a
//!   doubled extension (`….exe.exe`) and a URL-escaped copy suffix (`…-glb%20(1).exe`);
//! - one KB listed for two releases (SharePoint 2019 KB4461512).
//!
//! What the rows do not say is left out: service packs carry no month in the inventory, so
//! they have no `date` and are placed among the updates by build; no hashes are known.

// A command-line tool: its one line per catalog goes to stderr.
#![allow(clippy::print_stderr)]

mod modern;
mod sources;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use slipway::catalog::model::{Catalog, Component, Release, ReleaseFile, ReleaseKind, Role};
use slipway::model::{Arch, Build, Kb, Scope, YearMonth};
use slipway::names::classify_name;

/// One product of the inventory and how its catalog looks.
struct Product {
    /// `product` column.
    code: &'static str,
    /// Catalog id and file stem.
    id: &'static str,
    title: &'static str,
    /// Release id prefix (`sp2010-2019-12`).
    prefix: &'static str,
    /// Components in install order: id, title, families (package stems), requires.
    components: &'static [(
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
    )],
    /// SharePoint farm roles, or one Office Web Apps / Online Server role.
    roles: RoleSet,
    language_packs: bool,
    /// Where the components and families come from, beyond the inventory itself.
    component_source: &'static str,
}

#[derive(Clone, Copy, PartialEq)]
enum RoleSet {
    SharePointFarm,
    Single(&'static str, &'static str),
}

/// The public inventory the reference file's facts come from (third-party), as catalogs cite it.
const INVENTORY: &str = "AutoSPSourceBuilder update inventory (AutoSPSourceBuilder.xml, https://github.com/brianlala/AutoSPSourceBuilder; third-party, MIT licence)";

const NAMES_SOURCE: &str = "Microsoft's update package names as published (real download names): what each package stem is (e.g. wss2010 = SharePoint Foundation 2010, coreserver2010 = SharePoint Server 2010, wssloc = language-dependent fixes for every language in one global package, ubersrv_1.cab/ubersrv_2.cab = external cabinets of the ubersrv.exe launcher)";

const PRODUCTS: &[Product] = &[
    Product {
        code: "SP2010",
        id: "sharepoint-2010",
        title: "SharePoint 2010 (SharePoint Foundation 2010 and SharePoint Server 2010)",
        prefix: "sp2010",
        components: &[
            ("spf", "SharePoint Foundation 2010", &["wss", "wssloc"], &[]),
            (
                "server",
                "SharePoint Server 2010",
                &["coreserver", "office", "officeserver", "oserver", "ubersrv"],
                &["spf"],
            ),
        ],
        roles: RoleSet::SharePointFarm,
        language_packs: true,
        component_source: NAMES_SOURCE,
    },
    Product {
        code: "SP2013",
        id: "sharepoint-2013",
        title: "SharePoint 2013 (SharePoint Foundation 2013 and SharePoint Server 2013)",
        prefix: "sp2013",
        components: &[
            ("spf", "SharePoint Foundation 2013", &["sts"], &[]),
            (
                "server",
                "SharePoint Server 2013",
                &[
                    "officeserver",
                    "oserver",
                    "ubersrv",
                    "ubersrvsp",
                    "wdsrv",
                    "wdsrvloc",
                    "xlsrv",
                    "xlsrvloc",
                ],
                &["spf"],
            ),
        ],
        roles: RoleSet::SharePointFarm,
        language_packs: true,
        component_source: NAMES_SOURCE,
    },
    Product {
        code: "SP2016",
        id: "sharepoint-2016",
        title: "SharePoint Server 2016",
        prefix: "sp2016",
        components: &[
            ("server", "SharePoint Server 2016", &["sts"], &[]),
            (
                "languages",
                "SharePoint Server 2016 language-dependent fixes",
                &["svrproofloc", "wssloc"],
                &["server"],
            ),
        ],
        roles: RoleSet::SharePointFarm,
        language_packs: true,
        component_source: NAMES_SOURCE,
    },
    Product {
        code: "SP2019",
        id: "sharepoint-2019",
        title: "SharePoint Server 2019",
        prefix: "sp2019",
        components: &[
            ("server", "SharePoint Server 2019", &["sts"], &[]),
            (
                "languages",
                "SharePoint Server 2019 language-dependent fixes",
                &["wssloc"],
                &["server"],
            ),
        ],
        roles: RoleSet::SharePointFarm,
        language_packs: true,
        component_source: NAMES_SOURCE,
    },
    Product {
        code: "SPSE",
        id: "sharepoint-se",
        title: "SharePoint Server Subscription Edition",
        prefix: "spse",
        components: &[
            (
                "server",
                "SharePoint Server Subscription Edition",
                &["sts", "uber"],
                &[],
            ),
            (
                "languages",
                "SharePoint Server Subscription Edition language-dependent fixes",
                &["wssloc"],
                &["server"],
            ),
        ],
        roles: RoleSet::SharePointFarm,
        language_packs: true,
        component_source: NAMES_SOURCE,
    },
    Product {
        code: "ProjectServer2013",
        id: "project-server-2013",
        title: "Project Server 2013",
        prefix: "ps2013",
        components: &[(
            "projectserver",
            "Project Server 2013",
            &[
                "pjsrv",
                "pjsrvloc",
                "projectserver",
                "ubersrvprj",
                "ubersrvprjsp",
            ],
            &[],
        )],
        roles: RoleSet::SharePointFarm,
        language_packs: true,
        component_source: NAMES_SOURCE,
    },
    Product {
        code: "OfficeWebApps2010",
        id: "office-web-apps-2010",
        title: "Office Web Apps 2010",
        prefix: "owa2010",
        components: &[(
            "wac",
            "Office Web Apps 2010",
            &[
                "excelwebapp",
                "wac",
                "wacmuiwacwfewdsrv",
                "wacproofloc",
                "wacserver",
                "wacwfexlwacwfe",
                "webapps",
            ],
            &[],
        )],
        roles: RoleSet::Single("wac", "Office Web Apps server"),
        language_packs: false,
        component_source: NAMES_SOURCE,
    },
    Product {
        code: "OfficeWebApps2013",
        id: "office-web-apps-2013",
        title: "Office Web Apps Server 2013",
        prefix: "owa2013",
        components: &[("wac", "Office Web Apps Server 2013", &["wacserver"], &[])],
        roles: RoleSet::Single("wac", "Office Web Apps Server"),
        language_packs: false,
        component_source: NAMES_SOURCE,
    },
    Product {
        code: "OfficeOnlineServer2016",
        id: "office-online-server-2016",
        title: "Office Online Server 2016",
        prefix: "oos2016",
        components: &[("oos", "Office Online Server 2016", &["wacserver"], &[])],
        roles: RoleSet::Single("oos", "Office Online Server"),
        language_packs: false,
        component_source: NAMES_SOURCE,
    },
    Product {
        code: "OfficeOnlineServer2019",
        id: "office-online-server-2019",
        title: "Office Online Server 2019",
        prefix: "oos2019",
        components: &[("oos", "Office Online Server 2019", &["wacserver"], &[])],
        roles: RoleSet::Single("oos", "Office Online Server"),
        language_packs: false,
        component_source: NAMES_SOURCE,
    },
];

/// One row of the inventory, with its 1-based line number.
#[derive(Clone, Debug)]
struct Row {
    line: usize,
    product: String,
    kind: String,
    name: String,
    build: String,
    kb: String,
    file: String,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(tsv), Some(out)) = (args.next(), args.next()) else {
        return Err("usage: gen_catalogs SHAREPOINT-UPDATES.TSV OUT-DIR".into());
    };
    let text = std::fs::read_to_string(&tsv)?;
    let rows = parse_rows(&text)?;
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out)?;
    let known: BTreeSet<&str> = PRODUCTS.iter().map(|p| p.code).collect();
    if let Some(r) = rows.iter().find(|r| !known.contains(r.product.as_str())) {
        return Err(format!("line {}: unknown product {:?}", r.line, r.product).into());
    }
    for p in PRODUCTS {
        let mine: Vec<&Row> = rows.iter().filter(|r| r.product == p.code).collect();
        let catalog = build_catalog(p, &mine)?;
        let json = to_json(&catalog)?;
        write_if_changed(&out.join(format!("{}.json", p.id)), &json)?;
        let first = mine.first().map_or(0, |r| r.line);
        let last = mine.last().map_or(0, |r| r.line);
        eprintln!(
            "{}.json: {} releases from {} rows (lines {first}-{last})",
            p.id,
            catalog.releases.len(),
            mine.len()
        );
    }
    Ok(())
}

fn parse_rows(text: &str) -> Result<Vec<Row>, String> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| l).unwrap_or_default();
    if header != "product\tkind\tname\tbuild\tkb\tfile" {
        return Err(format!("unexpected header {header:?}"));
    }
    let mut rows = Vec::new();
    for (i, line) in lines {
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [product, kind, name, build, kb, file] = cols[..] else {
            return Err(format!(
                "line {}: expected 6 columns, got {}",
                i + 1,
                cols.len()
            ));
        };
        rows.push(Row {
            line: i + 1,
            product: product.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            build: build.to_owned(),
            kb: kb.to_owned(),
            file: file.to_owned(),
        });
    }
    Ok(rows)
}

fn kind_of(kind: &str, line: usize) -> Result<ReleaseKind, String> {
    Ok(match kind {
        "service-pack" => ReleaseKind::ServicePack,
        "cumulative-update" => ReleaseKind::CumulativeUpdate,
        "public-update" => ReleaseKind::PublicUpdate,
        "security-update" => ReleaseKind::SecurityUpdate,
        other => return Err(format!("line {line}: unknown kind {other:?}")),
    })
}

/// The package stem a file name belongs to (the "family" the catalog declares for it).
fn stem_family(file: &str) -> Option<String> {
    slipway::names::package_stem(file)
}

/// A release being put together from its rows.
struct Draft {
    name: String,
    rows: Vec<Row>,
    date: Option<YearMonth>,
    build: Build,
}

fn build_catalog(p: &Product, rows: &[&Row]) -> Result<Catalog, String> {
    // Group rows by release name, in first-appearance order.
    let mut drafts: Vec<Draft> = Vec::new();
    for r in rows {
        let build = Build::parse(&r.build)
            .ok_or_else(|| format!("line {}: bad build {:?}", r.line, r.build))?;
        match drafts.iter_mut().find(|d| d.name == r.name) {
            Some(d) => {
                if d.build != build {
                    return Err(format!(
                        "line {}: release {:?} has two builds ({} and {build})",
                        r.line, r.name, d.build
                    ));
                }
                d.rows.push((*r).clone());
            }
            None => drafts.push(Draft {
                name: r.name.clone(),
                rows: vec![(*r).clone()],
                date: slipway::catalog::month_date(&r.name),
                build,
            }),
        }
    }

    // Oldest first: dated releases by month (stable), then each undated one (service packs)
    // just before the first dated release with a higher build.
    let (mut dated, undated): (Vec<Draft>, Vec<Draft>) =
        drafts.into_iter().partition(|d| d.date.is_some());
    dated.sort_by_key(|d| d.date);
    let mut ordered: Vec<Draft> = dated;
    for d in undated {
        let at = ordered
            .iter()
            .position(|o| o.date.is_some() && o.build > d.build)
            .unwrap_or(ordered.len());
        ordered.insert(at, d);
    }

    // Families: every package stem must be declared by exactly one component.
    let mut declared: BTreeMap<&str, &str> = BTreeMap::new();
    for (cid, _, fams, _) in p.components {
        for f in *fams {
            if declared.insert(f, cid).is_some() {
                return Err(format!("{}: family {f} declared twice", p.id));
            }
        }
    }
    let mut used: BTreeSet<String> = BTreeSet::new();

    let mut releases: Vec<Release> = Vec::new();
    let mut archs: BTreeSet<Arch> = BTreeSet::new();
    // File name (lower-case) → name of the first release that lists it.
    let mut first_listed: BTreeMap<String, String> = BTreeMap::new();
    // Release KB → names of the releases that carry it.
    let mut kb_releases: BTreeMap<String, Vec<String>> = BTreeMap::new();

    for d in &ordered {
        let first = &d.rows[0];
        let kind = kind_of(&first.kind, first.line)?;
        let mut notes: Vec<String> = Vec::new();

        // The release's KB: the first KB cell of its rows, else the KB its file name states.
        let kb = match d.rows.iter().find(|r| !r.kb.is_empty()) {
            Some(r) => r.kb.clone(),
            None => {
                let from_name = d.rows.iter().find_map(|r| classify_name(&r.file).kb);
                let Some(k) = from_name else {
                    return Err(format!(
                        "line {}: release {:?} has no KB",
                        first.line, d.name
                    ));
                };
                notes.push(format!(
                    "The source's KB column is empty for this release; {k} is read from the file name."
                ));
                k.0.to_string()
            }
        };
        if Kb::parse(&kb).is_none() {
            return Err(format!("line {}: bad KB {kb:?}", first.line));
        }
        kb_releases
            .entry(kb.clone())
            .or_default()
            .push(d.name.clone());

        let mut files = Vec::new();
        let mut no_kb: Vec<String> = Vec::new();
        let mut repeated: Vec<String> = Vec::new();
        for r in &d.rows {
            let facts = classify_name(&r.file);
            let family = stem_family(&r.file)
                .ok_or_else(|| format!("line {}: no package stem in {:?}", r.line, r.file))?;
            if !declared.contains_key(family.as_str()) {
                return Err(format!(
                    "line {}: package stem {family:?} of {:?} is not declared by a component of {}",
                    r.line, r.file, p.id
                ));
            }
            used.insert(family);
            let arch = facts.arch;
            if let Some(a) = arch {
                archs.insert(a);
            }
            let language = (facts.scope == Scope::Localized)
                .then_some(facts.language)
                .flatten();
            let own_kb = if r.kb.is_empty() {
                // A KB stated only by the name is the release's (noted above); none at all:
                // a launcher's cabinet.
                if facts.kb.is_none() {
                    no_kb.push(r.file.clone());
                }
                None
            } else {
                (r.kb != kb).then(|| Kb::parse(&r.kb)).flatten()
            };
            let lower = r.file.to_ascii_lowercase();
            match first_listed.get(&lower) {
                Some(earlier) if !r.kb.is_empty() => {
                    repeated.push(format!("{} (first listed for {earlier})", r.file));
                }
                Some(_) => {}
                None => {
                    first_listed.insert(lower.clone(), d.name.clone());
                }
            }
            if r.file.chars().any(char::is_whitespace) {
                notes.push(format!(
                    "space-in-name: {:?} is the name as published in the source, space included (the vendor's name is presumably without it); kept unchanged so the defect stays visible.",
                    r.file
                ));
            }
            if lower.ends_with(".exe.exe") {
                notes.push(format!(
                    "{:?}: doubled extension as published in the source; kept unchanged.",
                    r.file
                ));
            }
            if r.file.contains('%') || r.file.contains('(') {
                notes.push(format!(
                    "{:?}: URL escape (%20) and a copy suffix \"(1)\" as published in the source; kept unchanged.",
                    r.file
                ));
            }
            files.push(ReleaseFile {
                name: r.file.clone(),
                kb: own_kb,
                arch,
                language,
                sha256: None,
                sha1: None,
                size: None,
            });
        }
        if !no_kb.is_empty() {
            notes.push(format!(
                "No KB in the source for {}: external cabinets of the launcher, listed with it (the same names every month).",
                no_kb.join(", ")
            ));
        }
        if !repeated.is_empty() {
            notes.push(format!(
                "The same package (name and KB) as an earlier release, listed again in the source: {}.",
                repeated.join(", ")
            ));
        }
        if d.date.is_none() {
            notes.push(
                "No month in the source: undated, placed among the updates by its build."
                    .to_owned(),
            );
        }
        // The public document and the entry in it (never the reference file's path: catalogs
        // are read by users).
        notes.push(format!("Source: {INVENTORY}, {} \"{}\".", p.code, d.name));

        let id = match &d.date {
            Some(date) => format!("{}-{date}", p.prefix),
            None => format!("{}-{}", p.prefix, slug(&d.name)),
        };
        releases.push(Release {
            id,
            name: d.name.clone(),
            kind,
            component: None,
            date: d.date,
            kb: Kb::parse(&kb),
            build: Some(d.build),
            requires_build: None,
            service_pack_level: None,
            files,
            patches: Vec::new(),
            notes,
            withdrawn: None,
        });
    }

    for family in declared.keys() {
        if !used.contains(*family) {
            return Err(format!(
                "{}: family {family} declared but no package uses it",
                p.id
            ));
        }
    }

    // The same build as an earlier release (kept: a fact of the source).
    for i in 0..releases.len() {
        if let Some(o) = releases[..i]
            .iter()
            .find(|o| o.build == releases[i].build && o.kind == releases[i].kind)
        {
            let build = o.build.map(|b| b.to_string()).unwrap_or_default();
            let note = format!("Same build {build} as {:?} in the source.", o.name);
            releases[i].notes.insert(0, note);
        }
    }
    // Builds that go backwards: lower than the highest build of the latest earlier month
    // (the rule of `slipway catalog check`), per kind.
    let mut backwards: Vec<(usize, String)> = Vec::new();
    for (i, r) in releases.iter().enumerate() {
        let (Some(date), Some(build)) = (r.date, r.build) else {
            continue;
        };
        let earlier = releases
            .iter()
            .filter(|o| o.kind == r.kind && o.date.is_some_and(|d| d < date))
            .filter_map(|o| o.date)
            .max();
        let Some(prev_date) = earlier else { continue };
        let prev = releases
            .iter()
            .filter(|o| o.kind == r.kind && o.date == Some(prev_date))
            .max_by_key(|o| o.build);
        if let Some(prev) = prev
            && prev.build.is_some_and(|b| build < b)
        {
            backwards.push((
                i,
                format!(
                    "build-backwards: build {build} is lower than {} of {:?}, the month before; as published in the source (a known defect of the inventory, kept unchanged, not corrected).",
                    prev.build.map(|b| b.to_string()).unwrap_or_default(),
                    prev.name
                ),
            ));
        }
    }
    for (i, note) in backwards {
        releases[i].notes.insert(0, note);
    }
    // One KB for several releases.
    for r in &mut releases {
        let kb = r.kb.map(|k| k.0.to_string()).unwrap_or_default();
        let names = &kb_releases[&kb];
        if names.len() > 1 {
            let others: Vec<&str> = names
                .iter()
                .filter(|n| **n != r.name)
                .map(String::as_str)
                .collect();
            r.notes.insert(
                0,
                format!(
                    "duplicate-kb: KB{} is listed for {} as well ({} package); as published in the source, kept unchanged.",
                    kb,
                    others.join(", "),
                    r.files.first().map_or("?", |f| f.name.as_str())
                ),
            );
        }
    }

    let components = p
        .components
        .iter()
        .map(|(id, title, fams, requires)| Component {
            id: (*id).to_owned(),
            title: (*title).to_owned(),
            families: fams.iter().map(|f| (*f).to_owned()).collect(),
            localized_families: Vec::new(),
            requires: requires.iter().map(|r| (*r).to_owned()).collect(),
        })
        .collect();

    let mut sources = vec![
        format!(
            "{INVENTORY}, product {}: release name, kind, build, KB and package file name of every release; known defects kept as published.",
            p.code
        ),
        p.component_source.to_owned(),
    ];
    if p.roles == RoleSet::SharePointFarm {
        sources.push("Roles and rollout order: as for SharePoint 2007 in \"Deploy software updates for Office SharePoint Server 2007\" (Microsoft TechNet cc263467, https://technet.microsoft.com/library/cc263467), section \"Installation steps\"; no source specific to this product.".to_owned());
    }

    let mut catalog = Catalog {
        schema_version: 1,
        id: p.id.to_owned(),
        title: p.title.to_owned(),
        sources,
        architectures: archs.into_iter().collect(),
        language_packs: p.language_packs,
        components,
        roles: roles(p.roles),
        releases,
        recommended_sequence: Vec::new(),
        quirks: Vec::new(),
        steps: Vec::new(),
        media: None,
        rollout: None,
        unified: Vec::new(),
        language_dependent: Vec::new(),
    };
    modern::extend(&mut catalog)?;
    Ok(catalog)
}

fn roles(set: RoleSet) -> Vec<Role> {
    let role = |id: &str, title: &str, rank: u32, notes: &[&str]| Role {
        id: id.to_owned(),
        title: title.to_owned(),
        rollout_rank: rank,
        components: Vec::new(),
        role_families: Vec::new(),
        notes: notes.iter().map(|n| (*n).to_owned()).collect(),
        pool: slipway::catalog::model::Pool::None,
    };
    match set {
        RoleSet::SharePointFarm => vec![
            role(
                "app-ca",
                "Application server hosting Central Administration",
                1,
                &[
                    "Updated first (as the SharePoint 2007 vendor document recommends; no product-specific source). If Central Administration runs on a front-end web server, that server comes first.",
                ],
            ),
            role(
                "app",
                "Other application servers",
                2,
                &["After the Central Administration server."],
            ),
            role("wfe", "Web front-end servers", 3, &["Updated last."]),
        ],
        RoleSet::Single(id, title) => vec![role(id, title, 1, &[])],
    }
}

fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_owned()
}

/// Keys that must stay even when empty (required by the schema): the catalog's own
/// `components`, `roles`, `releases` (indented by 2) and every component's `families`.
fn required_array(indent: usize, key: &str) -> bool {
    key == "families" || (indent == 2 && matches!(key, "components" | "roles" | "releases"))
}

/// Pretty JSON (2-space indent) without `null`s and without empty optional arrays; checked by
/// reading it back into the model.
fn to_json(c: &Catalog) -> Result<String, String> {
    let full = serde_json::to_string_pretty(c).map_err(|e| e.to_string())?;
    let mut kept: Vec<String> = Vec::new();
    for line in full.lines() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let drop = t.split_once("\": ").is_some_and(|(key, value)| {
            let key = key.trim_start_matches('"');
            let value = value.trim_end_matches(',');
            value == "null" || (value == "[]" && !required_array(indent, key))
        });
        if !drop {
            kept.push(line.to_owned());
        }
    }
    // A member followed by a closing bracket loses its comma.
    for i in 0..kept.len().saturating_sub(1) {
        let next = kept[i + 1].trim_start();
        if (next.starts_with('}') || next.starts_with(']')) && kept[i].ends_with(',') {
            kept[i].pop();
        }
    }
    let mut out = kept.join("\n");
    out.push('\n');
    let back: Catalog = serde_json::from_str(&out).map_err(|e| format!("{}: {e}", c.id))?;
    if &back != c {
        return Err(format!(
            "{}: the written JSON does not read back the same",
            c.id
        ));
    }
    Ok(out)
}

fn write_if_changed(path: &Path, text: &str) -> std::io::Result<()> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(path, text)
}
