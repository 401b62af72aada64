//! Writes members below the staging folder: path check, collision check, budgets, hashing,
//! and (with `--recursive`) unpacking of nested containers beside the member.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use super::limits::{BudgetExceeded, Limits};
use super::safe_path::SafePath;
use super::writer::{FileId, Writers, Written};
use super::{Member, Note, Options, Progress};
use crate::error::Error;
use crate::formats::payload::{DirVolumes, FileSource, Payload, unpack};
use crate::formats::{Entry, EntrySink, FormatError, SNIFF_LEN, sniff};
use crate::model::{Origin, Sha256};

/// Largest chunk handed to a writer: large enough that per-call costs vanish, small enough
/// for the memory budget (a few queued chunks per writer thread).
const CHUNK: usize = 256 * 1024;

/// Smallest read buffer (for members that declare 0 bytes but may lie).
const MIN_CHUNK: usize = 4096;

/// The suffix of the folder a nested container is unpacked into.
pub const EXTRACTED_SUFFIX: &str = ".extracted";

/// What occupies a (case-folded) path below the output directory.
#[derive(Debug)]
enum Taken {
    Dir {
        /// The spelling first used, which later members with other case reuse.
        path: String,
    },
    File {
        path: String,
        size: u64,
        /// Index into the run's members (whose hash arrives when its write ends).
        member: usize,
        /// The write that produces it.
        ticket: FileId,
        origin: Origin,
    },
}

/// State shared by every sink of one run.
pub(super) struct RunState<'a> {
    root: PathBuf,
    limits: Limits,
    recursive: bool,
    progress: &'a dyn Progress,
    interrupt: &'a AtomicBool,
    pub(super) total_bytes: u64,
    entries: u64,
    taken: HashMap<String, Taken>,
    made_dirs: HashSet<String>,
    pub(super) members: Vec<Member>,
    notes: Vec<Note>,
    writers: Writers,
    /// Which member a writer ticket belongs to (its hash is filled in when the write ends).
    member_of: HashMap<FileId, usize>,
    scratch_counter: u64,
}

impl std::fmt::Debug for RunState<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunState")
            .field("root", &self.root)
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

impl<'a> RunState<'a> {
    pub(super) fn new(
        root: &Path,
        opts: &Options,
        progress: &'a dyn Progress,
        interrupt: &'a AtomicBool,
    ) -> Self {
        RunState {
            root: root.to_path_buf(),
            limits: opts.limits,
            recursive: opts.recursive,
            progress,
            interrupt,
            total_bytes: 0,
            entries: 0,
            taken: HashMap::new(),
            made_dirs: HashSet::new(),
            members: Vec::new(),
            notes: Vec::new(),
            writers: Writers::new(),
            member_of: HashMap::new(),
            scratch_counter: 0,
        }
    }

    /// Waits for every write; returns the members (with their hashes) and notes, or the
    /// first write error.
    pub(super) fn finish(mut self) -> Result<(Vec<Member>, Vec<Note>), Error> {
        let mut first_error = None;
        let mut results = self.writers.finish();
        results.sort_by_key(|(id, _)| *id);
        for (id, written) in results {
            if let Err(e) = self.record(id, written) {
                first_error.get_or_insert(e);
            }
        }
        // Every member's write must have reported (a writer thread that died would leave its
        // files unhashed and perhaps half-written).
        if first_error.is_none()
            && let Some(&index) = self.member_of.values().min()
        {
            first_error = Some(Error::Write {
                path: self.root.join(&self.members[index].path),
                source: io::Error::other("the writer thread stopped before finishing this file"),
            });
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok((self.members, self.notes)),
        }
    }

    /// Stores a finished write's hash in its member, or turns a failed write into an error.
    fn record(&mut self, id: FileId, written: Written) -> Result<(), Error> {
        match written {
            Written::Ok { sha256, .. } => {
                if let Some(index) = self.member_of.remove(&id) {
                    self.members[index].sha256 = sha256;
                }
                Ok(())
            }
            Written::Failed { path, source } => Err(Error::Write { path, source }),
        }
    }

