//! The catalog's rollout rules as data (`"rollout"` in `manifests/<product>.json`): how a farm
//! of the product is updated server by server — phases of step templates (back up, prepare,
//! install, restart, configure, resume, verify), the command and exit codes for each kind of
//! update file, the cluster rules (passive nodes first, SCR targets before their source), and
//! the back-out text. Every rule carries its `sources`; `rollout` expands them for a farm.
//!
//! Text, downtime and commands may hold placeholders, filled per server and file:
//! `{server}`, `{role}`, `{cluster}`, `{peer}` (a passive node's active node; an active node's
//! first passive node, already updated), `{pool}` (the server's pool), `{backend}` (its
//! pool's back-end database server), `{name}`, `{file}`,
//! `{log}`, `{kb}`, `{build}`, `{builds}` (the builds placed for the server's role) and
//! `{build:<component>}` (the highest build of that component's updates for the server's
//! role; a step that names it is left out where the role has none). `catalog check` refuses
//! others ([`PLACEHOLDERS`]), and names that come from archives (`{file}`, `{name}`, `{log}`)
//! are allowed only where they are quoted for PowerShell: whole `arguments` (`{log}` may follow
//! a switch, as in `/log:{log}`), never `powershell` or `check`.

use serde::{Deserialize, Serialize};

/// Placeholders of text and downtime.
pub const PLACEHOLDERS: &[&str] = &[
    "server", "role", "cluster", "peer", "pool", "backend", "name", "file", "log", "kb", "build",
    "builds",
];
/// Placeholders a `powershell` snippet or a `check` may use: names the farm check validated
/// and builds, nothing from an archive.
pub const SNIPPET_PLACEHOLDERS: &[&str] = &["server", "cluster", "peer", "pool", "backend"];
/// The prefix of the per-component build placeholder (`{build:moss}`), allowed everywhere.
pub const COMPONENT_BUILD: &str = "build:";

/// The rollout rules of a product.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    /// Where the rules come from.
    #[serde(default)]
    pub sources: Vec<String>,
    /// How each kind of update file is installed (first match wins).
    #[serde(default)]
    pub installers: Vec<Installer>,
    /// Cluster rules, for products whose roles run in failover clusters.
    #[serde(default)]
    pub cluster: Option<ClusterRules>,
    /// In order: within a phase, servers in rollout order, each server's matching steps in
    /// the phase's order.
    pub phases: Vec<Phase>,
    /// The back-out plan, as the sources give it.
    #[serde(default)]
    pub backout: Vec<Sourced>,
    /// The Windows PowerShell the product's servers have, which the scripts require.
    #[serde(default)]
    pub powershell: Option<PowerShellReq>,
}

/// The PowerShell version the scripts are written for (`#requires -Version`), and what a
/// person must know about it on the product's servers.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PowerShellReq {
    /// `major.minor`, e.g. `2.0`.
    pub version: String,
    pub text: String,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A text with its sources.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Sourced {
    pub text: String,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// What a step does (rollout.json's `action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Backup,
    /// Stop W3SVC, drain, pause a node, move groups or the clustered mailbox server.
    Prepare,
    /// One step per update file, in install order.
    Install,
    Reboot,
    /// The configuration wizard (psconfig).
    Configure,
    Resume,
    Verify,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Backup => "backup",
            Action::Prepare => "prepare",
            Action::Install => "install",
            Action::Reboot => "reboot",
            Action::Configure => "configure",
            Action::Resume => "resume",
            Action::Verify => "verify",
        }
    }
}

/// Once per server, or once for the farm (on the first matching server of the phase).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    #[default]
    Server,
    Farm,
    /// Once for each pool, on the first server of it the step concerns (servers of no pool
    /// are left out).
    Pool,
}

