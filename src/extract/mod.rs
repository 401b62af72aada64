//! The recursive extraction driver: inputs → containers → members, written through the one
//! path checker under budgets, hashed while written, staged and renamed into place.
//!
//! Data flow for one member: container reader → [`sink::DirSink`] (path check, collision
//! check, budgets) → hasher → file in the staging folder. With `--recursive`, a member whose
//! first bytes are a container is then opened from the staged file and unpacked into a folder
//! beside it (`<member>.extracted/`).

pub mod limits;
pub mod safe_path;
mod sink;
pub mod staging;
mod writer;

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::error::Error;
use crate::formats::payload::{DirVolumes, FileSource, Payload, unpack};
use crate::formats::{Format, read_head, sniff};
use crate::model::{Origin, Sha256};

use self::limits::Limits;
use self::safe_path::SafePath;
use self::sink::{DirSink, RunState};
use self::staging::Staging;

/// What `extract` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Unpack nested containers into `<member>.extracted/` folders.
    pub recursive: bool,
    pub limits: Limits,
    /// Replace a non-empty output directory.
    pub force: bool,
}

/// Told about the run's progress (a terminal progress bar, or nothing).
pub trait Progress {
    /// An input is being opened.
    fn input(&self, _path: &Path) {}
    /// `n` more bytes were written.
    fn bytes(&self, _n: u64) {}
    /// A member was written.
    fn entry(&self) {}
}

/// A [`Progress`] that ignores everything (tests, `--no-progress`, non-terminals).
#[derive(Debug, Default)]
pub struct NoProgress;
impl Progress for NoProgress {}

/// One file written below the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Relative to the output directory, `/`-separated.
    pub path: String,
    pub size: u64,
    pub sha256: Sha256,
    pub origin: Origin,
    /// Set when `--recursive` unpacked this member into `<path>.extracted/`.
    pub unpacked: bool,
}

/// Something worth telling that is not an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// A member had the same path (case-insensitively) and the same bytes as one already
    /// written; it was written once.
    DuplicateIdentical { path: String, origin: Origin },
}

/// What happened to one input.
#[derive(Debug)]
pub struct InputOutcome {
    pub path: PathBuf,
    /// The format sniffed at offset 0 (`None` when the file could not be read).
    pub format: Option<Format>,
    pub members: usize,
    pub bytes: u64,
    pub error: Option<Error>,
}

/// The result of a run.
#[derive(Debug)]
pub struct Report {
    pub inputs: Vec<InputOutcome>,
    /// Every member written, sorted by path; empty when the run failed (nothing was kept).
    pub members: Vec<Member>,
    pub notes: Vec<Note>,
    /// Whether the output was committed (every input succeeded).
    pub committed: bool,
    /// Set when the run was interrupted.
    pub interrupted: bool,
}

impl Report {
    pub fn failed_inputs(&self) -> impl Iterator<Item = &InputOutcome> {
        self.inputs.iter().filter(|i| i.error.is_some())
    }
}

/// Extracts every input into `out`. With one input its payload lands directly in `out`; with
/// several, each in `out/<input file name>/`.
///
/// Every input is attempted (so every bad one is reported); the output is committed only when
/// all succeeded. `Err` is returned for problems with the run itself (non-empty output, two
/// inputs with the same name).
pub fn run(
    inputs: &[PathBuf],
    out: &Path,
    opts: &Options,
    progress: &dyn Progress,
    interrupt: &AtomicBool,
) -> Result<Report, Error> {
    let folders = input_folders(inputs)?;
    staging::ensure_outside(
        out,
        &inputs.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
    )?;
    let staging = Staging::prepare(out, opts.force)?;
    let mut state = RunState::new(staging.path(), opts, progress, interrupt);
    let mut outcomes = Vec::with_capacity(inputs.len());
    let mut interrupted = false;
    for (input, folder) in inputs.iter().zip(folders) {
        progress.input(input);
        let before = (state.members.len(), state.total_bytes);
        let origin = Origin::input(input);
        let mut outcome = InputOutcome {
            path: input.clone(),
            format: None,
            members: 0,
            bytes: 0,
            error: None,
        };
        if interrupted {
            outcome.error = Some(Error::Interrupted);
            outcomes.push(outcome);
            continue;
        }
        let result = open_input(input, &origin).and_then(|(file, head)| {
            let format = sniff(&head);
            outcome.format = Some(format);
            drop(file);
            let mut volumes = DirVolumes::beside(input);
            let mut sink = DirSink::new(&mut state, folder, 0);
            match unpack(&FileSource(input), format, &origin, &mut volumes, &mut sink)? {
                Payload::Extracted => Ok(()),
                Payload::None(why) => Err(Error::format(&origin, why)),
            }
        });
        outcome.members = state.members.len() - before.0;
        outcome.bytes = state.total_bytes - before.1;
        if let Err(e) = result {
            interrupted |= matches!(e, Error::Interrupted);
            outcome.error = Some(e);
        }
        outcomes.push(outcome);
    }
    // Every write must have ended before the staging folder is committed or removed.
    let (mut members, notes) = match state.finish() {
        Ok(done) => done,
        Err(e) => {
            drop(staging);
            return Err(e);
        }
    };
    let ok = outcomes.iter().all(|o| o.error.is_none());
    if ok {
        staging.commit()?;
        members.sort_by(|a, b| a.path.cmp(&b.path));
    } else {
        drop(staging);
        members.clear();
    }
    Ok(Report {
        inputs: outcomes,
        members,
        notes,
        committed: ok,
        interrupted,
    })
}

/// The folder each input is extracted to: none for a single input, else its file name.
fn input_folders(inputs: &[PathBuf]) -> Result<Vec<Option<SafePath>>, Error> {
    if inputs.len() <= 1 {
        return Ok(vec![None; inputs.len()]);
    }
    let mut seen: HashMap<String, &PathBuf> = HashMap::new();
    let mut folders = Vec::with_capacity(inputs.len());
    for input in inputs {
        let name = input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let folder = SafePath::component(&name).map_err(|reason| Error::UnsafeName {
            origin: Origin::input(input),
            name: name.clone(),
            reason,
        })?;
        if let Some(first) = seen.insert(folder.collision_key(), input) {
            return Err(Error::InputNameClash {
                first: first.clone(),
                second: input.clone(),
                folder: name,
            });
        }
        folders.push(Some(folder));
    }
    Ok(folders)
}

/// Opens an input and reads its first bytes for sniffing.
pub fn open_input(path: &Path, origin: &Origin) -> Result<(File, Vec<u8>), Error> {
    let read_err = |source| Error::Read {
        origin: origin.clone(),
        source,
    };
    let mut file = File::open(path).map_err(read_err)?;
    if file.metadata().map_err(read_err)?.is_dir() {
        return Err(read_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a directory",
        )));
    }
    let head = read_head(&mut file).map_err(read_err)?;
    Ok((file, head))
}
