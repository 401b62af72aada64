//! ISO 9660 (ECMA-119) with Joliet: volume descriptors from sector 16, directory records,
//! multi-extent files.

use std::hash::{Hash, Hasher};

use super::image::{Image, Piece};
use super::{Child, DiscError, Entries, Fail, MAX_DIR_BYTES, MAX_EXTENTS, Node, Volume};
use crate::formats::bytes::{u16_at, u32_at};

/// ECMA-119 6.1.2: volume descriptors and directory records live in 2048-byte sectors.
const SECTOR: u64 = 2048;
/// Volume descriptors read before giving up on a terminator.
const MAX_DESCRIPTORS: u64 = 64;

/// Directory record file flags (ECMA-119 9.1.6).
const FLAG_DIRECTORY: u8 = 0x02;
const FLAG_ASSOCIATED: u8 = 0x04;
const FLAG_MULTI_EXTENT: u8 = 0x80;

/// A directory's extent; two are the same directory when they start at the same byte.
#[derive(Clone, Copy, Debug)]
pub(super) struct IsoDir {
    offset: u64,
    size: u64,
}

impl PartialEq for IsoDir {
    fn eq(&self, other: &Self) -> bool {
        self.offset == other.offset
    }
}

impl Eq for IsoDir {}

impl Hash for IsoDir {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.offset.hash(state);
    }
}

/// The Joliet tree when there is one, else the primary tree.
pub(super) struct IsoVolume {
    image: Image,
    /// Logical block size (ECMA-119 6.1.2: 2^(n+9), at most the sector size).
    block: u64,
    joliet: bool,
    root: IsoDir,
}

/// Checks that the image holds the whole ISO 9660 volume: ECMA-119 8.4.8, the primary volume
/// descriptor's volume space size in logical blocks. A volume's last blocks may be padding,
/// but an image shorter than its volume was cut.
pub(super) fn check_end(image: &mut Image) -> Result<(), Fail> {
    let mut buf = vec![0u8; SECTOR as usize];
    for i in 0..MAX_DESCRIPTORS {
        image.read_at((16 + i) * SECTOR, &mut buf, "ISO 9660 volume descriptor")?;
        if &buf[1..6] != b"CD001" || buf[0] == 255 {
            break;
        }
        if buf[0] == 1 {
            let end = u64::from(u32_at(&buf, 80)) * u64::from(u16_at(&buf, 128));
            if end > image.len() {
                return Err(DiscError::Truncated {
                    what: "the end of the ISO 9660 volume",
                    offset: end,
                    image_len: image.len(),
                }
                .into());
            }
            break;
        }
    }
    Ok(())
}

/// A supplementary volume descriptor is Joliet's when its escape sequences (ECMA-119 8.5.6,
/// BP 89) name UCS-2 level 1, 2 or 3.
fn is_joliet(svd: &[u8]) -> bool {
    matches!(&svd[88..91], b"%/@" | b"%/C" | b"%/E")
}

impl IsoVolume {
    pub(super) fn open(mut image: Image) -> Result<IsoVolume, Fail> {
        let mut primary = None;
        let mut joliet = None;
        let mut buf = vec![0u8; SECTOR as usize];
        for i in 0..MAX_DESCRIPTORS {
            let offset = (16 + i) * SECTOR;
            image.read_at(offset, &mut buf, "ISO 9660 volume descriptor")?;
            if &buf[1..6] != b"CD001" {
                break;
            }
            match buf[0] {
                1 if primary.is_none() => primary = Some((offset, buf.clone())),
                2 if joliet.is_none() && is_joliet(&buf) => joliet = Some((offset, buf.clone())),
                255 => break,
                _ => {}
            }
        }
        let is_joliet = joliet.is_some();
        let Some((offset, desc)) = joliet.or(primary) else {
            return Err(DiscError::bad(
                "ISO 9660 volume descriptor set",
                16 * SECTOR,
                "no primary volume descriptor",
            )
            .into());
        };
        let block = u64::from(u16_at(&desc, 128));
        if !matches!(block, 512 | 1024 | 2048) {
            return Err(DiscError::Unsupported(format!(
                "ISO 9660 logical block size {block} (512, 1024 or 2048 are read)"
            ))
            .into());
        }
        // The root directory record, BP 157-190 of the descriptor.
        let root = Record::parse(&desc[156..190], offset + 156)?;
        if root.flags & FLAG_DIRECTORY == 0 {
            return Err(DiscError::bad(
                "ISO 9660 root directory record",
                offset + 156,
                "not a directory",
            )
            .into());
        }
        Ok(IsoVolume {
            root: IsoDir {
                offset: root.data_offset(block),
                size: u64::from(root.size),
            },
            image,
            block,
            joliet: is_joliet,
        })
    }

