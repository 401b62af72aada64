//! What every byte of a walk passes through: the size and entry budgets (shared by every
//! input of a run), Ctrl-C, progress, and the hashers and holders a member's bytes flow into.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sha2::Digest as _;

use super::Progress;
use super::error::Error;
use super::limits::{BudgetExceeded, Limits, RATIO_FLOOR};
use crate::formats::ReadError;
use crate::formats::payload::Digests;
use crate::model::{Origin, Sha1, Sha256};

/// Largest chunk read at once: each chunk is one hand-off to the writing thread and one to the
/// hashing thread (a thread wake-up each). Measured with `perf stat` on this project's
/// machine: from 256 KiB to 1 MiB the stored cabinet's run went from 290 to 260 ms of CPU,
/// but vc_red.cab (many files of a few hundred KiB) got slower, the writer getting its first
/// bytes later; 512 KiB is between. The writer's queues hold a few chunks per thread
/// (`writer::QUEUE`), so memory stays bounded.
const CHUNK: usize = 512 * 1024;

/// Smallest read buffer (for members that declare 0 bytes but may lie).
const MIN_CHUNK: usize = 4096;

/// Budget use shared by every input of a run (and every thread walking one).
#[derive(Debug, Default)]
pub struct Spent {
    entries: AtomicU64,
    bytes: AtomicU64,
    /// Bytes of the inputs walked (the ratio budget's denominator).
    input_bytes: AtomicU64,
}

impl Spent {
    /// Charges an input's size to the ratio budget's denominator.
    pub fn add_input(&self, len: u64) {
        self.input_bytes.fetch_add(len, Ordering::Relaxed);
    }

    /// Bytes unpacked so far, in all.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// What is shared by everything one walk does: budgets, Ctrl-C, progress.
pub(super) struct Meter<'a> {
    pub(super) limits: Limits,
    pub(super) spent: &'a Spent,
    pub(super) interrupt: &'static AtomicBool,
    pub(super) progress: &'a dyn Progress,
}

/// Why a member's walk failed: its bytes (the container is damaged), or a reason to stop.
pub(super) enum Fail {
    Read(ReadError),
    Stop(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Stop(e)
    }
}

/// Where a member's bytes go while they flow.
pub(super) trait Out {
    /// A buffer to read the next chunk into (recycled when possible), `want` bytes long.
    fn buffer(&mut self, want: usize) -> Vec<u8>;
    /// Takes a chunk.
    fn put(&mut self, chunk: Vec<u8>) -> Result<(), Error>;
}

fn budget(origin: &Origin, source: BudgetExceeded) -> Error {
    Error::Budget {
        origin: origin.clone(),
        source,
    }
}

