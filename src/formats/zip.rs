//! Zip archives (hotfix `_zip.exe` wrappers, plain `.zip`, slipway's own bundles), read from
//! their central directory by this module (APPNOTE 6.3.10), every entry of it: the `zip`
//! crate keys entries by name and hides all but one of a repeated name, so an archive could
//! carry a second `dup.txt` that no check ever saw.
//!
//! Before any member is inflated, every entry's local header is read and the byte ranges of
//! the entries (local header and data) are compared: entries that overlap (several entries
//! pointing at one compressed stream — a few MB that inflate to terabytes, Fifield's "better
//! zip bomb") or that run into the central directory are refused. A writer has no reason to
//! make entries share bytes.
//!
//! Names are never cleaned (no `enclosed_name`, which silently strips `/abs` and `..`): they
//! go to the walker's path checker as stored, decoded as the `zip` crate decoded them — the
//! Info-ZIP Unicode Path extra field (0x7075) when its CRC matches the stored name, else the
//! stored bytes as UTF-8 when they are, else code page 437 (APPNOTE appendix D). Two entries
//! of one name are both handed out, and the walker's collision rule judges them (the same
//! bytes are one file; different bytes fail the input). Directories are recognised by a
//! trailing separator, a Unix directory mode, or, for archives written by MS-DOS/Windows tools,
//! the DOS directory attribute (0x10) in the external attributes (APPNOTE 4.4.15), as some
//! tools write no trailing slash. Methods read: stored (0), deflate (8), deflate64 (9); every
//! member's size and CRC-32 are checked against the central directory.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use crate::formats::window::Window;
use crate::formats::{Entry, EntrySink, FormatError, NameDecoding, ReadError, ReadSeek};
use crate::model::{Origin, OriginStep};

/// Something wrong with a zip archive.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("malformed zip archive: {what} at byte {offset}: {reason}")]
    Bad {
        what: &'static str,
        offset: u64,
        reason: String,
    },
    #[error("not a zip archive: no end of central directory record")]
    NoEnd,
    #[error("member {name:?} is encrypted (password-protected zips are not supported)")]
    Encrypted { name: String },
    #[error("member {name:?} uses unsupported compression method {method}")]
    UnsupportedMethod { name: String, method: u16 },
    #[error("member {name:?} is a symbolic link (links are never extracted)")]
    Symlink { name: String },
    #[error(
        "member {name:?} shares bytes with member {other:?} (overlapping entries: refused before anything is inflated)"
    )]
    Overlap { name: String, other: String },
    #[error("member {name:?}: its data runs into the central directory")]
    IntoDirectory { name: String },
    #[error(
        "member {name:?}: CRC-32 of its data is {actual:08x}, the central directory records {expected:08x}"
    )]
    Checksum {
        name: String,
        expected: u32,
        actual: u32,
    },
    #[error("corrupt member data")]
    Data(#[source] io::Error),
}

/// DOS `FILE_ATTRIBUTE_DIRECTORY`, in the low byte of a zip entry's external attributes.
const DOS_DIRECTORY: u32 = 0x10;
/// "Version made by" host system of Unix (APPNOTE 4.4.2.2): the external attributes' high
/// half is a Unix mode.
const SYSTEM_UNIX: u8 = 3;
const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// End-of-central-directory record: fixed part and longest comment (APPNOTE 4.3.16).
const EOCD_LEN: u64 = 22;
const EOCD_MAX_COMMENT: u64 = 0xFFFF;
/// Fixed parts of a central directory header and of a local file header (4.3.12, 4.3.7).
const CENTRAL_LEN: usize = 46;
const LOCAL_LEN: usize = 30;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

fn bad(what: &'static str, offset: u64, reason: impl Into<String>) -> ZipError {
    ZipError::Bad {
        what,
        offset,
        reason: reason.into(),
    }
}

/// What the end records say: where the central directory is, how long, how many entries.
#[derive(Debug)]
struct End {
    entries: u64,
    /// The central directory's first byte as found (`cd_end - size`), its size, and the
    /// offset the record states (which differs when data was put before the archive).
    start: u64,
    size: u64,
    stated: u64,
}