/// Which servers of the step's roles it concerns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum When {
    #[default]
    Always,
    /// A node of a cluster.
    Clustered,
    /// Not a node of a cluster.
    Standalone,
    /// A node that does not own its cluster's server now.
    PassiveNode,
    /// The node that owns its cluster's server now.
    ActiveNode,
    /// The first half of its role's servers in rollout order (of an odd number, the one more):
    /// the half patched while the other half keeps the role in service (SharePoint's zero
    /// downtime patching: "column 1", then "column 2").
    FirstHalf,
    /// The other half of its role's servers.
    SecondHalf,
}

/// How an exit code is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Success,
    /// Succeeded; a restart is needed before the server is complete.
    Reboot,
    /// Succeeded; the installer restarts the computer itself.
    RebootInitiated,
    /// The update is not for anything installed here: nothing to do (only where the step
    /// says this is expected; elsewhere the expansion makes it [`Outcome::Stop`]).
    NotApplicable,
    AlreadyInstalled,
    /// A documented failure: the script stops and shows the remedy.
    Stop,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Reboot => "reboot",
            Outcome::RebootInitiated => "reboot-initiated",
            Outcome::NotApplicable => "not-applicable",
            Outcome::AlreadyInstalled => "already-installed",
            Outcome::Stop => "stop",
        }
    }
}

/// One documented exit code. Codes not listed stop the script (a failure).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExitCode {
    pub code: i64,
    pub outcome: Outcome,
    pub meaning: String,
    /// What to do when this code stops the script.
    #[serde(default)]
    pub remedy: Option<String>,
}

/// What an installer runs for a role's updates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Installs {
    /// Each placed update file (a patch, a whole package placed as it is).
    #[default]
    File,
    /// The downloaded package each placed patch was taken from, run as the vendor
    /// prescribes (the copy in OUT's `packages/`), once per package.
    Package,
    /// Never per server: a step of its own runs the file (an Enterprise pool's database
    /// update, run once on the pool's database server).
    None,
}

/// Whether a "not applicable" exit code is expected where the installer runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IfNotApplicable {
    /// The update must apply on every server it is run on: "not applicable" stops the
    /// script with the code's remedy.
    #[default]
    Stop,
    /// Expected on some servers (an update for a component not every server has).
    Expected,
}

/// How update files whose name matches `match` are installed.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Installer {
    pub id: String,
    /// A file name pattern (`*` any run of characters), matched case-insensitively.
    #[serde(rename = "match")]
    pub pattern: String,
    /// The step's line for a person.
    pub text: String,
    pub program: String,
    #[serde(default)]
    pub arguments: Vec<String>,
    #[serde(default)]
    pub exit_codes: Vec<ExitCode>,
    /// The file applies the patches that were taken out of it (OCS's Cumulative Server
    /// Update Installer): they get no install step of their own.
    #[serde(default)]
    pub applies_contained: bool,
    /// Files or the packages they came from.
    #[serde(default)]
    pub installs: Installs,
    #[serde(default)]
    pub if_not_applicable: IfNotApplicable,
    /// Why "not applicable" is expected (with `if_not_applicable: expected`).
    #[serde(default)]
    pub not_applicable_reason: Option<String>,
    #[serde(default)]
    pub downtime: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// The cluster rules of the roles that run in failover clusters.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterRules {
    /// Roles whose servers may be cluster nodes (and SCR targets).
    pub roles: Vec<String>,
    /// Update a cluster's passive nodes before its active node.
    #[serde(default)]
    pub passive_first: bool,
    /// Update the standby continuous replication targets of a clustered server before any
    /// node of it.
    #[serde(default)]
    pub scr_targets_first: bool,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A phase of the rollout.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub id: String,
    pub title: String,
    /// Whether the phase starts only once every server has finished the phases before it.
    #[serde(default)]
    pub after: After,
    /// How the servers go through the phase.
    #[serde(default)]
    pub servers: Servers,
    pub steps: Vec<StepTemplate>,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// Where a phase may start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum After {
    /// Once every server has finished every step of the phases before it.
    #[default]
    PreviousPhases,
    /// Each server as soon as its own earlier steps are done.
    OwnSteps,
}

