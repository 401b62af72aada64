//! One folder's CFDATA blocks (possibly spread over several volumes) as a stream of bytes.

use std::io::{self, Read, Seek, SeekFrom};

use super::codec::{BLOCK_MAX, Codec};
use super::{CabError, Fail, checksum};
use crate::formats::{FormatError, ReadSeek};

/// Largest compressed size of one block, split parts joined (libmspack's `CAB_INPUTMAX`:
/// 32 KiB plus the worst-case expansion allowance of 6 KiB).
const INPUT_MAX: usize = BLOCK_MAX + 6 * 1024;
/// Size of the fixed CFDATA header (csum, cbData, cbUncomp).
const DATA_HEADER: usize = 8;

/// An open volume of the set, read directly (block reads are large; no extra buffering).
pub(crate) struct VolumeIo {
    pub reader: Box<dyn ReadSeek>,
    /// Total length of the volume's stream.
    pub len: u64,
    /// `cbCFData` of this volume.
    pub data_reserve: u8,
    /// Where the reader is, when known (avoids a seek per block).
    pos: Option<u64>,
}

impl std::fmt::Debug for VolumeIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VolumeIo").field("len", &self.len).finish()
    }
}

impl VolumeIo {
    pub(crate) fn new(mut reader: Box<dyn ReadSeek>) -> io::Result<VolumeIo> {
        let len = reader.seek(SeekFrom::End(0))?;
        Ok(VolumeIo {
            reader,
            len,
            data_reserve: 0,
            pos: None,
        })
    }

    /// The reader, for parsing; forgets the cached position.
    pub(crate) fn reader(&mut self) -> &mut dyn ReadSeek {
        self.pos = None;
        &mut *self.reader
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), Fail> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&end| end <= self.len)
            .ok_or(CabError::DataTruncated { offset })?;
        if self.pos != Some(offset) {
            self.pos = None;
            self.reader.seek(SeekFrom::Start(offset))?;
        }
        self.pos = None;
        self.reader.read_exact(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                Fail::Cab(CabError::DataTruncated { offset })
            } else {
                Fail::Io(e)
            }
        })?;
        self.pos = Some(end);
        Ok(())
    }
}

/// The part of a folder stored in one volume.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Segment {
    pub volume: usize,
    pub data_offset: u64,
    pub blocks: u16,
}

/// A folder of the set: its compression and where its blocks are.
#[derive(Debug)]
pub(crate) struct Folder {
    pub type_compress: u16,
    pub segments: Vec<Segment>,
}

impl Folder {
    /// The most bytes the folder's blocks can decode to.
    pub(crate) fn max_len(&self) -> u64 {
        self.segments
            .iter()
            .map(|s| u64::from(s.blocks) * BLOCK_MAX as u64)
            .sum()
    }
}

/// Reusable buffers, handed from one folder to the next.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    input: Vec<u8>,
    out: Vec<u8>,
}

/// Decodes a folder block by block; `pos` is the folder offset of the next byte handed out.
#[derive(Debug)]
pub(crate) struct FolderStream<'a> {
    volumes: &'a mut [VolumeIo],
    folder: &'a Folder,
    codec: Codec,
    /// Current segment, next block in it, and that block's offset in the segment's volume.
    segment: usize,
    block_in_segment: u16,
    next_offset: u64,
    /// Blocks decoded so far (numbering for error messages).
    block: u32,
    input: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    pos: u64,
}

impl<'a> FolderStream<'a> {
    pub(crate) fn new(
        volumes: &'a mut [VolumeIo],
        folder: &'a Folder,
        buffers: Buffers,
    ) -> Result<Self, CabError> {
        let codec = Codec::new(folder.type_compress)?;
        let mut input = buffers.input;
        if input.len() < INPUT_MAX {
            input.resize(INPUT_MAX, 0);
        }
        let mut out = buffers.out;
        out.clear();
        let next_offset = folder.segments.first().map_or(0, |s| s.data_offset);
        Ok(FolderStream {
            volumes,
            folder,
            codec,
            segment: 0,
            block_in_segment: 0,
            next_offset,
            block: 0,
            input,
            out,
            out_pos: 0,
            pos: 0,
        })
    }

    pub(crate) fn into_buffers(self) -> Buffers {
        Buffers {
            input: self.input,
            out: self.out,
        }
    }

    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// Back to the first block of the folder.
    pub(crate) fn restart(&mut self) {
        self.codec.reset();
        self.segment = 0;
        self.block_in_segment = 0;
        self.next_offset = self.folder.segments.first().map_or(0, |s| s.data_offset);
        self.block = 0;
        self.out.clear();
        self.out_pos = 0;
        self.pos = 0;
    }

