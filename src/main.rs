//! The slipway binary: parse, run, map to an exit code. Nothing else.

use clap::Parser;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(slipway::app::run(slipway::cli::Cli::parse()).code())
}
