//! MSI/MSP/MST packages (MS-CFB compound files): their cabinets, embedded and external, handed
//! to a sink; their summary information and database tables, read as facts.
//!
//! The compound file is read with `cfb`; the summary-information property set and the database
//! tables (string pool, `_Columns`, then any table) are decoded here rather than through
//! `msi::Package::open`, which rejects some patches, panics on some damaged string pools and
//! misreads a patch's summary information (revision number and template hold GUID lists
//! there). Every read is bounded and checked: a damaged package is an error value, never a
//! panic.
//!
//! Cabinet semantics follow the reference "list the streams, extract each one that is a
//! cabinet and not a continuation volume": embedded cabinets come in `Media` order (by
//! `DiskId`), then the remaining cabinet streams by name; `Media` rows naming a cabinet
//! without `#` are external cabinets, opened beside the package.
//!
//! References: MS-CFB; MS-OLEPS (property sets); Windows Installer documentation
//! (learn.microsoft.com `windows/win32/msi/…`: "Summary Information Stream Property Set",
//! "Revision Number Summary", "Template Summary", "MsiPatchSequence Table",
//! "MsiPatchMetadata Table"); the table encoding follows Wine's `dlls/msi/table.c` and
//! `string.c` (cited as "Wine").

mod cabinets;
mod complete;
mod database;
mod facts;
mod layout;
mod summary;
mod table;

use std::io;

use crate::formats::{ReadError, ReadSeek};
use crate::model::Origin;

pub use cabinets::extract;
pub use complete::{Shortfall, shortfall};
pub use database::Database;
pub use facts::{PackageFacts, PackageKind, PatchFacts, PatchFamily};
pub use layout::Layout;
pub use summary::{FileTime, SummaryInfo};
pub use table::{Cell, ColumnKind, Table, TableColumn};

/// Something wrong with an MSI/MSP.
#[derive(Debug, thiserror::Error)]
pub enum MsiError {
    #[error("external cabinet {0} not found")]
    ExternalCabinetNotFound(String),
    /// The file is shorter than its allocation table says: a cut download.
    #[error("truncated package: its allocation table needs {required} bytes, the file has {len}")]
    Truncated { required: u64, len: u64 },
    /// Neither an embedded cabinet stream nor an external cabinet in the Media table.
    #[error("no cabinet in package")]
    NoCabinet,
    /// The compound-file structure (header, FAT, directory) is damaged.
    #[error("not a valid compound file")]
    CompoundFile {
        #[source]
        source: io::Error,
    },
    /// The package's reader failed (not a problem of its bytes).
    #[error("cannot read package")]
    Read {
        #[source]
        source: io::Error,
    },
    /// A database table cannot be decoded.
    #[error("damaged table {table}: {problem}")]
    Table {
        table: String,
        problem: TableProblem,
    },
    /// The `\u{5}SummaryInformation` property set cannot be decoded.
    #[error("damaged summary information: {problem}")]
    Summary { problem: SummaryProblem },
}

/// What is wrong with a database table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableProblem {
    #[error("string pool is truncated")]
    StringPoolTruncated,
    #[error("string reference {reference} is out of range")]
    StringOutOfRange { reference: u32 },
    #[error("column {column} is missing")]
    MissingColumn { column: &'static str },
    #[error("column {column} has unexpected type bits {bits:#x}")]
    ColumnType { column: &'static str, bits: u16 },
    #[error("invalid column size {bits:#x}")]
    ColumnSize { bits: u16 },
    #[error("stream of {len} bytes is larger than the {limit} bytes allowed")]
    TooLarge { len: u64, limit: u64 },
    /// A table stream exists but `_Columns` defines no column for it.
    #[error("table has data but no column definitions")]
    Undefined,
    #[error("{cells} cells are more than the {limit} allowed")]
    TooManyCells { cells: u64, limit: u64 },
    /// A folder's chain of parents returns to itself (or is deeper than any real one).
    #[error("the parents of folder {directory} form a loop")]
    DirectoryLoop { directory: String },
}

/// What is wrong with a summary-information property set (MS-OLEPS 2.21, 2.20).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SummaryProblem {
    #[error("property set header is truncated")]
    Truncated,
    #[error("byte order mark {found:#06x} is not 0xfffe")]
    ByteOrder { found: u16 },
    #[error("property set has no section")]
    NoSection,
    #[error("first section is not the SummaryInformation format ({found})")]
    FormatId { found: String },
    #[error("section at {offset} (size {size}) lies outside the {len}-byte stream")]
    SectionOutOfRange { offset: u64, size: u64, len: u64 },
    #[error("property {id} lies outside its section")]
    PropertyOutOfRange { id: u32 },
    #[error("stream of {len} bytes is larger than the {limit} bytes allowed")]
    TooLarge { len: u64, limit: u64 },
}

/// How the members of an MSI/MSM are named.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MsiView {
    /// The installed layout: the Directory table's tree and the File table's long names (as
    /// `msiexec /a` and `msiextract`), for a package with a File table; cabinet names
    /// otherwise (patches).
    #[default]
    Installed,
    /// The cabinet members as stored (File-table keys), as `msiinfo extract` + `cabextract`.
    Streams,
}

/// Where one cabinet of a package is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CabinetSource {
    /// A stream of the package (decoded name, e.g. `putty.cab` or `PCW_CAB_sts`); `disk_id`
    /// when a Media row names it.
    Stream { name: String, disk_id: Option<i32> },
    /// A file beside the package, named by the Media row `disk_id`.
    External { name: String, disk_id: i32 },
}

/// Tables larger than this are refused (the File table of a large product is a few MiB).
const MAX_TABLE_BYTES: u64 = 64 << 20;
/// Decoded tables with more cells than this are refused (memory bound).
const MAX_TABLE_CELLS: u64 = 4 << 20;
/// Summary-information streams larger than this are refused (real ones are < 4 KiB).
const MAX_SUMMARY_BYTES: u64 = 1 << 20;
/// A cabinet header's fixed part (MS-CAB 2.1.1, CFHEADER).
const CFHEADER_LEN: usize = 36;
/// CFHEADER.flags: this cabinet continues a previous one.
const CFHDR_PREV_CABINET: u16 = 0x0001;
/// The summary-information stream's name (MS-OLEPS 2.25: `\005SummaryInformation`).
const SUMMARY_STREAM: &str = "\u{5}SummaryInformation";

/// The cabinets of an MSI/MSP, in the order [`extract`] reads them. External cabinets are
/// listed without being opened.
pub fn cabinets(
    reader: Box<dyn ReadSeek>,
    origin: &Origin,
) -> Result<Vec<CabinetSource>, ReadError> {
    let mut package = Database::open(reader).map_err(|e| at(origin, e))?;
    package.cabinets().map_err(|e| at(origin, e))
}

/// Reads the facts of an MSI/MSP/MST: kind, summary information, Property table, and for a
/// patch its codes, MsiPatchSequence and MsiPatchMetadata. Whatever cannot be decoded is an
/// error value.
pub fn facts(reader: Box<dyn ReadSeek>) -> Result<PackageFacts, MsiError> {
    let mut db = Database::open(reader)?;
    db.facts()
}

/// An [`MsiError`] at `origin`: a reader failure stays a read error, the rest are format
/// errors.
fn at(origin: &Origin, e: MsiError) -> ReadError {
    match e {
        MsiError::Read { source } => ReadError::reading(origin, source),
        other => ReadError::format(origin, other),
    }
}
