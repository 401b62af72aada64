//! The only place that talks to the terminal: stderr for people, stdout for data.

pub mod build;
pub mod catalog;
pub mod farm;
pub mod inspect;
pub mod json;
pub mod progress;
pub mod report;
pub mod verify;

use std::fmt::Display;
use std::io::{IsTerminal, Write};

use crate::error::Diagnostic;
use crate::findings::{Finding, Severity};
use crate::model::chars::invisible_name;

/// How the user wants to be talked to (the global flags), before looking at the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub json: bool,
    /// -1 quiet, 0 normal, 1+ verbose.
    pub verbosity: i8,
    pub color: ColorChoice,
    /// Progress bars wanted (shown only on a terminal).
    pub progress: bool,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    Always,
    Never,
}

/// Prints messages (stderr) and data (stdout) according to the output settings.
#[derive(Debug, Clone)]
pub struct Printer {
    json: bool,
    verbosity: i8,
    color: bool,
    progress: bool,
    /// The first failed write to stdout (a full disk behind `> file`): the run's data is
    /// incomplete, which the exit status must say ([`Printer::stdout_failed`]).
    stdout_error: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl Printer {
    pub fn new(cfg: &Settings) -> Printer {
        let stderr_tty = std::io::stderr().is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match cfg.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stderr_tty && !no_color,
        };
        Printer {
            json: cfg.json,
            verbosity: cfg.verbosity,
            color,
            progress: cfg.progress && stderr_tty,
            stdout_error: Default::default(),
        }
    }

    /// Why stdout could not take everything printed to it, if it could not. A closed pipe
    /// (`slipway … | head`) is not a failure: its reader chose to stop.
    pub fn stdout_failed(&self) -> Option<&str> {
        self.stdout_error.get().map(String::as_str)
    }

    fn wrote(&self, result: std::io::Result<()>) {
        if let Err(e) = result
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            let _ = self.stdout_error.set(e.to_string());
        }
    }

    pub fn json_mode(&self) -> bool {
        self.json
    }

    pub fn verbosity(&self) -> i8 {
        self.verbosity
    }

    pub fn progress_enabled(&self) -> bool {
        self.progress
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// `error: …` on stderr (always shown, even with -q).
    pub fn error(&self, msg: impl Display) {
        let label = self.paint("1;31", "error:");
        let _ = writeln!(std::io::stderr().lock(), "{label} {}", visible(&msg));
    }

    /// `warning: …` on stderr (hidden by -q).
    pub fn warn(&self, msg: impl Display) {
        if self.verbosity >= 0 {
            let label = self.paint("1;33", "warning:");
            let _ = writeln!(std::io::stderr().lock(), "{label} {}", visible(&msg));
        }
    }

    /// A plain message on stderr (hidden by -q).
    pub fn info(&self, msg: impl Display) {
        if self.verbosity >= 0 {
            let _ = writeln!(std::io::stderr().lock(), "{}", visible(&msg));
        }
    }

    /// A detail on stderr, shown with -v.
    pub fn detail(&self, msg: impl Display) {
        if self.verbosity >= 1 {
            let label = self.paint("2", "note:");
            let _ = writeln!(std::io::stderr().lock(), "{label} {}", visible(&msg));
        }
    }

    /// One line of data on stdout (for people: control characters shown escaped).
    pub fn data_line(&self, line: impl Display) {
        self.wrote(writeln!(std::io::stdout().lock(), "{}", visible(&line)));
    }

    /// Raw bytes on stdout (completion scripts, man page).
    pub fn raw(&self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        self.wrote(out.write_all(bytes).and_then(|()| out.flush()));
    }

    /// The one JSON document of a `--json` run (one of the typed documents in [`json`]), its
    /// keys sorted at every level (as README documents it), pretty-printed.
    pub fn json(&self, doc: &impl serde::Serialize) {
        let value = serde_json::to_value(doc).unwrap_or(serde_json::Value::Null);
        let mut out = std::io::stdout().lock();
        let result = serde_json::to_writer_pretty(&mut out, &value)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush());
        self.wrote(result);
    }
}

