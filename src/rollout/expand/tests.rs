//! The expansion, with small catalogs: scopes, conditions, install order, covered patches,
//! placeholders, manual steps.

use std::path::Path;

use serde_json::json;

use super::*;
use crate::farm::{order::order, parse};
use crate::model::{Scope as NameScope, Sha256};

fn catalog(phases: serde_json::Value) -> Catalog {
    serde_json::from_value(json!({
        "schema_version": 1, "id": "demo", "title": "Demo",
        "components": [{"id": "c", "title": "C", "families": ["f"]}],
        "roles": [
            {"id": "app", "title": "App", "rollout_rank": 1},
            {"id": "web", "title": "Web", "rollout_rank": 2},
            {"id": "mbx", "title": "Mailbox", "rollout_rank": 3}
        ],
        "releases": [],
        "rollout": {
            "installers": [
                {"id": "msi", "match": "*.msp", "text": "Install {name} ({kb}, {build}) on {server}",
                 "program": "msiexec.exe", "arguments": ["/update", "{file}", "/quiet", "/l*v", "{log}"],
                 "exit_codes": [{"code": 3010, "outcome": "reboot", "meaning": "restart needed"}],
                 "sources": ["msi doc"]},
                {"id": "sui", "match": "Installer.exe", "text": "Run {name}", "program": "{file}",
                 "arguments": ["/silent"], "applies_contained": true}
            ],
            "cluster": {"roles": ["mbx"], "passive_first": true, "scr_targets_first": true},
            "phases": phases
        }
    }))
    .unwrap()
}

