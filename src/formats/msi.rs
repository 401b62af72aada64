//! MSI/MSP/MST packages (MS-CFB compound files): finding their cabinets, embedded and external,
//! and handing the cabinets' members to a sink.
//!
//! The compound file is read with `cfb`; the few database tables needed (the string pool,
//! `_Columns`, `Media`) are decoded here rather than through `msi::Package::open`, which
//! rejects some patches and panics on some damaged string pools. Every read is bounded and
//! checked: a damaged package is an error, never a panic.
//!
//! Semantics follow the reference "list the streams, extract each one that is a cabinet and
//! not a continuation volume": embedded cabinets come in `Media` order (by `DiskId`), then the
//! remaining cabinet streams by name; `Media` rows naming a cabinet without `#` are external
//! cabinets, opened beside the package.

use std::io::{self, Read, SeekFrom};
use std::path::PathBuf;

use crate::error::Error;
use crate::formats::cab::{self, Volume, VolumeResolver};
use crate::formats::{EntrySink, ReadSeek};
use crate::model::{Origin, OriginStep};

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
    /// A database table needed to find the cabinets cannot be decoded.
    #[error("damaged table {table}: {problem}")]
    Table {
        table: &'static str,
        problem: TableProblem,
    },
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

/// Tables larger than this are refused (the Media table of a real package is a few KiB).
const MAX_TABLE_BYTES: u64 = 64 << 20;
/// A cabinet header's fixed part (MS-CAB 2.1.1, CFHEADER).
const CFHEADER_LEN: usize = 36;
/// CFHEADER.flags: this cabinet continues a previous one.
const CFHDR_PREV_CABINET: u16 = 0x0001;

