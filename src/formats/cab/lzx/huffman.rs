//! Canonical Huffman codes of LZX (MS-PATCH 2.3, main and length trees, tree encoding):
//! validation of code lengths and table-driven decoding.
//!
//! Codes are canonical and read most significant bit first: shorter codes first, and among
//! codes of one length, symbols in increasing order. Codes up to `BITS` long are decoded with
//! one lookup in a table indexed by the next `BITS` bits; the rare longer ones fall back to a
//! canonical search from `BITS + 1` on.

use super::bits::BitBuf;
use super::{LzxError, TreeKind};

/// Longest code LZX can describe (lengths are 0..=16, MS-PATCH 2.3, tree encoding).
const MAX_LEN: usize = 16;
/// Table entry: no code starts with these bits (only in an empty tree).
const NONE: u16 = 0;
/// Table entry: a code longer than the table's bits starts here. Like [`NONE`], its length
/// field is 0, so the fast path needs one test; its symbol field is above every literal, so
/// [`Huffman::entry`]'s callers take it for a match and find the length of 0 there.
const LONG: u16 = 0x7FF << 5;
/// Entries below this are literals of the main tree (symbol < 256), with their length.
pub(super) const LITERAL_ENTRIES: u16 = 256 << 5;

/// One code of at most `SYMS` symbols, decoded through a `TABLE` = 2^`BITS` entry table.
#[derive(Debug, Clone)]
pub(super) struct Huffman<const SYMS: usize, const BITS: u32, const TABLE: usize> {
    /// Code lengths of the current block; also the "previous lengths" the next block's tree
    /// is coded against (MS-PATCH 2.3, tree encoding).
    pub(super) lens: [u8; SYMS],
    /// `symbol << 5 | length` for codes of at most `BITS` bits, else `LONG` or `NONE`.
    table: [u16; TABLE],
    /// Per length: the first canonical code, the number of codes, and the index of the first
    /// symbol of that length in `sorted`.
    first_code: [u32; MAX_LEN + 1],
    count: [u16; MAX_LEN + 1],
    first_index: [u16; MAX_LEN + 1],
    /// Symbols ordered by (length, symbol).
    sorted: [u16; SYMS],
    /// No symbol has a code (allowed for the length tree only).
    empty: bool,
    kind: TreeKind,
}

impl<const SYMS: usize, const BITS: u32, const TABLE: usize> Huffman<SYMS, BITS, TABLE> {
    pub(super) fn new(kind: TreeKind) -> Box<Self> {
        const { assert!(TABLE == 1 << BITS && BITS as usize <= MAX_LEN) };
        Box::new(Huffman {
            lens: [0; SYMS],
            table: [NONE; TABLE],
            first_code: [0; MAX_LEN + 1],
            count: [0; MAX_LEN + 1],
            first_index: [0; MAX_LEN + 1],
            sorted: [0; SYMS],
            empty: true,
            kind,
        })
    }

    /// Forgets the code and its lengths (start of a folder).
    pub(super) fn clear(&mut self) {
        self.lens = [0; SYMS];
        self.table = [NONE; TABLE];
        self.empty = true;
    }

    pub(super) fn is_empty(&self) -> bool {
        self.empty
    }

    /// Builds the decoding table from `lens[..used]` (the rest must be zero). A code whose
    /// lengths over-subscribe the code space, or leave part of it unused, is refused; no
    /// lengths at all make an empty tree, which fails only when a symbol is decoded with it.
    pub(super) fn build(&mut self, used: usize) -> Result<(), LzxError> {
        let kind = self.kind;
        let used = used.min(SYMS);
        let mut count = [0u16; MAX_LEN + 1];
        for &l in self.lens.get(..used).unwrap_or_default() {
            // Lengths come from 4-bit, 3-bit or mod-17 values: at most 16.
            let slot = count
                .get_mut(usize::from(l))
                .ok_or(LzxError::BadCodeLength { tree: kind })?;
            *slot += 1;
        }
        count[0] = 0;
        if count.iter().all(|&c| c == 0) {
            self.empty = true;
            self.table = [NONE; TABLE];
            return Ok(());
        }
        // Kraft: the codes must fill the code space exactly (MS-PATCH 2.3, tree encoding:
        // the lengths describe a canonical Huffman tree).
        let mut left: i64 = 1;
        for &c in &count[1..] {
            left = left * 2 - i64::from(c);
            if left < 0 {
                self.empty = true;
                return Err(LzxError::OverSubscribed { tree: kind });
            }
        }
        if left > 0 {
            self.empty = true;
            return Err(LzxError::IncompleteTree { tree: kind });
        }
        let mut code = 0u32;
        let mut index = 0u16;
        let mut next_code = [0u32; MAX_LEN + 1];
        let mut next_index = [0u16; MAX_LEN + 1];
        for len in 1..=MAX_LEN {
            code = (code + u32::from(count[len - 1])) << 1;
            self.first_code[len] = code;
            self.first_index[len] = index;
            next_code[len] = code;
            next_index[len] = index;
            index += count[len];
        }
        self.count = count;
        for sym in 0..used {
            let len = usize::from(self.lens[sym]);
            if len == 0 {
                continue;
            }
            let c = next_code[len];
            next_code[len] += 1;
            if let Some(s) = self.sorted.get_mut(usize::from(next_index[len])) {
                *s = sym as u16;
            }
            next_index[len] += 1;
            if len <= BITS as usize {
                let shift = BITS as usize - len;
                let start = (c as usize) << shift;
                let end = (c as usize + 1) << shift;
                let entry = ((sym as u16) << 5) | len as u16;
                if let Some(slots) = self.table.get_mut(start..end) {
                    slots.fill(entry);
                }
            } else if let Some(slot) = self.table.get_mut((c >> (len - BITS as usize)) as usize) {
                *slot = LONG;
            }
        }
        self.empty = false;
        Ok(())
    }

