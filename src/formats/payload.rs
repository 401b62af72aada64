//! Opening a container's payload, whatever the format: the one dispatch from a sniffed format
//! to its reader, used by `extract` (files on disk) and `inspect` (spooled members).

use std::fs::File;
use std::io::{self, Cursor};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Error;
use crate::formats::cab::{self, NoVolumes, Volume, VolumeResolver};
use crate::formats::pe::{self, PeError};
use crate::formats::window::Window;
use crate::formats::{EntrySink, Format, FormatError, ReadSeek, msi, zip};
use crate::model::{Origin, OriginStep};

/// Something a container can be (re)opened from: embedded archives need a reader of their
/// own each, so the source can be opened more than once.
pub trait Source {
    /// A fresh reader positioned at offset 0.
    fn open(&self) -> io::Result<Box<dyn ReadSeek>>;
    /// The size in bytes.
    fn size(&self) -> io::Result<u64>;
}

/// A file on disk.
#[derive(Clone, Copy, Debug)]
pub struct FileSource<'a>(pub &'a Path);

impl Source for FileSource<'_> {
    fn open(&self) -> io::Result<Box<dyn ReadSeek>> {
        Ok(Box::new(File::open(self.0)?))
    }

    fn size(&self) -> io::Result<u64> {
        Ok(std::fs::metadata(self.0)?.len())
    }
}

/// Bytes held in memory, shared by every reader opened on them.
#[derive(Clone, Debug)]
pub struct BytesSource(pub Arc<[u8]>);

/// `Arc<[u8]>` as a `Cursor` body.
#[derive(Clone, Debug)]
struct SharedBytes(Arc<[u8]>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Source for BytesSource {
    fn open(&self) -> io::Result<Box<dyn ReadSeek>> {
        Ok(Box::new(Cursor::new(SharedBytes(Arc::clone(&self.0)))))
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.0.len() as u64)
    }
}

/// Whether a container gave anything to extract.
#[derive(Debug)]
pub enum Payload {
    Extracted,
    /// No payload: the reason, which is an error for an input and fine for a nested member.
    None(FormatError),
}

/// Unpacks the container in `source` (already sniffed as `format`) into `sink`.
///
/// `volumes` finds the other volumes of a cabinet set and an MSI's external cabinets (the
/// files beside a file on disk; nothing for a container inside another).
pub fn unpack(
    source: &dyn Source,
    format: Format,
    origin: &Origin,
    volumes: &mut dyn VolumeResolver,
    sink: &mut dyn EntrySink,
) -> Result<Payload, Error> {
    let read_err = |source| Error::Read {
        origin: origin.clone(),
        source,
    };
    match format {
        Format::Cab => {
            cab::extract(source.open().map_err(read_err)?, origin, volumes, sink)?;
            Ok(Payload::Extracted)
        }
        Format::Zip => {
            zip::extract(source.open().map_err(read_err)?, origin, sink)?;
            Ok(Payload::Extracted)
        }
        Format::CompoundFile => {
            match msi::extract(source.open().map_err(read_err)?, origin, volumes, sink) {
                Ok(()) => Ok(Payload::Extracted),
                Err(Error::Format { source, .. }) if source.is_no_payload() => {
                    Ok(Payload::None(source))
                }
                Err(e) => Err(e),
            }
        }
        Format::Executable | Format::Unknown => {
            let mut file = source.open().map_err(read_err)?;
            let len = source.size().map_err(read_err)?;
            let mut spans = if format == Format::Executable {
                pe::locate(&mut *file, len).map_err(read_err)?
            } else {
                Vec::new()
            };
            for span in cab::scan(&mut *file, len).map_err(read_err)? {
                let inside_known = spans
                    .iter()
                    .any(|s| span.offset >= s.offset && span.offset < s.offset + s.len);
                if !inside_known {
                    spans.push(pe::Embedded {
                        offset: span.offset,
                        len: span.len,
                        format: Format::Cab,
                        step: OriginStep::Offset(span.offset),
                    });
                }
            }
            spans.sort_by_key(|s| s.offset);
            if spans.is_empty() {
                return Ok(Payload::None(if format == Format::Executable {
                    FormatError::Pe(PeError::NoPayload)
                } else {
                    FormatError::Unrecognized
                }));
            }
            for span in spans {
                let part = source.open().map_err(read_err)?;
                let window = Box::new(Window::new(part, span.offset, span.len));
                let inner = origin.child(span.step.clone());
                match span.format {
                    Format::Cab => cab::extract(window, &inner, &mut NoVolumes, sink)?,
                    Format::Zip => zip::extract(window, &inner, sink)?,
                    Format::CompoundFile | Format::Executable | Format::Unknown => {}
                }
            }
            Ok(Payload::Extracted)
        }
    }
}

/// Finds cabinet-set volumes and external cabinets beside a file, by case-insensitive name.
///
/// Names come from untrusted headers: only plain file names that exist in the folder are
/// opened, so a name can never reach outside it.
#[derive(Debug)]
pub struct DirVolumes {
    dir: PathBuf,
    names: Option<Vec<(String, PathBuf)>>,
}

impl DirVolumes {
    /// Looks beside `file` (in its folder).
    pub fn beside(file: &Path) -> Self {
        DirVolumes {
            dir: file.parent().unwrap_or(Path::new("")).to_path_buf(),
            names: None,
        }
    }
}

impl VolumeResolver for DirVolumes {
    fn open(&mut self, name: &str) -> io::Result<Option<Volume>> {
        if name.is_empty() || name.contains(['/', '\\', '\0']) || name == "." || name == ".." {
            return Ok(None);
        }
        if self.names.is_none() {
            let dir = if self.dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                &self.dir
            };
            let mut names = Vec::new();
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                if entry.file_type()?.is_file() {
                    names.push((
                        entry.file_name().to_string_lossy().to_lowercase(),
                        entry.path(),
                    ));
                }
            }
            names.sort();
            self.names = Some(names);
        }
        let wanted = name.to_lowercase();
        let found = self
            .names
            .iter()
            .flatten()
            .find(|(n, _)| *n == wanted)
            .map(|(_, p)| p.clone());
        match found {
            Some(path) => Ok(Some(Volume {
                reader: Box::new(File::open(&path)?),
                step: OriginStep::Volume(
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                ),
            })),
            None => Ok(None),
        }
    }
}
