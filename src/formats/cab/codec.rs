//! Per-block decompression of one folder: stored, MSZIP (flate2), Quantum (our [`quantum`])
//! and LZX (our [`lzx`]).

use flate2::{Decompress, FlushDecompress};

use super::CabError;
use super::lzx::{self, LzxDecoder};
use super::quantum::{self, QuantumDecoder};

/// Largest uncompressed size of one CFDATA block (MS-CAB 2.5: `cbUncomp` ≤ 32 KiB).
pub(crate) const BLOCK_MAX: usize = 32 * 1024;

const TYPE_MASK: u16 = 0x000F;
const TYPE_NONE: u16 = 0;
const TYPE_MSZIP: u16 = 1;
const TYPE_QUANTUM: u16 = 2;
const TYPE_LZX: u16 = 3;

/// The decompressor of one folder; state carries over from block to block.
pub(crate) enum Codec {
    Stored,
    MsZip(Box<MsZip>),
    Quantum(Box<Quantum>),
    Lzx(Box<Lzx>),
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Codec::Stored => "Stored",
            Codec::MsZip(_) => "MsZip",
            Codec::Quantum(_) => "Quantum",
            Codec::Lzx(_) => "Lzx",
        })
    }
}

impl Codec {
    /// The codec for a CFFOLDER `typeCompress` (MS-CAB 2.3: type in bits 0–3; the LZX or
    /// Quantum window size as a power of two in bits 8–12, the Cabinet SDK's `fci.h`
    /// `tcompMASK_LZX_WINDOW` and `tcompMASK_QUANTUM_MEM`; Quantum's level in bits 4–7 only
    /// tells how hard the compressor tried).
    pub(crate) fn new(type_compress: u16) -> Result<Codec, CabError> {
        match type_compress & TYPE_MASK {
            TYPE_NONE => Ok(Codec::Stored),
            TYPE_MSZIP => Ok(Codec::MsZip(Box::new(MsZip {
                inflate: Decompress::new(false),
                history: Vec::with_capacity(BLOCK_MAX),
            }))),
            TYPE_QUANTUM => {
                let bits = (type_compress >> 8) & 0x1F;
                let dec = u8::try_from(bits)
                    .ok()
                    .and_then(|b| QuantumDecoder::new(b).ok())
                    .ok_or(CabError::BadQuantumWindow { bits })?;
                Ok(Codec::Quantum(Box::new(Quantum { dec, fresh: true })))
            }
            TYPE_LZX => {
                let bits = (type_compress >> 8) & 0x1F;
                let dec = u8::try_from(bits)
                    .ok()
                    .and_then(|b| LzxDecoder::new(b).ok())
                    .ok_or(CabError::BadLzxWindow { bits })?;
                Ok(Codec::Lzx(Box::new(Lzx { dec, fresh: true })))
            }
            // MS-CAB 2.3 defines types 0 to 3 only: another one is a compression slipway does
            // not know, not proof of damage.
            _ => Err(CabError::UnsupportedCompression { type_compress }),
        }
    }

    /// Whether a CFFOLDER `typeCompress` means stored (uncompressed) blocks.
    pub(crate) fn is_stored(type_compress: u16) -> bool {
        type_compress & TYPE_MASK == TYPE_NONE
    }

    /// Back to the state at the start of the folder.
    pub(crate) fn reset(&mut self) {
        match self {
            Codec::Stored => {}
            Codec::MsZip(z) => z.history.clear(),
            Codec::Quantum(q) => {
                if !q.fresh {
                    q.dec.reset();
                    q.fresh = true;
                }
            }
            Codec::Lzx(l) => {
                if !l.fresh {
                    l.dec.reset();
                    l.fresh = true;
                }
            }
        }
    }

    /// Whether [`decode`](Self::decode) reads the previous block's output from `out` (MSZIP's
    /// history); the others clear it first.
    pub(crate) fn reads_previous_output(&self) -> bool {
        matches!(self, Codec::MsZip(_))
    }

    /// Decodes one block of `input` into `out`, which holds the previous block's output on
    /// entry (MSZIP uses it as history) and exactly `expected` bytes on success.
    pub(crate) fn decode(
        &mut self,
        block: u32,
        input: &[u8],
        out: &mut Vec<u8>,
        expected: usize,
    ) -> Result<(), CabError> {
        match self {
            Codec::Stored => {
                exact_size(block, expected, input.len())?;
                out.clear();
                out.extend_from_slice(input);
                Ok(())
            }
            Codec::MsZip(z) => z.decode(block, input, out, expected),
            Codec::Quantum(q) => q.decode(block, input, out, expected),
            Codec::Lzx(l) => l.decode(block, input, out, expected),
        }
    }
}

