//! PE/COFF executables: where a self-extracting package keeps its payload (resources, overlay,
//! appended zip).
//!
//! Only headers and small records are read, with seeks: packages run to hundreds of MB.
//! References are to the Microsoft "PE Format" specification (learn.microsoft.com,
//! `windows/win32/debug/pe-format`), cited as "PE spec §…".
//!
//! Malformed input never makes [`locate`] or [`facts`] fail or panic: whatever cannot be parsed
//! is simply not reported. Only a genuine I/O error of the reader is an `Err`. [`truncation`]
//! is the exception that makes a cut download damage: the headers declare parts (sections,
//! the certificate table) that the file does not reach.

mod version;

use std::collections::HashSet;
use std::io::{self, SeekFrom};

use crate::formats::bytes::{u16_at, u32_at, u64_at};
use crate::formats::{Format, ReadSeek};
use crate::model::{Arch, OriginStep};

pub use version::VersionInfo;
use version::parse_version_info;

/// Something wrong with an executable, or no payload in it.
#[derive(Debug, thiserror::Error)]
pub enum PeError {
    #[error("no cabinet or archive found in executable")]
    NoPayload,
    /// The headers declare data past the end of the file: a cut download.
    #[error("truncated executable: {part} end at byte {end}, but the file has {len} bytes")]
    Truncated {
        part: &'static str,
        end: u64,
        len: u64,
    },
}

/// An archive embedded in an executable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embedded {
    pub offset: u64,
    pub len: u64,
    pub format: Format,
    pub step: OriginStep,
}

/// `RT_RCDATA` (PE spec §"Resource Types" / winuser.h).
const RT_RCDATA: u32 = 10;
/// A resource tree has three levels: type, name, language (PE spec §6.9 ".rsrc Section").
const MAX_RESOURCE_DEPTH: u32 = 3;
/// Upper bound on resource directory entries visited, whatever the tree claims.
const MAX_RESOURCE_ENTRIES: u32 = 16_384;
/// Upper bound on section headers read (the Windows loader accepts at most 96).
const MAX_SECTIONS: u16 = 96;
/// End-of-central-directory record: fixed part and maximum comment (APPNOTE 4.3.16).
const EOCD_LEN: u64 = 22;
const EOCD_MAX_COMMENT: u64 = 0xFFFF;

const CAB_MAGIC: &[u8; 8] = b"MSCF\0\0\0\0";
const ZIP_LOCAL: &[u8; 4] = b"PK\x03\x04";

/// Archives in the PE's resources (IExpress `CABINET`), appended after its image (overlay),
/// or a zip appended to it (hotfix `_zip.exe` wrappers), found through headers only.
///
/// `len` is the length of `r`. Returns the archives found, in this order: resources (tree
/// order), then archives after the image; spans starting at the same offset are reported once.
/// Cabinets stored raw elsewhere (e.g. inside `.rsrc` but outside any resource entry, as
/// Microsoft's `sfxcab` stub does) are left to `cab::scan`.
pub fn locate(r: &mut dyn ReadSeek, len: u64) -> io::Result<Vec<Embedded>> {
    let mut found = Vec::new();
    let Some(image) = Headers::read(r, len)? else {
        return Ok(found);
    };
    resources(r, len, &image, &mut found)?;
    appended(r, len, &image, &mut found)?;

    let mut seen = HashSet::new();
    found.retain(|e| seen.insert(e.offset));
    Ok(found)
}

/// Where an executable that really is a PE ends before what its headers declare: the COFF
/// header, the optional header, the section table, a section's raw data, or the certificate
/// table (PE spec §2–§5.7). `None` for a complete file, and for a file that does not claim to
/// be a PE at all (see [`pe_signature_at`]): an MS-DOS program, or anything else starting
/// with `MZ`, is a plain file, never a cut executable.
pub fn truncation(r: &mut dyn ReadSeek, len: u64) -> io::Result<Option<PeError>> {
    let cut = |part, end: u64| Some(PeError::Truncated { part, end, len });
    let Some(pe) = pe_signature_at(r, len)? else {
        return Ok(None);
    };
    let coff_end = pe + 24;
    let Some(coff) = read_array::<24>(r, len, pe)? else {
        return Ok(cut("the COFF header", coff_end));
    };
    let optional_end = coff_end + u64::from(u16_at(&coff, 20));
    if optional_end > len {
        return Ok(cut("the optional header", optional_end));
    }
    let table_end = optional_end + u64::from(u16_at(&coff, 6).min(MAX_SECTIONS)) * 40;
    if table_end > len {
        return Ok(cut("the section table", table_end));
    }
    let Some(image) = Headers::read(r, len)? else {
        return Ok(None);
    };
    if image.image_end > len {
        return Ok(cut("the sections' raw data", image.image_end));
    }
    if let Some((offset, size)) = image.certificate() {
        let end = offset.saturating_add(size);
        if end > len {
            return Ok(cut("the certificate table", end));
        }
    }
    Ok(None)
}

