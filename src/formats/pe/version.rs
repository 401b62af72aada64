//! The version resource of an executable (VS_VERSIONINFO): its fixed versions and the strings
//! of its first StringTable (learn.microsoft.com "VS_VERSIONINFO structure").

use super::{u16_at, u32_at};
use crate::model::Build;

/// Upper bound on children visited per version-resource block.
const MAX_VERSION_CHILDREN: usize = 1024;
/// VS_FIXEDFILEINFO.dwSignature.
const FIXED_FILE_INFO_SIGNATURE: u32 = 0xFEEF_04BD;

/// The strings and numbers of a VS_VERSIONINFO resource.
///
/// Strings are those of the first StringTable of the StringFileInfo, exactly as written
/// (`"9.0.30729.01"` stays so); empty values are `None`. The fixed versions come from
/// VS_FIXEDFILEINFO, which can differ from the strings (a packer stub's own version).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct VersionInfo {
    pub file_version: Option<String>,
    pub product_version: Option<String>,
    pub fixed_file_version: Option<Build>,
    pub fixed_product_version: Option<Build>,
    pub product_name: Option<String>,
    pub company_name: Option<String>,
    pub file_description: Option<String>,
    pub original_filename: Option<String>,
    pub internal_name: Option<String>,
    pub legal_copyright: Option<String>,
    /// The language of the first StringTable: the LCID in its key's first four hex digits
    /// (`040904b0` → 0x0409, en-US; "StringTable structure", szKey). 0 is language-neutral.
    #[serde(skip)]
    pub language_id: Option<u16>,
}

/// One block of a version resource: `wLength`, `wValueLength`, `wType`, `szKey`, padding,
/// `Value`, padding, `Children` (VS_VERSIONINFO, StringFileInfo, StringTable, String,
/// VarFileInfo and Var all share this layout; learn.microsoft.com "VS_VERSIONINFO structure"
/// and "String structure").
#[derive(Debug)]
struct VersionBlock<'a> {
    key: String,
    /// `wValueLength`: bytes for binary values, WORDs (UTF-16 units) for text values.
    value_len: usize,
    is_text: bool,
    /// From the value's first byte to the end of the block (value, padding, children).
    rest: &'a [u8],
    /// Offset of `rest` inside the whole resource (alignment is relative to its start).
    rest_at: usize,
}

/// Rounds `at` up to the next 32-bit boundary ("Padding: as many zero words as necessary
/// to align the next member on a 32-bit boundary").
fn align4(at: usize) -> usize {
    at.saturating_add(3) & !3
}

/// Parses the block starting at `at` of `res` (the whole resource); `None` when it does
/// not fit. Returns the block and the offset just past it.
fn version_block(res: &[u8], at: usize) -> Option<(VersionBlock<'_>, usize)> {
    let length = usize::from(u16_at(res, at));
    let end = at.checked_add(length)?;
    // wLength, wValueLength, wType and at least the key's terminating NUL.
    if length < 8 || end > res.len() {
        return None;
    }
    let block = res.get(at..end)?;
    let value_len = usize::from(u16_at(block, 2));
    let is_text = u16_at(block, 4) == 1;
    let mut key_units = Vec::new();
    let mut pos = 6;
    loop {
        let unit = block.get(pos..pos + 2)?;
        pos += 2;
        let unit = u16::from_le_bytes([unit[0], unit[1]]);
        if unit == 0 {
            break;
        }
        key_units.push(unit);
    }
    let value_at = align4(at + pos).min(end);
    Some((
        VersionBlock {
            key: String::from_utf16_lossy(&key_units),
            value_len,
            is_text,
            rest: res.get(value_at..end)?,
            rest_at: value_at,
        },
        end,
    ))
}

impl<'a> VersionBlock<'a> {
    /// The value bytes: `wValueLength` bytes (binary) or WORDs (text), clamped to the block.
    fn value(&self) -> &'a [u8] {
        let len = if self.is_text {
            self.value_len.saturating_mul(2)
        } else {
            self.value_len
        };
        self.rest
            .get(..len.min(self.rest.len()))
            .unwrap_or_default()
    }

    /// The child blocks: after the value, each on a 32-bit boundary.
    fn children(&self, res: &'a [u8]) -> Vec<VersionBlock<'a>> {
        let end = self.rest_at + self.rest.len();
        let mut at = align4(self.rest_at + self.value().len());
        let mut out = Vec::new();
        while at < end && out.len() < MAX_VERSION_CHILDREN {
            let Some(within) = res.get(..end) else {
                break;
            };
            let Some((child, next)) = version_block(within, at) else {
                break;
            };
            out.push(child);
            at = align4(next);
        }
        out
    }

    /// A String's value as written: UTF-16 up to the first NUL. `wValueLength` counts WORDs
    /// including the NUL, but some linkers store a byte count or 0; the text then runs to
    /// the NUL or the block's end, whichever comes first.
    fn text(&self) -> String {
        let units: Vec<u16> = self
            .rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0)
            .collect();
        String::from_utf16_lossy(&units)
    }
}

/// Parses a VS_VERSIONINFO; `None` when its root block is not one.
pub(super) fn parse_version_info(res: &[u8]) -> Option<VersionInfo> {
    let (root, _) = version_block(res, 0)?;
    if root.key != "VS_VERSION_INFO" {
        return None;
    }
    let mut info = VersionInfo::default();
    // VS_FIXEDFILEINFO: signature, struct version, file MS/LS, product MS/LS, …
    let fixed = root.value();
    if fixed.len() >= 24 && u32_at(fixed, 0) == FIXED_FILE_INFO_SIGNATURE {
        let build = |ms: u32, ls: u32| Build([ms >> 16, ms & 0xffff, ls >> 16, ls & 0xffff]);
        info.fixed_file_version = Some(build(u32_at(fixed, 8), u32_at(fixed, 12)));
        info.fixed_product_version = Some(build(u32_at(fixed, 16), u32_at(fixed, 20)));
    }
    let string_file_info = root
        .children(res)
        .into_iter()
        .find(|c| c.key == "StringFileInfo");
    // The first StringTable (key: language and code page as 8 hex digits).
    if let Some(table) = string_file_info.and_then(|s| s.children(res).into_iter().next()) {
        info.language_id = table
            .key
            .get(..4)
            .and_then(|k| u16::from_str_radix(k, 16).ok());
        for string in table.children(res) {
            let value = string.text();
            if value.is_empty() {
                continue;
            }
            let slot = match string.key.to_ascii_lowercase().as_str() {
                "fileversion" => &mut info.file_version,
                "productversion" => &mut info.product_version,
                "productname" => &mut info.product_name,
                "companyname" => &mut info.company_name,
                "filedescription" => &mut info.file_description,
                "originalfilename" => &mut info.original_filename,
                "internalname" => &mut info.internal_name,
                "legalcopyright" => &mut info.legal_copyright,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value);
            }
        }
    }
    Some(info)
}
