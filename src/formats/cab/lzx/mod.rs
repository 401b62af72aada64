//! Our LZX decoder (cabinet flavour), written from the public specification: [MS-PATCH]
//! "LZX DELTA Compression and Decompression" section 2, and the LZX notes of [MS-CAB].
//!
//! - [`bits`] reads the 16-bit-word bitstream with a 64-bit buffer;
//! - [`huffman`] validates code lengths and decodes symbols through lookup tables;
//! - [`block`] reads block headers and trees and decodes verbatim, aligned-offset and
//!   uncompressed blocks straight into the window;
//! - [`e8`] undoes the x86 CALL (E8) translation on each frame's copy.
//!
//! One CFDATA block is one frame of at most 32 KiB of output (MS-CAB 2.5; MS-PATCH 2.2.1): its
//! bitstream starts on its own and ends padded to a 16-bit boundary, while the window, the
//! trees, the repeated offsets and the current block carry over from frame to frame until the
//! folder ends ([`LzxDecoder::reset`]). Every malformed stream is refused with an
//! [`LzxError`]; nothing here can panic or overflow, whatever the input.

mod bits;
mod block;
mod e8;
mod huffman;

use std::fmt;

use bits::Bits;
use huffman::Huffman;

/// Largest frame: 32 KiB of output (MS-PATCH 2.2.1).
pub const FRAME_MAX: usize = 32 * 1024;
/// Smallest and largest window sizes of cabinet LZX, as powers of two (MS-CAB 2.3).
pub const WINDOW_BITS_MIN: u8 = 15;
pub const WINDOW_BITS_MAX: u8 = 21;

/// The decoder keeps twice the window: the last 2^`window_bits` bytes of output are always
/// intact, and a match copy may write whole 16-byte words past its end, which only lands on
/// bytes more than a window old (never referred to again). The largest ring, plus room for
/// a word that starts in its last bytes, is allocated whatever the window (untouched pages
/// cost nothing); indices masked with [`RING_MASK`] need no bounds check.
const RING_MAX: usize = 2 << WINDOW_BITS_MAX;
const RING_MASK: usize = RING_MAX - 1;
const WINDOW_BUF: usize = RING_MAX + 32;

/// Main tree symbols: 256 literals + 8 length headers per position slot; 50 slots at most
/// for a 2 MiB window (MS-PATCH 2.3, main and length trees).
const MAIN_MAX: usize = 256 + 50 * 8;
/// Length tree symbols (MS-PATCH 2.3, main and length trees: 249 secondary lengths).
const LENGTH_SYMS: usize = 249;

type MainTree = Huffman<MAIN_MAX, 12, 4096>;
type LengthTree = Huffman<LENGTH_SYMS, 10, 1024>;
type AlignedTree = Huffman<8, 7, 128>;
type PreTree = Huffman<20, 8, 256>;

/// Which Huffman code a problem was found in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeKind {
    Pre,
    Main,
    Length,
    Aligned,
}

impl fmt::Display for TreeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TreeKind::Pre => "pretree",
            TreeKind::Main => "main tree",
            TreeKind::Length => "length tree",
            TreeKind::Aligned => "aligned offset tree",
        })
    }
}

/// Why an LZX stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LzxError {
    #[error("invalid LZX window size 2^{bits} (must be 2^15 to 2^21)")]
    BadWindow { bits: u8 },
    #[error("frame of {size} bytes (a frame holds 1 to 32768)")]
    BadFrameSize { size: usize },
    #[error("frame follows a short frame (only the folder's last frame may be short)")]
    FrameAfterShortFrame,
    #[error("invalid block type {block_type}")]
    BadBlockType { block_type: u8 },
    #[error("invalid code length in the {tree}")]
    BadCodeLength { tree: TreeKind },
    #[error("the {tree}'s code lengths are over-subscribed")]
    OverSubscribed { tree: TreeKind },
    #[error("the {tree}'s code lengths are incomplete")]
    IncompleteTree { tree: TreeKind },
    #[error("the {tree} has no codes, but a symbol is coded with it")]
    EmptyTree { tree: TreeKind },
    #[error("a run of code lengths goes past the end of the {tree}")]
    LengthRunOverflow { tree: TreeKind },
    #[error("invalid pretree symbol {symbol} after a run code")]
    BadPretreeSymbol { symbol: u16 },
    #[error(
        "match at output offset {position} refers {offset} bytes back, before the start of the data"
    )]
    MatchBeforeStart { position: u64, offset: u32 },
    #[error("match offset {offset} is larger than the {window}-byte window")]
    OffsetBeyondWindow { offset: u32, window: u32 },
    #[error("match at output offset {position} has offset 0")]
    ZeroOffset { position: u64 },
    #[error("match of {len} bytes at output offset {position} runs past the end of the frame")]
    OutputOverrun { position: u64, len: usize },
    #[error("match of {len} bytes at output offset {position} runs past the end of its block")]
    MatchPastBlock { position: u64, len: usize },
    #[error("the folder's last frame ends inside a block that declares {remaining} more bytes")]
    BlockLongerThanFrame { remaining: u32 },
    #[error("input ends inside the frame (truncated or corrupt data)")]
    Truncated,
    #[error("the stream failed earlier; it must be reset before more frames are decoded")]
    Failed,
}

