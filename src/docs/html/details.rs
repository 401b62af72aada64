//! The report's details, after page one: each update with its source, the setup media, the
//! downloads with their digests and signatures, what was left out, the findings by code (the
//! affected items behind a `<details>`), each role folder's contents, the rollout step by
//! step and the checks after the update.

use std::fmt::Write as _;

use super::{
    Refs, Update, common_name, esc, group_by_server, kind_name, nw, opt, prose, release_sources,
    table,
};
use crate::catalog::rollout::Action;
use crate::docs::Facts;
use crate::model::Severity;
use crate::model::manifest::{PlacedKind, RoleEntry};
use crate::rollout::Run;

pub(super) fn details(s: &mut String, f: &Facts<'_>, updates: &[Update<'_>], refs: &mut Refs) {
    s.push_str("<h2>Details</h2>\n");
    releases(s, updates, refs);
    media(s, f);
    inputs(s, f);
    superseded(s, f);
    findings(s, f);
    contents(s, f);
    rollout(s, f, refs);
    checks(s, f);
}

/// Every update placed with its catalog release, what it needs installed first, and its
/// source.
fn releases(s: &mut String, updates: &[Update<'_>], refs: &mut Refs) {
    s.push_str("<h3>Updates and their sources</h3>\n");
    let rows: Vec<Vec<String>> = updates
        .iter()
        .map(|u| {
            let Some(r) = u.release else {
                return vec![
                    u.kb.map_or_else(|| "-".to_owned(), |k| nw(&k.to_string())),
                    "<em>not in the catalog</em>: check it against the vendor's page".to_owned(),
                    "-".to_owned(),
                    "-".to_owned(),
                ];
            };
            vec![
                u.kb.map_or_else(|| "-".to_owned(), |k| nw(&k.to_string())),
                format!(
                    "{} <span class=\"meta\">({}{})</span>{}",
                    esc(&r.name),
                    esc(kind_name(r.kind)),
                    r.component
                        .as_ref()
                        .map_or_else(String::new, |c| format!(", {}", esc(c))),
                    refs.cite(&release_sources(r))
                ),
                opt(r.requires_build.map(|b| b.to_string())),
                nw(&r.id),
            ]
        })
        .collect();
    table(
        s,
        &["KB", "update", "needs installed first", "catalog release"],
        &rows,
    );
}

/// The setup media merged into every role folder (`--media`, `--language-pack`).
fn media(s: &mut String, f: &Facts<'_>) {
    if f.manifest.media.is_empty() {
        return;
    }
    s.push_str("<h3>Setup media</h3>\n<p>Every role folder is the setup media with the role's updates in its <code>Updates</code> folder: a new server installed from it starts at the level after, not at the media's own.</p>\n");
    let rows: Vec<Vec<String>> = f
        .manifest
        .media
        .iter()
        .map(|m| {
            let id = &m.identity;
            vec![
                nw(&m.source),
                esc(&m.kind),
                opt(id.product_name.clone()),
                opt(id.build.map(|b| b.to_string())),
                opt(id.arch.map(|a| a.to_string())),
                opt(id.language.as_ref().map(ToString::to_string)),
                esc(if id.confirmed {
                    "by name"
                } else {
                    "not confirmed (see findings)"
                }),
                m.files.len().to_string(),
            ]
        })
        .collect();
    table(
        s,
        &[
            "media",
            "kind",
            "setup.exe names",
            "build",
            "arch",
            "language",
            "recognised",
            "files",
        ],
        &rows,
    );
}

/// The downloads: name and SHA-256, size, KB, build, language, signature.
fn inputs(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h3>Downloads</h3>\n");
    let rows: Vec<Vec<String>> = f
        .manifest
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let sig = f.input_signatures.get(i).copied().flatten();
            let verdict = sig.map_or_else(
                || "-".to_owned(),
                |v| {
                    let status = v.status.to_string();
                    let mut t = format!("<span class=\"{status}\">{status}</span>");
                    if let Some(signer) = &v.signer {
                        let _ = write!(t, "<br>{}", esc(common_name(signer)));
                    }
                    if let Some(at) = &v.signed_at {
                        let _ = write!(t, "<br>signed {}", esc(at));
                    }
                    t
                },
            );
            vec![
                format!(
                    "{}<br><span class=\"hash\">SHA-256 {}</span>",
                    nw(&input.path),
                    input.sha256
                ),
                input.size.to_string(),
                opt(input.kb.map(|k| k.to_string())),
                opt(input.build.map(|b| b.to_string())),
                opt(input.language.as_ref().map(ToString::to_string)),
                verdict,
            ]
        })
        .collect();
    table(
        s,
        &["file", "bytes", "KB", "build", "language", "signature"],
        &rows,
    );
}

