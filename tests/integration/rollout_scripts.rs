//! What administrators run, checked with a real PowerShell grammar (tree-sitter-powershell):
//! every generated script of every sample farm parses; every command line a person copies is
//! one command whose file argument stays one literal whatever the file is called; and the
//! resume rule holds from every start step (table-tested against the catalog's phase rules).

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tree_sitter::{Node, Parser, Tree};

use crate::support::{code, slipway};

fn parse(src: &str) -> Tree {
    let mut p = Parser::new();
    p.set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("the PowerShell grammar loads");
    p.parse(src, None).expect("a tree")
}

/// The first syntax error: its line, column and the text around it.
fn first_error(tree: &Tree, src: &str) -> Option<String> {
    fn walk(n: Node<'_>, src: &str) -> Option<String> {
        if n.is_error() || n.is_missing() {
            let p = n.start_position();
            let text = n.utf8_text(src.as_bytes()).unwrap_or("");
            return Some(format!(
                "line {} column {}: {:?}",
                p.row + 1,
                p.column + 1,
                text.chars().take(80).collect::<String>()
            ));
        }
        let mut c = n.walk();
        n.children(&mut c).find_map(|k| walk(k, src))
    }
    if !tree.root_node().has_error() {
        return None;
    }
    walk(tree.root_node(), src).or_else(|| Some("an error".to_owned()))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&fs::read(p).unwrap()).unwrap()
}

/// Every PowerShell file below `out`.
fn scripts(out: &Path) -> Vec<PathBuf> {
    let mut v = vec![out.join("verify.ps1")];
    for e in fs::read_dir(out.join("scripts")).unwrap() {
        v.push(e.unwrap().path());
    }
    v.sort();
    v
}

/// Every sample product with a farm file (`samples/farms/`).
const SAMPLE_PRODUCTS: [&str; 5] = [
    "sharepoint-2007",
    "exchange-2007",
    "ocs-2007-r2",
    "sharepoint-2019",
    "sharepoint-se",
];

fn assert_parses(file: &Path) {
    let text = fs::read_to_string(file).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let tree = parse(text);
    if let Some(e) = first_error(&tree, text) {
        panic!("{}: {e}", file.display());
    }
}

#[test]
fn every_generated_script_of_every_sample_farm_parses_as_powershell() {
    for product in SAMPLE_PRODUCTS {
        let (_tmp, out) = crate::farm::built_sample(product);
        let files = scripts(&out);
        assert!(files.len() >= 4, "{product}: {files:?}");
        for f in &files {
            assert_parses(f);
        }
        let rollout = read_json(&out.join("rollout.json"));
        for s in rollout["sequence"].as_array().unwrap() {
            if let Some(c) = s["command"].as_str() {
                let tree = parse(c);
                assert_eq!(
                    first_error(&tree, c),
                    None,
                    "{product} step {}: {c}",
                    s["step"]
                );
            }
        }
    }
}

#[test]
fn the_grammar_sees_broken_powershell() {
    for bad in [
        "if ($x { }",
        "Write-Host 'unclosed",
        "& 'a.exe' ('/log:' + ",
    ] {
        assert!(first_error(&parse(bad), bad).is_some(), "{bad}");
    }
}

/// The elements of the one command a line holds (the program first), as written.
fn command_words(src: &str) -> Result<Vec<String>, String> {
    let tree = parse(src);
    if let Some(e) = first_error(&tree, src) {
        return Err(e);
    }
    let text = |n: Node<'_>| n.utf8_text(src.as_bytes()).unwrap().to_owned();
    // One statement, one pipeline of one command.
    let mut commands = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        if n.kind() == "command" {
            commands.push(n);
            continue;
        }
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    let [command] = commands.as_slice() else {
        return Err(format!("{} commands in {src}", commands.len()));
    };
    let mut words = Vec::new();
    let mut c = command.walk();
    for part in command.children(&mut c) {
        match part.kind() {
            "command_invokation_operator" => {}
            "command_elements" => {
                let mut e = part.walk();
                words.extend(
                    part.children(&mut e)
                        .filter(|x| x.kind() != "command_argument_sep")
                        .map(text),
                );
            }
            _ => words.push(text(part)),
        }
    }
    Ok(words)
}

