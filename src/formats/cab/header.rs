//! CFHEADER, CFFOLDER and CFFILE parsing (MS-CAB 2.2–2.4) with every offset and length checked.

use std::io::{self, BufRead, BufReader, Read, SeekFrom};

use super::{CabError, Direction, Fail, Part};
use crate::formats::NameDecoding;
use crate::formats::ReadSeek;
use crate::formats::bytes::{u16_at, u32_at};

/// Size of the fixed part of CFHEADER.
pub(crate) const HEADER_LEN: u32 = 36;
/// `cfhdrPREV_CABINET`: szCabinetPrev/szDiskPrev present.
pub(crate) const FLAG_PREV: u16 = 0x0001;
/// `cfhdrNEXT_CABINET`: szCabinetNext/szDiskNext present.
pub(crate) const FLAG_NEXT: u16 = 0x0002;
/// `cfhdrRESERVE_PRESENT`: cbCFHeader/cbCFFolder/cbCFData present.
pub(crate) const FLAG_RESERVE: u16 = 0x0004;
/// `ifoldCONTINUED_FROM_PREV`.
pub(crate) const IFOLD_FROM_PREV: u16 = 0xFFFD;
/// `ifoldCONTINUED_TO_NEXT`.
pub(crate) const IFOLD_TO_NEXT: u16 = 0xFFFE;
/// `ifoldCONTINUED_PREV_AND_NEXT`.
pub(crate) const IFOLD_PREV_AND_NEXT: u16 = 0xFFFF;
/// `_A_NAME_IS_UTF`.
const ATTR_NAME_IS_UTF: u16 = 0x80;
/// Strings are at most 255 bytes plus the terminating NUL (MS-CAB 2.2, 2.4).
const MAX_STRING: u64 = 256;

/// The fixed CFHEADER fields, decoded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fixed {
    pub cb_cabinet: u32,
    pub coff_files: u32,
    pub version: (u8, u8),
    pub c_folders: u16,
    pub c_files: u16,
    pub flags: u16,
    pub set_id: u16,
    pub i_cabinet: u16,
}

impl Fixed {
    pub(crate) fn parse(b: &[u8; HEADER_LEN as usize]) -> Result<Fixed, CabError> {
        if b[..4] != *b"MSCF" {
            return Err(CabError::BadSignature);
        }
        let u32_at = |i: usize| u32_at(b, i);
        let u16_at = |i: usize| u16_at(b, i);
        Ok(Fixed {
            cb_cabinet: u32_at(8),
            coff_files: u32_at(16),
            version: (b[25], b[24]),
            c_folders: u16_at(26),
            c_files: u16_at(28),
            flags: u16_at(30),
            set_id: u16_at(32),
            i_cabinet: u16_at(34),
        })
    }
}

/// A neighbouring cabinet named in the header.
#[derive(Clone, Debug)]
pub(crate) struct Neighbour {
    pub cabinet: String,
}

/// One CFFOLDER entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FolderEntry {
    /// `coffCabStart`: offset of the first CFDATA block from the start of the cabinet.
    pub data_offset: u32,
    /// `cCFData`: number of CFDATA blocks of this folder in this cabinet.
    pub blocks: u16,
    pub type_compress: u16,
}

/// One CFFILE entry.
#[derive(Clone, Debug)]
pub(crate) struct FileEntry {
    pub size: u32,
    pub offset: u32,
    pub folder: u16,
    pub name: String,
    pub decoding: NameDecoding,
}

/// Everything in a cabinet before its CFDATA blocks.
#[derive(Debug)]
pub(crate) struct Cabinet {
    pub fixed: Fixed,
    /// `cbCFData`: bytes of reserved area in every CFDATA header.
    pub data_reserve: u8,
    pub prev: Option<Neighbour>,
    pub next: Option<Neighbour>,
    pub folders: Vec<FolderEntry>,
    pub files: Vec<FileEntry>,
}

/// Reads whole fields, turning an early end of input into `Truncated { part }`.
struct Fields<R> {
    r: R,
}

impl<R: BufRead> Fields<R> {
    fn exact<const N: usize>(&mut self, part: Part) -> Result<[u8; N], Fail> {
        let mut b = [0u8; N];
        self.r.read_exact(&mut b).map_err(|e| truncated(e, part))?;
        Ok(b)
    }

