//! UDF (ECMA-167, OSTA UDF): the anchor, the volume descriptor sequence, partitions (type-1
//! maps and the UDF 2.50 metadata partition), the file set descriptor, and directories.

mod file;
mod tag;
#[cfg(test)]
mod tests;

use super::image::{Image, Piece};
use super::{Child, DiscError, Entries, Fail, MAX_DIR_BYTES, Node, Volume};
use crate::formats::bytes::{u16_at, u32_at};
use file::{TYPE_DIRECTORY, TYPE_FILE, TYPE_METADATA, TYPE_METADATA_MIRROR, TYPE_REAL_TIME};

/// Blocks of one volume descriptor sequence read, pointers followed included.
const MAX_VDS_BLOCKS: u64 = 4096;
/// Volume descriptor pointers (ECMA-167 3/10.3) followed.
const MAX_VDS_HOPS: usize = 16;
/// Partition maps read from a logical volume descriptor.
const MAX_MAPS: u32 = 64;

/// A block of a partition: where an ICB is, and what identifies a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Icb {
    lbn: u32,
    /// The partition reference number: an index into the logical volume's partition maps.
    partition: u16,
}

/// A partition, as the logical volume maps it.
#[derive(Debug)]
enum Part {
    /// A type-1 map: blocks `[start, start + len)` of the image, in bytes.
    Physical { start: u64, len: u64 },
    /// A UDF 2.50 metadata partition (OSTA UDF 2.2.10): its blocks are those of the
    /// metadata file, whose extents are here, each with its offset in the file (ascending).
    Metadata { pieces: Vec<(u64, Piece)> },
}

/// A UDF volume's file set.
pub(super) struct UdfVolume {
    image: Image,
    /// The logical block size (ECMA-167 3/10.6.2), equal to the sector size found.
    bs: u64,
    parts: Vec<Part>,
    root: Icb,
}

/// The prevailing descriptors of a volume descriptor sequence (3/8.4.3: of those with the
/// same identity, the highest volume descriptor sequence number).
#[derive(Default)]
struct Sequence {
    /// Partition descriptors: (partition number, sequence number, the block).
    partitions: Vec<(u16, u32, Vec<u8>)>,
    logical: Option<(u32, Vec<u8>)>,
}

impl UdfVolume {
    pub(super) fn open(mut image: Image) -> Result<UdfVolume, Fail> {
        let (bs, anchor, anchor_offset) = find_anchor(&mut image)?;
        // 3/10.2: the main and reserve volume descriptor sequence extents.
        let main = (u32_at(&anchor, 20), u32_at(&anchor, 16));
        let reserve = (u32_at(&anchor, 28), u32_at(&anchor, 24));
        let seq = match read_sequence(&mut image, bs, main) {
            Ok(seq) => seq,
            Err(first) => read_sequence(&mut image, bs, reserve).map_err(|_| first)?,
        };
        let Some((_, lvd)) = seq.logical else {
            return Err(DiscError::bad(
                "UDF volume descriptor sequence",
                anchor_offset,
                "no logical volume descriptor",
            )
            .into());
        };
        let lvd_bs = u64::from(u32_at(&lvd, 212));
        if lvd_bs != bs {
            return Err(DiscError::Unsupported(format!(
                "UDF logical block size {lvd_bs} differs from the sector size {bs}"
            ))
            .into());
        }
        let mut volume = UdfVolume {
            image,
            bs,
            parts: Vec::new(),
            root: Icb {
                lbn: 0,
                partition: 0,
            },
        };
        volume.map_partitions(&lvd, &seq.partitions)?;
        // 3/10.6.13: the file set descriptor's extent, a long_ad.
        let fsd = Icb {
            lbn: u32_at(&lvd, 252),
            partition: u16_at(&lvd, 256),
        };
        let offset = volume.block_offset(fsd)?;
        let block = volume
            .image
            .read_vec(offset, volume.bs_usize(), "UDF file set descriptor")?;
        tag::check(
            &block,
            offset,
            "UDF file set descriptor",
            tag::FILE_SET,
            Some(fsd.lbn),
        )?;
        // 4/14.1.7: the root directory ICB.
        volume.root = Icb {
            lbn: u32_at(&block, 404),
            partition: u16_at(&block, 408),
        };
        Ok(volume)
    }