/// PowerShell's single-quoted literal for `s` (the way the tests expect a name written).
fn literal(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Names legal on Windows that a shell would read as code: `&`, `^`, `%VAR%`, `$(…)`, `$var`,
/// quotes (straight and typographic), a backtick, `;`.
const HOSTILE: &[&str] = &[
    "&calc&",
    "^x^",
    "%PATH%",
    "$(calc)",
    "$windir",
    "it's",
    "it\u{2019}s",
    "back`tick",
    "semi;colon",
];

fn build_with(product: &str, downloads: &Path, farm: &str, out: &Path) {
    let farm_file = out.with_extension("toml");
    fs::write(&farm_file, farm).unwrap();
    let res = slipway([
        "build".as_ref(),
        "--allow-findings".as_ref(),
        "--product".as_ref(),
        product.as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        "--farm".as_ref(),
        farm_file.as_os_str(),
        downloads.as_os_str(),
    ]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
}

/// Copies a sample's downloads, renaming each to carry `tag` before its extension.
fn hostile_downloads(product: &str, dir: &Path, tag: &str) {
    fs::create_dir_all(dir).unwrap();
    for f in fs::read_dir(root().join("samples").join(product)).unwrap() {
        let f = f.unwrap().path();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let (stem, ext) = name.rsplit_once('.').unwrap();
        // The SharePoint packages keep the shape of their names (their KB and kind are read
        // from it); the tag goes before the extension.
        fs::copy(&f, dir.join(format!("{stem}{tag}.{ext}"))).unwrap();
    }
}

/// The command lines `RUNBOOK.md` shows (each step's `command` or `check` code span), as a
/// CommonMark reader gets them: inside a code span nothing is unescaped, only the one space
/// padding each side is dropped (CommonMark 6.1).
fn runbook_commands(md: &str) -> Vec<String> {
    md.lines()
        .filter_map(|l| {
            l.strip_prefix("  - command (Windows PowerShell): ")
                .or_else(|| l.strip_prefix("  - check (must be true): "))
        })
        .map(|span| {
            let fence = span.len() - span.trim_start_matches('`').len();
            let inner = &span[fence..span.len() - fence];
            inner
                .strip_prefix(' ')
                .and_then(|i| i.strip_suffix(' '))
                .unwrap_or(inner)
                .to_owned()
        })
        .collect()
}

/// The command lines `report.html` shows (`<code>` elements), as a browser reads them.
fn html_commands(html: &str) -> Vec<String> {
    html.split("<code>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</code>").map(|(c, _)| c))
        .map(|c| {
            c.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

#[test]
fn hostile_file_names_stay_one_argument_in_every_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, tag) in HOSTILE.iter().enumerate() {
        for (product, farm) in [
            (
                "sharepoint-2007",
                "[[server]]\nname = \"SP1\"\nrole = \"app-ca\"\n",
            ),
            (
                "exchange-2007",
                "[[server]]\nname = \"EX1\"\nrole = \"mailbox\"\n",
            ),
            (
                "sharepoint-2019",
                "[[server]]\nname = \"W1\"\nrole = \"web-front-end\"\n\
                 [[server]]\nname = \"A1\"\nrole = \"application-with-search\"\n",
            ),
            (
                "sharepoint-se",
                "[[server]]\nname = \"S1\"\nrole = \"single-server-farm\"\n",
            ),
        ] {
            let downloads = tmp.path().join(format!("{product}-{i}"));
            hostile_downloads(product, &downloads, tag);
            let out = tmp.path().join(format!("{product}-{i}-out"));
            build_with(product, &downloads, farm, &out);
            let rollout = read_json(&out.join("rollout.json"));
            let runbook = fs::read_to_string(out.join("RUNBOOK.md")).unwrap();
            let shown_md = runbook_commands(&runbook);
            let shown_html = html_commands(&fs::read_to_string(out.join("report.html")).unwrap());
            let mut seen = 0;
            for s in rollout["sequence"].as_array().unwrap() {
                let (Some(c), Some(file)) = (s["command"].as_str(), s["file"].as_str()) else {
                    continue;
                };
                let words = command_words(c).unwrap_or_else(|e| panic!("{c}: {e}"));
                let path = literal(&format!(".\\{}", file.replace('/', "\\")));
                assert!(
                    words.contains(&path),
                    "{product} {tag:?}: {path} is not one word of {words:?}"
                );
                assert!(file.contains(tag), "{file} lost {tag:?}");
                // The same line, character for character, where a person copies it from.
                assert!(
                    shown_md.iter().any(|m| m == c),
                    "RUNBOOK.md: {c} not in {shown_md:?}"
                );
                seen += 1;
            }
            // The report shows fewer commands (it groups a step done on several servers and
            // leaves every command to RUNBOOK.md and the scripts); each one it does show that
            // names a hostile file is one of rollout.json's lines, character for character.
            let commands: Vec<&str> = rollout["sequence"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s["command"].as_str())
                .collect();
            for h in shown_html.iter().filter(|h| h.contains(tag)) {
                assert!(
                    commands.contains(&h.as_str()),
                    "report.html: {h} is no command of rollout.json"
                );
            }
            assert!(seen > 0, "{product} {tag:?}: no command names a file");
            for f in scripts(&out) {
                assert_parses(&f);
            }
            // Every line shown to a person is PowerShell (the catalog's own lines may be
            // several statements; those naming a file were checked above to be one command).
            for shown in shown_md.iter().chain(&shown_html) {
                if let Some(e) = first_error(&parse(shown), shown) {
                    panic!("{product} {tag:?}: {shown}: {e}");
                }
            }
            assert!(!runbook.contains("%TEMP%"), "cmd.exe syntax in the runbook");
        }
    }
}

// --- The resume rule, from every start step ---------------------------------------------------

struct Farm {
    rollout: Value,
    catalog: Value,
    /// server → (cluster, active, scr_target_of)
    servers: HashMap<String, (Option<String>, bool, Option<String>)>,
}

fn steps(f: &Farm) -> &Vec<Value> {
    f.rollout["sequence"].as_array().unwrap()
}

fn s_num(s: &Value) -> u64 {
    s["step"].as_u64().unwrap()
}

fn s_str<'a>(s: &'a Value, k: &str) -> &'a str {
    s[k].as_str().unwrap()
}

