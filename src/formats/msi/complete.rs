//! Whether a compound file (MSI/MSP) is as long as its own allocation table says: a download
//! cut short may still open, and even yield its cabinet, when the lost sectors hold another
//! stream — it is damaged all the same.
//!
//! MS-CFB §2.2 (header), §2.3 (DIFAT), §2.4 (FAT): sector `n` lies at file offset
//! `(n + 1) << sector_shift`; the FAT holds one entry per sector, `FREESECT` (0xFFFFFFFF) for
//! sectors in no use. Every FAT sector must be in the file, and so must the highest sector in
//! use.

use std::io::{self, SeekFrom};

use crate::formats::ReadSeek;
use crate::formats::bytes::{u16_at, u32_at};

const HEADER_LEN: usize = 512;
const FREESECT: u32 = 0xFFFF_FFFF;
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// DIFAT entries in the header (MS-CFB §2.2).
const HEADER_DIFAT: usize = 109;

/// How a compound file falls short of its allocation table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    /// The length the FAT requires.
    pub required: u64,
    pub len: u64,
}

fn read_at(r: &mut dyn ReadSeek, offset: u64, buf: &mut [u8]) -> io::Result<bool> {
    r.seek(SeekFrom::Start(offset))?;
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// The shortfall of the compound file in `r` (`len` bytes), or `None` when it is complete or
/// its header is not one this check understands (the reader then reports what is wrong).
pub fn shortfall(r: &mut dyn ReadSeek, len: u64) -> io::Result<Option<Shortfall>> {
    let mut header = [0u8; HEADER_LEN];
    if !read_at(r, 0, &mut header)? {
        return Ok(Some(Shortfall {
            required: HEADER_LEN as u64,
            len,
        }));
    }
    let shift = u32::from(u16_at(&header, 0x1E));
    if shift != 9 && shift != 12 {
        return Ok(None);
    }
    let size = 1u64 << shift;
    let offset_of = |sector: u32| (u64::from(sector) + 1) << shift;
    let fat_count = u64::from(u32_at(&header, 0x2C));
    // More FAT sectors than the file could hold sectors: not a table to trust.
    if fat_count > len / size + 1 {
        return Ok(None);
    }
    // The FAT's sectors: the header's DIFAT, then the DIFAT chain.
    let mut fat_sectors: Vec<u32> = (0..HEADER_DIFAT)
        .map(|i| u32_at(&header, 0x4C + 4 * i))
        .take(usize::try_from(fat_count).unwrap_or(0))
        .collect();
    let mut next = u32_at(&header, 0x44);
    let mut sector = vec![0u8; usize::try_from(size).unwrap_or(512)];
    let per_difat = sector.len() / 4 - 1;
    let mut hops = 0u64;
    while (fat_sectors.len() as u64) < fat_count && next != ENDOFCHAIN && next != FREESECT {
        hops += 1;
        if hops > fat_count {
            return Ok(None);
        }
        let at = offset_of(next);
        if at + size > len || !read_at(r, at, &mut sector)? {
            return Ok(Some(Shortfall {
                required: at + size,
                len,
            }));
        }
        fat_sectors.extend((0..per_difat).map(|i| u32_at(&sector, 4 * i)));
        next = u32_at(&sector, 4 * per_difat);
    }
    fat_sectors.truncate(usize::try_from(fat_count).unwrap_or(0));
    let mut required = HEADER_LEN as u64;
    let entries = sector.len() / 4;
    for (n, &fat) in fat_sectors.iter().enumerate() {
        let at = offset_of(fat);
        if at + size > len || !read_at(r, at, &mut sector)? {
            return Ok(Some(Shortfall {
                required: at + size,
                len,
            }));
        }
        if let Some(last) = (0..entries)
            .rev()
            .find(|&i| u32_at(&sector, 4 * i) != FREESECT)
        {
            let used = (n * entries + last) as u64;
            required = required.max((used + 2) << shift);
        }
    }
    Ok((required > len).then_some(Shortfall { required, len }))
}
