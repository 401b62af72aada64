//! UDF files: file entries and extended file entries (ECMA-167 4/14.9, 4/14.17), their
//! allocation descriptors (4/14.14, continued by allocation extent descriptors, 4/14.5), and
//! the file identifier descriptors of directories (4/14.4).

use std::collections::HashSet;

use super::tag;
use super::{Icb, UdfVolume};
use crate::formats::bytes::{u16_at, u32_at, u64_at};
use crate::formats::disc::image::Piece;
use crate::formats::disc::{DiscError, Fail, MAX_EXTENTS};

/// ICB file types (ECMA-167 4/14.6.6, OSTA UDF 2.3.5.2).
pub(super) const TYPE_DIRECTORY: u8 = 4;
pub(super) const TYPE_FILE: u8 = 5;
pub(super) const TYPE_REAL_TIME: u8 = 249;
pub(super) const TYPE_METADATA: u8 = 250;
pub(super) const TYPE_METADATA_MIRROR: u8 = 251;

/// File characteristics of a file identifier descriptor (ECMA-167 4/14.4.3).
const FID_DELETED: u8 = 0x04;
const FID_PARENT: u8 = 0x08;
const FID_METADATA: u8 = 0x10;

/// Allocation extent descriptors followed for one file (their chain is checked for loops).
const MAX_CONTINUATIONS: usize = 4096;

/// What a file entry says about its file.
#[derive(Debug)]
pub(super) struct FileEntry {
    pub file_type: u8,
    /// Information length: the file's size in bytes.
    pub size: u64,
    /// Allocation descriptor type (4/14.6.8): 0 short, 1 long, 2 extended, 3 embedded.
    ad_type: u8,
    /// The allocation descriptors (or the embedded data).
    ads: Vec<u8>,
    /// Byte offset of `ads` in the image (for embedded data).
    ads_offset: u64,
    /// The ICB, whose partition short allocation descriptors refer to.
    icb: Icb,
}

/// One file identifier descriptor of a directory.
pub(super) struct Fid {
    pub name: Result<String, &'static str>,
    pub icb: Icb,
}

/// A short or long allocation descriptor, or the end of the list.
enum Ad {
    End,
    /// Extent type (4/14.14.1.1) 0 recorded, 1 allocated only, 2 neither, 3 continuation.
    Extent {
        kind: u32,
        len: u32,
        at: Icb,
    },
}

impl UdfVolume {
    /// Reads and checks the file entry of `icb`.
    pub(super) fn file_entry(&mut self, icb: Icb) -> Result<FileEntry, Fail> {
        let offset = self.block_offset(icb)?;
        let block = self
            .image
            .read_vec(offset, self.bs_usize(), "UDF file entry")?;
        let what = "UDF file entry";
        let id = u16_at(&block, 0);
        let (size, l_ea, l_ad, base): (u64, u32, u32, usize) = match id {
            tag::FILE_ENTRY => (
                u64_at(&block, 56),
                u32_at(&block, 168),
                u32_at(&block, 172),
                176,
            ),
            tag::EXTENDED_FILE_ENTRY => (
                u64_at(&block, 56),
                u32_at(&block, 208),
                u32_at(&block, 212),
                216,
            ),
            _ => {
                return Err(DiscError::bad(what, offset, format!("tag identifier {id}")).into());
            }
        };
        tag::check(&block, offset, what, id, Some(icb.lbn))?;
        // The ICB tag (4/14.6): strategy 4 is the only one UDF records (OSTA UDF 2.3.5.1).
        let strategy = u16_at(&block, 20);
        if strategy != 4 {
            return Err(DiscError::Unsupported(format!(
                "UDF ICB strategy {strategy} at byte {offset} (strategy 4 is read)"
            ))
            .into());
        }
        let file_type = block[27];
        let ad_type = (u16_at(&block, 34) & 7) as u8;
        let start = usize::try_from(l_ea)
            .ok()
            .and_then(|ea| base.checked_add(ea));
        let end = start.and_then(|s| s.checked_add(usize::try_from(l_ad).ok()?));
        let (Some(start), Some(end)) = (start, end) else {
            return Err(DiscError::bad(what, offset, "descriptor lengths overflow").into());
        };
        let ads = block.get(start..end).ok_or_else(|| {
            DiscError::bad(
                what,
                offset,
                format!("extended attributes ({l_ea}) and descriptors ({l_ad}) overrun the block"),
            )
        })?;
        Ok(FileEntry {
            file_type,
            size,
            ad_type,
            ads: ads.to_vec(),
            ads_offset: offset + start as u64,
            icb,
        })
    }

