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
        md(farm),
        md(&catalog.title)
    );
    s.push_str(
        "Written by slipway from the install manifest, the farm file and the product's catalog; \
         `rollout.json` holds the same steps with the sources of every rule, `report.html` the \
         change request.\n\n",
    );
    s.push_str("## Before you start\n\n");
    s.push_str(
        "1. Copy this folder to every server. On each, check it first: \
         `powershell.exe -File .\\verify.ps1` (every file against `SHA256SUMS`; exit 0 when all match).\n\
         2. Each server has its script, `scripts\\<server>.ps1`, run from the copied folder in an \
         elevated Windows PowerShell. It checks its update files against `SHA256SUMS`, runs its steps \
         in order and stops at the first failure (exit 1, with the log to read), when a restart is \
         needed (exit 3010), at a step for a person and where the rollout goes on on another server \
         (exit 0). It names the step to go on with: run it again with `-From N`.\n\
         3. Follow the steps below in order; a step marked *by hand* is done by a person.\n\n",
    );
    s.push_str("## Servers, in rollout order\n\n");
    s.push_str("| # | server | role | cluster | language | script |\n|---|---|---|---|---|---|\n");
    for (i, sv) in rollout.farm.servers.iter().enumerate() {
        let cluster = match (&sv.cluster, &sv.scr_target_of) {
            (Some(c), _) => format!(
                "{} ({})",
                md(c),
                if sv.active {
                    "active node"
                } else {
                    "passive node"
                }
            ),
            (None, Some(src)) => format!("SCR target of {}", md(src)),
            (None, None) => "-".to_owned(),
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            i + 1,
            md(&sv.name),
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
                "\n**{}** ({}): `scripts\\{}.ps1 -From {}`\n",
                md(&step.server),
                md(&step.role),
                step.server,
                step.step
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
        if let Some(c) = &step.command {
            let _ = writeln!(s, "  - command: {}", code(c));
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
                md(&d.server),
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
}
