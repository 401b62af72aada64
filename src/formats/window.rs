//! A window reader: a `[start, start+len)` slice of a seekable reader, seen as a file of its own.
//!
//! Embedded archives (a cabinet inside a PE resource, a zip appended to an exe) are opened through
//! a window so that their readers see offset 0 at the archive's first byte and cannot read past
//! its end.

use std::io::{self, Read, Seek, SeekFrom};

#[derive(Debug)]
pub struct Window<R> {
    inner: R,
    start: u64,
    len: u64,
    pos: u64,
    /// Whether `inner`'s cursor is known to sit at `start + pos`; cleared when unsure, so a
    /// reader shared with others (e.g. `&File`) is re-positioned before the next read.
    in_place: bool,
}

impl<R: Read + Seek> Window<R> {
    /// A window of `len` bytes starting at `start` of `inner`.
    pub fn new(inner: R, start: u64, len: u64) -> Self {
        Window {
            inner,
            start,
            len,
            pos: 0,
            in_place: false,
        }
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The window's first byte, as an offset of the underlying reader.
    pub fn start(&self) -> u64 {
        self.start
    }

    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read + Seek> Read for Window<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        if !self.in_place {
            self.inner.seek(SeekFrom::Start(self.start + self.pos))?;
            self.in_place = true;
        }
        let want = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        let n = self.inner.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Window<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the window's start",
            )
        })?;
        if target != self.pos {
            self.pos = target;
            self.in_place = false;
        }
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn window_sees_only_its_slice() {
        let data: Vec<u8> = (0u8..100).collect();
        let mut w = Window::new(Cursor::new(data), 10, 5);
        let mut out = Vec::new();
        w.read_to_end(&mut out).unwrap();
        assert_eq!(out, vec![10, 11, 12, 13, 14]);
        w.seek(SeekFrom::Start(3)).unwrap();
        let mut b = [0u8; 10];
        assert_eq!(w.read(&mut b).unwrap(), 2);
        assert_eq!(&b[..2], &[13, 14]);
        assert!(w.seek(SeekFrom::Current(-10)).is_err());
        assert_eq!(w.seek(SeekFrom::End(-1)).unwrap(), 4);
    }
}
