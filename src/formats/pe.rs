//! PE/COFF executables: where a self-extracting package keeps its payload. STUB: being written.

use crate::formats::{Format, ReadSeek};
use crate::model::OriginStep;

/// Something wrong with an executable, or no payload in it.
#[derive(Debug, thiserror::Error)]
pub enum PeError {
    #[error("no cabinet or archive found in executable")]
    NoPayload,
}

/// An archive embedded in an executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embedded {
    pub offset: u64,
    pub len: u64,
    pub format: Format,
    pub step: OriginStep,
}

/// Archives in the PE's resources (IExpress `CABINET`) or appended after its image.
pub fn locate(r: &mut dyn ReadSeek, len: u64) -> Result<Vec<Embedded>, PeError> {
    let _ = (r, len);
    Ok(Vec::new())
}
