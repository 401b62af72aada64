//! slipway: turns Microsoft server update packages into verified slipstream sources, without
//! running them.
//!
//! Pipeline (see DESIGN.md): scan → extract → identify → classify → verify → plan → assemble →
//! manifest → report. This version implements the extraction core:
//!
//! - [`formats`] sniffs formats from bytes and reads each container (cabinet, zip, MSI/MSP,
//!   self-extracting executable), handing members to an [`formats::EntrySink`];
//! - [`extract`] drives the recursion, checks every name with the one path checker
//!   ([`extract::safe_path`]), enforces budgets ([`extract::limits`]), hashes while writing
//!   and stages output so a failed run leaves nothing behind;
//! - [`cli`] turns the command line into a [`cli::Config`], [`app`] runs it, [`ui`] prints.

pub mod app;
pub mod assemble;
pub mod authenticode;
pub mod catalog;
pub mod cli;
pub mod error;
pub mod extract;
pub mod findings;
pub mod formats;
pub mod identify;
pub mod manifest;
pub mod model;
pub mod plan;
pub mod ui;
pub mod verify;
