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

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, SeekFrom};
use std::path::PathBuf;

use crate::error::Error;
use crate::formats::cab::{self, Volume, VolumeResolver};
use crate::formats::{EntrySink, ReadSeek};
use crate::model::{Build, Kb, Origin, OriginStep};

/// Something wrong with an MSI/MSP.
#[derive(Debug, thiserror::Error)]
pub enum MsiError {
    #[error("external cabinet {0} not found")]
    ExternalCabinetNotFound(String),
    /// Neither an embedded cabinet stream nor an external cabinet in the Media table.
    #[error("no cabinet in package")]
    NoCabinet,
    /// The compound-file structure (header, FAT, directory) is damaged.
    #[error("not a valid compound file: {source}")]
    CompoundFile {
        #[source]
        source: io::Error,
    },
    /// The package's reader failed (not a problem of its bytes).
    #[error("cannot read package: {source}")]
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
pub fn cabinets(reader: Box<dyn ReadSeek>, origin: &Origin) -> Result<Vec<CabinetSource>, Error> {
    let mut package = Database::open(reader).map_err(|e| at(origin, e))?;
    package.cabinets().map_err(|e| at(origin, e))
}

/// Extracts the members of every cabinet of an MSI/MSP: embedded cabinet streams (their names
/// as in the cabinet, i.e. File-table keys) and external cabinets named in the Media table,
/// opened through `beside` (the package's folder).
///
/// Every external cabinet is opened before anything is extracted, so a missing one fails the
/// package up front with [`MsiError::ExternalCabinetNotFound`].
pub fn extract(
    reader: Box<dyn ReadSeek>,
    origin: &Origin,
    beside: &mut dyn VolumeResolver,
    sink: &mut dyn EntrySink,
) -> Result<(), Error> {
    let mut package = Database::open(reader).map_err(|e| at(origin, e))?;
    let sources = package.cabinets().map_err(|e| at(origin, e))?;
    if sources.is_empty() {
        return Err(Error::format(origin, MsiError::NoCabinet));
    }

    enum Job {
        Stream(String),
        External(String, Volume),
    }
    let mut jobs = Vec::with_capacity(sources.len());
    for source in sources {
        match source {
            CabinetSource::Stream { name, .. } => jobs.push(Job::Stream(name)),
            CabinetSource::External { name, .. } => {
                let ext_origin = origin.child(OriginStep::ExternalCabinet(name.clone()));
                let volume = beside
                    .open(&name)
                    .map_err(|e| Error::reading(&ext_origin, e))?
                    .ok_or_else(|| {
                        Error::format(origin, MsiError::ExternalCabinetNotFound(name.clone()))
                    })?;
                jobs.push(Job::External(name, volume));
            }
        }
    }

    for job in jobs {
        sink.check_interrupt()?;
        match job {
            Job::Stream(name) => {
                let child = origin.child(OriginStep::Stream(name.clone()));
                let stream = package.open_stream(&name).map_err(|e| at(&child, e))?;
                let mut volumes = StreamVolumes {
                    package: &mut package,
                };
                cab::extract(stream, &child, &mut volumes, sink)?;
            }
            Job::External(name, mut volume) => {
                let child = origin.child(OriginStep::ExternalCabinet(name.clone()));
                // A continuation volume of a set is extracted with the set's first cabinet.
                if is_continuation(&mut volume.reader).map_err(|e| Error::reading(&child, e))? {
                    continue;
                }
                cab::extract(volume.reader, &child, beside, sink)?;
            }
        }
    }
    Ok(())
}

/// An [`MsiError`] at `origin`: a reader failure stays a read error, the rest are format
/// errors.
fn at(origin: &Origin, e: MsiError) -> Error {
    match e {
        MsiError::Read { source } => Error::reading(origin, source),
        other => Error::format(origin, other),
    }
}

// ------------------------------------------------------------------------------------ facts

/// What a package is, from the CLSID of its root storage (Windows Installer: installer
/// `{000C1084-…}`, patch `{000C1086-…}`, transform `{000C1082-…}`), else from its contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    Installer,
    Patch,
    Transform,
}

/// A FILETIME: 100-nanosecond intervals since 1601-01-01 UTC (MS-DTYP 2.3.3).
///
/// Serialised as RFC 3339 UTC to the second (`"2009-10-27T12:00:00Z"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileTime(pub u64);

/// Seconds from 1601-01-01 to 1970-01-01.
const FILETIME_UNIX_EPOCH: i64 = 11_644_473_600;

impl FileTime {
    /// Whole seconds since the Unix epoch (negative before 1970).
    pub fn unix_seconds(self) -> i64 {
        i64::try_from(self.0 / 10_000_000).unwrap_or(i64::MAX) - FILETIME_UNIX_EPOCH
    }

    /// `(year, month, day, hour, minute, second)` in UTC.
    pub fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let t = crate::model::UtcTime::from_unix(self.unix_seconds());
        (t.year, t.month, t.day, t.hour, t.minute, t.second)
    }
}

impl fmt::Display for FileTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

impl fmt::Debug for FileTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FileTime({self})")
    }
}

impl serde::Serialize for FileTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The summary-information properties of a package (Windows Installer "Summary Information
/// Stream Property Set"), strings as stored (decoded with the set's code page).
///
/// For a patch: `revision_number` holds the patch code GUID followed by the GUIDs of the
/// patches it obsoletes, `template` the target product codes (`;`-separated), and
/// `last_saved_by` the transform names.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SummaryInfo {
    /// PID_CODEPAGE (1), the code page of the strings of this property set.
    pub codepage: Option<u16>,
    pub title: Option<String>,
    pub subject: Option<String>,
    pub author: Option<String>,
    pub keywords: Option<String>,
    pub comments: Option<String>,
    pub template: Option<String>,
    pub last_saved_by: Option<String>,
    pub revision_number: Option<String>,
    pub last_printed: Option<FileTime>,
    pub created: Option<FileTime>,
    pub last_saved: Option<FileTime>,
    /// PID_PAGECOUNT (14): the minimum installer version × 100 (msiinfo: "Version").
    pub page_count: Option<i32>,
    /// PID_WORDCOUNT (15): source-image flags (msiinfo: "Source").
    pub word_count: Option<i32>,
    /// PID_CHARCOUNT (16): transform validation flags (msiinfo: "Restrict").
    pub character_count: Option<i32>,
    pub creating_app: Option<String>,
    /// PID_SECURITY (19).
    pub security: Option<i32>,
}

