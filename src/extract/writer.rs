//! Background writers: member bytes are hashed and written on worker threads while the main
//! thread keeps decompressing.
//!
//! Creating, writing and closing files is kernel work that does not depend on the decoder, so
//! a pool of writer threads overlaps it with decompression (one decoder thread per run, since a
//! cabinet folder is one sequential stream). Each file goes to one worker, in order; bounded
//! channels keep memory bounded (at most `QUEUE` jobs per worker in flight).
//!
//! Small files travel in batches: a file whose bytes fit in [`STREAM_AT`] is held until it is
//! closed and goes to its worker with others in one job of up to [`BATCH_FILES`] files or
//! [`BATCH_BYTES`] bytes, so 20,000 small files cost a few hundred thread hand-offs (each a
//! wake-up of a sleeping thread) instead of several per file. A larger file streams chunk by
//! chunk, after the batch before it.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TryRecvError, channel, sync_channel};
use std::thread::JoinHandle;

use sha2::Digest;

use crate::model::Sha256;

/// Jobs queued per worker before the decoder waits.
const QUEUE: usize = 16;
/// A file up to this size is sent whole, in a batch; a larger one streams.
const STREAM_AT: usize = 256 * 1024;
/// A batch is sent once it holds this many files or bytes.
const BATCH_FILES: usize = 64;
const BATCH_BYTES: usize = 512 * 1024;

/// A ticket for one file handed to the pool.
pub(super) type FileId = usize;

enum Job {
    Open {
        id: FileId,
        path: PathBuf,
    },
    Data(Vec<u8>),
    Close,
    /// Whole small files, in order.
    Batch(Vec<Whole>),
}

/// A small file, all its bytes at once.
struct Whole {
    id: FileId,
    path: PathBuf,
    chunks: Vec<Vec<u8>>,
}

/// The file being written: held while it is small, or streaming to its worker.
enum Current {
    Held {
        worker: usize,
        whole: Whole,
        bytes: usize,
    },
    Streaming {
        worker: usize,
    },
}

/// Small files waiting to go to one worker.
#[derive(Default)]
struct Batch {
    files: Vec<Whole>,
    bytes: usize,
}

/// What a worker reports for one file.
#[derive(Debug)]
pub(super) enum Written {
    Ok { size: u64, sha256: Sha256 },
    Failed { path: PathBuf, source: io::Error },
}

/// The pool of writer threads.
pub(super) struct Writers {
    workers: Vec<(SyncSender<Job>, JoinHandle<()>)>,
    results: Receiver<(FileId, Written)>,
    spare: Receiver<Vec<u8>>,
    done: HashMap<FileId, Written>,
    next_id: FileId,
    current: Option<Current>,
    /// Per worker.
    batches: Vec<Batch>,
}

impl std::fmt::Debug for Writers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writers")
            .field("workers", &self.workers.len())
            .field("next_id", &self.next_id)
            .finish_non_exhaustive()
    }
}

impl Writers {
    pub(super) fn new() -> Writers {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
        let (result_tx, results) = channel();
        let (spare_tx, spare) = channel();
        let workers = (0..n)
            .map(|_| {
                let (tx, rx) = sync_channel(QUEUE);
                let result_tx = result_tx.clone();
                let spare_tx = spare_tx.clone();
                let handle = std::thread::spawn(move || worker(&rx, &result_tx, &spare_tx));
                (tx, handle)
            })
            .collect();
        Writers {
            workers,
            results,
            spare,
            done: HashMap::new(),
            next_id: 0,
            current: None,
            batches: (0..n).map(|_| Batch::default()).collect(),
        }
    }

    /// Starts a new file at `path` (created, never overwritten); returns its ticket.
    pub(super) fn open(&mut self, path: PathBuf) -> FileId {
        let id = self.next_id;
        self.next_id += 1;
        // Files of one folder go to one worker: creating entries in the same directory from
        // several threads contends on the directory's lock in the kernel.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&path.parent(), &mut h);
        let w = (std::hash::Hasher::finish(&h) % self.workers.len().max(1) as u64) as usize;
        self.current = Some(Current::Held {
            worker: w,
            whole: Whole {
                id,
                path,
                chunks: Vec::new(),
            },
            bytes: 0,
        });
        id
    }

    /// A buffer for the next chunk (recycled from the workers when one is free).
    pub(super) fn buffer(&mut self, capacity: usize) -> Vec<u8> {
        match self.spare.try_recv() {
            Ok(mut b) if b.capacity() >= capacity => {
                b.clear();
                b
            }
            _ => Vec::with_capacity(capacity),
        }
    }

    /// Appends a chunk to the current file.
    pub(super) fn write(&mut self, chunk: Vec<u8>) {
        match self.current.take() {
            Some(Current::Held {
                worker,
                mut whole,
                bytes,
            }) => {
                let bytes = bytes + chunk.len();
                whole.chunks.push(chunk);
                if bytes <= STREAM_AT {
                    self.current = Some(Current::Held {
                        worker,
                        whole,
                        bytes,
                    });
                    return;
                }
                // Too large to hold: the small files before it go first, then it streams.
                self.flush(worker);
                let Whole { id, path, chunks } = whole;
                self.send(worker, Job::Open { id, path });
                for c in chunks {
                    self.send(worker, Job::Data(c));
                }
                self.current = Some(Current::Streaming { worker });
            }
            Some(Current::Streaming { worker }) => {
                self.send(worker, Job::Data(chunk));
                self.current = Some(Current::Streaming { worker });
            }
            None => {}
        }
    }

