//! Progress bars on stderr (indicatif), shown only on a terminal.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::extract::Progress;

/// A spinner with bytes written, files written and the current input.
#[derive(Debug)]
pub struct Bar {
    bar: ProgressBar,
    files: AtomicU64,
    input: Mutex<String>,
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
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn refresh(&self) {
        let input = self.input.lock().map(|i| i.clone()).unwrap_or_default();
        self.bar.set_message(format!(
            "{} files · {input}",
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
    fn input(&self, path: &Path) {
        if let Ok(mut i) = self.input.lock() {
            *i = path.display().to_string();
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
