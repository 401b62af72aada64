//! Bit input of one LZX frame: 16-bit little-endian words read most significant bit first
//! (MS-PATCH 3, "Structure Examples": the bitstream is a sequence of 16-bit integers stored
//! least significant byte first), buffered up to 63 bits at a time.
//!
//! The frame's words are byte-swapped once into a scratch copy, which makes the stream a
//! plain MSB-first byte stream: a refill is then one big-endian load at the current byte
//! offset and needs no branch (the buffer is topped up to 56..63 bits whatever it held).
//!
//! Reading past the end of the input yields zero bits instead of failing at once, so the hot
//! loops need no end check; [`Bits::overrun`] tells afterwards whether bits that do not exist
//! were consumed, and the decoder turns that into [`LzxError::Truncated`](super::LzxError).

#[derive(Debug)]
pub(super) struct Bits<'a> {
    /// The frame's input, as stored (raw bytes of uncompressed blocks are taken from it).
    input: &'a [u8],
    /// `input[base..]` with the two bytes of every 16-bit word swapped, then zero bytes: a
    /// plain most-significant-bit-first byte stream, so a refill is one big-endian load at
    /// any byte offset. Owned by the decoder and reused from frame to frame.
    swapped: &'a mut Vec<u8>,
    /// Where `swapped` starts in `input`.
    base: usize,
    /// Next byte of `swapped` to load; may run past its end when zero bits were supplied.
    pos: usize,
    /// Buffered bits, left-aligned: the next bit is bit 63.
    buf: u64,
    /// Number of valid bits in `buf` (0..=63).
    count: u32,
}

/// Zero bytes after the swapped input: a refill loads 8 bytes at any offset up to the
/// input's end without a second check.
const PAD: usize = 8;

/// Fills `swapped` with `input[base..]`, each 16-bit word's bytes swapped (an odd last byte
/// is the low half of a word whose missing high half reads as zero), then [`PAD`] zeros.
fn swap_words(input: &[u8], base: usize, swapped: &mut Vec<u8>) {
    const LOW: u64 = 0x00FF_00FF_00FF_00FF;
    let rest = input.get(base..).unwrap_or_default();
    let words = rest.len().div_ceil(2) * 2;
    // Every byte is overwritten below: no need to clear the old content first.
    swapped.resize(words + PAD, 0);
    let (body, pad) = swapped.split_at_mut(words);
    pad.fill(0);
    // Four words at a time.
    let (dst, dst_tail) = body.as_chunks_mut::<8>();
    let (src, src_tail) = rest.as_chunks::<8>();
    for (d, s) in dst.iter_mut().zip(src) {
        let x = u64::from_le_bytes(*s);
        *d = (((x & LOW) << 8) | ((x >> 8) & LOW)).to_le_bytes();
    }
    dst_tail.fill(0);
    for (i, &b) in src_tail.iter().enumerate() {
        // Byte i of a word goes to i ^ 1; an odd last byte is a word's low half.
        if let Some(slot) = dst_tail.get_mut(i ^ 1) {
            *slot = b;
        }
    }
}

/// What a Huffman code is decoded from: the buffered bits, left-aligned, and how to drop
/// the ones used.
pub(super) trait BitBuf {
    fn buffer(&self) -> u64;
    fn consume(&mut self, n: u32);
}

/// A copy of a [`Bits`]' position that the hot loop keeps in registers (a `&mut Bits` would
/// be written back to memory after every symbol); [`Bits::resume`] takes it back.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cursor<'b> {
    data: &'b [u8],
    /// `data.len() - 8`: where its zero padding starts.
    last: usize,
    pos: usize,
    buf: u64,
    count: u32,
}

