//! slipway: turns Microsoft server update packages into verified slipstream sources, without
//! running them.
//!
//! The pipeline (see `ARCHITECTURE.md` for one hop from each stage to its code):
//!
//! ```text
//! cli ─► config (loaded, validated Request)
//!   scan       inputs → files, non-regular files refused, folders of downloads expanded
//!   extract    the one walker: recursion, path checker, budgets, hashing (extract::walk);
//!              `extract` writes the members into OUT
//!   identify   facts per node: name, PE version info, MSI/MSP summary and tables, signature
//!   classify   pure: family, build, KB, scope, language, release, component, roles
//!   verify     hashes, builds, supersedence, baselines, consistency, signatures; OUT re-check
//!   plan       pure: what goes where, in which order, for each role
//!   farm       the farm file (`--farm`), checked against the catalog; servers' rollout order
//!   rollout    pure: the catalog's rollout rules expanded for the farm (rollout.json)
//!   assemble   staging, placing files (hard links), commit
//!   docs       report.html, RUNBOOK.md, scripts/<server>.ps1, verify.ps1 (before the manifest)
//!   manifest   install-manifest.json, SHA256SUMS, bundle
//!   ui         human report on stderr, one JSON document on stdout
//! ```
//!
//! [`pipeline`] runs the stages in that order; [`app`] turns a command line into a request,
//! runs it and decides the exit status. No stage imports a later one; [`model`], [`names`]
//! (Microsoft's naming conventions) and [`findings`] are the shared vocabulary, [`formats`] the container readers below them all.

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
