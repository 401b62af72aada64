//! Block headers, tree deltas and the decoding of verbatim, aligned-offset and uncompressed
//! blocks into the window (MS-PATCH 2.3).

use super::bits::BitBuf;
use super::bits::{Bits, Cursor};
use super::huffman::{Huffman, LITERAL_ENTRIES};
use super::{BlockType, LENGTH_SYMS, LzxDecoder, LzxError, RING_MASK, TreeKind, WINDOW_BUF};

/// Position slot → number of extra (footer) bits (MS-PATCH 2.3, match offsets): 0 for
/// slots 0–3, then (slot − 2) / 2, at most 17. 64 entries (slots 50–63 never occur: the main
/// tree has at most 50 slots), so a slot masked to 6 bits indexes it without a check.
const EXTRA_BITS: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut i = 4;
    while i < 64 {
        let e = (i - 2) / 2;
        t[i] = if e > 17 { 17 } else { e as u8 };
        i += 1;
    }
    t
};

/// Position slot → base of its formatted offsets (the sum of the sizes of earlier slots).
const POSITION_BASE: [u32; 64] = {
    let mut t = [0u32; 64];
    let mut i = 1;
    while i < 64 {
        t[i] = t[i - 1] + (1 << EXTRA_BITS[i - 1]);
        i += 1;
    }
    t
};

/// Main tree symbols of a match: 256 + slot × 8 + length header (MS-PATCH 2.3, match offsets).
const NUM_CHARS: u16 = 256;
/// A length header of 7 means "more length in the length tree".
const LEN_HEADER_MORE: usize = 7;
const MIN_MATCH: usize = 2;

impl LzxDecoder {
    /// Decodes window bytes `start..end` (one frame), reading block headers as needed.
    pub(super) fn decode_blocks(
        &mut self,
        bits: &mut Bits<'_>,
        start: usize,
        end: usize,
    ) -> Result<(), LzxError> {
        let mut pos = start;
        while pos < end {
            if self.block_remaining == 0 {
                self.read_block_header(bits)?;
                if bits.overrun() {
                    return Err(LzxError::Truncated);
                }
                continue;
            }
            let room = end - pos;
            let run = (self.block_remaining as usize).min(room);
            let frame_limited = run == room && (self.block_remaining as usize) > room;
            match self.block_type {
                BlockType::Verbatim => {
                    self.decode_run::<false>(bits, start, pos, pos + run, frame_limited)?
                }
                BlockType::Aligned => {
                    self.decode_run::<true>(bits, start, pos, pos + run, frame_limited)?
                }
                BlockType::Uncompressed => {
                    let raw = bits.take_bytes(run).ok_or(LzxError::Truncated)?;
                    self.window
                        .get_mut(pos..pos + run)
                        .ok_or(LzxError::Truncated)?
                        .copy_from_slice(raw);
                }
                BlockType::None => return Err(LzxError::Truncated),
            }
            pos += run;
            self.block_remaining -= run as u32;
            if self.block_remaining == 0
                && self.block_type == BlockType::Uncompressed
                && self.block_len % 2 == 1
            {
                // MS-PATCH 2.3.2.1: an odd-sized uncompressed block is followed by one byte of
                // padding that realigns the bitstream. When the block ended this frame's input
                // exactly, the byte opens the next frame's input.
                if bits.take_bytes(1).is_none() {
                    self.pad_pending = true;
                }
            }
        }
        Ok(())
    }