/// The kind of the block being decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlockType {
    /// Before the first block header of the folder.
    None,
    Verbatim,
    Aligned,
    Uncompressed,
}

/// An LZX decoder for one folder at a time: window, trees and block state.
#[derive(Debug)]
pub struct LzxDecoder {
    /// The ring of output (see [`RING_MAX`]); only its first `ring` bytes are used.
    window: Box<[u8; WINDOW_BUF]>,
    /// Twice the window size: where positions wrap.
    ring: usize,
    /// The window size (2^window_bits): how far back a match may reach.
    window_size: usize,
    /// The frame's input, byte-swapped into 16-bit words (see [`bits`]).
    swapped: Vec<u8>,
    /// Number of main tree symbols for this window (256 + 8 × position slots).
    main_syms: usize,
    /// Ring position of the next byte; frames start at multiples of 32 KiB.
    pos: usize,
    /// Bytes output since the folder started.
    total: u64,
    /// Repeated offsets R0, R1, R2 (MS-PATCH 2.3, match offsets: all 1 at the start).
    r: [u32; 3],
    /// The E8 translation size from the stream header, once read (None: translation off).
    header_read: bool,
    e8_size: Option<i32>,
    block_type: BlockType,
    block_len: u32,
    block_remaining: u32,
    /// The odd padding byte of an uncompressed block is still to be skipped (it was not in
    /// the previous frame's input).
    pad_pending: bool,
    /// The last frame was shorter than 32 KiB: no frame may follow it.
    short_frame: bool,
    failed: bool,
    main: Box<MainTree>,
    length: Box<LengthTree>,
    aligned: Box<AlignedTree>,
    pre: Box<PreTree>,
}

impl LzxDecoder {
    /// A decoder for a window of 2^`window_bits` bytes (15 to 21 in cabinets).
    pub fn new(window_bits: u8) -> Result<LzxDecoder, LzxError> {
        if !(WINDOW_BITS_MIN..=WINDOW_BITS_MAX).contains(&window_bits) {
            return Err(LzxError::BadWindow { bits: window_bits });
        }
        // MS-PATCH 2.3, main and length trees: 30, 32, 34, 36, 38, 42 and 50 position
        // slots for 2^15..2^21.
        let slots = match window_bits {
            15 => 30,
            16 => 32,
            17 => 34,
            18 => 36,
            19 => 38,
            20 => 42,
            _ => 50,
        };
        let window: Box<[u8; WINDOW_BUF]> = vec![0; WINDOW_BUF]
            .into_boxed_slice()
            .try_into()
            .map_err(|_| LzxError::BadWindow { bits: window_bits })?;
        Ok(LzxDecoder {
            window,
            ring: 2 << window_bits,
            window_size: 1 << window_bits,
            swapped: Vec::new(),
            main_syms: 256 + 8 * slots,
            pos: 0,
            total: 0,
            r: [1; 3],
            header_read: false,
            e8_size: None,
            block_type: BlockType::None,
            block_len: 0,
            block_remaining: 0,
            pad_pending: false,
            short_frame: false,
            failed: false,
            main: MainTree::new(TreeKind::Main),
            length: LengthTree::new(TreeKind::Length),
            aligned: AlignedTree::new(TreeKind::Aligned),
            pre: PreTree::new(TreeKind::Pre),
        })
    }