impl Cursor<'_> {
    /// Where the cursor stands, for [`Bits::resume`].
    pub(super) fn state(&self) -> (usize, u64, u32) {
        (self.pos, self.buf, self.count)
    }

    /// As [`Bits::refill`]: 56 to 63 bits available afterwards.
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        // The last 8 bytes are zero padding: a load past them would read zeros too, so it
        // reads them instead (no branch; the slice check below is always true).
        let at = self.pos.min(self.last);
        let next = match self.data.get(at..at + 8) {
            Some(b) => u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            None => 0,
        };
        self.buf |= next >> self.count;
        self.pos = self.pos.wrapping_add(((63 - self.count) >> 3) as usize);
        self.count |= 56;
    }

    /// The next `n` bits (n ≤ 17: a footer), consumed.
    #[inline(always)]
    pub(super) fn take(&mut self, n: u32) -> u32 {
        // Two shifts, so that n = 0 needs no branch; `& 63` keeps the shift in range.
        let v = ((self.buf >> 1) >> (63u32.wrapping_sub(n) & 63)) as u32;
        self.consume(n);
        v
    }
}

impl BitBuf for Cursor<'_> {
    #[inline(always)]
    fn buffer(&self) -> u64 {
        self.buf
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.count);
        self.buf = self.buf.wrapping_shl(n & 63);
        self.count = self.count.wrapping_sub(n);
    }
}

impl BitBuf for Bits<'_> {
    #[inline(always)]
    fn buffer(&self) -> u64 {
        self.buf
    }

    #[inline(always)]
    fn consume(&mut self, n: u32) {
        debug_assert!(n <= self.count);
        self.buf = self.buf.wrapping_shl(n & 63);
        self.count = self.count.wrapping_sub(n);
    }
}