    /// The name of a record, decoded, without its version (`;1`) and, in the primary tree,
    /// without the separator of an empty extension (`NAME.;1`, ECMA-119 7.5.1).
    fn name(&self, raw: &[u8], is_dir: bool, parent: &str) -> Result<String, DiscError> {
        let bad = |reason| DiscError::BadName {
            path: super::join(parent, &String::from_utf8_lossy(raw)),
            reason,
        };
        let mut name = if self.joliet {
            if !raw.len().is_multiple_of(2) {
                return Err(bad("Joliet name of an odd number of bytes"));
            }
            let units = raw
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| bad("Joliet name is not valid UCS-2/UTF-16"))?
        } else {
            raw.iter().map(|&b| char::from(b)).collect()
        };
        if !is_dir {
            if let Some(at) = name.rfind(';') {
                name.truncate(at);
            }
            if !self.joliet && name.ends_with('.') {
                name.pop();
            }
        }
        if name.is_empty() {
            return Err(bad("empty name"));
        }
        if name.contains(['/', '\0']) {
            return Err(bad("name contains '/' or NUL"));
        }
        Ok(name)
    }
}

/// The fields of a directory record (ECMA-119 9.1) that are read.
struct Record<'a> {
    ext_attr_len: u8,
    location: u32,
    size: u32,
    flags: u8,
    unit_size: u8,
    gap: u8,
    name: &'a [u8],
}

impl<'a> Record<'a> {
    /// Parses the record in `rec` (exactly its length), found at byte `offset`.
    fn parse(rec: &'a [u8], offset: u64) -> Result<Record<'a>, DiscError> {
        let bad = |reason: &str| DiscError::bad("ISO 9660 directory record", offset, reason);
        if rec.len() < 34 || usize::from(rec[0]) > rec.len() {
            return Err(bad("shorter than 34 bytes"));
        }
        let name_len = usize::from(rec[32]);
        let name = rec
            .get(33..33 + name_len)
            .ok_or_else(|| bad("name runs past the record"))?;
        Ok(Record {
            ext_attr_len: rec[1],
            location: u32_at(rec, 2),
            size: u32_at(rec, 10),
            flags: rec[25],
            unit_size: rec[26],
            gap: rec[27],
            name,
        })
    }

    /// Where the data starts: after the extended attribute record (ECMA-119 9.5).
    fn data_offset(&self, block: u64) -> u64 {
        (u64::from(self.location) + u64::from(self.ext_attr_len)) * block
    }

    /// `.` and `..` (ECMA-119 6.8.2.2: identifiers 0x00 and 0x01).
    fn is_self_or_parent(&self) -> bool {
        matches!(self.name, [0] | [1])
    }
}

/// A multi-extent file whose last record is still to come.
struct Pending {
    name: String,
    pieces: Vec<Piece>,
    size: u64,
}

impl Volume for IsoVolume {
    type Dir = IsoDir;

    fn image(&mut self) -> &mut Image {
        &mut self.image
    }