/// Reads the end records (the zip64 ones when the classic record says 0xFFFF…), from the
/// archive's last 64 KiB.
fn end_records(r: &mut dyn ReadSeek) -> Result<End, FailIo> {
    let len = r.seek(SeekFrom::End(0))?;
    let from = len.saturating_sub(EOCD_LEN + EOCD_MAX_COMMENT);
    r.seek(SeekFrom::Start(from))?;
    let mut tail = Vec::new();
    r.take(len - from).read_to_end(&mut tail)?;
    // The last record whose comment ends within the file.
    let at = (0..tail.len().saturating_sub(EOCD_LEN as usize - 1))
        .rev()
        .find(|&i| {
            tail[i..].starts_with(b"PK\x05\x06")
                && i + EOCD_LEN as usize + usize::from(u16_at(&tail, i + 20)) <= tail.len()
        })
        .ok_or(ZipError::NoEnd)?;
    let rec = &tail[at..];
    let eocd = from + at as u64;
    if u16_at(rec, 4) != 0 || u16_at(rec, 6) != 0 {
        return Err(bad("end of central directory", eocd, "spans several disks").into());
    }
    let (mut entries, mut size, mut stated) = (
        u64::from(u16_at(rec, 10)),
        u64::from(u32_at(rec, 12)),
        u64::from(u32_at(rec, 16)),
    );
    let mut cd_end = eocd;
    if entries == 0xFFFF || size == 0xFFFF_FFFF || stated == 0xFFFF_FFFF {
        // Zip64 (4.3.14-15): the locator right before the record, the zip64 end record
        // (56 bytes without extensible data) right before the locator.
        let Some(z64) = eocd.checked_sub(20 + 56) else {
            return Err(bad("zip64 end record", eocd, "no room before the end record").into());
        };
        let mut buf = [0u8; 76];
        r.seek(SeekFrom::Start(z64))?;
        r.read_exact(&mut buf)?;
        if !buf.starts_with(b"PK\x06\x06") || &buf[56..60] != b"PK\x06\x07" {
            return Err(bad("zip64 end record", z64, "missing").into());
        }
        entries = u64_at(&buf, 32);
        size = u64_at(&buf, 40);
        stated = u64_at(&buf, 48);
        cd_end = z64;
    }
    let start = cd_end.checked_sub(size).ok_or_else(|| {
        bad(
            "central directory",
            cd_end,
            format!("{size} bytes do not fit before its end record"),
        )
    })?;
    if stated > start {
        return Err(bad(
            "central directory",
            start,
            format!("stated at byte {stated}, past where it is"),
        )
        .into());
    }
    // Each central directory header takes at least 46 bytes.
    if entries > size / CENTRAL_LEN as u64 {
        return Err(bad(
            "central directory",
            start,
            format!("{entries} entries do not fit in {size} bytes"),
        )
        .into());
    }
    Ok(End {
        entries,
        start,
        size,
        stated,
    })
}

/// The number of entries the end records declare, from the archive's tail only (for a
/// budget that refuses a million-entry table before it is read).
pub fn declared_entries(r: &mut dyn ReadSeek) -> io::Result<Option<u64>> {
    match end_records(r) {
        Ok(end) => Ok(Some(end.entries)),
        Err(FailIo::Io(e)) => Err(e),
        Err(FailIo::Zip(_)) => Ok(None),
    }
}

/// What reading an archive's structure can fail with.
#[derive(Debug)]
enum FailIo {
    Zip(ZipError),
    Io(io::Error),
}

impl From<ZipError> for FailIo {
    fn from(e: ZipError) -> FailIo {
        FailIo::Zip(e)
    }
}

impl From<io::Error> for FailIo {
    fn from(e: io::Error) -> FailIo {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            FailIo::Zip(bad("archive", 0, "cut short"))
        } else {
            FailIo::Io(e)
        }
    }
}

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
    Symlink,
}

/// One entry of the central directory, its local header read.
#[derive(Clone, Debug)]
pub struct ZipEntry {
    /// The name, decoded (see the module's documentation).
    pub name: String,
    pub decoding: NameDecoding,
    pub kind: Kind,
    pub encrypted: bool,
    pub method: u16,
    pub crc: u32,
    pub compressed: u64,
    /// The uncompressed size the central directory records.
    pub size: u64,
    /// The local header's offset, and the data's.
    header: u64,
    data: u64,
}

