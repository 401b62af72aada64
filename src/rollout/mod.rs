//! rollout: pure — the whole rollout of a farm, in order: the catalog's phases of step
//! templates (`catalog::rollout`) expanded for each server of the farm in rollout order
//! (`farm::order`), one install step per update file (or per package, where the vendor runs
//! packages) of the server's role, in install order, with the commands, exit codes, checks,
//! downtime and sources the catalog gives, and what each step waits for on other servers.
//! No product rule is written here: every step comes from the catalog.
//!
//! The result is `rollout.json` ([`Rollout`]); `docs` writes it, the scripts and the runbook.
//! The scripts enforce [`Step::waits_for`] and [`Step::waits_for_phases`] whatever step they
//! start at: a step runs once its own server's earlier steps, the steps it waits for and every
//! server's last step of each phase it waits for are done (the integration tests hold every
//! start step of every sample farm to the catalog's phase rules).

pub mod command;
mod expand;

use serde::{Deserialize, Serialize};

pub use command::command_line;
pub use expand::plan;

use crate::catalog::rollout::{Action, Outcome};

/// `rollout.json`'s `schema_version` (2: waits, phases, checks, PowerShell command lines).
pub const SCHEMA_VERSION: u32 = 2;
/// The file's name at OUT's root.
pub const ROLLOUT_JSON: &str = "rollout.json";

/// The whole rollout (`rollout.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    pub schema_version: u32,
    /// Identifies this rollout (its product, farm and steps): the scripts keep their state
    /// under it, so two rollouts never mix their progress.
    pub id: String,
    pub product: String,
    /// The Windows PowerShell version the scripts require (`#requires -Version`).
    pub powershell: String,
    pub farm: FarmDoc,
    /// The catalog's phases, in order, with the servers that have steps in each.
    pub phases: Vec<PhaseDoc>,
    /// Every step, in the order they are done.
    pub sequence: Vec<Step>,
}

/// The farm as the rollout reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FarmDoc {
    pub name: Option<String>,
    /// In rollout order.
    pub servers: Vec<ServerDoc>,
}

/// One server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerDoc {
    pub name: String,
    pub role: String,
    /// Its install language (the build's base language unless the farm file says).
    pub language: Option<String>,
    pub cluster: Option<String>,
    /// A node that owns its cluster's server now.
    pub active: bool,
    pub scr_target_of: Option<String>,
    /// The pool it belongs to (Office Communications Server Enterprise pools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// Its script, relative to OUT.
    pub script: String,
}

/// One phase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseDoc {
    pub id: String,
    pub title: String,
    /// The servers with steps in it, in rollout order: a step that waits for the phase waits
    /// until each of them has finished its steps of the phase.
    pub servers: Vec<String>,
}

/// Who carries a step out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Run {
    /// The server's script.
    Script,
    /// A person: the script stops and shows what to do; it goes on once the person confirms
    /// the step (`-Confirm N`).
    Manual,
}

/// What an exit code means, as `rollout.json` states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitCodeDoc {
    pub code: i64,
    pub outcome: Outcome,
    pub meaning: String,
    /// What to do when it stops the script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

/// One step of the rollout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// From 1, in rollout order.
    pub step: u32,
    /// The catalog phase it belongs to.
    pub phase: String,
    /// The catalog's step (or installer) id.
    pub id: String,
    pub server: String,
    pub role: String,
    pub action: Action,
    /// One line for a person.
    pub text: String,
    /// The command as a person types it in Windows PowerShell, from the source's folder
    /// (`None`: nothing to run). Every value from outside is one single-quoted literal.
    pub command: Option<String>,
    pub run: Run,
    /// What each exit code of `command` means; any other code is a failure.
    pub exit_codes: Vec<ExitCodeDoc>,
    /// What to do when the step (a check) fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// The update file or package an install step installs, relative to OUT.
    pub file: Option<String>,
    /// Steps on other servers that must be done first.
    pub waits_for: Vec<u32>,
    /// Phases every server of which must have finished first (see [`PhaseDoc::servers`]).
    pub waits_for_phases: Vec<String>,
    /// What is out of service because of this step, and until when.
    pub downtime: Option<String>,
    pub sources: Vec<String>,
    /// What the script executes (not in `rollout.json`).
    #[serde(skip)]
    pub exec: Exec,
}

/// What a script executes for a step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Exec {
    /// Nothing (a manual step, a restart checkpoint).
    #[default]
    Nothing,
    /// A program (a file of the source when the catalog says `{file}`) with its arguments.
    Program { program: Arg, args: Vec<Arg> },
    /// A PowerShell command line (catalog data with validated names filled in).
    PowerShell(String),
    /// A PowerShell condition that must be `$true` (catalog data with validated names and
    /// builds filled in).
    Check(String),
}

/// One argument of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    /// A file of the source, relative to OUT (`/`-separated).
    File(String),
    /// A log file in the script's log folder, after a switch (`/log:`) or alone.
    Log {
        prefix: String,
        name: String,
    },
}

impl Rollout {
    /// `rollout.json` exactly as written: pretty JSON with a trailing newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// The steps of one server, in order.
    pub fn steps_of<'a>(&'a self, server: &'a str) -> impl Iterator<Item = &'a Step> + 'a {
        self.sequence.iter().filter(move |s| s.server == server)
    }
}

/// A script's path relative to OUT.
pub fn script_path(server: &str) -> String {
    format!("scripts/{server}.ps1")
}
