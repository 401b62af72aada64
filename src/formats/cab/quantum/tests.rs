//! The decoder against the format's rules on hand-made input (the fixture compressor in
//! tests/fixtures/quantum.rs covers whole streams, against cabextract and 7-Zip).

use super::coder::Coder;
use super::model::Model;
use super::*;

/// The coder's interval update done one bit at a time, as the format describes it: shift
/// out equal top bits; while low = 01… and high = 10…, drop the second bit (flipping the
/// code's) and shift.
fn narrow_bit_by_bit(
    (mut low, mut high, mut code): (u32, u32, u32),
    (lo, hi, total): (u32, u32, u32),
    bits: &mut impl Iterator<Item = u32>,
) -> (u32, u32, u32) {
    let range = high - low + 1;
    high = low + hi * range / total - 1;
    low += lo * range / total;
    loop {
        if (low & 0x8000) != (high & 0x8000) {
            if low & 0x4000 != 0 && high & 0x4000 == 0 {
                code ^= 0x4000;
                low &= 0x3FFF;
                high |= 0x4000;
            } else {
                break;
            }
        }
        low = (low << 1) & 0xFFFF;
        high = ((high << 1) | 1) & 0xFFFF;
        code = ((code << 1) | bits.next().unwrap_or(0)) & 0xFFFF;
    }
    (low, high, code)
}

/// Bits of `bytes`, most significant first.
fn bit_iter(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .iter()
        .flat_map(|&b| (0..8).rev().map(move |k| u32::from(b >> k) & 1))
}

#[test]
fn narrowing_in_one_go_equals_the_bit_by_bit_rule() {
    let mut x = 0x1234_5678_9ABC_DEF0_u64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..2_000 {
        let input: Vec<u8> = (0..64).map(|_| next() as u8).collect();
        let mut coder = Coder::new(&input);
        let mut bits = bit_iter(&input).skip(16);
        let mut state = (
            0u32,
            0xFFFF_u32,
            u32::from(u16::from_be_bytes([input[0], input[1]])),
        );
        let mut model = Model::<64>::new(0, 1 + (next() % 64) as usize);
        let mut reference = model.clone();
        for _ in 0..100 {
            // The model decodes a symbol with the coder; the reference takes the interval
            // the same symbol has in its own copy of the model and narrows bit by bit.
            let symbol = model.decode(&mut coder);
            let (lo, hi, total) = reference.interval(symbol).unwrap();
            state = narrow_bit_by_bit(
                state,
                (u32::from(lo), u32::from(hi), u32::from(total)),
                &mut bits,
            );
            assert_eq!(coder.state(), state);
        }
        assert_eq!(model.order(), reference.order());
    }
}

#[test]
fn division_by_reciprocal_is_exact() {
    use super::coder::div_small;
    for d in 1..4096u32 {
        // Around every multiple of d near the top of the range, and a spread below it.
        for k in [1u32, 2, 3, 1000, (1 << 28) / d - 1, (1 << 28) / d] {
            for n in [k * d - 1, k * d, k * d + 1, k * d + d - 1] {
                if n < 1 << 28 {
                    assert_eq!(div_small(n, d as u16), n / d, "{n} / {d}");
                }
            }
        }
    }
    let mut x = 0x0123_4567_u32;
    for _ in 0..1_000_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let (n, d) = (x >> 4, (x % 3808 + 1) as u16);
        assert_eq!(div_small(n, d), n / u32::from(d));
    }
    // Outside the fast path: a real division, and 0 for 0.
    assert_eq!(div_small(u32::MAX, 3), u32::MAX / 3);
    assert_eq!(div_small(100, 5000), 0);
    assert_eq!(div_small(100, 0), 0);
}

/// The product comparison the models search with picks the same entry as the reference
/// decoders' threshold.
#[test]
fn scaled_comparison_equals_the_threshold() {
    let mut x = 0x9E37_79B9_u32;
    for _ in 0..200 {
        let input: Vec<u8> = (0..8)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let coder = Coder::new(&input);
        for total in [1u16, 7, 64, 1000, 3800] {
            let t = coder.threshold(total);
            let (range, key) = coder.scaled(total);
            for lo in 0..total {
                assert_eq!(u32::from(lo) <= t, u32::from(lo) * range < key);
            }
        }
    }
}

