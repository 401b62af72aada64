//! Hand-assembled streams checking the decoder against the specification's rules (the
//! fixture encoder in tests/fixtures/lzx.rs covers the rest, against cabextract).

use super::*;

/// Bits written MSB first into 16-bit little-endian words, as LZX reads them.
#[derive(Default)]
struct Writer {
    bits: Vec<u8>,
}

impl Writer {
    fn put(&mut self, value: u32, n: u32) -> &mut Self {
        for k in (0..n).rev() {
            self.bits.push(((value >> k) & 1) as u8);
        }
        self
    }

    fn bytes(&self) -> Vec<u8> {
        let mut bits = self.bits.clone();
        while !bits.len().is_multiple_of(16) {
            bits.push(0);
        }
        bits.chunks(16)
            .flat_map(|w| {
                w.iter()
                    .fold(0u16, |a, &b| (a << 1) | u16::from(b))
                    .to_le_bytes()
            })
            .collect()
    }
}

/// MS-PATCH section 3's example (without LZXD's chunk-size prefix): an uncompressed block
/// holding "abc", R0 = R1 = R2 = 1, and its padding byte.
#[test]
fn specification_example_uncompressed_block() {
    let stream = [
        0x00, 0x30, 0x30, 0x00, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, b'a', b'b', b'c', 0,
    ];
    let mut d = LzxDecoder::new(15).unwrap();
    let mut out = Vec::new();
    d.decode_frame(&stream, 3, &mut out).unwrap();
    assert_eq!(out, b"abc");
}

/// Main tree: literals 0..=254 with 8-bit codes, two match symbols with 9-bit codes (slot
/// 0 length 2: "R0"; slot 3 length 2: formatted offset 3 = offset 1); pretree: symbols 0..16
/// with 4-bit codes (code = symbol); empty length tree.
const MATCH_R0: u32 = 256;
const MATCH_NEW: u32 = 256 + 3 * 8;

fn verbatim_header(w: &mut Writer, block_size: u32) {
    w.put(1, 3)
        .put(block_size >> 8, 16)
        .put(block_size & 0xFF, 8);
    let pretree = |w: &mut Writer| {
        for i in 0..20 {
            w.put(if i < 16 { 4 } else { 0 }, 4);
        }
    };
    // Lengths are deltas mod 17 against the previous (zero) lengths: symbol 17 − len.
    pretree(w);
    for lit in 0..256 {
        w.put(if lit < 255 { 17 - 8 } else { 0 }, 4);
    }
    pretree(w);
    for s in 256..256 + 30 * 8 {
        w.put(
            if s == MATCH_R0 || s == MATCH_NEW {
                17 - 9
            } else {
                0
            },
            4,
        );
    }
    pretree(w);
    for _ in 0..249 {
        w.put(0, 4);
    }
}

#[test]
fn verbatim_literals_and_repeated_offset_match() {
    let mut w = Writer::default();
    w.put(0, 1); // no E8 translation
    verbatim_header(&mut w, 4);
    w.put(u32::from(b'a'), 8).put(u32::from(b'b'), 8);
    // 9-bit codes after 255 8-bit ones: 510 for MATCH_R0, 511 for MATCH_NEW. R0 = 1.
    w.put(510, 9);
    let mut d = LzxDecoder::new(15).unwrap();
    let mut out = Vec::new();
    d.decode_frame(&w.bytes(), 4, &mut out).unwrap();
    assert_eq!(out, b"abbb");
}

#[test]
fn regression_match_before_window_start_is_refused() {
    // A match as the very first symbol: nothing has been output yet.
    let mut w = Writer::default();
    w.put(0, 1);
    verbatim_header(&mut w, 8);
    w.put(511, 9);
    let mut d = LzxDecoder::new(15).unwrap();
    let mut out = Vec::new();
    let err = d.decode_frame(&w.bytes(), 8, &mut out).unwrap_err();
    assert_eq!(
        err,
        LzxError::MatchBeforeStart {
            position: 0,
            offset: 1
        }
    );
    // The decoder stays failed until reset.
    assert_eq!(
        d.decode_frame(&w.bytes(), 8, &mut out),
        Err(LzxError::Failed)
    );
    d.reset();
    assert!(matches!(
        d.decode_frame(&w.bytes(), 8, &mut out),
        Err(LzxError::MatchBeforeStart { .. })
    ));
}

#[test]
fn a_block_longer_than_the_last_frame_is_refused() {
    let mut w = Writer::default();
    w.put(0, 1);
    verbatim_header(&mut w, 5);
    w.put(u32::from(b'a'), 8)
        .put(u32::from(b'b'), 8)
        .put(u32::from(b'c'), 8);
    let mut d = LzxDecoder::new(15).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        d.decode_frame(&w.bytes(), 3, &mut out),
        Err(LzxError::BlockLongerThanFrame { remaining: 2 })
    );
}

