//! The expansion: phases × servers in rollout order × the phase's step templates, install
//! templates × the role's update files (or packages), placeholders filled; then what each
//! server's first step of a phase waits for on the others (the phase's `after`, one server at
//! a time, passive cluster nodes and SCR targets first).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sha2::Digest as _;

use super::{
    Arg, Exec, ExitCodeDoc, FarmDoc, PhaseDoc, Rollout, Run, SCHEMA_VERSION, ServerDoc, Step,
    command_line,
};
use crate::catalog::model::{Catalog, ReleaseKind};
use crate::catalog::rollout::{
    Action, After, COMPONENT_BUILD, ExitCode, IfNotApplicable, Installer, Installs, OnlyWith,
    Outcome, Scope, Servers, StepTemplate, When, matches,
};
use crate::farm::{Farm, Server};
use crate::model::Build;
use crate::model::manifest::{InstallManifest, PlacedEntry, PlacedKind, RoleEntry};

/// The PowerShell version scripts require when a catalog does not say.
const DEFAULT_POWERSHELL: &str = "2.0";

/// The values placeholders take for one step.
#[derive(Default, Clone)]
struct Vars {
    server: String,
    role: String,
    cluster: Option<String>,
    peer: Option<String>,
    pool: Option<String>,
    backend: Option<String>,
    name: Option<String>,
    file: Option<String>,
    kb: Option<String>,
    build: Option<String>,
    builds: String,
    /// Component id → the highest build of its updates for the server's role.
    component_builds: BTreeMap<String, Build>,
}

impl Vars {
    fn get(&self, key: &str) -> Option<String> {
        let or =
            |v: &Option<String>, none: &str| Some(v.clone().unwrap_or_else(|| none.to_owned()));
        if let Some(component) = key.strip_prefix(COMPONENT_BUILD) {
            return self.component_builds.get(component).map(Build::to_string);
        }
        match key {
            "server" => Some(self.server.clone()),
            "role" => Some(self.role.clone()),
            "cluster" => or(&self.cluster, "its cluster"),
            "peer" => or(&self.peer, "another node"),
            "pool" => or(&self.pool, "its pool"),
            "backend" => or(&self.backend, "the pool's back-end database server"),
            "name" => or(&self.name, "the update"),
            "file" => or(&self.file, "the update"),
            "kb" => or(&self.kb, "no KB"),
            "build" => or(&self.build, "build unknown"),
            "builds" => Some(self.builds.clone()),
            _ => None,
        }
    }