/// The catalog's phases, in order: (id, after previous phases, one server at a time).
fn phase_rules(f: &Farm) -> Vec<(String, bool, bool)> {
    f.catalog["rollout"]["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                s_str(p, "id").to_owned(),
                p["after"].as_str().unwrap_or("previous-phases") == "previous-phases",
                p["servers"].as_str() == Some("one-at-a-time"),
            )
        })
        .collect()
}

/// What must be done before step `b` on other servers, from the catalog's rules alone (not
/// from rollout.json's waits): every step of an earlier phase when `b`'s phase starts after
/// the previous ones; in a one-at-a-time phase, the earlier servers' steps of it; passive
/// nodes before their active node, SCR targets before their source's nodes.
fn oracle(f: &Farm, b: &Value) -> BTreeSet<u64> {
    let rules = phase_rules(f);
    let idx = |p: &str| rules.iter().position(|r| r.0 == p).unwrap();
    let (pb, after, one) = {
        let i = idx(s_str(b, "phase"));
        (i, rules[i].1, rules[i].2)
    };
    // Server order within each phase: order of first appearance.
    let mut order: HashMap<(usize, String), usize> = HashMap::new();
    for s in steps(f) {
        let key = (idx(s_str(s, "phase")), s_str(s, "server").to_owned());
        let n = order.len();
        order.entry(key).or_insert(n);
    }
    let bs = s_str(b, "server");
    let (b_cluster, b_active, _) = &f.servers[bs];
    let cluster_first = |a: &str| {
        let (a_cluster, a_active, a_scr) = &f.servers[a];
        let passive_of = b_cluster.is_some() && a_cluster == b_cluster && *b_active && !a_active;
        let scr_of = b_cluster.is_some() && a_scr == b_cluster;
        passive_of || scr_of
    };
    let mut out = BTreeSet::new();
    for a in steps(f) {
        let as_ = s_str(a, "server");
        if as_ == bs {
            continue;
        }
        let pa = idx(s_str(a, "phase"));
        let must = (pa < pb && after)
            || (pa == pb
                && ((one && order[&(pa, as_.to_owned())] < order[&(pb, bs.to_owned())])
                    || cluster_first(as_)));
        if must {
            out.insert(s_num(a));
        }
    }
    out
}

/// The rule the scripts enforce: own earlier steps, waits_for, and each waited phase's
/// servers' last steps, all done.
fn ready(f: &Farm, b: &Value, done: &BTreeSet<u64>) -> bool {
    let bs = s_str(b, "server");
    let own = steps(f)
        .iter()
        .filter(|s| s_str(s, "server") == bs && s_num(s) < s_num(b))
        .all(|s| done.contains(&s_num(s)));
    let waits = b["waits_for"]
        .as_array()
        .unwrap()
        .iter()
        .all(|w| done.contains(&w.as_u64().unwrap()));
    let phases = b["waits_for_phases"].as_array().unwrap().iter().all(|p| {
        let mut last: HashMap<&str, u64> = HashMap::new();
        for s in steps(f).iter().filter(|s| s["phase"] == *p) {
            last.insert(s_str(s, "server"), s_num(s));
        }
        last.values().all(|k| done.contains(k))
    });
    own && waits && phases
}

