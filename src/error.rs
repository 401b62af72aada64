//! Exit codes, the [`Diagnostic`] every error type implements (a stable code and, where the
//! error is about a node of an input, its Origin chain), and the one renderer that turns an
//! error and its causes into one line. Imports no stage.
//!
//! The policy: an error's own message never repeats its cause (no `{source}` in an `#[error]`
//! string, wrappers are `#[error(transparent)]`); [`line`] walks `source()` and joins the
//! messages with `: `, so every cause is said exactly once.

use crate::model::Origin;

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

/// What every slipway error tells beyond its message: a stable kebab-case code (for `--json`
/// and the README's tables) and, when it concerns a node of an input, where that node is.
pub trait Diagnostic: std::error::Error + 'static {
    /// The stable code.
    fn code(&self) -> &'static str;
    /// The Origin chain of the node the error is about (`None`: about the run, a setting or
    /// a file given on the command line, which the message names).
    fn origin(&self) -> Option<&Origin> {
        None
    }
    /// Whether it ends the run because of Ctrl-C / SIGTERM (exit 130, not 2).
    fn is_interrupt(&self) -> bool {
        false
    }
}

/// Ctrl-C or SIGTERM ended a run before it reported anything: `interrupted; <what it means>`.
#[derive(Debug, thiserror::Error)]
#[error("interrupted; {0}")]
pub struct Interrupted(pub &'static str);

impl Diagnostic for Interrupted {
    fn code(&self) -> &'static str {
        "interrupted"
    }

    fn is_interrupt(&self) -> bool {
        true
    }
}

/// An error as one line: its message, then each cause's message after `: `.
pub fn line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !text.is_empty() {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read catalog.json")]
    struct Outer {
        #[source]
        source: Middle,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("not valid JSON")]
    struct Middle {
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn every_cause_is_said_once_in_order() {
        let err = Outer {
            source: Middle {
                source: std::io::Error::other("unexpected end of file"),
            },
        };
        assert_eq!(
            line(&err),
            "cannot read catalog.json: not valid JSON: unexpected end of file"
        );
    }
}
