//! The output tree of `extract`: every member a file at its checked path, written and hashed
//! by background writers, names colliding case-insensitively written once when their bytes
//! are the same and refused when not.

use std::collections::HashMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::error::Error;
use super::flow::{Fail, Meter, Out};
use super::names::{Digest, Names};
use super::writer::{FileId, Writers, Written};
use super::{Member, Note};
use crate::formats::payload::Digests;
use crate::formats::{Entry, FormatError, ReadError};
use crate::model::{Origin, Sha1, Sha256};
use crate::safe_path::SafePath;

/// The files written so far, and the writers still writing.
#[derive(Debug)]
pub(super) struct TreeStore {
    root: PathBuf,
    /// Where members are written before they are compared with an earlier one of the same
    /// name: outside the tree, so no member name can meet a scratch file.
    scratch: PathBuf,
    names: Names,
    writers: Writers,
    members: Vec<Member>,
    notes: Vec<Note>,
    /// Which member a writer ticket belongs to (its hash is filled in when the write ends).
    member_of: HashMap<FileId, usize>,
    /// The write that produces each member.
    tickets: Vec<FileId>,
    scratch_counter: u64,
    /// Bytes of the members written.
    bytes: u64,
    /// The member written last (by the last call to `write`), if that call wrote one.
    last: Option<usize>,
    /// Members written without hashing, whose digest is that of the member they repeat.
    copies: HashMap<usize, usize>,
    /// Whether members are hashed as they are written (off when nobody reads the digests).
    hashing: bool,
}

/// The writers as a place for a member's bytes.
struct ToWriter<'w>(&'w mut Writers);

impl Out for ToWriter<'_> {
    fn buffer(&mut self, want: usize) -> Vec<u8> {
        self.0.buffer(want)
    }

    fn put(&mut self, chunk: Vec<u8>) -> Result<(), Error> {
        self.0.write(chunk);
        Ok(())
    }
}

/// A place that only counts a member's bytes (their file is made otherwise): one buffer,
/// reused for every chunk.
struct Counted(Vec<u8>);

impl Out for Counted {
    fn buffer(&mut self, want: usize) -> Vec<u8> {
        let mut b = std::mem::take(&mut self.0);
        b.resize(want, 0);
        b
    }

    fn put(&mut self, chunk: Vec<u8>) -> Result<(), Error> {
        self.0 = chunk;
        Ok(())
    }
}

impl TreeStore {
    pub(super) fn new(root: &Path, scratch: &Path, threads: usize) -> TreeStore {
        TreeStore {
            root: root.to_path_buf(),
            scratch: scratch.to_path_buf(),
            names: Names::new(Some(root.to_path_buf())),
            writers: Writers::new(threads),
            members: Vec::new(),
            notes: Vec::new(),
            member_of: HashMap::new(),
            tickets: Vec::new(),
            scratch_counter: 0,
            bytes: 0,
            last: None,
            copies: HashMap::new(),
            hashing: true,
        }
    }

    /// Members are no longer hashed as they are written (their digests stay zero): nobody
    /// reads them. Two members that land on one path are still compared by digests: the later
    /// one is hashed as it is written, the earlier one read back from the tree.
    pub(super) fn skip_digests(&mut self) {
        self.hashing = false;
    }

