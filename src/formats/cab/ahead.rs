//! A thread that decompresses a cabinet's blocks while the reading thread hands the bytes
//! before them to their members: the decoding of a folder is one sequential stream, but
//! reading the compressed blocks, copying the decoded bytes into members and everything the
//! members then go through need not wait for it. `extract` uses it from three threads on
//! (`--threads`): on two cores the writing and hashing threads already fill the second core
//! and the hand-offs cost more than the overlap gains.
//!
//! The reading thread ([`super::folder::FolderStream`]) reads each compressed block (and
//! checks its checksum) in order, sends it here, and takes the decoded blocks back in the same
//! order; it keeps at most [`DEPTH`] blocks in flight and never reads a block no member needs,
//! so every error is met at the same block, and reported for the same member, as when one
//! thread does everything. The codec's state never leaves this thread; it gets a codec per
//! folder and a reset when a folder starts again.

use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use super::CabError;
use super::codec::Codec;

/// Blocks read ahead of the one being handed out (each at most 32 KiB decoded).
pub(crate) const DEPTH: usize = 8;

enum Msg {
    /// The blocks that follow belong to a new folder, decoded by this codec.
    Folder(Codec),
    /// The folder starts again from its first block.
    Reset,
    Block(Block),
}

/// One block to decode, and the buffer its output goes into.
pub(crate) struct Block {
    pub number: u32,
    pub input: Vec<u8>,
    /// Bytes of `input` that are the block's data.
    pub len: usize,
    /// Its `cbUncomp`.
    pub expected: usize,
    pub out: Vec<u8>,
}

/// A decoded block (or why it could not be), with both buffers back for reuse.
pub(crate) struct Decoded {
    pub result: Result<(), CabError>,
    pub input: Vec<u8>,
    pub out: Vec<u8>,
}

/// The decoding thread of one cabinet set.
pub(crate) struct Ahead {
    tx: Option<SyncSender<Msg>>,
    rx: Receiver<Decoded>,
    handle: Option<JoinHandle<()>>,
    /// Buffers back from the thread, for the next blocks.
    pub spare_inputs: Vec<Vec<u8>>,
    pub spare_outs: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Ahead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ahead").finish_non_exhaustive()
    }
}

impl Ahead {
    /// Starts the thread; `None` when the system has no thread to give (then one thread does
    /// everything, as it would on one core).
    pub(crate) fn start() -> Option<Ahead> {
        let (tx, jobs) = sync_channel(DEPTH + 2);
        let (done, rx) = channel();
        let handle = std::thread::Builder::new()
            .name("cab-decode".into())
            .spawn(move || decode(&jobs, &done))
            .ok()?;
        Some(Ahead {
            tx: Some(tx),
            rx,
            handle: Some(handle),
            spare_inputs: Vec::new(),
            spare_outs: Vec::new(),
        })
    }

    /// Hands the next folder's codec over; false when the thread is gone.
    pub(crate) fn folder(&mut self, codec: Codec) -> bool {
        self.send(Msg::Folder(codec))
    }

    /// The folder starts again; false when the thread is gone.
    pub(crate) fn reset(&mut self) -> bool {
        self.send(Msg::Reset)
    }

    /// Queues a block; false when the thread is gone.
    pub(crate) fn block(&mut self, block: Block) -> bool {
        self.send(Msg::Block(block))
    }

    /// The oldest block queued, decoded; `None` when the thread is gone (it panicked).
    pub(crate) fn next(&mut self) -> Option<Decoded> {
        self.rx.recv().ok()
    }

    fn send(&mut self, msg: Msg) -> bool {
        self.tx.as_ref().is_some_and(|tx| tx.send(msg).is_ok())
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        // The thread ends when its queue closes (after the blocks still in it).
        drop(self.tx.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn decode(jobs: &Receiver<Msg>, done: &std::sync::mpsc::Sender<Decoded>) {
    let mut codec: Option<Codec> = None;
    // The folder's last decoded block: MSZIP's history (`Codec::decode` reads it on entry).
    let mut last: Vec<u8> = Vec::new();
    while let Ok(msg) = jobs.recv() {
        match msg {
            Msg::Folder(c) => {
                codec = Some(c);
                last.clear();
            }
            Msg::Reset => {
                if let Some(c) = codec.as_mut() {
                    c.reset();
                }
                last.clear();
            }
            Msg::Block(Block {
                number,
                input,
                len,
                expected,
                mut out,
            }) => {
                let data = input.get(..len).unwrap_or_default();
                let result = match codec.as_mut() {
                    Some(c) if c.reads_previous_output() => {
                        let r = c.decode(number, data, &mut last, expected);
                        out.clear();
                        out.extend_from_slice(&last);
                        r
                    }
                    Some(c) => c.decode(number, data, &mut out, expected),
                    // A block always follows its folder's codec.
                    None => {
                        out.clear();
                        Ok(())
                    }
                };
                if done.send(Decoded { result, input, out }).is_err() {
                    return;
                }
            }
        }
    }
}
