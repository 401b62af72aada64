//! `verify OUT` and `verify BUNDLE.zip`: every file of a built folder or bundle re-hashed
//! against its install manifest and `SHA256SUMS`, which must agree with each other; missing,
//! modified and extra files named.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::findings::{Finding, FindingKind};
use crate::model::manifest::{InstallManifest, MANIFEST, SUMS};
use crate::model::{Origin, Sha256};

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
    #[error("{}: not a zip archive", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    /// Ctrl-C or SIGTERM while re-hashing.
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
    /// SHA-256 of everything `r` yields, counting the bytes and stopping at an interrupt
    /// (between two blocks of 256 KiB, well within a second).
    fn hash(&self, name: &str, r: &mut dyn Read) -> Result<Sha256, io::Error> {
        self.progress.input(Path::new(name));
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            if self.interrupt.load(std::sync::atomic::Ordering::Relaxed) {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = r.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            self.progress.bytes(n as u64);
        }
        self.progress.entry();
        Ok(Sha256(hasher.finalize().into()))
    }
}

/// An I/O error while hashing, or the interrupt.
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

/// Compares what is present (path → SHA-256) with what the manifest and `SHA256SUMS` record,
/// and the two records with each other.
fn compare(
    origin: &Origin,
    manifest: &InstallManifest,
    sums: Option<&str>,
    have: &BTreeMap<String, Sha256>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut push = |kind| findings.push(Finding::new(origin, kind));
    let placed: BTreeMap<String, Sha256> = manifest.placed_files().collect();
    let mut want: BTreeMap<String, Sha256> = placed.clone();
    // SHA256SUMS is what vouches for the manifest itself and what a server checks: it must
    // list every placed file with the manifest's digest, and the manifest.
    match sums {
        None => push(FindingKind::OutputMissing {
            file: SUMS.to_owned(),
        }),
        Some(text) => {
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
    findings
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

/// Re-hashes every file of a built folder against its install manifest and SHA256SUMS.
pub fn check_folder(dir: &Path, watch: Watch<'_>) -> Result<OutputCheck, OutputError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Read { path, source }
    };
    let manifest_path = dir.join(MANIFEST);
    if !manifest_path.is_file() {
        return Err(OutputError::NoManifest {
            path: dir.to_path_buf(),
        });
    }
    let bytes = read_record(
        &mut File::open(&manifest_path).map_err(read_err(&manifest_path))?,
        &manifest_path,
        MANIFEST,
    )?;
    let manifest = parse_manifest(&bytes, &manifest_path)?;
    let sums_path = dir.join(SUMS);
    let sums = match File::open(&sums_path) {
        Ok(mut f) => Some(read_record(&mut f, &sums_path, SUMS)?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(read_err(&sums_path)(e)),
    };
    let sums = sums.map(|b| String::from_utf8_lossy(&b).into_owned());
    let mut have = BTreeMap::new();
    for (rel, path) in files_below(dir).map_err(read_err(dir))? {
        let mut f = File::open(&path).map_err(read_err(&path))?;
        let sha = watch.hash(&rel, &mut f).map_err(hashing(&path))?;
        have.insert(rel, sha);
    }
    let origin = Origin::input(dir);
    Ok(OutputCheck {
        path: dir.to_path_buf(),
        files: have.len(),
        findings: compare(&origin, &manifest, sums.as_deref(), &have),
    })
}

/// Re-hashes every entry of a bundle against the install manifest and SHA256SUMS inside it.
pub fn check_bundle(path: &Path, watch: Watch<'_>) -> Result<OutputCheck, OutputError> {
    let zip_err = |source| OutputError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let read_err = |source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(read_err)?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
    let mut have = BTreeMap::new();
    let mut manifest_bytes = None;
    let mut sums_text = None;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zip_err)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map_err(zip_err)?.into_owned();
        if name == MANIFEST || name == SUMS {
            let which = if name == MANIFEST { MANIFEST } else { SUMS };
            let buf = read_record(&mut entry, path, which)?;
            have.insert(name.clone(), Sha256(sha2::Sha256::digest(&buf).into()));
            if name == MANIFEST {
                manifest_bytes = Some(buf);
            } else {
                sums_text = Some(String::from_utf8_lossy(&buf).into_owned());
            }
            continue;
        }
        let sha = watch.hash(&name, &mut entry).map_err(hashing(path))?;
        have.insert(name, sha);
    }
    let bytes = manifest_bytes.ok_or_else(|| OutputError::NoManifest {
        path: path.to_path_buf(),
    })?;
    let manifest = parse_manifest(&bytes, path)?;
    let origin = Origin::input(path);
    Ok(OutputCheck {
        path: path.to_path_buf(),
        files: have.len(),
        findings: compare(&origin, &manifest, sums_text.as_deref(), &have),
    })
}

/// Every regular file below `root`, as (relative `/`-path, absolute path), sorted.
pub fn files_below(root: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(root, &path, out)?;
            } else if kind.is_file() {
                let rel = path
                    .strip_prefix(root)
                    .map_err(io::Error::other)?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, path));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort();
    Ok(out)
}