/// Where the PE signature is, when the file really claims to be a PE: an MS-DOS header
/// (`MZ`, 64 bytes) whose `e_lfanew` (offset 0x3c, PE spec §2.1) points at `PE\0\0` inside
/// the file. An MS-DOS program keeps code or data in that field (its value may point far
/// past the end), so anything else is not a PE.
pub(crate) fn pe_signature_at(r: &mut dyn ReadSeek, len: u64) -> io::Result<Option<u64>> {
    let Some(dos) = read_array::<0x40>(r, len, 0)? else {
        return Ok(None);
    };
    if !dos.starts_with(b"MZ") {
        return Ok(None);
    }
    let pe = u64::from(u32_at(&dos, 0x3c));
    let Some(signature) = read_array::<4>(r, len, pe)? else {
        return Ok(None);
    };
    Ok((&signature == b"PE\0\0").then_some(pe))
}

/// What the headers and resources of an executable say about it (no payload search).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PeFacts {
    /// COFF `Machine`: 0x14c x86, 0x8664 x64, 0x200 ia64; `None` for any other machine.
    pub machine: Option<Arch>,
    /// The first RT_VERSION resource (first name, first language), when one parses.
    pub version: Option<VersionInfo>,
    /// The certificate table (data directory 4), when it is non-empty and lies inside the
    /// file: an Authenticode signature is present (not verified here).
    pub signature: Option<CertificateTable>,
}

/// Where the attribute certificate table is (PE spec §5.7): a file offset, not an RVA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CertificateTable {
    pub offset: u64,
    pub size: u64,
}

/// Reads the facts of a PE: machine, version resource, certificate table. `len` is the length
/// of `r`. `Ok(None)` when `r` is not a PE image; only the headers, the resource directory
/// entries on the way to RT_VERSION and that resource (at most 64 KiB) are read.
pub fn facts(r: &mut dyn ReadSeek, len: u64) -> io::Result<Option<PeFacts>> {
    let Some(image) = Headers::read(r, len)? else {
        return Ok(None);
    };
    let machine = match image.machine {
        0x014c => Some(Arch::X86),
        0x8664 => Some(Arch::X64),
        0x0200 => Some(Arch::Ia64),
        _ => None,
    };
    let signature = image
        .certificate()
        .filter(|&(offset, size)| offset.checked_add(size).is_some_and(|end| end <= len))
        .map(|(offset, size)| CertificateTable { offset, size });
    let version = match version_resource(r, len, &image)? {
        Some(bytes) => parse_version_info(&bytes),
        None => None,
    };
    Ok(Some(PeFacts {
        machine,
        version,
        signature,
    }))
}

/// `RT_VERSION` (winuser.h): the VS_VERSIONINFO resource.
const RT_VERSION: u32 = 16;
/// A VS_VERSIONINFO is at most 65,535 bytes: its `wLength` is a WORD.
const MAX_VERSION_RESOURCE: u64 = 0xFFFF;

