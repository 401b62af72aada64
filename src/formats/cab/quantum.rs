//! Quantum decompression (MS-CAB compression type 2). STUB: being written.

/// Corrupt or unsupported Quantum data.
#[derive(Debug, thiserror::Error)]
pub enum QuantumError {
    #[error("Quantum decoding is not implemented yet")]
    Unimplemented,
}

/// The state of one Quantum folder (window and models persist across CFDATA blocks).
#[derive(Debug)]
pub struct Quantum {
    _window_bits: u32,
}

impl Quantum {
    /// A decoder for a folder compressed with a `1 << window_bits` byte window (10..=21).
    pub fn new(window_bits: u32) -> Result<Quantum, QuantumError> {
        Ok(Quantum {
            _window_bits: window_bits,
        })
    }

    /// Decodes one CFDATA block into exactly `out.len()` bytes.
    pub fn decompress_block(&mut self, input: &[u8], out: &mut [u8]) -> Result<(), QuantumError> {
        let _ = (input, out);
        Err(QuantumError::Unimplemented)
    }
}