/// The facts of an MSI, MSP or MST.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PackageFacts {
    pub kind: PackageKind,
    pub summary: SummaryInfo,
    /// The Property table (installers: ProductCode, ProductVersion, ProductLanguage,
    /// Manufacturer, ProductName, …); empty when there is none.
    pub properties: BTreeMap<String, String>,
    /// Patch facts, for [`PackageKind::Patch`].
    pub patch: Option<PatchFacts>,
}

/// What a patch (MSP) says about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PatchFacts {
    /// The first GUID of the revision number.
    pub patch_code: Option<String>,
    /// The GUIDs after it: patches this one obsoletes.
    pub supersedes: Vec<String>,
    /// The target product codes of the template, as written.
    pub targets: Vec<String>,
    /// Every MsiPatchSequence row, in table order.
    pub families: Vec<PatchFamily>,
    /// Every MsiPatchMetadata row as `(company, property, value)`, in table order (a null
    /// value reads as `""`).
    pub metadata: Vec<(Option<String>, String, String)>,
    /// From the `KBArticle Number` metadata property.
    pub kb: Option<Kb>,
    /// The highest MsiPatchSequence `Sequence` that parses as a build.
    pub build: Option<Build>,
}

/// One MsiPatchSequence row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PatchFamily {
    pub family: String,
    pub product_code: Option<String>,
    pub sequence: String,
    pub attributes: Option<i32>,
}

/// Reads the facts of an MSI/MSP/MST: kind, summary information, Property table, and for a
/// patch its codes, MsiPatchSequence and MsiPatchMetadata. Whatever cannot be decoded is an
/// error value.
pub fn facts(reader: Box<dyn ReadSeek>) -> Result<PackageFacts, MsiError> {
    let mut db = Database::open(reader)?;
    db.facts()
}

/// A cell of a database table.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Cell {
    #[default]
    Null,
    Integer(i32),
    String(String),
}

impl Cell {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Cell::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i32> {
        match self {
            Cell::Integer(i) => Some(*i),
            _ => None,
        }
    }
}

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Integer,
    String,
    /// A stream (binary) column; its cells read as [`Cell::Null`].
    Binary,
}

/// One column of a table, from `_Columns`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TableColumn {
    pub name: String,
    pub kind: ColumnKind,
    /// The raw type bits (Wine `MSITYPE_*`, with the width in the low byte).
    pub type_bits: u16,
}

impl TableColumn {
    pub fn nullable(&self) -> bool {
        self.type_bits & TYPE_NULLABLE != 0
    }

    /// The column type as `.idt` files and `msiinfo export` write it: `s72`, `S0`, `l0`,
    /// `i2`, `I4`, `v0` (upper case when nullable; Wine `msi_get_type_string`).
    pub fn idt_type(&self) -> String {
        let bits = self.type_bits;
        let letter = if is_binary(bits) {
            'v'
        } else if bits & TYPE_LOCALIZABLE != 0 {
            'l'
        } else if bits & TYPE_STRING != 0 {
            if bits & TYPE_TEMPORARY != 0 { 'g' } else { 's' }
        } else if bits & TYPE_TEMPORARY != 0 {
            'j'
        } else {
            'i'
        };
        let letter = if self.nullable() {
            letter.to_ascii_uppercase()
        } else {
            letter
        };
        format!("{letter}{}", bits & 0xff)
    }
}

/// A decoded database table: its columns (in column order) and rows (in stored order).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Table {
    pub name: String,
    pub columns: Vec<TableColumn>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// The index of the column called `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The cell of `row` in the column called `name`.
    pub fn get(&self, row: usize, name: &str) -> Option<&Cell> {
        self.rows.get(row)?.get(self.column(name)?)
    }

    fn require(&self, column: &'static str) -> Result<usize, MsiError> {
        self.column(column).ok_or_else(|| MsiError::Table {
            table: self.name.clone(),
            problem: TableProblem::MissingColumn { column },
        })
    }
}
/// Whether the cabinet at the reader's start continues a previous volume (rewinds it).
fn is_continuation(r: &mut dyn ReadSeek) -> io::Result<bool> {
    let head = read_head(r)?;
    r.seek(SeekFrom::Start(0))?;
    Ok(match head {
        Some(h) => h.starts_with(b"MSCF\0\0\0\0") && u16_at(&h, 30) & CFHDR_PREV_CABINET != 0,
        None => false,
    })
}