    fn root(&self) -> IsoDir {
        self.root
    }

    fn children(
        &mut self,
        dir: IsoDir,
        path: &str,
        entries: &mut Entries,
    ) -> Result<Vec<Child<IsoDir>>, Fail> {
        if dir.size > MAX_DIR_BYTES {
            return Err(DiscError::DirectoryTooLarge {
                path: path.to_owned(),
                size: dir.size,
                limit: MAX_DIR_BYTES,
            }
            .into());
        }
        entries.directory(
            path,
            &[Piece::Data {
                offset: dir.offset,
                len: dir.size,
            }],
        )?;
        // Bounded by MAX_DIR_BYTES just above.
        let len = dir.size as usize;
        let data = self.image.read_vec(dir.offset, len, "ISO 9660 directory")?;
        let image_len = self.image.len();
        let mut out = Vec::new();
        let mut pending: Option<Pending> = None;
        let mut pos = 0usize;
        while pos < data.len() {
            let len = usize::from(data[pos]);
            if len == 0 {
                // ECMA-119 6.8.1.1: a record never spans a sector; the rest is padding.
                pos = (pos / SECTOR as usize + 1) * SECTOR as usize;
                continue;
            }
            let at = dir.offset + pos as u64;
            let rec = data.get(pos..pos + len).ok_or_else(|| {
                DiscError::bad("ISO 9660 directory record", at, "runs past its directory")
            })?;
            pos += len;
            let rec = Record::parse(rec, at)?;
            if rec.is_self_or_parent() {
                continue;
            }
            entries.count()?;
            if rec.flags & FLAG_ASSOCIATED != 0 {
                continue; // an associated file (a Macintosh resource fork)
            }
            let is_dir = rec.flags & FLAG_DIRECTORY != 0;
            let name = self.name(rec.name, is_dir, path)?;
            let full = super::join(path, &name);
            if rec.unit_size != 0 || rec.gap != 0 {
                return Err(
                    DiscError::Unsupported(format!("interleaved ISO 9660 file {full:?}")).into(),
                );
            }
            if let Some(p) = &pending
                && (is_dir || p.name != name)
            {
                return Err(DiscError::bad(
                    "ISO 9660 directory record",
                    at,
                    format!("multi-extent file {:?} is not continued", p.name),
                )
                .into());
            }
            if is_dir {
                if rec.flags & FLAG_MULTI_EXTENT != 0 {
                    return Err(DiscError::bad(
                        "ISO 9660 directory record",
                        at,
                        "a directory in several extents",
                    )
                    .into());
                }
                out.push(Child {
                    name,
                    node: Node::Dir(IsoDir {
                        offset: rec.data_offset(self.block),
                        size: u64::from(rec.size),
                    }),
                });
                continue;
            }
            let mut file = pending.take().unwrap_or(Pending {
                name,
                pieces: Vec::new(),
                size: 0,
            });
            if rec.size > 0 {
                if file.pieces.len() >= MAX_EXTENTS {
                    return Err(DiscError::TooManyExtents {
                        path: full,
                        limit: MAX_EXTENTS,
                    }
                    .into());
                }
                file.pieces.push(Piece::Data {
                    offset: rec.data_offset(self.block),
                    len: u64::from(rec.size),
                });
                file.size += u64::from(rec.size);
            }
            if rec.flags & FLAG_MULTI_EXTENT != 0 {
                // ECMA-119 6.5.1: the next record of the same name continues the file.
                pending = Some(file);
                continue;
            }
            let node = super::file_node(image_len, &full, file.size, file.pieces)?;
            out.push(Child {
                name: file.name,
                node,
            });
        }
        if let Some(p) = pending {
            return Err(DiscError::bad(
                "ISO 9660 directory",
                dir.offset,
                format!("multi-extent file {:?} is not continued", p.name),
            )
            .into());
        }
        Ok(out)
    }
}
