//! The CFDATA checksum (MS-CAB 2.5 `csum`), with libmspack's handling of the trailing bytes.

/// XOR-folds `data` into `seed` as little-endian 32-bit words.
///
/// The 1–3 bytes left after the last whole word are combined most-significant first
/// (`b0 << 16 | b1 << 8 | b2` for three bytes), which is what Microsoft's encoder does and
/// what libmspack's `cabd_checksum` checks; it is *not* a zero-padded little-endian word.
pub(crate) fn fold(data: &[u8], seed: u32) -> u32 {
    // XOR of little-endian u32 words == low half ^ high half of the XOR of u64 words.
    let mut wide = 0u64;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        wide ^= u64::from_le_bytes(b);
    }
    // Truncation intended: the two halves are folded together.
    let mut sum = seed ^ (wide as u32) ^ ((wide >> 32) as u32);
    let mut rest = words.remainder();
    if rest.len() >= 4 {
        let (word, tail) = rest.split_at(4);
        let mut b = [0u8; 4];
        b.copy_from_slice(word);
        sum ^= u32::from_le_bytes(b);
        rest = tail;
    }
    let tail = match *rest {
        [a, b, c] => (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c),
        [a, b] => (u32::from(a) << 8) | u32::from(b),
        [a] => u32::from(a),
        _ => 0,
    };
    sum ^ tail
}

/// The checksum stored in a CFDATA header: the data folded first, then the 4 bytes of the
/// header's `cbData` and `cbUncomp` fields (the reserved area is not covered; MS-CAB 2.5).
pub(crate) fn block(data: &[u8], cb_data: u16, cb_uncomp: u16) -> u32 {
    let mut sizes = [0u8; 4];
    sizes[..2].copy_from_slice(&cb_data.to_le_bytes());
    sizes[2..].copy_from_slice(&cb_uncomp.to_le_bytes());
    fold(&sizes, fold(data, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A straightforward transcription of libmspack's `cabd_checksum`, as an oracle.
    fn reference(data: &[u8], seed: u32) -> u32 {
        let mut sum = seed;
        let whole = data.len() / 4 * 4;
        for w in data[..whole].chunks(4) {
            sum ^= u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        }
        let t = &data[whole..];
        let mut ul = 0u32;
        match t.len() {
            3 => ul = (u32::from(t[0]) << 16) | (u32::from(t[1]) << 8) | u32::from(t[2]),
            2 => ul = (u32::from(t[0]) << 8) | u32::from(t[1]),
            1 => ul = u32::from(t[0]),
            _ => {}
        }
        sum ^ ul
    }

    #[test]
    fn trailing_bytes_are_most_significant_first() {
        assert_eq!(fold(&[0x11, 0x22, 0x33], 0), 0x0011_2233);
        assert_eq!(fold(&[0x11, 0x22], 0), 0x1122);
        assert_eq!(fold(&[0x11], 0), 0x11);
        assert_eq!(fold(&[1, 2, 3, 4, 5], 0), 0x0403_0201 ^ 5);
        assert_eq!(fold(&[], 0xdead_beef), 0xdead_beef);
    }

    #[test]
    fn matches_the_reference_for_every_length() {
        let data: Vec<u8> = (0u32..300).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(
                fold(&data[..len], 0x1234_5678),
                reference(&data[..len], 0x1234_5678)
            );
        }
    }

    #[test]
    fn block_checksum_covers_the_sizes() {
        let data = b"hello";
        let want = reference(&[5, 0, 5, 0], reference(data, 0));
        assert_eq!(block(data, 5, 5), want);
        assert_ne!(block(data, 5, 6), want);
    }
}
