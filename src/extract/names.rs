//! The names a walk has placed, and the collision rule: two members whose paths are equal as
//! Windows compares them (case-insensitively, trailing dots and spaces dropped) are one file.
//!
//! `extract` keeps one namespace for the whole output tree (and creates its folders); the
//! other commands keep one per container, so every command refuses the same archives.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::PathBuf;

use super::error::Error;
use super::writer::FileId;
use crate::model::{Origin, Sha256};
use crate::safe_path::SafePath;

/// How the first file at a path is known: by its hash, or by the write that will hash it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Digest {
    Known(Sha256),
    /// Index into the output tree's members, and the write that produces it.
    Pending {
        member: usize,
        ticket: FileId,
    },
}

/// What occupies a (collision-keyed) path.
#[derive(Debug)]
enum Taken {
    Dir {
        /// The spelling first used, which later members with other case reuse.
        path: String,
    },
    File {
        path: String,
        size: u64,
        digest: Digest,
        origin: Origin,
    },
}

/// A file already at a path a new member wants.
#[derive(Clone, Debug)]
pub(super) struct Existing {
    pub path: String,
    pub size: u64,
    pub digest: Digest,
    pub origin: Origin,
}

impl Existing {
    /// The collision rule for a member of `size` and `sha256` at this file's path (whose
    /// SHA-256 is `first_sha256`, known once its write is done): the same file when size and
    /// digest agree (`Ok`, written once), else the two collide.
    pub(super) fn same_file(
        self,
        first_sha256: Sha256,
        size: u64,
        sha256: Sha256,
        path: &SafePath,
        origin: &Origin,
    ) -> Result<Existing, Error> {
        if (self.size, first_sha256) == (size, sha256) {
            return Ok(self);
        }
        Err(Error::Collision {
            origin: origin.clone(),
            path: path.to_string(),
            existing: self.path,
            existing_origin: self.origin,
        })
    }
}

/// One namespace of placed names.
#[derive(Debug, Default)]
pub(super) struct Names {
    taken: HashMap<String, Taken>,
    /// Where folders are created (the output tree), if anywhere.
    root: Option<PathBuf>,
    made_dirs: HashSet<String>,
}

impl Names {
    /// A namespace whose folders are created below `root` (extract), or only remembered.
    pub(super) fn new(root: Option<PathBuf>) -> Names {
        Names {
            root,
            ..Names::default()
        }
    }

    /// Registers (and, with a root, creates) every folder on the way to `path`; returns the
    /// relative spelling of the file (folders first seen with another case keep that
    /// spelling). A folder that is already a file is a collision.
    pub(super) fn place(&mut self, path: &SafePath, origin: &Origin) -> Result<String, Error> {
        let parts = path.components();
        let mut spelled = String::new();
        let mut key = String::new();
        for part in &parts[..parts.len().saturating_sub(1)] {
            if !key.is_empty() {
                key.push('/');
            }
            key.push_str(&SafePath::key_of(part));
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
        if let Some(root) = &self.root
            && !spelled.is_empty()
            && !self.made_dirs.contains(&spelled)
        {
            let dir = root.join(&spelled);
            fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir, source })?;
            self.made_dirs.insert(spelled.clone());
        }
        let last = parts.last().cloned().unwrap_or_default();
        Ok(if spelled.is_empty() {
            last
        } else {
            format!("{spelled}/{last}")
        })
    }

    /// The file already at `path`; a folder there is a collision.
    pub(super) fn existing(
        &self,
        path: &SafePath,
        origin: &Origin,
    ) -> Result<Option<Existing>, Error> {
        match self.taken.get(&path.collision_key()) {
            None => Ok(None),
            Some(Taken::Dir { path: dir }) => Err(Error::Collision {
                origin: origin.clone(),
                path: path.to_string(),
                existing: dir.clone(),
                existing_origin: origin.clone(),
            }),
            Some(Taken::File {
                path,
                size,
                digest,
                origin,
            }) => Ok(Some(Existing {
                path: path.clone(),
                size: *size,
                digest: *digest,
                origin: origin.clone(),
            })),
        }
    }

    /// Whether anything (file or folder) is at `path`, and what.
    pub(super) fn occupant(&self, path: &SafePath) -> Option<(String, Option<Origin>)> {
        match self.taken.get(&path.collision_key())? {
            Taken::Dir { path } => Some((path.clone(), None)),
            Taken::File { path, origin, .. } => Some((path.clone(), Some(origin.clone()))),
        }
    }

    /// Records the file at `path` (spelled `rel`).
    pub(super) fn add_file(
        &mut self,
        path: &SafePath,
        rel: String,
        size: u64,
        digest: Digest,
        origin: &Origin,
    ) {
        self.taken.insert(
            path.collision_key(),
            Taken::File {
                path: rel,
                size,
                digest,
                origin: origin.clone(),
            },
        );
    }

    /// Records (and creates) the folder `path` and the folders above it.
    pub(super) fn add_dir(&mut self, path: &SafePath, origin: &Origin) -> Result<(), Error> {
        // Placing a child makes `place` create and record the folder itself.
        let child = path.join(
            &SafePath::component("x").map_err(|reason| Error::UnsafeName {
                origin: origin.clone(),
                name: path.to_string(),
                reason,
            })?,
        );
        self.place(&child, origin).map(|_| ())
    }
}
