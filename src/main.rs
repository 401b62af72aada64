//! The slipway binary: parse, run, map to an exit code. Nothing else.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let (output, config) = slipway::cli::Cli::parse().into_config();
    std::process::ExitCode::from(slipway::app::run(output, config).code())
}