/// The cabinets of an MSI/MSP, in the order [`extract`] reads them. External cabinets are
/// listed without being opened.
pub fn cabinets(reader: Box<dyn ReadSeek>, origin: &Origin) -> Result<Vec<CabinetSource>, Error> {
    let mut package = Package::open(reader, origin)?;
    package.cabinets(origin)
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
    let mut package = Package::open(reader, origin)?;
    let sources = package.cabinets(origin)?;
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
                let stream = package.open_stream(&name, &child)?;
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
    package: &'a mut Package,
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

/// An opened compound file and its root streams.
struct Package {
    comp: cfb::CompoundFile<Box<dyn ReadSeek>>,
    streams: Vec<StreamName>,
}

impl Package {
    fn open(reader: Box<dyn ReadSeek>, origin: &Origin) -> Result<Package, Error> {
        let comp = cfb::CompoundFile::open(reader).map_err(|e| cfb_error(origin, e))?;
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
        Ok(Package { comp, streams })
    }

    fn open_stream(&mut self, name: &str, origin: &Origin) -> Result<Box<dyn ReadSeek>, Error> {
        let path = self
            .streams
            .iter()
            .find(|s| !s.is_table && s.name == name)
            .map(|s| s.path.clone())
            .ok_or_else(|| {
                cfb_error(
                    origin,
                    io::Error::new(io::ErrorKind::NotFound, "stream vanished"),
                )
            })?;
        let stream = self
            .comp
            .open_stream(&path)
            .map_err(|e| cfb_error(origin, e))?;
        Ok(Box::new(stream))
    }

    fn table(&self, name: &str) -> Option<&StreamName> {
        self.streams.iter().find(|s| s.is_table && s.name == name)
    }

    /// Reads a whole table stream (bounded by [`MAX_TABLE_BYTES`]); `None` when absent.
    fn read_table_stream(
        &mut self,
        table: &'static str,
        stream: &'static str,
        origin: &Origin,
    ) -> Result<Option<Vec<u8>>, Error> {
        let Some(s) = self.table(stream) else {
            return Ok(None);
        };
        if s.len > MAX_TABLE_BYTES {
            return Err(table_error(
                origin,
                table,
                TableProblem::TooLarge {
                    len: s.len,
                    limit: MAX_TABLE_BYTES,
                },
            ));
        }
        let path = s.path.clone();
        let mut buf = Vec::new();
        self.comp
            .open_stream(&path)
            .and_then(|st| st.take(MAX_TABLE_BYTES).read_to_end(&mut buf))
            .map_err(|e| cfb_error(origin, e))?;
        Ok(Some(buf))
    }

    /// The Media table's `(DiskId, Cabinet)` rows, sorted by DiskId; empty when there is none
    /// (patches and transforms carry no Media table of their own).
    fn media(&mut self, origin: &Origin) -> Result<Vec<(i32, Option<String>)>, Error> {
        if self.table("Media").is_none() {
            return Ok(Vec::new());
        }
        let Some(pool) = self.read_table_stream("_StringPool", "_StringPool", origin)? else {
            return Ok(Vec::new());
        };
        let data = self
            .read_table_stream("_StringData", "_StringData", origin)?
            .unwrap_or_default();
        let strings =
            StringPool::new(&pool, data).map_err(|p| table_error(origin, "_StringPool", p))?;
        let Some(columns) = self.read_table_stream("_Columns", "_Columns", origin)? else {
            return Ok(Vec::new());
        };
        let layout =
            media_layout(&columns, &strings).map_err(|p| table_error(origin, "_Columns", p))?;
        let Some(media) = self.read_table_stream("Media", "Media", origin)? else {
            return Ok(Vec::new());
        };
        let mut rows =
            read_media(&media, &layout, &strings).map_err(|p| table_error(origin, "Media", p))?;
        rows.sort_by_key(|&(disk, _)| disk);
        Ok(rows)
    }

    /// Every cabinet, in extraction order (see the module docs).
    fn cabinets(&mut self, origin: &Origin) -> Result<Vec<CabinetSource>, Error> {
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
                Err(e) => return Err(cfb_error(origin, e)),
            };
            let head = read_head(&mut stream).map_err(|e| cfb_error(origin, e))?;
            if head.is_some_and(|h| {
                h.starts_with(b"MSCF\0\0\0\0") && u16_at(&h, 30) & CFHDR_PREV_CABINET == 0
            }) {
                embedded.push(name);
            }
        }

        let mut out = Vec::new();
        for (disk_id, cabinet) in self.media(origin)? {
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

fn cfb_error(origin: &Origin, e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::InvalidData
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::NotFound => Error::format(origin, MsiError::CompoundFile { source: e }),
        _ => Error::reading(origin, e),
    }
}

fn table_error(origin: &Origin, table: &'static str, problem: TableProblem) -> Error {
    Error::format(origin, MsiError::Table { table, problem })
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    let mut v = [0u8; 2];
    if let Some(s) = b.get(at..at.saturating_add(2)) {
        v.copy_from_slice(s);
    }
    u16::from_le_bytes(v)
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

/// The database string pool: `_StringPool` (codepage, then a length and refcount per string)
/// over `_StringData` (the strings, concatenated).
struct StringPool {
    data: Vec<u8>,
    /// `(start, len)` in `data` of string `n + 1`.
    spans: Vec<(usize, usize)>,
    long_refs: bool,
    utf8: bool,
}

impl StringPool {
    fn new(pool: &[u8], data: Vec<u8>) -> Result<StringPool, TableProblem> {
        let header = pool.get(0..4).ok_or(TableProblem::StringPoolTruncated)?;
        let codepage = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let long_refs = codepage & 0x8000_0000 != 0;
        let utf8 = codepage & 0x7fff_ffff == 65001;
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
            utf8,
        })
    }

    fn ref_width(&self) -> usize {
        if self.long_refs { 3 } else { 2 }
    }

    /// String `reference` (1-based; 0 is null).
    fn get(&self, reference: u32) -> Result<Option<String>, TableProblem> {
        if reference == 0 {
            return Ok(None);
        }
        let out_of_range = TableProblem::StringOutOfRange { reference };
        let index = usize::try_from(reference - 1).map_err(|_| out_of_range.clone())?;
        let &(start, len) = self.spans.get(index).ok_or(out_of_range.clone())?;
        let bytes = self.data.get(start..start + len).ok_or(out_of_range)?;
        // Non-UTF-8 codepages are decoded as Latin-1: exact for ASCII, which cabinet and
        // table names are in practice.
        Ok(Some(if self.utf8 {
            String::from_utf8_lossy(bytes).into_owned()
        } else {
            bytes.iter().map(|&b| char::from(b)).collect()
        }))
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

/// Column type bits (Wine `msipriv.h`: MSITYPE_*).
const TYPE_VALID: u16 = 0x0100;
const TYPE_STRING: u16 = 0x0800;
const TYPE_NULLABLE: u16 = 0x1000;

/// The byte width of a column of type `bits` (Wine `bytes_per_column`).
fn column_width(bits: u16, ref_width: usize) -> Result<usize, TableProblem> {
    if bits & !TYPE_NULLABLE == TYPE_STRING | TYPE_VALID {
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

/// Where the Media table's columns are: `(width, kind)` per column and the indexes of
/// DiskId and Cabinet.
#[derive(Debug)]
struct MediaLayout {
    widths: Vec<usize>,
    disk_id: usize,
    cabinet: usize,
}

/// Reads `_Columns` (Table s, Number i2, Name s, Type i2; stored column by column) for the
/// Media table's layout.
fn media_layout(columns: &[u8], strings: &StringPool) -> Result<MediaLayout, TableProblem> {
    let rw = strings.ref_width();
    let row = 2 * rw + 4;
    let rows = columns.len() / row;
    let (table_at, number_at, name_at, type_at) =
        (0, rows * rw, rows * (rw + 2), rows * (2 * rw + 2));
    let mut media: Vec<(u16, String, u16)> = Vec::new();
    for i in 0..rows {
        let table = strings.get(strings.read_ref(columns, table_at + i * rw))?;
        if table.as_deref() != Some("Media") {
            continue;
        }
        let number = u16_at(columns, number_at + i * 2) ^ 0x8000;
        let name = strings
            .get(strings.read_ref(columns, name_at + i * rw))?
            .unwrap_or_default();
        let bits = u16_at(columns, type_at + i * 2) ^ 0x8000;
        media.push((number, name, bits));
    }
    media.sort_by_key(|c| c.0);
    let mut widths = Vec::with_capacity(media.len());
    for &(_, _, bits) in &media {
        widths.push(column_width(bits, rw)?);
    }
    let find = |column: &'static str| {
        media
            .iter()
            .position(|c| c.1 == column)
            .ok_or(TableProblem::MissingColumn { column })
    };
    let (disk_id, cabinet) = (find("DiskId")?, find("Cabinet")?);
    let disk_bits = media.get(disk_id).map_or(0, |c| c.2);
    if disk_bits & TYPE_STRING != 0 {
        return Err(TableProblem::ColumnType {
            column: "DiskId",
            bits: disk_bits,
        });
    }
    let cab_bits = media.get(cabinet).map_or(0, |c| c.2);
    if cab_bits & TYPE_STRING == 0 || cab_bits & !TYPE_NULLABLE == TYPE_STRING | TYPE_VALID {
        return Err(TableProblem::ColumnType {
            column: "Cabinet",
            bits: cab_bits,
        });
    }
    Ok(MediaLayout {
        widths,
        disk_id,
        cabinet,
    })
}

/// Reads the `(DiskId, Cabinet)` of every Media row (columns stored one after the other).
fn read_media(
    media: &[u8],
    layout: &MediaLayout,
    strings: &StringPool,
) -> Result<Vec<(i32, Option<String>)>, TableProblem> {
    let row: usize = layout.widths.iter().sum();
    if row == 0 {
        return Ok(Vec::new());
    }
    let rows = media.len() / row;
    let column_start =
        |index: usize| -> usize { layout.widths.iter().take(index).sum::<usize>() * rows };
    let disk_width = layout.widths.get(layout.disk_id).copied().unwrap_or(2);
    let (disk_at, cab_at) = (column_start(layout.disk_id), column_start(layout.cabinet));
    let rw = strings.ref_width();
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let disk = if disk_width == 4 {
            let at = disk_at + i * 4;
            let raw = u32::from(u16_at(media, at)) | (u32::from(u16_at(media, at + 2)) << 16);
            i32::from_le_bytes((raw ^ 0x8000_0000).to_le_bytes())
        } else {
            i32::from(i16::from_le_bytes(
                (u16_at(media, disk_at + i * 2) ^ 0x8000).to_le_bytes(),
            ))
        };
        let cabinet = strings.get(strings.read_ref(media, cab_at + i * rw))?;
        out.push((disk, cabinet));
    }
    Ok(out)
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
}