/// Patches left out because a newer build of their family is placed.
fn superseded(s: &mut String, f: &Facts<'_>) {
    if f.manifest.superseded.is_empty() {
        return;
    }
    s.push_str("<h3>Left out: superseded</h3>\n");
    let rows: Vec<Vec<String>> = f
        .manifest
        .superseded
        .iter()
        .map(|x| {
            vec![
                nw(&x.name),
                opt(x.build.map(|b| b.to_string())),
                esc(&x.from.join(" › ")),
                esc(&x.by.join(" › ")),
            ]
        })
        .collect();
    table(s, &["patch", "build", "from", "replaced by"], &rows);
}

/// The findings, one line per code with its count, severity ordered; the affected items are
/// behind a `<details>` (no script).
fn findings(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h3>Findings</h3>\n");
    if f.manifest.findings.is_empty() {
        s.push_str("<p>None.</p>\n");
        return;
    }
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let mut codes: Vec<(&str, Vec<&crate::model::manifest::FindingEntry>)> = Vec::new();
        for x in f.manifest.findings.iter().filter(|x| x.severity == sev) {
            match codes.iter_mut().find(|(c, _)| *c == x.code) {
                Some((_, v)) => v.push(x),
                None => codes.push((&x.code, vec![x])),
            }
        }
        for (code, list) in codes {
            let _ = writeln!(
                s,
                "<details><summary><span class=\"{sev}\">{sev}</span> <code>{}</code> ×{}: {}</summary>\n<ul>",
                esc(code),
                list.len(),
                prose(&list[0].message)
            );
            for x in &list {
                let _ = writeln!(
                    s,
                    "<li>{} <span class=\"meta\">— {}</span></li>",
                    esc(&x.origin.join(" › ")),
                    prose(&x.message)
                );
            }
            s.push_str("</ul></details>\n");
        }
    }
}

/// A role folder's files relative to the folder, with their digests: roles whose lists are
/// the same are shown once.
fn listing(r: &RoleEntry) -> Vec<(String, String)> {
    r.patches
        .iter()
        .map(|p| {
            let rel = p
                .file
                .strip_prefix(&format!("{}/", r.folder))
                .unwrap_or(&p.file);
            (rel.to_owned(), p.sha256.to_string())
        })
        .collect()
}

fn contents(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h3>Contents of the role folders, in install order</h3>\n");
    let roles = &f.manifest.roles;
    let mut shown = vec![false; roles.len()];
    for i in 0..roles.len() {
        if shown[i] {
            continue;
        }
        let same: Vec<usize> = (i..roles.len())
            .filter(|&j| !shown[j] && listing(&roles[j]) == listing(&roles[i]))
            .collect();
        for &j in &same {
            shown[j] = true;
        }
        let names: Vec<String> = same
            .iter()
            .map(|&j| format!("{} ({})", nw(&roles[j].folder), esc(&roles[j].title)))
            .collect();
        let _ = writeln!(
            s,
            "<p><strong>{}</strong>{}</p>",
            names.join(", "),
            if same.len() > 1 {
                " — the same files in each folder (hard links)"
            } else {
                ""
            }
        );
        let r = &roles[i];
        let rows: Vec<Vec<String>> = r
            .patches
            .iter()
            .zip(listing(r))
            .map(|(p, (rel, _))| {
                let kind = match p.kind {
                    PlacedKind::Patch => "patch",
                    PlacedKind::Companion => "companion",
                    PlacedKind::Package => "package",
                };
                let sig = f.file_signatures.get(&p.file).map_or_else(
                    || "-".to_owned(),
                    |st| format!("<span class=\"{st}\">{st}</span>"),
                );
                vec![
                    opt(p.order.map(|o| o.to_string())),
                    nw(&rel),
                    kind.to_owned(),
                    opt(p.kb.map(|k| k.to_string())),
                    opt(p.build.map(|b| b.to_string())),
                    opt(p.language.as_ref().map(ToString::to_string)),
                    sig,
                ]
            })
            .collect();
        table(
            s,
            &[
                "order",
                "file",
                "kind",
                "KB",
                "build",
                "language",
                "signature",
            ],
            &rows,
        );
    }
}

