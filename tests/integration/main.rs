//! The one integration-test binary: format readers, the CLI, the corpus, differential and
//! mutation tests.

// Tests report what they skip and the scores they measure on stderr.
#![allow(clippy::print_stderr)]

mod architecture;
mod authenticode;
mod build;
mod cab;
mod cab_ahead;
mod cab_corpus;
mod catalog;
mod change;
mod contract;
mod corpus;
mod differential;
mod disc;
mod docs;
mod extract_cli;
mod facts;
mod farm;
#[path = "../fixtures/mod.rs"]
mod fixtures;
mod hostile;
mod inspect;
mod interrupt;
mod media;
mod modern;
mod mutation;
mod names;
mod pe_msi;
mod quantum;
mod real_corpus;
mod real_files;
mod real_msi;
mod report;
mod rollout_scripts;
mod samples;
mod support;
mod verify;
mod verify_out;
mod windows;
