//! Opening a container's payload, whatever the format: the one dispatch from a sniffed format
//! to its reader, used by `extract` (files on disk) and `inspect` (spooled members).

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sha1::Digest as _;

use crate::formats::cab::{self, NoVolumes, Volume, VolumeResolver};
use crate::formats::open::{self, Listed};
use crate::formats::pe::{self, PeError};
use crate::formats::window::Window;
use crate::formats::{EntrySink, Format, FormatError, ReadError, ReadSeek, burn, disc, msi, zip};
use crate::model::{Origin, OriginStep, Sha1, Sha256};

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

/// A file's size and digests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digests {
    pub size: u64,
    pub sha256: Sha256,
    pub sha1: Sha1,
}

/// Hashers fed with a file's bytes in order, as far as they have been read.
struct HashState {
    /// Every byte before this offset has been hashed.
    upto: u64,
    sha256: sha2::Sha256,
    sha1: sha1::Sha1,
}

impl HashState {
    /// Feeds what a read at `pos` returned, if it continues the hashed prefix.
    fn feed(&mut self, pos: u64, bytes: &[u8]) {
        let end = pos + bytes.len() as u64;
        if pos <= self.upto && self.upto < end {
            let skip = usize::try_from(self.upto - pos).unwrap_or(bytes.len());
            let new = &bytes[skip.min(bytes.len())..];
            self.sha256.update(new);
            self.sha1.update(new);
            self.upto = end;
        }
    }
}

/// A file on disk hashed by the readers that parse it: bytes read in order extend the hashed
/// prefix, so a container read front to back (a cabinet, a scan) is hashed in the same pass
/// that extracts it. [`HashedFile::finish`] reads and hashes only what no reader reached.
pub struct HashedFile {
    path: PathBuf,
    /// The file as first opened: every later opening must find the same one (a file swapped
    /// for a link, a FIFO or another file while it is read is refused).
    listed: Listed,
    /// `None`: nothing is hashed (a command that reports no digest of its inputs).
    state: Option<Arc<Mutex<HashState>>>,
    /// The run's Ctrl-C / SIGTERM flag: once set, every read fails, so the longest passes over
    /// an input (a signature's digest, the final hash of a file of gigabytes) end within one
    /// chunk.
    interrupt: &'static AtomicBool,
}

/// The error a read returns once the run's interrupt flag is set.
fn stopped(interrupt: &AtomicBool) -> Option<io::Error> {
    interrupt
        .load(Ordering::Relaxed)
        .then(|| io::Error::other("interrupted"))
}

impl std::fmt::Debug for HashedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashedFile")
            .field("path", &self.path)
            .finish()
    }
}

impl HashedFile {
    /// `listed`: the file as first opened ([`open::open_regular`]); `interrupt`: the run's
    /// Ctrl-C flag (process-wide, like the signal that sets it).
    pub fn new(path: &Path, listed: Listed, interrupt: &'static AtomicBool) -> HashedFile {
        HashedFile {
            interrupt,
            listed,
            path: path.to_path_buf(),
            state: Some(Arc::new(Mutex::new(HashState {
                upto: 0,
                sha256: sha2::Sha256::new(),
                sha1: sha1::Sha1::new(),
            }))),
        }
    }

    /// The same file read without hashing (no lock, no digest per read): for `extract`,
    /// which reports no digest of its inputs. [`finish`](Self::finish) then fails.
    pub fn unhashed(path: &Path, listed: Listed, interrupt: &'static AtomicBool) -> HashedFile {
        HashedFile {
            interrupt,
            listed,
            path: path.to_path_buf(),
            state: None,
        }
    }

    /// Hashes the rest of the file and returns its size and digests.
    pub fn finish(&self) -> io::Result<Digests> {
        let Some(state) = &self.state else {
            return Err(io::Error::other("the file was read without hashing"));
        };
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut f = self.reopen()?;
        f.seek(SeekFrom::Start(state.upto))?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            if let Some(e) = stopped(self.interrupt) {
                return Err(e);
            }
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            let pos = state.upto;
            state.feed(pos, &buf[..n]);
        }
        Ok(Digests {
            size: state.upto,
            sha256: Sha256(state.sha256.clone().finalize().into()),
            sha1: Sha1(state.sha1.clone().finalize().into()),
        })
    }
}

/// One reader of a [`HashedFile`].
struct HashingReader {
    file: File,
    pos: u64,
    state: Option<Arc<Mutex<HashState>>>,
    interrupt: &'static AtomicBool,
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = stopped(self.interrupt) {
            return Err(e);
        }
        let n = self.file.read(buf)?;
        if let Some(state) = &self.state {
            state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .feed(self.pos, &buf[..n]);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for HashingReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.file.seek(to)?;
        Ok(self.pos)
    }
}

