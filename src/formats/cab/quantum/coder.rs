//! Quantum's bit input and arithmetic decoder for one frame.
//!
//! The frame's bytes are one bit stream read most significant bit first. Its first 16 bits
//! start the arithmetic decoder's code register; after that, the bits the decoder shifts in
//! when its interval narrows and the raw "extra" bits of match offsets and lengths come from
//! the same stream, in the order the decoder asks for them (libmspack `qtmd.c`, 7-Zip
//! `QuantumDecoder.cpp`; third-party references).
//!
//! The decoder keeps a 16-bit interval `low..=high` and the 16-bit `code` inside it. A
//! symbol narrows the interval to its share of the model's total; then the bits `low` and
//! `high` agree on are shifted out (they are settled), and while the interval straddles the
//! middle too narrowly (`low` = 01…, `high` = 10…) the second bit is dropped ("underflow",
//! flipping the code's second bit). Both steps are done here in one go per symbol rather
//! than bit by bit.
//!
//! Reading past the end of the input yields zero bits; [`Coder::overrun`] tells afterwards
//! whether bits that do not exist were used.

/// Bits of `d` (1 for 1, 12 for 2048..4095).
const fn bit_length(d: u32) -> u32 {
    32 - d.leading_zeros()
}

/// `⌈2^(28 + b) / d⌉` for every `d` below 4096 of `b` bits (0 for 0): each fits 29 bits.
static RECIPROCAL: [u32; 4096] = {
    let mut t = [0u32; 4096];
    let mut d = 1;
    while d < 4096 {
        let shift = 28 + bit_length(d as u32);
        t[d] = (1u64 << shift).div_ceil(d as u64) as u32;
        d += 1;
    }
    t
};

/// `n / d` for `n < 2^28` and `0 < d < 4096` (of `b` bits) by a multiplication: with
/// `m = ⌈2^(28+b) / d⌉`, `n·m / 2^(28+b)` exceeds `n / d` by less than
/// `n / 2^(28+b) < 2^-b < 1/d`, too little to reach the next integer (the fraction of `n / d`
/// is at most `1 - 1/d`). Model totals are at most 3808 and the products of a cumulative
/// frequency and a 16-bit range stay below 2^28; anything else is divided.
#[inline(always)]
pub(super) fn div_small(n: u32, d: u16) -> u32 {
    match RECIPROCAL.get(usize::from(d)) {
        Some(&m) if d > 0 && n < 1 << 28 => {
            let shift = 28 + bit_length(u32::from(d));
            ((u64::from(n) * u64::from(m)) >> shift) as u32
        }
        _ => n.checked_div(u32::from(d)).unwrap_or(0),
    }
}

#[derive(Debug)]
pub(super) struct Coder<'a> {
    input: &'a [u8],
    /// Next byte to load (may pass `input.len()` once zero bits were supplied).
    next: usize,
    /// Buffered bits, left-aligned: the next bit is bit 63.
    buf: u64,
    /// Number of buffered bits.
    count: u32,
    low: u32,
    high: u32,
    code: u32,
}

impl<'a> Coder<'a> {
    /// Starts a frame: the whole interval, and the first 16 bits as the code.
    pub(super) fn new(input: &'a [u8]) -> Self {
        let mut c = Coder {
            input,
            next: 0,
            buf: 0,
            count: 0,
            low: 0,
            high: 0xFFFF,
            code: 0,
        };
        c.refill();
        c.code = c.take(16);
        c
    }

    /// Fills the bit buffer to at least 57 bits.
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        if self.count > 56 {
            return;
        }
        if let Some(chunk) = self.input.get(self.next..self.next.wrapping_add(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            self.buf |= u64::from_be_bytes(b) >> self.count;
            let whole = (64 - self.count) / 8;
            self.next += whole as usize;
            self.count += whole * 8;
        } else {
            while self.count <= 56 {
                let byte = self.input.get(self.next).copied().unwrap_or(0);
                self.buf |= u64::from(byte) << (56 - self.count);
                self.count += 8;
                self.next = self.next.saturating_add(1);
            }
        }
    }

    /// Makes sure `n` more bits (n ≤ 57) can be taken.
    #[inline(always)]
    pub(super) fn need(&mut self, n: u32) {
        if self.count < n {
            self.refill();
        }
    }