    /// Collects the writes that have finished, failing fast on a write error.
    fn collect_finished(&mut self) -> Result<(), Error> {
        for (id, written) in self.writers.poll() {
            self.record(id, written)?;
        }
        Ok(())
    }

    /// The hash of a member, waiting for its write if it is still under way.
    fn hash_of(&mut self, member: usize, ticket: FileId) -> Result<Sha256, Error> {
        if self.member_of.contains_key(&ticket) {
            let written = self.writers.wait(ticket);
            self.record(ticket, written)?;
        }
        Ok(self.members[member].sha256)
    }

    /// Waits for one write; returns its size and hash.
    fn wait_written(&mut self, id: FileId) -> Result<(u64, Sha256), Error> {
        match self.writers.wait(id) {
            Written::Ok { size, sha256 } => Ok((size, sha256)),
            Written::Failed { path, source } => Err(Error::Write { path, source }),
        }
    }

    fn budget(origin: &Origin, source: BudgetExceeded) -> Error {
        Error::Budget {
            origin: origin.clone(),
            source,
        }
    }

    /// Registers (and creates) every folder on the way to `path`; returns the on-disk relative
    /// spelling of the parent (folders first seen with another case keep that spelling).
    fn ensure_parents(&mut self, path: &SafePath, origin: &Origin) -> Result<String, Error> {
        let parts = path.components();
        let mut spelled = String::new();
        let mut key = String::new();
        for part in &parts[..parts.len().saturating_sub(1)] {
            if !key.is_empty() {
                key.push('/');
            }
            key.push_str(&part.trim_end_matches(['.', ' ']).to_lowercase());
            spelled = match self.taken.get(&key) {
                Some(Taken::Dir { path }) => path.clone(),
                Some(Taken::File {
                    path: existing,
                    origin: existing_origin,
                    ..
                }) => {
                    return Err(Error::Collision {
                        origin: origin.clone(),
                        path: path.to_string(),
                        existing: existing.clone(),
                        existing_origin: existing_origin.clone(),
                    });
                }
                None => {
                    let p = if spelled.is_empty() {
                        part.clone()
                    } else {
                        format!("{spelled}/{part}")
                    };
                    self.taken
                        .insert(key.clone(), Taken::Dir { path: p.clone() });
                    p
                }
            };
        }
        if !spelled.is_empty() && !self.made_dirs.contains(&spelled) {
            let dir = self.root.join(&spelled);
            fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir, source })?;
            self.made_dirs.insert(spelled.clone());
        }
        Ok(spelled)
    }

    /// Streams `data` to the writer of ticket `id` (which hashes and writes it), under the
    /// size budgets. Returns the number of bytes and the first bytes (for sniffing).
    fn send(
        &mut self,
        data: &mut dyn Read,
        declared: u64,
        origin: &Origin,
    ) -> Result<(u64, Vec<u8>), Error> {
        let mut size: u64 = 0;
        let mut head = Vec::new();
        loop {
            if self.interrupt.load(Ordering::Relaxed) {
                return Err(Error::Interrupted);
            }
            let want = usize::try_from(declared.saturating_sub(size))
                .unwrap_or(CHUNK)
                .clamp(MIN_CHUNK, CHUNK);
            let mut chunk = self.writers.buffer(want);
            chunk.resize(want, 0);
            let mut filled = 0;
            while filled < chunk.len() {
                match data.read(&mut chunk[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Error::reading(origin, e)),
                }
            }
            if filled == 0 {
                break;
            }
            chunk.truncate(filled);
            size += filled as u64;
            if size > self.limits.max_entry_bytes {
                return Err(Self::budget(
                    origin,
                    BudgetExceeded::EntryBytes {
                        limit: self.limits.max_entry_bytes,
                    },
                ));
            }
            if self.total_bytes + size > self.limits.max_total_bytes {
                return Err(Self::budget(
                    origin,
                    BudgetExceeded::TotalBytes {
                        limit: self.limits.max_total_bytes,
                    },
                ));
            }
            if head.len() < SNIFF_LEN {
                let take = (SNIFF_LEN - head.len()).min(filled);
                head.extend_from_slice(&chunk[..take]);
            }
            self.progress.bytes(filled as u64);
            self.writers.write(chunk);
        }
        Ok((size, head))
    }

    /// A path for a member that must be compared with an earlier one before it is kept.
    fn scratch_path(&mut self) -> PathBuf {
        loop {
            self.scratch_counter += 1;
            let path = self
                .root
                .join(format!(".slipway-dup-{}", self.scratch_counter));
            if !path.exists() {
                return path;
            }
        }
    }
}

