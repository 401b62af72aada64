//! Undoing the x86 CALL translation (MS-PATCH 2.2.2 "E8 Call Translation").
//!
//! The compressor rewrote the 32-bit relative displacement after each 0xE8 byte as an
//! absolute offset; the decoder turns it back, on the copy of each frame handed out (the
//! window keeps the translated bytes, which later matches refer to).

/// Undoes the translation in `frame`, which starts at output offset `frame_offset`
/// (< 2^30), with the stream header's translation size `size`.
pub(super) fn undo(frame: &mut [u8], frame_offset: u32, size: i32) {
    // "if chunk_size > 10: for i in 0 .. chunk_size − 10": the last 10 bytes are never
    // translated, and the 4 bytes after an E8 are skipped whether translated or not.
    let Some(limit) = frame.len().checked_sub(10) else {
        return;
    };
    let mut i = 0;
    while i < limit {
        // Skip 32 bytes at a time while none is 0xE8 (text and data have few): a test
        // without an early exit, which the compiler turns into vector instructions.
        if let Some(block) = frame.get(i..i + 32)
            && !block.iter().fold(false, |any, &b| any | (b == 0xE8))
        {
            i += 32;
            continue;
        }
        if let Some(word) = frame.get(i..i + 8) {
            match find_e8(word) {
                None => {
                    i += 8;
                    continue;
                }
                Some(k) => i += k,
            }
            if i >= limit {
                return;
            }
        } else if frame.get(i) != Some(&0xE8) {
            i += 1;
            continue;
        }
        let current = i64::from(frame_offset) + i as i64;
        if let Some(bytes) = frame.get_mut(i + 1..i + 5) {
            let value = i64::from(i32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]));
            if value >= -current && value < i64::from(size) {
                // The `>= 0` branch: an absolute offset of 0 is a call to the very first byte
                // and goes back to `0 - current`; only negative values were displacements
                // beyond the translation size.
                let displacement = if value >= 0 {
                    value - current
                } else {
                    value + i64::from(size)
                };
                bytes.copy_from_slice(&(displacement as i32).to_le_bytes());
            }
        }
        i += 5;
    }
}

/// Index of the first 0xE8 byte of `bytes`, eight bytes at a time.
fn find_e8(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        // A zero byte of x marks an E8 byte; the lowest flagged byte is exact.
        let x = u64::from_le_bytes(b) ^ (ONES * 0xE8);
        let zero = x.wrapping_sub(ONES) & !x & HIGHS;
        if zero != 0 {
            return Some(at + (zero.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == 0xE8)
        .map(|p| at + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(at_value: i32) -> Vec<u8> {
        let mut v = vec![0x90u8; 32];
        v[4] = 0xE8;
        v[5..9].copy_from_slice(&at_value.to_le_bytes());
        v
    }

    fn value(v: &[u8]) -> i32 {
        i32::from_le_bytes(v[5..9].try_into().unwrap())
    }

    #[test]
    fn absolute_offsets_become_relative() {
        // At output offset 100 + 4: absolute 1000 → displacement 896.
        let mut v = call(1000);
        undo(&mut v, 100, 1 << 20);
        assert_eq!(value(&v), 1000 - 104);
    }

    #[test]
    fn absolute_offset_zero_is_translated_back() {
        // A call to offset 0 from 104 was stored as absolute 0; it must become −104, not
        // 0 + size.
        let mut v = call(0);
        undo(&mut v, 100, 1 << 20);
        assert_eq!(value(&v), -104);
    }

    #[test]
    fn negative_values_add_the_size_and_others_stay() {
        let mut v = call(-50);
        undo(&mut v, 100, 1 << 20);
        assert_eq!(value(&v), (1 << 20) - 50);
        // Below −current: untouched. At or above the size: untouched.
        for untouched in [-105, 1 << 20, i32::MAX, i32::MIN] {
            let mut v = call(untouched);
            undo(&mut v, 100, 1 << 20);
            assert_eq!(value(&v), untouched);
        }
    }

    #[test]
    fn last_ten_bytes_and_short_frames_are_left_alone() {
        let mut v = vec![0u8; 16];
        v[6] = 0xE8; // 6 ≥ 16 − 10
        v[7] = 5;
        let before = v.clone();
        undo(&mut v, 0, 1000);
        assert_eq!(v, before);
        let mut short = vec![0xE8u8; 10];
        undo(&mut short, 0, 1000);
        assert_eq!(short, vec![0xE8u8; 10]);
    }

    #[test]
    fn e8_search_finds_the_first_one() {
        for len in 0..40 {
            for at in 0..len {
                let mut v: Vec<u8> = (0..len).map(|i| (i * 37 % 200) as u8 ^ 0x11).collect();
                v.iter_mut().for_each(|b| {
                    if *b == 0xE8 {
                        *b = 0
                    }
                });
                v[at] = 0xE8;
                if at + 3 < len {
                    v[at + 3] = 0xE8;
                }
                assert_eq!(find_e8(&v), Some(at), "len {len} at {at}");
            }
            assert_eq!(find_e8(&vec![0xE7; len]), None);
        }
    }

    #[test]
    fn bytes_after_an_e8_are_skipped() {
        // E8 E8 00 00 00 00: the second E8 is part of the first's operand.
        let mut v = vec![0u8; 24];
        v[0] = 0xE8;
        v[1] = 0xE8;
        undo(&mut v, 0, 1000);
        // value 0xE8 at 0 → displacement 0xE8 − 0; the bytes at 1..5 are the operand.
        assert_eq!(&v[1..5], &0xE8i32.to_le_bytes());
    }
}
