//! The one way slipway opens a file it reads (downloads, media files and images, the files of
//! a built folder and bundles, farm files, catalogs, trust anchors and checksum files): never through a symbolic link, never anything but a regular file,
//! and, for a file found by listing a folder, only the very file that was listed.
//!
//! The checks are race-free: the path is looked at without following a link, then opened
//! without following one (`O_NOFOLLOW`) and without waiting (`O_NONBLOCK`: a FIFO that took
//! the file's place opens at once instead of blocking forever, and is refused without being
//! read), and what was opened is checked (`fstat`): a regular file, the same device and
//! inode and size as listed. A file swapped for a link, a FIFO or another file between the
//! listing and the opening is refused, never read.
//!
//! On Windows the link check is the reparse-point attribute of what was opened (opened with
//! `FILE_FLAG_OPEN_REPARSE_POINT`, the equivalent of `O_NOFOLLOW`); Windows file systems
//! have no FIFOs, and std does not (yet, stably) tell a file's volume and index, so a
//! swap for another regular file is caught by its size only there.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::Path;

/// What a file was when a folder was listed (looked at without following a link).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Listed {
    pub len: u64,
    /// Device and inode (0 where the platform does not tell them).
    dev: u64,
    ino: u64,
}

impl Listed {
    /// The identity of the file `meta` describes.
    pub fn of(meta: &fs::Metadata) -> Listed {
        #[cfg(unix)]
        let (dev, ino) = {
            use std::os::unix::fs::MetadataExt as _;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let (dev, ino) = (0, 0);
        Listed {
            len: meta.len(),
            dev,
            ino,
        }
    }

    /// How `now` differs from this listing, in words (`None`: the same file).
    pub fn differs(&self, now: &Listed) -> Option<String> {
        if (self.dev, self.ino) != (now.dev, now.ino) {
            return Some("another file took its place".to_owned());
        }
        if self.len != now.len {
            return Some(format!("{} bytes listed, {} now", self.len, now.len));
        }
        None
    }
}

/// Why a file was not opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot open")]
    Io(#[source] io::Error),
    /// A link, a FIFO, a device, a socket or a folder: never read.
    #[error("is a {kind}, not a regular file")]
    NotRegular { kind: &'static str },
    /// Not the file that was listed.
    #[error("changed since it was listed ({what})")]
    Changed { what: String },
}

impl From<OpenError> for io::Error {
    /// For readers that speak `io::Error`: the I/O error itself, or the refusal inside one.
    fn from(e: OpenError) -> io::Error {
        match e {
            OpenError::Io(e) => e,
            refused => io::Error::new(io::ErrorKind::InvalidInput, refused),
        }
    }
}

impl crate::error::Diagnostic for OpenError {
    fn code(&self) -> &'static str {
        match self {
            OpenError::Io(_) => "read-error",
            OpenError::NotRegular { .. } => "not-a-file",
            OpenError::Changed { .. } => "changed",
        }
    }
}

/// What kind of file system object `meta` (looked at without following a link) is, when it
/// is not a regular file.
pub fn not_regular(meta: &fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_symlink() {
        return Some("symbolic link");
    }
    if t.is_dir() {
        return Some("directory");
    }
    special_kind(meta)
}

/// What kind of file system object `meta` is, when it is not a file or folder.
pub fn special_kind(meta: &fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() || t.is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("FIFO (named pipe)");
        }
        if t.is_char_device() {
            return Some("character device");
        }
        if t.is_block_device() {
            return Some("block device");
        }
        if t.is_socket() {
            return Some("socket");
        }
    }
    Some("special file")
}

/// Opens `path` for reading: a regular file reached without following a link in its last
/// component, and, when `listed` is given, the file that was listed then.
pub fn open_regular(path: &Path, listed: Option<&Listed>) -> Result<File, OpenError> {
    // Looked at first, so that a device or FIFO in the common, unraced case is not even
    // opened (opening some devices does something).
    let before = fs::symlink_metadata(path).map_err(OpenError::Io)?;
    if let Some(kind) = not_regular(&before) {
        return Err(OpenError::NotRegular { kind });
    }
    let before = Listed::of(&before);
    if let Some(what) = listed.and_then(|l| l.differs(&before)) {
        return Err(OpenError::Changed { what });
    }
    let file = open_no_follow(path)?;
    let meta = file.metadata().map_err(OpenError::Io)?;
    if let Some(kind) = opened_kind(&meta) {
        return Err(OpenError::NotRegular { kind });
    }
    if let Some(what) = listed.unwrap_or(&before).differs(&Listed::of(&meta)) {
        return Err(OpenError::Changed { what });
    }
    Ok(file)
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> Result<File, OpenError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            // O_NOFOLLOW on a link: ELOOP (POSIX open(2)); some BSDs say EMLINK.
            Some(libc::ELOOP) | Some(libc::EMLINK) => OpenError::NotRegular {
                kind: "symbolic link",
            },
            _ => OpenError::Io(e),
        })
}

#[cfg(windows)]
fn open_no_follow(path: &Path) -> Result<File, OpenError> {
    use std::os::windows::fs::OpenOptionsExt as _;
    /// winbase.h: open the reparse point itself, not what it points to.
    const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
    OpenOptions::new()
        .read(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
        .map_err(OpenError::Io)
}

#[cfg(not(any(unix, windows)))]
fn open_no_follow(path: &Path) -> Result<File, OpenError> {
    File::open(path).map_err(OpenError::Io)
}

/// The kind of an opened file (its own metadata, `fstat`) when it is not a regular file.
fn opened_kind(meta: &fs::Metadata) -> Option<&'static str> {
    #[cfg(windows)]
    {
        use std::os::windows::fs::MetadataExt as _;
        /// winnt.h: a symbolic link, junction or other reparse point.
        const FILE_ATTRIBUTE_REPARSE_POINT: u32 = 0x400;
        if meta.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0 {
            return Some("symbolic link");
        }
    }
    not_regular(meta)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_fifos_and_swapped_files_are_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.bin");
        fs::write(&file, b"bytes").unwrap();
        let listed = Listed::of(&fs::symlink_metadata(&file).unwrap());
        assert!(open_regular(&file, Some(&listed)).is_ok());
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert!(matches!(
            open_regular(&link, None),
            Err(OpenError::NotRegular {
                kind: "symbolic link"
            })
        ));
        // The listed file replaced by another of the same size (written while the first
        // still exists, so that it cannot take its inode number).
        fs::write(dir.path().join("other"), b"other").unwrap();
        fs::rename(dir.path().join("other"), &file).unwrap();
        assert!(matches!(
            open_regular(&file, Some(&listed)),
            Err(OpenError::Changed { .. })
        ));
        // A FIFO is refused at once (this would block forever if it were opened to read).
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            assert!(matches!(
                open_regular(&fifo, None),
                Err(OpenError::NotRegular { .. })
            ));
        }
        assert!(matches!(
            open_regular(dir.path(), None),
            Err(OpenError::NotRegular { kind: "directory" })
        ));
    }

    #[test]
    fn devices_are_told_from_files() {
        let meta = fs::metadata("/dev/null").unwrap();
        assert_eq!(special_kind(&meta), Some("character device"));
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(special_kind(&fs::metadata(dir.path()).unwrap()), None);
    }
}
