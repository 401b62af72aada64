//! What stops a walk or an extraction: a problem at a node of an input (with its Origin
//! chain), or a problem of the run itself (the output directory, Ctrl-C).

use std::io;
use std::path::PathBuf;

use super::limits::BudgetExceeded;
use super::staging::LOCK;
use crate::formats::{FormatError, ReadError};
use crate::model::Origin;
use crate::safe_path::PathRefusal;

/// Everything that can stop the walk of an input or an extract run.
///
/// Every variant that concerns a node inside an input carries that node's [`Origin`], so the
/// one-line message names the file and where inside it the problem is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes do not follow their format (truncated header, bad checksum, corrupt data, …).
    #[error("{origin}")]
    Format {
        origin: Origin,
        #[source]
        source: FormatError,
    },
    /// An input (or a volume or external cabinet beside it) could not be opened or read.
    #[error("{origin}: cannot read")]
    Read {
        origin: Origin,
        #[source]
        source: io::Error,
    },
    /// An input that is not a regular file (a link, FIFO, device, socket or folder): reading
    /// it could block forever, never end or read what lies elsewhere, so it is refused
    /// without being read.
    #[error("{origin}: is a {kind}, not a regular file; give the downloaded file itself")]
    NotAFile { origin: Origin, kind: &'static str },
    /// A file that is no longer the one that was listed (swapped for another file, a link or
    /// a FIFO between the listing and the reading): refused, nothing of it read.
    #[error("{origin}: changed since it was listed ({what}); nothing was read from it")]
    Changed { origin: Origin, what: String },
    /// Writing below the output directory failed.
    #[error("{}: cannot write", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// An entry name that would escape the output directory or is not a portable file name.
    #[error("{origin}: refused entry name {name:?}")]
    UnsafeName {
        origin: Origin,
        name: String,
        #[source]
        reason: PathRefusal,
    },
    /// Two different members map to the same path (compared case-insensitively).
    #[error(
        "{origin}: {path:?} collides with {existing:?} already extracted from {existing_origin}"
    )]
    Collision {
        origin: Origin,
        path: String,
        existing: String,
        existing_origin: Origin,
    },
    /// A decompression budget (depth, size, count, ratio) was exceeded.
    #[error("{origin}")]
    Budget {
        origin: Origin,
        #[source]
        source: BudgetExceeded,
    },
    /// The output directory exists and is not empty.
    #[error("output directory {} is not empty (use --force to replace it)", .0.display())]
    OutputNotEmpty(PathBuf),
    /// Another slipway run holds the output directory's lock.
    #[error("output directory {} is being written by another slipway run{}; wait for it (or, if none is running, remove {})", out.display(), pid.map_or_else(String::new, |p| format!(" (process {p})")), out.join(LOCK).display())]
    OutputBusy { out: PathBuf, pid: Option<u32> },
    /// The output directory holds what an interrupted run left behind.
    #[error("output directory {} holds {} left by an interrupted slipway run; remove {} (or use --force)", out.display(), names.join(", "), if names.len() == 1 { "it" } else { "them" })]
    OutputLeftovers { out: PathBuf, names: Vec<String> },
    /// Two inputs would be extracted to the same folder of the output directory.
    #[error("inputs {} and {} would both be extracted to {folder:?}", first.display(), second.display())]
    InputNameClash {
        first: PathBuf,
        second: PathBuf,
        folder: String,
    },
    /// An input (or the bundle) lies inside the output directory, which `--force` would
    /// replace: refused, so no input is ever modified.
    #[error("{} is inside the output directory {} (choose an output folder that holds no input)", path.display(), output.display())]
    InsideOutput { path: PathBuf, output: PathBuf },
    /// An output (OUT, the bundle) is an input or inside one.
    #[error("{} is an input or inside one ({}): choose an output outside the downloads", output.display(), input.display())]
    OutputIsInput { output: PathBuf, input: PathBuf },
    /// The bundle file exists already.
    #[error("bundle {} exists (use --force to replace it)", .0.display())]
    BundleExists(PathBuf),
    /// An input's bytes changed between the walk that verified them and the copy into OUT.
    #[error(
        "{origin}: changed since it was read and verified; make sure nothing writes to the downloads and build again"
    )]
    InputChanged { origin: Origin },
    /// The user pressed Ctrl-C (or the process got SIGTERM); staging was cleaned up.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// The walk's error for a container reader's: [`ReadError::Stopped`] becomes the reason the
    /// sink kept (`stopped`), which ends the walk; the others keep their origin.
    pub fn from_read(err: ReadError, stopped: impl FnOnce() -> Error) -> Error {
        match err {
            ReadError::Format { origin, source } => Error::Format { origin, source },
            ReadError::Io { source, .. } if source.kind() == io::ErrorKind::Interrupted => {
                Error::Interrupted
            }
            ReadError::Io { origin, source } => Error::Read { origin, source },
            ReadError::Stopped => stopped(),
        }
    }

    /// A format error at `origin`.
    pub fn format(origin: &Origin, source: impl Into<FormatError>) -> Error {
        Error::Format {
            origin: origin.clone(),
            source: source.into(),
        }
    }

    /// Why the file at `origin` was not opened ([`crate::formats::open::open_regular`]).
    pub fn opening(origin: &Origin, err: crate::formats::open::OpenError) -> Error {
        use crate::formats::open::OpenError;
        match err {
            OpenError::Io(source) => Error::Read {
                origin: origin.clone(),
                source,
            },
            OpenError::NotRegular { kind } => Error::NotAFile {
                origin: origin.clone(),
                kind,
            },
            OpenError::Changed { what } => Error::Changed {
                origin: origin.clone(),
                what,
            },
        }
    }

    /// A read error at `origin`, unwrapping a format error that travelled inside it.
    pub fn reading(origin: &Origin, err: io::Error) -> Error {
        Error::from_read(ReadError::reading(origin, err), || Error::Interrupted)
    }
}

