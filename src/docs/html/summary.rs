//! Page one of the report: what a change board decides on — what changes, why, scope, service
//! impact, risk and its mitigations, the back-out plan, the open findings that need a
//! decision, and the approvals.

use std::fmt::Write as _;

use super::{Refs, Update, esc, group_by_server, kind_name, nw, prose, release_sources, table};
use crate::authenticode::Status;
use crate::catalog::model::ReleaseKind;
use crate::catalog::rollout::{Action, Servers};
use crate::docs::Facts;
use crate::model::Severity;

pub(super) fn page_one(s: &mut String, f: &Facts<'_>, updates: &[Update<'_>], refs: &mut Refs) {
    what_changes(s, f, updates);
    why(s, updates, refs);
    scope(s, f);
    impact(s, f, refs);
    risk(s, f, refs);
    backout(s, f, refs);
    decisions(s, f);
    approvals(s);
}

/// The level before: the media's build, else `--baseline`, else what the catalog says the
/// updates need.
fn before(f: &Facts<'_>) -> String {
    let media = f
        .manifest
        .media
        .iter()
        .find(|m| m.kind == "product")
        .and_then(|m| m.identity.build.map(|b| (b, m.source.clone())));
    media
        .map(|(b, src)| format!("{b} (the setup media {src}, before their Updates)"))
        .or_else(|| {
            f.baseline
                .map(|b| format!("{b} (declared installed with --baseline)"))
        })
        .or_else(|| {
            f.requires.iter().map(|r| r.build).max().map(|b| {
                format!("at least {b} (the build the updates need installed first, as the catalog records)")
            })
        })
        .unwrap_or_else(|| "not known (no media, no --baseline, no requirement in the catalog)".to_owned())
}

fn what_changes(s: &mut String, f: &Facts<'_>, updates: &[Update<'_>]) {
    s.push_str("<h2>What changes</h2>\n");
    let after = f
        .manifest
        .roles
        .iter()
        .flat_map(|r| &r.patches)
        .filter_map(|p| p.build)
        .max();
    let _ = writeln!(
        s,
        "<p>Level <strong>{}</strong> → <strong>{}</strong></p>",
        esc(&before(f)),
        after.map_or_else(|| "-".to_owned(), |b| b.to_string())
    );
    let rows: Vec<Vec<String>> = updates
        .iter()
        .map(|u| {
            vec![
                u.kb.map_or_else(|| "-".to_owned(), |k| nw(&k.to_string())),
                u.release.map_or_else(
                    || "<em>not in the catalog</em>".to_owned(),
                    |r| esc(&r.name),
                ),
                u.release
                    .map_or_else(|| "-".to_owned(), |r| esc(kind_name(r.kind))),
                u.release
                    .and_then(|r| r.date.as_ref())
                    .map_or_else(|| "-".to_owned(), |d| nw(&d.to_string())),
                u.build.as_deref().map_or_else(|| "-".to_owned(), nw),
                esc(&u.what.join(", ")),
            ]
        })
        .collect();
    table(
        s,
        &["KB", "update", "kind", "released", "build", "patches"],
        &rows,
    );
}

/// Why: the updates by kind (security updates with their bulletins, fixes, service packs),
/// each citing the catalog's source for it.
fn why(s: &mut String, updates: &[Update<'_>], refs: &mut Refs) {
    s.push_str("<h2>Why</h2>\n<ul>\n");
    let groups: [(&str, &[ReleaseKind]); 4] = [
        (
            "Security updates, for the vulnerabilities their bulletins describe",
            &[ReleaseKind::SecurityUpdate],
        ),
        (
            "Fixes (cumulative updates, update rollups, public updates, hotfixes)",
            &[
                ReleaseKind::CumulativeUpdate,
                ReleaseKind::UpdateRollup,
                ReleaseKind::PublicUpdate,
                ReleaseKind::Hotfix,
            ],
        ),
        ("Service packs", &[ReleaseKind::ServicePack]),
        (
            "Other releases",
            &[
                ReleaseKind::Rtm,
                ReleaseKind::LanguagePack,
                ReleaseKind::Tool,
            ],
        ),
    ];
    for (label, kinds) in groups {
        let mut seen: Vec<&str> = Vec::new();
        let mut parts = Vec::new();
        for u in updates {
            let Some(r) = u.release.filter(|r| kinds.contains(&r.kind)) else {
                continue;
            };
            if seen.contains(&r.id.as_str()) {
                continue;
            }
            seen.push(&r.id);
            let kb =
                r.kb.or(u.kb)
                    .map_or_else(String::new, |k| format!(" ({k})"));
            parts.push(format!(
                "{}{}{}",
                esc(&r.name),
                esc(&kb),
                refs.cite(&release_sources(r))
            ));
        }
        if !parts.is_empty() {
            let _ = writeln!(
                s,
                "<li><strong>{label}:</strong> {}.</li>",
                parts.join("; ")
            );
        }
    }
    let unknown: Vec<String> = updates
        .iter()
        .filter(|u| u.release.is_none())
        .map(|u| {
            u.kb.map_or_else(|| esc(&u.what.join(", ")), |k| nw(&k.to_string()))
        })
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(
            s,
            "<li><strong>Not in the catalog</strong> (check each against the vendor's page before approving): {}.</li>",
            unknown.join(", ")
        );
    }
    s.push_str("</ul>\n");
}

