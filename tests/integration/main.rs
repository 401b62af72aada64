//! The one integration-test binary: format readers, the CLI, the corpus, differential and
//! mutation tests.

mod corpus;
mod extract_cli;
#[path = "../fixtures/mod.rs"]
mod fixtures;
mod support;
mod mutation;
mod pe_msi;
