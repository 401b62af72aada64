//! The catalog's rollout rules as data (`"rollout"` in `manifests/<product>.json`): how a farm
//! of the product is updated server by server — phases of step templates (back up, prepare,
//! install, restart, configure, resume, verify), the command and exit codes for each kind of
//! update file, the cluster rules (passive nodes first, SCR targets before their source), and
//! the back-out text. Every rule carries its `sources`; `rollout` expands them for a farm.
//!
//! Text, downtime and commands may hold placeholders, filled per server and file:
//! `{server}`, `{role}`, `{cluster}`, `{peer}` (a passive node's active node; an active node's
//! first passive node, already updated), `{name}`, `{file}`, `{log}`, `{kb}`, `{build}`,
//! `{builds}` (the builds placed for the server's role). `catalog check` refuses others
//! ([`PLACEHOLDERS`]), and names that come from archives (`{file}`, `{name}`, `{log}`) are
//! allowed only where they are quoted for PowerShell: whole `arguments`, never `powershell`.

use serde::{Deserialize, Serialize};

/// Placeholders of text and downtime.
pub const PLACEHOLDERS: &[&str] = &[
    "server", "role", "cluster", "peer", "name", "file", "log", "kb", "build", "builds",
];
/// Placeholders a `powershell` snippet may use: names the farm check validated, nothing
/// from an archive.
pub const SNIPPET_PLACEHOLDERS: &[&str] = &["server", "cluster", "peer"];

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
    /// The update is not for anything installed here: nothing to do.
    NotApplicable,
    AlreadyInstalled,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Reboot => "reboot",
            Outcome::RebootInitiated => "reboot-initiated",
            Outcome::NotApplicable => "not-applicable",
            Outcome::AlreadyInstalled => "already-installed",
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
    pub steps: Vec<StepTemplate>,
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
                if after[..close]
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_')
                    && close > 0 =>
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
    }
}
