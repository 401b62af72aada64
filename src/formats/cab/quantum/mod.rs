//! Our Quantum decoder (cabinet flavour: MS-CAB compression type 2, windows of 2^10 to 2^21
//! bytes). Quantum (David Stafford's method, adapted by Microsoft) has no public
//! specification; this is written from how the two public decoders read it — libmspack's
//! `qtmd.c` (Matthew Russotto's research, tidied by Stuart Caie) and 7-Zip's
//! `QuantumDecoder.cpp` — as third-party references, not a copy of either.
//!
//! - [`coder`] reads the bit stream and runs the arithmetic decoder;
//! - [`model`] holds the adaptive frequency models.
//!
//! Each symbol is coded with one of nine models: a selector (0–3: a literal byte, whose top
//! two bits the selector gives and whose low six bits the literal model `selector` codes; 4:
//! a match of 3 bytes; 5: of 4 bytes; 6: of 5 to 259 bytes, its length coded by the length
//! model and extra bits), then for a match a position slot (per selector 4–6, as many slots
//! as twice the window's bits, at most 24 and 36 for the fixed lengths) and the slot's extra
//! bits: the match offset, 1 to 2^window bytes back.
//!
//! One CFDATA block is one frame of 32 KiB of output (the folder's last may be shorter): the
//! arithmetic decoder starts afresh on each, while the window and the models carry over
//! until the folder ends ([`QuantumDecoder::reset`]). A match never crosses a frame's end.
//! After a full frame the decoder's input is realigned to a byte; the bytes left in the
//! block are padding (cabinet writers leave up to four zero bytes). libmspack finds the next
//! frame by skipping to the first 0xFF byte (it appends one to each block), so padding that
//! holds a 0xFF would make it start the next frame inside this block: such a stream is
//! refused when another frame follows, so our output never differs from cabextract's.
//!
//! Every malformed stream is refused with a [`QuantumError`] (a match before the first byte
//! of the folder or past the frame's end, bits used beyond the block); nothing here can
//! panic, overflow or loop more than once per output byte, whatever the input.

mod coder;
mod model;

use coder::Coder;
use model::Model;

/// Largest frame: 32 KiB of output (one CFDATA block, MS-CAB 2.5).
pub const FRAME_MAX: usize = 32 * 1024;
/// Smallest and largest window sizes, as powers of two (the Cabinet SDK's `fci.h`:
/// `tcompQUANTUM_MEM_LO` 10 and `tcompQUANTUM_MEM_HI` 21).
pub const WINDOW_BITS_MIN: u8 = 10;
pub const WINDOW_BITS_MAX: u8 = 21;

/// Why a Quantum stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantumError {
    #[error("invalid Quantum window size 2^{bits} (must be 2^10 to 2^21)")]
    BadWindow { bits: u8 },
    #[error("frame of {size} bytes (a frame holds 1 to 32768)")]
    BadFrameSize { size: usize },
    #[error("frame follows a short frame (only the folder's last frame may be short)")]
    FrameAfterShortFrame,
    #[error(
        "the previous frame's padding holds a 0xFF byte, where other decoders would start this frame"
    )]
    FrameMisaligned,
    #[error(
        "match at output offset {position} refers {offset} bytes back, before the start of the data"
    )]
    MatchBeforeStart { position: u64, offset: u32 },
    #[error("match of {len} bytes at output offset {position} runs past the end of the frame")]
    OutputOverrun { position: u64, len: usize },
    #[error("input ends inside the frame (truncated or corrupt data)")]
    Truncated,
    #[error("the stream failed earlier; it must be reset before more frames are decoded")]
    Failed,
}

/// Offsets 1 to 2^21 as position slots: slot `s` covers `BASE[s] + 1 ..` with
/// `EXTRA[s]` extra bits; two slots per power of two from slot 4 on (as in LZX).
const POSITION_SLOTS: usize = 42;
/// Lengths 5 to 259 of selector 6 as length slots: six single lengths, then four slots
/// per extra bit, and slot 26 for 259 alone.
const LENGTH_SLOTS: usize = 27;