    fn bs_usize(&self) -> usize {
        // At most 4096 (find_anchor).
        self.bs as usize
    }

    /// Reads the partition maps of the logical volume descriptor `lvd` (3/10.7).
    fn map_partitions(&mut self, lvd: &[u8], pds: &[(u16, u32, Vec<u8>)]) -> Result<(), Fail> {
        let what = "UDF partition map";
        let count = u32_at(lvd, 268);
        if count == 0 || count > MAX_MAPS {
            return Err(DiscError::bad(what, 0, format!("{count} partition maps")).into());
        }
        let table_len = usize::try_from(u32_at(lvd, 264)).unwrap_or(usize::MAX);
        let table = lvd
            .get(440..440usize.saturating_add(table_len))
            .ok_or_else(|| DiscError::bad(what, 0, "map table overruns its descriptor"))?;
        let image_len = self.image.len();
        let physical = |number: u16| -> Result<Part, DiscError> {
            let (_, _, pd) = pds.iter().find(|(n, _, _)| *n == number).ok_or_else(|| {
                DiscError::bad(what, 0, format!("no descriptor for partition {number}"))
            })?;
            // 3/10.5.5: the partition's contents are a file structure of ECMA-167 part 4.
            if !matches!(&pd[25..31], b"+NSR02" | b"+NSR03") {
                return Err(DiscError::Unsupported(format!(
                    "UDF partition {number} contents {:?}",
                    String::from_utf8_lossy(&pd[25..31])
                )));
            }
            let (start, len) = (
                u64::from(u32_at(pd, 188)) * self.bs,
                u64::from(u32_at(pd, 192)) * self.bs,
            );
            // A partition reaching past the image's end means the image was cut.
            if start + len > image_len {
                return Err(DiscError::Truncated {
                    what: "the end of the UDF partition",
                    offset: start + len,
                    image_len,
                });
            }
            Ok(Part::Physical { start, len })
        };
        let mut metadata = Vec::new();
        // The partition number of each type-1 map, by partition reference number.
        let mut numbers = Vec::new();
        let mut pos = 0usize;
        for index in 0..count {
            let map = table
                .get(pos..)
                .filter(|m| m.len() >= 2 && usize::from(m[1]) >= 2)
                .and_then(|m| m.get(..usize::from(m[1])))
                .ok_or_else(|| DiscError::bad(what, 0, "map runs past the map table"))?;
            pos += map.len();
            match (map[0], map.len()) {
                // 3/10.7.2: a type-1 map names a partition of this volume.
                (1, 6) => {
                    numbers.push(Some(u16_at(map, 4)));
                    self.parts.push(physical(u16_at(map, 4))?);
                }
                // 3/10.7.3: a type-2 map is identified by its entity identifier.
                (2, 64) => {
                    let id = &map[5..28];
                    if id.starts_with(b"*UDF Metadata Partition") {
                        let number = u16_at(map, 38);
                        metadata.push((index, number, u32_at(map, 40), u32_at(map, 44)));
                        numbers.push(None);
                        // Filled in below, once every physical map is known.
                        self.parts.push(Part::Metadata { pieces: Vec::new() });
                    } else {
                        let name = String::from_utf8_lossy(id);
                        let name = name.trim_end_matches('\0');
                        return Err(DiscError::Unsupported(format!(
                            "UDF partition map {name:?} (virtual and sparable partitions of \
                             packet-written media are not read)"
                        ))
                        .into());
                    }
                }
                (kind, len) => {
                    return Err(DiscError::bad(
                        what,
                        0,
                        format!("map of type {kind} and length {len}"),
                    )
                    .into());
                }
            }
        }
        for (index, number, main, mirror) in metadata {
            // The metadata file is recorded in the physical partition of the same number,
            // which a type-1 map of this volume names (OSTA UDF 2.2.10).
            let physical_ref = numbers
                .iter()
                .position(|n| *n == Some(number))
                .and_then(|i| u16::try_from(i).ok());
            let Some(physical_ref) = physical_ref else {
                return Err(DiscError::bad(
                    what,
                    0,
                    format!("metadata partition on partition {number}, which no map names"),
                )
                .into());
            };
            let pieces = match self.metadata_file(main, physical_ref, TYPE_METADATA) {
                Ok(p) => p,
                Err(first) => self
                    .metadata_file(mirror, physical_ref, TYPE_METADATA_MIRROR)
                    .map_err(|_| first)?,
            };
            if let Some(slot) = usize::try_from(index)
                .ok()
                .and_then(|i| self.parts.get_mut(i))
            {
                let mut at = 0u64;
                let pieces = pieces
                    .into_iter()
                    .map(|p| {
                        at += p.len();
                        (at - p.len(), p)
                    })
                    .collect();
                *slot = Part::Metadata { pieces };
            }
        }
        Ok(())
    }