impl HashedFile {
    /// The file again, never through a link, and only if it is the one first opened.
    fn reopen(&self) -> io::Result<File> {
        Ok(open::open_regular(&self.path, Some(&self.listed))?)
    }
}

impl Source for HashedFile {
    fn open(&self) -> io::Result<Box<dyn ReadSeek>> {
        Ok(Box::new(HashingReader {
            file: self.reopen()?,
            pos: 0,
            state: self.state.clone(),
            interrupt: self.interrupt,
        }))
    }

    fn size(&self) -> io::Result<u64> {
        Ok(self.listed.len)
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
///
/// `msi_view` names the members of an MSI/MSM (see [`msi::MsiView`]).
pub fn unpack(
    source: &dyn Source,
    format: Format,
    origin: &Origin,
    volumes: &mut dyn VolumeResolver,
    sink: &mut dyn EntrySink,
    msi_view: msi::MsiView,
) -> Result<Payload, ReadError> {
    let read_err = |source| ReadError::Io {
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
        Format::DiscImage => {
            disc::extract(source.open().map_err(read_err)?, origin, sink)?;
            Ok(Payload::Extracted)
        }
        Format::CompoundFile => {
            let mut file = source.open().map_err(read_err)?;
            let len = source.size().map_err(read_err)?;
            if let Some(cut) = msi::shortfall(&mut *file, len).map_err(read_err)? {
                return Err(ReadError::format(
                    origin,
                    msi::MsiError::Truncated {
                        required: cut.required,
                        len: cut.len,
                    },
                ));
            }
            match msi::extract(file, origin, volumes, sink, msi_view) {
                Ok(()) => Ok(Payload::Extracted),
                Err(ReadError::Format { source, .. }) if source.is_no_payload() => {
                    Ok(Payload::None(source))
                }
                Err(e) => Err(e),
            }
        }
        Format::Executable | Format::Unknown => {
            let mut file = source.open().map_err(read_err)?;
            let len = source.size().map_err(read_err)?;
            let mut spans = if format == Format::Executable {
                // A cut download is damage, whatever it still holds.
                if let Some(cut) = pe::truncation(&mut *file, len).map_err(read_err)? {
                    return Err(ReadError::format(origin, cut));
                }
                // A WiX Burn bundle: its containers, its payloads under their real names.
                if let Some(containers) = burn::containers(&mut *file, len).map_err(read_err)? {
                    burn::extract(source, &containers, origin, sink)?;
                    return Ok(Payload::Extracted);
                }
                pe::locate(&mut *file, len).map_err(read_err)?
            } else {
                Vec::new()
            };
            for span in cab::scan(&mut *file, len).map_err(read_err)? {
                if !span.complete {
                    return Err(ReadError::format(
                        &origin.child(OriginStep::Offset(span.offset)),
                        cab::CabError::CabinetCut {
                            declared: span.len,
                            available: len - span.offset,
                        },
                    ));
                }
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
                    Format::CompoundFile
                    | Format::Executable
                    | Format::DiscImage
                    | Format::Unknown => {}
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
    names: Option<Vec<(String, PathBuf, Listed)>>,
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
                // Not following a link (a link beside the input is not a volume).
                let meta = std::fs::symlink_metadata(entry.path())?;
                if meta.is_file() {
                    names.push((
                        entry.file_name().to_string_lossy().to_lowercase(),
                        entry.path(),
                        Listed::of(&meta),
                    ));
                }
            }
            names.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            self.names = Some(names);
        }
        let wanted = name.to_lowercase();
        let found = self
            .names
            .iter()
            .flatten()
            .find(|(n, _, _)| *n == wanted)
            .map(|(_, p, l)| (p.clone(), *l));
        match found {
            Some((path, listed)) => Ok(Some(Volume {
                reader: Box::new(open::open_regular(&path, Some(&listed))?),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_file_digests_equal_a_plain_hash_whatever_the_read_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let want = (
            Sha256(sha2::Sha256::digest(&data).into()),
            Sha1(sha1::Sha1::digest(&data).into()),
        );
        static NEVER: AtomicBool = AtomicBool::new(false);
        let listed = open::Listed::of(&std::fs::symlink_metadata(&path).unwrap());
        let hashed = HashedFile::new(&path, listed, &NEVER);
        {
            let mut a = hashed.open().unwrap();
            let mut b = hashed.open().unwrap();
            let mut buf = vec![0u8; 1000];
            a.read_exact(&mut buf).unwrap();
            b.seek(SeekFrom::Start(200_000)).unwrap();
            b.read_exact(&mut buf).unwrap();
            b.seek(SeekFrom::Start(500)).unwrap();
            let mut rest = Vec::new();
            b.take(150_000).read_to_end(&mut rest).unwrap();
        }
        let d = hashed.finish().unwrap();
        assert_eq!((d.sha256, d.sha1), want);
        assert_eq!(d.size, data.len() as u64);
    }
}