fn read_head(r: &mut dyn Read) -> io::Result<Option<[u8; CFHEADER_LEN]>> {
    let mut head = [0u8; CFHEADER_LEN];
    match r.read_exact(&mut head) {
        Ok(()) => Ok(Some(head)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// Opens the other volumes of an embedded cabinet set: streams of the same package.
struct StreamVolumes<'a> {
    package: &'a mut Database,
}

impl VolumeResolver for StreamVolumes<'_> {
    fn open(&mut self, name: &str) -> io::Result<Option<Volume>> {
        let Some(stream) = self
            .package
            .streams
            .iter()
            .find(|s| !s.is_table && s.name.eq_ignore_ascii_case(name))
        else {
            return Ok(None);
        };
        let (decoded, path) = (stream.name.clone(), stream.path.clone());
        let reader = self.package.comp.open_stream(&path)?;
        Ok(Some(Volume {
            reader: Box::new(reader),
            step: OriginStep::Stream(decoded),
        }))
    }
}

/// One stream of the root storage.
#[derive(Clone, Debug)]
struct StreamName {
    /// Decoded name (`putty.cab`, `Media`, `\u{5}SummaryInformation`).
    name: String,
    /// Whether the stream holds a database table.
    is_table: bool,
    /// The path to open it by in the compound file.
    path: PathBuf,
    len: u64,
}

/// A column definition from `_Columns`, before its name is needed.
#[derive(Clone, Copy, Debug)]
struct ColumnRow {
    table: u32,
    number: u16,
    name: u32,
    bits: u16,
}

/// An opened MSI/MSP/MST: its root streams, and (once needed) its string pool and column
/// definitions.
pub struct Database {
    comp: cfb::CompoundFile<Box<dyn ReadSeek>>,
    streams: Vec<StreamName>,
    /// `None` until loaded; `Some(None)` when the package has no string pool.
    strings: Option<Option<StringPool>>,
    /// `_Columns`, undecoded (`None` until loaded; `Some(None)` when absent).
    columns: Option<Option<Vec<ColumnRow>>>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("streams", &self.streams)
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Opens the compound file and lists its root streams.
    pub fn open(reader: Box<dyn ReadSeek>) -> Result<Database, MsiError> {
        let comp = cfb::CompoundFile::open(reader).map_err(cfb_error)?;
        let mut streams: Vec<StreamName> = comp
            .read_root_storage()
            .filter(cfb::Entry::is_stream)
            .map(|e| {
                let (name, is_table) = decode_stream_name(e.name());
                StreamName {
                    name,
                    is_table,
                    path: e.path().to_path_buf(),
                    len: e.len(),
                }
            })
            .collect();
        streams.sort_by(|a, b| a.name.cmp(&b.name).then(a.is_table.cmp(&b.is_table)));
        Ok(Database {
            comp,
            streams,
            strings: None,
            columns: None,
        })
    }

    /// The kind named by the root storage's CLSID, if it is one of the three.
    pub fn clsid_kind(&self) -> Option<PackageKind> {
        let clsid = self
            .comp
            .root_entry()
            .clsid()
            .to_string()
            .to_ascii_uppercase();
        match clsid.as_str() {
            "000C1084-0000-0000-C000-000000000046" => Some(PackageKind::Installer),
            "000C1086-0000-0000-C000-000000000046" => Some(PackageKind::Patch),
            "000C1082-0000-0000-C000-000000000046" => Some(PackageKind::Transform),
            _ => None,
        }
    }

    /// The decoded names of the non-table streams (cabinets, `Binary.*`, the summary), sorted.
    pub fn stream_names(&self) -> Vec<String> {
        self.streams
            .iter()
            .filter(|s| !s.is_table)
            .map(|s| s.name.clone())
            .collect()
    }

    /// The summary information; all `None` when the package has no summary stream.
    pub fn summary(&mut self) -> Result<SummaryInfo, MsiError> {
        let Some(s) = self
            .streams
            .iter()
            .find(|s| !s.is_table && s.name == SUMMARY_STREAM)
        else {
            return Ok(SummaryInfo::default());
        };
        if s.len > MAX_SUMMARY_BYTES {
            return Err(MsiError::Summary {
                problem: SummaryProblem::TooLarge {
                    len: s.len,
                    limit: MAX_SUMMARY_BYTES,
                },
            });
        }
        let path = s.path.clone();
        let mut buf = Vec::new();
        self.comp
            .open_stream(&path)
            .and_then(|st| st.take(MAX_SUMMARY_BYTES).read_to_end(&mut buf))
            .map_err(cfb_error)?;
        parse_summary(&buf).map_err(|problem| MsiError::Summary { problem })
    }

    /// The names in `_Tables`, in stored order; empty when there is none.
    pub fn table_names(&mut self) -> Result<Vec<String>, MsiError> {
        let Some(bytes) = read_table_bytes(&mut self.comp, &self.streams, "_Tables")? else {
            return Ok(Vec::new());
        };
        self.load_strings()?;
        let Some(Some(strings)) = &self.strings else {
            return Ok(Vec::new());
        };
        let problem = |problem| MsiError::Table {
            table: "_Tables".to_owned(),
            problem,
        };
        let rw = strings.ref_width();
        let mut out = Vec::with_capacity(bytes.len() / rw);
        for i in 0..bytes.len() / rw {
            if let Some(name) = strings
                .get(strings.read_ref(&bytes, i * rw))
                .map_err(problem)?
            {
                out.push(name);
            }
        }
        Ok(out)
    }

    /// Decodes table `name`: its columns from `_Columns` and its rows, typed. `None` when the
    /// package defines no such table (no column definitions and no stream); a table defined
    /// without a stream is empty.
    pub fn table(&mut self, name: &str) -> Result<Option<Table>, MsiError> {
        let problem = |problem| MsiError::Table {
            table: name.to_owned(),
            problem,
        };
        let has_stream = self.streams.iter().any(|s| s.is_table && s.name == name);
        self.load_strings()?;
        self.load_columns()?;
        let (Some(Some(strings)), Some(Some(column_rows))) = (&self.strings, &self.columns) else {
            // No string pool or no `_Columns`: no table can be decoded.
            return Ok(None);
        };
        let mut defs: Vec<(u16, String, u16)> = Vec::new();
        for c in column_rows {
            let table = strings.get(c.table).map_err(problem)?;
            if table.as_deref() != Some(name) {
                continue;
            }
            let column = strings.get(c.name).map_err(problem)?.unwrap_or_default();
            defs.push((c.number, column, c.bits));
        }
        if defs.is_empty() {
            return if has_stream {
                Err(problem(TableProblem::Undefined))
            } else {
                Ok(None)
            };
        }
        defs.sort_by_key(|d| d.0);
        let columns: Vec<TableColumn> = defs
            .into_iter()
            .map(|(_, name, bits)| TableColumn {
                name,
                kind: if is_binary(bits) {
                    ColumnKind::Binary
                } else if bits & TYPE_STRING != 0 {
                    ColumnKind::String
                } else {
                    ColumnKind::Integer
                },
                type_bits: bits,
            })
            .collect();
        let data = read_table_bytes(&mut self.comp, &self.streams, name)?.unwrap_or_default();
        let Some(Some(strings)) = &self.strings else {
            return Ok(None);
        };
        let rows = decode_rows(&columns, &data, strings).map_err(problem)?;
        Ok(Some(Table {
            name: name.to_owned(),
            columns,
            rows,
        }))
    }

    /// Everything [`facts`] reports.
    pub fn facts(&mut self) -> Result<PackageFacts, MsiError> {
        let summary = self.summary()?;
        let properties = match self.table("Property")? {
            Some(t) => {
                let (p, v) = (t.require("Property")?, t.require("Value")?);
                t.rows
                    .iter()
                    .filter_map(|row| {
                        let key = row.get(p)?.as_str()?.to_owned();
                        let value = row.get(v).and_then(Cell::as_str).unwrap_or_default();
                        Some((key, value.to_owned()))
                    })
                    .collect()
            }
            None => BTreeMap::new(),
        };
        let sequence = self.table("MsiPatchSequence")?;
        let metadata = self.table("MsiPatchMetadata")?;
        let kind = self.clsid_kind().unwrap_or_else(|| {
            // No (known) CLSID: a patch's own tables or its GUID-list template tell it.
            let template_lists_products = summary
                .template
                .as_deref()
                .is_some_and(|t| t.trim_start().starts_with('{'));
            if sequence.is_some() || metadata.is_some() || template_lists_products {
                PackageKind::Patch
            } else {
                PackageKind::Installer
            }
        });
        let patch = if kind == PackageKind::Patch {
            Some(patch_facts(&summary, sequence.as_ref(), metadata.as_ref())?)
        } else {
            None
        };
        Ok(PackageFacts {
            kind,
            summary,
            properties,
            patch,
        })
    }

    fn load_strings(&mut self) -> Result<(), MsiError> {
        if self.strings.is_some() {
            return Ok(());
        }
        let problem = |problem| MsiError::Table {
            table: "_StringPool".to_owned(),
            problem,
        };
        let Some(pool) = read_table_bytes(&mut self.comp, &self.streams, "_StringPool")? else {
            self.strings = Some(None);
            return Ok(());
        };
        let data =
            read_table_bytes(&mut self.comp, &self.streams, "_StringData")?.unwrap_or_default();
        self.strings = Some(Some(StringPool::new(&pool, data).map_err(problem)?));
        Ok(())
    }

    /// Reads `_Columns` (Table s, Number i2, Name s, Type i2; stored column by column).
    fn load_columns(&mut self) -> Result<(), MsiError> {
        if self.columns.is_some() {
            return Ok(());
        }
        let Some(bytes) = read_table_bytes(&mut self.comp, &self.streams, "_Columns")? else {
            self.columns = Some(None);
            return Ok(());
        };
        let Some(Some(strings)) = &self.strings else {
            self.columns = Some(None);
            return Ok(());
        };
        let rw = strings.ref_width();
        let row = 2 * rw + 4;
        let rows = bytes.len() / row;
        let (table_at, number_at, name_at, type_at) =
            (0, rows * rw, rows * (rw + 2), rows * (2 * rw + 2));
        let defs = (0..rows)
            .map(|i| ColumnRow {
                table: strings.read_ref(&bytes, table_at + i * rw),
                number: u16_at(&bytes, number_at + i * 2) ^ 0x8000,
                name: strings.read_ref(&bytes, name_at + i * rw),
                bits: u16_at(&bytes, type_at + i * 2) ^ 0x8000,
            })
            .collect();
        self.columns = Some(Some(defs));
        Ok(())
    }

    fn open_stream(&mut self, name: &str) -> Result<Box<dyn ReadSeek>, MsiError> {
        let path = self
            .streams
            .iter()
            .find(|s| !s.is_table && s.name == name)
            .map(|s| s.path.clone())
            .ok_or_else(|| cfb_error(io::Error::new(io::ErrorKind::NotFound, "stream vanished")))?;
        let stream = self.comp.open_stream(&path).map_err(cfb_error)?;
        Ok(Box::new(stream))
    }

    /// The Media table's `(DiskId, Cabinet)` rows, sorted by DiskId; empty when there is none
    /// (patches and transforms carry no Media table of their own).
    fn media(&mut self) -> Result<Vec<(i32, Option<String>)>, MsiError> {
        if !self.streams.iter().any(|s| s.is_table && s.name == "Media") {
            return Ok(Vec::new());
        }
        let Some(media) = self.table("Media")? else {
            return Ok(Vec::new());
        };
        let (disk_id, cabinet) = (media.require("DiskId")?, media.require("Cabinet")?);
        let bad = |column, c: &TableColumn| MsiError::Table {
            table: "Media".to_owned(),
            problem: TableProblem::ColumnType {
                column,
                bits: c.type_bits,
            },
        };
        if let Some(c) = media
            .columns
            .get(disk_id)
            .filter(|c| c.kind != ColumnKind::Integer)
        {
            return Err(bad("DiskId", c));
        }
        if let Some(c) = media
            .columns
            .get(cabinet)
            .filter(|c| c.kind != ColumnKind::String)
        {
            return Err(bad("Cabinet", c));
        }
        let mut rows: Vec<(i32, Option<String>)> = media
            .rows
            .into_iter()
            .map(|mut row| {
                let disk = row.get(disk_id).and_then(Cell::as_int).unwrap_or(0);
                let cab = match row.get_mut(cabinet).map(std::mem::take) {
                    Some(Cell::String(s)) => Some(s),
                    _ => None,
                };
                (disk, cab)
            })
            .collect();
        rows.sort_by_key(|&(disk, _)| disk);
        Ok(rows)
    }

    /// Every cabinet, in extraction order (see the module docs).
    fn cabinets(&mut self) -> Result<Vec<CabinetSource>, MsiError> {
        // Cabinet streams that start a set (or stand alone).
        let mut embedded: Vec<String> = Vec::new();
        let candidates: Vec<(String, PathBuf)> = self
            .streams
            .iter()
            .filter(|s| !s.is_table && s.len >= CFHEADER_LEN as u64)
            .map(|s| (s.name.clone(), s.path.clone()))
            .collect();
        for (name, path) in candidates {
            let mut stream = match self.comp.open_stream(&path) {
                Ok(s) => s,
                // A name that cannot be addressed as a path (e.g. one holding '/') is not
                // a cabinet we could name in an Origin either; skip it.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::InvalidInput
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(cfb_error(e)),
            };
            let head = read_head(&mut stream).map_err(cfb_error)?;
            if head.is_some_and(|h| {
                h.starts_with(b"MSCF\0\0\0\0") && u16_at(&h, 30) & CFHDR_PREV_CABINET == 0
            }) {
                embedded.push(name);
            }
        }

        let mut out = Vec::new();
        for (disk_id, cabinet) in self.media()? {
            let Some(cabinet) = cabinet.filter(|c| !c.is_empty()) else {
                continue;
            };
            if let Some(stream) = cabinet.strip_prefix('#') {
                let hit = embedded
                    .iter()
                    .position(|n| n == stream)
                    .or_else(|| embedded.iter().position(|n| n.eq_ignore_ascii_case(stream)));
                if let Some(i) = hit {
                    out.push(CabinetSource::Stream {
                        name: embedded.remove(i),
                        disk_id: Some(disk_id),
                    });
                }
            } else {
                let known = out.iter().any(
                    |s| matches!(s, CabinetSource::External { name, .. } if name.eq_ignore_ascii_case(&cabinet)),
                );
                if !known {
                    out.push(CabinetSource::External {
                        name: cabinet,
                        disk_id,
                    });
                }
            }
        }
        // `streams` is sorted by name, so the rest come by name.
        out.extend(embedded.into_iter().map(|name| CabinetSource::Stream {
            name,
            disk_id: None,
        }));
        Ok(out)
    }
}

/// Reads a whole table stream (bounded by [`MAX_TABLE_BYTES`]); `None` when absent.
fn read_table_bytes(
    comp: &mut cfb::CompoundFile<Box<dyn ReadSeek>>,
    streams: &[StreamName],
    table: &str,
) -> Result<Option<Vec<u8>>, MsiError> {
    let Some(s) = streams.iter().find(|s| s.is_table && s.name == table) else {
        return Ok(None);
    };
    if s.len > MAX_TABLE_BYTES {
        return Err(MsiError::Table {
            table: table.to_owned(),
            problem: TableProblem::TooLarge {
                len: s.len,
                limit: MAX_TABLE_BYTES,
            },
        });
    }
    let mut buf = Vec::new();
    comp.open_stream(&s.path)
        .and_then(|st| st.take(MAX_TABLE_BYTES).read_to_end(&mut buf))
        .map_err(cfb_error)?;
    Ok(Some(buf))
}

/// The patch facts from the summary and the patch's own tables.
fn patch_facts(
    summary: &SummaryInfo,
    sequence: Option<&Table>,
    metadata: Option<&Table>,
) -> Result<PatchFacts, MsiError> {
    let mut facts = PatchFacts::default();
    let mut codes = summary
        .revision_number
        .as_deref()
        .map(guids)
        .unwrap_or_default();
    if !codes.is_empty() {
        facts.patch_code = Some(codes.remove(0));
        facts.supersedes = codes;
    }
    facts.targets = summary
        .template
        .as_deref()
        .map(|t| {
            t.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(t) = sequence {
        let family = t.require("PatchFamily")?;
        let seq = t.require("Sequence")?;
        let (product, attributes) = (t.column("ProductCode"), t.column("Attributes"));
        let text = |row: &[Cell], i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .and_then(Cell::as_str)
                .map(str::to_owned)
        };
        for row in &t.rows {
            facts.families.push(PatchFamily {
                family: text(row, Some(family)).unwrap_or_default(),
                product_code: text(row, product),
                sequence: text(row, Some(seq)).unwrap_or_default(),
                attributes: attributes.and_then(|i| row.get(i)).and_then(Cell::as_int),
            });
        }
        facts.build = facts
            .families
            .iter()
            .filter_map(|f| Build::parse(&f.sequence))
            .max();
    }
    if let Some(t) = metadata {
        let property = t.require("Property")?;
        let (company, value) = (t.column("Company"), t.column("Value"));
        let text = |row: &[Cell], i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .and_then(Cell::as_str)
                .map(str::to_owned)
        };
        for row in &t.rows {
            facts.metadata.push((
                text(row, company),
                text(row, Some(property)).unwrap_or_default(),
                text(row, value).unwrap_or_default(),
            ));
        }
        // The standard property (null Company) first, then any other.
        let kb_of = |standard: bool| {
            facts
                .metadata
                .iter()
                .filter(|(c, p, _)| {
                    c.is_none() == standard && p.eq_ignore_ascii_case("KBArticle Number")
                })
                .find_map(|(_, _, v)| Kb::parse(v))
        };
        facts.kb = kb_of(true).or_else(|| kb_of(false));
    }
    Ok(facts)
}

/// The GUIDs (`{8-4-4-4-12}`, as written) in `s`, in order; a revision number is their
/// concatenation ("Revision Number Summary": for a patch, the patch code followed by the
/// codes of the patches it obsoletes, with no separator). Anything else is skipped.
fn guids(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        rest = &rest[open..];
        let candidate = rest.get(..38);
        if let Some(g) = candidate.filter(|g| is_guid(g)) {
            out.push(g.to_owned());
            rest = &rest[38..];
        } else {
            rest = &rest[1..];
        }
    }
    out
}

