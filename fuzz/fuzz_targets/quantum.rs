//! Fuzz target: the Quantum decoder alone, on any bytes cut into frames of any size. It must
//! never panic, hang or overflow, and a frame it accepts has exactly the size asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slipway::formats::cab::quantum::{FRAME_MAX, QuantumDecoder};

fuzz_target!(|data: &[u8]| {
    // Byte 0: window size (2^10..2^21). Then frames: 2 bytes input length, 2 bytes output
    // length (1..=32768, mostly full frames as in cabinets), the input bytes; a zero input
    // length resets the decoder.
    let Some((&w, mut rest)) = data.split_first() else {
        return;
    };
    let Ok(mut dec) = QuantumDecoder::new(10 + w % 12) else {
        return;
    };
    let mut out = Vec::new();
    while rest.len() >= 4 {
        let in_len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let raw = u16::from_le_bytes([rest[2], rest[3]]);
        // The top bit asks for a full frame, so the decoder's window wraps and the models
        // see long runs; otherwise any size.
        let out_len = if raw & 0x8000 != 0 {
            FRAME_MAX
        } else {
            usize::from(raw) % FRAME_MAX + 1
        };
        rest = &rest[4..];
        if in_len == 0 {
            dec.reset();
            continue;
        }
        let take = in_len.min(rest.len());
        let (input, tail) = rest.split_at(take);
        rest = tail;
        if dec.decode_frame(input, out_len, &mut out).is_ok() {
            assert_eq!(out.len(), out_len);
        } else {
            assert!(out.is_empty());
        }
    }
});