    fn skip(&mut self, n: u64, part: Part) -> Result<(), Fail> {
        let copied = io::copy(&mut (&mut self.r).take(n), &mut io::sink())?;
        if copied == n {
            Ok(())
        } else {
            Err(CabError::Truncated { part }.into())
        }
    }

    /// A NUL-terminated string of at most 255 bytes; `buf` receives it without the NUL.
    fn string(&mut self, part: Part, buf: &mut Vec<u8>) -> Result<(), Fail> {
        buf.clear();
        (&mut self.r).take(MAX_STRING).read_until(0, buf)?;
        match buf.last() {
            Some(0) => {
                buf.pop();
                Ok(())
            }
            _ if buf.len() as u64 == MAX_STRING => {
                Err(CabError::UnterminatedString { part }.into())
            }
            _ => Err(CabError::Truncated { part }.into()),
        }
    }
}

fn truncated(e: io::Error, part: Part) -> Fail {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        CabError::Truncated { part }.into()
    } else {
        Fail::Io(e)
    }
}

/// Windows-1252 at 0x80..=0x9F; the five bytes it leaves undefined map to U+F700 + byte
/// (private use) instead of the C1 controls ISO-8859-1 would give them.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{F781}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{F78D}', '\u{17D}', '\u{F78F}',
    '\u{F790}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{F79D}', '\u{17E}', '\u{178}',
];

/// Decodes a stored name (see [`NameDecoding`]): UTF-8 when the bytes are valid UTF-8 (flagged
/// or not: many cabinet writers store UTF-8 without the flag), else Windows-1252 with the
/// undefined bytes in the private use area. Never a control character that was not stored.
pub(crate) fn decode_name(bytes: &[u8]) -> (String, NameDecoding) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_owned(), NameDecoding::Utf8);
    }
    let text = bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect();
    (text, NameDecoding::Windows1252)
}

/// Decodes a neighbour's cabinet name (no flag says how), by the same rule.
fn decode_cabinet_name(bytes: &[u8]) -> String {
    decode_name(bytes).0
}

