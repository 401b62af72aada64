//! Runs a validated request through the pipeline stages and decides the exit status.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::{self, Config, OutputConfig};
use crate::error::ExitStatus;
use crate::extract::{self, NoProgress, Progress};
use crate::findings::Severity;
use crate::identify::{inspect, names};
use crate::ui::{self, Printer, progress::Bar, report};

/// Set by the Ctrl-C / SIGTERM handler; long loops check it and unwind, cleaning up staging.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn install_interrupt_handler() {
    // A second installation (tests calling `run` twice) fails harmlessly.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// Runs one command; the returned status becomes the process exit code.
pub fn run(output: OutputConfig, config: Config) -> ExitStatus {
    let printer = Printer::new(&output);
    match config {
        Config::Completions(shell) => {
            printer.raw(&cli::completions(shell));
            ExitStatus::Ok
        }
        Config::Man => match cli::man_page() {
            Ok(page) => {
                printer.raw(&page);
                ExitStatus::Ok
            }
            Err(e) => {
                printer.error(format_args!("cannot render the man page: {e}"));
                ExitStatus::Fatal
            }
        },
        Config::InspectNames { names: list } => {
            let facts: Vec<_> = list.iter().map(|n| names::classify_name(n)).collect();
            ui::inspect::print_names(&printer, &facts);
            ExitStatus::Ok
        }
        Config::Inspect { inputs, limits } => {
            install_interrupt_handler();
            let insp = inspect::inspect(&inputs, &limits, &INTERRUPTED);
            ui::inspect::print_inspection(&printer, &insp);
            if insp.interrupted {
                ExitStatus::Interrupted
            } else if !insp.failed.is_empty() {
                ExitStatus::Fatal
            } else if insp.findings().any(|f| f.severity() == Severity::Error) {
                ExitStatus::Findings
            } else {
                ExitStatus::Ok
            }
        }
        Config::Extract {
            inputs,
            output: out,
            options,
        } => {
            install_interrupt_handler();
            let bar = printer.progress_enabled().then(Bar::new);
            let progress: &dyn Progress = match &bar {
                Some(b) => b,
                None => &NoProgress,
            };
            let result = extract::run(&inputs, &out, &options, progress, &INTERRUPTED);
            if let Some(b) = &bar {
                b.finish();
            }
            match result {
                Ok(rep) => {
                    report::print_extract(&printer, &out, &rep);
                    if rep.interrupted {
                        ExitStatus::Interrupted
                    } else if rep.committed {
                        ExitStatus::Ok
                    } else {
                        ExitStatus::Fatal
                    }
                }
                Err(e) => {
                    printer.error(report::error_line(&e));
                    if printer.json_mode() {
                        printer.json(&report::fatal_json("extract", &e));
                    }
                    ExitStatus::of(&e)
                }
            }
        }
    }
}
