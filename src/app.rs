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
        Config::Build(req) => run_build(&printer, &req),
        Config::Verify {
            inputs,
            sums,
            baseline,
            strict,
            limits,
            catalogs,
            trust,
            require_signature,
        } => match crate::authenticode::TrustStore::load(&trust) {
            Ok(trust) => run_verify(
                &printer,
                &inputs,
                &sums,
                baseline,
                strict,
                &limits,
                &catalogs,
                (&trust, require_signature),
            ),
            Err(e) => trust_fatal(&printer, "verify", &e),
        },
        Config::Inspect {
            inputs,
            limits,
            trust,
        } => {
            let trust = match crate::authenticode::TrustStore::load(&trust) {
                Ok(t) => t,
                Err(e) => return trust_fatal(&printer, "inspect", &e),
            };
            install_interrupt_handler();
            let bar = printer
                .progress_enabled()
                .then(|| Bar::counting("unpacked"));
            let progress: &dyn Progress = bar.as_ref().map_or(&NoProgress, |b| b);
            let insp = inspect::walk_with(&inputs, &limits, None, &trust, progress, &INTERRUPTED);
            if let Some(b) = &bar {
                b.finish();
            }
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
                    e.exit_status()
                }
            }
        }
    }
}

/// A `--trust` file or folder that cannot be used: exit 2.
fn trust_fatal(
    printer: &Printer,
    command: &str,
    e: &crate::authenticode::TrustError,
) -> ExitStatus {
    printer.error(e);
    if printer.json_mode() {
        printer.json(&report::fatal_message_json(
            command,
            "trust-error",
            &e.to_string(),
        ));
    }
    ExitStatus::Fatal
}

// One argument per verify option; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
fn run_verify(
    printer: &Printer,
    inputs: &[std::path::PathBuf],
    sums_files: &[std::path::PathBuf],
    baseline: Option<crate::model::Build>,
    strict: bool,
    limits: &crate::extract::limits::Limits,
    catalog_files: &[std::path::PathBuf],
    (trust, require_signature): (&crate::authenticode::TrustStore, bool),
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
    let sums = match read_sums(sums_files) {
        Ok(s) => s,
        Err(e) => return fatal(e.code(), e.to_string()),
    };
    // A built folder or bundle is re-checked against its install manifest; everything else is
    // a download.
    // A built folder (it has an install manifest) or a bundle is re-checked; any other folder
    // is a folder of downloads, verified like `build` reads one.
    let (outputs, inputs): (Vec<&std::path::PathBuf>, Vec<&std::path::PathBuf>) =
        inputs.iter().partition(|p| {
            (p.is_dir() && p.join(crate::manifest::MANIFEST).is_file())
                || (p.is_file() && crate::manifest::is_bundle(p))
        });
    let mut checks = Vec::new();
    for out in &outputs {
        let checked = if out.is_dir() {
            crate::manifest::check_folder(out)
        } else {
            crate::manifest::check_bundle(out)
        };
        match checked {
            Ok(check) => checks.push(check),
            Err(e) => {
                printer.error(&e);
                if printer.json_mode() {
                    printer.json(&report::fatal_message_json(
                        "verify",
                        "output-unreadable",
                        &e.to_string(),
                    ));
                }
                return ExitStatus::Fatal;
            }
        }
    }
    let output_failed = checks.iter().any(|c| !c.findings.is_empty());
    for check in &checks {
        ui::verify::print_output_check(printer, check);
    }
    if inputs.is_empty() {
        if printer.json_mode() {
            printer.json(&ui::verify::outputs_json(&checks));
        }
        return if output_failed {
            ExitStatus::Findings
        } else {
            ExitStatus::Ok
        };
    }
    let inputs: Vec<std::path::PathBuf> = inputs.into_iter().cloned().collect();
    let inputs = match expand_downloads(printer, &inputs) {
        Ok(i) => i,
        Err(message) => return fatal("read-error", message),
    };
    let inputs = &inputs;
    install_interrupt_handler();
    let bar = printer
        .progress_enabled()
        .then(|| Bar::counting("unpacked"));
    let progress: &dyn Progress = bar.as_ref().map_or(&NoProgress, |b| b);
    let insp = inspect::walk_with(inputs, limits, None, trust, progress, &INTERRUPTED);
    if let Some(b) = &bar {
        b.finish();
    }
    let list: Vec<crate::catalog::model::Catalog> = catalogs.iter().cloned().collect();
    let opts = verify::Options {
        sums,
        baseline,
        strict,
    };
    let mut ver = verify::verify(&insp, &list, &opts);
    ver.findings
        .extend(verify::signature_findings(&insp, require_signature));
    ui::verify::print_verification(printer, &insp, &ver, strict, &checks);
    if insp.interrupted {
        ExitStatus::Interrupted
    } else if !insp.failed.is_empty() {
        ExitStatus::Fatal
    } else if ver.failed(&insp, strict) || output_failed {
        ExitStatus::Findings
    } else {
        ExitStatus::Ok
    }
}

