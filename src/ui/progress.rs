//! Progress bars on stderr (indicatif), shown only on a terminal.

use std::cell::{Cell, RefCell};
use std::path::Path;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::extract::Progress;

/// A spinner with bytes written, files written and the current input.
#[derive(Debug)]
pub struct Bar {
    bar: ProgressBar,
    files: Cell<u64>,
    input: RefCell<String>,
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
            files: Cell::new(0),
            input: RefCell::new(String::new()),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    fn refresh(&self) {
        self.bar.set_message(format!(
            "{} files · {}",
            self.files.get(),
            self.input.borrow()
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
        *self.input.borrow_mut() = path.display().to_string();
        self.refresh();
    }

    fn bytes(&self, n: u64) {
        self.bar.inc(n);
    }

    fn entry(&self) {
        self.files.set(self.files.get() + 1);
        self.refresh();
    }
}
