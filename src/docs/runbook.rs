//! `RUNBOOK.md`: the rollout for a person — servers in order, then the whole sequence phase
//! by phase and server by server, each step with its command, who runs it and the downtime
//! it causes; the downtime in one table; the back-out plan. Every string from outside is
//! escaped for Markdown ([`md`]) or set in a code span ([`code`]).

use std::fmt::Write as _;

use crate::catalog::model::Catalog;
use crate::rollout::{Rollout, Run};

/// Markdown text: the characters Markdown would read as markup are backslash-escaped, line
/// breaks become spaces (so a name can open no heading, link, table cell or HTML tag).
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Markdown text that is also never a link: [`md`], and the characters that start GitHub's
/// extended autolinks (`www.`, `http:`/`https:`, `name@host`) backslash-escaped, so that a
/// farm or server name such as `https://evil.example` or `www.evil.example` (a valid DNS
/// name) stays text. A backslash before ASCII punctuation is that character (CommonMark 2.4).
pub fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in md(s).chars() {
        if matches!(c, '.' | ':' | '@') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An inline code span holding `s` literally (fenced by more backticks than it contains; a
/// pipe escaped so that a table cell holds).
pub fn code(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {} {fence}", clean.replace('|', "\\|"))
}

/// The runbook.
pub fn runbook(rollout: &Rollout, catalog: &Catalog) -> String {
    let mut s = String::new();
    let farm = rollout.farm.name.as_deref().unwrap_or("the farm");
    let _ = writeln!(
        s,
        "# Rollout runbook: {} ({})\n",
        markdown_text(farm),
        md(&catalog.title)
    );
    s.push_str(
        "Written by slipway from the install manifest, the farm file and the product's catalog; \
         `rollout.json` holds the same steps with the sources of every rule, `report.html` the \
         change request.\n\n",
    );
    s.push_str("## Before you start\n\n");
    let ps = catalog.rollout.as_ref().and_then(|r| r.powershell.as_ref());
    let _ = writeln!(
        s,
        "1. The scripts need Windows PowerShell {}{}. Run them in an elevated Windows PowerShell \
         from the source's folder; under the default execution policy start them as \
         `powershell.exe -ExecutionPolicy Bypass -File .\\scripts\\<server>.ps1`.",
        md(&rollout.powershell),
        ps.map_or_else(String::new, |p| format!(" ({})", md(&p.text)))
    );
    s.push_str(
        "2. Copy this folder to a share every server can read and write, or to each server. Check \
         it where it is used first: `powershell.exe -ExecutionPolicy Bypass -File .\\verify.ps1` \
         (every file against `SHA256SUMS`; exit 0 when all match).\n\
         3. Every server has its script, `scripts\\<server>.ps1`. The scripts record each step \
         they finish in one state folder that all of them must share: run every script from the \
         one shared copy, or give each the same `-State \\\\server\\share\\folder`. A script \
         checks its update files against `SHA256SUMS`, skips the steps already done, and before \
         each step checks that the steps it waits for on other servers are done: it can be run \
         again at any time, from any step.\n\
         4. Exit codes of a script: 0 every step of the server is done; 1 a step failed (its log \
         names the reason; run the script again once it is resolved); 2 a step is for a person \
         (do it, then run the script again with `-Confirm N`); 3 it waits for steps on other \
         servers (run it again when they are done); 3010 restart the server, then run the script \
         again. `-From N` runs step N again although it is done (never skipping an earlier one).\n\
         5. Follow the steps below in order; a step marked *by hand* is done by a person.\n\n",
    );
    s.push_str("## Servers, in rollout order\n\n");
    s.push_str("| # | server | role | cluster | language | script |\n|---|---|---|---|---|---|\n");
    for (i, sv) in rollout.farm.servers.iter().enumerate() {
        let cluster = match (&sv.cluster, &sv.scr_target_of) {
            (Some(c), _) => format!(
                "{} ({})",
                markdown_text(c),
                if sv.active {
                    "active node"
                } else {
                    "passive node"
                }
            ),
            (None, Some(src)) => format!("SCR target of {}", markdown_text(src)),
            (None, None) => "-".to_owned(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            i + 1,
            markdown_text(&sv.name),
            md(&sv.role),
            cluster,
            md(sv.language.as_deref().unwrap_or("-")),
            code(&sv.script.replace('/', "\\"))
        );
    }
    s.push_str("\n## Steps\n");
    let mut phase = "";
    let mut server = "";
    for step in &rollout.sequence {
        if step.phase != phase {
            phase = &step.phase;
            server = "";
            let title = catalog
                .rollout
                .as_ref()
                .and_then(|r| r.phases.iter().find(|p| p.id == step.phase))
                .map_or(step.phase.as_str(), |p| p.title.as_str());
            let _ = writeln!(s, "\n### {}", md(title));
        }
        if step.server != server {
            server = &step.server;
            let _ = writeln!(
                s,
                "\n**{}** ({}): {}\n",
                markdown_text(&step.server),
                md(&step.role),
                code(&format!(
                    "powershell.exe -ExecutionPolicy Bypass -File .\\scripts\\{}.ps1",
                    step.server
                ))
            );
        }
        let by = if step.run == Run::Manual {
            " *by hand*"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "- [ ] **{}.** {}{by} — {}",
            step.step,
            step.action.as_str(),
            md(&step.text)
        );
        if !step.waits_for.is_empty() || !step.waits_for_phases.is_empty() {
            let mut waits: Vec<String> = step
                .waits_for
                .iter()
                .map(|w| {
                    let server = rollout
                        .sequence
                        .get((*w as usize).saturating_sub(1))
                        .map_or("", |o| o.server.as_str());
                    format!("step {w} ({})", markdown_text(server))
                })
                .collect();
            waits.extend(
                step.waits_for_phases
                    .iter()
                    .map(|p| format!("every server's steps of phase {}", md(p))),
            );
            let _ = writeln!(s, "  - waits for: {}", waits.join("; "));
        }
        if let Some(c) = &step.command {
            let label = if matches!(step.exec, crate::rollout::Exec::Check(_)) {
                "check (must be true)"
            } else {
                "command (Windows PowerShell)"
            };
            let _ = writeln!(s, "  - {label}: {}", code(c));
        }
        if let Some(r) = &step.remedy {
            let _ = writeln!(s, "  - if it fails: {}", md(r));
        }
        if !step.exit_codes.is_empty() {
            let codes: Vec<String> = step
                .exit_codes
                .iter()
                .map(|c| format!("{} {}", c.code, c.outcome.as_str()))
                .collect();
            let _ = writeln!(
                s,
                "  - exit codes: {}; any other stops",
                md(&codes.join(", "))
            );
            for c in step.exit_codes.iter().filter(|c| c.remedy.is_some()) {
                let _ = writeln!(
                    s,
                    "    - {} stops: {}",
                    c.code,
                    md(c.remedy.as_deref().unwrap_or(""))
                );
            }
        }
        if let Some(d) = &step.downtime {
            let _ = writeln!(s, "  - downtime: {}", md(d));
        }
    }
    if rollout.sequence.is_empty() {
        s.push_str("\nThe product's catalog has no rollout rules: no steps.\n");
    }
    s.push_str("\n## Downtime\n\n");
    let down: Vec<_> = rollout
        .sequence
        .iter()
        .filter(|s| s.downtime.is_some())
        .collect();
    if down.is_empty() {
        s.push_str("No step states a downtime.\n");
    } else {
        s.push_str("| step | server | what is out of service |\n|---|---|---|\n");
        for d in down {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                d.step,
                markdown_text(&d.server),
                md(d.downtime.as_deref().unwrap_or(""))
            );
        }
    }
    s.push_str("\n## Back-out\n\n");
    let backout = catalog
        .rollout
        .as_ref()
        .map(|r| r.backout.as_slice())
        .unwrap_or_default();
    if backout.is_empty() {
        s.push_str("The catalog gives no back-out procedure.\n");
    }
    for b in backout {
        let _ = writeln!(s, "- {} ({})", md(&b.text), md(&b.sources.join("; ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_code_spans_hold_hostile_text() {
        assert_eq!(
            md("<script>alert(1)</script>"),
            "\\<script\\>alert(1)\\</script\\>"
        );
        assert_eq!(md("a|b\n# c"), "a\\|b \\# c");
        assert_eq!(md("[x](javascript:y)"), "\\[x\\](javascript:y)");
        assert_eq!(code("msiexec /update a.msp"), "` msiexec /update a.msp `");
        assert_eq!(code("a`b``c|d"), "``` a`b``c\\|d ```");
    }

    /// Issue 19, point 7: a farm or server name that is a URL, a `www.` host or an address
    /// became a clickable link in RUNBOOK.md (GitHub's extended autolinks need no `<>`).
    #[test]
    fn regression_names_that_look_like_links_stay_text() {
        assert_eq!(
            markdown_text("https://evil.example/x"),
            "https\\://evil\\.example/x"
        );
        assert_eq!(markdown_text("www.evil.example"), "www\\.evil\\.example");
        assert_eq!(
            markdown_text("admin@evil.example"),
            "admin\\@evil\\.example"
        );
        assert_eq!(
            markdown_text("[x](http://y) <b>"),
            "\\[x\\](http\\://y) \\<b\\>"
        );
        assert_eq!(markdown_text("SPWFE01"), "SPWFE01");
        // Every autolink trigger is escaped wherever it appears.
        for name in ["http://a", "www.a.b", "a@b.c", "x.www.y", "ftp://h"] {
            let text = markdown_text(name);
            for (i, c) in text.char_indices() {
                if matches!(c, '.' | ':' | '@') {
                    assert_eq!(&text[i - 1..i], "\\", "{name}: {text}");
                }
            }
        }
    }
}