/// How the servers of a phase go through it (cluster rules apply in every case).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Servers {
    /// Side by side.
    #[default]
    Parallel,
    /// One server at a time, in rollout order.
    OneAtATime,
}

/// The change a step only belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnlyWith {
    /// The server installs a service pack in this change.
    ServicePack,
    /// The server installs no service pack in this change (update rollups only).
    NoServicePack,
}

/// A step as the catalog states it, expanded for every server it concerns.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepTemplate {
    pub id: String,
    pub action: Action,
    /// The line for a person (an `install` step takes its installer's).
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub scope: Scope,
    /// Roles it concerns (every role when empty).
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub when: When,
    /// A program the script runs, with its arguments.
    #[serde(default)]
    pub program: Option<String>,
    #[serde(default)]
    pub arguments: Vec<String>,
    /// Or a PowerShell command line.
    #[serde(default)]
    pub powershell: Option<String>,
    /// Or a PowerShell condition that must be `$true`: the step passes, or stops the script
    /// with `remedy`.
    #[serde(default)]
    pub check: Option<String>,
    /// What to do when the step's check fails.
    #[serde(default)]
    pub remedy: Option<String>,
    /// Only in a change that brings (or does not bring) a service pack to the server.
    #[serde(default)]
    pub only_with: Option<OnlyWith>,
    /// The command is for a person to run (another shell, another console): the script
    /// stops and shows it.
    #[serde(default)]
    pub manual: bool,
    #[serde(default)]
    pub exit_codes: Vec<ExitCode>,
    /// What is out of service, and until when.
    #[serde(default)]
    pub downtime: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// Whether `name` matches `pattern` (`*` any run of characters, case-insensitive).
pub fn matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((c, rest)) => n
                .split_first()
                .is_some_and(|(m, tail)| c.eq_ignore_ascii_case(m) && go(rest, tail)),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Patterns are short catalog data; a name is one file name: the backtracking is bounded
    // by their product, and a pattern with many stars is refused by `catalog check`.
    go(&p, &n)
}

/// The placeholders (`{name}`) in `text`, in order.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close)
                if close > 0
                    && (after[..close]
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_')
                        || after[..close]
                            .strip_prefix(COMPONENT_BUILD)
                            .is_some_and(|c| {
                                !c.is_empty()
                                    && c.chars().all(|c| {
                                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
                                    })
                            })) =>
            {
                out.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

impl Rollout {
    /// The installer for a file name.
    pub fn installer_for(&self, name: &str) -> Option<&Installer> {
        self.installers.iter().find(|i| matches(&i.pattern, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_like_file_globs() {
        for (pattern, name, want) in [
            ("*.msp", "sts-x-none.msp", true),
            ("*.msp", "STS-X-NONE.MSP", true),
            ("*.msp", "sts.msp.txt", false),
            (
                "ServerUpdateInstaller.exe",
                "serverupdateinstaller.exe",
                true,
            ),
            (
                "ServerUpdateInstaller.exe",
                "ServerUpdateInstaller.exe.bak",
                false,
            ),
            (
                "*-fullfile-*.exe",
                "wss-kb975002-fullfile-x86-glb.exe",
                true,
            ),
            ("*", "", true),
            ("a*", "", false),
        ] {
            assert_eq!(matches(pattern, name), want, "{pattern} {name}");
        }
    }

    #[test]
    fn placeholders_are_lower_case_words_in_braces() {
        assert_eq!(
            placeholders("Install {name} on {server} ({kb}) {} {Not} {a-b} {build"),
            vec!["name", "server", "kb"]
        );
        assert_eq!(
            placeholders("Get-Command ExSetup | ForEach {$_.FileVersionInfo}"),
            Vec::<&str>::new()
        );
        assert_eq!(
            placeholders("at {build:moss} and {build:wss-lp} not {build:} {build:A}"),
            vec!["build:moss", "build:wss-lp"]
        );
    }
}
