//! Disc images (ISO 9660 with Joliet, UDF), read from the image's bytes without mounting.
//!
//! Which view is read: UDF when the volume recognition sequence names one (`NSR02`/`NSR03`,
//! ECMA-167 2/9.1) — it is the complete one; Microsoft's server media carry only a stub
//! README in their ISO 9660 view — else the Joliet tree (a supplementary volume descriptor
//! with a UCS-2 escape sequence), else the ISO 9660 primary tree (`;1` version suffixes and
//! a bare trailing `.` stripped). A UDF image whose UDF view cannot be read is damaged: the
//! reader does not fall back to the ISO 9660 view, which may be that stub.
//!
//! Supported:
//! - ISO 9660 (ECMA-119): primary and Joliet supplementary volume descriptors, logical blocks
//!   of 512, 1024 and 2048 bytes, directory records (sector padding skipped), multi-extent
//!   files (files over 4 GiB), extended attribute records skipped. Rock Ridge entries are
//!   ignored (the Joliet or primary names are used).
//! - UDF (ECMA-167 3rd edition, OSTA UDF 1.02 to 2.60): the anchor volume descriptor pointer
//!   at sector 256, N−256 or N−1, for blocks of 512 to 4096 bytes; the main volume descriptor
//!   sequence, else the reserve one; partition descriptors; the logical volume descriptor with
//!   type-1 partition maps and the type-2 metadata partition map of UDF 2.50 (metadata file,
//!   else its mirror); the file set descriptor; file entries and extended file entries
//!   (strategy 4); short and long allocation descriptors with allocation extent descriptor
//!   continuations; data embedded in the ICB; unrecorded extents (read as zeros); file
//!   identifier descriptors (deleted and parent entries skipped); OSTA CS0 names with 8- and
//!   16-bit compression. Every descriptor tag's checksum, CRC and (for volume and file set
//!   structures and file entries) location are checked.
//!
//! Refused with a [`DiscError`] (never a panic): virtual (VAT) and sparable partitions (UDF
//! 1.50 packet writing), extended allocation descriptors, strategy-4096 ICBs, interleaved
//! ISO 9660 files, symbolic links, devices and other special files.
//!
//! Budgets: every offset and size comes from the image and is checked against its length
//! before use — a file whose extents lie past the end is damaged, never padded with zeros,
//! and no file may claim more bytes than the whole image. Directories nest at most
//! [`MAX_DEPTH`] levels, an image lists at most [`MAX_ENTRIES`] directory entries, one
//! directory holds at most [`MAX_DIR_BYTES`] of records, a file has at most [`MAX_EXTENTS`]
//! extents, and a directory met twice (a loop) is refused. Directories never share bytes: a
//! directory whose records lie (even partly) where another directory's do is refused, and
//! the directories of an image hold at most as many bytes in all as the image itself — so
//! listing any image reads each of its bytes as directory data at most once, in time
//! proportional to its size (without these rules, 1,500 ISO 9660 directories pointing into
//! one 32 MiB extent of a 36 MB image read 48 GiB). Nothing of a file is held in memory: its
//! bytes stream through a [`Window`](crate::formats::window::Window) per extent.
//!
//! No crate was taken for this: `isomage` 2.1.0 overflows its stack on a damaged image (no
//! depth bound), reads a fragmented UDF file as one contiguous run, cannot read data embedded
//! in an ICB and turns errors in a subdirectory into an empty folder; `hadris-udf` 2.5.0
//! loads a whole file into memory; `hadris-iso`/`hadris-udf` 3.0.0-rc.2 read the test images
//! and survived mutation, but are a pre-release API with fifteen crates of dependencies and
//! refuse the UDF 2.50 metadata partition.

mod image;
mod iso9660;
mod udf;

use std::collections::{BTreeMap, HashSet};
use std::hash::Hash;
use std::io;

use crate::formats::{Entry, EntrySink, NameDecoding, ReadError, ReadSeek};
use crate::model::{Origin, OriginStep};

use image::{Image, Piece};

/// Directory levels below the root: deeper trees are refused (ECMA-119 allows 8; Joliet and
/// UDF set no limit, Windows paths end near 128 levels of one-letter names).
pub const MAX_DEPTH: u32 = 64;
/// Directory entries (files and directories, read in any directory) in one image.
pub const MAX_ENTRIES: u64 = 1_000_000;
/// Bytes of records in one directory (about 300,000 entries of short names).
pub const MAX_DIR_BYTES: u64 = 32 << 20;
/// Extents of one file, continuations of its allocation descriptors included.
pub const MAX_EXTENTS: usize = 65_536;

