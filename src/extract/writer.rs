//! Background writers: member bytes are hashed and written on worker threads while the main
//! thread keeps decompressing.
//!
//! Creating, writing and closing files is kernel work that does not depend on the decoder, so
//! a pool of writer threads overlaps it with decompression (one decoder thread per run, since a
//! cabinet folder is one sequential stream). Each file goes to one worker, in order; bounded
//! channels keep memory bounded (at most `QUEUE` chunks per worker in flight).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TryRecvError, channel, sync_channel};
use std::thread::JoinHandle;

use sha2::Digest;

use crate::model::Sha256;

/// Chunks queued per worker before the decoder waits.
const QUEUE: usize = 16;

/// A ticket for one file handed to the pool.
pub(super) type FileId = usize;

enum Job {
    Open { id: FileId, path: PathBuf },
    Data(Vec<u8>),
    Close,
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
    current: Option<usize>,
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
        let w = (std::hash::Hasher::finish(&h) % self.workers.len() as u64) as usize;
        self.current = Some(w);
        self.send(w, Job::Open { id, path });
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
        if let Some(w) = self.current {
            self.send(w, Job::Data(chunk));
        }
    }

    /// Ends the current file.
    pub(super) fn close(&mut self) {
        if let Some(w) = self.current.take() {
            self.send(w, Job::Close);
        }
    }

    fn send(&mut self, w: usize, job: Job) {
        // A worker only stops when its channel closes, so a failed send means it panicked;
        // the missing result is reported when it is waited for.
        let _ = self.workers[w].0.send(job);
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