    /// Writes one member at `path`; returns its index among the members and its file, or
    /// `None` when it was the same name and bytes as a member already written (a note).
    /// `again`: its bytes are those of the member handed over just before (the reader says
    /// so); when that member was written here, its digest is reused instead of recomputed.
    pub(super) fn write(
        &mut self,
        entry: &Entry<'_>,
        data: &mut dyn Read,
        path: &SafePath,
        head: Vec<u8>,
        meter: &Meter<'_>,
        again: bool,
    ) -> Result<Option<(usize, PathBuf)>, Fail> {
        let last = self.last.take();
        let origin = entry.origin;
        let rel = self.names.place(path, origin)?;
        let existing = self.names.existing(path, origin)?;
        let disk_path = if existing.is_some() {
            self.scratch_path()
        } else {
            self.root.join(&rel)
        };
        // A repeat is not hashed when its digest is known otherwise: the member before was
        // written here with the same size (a name collision compares digests: hashed, even
        // when nobody reads the digests).
        let copy_of = last.filter(|&src| {
            again
                && existing.is_none()
                && self.members.get(src).is_some_and(|m| m.size == entry.size)
        });
        let hash = existing.is_some() || (self.hashing && copy_of.is_none());
        let head_len = head.len();
        let (id, sent) = if let Some(src) = copy_of {
            // The same bytes as the file written just before: the writer copies that file,
            // and the bytes handed over are only counted (budgets, size), in one buffer.
            let from = self.root.join(&self.members[src].path);
            let id = self.writers.copy_last(disk_path.clone(), from, entry.size);
            let mut counted = Counted(head);
            (
                id,
                meter.pump(data, entry.size, origin, head_len, &mut counted),
            )
        } else {
            let id = self.writers.open(disk_path.clone(), hash);
            self.writers.write(head);
            let sent = meter.pump(
                data,
                entry.size,
                origin,
                head_len,
                &mut ToWriter(&mut self.writers),
            );
            self.writers.close();
            (id, sent)
        };
        let size = match sent {
            Ok(size) => size,
            Err(e) => {
                // The run fails and its staging is removed; let the writer finish first.
                let _ = self.writers.wait(id);
                return Err(e);
            }
        };
        if size != entry.size {
            let _ = self.writers.wait(id);
            return Err(Fail::Read(ReadError::format(
                origin,
                FormatError::SizeMismatch {
                    declared: entry.size,
                    actual: size,
                },
            )));
        }
        if let Some(first) = existing {
            let (_, sha256) = self.wait_written(id)?;
            std::fs::remove_file(&disk_path).map_err(|source| Error::Write {
                path: disk_path.clone(),
                source,
            })?;
            let first_sha = match first.digest {
                Digest::Known(sha) => sha,
                Digest::Pending { member, ticket } => self.hash_of(member, ticket)?,
            };
            let first = first.same_file(first_sha, size, sha256, path, origin)?;
            self.notes.push(Note::DuplicateIdentical {
                path: first.path,
                origin: origin.clone(),
            });
            return Ok(None);
        }
        let index = self.members.len();
        self.names.add_file(
            path,
            rel.clone(),
            size,
            Digest::Pending {
                member: index,
                ticket: id,
            },
            origin,
        );
        self.members.push(Member {
            path: rel,
            size,
            sha256: Sha256([0; 32]),
            origin: origin.clone(),
            unpacked: false,
            decoding: entry.decoding,
        });
        self.member_of.insert(id, index);
        self.tickets.push(id);
        self.bytes += size;
        self.last = Some(index);
        if let Some(src) = copy_of {
            self.copies.insert(index, src);
        }
        self.collect_finished()?;
        Ok(Some((index, disk_path)))
    }

    /// Waits until member `index` is on disk; returns its size and digests.
    pub(super) fn complete(&mut self, index: usize) -> Result<Digests, Error> {
        if let Some(&id) = self.tickets.get(index)
            && self.member_of.contains_key(&id)
        {
            let written = self.writers.wait(id);
            self.record(id, written)?;
        }
        if let Some(&src) = self.copies.get(&index) {
            let digests = self.complete(src)?;
            self.members[index].sha256 = digests.sha256;
        }
        let m = &self.members[index];
        Ok(Digests {
            size: m.size,
            sha256: m.sha256,
            sha1: Sha1([0; 20]),
        })
    }

    /// The notes so far (taken: the next ones start afresh).
    pub(super) fn take_notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut self.notes)
    }

    /// Members written so far, and their bytes.
    pub(super) fn counts(&self) -> (usize, u64) {
        (self.members.len(), self.bytes)
    }

    /// Marks member `index` as unpacked into `<path>.extracted/`.
    pub(super) fn mark_unpacked(&mut self, index: usize) {
        if let Some(m) = self.members.get_mut(index) {
            m.unpacked = true;
        }
    }

    /// What occupies `path`, if anything: its spelling and (for a file) where it came from.
    pub(super) fn occupant(&self, path: &SafePath) -> Option<(String, Option<Origin>)> {
        self.names.occupant(path)
    }

    /// Records (and creates) a folder member.
    pub(super) fn add_dir(&mut self, path: &SafePath, origin: &Origin) -> Result<(), Error> {
        self.names.add_dir(path, origin)
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
        // A repeat's digest is its source's (an earlier member, so already filled in).
        for index in 0..self.members.len() {
            if let Some(&src) = self.copies.get(&index) {
                self.members[index].sha256 = self.members[src].sha256;
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

    /// The hash of a member, waiting for its write if it is still under way (read back from
    /// the tree when members are not hashed as they are written).
    fn hash_of(&mut self, member: usize, ticket: FileId) -> Result<Sha256, Error> {
        if self.member_of.contains_key(&ticket) {
            let written = self.writers.wait(ticket);
            self.record(ticket, written)?;
        }
        if !self.hashing {
            let path = self.root.join(&self.members[member].path);
            return sha256_of_file(&path).map_err(|source| Error::Write { path, source });
        }
        if self.copies.contains_key(&member) {
            return Ok(self.complete(member)?.sha256);
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

    /// A path for a member that must be compared with an earlier one before it is kept.
    fn scratch_path(&mut self) -> PathBuf {
        loop {
            self.scratch_counter += 1;
            let path = self.scratch.join(format!("dup-{}", self.scratch_counter));
            if !path.exists() {
                return path;
            }
        }
    }
}

/// The SHA-256 of a file written earlier, read back.
fn sha256_of_file(path: &Path) -> io::Result<Sha256> {
    use sha2::Digest as _;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(Sha256(hasher.finalize().into()))
}