    /// Ends the current file.
    pub(super) fn close(&mut self) {
        match self.current.take() {
            Some(Current::Held {
                worker,
                whole,
                bytes,
            }) => {
                let Some(batch) = self.batches.get_mut(worker) else {
                    return;
                };
                batch.files.push(whole);
                batch.bytes += bytes;
                if batch.files.len() >= BATCH_FILES || batch.bytes >= BATCH_BYTES {
                    self.flush(worker);
                }
            }
            Some(Current::Streaming { worker }) => self.send(worker, Job::Close),
            None => {}
        }
    }

    /// Sends worker `w`'s batch of small files.
    fn flush(&mut self, w: usize) {
        if let Some(batch) = self.batches.get_mut(w)
            && !batch.files.is_empty()
        {
            let files = std::mem::take(&mut batch.files);
            batch.bytes = 0;
            self.send(w, Job::Batch(files));
        }
    }

    /// Sends every batch (before waiting for a result, which may be in one).
    fn flush_all(&mut self) {
        for w in 0..self.batches.len() {
            self.flush(w);
        }
    }

    fn send(&mut self, w: usize, job: Job) {
        // A worker only stops when its channel closes, so a failed send means it panicked;
        // the missing result is reported when it is waited for.
        if let Some((tx, _)) = self.workers.get(w) {
            let _ = tx.send(job);
        }
    }

    /// Results that have arrived so far, without waiting.
    pub(super) fn poll(&mut self) -> Vec<(FileId, Written)> {
        let mut out = Vec::new();
        loop {
            match self.results.try_recv() {
                Ok(r) => out.push(r),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => return out,
            }
        }
    }

    /// Waits for the result of one file.
    pub(super) fn wait(&mut self, id: FileId) -> Written {
        if let Some(w) = self.done.remove(&id) {
            return w;
        }
        self.flush_all();
        while let Ok((got, written)) = self.results.recv() {
            if got == id {
                return written;
            }
            self.done.insert(got, written);
        }
        Written::Failed {
            path: PathBuf::new(),
            source: io::Error::other("writer thread stopped"),
        }
    }

    /// Waits for every file and stops the workers; returns every result not yet collected.
    pub(super) fn finish(&mut self) -> Vec<(FileId, Written)> {
        self.flush_all();
        let workers = std::mem::take(&mut self.workers);
        let mut handles = Vec::with_capacity(workers.len());
        for (tx, handle) in workers {
            drop(tx);
            handles.push(handle);
        }
        for h in handles {
            let _ = h.join();
        }
        let mut out: Vec<_> = self.done.drain().collect();
        while let Ok(r) = self.results.try_recv() {
            out.push(r);
        }
        out
    }
}

fn worker(jobs: &Receiver<Job>, results: &Sender<(FileId, Written)>, spare: &Sender<Vec<u8>>) {
    struct Open {
        id: FileId,
        path: PathBuf,
        file: Option<File>,
        hasher: sha2::Sha256,
        size: u64,
        error: Option<io::Error>,
    }
    let mut current: Option<Open> = None;
    while let Ok(job) = jobs.recv() {
        match job {
            Job::Batch(files) => {
                for Whole { id, path, chunks } in files {
                    let written = write_whole(&path, &chunks);
                    let written = match written {
                        Ok((size, sha256)) => Written::Ok { size, sha256 },
                        Err(source) => Written::Failed { path, source },
                    };
                    if results.send((id, written)).is_err() {
                        return;
                    }
                }
            }
            Job::Open { id, path } => {
                let (file, error) =
                    match OpenOptions::new().write(true).create_new(true).open(&path) {
                        Ok(f) => (Some(f), None),
                        Err(e) => (None, Some(e)),
                    };
                current = Some(Open {
                    id,
                    path,
                    file,
                    hasher: sha2::Sha256::new(),
                    size: 0,
                    error,
                });
            }
            Job::Data(chunk) => {
                if let Some(open) = current.as_mut() {
                    open.hasher.update(&chunk);
                    open.size += chunk.len() as u64;
                    if let (Some(f), None) = (open.file.as_mut(), open.error.as_ref())
                        && let Err(e) = f.write_all(&chunk)
                    {
                        open.error = Some(e);
                    }
                }
                let _ = spare.send(chunk);
            }
            Job::Close => {
                if let Some(open) = current.take() {
                    drop(open.file);
                    let written = match open.error {
                        None => Written::Ok {
                            size: open.size,
                            sha256: Sha256(open.hasher.finalize().into()),
                        },
                        Some(source) => Written::Failed {
                            path: open.path,
                            source,
                        },
                    };
                    if results.send((open.id, written)).is_err() {
                        return;
                    }
                }
            }
        }
    }
}

/// Creates `path` (never overwriting) with `chunks`, hashing them; returns size and SHA-256.
fn write_whole(path: &std::path::Path, chunks: &[Vec<u8>]) -> io::Result<(u64, Sha256)> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let mut hasher = sha2::Sha256::new();
    for c in chunks {
        hasher.update(c);
    }
    // One write call: the chunks joined (the first is usually the few bytes sniffed).
    let joined;
    let bytes: &[u8] = match chunks {
        [] => &[],
        [one] => one,
        many => {
            joined = many.concat();
            &joined
        }
    };
    file.write_all(bytes)?;
    Ok((bytes.len() as u64, Sha256(hasher.finalize().into())))
}