    /// Reads a block header (MS-PATCH 2.3, block header): 3-bit type, 24-bit size, then the
    /// type's own header.
    fn read_block_header(&mut self, bits: &mut Bits<'_>) -> Result<(), LzxError> {
        let block_type = bits.read(3) as u8;
        let hi = bits.read(16);
        let lo = bits.read(8);
        let size = (hi << 8) | lo;
        if bits.overrun() {
            return Err(LzxError::Truncated);
        }
        match block_type {
            1 | 2 => {
                if block_type == 2 {
                    // MS-PATCH 2.3, aligned offset block: the aligned offset tree, 8 lengths
                    // of 3 bits.
                    for l in self.aligned.lens.iter_mut() {
                        *l = bits.read(3) as u8;
                    }
                    self.aligned.build(8)?;
                    if self.aligned.is_empty() {
                        return Err(LzxError::EmptyTree {
                            tree: TreeKind::Aligned,
                        });
                    }
                }
                // MS-PATCH 2.3, main and length trees: the main tree in two parts (literals,
                // then matches), then the length tree, each coded as deltas through its own
                // pretree.
                let main_syms = self.main_syms;
                let (literals, matches) = self.main.lens.split_at_mut(NUM_CHARS as usize);
                read_lengths(bits, &mut self.pre, literals, TreeKind::Main)?;
                let matches = matches.get_mut(..main_syms - NUM_CHARS as usize).ok_or(
                    LzxError::BadCodeLength {
                        tree: TreeKind::Main,
                    },
                )?;
                read_lengths(bits, &mut self.pre, matches, TreeKind::Main)?;
                self.main.build(main_syms)?;
                if self.main.is_empty() {
                    return Err(LzxError::EmptyTree {
                        tree: TreeKind::Main,
                    });
                }
                read_lengths(bits, &mut self.pre, &mut self.length.lens, TreeKind::Length)?;
                // An empty length tree is fine as long as no match needs it.
                self.length.build(LENGTH_SYMS)?;
                self.block_type = if block_type == 1 {
                    BlockType::Verbatim
                } else {
                    BlockType::Aligned
                };
            }
            3 => {
                // MS-PATCH 2.3.2.1: padding to a 16-bit boundary, then R0, R1, R2 as
                // little-endian 32-bit values in the byte stream, then the raw bytes.
                bits.align_for_bytes();
                let r = bits.take_bytes(12).ok_or(LzxError::Truncated)?;
                for (i, v) in r.chunks_exact(4).enumerate() {
                    if let Some(slot) = self.r.get_mut(i) {
                        *slot = u32::from_le_bytes([v[0], v[1], v[2], v[3]]);
                    }
                }
                self.block_type = BlockType::Uncompressed;
            }
            _ => return Err(LzxError::BadBlockType { block_type }),
        }
        self.block_len = size;
        self.block_remaining = size;
        Ok(())
    }

    /// Decodes symbols of a verbatim (`ALIGNED` false) or aligned-offset block into ring
    /// bytes `pos..end`. `frame_start` is where this frame began; `frame_limited` says that
    /// `end` is the frame's end rather than the block's.
    ///
    /// The hot loop of the decoder: one refill per match or per three literals, table lookups
    /// without branches for the position slots and repeated offsets, one test for the three
    /// ways an offset can be wrong, and match copies in 16-byte words.
    #[inline(never)]
    fn decode_run<const ALIGNED: bool>(
        &mut self,
        bits: &mut Bits<'_>,
        frame_start: usize,
        pos: usize,
        end: usize,
        frame_limited: bool,
    ) -> Result<(), LzxError> {
        let mut cursor = bits.cursor();
        let result =
            self.decode_symbols::<ALIGNED>(&mut cursor, frame_start, pos, end, frame_limited);
        let (p, b, c) = cursor.state();
        bits.resume(p, b, c);
        result
    }

