//! `verify OUT` and `verify BUNDLE.zip`: every file of a built folder or bundle re-hashed
//! against its install manifest and `SHA256SUMS`, which must agree with each other; missing,
//! modified and extra files named.
//!
//! Only regular files and folders are slipway's: anything else in OUT (a symbolic link, to a
//! file or a folder, a FIFO, a device, a socket) or in a bundle (an entry whose Unix mode is a
//! link) is a difference named as such, and is never followed or read (a link could lead
//! anywhere, a FIFO would block). Files are opened by the one opener
//! ([`crate::formats::open::open_regular`]): only the file the listing saw. A bundle is read
//! entry by entry from its central directory (two entries of one name with different bytes
//! are a difference; entries that share bytes are refused before anything is inflated).

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::findings::{Finding, FindingKind};
use crate::formats::open::{Listed, OpenError, open_regular};
use crate::formats::zip::{Archive, Kind, ReadOrStop, ZipError};
use crate::model::manifest::{InstallManifest, MANIFEST, SUMS};
use crate::model::{Origin, Sha256};
use crate::safe_path::SafePath;

/// Largest install manifest or `SHA256SUMS` read (real ones are a few hundred KiB): a bundle
/// whose manifest inflates to gigabytes is refused, not loaded.
pub const MAX_RECORD_BYTES: u64 = 64 << 20;

/// Why a built folder or bundle could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{}: cannot read", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: no {MANIFEST} (not a slipway build output)", path.display())]
    NoManifest { path: PathBuf },
    #[error("{}: {MANIFEST} is not a slipway install manifest", path.display())]
    BadManifest {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: {name} is larger than {MAX_RECORD_BYTES} bytes: not written by slipway", path.display())]
    TooLarge { path: PathBuf, name: &'static str },
    #[error("{}: cannot be read as a bundle", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: ZipError,
    },
    /// Ctrl-C or SIGTERM while re-hashing or listing.
    #[error("interrupted; nothing was verified")]
    Interrupted,
}

impl crate::error::Diagnostic for OutputError {
    fn code(&self) -> &'static str {
        match self {
            OutputError::Read { .. } => "read-error",
            OutputError::NoManifest { .. } => "no-manifest",
            OutputError::BadManifest { .. } => "bad-manifest",
            OutputError::TooLarge { .. } => "record-too-large",
            OutputError::Zip { .. } => "bad-bundle",
            OutputError::Interrupted => "interrupted",
        }
    }

    fn is_interrupt(&self) -> bool {
        matches!(self, OutputError::Interrupted)
    }
}

/// What re-hashing reports to and listens to: the bytes read, each file, and Ctrl-C.
#[derive(Clone, Copy)]
pub struct Watch<'a> {
    pub progress: &'a dyn crate::extract::Progress,
    pub interrupt: &'a std::sync::atomic::AtomicBool,
}

impl Watch<'_> {
    /// Whether Ctrl-C (or SIGTERM) asked to stop.
    pub fn stopped(&self) -> bool {
        self.interrupt.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Size and SHA-256 of everything `r` yields, counting the bytes and stopping at an
    /// interrupt (`ErrorKind::Interrupted`, between two blocks of 256 KiB, well within a
    /// second); a read interrupted by a signal without the flag is retried.
    fn hash(&self, name: &str, r: &mut dyn Read) -> io::Result<(u64, Sha256)> {
        self.progress.input(Path::new(name));
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            if self.stopped() {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            size += n as u64;
            hasher.update(&buf[..n]);
            self.progress.bytes(n as u64);
        }
        self.progress.entry();
        Ok((size, Sha256(hasher.finalize().into())))
    }
}

/// An I/O error while hashing `path`, or the interrupt.
fn hashing(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| {
        if source.kind() == io::ErrorKind::Interrupted {
            OutputError::Interrupted
        } else {
            OutputError::Read {
                path: path.to_path_buf(),
                source,
            }
        }
    }
}

