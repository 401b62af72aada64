//! Copies a media folder into the build's staging tree: every name through the one path
//! checker and the collision rule, the budgets charged, every byte hashed in the one pass that
//! copies it (or, where the filesystem clones files, in the one pass that reads it).
//!
//! Only directories and regular files are taken: a symbolic link, a device or a socket in
//! setup media is refused (a link could point outside the medium). The copy opens each file
//! through the one opener ([`crate::formats::open::open_regular`]): never through a link,
//! never a FIFO, and only the file the listing saw (same device, inode and size) — a file
//! swapped for a link or a FIFO between the listing and the copy is refused, nothing of it
//! read.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use sha2::Digest as _;

use crate::extract::limits::{BudgetExceeded, Limits};
use crate::extract::{Error, Progress};
use crate::formats::open::{Listed, open_regular};
use crate::model::{Origin, OriginStep, Sha256};
use crate::safe_path::SafePath;

/// Directory levels below the medium's root (as deep as the disc reader allows).
const MAX_DEPTH: usize = crate::formats::disc::MAX_DEPTH as usize;
/// Bytes copied per read.
const CHUNK: usize = 1 << 20;

/// One file copied.
#[derive(Debug)]
pub(super) struct Copied {
    /// Relative to the medium's root, `/`-separated, as on the medium.
    pub path: String,
    pub size: u64,
    pub sha256: Sha256,
    /// Bytes written (0 when the filesystem cloned the file).
    pub written: u64,
}

/// A file to copy, found by the listing pass.
struct Job {
    src: PathBuf,
    target: PathBuf,
    rel: String,
    /// The file as listed: the copy opens only this very file.
    listed: Listed,
    /// Its folder, in [`Walk::dirs`].
    dir: usize,
}

/// A folder of the medium as listed: its path, identity and parent (an index).
struct Dir {
    path: PathBuf,
    listed: Listed,
    parent: Option<usize>,
}

/// Checks that the folder `at` and every folder above it is still the one listed (not
/// replaced by a link or another folder): a file is opened by its path, and each folder on
/// that path must be the listed one. The medium's root is looked at through a link (it is
/// named on the command line), every folder below it without following one.
fn folders_unchanged(root: &Path, dirs: &[Dir], at: usize) -> Result<(), Error> {
    let mut next = Some(at);
    while let Some(i) = next {
        let d = &dirs[i];
        let meta = if d.parent.is_none() {
            fs::metadata(&d.path)
        } else {
            fs::symlink_metadata(&d.path)
        }
        .map_err(|e| read_err(&d.path, e))?;
        let what = if meta.is_dir() {
            d.listed.differs(&Listed::of(&meta))
        } else {
            Some("no longer a folder".to_owned())
        };
        if let Some(what) = what {
            let rel = d.path.strip_prefix(root).unwrap_or(&d.path);
            return Err(Error::Changed {
                origin: origin_of(root, &rel.to_string_lossy().replace('\\', "/")),
                what,
            });
        }
        next = d.parent;
    }
    Ok(())
}

/// Tests only: a function called with each file's path after the listing and before the
/// copy opens it, so that a test can swap the file in that window. Never set otherwise.
static COPY_HOOK: Mutex<Option<fn(&Path)>> = Mutex::new(None);

/// Sets (or clears) the hook called between the listing and the copy of every media file
/// (for the regression tests of the listing-to-copy race; see [`COPY_HOOK`]).
#[doc(hidden)]
pub fn set_copy_hook(hook: Option<fn(&Path)>) {
    *COPY_HOOK.lock().unwrap_or_else(PoisonError::into_inner) = hook;
}

struct Walk<'a> {
    root: &'a Path,
    dest: &'a Path,
    limits: Limits,
    interrupt: &'a AtomicBool,
    entries: u64,
    bytes: u64,
    /// Collision keys of every path taken, with the path that took it.
    seen: HashMap<String, String>,
    dirs: Vec<Dir>,
    jobs: Vec<Job>,
}

