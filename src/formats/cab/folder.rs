//! One folder's CFDATA blocks (possibly spread over several volumes) as a stream of bytes.

use std::io::{self, Read, Seek, SeekFrom};

use std::collections::VecDeque;

use super::ahead::{self, Ahead, Block};
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

/// The decoding thread stopped (it panicked): the block cannot be decoded.
fn thread_gone() -> Fail {
    Fail::Io(io::Error::other("the decoding thread stopped"))
}

/// A CFDATA header, read.
struct Header {
    volume: usize,
    csum: u32,
    cb_data: u16,
    cb_uncomp: u16,
    /// Where the block's data starts in its volume.
    data_offset: u64,
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
    /// Whether its blocks are stored (nothing to decompress).
    pub(crate) fn is_stored(&self) -> bool {
        Codec::is_stored(self.type_compress)
    }

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

/// Where a folder's blocks are decoded.
#[derive(Debug)]
enum Decoder<'a> {
    /// On this thread, as each block is needed.
    Here(Codec),
    /// On the decoding thread, up to [`ahead::DEPTH`] blocks ahead.
    Ahead(ReadAhead<'a>),
}

/// The blocks of a folder sent to the decoding thread and not yet handed out.
#[derive(Debug)]
struct ReadAhead<'a> {
    thread: &'a mut Ahead,
    /// In folder order: a block being decoded, or the error met reading it (kept until the
    /// block is needed, so it surfaces where it would have with one thread).
    queue: VecDeque<Option<Fail>>,
    /// Decoded bytes of the blocks read so far.
    read_pos: u64,
    /// Blocks are read ahead only while `read_pos` is below this (the end of the folder's last
    /// member): a block no member needs is never read.
    limit: u64,
    /// The folder has no more blocks to read (or reading failed).
    exhausted: bool,
}

impl ReadAhead<'_> {
    /// Takes back (and drops) every block still being decoded, so that the thread's next
    /// answer is for the next block sent.
    fn drain(&mut self) {
        for pending in std::mem::take(&mut self.queue) {
            if pending.is_none()
                && let Some(d) = self.thread.next()
            {
                self.thread.spare_inputs.push(d.input);
                self.thread.spare_outs.push(d.out);
            }
        }
    }
}

/// Decodes a folder block by block; `pos` is the folder offset of the next byte handed out.
#[derive(Debug)]
pub(crate) struct FolderStream<'a> {
    volumes: &'a mut [VolumeIo],
    folder: &'a Folder,
    decoder: Decoder<'a>,
    /// Current segment, next block in it, and that block's offset in the segment's volume.
    segment: usize,
    block_in_segment: u16,
    next_offset: u64,
    /// Blocks handed out so far (numbering for error messages).
    block: u32,
    /// The number of the block being read (ahead of `block` when decoding ahead).
    read_no: u32,
    input: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    pos: u64,
}

