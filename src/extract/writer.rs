//! Background writers: member bytes are written and hashed on worker threads while the main
//! thread keeps decompressing.
//!
//! Creating, writing and closing files is kernel work that does not depend on the decoder, so
//! a pool of writer threads overlaps it with decompression (one decoder thread per run, since a
//! cabinet folder is one sequential stream). Each file goes to one worker, in order; bounded
//! channels keep memory bounded (at most `QUEUE` jobs per stage in flight).
//!
//! Each worker is two threads in a row: one writes a chunk, then hands it to the second, which
//! hashes it (SHA-256 costs about as much CPU as the read and the write together: on one thread
//! the hash and the write took turns and the worker, not the decoder, set the pace of a stored
//! cabinet). A chunk's buffer goes back to the decoder once it is hashed.
//!
//! Small files travel in batches: a file whose bytes fit in [`STREAM_AT`] is held until it is
//! closed and goes to its worker with others in one job of up to [`BATCH_FILES`] files or
//! [`BATCH_BYTES`] bytes, so 20,000 small files cost a few hundred thread hand-offs (each a
//! wake-up of a sleeping thread) instead of several per file. A larger file streams chunk by
//! chunk, after the batch before it, to the next worker in turn (large files in a row are
//! written by every worker). A file opened with `hash` false (it repeats an earlier
//! member, which the reader knows) is written but not hashed; one that repeats the file
//! closed last is a copy of that file ([`Writers::copy_last`]), which the kernel makes.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, IoSlice, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, SyncSender, TryRecvError, channel, sync_channel};
use std::thread::JoinHandle;

use sha2::Digest;

use crate::model::Sha256;

/// Most writing threads of a pool (each with a hashing thread).
pub(super) const MAX_THREADS: usize = 4;
/// Jobs queued per stage of a worker (writing, hashing) before the stage before it waits:
/// with chunks (or batches) of about 512 KiB, some 8 MiB in flight per writing thread. Four
/// were too few on two cores: the reading, writing and hashing threads share them, and with
/// short queues one stage often waited for another to be scheduled (`perf stat`, extracting
/// a stored cabinet of 200 MiB: 1.64 processors busy with four, 1.89 with eight).
const QUEUE: usize = 8;
/// Buffers at least this large go back to the decoder for reuse; smaller ones are freed (the
/// allocator reuses their memory well, and a pool of mixed sizes would mostly hand out
/// buffers too small for the next chunk, each then freed and allocated afresh).
const RECYCLE_AT: usize = 128 * 1024;
/// A file up to this size is sent whole, in a batch; a larger one streams.
const STREAM_AT: usize = 256 * 1024;
/// A batch is sent once it holds this many files or bytes.
const BATCH_FILES: usize = 64;
const BATCH_BYTES: usize = 512 * 1024;

/// A ticket for one file handed to the pool.
pub(super) type FileId = usize;

enum Job {
    /// A file that streams; `hasher`: the hashing thread its chunks go to.
    Open {
        id: FileId,
        path: PathBuf,
        hash: bool,
        hasher: usize,
    },
    Data(Vec<u8>),
    Close,
    /// Whole small files, in order, and the hashing thread they go to.
    Batch(Vec<Whole>, usize),
    /// A file with the bytes of one this worker wrote before (`from`, `size` bytes): copied
    /// by the kernel, not handed over again.
    Copy {
        id: FileId,
        from: PathBuf,
        to: PathBuf,
        size: u64,
    },
}