/// Something wrong with a disc image's bytes, or something this reader refuses.
#[derive(Debug, thiserror::Error)]
pub enum DiscError {
    #[error("no ISO 9660 or UDF volume recognition sequence at sector 16")]
    NotADisc,
    #[error("{what} at byte {offset} lies past the end of the image ({image_len} bytes)")]
    Truncated {
        what: &'static str,
        offset: u64,
        image_len: u64,
    },
    #[error(
        "{path:?}: extent at byte {offset} ({len} bytes) lies past the end of the image ({image_len} bytes)"
    )]
    OutOfImage {
        path: String,
        offset: u64,
        len: u64,
        image_len: u64,
    },
    #[error("{path:?} declares {size} bytes, more than the whole image ({image_len} bytes)")]
    TooLarge {
        path: String,
        size: u64,
        image_len: u64,
    },
    #[error("{path:?} declares {size} bytes but its extents hold {allocated}")]
    AllocationShort {
        path: String,
        size: u64,
        allocated: u64,
    },
    #[error("bad {what} at byte {offset}: {reason}")]
    Bad {
        what: &'static str,
        offset: u64,
        reason: String,
    },
    #[error("UDF volume has no valid anchor volume descriptor pointer (sector 256, N-256, N-1)")]
    NoAnchor,
    #[error(
        "UDF volume has its anchor at sector 256 but none at N-256 or N-1 ({sector_size}-byte \
         sectors): the image lost its end"
    )]
    NoEndAnchor { sector_size: u64 },
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("{path:?}: {reason}")]
    BadName { path: String, reason: &'static str },
    #[error("{path:?} is a {kind} (only files and directories are extracted)")]
    Special { path: String, kind: &'static str },
    #[error("{path:?}: directories nest deeper than {limit} levels")]
    TooDeep { path: String, limit: u32 },
    #[error("more than {limit} directory entries in the image")]
    TooManyEntries { limit: u64 },
    #[error("directory {path:?} has {size} bytes of records, more than {limit}")]
    DirectoryTooLarge { path: String, size: u64, limit: u64 },
    #[error("{path:?} has more than {limit} extents")]
    TooManyExtents { path: String, limit: usize },
    #[error("directory {path:?} is met twice (a loop in the directory structure)")]
    DirectoryLoop { path: String },
    #[error(
        "directory {path:?} lies in the bytes of directory {other:?} (directories never share their records)"
    )]
    DirectoriesOverlap { path: String, other: String },
    #[error("the directories hold more than {limit} bytes in all, more than the whole image")]
    DirectoryBytes { limit: u64 },
}

impl DiscError {
    fn bad(what: &'static str, offset: u64, reason: impl Into<String>) -> DiscError {
        DiscError::Bad {
            what,
            offset,
            reason: reason.into(),
        }
    }
}

/// What parsing an image can fail with: its bytes, or reading them.
#[derive(Debug)]
enum Fail {
    Disc(DiscError),
    Io(io::Error),
}

impl From<DiscError> for Fail {
    fn from(e: DiscError) -> Fail {
        Fail::Disc(e)
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        Fail::Io(e)
    }
}

impl Fail {
    fn at(self, origin: &Origin) -> ReadError {
        match self {
            Fail::Disc(e) => ReadError::format(origin, e),
            Fail::Io(e) => ReadError::reading(origin, e),
        }
    }
}

/// One entry of a directory, in stored order.
struct Child<D> {
    /// The name as stored, decoded (no `/`).
    name: String,
    node: Node<D>,
}

enum Node<D> {
    Dir(D),
    /// A regular file: its declared size and where its bytes are (checked against the image,
    /// exactly `size` bytes long).
    File {
        size: u64,
        pieces: Vec<Piece>,
    },
}

/// A file system tree on the image (ISO 9660/Joliet or UDF).
trait Volume {
    /// What identifies a directory (its location), to refuse loops.
    type Dir: Copy + Eq + Hash;
    fn image(&mut self) -> &mut Image;
    fn root(&self) -> Self::Dir;
    /// The entries of `dir` (at `path`), each counted against `entries`, whose directory
    /// bytes are charged to it before they are read.
    fn children(
        &mut self,
        dir: Self::Dir,
        path: &str,
        entries: &mut Entries,
    ) -> Result<Vec<Child<Self::Dir>>, Fail>;
}

/// What listing an image has read: directory entries (against [`MAX_ENTRIES`]), and the
/// directories' bytes — where they lie, and how many in all (against the image's length).
#[derive(Debug)]
struct Entries {
    count: u64,
    /// Bytes of directory data taken, recorded or not.
    dir_bytes: u64,
    /// The image's length: the most bytes of directory data an image can hold.
    image_len: u64,
    /// Every directory extent read: start → (end, the directory's path).
    extents: BTreeMap<u64, (u64, String)>,
}