/// Reads every `--sums` file.
fn read_sums(files: &[std::path::PathBuf]) -> Result<Vec<verify::SumEntry>, verify::SumsError> {
    let mut sums = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|source| verify::SumsError::Read {
            path: file.clone(),
            source,
        })?;
        sums.append(&mut verify::parse_sums(&text, &file.display().to_string())?);
    }
    Ok(sums)
}

/// A folder given as a download is replaced by the packages in it (sorted; files that are
/// neither a known format nor named like a package are skipped).
fn expand_downloads(
    printer: &Printer,
    inputs: &[std::path::PathBuf],
) -> Result<Vec<std::path::PathBuf>, String> {
    let mut out = Vec::new();
    for input in inputs {
        if !input.is_dir() {
            out.push(input.clone());
            continue;
        }
        let mut found = Vec::new();
        let entries = std::fs::read_dir(input)
            .map_err(|e| format!("{}: cannot read: {e}", input.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("{}: cannot read: {e}", input.display()))?
                .path();
            if path.is_file() {
                found.push(path);
            }
        }
        found.sort();
        for path in found {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let head = std::fs::File::open(&path)
                .and_then(|mut f| crate::formats::read_head(&mut f))
                .unwrap_or_default();
            let known = crate::formats::sniff(&head) != crate::formats::Format::Unknown
                || names::classify_name(&name).kind != names::NameKind::Other;
            if known {
                out.push(path);
            } else {
                printer.detail(format_args!("{}: not a package, skipped", path.display()));
            }
        }
    }
    Ok(out)
}

fn run_build(printer: &Printer, req: &cli::BuildConfig) -> ExitStatus {
    let fatal = |code: &str, message: String| {
        printer.error(&message);
        if printer.json_mode() {
            printer.json(&report::fatal_message_json("build", code, &message));
        }
        ExitStatus::Fatal
    };
    let catalogs = match crate::catalog::Catalogs::load(&req.catalogs) {
        Ok(c) => c,
        Err(e) => return fatal("catalog-error", e.to_string()),
    };
    let Some(catalog) = catalogs.get(&req.product).cloned() else {
        let known: Vec<&str> = catalogs.iter().map(|c| c.id.as_str()).collect();
        return fatal(
            "unknown-product",
            format!(
                "no catalog for product {:?} (known: {})",
                req.product,
                known.join(", ")
            ),
        );
    };
    let sums = match read_sums(&req.sums) {
        Ok(s) => s,
        Err(e) => return fatal(e.code(), e.to_string()),
    };
    let trust = match crate::authenticode::TrustStore::load(&req.trust) {
        Ok(t) => t,
        Err(e) => return trust_fatal(printer, "build", &e),
    };
    let inputs = match expand_downloads(printer, &req.inputs) {
        Ok(i) => i,
        Err(message) => return fatal("read-error", message),
    };
    if inputs.is_empty() {
        return fatal("no-input", "no package among the downloads".to_owned());
    }
    let timestamp = req.timestamp.then(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let opts = crate::assemble::Options {
        out: req.output.clone(),
        request: crate::plan::Request {
            roles: req.roles.clone(),
            languages: req.langs.clone(),
        },
        verify: verify::Options {
            sums,
            baseline: req.baseline,
            strict: req.strict,
        },
        limits: req.limits,
        bundle: req.bundle.clone(),
        dry_run: req.dry_run,
        force: req.force,
        allow_findings: req.allow_findings,
        timestamp,
        trust,
        require_signature: req.require_signature,
    };
    install_interrupt_handler();
    let list: Vec<crate::catalog::model::Catalog> = catalogs.iter().cloned().collect();
    let bar = printer
        .progress_enabled()
        .then(|| Bar::counting("unpacked"));
    let progress: &dyn Progress = bar.as_ref().map_or(&NoProgress, |b| b);
    let result = crate::assemble::build(&inputs, &catalog, &list, &opts, progress, &INTERRUPTED);
    if let Some(b) = &bar {
        b.finish();
    }
    match result {
        Ok(b) => {
            ui::build::print_build(printer, &catalog.id, &req.output, req.bundle.as_deref(), &b);
            match b.outcome {
                crate::assemble::Outcome::Built | crate::assemble::Outcome::DryRun => {
                    ExitStatus::Ok
                }
                crate::assemble::Outcome::Refused => ExitStatus::Findings,
                crate::assemble::Outcome::InputsFailed => ExitStatus::Fatal,
            }
        }
        Err(crate::assemble::BuildError::Run(crate::extract::Error::Interrupted)) => {
            let message = "interrupted; nothing was written";
            printer.error(message);
            if printer.json_mode() {
                printer.json(&report::fatal_message_json("build", "interrupted", message));
            }
            ExitStatus::Interrupted
        }
        Err(e) => fatal("build-error", e.to_string()),
    }
}