/// A small file, all its bytes at once.
struct Whole {
    id: FileId,
    path: PathBuf,
    /// False when the file's digest is known otherwise (it repeats an earlier file).
    hash: bool,
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
    /// The hashing threads; they stop once every writing thread has.
    hashers: Vec<JoinHandle<()>>,
    results: Receiver<(FileId, Written)>,
    spare: Receiver<Vec<u8>>,
    done: HashMap<FileId, Written>,
    next_id: FileId,
    current: Option<Current>,
    /// Per worker.
    batches: Vec<Batch>,
    /// Streaming files so far, and batches: each picks its threads in turn (two counts, so
    /// that small files between large ones do not send every large one to the same thread).
    streams: usize,
    batches_sent: usize,
    /// The worker of the file closed (or copied) last.
    last_worker: Option<usize>,
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
    /// A pool of `threads` writing threads (at least 1, at most [`MAX_THREADS`]), and as many
    /// hashing threads.
    pub(super) fn new(threads: usize) -> Writers {
        let n = threads.clamp(1, MAX_THREADS);
        let (result_tx, results) = channel();
        let (spare_tx, spare) = channel();
        let (hash_txs, hashers): (Vec<_>, Vec<_>) = (0..n)
            .map(|_| {
                let (tx, rx) = sync_channel(QUEUE);
                let result_tx = result_tx.clone();
                let spare_tx = spare_tx.clone();
                let handle = std::thread::spawn(move || hash_worker(&rx, &result_tx, &spare_tx));
                (tx, handle)
            })
            .unzip();
        let workers = (0..n)
            .map(|_| {
                let (tx, rx) = sync_channel(QUEUE);
                let hash_txs = hash_txs.clone();
                let handle = std::thread::spawn(move || write_worker(&rx, &hash_txs));
                (tx, handle)
            })
            .collect();
        Writers {
            workers,
            hashers,
            results,
            spare,
            done: HashMap::new(),
            next_id: 0,
            current: None,
            batches: (0..n).map(|_| Batch::default()).collect(),
            streams: 0,
            batches_sent: 0,
            last_worker: None,
        }
    }

    /// Starts a new file at `path` (created, never overwritten); returns its ticket.
    /// With `hash` false the file is written but not hashed (its digest reported as zeros):
    /// the caller knows it from the earlier file it repeats.
    pub(super) fn open(&mut self, path: PathBuf, hash: bool) -> FileId {
        let id = self.next_id;
        self.next_id += 1;
        // Small files of one folder go to one worker: creating entries in the same directory
        // from several threads contends on the directory's lock in the kernel. (A file large
        // enough to stream changes worker in `write`.)
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&path.parent(), &mut h);
        let w = (std::hash::Hasher::finish(&h) % self.workers.len().max(1) as u64) as usize;
        self.current = Some(Current::Held {
            worker: w,
            whole: Whole {
                id,
                path,
                hash,
                chunks: Vec::new(),
            },
            bytes: 0,
        });
        id
    }

    /// A buffer of `len` bytes for the next chunk (recycled from the workers when one is
    /// free). Its bytes are whatever it held before: only a fresh buffer is zeroed (recycled
    /// ones come back at their full length, so zeroing them again would be wasted work).
    pub(super) fn buffer(&mut self, len: usize) -> Vec<u8> {
        let spare = if len >= RECYCLE_AT {
            self.spare.try_recv().ok()
        } else {
            None
        };
        match spare {
            Some(mut b) if b.capacity() >= len => {
                b.resize(len, 0);
                b
            }
            // Zeroed by the allocator, which for a large block means fresh pages from the
            // kernel, already zero: no pass over the buffer before the first read fills it
            // (resizing an empty one wrote every byte twice).
            _ => vec![0; len],
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
                // Too large to hold: the small files before it go first, then it streams, on
                // the next worker in turn (and the next hashing thread): large files in a row
                // are written by every writing thread, not all by the one of their folder (one
                // create per large file is no contention; a single writing thread was the
                // slowest stage of a stored cabinet).
                self.flush(worker);
                let worker = in_turn(&mut self.streams, self.workers.len());
                let Whole {
                    id,
                    path,
                    hash,
                    chunks,
                } = whole;
                let hasher = worker;
                self.send(
                    worker,
                    Job::Open {
                        id,
                        path,
                        hash,
                        hasher,
                    },
                );
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
                self.last_worker = Some(worker);
                if batch.files.len() >= BATCH_FILES || batch.bytes >= BATCH_BYTES {
                    self.flush(worker);
                }
            }
            Some(Current::Streaming { worker }) => {
                self.last_worker = Some(worker);
                self.send(worker, Job::Close);
            }
            None => {}
        }
    }

    /// A new file at `path` (created, never overwritten) with the bytes of the file closed
    /// last, which is at `from` once written and holds `size` bytes; returns its ticket. The
    /// copy goes to the worker that writes `from`, after it: one worker does its jobs in
    /// order, so the file is whole when it is copied. Nothing is hashed (the caller knows the
    /// digest).
    pub(super) fn copy_last(&mut self, path: PathBuf, from: PathBuf, size: u64) -> FileId {
        let id = self.next_id;
        self.next_id += 1;
        let w = self.last_worker.unwrap_or(0);
        // The file copied may still wait in its worker's batch.
        self.flush(w);
        self.send(
            w,
            Job::Copy {
                id,
                from,
                to: path,
                size,
            },
        );
        id
    }

    /// Sends worker `w`'s batch of small files.
    fn flush(&mut self, w: usize) {
        if let Some(batch) = self.batches.get_mut(w)
            && !batch.files.is_empty()
        {
            let files = std::mem::take(&mut batch.files);
            batch.bytes = 0;
            let hasher = in_turn(&mut self.batches_sent, self.workers.len());
            self.send(w, Job::Batch(files, hasher));
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
        for h in handles.into_iter().chain(std::mem::take(&mut self.hashers)) {
            let _ = h.join();
        }
        let mut out: Vec<_> = self.done.drain().collect();
        while let Ok(r) = self.results.try_recv() {
            out.push(r);
        }
        out
    }
}

