//! The crate's error type (structured, keeps its source, carries the Origin chain) and exit codes.

use std::io;
use std::path::PathBuf;

use crate::extract::limits::BudgetExceeded;
use crate::extract::safe_path::PathRefusal;
use crate::formats::FormatError;
use crate::model::Origin;

/// Everything that can go wrong while running a command.
///
/// Every variant that concerns a node inside an input carries that node's [`Origin`], so the
/// one-line message names the file and where inside it the problem is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes do not follow their format (truncated header, bad checksum, corrupt data, …).
    #[error("{origin}: {source}")]
    Format {
        origin: Origin,
        #[source]
        source: FormatError,
    },
    /// An input (or a volume or external cabinet beside it) could not be opened or read.
    #[error("{origin}: cannot read: {source}")]
    Read {
        origin: Origin,
        #[source]
        source: io::Error,
    },
    /// Writing below the output directory failed.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// An entry name that would escape the output directory or is not a portable file name.
    #[error("{origin}: refused entry name {name:?}: {reason}")]
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
    #[error("{origin}: {source}")]
    Budget {
        origin: Origin,
        #[source]
        source: BudgetExceeded,
    },
    /// The output directory exists and is not empty.
    #[error("output directory {} is not empty (use --force to replace it)", .0.display())]
    OutputNotEmpty(PathBuf),
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
    /// The bundle file exists already.
    #[error("bundle {} exists (use --force to replace it)", .0.display())]
    BundleExists(PathBuf),
    /// The user pressed Ctrl-C (or the process got SIGTERM); staging was cleaned up.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// Turns an error met while reading a member's data into the structured error it carries.
    ///
    /// Container readers hand members out as `io::Read`; a format error found in the middle of
    /// a member (bad checksum, corrupt LZX) travels inside the `io::Error` and is unwrapped here.
    pub fn reading(origin: &Origin, err: io::Error) -> Error {
        let err = match err.downcast::<FormatError>() {
            Ok(source) => {
                return Error::Format {
                    origin: origin.clone(),
                    source,
                };
            }
            Err(err) => err,
        };
        let err = match err.downcast::<BudgetExceeded>() {
            Ok(source) => {
                return Error::Budget {
                    origin: origin.clone(),
                    source,
                };
            }
            Err(err) => err,
        };
        if err.kind() == io::ErrorKind::Interrupted {
            return Error::Interrupted;
        }
        Error::Read {
            origin: origin.clone(),
            source: err,
        }
    }

    /// A format error at `origin`.
    pub fn format(origin: &Origin, source: impl Into<FormatError>) -> Error {
        Error::Format {
            origin: origin.clone(),
            source: source.into(),
        }
    }

    /// A stable, kebab-case code for the JSON report.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Format { .. } => "format-error",
            Error::Read { .. } => "read-error",
            Error::Write { .. } => "write-error",
            Error::UnsafeName { .. } => "unsafe-name",
            Error::Collision { .. } => "name-collision",
            Error::Budget { .. } => "budget-exceeded",
            Error::OutputNotEmpty(_) => "output-not-empty",
            Error::InputNameClash { .. } => "input-name-clash",
            Error::InsideOutput { .. } => "inside-output",
            Error::BundleExists(_) => "bundle-exists",
            Error::Interrupted => "interrupted",
        }
    }

    /// The origin the error is about, when it concerns a node of an input.
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            Error::Format { origin, .. }
            | Error::Read { origin, .. }
            | Error::UnsafeName { origin, .. }
            | Error::Collision { origin, .. }
            | Error::Budget { origin, .. } => Some(origin),
            Error::Write { .. }
            | Error::OutputNotEmpty(_)
            | Error::InputNameClash { .. }
            | Error::InsideOutput { .. }
            | Error::BundleExists(_)
            | Error::Interrupted => None,
        }
    }
}

/// The process exit status, as documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Everything went well.
    Ok,
    /// The command finished, but verification failed (findings of severity error).
    Findings,
    /// A fatal or usage error; nothing (or nothing that looks complete) was written.
    Fatal,
    /// Interrupted by a signal; staging was cleaned up.
    Interrupted,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Fatal => 2,
            ExitStatus::Interrupted => 130,
        }
    }

    /// The exit status an error leads to.
    pub fn of(err: &Error) -> ExitStatus {
        match err {
            Error::Interrupted => ExitStatus::Interrupted,
            _ => ExitStatus::Fatal,
        }
    }
}

/// An error as one line: its message, then each underlying cause its message does not
/// already include (e.g. the decompressor's own words after "MSZIP decompression failed").
pub fn line(err: &Error) -> String {
    let mut line = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}