    /// The extents of the metadata file (or its mirror) at block `lbn` of `partition`.
    fn metadata_file(
        &mut self,
        lbn: u32,
        partition: u16,
        expected: u8,
    ) -> Result<Vec<Piece>, Fail> {
        let icb = Icb { lbn, partition };
        let fe = self.file_entry(icb)?;
        let offset = self.block_offset(icb)?;
        if fe.file_type != expected {
            return Err(DiscError::bad(
                "UDF metadata file",
                offset,
                format!("file type {}, expected {expected}", fe.file_type),
            )
            .into());
        }
        let pieces = self.extents(&fe, "(metadata file)")?;
        match super::file_node::<Icb>(self.image.len(), "(metadata file)", fe.size, pieces)? {
            Node::File { pieces, .. } => Ok(pieces),
            Node::Dir(_) => Ok(Vec::new()),
        }
    }

    /// Appends where `len` bytes from block `at.lbn` of partition `at.partition` are.
    fn map_extent(&self, at: Icb, len: u64, pieces: &mut Vec<Piece>) -> Result<(), DiscError> {
        let what = "UDF extent";
        let part = self.parts.get(usize::from(at.partition)).ok_or_else(|| {
            DiscError::bad(
                what,
                0,
                format!("partition reference {} is not mapped", at.partition),
            )
        })?;
        let start = u64::from(at.lbn) * self.bs;
        let outside = || {
            DiscError::bad(
                what,
                start,
                format!(
                    "{len} bytes at block {} lie outside partition {}",
                    at.lbn, at.partition
                ),
            )
        };
        match part {
            Part::Physical {
                start: base,
                len: size,
            } => {
                if start.saturating_add(len) > *size {
                    return Err(outside());
                }
                pieces.push(Piece::Data {
                    offset: base + start,
                    len,
                });
            }
            Part::Metadata { pieces: file } => {
                // Metadata partition blocks are the metadata file's bytes (2.2.10).
                let (mut pos, end) = (start, start.saturating_add(len));
                // The first piece that ends after `pos` (the pieces are in file order).
                let first = file.partition_point(|(at, p)| at + p.len() <= pos);
                for &(file_pos, piece) in file.get(first..).unwrap_or_default() {
                    if pos >= end {
                        break;
                    }
                    let Piece::Data {
                        offset,
                        len: piece_len,
                    } = piece
                    else {
                        return Err(outside());
                    };
                    let take = (file_pos + piece_len).min(end) - pos;
                    pieces.push(Piece::Data {
                        offset: offset + (pos - file_pos),
                        len: take,
                    });
                    pos += take;
                }
                if pos < end {
                    return Err(outside());
                }
            }
        }
        Ok(())
    }