/// Reads a record file (manifest, sums) of at most [`MAX_RECORD_BYTES`].
fn read_record(r: &mut dyn Read, path: &Path, name: &'static str) -> Result<Vec<u8>, OutputError> {
    let mut buf = Vec::new();
    r.take(MAX_RECORD_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|source| OutputError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() as u64 > MAX_RECORD_BYTES {
        return Err(OutputError::TooLarge {
            path: path.to_path_buf(),
            name,
        });
    }
    Ok(buf)
}

/// The lines of `SHA256SUMS`: path → digest (`None` for a line that is not `<hex>  <path>`).
fn sums_lines(text: &str) -> BTreeMap<String, Option<Sha256>> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match line.split_once("  ") {
            Some((sha, file)) => {
                out.insert(file.to_owned(), Sha256::parse_hex(sha));
            }
            None => {
                out.insert(line.to_owned(), None);
            }
        }
    }
    out
}

/// What `SHA256SUMS` is in a build.
#[derive(Debug)]
enum Sums {
    Missing,
    /// Present, but not a regular file (named as a difference already): not read.
    NotRegular,
    Text(String),
}

/// Compares what is present (path → SHA-256) with what the manifest and `SHA256SUMS` record,
/// and the two records with each other; appends to `findings`.
fn compare(
    origin: &Origin,
    manifest: &InstallManifest,
    sums: &Sums,
    have: &BTreeMap<String, Sha256>,
    findings: &mut Vec<Finding>,
) {
    let mut push = |kind| findings.push(Finding::new(origin, kind));
    let placed: BTreeMap<String, Sha256> = manifest.placed_files().collect();
    let mut want: BTreeMap<String, Sha256> = placed.clone();
    // SHA256SUMS is what vouches for the manifest itself and what a server checks: it must
    // list every placed file with the manifest's digest, and the manifest.
    match sums {
        Sums::Missing => push(FindingKind::OutputMissing {
            file: SUMS.to_owned(),
        }),
        Sums::NotRegular => {}
        Sums::Text(text) => {
            let lines = sums_lines(text);
            if !lines.contains_key(MANIFEST) {
                push(FindingKind::OutputMissing {
                    file: format!("{MANIFEST} (its line in {SUMS})"),
                });
            }
            for (file, sha) in &lines {
                match (sha, placed.get(file.as_str())) {
                    (None, _) => push(FindingKind::SumsMismatch {
                        file: file.clone(),
                        problem: "is not a `<sha256>  <path>` line".to_owned(),
                    }),
                    (Some(s), Some(p)) if s != p => push(FindingKind::SumsMismatch {
                        file: file.clone(),
                        problem: format!("records {s}, the install manifest {p}"),
                    }),
                    (Some(s), _) => {
                        want.entry(file.clone()).or_insert(*s);
                    }
                }
            }
            for file in placed.keys() {
                if !lines.contains_key(file) {
                    push(FindingKind::SumsMismatch {
                        file: file.clone(),
                        problem: "is in the install manifest but not listed".to_owned(),
                    });
                }
            }
        }
    }
    for (file, sha) in &want {
        match have.get(file) {
            None => push(FindingKind::OutputMissing { file: file.clone() }),
            Some(actual) if actual != sha => push(FindingKind::OutputModified {
                file: file.clone(),
                expected: sha.hex(),
                actual: actual.hex(),
            }),
            Some(_) => {}
        }
    }
    for file in have.keys() {
        if !want.contains_key(file) && file != SUMS && file != MANIFEST {
            push(FindingKind::OutputExtra { file: file.clone() });
        }
    }
}

/// The result of re-checking a build.
#[derive(Debug)]
pub struct OutputCheck {
    pub path: PathBuf,
    /// Files re-hashed.
    pub files: usize,
    pub findings: Vec<Finding>,
}

fn parse_manifest(bytes: &[u8], path: &Path) -> Result<InstallManifest, OutputError> {
    serde_json::from_slice(bytes).map_err(|source| OutputError::BadManifest {
        path: path.to_path_buf(),
        source,
    })
}