impl<'a> FolderStream<'a> {
    /// A stream over `folder`'s blocks. With `ahead`, a compressed folder is decoded on that
    /// thread, reading no further than `limit` decoded bytes ahead of need.
    pub(crate) fn new(
        volumes: &'a mut [VolumeIo],
        folder: &'a Folder,
        buffers: Buffers,
        ahead: Option<&'a mut Ahead>,
        limit: u64,
    ) -> Result<Self, CabError> {
        let codec = Codec::new(folder.type_compress)?;
        let decoder = match ahead {
            // A stored block is read straight into its member; nothing to decode.
            Some(thread) if !matches!(codec, Codec::Stored) => {
                if thread.folder(codec) {
                    Decoder::Ahead(ReadAhead {
                        thread,
                        queue: VecDeque::new(),
                        read_pos: 0,
                        limit,
                        exhausted: false,
                    })
                } else {
                    // The thread is gone: decode here (with a new codec; the other went).
                    Decoder::Here(Codec::new(folder.type_compress)?)
                }
            }
            Some(_) | None => Decoder::Here(codec),
        };
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
            decoder,
            segment: 0,
            block_in_segment: 0,
            next_offset,
            block: 0,
            read_no: 0,
            input,
            out,
            out_pos: 0,
            pos: 0,
        })
    }

    /// The buffers, for the next folder (blocks still being decoded are taken back first, so
    /// that the thread's next answer belongs to the next folder).
    pub(crate) fn into_buffers(mut self) -> Buffers {
        if let Decoder::Ahead(ra) = &mut self.decoder {
            ra.drain();
        }
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
        match &mut self.decoder {
            Decoder::Here(codec) => codec.reset(),
            Decoder::Ahead(ra) => {
                ra.drain();
                ra.read_pos = 0;
                // A thread that is gone leaves an error in the queue when the next block is read.
                ra.exhausted = !ra.thread.reset();
                if ra.exhausted {
                    ra.queue.push_back(Some(thread_gone()));
                }
            }
        }
        self.read_no = 0;
        self.segment = 0;
        self.block_in_segment = 0;
        self.next_offset = self.folder.segments.first().map_or(0, |s| s.data_offset);
        self.block = 0;
        self.out.clear();
        self.out_pos = 0;
        self.pos = 0;
    }

    /// Reads the next CFDATA header of the folder; `None` when the folder has no more blocks.
    fn read_header(&mut self) -> Result<Option<Header>, Fail> {
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
        let cb_uncomp = u16::from_le_bytes([head[6], head[7]]);
        if usize::from(cb_uncomp) > BLOCK_MAX {
            return Err(CabError::UncompressedTooLarge {
                block: self.read_no,
                cb_uncomp,
            }
            .into());
        }
        Ok(Some(Header {
            volume: seg.volume,
            csum: u32::from_le_bytes([head[0], head[1], head[2], head[3]]),
            cb_data: u16::from_le_bytes([head[4], head[5]]),
            cb_uncomp,
            data_offset: self.next_offset + DATA_HEADER as u64 + u64::from(vol.data_reserve),
        }))
    }

    /// Reads the data of the block whose header is `h` into `data` (`cbData` bytes long) and
    /// checks its checksum; the next block comes next.
    fn read_data(&mut self, h: &Header, data: &mut [u8]) -> Result<(), Fail> {
        let vol = self
            .volumes
            .get_mut(h.volume)
            .ok_or(CabError::DataTruncated {
                offset: h.data_offset,
            })?;
        vol.read_at(h.data_offset, data)?;
        // MS-CAB 2.5: a zero csum means "not computed".
        if h.csum != 0 {
            let computed = checksum::block(data, h.cb_data, h.cb_uncomp);
            if computed != h.csum {
                return Err(CabError::BadChecksum {
                    block: self.read_no,
                    stored: h.csum,
                    computed,
                }
                .into());
            }
        }
        self.next_offset = h.data_offset + u64::from(h.cb_data);
        self.block_in_segment += 1;
        Ok(())
    }

    /// Reads the next CFDATA header and data (appending at `filled`) from the current segment;
    /// `None` when the folder has no more blocks.
    fn read_block(&mut self, filled: usize) -> Result<Option<(usize, u16)>, Fail> {
        let Some(h) = self.read_header()? else {
            return Ok(None);
        };
        let end = filled + usize::from(h.cb_data);
        if end > INPUT_MAX {
            return Err(CabError::BlockTooLarge {
                block: self.read_no,
                compressed: end,
            }
            .into());
        }
        let mut input = std::mem::take(&mut self.input);
        let read = match input.get_mut(filled..end) {
            Some(data) => self.read_data(&h, data),
            None => Err(CabError::BlockTooLarge {
                block: self.read_no,
                compressed: end,
            }
            .into()),
        };
        self.input = input;
        read?;
        Ok(Some((end, h.cb_uncomp)))
    }

    /// For a stored folder with nothing decoded waiting: reads the next block straight into
    /// `buf` when it is whole (not split across volumes) and fits, so its bytes are copied
    /// once, by the kernel, instead of three times. Returns the bytes read, or `None` when
    /// the block is to be handed out the ordinary way: either nothing was consumed, or (a
    /// block larger than `buf`) it was read as the decoded block waiting to be handed out.
    fn read_stored_into(&mut self, buf: &mut [u8]) -> Result<Option<usize>, Fail> {
        if !matches!(self.decoder, Decoder::Here(Codec::Stored)) || !self.available().is_empty() {
            return Ok(None);
        }
        self.read_no = self.block;
        let (segment, in_segment, offset) = (self.segment, self.block_in_segment, self.next_offset);
        let Some(h) = self.read_header()? else {
            return Ok(None);
        };
        let n = usize::from(h.cb_data);
        // A split block (cbUncomp 0) or one whose sizes disagree (damage, reported the
        // ordinary way) goes back to where its header was.
        if h.cb_uncomp == 0 || n != usize::from(h.cb_uncomp) {
            (self.segment, self.block_in_segment, self.next_offset) = (segment, in_segment, offset);
            return Ok(None);
        }
        if n > buf.len() {
            // It runs past the buffer (or the member): it becomes the decoded block, handed
            // out from there, without reading its header again.
            let mut out = std::mem::take(&mut self.out);
            out.resize(n, 0);
            let read = self.read_data(&h, &mut out);
            self.out = out;
            self.out_pos = 0;
            if let Err(e) = read {
                self.out.clear();
                return Err(e);
            }
            self.block += 1;
            self.read_no = self.block;
            self.out_pos = 0;
            return Ok(None);
        }
        self.read_data(&h, &mut buf[..n])?;
        self.block += 1;
        self.read_no = self.block;
        self.out.clear();
        self.out_pos = 0;
        self.pos += n as u64;
        Ok(Some(n))
    }

    /// Decodes the next block into `out`; `false` at the end of the folder.
    pub(crate) fn next_block(&mut self) -> Result<bool, Fail> {
        if matches!(self.decoder, Decoder::Ahead(_)) {
            return self.next_block_ahead();
        }
        self.read_no = self.block;
        let Some((filled, cb_uncomp)) = self.read_whole_block()? else {
            return Ok(false);
        };
        let input = self.input.get(..filled).unwrap_or_default();
        if let Decoder::Here(codec) = &mut self.decoder {
            codec.decode(self.block, input, &mut self.out, usize::from(cb_uncomp))?;
        }
        self.block += 1;
        self.out_pos = 0;
        Ok(true)
    }

    /// Reads the next block (its parts joined when it is split across volumes) into `input`;
    /// returns its compressed length and `cbUncomp`, or `None` after the folder's last block.
    fn read_whole_block(&mut self) -> Result<Option<(usize, u16)>, Fail> {
        let Some((mut filled, mut cb_uncomp)) = self.read_block(0)? else {
            return Ok(None);
        };
        // MS-CAB 2.5: a block split across volumes has cbUncomp == 0 in the earlier part; its
        // data continues in the first block of the folder's next segment (next volume).
        while cb_uncomp == 0 {
            let last_in_segment = self
                .folder
                .segments
                .get(self.segment)
                .is_some_and(|s| self.block_in_segment >= s.blocks);
            let block = self.read_no;
            if !last_in_segment || self.segment + 1 >= self.folder.segments.len() {
                return Err(CabError::SplitBlockNotContinued { block }.into());
            }
            match self.read_block(filled)? {
                Some((f, c)) => (filled, cb_uncomp) = (f, c),
                None => return Err(CabError::SplitBlockNotContinued { block }.into()),
            }
        }
        Ok(Some((filled, cb_uncomp)))
    }

    /// [`next_block`](Self::next_block) with the decoding thread: reads blocks ahead (up to
    /// the depth, never past the limit), then takes the oldest one back decoded.
    fn next_block_ahead(&mut self) -> Result<bool, Fail> {
        while let Decoder::Ahead(ra) = &self.decoder {
            let wanted = ra.queue.is_empty() || ra.read_pos < ra.limit;
            if ra.exhausted || ra.queue.len() >= ahead::DEPTH || !wanted {
                break;
            }
            let read = self.read_whole_block();
            let Decoder::Ahead(ra) = &mut self.decoder else {
                break;
            };
            match read {
                Ok(None) => ra.exhausted = true,
                Err(f) => {
                    ra.queue.push_back(Some(f));
                    ra.exhausted = true;
                }
                Ok(Some((len, cb_uncomp))) => {
                    let spare = ra
                        .thread
                        .spare_inputs
                        .pop()
                        .unwrap_or_else(|| vec![0; INPUT_MAX]);
                    let input = std::mem::replace(&mut self.input, spare);
                    let out = ra.thread.spare_outs.pop().unwrap_or_default();
                    let block = Block {
                        number: self.read_no,
                        input,
                        len,
                        expected: usize::from(cb_uncomp),
                        out,
                    };
                    if ra.thread.block(block) {
                        ra.queue.push_back(None);
                        ra.read_pos += u64::from(cb_uncomp);
                        self.read_no += 1;
                    } else {
                        ra.queue.push_back(Some(thread_gone()));
                        ra.exhausted = true;
                    }
                }
            }
        }
        let Decoder::Ahead(ra) = &mut self.decoder else {
            return Ok(false);
        };
        match ra.queue.pop_front() {
            None => Ok(false),
            Some(Some(fail)) => {
                ra.drain();
                Err(fail)
            }
            Some(None) => {
                let Some(decoded) = ra.thread.next() else {
                    ra.drain();
                    return Err(thread_gone());
                };
                ra.thread.spare_inputs.push(decoded.input);
                if let Err(e) = decoded.result {
                    ra.drain();
                    return Err(e.into());
                }
                let old = std::mem::replace(&mut self.out, decoded.out);
                ra.thread.spare_outs.push(old);
                self.block += 1;
                self.out_pos = 0;
                Ok(true)
            }
        }
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
        let room = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        match self.stream.read_stored_into(&mut buf[..room]) {
            Ok(Some(n)) => {
                self.remaining -= n as u64;
                return Ok(n);
            }
            Ok(None) => {}
            Err(Fail::Cab(e)) => return Err(FormatError::from(e).into_io()),
            Err(Fail::Io(e)) => return Err(e),
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