    /// Back to the start of a folder: empty window, no trees, R0 = R1 = R2 = 1, header to
    /// be read again (MS-CAB: each CFFOLDER starts a new LZX stream).
    pub fn reset(&mut self) {
        // The ring need not be cleared: a match can never reach data of an earlier folder
        // (offsets beyond the bytes output since the reset are refused).
        self.pos = 0;
        self.total = 0;
        self.r = [1; 3];
        self.header_read = false;
        self.e8_size = None;
        self.block_type = BlockType::None;
        self.block_len = 0;
        self.block_remaining = 0;
        self.pad_pending = false;
        self.short_frame = false;
        self.failed = false;
        self.main.clear();
        self.length.clear();
        self.aligned.clear();
        self.pre.clear();
    }

    /// Decodes the next frame from `input` (one CFDATA block's data), `frame_len` bytes of
    /// output, into `out` (replacing its content), with E8 translation undone.
    pub fn decode_frame(
        &mut self,
        input: &[u8],
        frame_len: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), LzxError> {
        out.clear();
        if self.failed {
            return Err(LzxError::Failed);
        }
        let result = self.frame(input, frame_len);
        let start = match result {
            Ok(start) => start,
            Err(e) => {
                self.failed = true;
                return Err(e);
            }
        };
        let data = self
            .window
            .get(start..start + frame_len)
            .ok_or(LzxError::Truncated)?;
        out.extend_from_slice(data);
        if let Some(size) = self.e8_size {
            // MS-PATCH 2.2.2: only within the first 2^30 bytes of output.
            let frame_offset = self.total - frame_len as u64;
            if frame_offset < 1 << 30 {
                e8::undo(out, frame_offset as u32, size);
            }
        }
        Ok(())
    }

    /// Decodes one frame into the window; returns its start in the window.
    fn frame(&mut self, input: &[u8], frame_len: usize) -> Result<usize, LzxError> {
        if frame_len == 0 || frame_len > FRAME_MAX {
            return Err(LzxError::BadFrameSize { size: frame_len });
        }
        if self.short_frame {
            return Err(LzxError::FrameAfterShortFrame);
        }
        // Frames start at multiples of 32 KiB and the ring is a multiple of 32 KiB, so a
        // frame never wraps around the ring's end.
        if self.pos >= self.ring {
            self.pos = 0;
        }
        let start = self.pos;
        let end = start + frame_len;
        if end > self.ring {
            return Err(LzxError::BadFrameSize { size: frame_len });
        }
        let mut swapped = std::mem::take(&mut self.swapped);
        let result = self.frame_bits(input, &mut swapped, start, end);
        self.swapped = swapped;
        result?;
        self.pos = end;
        self.total += frame_len as u64;
        if frame_len < FRAME_MAX {
            // Only the folder's last frame is short: a block that goes on past it declares
            // bytes the stream never holds.
            if self.block_remaining > 0 {
                return Err(LzxError::BlockLongerThanFrame {
                    remaining: self.block_remaining,
                });
            }
            self.short_frame = true;
        }
        Ok(start)
    }

    /// Reads the frame's bits: ring bytes `start..end`.
    fn frame_bits(
        &mut self,
        input: &[u8],
        swapped: &mut Vec<u8>,
        start: usize,
        end: usize,
    ) -> Result<(), LzxError> {
        let mut bits = Bits::new(input, 0, swapped);
        if self.pad_pending {
            bits.take_bytes(1).ok_or(LzxError::Truncated)?;
            self.pad_pending = false;
        }
        if !self.header_read {
            // LZX stream header (MS-PATCH 2.2.2; MS-CAB LZX): one bit, E8 translation on or
            // off; when on, the 32-bit translation size follows, high 16 bits first.
            if bits.read(1) == 1 {
                let hi = bits.read(16);
                let lo = bits.read(16);
                // The specification's pseudocode keeps the size in a 32-bit signed `long`.
                self.e8_size = Some(((hi << 16) | lo) as i32);
            }
            self.header_read = true;
        }
        let decoded = self.decode_blocks(&mut bits, start, end);
        // Past the input's end the decoder reads zero bits; whatever went wrong then, the
        // cause is missing data.
        if bits.overrun() {
            return Err(LzxError::Truncated);
        }
        decoded
    }
}

#[cfg(test)]
mod tests;