/// Re-hashes every file of a built folder against its install manifest and SHA256SUMS; what
/// is not a regular file or folder is a difference, never followed nor read. `watch` counts
/// the bytes and is asked for Ctrl-C between blocks.
pub fn check_folder(dir: &Path, watch: Watch<'_>) -> Result<OutputCheck, OutputError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Read { path, source }
    };
    let origin = Origin::input(dir);
    let listing = listing(dir).map_err(read_err(dir))?;
    let mut findings: Vec<Finding> = listing
        .odd
        .iter()
        .map(|(file, kind)| {
            Finding::new(
                &origin,
                FindingKind::OutputNotRegular {
                    file: file.clone(),
                    kind,
                },
            )
        })
        .collect();
    let is_odd = |name: &str| listing.odd.iter().any(|(f, _)| f == name);
    // Reads a record file of the listing (the manifest, the sums), hashing what was read.
    let record = |name: &'static str| -> Result<Option<(Vec<u8>, Sha256)>, OutputError> {
        let Some((_, path, listed)) = listing.files.iter().find(|(rel, _, _)| rel == name) else {
            return Ok(None);
        };
        let mut f =
            open_regular(path, Some(listed)).map_err(|e| read_err(path)(io::Error::from(e)))?;
        let bytes = read_record(&mut f, path, name)?;
        let sha = Sha256(sha2::Sha256::digest(&bytes).into());
        Ok(Some((bytes, sha)))
    };
    let mut have = BTreeMap::new();
    let Some((bytes, sha)) = record(MANIFEST)? else {
        if is_odd(MANIFEST) {
            // A link (or worse) where the manifest should be: nothing else can be judged.
            return Ok(OutputCheck {
                path: dir.to_path_buf(),
                files: 0,
                findings,
            });
        }
        return Err(OutputError::NoManifest {
            path: dir.to_path_buf(),
        });
    };
    let manifest_path = dir.join(MANIFEST);
    let manifest = parse_manifest(&bytes, &manifest_path)?;
    have.insert(MANIFEST.to_owned(), sha);
    let sums = match record(SUMS)? {
        Some((bytes, sha)) => {
            have.insert(SUMS.to_owned(), sha);
            Sums::Text(String::from_utf8_lossy(&bytes).into_owned())
        }
        None if is_odd(SUMS) => Sums::NotRegular,
        None => Sums::Missing,
    };
    for (rel, path, listed) in &listing.files {
        if watch.stopped() {
            return Err(OutputError::Interrupted);
        }
        if rel == MANIFEST || rel == SUMS {
            continue;
        }
        let mut f = match open_regular(path, Some(listed)) {
            Ok(f) => f,
            // Swapped for a link or a FIFO since the listing: a difference, not read.
            Err(OpenError::NotRegular { kind }) => {
                findings.push(Finding::new(
                    &origin,
                    FindingKind::OutputNotRegular {
                        file: rel.clone(),
                        kind,
                    },
                ));
                continue;
            }
            Err(e) => return Err(read_err(path)(io::Error::from(e))),
        };
        let (_, sha) = watch.hash(rel, &mut f).map_err(hashing(path))?;
        have.insert(rel.clone(), sha);
    }
    compare(&origin, &manifest, &sums, &have, &mut findings);
    Ok(OutputCheck {
        path: dir.to_path_buf(),
        files: have.len(),
        findings,
    })
}

