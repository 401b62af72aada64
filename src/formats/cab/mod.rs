//! Microsoft cabinet reader (MS-CAB): streaming, one pass per folder, cabinet sets, scanning.
//!
//! - [`header`] parses CFHEADER/CFFOLDER/CFFILE with every bound checked;
//! - [`set`] walks a cabinet set to its first volume and merges continued folders;
//! - [`folder`] turns a folder's CFDATA blocks (checksummed, split blocks joined) into bytes,
//!   with [`codec`] doing stored, MSZIP (flate2), Quantum ([`quantum`]) and LZX ([`lzx`])
//!   blocks, the last two with our own decoders;
//! - [`scan`](fn@scan) finds cabinets embedded in other files.
//!
//! Memory is bounded by one compressed block, one decoded block and the LZX or Quantum window
//! (≤ 2 MiB), whatever the size of the cabinet.

mod ahead;
mod checksum;
mod codec;
mod folder;
mod header;
pub mod lzx;
pub mod quantum;
mod scan;
mod set;

use std::fmt;
use std::io;

use crate::formats::{Entry, EntrySink, ReadError, ReadSeek};
use crate::model::{Origin, OriginStep};

use folder::{Buffers, FolderStream, MemberReader};

/// Something wrong with a cabinet's bytes.
#[derive(Debug, thiserror::Error)]
pub enum CabError {
    #[error("not a cabinet (bad signature)")]
    BadSignature,
    /// A compression type MS-CAB does not define (it knows 0 to 3): slipway cannot read the
    /// folder, which does not make the cabinet damaged.
    #[error(
        "unsupported compression type {} (typeCompress {type_compress:#06x}; MS-CAB defines 0 none, 1 MSZIP, 2 Quantum, 3 LZX)",
        type_compress & 0x000F
    )]
    UnsupportedCompression { type_compress: u16 },
    #[error("invalid LZX window size 2^{bits} (must be 2^15 to 2^21)")]
    BadLzxWindow { bits: u16 },
    #[error("invalid Quantum window size 2^{bits} (must be 2^10 to 2^21)")]
    BadQuantumWindow { bits: u16 },
    #[error("truncated cabinet: it ends inside {part}")]
    Truncated { part: Part },
    #[error("{part} is not NUL-terminated within 255 bytes")]
    UnterminatedString { part: Part },
    #[error("cabinet has no folders")]
    NoFolders,
    #[error("cabinet has no files")]
    NoFiles,
    #[error("cabinet size {cb_cabinet} is smaller than its header")]
    CabinetTooSmall { cb_cabinet: u32 },
    #[error("file table offset {coff_files} is outside the cabinet ({cb_cabinet} bytes)")]
    FilesOffsetOutOfRange { coff_files: u32, cb_cabinet: u32 },
    #[error(
        "data of folder {folder} starts at {coff_cab_start}, outside the cabinet ({cb_cabinet} bytes)"
    )]
    DataOffsetOutOfRange {
        folder: usize,
        coff_cab_start: u32,
        cb_cabinet: u32,
    },
    #[error("invalid folder index {index} (cabinet has {folders} folders)")]
    BadFolderIndex { index: u16, folders: u16 },
    #[error("a file is continued from the {direction} cabinet, but the header names none")]
    ContinuedWithoutNeighbour { direction: Direction },
    #[error("cabinet data truncated at byte {offset}")]
    DataTruncated { offset: u64 },
    #[error("member data runs past the end of its folder (at folder offset {offset})")]
    FolderTooShort { offset: u64 },
    #[error(
        "member at folder offset {offset} ({size} bytes) lies beyond what the folder's {max} bytes of blocks can hold"
    )]
    MemberBeyondFolder { offset: u32, size: u32, max: u64 },
    #[error("data block {block}: {compressed} compressed bytes is too large")]
    BlockTooLarge { block: u32, compressed: usize },
    #[error("data block {block}: uncompressed size {cb_uncomp} exceeds 32768")]
    UncompressedTooLarge { block: u32, cb_uncomp: u16 },
    #[error("cabinet cut short: it declares {declared} bytes, the file holds {available}")]
    CabinetCut { declared: u64, available: u64 },
    #[error("data block {block}: bad checksum (stored {stored:#010x}, computed {computed:#010x})")]
    BadChecksum {
        block: u32,
        stored: u32,
        computed: u32,
    },
    #[error("data block {block}: decodes to {actual} bytes, header says {expected}")]
    BlockSizeMismatch {
        block: u32,
        expected: usize,
        actual: usize,
    },
    #[error("data block {block}: split across volumes but not continued in the next one")]
    SplitBlockNotContinued { block: u32 },
    #[error("data block {block}: missing MSZIP 'CK' signature")]
    MsZipSignature { block: u32 },
    #[error("data block {block}: MSZIP decompression failed")]
    MsZip {
        block: u32,
        #[source]
        source: flate2::DecompressError,
    },
    #[error("data block {block}: Quantum decompression failed")]
    Quantum {
        block: u32,
        #[source]
        source: quantum::QuantumError,
    },
    #[error("data block {block}: LZX decompression failed")]
    Lzx {
        block: u32,
        #[source]
        source: lzx::LzxError,
    },
    #[error("{direction} cabinet {name} not found")]
    MissingVolume { name: String, direction: Direction },
    #[error("cabinet set id {found} differs from {expected}")]
    SetIdMismatch { expected: u16, found: u16 },
    #[error("cabinet is number {found} of its set, expected {expected}")]
    VolumeIndexMismatch { expected: u16, found: u16 },
    #[error("cabinet {name} is named twice in the set (cycle)")]
    VolumeCycle { name: String },
    #[error("cabinet set has more than {limit} volumes")]
    TooManyVolumes { limit: usize },
    #[error("folder continued across volumes does not match its continuation")]
    FolderMergeMismatch,
}

