//! rollout: pure — the whole rollout of a farm, in order: the catalog's phases of step
//! templates (`catalog::rollout`) expanded for each server of the farm in rollout order
//! (`farm::order`), one install step per update file of the server's role (the install
//! manifest's files, in install order), with the commands, exit codes, downtime and sources
//! the catalog gives. No product rule is written here: every step comes from the catalog.
//!
//! The result is `rollout.json` ([`Rollout`]); `docs` writes it, the scripts and the runbook.

mod expand;

use serde::{Deserialize, Serialize};

pub use expand::plan;

use crate::catalog::rollout::{Action, Outcome};

/// `rollout.json`'s `schema_version`.
pub const SCHEMA_VERSION: u32 = 1;
/// The file's name at OUT's root.
pub const ROLLOUT_JSON: &str = "rollout.json";

/// The whole rollout (`rollout.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    pub schema_version: u32,
    pub product: String,
    pub farm: FarmDoc,
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
    /// Its script, relative to OUT.
    pub script: String,
}

/// Who carries a step out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Run {
    /// The server's script.
    Script,
    /// A person: the script stops and shows what to do.
    Manual,
}

/// What an exit code means, as `rollout.json` states it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitCodeDoc {
    pub code: i64,
    pub outcome: Outcome,
    pub meaning: String,
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
    /// The command line as a person would type it (`None`: nothing to run).
    pub command: Option<String>,
    pub run: Run,
    /// What each exit code of `command` means; any other code is a failure.
    pub exit_codes: Vec<ExitCodeDoc>,
    /// The update file an install step installs, relative to OUT.
    pub file: Option<String>,
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
    /// A program with its arguments.
    /// A program (a file of the source when the catalog says `{file}`) with its arguments.
    Program { program: Arg, args: Vec<Arg> },
    /// A PowerShell command line (catalog data with validated names filled in).
    PowerShell(String),
}

/// One argument of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    /// A file of the source, relative to OUT (`/`-separated).
    File(String),
    /// A log file name in the script's log folder.
    Log(String),
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

/// The folder, relative to `%TEMP%`, a server's script logs into (shown in commands).
pub fn log_folder(server: &str) -> String {
    format!("slipway-{server}")
}

/// A script's path relative to OUT.
pub fn script_path(server: &str) -> String {
    format!("scripts/{server}.ps1")
}
