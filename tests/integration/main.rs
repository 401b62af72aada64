//! The one integration-test binary: format readers, the CLI, the corpus, differential and
//! mutation tests.

#[path = "../fixtures/mod.rs"]
mod fixtures;