/// Slot tables padded to 64 entries, so that any model symbol indexes them.
const fn position_tables() -> ([u32; 64], [u8; 64]) {
    let mut base = [0u32; 64];
    let mut extra = [0u8; 64];
    let mut next = 0u32;
    let mut s = 0;
    while s < POSITION_SLOTS {
        extra[s] = if s < 4 { 0 } else { ((s - 2) / 2) as u8 };
        base[s] = next;
        next += 1 << extra[s];
        s += 1;
    }
    (base, extra)
}

const fn length_tables() -> ([u32; 64], [u8; 64]) {
    let mut base = [0u32; 64];
    let mut extra = [0u8; 64];
    let mut next = 0u32;
    let mut s = 0;
    while s < LENGTH_SLOTS - 1 {
        extra[s] = if s < 6 { 0 } else { ((s - 2) / 4) as u8 };
        base[s] = next;
        next += 1 << extra[s];
        s += 1;
    }
    base[LENGTH_SLOTS - 1] = 254;
    (base, extra)
}

const POSITION: ([u32; 64], [u8; 64]) = position_tables();
const LENGTH: ([u32; 64], [u8; 64]) = length_tables();

/// Selector 6 codes lengths from this one up.
const LONG_MATCH_MIN: u32 = 5;

/// The nine models of one folder.
#[derive(Clone, Debug)]
struct Models {
    selector: Model<8>,
    literals: [Model<64>; 4],
    /// Position slots of 3-byte matches (selector 4), 4-byte (5) and longer (6).
    offsets: [Model<48>; 3],
    lengths: Model<32>,
}

impl Models {
    fn new(window_bits: u8) -> Models {
        let slots = usize::from(window_bits) * 2;
        Models {
            selector: Model::new(0, 7),
            literals: [
                Model::new(0, 64),
                Model::new(64, 64),
                Model::new(128, 64),
                Model::new(192, 64),
            ],
            offsets: [
                Model::new(0, slots.min(24)),
                Model::new(0, slots.min(36)),
                Model::new(0, slots),
            ],
            lengths: Model::new(0, LENGTH_SLOTS),
        }
    }
}

/// A Quantum decoder for one folder at a time: window and models.
#[derive(Debug)]
pub struct QuantumDecoder {
    /// The last bytes output: 2^window bytes, at least 32 KiB so that frames (which start at
    /// multiples of 32 KiB) never wrap around its end. Offsets never exceed 2^window, so the
    /// larger ring changes nothing for small windows.
    window: Vec<u8>,
    window_bits: u8,
    /// Window position of the next byte.
    pos: usize,
    /// Bytes output since the folder started.
    total: u64,
    /// The last frame was shorter than 32 KiB: no frame may follow it.
    short_frame: bool,
    /// The last frame's padding held a 0xFF byte: no frame may follow it.
    misaligned: bool,
    failed: bool,
    models: Models,
}

impl QuantumDecoder {
    /// A decoder for a window of 2^`window_bits` bytes (10 to 21).
    pub fn new(window_bits: u8) -> Result<QuantumDecoder, QuantumError> {
        if !(WINDOW_BITS_MIN..=WINDOW_BITS_MAX).contains(&window_bits) {
            return Err(QuantumError::BadWindow { bits: window_bits });
        }
        Ok(QuantumDecoder {
            window: vec![0; (1usize << window_bits).max(FRAME_MAX)],
            window_bits,
            pos: 0,
            total: 0,
            short_frame: false,
            misaligned: false,
            failed: false,
            models: Models::new(window_bits),
        })
    }

    /// Back to the start of a folder: fresh models, empty window (MS-CAB: each CFFOLDER
    /// starts a new stream).
    pub fn reset(&mut self) {
        // The window need not be cleared: a match can never reach data of an earlier folder
        // (offsets beyond the bytes output since the reset are refused).
        self.pos = 0;
        self.total = 0;
        self.short_frame = false;
        self.misaligned = false;
        self.failed = false;
        self.models = Models::new(self.window_bits);
    }

