//! The LZX decoder alone, for profiling (`valgrind --tool=callgrind`, `perf`): decodes every
//! LZX folder of a single cabinet (no set, no split blocks) frame by frame, as the cabinet
//! reader does, and prints the bytes decoded and an FNV-1a digest of them (to compare two
//! builds of the decoder). No files are written, no checksums checked.
//!
//! `cargo run --release --example lzx_decode -- FILE.cab [REPEAT]`

use std::time::Instant;

use slipway::formats::cab::lzx::LzxDecoder;

fn u16_at(b: &[u8], at: usize) -> usize {
    usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

#[allow(clippy::print_stdout)] // the harness reports what it decoded
fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: lzx_decode FILE.cab [REPEAT]");
    let repeat: usize = std::env::args()
        .nth(2)
        .map_or(1, |r| r.parse().expect("a repeat count"));
    let cab = std::fs::read(&path).expect("readable cabinet");
    assert_eq!(&cab[..4], b"MSCF", "not a cabinet");
    // MS-CAB 2.2 CFHEADER: cFolders at 26, flags at 30; reserve sizes after the fixed part.
    let folders = u16_at(&cab, 26);
    let flags = u16_at(&cab, 30);
    let (mut at, folder_reserve, data_reserve) = if flags & 4 != 0 {
        (
            40 + u16_at(&cab, 36),
            usize::from(cab[38]),
            usize::from(cab[39]),
        )
    } else {
        (36, 0, 0)
    };
    for skip in [1, 2] {
        if flags & skip != 0 {
            // Previous/next cabinet and disk names: two NUL-terminated strings each.
            for _ in 0..2 {
                at += cab[at..].iter().position(|&b| b == 0).expect("NUL") + 1;
            }
        }
    }
    let started = Instant::now();
    let mut total = 0u64;
    let mut digest = 0xcbf2_9ce4_8422_2325u64;
    let mut out = Vec::new();
    for _ in 0..repeat {
        for f in 0..folders {
            // CFFOLDER: coffCabStart, cCFData, typeCompress.
            let entry = at + f * (8 + folder_reserve);
            let mut data = u32_at(&cab, entry);
            let blocks = u16_at(&cab, entry + 4);
            let type_compress = u16_at(&cab, entry + 6);
            if type_compress & 0xF != 3 {
                continue;
            }
            let mut dec = LzxDecoder::new((type_compress >> 8) as u8).expect("LZX window");
            for _ in 0..blocks {
                let cb_data = u16_at(&cab, data + 4);
                let cb_uncomp = u16_at(&cab, data + 6);
                let start = data + 8 + data_reserve;
                dec.decode_frame(&cab[start..start + cb_data], cb_uncomp, &mut out)
                    .expect("a valid LZX stream");
                total += out.len() as u64;
                // Sampled digest: cheap next to decoding, still catches a wrong byte in most
                // frames (the first and last 64 bytes and every 61st).
                for &b in out.iter().step_by(61).chain(&out[..64.min(out.len())]) {
                    digest = (digest ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
                }
                for &b in &out[out.len().saturating_sub(64)..] {
                    digest = (digest ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
                }
                data = start + cb_data;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{total} bytes decoded in {secs:.3} s ({:.0} MB/s), digest {digest:016x}",
        total as f64 / secs / 1e6
    );
}
