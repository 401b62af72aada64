//! The compound file of an MSI/MSP/MST: its root streams, string pool and `_Columns`, and
//! any table decoded from them (Wine `dlls/msi/table.c`).

use std::fmt;
use std::io::{self, Read};
use std::path::PathBuf;

use super::facts::PackageKind;
use super::summary::{SummaryInfo, parse_summary};
use super::table::{
    ColumnKind, StringPool, TYPE_STRING, Table, TableColumn, decode_rows, is_binary,
};
use super::{
    MAX_SUMMARY_BYTES, MAX_TABLE_BYTES, MsiError, SUMMARY_STREAM, SummaryProblem, TableProblem,
};
use crate::formats::ReadSeek;
use crate::formats::bytes::u16_at;

/// One stream of the root storage.
#[derive(Clone, Debug)]
pub(super) struct StreamName {
    /// Decoded name (`putty.cab`, `Media`, `\u{5}SummaryInformation`).
    pub(super) name: String,
    /// Whether the stream holds a database table.
    pub(super) is_table: bool,
    /// The path to open it by in the compound file.
    pub(super) path: PathBuf,
    pub(super) len: u64,
}

/// A column definition from `_Columns`, before its name is needed.
#[derive(Clone, Copy, Debug)]
pub(super) struct ColumnRow {
    table: u32,
    number: u16,
    name: u32,
    bits: u16,
}

/// An opened MSI/MSP/MST: its root streams, and (once needed) its string pool and column
/// definitions.
pub struct Database {
    pub(super) comp: cfb::CompoundFile<Box<dyn ReadSeek>>,
    pub(super) streams: Vec<StreamName>,
    /// `None` until loaded; `Some(None)` when the package has no string pool.
    pub(super) strings: Option<Option<StringPool>>,
    /// `_Columns`, undecoded (`None` until loaded; `Some(None)` when absent).
    pub(super) columns: Option<Option<Vec<ColumnRow>>>,
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

    pub(super) fn open_stream(&mut self, name: &str) -> Result<Box<dyn ReadSeek>, MsiError> {
        let path = self
            .streams
            .iter()
            .find(|s| !s.is_table && s.name == name)
            .map(|s| s.path.clone())
            .ok_or_else(|| cfb_error(io::Error::new(io::ErrorKind::NotFound, "stream vanished")))?;
        let stream = self.comp.open_stream(&path).map_err(cfb_error)?;
        Ok(Box::new(stream))
    }
}

/// Reads a whole table stream (bounded by [`MAX_TABLE_BYTES`]); `None` when absent.
pub(super) fn read_table_bytes(
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

pub(super) fn cfb_error(e: io::Error) -> MsiError {
    match e.kind() {
        io::ErrorKind::InvalidData
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::NotFound => MsiError::CompoundFile { source: e },
        _ => MsiError::Read { source: e },
    }
}

/// Decodes an MSI stream name: characters U+3800..U+4840 pack one or two characters of the
/// alphabet `0-9A-Za-z._` (U+4840 alone marks a table). Returns the name and whether it is
/// a table (as Wine's `decode_streamname` and the `msi` crate do).
pub(super) fn decode_stream_name(raw: &str) -> (String, bool) {
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
}
