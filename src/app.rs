//! Runs one command: the request is loaded and validated ([`config::load`]), the stages run
//! ([`pipeline`], [`extract::run`]), `ui` reports, and the exit status is decided here, in
//! one place, for every command.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog;
use crate::cli::{Cli, ColorArg};
use crate::config::{self, Request};
use crate::error::{Diagnostic, ExitStatus, Interrupted};
use crate::extract::{self, NoProgress, Progress};
use crate::findings::Severity;
use crate::names;
use crate::pipeline::{self, Outcome};
use crate::ui::{self, ColorChoice, Printer, Settings, progress::Bar};

/// The run's Ctrl-C / SIGTERM flag, the only one: set by the handler below and passed to every
/// stage that loops, which checks it and unwinds (staging cleaned up).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn install_interrupt_handler() {
    // A second installation (tests calling `run` twice) fails harmlessly.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
}

/// Runs `work` with a progress bar on a terminal (counting bytes `what`), nothing elsewhere.
fn with_progress<T>(printer: &Printer, what: &str, work: impl FnOnce(&dyn Progress) -> T) -> T {
    install_interrupt_handler();
    let bar = printer.progress_enabled().then(|| Bar::counting(what));
    let result = work(bar.as_ref().map_or(&NoProgress as &dyn Progress, |b| b));
    if let Some(b) = &bar {
        b.finish();
    }
    result
}

/// The output settings the global flags ask for (`-q`/`-v`, `--json`, `--color`,
/// `--no-progress`).
fn settings(cli: &Cli) -> Settings {
    let g = &cli.global;
    Settings {
        json: g.json,
        verbosity: if g.quiet > 0 {
            -1
        } else {
            i8::try_from(g.verbose).unwrap_or(i8::MAX)
        },
        color: match g.color {
            ColorArg::Auto => ColorChoice::Auto,
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
        },
        progress: !g.no_progress && g.quiet == 0,
    }
}

/// Runs one command line; the returned status becomes the process exit code.
pub fn run(cli: Cli) -> ExitStatus {
    let printer = Printer::new(&settings(&cli));
    let command = cli.command_name();
    // Before the request is loaded: `farm check` and `build --farm` check the farm file there.
    install_interrupt_handler();
    let status = match config::load(cli, &INTERRUPTED) {
        Ok(request) => run_request(&printer, command, request),
        Err(e) if e.is_interrupt() => fatal(&printer, command, &Interrupted("nothing was written")),
        Err(e) => fatal(&printer, command, &e),
    };
    stdout_judged(&printer, status)
}

/// A run whose data did not all reach stdout (`--json > file` on a full disk) did not
/// succeed, whatever it did otherwise: exit 2, with one line saying so.
fn stdout_judged(printer: &Printer, status: ExitStatus) -> ExitStatus {
    match (printer.stdout_failed(), status) {
        (Some(why), ExitStatus::Ok | ExitStatus::Findings) => {
            printer.error(format_args!(
                "could not write to standard output ({why}): what it holds is incomplete; \
                 run again with room for the output"
            ));
            ExitStatus::Fatal
        }
        _ => status,
    }
}

/// A run that stops as a whole: reported once, exit 130 for an interrupt, else 2.
fn fatal(printer: &Printer, command: &str, err: &dyn Diagnostic) -> ExitStatus {
    ui::fatal(printer, command, err);
    if err.is_interrupt() {
        ExitStatus::Interrupted
    } else {
        ExitStatus::Fatal
    }
}

/// Findings of severity error → 1; an input that could not be read → 2.
fn judged(inputs_failed: bool, findings_failed: bool) -> ExitStatus {
    if inputs_failed {
        ExitStatus::Fatal
    } else if findings_failed {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    }
}

