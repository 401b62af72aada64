//! [`Problem`]: one thing wrong in a catalog (or manifest) document, with the JSON pointer of
//! the value concerned — what the schema validator and the semantic checks both report.

use std::fmt;

use serde::Serialize;

use crate::model::Severity;

/// One thing wrong (or suspicious) in a catalog document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `error` (the catalog must not be used) or `warning`.
    pub severity: Severity,
    /// Stable kebab-case code: `schema`, `duplicate-kb`, `build-backwards`, ….
    pub code: String,
    /// JSON pointer of the value concerned (`/releases/12/files/0/name`; empty: the document).
    pub path: String,
    /// One line for people.
    pub message: String,
}

impl Problem {
    pub fn error(code: &str, path: &str, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Error,
            code: code.to_owned(),
            path: path.to_owned(),
            message: message.into(),
        }
    }

    pub fn warning(code: &str, path: &str, message: impl Into<String>) -> Problem {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(code, path, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The path for people: the pointer, or `(document)` for the whole document.
    pub fn shown_path(&self) -> &str {
        if self.path.is_empty() {
            "(document)"
        } else {
            &self.path
        }
    }
}

impl fmt::Display for Problem {
    /// `severity code path: message`, the line `catalog check` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {}",
            self.severity,
            self.code,
            self.shown_path(),
            self.message
        )
    }
}

/// `path` extended by one reference token (`~` and `/` escaped as RFC 6901 says).
pub fn pointer_push(path: &str, token: &str) -> String {
    format!("{path}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// Whether any problem is an error.
pub fn has_errors(problems: &[Problem]) -> bool {
    problems.iter().any(Problem::is_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_and_problems_display() {
        assert_eq!(pointer_push("/a", "b/c~d"), "/a/b~1c~0d");
        let p = Problem::error("schema", "", "x");
        assert_eq!(p.to_string(), "error schema (document): x");
    }
}
