//! `report.html`: the change-approval document of a build. One self-contained page (inline
//! CSS, no script, no external asset; prints on A4): product and level before → after, every
//! input with its SHA-256 and signature verdict, findings by severity, each role's contents in
//! install order, the rollout with its downtime, the back-out plan and the checks to run
//! after. Every string from outside goes through [`esc`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Facts;
use crate::catalog::rollout::Action;
use crate::model::Severity;
use crate::model::manifest::PlacedKind;
use crate::rollout::Run;

/// HTML text and attribute escaping.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;\
font-size:14px;line-height:1.4;color:#111;margin:2em auto;max-width:1100px;padding:0 1em}\
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:2px solid #333;\
margin-top:1.8em}h3{font-size:1.05em;margin-bottom:.3em}\
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}\
th,td{border:1px solid #999;padding:3px 6px;text-align:left;vertical-align:top}\
th{background:#eee}td.hash,code{font-family:Consolas,'Courier New',monospace;font-size:12px;\
word-break:break-all}.meta{color:#444}.error{color:#a00;font-weight:bold}\
.warning{color:#8a5a00;font-weight:bold}.info{color:#0a4a8a}.valid{color:#060}\
.invalid{color:#a00;font-weight:bold}.untrusted,.absent{color:#8a5a00}\
.down{background:#fff3d6}.sign td{height:2.2em}\
@media print{body{margin:0;max-width:none;font-size:11px}h2{page-break-after:avoid}\
tr{page-break-inside:avoid}}";

fn table(s: &mut String, head: &[&str], rows: &[Vec<String>]) {
    s.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>\n");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{c}</td>");
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
}

fn opt(v: Option<String>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| esc(&v))
}

/// The common name of an RFC 4514 subject (`CN=Microsoft Corporation,O=…`), else the whole.
fn common_name(subject: &str) -> &str {
    subject
        .split(',')
        .find_map(|p| p.trim().strip_prefix("CN="))
        .unwrap_or(subject)
}

/// The report.
pub fn report(f: &Facts<'_>) -> String {
    let m = f.manifest;
    let mut s =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let farm = f.rollout.and_then(|r| r.farm.name.clone());
    let title = match &farm {
        Some(n) => format!("Change request: {} on {n}", f.catalog.title),
        None => format!("Change request: {}", f.catalog.title),
    };
    let _ = writeln!(
        s,
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        esc(&title)
    );
    let _ = writeln!(s, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        s,
        "<p class=\"meta\">Product <code>{}</code> · written by {} {}{} · {} input(s), {} role(s), {} placed file(s){}</p>",
        esc(&m.product),
        esc(&m.tool.name),
        esc(&m.tool.version),
        m.created
            .as_ref()
            .map_or_else(String::new, |c| format!(" on {}", esc(c))),
        m.inputs.len(),
        m.roles.len(),
        m.roles.iter().map(|r| r.patches.len()).sum::<usize>(),
        f.rollout.map_or_else(String::new, |r| format!(
            ", {} server(s), {} rollout step(s)",
            r.farm.servers.len(),
            r.sequence.len()
        ))
    );
    level(&mut s, f);
    media(&mut s, f);
    inputs(&mut s, f);
    findings(&mut s, f);
    roles(&mut s, f);
    rollout(&mut s, f);
    backout(&mut s, f);
    checks(&mut s, f);
    s.push_str("<h2>Approval</h2>\n");
    table(
        &mut s,
        &["", "name", "date", "signature"],
        &["Requested by", "Reviewed by", "Approved by"]
            .iter()
            .map(|r| vec![esc(r), String::new(), String::new(), String::new()])
            .collect::<Vec<_>>(),
    );
    s.push_str("<h2>Sources</h2>\n<ul>\n");
    let rules = f.catalog.rollout.as_ref();
    for src in f
        .catalog
        .sources
        .iter()
        .chain(rules.map(|r| r.sources.as_slice()).unwrap_or_default())
    {
        let _ = writeln!(s, "<li>{}</li>", esc(src));
    }
    s.push_str("</ul>\n</body>\n</html>\n");
    s
}

/// Level before → after.
fn level(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h2>Level before → after</h2>\n");
    // (kb, build) → families, for every patch or package placed.
    let mut after: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for p in f.manifest.roles.iter().flat_map(|r| &r.patches) {
        if p.kind == PlacedKind::Companion {
            continue;
        }
        let key = (
            p.kb.map_or_else(|| "-".to_owned(), |k| k.to_string()),
            p.build.map_or_else(|| "-".to_owned(), |b| b.to_string()),
        );
        let what = p
            .family
            .clone()
            .unwrap_or_else(|| p.file.rsplit('/').next().unwrap_or(&p.file).to_owned());
        let v = after.entry(key).or_default();
        if !v.contains(&what) {
            v.push(what);
        }
    }
    let newest = f
        .manifest
        .roles
        .iter()
        .flat_map(|r| &r.patches)
        .filter_map(|p| p.build)
        .max();
    let media = f
        .manifest
        .media
        .iter()
        .find(|m| m.kind == "product")
        .and_then(|m| m.identity.build.map(|b| (b, m.source.clone())));
    let before = media
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
        .unwrap_or_else(|| "not known: no --baseline and no requirement in the catalog".to_owned());
    let _ = writeln!(
        s,
        "<p><strong>Before:</strong> {} → <strong>after:</strong> {}</p>",
        esc(&before),
        opt(newest.map(|b| b.to_string()))
    );
    if !f.requires.is_empty() {
        let rows: Vec<Vec<String>> = f
            .requires
            .iter()
            .map(|r| vec![esc(&r.input), esc(&r.release), esc(&r.build.to_string())])
            .collect();
        table(s, &["input", "release", "needs build installed"], &rows);
    }
    let rows: Vec<Vec<String>> = after
        .iter()
        .map(|((kb, build), fams)| vec![esc(kb), esc(build), esc(&fams.join(", "))])
        .collect();
    table(s, &["KB", "build after", "patch families / files"], &rows);
}

/// The setup media merged into every role folder (`--media`, `--language-pack`).
fn media(s: &mut String, f: &Facts<'_>) {
    if f.manifest.media.is_empty() {
        return;
    }
    s.push_str("<h2>Setup media</h2>\n");
    s.push_str(
        "<p>Every role folder is the setup media with the role's updates in its <code>Updates</code> folder: a new server installed from it starts at the level below, not at the media's own.</p>\n",
    );
    let rows: Vec<Vec<String>> = f
        .manifest
        .media
        .iter()
        .map(|m| {
            let id = &m.identity;
            vec![
                esc(&m.source),
                esc(&m.kind),
                opt(m.culture.as_ref().map(ToString::to_string)),
                opt(id.product_name.clone()),
                opt(id.edition.clone()),
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
            "culture",
            "setup.exe names",
            "edition",
            "build",
            "arch",
            "language",
            "recognised",
            "files",
        ],
        &rows,
    );
}

fn inputs(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h2>Inputs</h2>\n");
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
                esc(&input.path),
                input.size.to_string(),
                format!("<code>{}</code>", input.sha256),
                opt(input.kb.map(|k| k.to_string())),
                opt(input.build.map(|b| b.to_string())),
                opt(input.language.as_ref().map(ToString::to_string)),
                verdict,
            ]
        })
        .collect();
    table(
        s,
        &[
            "file",
            "bytes",
            "SHA-256",
            "KB",
            "build",
            "language",
            "signature",
        ],
        &rows,
    );
}

fn findings(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h2>Findings</h2>\n");
    if f.manifest.findings.is_empty() {
        s.push_str("<p>None.</p>\n");
        return;
    }
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let rows: Vec<Vec<String>> = f
            .manifest
            .findings
            .iter()
            .filter(|x| x.severity == sev)
            .map(|x| {
                vec![
                    format!("<code>{}</code>", esc(&x.code)),
                    esc(&x.message),
                    esc(&x.origin.join(" › ")),
                ]
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(s, "<h3 class=\"{sev}\">{sev} ({})</h3>", rows.len());
        table(s, &["code", "finding", "where"], &rows);
    }
}

fn roles(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h2>Contents per role, in install order</h2>\n");
    for r in &f.manifest.roles {
        let _ = writeln!(
            s,
            "<h3>{} — {} (rollout rank {})</h3>",
            esc(&r.name),
            esc(&r.title),
            r.rollout_rank
        );
        let rows: Vec<Vec<String>> = r
            .patches
            .iter()
            .map(|p| {
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
                    esc(&p.file),
                    kind.to_owned(),
                    opt(p.kb.map(|k| k.to_string())),
                    opt(p.build.map(|b| b.to_string())),
                    opt(p.language.as_ref().map(ToString::to_string)),
                    sig,
                    format!("<code>{}</code>", p.sha256),
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
                "SHA-256",
            ],
            &rows,
        );
    }
}

fn rollout(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h2>Rollout</h2>\n");
    let Some(r) = f.rollout else {
        s.push_str(
            "<p>No farm file was given (<code>build --farm FARM.toml</code> adds the rollout \
             server by server, with scripts and downtime). The roles, in rollout order:</p>\n",
        );
        let rows: Vec<Vec<String>> = f
            .manifest
            .roles
            .iter()
            .map(|r| {
                vec![
                    r.rollout_rank.to_string(),
                    esc(&r.name),
                    esc(&r.title),
                    esc(&r.steps.join(" ")),
                ]
            })
            .collect();
        table(
            s,
            &["rank", "role", "title", "steps after installing"],
            &rows,
        );
        return;
    };
    let rows: Vec<Vec<String>> = r
        .farm
        .servers
        .iter()
        .enumerate()
        .map(|(i, sv)| {
            let mut cluster = sv.cluster.as_ref().map_or_else(String::new, |c| {
                format!(
                    "{} ({})",
                    esc(c),
                    if sv.active { "active" } else { "passive" }
                )
            });
            if let Some(src) = &sv.scr_target_of {
                cluster = format!("SCR target of {}", esc(src));
            }
            vec![
                (i + 1).to_string(),
                esc(&sv.name),
                esc(&sv.role),
                cluster,
                opt(sv.language.clone()),
            ]
        })
        .collect();
    table(s, &["#", "server", "role", "cluster", "language"], &rows);
    let rows: Vec<Vec<String>> = r
        .sequence
        .iter()
        .map(|st| {
            let down = st.downtime.as_ref().map_or_else(String::new, |d| {
                format!("<span class=\"down\">{}</span>", esc(d))
            });
            vec![
                st.step.to_string(),
                esc(&st.server),
                st.action.as_str().to_owned(),
                format!(
                    "{}{}",
                    esc(&st.text),
                    if st.run == Run::Manual {
                        " <em>(by hand)</em>"
                    } else {
                        ""
                    }
                ),
                st.command
                    .as_ref()
                    .map_or_else(String::new, |c| format!("<code>{}</code>", esc(c))),
                down,
            ]
        })
        .collect();
    table(
        s,
        &["step", "server", "action", "what", "command", "downtime"],
        &rows,
    );
}

fn backout(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h2>Back-out</h2>\n");
    let items = f
        .catalog
        .rollout
        .as_ref()
        .map(|r| r.backout.as_slice())
        .unwrap_or_default();
    if items.is_empty() {
        s.push_str("<p>The catalog of this product gives no back-out procedure.</p>\n");
        return;
    }
    s.push_str("<ul>\n");
    for b in items {
        let _ = writeln!(
            s,
            "<li>{} <span class=\"meta\">({})</span></li>",
            esc(&b.text),
            esc(&b.sources.join("; "))
        );
    }
    s.push_str("</ul>\n");
}

fn checks(s: &mut String, f: &Facts<'_>) {
    s.push_str("<h2>Checks after the update</h2>\n<ul>\n");
    s.push_str(
        "<li>On the build machine: <code>slipway verify OUT</code> re-hashes every file \
         against the install manifest and <code>SHA256SUMS</code>.</li>\n",
    );
    match f.rollout {
        Some(r) => {
            s.push_str(
                "<li>On each server, before installing: <code>powershell.exe -ExecutionPolicy Bypass -File .\\verify.ps1</code>.</li>\n",
            );
            for st in r.sequence.iter().filter(|st| st.action == Action::Verify) {
                let _ = writeln!(
                    s,
                    "<li>Step {} on {}: {}{}</li>",
                    st.step,
                    esc(&st.server),
                    esc(&st.text),
                    st.command
                        .as_ref()
                        .map_or_else(String::new, |c| format!(" <code>{}</code>", esc(c)))
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
                    t.powershell
                        .as_ref()
                        .map_or_else(String::new, |c| format!(" <code>{}</code>", esc(c)))
                );
            }
        }
    }
    s.push_str("</ul>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            esc("<script>alert('x')</script>&\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\\x1b"
        );
        assert_eq!(
            common_name("CN=Microsoft Corporation,O=Microsoft Corporation"),
            "Microsoft Corporation"
        );
        assert_eq!(common_name("O=Nobody"), "O=Nobody");
    }
}