    /// Where the bytes of `fe` are (not yet cut to its size); `path` names it in errors.
    pub(super) fn extents(&mut self, fe: &FileEntry, path: &str) -> Result<Vec<Piece>, Fail> {
        let step = match fe.ad_type {
            0 => 8,
            1 => 16,
            // 4/14.6.8: the data is recorded in the descriptors' place.
            3 => {
                return Ok(vec![Piece::Data {
                    offset: fe.ads_offset,
                    len: fe.ads.len() as u64,
                }]);
            }
            _ => {
                return Err(DiscError::Unsupported(format!(
                    "{path:?}: UDF extended allocation descriptors (OSTA UDF 2.3.10 forbids them)"
                ))
                .into());
            }
        };
        let mut pieces = Vec::new();
        let mut area = fe.ads.clone();
        let mut area_offset = fe.ads_offset;
        let mut followed = HashSet::new();
        'areas: loop {
            for (i, raw) in area.chunks_exact(step).enumerate() {
                let at = area_offset + (i * step) as u64;
                match parse_ad(raw, fe.icb.partition) {
                    Ad::End => break 'areas,
                    Ad::Extent {
                        kind: 3,
                        len,
                        at: next,
                    } => {
                        // 4/12: the rest of the list is in an allocation extent descriptor.
                        if followed.len() >= MAX_CONTINUATIONS || !followed.insert(next) {
                            return Err(DiscError::bad(
                                "UDF allocation descriptor",
                                at,
                                format!("{path:?}: allocation extents loop or run too long"),
                            )
                            .into());
                        }
                        (area, area_offset) = self.allocation_extent(next, len)?;
                        continue 'areas;
                    }
                    Ad::Extent {
                        kind: 0,
                        len,
                        at: ext,
                    } => {
                        self.map_extent(ext, u64::from(len), &mut pieces)?;
                    }
                    Ad::Extent { len, .. } => pieces.push(Piece::Zeros {
                        len: u64::from(len),
                    }),
                }
                if pieces.len() > MAX_EXTENTS {
                    return Err(DiscError::TooManyExtents {
                        path: path.to_owned(),
                        limit: MAX_EXTENTS,
                    }
                    .into());
                }
            }
            break;
        }
        Ok(pieces)
    }

    /// The descriptors of an allocation extent descriptor (4/14.5) at `icb`, and their
    /// offset.
    fn allocation_extent(&mut self, icb: Icb, len: u32) -> Result<(Vec<u8>, u64), Fail> {
        let offset = self.block_offset(icb)?;
        let what = "UDF allocation extent descriptor";
        let size = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .min(self.bs_usize());
        if size < 24 {
            return Err(DiscError::bad(what, offset, "shorter than its header").into());
        }
        let block = self.image.read_vec(offset, size, what)?;
        tag::check(&block, offset, what, tag::ALLOCATION_EXTENT, Some(icb.lbn))?;
        let l_ad = usize::try_from(u32_at(&block, 20)).unwrap_or(usize::MAX);
        let ads = block
            .get(24..24usize.saturating_add(l_ad))
            .ok_or_else(|| DiscError::bad(what, offset, "descriptors overrun the extent"))?;
        Ok((ads.to_vec(), offset + 24))
    }

    /// The file identifier descriptors in a directory's bytes (4/14.4), deleted, parent and
    /// stream entries left out; `offset` of the first byte for errors.
    pub(super) fn fids(&self, data: &[u8], offset: u64) -> Result<Vec<Fid>, DiscError> {
        let what = "UDF file identifier descriptor";
        let mut out = Vec::new();
        let mut pos = 0usize;
        while pos < data.len() {
            let at = offset + pos as u64;
            let rest = &data[pos..];
            if rest.len() < 38 {
                return Err(DiscError::bad(what, at, "truncated by its directory's end"));
            }
            let l_fi = usize::from(rest[19]);
            let l_iu = usize::from(u16_at(rest, 36));
            let len = 38 + l_iu + l_fi;
            // 4/14.4.9: padded to a multiple of 4 bytes, which writers cover by the CRC.
            let padded = len.div_ceil(4) * 4;
            let fid = rest
                .get(..padded)
                .or_else(|| rest.get(..len))
                .ok_or_else(|| DiscError::bad(what, at, "runs past its directory's end"))?;
            // The tag location of a descriptor inside a directory's data is not checked: a
            // directory's bytes need not start at a block.
            tag::check(fid, at, what, tag::FILE_IDENTIFIER, None)?;
            pos += padded;
            let characteristics = fid[18];
            if characteristics & (FID_DELETED | FID_PARENT | FID_METADATA) != 0 {
                continue;
            }
            let Ad::Extent { at: icb, .. } = parse_ad(&fid[20..36], 0) else {
                return Err(DiscError::bad(what, at, "no ICB"));
            };
            out.push(Fid {
                name: tag::cs0(&fid[38 + l_iu..len]),
                icb,
            });
        }
        Ok(out)
    }
}

/// A short (8 bytes, in `partition`) or long (16 bytes) allocation descriptor.
fn parse_ad(raw: &[u8], partition: u16) -> Ad {
    let length = u32_at(raw, 0);
    let len = length & 0x3FFF_FFFF;
    if len == 0 {
        // 4/12: an extent length of 0 ends the descriptors.
        return Ad::End;
    }
    let partition = if raw.len() >= 16 {
        u16_at(raw, 8)
    } else {
        partition
    };
    Ad::Extent {
        kind: length >> 30,
        len,
        at: Icb {
            lbn: u32_at(raw, 4),
            partition,
        },
    }
}
