//! Exit codes, and errors rendered as one line. Every stage defines its own error type
//! (`formats::ReadError`, `extract::Error`, `catalog::CatalogError`, …); the run's top-level
//! error, with its stable code, is `config::SetupError` and the stage errors it wraps.

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
}

/// An error as one line: its message, then each underlying cause its message does not
/// already include (e.g. the decompressor's own words after "MSZIP decompression failed").
pub fn line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
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