/// The thread (of `n` writing, or hashing, threads) whose turn it is; counts one more turn.
fn in_turn(count: &mut usize, n: usize) -> usize {
    let turn = *count % n.max(1);
    *count = count.wrapping_add(1);
    turn
}

/// What a writing thread hands to a hashing thread. Several writing threads may feed one
/// hashing thread, so every message names its file.
enum Hash {
    Open {
        id: FileId,
        path: PathBuf,
        hash: bool,
    },
    Data {
        id: FileId,
        chunk: Vec<u8>,
    },
    /// The file is closed; the write error, if one happened.
    Close {
        id: FileId,
        error: Option<io::Error>,
    },
    /// Whole files, each with its write error if it had one.
    Batch(Vec<(Whole, Option<io::Error>)>),
    /// A file copied from another (nothing to hash), and the copy's error if it had one.
    Copied {
        id: FileId,
        path: PathBuf,
        size: u64,
        error: Option<io::Error>,
    },
}

/// Creates, writes and closes files; every chunk then goes on to be hashed. A file's chunks
/// all go to one hashing thread, which the pool picked in turn, so the files of one folder,
/// which one writing thread writes, are hashed on every core.
fn write_worker(jobs: &Receiver<Job>, hashers: &[SyncSender<Hash>]) {
    // The file streaming: its ticket, its hashing thread, and the file (unless creating it
    // failed).
    let mut file: Option<(FileId, usize, Option<File>)> = None;
    let mut error: Option<io::Error> = None;
    while let Ok(job) = jobs.recv() {
        let (to, next) = match job {
            Job::Batch(files, to) => {
                let files = files
                    .into_iter()
                    .map(|whole| {
                        let e = write_whole(&whole.path, &whole.chunks).err();
                        (whole, e)
                    })
                    .collect();
                (to, Hash::Batch(files))
            }
            Job::Copy { id, from, to, size } => {
                let error = copy_file(&from, &to, size).err();
                (
                    id % hashers.len().max(1),
                    Hash::Copied {
                        id,
                        path: to,
                        size,
                        error,
                    },
                )
            }
            Job::Open {
                id,
                path,
                hash,
                hasher,
            } => {
                match OpenOptions::new().write(true).create_new(true).open(&path) {
                    Ok(f) => (file, error) = (Some((id, hasher, Some(f))), None),
                    Err(e) => (file, error) = (Some((id, hasher, None)), Some(e)),
                }
                (hasher, Hash::Open { id, path, hash })
            }
            Job::Data(chunk) => {
                let Some((id, hasher, f)) = file.as_mut() else {
                    continue;
                };
                if let (Some(f), None) = (f.as_mut(), error.as_ref())
                    && let Err(e) = f.write_all(&chunk)
                {
                    error = Some(e);
                }
                (*hasher, Hash::Data { id: *id, chunk })
            }
            Job::Close => {
                let Some((id, hasher, f)) = file.take() else {
                    continue;
                };
                drop(f);
                (
                    hasher,
                    Hash::Close {
                        id,
                        error: error.take(),
                    },
                )
            }
        };
        // A hashing thread only stops when every sender is gone, or when the results are no
        // longer wanted: either way nothing is left to do.
        if hashers.get(to).is_none_or(|h| h.send(next).is_err()) {
            return;
        }
    }
}

