//! UDF descriptor tags (ECMA-167 3/7.2: checksum, CRC, location) and OSTA CS0 names.

use crate::formats::bytes::{u16_at, u32_at};
use crate::formats::disc::DiscError;

/// Tag identifiers (ECMA-167 3/7.2.1 and 4/7.2.1).
pub(super) const PRIMARY_VOLUME: u16 = 1;
pub(super) const ANCHOR: u16 = 2;
pub(super) const VOLUME_POINTER: u16 = 3;
pub(super) const PARTITION: u16 = 5;
pub(super) const LOGICAL_VOLUME: u16 = 6;
pub(super) const TERMINATING: u16 = 8;
pub(super) const FILE_SET: u16 = 256;
pub(super) const FILE_IDENTIFIER: u16 = 257;
pub(super) const ALLOCATION_EXTENT: u16 = 258;
pub(super) const FILE_ENTRY: u16 = 261;
pub(super) const EXTENDED_FILE_ENTRY: u16 = 266;

/// CRC-ITU-T (x^16 + x^12 + x^5 + 1, initial value 0), ECMA-167 1/7.2.6.
const CRC_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

pub(super) fn crc16(data: &[u8]) -> u16 {
    data.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ CRC_TABLE[usize::from((crc >> 8) as u8 ^ b)]
    })
}

/// The tag of the descriptor at the start of `buf` (found at byte `offset` of the image),
/// checked: checksum (3/7.2.3), CRC over the descriptor's body (3/7.2.6) and identifier;
/// with `location`, the tag location too (3/7.2.8: the block the descriptor is recorded in).
pub(super) fn check(
    buf: &[u8],
    offset: u64,
    what: &'static str,
    id: u16,
    location: Option<u32>,
) -> Result<(), DiscError> {
    let bad = |reason: String| DiscError::bad(what, offset, reason);
    let Some(head) = buf.get(..16) else {
        return Err(bad("shorter than its tag".into()));
    };
    let sum = head
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 4)
        .fold(0u8, |a, (_, &b)| a.wrapping_add(b));
    if sum != head[4] {
        return Err(bad(format!(
            "tag checksum {:#04x}, computed {sum:#04x}",
            head[4]
        )));
    }
    let found = u16_at(head, 0);
    if found != id {
        return Err(bad(format!("tag identifier {found}, expected {id}")));
    }
    let crc_len = usize::from(u16_at(head, 10));
    let body = buf
        .get(16..16 + crc_len)
        .ok_or_else(|| bad(format!("CRC length {crc_len} runs past the descriptor")))?;
    let (stored, computed) = (u16_at(head, 8), crc16(body));
    if stored != computed {
        return Err(bad(format!(
            "descriptor CRC {stored:#06x}, computed {computed:#06x}"
        )));
    }
    if let Some(expected) = location {
        let found = u32_at(head, 12);
        if found != expected {
            return Err(bad(format!(
                "tag location {found}, recorded at block {expected}"
            )));
        }
    }
    Ok(())
}

/// Decodes an OSTA CS0 identifier (OSTA UDF 2.1.1, 2.1.3): a compression ID of 8 (one byte a
/// character, U+0000 to U+00FF) or 16 (UTF-16 big-endian code units), then the characters.
pub(super) fn cs0(raw: &[u8]) -> Result<String, &'static str> {
    let Some((&id, chars)) = raw.split_first() else {
        return Err("empty name");
    };
    let name: String = match id {
        8 => chars.iter().map(|&b| char::from(b)).collect(),
        16 => {
            if !chars.len().is_multiple_of(2) {
                return Err("16-bit CS0 name of an odd number of bytes");
            }
            let units = chars
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| "16-bit CS0 name is not valid UTF-16")?
        }
        _ => return Err("CS0 compression ID is neither 8 nor 16"),
    };
    if name.is_empty() {
        return Err("empty name");
    }
    if name.contains(['/', '\0']) {
        return Err("name contains '/' or NUL");
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_example_of_ecma_167() {
        // ECMA-167 1/7.2.6: the CRC of the bytes #70 #6A #77 is #3299.
        assert_eq!(crc16(&[0x70, 0x6A, 0x77]), 0x3299);
        assert_eq!(crc16(&[]), 0);
    }

    #[test]
    fn cs0_names_of_both_widths() {
        assert_eq!(cs0(b"\x08caf\xe9").unwrap(), "café");
        assert_eq!(cs0(b"\x10\x00a\x65\xe5").unwrap(), "a日");
        assert_eq!(cs0(b"\x10\xd8\x3d\xde\x00").unwrap(), "😀");
        assert!(cs0(b"\x10\xd8\x3d").is_err());
        assert!(cs0(b"\x10\x00").is_err());
        assert!(cs0(b"\x08").is_err());
        assert!(cs0(b"").is_err());
        assert!(cs0(b"\x09abc").is_err());
        assert!(cs0(b"\x08a/b").is_err());
    }

    #[test]
    fn tags_are_checked() {
        let mut d = vec![0u8; 64];
        d[0] = 2; // anchor
        d[12] = 0; // location 0
        d[10] = 48; // CRC over the 48 body bytes
        d[20] = 7;
        let crc = crc16(&d[16..64]);
        d[8..10].copy_from_slice(&crc.to_le_bytes());
        let sum = d[..16]
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != 4)
            .fold(0u8, |a, (_, &b)| a.wrapping_add(b));
        d[4] = sum;
        check(&d, 0, "anchor", ANCHOR, Some(0)).unwrap();
        assert!(check(&d, 0, "anchor", ANCHOR, Some(1)).is_err());
        assert!(check(&d, 0, "anchor", FILE_SET, None).is_err());
        d[30] ^= 1;
        assert!(check(&d, 0, "anchor", ANCHOR, None).is_err());
        assert!(check(&d[..40], 0, "anchor", ANCHOR, None).is_err());
    }
}
