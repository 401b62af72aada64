//! Quantum's adaptive frequency models: each one orders its symbols by how often they were
//! coded, counts up the symbol just coded, and rescales itself when its total grows too large.
//!
//! The update rules are the format's, as libmspack's `qtmd.c` and 7-Zip's `QuantumDecoder.cpp`
//! both apply them (third-party references; Quantum has no public specification): every
//! decoder must make exactly the same updates as the encoder, or the two drift apart.

use super::coder::Coder;

/// Most symbols in one model (a literal model: 64 of the 256 byte values).
pub(super) const SYMBOLS_MAX: usize = 64;

/// Added to a symbol's frequency each time it is coded.
const STEP: u16 = 8;
/// A model whose total frequency exceeds this after an update is rescaled.
const TOTAL_MAX: u16 = 3800;
/// Rescales until the first re-sort, and between two later ones.
const RESORT_FIRST: u8 = 4;
const RESORT_EVERY: u8 = 50;

/// 0, 1, 2, …: entry numbers as vector lanes for the branch-free update.
const INDEX: [u16; SYMBOLS_MAX + 8] = {
    let mut t = [0u16; SYMBOLS_MAX + 8];
    let mut i = 0;
    while i < SYMBOLS_MAX + 8 {
        t[i] = i as u16;
        i += 1;
    }
    t
};

/// One adaptive model of up to `N` symbols (`N` a multiple of 8, at most 64), most frequent
/// (roughly) first.
///
/// `cum[i]` is the sum of the frequencies of entries `i..len`, so `cum[0]` is the total and
/// `cum[len..]` are 0 (past the array too); entry `i` owns the interval `cum[i + 1]..cum[i]`.
/// The values strictly decrease up to `len` (every frequency is at least 1) and the total
/// never exceeds `TOTAL_MAX` when a symbol is decoded: the arithmetic decoder relies on both
/// (see `Coder::narrow`), and no sum can overflow.
///
/// The arrays are `N` wide whatever `len` is, so that the update runs over a fixed width
/// without a loop that depends on the symbol (the compiler makes it a few vector
/// instructions); entries past `len` hold 0 and are never updated.
#[derive(Clone, Debug)]
pub(super) struct Model<const N: usize> {
    len: usize,
    cum: [u16; N],
    /// The symbol of each entry.
    sym: [u8; N],
    /// Rescales left before the next one re-sorts the symbols.
    until_resort: u8,
}

impl<const N: usize> Model<N> {
    /// A model of the `len` symbols `first..first + len` (1 ≤ len ≤ N), all with frequency
    /// 1, in order.
    pub(super) fn new(first: u8, len: usize) -> Self {
        let len = len.clamp(1, N.min(SYMBOLS_MAX));
        let mut m = Model {
            len,
            cum: [0; N],
            sym: [0; N],
            until_resort: RESORT_FIRST,
        };
        for i in 0..len {
            m.sym[i] = first.wrapping_add(i as u8);
            m.cum[i] = (len - i) as u16;
        }
        m
    }

    /// `cum[i]`, with the 0 past the end.
    #[inline(always)]
    fn at(&self, i: usize) -> u16 {
        self.cum.get(i).copied().unwrap_or(0)
    }

    /// Decodes one symbol with `coder` and updates the model.
    #[inline(always)]
    pub(super) fn decode(&mut self, coder: &mut Coder<'_>) -> u8 {
        let total = self.cum[0];
        // Entry i - 1 is decoded for the first i ≥ 1 whose lower bound is at or below the
        // code's place in the model (Coder::threshold), found by comparing products instead
        // of dividing (the division is on the decoder's critical path). cum[len] = 0 ends the
        // search at the last entry at the latest.
        let (range, key) = coder.scaled(total);
        let mut i = 1;
        while u32::from(self.at(i)) * range >= key && i < self.len {
            i += 1;
        }
        coder.narrow(self.at(i), self.cum[i - 1], total);
        let symbol = self.sym[i - 1];
        // Entries 0..i gain STEP (their sums include the coded symbol's frequency): over the
        // whole width, without a loop that depends on i.
        let below = i as u16;
        for (c, &k) in self.cum.iter_mut().zip(INDEX.iter()) {
            *c += if k < below { STEP } else { 0 };
        }
        if self.cum[0] > TOTAL_MAX {
            self.rescale();
        }
        symbol
    }