    /// Reads the next CFDATA header and data (appending at `filled`) from the current segment;
    /// `None` when the folder has no more blocks.
    fn read_block(&mut self, filled: usize) -> Result<Option<(usize, u16)>, Fail> {
        while self
            .folder
            .segments
            .get(self.segment)
            .is_some_and(|s| self.block_in_segment >= s.blocks)
        {
            self.segment += 1;
            self.block_in_segment = 0;
            if let Some(s) = self.folder.segments.get(self.segment) {
                self.next_offset = s.data_offset;
            }
        }
        let Some(seg) = self.folder.segments.get(self.segment).copied() else {
            return Ok(None);
        };
        let vol = self
            .volumes
            .get_mut(seg.volume)
            .ok_or(CabError::DataTruncated {
                offset: self.next_offset,
            })?;
        let mut head = [0u8; DATA_HEADER];
        vol.read_at(self.next_offset, &mut head)?;
        let csum = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let cb_data = u16::from_le_bytes([head[4], head[5]]);
        let cb_uncomp = u16::from_le_bytes([head[6], head[7]]);
        let data_offset = self.next_offset + DATA_HEADER as u64 + u64::from(vol.data_reserve);
        let end = filled + usize::from(cb_data);
        if end > INPUT_MAX {
            return Err(CabError::BlockTooLarge {
                block: self.block,
                compressed: end,
            }
            .into());
        }
        if usize::from(cb_uncomp) > BLOCK_MAX {
            return Err(CabError::UncompressedTooLarge {
                block: self.block,
                cb_uncomp,
            }
            .into());
        }
        let data = self
            .input
            .get_mut(filled..end)
            .ok_or(CabError::BlockTooLarge {
                block: self.block,
                compressed: end,
            })?;
        vol.read_at(data_offset, data)?;
        // MS-CAB 2.5: a zero csum means "not computed".
        if csum != 0 {
            let computed = checksum::block(data, cb_data, cb_uncomp);
            if computed != csum {
                return Err(CabError::BadChecksum {
                    block: self.block,
                    stored: csum,
                    computed,
                }
                .into());
            }
        }
        self.next_offset = data_offset + u64::from(cb_data);
        self.block_in_segment += 1;
        Ok(Some((end, cb_uncomp)))
    }

    /// Decodes the next block into `out`; `false` at the end of the folder.
    pub(crate) fn next_block(&mut self) -> Result<bool, Fail> {
        let Some((mut filled, mut cb_uncomp)) = self.read_block(0)? else {
            return Ok(false);
        };
        // MS-CAB 2.5: a block split across volumes has cbUncomp == 0 in the earlier part; its
        // data continues in the first block of the folder's next segment (next volume).
        while cb_uncomp == 0 {
            let last_in_segment = self
                .folder
                .segments
                .get(self.segment)
                .is_some_and(|s| self.block_in_segment >= s.blocks);
            if !last_in_segment || self.segment + 1 >= self.folder.segments.len() {
                return Err(CabError::SplitBlockNotContinued { block: self.block }.into());
            }
            match self.read_block(filled)? {
                Some((f, c)) => (filled, cb_uncomp) = (f, c),
                None => {
                    return Err(CabError::SplitBlockNotContinued { block: self.block }.into());
                }
            }
        }
        let input = self.input.get(..filled).unwrap_or_default();
        self.codec
            .decode(self.block, input, &mut self.out, usize::from(cb_uncomp))?;
        self.block += 1;
        self.out_pos = 0;
        Ok(true)
    }

    /// Decoded bytes ready to be handed out.
    fn available(&self) -> &[u8] {
        self.out.get(self.out_pos..).unwrap_or_default()
    }

    fn consume(&mut self, n: usize) {
        self.out_pos += n;
        self.pos += n as u64;
    }

    /// Skips towards `target` (≥ pos), decoding at most about `budget` bytes; returns
    /// whether `target` was reached.
    pub(crate) fn skip_towards(&mut self, target: u64, budget: u64) -> Result<bool, Fail> {
        let stop = self.pos.saturating_add(budget).min(target);
        while self.pos < stop {
            if self.available().is_empty() && !self.next_block()? {
                return Err(CabError::FolderTooShort { offset: self.pos }.into());
            }
            let n = (self.available().len() as u64).min(stop - self.pos);
            self.consume(n as usize);
        }
        Ok(self.pos >= target)
    }
}

/// A member's bytes: exactly `remaining` bytes from the folder stream.
#[derive(Debug)]
pub(crate) struct MemberReader<'s, 'a> {
    pub stream: &'s mut FolderStream<'a>,
    pub remaining: u64,
}

impl Read for MemberReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        if self.stream.available().is_empty() {
            match self.stream.next_block() {
                Ok(true) => {}
                Ok(false) => {
                    let offset = self.stream.pos;
                    return Err(FormatError::from(CabError::FolderTooShort { offset }).into_io());
                }
                Err(Fail::Cab(e)) => return Err(FormatError::from(e).into_io()),
                Err(Fail::Io(e)) => return Err(e),
            }
        }
        let avail = self.stream.available();
        let n = avail
            .len()
            .min(buf.len())
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        buf[..n].copy_from_slice(&avail[..n]);
        self.stream.consume(n);
        self.remaining -= n as u64;
        Ok(n)
    }
}