/// Copies the folder `root` into `dest` (which exists and is empty): first every name is
/// checked, every folder created and the budgets charged with the sizes listed (nothing is
/// copied from a medium that would be refused), then the files are copied by `threads`
/// workers side by side, each file read once.
pub(super) fn copy_tree(
    root: &Path,
    dest: &Path,
    limits: Limits,
    threads: usize,
    progress: &dyn Progress,
    interrupt: &AtomicBool,
) -> Result<Vec<Copied>, Error> {
    let mut walk = Walk {
        root,
        dest,
        limits,
        interrupt,
        entries: 0,
        bytes: 0,
        seen: HashMap::new(),
        dirs: vec![Dir {
            path: root.to_path_buf(),
            listed: Listed::of(&fs::metadata(root).map_err(|e| read_err(root, e))?),
            parent: None,
        }],
        jobs: Vec::new(),
    };
    walk.dir(0, &[])?;
    let (jobs, dirs) = (walk.jobs, walk.dirs);
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<Copied, Error>>>> =
        Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| {
                let mut buf = vec![0u8; CHUNK];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    if failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = copy_file(root, &dirs, job, &mut buf, progress, interrupt);
                    if r.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(r);
                    }
                }
            });
        }
    });
    let mut out = Vec::with_capacity(jobs.len());
    // In listing order: the first failure is the one reported, whatever the timing.
    for r in results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
    {
        out.push(r?);
    }
    if out.len() != jobs.len() {
        return Err(Error::Interrupted);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn origin_of(root: &Path, rel: &str) -> Origin {
    Origin::input(root).child(OriginStep::Member(rel.to_owned()))
}

fn read_err(path: &Path, source: io::Error) -> Error {
    Error::Read {
        origin: Origin::input(path),
        source,
    }
}

impl Walk<'_> {
    fn origin(&self, rel: &str) -> Origin {
        origin_of(self.root, rel)
    }

    /// Lists the folder `self.dirs[at]` (at `rel` below the root), and the folders below it.
    fn dir(&mut self, at: usize, rel: &[String]) -> Result<(), Error> {
        let dir = self.dirs[at].path.clone();
        let dir = dir.as_path();
        if rel.len() > MAX_DEPTH {
            return Err(Error::Budget {
                origin: self.origin(&rel.join("/")),
                source: BudgetExceeded::Depth {
                    limit: u32::try_from(MAX_DEPTH).unwrap_or(u32::MAX),
                },
            });
        }
        let mut names: Vec<(String, PathBuf)> = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| read_err(dir, e))? {
            let entry = entry.map_err(|e| read_err(dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            names.push((name, entry.path()));
        }
        // What was listed is this folder's (not a link's target that took its place).
        folders_unchanged(self.root, &self.dirs, at)?;
        // Sorted: the same medium gives the same copy, whatever order the filesystem lists.
        names.sort();
        for (name, path) in names {
            if self.interrupt.load(Ordering::Relaxed) {
                return Err(Error::Interrupted);
            }
            let mut parts = rel.to_vec();
            parts.push(name);
            let joined = parts.join("/");
            let meta = fs::symlink_metadata(&path).map_err(|e| read_err(&path, e))?;
            let is_dir = meta.is_dir();
            let safe = SafePath::new(&joined, is_dir).map_err(|reason| Error::UnsafeName {
                origin: self.origin(&joined),
                name: joined.clone(),
                reason,
            })?;
            if let Some(existing) = self.seen.insert(safe.collision_key(), joined.clone()) {
                return Err(Error::Collision {
                    origin: self.origin(&joined),
                    existing_origin: self.origin(&existing),
                    path: joined,
                    existing,
                });
            }
            self.entries += 1;
            if self.entries > self.limits.max_entries {
                return Err(Error::Budget {
                    origin: self.origin(&joined),
                    source: BudgetExceeded::Entries {
                        limit: self.limits.max_entries,
                    },
                });
            }
            let target = safe.under(self.dest);
            if is_dir {
                fs::create_dir(&target).map_err(|source| Error::Write {
                    path: target.clone(),
                    source,
                })?;
                self.dirs.push(Dir {
                    path,
                    listed: Listed::of(&meta),
                    parent: Some(at),
                });
                self.dir(self.dirs.len() - 1, &parts)?;
            } else if meta.is_file() {
                self.charge(&joined, meta.len())?;
                self.jobs.push(Job {
                    src: path,
                    target,
                    rel: joined,
                    listed: Listed::of(&meta),
                    dir: at,
                });
            } else {
                return Err(Error::NotAFile {
                    origin: self.origin(&joined),
                    kind: crate::formats::open::not_regular(&meta).unwrap_or("special file"),
                });
            }
        }
        Ok(())
    }

    fn charge(&mut self, rel: &str, n: u64) -> Result<(), Error> {
        self.bytes += n;
        let over = if n > self.limits.max_entry_bytes {
            Some(BudgetExceeded::EntryBytes {
                limit: self.limits.max_entry_bytes,
            })
        } else if self.bytes > self.limits.max_total_bytes {
            Some(BudgetExceeded::TotalBytes {
                limit: self.limits.max_total_bytes,
            })
        } else {
            None
        };
        match over {
            Some(source) => Err(Error::Budget {
                origin: self.origin(rel),
                source,
            }),
            None => Ok(()),
        }
    }
}

/// Copies one file, hashing every byte in the pass that reads it; a clone (where the
/// filesystem makes one) is hashed in the pass that reads the medium.
fn copy_file(
    root: &Path,
    dirs: &[Dir],
    job: &Job,
    buf: &mut [u8],
    progress: &dyn Progress,
    interrupt: &AtomicBool,
) -> Result<Copied, Error> {
    let (src, target) = (&job.src, &job.target);
    let write_err = |source| Error::Write {
        path: target.clone(),
        source,
    };
    let hook = *COPY_HOOK.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(hook) = hook {
        hook(src);
    }
    // The file itself is opened race-free (no link, no FIFO, the listed inode); the folders
    // on its path are checked before and after, as std cannot open relative to a folder.
    folders_unchanged(root, dirs, job.dir)?;
    let mut from = open_regular(src, Some(&job.listed))
        .map_err(|e| Error::opening(&origin_of(root, &job.rel), e))?;
    folders_unchanged(root, dirs, job.dir)?;
    let to = File::create_new(target).map_err(write_err)?;
    // A clone shares the medium's blocks until one side is written: no bytes written, and
    // editing OUT cannot change the medium (unlike a hard link).
    let cloned = reflink_copy::reflink_file(&from, &to).is_ok();
    let mut writer = (!cloned).then_some(to);
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    loop {
        if interrupt.load(Ordering::Relaxed) {
            return Err(Error::Interrupted);
        }
        let n = match from.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(src, e)),
        };
        hasher.update(&buf[..n]);
        if let Some(w) = writer.as_mut() {
            w.write_all(&buf[..n]).map_err(write_err)?;
        }
        size += n as u64;
        progress.bytes(n as u64);
    }
    // A file that changed size while it was copied is not the medium that was judged.
    if size != job.listed.len {
        return Err(Error::Changed {
            origin: origin_of(root, &job.rel),
            what: format!("{} bytes listed, {size} read", job.listed.len),
        });
    }
    progress.entry();
    Ok(Copied {
        path: job.rel.clone(),
        size,
        sha256: Sha256(hasher.finalize().into()),
        written: if cloned { 0 } else { size },
    })
}
