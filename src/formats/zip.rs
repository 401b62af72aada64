//! Zip archives (hotfix `_zip.exe` wrappers, plain `.zip`) read through the `zip` crate.
//!
//! Names are never taken from `enclosed_name` (it silently strips `/abs` and `..`); they go
//! to the driver's path checker as stored. Directories are recognised by a trailing separator
//! or, for archives written by MS-DOS/Windows tools, by the DOS directory attribute (0x10) in
//! the external attributes (APPNOTE 4.4.15), as some tools write no trailing slash.

use std::io::{self, Read};

use crate::formats::{Entry, EntrySink, FormatError, NameDecoding, ReadError, ReadSeek};
use crate::model::{Origin, OriginStep};

/// Something wrong with a zip archive.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("malformed zip archive")]
    Archive(#[source] zip::result::ZipError),
    #[error("member {name:?} is encrypted (password-protected zips are not supported)")]
    Encrypted { name: String },
    #[error("member {name:?} uses unsupported compression method {method:?}")]
    UnsupportedMethod {
        name: String,
        method: zip::CompressionMethod,
    },
    #[error("member {name:?} is a symbolic link (links are never extracted)")]
    Symlink { name: String },
    #[error("corrupt member data")]
    Data(#[source] io::Error),
}

/// DOS `FILE_ATTRIBUTE_DIRECTORY`, in the low byte of a zip entry's external attributes.
const DOS_DIRECTORY: u32 = 0x10;

/// End-of-central-directory record: fixed part and longest comment (APPNOTE 4.3.16).
const EOCD_LEN: u64 = 22;
const EOCD_MAX_COMMENT: u64 = 0xFFFF;

/// The number of entries the end-of-central-directory record declares (the zip64 record's
/// when the classic one says 0xFFFF), read from the archive's tail only.
pub fn declared_entries(r: &mut dyn ReadSeek) -> io::Result<Option<u64>> {
    let len = r.seek(io::SeekFrom::End(0))?;
    let from = len.saturating_sub(EOCD_LEN + EOCD_MAX_COMMENT);
    r.seek(io::SeekFrom::Start(from))?;
    let mut tail = Vec::new();
    r.take(len - from).read_to_end(&mut tail)?;
    let Some(at) = (0..tail.len().saturating_sub(EOCD_LEN as usize - 1))
        .rev()
        .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))
    else {
        return Ok(None);
    };
    let field = |b: &[u8], at: usize, n: usize| {
        b.get(at..at + n).map(|s| {
            s.iter()
                .rev()
                .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
        })
    };
    let total = field(&tail, at + 10, 2);
    if total != Some(0xFFFF) {
        return Ok(total);
    }
    // Zip64: locator (20 bytes) before the record, pointing at the zip64 end record.
    let Some(locator) = (at as u64 + from).checked_sub(20) else {
        return Ok(None);
    };
    let mut buf = [0u8; 20];
    r.seek(io::SeekFrom::Start(locator))?;
    if r.read_exact(&mut buf).is_err() || !buf.starts_with(b"PK\x06\x07") {
        return Ok(None);
    }
    let Some(record) = field(&buf, 8, 8) else {
        return Ok(None);
    };
    let mut z64 = [0u8; 56];
    r.seek(io::SeekFrom::Start(record))?;
    if r.read_exact(&mut z64).is_err() || !z64.starts_with(b"PK\x06\x06") {
        return Ok(None);
    }
    Ok(field(&z64, 32, 8))
}

/// Extracts every member of the zip read from `reader` (offset 0 = start of the archive).
pub fn extract(
    mut reader: Box<dyn ReadSeek>,
    origin: &Origin,
    sink: &mut dyn EntrySink,
) -> Result<(), ReadError> {
    // The central directory is read whole by the zip crate: announce its size first.
    if let Some(n) = declared_entries(&mut *reader).map_err(|e| ReadError::reading(origin, e))? {
        sink.announce(origin, n)?;
    }
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|e| ReadError::format(origin, ZipError::Archive(e)))?;
    for index in 0..archive.len() {
        sink.check_interrupt()?;
        let file = archive
            .by_index_raw(index)
            .map_err(|e| ReadError::format(origin, ZipError::Archive(e)))?;
        let name = file
            .name()
            .map_err(|e| ReadError::format(origin, ZipError::Archive(e)))?
            .into_owned();
        // The zip crate reads an unflagged name that is not UTF-8 as code page 437.
        let decoding = if std::str::from_utf8(file.name_raw()).is_ok() {
            NameDecoding::Utf8
        } else {
            NameDecoding::Cp437
        };
        let member_origin = origin.child(OriginStep::Member(name.clone()));
        let is_dir = name.ends_with(['/', '\\'])
            || file.unix_mode().is_some_and(|m| m & 0o170000 == 0o040000)
            || (file.system() != zip::System::Unix
                && file.external_attributes() & DOS_DIRECTORY != 0);
        if file.is_symlink() {
            return Err(ReadError::format(origin, ZipError::Symlink { name }));
        }
        if file.encrypted() {
            return Err(ReadError::format(origin, ZipError::Encrypted { name }));
        }
        let size = file.size();
        drop(file);
        let entry = Entry {
            name: &name,
            decoding,
            size,
            origin: &member_origin,
        };
        if is_dir {
            sink.directory(&entry)?;
            continue;
        }
        let method = archive
            .by_index_raw(index)
            .map(|raw| raw.compression())
            .map_err(|e| ReadError::format(origin, ZipError::Archive(e)))?;
        let file = match archive.by_index(index) {
            Ok(f) => f,
            Err(zip::result::ZipError::UnsupportedArchive(_))
            | Err(zip::result::ZipError::CompressionMethodNotSupported(_)) => {
                return Err(ReadError::format(
                    origin,
                    ZipError::UnsupportedMethod { name, method },
                ));
            }
            Err(e) => return Err(ReadError::format(&member_origin, ZipError::Archive(e))),
        };
        let mut data = DataReader { inner: file };
        sink.file(&entry, &mut data)?;
    }
    Ok(())
}

/// Turns the zip crate's I/O errors (bad CRC, corrupt deflate) into format errors.
struct DataReader<R> {
    inner: R,
}

impl<R: Read> Read for DataReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.get_ref().is_some_and(|inner| inner.is::<FormatError>()) {
                e
            } else {
                FormatError::Zip(ZipError::Data(e)).into_io()
            }
        })
    }
}
