//! Runs a validated request through the pipeline stages and decides the exit status.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog;
use crate::cli::{self, Config, OutputConfig};
use crate::error::ExitStatus;
use crate::extract::{self, NoProgress, Progress};
use crate::findings::Severity;
use crate::identify::{inspect, names};
use crate::ui::{self, Printer, progress::Bar, report};
use crate::verify;

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
        Config::CatalogList { catalogs } => match catalog::Catalogs::load(&catalogs) {
            Ok(all) => {
                ui::catalog::print_list(&printer, &all);
                ExitStatus::Ok
            }
            Err(e) => {
                ui::catalog::print_fatal(&printer, "catalog list", None, &e);
                ExitStatus::Fatal
            }
        },
        Config::CatalogShow { product, catalogs } => match catalog::Catalogs::load(&catalogs) {
            Ok(all) => match all.get(&product) {
                Some(c) => {
                    ui::catalog::print_show(&printer, c, all.source(&product));
                    ExitStatus::Ok
                }
                None => {
                    ui::catalog::print_unknown_product(&printer, &product, &all);
                    ExitStatus::Fatal
                }
            },
            Err(e) => {
                ui::catalog::print_fatal(&printer, "catalog show", None, &e);
                ExitStatus::Fatal
            }
        },
        Config::CatalogCheck { file } => match catalog::check_file(&file) {
            catalog::FileCheck::Checked(problems) => {
                ui::catalog::print_check(&printer, &file, &problems);
                if catalog::has_errors(&problems) {
                    ExitStatus::Findings
                } else {
                    ExitStatus::Ok
                }
            }
            catalog::FileCheck::Unreadable(e) => {
                ui::catalog::print_fatal(&printer, "catalog check", Some(&file), &e);
                ExitStatus::Fatal
            }
        },
        Config::InspectNames { names: list } => {
            let facts: Vec<_> = list.iter().map(|n| names::classify_name(n)).collect();
            ui::inspect::print_names(&printer, &facts);
            ExitStatus::Ok
        }
        Config::Verify {
            inputs,
            sums,
            baseline,
            strict,
            limits,
            catalogs,
        } => run_verify(
            &printer, &inputs, &sums, baseline, strict, &limits, &catalogs,
        ),
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

fn run_verify(
    printer: &Printer,
    inputs: &[std::path::PathBuf],
    sums_files: &[std::path::PathBuf],
    baseline: Option<crate::model::Build>,
    strict: bool,
    limits: &crate::extract::limits::Limits,
    catalog_files: &[std::path::PathBuf],
) -> ExitStatus {
    let fatal = |code: &str, message: String| {
        printer.error(&message);
        if printer.json_mode() {
            printer.json(&report::fatal_message_json("verify", code, &message));
        }
        ExitStatus::Fatal
    };
    let catalogs = match crate::catalog::Catalogs::load(catalog_files) {
        Ok(c) => c,
        Err(e) => return fatal("catalog-error", e.to_string()),
    };
    let mut sums = Vec::new();
    for file in sums_files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                return fatal(
                    "read-error",
                    format!("{}: cannot read: {e}", file.display()),
                );
            }
        };
        match verify::parse_sums(&text, &file.display().to_string()) {
            Ok(mut entries) => sums.append(&mut entries),
            Err(e) => return fatal("sums-syntax", e.to_string()),
        }
    }
    install_interrupt_handler();
    let insp = inspect::inspect(inputs, limits, &INTERRUPTED);
    let list: Vec<crate::catalog::model::Catalog> = catalogs.iter().cloned().collect();
    let opts = verify::Options {
        sums,
        baseline,
        strict,
    };
    let ver = verify::verify(&insp, &list, &opts);
    ui::verify::print_verification(printer, &insp, &ver, strict);
    if insp.interrupted {
        ExitStatus::Interrupted
    } else if !insp.failed.is_empty() {
        ExitStatus::Fatal
    } else if ver.failed(&insp, strict) {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    }
}