/// Whether `s` is `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` (hex digits, either case).
fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 38
        && b[0] == b'{'
        && b[37] == b'}'
        && b[1..37].iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn cfb_error(e: io::Error) -> MsiError {
    match e.kind() {
        io::ErrorKind::InvalidData
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::NotFound => MsiError::CompoundFile { source: e },
        _ => MsiError::Read { source: e },
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    let mut v = [0u8; 2];
    if let Some(s) = b.get(at..at.saturating_add(2)) {
        v.copy_from_slice(s);
    }
    u16::from_le_bytes(v)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut v = [0u8; 4];
    if let Some(s) = b.get(at..at.saturating_add(4)) {
        v.copy_from_slice(s);
    }
    u32::from_le_bytes(v)
}

/// Decodes an MSI stream name: characters U+3800..U+4840 pack one or two characters of the
/// alphabet `0-9A-Za-z._` (U+4840 alone marks a table). Returns the name and whether it is
/// a table (as Wine's `decode_streamname` and the `msi` crate do).
fn decode_stream_name(raw: &str) -> (String, bool) {
    fn b64(v: u32) -> char {
        match v {
            0..=9 => char::from(b'0' + v as u8),
            10..=35 => char::from(b'A' + (v - 10) as u8),
            36..=61 => char::from(b'a' + (v - 36) as u8),
            62 => '.',
            _ => '_',
        }
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let is_table = chars.next_if_eq(&'\u{4840}').is_some();
    for c in chars {
        let v = u32::from(c);
        if (0x3800..0x4800).contains(&v) {
            let v = v - 0x3800;
            out.push(b64(v & 0x3f));
            out.push(b64((v >> 6) & 0x3f));
        } else if (0x4800..0x4840).contains(&v) {
            out.push(b64(v - 0x4800));
        } else {
            out.push(c);
        }
    }
    (out, is_table)
}

/// The database string pool: `_StringPool` (code page, then a length and refcount per string)
/// over `_StringData` (the strings, concatenated) (Wine `msi_load_string_table`).
struct StringPool {
    data: Vec<u8>,
    /// `(start, len)` in `data` of string `n + 1`.
    spans: Vec<(usize, usize)>,
    long_refs: bool,
    codepage: u32,
}

impl StringPool {
    fn new(pool: &[u8], data: Vec<u8>) -> Result<StringPool, TableProblem> {
        let header = pool.get(0..4).ok_or(TableProblem::StringPoolTruncated)?;
        let codepage = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        // The high bit of the header: string references are 3 bytes wide, not 2.
        let long_refs = codepage & 0x8000_0000 != 0;
        let mut spans = Vec::with_capacity(pool.len() / 4);
        let mut at = 4usize;
        let mut start = 0usize;
        while let Some(entry) = pool.get(at..at + 4) {
            at += 4;
            let mut len = usize::from(u16::from_le_bytes([entry[0], entry[1]]));
            let refcount = u16::from_le_bytes([entry[2], entry[3]]);
            // A string longer than 64 KiB: length 0 with a refcount, then a 32-bit length.
            if len == 0 && refcount != 0 {
                let long = pool
                    .get(at..at + 4)
                    .ok_or(TableProblem::StringPoolTruncated)?;
                at += 4;
                len = usize::try_from(u32::from_le_bytes([long[0], long[1], long[2], long[3]]))
                    .map_err(|_| TableProblem::StringPoolTruncated)?;
            }
            let end = start
                .checked_add(len)
                .filter(|&e| e <= data.len())
                .ok_or(TableProblem::StringPoolTruncated)?;
            spans.push((start, len));
            start = end;
        }
        Ok(StringPool {
            data,
            spans,
            long_refs,
            codepage: codepage & 0x7fff_ffff,
        })
    }

    fn ref_width(&self) -> usize {
        if self.long_refs { 3 } else { 2 }
    }

    /// String `reference` (1-based; 0 is null), decoded with the pool's code page.
    fn get(&self, reference: u32) -> Result<Option<String>, TableProblem> {
        if reference == 0 {
            return Ok(None);
        }
        let out_of_range = TableProblem::StringOutOfRange { reference };
        let index = usize::try_from(reference - 1).map_err(|_| out_of_range.clone())?;
        let &(start, len) = self.spans.get(index).ok_or(out_of_range.clone())?;
        let bytes = self.data.get(start..start + len).ok_or(out_of_range)?;
        Ok(Some(decode_codepage(bytes, self.codepage)))
    }

    fn read_ref(&self, b: &[u8], at: usize) -> u32 {
        let lo = u32::from(u16_at(b, at));
        if self.long_refs {
            lo | (u32::from(b.get(at + 2).copied().unwrap_or(0)) << 16)
        } else {
            lo
        }
    }
}

/// Windows-1252 at 0x80..=0x9F (elsewhere it is ISO-8859-1); the five unassigned bytes map
/// to the C1 controls, as Windows' own conversion does.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
];

/// Decodes `bytes` in Windows code page `codepage`: UTF-8 (65001), UTF-16LE (1200),
/// Windows-1252 (1252, and 0 = neutral), ISO-8859-1 (28591). Other code pages decode their
/// ASCII exactly and every other byte as U+FFFD (no conversion tables are carried).
fn decode_codepage(bytes: &[u8], codepage: u32) -> String {
    match codepage {
        65001 => String::from_utf8_lossy(bytes).into_owned(),
        1200 => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        0 | 1252 => bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
                _ => char::from(b),
            })
            .collect(),
        28591 => bytes.iter().map(|&b| char::from(b)).collect(),
        _ => bytes
            .iter()
            .map(|&b| {
                if b.is_ascii() {
                    char::from(b)
                } else {
                    char::REPLACEMENT_CHARACTER
                }
            })
            .collect(),
    }
}