    /// Encodes `symbol` (tests): its interval `(low, high, total)`, and the same update as
    /// [`Model::decode`]. `None` when the model has no such symbol.
    #[cfg(test)]
    pub(super) fn interval(&mut self, symbol: u8) -> Option<(u16, u16, u16)> {
        let at = self.sym[..self.len].iter().position(|&s| s == symbol)?;
        let found = (self.at(at + 1), self.cum[at], self.cum[0]);
        for c in &mut self.cum[..=at] {
            *c += STEP;
        }
        if self.cum[0] > TOTAL_MAX {
            self.rescale();
        }
        Some(found)
    }

    /// Halves the frequencies; every 50th time (the 4th the first time), also sorts the
    /// symbols by frequency, most frequent first.
    #[cold]
    fn rescale(&mut self) {
        let len = self.len;
        self.until_resort -= 1;
        if self.until_resort > 0 {
            // Halve each cumulative value, keeping them strictly decreasing (each frequency
            // at least 1), from the last entry up.
            for i in (0..len).rev() {
                let halved = self.cum[i] >> 1;
                self.cum[i] = halved.max(self.at(i + 1) + 1);
            }
            return;
        }
        self.until_resort = RESORT_EVERY;
        // Frequencies, halved rounding up (so none becomes 0).
        let mut freq = [0u16; SYMBOLS_MAX];
        for (i, f) in freq.iter_mut().enumerate().take(len) {
            *f = (self.cum[i] - self.at(i + 1) + 1) >> 1;
        }
        // Decreasing frequency. The order among equal frequencies is part of the format
        // (encoder and decoder must agree), so this is exactly the exchange sort the
        // reference decoders use: entry i is swapped with every later entry that is more
        // frequent than what entry i holds at that moment.
        for i in 0..len.saturating_sub(1) {
            for j in i + 1..len {
                if freq[i] < freq[j] {
                    freq.swap(i, j);
                    self.sym.swap(i, j);
                }
            }
        }
        // Back to cumulative values.
        let mut sum = 0u16;
        for i in (0..len).rev() {
            sum += freq[i];
            self.cum[i] = sum;
        }
    }

    /// The model's symbols in their current order (tests).
    #[cfg(test)]
    pub(super) fn order(&self) -> &[u8] {
        &self.sym[..self.len]
    }

    /// Its cumulative frequencies, `len + 1` of them (tests).
    #[cfg(test)]
    pub(super) fn cumulative(&self) -> Vec<u16> {
        (0..=self.len).map(|i| self.at(i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_models_count_every_symbol_once() {
        let m = Model::<64>::new(64, 64);
        assert_eq!(m.order()[0], 64);
        assert_eq!(m.order()[63], 127);
        assert_eq!(m.cumulative()[0], 64);
        assert_eq!(m.cumulative()[64], 0);
    }

    /// Checks the invariants the arithmetic decoder relies on.
    fn check<const N: usize>(m: &Model<N>) {
        let cum = m.cumulative();
        assert_eq!(*cum.last().unwrap(), 0);
        assert!(cum.windows(2).all(|w| w[0] > w[1]), "{cum:?}");
        assert!(cum[0] <= TOTAL_MAX, "{}", cum[0]);
        let mut seen = m.order().to_vec();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), m.order().len());
    }

    #[test]
    fn updates_keep_the_invariants_and_sort_by_frequency() {
        let mut m = Model::<24>::new(0, 24);
        let mut x = 12345u32;
        for n in 0..20_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            // Skewed: symbol 17 most often, then low symbols.
            let s = if n % 3 == 0 {
                17
            } else {
                ((x >> 16) % 6) as u8
            };
            m.interval(s).unwrap();
            check(&m);
        }
        // After many re-sorts, the most frequent symbol is first.
        assert_eq!(m.order()[0], 17);
        assert!(m.interval(200).is_none());
    }

    #[test]
    fn the_fourth_rescale_sorts() {
        let mut m = Model::<8>::new(0, 7);
        // Code symbol 6 only: each update adds 8 to the totals of all entries up to it.
        let mut rescales = 0;
        let mut last_total = m.cumulative()[0];
        while rescales < 4 {
            m.interval(6).unwrap();
            let total = m.cumulative()[0];
            if total < last_total {
                rescales += 1;
                if rescales < 4 {
                    assert_eq!(m.order(), [0, 1, 2, 3, 4, 5, 6], "halving keeps the order");
                }
            }
            last_total = total;
        }
        assert_eq!(m.order()[0], 6, "the re-sort puts the coded symbol first");
        check(&m);
    }
}
