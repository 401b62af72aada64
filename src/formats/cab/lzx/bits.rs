//! Bit input of one LZX frame: 16-bit little-endian words read most significant bit first
//! (MS-PATCH 3, "Structure Examples": the bitstream is a sequence of 16-bit integers stored
//! least significant byte first), buffered up to 64 bits at a time.
//!
//! Reading past the end of the input yields zero bits instead of failing at once, so the hot
//! loops need no end check; [`Bits::overrun`] tells afterwards whether bits that do not exist
//! were consumed, and the decoder turns that into [`LzxError::Truncated`](super::LzxError).

#[derive(Debug)]
pub(super) struct Bits<'a> {
    input: &'a [u8],
    /// Next byte to load; may run past `input.len()` when zero bits were supplied.
    pos: usize,
    /// Buffered bits, left-aligned: the next bit is bit 63.
    buf: u64,
    /// Number of valid bits in `buf` (0..=64).
    count: u32,
}

impl<'a> Bits<'a> {
    pub(super) fn new(input: &'a [u8]) -> Self {
        Bits {
            input,
            pos: 0,
            buf: 0,
            count: 0,
        }
    }

    /// Makes at least 49 bits available (17 + 16 + 16: the longest run of reads between two
    /// refills in the decoding loop).
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        if self.count > 48 {
            return;
        }
        if let Some(chunk) = self.input.get(self.pos..self.pos.wrapping_add(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            let x = u64::from_le_bytes(b);
            // Four little-endian words, first word most significant: swap the 32-bit
            // halves, then the 16-bit halves of each.
            let y = x.rotate_left(32);
            let words = ((y & 0x0000_FFFF_0000_FFFF) << 16) | ((y >> 16) & 0x0000_FFFF_0000_FFFF);
            // Bits of a word that only partly fits land below `count`: they are the
            // stream's own next bits, which the next refill ORs in again at the same place.
            self.buf |= words >> self.count;
            // Whole words that fit: 1 to 4.
            let add = (64 - self.count) & !15;
            self.count += add;
            self.pos += (add / 8) as usize;
        } else {
            while self.count <= 48 {
                let lo = self.input.get(self.pos).copied().unwrap_or(0);
                let hi = self
                    .input
                    .get(self.pos.wrapping_add(1))
                    .copied()
                    .unwrap_or(0);
                let w = u64::from(u16::from_le_bytes([lo, hi]));
                self.buf |= w << (48 - self.count);
                self.count += 16;
                self.pos = self.pos.saturating_add(2);
            }
        }
    }

    /// The next `n` bits (n ≤ 32) without consuming them; needs a preceding [`refill`].
    #[inline(always)]
    pub(super) fn peek(&self, n: u32) -> u32 {
        // Two shifts, so that n = 0 needs no branch (a shift by 64 would overflow).
        ((self.buf >> 1) >> (63 - n.min(32))) as u32
    }

    /// Bits buffered (real or past the end).
    #[inline(always)]
    pub(super) fn available(&self) -> u32 {
        self.count
    }

    /// The whole buffer (for table lookups that index by its top bits).
    #[inline(always)]
    pub(super) fn buffer(&self) -> u64 {
        self.buf
    }

    /// Drops `n` bits (n ≤ the bits available).
    #[inline(always)]
    pub(super) fn consume(&mut self, n: u32) {
        // Callers consume at most 17 bits, never more than are buffered.
        self.buf = self.buf.wrapping_shl(n & 63);
        self.count = self.count.saturating_sub(n);
    }

    /// Reads `n` bits (n ≤ 17) after a refill.
    #[inline(always)]
    pub(super) fn read(&mut self, n: u32) -> u32 {
        self.refill();
        let v = self.peek(n);
        self.consume(n);
        v
    }

    /// Bits consumed from the start of the input.
    fn consumed_bits(&self) -> u64 {
        (self.pos as u64) * 8 - u64::from(self.count)
    }

    /// Whether more bits were consumed than the input holds.
    pub(super) fn overrun(&self) -> bool {
        self.consumed_bits() > (self.input.len() as u64) * 8
    }

    /// For an uncompressed block (MS-PATCH 2.3.2.1): drops 1 to 16 bits of padding to the next
    /// 16-bit boundary (16 when already on one) and returns the byte offset where the byte
    /// stream starts; the bit buffer is emptied.
    pub(super) fn align_for_bytes(&mut self) -> usize {
        let partial = self.count % 16;
        let pad = if partial == 0 { 16 } else { partial };
        self.refill();
        self.consume(pad);
        // Whole buffered words were read ahead: give them back.
        let at = (self.consumed_bits() / 8) as usize;
        self.restart_at(at);
        at
    }

    /// Continues reading bits at byte `at` (after a run of raw bytes).
    pub(super) fn restart_at(&mut self, at: usize) {
        self.pos = at;
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
        let bytes = self.input.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_little_endian_msb_first() {
        // Words 0x1234, 0xABCD.
        let mut b = Bits::new(&[0x34, 0x12, 0xCD, 0xAB]);
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
            let mut a = Bits::new(&data);
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
        let mut b = Bits::new(&data);
        b.read(3);
        assert_eq!(b.align_for_bytes(), 2);
        let mut b = Bits::new(&data);
        b.read(16);
        // Already aligned: a whole word of padding.
        assert_eq!(b.align_for_bytes(), 4);
    }
}