/// MSZIP state: a raw inflater and the last 32 KiB of the folder's output.
pub(crate) struct MsZip {
    inflate: Decompress,
    history: Vec<u8>,
}

impl MsZip {
    fn decode(
        &mut self,
        block: u32,
        input: &[u8],
        out: &mut Vec<u8>,
        expected: usize,
    ) -> Result<(), CabError> {
        // MS-MCI 2.x / MS-CAB: each block is "CK" followed by a complete deflate stream, but
        // the deflate history (32 KiB window) carries over from the previous block of the
        // folder. Keep the last 32 KiB of output and hand it over as a preset dictionary.
        if out.len() >= BLOCK_MAX {
            std::mem::swap(&mut self.history, out);
            if self.history.len() > BLOCK_MAX {
                self.history.drain(..self.history.len() - BLOCK_MAX);
            }
        } else if !out.is_empty() {
            self.history.extend_from_slice(out);
            if self.history.len() > BLOCK_MAX {
                self.history.drain(..self.history.len() - BLOCK_MAX);
            }
        }
        let Some(deflate) = input.strip_prefix(b"CK") else {
            return Err(CabError::MsZipSignature { block });
        };
        self.inflate.reset(false);
        if !self.history.is_empty() {
            self.inflate
                .set_dictionary(&self.history)
                .map_err(|source| CabError::MsZip { block, source })?;
        }
        out.clear();
        // One spare byte so that output beyond `expected` is noticed.
        out.reserve(BLOCK_MAX + 1);
        self.inflate
            .decompress_vec(deflate, out, FlushDecompress::Finish)
            .map_err(|source| CabError::MsZip { block, source })?;
        exact_size(block, expected, out.len())
    }
}

/// Quantum state (window and models carry over between the blocks of a folder).
#[derive(Debug)]
pub(crate) struct Quantum {
    dec: QuantumDecoder,
    /// Nothing decoded since the last reset (a reset would be wasted work).
    fresh: bool,
}

impl Quantum {
    fn decode(
        &mut self,
        block: u32,
        input: &[u8],
        out: &mut Vec<u8>,
        expected: usize,
    ) -> Result<(), CabError> {
        self.fresh = false;
        // One CFDATA block is one Quantum frame of at most 32 KiB of output.
        one_frame(block, expected, quantum::FRAME_MAX, out, |out| {
            self.dec
                .decode_frame(input, expected, out)
                .map_err(|source| CabError::Quantum { block, source })
        })
    }
}

/// LZX state (window and trees carry over between the blocks of a folder).
#[derive(Debug)]
pub(crate) struct Lzx {
    dec: LzxDecoder,
    /// Nothing decoded since the last reset (a reset would be wasted work).
    fresh: bool,
}

impl Lzx {
    fn decode(
        &mut self,
        block: u32,
        input: &[u8],
        out: &mut Vec<u8>,
        expected: usize,
    ) -> Result<(), CabError> {
        self.fresh = false;
        // One CFDATA block is one LZX frame (MS-CAB 2.5; MS-PATCH 2.2.1).
        one_frame(block, expected, lzx::FRAME_MAX, out, |out| {
            self.dec
                .decode_frame(input, expected, out)
                .map_err(|source| CabError::Lzx { block, source })
        })
    }
}

/// A block that is one frame of a decoder whose frames hold at most `max` bytes: its
/// `cbUncomp` is the frame's size, so `decode` must produce exactly `expected` bytes.
fn one_frame(
    block: u32,
    expected: usize,
    max: usize,
    out: &mut Vec<u8>,
    decode: impl FnOnce(&mut Vec<u8>) -> Result<(), CabError>,
) -> Result<(), CabError> {
    if expected > max {
        return Err(CabError::BlockSizeMismatch {
            block,
            expected,
            actual: max,
        });
    }
    decode(out)?;
    exact_size(block, expected, out.len())
}