/// Writes a container's members below `base` (relative to the staging root).
pub(super) struct DirSink<'s, 'a> {
    state: &'s mut RunState<'a>,
    base: Option<SafePath>,
    depth: u32,
}

impl std::fmt::Debug for DirSink<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirSink")
            .field("base", &self.base)
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

impl<'s, 'a> DirSink<'s, 'a> {
    pub(super) fn new(state: &'s mut RunState<'a>, base: Option<SafePath>, depth: u32) -> Self {
        DirSink { state, base, depth }
    }

    fn checked(&self, entry: &Entry<'_>, is_dir: bool) -> Result<SafePath, Error> {
        let rel = SafePath::new(entry.name, is_dir).map_err(|reason| Error::UnsafeName {
            origin: entry.origin.clone(),
            name: entry.name.to_owned(),
            reason,
        })?;
        Ok(match &self.base {
            Some(base) => base.join(&rel),
            None => rel,
        })
    }

    fn count_entry(&mut self, origin: &Origin) -> Result<(), Error> {
        self.state.entries += 1;
        if self.state.entries > self.state.limits.max_entries {
            return Err(RunState::budget(
                origin,
                BudgetExceeded::Entries {
                    limit: self.state.limits.max_entries,
                },
            ));
        }
        Ok(())
    }

    /// Unpacks the staged member at `rel` into `rel.extracted/` when it is a container.
    fn unpack_nested(
        &mut self,
        rel: &str,
        safe: &SafePath,
        origin: &Origin,
        head: &[u8],
    ) -> Result<bool, Error> {
        let format = sniff(head);
        if !format.is_container() {
            return Ok(false);
        }
        if self.depth + 1 > self.state.limits.max_depth {
            return Err(RunState::budget(
                origin,
                BudgetExceeded::Depth {
                    limit: self.state.limits.max_depth,
                },
            ));
        }
        let target = safe.with_suffix(EXTRACTED_SUFFIX);
        if let Some(taken) = self.state.taken.get(&target.collision_key()) {
            let (existing, existing_origin) = match taken {
                Taken::Dir { path } => (path.clone(), origin.clone()),
                Taken::File { path, origin, .. } => (path.clone(), origin.clone()),
            };
            return Err(Error::Collision {
                origin: origin.clone(),
                path: target.to_string(),
                existing,
                existing_origin,
            });
        }
        let on_disk = self.state.root.join(rel);
        let mut volumes = DirVolumes::beside(&on_disk);
        let before = self.state.members.len();
        let mut nested = DirSink {
            state: &mut *self.state,
            base: Some(target),
            depth: self.depth + 1,
        };
        match unpack(
            &FileSource(&on_disk),
            format,
            origin,
            &mut volumes,
            &mut nested,
        )? {
            Payload::Extracted => Ok(true),
            Payload::None(_) => {
                debug_assert_eq!(self.state.members.len(), before);
                Ok(false)
            }
        }
    }
}