/// The bytes of the first RT_VERSION resource: the first name entry under type 16, its first
/// language entry (PE spec §6.9: entries are sorted, names before IDs).
fn version_resource(
    r: &mut dyn ReadSeek,
    len: u64,
    image: &Headers,
) -> io::Result<Option<Vec<u8>>> {
    let Some((rva, _)) = image.resource else {
        return Ok(None);
    };
    let Some((base, avail)) = image.rva_to_offset(rva) else {
        return Ok(None);
    };
    let mut walk = ResourceWalk {
        base,
        avail,
        len,
        visited: HashSet::new(),
        entries: 0,
    };
    let types = walk.entries(r, 0)?;
    let Some(&(_, names_at)) = types
        .iter()
        .find(|&&(name, target)| name == RT_VERSION && target & 0x8000_0000 != 0)
    else {
        return Ok(None);
    };
    let names = walk.entries(r, names_at & 0x7fff_ffff)?;
    let Some(&(_, langs_at)) = names.iter().find(|&&(_, t)| t & 0x8000_0000 != 0) else {
        return Ok(None);
    };
    let langs = walk.entries(r, langs_at & 0x7fff_ffff)?;
    let Some(&(_, data_at)) = langs.iter().find(|&&(_, t)| t & 0x8000_0000 == 0) else {
        return Ok(None);
    };
    let Some(entry) = walk.bytes::<16>(r, data_at)? else {
        return Ok(None);
    };
    let (data_rva, size) = (u32_at(&entry, 0), u64::from(u32_at(&entry, 4)));
    let Some((offset, raw_left)) = image.rva_to_offset(data_rva) else {
        return Ok(None);
    };
    let size = size
        .min(raw_left)
        .min(MAX_VERSION_RESOURCE)
        .min(len.saturating_sub(offset));
    let mut buf = vec![0u8; usize::try_from(size).unwrap_or(0)];
    Ok(read_at(r, offset, &mut buf)?.then_some(buf))
}

/// Reads `buf.len()` bytes at `offset`; `Ok(false)` when the reader ends first.
fn read_at(r: &mut dyn ReadSeek, offset: u64, buf: &mut [u8]) -> io::Result<bool> {
    r.seek(SeekFrom::Start(offset))?;
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reads `N` bytes at `offset` when they lie inside `[0, len)`.
fn read_array<const N: usize>(
    r: &mut dyn ReadSeek,
    len: u64,
    offset: u64,
) -> io::Result<Option<[u8; N]>> {
    let fits = offset.checked_add(N as u64).is_some_and(|end| end <= len);
    if !fits {
        return Ok(None);
    }
    let mut buf = [0u8; N];
    Ok(read_at(r, offset, &mut buf)?.then_some(buf))
}

/// One section header (PE spec §3 "Section Table"), the fields we need.
#[derive(Clone, Copy, Debug)]
struct Section {
    name: [u8; 8],
    virtual_address: u32,
    virtual_size: u32,
    raw_size: u32,
    raw_pointer: u32,
}

/// What the headers tell about where things are: the one PE header parser, used for payloads,
/// facts, truncation and Authenticode.
#[derive(Debug)]
pub(crate) struct Headers {
    /// COFF `Machine` (PE spec §3.3.1 "Machine Types").
    pub(crate) machine: u16,
    sections: Vec<Section>,
    /// `(rva, size)` of the resource table (data directory 2), when present.
    resource: Option<(u32, u32)>,
    /// File offset of the optional header's `CheckSum` (4 bytes, PE spec §3.4.2).
    pub(crate) checksum_at: u64,
    /// Data directory 4, the Certificate Table entry, as stored (zeros when unsigned); `None`
    /// when the optional header has fewer than five directories.
    pub(crate) certificate_entry: Option<DirectoryEntry>,
    /// First byte after the headers and every section's raw data.
    image_end: u64,
    file_alignment: u32,
}

/// A data directory entry as stored, and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DirectoryEntry {
    /// File offset of the 8-byte entry.
    pub(crate) at: u64,
    /// The entry's address. For the certificate table "the address is a file pointer"
    /// (PE spec §2.4.1), not an RVA.
    pub(crate) address: u64,
    pub(crate) size: u64,
}