fn rollout(s: &mut String, f: &Facts<'_>, refs: &mut Refs) {
    s.push_str("<h3>Rollout, step by step</h3>\n");
    let Some(r) = f.rollout else {
        s.push_str(
            "<p>No farm file was given (<code>build --farm FARM.toml</code> adds the rollout \
             server by server, with scripts and downtime). The roles, in rollout order, and \
             what follows the updates on each:</p>\n",
        );
        let rows: Vec<Vec<String>> = f
            .manifest
            .roles
            .iter()
            .map(|r| {
                vec![
                    r.rollout_rank.to_string(),
                    nw(&r.name),
                    esc(&r.title),
                    esc(&r.steps.join(" ")),
                ]
            })
            .collect();
        table(s, &["rank", "role", "title", "after installing"], &rows);
        return;
    };
    s.push_str("<p class=\"meta\">Phase by phase; a step done on several servers is one row, with the servers in order and each one's step number. Every command, exit code and log is in <code>RUNBOOK.md</code> and the servers' scripts (<code>scripts/</code>); rows in colour take something out of service (see Service impact).</p>\n");
    s.push_str("<table><thead><tr><th>what</th><th style=\"width:30%\">servers (step)</th><th>by</th></tr></thead><tbody>\n");
    for phase in &r.phases {
        let steps: Vec<&crate::rollout::Step> = r
            .sequence
            .iter()
            .filter(|st| st.phase == phase.id)
            .collect();
        if steps.is_empty() {
            continue;
        }
        let _ = writeln!(s, "<tr><th colspan=\"3\">{}</th></tr>", esc(&phase.title));
        let groups = group_by_server(
            steps
                .iter()
                .map(|st| (st.server.as_str(), st.step, st.text.as_str())),
        );
        for g in groups {
            let members: Vec<&&crate::rollout::Step> = steps
                .iter()
                .filter(|st| g.at.iter().any(|(sv, n)| *sv == st.server && *n == st.step))
                .collect();
            let sources: Vec<&String> = members.iter().flat_map(|st| &st.sources).collect();
            let down = members.iter().any(|st| st.downtime.is_some());
            let by = if members.iter().all(|st| st.run == Run::Manual) {
                "person"
            } else if members.iter().all(|st| st.run == Run::Script) {
                "script"
            } else {
                "script, person"
            };
            let _ = writeln!(
                s,
                "<tr{}><td>{}{}</td><td>{}</td><td>{by}</td></tr>",
                if down { " class=\"down\"" } else { "" },
                esc(&g.text),
                refs.cite(&sources),
                g.where_html()
            );
        }
    }
    s.push_str("</tbody></table>\n");
}

fn checks(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h3>Checks after the update</h3>\n<ul>\n");
    s.push_str(
        "<li>On the build machine: <code>slipway verify OUT</code> re-hashes every file \
         against the install manifest and <code>SHA256SUMS</code>.</li>\n",
    );
    let cmd = |c: &Option<String>| {
        c.as_ref().map_or_else(String::new, |c| {
            format!(" <code class=\"cmd\">{}</code>", esc(c))
        })
    };
    match f.rollout {
        Some(r) => {
            s.push_str(
                "<li>On each server, before installing: <code class=\"cmd\">powershell.exe -ExecutionPolicy Bypass -File .\\verify.ps1</code></li>\n",
            );
            // A check done on several servers is one line: its text and command with the
            // server's name replaced read the same.
            let verify: Vec<&crate::rollout::Step> = r
                .sequence
                .iter()
                .filter(|st| st.action == Action::Verify)
                .collect();
            let keyed: Vec<(&str, u32, String)> = verify
                .iter()
                .map(|st| {
                    (
                        st.server.as_str(),
                        st.step,
                        format!("{}\u{0}{}", st.text, st.command.as_deref().unwrap_or("")),
                    )
                })
                .collect();
            for g in group_by_server(keyed.iter().map(|(sv, n, k)| (*sv, *n, k.as_str()))) {
                let (text, command) = g.text.split_once('\u{0}').unwrap_or((&g.text, ""));
                let _ = writeln!(
                    s,
                    "<li>{}{} — {}</li>",
                    esc(text),
                    cmd(&Some(command.to_owned()).filter(|c| !c.is_empty())),
                    g.where_html()
                );
            }
        }
        None => {
            let templates = f
                .catalog
                .rollout
                .iter()
                .flat_map(|r| &r.phases)
                .flat_map(|p| &p.steps)
                .filter(|t| t.action == Action::Verify);
            for t in templates {
                let _ = writeln!(
                    s,
                    "<li>{}{}</li>",
                    esc(t.text.as_deref().unwrap_or(&t.id)),
                    cmd(&t.powershell)
                );
            }
        }
    }
    s.push_str("</ul>\n");
}