/// Code page 437's characters for bytes 0x80-0xFF (below 0x80 it is ASCII).
const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

fn cp437(raw: &[u8]) -> String {
    raw.iter()
        .map(|&b| {
            if b < 0x80 {
                char::from(b)
            } else {
                CP437_HIGH[usize::from(b - 0x80)]
            }
        })
        .collect()
}

/// The name of an entry: its Unicode Path extra field when that names these bytes, else
/// the bytes as UTF-8, else as code page 437.
fn decode_name(raw: &[u8], extra: &[u8]) -> (String, NameDecoding) {
    let mut pos = 0;
    while pos + 4 <= extra.len() {
        let (id, len) = (u16_at(extra, pos), usize::from(u16_at(extra, pos + 2)));
        let Some(body) = extra.get(pos + 4..pos + 4 + len) else {
            break;
        };
        // APPNOTE 4.6.9: version 1, the CRC-32 of the stored name, the name in UTF-8.
        if id == 0x7075 && body.len() >= 5 && body[0] == 1 {
            let mut crc = flate2::Crc::new();
            crc.update(raw);
            if u32_at(body, 1) == crc.sum()
                && let Ok(name) = std::str::from_utf8(&body[5..])
            {
                return (name.to_owned(), NameDecoding::Utf8);
            }
        }
        pos += 4 + len;
    }
    match std::str::from_utf8(raw) {
        Ok(name) => (name.to_owned(), NameDecoding::Utf8),
        Err(_) => (cp437(raw), NameDecoding::Cp437),
    }
}

/// A zip archive whose central directory was read and whose entries were checked not to
/// overlap.
pub struct Archive {
    reader: Box<dyn ReadSeek>,
    entries: Vec<ZipEntry>,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("entries", &self.entries.len())
            .finish()
    }
}

impl Archive {
    /// Reads the central directory of the archive in `reader` (offset 0 = its first byte),
    /// every entry's local header, and refuses entries that overlap. `interrupt` is asked
    /// between entries.
    pub fn open(
        reader: Box<dyn ReadSeek>,
        interrupt: &dyn Fn() -> bool,
    ) -> Result<Archive, ReadOrStop> {
        let (mut archive, cd_start) = Archive::read_directory(reader, interrupt)?;
        archive.locate(cd_start, interrupt)?;
        Ok(archive)
    }

    /// The central directory only (names and kinds; nothing can be read from it): to tell
    /// what an archive holds without looking at its members.
    pub fn list(reader: Box<dyn ReadSeek>) -> Result<Vec<ZipEntry>, ReadOrStop> {
        Ok(Archive::read_directory(reader, &|| false)?.0.entries)
    }

    /// Reads the central directory; returns the archive and where the directory starts.
    fn read_directory(
        mut reader: Box<dyn ReadSeek>,
        interrupt: &dyn Fn() -> bool,
    ) -> Result<(Archive, u64), ReadOrStop> {
        let end = end_records(&mut *reader)?;
        // Data put before the archive (a self-extractor's stub) moves every stated offset.
        let shift = end.start - end.stated;
        reader.seek(SeekFrom::Start(end.start))?;
        let mut cd = BufReader::new(Window::new(&mut *reader, end.start, end.size));
        let mut entries =
            Vec::with_capacity(usize::try_from(end.entries).unwrap_or(0).min(1 << 16));
        let mut at = end.start;
        for _ in 0..end.entries {
            if interrupt() {
                return Err(ReadOrStop::Stopped);
            }
            let mut fixed = [0u8; CENTRAL_LEN];
            cd.read_exact(&mut fixed)?;
            if !fixed.starts_with(b"PK\x01\x02") {
                return Err(bad("central directory header", at, "no signature").into());
            }
            let (n, m, k) = (
                usize::from(u16_at(&fixed, 28)),
                usize::from(u16_at(&fixed, 30)),
                usize::from(u16_at(&fixed, 32)),
            );
            let mut var = vec![0u8; n + m + k];
            cd.read_exact(&mut var)?;
            entries.push(central_entry(&fixed, &var[..n], &var[n..n + m], at, shift)?);
            at += (CENTRAL_LEN + n + m + k) as u64;
        }
        drop(cd);
        Ok((Archive { reader, entries }, end.start))
    }