fn load_farm(product: &str, farm_toml: &str) -> (tempfile::TempDir, Farm) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    build_with(
        product,
        &root().join("samples").join(product),
        farm_toml,
        &out,
    );
    let rollout = read_json(&out.join("rollout.json"));
    let catalog = read_json(&root().join("manifests").join(format!("{product}.json")));
    let servers = rollout["farm"]["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s_str(s, "name").to_owned(),
                (
                    s["cluster"].as_str().map(str::to_lowercase),
                    s["active"].as_bool().unwrap(),
                    s["scr_target_of"].as_str().map(str::to_lowercase),
                ),
            )
        })
        .collect();
    (
        tmp,
        Farm {
            rollout,
            catalog,
            servers,
        },
    )
}

#[test]
fn resume_from_any_step_never_runs_a_step_before_its_prerequisites() {
    let sample = |p: &str| {
        fs::read_to_string(root().join("samples/farms").join(format!("{p}.toml"))).unwrap()
    };
    let farms = [
        ("sharepoint-2007", sample("sharepoint-2007")),
        ("exchange-2007", sample("exchange-2007")),
        ("ocs-2007-r2", sample("ocs-2007-r2")),
        ("sharepoint-2019", sample("sharepoint-2019")),
        ("sharepoint-se", sample("sharepoint-se")),
        // An uneven MinRole farm: three front ends (halves of two and one), one server of
        // each other dedicated role (its half is the first), a custom server.
        (
            "sharepoint-se",
            "[[server]]\nname = \"W3\"\nrole = \"web-front-end\"\n\
             [[server]]\nname = \"W1\"\nrole = \"web-front-end\"\n\
             [[server]]\nname = \"W2\"\nrole = \"web-front-end\"\n\
             [[server]]\nname = \"A1\"\nrole = \"application\"\n\
             [[server]]\nname = \"D1\"\nrole = \"distributed-cache\"\n\
             [[server]]\nname = \"S1\"\nrole = \"search\"\n\
             [[server]]\nname = \"C1\"\nrole = \"custom\"\n"
                .to_owned(),
        ),
        // A bigger SharePoint farm: three front ends, two application servers.
        (
            "sharepoint-2007",
            "[[server]]\nname = \"W1\"\nrole = \"wfe\"\n[[server]]\nname = \"A2\"\nrole = \"app\"\n\
             [[server]]\nname = \"CA\"\nrole = \"app-ca\"\n[[server]]\nname = \"W2\"\nrole = \"wfe\"\n\
             [[server]]\nname = \"A3\"\nrole = \"app\"\n[[server]]\nname = \"W3\"\nrole = \"wfe\"\n"
                .to_owned(),
        ),
        // Two clusters with their SCR targets.
        (
            "exchange-2007",
            "[[server]]\nname = \"M1\"\nrole = \"mailbox\"\ncluster = \"C1\"\nactive = true\n\
             [[server]]\nname = \"M2\"\nrole = \"mailbox\"\ncluster = \"C1\"\n\
             [[server]]\nname = \"M3\"\nrole = \"mailbox\"\ncluster = \"C2\"\n\
             [[server]]\nname = \"M4\"\nrole = \"mailbox\"\ncluster = \"C2\"\nactive = true\n\
             [[server]]\nname = \"S1\"\nrole = \"mailbox\"\nscr_target_of = \"C1\"\n\
             [[server]]\nname = \"S2\"\nrole = \"mailbox\"\nscr_target_of = \"C2\"\n\
             [[server]]\nname = \"H1\"\nrole = \"hub-transport\"\n"
                .to_owned(),
        ),
    ];
    let mut checked = 0;
    for (product, toml) in &farms {
        let (_tmp, f) = load_farm(product, toml);
        let by_num: HashMap<u64, &Value> = steps(&f).iter().map(|s| (s_num(s), s)).collect();
        for b in steps(&f) {
            // Whatever step a script starts at (-From, a rerun, -Confirm), `b` runs only once
            // everything it transitively waits for is done: its own earlier steps, its waits,
            // and each waited phase's servers' last steps (the scripts' rule, `ready`).
            let need = closure(&f, &by_num, b);
            let done: BTreeSet<u64> = need.iter().copied().collect();
            assert!(
                ready(&f, b, &done),
                "{product}: step {} not ready after its prerequisites",
                s_num(b)
            );
            // Everything the catalog's rules put before it is among them…
            let rules = oracle(&f, b);
            let missing: Vec<&u64> = rules.difference(&need).collect();
            assert!(
                missing.is_empty(),
                "{product}: step {} ({}) may run before {missing:?}",
                s_num(b),
                s_str(b, "server")
            );
            // …and nothing more is: no step waits for what no rule asks (a dead wait).
            let mut allowed: BTreeSet<u64> = rules.clone();
            for &r in &rules {
                allowed.extend(
                    steps(&f)
                        .iter()
                        .filter(|s| s["server"] == by_num[&r]["server"] && s_num(s) < r)
                        .map(s_num),
                );
            }
            allowed.extend(
                steps(&f)
                    .iter()
                    .filter(|s| s["server"] == b["server"] && s_num(s) < s_num(b))
                    .map(s_num),
            );
            let mut grown = allowed.clone();
            for &x in &allowed {
                grown.extend(oracle(&f, by_num[&x]));
            }
            let extra: Vec<&u64> = need.difference(&grown).collect();
            assert!(
                extra.is_empty(),
                "{product}: step {} waits for {extra:?}, which no rule asks",
                s_num(b)
            );
            checked += 1;
        }
    }
    assert!(checked > 150, "{checked} start steps");
}

