//! Progress bars on stderr (indicatif), shown only on a terminal.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::extract::Progress;

/// A spinner with the phase, bytes and their rate, files and the current item.
#[derive(Debug)]
pub struct Bar {
    bar: ProgressBar,
    files: AtomicU64,
    input: Mutex<String>,
    phase: Mutex<String>,
}

/// A path as people know it: slipway's own work folders are hidden (their names start with
/// `.`, like OUT's staging folder and the media copied into it), so only what follows the
/// last hidden folder is shown — the item as it is in the download or the media.
pub fn shown(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let from = parts
        .iter()
        .rposition(|p| p.starts_with('.') && p != "." && p != "..")
        .map_or(0, |i| i + 1);
    parts[from..].join("/")
}

impl Bar {
    /// A spinner counting bytes written (extract).
    pub fn new() -> Bar {
        Bar::counting("written")
    }

    /// A spinner counting bytes `what` (`written`, `unpacked`, …).
    pub fn counting(what: &str) -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{spinner}} {{bytes}} {what} ({{bytes_per_sec}}) {{wide_msg}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar {
            bar,
            files: AtomicU64::new(0),
            input: Mutex::new(String::new()),
            phase: Mutex::new(String::new()),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn refresh(&self) {
        let input = self.input.lock().map(|i| i.clone()).unwrap_or_default();
        let phase = self.phase.lock().map(|p| p.clone()).unwrap_or_default();
        self.bar.set_message(format!(
            "{}{} files · {input}",
            if phase.is_empty() {
                String::new()
            } else {
                format!("{phase} · ")
            },
            self.files.load(Ordering::Relaxed),
        ));
    }
}

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Progress for Bar {
    fn phase(&self, name: &str) {
        if let Ok(mut p) = self.phase.lock() {
            *p = name.to_owned();
        }
        if let Ok(mut i) = self.input.lock() {
            i.clear();
        }
        self.files.store(0, Ordering::Relaxed);
        // Bytes and their rate count again for the new phase.
        self.bar.reset();
        self.refresh();
    }

    fn input(&self, path: &Path) {
        if let Ok(mut i) = self.input.lock() {
            *i = shown(path);
        }
        self.refresh();
    }

    fn bytes(&self, n: u64) {
        self.bar.inc(n);
    }

    fn entry(&self) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.refresh();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_shown_without_slipways_work_folders() {
        let t = [
            ("samples/sp/a.exe", "samples/sp/a.exe"),
            (
                "/o/.slipway-staging-x1/.media/sp/Updates/a.msp",
                "sp/Updates/a.msp",
            ),
            ("../dl/./b.cab", "../dl/b.cab"),
        ];
        for (path, want) in t {
            assert_eq!(shown(Path::new(path)), want, "{path}");
        }
    }
}