    /// Every entry, in central directory order.
    pub fn entries(&self) -> &[ZipEntry] {
        &self.entries
    }

    /// Reads each entry's local header for where its data starts, then refuses entries whose
    /// ranges (local header and data) overlap, or that run into the central directory.
    fn locate(&mut self, cd_start: u64, interrupt: &dyn Fn() -> bool) -> Result<(), ReadOrStop> {
        for e in &mut self.entries {
            if interrupt() {
                return Err(ReadOrStop::Stopped);
            }
            let mut local = [0u8; LOCAL_LEN];
            self.reader.seek(SeekFrom::Start(e.header))?;
            self.reader.read_exact(&mut local)?;
            if !local.starts_with(b"PK\x03\x04") {
                return Err(bad("local file header", e.header, "no signature").into());
            }
            let skip = (LOCAL_LEN
                + usize::from(u16_at(&local, 26))
                + usize::from(u16_at(&local, 28))) as u64;
            e.data = e.header + skip;
            if e.data
                .checked_add(e.compressed)
                .is_none_or(|end| end > cd_start)
            {
                return Err(ZipError::IntoDirectory {
                    name: e.name.clone(),
                }
                .into());
            }
        }
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_unstable_by_key(|&i| (self.entries[i].header, i));
        for pair in order.windows(2) {
            let (a, b) = (&self.entries[pair[0]], &self.entries[pair[1]]);
            if a.data + a.compressed > b.header {
                let (first, second) = if pair[0] < pair[1] { (a, b) } else { (b, a) };
                return Err(ZipError::Overlap {
                    name: second.name.clone(),
                    other: first.name.clone(),
                }
                .into());
            }
        }
        Ok(())
    }

    /// The bytes of entry `index`, inflated, checked against its recorded size and CRC-32
    /// as they are read (an error at the end when they differ).
    pub fn data(&mut self, index: usize) -> Result<Box<dyn Read + '_>, ZipError> {
        let e = self.entries[index].clone();
        if e.encrypted {
            return Err(ZipError::Encrypted { name: e.name });
        }
        let raw = Window::new(&mut *self.reader, e.data, e.compressed);
        let inner: Box<dyn Read + '_> = match e.method {
            0 => Box::new(raw),
            8 => Box::new(flate2::read::DeflateDecoder::new(raw)),
            9 => Box::new(deflate64::Deflate64Decoder::new(raw)),
            method => {
                return Err(ZipError::UnsupportedMethod {
                    name: e.name,
                    method,
                });
            }
        };
        Ok(Box::new(Checked {
            inner,
            name: e.name,
            size: e.size,
            crc: e.crc,
            read: 0,
            sum: flate2::Crc::new(),
        }))
    }
}

/// What opening an archive can fail with: its bytes, reading them, or Ctrl-C.
#[derive(Debug)]
pub enum ReadOrStop {
    Zip(ZipError),
    Io(io::Error),
    Stopped,
}

impl From<ZipError> for ReadOrStop {
    fn from(e: ZipError) -> ReadOrStop {
        ReadOrStop::Zip(e)
    }
}

impl From<io::Error> for ReadOrStop {
    fn from(e: io::Error) -> ReadOrStop {
        FailIo::from(e).into()
    }
}

impl From<FailIo> for ReadOrStop {
    fn from(e: FailIo) -> ReadOrStop {
        match e {
            FailIo::Zip(e) => ReadOrStop::Zip(e),
            FailIo::Io(e) => ReadOrStop::Io(e),
        }
    }
}