impl EntrySink for DirSink<'_, '_> {
    fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), Error> {
        self.check_interrupt()?;
        let origin = entry.origin;
        let safe = self.checked(entry, false)?;
        self.count_entry(origin)?;
        let limits = self.state.limits;
        if entry.size > limits.max_entry_bytes {
            return Err(RunState::budget(
                origin,
                BudgetExceeded::EntryBytes {
                    limit: limits.max_entry_bytes,
                },
            ));
        }
        if self.state.total_bytes.saturating_add(entry.size) > limits.max_total_bytes {
            return Err(RunState::budget(
                origin,
                BudgetExceeded::TotalBytes {
                    limit: limits.max_total_bytes,
                },
            ));
        }
        let parent = self.state.ensure_parents(&safe, origin)?;
        let last = safe.components().last().cloned().unwrap_or_default();
        let rel = if parent.is_empty() {
            last
        } else {
            format!("{parent}/{last}")
        };
        let key = safe.collision_key();
        let existing = match self.state.taken.get(&key) {
            None => None,
            Some(Taken::Dir { path }) => {
                return Err(Error::Collision {
                    origin: origin.clone(),
                    path: safe.to_string(),
                    existing: path.clone(),
                    existing_origin: origin.clone(),
                });
            }
            Some(Taken::File {
                path,
                size,
                member,
                ticket,
                origin: first,
            }) => Some((path.clone(), *size, (*member, *ticket), first.clone())),
        };
        let disk_path = if existing.is_some() {
            self.state.scratch_path()
        } else {
            self.state.root.join(&rel)
        };
        let id = self.state.writers.open(disk_path.clone());
        let sent = self.state.send(data, entry.size, origin);
        self.state.writers.close();
        let (size, head) = match sent {
            Ok(s) => s,
            Err(e) => {
                // The run fails and its staging is removed; let the writer finish first.
                let _ = self.state.writers.wait(id);
                return Err(e);
            }
        };
        if size != entry.size {
            let _ = self.state.writers.wait(id);
            return Err(Error::format(
                origin,
                FormatError::SizeMismatch {
                    declared: entry.size,
                    actual: size,
                },
            ));
        }
        if let Some((path, first_size, (first_member, first_ticket), first_origin)) = existing {
            let (_, sha256) = self.state.wait_written(id)?;
            fs::remove_file(&disk_path).map_err(|source| Error::Write {
                path: disk_path.clone(),
                source,
            })?;
            let first_sha = self.state.hash_of(first_member, first_ticket)?;
            if (first_size, first_sha) == (size, sha256) {
                self.state.notes.push(Note::DuplicateIdentical {
                    path,
                    origin: origin.clone(),
                });
                return Ok(());
            }
            return Err(Error::Collision {
                origin: origin.clone(),
                path: safe.to_string(),
                existing: path,
                existing_origin: first_origin,
            });
        }
        self.state.total_bytes += size;
        let index = self.state.members.len();
        self.state.taken.insert(
            key,
            Taken::File {
                path: rel.clone(),
                size,
                member: index,
                ticket: id,
                origin: origin.clone(),
            },
        );
        self.state.members.push(Member {
            path: rel.clone(),
            size,
            sha256: Sha256([0; 32]),
            origin: origin.clone(),
            unpacked: false,
        });
        self.state.member_of.insert(id, index);
        self.state.progress.entry();
        if self.state.recursive && sniff(&head).is_container() {
            // The nested container is read back from disk: wait until it is all there.
            let written = self.state.writers.wait(id);
            self.state.record(id, written)?;
            if self.unpack_nested(&rel, &safe, origin, &head)? {
                self.state.members[index].unpacked = true;
            }
        }
        self.state.collect_finished()
    }

    fn directory(&mut self, entry: &Entry<'_>) -> Result<(), Error> {
        self.check_interrupt()?;
        let safe = self.checked(entry, true)?;
        self.count_entry(entry.origin)?;
        // Registering a dummy child makes `ensure_parents` create and record the folder itself.
        let child = safe.join(
            &SafePath::component("x").map_err(|reason| Error::UnsafeName {
                origin: entry.origin.clone(),
                name: entry.name.to_owned(),
                reason,
            })?,
        );
        self.state.ensure_parents(&child, entry.origin)?;
        Ok(())
    }

    fn check_interrupt(&self) -> Result<(), Error> {
        if self.state.interrupt.load(Ordering::Relaxed) {
            Err(Error::Interrupted)
        } else {
            Ok(())
        }
    }
}