/// Column type bits (Wine `msipriv.h`: MSITYPE_*).
const TYPE_VALID: u16 = 0x0100;
const TYPE_LOCALIZABLE: u16 = 0x0200;
const TYPE_STRING: u16 = 0x0800;
const TYPE_NULLABLE: u16 = 0x1000;
const TYPE_TEMPORARY: u16 = 0x4000;

/// A stream column (Wine `MSITYPE_IS_BINARY`).
fn is_binary(bits: u16) -> bool {
    bits & !TYPE_NULLABLE == TYPE_STRING | TYPE_VALID
}

/// The byte width of a column of type `bits` (Wine `bytes_per_column`).
fn column_width(bits: u16, ref_width: usize) -> Result<usize, TableProblem> {
    if is_binary(bits) {
        return Ok(2); // binary (stream) column: a 2-byte placeholder
    }
    if bits & TYPE_STRING != 0 {
        return Ok(ref_width);
    }
    match bits & 0xff {
        0..=2 => Ok(2),
        4 => Ok(4),
        _ => Err(TableProblem::ColumnSize { bits }),
    }
}

/// Decodes the rows of a table stream. Tables are stored column by column: all rows' first
/// cells, then all rows' second cells, … (Wine `read_table_from_storage`); integers are
/// stored biased (value + 0x8000 or + 0x80000000) so that 0 means null.
fn decode_rows(
    columns: &[TableColumn],
    data: &[u8],
    strings: &StringPool,
) -> Result<Vec<Vec<Cell>>, TableProblem> {
    let rw = strings.ref_width();
    let widths = columns
        .iter()
        .map(|c| column_width(c.type_bits, rw))
        .collect::<Result<Vec<_>, _>>()?;
    let row_len: usize = widths.iter().sum();
    if row_len == 0 {
        return Ok(Vec::new());
    }
    let rows = data.len() / row_len;
    let cells = (rows as u64).saturating_mul(columns.len() as u64);
    if cells > MAX_TABLE_CELLS {
        return Err(TableProblem::TooManyCells {
            cells,
            limit: MAX_TABLE_CELLS,
        });
    }
    let mut out: Vec<Vec<Cell>> = (0..rows)
        .map(|_| Vec::with_capacity(columns.len()))
        .collect();
    let mut column_at = 0usize;
    for (column, &width) in columns.iter().zip(&widths) {
        for (i, row) in out.iter_mut().enumerate() {
            let at = column_at + i * width;
            let cell = match column.kind {
                ColumnKind::Binary => Cell::Null,
                ColumnKind::String => match strings.get(strings.read_ref(data, at))? {
                    Some(s) => Cell::String(s),
                    None => Cell::Null,
                },
                ColumnKind::Integer if width == 4 => match u32_at(data, at) {
                    0 => Cell::Null,
                    raw => Cell::Integer(i32::from_le_bytes((raw ^ 0x8000_0000).to_le_bytes())),
                },
                ColumnKind::Integer => match u16_at(data, at) {
                    0 => Cell::Null,
                    raw => {
                        Cell::Integer(i32::from(i16::from_le_bytes((raw ^ 0x8000).to_le_bytes())))
                    }
                },
            };
            row.push(cell);
        }
        column_at += width * rows;
    }
    Ok(out)
}

