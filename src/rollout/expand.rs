//! The expansion: phases × servers in rollout order × the phase's step templates, install
//! templates × the role's update files, placeholders filled.

use std::collections::{BTreeSet, HashSet};

use super::{Arg, Exec, ExitCodeDoc, FarmDoc, Rollout, Run, SCHEMA_VERSION, ServerDoc, Step};
use crate::catalog::model::Catalog;
use crate::catalog::rollout::{Action, ExitCode, Installer, Scope, StepTemplate, When};
use crate::farm::{Farm, Server, order::peer};
use crate::model::Lang;
use crate::model::manifest::{PlacedEntry, PlacedKind, RoleEntry};

/// The values placeholders take for one step.
#[derive(Default)]
struct Vars {
    server: String,
    role: String,
    cluster: Option<String>,
    peer: Option<String>,
    name: Option<String>,
    file: Option<String>,
    log: Option<String>,
    kb: Option<String>,
    build: Option<String>,
    builds: String,
}

impl Vars {
    fn get(&self, key: &str) -> Option<String> {
        let or =
            |v: &Option<String>, none: &str| Some(v.clone().unwrap_or_else(|| none.to_owned()));
        match key {
            "server" => Some(self.server.clone()),
            "role" => Some(self.role.clone()),
            "cluster" => or(&self.cluster, "its cluster"),
            "peer" => or(&self.peer, "another node"),
            "name" => or(&self.name, "the update"),
            "file" => or(&self.file, "the update"),
            "log" => or(&self.log, "the log"),
            "kb" => or(&self.kb, "no KB"),
            "build" => or(&self.build, "build unknown"),
            "builds" => Some(self.builds.clone()),
            _ => None,
        }
    }