impl Headers {
    /// Reads the headers of a PE image (see [`pe_signature_at`]); `Ok(None)` when `r` is not
    /// one or its optional header is not PE32/PE32+.
    pub(crate) fn read(r: &mut dyn ReadSeek, len: u64) -> io::Result<Option<Headers>> {
        let Some(pe) = pe_signature_at(r, len)? else {
            return Ok(None);
        };
        // Signature (4) + COFF file header (20), PE spec §2.2 and §3.3.
        let Some(coff) = read_array::<24>(r, len, pe)? else {
            return Ok(None);
        };
        let section_count = u16_at(&coff, 6).min(MAX_SECTIONS);
        let optional_size = u16_at(&coff, 20);
        let optional_at = pe + 24;

        // Optional header (PE spec §3.4): magic 0x10b = PE32, 0x20b = PE32+. CheckSum at 64;
        // the data directories follow the Windows-specific fields, at 96 resp. 112.
        let mut optional = vec![0u8; usize::from(optional_size)];
        let optional_end = optional_at + u64::from(optional_size);
        if optional_end > len || !read_at(r, optional_at, &mut optional)? {
            return Ok(None);
        }
        let (count_at, dirs_at) = match u16_at(&optional, 0) {
            0x10b => (92usize, 96usize),
            0x20b => (108, 112),
            _ => return Ok(None),
        };
        let file_alignment = u32_at(&optional, 36);
        let dir_count = u32_at(&optional, count_at);
        // The entry of directory `index`, when the header has it.
        let entry_at = |index: u32| -> Option<usize> {
            if index >= dir_count {
                return None;
            }
            let at = dirs_at.checked_add(usize::try_from(index).ok()?.checked_mul(8)?)?;
            optional.get(at..at.checked_add(8)?)?;
            Some(at)
        };
        let resource = entry_at(2)
            .map(|at| (u32_at(&optional, at), u32_at(&optional, at + 4)))
            .filter(|&(addr, size)| addr != 0 && size != 0);
        let certificate_entry = entry_at(4).map(|at| DirectoryEntry {
            at: optional_at + at as u64,
            address: u64::from(u32_at(&optional, at)),
            size: u64::from(u32_at(&optional, at + 4)),
        });

        // Section table right after the optional header (PE spec §3).
        let table_at = optional_end;
        let mut image_end = table_at + u64::from(section_count) * 40;
        let mut sections = Vec::with_capacity(usize::from(section_count));
        for i in 0..u64::from(section_count) {
            let Some(h) = read_array::<40>(r, len, table_at + i * 40)? else {
                break;
            };
            let mut name = [0u8; 8];
            name.copy_from_slice(&h[..8]);
            let s = Section {
                name,
                virtual_size: u32_at(&h, 8),
                virtual_address: u32_at(&h, 12),
                raw_size: u32_at(&h, 16),
                raw_pointer: u32_at(&h, 20),
            };
            if s.raw_size != 0 {
                let start = u64::from(aligned_pointer(s.raw_pointer, file_alignment));
                image_end = image_end.max(start + u64::from(s.raw_size));
            }
            sections.push(s);
        }
        Ok(Some(Headers {
            machine: u16_at(&coff, 4),
            sections,
            resource,
            checksum_at: optional_at + 64,
            certificate_entry,
            image_end,
            file_alignment,
        }))
    }

    /// `(file offset, raw size)` of the first section called `name`.
    pub(crate) fn section(&self, name: &[u8; 8]) -> Option<(u64, u64)> {
        let s = self.sections.iter().find(|s| &s.name == name)?;
        let at = u64::from(aligned_pointer(s.raw_pointer, self.file_alignment));
        Some((at, u64::from(s.raw_size)))
    }

    /// `(file offset, size)` of the certificate table, when both are non-zero.
    pub(crate) fn certificate(&self) -> Option<(u64, u64)> {
        self.certificate_entry
            .filter(|e| e.address != 0 && e.size != 0)
            .map(|e| (e.address, e.size))
    }

    /// The file offset of `rva` and how many bytes of raw data follow it in its section.
    fn rva_to_offset(&self, rva: u32) -> Option<(u64, u64)> {
        self.sections.iter().find_map(|s| {
            let delta = rva.checked_sub(s.virtual_address)?;
            let extent = s.virtual_size.max(s.raw_size);
            if delta >= extent || delta >= s.raw_size {
                return None;
            }
            let start = u64::from(aligned_pointer(s.raw_pointer, self.file_alignment));
            Some((start + u64::from(delta), u64::from(s.raw_size - delta)))
        })
    }
}

/// The loader rounds `PointerToRawData` down to 512 when the file alignment is at least that
/// (the spec asks for a multiple of FileAlignment; real files are not always so tidy).
fn aligned_pointer(pointer: u32, file_alignment: u32) -> u32 {
    if file_alignment >= 0x200 {
        pointer & !0x1ff
    } else {
        pointer
    }
}

/// A resource directory entry's identifier: a number or a UTF-16 name.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ResId {
    Id(u32),
    Name(String),
}

impl ResId {
    fn label(&self, is_type: bool) -> String {
        match self {
            ResId::Name(n) => n.clone(),
            ResId::Id(RT_RCDATA) if is_type => "RCDATA".to_owned(),
            ResId::Id(id) => format!("#{id}"),
        }
    }
}