/// Everything that must be done before step `b` by the scripts' rule, transitively.
fn closure(f: &Farm, by_num: &HashMap<u64, &Value>, b: &Value) -> BTreeSet<u64> {
    let direct = |x: &Value| -> Vec<u64> {
        let mut v: Vec<u64> = steps(f)
            .iter()
            .filter(|s| s["server"] == x["server"] && s_num(s) < s_num(x))
            .map(s_num)
            .collect();
        v.extend(
            x["waits_for"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_u64().unwrap()),
        );
        for p in x["waits_for_phases"].as_array().unwrap() {
            let mut last: HashMap<&str, u64> = HashMap::new();
            for s in steps(f).iter().filter(|s| s["phase"] == *p) {
                last.insert(s_str(s, "server"), s_num(s));
            }
            v.extend(last.values());
        }
        v
    };
    let mut out = BTreeSet::new();
    let mut todo = direct(b);
    while let Some(n) = todo.pop() {
        if out.insert(n) {
            todo.extend(direct(by_num[&n]));
        }
    }
    out
}

#[test]
fn scripts_enforce_the_waits_rollout_json_states() {
    for product in SAMPLE_PRODUCTS {
        let (_tmp, out) = crate::farm::built_sample(product);
        let rollout = read_json(&out.join("rollout.json"));
        let phase_servers: HashMap<&str, usize> = rollout["phases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (s_str(p, "id"), p["servers"].as_array().unwrap().len()))
            .collect();
        for sv in rollout["farm"]["servers"].as_array().unwrap() {
            let text = fs::read_to_string(out.join(s_str(sv, "script"))).unwrap();
            for s in rollout["sequence"].as_array().unwrap() {
                if s["server"] != sv["name"] {
                    continue;
                }
                let waits: Vec<String> = s["waits_for"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.to_string())
                    .collect();
                let phases: Vec<String> = s["waits_for_phases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| format!("'{}'", p.as_str().unwrap()))
                    .collect();
                let line = format!("@{{ N = {}; ", s_num(s));
                let at = text
                    .find(&line)
                    .unwrap_or_else(|| panic!("{product}: {line}"));
                let entry = &text[at..text[at..].find('\n').map_or(text.len(), |e| at + e)];
                assert!(
                    entry.contains(&format!("Waits = @({});", waits.join(", "))),
                    "{product} step {}: {entry}",
                    s_num(s)
                );
                assert!(
                    entry.contains(&format!("Phases = @({});", phases.join(", "))),
                    "{product} step {}: {entry}",
                    s_num(s)
                );
                for p in s["waits_for_phases"].as_array().unwrap() {
                    let p = p.as_str().unwrap();
                    assert!(
                        text.contains(&format!("'{p}' = {}", phase_servers[p])),
                        "{product}: phase {p}'s server count"
                    );
                }
            }
        }
    }
}