// ---------------------------------------------------------------- summary information

/// FMTID_SummaryInformation `{F29F85E0-4FF9-1068-AB91-08002B27B3D9}` as stored (MS-OLEPS
/// 2.3 GUID: the first three fields little-endian).
const FMTID_SUMMARY: [u8; 16] = [
    0xe0, 0x85, 0x9f, 0xf2, 0xf9, 0x4f, 0x68, 0x10, 0xab, 0x91, 0x08, 0x00, 0x2b, 0x27, 0xb3, 0xd9,
];
/// Property types (MS-OLEPS 2.15 PropertyType).
const VT_I2: u16 = 0x0002;
const VT_I4: u16 = 0x0003;
const VT_LPSTR: u16 = 0x001E;
const VT_LPWSTR: u16 = 0x001F;
const VT_FILETIME: u16 = 0x0040;
/// PID_CODEPAGE (MS-OLEPS 2.18.1).
const PID_CODEPAGE: u32 = 1;

/// Parses a summary-information property set (MS-OLEPS 2.21 PropertySetStream): header
/// (byte order 0xFFFE, version, system id, CLSID, set count), then FMTID/offset of the first
/// set, whose section (2.20 PropertySet) holds its size, property count, id/offset pairs
/// (offsets from the section start) and the typed values (2.15 TypedPropertyValue).
/// Properties of unexpected types are skipped, as Windows Installer does not write them.
fn parse_summary(b: &[u8]) -> Result<SummaryInfo, SummaryProblem> {
    if b.len() < 48 {
        return Err(SummaryProblem::Truncated);
    }
    let byte_order = u16_at(b, 0);
    if byte_order != 0xFFFE {
        return Err(SummaryProblem::ByteOrder { found: byte_order });
    }
    if u32_at(b, 24) == 0 {
        return Err(SummaryProblem::NoSection);
    }
    let fmtid = b.get(28..44).unwrap_or_default();
    if fmtid != FMTID_SUMMARY {
        return Err(SummaryProblem::FormatId {
            found: fmtid.iter().map(|x| format!("{x:02x}")).collect(),
        });
    }
    let section_at = u32_at(b, 44) as usize;
    let size = u32_at(b, section_at) as usize;
    let out_of_range = SummaryProblem::SectionOutOfRange {
        offset: section_at as u64,
        size: size as u64,
        len: b.len() as u64,
    };
    let section = section_at
        .checked_add(size)
        .and_then(|end| b.get(section_at..end))
        .filter(|s| s.len() >= 8)
        .ok_or(out_of_range)?;
    let count = (u32_at(section, 4) as usize).min((section.len() - 8) / 8);
    let entries: Vec<(u32, usize)> = (0..count)
        .map(|i| {
            (
                u32_at(section, 8 + 8 * i),
                u32_at(section, 12 + 8 * i) as usize,
            )
        })
        .collect();

    // The value of property `id`: (type, bytes from the value on); checked to hold the type.
    let value = |id: u32, at: usize| -> Result<(u16, &[u8]), SummaryProblem> {
        let v = section
            .get(at..)
            .filter(|v| v.len() >= 4)
            .ok_or(SummaryProblem::PropertyOutOfRange { id })?;
        Ok((u16_at(v, 0), &v[4..]))
    };
    let mut info = SummaryInfo::default();
    for &(id, at) in &entries {
        if id == PID_CODEPAGE {
            let (ty, v) = value(id, at)?;
            if ty == VT_I2 && v.len() >= 2 {
                info.codepage = Some(u16_at(v, 0));
            }
        }
    }
    let codepage = u32::from(info.codepage.unwrap_or(1252));
    for &(id, at) in &entries {
        if id == PID_CODEPAGE {
            continue;
        }
        let (ty, v) = value(id, at)?;
        let short = || SummaryProblem::PropertyOutOfRange { id };
        match ty {
            VT_LPSTR | VT_LPWSTR => {
                // CodePageString: byte count including the NUL, then the bytes (2.5);
                // UnicodeString: character count including the NUL, then UTF-16 (2.7).
                let count = u32_at(v, 0) as usize;
                let len = if ty == VT_LPWSTR {
                    count.checked_mul(2).ok_or_else(short)?
                } else {
                    count
                };
                let raw = v.get(4..).and_then(|r| r.get(..len)).ok_or_else(short)?;
                let text = if ty == VT_LPWSTR {
                    decode_codepage(raw, 1200)
                } else {
                    decode_codepage(raw, codepage)
                };
                let text = text.split('\0').next().unwrap_or_default().to_owned();
                let slot = match id {
                    2 => &mut info.title,
                    3 => &mut info.subject,
                    4 => &mut info.author,
                    5 => &mut info.keywords,
                    6 => &mut info.comments,
                    7 => &mut info.template,
                    8 => &mut info.last_saved_by,
                    9 => &mut info.revision_number,
                    18 => &mut info.creating_app,
                    _ => continue,
                };
                *slot = Some(text);
            }
            VT_I2 | VT_I4 => {
                let n = if ty == VT_I2 {
                    v.get(..2).ok_or_else(short)?;
                    i32::from(i16::from_le_bytes(u16_at(v, 0).to_le_bytes()))
                } else {
                    v.get(..4).ok_or_else(short)?;
                    i32::from_le_bytes(u32_at(v, 0).to_le_bytes())
                };
                let slot = match id {
                    14 => &mut info.page_count,
                    15 => &mut info.word_count,
                    16 => &mut info.character_count,
                    19 => &mut info.security,
                    _ => continue,
                };
                *slot = Some(n);
            }
            VT_FILETIME => {
                let raw = v.get(..8).ok_or_else(short)?;
                let t = FileTime(u64::from(u32_at(raw, 0)) | (u64::from(u32_at(raw, 4)) << 32));
                let slot = match id {
                    11 => &mut info.last_printed,
                    12 => &mut info.created,
                    13 => &mut info.last_saved,
                    _ => continue,
                };
                *slot = Some(t);
            }
            _ => {}
        }
    }
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_decode_like_msi() {
        // "Media" as a table: U+4840 then packed pairs.
        let (name, table) = decode_stream_name("\u{4840}\u{4216}\u{4327}\u{4824}");
        assert!(table);
        assert_eq!(name, "Media");
        let (name, table) = decode_stream_name("\u{5}SummaryInformation");
        assert!(!table);
        assert_eq!(name, "\u{5}SummaryInformation");
    }

    #[test]
    fn string_pool_rejects_truncation_and_bad_refs() {
        let pool = [0xe9, 0xfd, 0, 0, 3, 0, 1, 0];
        assert!(StringPool::new(&pool, b"ab".to_vec()).is_err());
        let sp = StringPool::new(&pool, b"abc".to_vec()).unwrap();
        assert_eq!(sp.get(1).unwrap().as_deref(), Some("abc"));
        assert_eq!(sp.get(0).unwrap(), None);
        assert!(sp.get(2).is_err());
    }

    #[test]
    fn string_pool_honours_its_codepage() {
        // 1252: 0x80 is the euro sign; 65001: UTF-8.
        let sp = StringPool::new(&[0xe4, 0x04, 0, 0, 2, 0, 1, 0], b"\x80a".to_vec()).unwrap();
        assert_eq!(sp.get(1).unwrap().as_deref(), Some("\u{20AC}a"));
        let sp = StringPool::new(&[0xe9, 0xfd, 0, 0, 3, 0, 1, 0], "\u{20AC}".into()).unwrap();
        assert_eq!(sp.get(1).unwrap().as_deref(), Some("\u{20AC}"));
        // Long references: flag in the header's high bit.
        let sp = StringPool::new(&[0xe9, 0xfd, 0, 0x80], Vec::new()).unwrap();
        assert_eq!(sp.ref_width(), 3);
        assert_eq!(sp.read_ref(&[1, 2, 3], 0), 0x030201);
        // An unknown code page keeps ASCII and marks the rest.
        assert_eq!(decode_codepage(b"a\xff", 932), "a\u{FFFD}");
    }

    #[test]
    fn guids_split_a_revision_number() {
        let a = "{09966C32-C34D-4FF4-8C7E-94A9630DDEF8}";
        let b = "{2ba00471-0328-3743-93bd-fa813353a783}";
        assert_eq!(guids(&format!("{a}{b}")), [a, b]);
        assert_eq!(guids(&format!("{a}; junk {{x}} {b}")), [a, b]);
        assert!(guids("{not-a-guid}").is_empty());
        assert!(guids("{é").is_empty());
        assert!(is_guid(a) && !is_guid(&a[1..]));
    }

    #[test]
    fn filetime_renders_as_utc() {
        // 2009-10-27T12:00:00Z.
        let t = FileTime((1_256_644_800 + 11_644_473_600) * 10_000_000);
        assert_eq!(t.unix_seconds(), 1_256_644_800);
        assert_eq!(t.to_string(), "2009-10-27T12:00:00Z");
        assert_eq!(FileTime(0).to_string(), "1601-01-01T00:00:00Z");
        assert_eq!(
            FileTime(u64::MAX).unix_seconds(),
            1_844_674_407_370 - 11_644_473_600
        );
    }

    #[test]
    fn summary_parser_rejects_damage_without_panicking() {
        assert_eq!(parse_summary(b""), Err(SummaryProblem::Truncated));
        let mut b = vec![0u8; 48];
        assert!(matches!(
            parse_summary(&b),
            Err(SummaryProblem::ByteOrder { .. })
        ));
        b[0..2].copy_from_slice(&0xFFFEu16.to_le_bytes());
        b[24] = 1;
        assert!(matches!(
            parse_summary(&b),
            Err(SummaryProblem::FormatId { .. })
        ));
        b[28..44].copy_from_slice(&FMTID_SUMMARY);
        b[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            parse_summary(&b),
            Err(SummaryProblem::SectionOutOfRange { .. })
        ));
        // A section holding one title property whose string runs past the end.
        let mut s = b.clone();
        s[44..48].copy_from_slice(&48u32.to_le_bytes());
        for v in [32u32, 1, 2, 16, u32::from(VT_LPSTR), 1000] {
            s.extend_from_slice(&v.to_le_bytes());
        }
        s.extend_from_slice(&[0u8; 8]);
        assert_eq!(
            parse_summary(&s),
            Err(SummaryProblem::PropertyOutOfRange { id: 2 })
        );
    }
}