    /// [`decode_run`](Self::decode_run) on a cursor in registers.
    #[inline(always)]
    fn decode_symbols<const ALIGNED: bool>(
        &mut self,
        bits: &mut Cursor<'_>,
        frame_start: usize,
        mut pos: usize,
        end: usize,
        frame_limited: bool,
    ) -> Result<(), LzxError> {
        let window = &mut *self.window;
        let ring_mask = self.ring - 1;
        let window_size = self.window_size as u64;
        let main = &*self.main;
        let length = &*self.length;
        let aligned = &*self.aligned;
        // R0, R1, R2, and a spare slot so that a slot number indexes without a check.
        let mut r = [self.r[0], self.r[1], self.r[2], 0];
        // Folder offset of ring position `pos` is `pos + folder_base` (wrapping: positions
        // are below the frame's start only in arithmetic that cancels out).
        let folder_base = self.total.wrapping_sub(frame_start as u64);
        while pos < end {
            // At least 56 bits: three literal codes, or one match's codes and footer.
            bits.refill();
            let mut entry = main.entry(bits.buffer());
            if entry < LITERAL_ENTRIES {
                bits.consume(u32::from(entry & 0x1F));
                window[pos & RING_MASK] = (entry >> 5) as u8;
                pos += 1;
                if pos >= end {
                    break;
                }
                entry = main.entry(bits.buffer());
                if entry < LITERAL_ENTRIES {
                    bits.consume(u32::from(entry & 0x1F));
                    window[pos & RING_MASK] = (entry >> 5) as u8;
                    pos += 1;
                    if pos >= end {
                        break;
                    }
                    entry = main.entry(bits.buffer());
                    if entry < LITERAL_ENTRIES {
                        bits.consume(u32::from(entry & 0x1F));
                        window[pos & RING_MASK] = (entry >> 5) as u8;
                        pos += 1;
                        continue;
                    }
                }
                // A match after literals: its length code and footer need a refill.
                bits.refill();
            }
            let sym = main.finish(bits, entry)?;
            if sym < NUM_CHARS {
                // A literal with a code longer than the table.
                window[pos & RING_MASK] = sym as u8;
                pos += 1;
                continue;
            }
            let s = usize::from(sym - NUM_CHARS);
            let slot = (s >> 3) & 63;
            let mut len = s & 7;
            if len == LEN_HEADER_MORE {
                len += usize::from(length.decode(bits)?);
            }
            len += MIN_MATCH;
            // MS-PATCH 2.3, match offsets: slots 0–2 repeat R0, R1, R2 (the one used swaps
            // with R0); other slots code a new offset, which pushes R0 and R1 down.
            let offset = if slot < 3 {
                r.swap(slot, 0);
                r[0]
            } else {
                let extra = u32::from(EXTRA_BITS[slot]);
                let base = POSITION_BASE[slot];
                let formatted = if ALIGNED && extra >= 3 {
                    // Aligned offset blocks code the low 3 bits with the aligned tree.
                    let high = bits.take(extra - 3) << 3;
                    base + high + u32::from(aligned.decode(bits)?)
                } else {
                    base + bits.take(extra)
                };
                r[2] = r[1];
                r[1] = r[0];
                r[0] = formatted - 2;
                r[0]
            };
            // One test for an offset of 0, one beyond the window, and one before the start
            // of the folder's data; the error says which.
            let position = folder_base.wrapping_add(pos as u64);
            if u64::from(offset).wrapping_sub(1) >= position.min(window_size) {
                return Err(bad_offset(offset, position, window_size));
            }
            if len > end - pos {
                return Err(if frame_limited {
                    LzxError::OutputOverrun { position, len }
                } else {
                    LzxError::MatchPastBlock { position, len }
                });
            }
            copy_match(window, pos, offset as usize, len, ring_mask);
            pos += len;
        }
        self.r = [r[0], r[1], r[2]];
        Ok(())
    }
}

/// Which of the three ways a match offset is wrong.
#[cold]
fn bad_offset(offset: u32, position: u64, window_size: u64) -> LzxError {
    if offset == 0 {
        LzxError::ZeroOffset { position }
    } else if u64::from(offset) > window_size {
        LzxError::OffsetBeyondWindow {
            offset,
            window: window_size as u32,
        }
    } else {
        LzxError::MatchBeforeStart { position, offset }
    }
}