    /// Decodes one symbol; the caller has refilled `bits` (16 bits at least are available).
    #[inline(always)]
    pub(super) fn decode<B: BitBuf>(&self, bits: &mut B) -> Result<u16, LzxError> {
        // `top` < 2^BITS = TABLE: the index needs no check.
        let top = (bits.buffer() >> (64 - BITS)) as usize & (TABLE - 1);
        let entry = self.table.get(top).copied().unwrap_or(NONE);
        let len = u32::from(entry & 0x1F);
        if len != 0 {
            bits.consume(len);
            return Ok(entry >> 5);
        }
        // Out of line, on values only, so the caller's bit buffer stays in registers.
        let (sym, len) = self.decode_long(bits.buffer(), entry)?;
        bits.consume(len);
        Ok(sym)
    }

    /// The table entry for the next bits: `symbol << 5 | length`, or a length of 0 for a
    /// code longer than the table (or none, in an empty tree: the main tree never is one
    /// when symbols are decoded, and a complete code leaves no slot empty).
    #[inline(always)]
    pub(super) fn entry(&self, buf: u64) -> u16 {
        let top = (buf >> (64 - BITS)) as usize & (TABLE - 1);
        self.table.get(top).copied().unwrap_or(NONE)
    }

    /// The symbol of an [`entry`](Self::entry) that is not a literal.
    #[inline(always)]
    pub(super) fn finish<B: BitBuf>(&self, bits: &mut B, entry: u16) -> Result<u16, LzxError> {
        let len = u32::from(entry & 0x1F);
        if len != 0 {
            bits.consume(len);
            return Ok(entry >> 5);
        }
        let (sym, len) = self.decode_long(bits.buffer(), entry)?;
        bits.consume(len);
        Ok(sym)
    }

    /// A code longer than the table's bits: the symbol and its length.
    #[cold]
    #[inline(never)]
    fn decode_long(&self, buf: u64, entry: u16) -> Result<(u16, u32), LzxError> {
        if entry != LONG {
            return Err(LzxError::EmptyTree { tree: self.kind });
        }
        for len in (BITS as usize + 1)..=MAX_LEN {
            let code = (buf >> (64 - len)) as u32;
            let first = self.first_code[len];
            let offset = code.wrapping_sub(first);
            if code >= first && offset < u32::from(self.count[len]) {
                let i = usize::from(self.first_index[len]) + offset as usize;
                let sym = self
                    .sorted
                    .get(i)
                    .copied()
                    .ok_or(LzxError::EmptyTree { tree: self.kind })?;
                return Ok((sym, len as u32));
            }
        }
        // Unreachable for a complete code; kept as an error rather than a panic.
        Err(LzxError::EmptyTree { tree: self.kind })
    }
}

#[cfg(test)]
mod tests {
    use super::super::bits::Bits;
    use super::*;

    type Small = Huffman<8, 3, 8>;

    /// Writes `codes` (value, length) MSB first into LZX words.
    fn pack(codes: &[(u32, u32)]) -> Vec<u8> {
        let mut bitsv = Vec::new();
        for &(v, n) in codes {
            for k in (0..n).rev() {
                bitsv.push((v >> k) & 1);
            }
        }
        while !bitsv.len().is_multiple_of(16) {
            bitsv.push(0);
        }
        bitsv
            .chunks(16)
            .flat_map(|w| {
                let v = w.iter().fold(0u16, |a, &b| (a << 1) | b as u16);
                v.to_le_bytes()
            })
            .collect()
    }

    #[test]
    fn canonical_codes_decode_short_and_long() {
        // Lengths 1,2,3,5,5,5,5,4 over-subscribe the code space (1/2+1/4+1/8+4/32+1/16 > 1).
        let mut h = Small::new(TreeKind::Main);
        h.lens = [1, 2, 3, 5, 5, 5, 5, 4];
        assert!(matches!(h.build(8), Err(LzxError::OverSubscribed { .. })));
        h.lens = [1, 2, 3, 5, 5, 0, 0, 4];
        h.build(8).unwrap();
        let data = pack(&[
            (0b0, 1),
            (0b10, 2),
            (0b110, 3),
            (0b1110, 4),
            (0b11110, 5),
            (0b11111, 5),
        ]);
        let mut scratch = Vec::new();
        let mut b = Bits::new(&data, 0, &mut scratch);
        let mut got = Vec::new();
        for _ in 0..6 {
            b.refill();
            got.push(h.decode(&mut b).unwrap());
        }
        assert_eq!(got, [0, 1, 2, 7, 3, 4]);
    }

    #[test]
    fn incomplete_and_empty_trees() {
        let mut h = Small::new(TreeKind::Length);
        h.lens = [1, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(h.build(8), Err(LzxError::IncompleteTree { .. })));
        h.lens = [0; 8];
        h.build(8).unwrap();
        assert!(h.is_empty());
        let mut scratch = Vec::new();
        let mut b = Bits::new(&[0xFF, 0xFF], 0, &mut scratch);
        b.refill();
        assert!(matches!(h.decode(&mut b), Err(LzxError::EmptyTree { .. })));
    }
}