#[test]
fn matches_past_the_frame_end_are_refused() {
    let mut w = Writer::default();
    w.put(0, 1);
    verbatim_header(&mut w, 100);
    w.put(u32::from(b'a'), 8).put(510, 9);
    let mut d = LzxDecoder::new(15).unwrap();
    let mut out = Vec::new();
    assert!(matches!(
        d.decode_frame(&w.bytes(), 2, &mut out),
        Err(LzxError::OutputOverrun {
            position: 1,
            len: 2
        })
    ));
    // …and past the end of the block.
    let mut w = Writer::default();
    w.put(0, 1);
    verbatim_header(&mut w, 2);
    w.put(u32::from(b'a'), 8).put(510, 9);
    let mut d = LzxDecoder::new(15).unwrap();
    assert!(matches!(
        d.decode_frame(&w.bytes(), 10, &mut out),
        Err(LzxError::MatchPastBlock {
            position: 1,
            len: 2
        })
    ));
}

#[test]
fn malformed_headers_are_refused() {
    let mut d = LzxDecoder::new(16).unwrap();
    let mut out = Vec::new();
    // Block types 0 and 4–7.
    for t in [0u32, 4, 7] {
        let mut w = Writer::default();
        w.put(0, 1).put(t, 3).put(0, 16).put(16, 8);
        d.reset();
        assert_eq!(
            d.decode_frame(&w.bytes(), 16, &mut out),
            Err(LzxError::BadBlockType {
                block_type: t as u8
            })
        );
    }
    // Over-subscribed pretree: 20 lengths of 1.
    let mut w = Writer::default();
    w.put(0, 1).put(1, 3).put(0, 16).put(16, 8);
    for _ in 0..20 {
        w.put(1, 4);
    }
    d.reset();
    assert_eq!(
        d.decode_frame(&w.bytes(), 16, &mut out),
        Err(LzxError::OverSubscribed {
            tree: TreeKind::Pre
        })
    );
    // Nothing at all, or a stream cut inside the trees.
    d.reset();
    assert_eq!(d.decode_frame(&[], 16, &mut out), Err(LzxError::Truncated));
    let mut w = Writer::default();
    w.put(0, 1);
    verbatim_header(&mut w, 4);
    let cut = w.bytes();
    d.reset();
    assert_eq!(
        d.decode_frame(&cut[..cut.len() / 2], 4, &mut out),
        Err(LzxError::Truncated)
    );
    // Frame sizes.
    d.reset();
    assert!(matches!(
        d.decode_frame(&cut, 0, &mut out),
        Err(LzxError::BadFrameSize { .. })
    ));
    d.reset();
    assert!(matches!(
        d.decode_frame(&cut, FRAME_MAX + 1, &mut out),
        Err(LzxError::BadFrameSize { .. })
    ));
    assert!(matches!(
        LzxDecoder::new(14),
        Err(LzxError::BadWindow { bits: 14 })
    ));
    assert!(matches!(
        LzxDecoder::new(22),
        Err(LzxError::BadWindow { bits: 22 })
    ));
}

#[test]
fn uncompressed_block_sets_repeated_offsets_and_spans_frames() {
    // One uncompressed block of 32768 + 5 bytes with R0 = 3, across two frames; then a
    // verbatim block whose first match uses R0.
    let data: Vec<u8> = (0..FRAME_MAX + 5).map(|i| (i % 251) as u8).collect();
    let size = data.len() as u32;
    let mut w = Writer::default();
    w.put(0, 1).put(3, 3).put(size >> 8, 16).put(size & 0xFF, 8);
    let mut frame1 = w.bytes(); // 28 bits → 4 bits padding to 32
    for r in [3u32, 1, 1] {
        frame1.extend_from_slice(&r.to_le_bytes());
    }
    frame1.extend_from_slice(&data[..FRAME_MAX]);
    let mut frame2 = data[FRAME_MAX..].to_vec();
    frame2.push(0); // odd size: one padding byte
    let mut w = Writer::default();
    verbatim_header(&mut w, 2);
    w.put(510, 9);
    frame2.extend_from_slice(&w.bytes());

    let mut d = LzxDecoder::new(15).unwrap();
    let mut out = Vec::new();
    d.decode_frame(&frame1, FRAME_MAX, &mut out).unwrap();
    assert_eq!(out, &data[..FRAME_MAX]);
    d.decode_frame(&frame2, 7, &mut out).unwrap();
    let mut want = data[FRAME_MAX..].to_vec();
    want.extend_from_slice(&data[FRAME_MAX + 2..FRAME_MAX + 4]);
    assert_eq!(out, want);
    // A short frame ends the folder.
    assert_eq!(
        d.decode_frame(&frame2, 7, &mut out),
        Err(LzxError::FrameAfterShortFrame)
    );
}

#[test]
fn e8_header_is_read_and_applied() {
    // Translation size 0x00012345; an uncompressed frame with E8 at offset 0 carrying the
    // absolute offset 0: it must come back as 0 − 0 = 0; at offset 20, absolute 0 → −20.
    let mut payload = vec![0u8; 40];
    payload[20] = 0xE8;
    let mut w = Writer::default();
    w.put(1, 1).put(0x0001, 16).put(0x2345, 16);
    w.put(3, 3).put(0, 16).put(40, 8);
    let mut stream = w.bytes();
    for r in [1u32, 1, 1] {
        stream.extend_from_slice(&r.to_le_bytes());
    }
    stream.extend_from_slice(&payload);
    let mut d = LzxDecoder::new(17).unwrap();
    let mut out = Vec::new();
    d.decode_frame(&stream, 40, &mut out).unwrap();
    let mut want = payload.clone();
    want[21..25].copy_from_slice(&(-20i32).to_le_bytes());
    assert_eq!(out, want);
}