/// Hashes what was written and reports each file; returns the buffers for reuse.
fn hash_worker(
    jobs: &Receiver<Hash>,
    results: &Sender<(FileId, Written)>,
    spare: &Sender<Vec<u8>>,
) {
    struct Open {
        id: FileId,
        path: PathBuf,
        hasher: Option<sha2::Sha256>,
        size: u64,
    }
    let mut open: HashMap<FileId, Open> = HashMap::new();
    let recycle = |chunks: Vec<Vec<u8>>| {
        for mut c in chunks.into_iter().filter(|c| c.capacity() >= RECYCLE_AT) {
            // Back at full length: the decoder's next `buffer` need not zero it.
            c.resize(c.capacity(), 0);
            let _ = spare.send(c);
        }
    };
    while let Ok(job) = jobs.recv() {
        match job {
            Hash::Batch(files) => {
                for (
                    Whole {
                        id,
                        path,
                        hash,
                        chunks,
                    },
                    error,
                ) in files
                {
                    let written = match error {
                        Some(source) => Written::Failed { path, source },
                        None => Written::Ok {
                            size: chunks.iter().map(|c| c.len() as u64).sum(),
                            sha256: if hash {
                                digest(&chunks)
                            } else {
                                Sha256([0; 32])
                            },
                        },
                    };
                    recycle(chunks);
                    if results.send((id, written)).is_err() {
                        return;
                    }
                }
            }
            Hash::Copied {
                id,
                path,
                size,
                error,
            } => {
                let written = match error {
                    None => Written::Ok {
                        size,
                        sha256: Sha256([0; 32]),
                    },
                    Some(source) => Written::Failed { path, source },
                };
                if results.send((id, written)).is_err() {
                    return;
                }
            }
            Hash::Open { id, path, hash } => {
                open.insert(
                    id,
                    Open {
                        id,
                        path,
                        hasher: hash.then(sha2::Sha256::new),
                        size: 0,
                    },
                );
            }
            Hash::Data { id, chunk } => {
                if let Some(open) = open.get_mut(&id) {
                    if let Some(h) = open.hasher.as_mut() {
                        h.update(&chunk);
                    }
                    open.size += chunk.len() as u64;
                }
                recycle(vec![chunk]);
            }
            Hash::Close { id, error } => {
                if let Some(open) = open.remove(&id) {
                    let written = match error {
                        None => Written::Ok {
                            size: open.size,
                            sha256: open
                                .hasher
                                .map_or(Sha256([0; 32]), |h| Sha256(h.finalize().into())),
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

/// Creates `to` (never overwriting) with the bytes of `from`, which must be `size` bytes long:
/// `io::copy` between two files lets the kernel copy them where it can (`copy_file_range` on
/// Linux), so the bytes do not pass through this process again.
fn copy_file(from: &std::path::Path, to: &std::path::Path, size: u64) -> io::Result<()> {
    let mut src = File::open(from)?;
    let mut dst = OpenOptions::new().write(true).create_new(true).open(to)?;
    let copied = io::copy(&mut src, &mut dst)?;
    if copied != size {
        return Err(io::Error::other(format!(
            "copied {copied} bytes of the {size} of {}",
            from.display()
        )));
    }
    Ok(())
}

/// The SHA-256 of chunks in a row.
fn digest(chunks: &[Vec<u8>]) -> Sha256 {
    let mut hasher = sha2::Sha256::new();
    for c in chunks {
        hasher.update(c);
    }
    Sha256(hasher.finalize().into())
}

/// Creates `path` (never overwriting) with `chunks`, in as few write calls as the kernel
/// allows (one, usually: the chunks are handed over together, not joined first).
fn write_whole(path: &std::path::Path, chunks: &[Vec<u8>]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    let mut slices: Vec<IoSlice<'_>> = chunks
        .iter()
        .filter(|c| !c.is_empty())
        .map(|c| IoSlice::new(c))
        .collect();
    let mut rest = slices.as_mut_slice();
    while !rest.is_empty() {
        match file.write_vectored(rest) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut rest, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> Sha256 {
        Sha256(sha2::Sha256::digest(bytes).into())
    }

    /// Writes `files` (each a list of chunks) through a pool; returns each file's result.
    fn write_all(dir: &std::path::Path, files: &[Vec<Vec<u8>>]) -> Vec<Written> {
        let mut w = Writers::new(2);
        let ids: Vec<FileId> = files
            .iter()
            .enumerate()
            .map(|(i, chunks)| {
                let id = w.open(dir.join(format!("f{i}")), true);
                for c in chunks {
                    let mut b = w.buffer(c.len());
                    b.copy_from_slice(c);
                    w.write(b);
                }
                w.close();
                id
            })
            .collect();
        let mut all: HashMap<FileId, Written> = w.finish().into_iter().collect();
        ids.iter()
            .map(|id| all.remove(id).expect("a result"))
            .collect()
    }

    #[test]
    fn every_file_is_written_and_hashed_small_large_and_duplicated() {
        let dir = tempfile::tempdir().unwrap();
        let big: Vec<u8> = (0..3 * STREAM_AT as u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let small = b"a small file".to_vec();
        let files = vec![
            vec![small[..3].to_vec(), small[3..].to_vec()],
            // The same bytes cut differently: hashed as bytes, whatever the chunks.
            vec![small.clone()],
            // Same length, other bytes: a digest of its own.
            vec![b"a small fild".to_vec()],
            vec![big[..100].to_vec(), big[100..].to_vec()],
            vec![],
            vec![big[..STREAM_AT].to_vec()],
        ];
        let results = write_all(dir.path(), &files);
        for (i, (chunks, written)) in files.iter().zip(results).enumerate() {
            let bytes = chunks.concat();
            let Written::Ok { size, sha256 } = written else {
                panic!("file {i}: {written:?}");
            };
            assert_eq!(
                (size, sha256),
                (bytes.len() as u64, sha(&bytes)),
                "file {i}"
            );
            assert_eq!(
                std::fs::read(dir.path().join(format!("f{i}"))).unwrap(),
                bytes
            );
        }
    }

    /// A stored cabinet's large members all sit in one folder: written by one thread, that
    /// thread was the slowest stage of the extraction.
    #[test]
    fn large_files_of_one_folder_stream_on_every_writing_thread() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writers::new(2);
        let mut used = Vec::new();
        let mut files = Vec::new();
        for i in 0..4u8 {
            let bytes = vec![i; STREAM_AT + 1 + usize::from(i)];
            let id = w.open(dir.path().join(format!("big{i}")), true);
            let mut b = w.buffer(bytes.len());
            b.copy_from_slice(&bytes);
            w.write(b);
            if let Some(Current::Streaming { worker }) = &w.current {
                used.push(*worker);
            }
            w.close();
            // A small file of the same folder between them changes nothing.
            let small = w.open(dir.path().join(format!("small{i}")), true);
            let mut b = w.buffer(1);
            b[0] = i;
            w.write(b);
            w.close();
            files.push((id, format!("big{i}"), bytes));
            files.push((small, format!("small{i}"), vec![i]));
        }
        used.sort_unstable();
        used.dedup();
        assert_eq!(used, [0, 1], "every writing thread streams large files");
        let mut all: HashMap<FileId, Written> = w.finish().into_iter().collect();
        for (id, name, bytes) in files {
            let Some(Written::Ok { size, sha256 }) = all.remove(&id) else {
                panic!("{name}: no result");
            };
            assert_eq!((size, sha256), (bytes.len() as u64, sha(&bytes)), "{name}");
            assert_eq!(
                std::fs::read(dir.path().join(&name)).unwrap(),
                bytes,
                "{name}"
            );
        }
    }

    /// A member that repeats the one before is a copy of its file, made by the worker that
    /// wrote it, after it: small (still in a batch) or large (streaming), and a copy of a copy.
    #[test]
    fn a_copy_of_the_file_closed_last_has_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = Writers::new(2);
        let mut expect = Vec::new();
        for (name, bytes) in [
            ("small", b"a small file".to_vec()),
            ("large", vec![7u8; STREAM_AT * 3]),
        ] {
            let path = dir.path().join(name);
            let id = w.open(path.clone(), true);
            let mut b = w.buffer(bytes.len());
            b.copy_from_slice(&bytes);
            w.write(b);
            w.close();
            expect.push((id, name.to_owned(), bytes.clone(), sha(&bytes)));
            let mut from = path;
            for k in 0..2 {
                let copy = dir.path().join(format!("{name}-copy{k}"));
                let id = w.copy_last(copy.clone(), from, bytes.len() as u64);
                expect.push((
                    id,
                    format!("{name}-copy{k}"),
                    bytes.clone(),
                    Sha256([0; 32]),
                ));
                from = copy;
            }
        }
        // A copy whose source is not as long as said fails, and says so.
        let short = w.copy_last(dir.path().join("short"), dir.path().join("large-copy1"), 99);
        let mut all: HashMap<FileId, Written> = w.finish().into_iter().collect();
        for (id, name, bytes, digest) in expect {
            let Some(Written::Ok { size, sha256 }) = all.remove(&id) else {
                panic!("{name}: no result");
            };
            assert_eq!((size, sha256), (bytes.len() as u64, digest), "{name}");
            assert_eq!(
                std::fs::read(dir.path().join(&name)).unwrap(),
                bytes,
                "{name}"
            );
        }
        assert!(
            matches!(all.remove(&short), Some(Written::Failed { source, .. }) if source.to_string().contains(&format!("copied {} bytes of the 99", STREAM_AT * 3))),
        );
    }

    #[test]
    fn a_file_that_exists_is_never_overwritten_and_its_failure_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f0"), b"keep").unwrap();
        std::fs::write(dir.path().join("f1"), b"keep").unwrap();
        let big = vec![1u8; STREAM_AT + 1];
        let results = write_all(dir.path(), &[vec![b"x".to_vec()], vec![big]]);
        for (i, r) in results.iter().enumerate() {
            assert!(
                matches!(r, Written::Failed { source, .. } if source.kind() == io::ErrorKind::AlreadyExists),
                "file {i}: {r:?}"
            );
            assert_eq!(
                std::fs::read(dir.path().join(format!("f{i}"))).unwrap(),
                b"keep"
            );
        }
    }
}