#[test]
fn slot_tables_cover_every_offset_and_length() {
    let (base, extra) = POSITION;
    // Each slot starts where the previous one ends; slot 2k starts at 2^(k-1)... and the
    // 42 slots reach 2^21 exactly (a 2 MiB window).
    for s in 1..POSITION_SLOTS {
        assert_eq!(base[s], base[s - 1] + (1 << extra[s - 1]));
    }
    assert_eq!(base[41] + (1 << extra[41]), 1 << 21);
    // Twice the window's bits slots reach exactly 2^bits.
    for bits in 10..=21usize {
        assert_eq!(base[2 * bits - 1] + (1 << extra[2 * bits - 1]), 1 << bits);
    }
    // Fixed-length matches: 24 slots reach 4 KiB, 36 reach 256 KiB.
    assert_eq!(base[24], 4096);
    assert_eq!(base[36], 1 << 18);
    let (lbase, lextra) = LENGTH;
    for s in 1..LENGTH_SLOTS - 1 {
        assert_eq!(lbase[s], lbase[s - 1] + (1 << lextra[s - 1]));
    }
    assert_eq!(lbase[25] + (1 << lextra[25]) - 1 + LONG_MATCH_MIN, 258);
    assert_eq!(lbase[26] + LONG_MATCH_MIN, 259);
    assert_eq!(lextra[26], 0);
}

#[test]
fn window_sizes() {
    for bits in WINDOW_BITS_MIN..=WINDOW_BITS_MAX {
        let d = QuantumDecoder::new(bits).unwrap();
        assert_eq!(d.window.len(), (1usize << bits).max(FRAME_MAX));
    }
    assert_eq!(
        QuantumDecoder::new(9).unwrap_err(),
        QuantumError::BadWindow { bits: 9 }
    );
    assert_eq!(
        QuantumDecoder::new(22).unwrap_err(),
        QuantumError::BadWindow { bits: 22 }
    );
}

#[test]
fn frame_sizes_are_checked() {
    let mut d = QuantumDecoder::new(16).unwrap();
    let mut out = Vec::new();
    for size in [0, FRAME_MAX + 1] {
        assert_eq!(
            d.decode_frame(&[0; 16], size, &mut out),
            Err(QuantumError::BadFrameSize { size })
        );
        d.reset();
    }
}

/// All-zero input: the code sits at the bottom of every interval, so each model yields its
/// last entry; the selector's is 6 (a long match), which cannot come first.
#[test]
fn a_match_before_the_first_byte_is_refused() {
    let mut d = QuantumDecoder::new(21).unwrap();
    let mut out = Vec::new();
    let err = d.decode_frame(&[0; 64], 100, &mut out).unwrap_err();
    assert!(
        matches!(err, QuantumError::MatchBeforeStart { position: 0, .. }),
        "{err}"
    );
    assert!(out.is_empty());
    // The decoder stays failed until reset.
    assert_eq!(
        d.decode_frame(&[0; 64], 100, &mut out),
        Err(QuantumError::Failed)
    );
    d.reset();
    assert!(matches!(
        d.decode_frame(&[0; 64], 100, &mut out),
        Err(QuantumError::MatchBeforeStart { .. })
    ));
}

#[test]
fn missing_input_is_truncation() {
    for input in [&[][..], &[0x80][..], &[0xFF, 0xFF, 0xFF][..]] {
        let mut d = QuantumDecoder::new(15).unwrap();
        let mut out = Vec::new();
        let err = d.decode_frame(input, FRAME_MAX, &mut out).unwrap_err();
        assert!(
            matches!(
                err,
                QuantumError::Truncated
                    | QuantumError::MatchBeforeStart { .. }
                    | QuantumError::OutputOverrun { .. }
            ),
            "{err}"
        );
    }
}

/// Whatever the bytes, a frame ends in bounded time, with exactly the bytes asked for or an
/// error; the models keep their invariants.
#[test]
fn garbage_never_panics() {
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    for round in 0..300 {
        let bits = 10 + (round % 12) as u8;
        let mut d = QuantumDecoder::new(bits).unwrap();
        let mut out = Vec::new();
        for _ in 0..4 {
            let len = (x % 3000) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 24) as u8
                })
                .collect();
            let frame = 1 + (x % FRAME_MAX as u64) as usize;
            if d.decode_frame(&input, frame, &mut out).is_ok() {
                assert_eq!(out.len(), frame);
            } else {
                assert!(out.is_empty());
            }
        }
    }
}