/// Scope: the servers in rollout order (or, without a farm file, the roles).
fn scope(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h2>Scope</h2>\n");
    let role_title = |id: &str| {
        f.catalog
            .roles
            .iter()
            .find(|r| r.id == id)
            .map_or_else(|| id.to_owned(), |r| r.title.clone())
    };
    let Some(r) = f.rollout else {
        let roles: Vec<String> = f
            .manifest
            .roles
            .iter()
            .map(|r| format!("{} ({})", esc(&r.title), nw(&r.name)))
            .collect();
        let _ = writeln!(
            s,
            "<p>No farm file was given: the roles, in rollout order: {}. <span class=\"meta\">(<code>build --farm FARM.toml</code> adds the servers, the rollout and its service impact.)</span></p>",
            roles.join(" → ")
        );
        return;
    };
    let servers: Vec<String> = r
        .farm
        .servers
        .iter()
        .enumerate()
        .map(|(i, sv)| {
            let mut extra = String::new();
            if let Some(c) = &sv.cluster {
                let _ = write!(
                    extra,
                    ", {} node of {}",
                    if sv.active { "active" } else { "passive" },
                    esc(c)
                );
            }
            if let Some(src) = &sv.scr_target_of {
                let _ = write!(extra, ", standby target of {}", esc(src));
            }
            if let Some(p) = &sv.pool {
                let _ = write!(extra, ", pool {}", esc(p));
            }
            format!(
                "{}.&nbsp;<strong class=\"nw\">{}</strong> <span class=\"meta\">({}{extra})</span>",
                i + 1,
                esc(&sv.name),
                esc(&role_title(&sv.role))
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "<p>{} server(s), updated in this order: {}.</p>",
        r.farm.servers.len(),
        servers.join(" → ")
    );
}

/// Service impact: what each step that takes something out of service does, grouped where
/// servers share it, with the step numbers.
fn impact(s: &mut String, f: &Facts<'_>, refs: &mut Refs) {
    s.push_str("<h2>Service impact <span class=\"meta\">(the catalog records no durations: time the window on a test farm)</span></h2>\n");
    let Some(r) = f.rollout else {
        s.push_str("<p>Not known without a farm file: each role's steps are in the details.</p>\n");
        return;
    };
    let down: Vec<_> = r
        .sequence
        .iter()
        .filter_map(|st| st.downtime.as_deref().map(|d| (st, d)))
        .collect();
    if down.is_empty() {
        s.push_str(
            "<p>No step of the rollout takes a service down, as the catalog records it.</p>\n",
        );
        return;
    }
    let groups = group_by_server(down.iter().map(|(st, d)| (st.server.as_str(), st.step, *d)));
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let sources: Vec<&String> = down
                .iter()
                .filter(|(st, _)| g.at.iter().any(|(sv, n)| *sv == st.server && *n == st.step))
                .flat_map(|(st, _)| &st.sources)
                .collect();
            let action = down
                .iter()
                .find(|(st, _)| st.step == g.at[0].1)
                .map_or("", |(st, _)| st.action.as_str());
            vec![
                nw(action),
                format!("{}{}", esc(&g.text), refs.cite(&sources)),
                g.where_html(),
            ]
        })
        .collect();
    table(
        s,
        &["step", "what is out of service", "servers (step)"],
        &rows,
    );
}

