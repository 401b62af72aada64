//! Finding complete cabinets embedded anywhere in a file (cabextract's `-s`-less search).

use std::io::{self, SeekFrom};

use super::header::{self, Fixed, HEADER_LEN};
use super::{Fail, Span};
use crate::formats::ReadSeek;

/// How much of the file is searched at a time.
const CHUNK: usize = 256 * 1024;

/// Finds every valid cabinet in the first `len` bytes of `r`, in file order.
///
/// Every `MSCF` is a candidate; it counts when its header is plausible (version 1.3,
/// `cbCabinet` inside the file, `coffFiles` inside the cabinet, at least one folder and one
/// file) and its header, folder and file tables parse within `cbCabinet`. A candidate whose
/// header is plausible but whose `cbCabinet` runs past the end of the file is a cabinet cut
/// short (a truncated download, an appended container that starts but does not finish): it is
/// reported with `complete: false`, and the search ends there. The reserved
/// header fields are *not* required to be zero: cabextract ignores them, and real test
/// files (libmspack's search_tricky1.cab) have cabinets with non-zero ones. The search resumes after each cabinet found, and one byte after a
/// false signature.
pub(crate) fn scan(r: &mut dyn ReadSeek, len: u64) -> io::Result<Vec<Span>> {
    let mut spans = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    let mut pos = 0u64;
    'chunks: while pos.saturating_add(u64::from(HEADER_LEN)) <= len {
        r.seek(SeekFrom::Start(pos))?;
        let want = usize::try_from((len - pos).min(CHUNK as u64)).unwrap_or(CHUNK);
        let n = fill(r, &mut buf[..want])?;
        if n < 4 {
            break;
        }
        let chunk = &buf[..n];
        let mut i = 0;
        while let Some(hit) = find_mscf(chunk, i) {
            let offset = pos + hit as u64;
            match validate(r, offset, len)? {
                Found::Cabinet(cb) => {
                    spans.push(Span {
                        offset,
                        len: u64::from(cb),
                        complete: true,
                    });
                    pos = offset + u64::from(cb);
                    continue 'chunks;
                }
                Found::Cut(cb) => {
                    // Everything from here on belongs to the cut cabinet.
                    spans.push(Span {
                        offset,
                        len: u64::from(cb),
                        complete: false,
                    });
                    break 'chunks;
                }
                Found::Nothing => {}
            }
            i = hit + 1;
        }
        if n < want || pos + n as u64 >= len {
            break;
        }
        // Keep the last 3 bytes: a signature may straddle the chunk boundary.
        pos += (n - 3) as u64;
    }
    Ok(spans)
}

/// Reads until `buf` is full or the input ends.
fn fill(r: &mut dyn ReadSeek, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn find_mscf(hay: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(rel) = hay.get(i..)?.iter().position(|&b| b == b'M') {
        let at = i + rel;
        if hay.get(at..at + 4)? == b"MSCF" {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// What starts at a signature.
enum Found {
    Nothing,
    /// A complete, plausible cabinet of `cbCabinet` bytes.
    Cabinet(u32),
    /// A plausible header whose `cbCabinet` runs past the end of the file.
    Cut(u32),
}

fn validate(r: &mut dyn ReadSeek, offset: u64, len: u64) -> io::Result<Found> {
    let mut head = [0u8; HEADER_LEN as usize];
    r.seek(SeekFrom::Start(offset))?;
    if fill(r, &mut head)? < head.len() {
        return Ok(Found::Nothing);
    }
    let Ok(fixed) = Fixed::parse(&head) else {
        return Ok(Found::Nothing);
    };
    let plausible = fixed.version == (1, 3)
        && fixed.cb_cabinet >= HEADER_LEN
        && fixed.coff_files >= HEADER_LEN
        && fixed.coff_files < fixed.cb_cabinet
        && fixed.c_folders > 0
        && fixed.c_files > 0;
    if !plausible {
        return Ok(Found::Nothing);
    }
    let fits = offset
        .checked_add(u64::from(fixed.cb_cabinet))
        .is_some_and(|end| end <= len);
    // A cut cabinet must still show its file table (cabinets are written header, folders,
    // files, data): otherwise a stray `MSCF` with plausible numbers is not evidence enough.
    if !fits {
        let tables_present = offset
            .checked_add(u64::from(fixed.coff_files))
            .is_some_and(|end| end < len);
        let parses = tables_present
            && matches!(
                header::parse(r, offset, len - offset),
                Ok(_) | Err(Fail::Cab(super::CabError::Truncated { .. }))
            );
        return Ok(if parses {
            Found::Cut(fixed.cb_cabinet)
        } else {
            Found::Nothing
        });
    }
    match header::parse(r, offset, u64::from(fixed.cb_cabinet)) {
        Ok(_) => Ok(Found::Cabinet(fixed.cb_cabinet)),
        Err(Fail::Cab(_)) => Ok(Found::Nothing),
        Err(Fail::Io(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_signatures_anywhere() {
        assert_eq!(find_mscf(b"xxMSCFyy", 0), Some(2));
        assert_eq!(find_mscf(b"MSCMSCF", 0), Some(3));
        assert_eq!(find_mscf(b"MSCF", 1), None);
        assert_eq!(find_mscf(b"MSC", 0), None);
        assert_eq!(find_mscf(b"", 0), None);
    }

    #[test]
    fn nothing_in_junk() {
        let junk: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
        let mut c = std::io::Cursor::new(&junk);
        assert!(scan(&mut c, junk.len() as u64).unwrap().is_empty());
        // A lone, implausible signature.
        let mut fake = junk.clone();
        fake[300_000..300_004].copy_from_slice(b"MSCF");
        let mut c = std::io::Cursor::new(&fake);
        assert!(scan(&mut c, fake.len() as u64).unwrap().is_empty());
    }
}
