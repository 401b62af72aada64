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

fn run(phases: serde_json::Value, farm: &str) -> Rollout {
    let c = catalog(phases);
    let f = parse(farm, Path::new("f.toml")).unwrap();
    let o = order(&f, &c).unwrap();
    plan(&c, &f, &o, &roles(), Lang::parse("en-us").as_ref())
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
            "msiexec.exe /update app\\Updates\\a.msp /quiet /l*v %TEMP%\\slipway-APP1\\001-a.msp.log"
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
                Arg::Log("001-a.msp.log".into()),
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
        Some("cluster.exe group \"Cluster Group\" /move:MBX-A")
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