/// Which neighbour of a cabinet in its set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Previous,
    Next,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Previous => "previous",
            Direction::Next => "next",
        })
    }
}

/// The structure a truncation or bad string was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Header,
    ReserveSizes,
    HeaderReserve,
    PrevCabinetName,
    PrevDiskName,
    NextCabinetName,
    NextDiskName,
    FolderTable,
    FileTable,
    FileName,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Header => "the header",
            Part::ReserveSizes => "the reserve sizes",
            Part::HeaderReserve => "the header's reserved area",
            Part::PrevCabinetName => "the previous cabinet's name",
            Part::PrevDiskName => "the previous disk's name",
            Part::NextCabinetName => "the next cabinet's name",
            Part::NextDiskName => "the next disk's name",
            Part::FolderTable => "the folder table",
            Part::FileTable => "the file table",
            Part::FileName => "a file name",
        })
    }
}

/// Internal failure: the bytes are wrong, or reading them failed.
#[derive(Debug)]
pub(crate) enum Fail {
    Cab(CabError),
    Io(io::Error),
}

impl From<CabError> for Fail {
    fn from(e: CabError) -> Self {
        Fail::Cab(e)
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Self {
        Fail::Io(e)
    }
}

fn to_error(origin: &Origin, fail: Fail) -> ReadError {
    match fail {
        Fail::Cab(e) => ReadError::format(origin, e),
        Fail::Io(e) => ReadError::reading(origin, e),
    }
}

/// Another volume of a cabinet set, opened by name.
pub struct Volume {
    pub reader: Box<dyn ReadSeek>,
    /// How the volume appears in Origin chains (usually [`OriginStep::Volume`]).
    pub step: OriginStep,
}

impl std::fmt::Debug for Volume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Volume").field("step", &self.step).finish()
    }
}

/// Opens the other volumes of a cabinet set by the names stored in the headers.
pub trait VolumeResolver {
    /// The volume called `name` (matched case-insensitively), or `None` when there is none.
    fn open(&mut self, name: &str) -> io::Result<Option<Volume>>;
}

/// For cabinets that cannot be part of a set on disk (embedded in an exe, an MSI stream).
#[derive(Debug, Default)]
pub struct NoVolumes;

impl VolumeResolver for NoVolumes {
    fn open(&mut self, _name: &str) -> io::Result<Option<Volume>> {
        Ok(None)
    }
}

/// A cabinet found inside a larger file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub offset: u64,
    /// Its `cbCabinet`.
    pub len: u64,
    /// False when the file ends before `len` bytes: a cabinet cut short.
    pub complete: bool,
}

/// How much is decoded between two interrupt checks while skipping within a folder.
const INTERRUPT_EVERY: u64 = 4 * 1024 * 1024;

