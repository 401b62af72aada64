//! The summary-information property set of a package (MS-OLEPS; Windows Installer "Summary
//! Information Stream Property Set").

use std::fmt;

use super::SummaryProblem;
use super::table::decode_codepage;
use crate::formats::bytes::{u16_at, u32_at};

/// A FILETIME: 100-nanosecond intervals since 1601-01-01 UTC (MS-DTYP 2.3.3).
///
/// Serialised as RFC 3339 UTC to the second (`"2009-10-27T12:00:00Z"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileTime(pub u64);

/// Seconds from 1601-01-01 to 1970-01-01.
pub(super) const FILETIME_UNIX_EPOCH: i64 = 11_644_473_600;

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

// ---------------------------------------------------------------- summary information

/// FMTID_SummaryInformation `{F29F85E0-4FF9-1068-AB91-08002B27B3D9}` as stored (MS-OLEPS
/// 2.3 GUID: the first three fields little-endian).
pub(super) const FMTID_SUMMARY: [u8; 16] = [
    0xe0, 0x85, 0x9f, 0xf2, 0xf9, 0x4f, 0x68, 0x10, 0xab, 0x91, 0x08, 0x00, 0x2b, 0x27, 0xb3, 0xd9,
];
/// Property types (MS-OLEPS 2.15 PropertyType).
pub(super) const VT_I2: u16 = 0x0002;
pub(super) const VT_I4: u16 = 0x0003;
pub(super) const VT_LPSTR: u16 = 0x001E;
pub(super) const VT_LPWSTR: u16 = 0x001F;
pub(super) const VT_FILETIME: u16 = 0x0040;
/// PID_CODEPAGE (MS-OLEPS 2.18.1).
pub(super) const PID_CODEPAGE: u32 = 1;

/// Parses a summary-information property set (MS-OLEPS 2.21 PropertySetStream): header
/// (byte order 0xFFFE, version, system id, CLSID, set count), then FMTID/offset of the first
/// set, whose section (2.20 PropertySet) holds its size, property count, id/offset pairs
/// (offsets from the section start) and the typed values (2.15 TypedPropertyValue).
/// Properties of unexpected types are skipped, as Windows Installer does not write them.
pub(super) fn parse_summary(b: &[u8]) -> Result<SummaryInfo, SummaryProblem> {
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