    /// Decodes the next frame from `input` (one CFDATA block's data), `frame_len` bytes of
    /// output, into `out` (replacing its content).
    pub fn decode_frame(
        &mut self,
        input: &[u8],
        frame_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), QuantumError> {
        out.clear();
        if self.failed {
            return Err(QuantumError::Failed);
        }
        match self.frame(input, frame_len) {
            Ok(start) => {
                let data = self
                    .window
                    .get(start..start + frame_len)
                    .ok_or(QuantumError::Truncated)?;
                out.extend_from_slice(data);
                Ok(())
            }
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }

    /// Decodes one frame into the window; returns its start in the window.
    fn frame(&mut self, input: &[u8], frame_len: usize) -> Result<usize, QuantumError> {
        if frame_len == 0 || frame_len > FRAME_MAX {
            return Err(QuantumError::BadFrameSize { size: frame_len });
        }
        if self.short_frame {
            return Err(QuantumError::FrameAfterShortFrame);
        }
        if self.misaligned {
            return Err(QuantumError::FrameMisaligned);
        }
        if self.pos >= self.window.len() {
            self.pos = 0;
        }
        let start = self.pos;
        let end = start + frame_len;
        if end > self.window.len() {
            return Err(QuantumError::BadFrameSize { size: frame_len });
        }
        let mut coder = Coder::new(input);
        let decoded = self.symbols(&mut coder, start, end);
        // Past the input's end the decoder reads zero bits; whatever went wrong then, the
        // cause is missing data (and other decoders would read other bits there).
        if coder.overrun() {
            return Err(QuantumError::Truncated);
        }
        decoded?;
        if frame_len == FRAME_MAX {
            let used = coder.used_bits().div_ceil(8);
            self.misaligned = input.get(used..).is_some_and(|pad| pad.contains(&0xFF));
        } else {
            self.short_frame = true;
        }
        self.pos = end;
        self.total += frame_len as u64;
        Ok(start)
    }

    /// Decodes symbols into `window[start..end]`.
    fn symbols(&mut self, c: &mut Coder<'_>, start: usize, end: usize) -> Result<(), QuantumError> {
        let ring = self.window.len();
        let window = &mut self.window[..];
        let m = &mut self.models;
        let mut at = start;
        while at < end {
            let selector = m.selector.decode(c);
            if selector < 4 {
                let literal = &mut m.literals[usize::from(selector & 3)];
                if let Some(b) = window.get_mut(at) {
                    *b = literal.decode(c);
                }
                at += 1;
                continue;
            }
            let (len, slot) = match selector {
                4 => (3, m.offsets[0].decode(c)),
                5 => (4, m.offsets[1].decode(c)),
                _ => {
                    let s = usize::from(m.lengths.decode(c) & 63);
                    let len = LENGTH.0[s] + c.bits(u32::from(LENGTH.1[s])) + LONG_MATCH_MIN;
                    (len, m.offsets[2].decode(c))
                }
            };
            let s = usize::from(slot & 63);
            let offset = POSITION.0[s] + c.bits(u32::from(POSITION.1[s])) + 1;
            let len = len as usize;
            let position = self.total + (at - start) as u64;
            if u64::from(offset) > position {
                return Err(QuantumError::MatchBeforeStart { position, offset });
            }
            if len > end - at {
                return Err(QuantumError::OutputOverrun { position, len });
            }
            copy_match(window, ring, at, offset as usize, len);
            at += len;
        }
        Ok(())
    }
}

/// Copies `len` bytes from `offset` bytes back to `at` in the ring `window` (offset ≤ its
/// size; `at + len` within it), byte by byte where source and destination overlap.
#[inline(always)]
fn copy_match(window: &mut [u8], ring: usize, at: usize, offset: usize, len: usize) {
    if offset <= at {
        let src = at - offset;
        if offset >= len {
            window.copy_within(src..src + len, at);
        } else {
            for k in at..at + len {
                window[k] = window[k - offset];
            }
        }
    } else {
        // From the end of the ring: bytes of the previous round.
        let mut src = (at + ring).saturating_sub(offset) % ring.max(1);
        for k in at..at + len {
            window[k] = window[src];
            src += 1;
            if src == ring {
                src = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests;