impl<'a> Bits<'a> {
    /// The position, for the hot loop (in byte mode too: the buffer is then empty).
    pub(super) fn cursor(&self) -> Cursor<'_> {
        Cursor {
            data: self.swapped.as_slice(),
            last: self.swapped.len().saturating_sub(PAD),
            pos: self.pos,
            buf: self.buf,
            count: self.count,
        }
    }

    /// Continues from where `cursor` (made by [`cursor`](Self::cursor)) stopped.
    pub(super) fn resume(&mut self, pos: usize, buf: u64, count: u32) {
        self.pos = pos;
        self.buf = buf;
        self.count = count;
    }

    /// Bits of `input` from byte `start` on (1 when the frame opens with a pad byte).
    pub(super) fn new(input: &'a [u8], start: usize, swapped: &'a mut Vec<u8>) -> Self {
        swap_words(input, start, swapped);
        Bits {
            input,
            swapped,
            base: start,
            pos: 0,
            buf: 0,
            count: 0,
        }
    }

    /// Makes at least 56 bits available (56..=63): enough for a main tree code, a length
    /// code and 17 footer bits of one match (16 + 16 + 17), or three literal codes, with one
    /// refill. Branch-free but for the one bounds check of the load.
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        // Past the end every byte is zero: the padding, then nothing at all.
        let next = match self.swapped.get(self.pos..self.pos.wrapping_add(8)) {
            Some(b) => u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            None => 0,
        };
        // Whole bytes that fit go in; the bits of a byte that only partly fits land below
        // `count`: they are the stream's own next bits, which the next refill ORs in again
        // at the same place.
        self.buf |= next >> self.count;
        self.pos = self.pos.wrapping_add(((63 - self.count) >> 3) as usize);
        self.count |= 56;
    }

    /// The next `n` bits (n ≤ 32) without consuming them; needs a preceding [`refill`].
    #[inline(always)]
    pub(super) fn peek(&self, n: u32) -> u32 {
        // Two shifts, so that n = 0 needs no branch (a shift by 64 would overflow).
        ((self.buf >> 1) >> (63 - n.min(32))) as u32
    }

    /// Reads `n` bits (n ≤ 32) after a refill.
    #[inline(always)]
    pub(super) fn read(&mut self, n: u32) -> u32 {
        self.refill();
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// Bits consumed from the start of the input.
    fn consumed_bits(&self) -> u64 {
        (self.base as u64 + self.pos as u64) * 8 - u64::from(self.count)
    }

    /// Whether more bits were consumed than the input holds.
    pub(super) fn overrun(&self) -> bool {
        self.consumed_bits() > (self.input.len() as u64) * 8
    }

    /// For an uncompressed block (MS-PATCH 2.3.2.1): drops 1 to 16 bits of padding to the next
    /// 16-bit boundary (16 when already on one) and returns the byte offset where the byte
    /// stream starts; the bit buffer is emptied.
    pub(super) fn align_for_bytes(&mut self) -> usize {
        // Words start at `base`: the boundary is counted from there.
        let into_word = ((self.consumed_bits() - self.base as u64 * 8) % 16) as u32;
        self.refill();
        self.consume(16 - into_word);
        // Whole bytes were read ahead: give them back.
        let at = (self.consumed_bits() / 8) as usize;
        self.restart_at(at);
        at
    }

    /// Continues at byte `at` of the input, bit buffer empty (byte mode).
    fn restart_at(&mut self, at: usize) {
        self.pos = at.wrapping_sub(self.base);
        self.buf = 0;
        self.count = 0;
    }

    /// The next `n` raw bytes, in byte mode (the bit buffer is empty after
    /// [`align_for_bytes`](Self::align_for_bytes) or at the start of a frame); `None` when the
    /// input does not hold them.
    pub(super) fn take_bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.count != 0 {
            return None;
        }
        let at = self.base.checked_add(self.pos)?;
        let bytes = self.input.get(at..at.checked_add(n)?)?;
        self.pos += n;
        if self.pos % 2 == 1 {
            // Bits go on at an odd offset from `base` (a block that began in an earlier frame
            // ended here): words now start one byte later than `swapped` has them.
            self.base = at + n;
            self.pos = 0;
            swap_words(self.input, self.base, self.swapped);
        }
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_little_endian_msb_first() {
        // Words 0x1234, 0xABCD.
        let mut scratch = Vec::new();
        let mut b = Bits::new(&[0x34, 0x12, 0xCD, 0xAB], 0, &mut scratch);
        assert_eq!(b.read(4), 0x1);
        assert_eq!(b.read(8), 0x23);
        assert_eq!(b.read(8), 0x4A);
        assert_eq!(b.read(12), 0xBCD);
        assert!(!b.overrun());
        assert_eq!(b.read(1), 0);
        assert!(b.overrun());
    }

    #[test]
    fn fast_and_slow_refill_agree() {
        let data: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8).collect();
        for step in 1..=17 {
            let mut scratch = Vec::new();
            let mut a = Bits::new(&data, 0, &mut scratch);
            let mut reference = Vec::new();
            for w in data.chunks(2) {
                let w = u16::from_le_bytes([w[0], w[1]]);
                for k in (0..16).rev() {
                    reference.push((w >> k) & 1);
                }
            }
            let mut at = 0;
            while at + step <= reference.len() {
                let want = reference[at..at + step]
                    .iter()
                    .fold(0u32, |v, &bit| (v << 1) | u32::from(bit));
                assert_eq!(a.read(step as u32), want, "step {step} at {at}");
                at += step;
            }
        }
    }

    #[test]
    fn alignment_for_raw_bytes_skips_one_to_sixteen_bits() {
        let data = [0u8, 0, 0xAA, 0xBB, 0xCC, 0xDD];
        let mut scratch = Vec::new();
        let mut b = Bits::new(&data, 0, &mut scratch);
        b.read(3);
        assert_eq!(b.align_for_bytes(), 2);
        let mut scratch = Vec::new();
        let mut b = Bits::new(&data, 0, &mut scratch);
        b.read(16);
        // Already aligned: a whole word of padding.
        assert_eq!(b.align_for_bytes(), 4);
    }
}