/// Walks the resource tree (PE spec §6.9) and records every data entry holding an archive.
fn resources(
    r: &mut dyn ReadSeek,
    len: u64,
    image: &Headers,
    found: &mut Vec<Embedded>,
) -> io::Result<()> {
    let Some((rva, _)) = image.resource else {
        return Ok(());
    };
    let Some((base, avail)) = image.rva_to_offset(rva) else {
        return Ok(());
    };
    let mut walk = ResourceWalk {
        base,
        avail,
        len,
        visited: HashSet::new(),
        entries: 0,
    };
    let mut path = Vec::new();
    walk.directory(r, image, 0, 0, &mut path, found)
}

struct ResourceWalk {
    /// File offset of the root directory; every offset in the tree is relative to it.
    base: u64,
    /// Raw bytes of the section from `base` on.
    avail: u64,
    len: u64,
    /// Directory offsets already walked (a loop guard).
    visited: HashSet<u32>,
    entries: u32,
}

impl ResourceWalk {
    fn bytes<const N: usize>(&self, r: &mut dyn ReadSeek, rel: u32) -> io::Result<Option<[u8; N]>> {
        let end = u64::from(rel) + N as u64;
        if end > self.avail {
            return Ok(None);
        }
        read_array::<N>(r, self.len, self.base + u64::from(rel))
    }

    /// The `(name, target)` pairs of the directory at `rel`, bounded like [`Self::directory`].
    fn entries(&mut self, r: &mut dyn ReadSeek, rel: u32) -> io::Result<Vec<(u32, u32)>> {
        let mut out = Vec::new();
        if !self.visited.insert(rel) {
            return Ok(out);
        }
        let Some(dir) = self.bytes::<16>(r, rel)? else {
            return Ok(out);
        };
        let count = u32::from(u16_at(&dir, 12)) + u32::from(u16_at(&dir, 14));
        for i in 0..count {
            if self.entries >= MAX_RESOURCE_ENTRIES {
                break;
            }
            self.entries += 1;
            let Some(at) = rel
                .checked_add(16)
                .and_then(|a| a.checked_add(i.checked_mul(8)?))
            else {
                break;
            };
            let Some(entry) = self.bytes::<8>(r, at)? else {
                break;
            };
            out.push((u32_at(&entry, 0), u32_at(&entry, 4)));
        }
        Ok(out)
    }

    fn directory(
        &mut self,
        r: &mut dyn ReadSeek,
        image: &Headers,
        rel: u32,
        depth: u32,
        path: &mut Vec<ResId>,
        found: &mut Vec<Embedded>,
    ) -> io::Result<()> {
        if depth >= MAX_RESOURCE_DEPTH || !self.visited.insert(rel) {
            return Ok(());
        }
        // IMAGE_RESOURCE_DIRECTORY: 16 bytes, named entries then ID entries (8 bytes each).
        let Some(dir) = self.bytes::<16>(r, rel)? else {
            return Ok(());
        };
        let count = u32::from(u16_at(&dir, 12)) + u32::from(u16_at(&dir, 14));
        for i in 0..count {
            if self.entries >= MAX_RESOURCE_ENTRIES {
                return Ok(());
            }
            self.entries += 1;
            let Some(at) = rel
                .checked_add(16)
                .and_then(|a| a.checked_add(i.checked_mul(8)?))
            else {
                return Ok(());
            };
            let Some(entry) = self.bytes::<8>(r, at)? else {
                return Ok(());
            };
            let (name, target) = (u32_at(&entry, 0), u32_at(&entry, 4));
            // High bit of the name: offset of a length-prefixed UTF-16 string; else an ID.
            let id = if name & 0x8000_0000 != 0 {
                match self.name(r, name & 0x7fff_ffff)? {
                    Some(n) => ResId::Name(n),
                    None => continue,
                }
            } else {
                ResId::Id(name)
            };
            path.push(id);
            // High bit of the target: a subdirectory; else a data entry.
            if target & 0x8000_0000 != 0 {
                self.directory(r, image, target & 0x7fff_ffff, depth + 1, path, found)?;
            } else {
                self.data(r, image, target, path, found)?;
            }
            path.pop();
        }
        Ok(())
    }

    fn name(&self, r: &mut dyn ReadSeek, rel: u32) -> io::Result<Option<String>> {
        let Some(n) = self.bytes::<2>(r, rel)? else {
            return Ok(None);
        };
        let chars = u64::from(u16::from_le_bytes(n));
        let start = u64::from(rel) + 2;
        if start + chars * 2 > self.avail {
            return Ok(None);
        }
        let mut raw = vec![0u8; usize::from(u16::from_le_bytes(n)) * 2];
        if !read_at(r, self.base + start, &mut raw)? {
            return Ok(None);
        }
        let units: Vec<u16> = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Ok(Some(String::from_utf16_lossy(&units)))
    }

