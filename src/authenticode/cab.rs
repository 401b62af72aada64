//! Authenticode in cabinets: a signed cabinet has `cfhdrRESERVE_PRESENT`, a 20-byte header
//! reserve (`cbCFHeader` = 20) whose bytes 4..8 and 8..12 give the offset and size of the
//! PKCS#7 blob appended after the cabinet (`cbCabinet`); the reserve starts with 0x00100000.
//!
//! The digest follows osslsigncode (`cab.c`, `cab_digest_calc`), which matches Windows: CFHEADER
//! bytes 0..4 (signature), 8..34 (cbCabinet … setID; `reserved1` is skipped), the last 4 bytes of
//! the reserve (56..60), then everything from 60 up to the signature (neighbour names, CFFOLDER
//! and CFFILE entries, CFDATA blocks). Skipped: iCabinet, the reserve sizes and the first 16
//! reserve bytes (with the signature's offset and size).

use std::io;

use super::{Multi, SigError, TrustStore, Verdict, evaluate, hash_except, read_exact_at};
use crate::formats::bytes::{u16_at, u32_at};
use crate::formats::payload::Source;

/// `cfhdrRESERVE_PRESENT` (MS-CAB 2.2).
const FLAG_RESERVE: u16 = 0x0004;
/// Size of CFHEADER with a 20-byte reserve.
const SIGNED_HEADER: u64 = 60;

/// The signature's offset and size, when the header says the cabinet is signed.
fn locate(h: &[u8]) -> Option<(u64, u64)> {
    let u16_at = |i: usize| u16_at(h, i);
    let u32_at = |i: usize| u32_at(h, i);
    if h.len() < SIGNED_HEADER as usize || &h[..4] != b"MSCF" {
        return None;
    }
    if u16_at(30) & FLAG_RESERVE == 0 || u16_at(36) != 20 || u32_at(40) != 0x0010_0000 {
        return None;
    }
    let (offset, size) = (u64::from(u32_at(44)), u64::from(u32_at(48)));
    (offset != 0 || size != 0).then_some((offset, size))
}

/// Checks the signature of a cabinet; `absent` when it has none.
pub fn check(source: &dyn Source, trust: &TrustStore) -> io::Result<Verdict> {
    let len = source.size()?;
    if len < SIGNED_HEADER {
        return Ok(Verdict::absent());
    }
    let mut r = source.open()?;
    let header = read_exact_at(&mut *r, 0, SIGNED_HEADER)?;
    let Some((offset, size)) = locate(&header) else {
        return Ok(Verdict::absent());
    };
    let end = offset.checked_add(size);
    if offset < SIGNED_HEADER
        || size == 0
        || end.is_none_or(|e| e > len)
        || size > super::MAX_SIGNATURE
    {
        return Ok(Verdict::invalid(&SigError::Malformed(
            "the signature area lies outside the cabinet",
        )));
    }
    let blob = read_exact_at(&mut *r, offset, size)?;
    let mut verdict = evaluate(
        &blob,
        |algs| {
            let mut m = Multi::new(algs);
            hash_except(&mut *r, offset, &[(4, 4), (34, 22)], &mut m)?;
            Ok(Ok(m.finish()))
        },
        trust,
    )?;
    if end != Some(len) && verdict.status != super::Status::Invalid {
        verdict.status = super::Status::Invalid;
        verdict.reason =
            Some("data follows the signature: something was appended after signing".to_owned());
    }
    Ok(verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsigned_headers_have_no_signature() {
        let mut h = vec![0u8; 60];
        h[..4].copy_from_slice(b"MSCF");
        assert_eq!(locate(&h), None);
        h[30] = 4;
        h[36] = 20;
        h[40..44].copy_from_slice(&0x0010_0000u32.to_le_bytes());
        assert_eq!(locate(&h), None);
        h[44] = 100;
        h[48] = 8;
        assert_eq!(locate(&h), Some((100, 8)));
        assert_eq!(locate(&h[..59]), None);
    }
}
