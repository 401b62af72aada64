//! extract: the one walker ([`walk`]) that every command reads its inputs with — recursion,
//! the one path checker, budgets, hashing while the bytes flow — and the `extract` command on
//! top of it: members written into the output tree, staged and renamed into place.
//!
//! Data flow for one member of `extract`: container reader → [`walk`]'s sink (path check,
//! collision check, budgets) → background writer (hash, file in the staging folder). With
//! `--recursive`, a member whose first bytes are a container is then opened from the staged
//! file and unpacked into a folder beside it (`<member>.extracted/`).

pub mod error;
mod flow;
mod inputs;
pub mod limits;
mod names;

pub mod staging;
mod tree;
pub mod walk;
mod writer;

pub use error::Error;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use crate::formats::msi::MsiView;
use crate::formats::payload::Source;
use crate::formats::{Format, read_head};
use crate::model::{Origin, Sha256};

use self::limits::Limits;
use self::staging::Staging;
use self::walk::{Node, Spent, Visitor, Walked, Walker};
use crate::safe_path::SafePath;

/// What `extract` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Unpack nested containers into `<member>.extracted/` folders.
    pub recursive: bool,
    pub limits: Limits,
    /// Replace a non-empty output directory.
    pub force: bool,
    /// How MSI and MSM members are named (`--msi-streams`: as stored).
    pub msi_view: MsiView,
    /// Threads to use (`--threads`): inputs walked side by side, and within one input writing
    /// and hashing threads (at most 4 each) and, above 2, a thread that decompresses cabinets.
    pub threads: usize,
    /// Nobody reads the members' SHA-256 (the command line asks for neither `--json` nor
    /// `-v`): none is computed, and [`Member::sha256`] is all zeros. Two members that land on
    /// one path are still compared by their digests, computed for them alone.
    pub skip_digests: bool,
}

/// Told about the run's progress (a terminal progress bar, or nothing); shared by the
/// threads that walk inputs side by side.
pub trait Progress: Sync {
    /// A phase of the run begins (`reading inputs`, `writing the bundle`): what people see,
    /// in their terms; the byte count starts again.
    fn phase(&self, _name: &str) {}
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
    /// How its stored name was decoded.
    pub decoding: crate::formats::NameDecoding,
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
    interrupt: &'static AtomicBool,
) -> Result<Report, Error> {
    let folders = input_folders(inputs)?;
    staging::ensure_outside(
        out,
        &inputs.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
    )?;
    let staging = Staging::prepare(out, opts.force)?;
    let inputs::Walked {
        outcomes,
        notes,
        members,
    } = inputs::walk(inputs, folders, &staging, opts, progress, interrupt);
    let interrupted = outcomes
        .iter()
        .any(|o| matches!(o.error, Some(Error::Interrupted)));
    let mut members = match members {
        Ok(m) => m,
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

/// Unpacks one container (a disc image of setup media) into `root`, an empty folder the
/// caller stages and removes on failure: its members, not nested ones, through the one
/// walker — the path checker, the collision rule, the budgets, hashing while writing.
/// `scratch` holds in-flight files; `threads` write and hash them (`--threads`). Returns every
/// member written, sorted by path.
pub fn unpack_into(
    input: &Path,
    root: &Path,
    scratch: &Path,
    limits: Limits,
    threads: usize,
    progress: &dyn Progress,
    interrupt: &'static AtomicBool,
) -> Result<Vec<Member>, Error> {
    let spent = Spent::default();
    let mut walker = Walker::writing(root, scratch, limits, &spent, interrupt, progress, threads);
    let mut visitor = Extracting {
        recursive: false,
        format: None,
    };
    let walked = walker.input_unhashed(input, None, &mut visitor);
    // Every write must have ended before the caller removes or keeps the tree.
    let finished = match walker.into_tree() {
        Some(tree) => tree.finish(),
        None => Ok((Vec::new(), Vec::new())),
    };
    walked?;
    let (mut members, _) = finished?;
    members.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(members)
}

/// `extract`'s view of the walk: every member is written; with `--recursive`, nested
/// containers are opened too. Damage, a budget or a missing payload fails the input.
struct Extracting {
    recursive: bool,
    /// The input's format, sniffed at offset 0.
    format: Option<Format>,
}

impl Visitor for Extracting {
    fn keep(&mut self, _member: &walk::Member<'_>) -> bool {
        self.recursive
    }

    fn node(&mut self, node: &Node<'_>, _source: &dyn Source) -> bool {
        if node.depth == 0 {
            self.format = Some(node.format);
        }
        node.depth == 0 || self.recursive
    }

    fn walked(&mut self, node: &Node<'_>, outcome: Walked) -> Result<(), Error> {
        match outcome {
            Walked::Complete => Ok(()),
            // A nested executable without payload (a DLL, a tool) stays a plain file.
            Walked::NoPayload(_) if node.depth > 0 => Ok(()),
            Walked::NoPayload(why) => Err(Error::format(node.origin, why)),
            Walked::Damaged(e) | Walked::Unsupported(e) => Err(e),
        }
    }
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

/// Opens an input and reads its first bytes for sniffing: a regular file, never through a
/// link and never a FIFO or device ([`crate::formats::open::open_regular`], race-free).
/// Returns what was opened too: every later opening must find that same file.
pub fn open_input(
    path: &Path,
    origin: &Origin,
) -> Result<(File, Vec<u8>, crate::formats::open::Listed), Error> {
    let read_err = |source| Error::Read {
        origin: origin.clone(),
        source,
    };
    let mut file =
        crate::formats::open::open_regular(path, None).map_err(|e| Error::opening(origin, e))?;
    let listed = crate::formats::open::Listed::of(&file.metadata().map_err(read_err)?);
    let head = read_head(&mut file).map_err(read_err)?;
    Ok((file, head, listed))
}
