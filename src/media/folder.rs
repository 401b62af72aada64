//! Copies a media folder into the build's staging tree: every name through the one path
//! checker and the collision rule, the budgets charged, every byte hashed in the one pass that
//! copies it (or, where the filesystem clones files, in the one pass that reads it).
//!
//! Only directories and regular files are taken: a symbolic link, a device or a socket in
//! setup media is refused (a link could point outside the medium).

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::Digest as _;

use crate::extract::limits::{BudgetExceeded, Limits};
use crate::extract::safe_path::SafePath;
use crate::extract::{Error, Progress};
use crate::model::{Origin, OriginStep, Sha256};

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

struct Walk<'a> {
    root: &'a Path,
    dest: &'a Path,
    limits: Limits,
    progress: &'a dyn Progress,
    interrupt: &'a AtomicBool,
    entries: u64,
    bytes: u64,
    /// Collision keys of every path taken, with the path that took it.
    seen: HashMap<String, String>,
    out: Vec<Copied>,
}

/// Copies the folder `root` into `dest` (which exists and is empty).
pub(super) fn copy_tree(
    root: &Path,
    dest: &Path,
    limits: Limits,
    progress: &dyn Progress,
    interrupt: &AtomicBool,
) -> Result<Vec<Copied>, Error> {
    let mut walk = Walk {
        root,
        dest,
        limits,
        progress,
        interrupt,
        entries: 0,
        bytes: 0,
        seen: HashMap::new(),
        out: Vec::new(),
    };
    walk.dir(root, &[])?;
    walk.out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(walk.out)
}

impl Walk<'_> {
    fn origin(&self, rel: &str) -> Origin {
        Origin::input(self.root).child(OriginStep::Member(rel.to_owned()))
    }

    fn read_err(&self, path: &Path, source: io::Error) -> Error {
        Error::Read {
            origin: Origin::input(path),
            source,
        }
    }

    fn dir(&mut self, dir: &Path, rel: &[String]) -> Result<(), Error> {
        if rel.len() > MAX_DEPTH {
            return Err(Error::Budget {
                origin: self.origin(&rel.join("/")),
                source: BudgetExceeded::Depth {
                    limit: u32::try_from(MAX_DEPTH).unwrap_or(u32::MAX),
                },
            });
        }
        let mut names: Vec<(String, PathBuf)> = Vec::new();
        for entry in fs::read_dir(dir).map_err(|e| self.read_err(dir, e))? {
            let entry = entry.map_err(|e| self.read_err(dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            names.push((name, entry.path()));
        }
        // Sorted: the same medium gives the same copy, whatever order the filesystem lists.
        names.sort();
        for (name, path) in names {
            if self.interrupt.load(Ordering::Relaxed) {
                return Err(Error::Interrupted);
            }
            let mut parts = rel.to_vec();
            parts.push(name);
            let joined = parts.join("/");
            let meta = fs::symlink_metadata(&path).map_err(|e| self.read_err(&path, e))?;
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
                self.dir(&path, &parts)?;
            } else if meta.is_file() {
                self.file(&path, &target, joined, meta.len())?;
            } else {
                return Err(Error::NotAFile {
                    origin: self.origin(&joined),
                    kind: if meta.file_type().is_symlink() {
                        "symbolic link"
                    } else {
                        "special file"
                    },
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

    fn file(&mut self, src: &Path, target: &Path, rel: String, len: u64) -> Result<(), Error> {
        self.charge(&rel, len)?;
        let write_err = |source| Error::Write {
            path: target.to_path_buf(),
            source,
        };
        let mut from = File::open(src).map_err(|e| self.read_err(src, e))?;
        let to = File::create_new(target).map_err(write_err)?;
        // A clone shares the medium's blocks until one side is written: no bytes written,
        // and editing OUT cannot change the medium (unlike a hard link).
        let cloned = reflink_copy::reflink_file(&from, &to).is_ok();
        let mut writer = (!cloned).then(|| io::BufWriter::with_capacity(CHUNK, to));
        let mut hasher = sha2::Sha256::new();
        let mut buf = vec![0u8; CHUNK];
        let mut size = 0u64;
        loop {
            if self.interrupt.load(Ordering::Relaxed) {
                return Err(Error::Interrupted);
            }
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.read_err(src, e)),
            };
            hasher.update(&buf[..n]);
            if let Some(w) = writer.as_mut() {
                w.write_all(&buf[..n]).map_err(write_err)?;
            }
            size += n as u64;
            self.progress.bytes(n as u64);
        }
        if let Some(w) = writer {
            w.into_inner().map_err(|e| write_err(e.into_error()))?;
        }
        // A file that changed size while it was copied is not the medium that was judged.
        if size != len {
            return Err(self.read_err(
                src,
                io::Error::other(format!(
                    "changed while it was copied ({len} bytes, then {size})"
                )),
            ));
        }
        self.progress.entry();
        self.out.push(Copied {
            path: rel,
            size,
            sha256: Sha256(hasher.finalize().into()),
            written: if cloned { 0 } else { size },
        });
        Ok(())
    }
}