/// Re-hashes every entry of a bundle against the install manifest and SHA256SUMS inside it:
/// every entry of its central directory (a name twice with different bytes is a difference;
/// entries sharing bytes are refused before anything is inflated), links named as
/// differences and never read. `watch` counts the bytes and is asked for Ctrl-C.
pub fn check_bundle(path: &Path, watch: Watch<'_>) -> Result<OutputCheck, OutputError> {
    let zip_err = |source| OutputError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let read_err = |source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = open_regular(path, None).map_err(|e| read_err(io::Error::from(e)))?;
    let mut archive = match Archive::open(Box::new(file), &|| watch.stopped()) {
        Ok(a) => a,
        Err(ReadOrStop::Zip(e)) => return Err(zip_err(e)),
        Err(ReadOrStop::Io(e)) => return Err(read_err(e)),
        Err(ReadOrStop::Stopped) => return Err(OutputError::Interrupted),
    };
    let origin = Origin::input(path);
    let mut findings = Vec::new();
    let mut have = BTreeMap::new();
    // The walker's collision rule: names equal as Windows compares them are one file when
    // their size and bytes agree.
    let mut seen: BTreeMap<String, (String, u64, Sha256)> = BTreeMap::new();
    let mut manifest_bytes = None;
    let mut sums = Sums::Missing;
    for index in 0..archive.entries().len() {
        if watch.stopped() {
            return Err(OutputError::Interrupted);
        }
        let entry = archive.entries()[index].clone();
        match entry.kind {
            Kind::Directory => continue,
            Kind::Symlink => {
                findings.push(Finding::new(
                    &origin,
                    FindingKind::OutputNotRegular {
                        file: entry.name.clone(),
                        kind: "symbolic link",
                    },
                ));
                if entry.name == SUMS {
                    sums = Sums::NotRegular;
                }
                continue;
            }
            Kind::File => {}
        }
        let name = entry.name.clone();
        let mut data = archive.data(index).map_err(zip_err)?;
        let (size, sha, record) = if name == MANIFEST || name == SUMS {
            let which = if name == MANIFEST { MANIFEST } else { SUMS };
            let buf = read_record(&mut data, path, which)?;
            let sha = Sha256(sha2::Sha256::digest(&buf).into());
            (buf.len() as u64, sha, Some(buf))
        } else {
            let (size, sha) = watch.hash(&name, &mut data).map_err(|e| {
                if e.kind() == io::ErrorKind::Interrupted && watch.stopped() {
                    OutputError::Interrupted
                } else {
                    entry_err(path, e)
                }
            })?;
            (size, sha, None)
        };
        drop(data);
        let key = SafePath::new(&name, false).map_or_else(|_| name.clone(), |p| p.collision_key());
        if let Some((first, first_size, first_sha)) = seen.get(&key) {
            if (*first_size, *first_sha) != (size, sha) {
                findings.push(Finding::new(
                    &origin,
                    FindingKind::OutputDuplicate {
                        file: name.clone(),
                        first: first.clone(),
                    },
                ));
            }
            continue;
        }
        seen.insert(key, (name.clone(), size, sha));
        match record {
            Some(buf) if name == MANIFEST => manifest_bytes = Some(buf),
            Some(buf) => sums = Sums::Text(String::from_utf8_lossy(&buf).into_owned()),
            None => {}
        }
        have.insert(name, sha);
    }
    let bytes = manifest_bytes.ok_or_else(|| OutputError::NoManifest {
        path: path.to_path_buf(),
    })?;
    let manifest = parse_manifest(&bytes, path)?;
    compare(&origin, &manifest, &sums, &have, &mut findings);
    Ok(OutputCheck {
        path: path.to_path_buf(),
        files: have.len(),
        findings,
    })
}

/// A bundle entry's bytes could not be read: damage inside the bundle (a bad CRC, corrupt
/// data) is a zip error, anything else a read error.
fn entry_err(path: &Path, e: io::Error) -> OutputError {
    match e.downcast::<crate::formats::FormatError>() {
        Ok(crate::formats::FormatError::Zip(source)) => OutputError::Zip {
            path: path.to_path_buf(),
            source,
        },
        Ok(other) => OutputError::Read {
            path: path.to_path_buf(),
            source: other.into_io(),
        },
        Err(source) => OutputError::Read {
            path: path.to_path_buf(),
            source,
        },
    }
}

/// What a built folder holds: its regular files (relative `/`-path, path, identity) and
/// whatever is neither a regular file nor a folder (relative path, what it is), each sorted.
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<(String, PathBuf, Listed)>,
    pub odd: Vec<(String, &'static str)>,
}

/// Lists `root` without following any link (a link to a folder is not walked into).
pub fn listing(root: &Path) -> io::Result<Listing> {
    fn walk(root: &Path, dir: &Path, out: &mut Listing) -> io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path)?;
            let rel = path
                .strip_prefix(root)
                .map_err(io::Error::other)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if meta.is_dir() {
                walk(root, &path, out)?;
            } else if meta.is_file() {
                out.files.push((rel, path, Listed::of(&meta)));
            } else {
                let kind = crate::formats::open::not_regular(&meta).unwrap_or("special file");
                out.odd.push((rel, kind));
            }
        }
        Ok(())
    }
    let mut out = Listing::default();
    walk(root, root, &mut out)?;
    out.files.sort_by(|a, b| a.0.cmp(&b.0));
    out.odd.sort();
    Ok(out)
}

/// Every regular file below `root` (slipway's own output), as (relative `/`-path, path,
/// identity), sorted; anything else there is an error.
pub fn files_below(root: &Path) -> io::Result<Vec<(String, PathBuf, Listed)>> {
    let listing = listing(root)?;
    if let Some((rel, kind)) = listing.odd.first() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{rel} is a {kind}, not a file slipway wrote"),
        ));
    }
    Ok(listing.files)
}