fn run_request(printer: &Printer, command: &str, request: Request) -> ExitStatus {
    match request {
        Request::Print(text) => {
            printer.raw(&text);
            ExitStatus::Ok
        }
        Request::CatalogList(all) => {
            ui::catalog::print_list(printer, &all);
            ExitStatus::Ok
        }
        Request::CatalogShow { catalogs, product } => {
            if let Some(c) = catalogs.get(&product) {
                ui::catalog::print_show(printer, c, catalogs.source(&product));
            }
            ExitStatus::Ok
        }
        Request::CatalogCheck(file) => match catalog::check_file(&file) {
            catalog::FileCheck::Checked(problems) => {
                ui::catalog::print_check(printer, &file, &problems);
                judged(false, catalog::has_errors(&problems))
            }
            catalog::FileCheck::Unreadable(e) => fatal(printer, command, &e),
        },
        Request::FarmCheck(result) => {
            ui::farm::print_farm_check(printer, &result);
            judged(result.is_err(), false)
        }
        Request::InspectNames(list) => {
            let facts: Vec<_> = list.iter().map(|n| names::classify_name(n)).collect();
            ui::inspect::print_names(printer, &facts);
            ExitStatus::Ok
        }
        Request::Inspect(req) => {
            let (insp, classes) = with_progress(printer, "unpacked", |p| {
                pipeline::inspect(&req, p, &INTERRUPTED)
            });
            if insp.interrupted {
                return fatal(printer, command, &Interrupted("nothing was checked"));
            }
            ui::inspect::print_inspection(printer, &insp, &classes);
            judged(
                !insp.failed.is_empty(),
                insp.findings().any(|f| f.severity() == Severity::Error),
            )
        }
        Request::Verify(req) => {
            for path in &req.skipped {
                printer.detail(format_args!("{}: not a package, skipped", path.display()));
            }
            let verified = with_progress(printer, "read", |p| {
                pipeline::verify(&req, req.catalogs.as_slice(), p, &INTERRUPTED)
            });
            match verified {
                Ok(v) if v.downloads.as_ref().is_some_and(|d| d.0.interrupted) => {
                    fatal(printer, command, &Interrupted("nothing was verified"))
                }
                Ok(v) => {
                    ui::verify::print_verified(printer, &v, req.verify.strict);
                    let outputs_failed = v.outputs.iter().any(|c| !c.findings.is_empty());
                    match &v.downloads {
                        None => judged(false, outputs_failed),
                        Some((insp, _, ver)) => judged(
                            !insp.failed.is_empty(),
                            ver.failed(insp, req.verify.strict) || outputs_failed,
                        ),
                    }
                }
                Err(e) => fatal(printer, command, &e),
            }
        }
        Request::Build(req) => {
            for path in &req.skipped {
                printer.detail(format_args!("{}: not a package, skipped", path.display()));
            }
            let result = with_progress(printer, "processed", |p| {
                pipeline::build(&req, p, &INTERRUPTED)
            });
            match result {
                Ok(b) => {
                    ui::build::print_build(printer, &req, &b);
                    match b.outcome {
                        Outcome::Built | Outcome::DryRun => ExitStatus::Ok,
                        Outcome::Refused => ExitStatus::Findings,
                        Outcome::InputsFailed => ExitStatus::Fatal,
                    }
                }
                Err(e) if e.is_interrupt() => {
                    fatal(printer, command, &Interrupted("nothing was written"))
                }
                Err(e) => fatal(printer, command, &e),
            }
        }
        Request::Extract {
            inputs,
            output: out,
            options,
        } => {
            let result = with_progress(printer, "written", |p| {
                extract::run(&inputs, &out, &options, p, &INTERRUPTED)
            });
            match result {
                Ok(rep) => {
                    ui::report::print_extract(printer, &out, &rep);
                    if rep.interrupted {
                        ExitStatus::Interrupted
                    } else if rep.committed {
                        ExitStatus::Ok
                    } else {
                        ExitStatus::Fatal
                    }
                }
                Err(e) => fatal(printer, command, &e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn quiet_hides_progress_and_json_is_kept() {
        let cli = Cli::try_parse_from(["slipway", "catalog", "list", "--json", "-q"]).unwrap();
        let s = settings(&cli);
        assert!(s.json);
        assert_eq!(s.verbosity, -1);
        assert!(!s.progress, "-q hides progress");
        let cli = Cli::try_parse_from(["slipway", "catalog", "list", "-vv"]).unwrap();
        assert_eq!(settings(&cli).verbosity, 2);
        assert!(settings(&cli).progress);
    }
}