/// Copies `len` bytes from `offset` back (1 ≤ offset ≤ the window) to ring position `pos`,
/// whose `len` bytes do not wrap; the source may wrap around the ring's start and may
/// overlap the destination. Bytes past the match's end may be overwritten (up to 15): they
/// are more than a window old (the ring holds two windows), and never read again.
#[inline(always)]
fn copy_match(
    window: &mut [u8; WINDOW_BUF],
    pos: usize,
    offset: usize,
    len: usize,
    ring_mask: usize,
) {
    let src = pos.wrapping_sub(offset) & ring_mask;
    // The source does not wrap: whole words, each reading only bytes that are final (the
    // source is at least a word behind what is being written). Most matches are short: the
    // first word is copied before any loop.
    if src + len <= ring_mask + 1 {
        if offset >= 16 {
            store16(window, pos, load16(window, src));
            let mut k = 16;
            while k < len {
                store16(window, pos + k, load16(window, src + k));
                k += 16;
            }
            return;
        }
        if offset >= 8 {
            store8(window, pos, load8(window, src));
            let mut k = 8;
            while k < len {
                store8(window, pos + k, load8(window, src + k));
                k += 8;
            }
            return;
        }
        if offset == 1 {
            // A run of one byte.
            let w = [window[src & RING_MASK]; 16];
            let mut k = 0;
            while k < len {
                store16(window, pos + k, w);
                k += 16;
            }
            return;
        }
    }
    // Short periods (2–7) and sources wrapping around the ring: byte by byte, as the format
    // defines a match.
    let mut src = src;
    for i in pos..pos + len {
        window[i & RING_MASK] = window[src & RING_MASK];
        src = (src + 1) & ring_mask;
    }
}

#[inline(always)]
fn load16(window: &[u8; WINDOW_BUF], at: usize) -> [u8; 16] {
    let at = at & RING_MASK;
    let mut w = [0u8; 16];
    w.copy_from_slice(&window[at..at + 16]);
    w
}

#[inline(always)]
fn store16(window: &mut [u8; WINDOW_BUF], at: usize, w: [u8; 16]) {
    let at = at & RING_MASK;
    window[at..at + 16].copy_from_slice(&w);
}

#[inline(always)]
fn load8(window: &[u8; WINDOW_BUF], at: usize) -> [u8; 8] {
    let at = at & RING_MASK;
    let mut w = [0u8; 8];
    w.copy_from_slice(&window[at..at + 8]);
    w
}

#[inline(always)]
fn store8(window: &mut [u8; WINDOW_BUF], at: usize, w: [u8; 8]) {
    let at = at & RING_MASK;
    window[at..at + 8].copy_from_slice(&w);
}