/// Parses one central directory header (`fixed`, then its name and extra field), found at
/// byte `at`; stated offsets move by `shift`.
fn central_entry(
    fixed: &[u8],
    raw_name: &[u8],
    extra: &[u8],
    at: u64,
    shift: u64,
) -> Result<ZipEntry, ZipError> {
    let system = fixed[5];
    let flags = u16_at(fixed, 8);
    let mut compressed = u64::from(u32_at(fixed, 20));
    let mut size = u64::from(u32_at(fixed, 24));
    let external = u32_at(fixed, 38);
    let mut header = u64::from(u32_at(fixed, 42));
    // Zip64 extended information (4.5.3): the 64-bit values of the fields that say 0xFFFFFFFF,
    // in this order.
    let mut pos = 0;
    while pos + 4 <= extra.len() {
        let (id, len) = (u16_at(extra, pos), usize::from(u16_at(extra, pos + 2)));
        let body = extra.get(pos + 4..pos + 4 + len).unwrap_or_default();
        if id == 0x0001 {
            let mut values = body.chunks_exact(8).map(|c| u64_at(c, 0));
            for field in [&mut size, &mut compressed, &mut header] {
                if *field == 0xFFFF_FFFF {
                    *field = values
                        .next()
                        .ok_or_else(|| bad("zip64 extra field", at, "too short"))?;
                }
            }
        }
        pos += 4 + len;
    }
    let (name, decoding) = decode_name(raw_name, extra);
    let mode = (system == SYSTEM_UNIX)
        .then_some(external >> 16)
        .filter(|&m| m != 0);
    let kind = if mode.is_some_and(|m| m & S_IFMT == S_IFLNK) {
        Kind::Symlink
    } else if name.ends_with(['/', '\\'])
        || mode.is_some_and(|m| m & S_IFMT == S_IFDIR)
        || (system != SYSTEM_UNIX && external & DOS_DIRECTORY != 0)
    {
        Kind::Directory
    } else {
        Kind::File
    };
    Ok(ZipEntry {
        name,
        decoding,
        kind,
        // Bit 0: encrypted; bit 6: strong encryption (4.4.4).
        encrypted: flags & 0x41 != 0 || u16_at(fixed, 10) == 99,
        method: u16_at(fixed, 10),
        crc: u32_at(fixed, 16),
        compressed,
        size,
        header: header
            .checked_add(shift)
            .ok_or_else(|| bad("central directory header", at, "offset overflows"))?,
        data: 0,
    })
}

/// A member's bytes, counted and summed: more or fewer bytes than recorded, or another
/// CRC-32, is an error.
struct Checked<'a> {
    inner: Box<dyn Read + 'a>,
    name: String,
    size: u64,
    crc: u32,
    read: u64,
    sum: flate2::Crc,
}

impl Read for Checked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // One byte more than recorded is asked for, to see a member that is longer.
        let want = usize::try_from(self.size.saturating_sub(self.read).saturating_add(1))
            .map_or(buf.len(), |w| w.min(buf.len()));
        let n = self.inner.read(&mut buf[..want]).map_err(|e| {
            if e.get_ref().is_some_and(|inner| inner.is::<FormatError>()) {
                e
            } else {
                FormatError::Zip(ZipError::Data(e)).into_io()
            }
        })?;
        self.read += n as u64;
        if self.read > self.size {
            return Err(FormatError::SizeMismatch {
                declared: self.size,
                actual: self.read,
            }
            .into_io());
        }
        self.sum.update(&buf[..n]);
        if n == 0 {
            if self.read != self.size {
                return Err(FormatError::SizeMismatch {
                    declared: self.size,
                    actual: self.read,
                }
                .into_io());
            }
            if self.sum.sum() != self.crc {
                return Err(FormatError::Zip(ZipError::Checksum {
                    name: self.name.clone(),
                    expected: self.crc,
                    actual: self.sum.sum(),
                })
                .into_io());
            }
        }
        Ok(n)
    }
}

