//! Database tables: cells and columns, the string pool, and decoding a table stream stored
//! column by column (Wine `dlls/msi/table.c`, `string.c`).

use super::{MAX_TABLE_CELLS, MsiError, TableProblem};
use crate::formats::bytes::{u16_at, u32_at};

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

    pub(super) fn require(&self, column: &'static str) -> Result<usize, MsiError> {
        self.column(column).ok_or_else(|| MsiError::Table {
            table: self.name.clone(),
            problem: TableProblem::MissingColumn { column },
        })
    }
}

/// The database string pool: `_StringPool` (code page, then a length and refcount per string)
/// over `_StringData` (the strings, concatenated) (Wine `msi_load_string_table`).
pub(super) struct StringPool {
    data: Vec<u8>,
    /// `(start, len)` in `data` of string `n + 1`.
    spans: Vec<(usize, usize)>,
    long_refs: bool,
    codepage: u32,
}

impl StringPool {
    pub(super) fn new(pool: &[u8], data: Vec<u8>) -> Result<StringPool, TableProblem> {
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

    pub(super) fn ref_width(&self) -> usize {
        if self.long_refs { 3 } else { 2 }
    }

    /// String `reference` (1-based; 0 is null), decoded with the pool's code page.
    pub(super) fn get(&self, reference: u32) -> Result<Option<String>, TableProblem> {
        if reference == 0 {
            return Ok(None);
        }
        let out_of_range = TableProblem::StringOutOfRange { reference };
        let index = usize::try_from(reference - 1).map_err(|_| out_of_range.clone())?;
        let &(start, len) = self.spans.get(index).ok_or(out_of_range.clone())?;
        let bytes = self.data.get(start..start + len).ok_or(out_of_range)?;
        Ok(Some(decode_codepage(bytes, self.codepage)))
    }

    pub(super) fn read_ref(&self, b: &[u8], at: usize) -> u32 {
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
pub(super) const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
];

/// Decodes `bytes` in Windows code page `codepage`: UTF-8 (65001), UTF-16LE (1200),
/// Windows-1252 (1252, and 0 = neutral), ISO-8859-1 (28591). Other code pages decode their
/// ASCII exactly and every other byte as U+FFFD (no conversion tables are carried).
pub(super) fn decode_codepage(bytes: &[u8], codepage: u32) -> String {
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
pub(super) const TYPE_VALID: u16 = 0x0100;
pub(super) const TYPE_LOCALIZABLE: u16 = 0x0200;
pub(super) const TYPE_STRING: u16 = 0x0800;
pub(super) const TYPE_NULLABLE: u16 = 0x1000;
pub(super) const TYPE_TEMPORARY: u16 = 0x4000;

/// A stream column (Wine `MSITYPE_IS_BINARY`).
pub(super) fn is_binary(bits: u16) -> bool {
    bits & !TYPE_NULLABLE == TYPE_STRING | TYPE_VALID
}

/// The byte width of a column of type `bits` (Wine `bytes_per_column`).
pub(super) fn column_width(bits: u16, ref_width: usize) -> Result<usize, TableProblem> {
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
pub(super) fn decode_rows(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