/// Extracts every member of the cabinet read from `reader` (offset 0 = `MSCF`), and of the
/// whole set it belongs to, handing them to `sink` in order.
///
/// Members come folder by folder, in order of their offset in the folder, so each folder is
/// decompressed once (a member starting before the decoder's position, i.e. overlapping
/// another, makes the folder restart from its first block).
pub fn extract(
    reader: Box<dyn ReadSeek>,
    origin: &Origin,
    volumes: &mut dyn VolumeResolver,
    sink: &mut dyn EntrySink,
) -> Result<(), ReadError> {
    let set::CabSet {
        volumes: mut ios,
        origins,
        folders,
        files,
    } = set::open_set(reader, origin, volumes)?;
    sink.announce(origin, files.len() as u64)?;

    // How far each folder is needed: blocks are never read ahead past its last member's end.
    let mut needed = vec![0u64; folders.len()];
    for f in &files {
        if let Some(n) = needed.get_mut(f.folder) {
            *n = (*n).max(u64::from(f.offset) + u64::from(f.size));
        }
    }
    let mut ahead = if sink.decode_ahead() && folders.iter().any(|f| !f.is_stored()) {
        ahead::Ahead::start()
    } else {
        None
    };
    let mut buffers = Buffers::default();
    let mut current: Option<(usize, FolderStream<'_>)> = None;
    // The bytes of the last member, kept when the next one is its exact duplicate (same
    // folder, offset and size: MSI cabinets list shared files under several names), so the
    // duplicate does not restart the folder from its first block.
    let mut held: Option<((usize, u32, u32), Vec<u8>)> = None;
    let mut spare_copy = Vec::new();
    for (index, file) in files.iter().enumerate() {
        sink.check_interrupt()?;
        let base = origins.get(file.volume).unwrap_or(origin);
        let member_origin = base.child(OriginStep::Member(file.name.clone()));
        let entry = Entry {
            name: &file.name,
            decoding: file.decoding,
            size: u64::from(file.size),
            origin: &member_origin,
        };
        if file.size == 0 {
            sink.file(&entry, &mut io::empty())?;
            continue;
        }
        let Some(folder) = folders.get(file.folder) else {
            // Cannot happen: set.rs maps every file to an existing folder.
            return Err(ReadError::format(
                &member_origin,
                CabError::FolderMergeMismatch,
            ));
        };
        let max = folder.max_len();
        if u64::from(file.offset) + u64::from(file.size) > max {
            return Err(ReadError::format(
                &member_origin,
                CabError::MemberBeyondFolder {
                    offset: file.offset,
                    size: file.size,
                    max,
                },
            ));
        }
        if current.as_ref().is_none_or(|(i, _)| *i != file.folder) {
            if let Some((_, old)) = current.take() {
                buffers = old.into_buffers();
            }
            // The previous stream borrowed `ios`; it is gone, so the borrow can be renewed.
            let limit = needed.get(file.folder).copied().unwrap_or(0);
            let stream = FolderStream::new(
                &mut ios,
                folder,
                std::mem::take(&mut buffers),
                ahead.as_mut(),
                limit,
            )
            .map_err(|e| ReadError::format(&member_origin, e))?;
            current = Some((file.folder, stream));
        }
        let Some((_, stream)) = current.as_mut() else {
            unreachable!("a folder stream was just set up");
        };
        let key = (file.folder, file.offset, file.size);
        if let Some((held_key, bytes)) = &held
            && *held_key == key
        {
            sink.file_again(&entry, &mut bytes.as_slice())?;
            continue;
        }
        // Its buffer is kept for the next member with duplicates (no fresh pages each time).
        if let Some((_, bytes)) = held.take() {
            spare_copy = bytes;
        }
        let target = u64::from(file.offset);
        if target < stream.pos() {
            stream.restart();
        }
        while !stream
            .skip_towards(target, INTERRUPT_EVERY)
            .map_err(|f| to_error(&member_origin, f))?
        {
            sink.check_interrupt()?;
        }
        let mut reader = MemberReader {
            stream,
            remaining: u64::from(file.size),
        };
        let duplicate_follows = files.get(index + 1).is_some_and(|next| {
            (next.folder, next.offset, next.size) == key && file.size <= HOLD_MAX
        });
        if duplicate_follows {
            let mut copy = std::mem::take(&mut spare_copy);
            copy.clear();
            copy.reserve(file.size as usize);
            sink.file(
                &entry,
                &mut Tee {
                    inner: &mut reader,
                    copy: &mut copy,
                },
            )?;
            // Only a member the sink read to its end can stand in for its duplicates.
            if copy.len() == file.size as usize {
                held = Some((key, copy));
            }
        } else {
            sink.file(&entry, &mut reader)?;
        }
    }
    Ok(())
}

/// Largest member kept in memory for its duplicates (bigger ones restart the folder).
const HOLD_MAX: u32 = 16 << 20;

/// A reader that keeps a copy of what passes through it.
struct Tee<'a, R> {
    inner: R,
    copy: &'a mut Vec<u8>,
}

impl<R: io::Read> io::Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

/// The names of every member of the cabinet in `reader` and of its set, in extraction order,
/// from the headers only (nothing is decompressed).
pub fn member_names(
    reader: Box<dyn ReadSeek>,
    origin: &Origin,
    volumes: &mut dyn VolumeResolver,
) -> Result<Vec<String>, ReadError> {
    let set = set::open_set(reader, origin, volumes)?;
    Ok(set.files.into_iter().map(|f| f.name).collect())
}

/// Finds complete, valid cabinets anywhere in `r` (as cabextract's search does).
pub fn scan(r: &mut dyn ReadSeek, len: u64) -> io::Result<Vec<Span>> {
    scan::scan(r, len)
}