impl crate::error::Diagnostic for Error {
    fn code(&self) -> &'static str {
        match self {
            Error::Format { source, .. } if source.is_unsupported() => "unsupported-format",
            Error::Format { .. } => "format-error",
            Error::Read { .. } => "read-error",
            Error::NotAFile { .. } => "not-a-file",
            Error::Changed { .. } => "changed",
            Error::Write { .. } => "write-error",
            Error::UnsafeName { .. } => "unsafe-name",
            Error::Collision { .. } => "name-collision",
            Error::Budget { .. } => "budget-exceeded",
            Error::OutputNotEmpty(_) => "output-not-empty",
            Error::OutputBusy { .. } => "output-busy",
            Error::OutputLeftovers { .. } => "output-leftovers",
            Error::InputNameClash { .. } => "input-name-clash",
            Error::InsideOutput { .. } => "inside-output",
            Error::OutputIsInput { .. } => "output-is-input",
            Error::BundleExists(_) => "bundle-exists",
            Error::InputChanged { .. } => "input-changed",
            Error::Interrupted => "interrupted",
        }
    }

    fn origin(&self) -> Option<&Origin> {
        match self {
            Error::Format { origin, .. }
            | Error::Read { origin, .. }
            | Error::NotAFile { origin, .. }
            | Error::Changed { origin, .. }
            | Error::UnsafeName { origin, .. }
            | Error::Collision { origin, .. }
            | Error::Budget { origin, .. }
            | Error::InputChanged { origin } => Some(origin),
            Error::Write { .. }
            | Error::OutputNotEmpty(_)
            | Error::OutputBusy { .. }
            | Error::OutputLeftovers { .. }
            | Error::InputNameClash { .. }
            | Error::InsideOutput { .. }
            | Error::OutputIsInput { .. }
            | Error::BundleExists(_)
            | Error::Interrupted => None,
        }
    }

    fn is_interrupt(&self) -> bool {
        matches!(self, Error::Interrupted)
    }
}

impl Error {
    /// Whether the bytes use something slipway cannot read (see
    /// [`FormatError::is_unsupported`]): refused, but never called damaged.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Error::Format { source, .. } if source.is_unsupported())
    }

    /// Whether the bytes of the input are at fault (damage), as opposed to the run's limits,
    /// the output, the user or a format slipway does not support: the one definition of
    /// "damaged" every command shares.
    pub fn is_damage(&self) -> bool {
        match self {
            Error::Format { source, .. } => !source.is_unsupported(),
            Error::Read { .. } => true,
            Error::Write { .. }
            | Error::NotAFile { .. }
            | Error::Changed { .. }
            | Error::UnsafeName { .. }
            | Error::Collision { .. }
            | Error::Budget { .. }
            | Error::OutputNotEmpty(_)
            | Error::OutputBusy { .. }
            | Error::OutputLeftovers { .. }
            | Error::InputNameClash { .. }
            | Error::InsideOutput { .. }
            | Error::OutputIsInput { .. }
            | Error::BundleExists(_)
            | Error::InputChanged { .. }
            | Error::Interrupted => false,
        }
    }
}
