//! MSI/MSP packages (MS-CFB compound files): their cabinets, embedded and external. STUB.

/// Something wrong with an MSI/MSP.
#[derive(Debug, thiserror::Error)]
pub enum MsiError {
    #[error("external cabinet {0} not found")]
    ExternalCabinetNotFound(String),
}

use crate::error::Error;
use crate::formats::cab::VolumeResolver;
use crate::formats::{EntrySink, ReadSeek};
use crate::model::Origin;

/// Extracts the members of every cabinet of an MSI/MSP: embedded cabinet streams (their names
/// as in the cabinet, i.e. File-table keys) and external cabinets named in the Media table,
/// opened through `beside` (the package's folder).
pub fn extract(
    reader: Box<dyn ReadSeek>,
    origin: &Origin,
    beside: &mut dyn VolumeResolver,
    sink: &mut dyn EntrySink,
) -> Result<(), Error> {
    let _ = (reader, beside, sink);
    Err(Error::format(
        origin,
        MsiError::ExternalCabinetNotFound("stub".into()),
    ))
}