/// Risk and its mitigations, from the rollout and the checks already done.
fn risk(s: &mut String, f: &Facts<'_>, refs: &mut Refs) {
    s.push_str("<h2>Risk and mitigations</h2>\n<ul>\n");
    let m = f.manifest;
    let known = m.inputs.len();
    let mut verdicts: Vec<(Status, usize)> = Vec::new();
    for v in f.input_signatures.iter().flatten() {
        match verdicts.iter_mut().find(|(st, _)| *st == v.status) {
            Some((_, n)) => *n += 1,
            None => verdicts.push((v.status, 1)),
        }
    }
    verdicts.sort_by_key(|(st, _)| *st as u8);
    let sig: Vec<String> = verdicts
        .iter()
        .map(|(st, n)| format!("{n} <span class=\"{st}\">{st}</span>"))
        .collect();
    let _ = writeln!(
        s,
        "<li><strong>Verified sources:</strong> each of the {known} download(s) and every file taken from them was hashed (SHA-256) and checked against the product's catalog{}; every file placed is listed in <code>SHA256SUMS</code>{}.</li>",
        if sig.is_empty() {
            String::new()
        } else {
            format!(
                " and its Authenticode signature (downloads: {})",
                sig.join(", ")
            )
        },
        if f.rollout.is_some() {
            ", which each server's script checks before it installs anything; a script stops at the first failure"
        } else {
            ""
        }
    );
    let Some(r) = f.rollout else {
        s.push_str("</ul>\n");
        return;
    };
    let backups = group_by_server(
        r.sequence
            .iter()
            .filter(|st| st.action == Action::Backup)
            .map(|st| (st.server.as_str(), st.step, st.text.as_str())),
    );
    for g in &backups {
        let _ = writeln!(
            s,
            "<li><strong>Backup:</strong> {} — {}</li>",
            esc(&g.text),
            g.where_html()
        );
    }
    let rules = f.catalog.rollout.as_ref();
    let clustered = r.farm.servers.iter().any(|sv| sv.cluster.is_some());
    let scr = r.farm.servers.iter().any(|sv| sv.scr_target_of.is_some());
    if let Some(c) = rules.and_then(|r| r.cluster.as_ref()) {
        if clustered && c.passive_first {
            let _ = writeln!(
                s,
                "<li><strong>Passive nodes first:</strong> in each cluster the passive nodes are updated before the active node, so the clustered server moves once, to an updated node.{}</li>",
                refs.cite(&c.sources)
            );
        }
        if scr && c.scr_targets_first {
            let _ = writeln!(
                s,
                "<li><strong>Standby targets first:</strong> a standby continuous replication target is updated before the cluster it copies.{}</li>",
                refs.cite(&c.sources)
            );
        }
    }
    for phase in rules.map(|r| r.phases.as_slice()).unwrap_or_default() {
        let on = r.phases.iter().find(|p| p.id == phase.id);
        if phase.servers == Servers::OneAtATime && on.is_some_and(|p| p.servers.len() > 1) {
            let _ = writeln!(
                s,
                "<li><strong>One server at a time:</strong> {} — each server finishes before the next starts.{}</li>",
                esc(&phase.title),
                refs.cite(&phase.sources)
            );
        }
    }
    let checks = r
        .sequence
        .iter()
        .filter(|st| st.action == Action::Verify)
        .count();
    if checks > 0 {
        let _ = writeln!(
            s,
            "<li><strong>Checks:</strong> {checks} check step(s) in the rollout confirm each server's level before the rollout goes on (listed in the details).</li>"
        );
    }
    s.push_str("</ul>\n");
}

fn backout(s: &mut String, f: &Facts<'_>, refs: &mut Refs) {
    s.push_str("<h2>Back-out plan</h2>\n");
    let items = f
        .catalog
        .rollout
        .as_ref()
        .map(|r| r.backout.as_slice())
        .unwrap_or_default();
    if items.is_empty() {
        s.push_str("<p>The catalog of this product gives no back-out procedure: write one before approving.</p>\n");
        return;
    }
    s.push_str("<ul>\n");
    for b in items {
        let _ = writeln!(s, "<li>{}{}</li>", esc(&b.text), refs.cite(&b.sources));
    }
    s.push_str("</ul>\n");
}

/// Open findings that need a decision: errors and warnings, one line per code with its count,
/// errors first.
fn decisions(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h2>Open findings that need a decision</h2>\n");
    let mut groups: Vec<(Severity, &str, usize, &str)> = Vec::new();
    for x in &f.manifest.findings {
        if x.severity == Severity::Info {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(sev, code, _, _)| *sev == x.severity && *code == x.code)
        {
            Some((_, _, n, _)) => *n += 1,
            None => groups.push((x.severity, &x.code, 1, &x.message)),
        }
    }
    groups.sort_by_key(|(sev, ..)| std::cmp::Reverse(*sev));
    if groups.is_empty() {
        s.push_str("<p>None: no finding of severity error or warning.</p>\n");
        return;
    }
    s.push_str("<ul>\n");
    for (sev, code, n, first) in groups {
        let _ = writeln!(
            s,
            "<li><span class=\"{sev}\">{sev}</span> <code>{}</code> ×{n}: {}{}</li>",
            esc(code),
            prose(first),
            if n > 1 {
                " <span class=\"meta\">(each one in the details)</span>"
            } else {
                ""
            }
        );
    }
    s.push_str("</ul>\n");
}

fn approvals(s: &mut String) {
    s.push_str("<h2>Approval</h2>\n");
    s.push_str("<table class=\"sign\"><tbody><tr><th>Requested by</th><td colspan=\"2\"></td><th>date</th><td></td></tr>\n");
    s.push_str(
        "<tr><th>Approver</th><th>role</th><th>decision</th><th>date</th><th>signature</th></tr>\n",
    );
    for _ in 0..3 {
        s.push_str("<tr><td></td><td></td><td></td><td></td><td></td></tr>\n");
    }
    s.push_str("</tbody></table>\n");
}
