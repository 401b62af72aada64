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

use std::io::{Cursor, Read};

use libfuzzer_sys::fuzz_target;
use slipway::formats::{Entry, EntrySink, ReadError, disc};
use slipway::model::Origin;

struct Discard;

impl EntrySink for Discard {
    fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), ReadError> {
        std::io::copy(&mut data.take(64 << 20), &mut std::io::sink())
            .map_err(|e| ReadError::reading(entry.origin, e))?;
        Ok(())
    }

    fn directory(&mut self, _entry: &Entry<'_>) -> Result<(), ReadError> {
        Ok(())
    }
}

/// CRC-ITU-T of ECMA-167 1/7.2.6.
fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Re-seals the tag at `at` when its identifier is one of ECMA-167's.
fn reseal(image: &mut [u8], at: usize) {
    let Some(tag) = image.get(at..at + 16) else {
        return;
    };
    let id = u16::from_le_bytes([tag[0], tag[1]]);
    if !matches!(id, 1..=9 | 256..=266) {
        return;
    }
    let crc_len = usize::from(u16::from_le_bytes([tag[10], tag[11]]));
    let end = (at + 16 + crc_len).min(image.len());
    let crc = crc16(&image[at + 16..end]);
    image[at + 8..at + 10].copy_from_slice(&crc.to_le_bytes());
    let sum = image[at..at + 16]
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 4)
        .fold(0u8, |a, (_, &b)| a.wrapping_add(b));
    image[at + 4] = sum;
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
        &mut Discard,
    );
});