/// Parses the cabinet starting at `base` in `r`, of which `avail` bytes may be read.
///
/// Checks everything that can be checked without decompressing: signature, counts, the
/// strings, folder indexes and the offsets against `cbCabinet`.
pub(crate) fn parse(r: &mut dyn ReadSeek, base: u64, avail: u64) -> Result<Cabinet, Fail> {
    r.seek(SeekFrom::Start(base))?;
    let mut f = Fields {
        r: BufReader::with_capacity(64 * 1024, (&mut *r).take(avail)),
    };
    let fixed = Fixed::parse(&f.exact::<{ HEADER_LEN as usize }>(Part::Header)?)?;
    if fixed.cb_cabinet < HEADER_LEN {
        return Err(CabError::CabinetTooSmall {
            cb_cabinet: fixed.cb_cabinet,
        }
        .into());
    }
    // An empty cabinet (no folder, no file, no neighbour) is valid: WiX writes 36-byte ones
    // into patches whose transforms change no file, and gcab and 7-Zip read them as empty.
    // (libmspack refuses any cabinet without folders.) With no file table to find, its
    // coffFiles is not checked. Folders without files, or files without folders, stay
    // damage, as cabextract has them.
    let empty =
        fixed.c_folders == 0 && fixed.c_files == 0 && fixed.flags & (FLAG_PREV | FLAG_NEXT) == 0;
    if fixed.c_folders == 0 && !empty {
        return Err(CabError::NoFolders.into());
    }
    if fixed.c_files == 0 && !empty {
        return Err(CabError::NoFiles.into());
    }
    if !empty && (fixed.coff_files < HEADER_LEN || fixed.coff_files >= fixed.cb_cabinet) {
        return Err(CabError::FilesOffsetOutOfRange {
            coff_files: fixed.coff_files,
            cb_cabinet: fixed.cb_cabinet,
        }
        .into());
    }

    let (mut folder_reserve, mut data_reserve) = (0u8, 0u8);
    if fixed.flags & FLAG_RESERVE != 0 {
        let b = f.exact::<4>(Part::ReserveSizes)?;
        let header_reserve = u16::from_le_bytes([b[0], b[1]]);
        folder_reserve = b[2];
        data_reserve = b[3];
        f.skip(u64::from(header_reserve), Part::HeaderReserve)?;
    }

    let mut buf = Vec::with_capacity(MAX_STRING as usize);
    let mut neighbour = |f: &mut Fields<_>, name: Part, disk: Part| -> Result<Neighbour, Fail> {
        f.string(name, &mut buf)?;
        let cabinet = decode_cabinet_name(&buf);
        // The disk label is informational only.
        f.string(disk, &mut buf)?;
        Ok(Neighbour { cabinet })
    };
    let prev = if fixed.flags & FLAG_PREV != 0 {
        Some(neighbour(
            &mut f,
            Part::PrevCabinetName,
            Part::PrevDiskName,
        )?)
    } else {
        None
    };
    let next = if fixed.flags & FLAG_NEXT != 0 {
        Some(neighbour(
            &mut f,
            Part::NextCabinetName,
            Part::NextDiskName,
        )?)
    } else {
        None
    };

    let mut folders = Vec::with_capacity(usize::from(fixed.c_folders));
    for _ in 0..fixed.c_folders {
        let b = f.exact::<8>(Part::FolderTable)?;
        let folder = FolderEntry {
            data_offset: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            blocks: u16::from_le_bytes([b[4], b[5]]),
            type_compress: u16::from_le_bytes([b[6], b[7]]),
        };
        f.skip(u64::from(folder_reserve), Part::FolderTable)?;
        // Only the lower bound is checked here: a folder whose data lies past the end is
        // harmless until a member needs it (WiX writes a 70-byte cabinet whose only, empty
        // file's folder "starts" at byte 70; cabextract extracts it), and reading the block
        // then fails as truncated data.
        if folder.blocks > 0 && folder.data_offset < HEADER_LEN {
            return Err(CabError::DataOffsetOutOfRange {
                folder: folders.len(),
                coff_cab_start: folder.data_offset,
                cb_cabinet: fixed.cb_cabinet,
            }
            .into());
        }
        folders.push(folder);
    }

    // The CFFILE table is read right after the folder table, as libmspack/cabextract do;
    // coffFiles is only checked to be in range. (A cabinet whose coffFiles points elsewhere,
    // e.g. libmspack's hidden-files.cab, lists the entries that follow the folders; 7-Zip
    // follows coffFiles instead.) Exactly cFiles entries are read.
    let mut files = Vec::with_capacity(usize::from(fixed.c_files));
    for _ in 0..fixed.c_files {
        let b = f.exact::<16>(Part::FileTable)?;
        let folder = u16::from_le_bytes([b[8], b[9]]);
        let attribs = u16::from_le_bytes([b[14], b[15]]);
        f.string(Part::FileName, &mut buf)?;
        match folder {
            IFOLD_FROM_PREV | IFOLD_PREV_AND_NEXT if fixed.flags & FLAG_PREV == 0 => {
                return Err(CabError::ContinuedWithoutNeighbour {
                    direction: Direction::Previous,
                }
                .into());
            }
            IFOLD_TO_NEXT | IFOLD_PREV_AND_NEXT if fixed.flags & FLAG_NEXT == 0 => {
                return Err(CabError::ContinuedWithoutNeighbour {
                    direction: Direction::Next,
                }
                .into());
            }
            IFOLD_FROM_PREV | IFOLD_TO_NEXT | IFOLD_PREV_AND_NEXT => {}
            i if i < fixed.c_folders => {}
            i => {
                return Err(CabError::BadFolderIndex {
                    index: i,
                    folders: fixed.c_folders,
                }
                .into());
            }
        }
        // `_A_NAME_IS_UTF` promises UTF-8; valid UTF-8 is read as such with or without it.
        let _ = attribs & ATTR_NAME_IS_UTF;
        let (name, decoding) = decode_name(&buf);
        files.push(FileEntry {
            size: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            offset: u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
            folder,
            name,
            decoding,
        });
    }

    Ok(Cabinet {
        fixed,
        data_reserve,
        prev,
        next,
        folders,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A one-folder, one-file uncompressed cabinet holding "hi", built by hand.
    fn tiny(flags: u16, extra: &[u8]) -> Vec<u8> {
        let mut c = Vec::new();
        c.extend_from_slice(b"MSCF");
        c.extend_from_slice(&0u32.to_le_bytes());
        c.extend_from_slice(&0u32.to_le_bytes()); // cbCabinet, patched below
        c.extend_from_slice(&0u32.to_le_bytes());
        c.extend_from_slice(&0u32.to_le_bytes()); // coffFiles, patched below
        c.extend_from_slice(&0u32.to_le_bytes());
        c.extend_from_slice(&[3, 1]);
        c.extend_from_slice(&1u16.to_le_bytes());
        c.extend_from_slice(&1u16.to_le_bytes());
        c.extend_from_slice(&flags.to_le_bytes());
        c.extend_from_slice(&7u16.to_le_bytes());
        c.extend_from_slice(&0u16.to_le_bytes());
        c.extend_from_slice(extra);
        let folder_at = c.len();
        c.extend_from_slice(&[0; 8]);
        let files_at = c.len();
        c.extend_from_slice(&2u32.to_le_bytes());
        c.extend_from_slice(&0u32.to_le_bytes());
        c.extend_from_slice(&0u16.to_le_bytes());
        c.extend_from_slice(&[0; 6]);
        c.extend_from_slice(b"a.txt\0");
        let data_at = c.len();
        c.extend_from_slice(&0u32.to_le_bytes());
        c.extend_from_slice(&2u16.to_le_bytes());
        c.extend_from_slice(&2u16.to_le_bytes());
        c.extend_from_slice(b"hi");
        let len = c.len() as u32;
        c[8..12].copy_from_slice(&len.to_le_bytes());
        c[16..20].copy_from_slice(&(files_at as u32).to_le_bytes());
        c[folder_at..folder_at + 4].copy_from_slice(&(data_at as u32).to_le_bytes());
        c[folder_at + 4..folder_at + 6].copy_from_slice(&1u16.to_le_bytes());
        c
    }

    fn parse_bytes(b: &[u8]) -> Result<Cabinet, Fail> {
        parse(&mut Cursor::new(b), 0, b.len() as u64)
    }

    fn cab_err(b: &[u8]) -> CabError {
        match parse_bytes(b) {
            Err(Fail::Cab(e)) => e,
            Err(Fail::Io(e)) => panic!("io error {e}"),
            Ok(_) => panic!("parsed"),
        }
    }

    #[test]
    fn parses_a_minimal_cabinet() {
        let cab = parse_bytes(&tiny(0, &[])).unwrap();
        assert_eq!(cab.folders.len(), 1);
        assert_eq!(cab.files.len(), 1);
        assert_eq!(cab.files[0].name, "a.txt");
        assert_eq!(cab.files[0].size, 2);
        assert_eq!(cab.fixed.set_id, 7);
        assert!(cab.prev.is_none() && cab.next.is_none());
    }

    #[test]
    fn every_truncation_is_an_error() {
        let full = tiny(0, &[]);
        // Everything before the CFDATA block is needed for the listing.
        for len in 0..full.len() - 10 {
            match parse_bytes(&full[..len]) {
                Err(Fail::Cab(CabError::Truncated { .. } | CabError::BadSignature)) => {}
                other => panic!("len {len}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_bad_counts_and_offsets() {
        let mut b = tiny(0, &[]);
        b[0] = b'X';
        assert!(matches!(cab_err(&b), CabError::BadSignature));
        let mut b = tiny(0, &[]);
        b[26] = 0;
        assert!(matches!(cab_err(&b), CabError::NoFolders));
        let mut b = tiny(0, &[]);
        b[28] = 0;
        assert!(matches!(cab_err(&b), CabError::NoFiles));
        let mut b = tiny(0, &[]);
        b[16..20].copy_from_slice(&0xFFFF_u32.to_le_bytes());
        assert!(matches!(
            cab_err(&b),
            CabError::FilesOffsetOutOfRange { .. }
        ));
        let mut b = tiny(0, &[]);
        b[8..12].copy_from_slice(&10u32.to_le_bytes());
        assert!(matches!(cab_err(&b), CabError::CabinetTooSmall { .. }));
    }

    /// The 36-byte cabinet WiX writes into patches whose transforms change no file.
    fn empty_cabinet(flags: u16) -> Vec<u8> {
        let mut c = Vec::new();
        c.extend_from_slice(b"MSCF\0\0\0\0");
        c.extend_from_slice(&36u32.to_le_bytes()); // cbCabinet
        c.extend_from_slice(&[0; 4]);
        c.extend_from_slice(&36u32.to_le_bytes()); // coffFiles
        c.extend_from_slice(&[0; 4]);
        c.extend_from_slice(&[3, 1]); // version 1.3
        c.extend_from_slice(&0u16.to_le_bytes()); // cFolders
        c.extend_from_slice(&0u16.to_le_bytes()); // cFiles
        c.extend_from_slice(&flags.to_le_bytes());
        c.extend_from_slice(&[0; 4]); // setID, iCabinet
        c
    }

    #[test]
    fn point2_an_empty_cabinet_is_valid_and_lists_nothing() {
        let cab = parse_bytes(&empty_cabinet(0)).expect("an empty cabinet is valid");
        assert!(cab.folders.is_empty() && cab.files.is_empty());
        // An empty volume of a set is not an empty cabinet: its neighbours promise data.
        let mut b = empty_cabinet(FLAG_NEXT);
        b.extend_from_slice(b"next.cab\0disk\0");
        assert!(matches!(cab_err(&b), CabError::NoFolders));
    }

    #[test]
    fn rejects_a_bad_folder_index_and_dangling_continuations() {
        let b = tiny(0, &[]);
        let files_at = u32::from_le_bytes([b[16], b[17], b[18], b[19]]) as usize;
        let mut bad = b.clone();
        bad[files_at + 8] = 1;
        assert!(matches!(
            cab_err(&bad),
            CabError::BadFolderIndex {
                index: 1,
                folders: 1
            }
        ));
        let mut bad = b.clone();
        bad[files_at + 8..files_at + 10].copy_from_slice(&IFOLD_TO_NEXT.to_le_bytes());
        assert!(matches!(
            cab_err(&bad),
            CabError::ContinuedWithoutNeighbour {
                direction: Direction::Next
            }
        ));
    }

    #[test]
    fn reads_reserve_and_neighbour_names() {
        let mut extra = vec![3, 0, 0, 0, 0xAA, 0xBB, 0xCC];
        extra.extend_from_slice(b"prev.cab\0disk 1\0");
        let cab = parse_bytes(&tiny(FLAG_RESERVE | FLAG_PREV, &extra)).unwrap();
        assert_eq!(cab.prev.unwrap().cabinet, "prev.cab");
        assert_eq!(cab.files[0].name, "a.txt");
    }

    #[test]
    fn unterminated_and_missing_strings() {
        let mut extra = vec![b'x'; 300];
        extra.push(0);
        assert!(matches!(
            cab_err(&tiny(FLAG_PREV, &extra)),
            CabError::UnterminatedString {
                part: Part::PrevCabinetName
            }
        ));
        let b = tiny(FLAG_NEXT, b"next.cab\0disk\0");
        let cut = 36 + 9 + 2;
        assert!(matches!(
            cab_err(&b[..cut]),
            CabError::Truncated {
                part: Part::NextDiskName
            }
        ));
    }

    #[test]
    fn names_decode_as_utf8_or_windows_1252_without_control_characters() {
        let text = |b: &[u8]| decode_name(b).0;
        assert_eq!(decode_name(b"abc"), ("abc".to_owned(), NameDecoding::Utf8));
        assert_eq!(text("été".as_bytes()), "été");
        assert_eq!(
            decode_name(&[0xE9, b't', 0xE9]),
            ("été".to_owned(), NameDecoding::Windows1252)
        );
        assert_eq!(text(&[0xFF, 0xA0]), "\u{ff}\u{a0}");
        assert_eq!(text(b"dir\\file"), "dir\\file");
        assert_eq!(text(b""), "");
        // Shift-JIS テスト.txt, KOI8-R тест, CP932 、 (0x81 lead byte): no control characters,
        // and every byte recoverable.
        for bytes in [
            &b"\x83\x65\x83\x58\x83\x67.txt"[..],
            b"\xd4\xc5\xd3\xd4",
            b"\x81\x41\x8d\x8f\x90\x9d",
        ] {
            let (name, decoding) = decode_name(bytes);
            assert_eq!(decoding, NameDecoding::Windows1252);
            assert!(!name.chars().any(char::is_control), "{name:?}");
            let back: Vec<u8> = name
                .chars()
                .map(|c| match CP1252_HIGH.iter().position(|h| *h == c) {
                    Some(i) => 0x80 + u8::try_from(i).unwrap(),
                    None => u8::try_from(u32::from(c)).unwrap(),
                })
                .collect();
            assert_eq!(back, bytes);
        }
    }
}
