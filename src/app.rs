//! Runs one command: the request is loaded and validated ([`config::load`]), the stages run
//! ([`pipeline`], [`extract::run`]), `ui` reports, and the exit status is decided at the end.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::{self, model::Catalog};
use crate::cli::{self, Config, OutputConfig};
use crate::config::{self, Request};
use crate::error::ExitStatus;
use crate::extract::{self, NoProgress, Progress};
use crate::findings::Severity;
use crate::names;
use crate::pipeline::{self, BuildError, Outcome};
use crate::ui::{self, Printer, progress::Bar};

/// Set by the Ctrl-C / SIGTERM handler; long loops check it and unwind, cleaning up staging.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn install_interrupt_handler() {
    // A second installation (tests calling `run` twice) fails harmlessly.
    let _ = ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        crate::formats::payload::STOP_READING.store(true, Ordering::SeqCst);
    });
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

/// Runs one command; the returned status becomes the process exit code.
pub fn run(output: OutputConfig, config: Config) -> ExitStatus {
    let printer = Printer::new(&output);
    let command = config.command_name();
    match config::load(config) {
        Ok(request) => run_request(&printer, request),
        Err(e) => {
            ui::report::print_fatal(&printer, command, e.code(), &e);
            ExitStatus::Fatal
        }
    }
}

/// Ctrl-C or SIGTERM: one line (and the one JSON document) saying so, no partial report.
fn interrupted(printer: &Printer, command: &str, message: &str) -> ExitStatus {
    ui::report::print_fatal(printer, command, "interrupted", &message);
    ExitStatus::Interrupted
}

fn run_request(printer: &Printer, request: Request) -> ExitStatus {
    match request {
        Request::Completions(shell) => {
            printer.raw(&cli::completions(shell));
            ExitStatus::Ok
        }
        Request::Man(command) => match cli::man_page(command.as_deref()) {
            Ok(Some(page)) => {
                printer.raw(&page);
                ExitStatus::Ok
            }
            Ok(None) => {
                printer.error(format_args!(
                    "slipway has no command {:?}; `slipway man` lists them",
                    command.unwrap_or_default()
                ));
                ExitStatus::Fatal
            }
            Err(e) => {
                printer.error(format_args!("cannot render the man page: {e}"));
                ExitStatus::Fatal
            }
        },
        Request::CatalogList(all) => {
            ui::catalog::print_list(printer, &all);
            ExitStatus::Ok
        }
        Request::CatalogShow { catalogs, product } => match catalogs.get(&product) {
            Some(c) => {
                ui::catalog::print_show(printer, c, catalogs.source(&product));
                ExitStatus::Ok
            }
            None => {
                ui::catalog::print_unknown_product(printer, &product, &catalogs);
                ExitStatus::Fatal
            }
        },
        Request::CatalogCheck(file) => match catalog::check_file(&file) {
            catalog::FileCheck::Checked(problems) => {
                ui::catalog::print_check(printer, &file, &problems);
                if catalog::has_errors(&problems) {
                    ExitStatus::Findings
                } else {
                    ExitStatus::Ok
                }
            }
            catalog::FileCheck::Unreadable(e) => {
                ui::catalog::print_fatal(printer, "catalog check", Some(&file), &e);
                ExitStatus::Fatal
            }
        },
        Request::FarmCheck(result) => {
            // A path for people: the file as given.
            let file = match &result {
                Ok(c) => c.farm.path.display().to_string(),
                Err(e) => {
                    e.0.first()
                        .map_or_else(String::new, |x| x.path.display().to_string())
                }
            };
            ui::farm::print_farm_check(printer, &file, &result);
            if result.is_ok() {
                ExitStatus::Ok
            } else {
                ExitStatus::Fatal
            }
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
                return interrupted(printer, "inspect", "interrupted; nothing was checked");
            }
            ui::inspect::print_inspection(printer, &insp, &classes);
            if !insp.failed.is_empty() {
                ExitStatus::Fatal
            } else if insp.findings().any(|f| f.severity() == Severity::Error) {
                ExitStatus::Findings
            } else {
                ExitStatus::Ok
            }
        }
        Request::Verify(req) => {
            for path in &req.skipped {
                printer.detail(format_args!("{}: not a package, skipped", path.display()));
            }
            let list: Vec<Catalog> = req.catalogs.iter().cloned().collect();
            let verified = with_progress(printer, "unpacked", |p| {
                pipeline::verify(&req, &list, p, &INTERRUPTED)
            });
            match verified {
                Ok(v) if v.downloads.as_ref().is_some_and(|d| d.0.interrupted) => {
                    interrupted(printer, "verify", "interrupted; nothing was verified")
                }
                Ok(v) => ui::verify::print_verified(printer, &v, req.verify.strict),
                Err(e) => {
                    ui::report::print_fatal(printer, "verify", e.code(), &e);
                    ExitStatus::Fatal
                }
            }
        }
        Request::Build(req) => {
            for path in &req.skipped {
                printer.detail(format_args!("{}: not a package, skipped", path.display()));
            }
            let list: Vec<Catalog> = req.catalogs.iter().cloned().collect();
            let Some(product) = list.iter().find(|c| c.id == req.product) else {
                return ExitStatus::Fatal;
            };
            let result = with_progress(printer, "unpacked", |p| {
                pipeline::build(&req, &list, product, p, &INTERRUPTED)
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
                Err(BuildError::Run(extract::Error::Interrupted)) => {
                    interrupted(printer, "build", "interrupted; nothing was written")
                }
                Err(e) => {
                    ui::report::print_fatal(printer, "build", e.code(), &e);
                    ExitStatus::Fatal
                }
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
                Err(e) => {
                    printer.error(ui::report::error_line(&e));
                    if printer.json_mode() {
                        printer.json(&ui::report::fatal_json("extract", &e));
                    }
                    e.exit_status()
                }
            }
        }
    }
}
