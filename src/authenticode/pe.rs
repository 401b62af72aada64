//! Authenticode in PE images: the signature in the attribute certificate table, and the image
//! digest.
//!
//! PE spec §4.2 "Attribute Certificate Table (Image Only)" and the Authenticode spec,
//! "Calculating the PE Image Hash": the hash covers the file in order, omitting the optional
//! header's CheckSum field, the Certificate Table data directory entry (directory 4) and the
//! certificate table itself. As in osslsigncode (`pe.c`, `pe_digest_calc_bio`) the bytes are
//! hashed in file order up to the table, which for a table at the end of the file (required
//! since MS12-024) is the spec's sorted-sections-then-remainder order; no padding is added for
//! a signed file (the signer padded it before signing). Data after the table is hashed too,
//! but makes the signature `invalid`: Windows rejects it, osslsigncode ignores the signature.

use std::io;

use super::{Multi, SigError, TrustStore, Verdict, evaluate, hash_except, read_exact_at};
use crate::formats::ReadSeek;
use crate::formats::bytes::{u16_at, u32_at};
use crate::formats::payload::Source;
use crate::formats::pe;

/// `WIN_CERT_REVISION_2_0`.
const WIN_CERT_REVISION_2_0: u16 = 0x0200;
/// `WIN_CERT_TYPE_PKCS_SIGNED_DATA`.
const WIN_CERT_TYPE_PKCS_SIGNED_DATA: u16 = 0x0002;

/// Where the fields the image hash skips are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// File offset of the optional header's CheckSum (4 bytes).
    pub checksum_at: u64,
    /// File offset of data directory 4, the Certificate Table entry (8 bytes).
    pub cert_dir_at: u64,
    /// The certificate table: file offset and size (0, 0 when unsigned).
    pub table: (u64, u64),
}

/// Reads the headers (the one PE parser, `formats::pe`): `Ok(None)` when this is not a PE
/// image with a data directory 4.
pub fn layout(r: &mut dyn ReadSeek, len: u64) -> io::Result<Option<Layout>> {
    let Some(headers) = pe::Headers::read(r, len)? else {
        return Ok(None);
    };
    Ok(headers.certificate_entry.map(|entry| Layout {
        checksum_at: headers.checksum_at,
        cert_dir_at: entry.at,
        table: (entry.address, entry.size),
    }))
}

/// The first PKCS#7 blob of the certificate table (WIN_CERTIFICATE entries, each 8-byte
/// aligned, PE spec §4.2).
fn blob(table: &[u8]) -> Result<&[u8], SigError> {
    let mut at = 0usize;
    while at + 8 <= table.len() {
        let len = u32_at(table, at) as usize;
        let (revision, kind) = (u16_at(table, at + 4), u16_at(table, at + 6));
        if len < 8 || at.checked_add(len).is_none_or(|e| e > table.len()) {
            return Err(SigError::Malformed("bad WIN_CERTIFICATE length"));
        }
        if revision == WIN_CERT_REVISION_2_0 && kind == WIN_CERT_TYPE_PKCS_SIGNED_DATA {
            return Ok(&table[at + 8..at + len]);
        }
        at += len.div_ceil(8) * 8;
    }
    Err(SigError::Malformed(
        "no PKCS#7 entry in the certificate table",
    ))
}

/// Checks the Authenticode signature of a PE image.
pub fn check(source: &dyn Source, trust: &TrustStore) -> io::Result<Verdict> {
    let len = source.size()?;
    let mut r = source.open()?;
    let Some(layout) = layout(&mut *r, len)? else {
        return Ok(Verdict::absent());
    };
    let (offset, size) = layout.table;
    if offset == 0 && size == 0 {
        return Ok(Verdict::absent());
    }
    let end = offset.checked_add(size);
    if offset == 0 || size == 0 || end.is_none_or(|e| e > len) || size > super::MAX_SIGNATURE {
        return Ok(Verdict::invalid(&SigError::Malformed(
            "the certificate table lies outside the file",
        )));
    }
    let table = read_exact_at(&mut *r, offset, size)?;
    let blob = match blob(&table) {
        Ok(b) => b,
        Err(e) => return Ok(Verdict::invalid(&e)),
    };
    let appended = end != Some(len);
    let mut verdict = evaluate(
        blob,
        |algs| {
            let mut m = Multi::new(algs);
            let holes = [
                (layout.checksum_at, 4),
                (layout.cert_dir_at, 8),
                (offset, size),
            ];
            hash_except(&mut *r, len, &holes, &mut m)?;
            Ok(Ok(m.finish()))
        },
        trust,
    )?;
    if appended && verdict.status != super::Status::Invalid {
        verdict.status = super::Status::Invalid;
        verdict.reason = Some(
            "data follows the certificate table: something was appended after signing".to_owned(),
        );
    }
    Ok(verdict)
}