/// Extracts every member of the zip read from `reader` (offset 0 = start of the archive).
pub fn extract(
    mut reader: Box<dyn ReadSeek>,
    origin: &Origin,
    sink: &mut dyn EntrySink,
) -> Result<(), ReadError> {
    // The central directory is read whole: announce its size first.
    if let Some(n) = declared_entries(&mut *reader).map_err(|e| ReadError::reading(origin, e))? {
        sink.announce(origin, n)?;
    }
    let stop = || sink.check_interrupt().is_err();
    let mut archive = match Archive::open(reader, &stop) {
        Ok(a) => a,
        Err(ReadOrStop::Zip(e)) => return Err(ReadError::format(origin, e)),
        Err(ReadOrStop::Io(e)) => return Err(ReadError::reading(origin, e)),
        Err(ReadOrStop::Stopped) => return sink.check_interrupt(),
    };
    for index in 0..archive.entries().len() {
        sink.check_interrupt()?;
        let e = archive.entries()[index].clone();
        let member_origin = origin.child(OriginStep::Member(e.name.clone()));
        let entry = Entry {
            name: &e.name,
            decoding: e.decoding,
            size: e.size,
            origin: &member_origin,
        };
        match e.kind {
            Kind::Symlink => {
                return Err(ReadError::format(
                    origin,
                    ZipError::Symlink { name: e.name },
                ));
            }
            Kind::Directory => sink.directory(&entry)?,
            Kind::File => {
                let mut data = archive
                    .data(index)
                    .map_err(|err| ReadError::format(origin, err))?;
                sink.file(&entry, &mut data)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write as _};

    use super::*;

    /// A zip written by the `zip` crate (the reference for names and data).
    fn written(members: &[(&str, &[u8], zip::CompressionMethod)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data, method) in members {
            let opts = zip::write::SimpleFileOptions::default().compression_method(*method);
            if name.ends_with('/') {
                w.add_directory(*name, opts).unwrap();
            } else {
                w.start_file(*name, opts).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap().into_inner()
    }

    fn read_all(bytes: Vec<u8>) -> Result<Vec<(String, Kind, Vec<u8>)>, String> {
        let mut a =
            Archive::open(Box::new(Cursor::new(bytes)), &|| false).map_err(|e| format!("{e:?}"))?;
        let mut out = Vec::new();
        for i in 0..a.entries().len() {
            let e = a.entries()[i].clone();
            let mut buf = Vec::new();
            if e.kind == Kind::File {
                a.data(i)
                    .map_err(|e| e.to_string())?
                    .read_to_end(&mut buf)
                    .map_err(|e| e.to_string())?;
            }
            out.push((e.name, e.kind, buf));
        }
        Ok(out)
    }

    #[test]
    fn stored_and_deflated_members_and_directories_are_read() {
        let text: Vec<u8> = (0..50_000u32).map(|i| (i % 97) as u8).collect();
        let got = read_all(written(&[
            ("a/", b"", zip::CompressionMethod::Stored),
            ("a/b.txt", &text, zip::CompressionMethod::Deflated),
            ("c.bin", b"stored", zip::CompressionMethod::Stored),
        ]))
        .unwrap();
        assert_eq!(
            got,
            [
                ("a/".to_owned(), Kind::Directory, vec![]),
                ("a/b.txt".to_owned(), Kind::File, text),
                ("c.bin".to_owned(), Kind::File, b"stored".to_vec()),
            ]
        );
    }

    #[test]
    fn a_changed_byte_fails_the_crc_and_a_cut_archive_fails() {
        let mut bytes = written(&[("x.txt", b"hello world", zip::CompressionMethod::Stored)]);
        let at = bytes.windows(5).position(|w| w == b"hello").unwrap();
        bytes[at] = b'j';
        let err = read_all(bytes.clone()).unwrap_err();
        assert!(err.contains("CRC-32"), "{err}");
        for cut in [10, bytes.len() / 2, bytes.len() - 5] {
            assert!(read_all(bytes[..cut].to_vec()).is_err(), "cut at {cut}");
        }
    }

    /// Every byte above 0x7F decodes as the `zip` crate decodes it.
    #[test]
    fn code_page_437_names_decode_as_the_zip_crate_decodes_them() {
        let raw: Vec<u8> = (0x80..=0xFFu8).collect();
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file(
            "placeholder-name-of-128-bytes".repeat(5),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        let mut bytes = w.finish().unwrap().into_inner();
        let placeholder = "placeholder-name-of-128-bytes".repeat(5);
        let placeholder = &placeholder.as_bytes()[..128];
        let mut replaced = 0;
        let mut i = 0;
        while i + 128 <= bytes.len() {
            if &bytes[i..i + 128] == placeholder {
                bytes[i..i + 128].copy_from_slice(&raw);
                replaced += 1;
            }
            i += 1;
        }
        assert_eq!(replaced, 2, "local and central names");
        let theirs = zip::ZipArchive::new(Cursor::new(bytes.clone()))
            .unwrap()
            .by_index_raw(0)
            .unwrap()
            .name()
            .unwrap()
            .into_owned();
        let ours = Archive::open(Box::new(Cursor::new(bytes)), &|| false).unwrap();
        assert_eq!(ours.entries()[0].decoding, NameDecoding::Cp437);
        assert_eq!(ours.entries()[0].name, theirs);
    }
}
