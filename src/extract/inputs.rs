//! The inputs of one `extract` run, walked side by side: with several inputs and more than
//! one thread, each of a few lanes (threads) takes the next input in turn, with a walker and
//! output tree of its own (inputs land in folders of their own, so their trees never meet),
//! and the results are put back in input order, so the report does not depend on the timing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::staging::Staging;
use super::walk::{Spent, Walker};
use super::writer::MAX_THREADS;
use super::{Error, Extracting, InputOutcome, Member, Note, Options, Progress};
use crate::safe_path::SafePath;

/// What walking the inputs gave: each input's outcome and notes (in input order), and every
/// member written, or the first write error.
pub(super) struct Walked {
    pub outcomes: Vec<InputOutcome>,
    pub notes: Vec<Note>,
    pub members: Result<Vec<Member>, Error>,
}

/// One input's result, as a lane finished it.
type Done = (usize, InputOutcome, Vec<Note>);

/// What a lane gave: its inputs' results, and its tree's members once every write ended.
type Lane = (Vec<Done>, Result<Vec<Member>, Error>);

/// Walks every input into the staging folder.
pub(super) fn walk(
    inputs: &[PathBuf],
    folders: Vec<Option<SafePath>>,
    staging: &Staging,
    opts: &Options,
    progress: &dyn Progress,
    interrupt: &'static AtomicBool,
) -> Walked {
    let spent = Spent::default();
    // At most four lanes, and four writing (and hashing) threads in all, so memory stays
    // bounded whatever `--threads` says: each writing thread holds a few chunks in flight.
    let lanes = if inputs.len() > 1 {
        opts.threads.clamp(1, inputs.len().min(MAX_THREADS))
    } else {
        1
    };
    let per_lane = (opts.threads / lanes).clamp(1, (MAX_THREADS / lanes).max(1));
    let next = AtomicUsize::new(0);
    let stopped = AtomicBool::new(false);
    let lane = |scratch: &Path| {
        let walker = Walker::writing(
            staging.path(),
            scratch,
            opts.limits,
            &spent,
            interrupt,
            progress,
            per_lane,
        )
        .with_msi_view(opts.msi_view)
        .skipping_digests(opts.skip_digests);
        run_lane(walker, inputs, &folders, opts, &next, &stopped)
    };
    let mut results: Vec<Lane> = Vec::new();
    if lanes == 1 {
        results.push(lane(staging.scratch()));
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..lanes)
                .map(|k| {
                    scope.spawn(move || {
                        // Scratch files (members compared with an earlier one of their name)
                        // get a folder per lane, so two lanes never pick the same scratch name.
                        let dir = staging.scratch().join(format!("lane-{k}"));
                        match std::fs::create_dir(&dir) {
                            Ok(()) => lane(&dir),
                            Err(source) => (Vec::new(), Err(Error::Write { path: dir, source })),
                        }
                    })
                })
                .collect();
            for h in handles {
                results.push(
                    h.join()
                        .unwrap_or_else(|_| (Vec::new(), Err(thread_stopped(staging)))),
                );
            }
        });
    }
    let mut done: Vec<Done> = Vec::with_capacity(inputs.len());
    let mut members = Ok(Vec::new());
    for (lane_done, lane_members) in results {
        done.extend(lane_done);
        match (&mut members, lane_members) {
            (Ok(all), Ok(mut m)) => all.append(&mut m),
            (Ok(_), Err(e)) => members = Err(e),
            (Err(_), _) => {}
        }
    }
    done.sort_by_key(|(i, _, _)| *i);
    let mut outcomes = Vec::with_capacity(done.len());
    let mut notes = Vec::new();
    for (_, outcome, mut n) in done {
        outcomes.push(outcome);
        notes.append(&mut n);
    }
    if outcomes.len() < inputs.len() && members.is_ok() {
        // A lane that stopped without its inputs (a thread that died) fails the run.
        members = Err(thread_stopped(staging));
    }
    Walked {
        outcomes,
        notes,
        members,
    }
}

/// A lane: takes inputs in turn until none is left; returns what each gave, and its tree's
/// members once every write has ended.
fn run_lane(
    mut walker: Walker<'_>,
    inputs: &[PathBuf],
    folders: &[Option<SafePath>],
    opts: &Options,
    next: &AtomicUsize,
    stopped: &AtomicBool,
) -> Lane {
    let mut done = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(input) = inputs.get(i) else {
            break;
        };
        let mut outcome = InputOutcome {
            path: input.clone(),
            format: None,
            members: 0,
            bytes: 0,
            error: None,
        };
        // After Ctrl-C, the inputs not yet begun are not read.
        if stopped.load(Ordering::Relaxed) {
            outcome.error = Some(Error::Interrupted);
            done.push((i, outcome, Vec::new()));
            continue;
        }
        let before = walker.tree_mut().map_or((0, 0), |t| t.counts());
        let mut visitor = Extracting {
            recursive: opts.recursive,
            format: None,
        };
        let folder = folders.get(i).cloned().flatten();
        let result = walker.input_unhashed(input, folder, &mut visitor);
        outcome.format = visitor.format;
        let after = walker.tree_mut().map_or((0, 0), |t| t.counts());
        outcome.members = after.0 - before.0;
        outcome.bytes = after.1 - before.1;
        let notes = walker
            .tree_mut()
            .map(|t| t.take_notes())
            .unwrap_or_default();
        if let Err(e) = result {
            if matches!(e, Error::Interrupted) {
                stopped.store(true, Ordering::Relaxed);
            }
            outcome.error = Some(e);
        }
        done.push((i, outcome, notes));
    }
    // Every write must have ended before the staging folder is committed or removed.
    let members = match walker.into_tree() {
        Some(tree) => tree.finish().map(|(members, _)| members),
        None => Ok(Vec::new()),
    };
    (done, members)
}

/// The error of a run one of whose extracting threads died.
fn thread_stopped(staging: &Staging) -> Error {
    Error::Write {
        path: staging.path().to_path_buf(),
        source: std::io::Error::other("an extracting thread stopped"),
    }
}