/// Reads code lengths `lens` coded as deltas against their previous values through a pretree
/// (MS-PATCH 2.3, tree encoding): first the pretree's 20 lengths of 4 bits, then pretree
/// symbols 0–16: new length = (previous − symbol) mod 17; 17: 4 + 4-bit count zeros; 18:
/// 20 + 5-bit count zeros; 19: 4 + 1-bit count copies of one delta-coded length (the next
/// symbol, taken against the first element's previous length, as cabextract and lzxd read
/// it; our fixture compressor uses code 19 only where every reading agrees).
fn read_lengths<const N: usize, const B: u32, const T: usize>(
    bits: &mut Bits<'_>,
    pre: &mut Huffman<N, B, T>,
    lens: &mut [u8],
    tree: TreeKind,
) -> Result<(), LzxError> {
    for l in pre.lens.iter_mut() {
        *l = bits.read(4) as u8;
    }
    pre.build(N)?;
    if pre.is_empty() {
        return Err(LzxError::EmptyTree {
            tree: TreeKind::Pre,
        });
    }
    let mut i = 0;
    while i < lens.len() {
        bits.refill();
        let code = pre.decode(bits)?;
        match code {
            0..=16 => {
                if let Some(l) = lens.get_mut(i) {
                    *l = ((u16::from(*l) + 17 - code) % 17) as u8;
                }
                i += 1;
            }
            17 | 18 => {
                let run = if code == 17 {
                    4 + bits.read(4)
                } else {
                    20 + bits.read(5)
                } as usize;
                lens.get_mut(i..i + run)
                    .ok_or(LzxError::LengthRunOverflow { tree })?
                    .fill(0);
                i += run;
            }
            _ => {
                let run = 4 + bits.read(1) as usize;
                bits.refill();
                let delta = pre.decode(bits)?;
                if delta > 16 {
                    return Err(LzxError::BadPretreeSymbol { symbol: delta });
                }
                let first = lens.get(i).copied().unwrap_or(0);
                let value = ((u16::from(first) + 17 - delta) % 17) as u8;
                lens.get_mut(i..i + run)
                    .ok_or(LzxError::LengthRunOverflow { tree })?
                    .fill(value);
                i += run;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_slot_tables_follow_the_specification() {
        assert_eq!(
            &POSITION_BASE[..12],
            &[0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48]
        );
        assert_eq!(&EXTRA_BITS[..8], &[0, 0, 0, 0, 1, 1, 2, 2]);
        assert_eq!(EXTRA_BITS[35], 16);
        assert_eq!(EXTRA_BITS[36], 17);
        assert_eq!(POSITION_BASE[36], 262_144);
        assert_eq!(POSITION_BASE[49], 1_966_080);
        // The largest formatted offset of a 2 MiB window's last slot stays inside it.
        assert!(POSITION_BASE[49] + (1 << 17) - 1 - 2 < 1 << 21);
    }

    /// A ring of `ring` bytes holding `fill(i)` at each position, in a full-size window.
    fn ring_of(ring: usize, fill: impl Fn(usize) -> u8) -> Box<[u8; WINDOW_BUF]> {
        let mut w: Box<[u8; WINDOW_BUF]> = vec![0xEE; WINDOW_BUF]
            .into_boxed_slice()
            .try_into()
            .unwrap();
        for (i, b) in w[..ring].iter_mut().enumerate() {
            *b = fill(i);
        }
        w
    }

    /// The byte-by-byte definition of a match, on a plain ring.
    fn reference(w: &mut [u8], pos: usize, offset: usize, len: usize) {
        let ring = w.len();
        for i in pos..pos + len {
            w[i] = w[(i + ring - offset) % ring];
        }
    }

    #[test]
    fn copies_agree_with_the_definition_and_spare_recent_bytes() {
        // Every period from 1 to 40 (overlapping short ones, word and 16-byte copies),
        // lengths 2 to 257, sources before the destination or wrapping around the ring.
        let ring = 512;
        for offset in 1..=40 {
            for len in [2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100, 257] {
                for pos in [40, 100, 200, 240, 3] {
                    if pos + len > ring {
                        continue;
                    }
                    let fill = |i: usize| (i * 7 % 251) as u8;
                    let mut w = ring_of(ring, fill);
                    let mut want: Vec<u8> = (0..ring).map(fill).collect();
                    copy_match(&mut w, pos, offset, len, ring - 1);
                    reference(&mut want, pos, offset, len);
                    let case = format!("offset {offset} len {len} pos {pos}");
                    assert_eq!(&w[pos..pos + len], &want[pos..pos + len], "{case}");
                    // Up to 15 bytes after the match may be overwritten (they are more than
                    // a window old in a ring of two windows); nothing before it, and nothing
                    // further on.
                    assert_eq!(&w[..pos], &want[..pos], "{case}");
                    let spare = (pos + len + 15).min(ring);
                    assert_eq!(&w[spare..ring], &want[spare..], "{case}");
                }
            }
        }
    }

    #[test]
    fn overlapping_and_wrapping_copies() {
        let mut w = ring_of(16, |_| 0);
        w[..3].copy_from_slice(b"abc");
        copy_match(&mut w, 3, 3, 7, 15);
        assert_eq!(&w[..10], b"abcabcabca");
        copy_match(&mut w, 10, 1, 3, 15);
        assert_eq!(&w[..13], b"abcabcabcaaaa");
        // Source wraps: 4 bytes from 14 back at position 2 start at 12.
        let mut w = ring_of(16, |i| i as u8);
        copy_match(&mut w, 2, 6, 5, 15);
        assert_eq!(&w[2..7], &[12, 13, 14, 15, 0]);
    }
}
