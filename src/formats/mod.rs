//! Container formats: sniffing from bytes, and one reader per format (cab, disc, msi, pe, zip).
//!
//! Readers hand their members to an [`EntrySink`] in archive order; they never create files
//! themselves, so the one path checker and the budgets in `extract` see every name and byte.
//! They report their own [`ReadError`]: the bytes are wrong ([`FormatError`]) or could not be
//! read, each at an [`Origin`]; a sink that stops the walk keeps its own reason.

pub mod burn;
pub mod bytes;
pub mod cab;
pub mod disc;
pub mod msi;
pub mod open;
pub mod payload;
pub mod pe;
pub mod window;
pub mod zip;

use std::io::{self, Read, Seek};

use crate::model::Origin;

/// Anything a container can be read from.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// The format of a byte stream, decided from its first bytes (never from a file name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A Microsoft cabinet (`MSCF`, MS-CAB 2.1).
    Cab,
    /// A zip archive (local file header or empty-archive end record).
    Zip,
    /// An OLE compound file (MS-CFB): MSI, MSP, MST.
    CompoundFile,
    /// A PE/COFF executable (`MZ`), possibly a self-extracting package.
    Executable,
    /// A disc image: ISO 9660 (`CD001`) or UDF (`BEA01`/`NSR0x`) volume recognition at byte
    /// 32768 (ECMA-119 6.2, ECMA-167 2/8.4).
    DiscImage,
    /// None of the above at offset 0 (it may still embed a cabinet somewhere).
    Unknown,
}

/// How many leading bytes [`sniff`] needs for the formats marked at offset 0: what the walker
/// reads ahead of each member of a container.
pub const SNIFF_LEN: usize = 64;

/// Where a disc image's volume recognition sequence starts (sector 16 of 2048 bytes).
const DISC_VRS: usize = 0x8000;

/// How many leading bytes [`read_head`] reads for [`sniff`]: enough for a disc image's first
/// volume structure descriptor identifier (bytes 32769-32773).
///
/// A separate, longer head than [`SNIFF_LEN`]: files on disk (inputs, download folders) are
/// sniffed once each with a cheap positioned read, so disc images are recognised there; a
/// member of another container is sniffed from its first [`SNIFF_LEN`] bytes, so reading
/// 32 KiB ahead of every member is avoided, and a disc image nested inside a package (which no
/// Microsoft package does) stays a plain file.
pub const HEAD_LEN: usize = DISC_VRS + 8;

/// Decides a format from the first bytes of a stream.
pub fn sniff(head: &[u8]) -> Format {
    const CFB: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if head.starts_with(b"MSCF\0\0\0\0") {
        Format::Cab
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Format::Zip
    } else if head.starts_with(&CFB) {
        Format::CompoundFile
    } else if head.starts_with(b"MZ") {
        Format::Executable
    } else if matches!(
        head.get(DISC_VRS + 1..DISC_VRS + 6),
        Some(b"CD001" | b"BEA01" | b"NSR02" | b"NSR03")
    ) {
        // ECMA-119 8.1.2 and ECMA-167 2/9.1.2: the standard identifier of the first volume
        // structure descriptor; the 32 KiB before it are the system area, free for any use.
        Format::DiscImage
    } else {
        Format::Unknown
    }
}

impl Format {
    /// Whether `extract --recursive` unpacks a member of this format.
    pub fn is_container(self) -> bool {
        match self {
            Format::Cab | Format::Zip | Format::CompoundFile | Format::DiscImage => true,
            // An executable member is only unpacked when it turns out to carry a payload;
            // the driver decides that after looking inside.
            Format::Executable => true,
            Format::Unknown => false,
        }
    }
}

