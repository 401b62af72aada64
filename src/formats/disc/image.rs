//! The image as a bounded byte space: every read is checked against the image's length first,
//! and a file's data is handed out through a [`Window`] per extent.

use std::io::{self, Read, Seek, SeekFrom};

use super::{DiscError, Fail};
use crate::formats::ReadSeek;
use crate::formats::window::Window;

/// A disc image of known length.
pub(super) struct Image {
    reader: Box<dyn ReadSeek>,
    len: u64,
}

impl Image {
    pub(super) fn new(mut reader: Box<dyn ReadSeek>) -> io::Result<Image> {
        let len = reader.seek(SeekFrom::End(0))?;
        Ok(Image { reader, len })
    }

    /// The image's length in bytes: the bound of every offset and size read from it.
    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// Whether `len` bytes at `offset` lie inside the image.
    pub(super) fn contains(&self, offset: u64, len: u64) -> bool {
        offset.checked_add(len).is_some_and(|end| end <= self.len)
    }

    /// Fills `buf` from `offset`; `what` names the structure for the error when it lies past
    /// the end of the image.
    pub(super) fn read_at(
        &mut self,
        offset: u64,
        buf: &mut [u8],
        what: &'static str,
    ) -> Result<(), Fail> {
        if !self.contains(offset, buf.len() as u64) {
            return Err(DiscError::Truncated {
                what,
                offset,
                image_len: self.len,
            }
            .into());
        }
        self.reader.seek(SeekFrom::Start(offset))?;
        self.reader.read_exact(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                // The file shrank under us: as damaged as a short image.
                Fail::Disc(DiscError::Truncated {
                    what,
                    offset,
                    image_len: self.len,
                })
            } else {
                Fail::Io(e)
            }
        })
    }

    /// `len` bytes from `offset` (the caller bounds `len`).
    pub(super) fn read_vec(
        &mut self,
        offset: u64,
        len: usize,
        what: &'static str,
    ) -> Result<Vec<u8>, Fail> {
        let mut buf = vec![0u8; len];
        self.read_at(offset, &mut buf, what)?;
        Ok(buf)
    }

    /// A reader of a file's bytes, extent after extent.
    pub(super) fn file_data<'a>(&'a mut self, pieces: &'a [Piece]) -> FileData<'a> {
        FileData {
            free: Some(&mut *self.reader),
            window: None,
            pieces,
            next: 0,
            zeros: 0,
            image_len: self.len,
        }
    }
}

/// One stretch of a file's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Piece {
    /// `len` bytes at byte `offset` of the image (checked to lie inside it).
    Data { offset: u64, len: u64 },
    /// `len` bytes of zeros: a UDF extent allocated or not, but not recorded (ECMA-167 4/12).
    Zeros { len: u64 },
}

impl Piece {
    pub(super) fn len(self) -> u64 {
        match self {
            Piece::Data { len, .. } | Piece::Zeros { len } => len,
        }
    }
}

/// Total length of `pieces` (saturating: the caller compares it with a bounded size).
pub(super) fn total(pieces: &[Piece]) -> u64 {
    pieces.iter().fold(0u64, |a, p| a.saturating_add(p.len()))
}

/// Keeps the first `size` bytes of `pieces` (the last extent of a file is rounded up to whole
/// blocks, ECMA-167 4/12.1).
pub(super) fn truncate(pieces: &mut Vec<Piece>, size: u64) {
    let mut left = size;
    let mut keep = 0;
    for p in pieces.iter_mut() {
        if left == 0 {
            break;
        }
        let take = p.len().min(left);
        *p = match *p {
            Piece::Data { offset, .. } => Piece::Data { offset, len: take },
            Piece::Zeros { .. } => Piece::Zeros { len: take },
        };
        left -= take;
        keep += 1;
    }
    pieces.truncate(keep);
}

/// A file's bytes: each recorded extent read through a [`Window`] of the image, unrecorded
/// ones as zeros.
pub(super) struct FileData<'a> {
    /// The image reader while no window holds it.
    free: Option<&'a mut dyn ReadSeek>,
    window: Option<Window<&'a mut dyn ReadSeek>>,
    pieces: &'a [Piece],
    /// The next piece to open.
    next: usize,
    /// Zeros left to hand out of the current unrecorded piece.
    zeros: u64,
    image_len: u64,
}

impl FileData<'_> {
    /// Moves to the next piece; `false` at the end.
    fn advance(&mut self) -> bool {
        if let Some(w) = self.window.take() {
            self.free = Some(w.into_inner());
        }
        let Some(piece) = self.pieces.get(self.next) else {
            return false;
        };
        self.next += 1;
        match *piece {
            Piece::Data { offset, len } => {
                if let Some(reader) = self.free.take() {
                    self.window = Some(Window::new(reader, offset, len));
                }
            }
            Piece::Zeros { len } => self.zeros = len,
        }
        true
    }
}

impl Read for FileData<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.zeros > 0 {
                let n = usize::try_from(self.zeros).map_or(buf.len(), |z| z.min(buf.len()));
                buf[..n].fill(0);
                self.zeros -= n as u64;
                return Ok(n);
            }
            if let Some(w) = &mut self.window {
                let n = w.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                let read = w.stream_position()?;
                if read < w.len() {
                    // Checked against the image's length before, so the file shrank.
                    let offset = w.start() + read;
                    return Err(crate::formats::FormatError::from(DiscError::Truncated {
                        what: "file data",
                        offset,
                        image_len: self.image_len,
                    })
                    .into_io());
                }
            }
            if !self.advance() {
                return Ok(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn file_data_joins_extents_and_zeros() {
        let bytes: Vec<u8> = (0u8..100).collect();
        let mut image = Image::new(Box::new(Cursor::new(bytes))).unwrap();
        let pieces = [
            Piece::Data { offset: 10, len: 3 },
            Piece::Zeros { len: 2 },
            Piece::Data { offset: 50, len: 2 },
        ];
        let mut out = Vec::new();
        image.file_data(&pieces).read_to_end(&mut out).unwrap();
        assert_eq!(out, vec![10, 11, 12, 0, 0, 50, 51]);
        assert_eq!(total(&pieces), 7);
    }

    #[test]
    fn reads_past_the_end_are_damage_not_zeros() {
        let mut image = Image::new(Box::new(Cursor::new(vec![0u8; 10]))).unwrap();
        let mut buf = [0u8; 4];
        assert!(matches!(
            image.read_at(8, &mut buf, "test"),
            Err(Fail::Disc(DiscError::Truncated { offset: 8, .. }))
        ));
        assert!(matches!(
            image.read_at(u64::MAX, &mut buf, "test"),
            Err(Fail::Disc(DiscError::Truncated { .. }))
        ));
        image.read_at(6, &mut buf, "test").unwrap();
    }

    #[test]
    fn truncate_keeps_the_declared_size() {
        let mut pieces = vec![
            Piece::Data {
                offset: 0,
                len: 2048,
            },
            Piece::Zeros { len: 2048 },
        ];
        truncate(&mut pieces, 2100);
        assert_eq!(
            pieces,
            vec![
                Piece::Data {
                    offset: 0,
                    len: 2048
                },
                Piece::Zeros { len: 52 }
            ]
        );
        truncate(&mut pieces, 0);
        assert!(pieces.is_empty());
    }
}