    /// The byte offset of the block `at` (one block, in one piece).
    fn block_offset(&self, at: Icb) -> Result<u64, DiscError> {
        let mut pieces = Vec::new();
        self.map_extent(at, self.bs, &mut pieces)?;
        match pieces.as_slice() {
            [Piece::Data { offset, .. }] => Ok(*offset),
            _ => Err(DiscError::bad(
                "UDF extent",
                0,
                format!("block {} of partition {} is split", at.lbn, at.partition),
            )),
        }
    }
}

/// Finds the anchor volume descriptor pointer (3/10.2), trying the sector sizes media use.
///
/// OSTA UDF 2.2.3: a closed volume records it in at least two of sector 256, N−256 and N−1
/// (N sectors in all); an image with the one at 256 but neither of the others lost its end.
fn find_anchor(image: &mut Image) -> Result<(u64, Vec<u8>, u64), Fail> {
    for bs in [2048u64, 512, 1024, 4096] {
        let n = image.len() / bs;
        let first = anchor_at(image, bs, 256)?;
        let mut last = None;
        for loc in [n.checked_sub(256), n.checked_sub(1)].into_iter().flatten() {
            if loc > 256 && last.is_none() {
                last = anchor_at(image, bs, loc)?;
            }
        }
        match (first, last) {
            (Some(_), None) => return Err(DiscError::NoEndAnchor { sector_size: bs }.into()),
            (Some(a), Some(_)) | (None, Some(a)) => return Ok((bs, a.0, a.1)),
            (None, None) => {}
        }
    }
    Err(DiscError::NoAnchor.into())
}

/// The anchor at sector `loc` of `bs` bytes, and its offset, when a valid one is there.
fn anchor_at(image: &mut Image, bs: u64, loc: u64) -> Result<Option<(Vec<u8>, u64)>, Fail> {
    let (Ok(loc32), Some(offset)) = (u32::try_from(loc), loc.checked_mul(bs)) else {
        return Ok(None);
    };
    if !image.contains(offset, 512) {
        return Ok(None);
    }
    let buf = image.read_vec(offset, 512, "UDF anchor volume descriptor pointer")?;
    let valid = tag::check(&buf, offset, "anchor", tag::ANCHOR, Some(loc32)).is_ok();
    Ok(valid.then_some((buf, offset)))
}

/// Reads the volume descriptor sequence in the extent `(location, length)` (3/8.4).
fn read_sequence(image: &mut Image, bs: u64, extent: (u32, u32)) -> Result<Sequence, Fail> {
    let what = "UDF volume descriptor";
    let mut seq = Sequence::default();
    let (mut loc, mut len) = (u64::from(extent.0), u64::from(extent.1));
    let mut read = 0u64;
    let mut hops = 0usize;
    'extents: loop {
        for i in 0..len / bs {
            read += 1;
            if read > MAX_VDS_BLOCKS {
                return Err(DiscError::bad(what, loc * bs, "sequence runs too long").into());
            }
            let offset = (loc + i) * bs;
            let block = image.read_vec(offset, bs as usize, what)?;
            let id = u16_at(&block, 0);
            let location = u32::try_from(loc + i).ok();
            if id == 0 && block.iter().all(|&b| b == 0) {
                break 'extents; // unrecorded: the sequence ends here
            }
            tag::check(&block, offset, what, id, location)?;
            let number = u32_at(&block, 16);
            match id {
                tag::PARTITION => {
                    let partition = u16_at(&block, 22);
                    match seq.partitions.iter_mut().find(|(p, _, _)| *p == partition) {
                        Some(slot) if slot.1 < number => *slot = (partition, number, block),
                        Some(_) => {}
                        None => seq.partitions.push((partition, number, block)),
                    }
                }
                tag::LOGICAL_VOLUME => {
                    if seq.logical.as_ref().is_none_or(|(n, _)| *n < number) {
                        seq.logical = Some((number, block));
                    }
                }
                tag::VOLUME_POINTER => {
                    // 3/10.3.3: the sequence continues in another extent.
                    hops += 1;
                    if hops > MAX_VDS_HOPS {
                        return Err(DiscError::bad(what, offset, "too many pointers").into());
                    }
                    (len, loc) = (u64::from(u32_at(&block, 20)), u64::from(u32_at(&block, 24)));
                    continue 'extents;
                }
                tag::TERMINATING => break 'extents,
                tag::PRIMARY_VOLUME | 4 | 7 => {}
                _ => {
                    return Err(DiscError::bad(
                        what,
                        offset,
                        format!("tag identifier {id} in the volume descriptor sequence"),
                    )
                    .into());
                }
            }
        }
        break;
    }
    if seq.logical.is_none() || seq.partitions.is_empty() {
        return Err(DiscError::bad(
            what,
            u64::from(extent.0) * bs,
            "sequence lacks a logical volume or partition descriptor",
        )
        .into());
    }
    Ok(seq)
}