/// Reads a small file the user names (a catalog, a trust anchor, a checksum file): only a
/// regular file, never through a link ([`open::open_regular`]: a FIFO would block, a device
/// never end), and at most `max` bytes (a larger one is an `InvalidData` error, not read
/// further).
pub fn read_small(path: &std::path::Path, max: u64) -> io::Result<Vec<u8>> {
    let file = open::open_regular(path, None)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// Reads up to [`HEAD_LEN`] bytes from the start of `r` and rewinds it.
pub fn read_head(r: &mut dyn ReadSeek) -> io::Result<Vec<u8>> {
    r.seek(io::SeekFrom::Start(0))?;
    let mut head = Vec::with_capacity(HEAD_LEN);
    r.take(HEAD_LEN as u64).read_to_end(&mut head)?;
    r.seek(io::SeekFrom::Start(0))?;
    Ok(head)
}

/// A problem with the bytes of one format.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(transparent)]
    Cab(#[from] cab::CabError),
    #[error(transparent)]
    Disc(#[from] disc::DiscError),
    #[error(transparent)]
    Msi(#[from] msi::MsiError),
    #[error(transparent)]
    Pe(#[from] pe::PeError),
    #[error(transparent)]
    Zip(#[from] zip::ZipError),
    /// A member yielded another number of bytes than its header declared.
    #[error("member declared {declared} bytes but its data gave {actual}")]
    SizeMismatch { declared: u64, actual: u64 },
    /// Neither a known format nor an embedded cabinet anywhere.
    #[error("not a cabinet, zip, MSI/MSP, executable or disc image, and no embedded cabinet found")]
    Unrecognized,
}

impl FormatError {
    /// Whether the error only says "nothing to extract here" (an executable without payload,
    /// an MSI without cabinets, an unrecognised file), which is fine for a nested member.
    pub fn is_no_payload(&self) -> bool {
        match self {
            FormatError::Pe(e) => matches!(e, pe::PeError::NoPayload),
            FormatError::Unrecognized => true,
            FormatError::Msi(e) => matches!(e, msi::MsiError::NoCabinet),
            FormatError::Cab(_)
            | FormatError::Disc(_)
            | FormatError::Zip(_)
            | FormatError::SizeMismatch { .. } => false,
        }
    }

    /// Whether the bytes use something slipway cannot read (a compression method, an
    /// encryption, a disc layout it does not implement) rather than break their format: the
    /// file is not known to be damaged, and is never reported as such (the mirror of
    /// "damage is never success").
    pub fn is_unsupported(&self) -> bool {
        match self {
            FormatError::Cab(e) => matches!(e, cab::CabError::UnsupportedCompression { .. }),
            FormatError::Zip(e) => matches!(
                e,
                zip::ZipError::UnsupportedMethod { .. } | zip::ZipError::Encrypted { .. }
            ),
            FormatError::Disc(e) => matches!(e, disc::DiscError::Unsupported(_)),
            FormatError::Msi(_)
            | FormatError::Pe(_)
            | FormatError::SizeMismatch { .. }
            | FormatError::Unrecognized => false,
        }
    }

    /// Wraps the error for travel through `io::Read` (undone by [`ReadError::reading`]).
    pub fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// What a container reader reports.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The bytes do not follow their format (truncated header, bad checksum, corrupt data, …).
    #[error("{origin}")]
    Format {
        origin: Origin,
        #[source]
        source: FormatError,
    },
    /// The container (or a volume or external cabinet beside it) could not be read.
    #[error("{origin}: cannot read")]
    Io {
        origin: Origin,
        #[source]
        source: io::Error,
    },
    /// The sink stopped the walk (Ctrl-C, a refused name, a budget, a failed write); the
    /// sink keeps its own reason.
    #[error("stopped by the receiver of the members")]
    Stopped,
}

impl ReadError {
    /// Turns an error met while reading bytes into the structured error it carries.
    ///
    /// Container readers hand members out as `io::Read`; a format error found in the middle of
    /// a member (bad checksum, corrupt LZX) travels inside the `io::Error` and is unwrapped here.
    pub fn reading(origin: &Origin, err: io::Error) -> ReadError {
        match err.downcast::<FormatError>() {
            Ok(source) => ReadError::Format {
                origin: origin.clone(),
                source,
            },
            Err(source) => ReadError::Io {
                origin: origin.clone(),
                source,
            },
        }
    }

    /// A format error at `origin`.
    pub fn format(origin: &Origin, source: impl Into<FormatError>) -> ReadError {
        ReadError::Format {
            origin: origin.clone(),
            source: source.into(),
        }
    }

    /// Whether the error only says "nothing to extract here" (see
    /// [`FormatError::is_no_payload`]).
    pub fn is_no_payload(&self) -> bool {
        matches!(self, ReadError::Format { source, .. } if source.is_no_payload())
    }
}

impl crate::error::Diagnostic for ReadError {
    fn code(&self) -> &'static str {
        match self {
            ReadError::Format { .. } => "format-error",
            ReadError::Io { .. } => "read-error",
            ReadError::Stopped => "stopped",
        }
    }

    /// Where the problem is (`None` for [`ReadError::Stopped`]).
    fn origin(&self) -> Option<&Origin> {
        match self {
            ReadError::Format { origin, .. } | ReadError::Io { origin, .. } => Some(origin),
            ReadError::Stopped => None,
        }
    }
}

/// How a member's stored name became text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum NameDecoding {
    /// UTF-8: flagged so (cabinet `_A_NAME_IS_UTF`, zip bit 11), or unflagged but valid.
    #[serde(rename = "utf-8")]
    Utf8,
    /// An unflagged cabinet name that is not UTF-8: Windows-1252, the ANSI code page of
    /// Western Windows, each byte to its character; the five bytes Windows-1252 leaves
    /// undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) to U+F781, U+F78D, … (private use). Lossless
    /// (the bytes can be recovered) and free of control characters. A name written in another
    /// code page (Shift-JIS, KOI8-R) reads as other characters than its author saw, but every
    /// member is extracted with its bytes; cabextract writes the raw bytes as the name.
    #[serde(rename = "windows-1252")]
    Windows1252,
    /// An unflagged zip name: the zip crate's code page 437 (APPNOTE appendix D).
    #[serde(rename = "cp437")]
    Cp437,
    /// A name a disc image stores as Unicode (UDF's OSTA CS0, Joliet's UCS-2) or in ISO 9660's
    /// ASCII d-characters.
    #[serde(rename = "unicode")]
    Unicode,
}

/// One member handed out by a container reader.
#[derive(Debug)]
pub struct Entry<'a> {
    /// The name as stored (`\` or `/` separated), decoded to text; not yet checked.
    pub name: &'a str,
    /// How the stored name was decoded.
    pub decoding: NameDecoding,
    /// The declared uncompressed size.
    pub size: u64,
    /// Where the member is: the container's origin plus a [`crate::model::OriginStep::Member`].
    pub origin: &'a Origin,
}

/// Receives the members of a container in archive order.
///
/// A sink returns [`ReadError::Format`] or [`ReadError::Io`] for a problem with the member's
/// bytes (met while reading `data`), and [`ReadError::Stopped`] for a reason of its own, which
/// it keeps; readers pass every error through unchanged.
pub trait EntrySink {
    /// A regular member; `data` yields its bytes (exactly `entry.size` of them, or an error).
    fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), ReadError>;
    /// A regular member whose bytes are, by the container's own structure, exactly those of
    /// the member handed to [`file`](Self::file) just before (a cabinet's members that share
    /// their folder, offset and size): a sink may reuse what it computed of them (their
    /// digest) instead of computing it again. `data` still yields every byte.
    fn file_again(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), ReadError> {
        self.file(entry, data)
    }
    /// A directory member (zip, disc image); cabinets have none.
    fn directory(&mut self, entry: &Entry<'_>) -> Result<(), ReadError>;
    /// Asked between members and during long skips; [`ReadError::Stopped`] ends the walk
    /// (after Ctrl-C).
    fn check_interrupt(&self) -> Result<(), ReadError> {
        Ok(())
    }
    /// Told, before anything is allocated for them, how many members a container declares:
    /// a sink with an entry budget refuses a container that could not fit in it, so a
    /// million-entry table is never read.
    fn announce(&mut self, _origin: &Origin, _entries: u64) -> Result<(), ReadError> {
        Ok(())
    }
    /// Whether the reader may decompress on a thread of its own while this one takes the
    /// members (`--threads` above 1); the members and their order are the same either way.
    fn decode_ahead(&self) -> bool {
        false
    }
}

/// A sink that hands every member on under another name (`rename` gives `None` to keep the
/// stored one): installed paths for an MSI's File keys, stream folders, Burn payload names.
/// The Origin keeps the name as stored, which is where the member is.
pub(crate) struct Renaming<'a, F> {
    pub(crate) inner: &'a mut dyn EntrySink,
    pub(crate) rename: F,
}

impl<F: FnMut(&str) -> Option<String>> Renaming<'_, F> {
    /// Hands `entry` on to `to` (one of the inner sink's methods) under its new name.
    fn renamed(
        &mut self,
        entry: &Entry<'_>,
        to: impl FnOnce(&mut dyn EntrySink, &Entry<'_>) -> Result<(), ReadError>,
    ) -> Result<(), ReadError> {
        match (self.rename)(entry.name) {
            Some(name) => to(
                self.inner,
                &Entry {
                    name: &name,
                    ..*entry
                },
            ),
            None => to(self.inner, entry),
        }
    }
}

impl<F: FnMut(&str) -> Option<String>> EntrySink for Renaming<'_, F> {
    fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), ReadError> {
        self.renamed(entry, |inner, e| inner.file(e, data))
    }

    fn file_again(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), ReadError> {
        self.renamed(entry, |inner, e| inner.file_again(e, data))
    }

    fn directory(&mut self, entry: &Entry<'_>) -> Result<(), ReadError> {
        self.renamed(entry, |inner, e| inner.directory(e))
    }

    fn check_interrupt(&self) -> Result<(), ReadError> {
        self.inner.check_interrupt()
    }

    fn announce(&mut self, origin: &Origin, entries: u64) -> Result<(), ReadError> {
        self.inner.announce(origin, entries)
    }

    fn decode_ahead(&self) -> bool {
        self.inner.decode_ahead()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_by_magic_not_by_name() {
        assert_eq!(sniff(b"MSCF\0\0\0\0rest"), Format::Cab);
        assert_eq!(sniff(b"MSCF\0\0\0\x01"), Format::Unknown);
        assert_eq!(sniff(b"PK\x03\x04"), Format::Zip);
        assert_eq!(sniff(b"PK\x05\x06"), Format::Zip);
        assert_eq!(
            sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]),
            Format::CompoundFile
        );
        assert_eq!(sniff(b"MZ\x90\0"), Format::Executable);
        assert_eq!(sniff(b""), Format::Unknown);
        assert_eq!(sniff(b"junkMSCF"), Format::Unknown);
    }

    #[test]
    fn disc_images_are_sniffed_at_byte_32769() {
        for ident in [b"CD001", b"BEA01", b"NSR02", b"NSR03"] {
            let mut head = vec![0u8; HEAD_LEN];
            head[DISC_VRS + 1..DISC_VRS + 6].copy_from_slice(ident);
            assert_eq!(sniff(&head), Format::DiscImage);
            // Only a head long enough to see the descriptor (a member's short head is not).
            assert_eq!(sniff(&head[..SNIFF_LEN]), Format::Unknown);
        }
        let mut head = vec![0u8; HEAD_LEN];
        head[DISC_VRS + 1..DISC_VRS + 6].copy_from_slice(b"TEA01");
        assert_eq!(sniff(&head), Format::Unknown);
        // A format marked at offset 0 wins.
        head[..2].copy_from_slice(b"MZ");
        head[DISC_VRS + 1..DISC_VRS + 6].copy_from_slice(b"CD001");
        assert_eq!(sniff(&head), Format::Executable);
        assert_eq!(
            serde_json::to_value(Format::DiscImage).unwrap(),
            serde_json::json!("disc-image")
        );
    }
}