    /// IMAGE_RESOURCE_DATA_ENTRY: data RVA, size, codepage, reserved.
    fn data(
        &mut self,
        r: &mut dyn ReadSeek,
        image: &Headers,
        rel: u32,
        path: &[ResId],
        found: &mut Vec<Embedded>,
    ) -> io::Result<()> {
        let Some(entry) = self.bytes::<16>(r, rel)? else {
            return Ok(());
        };
        let (rva, size) = (u32_at(&entry, 0), u64::from(u32_at(&entry, 4)));
        let Some((offset, raw_left)) = image.rva_to_offset(rva) else {
            return Ok(());
        };
        if size == 0 || size > raw_left || offset + size > self.len {
            return Ok(());
        }
        let mut head = [0u8; 8];
        let head_len = usize::try_from(size.min(8)).unwrap_or(8);
        if !read_at(r, offset, &mut head[..head_len])? {
            return Ok(());
        }
        let is_cabinet_resource = matches!(path.first(), Some(ResId::Id(RT_RCDATA)))
            && matches!(path.get(1), Some(ResId::Name(n)) if n.eq_ignore_ascii_case("CABINET"));
        let format = if head.starts_with(CAB_MAGIC)
            || (is_cabinet_resource && !head.starts_with(ZIP_LOCAL))
        {
            Format::Cab
        } else if head.starts_with(ZIP_LOCAL) {
            Format::Zip
        } else {
            return Ok(());
        };
        let label = match (path.first(), path.get(1)) {
            (Some(t), Some(n)) => format!("{}/{}", t.label(true), n.label(false)),
            (Some(t), None) => t.label(true),
            _ => return Ok(()),
        };
        found.push(Embedded {
            offset,
            len: size,
            format,
            step: OriginStep::PeResource(label),
        });
        Ok(())
    }
}

/// Archives after the image: a cabinet or zip starting right at the overlay (before or after
/// the certificate table), and a zip located through its end-of-central-directory record.
fn appended(
    r: &mut dyn ReadSeek,
    len: u64,
    image: &Headers,
    found: &mut Vec<Embedded>,
) -> io::Result<()> {
    let start = image.image_end;
    if start >= len {
        return Ok(());
    }
    // The certificate table (PE spec §5.7, "Attribute Certificate Table") normally sits at
    // the very end of the file; payloads may come before or after it.
    let cert = image
        .certificate()
        .filter(|&(off, size)| off >= start && off.checked_add(size).is_some_and(|e| e <= len));
    let mut regions = Vec::with_capacity(2);
    match cert {
        Some((off, size)) => {
            regions.push((start, off));
            regions.push((off + size, len));
        }
        None => regions.push((start, len)),
    }

    // A zip found by its central directory gets the exact span; search before the certificate
    // table as well as at the end of the file.
    for &(_, end) in regions.iter().rev() {
        if let Some(e) = zip_by_end_record(r, end)? {
            found.push(e);
        }
    }
    for &(from, to) in &regions {
        if to <= from {
            continue;
        }
        let Some(head) = read_array::<12>(r, len, from)? else {
            continue;
        };
        if head.starts_with(CAB_MAGIC) {
            // cbCabinet (MS-CAB 2.1.1): trust it when it fits the region.
            let declared = u64::from(u32_at(&head, 8));
            let span = to - from;
            let cab_len = if declared > 0 && declared <= span {
                declared
            } else {
                span
            };
            found.push(Embedded {
                offset: from,
                len: cab_len,
                format: Format::Cab,
                step: OriginStep::Offset(from),
            });
        } else if head.starts_with(ZIP_LOCAL) {
            found.push(Embedded {
                offset: from,
                len: to - from,
                format: Format::Zip,
                step: OriginStep::Offset(from),
            });
        }
    }
    Ok(())
}