impl Volume for UdfVolume {
    type Dir = Icb;

    fn image(&mut self) -> &mut Image {
        &mut self.image
    }

    fn root(&self) -> Icb {
        self.root
    }

    fn children(
        &mut self,
        dir: Icb,
        path: &str,
        entries: &mut Entries,
    ) -> Result<Vec<Child<Icb>>, Fail> {
        let fe = self.file_entry(dir)?;
        if fe.file_type != TYPE_DIRECTORY {
            let offset = self.block_offset(dir)?;
            return Err(DiscError::bad(
                "UDF directory",
                offset,
                format!("{path:?}: file type {}, not a directory", fe.file_type),
            )
            .into());
        }
        if fe.size > MAX_DIR_BYTES {
            return Err(DiscError::DirectoryTooLarge {
                path: path.to_owned(),
                size: fe.size,
                limit: MAX_DIR_BYTES,
            }
            .into());
        }
        let image_len = self.image.len();
        let pieces = self.extents(&fe, path)?;
        let Node::File { pieces, size } =
            super::file_node::<Icb>(image_len, path, fe.size, pieces)?
        else {
            return Ok(Vec::new());
        };
        entries.directory(path, &pieces)?;
        // Bounded by MAX_DIR_BYTES above.
        let mut data = Vec::with_capacity(size as usize);
        let mut first = None;
        for piece in &pieces {
            match *piece {
                Piece::Data { offset, len } => {
                    first.get_or_insert(offset);
                    let chunk = self.image.read_vec(offset, len as usize, "UDF directory")?;
                    data.extend_from_slice(&chunk);
                }
                Piece::Zeros { len } => data.resize(data.len() + len as usize, 0),
            }
        }
        let mut out = Vec::new();
        for fid in self.fids(&data, first.unwrap_or(0))? {
            entries.count()?;
            let name = fid.name.map_err(|reason| DiscError::BadName {
                path: super::join(path, "?"),
                reason,
            })?;
            let full = super::join(path, &name);
            let fe = self.file_entry(fid.icb)?;
            let node = match fe.file_type {
                TYPE_DIRECTORY => Node::Dir(fid.icb),
                TYPE_FILE | TYPE_REAL_TIME => {
                    let pieces = self.extents(&fe, &full)?;
                    super::file_node(image_len, &full, fe.size, pieces)?
                }
                other => {
                    let kind = match other {
                        12 => "symbolic link",
                        6 => "block device",
                        7 => "character device",
                        9 => "FIFO",
                        10 => "socket",
                        _ => "special file",
                    };
                    return Err(DiscError::Special { path: full, kind }.into());
                }
            };
            out.push(Child { name, node });
        }
        Ok(out)
    }
}