/// Every block decodes to exactly its CFDATA `cbUncomp` bytes (MS-CAB 2.5).
fn exact_size(block: u32, expected: usize, actual: usize) -> Result<(), CabError> {
    if actual == expected {
        Ok(())
    } else {
        Err(CabError::BlockSizeMismatch {
            block,
            expected,
            actual,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compress, Compression, FlushCompress};

    /// One MSZIP block: "CK" + a raw deflate stream of `data` that may refer to `dict`.
    fn mszip_block(data: &[u8], dict: &[u8]) -> Vec<u8> {
        let mut c = Compress::new(Compression::best(), false);
        if !dict.is_empty() {
            c.set_dictionary(dict).unwrap();
        }
        let mut out = Vec::with_capacity(data.len() + 1024);
        out.extend_from_slice(b"CK");
        c.compress_vec(data, &mut out, FlushCompress::Finish)
            .unwrap();
        out
    }

    #[test]
    fn mszip_history_carries_over_between_blocks() {
        let first: Vec<u8> = (0..BLOCK_MAX).map(|i| (i * 7 % 251) as u8).collect();
        // The second block repeats the first: with the history it compresses to almost
        // nothing, and cannot be decoded without it.
        let second = first[100..5100].to_vec();
        let b1 = mszip_block(&first, &[]);
        let b2 = mszip_block(&second, &first);
        assert!(b2.len() < 200, "{}", b2.len());

        let mut codec = Codec::new(TYPE_MSZIP).unwrap();
        let mut out = Vec::new();
        codec.decode(0, &b1, &mut out, first.len()).unwrap();
        assert_eq!(out, first);
        codec.decode(1, &b2, &mut out, second.len()).unwrap();
        assert_eq!(out, second);

        // After a reset, the history is gone and the second block no longer decodes.
        codec.reset();
        out.clear();
        assert!(codec.decode(0, &b2, &mut out, second.len()).is_err());
    }

    #[test]
    fn mszip_checks_signature_and_size() {
        let b = mszip_block(b"hello", &[]);
        let mut codec = Codec::new(TYPE_MSZIP).unwrap();
        let mut out = Vec::new();
        assert!(matches!(
            codec.decode(0, &b, &mut out, 4),
            Err(CabError::BlockSizeMismatch {
                expected: 4,
                actual: 5,
                ..
            })
        ));
        assert!(matches!(
            codec.decode(0, &b[1..], &mut out, 5),
            Err(CabError::MsZipSignature { block: 0 })
        ));
        assert!(matches!(
            codec.decode(0, &b[..b.len() - 2], &mut out, 5),
            Err(CabError::BlockSizeMismatch { .. } | CabError::MsZip { .. })
        ));
    }

    #[test]
    fn stored_blocks_must_match_their_size() {
        let mut codec = Codec::new(TYPE_NONE).unwrap();
        let mut out = Vec::new();
        codec.decode(0, b"abc", &mut out, 3).unwrap();
        assert_eq!(out, b"abc");
        assert!(codec.decode(1, b"abc", &mut out, 4).is_err());
    }

    #[test]
    fn compression_types() {
        assert!(matches!(Codec::new(0x1222), Ok(Codec::Quantum(_))));
        assert!(matches!(Codec::new(0x0A02), Ok(Codec::Quantum(_))));
        assert!(matches!(Codec::new(0x1502), Ok(Codec::Quantum(_))));
        assert!(matches!(
            Codec::new(0x0902),
            Err(CabError::BadQuantumWindow { bits: 9 })
        ));
        assert!(matches!(
            Codec::new(0x1602),
            Err(CabError::BadQuantumWindow { bits: 22 })
        ));
        for t in 4..=15 {
            assert!(matches!(
                Codec::new(t),
                Err(CabError::UnsupportedCompression { type_compress }) if type_compress == t
            ));
        }
        assert!(matches!(
            Codec::new(0x0E03),
            Err(CabError::BadLzxWindow { bits: 14 })
        ));
        assert!(matches!(
            Codec::new(0x1603),
            Err(CabError::BadLzxWindow { bits: 22 })
        ));
        assert!(matches!(Codec::new(0x1503), Ok(Codec::Lzx(_))));
        assert!(matches!(Codec::new(0x0F03), Ok(Codec::Lzx(_))));
    }

    #[test]
    fn lzx_garbage_is_an_error() {
        let mut codec = Codec::new(0x1003).unwrap();
        let mut out = Vec::new();
        let junk: Vec<u8> = (0..200u32).map(|i| (i * 97 + 3) as u8).collect();
        assert!(codec.decode(0, &junk, &mut out, BLOCK_MAX).is_err());
        assert!(codec.decode(0, &[], &mut out, 10).is_err());
    }
}