/// A line for a person: every control character (ESC, BEL, CR, newline, …) shown as a
/// visible escape (`\x1b`, `\r`), and every character a person cannot see or tell apart
/// (bidirectional controls, zero-width and unusual spaces: [`invisible_name`]) as `\u{202e}`,
/// as `fd` does, so a name inside an archive can never rewrite or disguise what the
/// administrator sees. `--json` carries the exact strings instead.
pub fn visible(text: &dyn Display) -> String {
    let text = text.to_string();
    if !text.chars().any(|c| invisible_name(c).is_some()) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && u32::from(c) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if invisible_name(c).is_some() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// The JSON form of an error: its code, its one-line message (every cause said once) and the
/// Origin chain of the node it is about.
pub fn error_json(err: &dyn Diagnostic) -> json::ErrorJson {
    json::ErrorJson::new(err)
}

/// An input that could not be read, as the `errors` of a document list it.
pub fn input_error_json(path: &std::path::Path, err: &dyn Diagnostic) -> json::InputErrorJson {
    json::InputErrorJson {
        path: path.display().to_string(),
        error: error_json(err),
    }
}

/// The one way a run that stops as a whole is reported: one `error:` line on stderr and, with
/// `--json`, the one document saying so (`{"command", "ok": false, "error"}`).
pub fn fatal(p: &Printer, command: &str, err: &dyn Diagnostic) {
    p.error(crate::error::line(err));
    if p.json_mode() {
        p.json(&json::FatalDoc {
            schema_version: json::SCHEMA_VERSION,
            command,
            ok: false,
            error: error_json(err),
        });
    }
}

/// More findings of one code than this are collapsed into one line (unless `-v`).
const COLLAPSE_OVER: usize = 2;

/// Prints findings on stderr by severity (with `strict`, warnings as errors). Many of one code
/// collapse: the first in full, then one line with how many more there are, so a score of
/// unsigned-sample warnings cannot hide the finding that matters. `-v` lists every one.
pub fn print_findings(p: &Printer, findings: &[&Finding], strict: bool) {
    let mut by_code: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in findings {
        match by_code.iter_mut().find(|(c, _)| *c == f.code()) {
            Some((_, group)) => group.push(f),
            None => by_code.push((f.code(), vec![f])),
        }
    }
    let print = |f: &Finding| {
        let severity = if strict && f.severity() == Severity::Warning {
            Severity::Error
        } else {
            f.severity()
        };
        match severity {
            Severity::Error => p.error(f),
            Severity::Warning => p.warn(f),
            Severity::Info => p.detail(f),
        }
    };
    for (code, group) in by_code {
        if group.len() <= COLLAPSE_OVER || p.verbosity() >= 1 {
            group.iter().for_each(|f| print(f));
            continue;
        }
        print(group[0]);
        let more = group.len() - 1;
        let line = format!("… and {more} more [{code}] like it (-v lists them all)");
        match group[0].severity() {
            Severity::Error => p.error(line),
            Severity::Warning if strict => p.error(line),
            Severity::Warning => p.warn(line),
            Severity::Info => p.detail(line),
        }
    }
}

/// Prints a table: a header and rows, columns padded to their widest cell.
pub fn table(p: &Printer, header: &[&str], rows: &[Vec<String>]) {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| visible(c)).collect())
        .collect();
    let rows = &rows;
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s.trim_end().to_owned()
    };
    p.data_line(line(
        &header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>(),
    ));
    for r in rows {
        p.data_line(line(r));
    }
}

/// `1.2 MiB`-style sizes for people.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(visible(&"plain name.msp"), "plain name.msp");
        assert_eq!(
            visible(&"evil\x1b[31mred\x07\r\nx"),
            "evil\\x1b[31mred\\x07\\r\\nx"
        );
        assert_eq!(visible(&"\u{85}"), "\\x85");
    }

    #[test]
    fn bidi_and_zero_width_characters_are_shown_escaped() {
        // An override that would show `exe.msp` as `psm.exe`, and a zero-width space.
        assert_eq!(visible(&"sts\u{202e}exe.msp"), "sts\\u{202e}exe.msp");
        assert_eq!(visible(&"a\u{200b}b"), "a\\u{200b}b");
        assert_eq!(visible(&"de-de\u{a0}x"), "de-de\\u{a0}x");
        assert_eq!(visible(&"Grüße, 日本"), "Grüße, 日本");
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 << 30), "5.0 GiB");
    }
}
