//! slipway: turns Microsoft server update packages into verified slipstream sources, without
//! running them.
//!
//! The pipeline, and the floors it stands on (ARCHITECTURE.md is the map; a test checks every
//! `crate::` path against its rules):
//!
//! ```text
//! top floor   cli → config (loaded, validated Request) → pipeline → ui → app (exit status)
//! stages      scan → extract (the one walker) → media → identify → classify (pure) → verify
//!             → plan (pure) → farm → rollout (pure) → assemble → docs → manifest
//! below them  error, model, safe_path, names, formats (the readers), authenticode, catalog,
//!             findings
//! ```
//!
//! No stage imports a later one; [`model`], [`names`] (Microsoft's naming conventions) and the
//! findings are the shared vocabulary, [`formats`] the container readers below them all.

// What the binary, the tests, the examples and the fuzz targets use is public; the stages
// are the crate's own, so the compiler sees what nothing calls.
pub mod app;
pub(crate) mod assemble;
pub mod authenticode;
pub mod catalog;
pub(crate) mod classify;
pub mod cli;
pub(crate) mod config;
pub(crate) mod docs;
pub mod error;
pub mod extract;
pub(crate) mod farm;
pub(crate) mod findings;
pub mod formats;
pub(crate) mod identify;
pub mod manifest;
pub(crate) mod media;
pub mod model;
pub mod names;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub(crate) mod rollout;
pub mod safe_path;
pub(crate) mod scan;
pub(crate) mod ui;
pub(crate) mod verify;

/// Tests only: the hook the media stage calls between listing a media folder and copying
/// each file (regression tests swap the file in that window). Never set by slipway itself.
#[doc(hidden)]
pub use media::set_copy_hook as media_copy_hook;
