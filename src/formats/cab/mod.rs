//! Microsoft cabinet reader (MS-CAB): streaming, one pass per folder, cabinet sets, scanning.
//!
//! STUB: being written; the public API below is the contract the driver uses.

use std::io;

use crate::error::Error;
use crate::formats::{EntrySink, ReadSeek};
use crate::model::{Origin, OriginStep};

/// Something wrong with a cabinet's bytes.
#[derive(Debug, thiserror::Error)]
pub enum CabError {
    #[error("not a cabinet (bad signature)")]
    BadSignature,
    #[error("unsupported compression: {0}")]
    UnsupportedCompression(&'static str),
}

/// Another volume of a cabinet set, opened by name.
pub struct Volume {
    pub reader: Box<dyn ReadSeek>,
    /// How the volume appears in Origin chains (usually [`OriginStep::Volume`]).
    pub step: OriginStep,
}

impl std::fmt::Debug for Volume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Volume").field("step", &self.step).finish()
    }
}

/// Opens the other volumes of a cabinet set by the names stored in the headers.
pub trait VolumeResolver {
    /// The volume called `name` (matched case-insensitively), or `None` when there is none.
    fn open(&mut self, name: &str) -> io::Result<Option<Volume>>;
}

/// For cabinets that cannot be part of a set on disk (embedded in an exe, an MSI stream).
#[derive(Debug, Default)]
pub struct NoVolumes;

impl VolumeResolver for NoVolumes {
    fn open(&mut self, _name: &str) -> io::Result<Option<Volume>> {
        Ok(None)
    }
}

/// A complete cabinet found inside a larger file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub offset: u64,
    pub len: u64,
}

/// Extracts every member of the cabinet read from `reader` (offset 0 = `MSCF`), and of the
/// whole set it belongs to, handing them to `sink` in order.
pub fn extract(
    reader: Box<dyn ReadSeek>,
    origin: &Origin,
    volumes: &mut dyn VolumeResolver,
    sink: &mut dyn EntrySink,
) -> Result<(), Error> {
    let _ = (reader, volumes, sink);
    Err(Error::format(
        origin,
        CabError::UnsupportedCompression("stub"),
    ))
}

/// Finds complete, valid cabinets anywhere in `r` (as cabextract's search does).
pub fn scan(r: &mut dyn ReadSeek, len: u64) -> io::Result<Vec<Span>> {
    let _ = (r, len);
    Ok(Vec::new())
}