    /// `text` with every placeholder it knows replaced (others stay as written).
    fn fill(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after
                .find('}')
                .and_then(|c| self.get(&after[..c]).map(|v| (c, v)))
            {
                Some((close, value)) => {
                    out.push_str(&value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// Whether a template concerns a server.
fn applies(t: &StepTemplate, s: &Server) -> bool {
    let role_ok = t.roles.is_empty() || t.roles.iter().any(|r| r == &s.role.value);
    let when_ok = match t.when {
        When::Always => true,
        When::Clustered => s.cluster.is_some(),
        When::Standalone => s.cluster.is_none(),
        When::PassiveNode => s.cluster.is_some() && !s.is_active(),
        When::ActiveNode => s.cluster.is_some() && s.is_active(),
    };
    role_ok && when_ok
}

/// The files a server of `role` installs, in install order: patches and whole packages (not
/// companion files), without the patches a package that applies its own contents carries.
fn installables<'r>(
    role: &'r RoleEntry,
    installer_for: &dyn Fn(&str) -> Option<&'r Installer>,
) -> Vec<&'r PlacedEntry> {
    let name = |p: &PlacedEntry| p.file.rsplit('/').next().unwrap_or(&p.file).to_owned();
    let covering: HashSet<&str> = role
        .patches
        .iter()
        .filter(|p| p.kind == PlacedKind::Package)
        .filter(|p| installer_for(&name(p)).is_some_and(|i| i.applies_contained))
        .filter_map(|p| p.from.first().map(String::as_str))
        .collect();
    let mut out: Vec<&PlacedEntry> = role
        .patches
        .iter()
        .filter(|p| p.kind != PlacedKind::Companion)
        .filter(|p| {
            p.kind == PlacedKind::Package
                || !(p.from.len() > 1
                    && p.from
                        .first()
                        .is_some_and(|f| covering.contains(f.as_str())))
        })
        .collect();
    out.sort_by(|a, b| {
        (a.order.is_none(), a.order, &a.file).cmp(&(b.order.is_none(), b.order, &b.file))
    });
    out
}

fn exit_codes(codes: &[ExitCode]) -> Vec<ExitCodeDoc> {
    codes
        .iter()
        .map(|c| ExitCodeDoc {
            code: c.code,
            outcome: c.outcome,
            meaning: c.meaning.clone(),
        })
        .collect()
}

/// How a command reads for a person: arguments with spaces in quotes, files relative to the
/// source's root, logs in the script's log folder.
fn command_line(exec: &Exec, server: &str) -> Option<String> {
    let quote = |a: &str| {
        if a.is_empty() || a.contains(char::is_whitespace) {
            format!("\"{a}\"")
        } else {
            a.to_owned()
        }
    };
    match exec {
        Exec::Nothing => None,
        Exec::PowerShell(p) => Some(p.clone()),
        Exec::Program { program, args } => {
            let show = |a: &Arg| match a {
                Arg::Text(t) => quote(t),
                Arg::File(f) => quote(&f.replace('/', "\\")),
                Arg::Log(l) => quote(&format!("%TEMP%\\{}\\{l}", super::log_folder(server))),
            };
            let mut line = show(program);
            for a in args {
                line.push(' ');
                line.push_str(&show(a));
            }
            Some(line)
        }
    }
}

/// The program and arguments of a template or installer, placeholders filled.
fn program(program: &str, arguments: &[String], vars: &Vars) -> Exec {
    let arg = |a: &str| match a {
        "{file}" => Arg::File(vars.file.clone().unwrap_or_default()),
        "{log}" => Arg::Log(vars.log.clone().unwrap_or_default()),
        other => Arg::Text(vars.fill(other)),
    };
    Exec::Program {
        program: arg(program),
        args: arguments.iter().map(|a| arg(a)).collect(),
    }
}

/// The rollout of `farm` (servers in `order`, see `farm::order`) for the roles the build
/// placed. A catalog without rollout rules gives an empty sequence.
pub fn plan(
    catalog: &Catalog,
    farm: &Farm,
    order: &[usize],
    roles: &[RoleEntry],
    base: Option<&Lang>,
) -> Rollout {
    let mut sequence: Vec<Step> = Vec::new();
    let empty = Vec::new();
    let (phases, installers) = catalog
        .rollout
        .as_ref()
        .map_or((&empty, &[][..]), |r| (&r.phases, &r.installers[..]));
    let installer_for = |name: &str| {
        installers
            .iter()
            .find(|i| crate::catalog::rollout::matches(&i.pattern, name))
    };
    for phase in phases {
        let mut once: HashSet<&str> = HashSet::new();
        for &i in order {
            let s = &farm.servers[i];
            let Some(role) = roles.iter().find(|r| r.name == s.role.value) else {
                continue;
            };
            let files = installables(role, &installer_for);
            let builds: BTreeSet<String> = files
                .iter()
                .filter_map(|f| f.build.map(|b| b.to_string()))
                .collect();
            let base_vars = || Vars {
                server: s.name.value.clone(),
                role: s.role.value.clone(),
                cluster: s.cluster.as_ref().map(|c| c.value.clone()),
                peer: peer(farm, order, i).map(|p| farm.servers[p].name.value.clone()),
                builds: builds.iter().cloned().collect::<Vec<_>>().join(", "),
                ..Vars::default()
            };
            for t in &phase.steps {
                if !applies(t, s) || (t.scope == Scope::Farm && !once.insert(&t.id)) {
                    continue;
                }
                if t.action != Action::Install {
                    let vars = base_vars();
                    let exec = match (&t.program, &t.powershell) {
                        (Some(p), _) => program(p, &t.arguments, &vars),
                        (None, Some(ps)) => Exec::PowerShell(vars.fill(ps)),
                        (None, None) => Exec::Nothing,
                    };
                    push(
                        &mut sequence,
                        (&phase.id, t, s),
                        &t.id,
                        vars.fill(t.text.as_deref().unwrap_or(&t.id)),
                        exec,
                        if t.manual { Run::Manual } else { Run::Script },
                        Rest {
                            exit_codes: exit_codes(&t.exit_codes),
                            file: None,
                            downtime: t.downtime.as_deref().map(|d| vars.fill(d)),
                            sources: t.sources.clone(),
                        },
                    );
                    continue;
                }
                for f in &files {
                    let name = f.file.rsplit('/').next().unwrap_or(&f.file).to_owned();
                    let vars = Vars {
                        name: Some(name.clone()),
                        file: Some(f.file.clone()),
                        log: Some(format!("{:03}-{name}.log", sequence.len() + 1)),
                        kb: f.kb.map(|k| k.to_string()),
                        build: f.build.map(|b| b.to_string()),
                        ..base_vars()
                    };
                    match installer_for(&name) {
                        Some(inst) => push(
                            &mut sequence,
                            (&phase.id, t, s),
                            &inst.id,
                            vars.fill(&inst.text),
                            program(&inst.program, &inst.arguments, &vars),
                            Run::Script,
                            Rest {
                                exit_codes: exit_codes(&inst.exit_codes),
                                file: Some(f.file.clone()),
                                downtime: inst
                                    .downtime
                                    .as_deref()
                                    .or(t.downtime.as_deref())
                                    .map(|d| vars.fill(d)),
                                sources: inst.sources.iter().chain(&t.sources).cloned().collect(),
                            },
                        ),
                        None => push(
                            &mut sequence,
                            (&phase.id, t, s),
                            &t.id,
                            vars.fill(
                                "Install {name} ({kb}, {build}) by hand: the catalog has no command for this kind of file",
                            ),
                            Exec::Nothing,
                            Run::Manual,
                            Rest {
                                exit_codes: Vec::new(),
                                file: Some(f.file.clone()),
                                downtime: t.downtime.as_deref().map(|d| vars.fill(d)),
                                sources: t.sources.clone(),
                            },
                        ),
                    }
                }
            }
        }
    }
    Rollout {
        schema_version: SCHEMA_VERSION,
        product: catalog.id.clone(),
        farm: FarmDoc {
            name: farm.name.clone(),
            servers: order
                .iter()
                .map(|&i| {
                    let s = &farm.servers[i];
                    ServerDoc {
                        name: s.name.value.clone(),
                        role: s.role.value.clone(),
                        language: s.lang().or_else(|| base.cloned()).map(|l| l.to_string()),
                        cluster: s.cluster.as_ref().map(|c| c.value.clone()),
                        active: s.is_active(),
                        scr_target_of: s.scr_target_of.as_ref().map(|c| c.value.clone()),
                        script: super::script_path(&s.name.value),
                    }
                })
                .collect(),
        },
        sequence,
    }
}

/// Appends one step (numbered in sequence) for template `t` on server `s`.
fn push(
    sequence: &mut Vec<Step>,
    (phase, t, s): (&str, &StepTemplate, &Server),
    id: &str,
    text: String,
    exec: Exec,
    mut run: Run,
    rest: Rest,
) {
    if exec == Exec::Nothing && t.action != Action::Reboot {
        run = Run::Manual;
    }
    let number = u32::try_from(sequence.len() + 1).unwrap_or(u32::MAX);
    sequence.push(Step {
        step: number,
        phase: phase.to_owned(),
        id: id.to_owned(),
        server: s.name.value.clone(),
        role: s.role.value.clone(),
        action: t.action,
        text,
        command: command_line(&exec, &s.name.value),
        run,
        exit_codes: rest.exit_codes,
        file: rest.file,
        downtime: rest.downtime,
        sources: rest.sources,
        exec,
    });
}

/// A step's fields besides its text and command.
struct Rest {
    exit_codes: Vec<ExitCodeDoc>,
    file: Option<String>,
    downtime: Option<String>,
    sources: Vec<String>,
}

#[cfg(test)]
mod tests;