    /// Takes the next `n` bits (n ≤ 32; never more than are buffered).
    #[inline(always)]
    fn take(&mut self, n: u32) -> u32 {
        let n = n.min(32).min(self.count);
        if n == 0 {
            return 0;
        }
        let v = (self.buf >> (64 - n)) as u32;
        self.buf <<= n;
        self.count -= n;
        v
    }

    /// The next `n` raw bits (n ≤ 19: the longest match offset footer).
    #[inline(always)]
    pub(super) fn bits(&mut self, n: u32) -> u32 {
        self.need(n);
        self.take(n)
    }

    /// Where in the model's cumulative frequencies (of total `total`) the code lies:
    /// symbol entry `i - 1` is decoded for the first `i` whose lower bound is ≤ this (the
    /// reference decoders' formula; [`Coder::scaled`] is what the models use).
    #[cfg(test)]
    pub(super) fn threshold(&self, total: u16) -> u32 {
        let range = (self.high.wrapping_sub(self.low) & 0xFFFF) + 1;
        let offset = self.code.wrapping_sub(self.low).wrapping_add(1);
        (offset.wrapping_mul(u32::from(total)).wrapping_sub(1) / range) & 0xFFFF
    }

    /// The interval's width and where the code lies in it scaled by `total`: the code is
    /// in the share of an entry whose lower bound `lo` has `lo × width < key` (the same as
    /// `lo ≤ threshold(total)`, without the division).
    #[inline(always)]
    pub(super) fn scaled(&self, total: u16) -> (u32, u32) {
        let range = (self.high.wrapping_sub(self.low) & 0xFFFF) + 1;
        let offset = self.code.wrapping_sub(self.low).wrapping_add(1);
        (range, offset.wrapping_mul(u32::from(total)))
    }

    /// Narrows the interval to `lo..hi` of `total` and shifts in the bits that settles.
    ///
    /// The two divisions by `total` are multiplications by its reciprocal (exact here, see
    /// [`div_small`]): they lie on the decoder's critical path.
    ///
    /// Invariants (they hold whatever the input, so nothing here can misbehave): `low ≤
    /// code ≤ high`; after each call `high - low > 0x4000` (the top bits differ, and not
    /// 01…/10…); and a model's total is at most 3808, so every symbol's share of the
    /// interval is at least 4 wide and the interval never empties.
    #[inline(always)]
    pub(super) fn narrow(&mut self, lo: u16, hi: u16, total: u16) {
        let range = self.high.wrapping_sub(self.low).wrapping_add(1);
        let high = self
            .low
            .wrapping_add(div_small(u32::from(hi).wrapping_mul(range), total))
            .wrapping_sub(1);
        let low = self
            .low
            .wrapping_add(div_small(u32::from(lo).wrapping_mul(range), total));
        let (mut low, mut high) = (low & 0xFFFF, high & 0xFFFF);
        // Settled bits: the leading bits low and high share (all 16 if they are equal).
        let settled = (((low ^ high) << 16) | 0x8000).leading_zeros();
        if settled > 0 {
            low = (low << settled) & 0xFFFF;
            high = ((high << settled) | ((1 << settled) - 1)) & 0xFFFF;
            self.need(settled);
            self.code = ((self.code << settled) | self.take(settled)) & 0xFFFF;
        }
        // Underflow: low = 01…, high = 10…. Each step drops the second bit of all three
        // (flipping the code's), which amounts to shifting and then setting the top bits
        // back to 0 (low), 1 (high) and the flipped one (code).
        let under = ((low & !high & 0x7FFF) << 17).leading_ones();
        if under > 0 {
            low = (low << under) & 0x7FFF;
            high = (((high << under) | ((1 << under) - 1)) & 0xFFFF) | 0x8000;
            self.need(under);
            self.code = (((self.code << under) | self.take(under)) & 0xFFFF) ^ 0x8000;
        }
        self.low = low;
        self.high = high;
    }

    /// (low, high, code), for the tests.
    #[cfg(test)]
    pub(super) fn state(&self) -> (u32, u32, u32) {
        (self.low, self.high, self.code)
    }

    /// Bits used so far (the 16 of the code register included).
    pub(super) fn used_bits(&self) -> usize {
        self.next
            .saturating_mul(8)
            .saturating_sub(self.count as usize)
    }

    /// Whether more bits were used than the input holds.
    pub(super) fn overrun(&self) -> bool {
        self.used_bits() > self.input.len().saturating_mul(8)
    }
}