impl Meter<'_> {
    pub(super) fn check_interrupt(&self) -> Result<(), Error> {
        if self.interrupt.load(Ordering::Relaxed) {
            Err(Error::Interrupted)
        } else {
            Ok(())
        }
    }

    /// Charges one member (file or folder) to the entry budget.
    pub(super) fn count_entry(&self, origin: &Origin) -> Result<(), Error> {
        let n = self.spent.entries.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.limits.max_entries {
            return Err(budget(
                origin,
                BudgetExceeded::Entries {
                    limit: self.limits.max_entries,
                },
            ));
        }
        self.progress.entry();
        Ok(())
    }

    /// Refuses a container that declares more members than the entry budget has left.
    pub(super) fn check_announced(&self, entries: u64, origin: &Origin) -> Result<(), Error> {
        let spent = self.spent.entries.load(Ordering::Relaxed);
        if spent.saturating_add(entries) > self.limits.max_entries {
            return Err(budget(
                origin,
                BudgetExceeded::Entries {
                    limit: self.limits.max_entries,
                },
            ));
        }
        Ok(())
    }

    /// Refuses a member whose declared size alone exceeds a size budget.
    pub(super) fn check_declared(&self, size: u64, origin: &Origin) -> Result<(), Error> {
        if size > self.limits.max_entry_bytes {
            return Err(budget(
                origin,
                BudgetExceeded::EntryBytes {
                    limit: self.limits.max_entry_bytes,
                },
            ));
        }
        if self.spent.bytes().saturating_add(size) > self.limits.max_total_bytes {
            return Err(budget(
                origin,
                BudgetExceeded::TotalBytes {
                    limit: self.limits.max_total_bytes,
                },
            ));
        }
        Ok(())
    }

    /// Streams the rest of a member (after its first bytes, `head`, which `out` has had) to
    /// `out` under the size budgets; returns the member's size.
    pub(super) fn pump(
        &self,
        data: &mut dyn Read,
        declared: u64,
        origin: &Origin,
        head: usize,
        out: &mut dyn Out,
    ) -> Result<u64, Fail> {
        let mut size = head as u64;
        loop {
            self.check_interrupt()?;
            let want = usize::try_from(declared.saturating_sub(size))
                .unwrap_or(CHUNK)
                .clamp(MIN_CHUNK, CHUNK);
            let mut chunk = out.buffer(want);
            let mut filled = 0;
            while filled < chunk.len() {
                match data.read(&mut chunk[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(Fail::Read(ReadError::reading(origin, e))),
                }
            }
            if filled == 0 {
                return Ok(size);
            }
            chunk.truncate(filled);
            size += filled as u64;
            if size > self.limits.max_entry_bytes {
                return Err(budget(
                    origin,
                    BudgetExceeded::EntryBytes {
                        limit: self.limits.max_entry_bytes,
                    },
                )
                .into());
            }
            let total = self.spent.bytes.fetch_add(filled as u64, Ordering::Relaxed);
            let total = total + filled as u64;
            if total > self.limits.max_total_bytes {
                return Err(budget(
                    origin,
                    BudgetExceeded::TotalBytes {
                        limit: self.limits.max_total_bytes,
                    },
                )
                .into());
            }
            let allowed = self
                .limits
                .max_ratio
                .saturating_mul(self.spent.input_bytes.load(Ordering::Relaxed))
                .max(RATIO_FLOOR);
            if total > allowed {
                return Err(budget(
                    origin,
                    BudgetExceeded::Ratio {
                        limit: self.limits.max_ratio,
                    },
                )
                .into());
            }
            self.progress.bytes(filled as u64);
            out.put(chunk)?;
        }
    }
}

/// Hashes (SHA-256, and SHA-1 for kept members) and keeps a member's bytes in memory, a
/// temporary file, a pool file, or nowhere.
pub(super) struct Hold {
    sha256: sha2::Sha256,
    sha1: Option<sha1::Sha1>,
    size: u64,
    pub(super) to: Holder,
    buf: Vec<u8>,
    /// The digests, known beforehand (a repeat of the member before): nothing is hashed.
    known: Option<Digests>,
}

pub(super) enum Holder {
    Nowhere,
    Memory(Vec<u8>),
    Temp(tempfile::NamedTempFile),
    Pool(PathBuf, File),
}

impl Hold {
    pub(super) fn new(to: Holder, sha1: bool) -> Hold {
        Hold {
            sha256: sha2::Sha256::new(),
            sha1: sha1.then(sha1::Sha1::new),
            size: 0,
            to,
            buf: Vec::new(),
            known: None,
        }
    }

    /// A hold for bytes whose digests are `known` (they repeat the member before): kept as
    /// [`Hold::new`] keeps them, not hashed. The size is still counted.
    pub(super) fn repeating(to: Holder, known: Digests) -> Hold {
        Hold {
            known: Some(known),
            ..Hold::new(to, false)
        }
    }

    pub(super) fn digests(&self) -> Digests {
        if let Some(known) = &self.known {
            return Digests {
                size: self.size,
                ..*known
            };
        }
        Digests {
            size: self.size,
            sha256: Sha256(self.sha256.clone().finalize().into()),
            sha1: self
                .sha1
                .as_ref()
                .map_or(Sha1([0; 20]), |h| Sha1(h.clone().finalize().into())),
        }
    }

    pub(super) fn take(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.known.is_none() {
            self.sha256.update(bytes);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(bytes);
        }
        self.size += bytes.len() as u64;
        match &mut self.to {
            Holder::Nowhere => Ok(()),
            Holder::Memory(v) => {
                v.extend_from_slice(bytes);
                Ok(())
            }
            Holder::Temp(f) => f.write_all(bytes).map_err(|source| Error::Write {
                path: f.path().to_path_buf(),
                source,
            }),
            Holder::Pool(path, f) => f.write_all(bytes).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            }),
        }
    }
}

impl Out for Hold {
    fn buffer(&mut self, want: usize) -> Vec<u8> {
        let mut b = std::mem::take(&mut self.buf);
        b.resize(want, 0);
        b
    }

    fn put(&mut self, chunk: Vec<u8>) -> Result<(), Error> {
        let r = self.take(&chunk);
        self.buf = chunk;
        r
    }
}