impl Entries {
    fn new(image_len: u64) -> Entries {
        Entries {
            count: 0,
            dir_bytes: 0,
            image_len,
            extents: BTreeMap::new(),
        }
    }

    fn count(&mut self) -> Result<(), DiscError> {
        self.count += 1;
        if self.count > MAX_ENTRIES {
            return Err(DiscError::TooManyEntries { limit: MAX_ENTRIES });
        }
        Ok(())
    }

    /// Charges the bytes of the directory at `path`, about to be read from `pieces`: its
    /// recorded extents must not overlap any directory's read before, and all directories
    /// together hold at most the image's length. Each directory is a file of records of its
    /// own; a mastering tool has no reason to record two in the same bytes, and an image
    /// that does is built to make a reader read them again and again (the directory-loop
    /// rule above catches only extents that start at the same place). O(log d) for d
    /// directories.
    fn directory(&mut self, path: &str, pieces: &[Piece]) -> Result<(), DiscError> {
        for piece in pieces {
            let charge = |entries: &mut Entries| {
                entries.dir_bytes = entries.dir_bytes.saturating_add(piece.len());
                if entries.dir_bytes > entries.image_len {
                    return Err(DiscError::DirectoryBytes {
                        limit: entries.image_len,
                    });
                }
                Ok(())
            };
            let Piece::Data { offset, len } = *piece else {
                charge(self)?;
                continue;
            };
            if len == 0 {
                continue;
            }
            let end = offset.saturating_add(len);
            // The extent starting at or before `offset`, and the first one after it.
            let before = self.extents.range(..=offset).next_back();
            let after = self.extents.range(offset..).next();
            let clash = before
                .filter(|(_, (e, _))| *e > offset)
                .or(after.filter(|(s, _)| **s < end));
            if let Some((_, (_, other))) = clash {
                let name = |p: &str| {
                    if p.is_empty() {
                        "/".to_owned()
                    } else {
                        p.to_owned()
                    }
                };
                return Err(DiscError::DirectoriesOverlap {
                    path: name(path),
                    other: name(other),
                });
            }
            charge(self)?;
            self.extents.insert(offset, (end, path.to_owned()));
        }
        Ok(())
    }
}

/// Checks a file's declared size and extents against the image, and cuts the extents to
/// the size.
fn file_node<D>(
    image_len: u64,
    path: &str,
    size: u64,
    mut pieces: Vec<Piece>,
) -> Result<Node<D>, DiscError> {
    if size > image_len {
        return Err(DiscError::TooLarge {
            path: path.to_owned(),
            size,
            image_len,
        });
    }
    let allocated = image::total(&pieces);
    if allocated < size {
        return Err(DiscError::AllocationShort {
            path: path.to_owned(),
            size,
            allocated,
        });
    }
    image::truncate(&mut pieces, size);
    for p in &pieces {
        if let Piece::Data { offset, len } = *p
            && offset.checked_add(len).is_none_or(|end| end > image_len)
        {
            return Err(DiscError::OutOfImage {
                path: path.to_owned(),
                offset,
                len,
                image_len,
            });
        }
    }
    Ok(Node::File { size, pieces })
}

/// `parent/name`, or `name` at the root.
fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

/// What the volume recognition area (ECMA-119 6.2, ECMA-167 2/8.4) names.
#[derive(Debug, Default)]
struct Recognised {
    iso9660: bool,
    udf: bool,
}

/// Volume structure descriptors looked at: at 2048-byte steps from byte 32768.
const VRS_SCAN: u64 = 64;

fn recognise(image: &mut Image) -> Result<Recognised, Fail> {
    let mut found = Recognised::default();
    let mut ident = [0u8; 6];
    for i in 0..VRS_SCAN {
        let offset = 32768 + i * 2048;
        if !image.contains(offset, 6) {
            break;
        }
        image.read_at(offset, &mut ident, "volume structure descriptor")?;
        match &ident[1..6] {
            b"CD001" => found.iso9660 = true,
            // An NSR descriptor (ECMA-167 3/9.1) names a UDF volume, in the extended area
            // that BEA01 opens and TEA01 closes.
            b"NSR02" | b"NSR03" if ident[0] == 0 => found.udf = true,
            b"TEA01" => break,
            // BEA01, BOOT2, CDW02, and the empty sectors between the descriptors of a
            // volume with blocks larger than 2048 bytes.
            _ => {}
        }
    }
    Ok(found)
}