    /// Whether every `{build:<component>}` in `text` has a value for this server.
    fn knows_components(&self, text: &str) -> bool {
        crate::catalog::rollout::placeholders(text)
            .iter()
            .filter_map(|p| p.strip_prefix(COMPONENT_BUILD))
            .all(|c| self.component_builds.contains_key(c))
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

/// Whether a template concerns a server; `first_half`: the server is in the first half of its
/// role's servers ([`halves`]).
fn applies(t: &StepTemplate, s: &Server, first_half: bool) -> bool {
    let role_ok = t.roles.is_empty() || t.roles.iter().any(|r| r == &s.role.value);
    let when_ok = match t.when {
        When::Always => true,
        When::Clustered => s.cluster.is_some(),
        When::Standalone => s.cluster.is_none(),
        When::PassiveNode => s.cluster.is_some() && !s.is_active(),
        When::ActiveNode => s.cluster.is_some() && s.is_active(),
        When::FirstHalf => first_half,
        When::SecondHalf => !first_half,
    };
    role_ok && when_ok
}

/// For each server (by index into `farm.servers`): whether it is in the first half of its
/// role's servers in rollout order — of `n` servers the first `ceil(n/2)`, so a role of one
/// server has it in the first half.
fn halves(farm: &Farm, order: &[usize]) -> Vec<bool> {
    let mut first = vec![false; farm.servers.len()];
    let mut by_role: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in order {
        by_role
            .entry(farm.servers[i].role.value.as_str())
            .or_default()
            .push(i);
    }
    for servers in by_role.values() {
        for &i in &servers[..servers.len().div_ceil(2)] {
            first[i] = true;
        }
    }
    first
}

/// One thing an install step installs: a placed file or a package.
struct Installable {
    /// Relative to OUT.
    file: String,
    kb: Option<crate::model::Kb>,
    build: Option<Build>,
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The files a server of `role` installs with file installers, in install order: patches and
/// whole packages (not companion files), without the patches a package that applies its own
/// contents carries.
fn files<'r>(role: &'r RoleEntry, installers: &[Installer]) -> Vec<&'r PlacedEntry> {
    let installer_for = |name: &str| -> Option<&Installer> {
        installers.iter().find(|i| matches(&i.pattern, name))
    };
    let covering: BTreeSet<&str> = role
        .patches
        .iter()
        .filter(|p| p.kind == PlacedKind::Package)
        .filter(|p| installer_for(file_name(&p.file)).is_some_and(|i| i.applies_contained))
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

/// What a server of `role` installs, in install order: the packages its patches came from
/// where the catalog runs packages, else its files.
fn installables(
    role: &RoleEntry,
    doc: &InstallManifest,
    installers: &[Installer],
) -> Vec<Installable> {
    let runs_packages = installers.iter().any(|i| i.installs == Installs::Package);
    let mut out = Vec::new();
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    if runs_packages {
        let mut packages: Vec<_> = doc
            .packages
            .iter()
            .filter(|p| p.roles.iter().any(|r| r == &role.name))
            .collect();
        packages.sort_by_key(|p| p.order);
        for p in packages {
            covered.insert(p.input.as_str());
            let build = role
                .patches
                .iter()
                .filter(|e| e.from.first() == Some(&p.input))
                .filter_map(|e| e.build)
                .max();
            out.push(Installable {
                file: p.file.clone(),
                kb: p.kb,
                build,
            });
        }
    }
    // Files not taken from a package that runs (a patch downloaded on its own); never the
    // patches already on the setup media, which are for new servers (an existing server is
    // at the media's level or beyond).
    let downloads: BTreeSet<&str> = doc.inputs.iter().map(|i| i.path.as_str()).collect();
    for f in files(role, installers) {
        let from = f.from.first().map_or("", String::as_str);
        let elsewhere = installers
            .iter()
            .find(|i| matches(&i.pattern, file_name(&f.file)))
            .is_some_and(|i| i.installs == Installs::None);
        if covered.contains(from) || !downloads.contains(from) || elsewhere {
            continue;
        }
        out.push(Installable {
            file: f.file.clone(),
            kb: f.kb,
            build: f.build,
        });
    }
    out
}

/// The highest build of each component among a role's updates.
fn component_builds(role: &RoleEntry, catalog: &Catalog) -> BTreeMap<String, Build> {
    let mut out: BTreeMap<String, Build> = BTreeMap::new();
    for p in role
        .patches
        .iter()
        .filter(|p| p.kind != PlacedKind::Companion)
    {
        let (Some(family), Some(build)) = (&p.family, p.build) else {
            continue;
        };
        if let Some(c) = catalog.family_component(family) {
            let e = out.entry(c.id.clone()).or_insert(build);
            *e = (*e).max(build);
        }
    }
    out
}

/// Whether a role's updates include a service pack (by the catalog's release of each KB).
/// Whether the role's updates include a service pack: one of the catalog's service-pack
/// releases by KB, or by build where the catalog records none (Exchange 2007's service packs
/// have no KB in Microsoft's build list, only a build).
fn brings_service_pack(role: &RoleEntry, catalog: &Catalog) -> bool {
    role.patches.iter().any(|p| {
        catalog
            .releases
            .iter()
            .filter(|r| r.kind == ReleaseKind::ServicePack)
            .any(|r| {
                (p.kb.is_some() && r.kb == p.kb)
                    || (r.kb.is_none() && p.build.is_some() && r.build == p.build)
            })
    })
}

/// The exit codes of an installer or step as the rollout reads them: a "not applicable"
/// that the installer does not expect stops the script.
fn exit_codes(codes: &[ExitCode], if_na: IfNotApplicable, vars: &Vars) -> Vec<ExitCodeDoc> {
    codes
        .iter()
        .map(|c| ExitCodeDoc {
            code: c.code,
            outcome: match (c.outcome, if_na) {
                (Outcome::NotApplicable, IfNotApplicable::Stop) => Outcome::Stop,
                (o, _) => o,
            },
            meaning: vars.fill(&c.meaning),
            remedy: c.remedy.as_deref().map(|r| vars.fill(r)),
        })
        .collect()
}

/// The program and arguments of a template or installer, placeholders filled. `{file}` is
/// the update; an argument holding `{log}` (alone or after a switch, `/log:{log}`) is the
/// step's log file.
fn program(program: &str, arguments: &[String], vars: &Vars, log: &str) -> Exec {
    let arg = |a: &str| {
        if a == "{file}" {
            return Arg::File(vars.file.clone().unwrap_or_default());
        }
        if let Some(prefix) = a.strip_suffix("{log}") {
            return Arg::Log {
                prefix: vars.fill(prefix),
                name: log.to_owned(),
            };
        }
        Arg::Text(vars.fill(a))
    };
    Exec::Program {
        program: arg(program),
        args: arguments.iter().map(|a| arg(a)).collect(),
    }
}

/// Per server: cluster peer, passive nodes of its cluster, SCR targets of its cluster —
/// computed once, so the expansion is linear in the farm.
struct Topology {
    /// Cluster (lower case) → nodes in rollout order.
    nodes: HashMap<String, Vec<usize>>,
    /// Cluster (lower case) → its SCR targets in rollout order.
    scr: HashMap<String, Vec<usize>>,
    /// Cluster (lower case) → its first active and first passive node in rollout order (so
    /// that every node's peer is one look-up: a cluster of thousands of nodes stays linear).
    first: HashMap<String, (Option<usize>, Option<usize>)>,
}

impl Topology {
    fn new(farm: &Farm, order: &[usize]) -> Topology {
        let mut nodes: HashMap<String, Vec<usize>> = HashMap::new();
        let mut scr: HashMap<String, Vec<usize>> = HashMap::new();
        let mut first: HashMap<String, (Option<usize>, Option<usize>)> = HashMap::new();
        for &i in order {
            let s = &farm.servers[i];
            if let Some(c) = &s.cluster {
                let c = c.value.to_ascii_lowercase();
                let slot = first.entry(c.clone()).or_default();
                if s.is_active() {
                    slot.0.get_or_insert(i);
                } else {
                    slot.1.get_or_insert(i);
                }
                nodes.entry(c).or_default().push(i);
            }
            if let Some(c) = &s.scr_target_of {
                scr.entry(c.value.to_ascii_lowercase()).or_default().push(i);
            }
        }
        Topology { nodes, scr, first }
    }

    fn cluster_of(farm: &Farm, i: usize) -> Option<String> {
        farm.servers[i]
            .cluster
            .as_ref()
            .map(|c| c.value.to_ascii_lowercase())
    }

    /// A passive node's active node; an active node's first passive node (already updated).
    fn peer(&self, farm: &Farm, i: usize) -> Option<usize> {
        let (active, passive) = self.first.get(&Self::cluster_of(farm, i)?)?;
        // The first node of the other kind: never `i` itself.
        if farm.servers[i].is_active() {
            *passive
        } else {
            *active
        }
    }

    /// The servers whose steps of a phase must be done before server `i` starts it: its
    /// cluster's passive nodes (for the active node) and its cluster's SCR targets.
    fn before(&self, farm: &Farm, i: usize, passive_first: bool, scr_first: bool) -> Vec<usize> {
        let Some(cluster) = Self::cluster_of(farm, i) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if passive_first && farm.servers[i].is_active() {
            out.extend(
                self.nodes
                    .get(&cluster)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|&j| j != i && !farm.servers[j].is_active()),
            );
        }
        if scr_first {
            out.extend(self.scr.get(&cluster).into_iter().flatten().copied());
        }
        out
    }
}

/// The rollout of the farm (servers in `order`, see `farm::order`) for what the install
/// manifest `doc` placed. A catalog without rollout rules gives an empty sequence.
pub fn plan(catalog: &Catalog, farm: &Farm, order: &[usize], doc: &InstallManifest) -> Rollout {
    let empty = Vec::new();
    let (phases, installers) = catalog
        .rollout
        .as_ref()
        .map_or((&empty, &[][..]), |r| (&r.phases, &r.installers[..]));
    let installer_for = |name: &str| installers.iter().find(|i| matches(&i.pattern, name));
    let topology = Topology::new(farm, order);
    let first_half = halves(farm, order);
    let mut sequence: Vec<Step> = Vec::new();
    let mut phase_docs = Vec::new();
    for phase in phases {
        let mut once: BTreeSet<String> = BTreeSet::new();
        let phase_start = sequence.len();
        // Server index → (first, last) position in `sequence` of its steps in this phase.
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        for &i in order {
            let s = &farm.servers[i];
            let Some(role) = doc.roles.iter().find(|r| r.name == s.role.value) else {
                continue;
            };
            let updates = installables(role, doc, installers);
            let builds: BTreeSet<String> = updates
                .iter()
                .filter_map(|f| f.build.map(|b| b.to_string()))
                .collect();
            let sp = brings_service_pack(role, catalog);
            let base_vars = Vars {
                server: s.name.value.clone(),
                role: s.role.value.clone(),
                cluster: s.cluster.as_ref().map(|c| c.value.clone()),
                peer: topology
                    .peer(farm, i)
                    .map(|p| farm.servers[p].name.value.clone()),
                pool: s.pool.as_ref().map(|p| p.value.clone()),
                backend: s.pool.as_ref().and_then(|p| {
                    farm.pools
                        .iter()
                        .find(|d| d.name.value.eq_ignore_ascii_case(&p.value))
                        .and_then(|d| d.backend.as_ref().map(|b| b.value.clone()))
                }),
                builds: builds.iter().cloned().collect::<Vec<_>>().join(", "),
                component_builds: component_builds(role, catalog),
                ..Vars::default()
            };
            let first = sequence.len();
            for t in &phase.steps {
                let with_ok = match t.only_with {
                    None => true,
                    Some(OnlyWith::ServicePack) => sp,
                    Some(OnlyWith::NoServicePack) => !sp,
                };
                let named = [&t.text, &t.powershell, &t.check, &t.downtime]
                    .into_iter()
                    .flatten()
                    .all(|x| base_vars.knows_components(x));
                if !applies(t, s, first_half[i]) || !with_ok || !named {
                    continue;
                }
                // Once for the farm or a pool: on the first server it concerns.
                let first_time = match t.scope {
                    Scope::Server => true,
                    Scope::Farm => once.insert(t.id.clone()),
                    Scope::Pool => s.pool.as_ref().is_some_and(|p| {
                        once.insert(format!("{}\u{0}{}", t.id, p.value.to_ascii_lowercase()))
                    }),
                };
                if !first_time {
                    continue;
                }
                // An `install` template of its own (a text, a command) is one step; a bare one
                // installs each of the role's updates with its installer.
                let per_update = t.action == Action::Install
                    && t.text.is_none()
                    && t.program.is_none()
                    && t.powershell.is_none()
                    && t.check.is_none();
                if !per_update {
                    push_template(&mut sequence, &phase.id, t, s, &base_vars);
                    continue;
                }
                for u in &updates {
                    push_install(
                        &mut sequence,
                        &phase.id,
                        t,
                        s,
                        &base_vars,
                        u,
                        installer_for(file_name(&u.file)),
                    );
                }
            }
            if sequence.len() > first {
                spans.push((i, first, sequence.len() - 1));
            }
        }
        if sequence.len() > phase_start {
            phase_docs.push((phase, spans));
        }
    }
    let cluster_rules = catalog.rollout.as_ref().and_then(|r| r.cluster.as_ref());
    let (passive_first, scr_first) =
        cluster_rules.map_or((false, false), |c| (c.passive_first, c.scr_targets_first));
    // What each server's first step of a phase waits for.
    for (n, (phase, spans)) in phase_docs.iter().enumerate() {
        let last_of: HashMap<usize, usize> = spans.iter().map(|&(i, _, l)| (i, l)).collect();
        let earlier: Vec<String> = if phase.after == After::PreviousPhases {
            phase_docs[..n].iter().map(|(p, _)| p.id.clone()).collect()
        } else {
            Vec::new()
        };
        let mut previous: Option<usize> = None;
        for &(i, first, last) in spans {
            let mut waits: BTreeSet<u32> = BTreeSet::new();
            if phase.servers == Servers::OneAtATime
                && let Some(p) = previous
            {
                waits.insert(number(p));
            }
            for j in topology.before(farm, i, passive_first, scr_first) {
                if let Some(&l) = last_of.get(&j) {
                    waits.insert(number(l));
                }
            }
            let step = &mut sequence[first];
            step.waits_for = waits.into_iter().collect();
            step.waits_for_phases.clone_from(&earlier);
            previous = Some(last);
        }
    }
    let phases = phase_docs
        .iter()
        .map(|(p, spans)| PhaseDoc {
            id: p.id.clone(),
            title: p.title.clone(),
            servers: spans
                .iter()
                .map(|&(i, _, _)| farm.servers[i].name.value.clone())
                .collect(),
        })
        .collect();
    let farm_doc = FarmDoc {
        name: farm.name.clone(),
        servers: order
            .iter()
            .map(|&i| {
                let s = &farm.servers[i];
                ServerDoc {
                    name: s.name.value.clone(),
                    role: s.role.value.clone(),
                    language: s
                        .lang()
                        .or_else(|| doc.languages.base.clone())
                        .map(|l| l.to_string()),
                    cluster: s.cluster.as_ref().map(|c| c.value.clone()),
                    active: s.is_active(),
                    scr_target_of: s.scr_target_of.as_ref().map(|c| c.value.clone()),
                    pool: s.pool.as_ref().map(|p| p.value.clone()),
                    script: super::script_path(&s.name.value),
                }
            })
            .collect(),
    };
    let powershell = catalog
        .rollout
        .as_ref()
        .and_then(|r| r.powershell.as_ref())
        .map_or_else(|| DEFAULT_POWERSHELL.to_owned(), |p| p.version.clone());
    let mut rollout = Rollout {
        schema_version: SCHEMA_VERSION,
        id: String::new(),
        product: catalog.id.clone(),
        powershell,
        farm: farm_doc,
        phases,
        sequence,
    };
    rollout.id = identity(&rollout);
    rollout
}

/// The step number at a position of the sequence.
fn number(position: usize) -> u32 {
    u32::try_from(position + 1).unwrap_or(u32::MAX)
}

/// A rollout's id: the first 16 hex digits of the SHA-256 of its JSON without the id.
fn identity(rollout: &Rollout) -> String {
    let digest = sha2::Sha256::digest(rollout.to_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A step of a template other than `install`.
fn push_template(sequence: &mut Vec<Step>, phase: &str, t: &StepTemplate, s: &Server, vars: &Vars) {
    let log = log_name(&s.name.value, sequence.len() + 1);
    let exec = match (&t.program, &t.powershell, &t.check) {
        (Some(p), _, _) => program(p, &t.arguments, vars, &log),
        (None, Some(ps), _) => Exec::PowerShell(vars.fill(ps)),
        (None, None, Some(c)) => Exec::Check(vars.fill(c)),
        (None, None, None) => Exec::Nothing,
    };
    push(
        sequence,
        (phase, t, s),
        &t.id,
        vars.fill(t.text.as_deref().unwrap_or(&t.id)),
        exec,
        if t.manual { Run::Manual } else { Run::Script },
        Rest {
            exit_codes: exit_codes(&t.exit_codes, IfNotApplicable::Stop, vars),
            remedy: t.remedy.as_deref().map(|r| vars.fill(r)),
            file: None,
            downtime: t.downtime.as_deref().map(|d| vars.fill(d)),
            sources: t.sources.clone(),
        },
    );
}

/// An install step for one update (or package).
fn push_install(
    sequence: &mut Vec<Step>,
    phase: &str,
    t: &StepTemplate,
    s: &Server,
    base: &Vars,
    u: &Installable,
    installer: Option<&Installer>,
) {
    let vars = Vars {
        name: Some(file_name(&u.file).to_owned()),
        file: Some(u.file.clone()),
        kb: u.kb.map(|k| k.to_string()),
        build: u.build.map(|b| b.to_string()),
        ..base.clone()
    };
    let log = log_name(&s.name.value, sequence.len() + 1);
    match installer {
        Some(inst) => push(
            sequence,
            (phase, t, s),
            &inst.id,
            vars.fill(&inst.text),
            program(&inst.program, &inst.arguments, &vars, &log),
            Run::Script,
            Rest {
                exit_codes: exit_codes(&inst.exit_codes, inst.if_not_applicable, &vars),
                remedy: None,
                file: Some(u.file.clone()),
                downtime: inst
                    .downtime
                    .as_deref()
                    .or(t.downtime.as_deref())
                    .map(|d| vars.fill(d)),
                sources: inst.sources.iter().chain(&t.sources).cloned().collect(),
            },
        ),
        None => push(
            sequence,
            (phase, t, s),
            &t.id,
            vars.fill(
                "Install {name} ({kb}, {build}) by hand: the catalog has no command for this kind of file",
            ),
            Exec::Nothing,
            Run::Manual,
            Rest {
                exit_codes: Vec::new(),
                remedy: None,
                file: Some(u.file.clone()),
                downtime: t.downtime.as_deref().map(|d| vars.fill(d)),
                sources: t.sources.clone(),
            },
        ),
    }
}

/// A step's log file name (in the script's log folder, `%TEMP%` by default): the server and
/// the step's number, never a name from an archive.
fn log_name(server: &str, step: usize) -> String {
    format!("slipway-{server}-{step:03}.log")
}

/// A step's fields besides its text and command.
struct Rest {
    exit_codes: Vec<ExitCodeDoc>,
    remedy: Option<String>,
    file: Option<String>,
    downtime: Option<String>,
    sources: Vec<String>,
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
    sequence.push(Step {
        step: number(sequence.len()),
        phase: phase.to_owned(),
        id: id.to_owned(),
        server: s.name.value.clone(),
        role: s.role.value.clone(),
        action: t.action,
        text,
        command: command_line(&exec),
        run,
        exit_codes: rest.exit_codes,
        remedy: rest.remedy,
        file: rest.file,
        waits_for: Vec::new(),
        waits_for_phases: Vec::new(),
        downtime: rest.downtime,
        sources: rest.sources,
        exec,
    });
}

#[cfg(test)]
mod tests;
