//! Zip archives (hotfix `_zip.exe` wrappers, plain `.zip`) read through the `zip` crate.
//!
//! Names are never taken from `enclosed_name` (it silently strips `/abs` and `..`); they go
//! to the driver's path checker as stored. Directories are recognised by a trailing separator
//! or, for archives written by MS-DOS/Windows tools, by the DOS directory attribute (0x10) in
//! the external attributes (APPNOTE 4.4.15), as some tools write no trailing slash.

use std::io::{self, Read};

use crate::formats::{Entry, EntrySink, FormatError, ReadError, ReadSeek};
use crate::model::{Origin, OriginStep};

/// Something wrong with a zip archive.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("malformed zip archive: {0}")]
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
    #[error("corrupt member data: {0}")]
    Data(#[source] io::Error),
}

/// DOS `FILE_ATTRIBUTE_DIRECTORY`, in the low byte of a zip entry's external attributes.
const DOS_DIRECTORY: u32 = 0x10;

/// Extracts every member of the zip read from `reader` (offset 0 = start of the archive).
pub fn extract(
    reader: Box<dyn ReadSeek>,
    origin: &Origin,
    sink: &mut dyn EntrySink,
) -> Result<(), ReadError> {
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