/// Extracts every file and directory of the disc image read from `reader` into `sink`.
pub fn extract(
    reader: Box<dyn ReadSeek>,
    origin: &Origin,
    sink: &mut dyn EntrySink,
) -> Result<(), ReadError> {
    let mut image = Image::new(reader).map_err(|e| ReadError::reading(origin, e))?;
    let found = recognise(&mut image).map_err(|f| f.at(origin))?;
    if found.iso9660 {
        // Also for a UDF bridge image: its ISO 9660 volume spans the whole image.
        iso9660::check_end(&mut image).map_err(|f| f.at(origin))?;
    }
    if found.udf {
        let mut volume = udf::UdfVolume::open(image).map_err(|f| f.at(origin))?;
        walk(&mut volume, origin, sink)
    } else if found.iso9660 {
        let mut volume = iso9660::IsoVolume::open(image).map_err(|f| f.at(origin))?;
        walk(&mut volume, origin, sink)
    } else {
        Err(ReadError::format(origin, DiscError::NotADisc))
    }
}

/// Hands the tree of `volume` to `sink`, directories before what they hold.
fn walk<V: Volume>(
    volume: &mut V,
    origin: &Origin,
    sink: &mut dyn EntrySink,
) -> Result<(), ReadError> {
    let root = volume.root();
    let mut seen = HashSet::from([root]);
    let mut entries = Entries::new(volume.image().len());
    walk_dir(volume, root, "", 0, &mut seen, &mut entries, origin, sink)
}

#[allow(clippy::too_many_arguments)]
fn walk_dir<V: Volume>(
    volume: &mut V,
    dir: V::Dir,
    path: &str,
    depth: u32,
    seen: &mut HashSet<V::Dir>,
    entries: &mut Entries,
    origin: &Origin,
    sink: &mut dyn EntrySink,
) -> Result<(), ReadError> {
    let children = volume
        .children(dir, path, entries)
        .map_err(|f| f.at(origin))?;
    for child in children {
        sink.check_interrupt()?;
        let name = join(path, &child.name);
        let member = origin.child(OriginStep::Member(name.clone()));
        match child.node {
            Node::Dir(d) => {
                if depth + 1 > MAX_DEPTH {
                    let e = DiscError::TooDeep {
                        path: name,
                        limit: MAX_DEPTH,
                    };
                    return Err(ReadError::format(origin, e));
                }
                if !seen.insert(d) {
                    return Err(ReadError::format(
                        origin,
                        DiscError::DirectoryLoop { path: name },
                    ));
                }
                let entry = Entry {
                    name: &name,
                    decoding: NameDecoding::Unicode,
                    size: 0,
                    origin: &member,
                };
                sink.directory(&entry)?;
                walk_dir(volume, d, &name, depth + 1, seen, entries, origin, sink)?;
            }
            Node::File { size, pieces } => {
                let entry = Entry {
                    name: &name,
                    decoding: NameDecoding::Unicode,
                    size,
                    origin: &member,
                };
                let mut data = volume.image().file_data(&pieces);
                sink.file(&entry, &mut data)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The directory budget: extents that touch are fine, extents that share a byte are not
    /// (whichever comes first), and unrecorded bytes count against the image's length.
    #[test]
    fn directories_never_share_bytes_nor_outgrow_the_image() {
        let data = |offset, len| Piece::Data { offset, len };
        // (extents already read, the next directory's pieces, refused)
        type Case<'a> = (&'a [(u64, u64)], Vec<Piece>, bool);
        let cases: [Case<'_>; 8] = [
            (&[], vec![data(0, 2048)], false),
            (&[(0, 2048)], vec![data(2048, 2048)], false),
            (&[(2048, 2048)], vec![data(0, 2048)], false),
            (&[(0, 2048)], vec![data(2047, 10)], true),
            (&[(4096, 2048)], vec![data(0, 4097)], true),
            (&[(0, 8192)], vec![data(2048, 2048)], true),
            (&[(0, 2048)], vec![data(0, 0)], false),
            (&[], vec![Piece::Zeros { len: 9000 }, data(0, 2048)], true),
        ];
        for (before, next, refused) in cases {
            let mut entries = Entries::new(10_000);
            for &(offset, len) in before {
                entries.directory("a", &[data(offset, len)]).unwrap();
            }
            let got = entries.directory("b", &next);
            assert_eq!(got.is_err(), refused, "{before:?} then {next:?}: {got:?}");
            if let Err(e) = got {
                assert!(matches!(
                    e,
                    DiscError::DirectoriesOverlap { .. } | DiscError::DirectoryBytes { .. }
                ));
            }
        }
    }
}