fn entry(file: &str, kind: PlacedKind, order: Option<u32>, from: &[&str]) -> PlacedEntry {
    PlacedEntry {
        file: file.to_owned(),
        kind,
        sha256: Sha256([0; 32]),
        size: 1,
        family: None,
        kb: crate::model::Kb::parse("975002"),
        build: crate::model::Build::parse("12.0.6520.5000"),
        scope: NameScope::Global,
        language: None,
        order,
        targets: vec![],
        from: from.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn role(name: &str, patches: Vec<PlacedEntry>) -> RoleEntry {
    RoleEntry {
        name: name.to_owned(),
        title: name.to_owned(),
        folder: name.to_owned(),
        rollout_rank: 1,
        patches,
        steps: vec![],
        notes: vec![],
    }
}

fn roles() -> Vec<RoleEntry> {
    let p = |r: &str, f: &str, o| {
        entry(
            &format!("{r}/Updates/{f}"),
            PlacedKind::Patch,
            Some(o),
            &["pkg.exe", f],
        )
    };
    vec![
        role(
            "app",
            vec![
                p("app", "b.msp", 2),
                p("app", "a.msp", 1),
                entry(
                    "app/Updates/wsssetup.dll",
                    PlacedKind::Companion,
                    None,
                    &["pkg.exe", "wsssetup.dll"],
                ),
            ],
        ),
        role("web", vec![p("web", "a.msp", 1)]),
        role(
            "mbx",
            vec![
                entry(
                    "mbx/Updates/inner.msp",
                    PlacedKind::Patch,
                    Some(1),
                    &["Installer.exe", "[pe rsrc]", "inner.msp"],
                ),
                entry(
                    "mbx/Updates/Installer.exe",
                    PlacedKind::Package,
                    None,
                    &["Installer.exe"],
                ),
            ],
        ),
    ]
}

/// An install manifest holding `roles`, whose downloads are `pkg.exe` and `Installer.exe`.
fn manifest(roles: Vec<RoleEntry>) -> InstallManifest {
    let input = |path: &str| crate::model::manifest::Input {
        path: path.to_owned(),
        size: 1,
        sha256: Sha256([0; 32]),
        sha1: crate::model::Sha1([0; 20]),
        kind: crate::model::NameKind::PackageExe,
        kb: None,
        build: None,
        arch: None,
        scope: NameScope::Global,
        language: None,
    };
    serde_json::from_value(json!({
        "schema_version": 1,
        "tool": {"name": "slipway", "version": "0"},
        "product": "demo",
        "languages": {"base": "en-us", "chosen": []},
        "inputs": [],
        "notes": [],
        "roles": [],
        "superseded": [],
        "findings": []
    }))
    .map(|mut m: InstallManifest| {
        m.inputs = vec![input("pkg.exe"), input("Installer.exe")];
        m.roles = roles;
        m
    })
    .unwrap()
}

fn run_with(c: &Catalog, farm: &str, doc: &InstallManifest) -> Rollout {
    let f = parse(farm, Path::new("f.toml")).unwrap();
    let o = order(&f, c).unwrap();
    plan(c, &f, &o, doc)
}

fn run(phases: serde_json::Value, farm: &str) -> Rollout {
    run_with(&catalog(phases), farm, &manifest(roles()))
}

const FARM: &str = r#"
[[server]]
name = "WEB1"
role = "web"
[[server]]
name = "APP1"
role = "app"
[[server]]
name = "MBX-A"
role = "mbx"
cluster = "CMS"
active = true
[[server]]
name = "MBX-P"
role = "mbx"
cluster = "CMS"
"#;

fn lines(r: &Rollout) -> Vec<String> {
    r.sequence
        .iter()
        .map(|s| format!("{} {} {} {}", s.step, s.server, s.action.as_str(), s.id))
        .collect()
}

#[test]
fn phases_run_over_servers_in_order_and_farm_steps_once() {
    let r = run(
        json!([
            {"id": "one", "title": "One", "steps": [
                {"id": "backup", "action": "backup", "scope": "farm", "text": "Back up the farm from {server}"},
                {"id": "stop", "action": "prepare", "roles": ["web"], "text": "Stop on {server}",
                 "powershell": "Stop-Service -Name W3SVC", "downtime": "{server} out"}
            ]},
            {"id": "two", "title": "Two", "steps": [
                {"id": "install", "action": "install"},
                {"id": "restart", "action": "reboot", "text": "Restart {server} if asked"}
            ]}
        ]),
        FARM,
    );
    assert_eq!(
        lines(&r),
        [
            "1 APP1 backup backup",
            "2 WEB1 prepare stop",
            "3 APP1 install msi",
            "4 APP1 install msi",
            "5 APP1 reboot restart",
            "6 WEB1 install msi",
            "7 WEB1 reboot restart",
            "8 MBX-P install sui",
            "9 MBX-P reboot restart",
            "10 MBX-A install sui",
            "11 MBX-A reboot restart",
        ]
    );
    // Install order within the role; the companion file is not installed, and the patch the
    // package applies itself gets no step of its own.
    assert_eq!(r.sequence[2].file.as_deref(), Some("app/Updates/a.msp"));
    assert_eq!(r.sequence[3].file.as_deref(), Some("app/Updates/b.msp"));
    assert!(
        r.sequence
            .iter()
            .all(|s| s.file.as_deref() != Some("mbx/Updates/inner.msp"))
    );
    // A step without a command is for a person; a restart checkpoint is the script's.
    assert_eq!(r.sequence[0].run, Run::Manual);
    assert_eq!(r.sequence[4].run, Run::Script);
    assert_eq!(r.sequence[1].downtime.as_deref(), Some("WEB1 out"));
    assert_eq!(
        r.sequence[1].command.as_deref(),
        Some("Stop-Service -Name W3SVC")
    );
}

#[test]
fn install_steps_carry_command_exit_codes_and_sources() {
    let r = run(
        json!([{"id": "i", "title": "I", "steps": [{"id": "install", "action": "install", "sources": ["seed"]}]}]),
        "[[server]]\nname = \"APP1\"\nrole = \"app\"\n",
    );
    let s = &r.sequence[0];
    assert_eq!(s.text, "Install a.msp (KB975002, 12.0.6520.5000) on APP1");
    assert_eq!(
        s.command.as_deref(),
        Some(
            "& 'msiexec.exe' /update '.\\app\\Updates\\a.msp' /quiet /l*v (Join-Path $env:TEMP 'slipway-APP1-001.log')"
        )
    );
    assert_eq!(s.exit_codes[0].code, 3010);
    assert_eq!(s.sources, ["msi doc", "seed"]);
    assert_eq!(
        s.exec,
        Exec::Program {
            program: Arg::Text("msiexec.exe".into()),
            args: vec![
                Arg::Text("/update".into()),
                Arg::File("app/Updates/a.msp".into()),
                Arg::Text("/quiet".into()),
                Arg::Text("/l*v".into()),
                Arg::Log {
                    prefix: String::new(),
                    name: "slipway-APP1-001.log".into()
                },
            ]
        }
    );
}

#[test]
fn conditions_pick_passive_and_active_nodes_with_their_peers() {
    let r = run(
        json!([{"id": "c", "title": "C", "steps": [
            {"id": "move-groups", "action": "prepare", "when": "passive-node",
             "text": "Move groups from {server} to {peer}", "program": "cluster.exe",
             "arguments": ["group", "Cluster Group", "/move:{peer}"]},
            {"id": "move-cms", "action": "prepare", "when": "active-node", "manual": true,
             "text": "Move {cluster} from {server} to {peer}", "powershell": "Move-ClusteredMailboxServer -Identity {cluster} -TargetMachine {peer}"},
            {"id": "solo", "action": "verify", "when": "standalone", "roles": ["app"], "text": "Check {server}: {builds}"}
        ]}]),
        FARM,
    );
    assert_eq!(
        lines(&r),
        [
            "1 APP1 verify solo",
            "2 MBX-P prepare move-groups",
            "3 MBX-A prepare move-cms"
        ]
    );
    assert_eq!(r.sequence[0].text, "Check APP1: 12.0.6520.5000");
    assert_eq!(r.sequence[1].text, "Move groups from MBX-P to MBX-A");
    assert_eq!(
        r.sequence[1].command.as_deref(),
        Some("& 'cluster.exe' group 'Cluster Group' /move:MBX-A")
    );
    assert_eq!(r.sequence[2].text, "Move CMS from MBX-A to MBX-P");
    assert_eq!(r.sequence[2].run, Run::Manual);
    assert_eq!(
        r.sequence[2].exec,
        Exec::PowerShell("Move-ClusteredMailboxServer -Identity CMS -TargetMachine MBX-P".into())
    );
}

#[test]
fn the_farm_document_lists_servers_in_order_with_their_language() {
    let r = run(
        json!([]),
        &format!(
            "name = \"Demo farm\"\n{FARM}\n[[server]]\nname = \"APP2\"\nrole = \"app\"\nlanguage = \"de-de\"\n"
        ),
    );
    assert!(r.sequence.is_empty());
    let names: Vec<_> = r
        .farm
        .servers
        .iter()
        .map(|s| (s.name.as_str(), s.language.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("APP1", Some("en-us")),
            ("APP2", Some("de-de")),
            ("WEB1", Some("en-us")),
            ("MBX-P", Some("en-us")),
            ("MBX-A", Some("en-us"))
        ]
    );
    assert_eq!(r.farm.name.as_deref(), Some("Demo farm"));
    assert_eq!(r.farm.servers[0].script, "scripts/APP1.ps1");
}

#[test]
fn peers_are_the_active_node_and_the_first_passive_node() {
    let farm = "[[server]]\nname = \"N1\"\nrole = \"mbx\"\ncluster = \"CMS\"\nactive = true\n\
                [[server]]\nname = \"N3\"\nrole = \"mbx\"\ncluster = \"CMS\"\n\
                [[server]]\nname = \"N2\"\nrole = \"mbx\"\ncluster = \"CMS\"\n\
                [[server]]\nname = \"X\"\nrole = \"mbx\"\n";
    let c = catalog(json!([]));
    let f = parse(farm, Path::new("f.toml")).unwrap();
    let o = order(&f, &c).unwrap();
    let t = Topology::new(&f, &o);
    let name = |i: Option<usize>| i.map(|i| f.servers[i].name.value.clone());
    // N1 is active: its peer is the first passive node in rollout order.
    let first_passive = o
        .iter()
        .copied()
        .find(|&i| f.servers[i].cluster.is_some() && !f.servers[i].is_active());
    assert_eq!(name(t.peer(&f, 0)), name(first_passive));
    assert_eq!(name(t.peer(&f, 1)).as_deref(), Some("N1"));
    assert_eq!(t.peer(&f, 3), None);
}

#[test]
fn each_server_waits_for_the_phases_before_and_the_server_before_in_a_one_at_a_time_phase() {
    let r = run(
        json!([
            {"id": "one", "title": "One", "steps": [
                {"id": "stop", "action": "prepare", "text": "Stop {server}", "powershell": "Stop-Service W3SVC"}
            ]},
            {"id": "two", "title": "Two", "servers": "one-at-a-time", "steps": [
                {"id": "cfg", "action": "configure", "text": "Configure {server}", "program": "psconfig.exe"},
                {"id": "chk", "action": "verify", "text": "Check {server}", "check": "$true"}
            ]},
            {"id": "three", "title": "Three", "after": "own-steps", "steps": [
                {"id": "start", "action": "resume", "text": "Start {server}", "powershell": "Start-Service W3SVC"}
            ]}
        ]),
        FARM,
    );
    let s = |n: usize| &r.sequence[n - 1];
    // Phase one: nobody waits, but the active node for its passive node (cluster rule).
    assert!(
        r.sequence[..4]
            .iter()
            .filter(|x| x.server != "MBX-A")
            .all(|x| x.waits_for.is_empty() && x.waits_for_phases.is_empty())
    );
    assert_eq!(s(4).server, "MBX-A");
    assert_eq!(s(4).waits_for, [3]);
    // Phase two: the first server waits for phase one; each next one for the one before.
    assert_eq!((s(5).server.as_str(), s(5).id.as_str()), ("APP1", "cfg"));
    assert_eq!(s(5).waits_for_phases, ["one"]);
    assert!(s(5).waits_for.is_empty());
    assert!(s(6).waits_for.is_empty() && s(6).waits_for_phases.is_empty());
    assert_eq!(s(7).waits_for, [6]);
    assert_eq!(s(9).waits_for, [8]);
    // MBX-A comes after MBX-P: one server before it in the chain, and its passive node.
    assert_eq!(
        (s(11).server.as_str(), s(11).waits_for.clone()),
        ("MBX-A", vec![10])
    );
    // Phase three starts on each server after its own steps.
    assert!(
        r.sequence[12..]
            .iter()
            .all(|x| x.waits_for_phases.is_empty())
    );
    assert_eq!(
        r.phases
            .iter()
            .map(|p| (p.id.as_str(), p.servers.len()))
            .collect::<Vec<_>>(),
        [("one", 4), ("two", 4), ("three", 4)]
    );
    assert_eq!(r.id.len(), 16);
}

#[test]
fn the_active_node_waits_for_its_passive_nodes_and_scr_targets() {
    let farm =
        format!("{FARM}[[server]]\nname = \"SCR1\"\nrole = \"mbx\"\nscr_target_of = \"CMS\"\n");
    let r = run(
        json!([{"id": "p", "title": "P", "steps": [
            {"id": "install", "action": "install"},
            {"id": "chk", "action": "verify", "text": "Check {server}", "check": "$true"}
        ]}]),
        &farm,
    );
    let first = |server: &str| r.sequence.iter().find(|s| s.server == server).unwrap();
    let last = |server: &str| {
        r.sequence
            .iter()
            .rev()
            .find(|s| s.server == server)
            .unwrap()
            .step
    };
    let active = first("MBX-A");
    assert!(
        active.waits_for.contains(&last("MBX-P")),
        "{:?}",
        active.waits_for
    );
    assert!(
        active.waits_for.contains(&last("SCR1")),
        "{:?}",
        active.waits_for
    );
    assert!(first("MBX-P").waits_for.contains(&last("SCR1")));
    assert!(first("APP1").waits_for.is_empty());
}

#[test]
fn not_applicable_stops_unless_the_installer_expects_it() {
    let mut c = catalog(
        json!([{"id": "i", "title": "I", "steps": [{"id": "install", "action": "install"}]}]),
    );
    let na = crate::catalog::rollout::ExitCode {
        code: 1642,
        outcome: Outcome::NotApplicable,
        meaning: "not for this".into(),
        remedy: Some("check the level".into()),
    };
    let rollout = c.rollout.as_mut().unwrap();
    rollout.installers[0].exit_codes.push(na);
    let farm = "[[server]]\nname = \"APP1\"\nrole = \"app\"\n";
    let r = run_with(&c, farm, &manifest(roles()));
    let code = r.sequence[0]
        .exit_codes
        .iter()
        .find(|e| e.code == 1642)
        .unwrap();
    assert_eq!(code.outcome, Outcome::Stop);
    assert_eq!(code.remedy.as_deref(), Some("check the level"));
    c.rollout.as_mut().unwrap().installers[0].if_not_applicable = IfNotApplicable::Expected;
    let r = run_with(&c, farm, &manifest(roles()));
    let code = r.sequence[0]
        .exit_codes
        .iter()
        .find(|e| e.code == 1642)
        .unwrap();
    assert_eq!(code.outcome, Outcome::NotApplicable);
}

#[test]
fn packages_are_run_where_the_catalog_runs_packages_and_media_patches_never() {
    let mut c = catalog(
        json!([{"id": "i", "title": "I", "steps": [{"id": "install", "action": "install"}]}]),
    );
    c.rollout.as_mut().unwrap().installers.insert(
        0,
        serde_json::from_value(json!({"id": "pkg", "match": "*.exe", "installs": "package",
            "text": "Run {name}", "program": "{file}", "arguments": ["/quiet", "/log:{log}"]}))
        .unwrap(),
    );
    let mut roles = roles();
    // A patch from the setup media: placed for new servers, never run on existing ones.
    roles[0].patches.push(entry(
        "app/Updates/sp.msp",
        PlacedKind::Patch,
        Some(3),
        &["media", "Updates/sp.msp"],
    ));
    let mut doc = manifest(roles);
    doc.packages = vec![crate::model::manifest::PackageEntry {
        file: "packages/pkg.exe".into(),
        sha256: Sha256([0; 32]),
        size: 1,
        input: "pkg.exe".into(),
        kb: crate::model::Kb::parse("975002"),
        roles: vec!["app".into(), "web".into()],
        order: 1,
    }];
    let r = run_with(&c, "[[server]]\nname = \"APP1\"\nrole = \"app\"\n", &doc);
    assert_eq!(lines(&r), ["1 APP1 install pkg"]);
    assert_eq!(r.sequence[0].file.as_deref(), Some("packages/pkg.exe"));
    assert_eq!(
        r.sequence[0].command.as_deref(),
        Some(
            "& '.\\packages\\pkg.exe' /quiet ('/log:' + (Join-Path $env:TEMP 'slipway-APP1-001.log'))"
        )
    );
}

#[test]
fn a_step_naming_a_component_build_the_role_lacks_is_left_out() {
    let mut roles = roles();
    for p in &mut roles[0].patches {
        p.family = Some("f".into());
    }
    let c = catalog(json!([{"id": "v", "title": "V", "steps": [
        {"id": "chk", "action": "verify", "text": "c is {build:c}", "check": "'{build:c}' -ne ''"},
        {"id": "other", "action": "verify", "text": "x is {build:x}", "check": "$true"}
    ]}]));
    let r = run_with(
        &c,
        "[[server]]\nname = \"APP1\"\nrole = \"app\"\n[[server]]\nname = \"WEB1\"\nrole = \"web\"\n",
        &manifest(roles),
    );
    // APP1's role has updates of component c; WEB1's have no family; nobody has x.
    assert_eq!(lines(&r), ["1 APP1 verify chk"]);
    assert_eq!(
        r.sequence[0].exec,
        Exec::Check("'12.0.6520.5000' -ne ''".into())
    );
}

#[test]
fn pool_steps_run_once_per_pool_with_its_backend() {
    let c = catalog(json!([{"id": "db", "title": "DB", "steps": [
        {"id": "pool-db", "action": "install", "scope": "pool", "manual": true,
         "text": "Update {pool} on {backend}"}
    ]}]));
    let farm = "[[pool]]\nname = \"P1\"\nbackend = \"SQL1\"\n[[pool]]\nname = \"P2\"\n\
                [[server]]\nname = \"A\"\nrole = \"app\"\npool = \"P1\"\n\
                [[server]]\nname = \"B\"\nrole = \"app\"\npool = \"p1\"\n\
                [[server]]\nname = \"C\"\nrole = \"app\"\npool = \"P2\"\n\
                [[server]]\nname = \"D\"\nrole = \"app\"\n";
    let r = run_with(&c, farm, &manifest(roles()));
    let texts: Vec<&str> = r.sequence.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "Update P1 on SQL1",
            "Update P2 on the pool's back-end database server"
        ]
    );
}

