//! Fuzz target: any bytes as a disc image through the ISO 9660/Joliet and UDF reader, into a
//! sink that discards. Must never panic, hang or allocate without bound.
//!
//! UDF descriptors carry a checksum and a CRC, which random mutations almost never keep
//! right; so that mutations reach the fields behind them, the tag of every descriptor that
//! starts on a 512-byte boundary (anchors, volume descriptors, file set descriptor, file
//! entries, a directory's first identifier) is re-sealed before the image is read.
//!
//! Seeds: small images made with `genisoimage -J -udf`, `xorriso -as mkisofs -J -R` and
//! `mkudffs --blocksize=512`, copied into `corpus/disc/`; run with
//! `cargo +nightly fuzz run disc -- -max_len=2000000 -runs=1000000`.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use slipway::formats::disc;
use slipway::model::Origin;

#[path = "../../tests/fixtures/disc.rs"]
#[allow(dead_code)]
mod fixture;

/// Re-seals the tag at `at` when its identifier is one of ECMA-167's (the fixtures' sealer).
fn reseal(image: &mut [u8], at: usize) {
    let Some(tag) = image.get(at..at + 16) else {
        return;
    };
    if matches!(u16::from_le_bytes([tag[0], tag[1]]), 1..=9 | 256..=266) {
        fixture::reseal_tag(image, at);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut image = data.to_vec();
    // From the end, so a descriptor's CRC covers the re-sealed ones inside it.
    for at in (0..image.len()).step_by(512).rev() {
        reseal(&mut image, at);
    }
    let _ = disc::extract(
        Box::new(Cursor::new(image)),
        &Origin::input("fuzz.iso"),
        &mut fixture::Discard,
    );
});
