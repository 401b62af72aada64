//! The only place that talks to the terminal: stderr for people, stdout for data.

pub mod build;
pub mod catalog;
pub mod inspect;
pub mod progress;
pub mod report;
pub mod verify;

use std::fmt::Display;
use std::io::{IsTerminal, Write};

use crate::cli::{ColorChoice, OutputConfig};

/// Prints messages (stderr) and data (stdout) according to the output settings.
#[derive(Debug, Clone)]
pub struct Printer {
    json: bool,
    verbosity: i8,
    color: bool,
    progress: bool,
}

impl Printer {
    pub fn new(cfg: &OutputConfig) -> Printer {
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
        let _ = writeln!(std::io::stderr().lock(), "{label} {msg}");
    }

    /// `warning: …` on stderr (hidden by -q).
    pub fn warn(&self, msg: impl Display) {
        if self.verbosity >= 0 {
            let label = self.paint("1;33", "warning:");
            let _ = writeln!(std::io::stderr().lock(), "{label} {msg}");
        }
    }

    /// A plain message on stderr (hidden by -q).
    pub fn info(&self, msg: impl Display) {
        if self.verbosity >= 0 {
            let _ = writeln!(std::io::stderr().lock(), "{msg}");
        }
    }

    /// A detail on stderr, shown with -v.
    pub fn detail(&self, msg: impl Display) {
        if self.verbosity >= 1 {
            let label = self.paint("2", "note:");
            let _ = writeln!(std::io::stderr().lock(), "{label} {msg}");
        }
    }

    /// One line of data on stdout.
    pub fn data_line(&self, line: impl Display) {
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }

    /// Raw bytes on stdout (completion scripts, man page).
    pub fn raw(&self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }

    /// The one JSON document of a `--json` run.
    pub fn json(&self, value: &serde_json::Value) {
        let mut out = std::io::stdout().lock();
        let _ = serde_json::to_writer_pretty(&mut out, value);
        let _ = writeln!(out);
    }
}

/// Prints a table: a header and rows, columns padded to their widest cell.
pub fn table(p: &Printer, header: &[&str], rows: &[Vec<String>]) {
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
    fn human_sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 << 30), "5.0 GiB");
    }
}