/// Exchange 2007 with the built-in catalog: a service pack (known by its build) brings the
/// `setup.com /mode:upgrade` steps, Client Access first and the clustered mailbox server's
/// passive node before the `/upgradecms` step; a rollup alone brings none of them.
#[test]
fn exchange_service_packs_bring_the_upgrade_steps_and_rollups_do_not() {
    let catalogs = crate::catalog::builtin();
    let c = catalogs.iter().find(|c| c.id == "exchange-2007").unwrap();
    let farm = r#"
[[server]]
name = "CAS1"
role = "client-access"
[[server]]
name = "MBX-A"
role = "mailbox"
cluster = "CMS"
active = true
[[server]]
name = "MBX-P"
role = "mailbox"
cluster = "CMS"
"#;
    let update = |build: &str| {
        let mut e = entry("x/Updates/u.msp", PlacedKind::Patch, Some(1), &["u.msp"]);
        e.kb = None;
        e.build = crate::model::Build::parse(build);
        e
    };
    let doc = |build: &str| {
        let mut m = manifest(
            ["client-access", "mailbox"]
                .iter()
                .map(|r| role(r, vec![update(build)]))
                .collect(),
        );
        m.product = "exchange-2007".into();
        m
    };
    let texts = |r: &Rollout| -> Vec<(String, String)> {
        r.sequence
            .iter()
            .map(|s| (s.server.clone(), s.text.clone()))
            .collect()
    };
    // Service Pack 3 (8.3.83.6 in the catalog).
    let sp = texts(&run_with(c, farm, &doc("8.3.83.6")));
    let upgrade = |server: &str| {
        sp.iter()
            .position(|(s, t)| s == server && t.contains("setup.com /mode:upgrade"))
            .unwrap_or_else(|| panic!("{server}: no upgrade step in {sp:#?}"))
    };
    let cms = sp
        .iter()
        .position(|(_, t)| t.contains("/upgradecms"))
        .expect("an /upgradecms step");
    assert!(upgrade("CAS1") < upgrade("MBX-P"), "Client Access first");
    assert!(
        upgrade("MBX-P") < cms,
        "the passive node before /upgradecms"
    );
    assert!(
        cms <= upgrade("MBX-A"),
        "/upgradecms before the former active node"
    );
    // A rollup (SP1 Update Rollup 9, 8.1.393.1): no service-pack step at all.
    let ur = texts(&run_with(c, farm, &doc("8.1.393.1")));
    assert!(
        ur.iter()
            .all(|(_, t)| !t.contains("setup.com") && !t.contains("/upgradecms")),
        "{ur:#?}"
    );
}

