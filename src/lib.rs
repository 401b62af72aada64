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

pub mod app;
pub mod assemble;
pub mod authenticode;
pub mod catalog;
pub mod classify;
pub mod cli;
pub mod config;
pub mod docs;
pub mod error;
pub mod extract;
pub mod farm;
pub mod findings;
pub mod formats;
pub mod identify;
pub mod manifest;
pub mod media;
pub mod model;
pub mod names;
pub mod pipeline;
pub mod plan;
pub mod rollout;
pub mod scan;
pub mod ui;
pub mod verify;