/// A zip whose end-of-central-directory record ends at or shortly before `end`: its start is
/// the record's position minus the central directory's size and offset (APPNOTE 4.3.16), so
/// a zip appended to any prefix is found even when the overlay does not begin with it.
fn zip_by_end_record(r: &mut dyn ReadSeek, end: u64) -> io::Result<Option<Embedded>> {
    if end < EOCD_LEN {
        return Ok(None);
    }
    let from = end.saturating_sub(EOCD_LEN + EOCD_MAX_COMMENT);
    let mut tail = vec![0u8; usize::try_from(end - from).unwrap_or(0)];
    if !read_at(r, from, &mut tail)? {
        return Ok(None);
    }
    let last = tail.len().saturating_sub(EOCD_LEN as usize);
    for pos in (0..=last).rev() {
        let Some(rec) = tail.get(pos..pos + EOCD_LEN as usize) else {
            continue;
        };
        if !rec.starts_with(b"PK\x05\x06") {
            continue;
        }
        let comment = u64::from(u16_at(rec, 20));
        let eocd = from + pos as u64;
        let record_end = eocd + EOCD_LEN + comment;
        if record_end > end {
            continue;
        }
        let mut cd_size = u64::from(u32_at(rec, 12));
        let mut cd_offset = u64::from(u32_at(rec, 16));
        let mut cd_end = eocd;
        if cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
            // Zip64: the locator (20 bytes) precedes the record, the zip64 end record (56
            // bytes without extensible data) precedes the locator (APPNOTE 4.3.14-15).
            let Some(z64_at) = eocd.checked_sub(20 + 56) else {
                return Ok(None);
            };
            let mut z64 = [0u8; 76];
            if !read_at(r, z64_at, &mut z64)? || !z64.starts_with(b"PK\x06\x06") {
                return Ok(None);
            }
            if z64.get(56..60) != Some(b"PK\x06\x07".as_slice()) {
                return Ok(None);
            }
            cd_size = u64_at(&z64, 40);
            cd_offset = u64_at(&z64, 48);
            cd_end = z64_at;
        }
        let Some(start) = cd_end
            .checked_sub(cd_size)
            .and_then(|s| s.checked_sub(cd_offset))
        else {
            return Ok(None);
        };
        let mut head = [0u8; 4];
        if start >= eocd || !read_at(r, start, &mut head)? || &head != ZIP_LOCAL {
            return Ok(None);
        }
        return Ok(Some(Embedded {
            offset: start,
            len: record_end - start,
            format: Format::Zip,
            step: OriginStep::Offset(start),
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn garbage_and_truncation_give_nothing() {
        for bytes in [
            &b""[..],
            b"MZ",
            b"MZ\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
            &[0xffu8; 300][..],
        ] {
            let mut c = Cursor::new(bytes.to_vec());
            let found = locate(&mut c, bytes.len() as u64).unwrap();
            assert!(found.is_empty());
        }
        // e_lfanew pointing far past the end.
        let mut dos = vec![0u8; 0x40];
        dos[0..2].copy_from_slice(b"MZ");
        dos[0x3c..0x40].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        let len = dos.len() as u64;
        assert!(locate(&mut Cursor::new(dos), len).unwrap().is_empty());
    }

    #[test]
    fn point3_only_a_file_that_claims_pe_is_parsed_or_cut() {
        // MS-DOS programs: `e_lfanew` past the end, or pointing at bytes that are not `PE\0\0`.
        let mut dos = vec![0x90u8; 0x400];
        dos[..2].copy_from_slice(b"MZ");
        for e_lfanew in [309_100_614u32, 0x200, 0x3fe] {
            dos[0x3c..0x40].copy_from_slice(&e_lfanew.to_le_bytes());
            let len = dos.len() as u64;
            let mut c = Cursor::new(dos.clone());
            assert!(truncation(&mut c, len).unwrap().is_none(), "{e_lfanew:#x}");
            assert!(facts(&mut c, len).unwrap().is_none());
            assert!(locate(&mut c, len).unwrap().is_empty());
        }
        // A PE signature inside the file whose COFF header is cut: a cut executable.
        dos[0x3c..0x40].copy_from_slice(&0x3f0u32.to_le_bytes());
        dos[0x3f0..0x3f4].copy_from_slice(b"PE\0\0");
        let len = dos.len() as u64;
        assert!(matches!(
            truncation(&mut Cursor::new(dos), len).unwrap(),
            Some(PeError::Truncated { .. })
        ));
    }

    #[test]
    fn aligned_pointer_rounds_down_only_for_large_alignment() {
        assert_eq!(aligned_pointer(0x401, 0x200), 0x400);
        assert_eq!(aligned_pointer(0x401, 0x10), 0x401);
    }
}