/// Halves of each role in rollout order (by name within a role): of three front ends the
/// first two, of one application server that one; phases over halves give the zero-downtime
/// order (a role's first half, then its second half).
#[test]
fn first_and_second_half_split_each_role_in_rollout_order() {
    let farm = "[[server]]\nname = \"WEB3\"\nrole = \"web\"\n\
                [[server]]\nname = \"WEB1\"\nrole = \"web\"\n\
                [[server]]\nname = \"WEB2\"\nrole = \"web\"\n\
                [[server]]\nname = \"APP1\"\nrole = \"app\"\n";
    let r = run(
        json!([
            {"id": "one", "title": "First half", "steps": [
                {"id": "out", "action": "prepare", "when": "first-half", "text": "Take {server} out"}
            ]},
            {"id": "two", "title": "Second half", "steps": [
                {"id": "out", "action": "prepare", "when": "second-half", "text": "Take {server} out"}
            ]}
        ]),
        farm,
    );
    assert_eq!(
        lines(&r),
        [
            "1 APP1 prepare out",
            "2 WEB1 prepare out",
            "3 WEB2 prepare out",
            "4 WEB3 prepare out",
        ]
    );
    assert_eq!(r.sequence[3].phase, "two");
    assert_eq!(r.sequence[3].waits_for_phases, ["one"]);
    assert_eq!(r.phases[1].servers, ["WEB3"]);
}
