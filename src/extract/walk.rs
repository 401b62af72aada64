//! The one walker: every command reads every input through it. It recurses into containers,
//! checks every member name with the one path checker and the collision rule, charges the
//! budgets, hashes every byte as it flows, and keeps what the command needs — files in the
//! output tree (`extract`), spooled copies to look at (`inspect`, `verify`) or a pool of files
//! (`build`) — while a [`Visitor`] decides what to keep and what each node is.
//!
//! Data flow for one member: container reader → [`Sink::file`] (path check, entry budget,
//! first bytes sniffed, visitor's choice) → [`Meter::pump`] (size budgets, interrupt, progress)
//! → hashers → memory / temporary file / pool file / background writer → [`Visitor::node`] →
//! (when the visitor opens it) the same walk one level down.
//!
//! The walker also decides what "damaged" means: a container whose reader fails on its bytes
//! ([`Walked::Damaged`]); everything that stops the walk instead — a refused name, a budget,
//! a failed write, Ctrl-C — is an [`Error`] that ends the input.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::error::Error;
pub use super::flow::Spent;
use super::flow::{Fail, Hold, Holder, Meter};
use super::limits::{BudgetExceeded, Limits};
use super::names::{Digest, Names};
use super::tree::TreeStore;
use super::{Progress, open_input};
use crate::formats::cab::{NoVolumes, Volume, VolumeResolver};
use crate::formats::msi::MsiView;
use crate::formats::payload::{
    BytesSource, Digests, DirVolumes, FileSource, HashedFile, Payload, Source, unpack,
};
use crate::formats::{Entry, EntrySink, Format, FormatError, ReadError, SNIFF_LEN, sniff};
use crate::model::{Origin, OriginStep, Sha256};
use crate::safe_path::SafePath;

/// Members up to this size are spooled in memory; larger ones to a temporary file.
pub const MEMORY_SPOOL: u64 = 16 << 20;

/// The suffix of the folder a nested container's members are placed in.
pub const EXTRACTED_SUFFIX: &str = ".extracted";

/// A node of the walk: an input, or a member kept for a closer look.
#[derive(Debug)]
pub struct Node<'a> {
    /// Unique within the walk of one input, in pre-order (the input is 0).
    pub id: usize,
    pub parent: Option<usize>,
    /// 0 for an input, 1 for what it holds, …
    pub depth: u32,
    pub origin: &'a Origin,
    /// The file name: the last component of the name as stored (of the path, for an input).
    pub name: &'a str,
    pub format: Format,
    /// Size and digests; `None` for an input, whose digests are known when its walk ends.
    pub digests: Option<Digests>,
    /// A file on disk holding its bytes (the input itself, a pooled or extracted file).
    pub stored: Option<&'a Path>,
}

/// A member, as the visitor sees it before deciding whether to keep it.
#[derive(Debug)]
pub struct Member<'a> {
    /// The file name (last component of the name as stored).
    pub name: &'a str,
    pub origin: &'a Origin,
    /// The declared size.
    pub size: u64,
    /// Sniffed from its first bytes.
    pub format: Format,
    pub depth: u32,
    /// The node that holds it.
    pub parent: usize,
}

/// How walking a node's content ended.
#[derive(Debug)]
pub enum Walked {
    /// Every member was read.
    Complete,
    /// Nothing to unpack (an executable without payload, an MSI without cabinets, a file of
    /// no known format): the reason. Fine for a member; an input's caller decides.
    NoPayload(FormatError),
    /// The container could not be read completely: damaged (format or read error).
    Damaged(Error),
    /// The container uses something slipway cannot read (a compression type it does not
    /// know): not read completely, but not damaged either.
    Unsupported(Error),
}

/// Decides what a walk keeps and what each node is (identify, extract).
pub trait Visitor {
    /// Whether to keep a member (spool, pool or write it) for a look; the others are read
    /// through and hashed only. `extract` writes every member whatever this says.
    fn keep(&mut self, member: &Member<'_>) -> bool;
    /// A kept node's bytes are complete (an input: before its digests are known): look at
    /// them; return whether to open it as a container.
    fn node(&mut self, node: &Node<'_>, source: &dyn Source) -> bool;
    /// How walking an opened node ended. `Err` ends the input.
    fn walked(&mut self, node: &Node<'_>, outcome: Walked) -> Result<(), Error>;
}

/// Where kept members go.
enum Store {
    /// `inspect`, `verify`: spooled in memory or a temporary file, dropped after the look.
    Spool,
    /// `build`: numbered files in a pool folder.
    Pool { dir: PathBuf, next: Arc<AtomicU64> },
    /// `extract`: every member a file at its path in the output tree.
    Tree(Box<TreeStore>),
}

/// Walks inputs (see the module documentation).
pub struct Walker<'a> {
    meter: Meter<'a>,
    store: Store,
    next_id: usize,
    /// The reason the sink stopped the walk (returned as [`ReadError::Stopped`]).
    stopped: Option<Error>,
    /// How an MSI's members are named (every command: the installed layout by default).
    msi_view: MsiView,
    /// Threads this walk may use (`--threads`): above 2, a cabinet is decompressed on a
    /// thread of its own while this one hands out the members.
    threads: usize,
}

impl std::fmt::Debug for Walker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Walker")
            .field("limits", &self.meter.limits)
            .finish_non_exhaustive()
    }
}

impl<'a> Walker<'a> {
    fn with(
        store: Store,
        limits: Limits,
        spent: &'a Spent,
        interrupt: &'static AtomicBool,
        progress: &'a dyn Progress,
    ) -> Walker<'a> {
        Walker {
            meter: Meter {
                limits,
                spent,
                interrupt,
                progress,
            },
            store,
            next_id: 0,
            stopped: None,
            msi_view: MsiView::default(),
            threads: 1,
        }
    }

    /// Names the members of MSIs and merge modules by `view` (extract's stream view).
    pub fn with_msi_view(mut self, view: MsiView) -> Walker<'a> {
        self.msi_view = view;
        self
    }

    /// A writing walk whose members' digests nobody reads: they are not computed (see
    /// [`TreeStore::skip_digests`]).
    pub(super) fn skipping_digests(mut self, skip: bool) -> Walker<'a> {
        if skip && let Some(tree) = self.tree_mut() {
            tree.skip_digests();
        }
        self
    }

    /// A walk that keeps nothing: kept members are spooled for a look (inspect, verify).
    pub fn spooling(
        limits: Limits,
        spent: &'a Spent,
        interrupt: &'static AtomicBool,
        progress: &'a dyn Progress,
    ) -> Walker<'a> {
        Walker::with(Store::Spool, limits, spent, interrupt, progress)
    }

    /// A walk that keeps every kept member as a numbered file in `dir` (build). Walks that
    /// share `next` (parallel inputs) never pick the same number.
    pub fn pooling(
        dir: &Path,
        next: Arc<AtomicU64>,
        limits: Limits,
        spent: &'a Spent,
        interrupt: &'static AtomicBool,
        progress: &'a dyn Progress,
    ) -> Walker<'a> {
        let store = Store::Pool {
            dir: dir.to_path_buf(),
            next,
        };
        Walker::with(store, limits, spent, interrupt, progress)
    }

    /// A walk that writes every member into the tree at `root` (extract), with `threads`
    /// threads: members are written and hashed on up to `threads` (at most 4) writing and
    /// hashing threads each, and above 2 cabinets are decompressed on a thread of their own.
    pub(super) fn writing(
        root: &Path,
        scratch: &Path,
        limits: Limits,
        spent: &'a Spent,
        interrupt: &'static AtomicBool,
        progress: &'a dyn Progress,
        threads: usize,
    ) -> Walker<'a> {
        let store = Store::Tree(Box::new(TreeStore::new(root, scratch, threads)));
        let mut walker = Walker::with(store, limits, spent, interrupt, progress);
        walker.threads = threads.max(1);
        walker
    }

    /// The output tree of a writing walk.
    pub(super) fn into_tree(self) -> Option<TreeStore> {
        match self.store {
            Store::Tree(t) => Some(*t),
            Store::Spool | Store::Pool { .. } => None,
        }
    }

    pub(super) fn tree_mut(&mut self) -> Option<&mut TreeStore> {
        match &mut self.store {
            Store::Tree(t) => Some(t),
            Store::Spool | Store::Pool { .. } => None,
        }
    }

    fn new_id(&mut self) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Walks one input; `base` is the folder of the output tree its members go to (extract
    /// with several inputs). Returns the input's size and digests, computed in the same pass
    /// that parsed it.
    pub fn input(
        &mut self,
        path: &Path,
        base: Option<SafePath>,
        visitor: &mut dyn Visitor,
    ) -> Result<Digests, Error> {
        let hashed = self.walk_input(path, base, visitor, true)?;
        let digests = hashed.finish();
        self.meter.check_interrupt()?;
        digests.map_err(|e| Error::reading(&Origin::input(path), e))
    }

    /// Walks one input as [`input`](Self::input) does, without hashing it: for a command
    /// that reports no digest of its inputs (`extract` reports its members' only).
    pub(super) fn input_unhashed(
        &mut self,
        path: &Path,
        base: Option<SafePath>,
        visitor: &mut dyn Visitor,
    ) -> Result<(), Error> {
        self.walk_input(path, base, visitor, false)?;
        self.meter.check_interrupt()
    }

    fn walk_input(
        &mut self,
        path: &Path,
        base: Option<SafePath>,
        visitor: &mut dyn Visitor,
        hash: bool,
    ) -> Result<HashedFile, Error> {
        self.meter.check_interrupt()?;
        self.meter.progress.input(path);
        let origin = Origin::input(path);
        let (file, head, listed) = open_input(path, &origin)?;
        drop(file);
        self.meter.spent.add_input(listed.len);
        // Hashed (when asked) by the readers that parse it: one pass for what they read in
        // order.
        let hashed = if hash {
            HashedFile::new(path, listed, self.meter.interrupt)
        } else {
            HashedFile::unhashed(path, listed, self.meter.interrupt)
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let node = Node {
            id: self.new_id(),
            parent: None,
            depth: 0,
            origin: &origin,
            name: &name,
            format: sniff(&head),
            digests: None,
            stored: Some(path),
        };
        if visitor.node(&node, &hashed) {
            self.meter.check_interrupt()?;
            let mut volumes = DirVolumes::beside(path);
            self.open(&node, &hashed, &mut volumes, base, visitor)?;
        }
        Ok(hashed)
    }

    /// Opens a node as a container and walks its members (`base`: their folder in the
    /// output tree), then tells the visitor how it ended; returns whether every member was
    /// read.
    fn open(
        &mut self,
        node: &Node<'_>,
        source: &dyn Source,
        volumes: &mut dyn VolumeResolver,
        base: Option<SafePath>,
        visitor: &mut dyn Visitor,
    ) -> Result<bool, Error> {
        // The depth budget holds in every command: a container nested deeper ends the walk
        // (a nested bomb is refused at its first level too many, whatever it fans out to).
        if node.depth >= self.meter.limits.max_depth {
            return Err(Error::Budget {
                origin: node.origin.clone(),
                source: BudgetExceeded::Depth {
                    limit: self.meter.limits.max_depth,
                },
            });
        }
        let tree = matches!(self.store, Store::Tree(_));
        let mut sink = Sink {
            walker: self,
            visitor,
            parent: node.id,
            depth: node.depth + 1,
            base,
            // Outside the output tree, each container is a namespace of its own.
            names: (!tree).then(|| Names::new(None)),
            deferred: Vec::new(),
            again: false,
            last_held: None,
        };
        let msi_view = sink.walker.msi_view;
        let mut result = unpack(
            source,
            node.format,
            node.origin,
            volumes,
            &mut sink,
            msi_view,
        );
        if result.is_ok()
            && let Err(f) = sink.unpack_deferred()
        {
            result = Err(sink.fail(f));
        }
        let Sink { visitor, .. } = sink;
        // A read that failed because of Ctrl-C is not damage.
        self.meter.check_interrupt()?;
        let outcome = match result {
            Ok(Payload::Extracted) => Walked::Complete,
            Ok(Payload::None(why)) => Walked::NoPayload(why),
            Err(ReadError::Stopped) => {
                return Err(self.stopped.take().unwrap_or(Error::Interrupted));
            }
            Err(e) => {
                let e = Error::from_read(e, || Error::Interrupted);
                // The one definitions decide: unsupported, damaged, or anything else, which
                // ends the input.
                if e.is_unsupported() {
                    Walked::Unsupported(e)
                } else if e.is_damage() {
                    Walked::Damaged(e)
                } else {
                    return Err(e);
                }
            }
        };
        let complete = matches!(outcome, Walked::Complete);
        visitor.walked(node, outcome).map(|()| complete)
    }
}

/// Opens volumes and external cabinets beside a file, remembering which files it read.
struct Recording<'r> {
    inner: DirVolumes,
    dir: PathBuf,
    opened: &'r mut HashSet<PathBuf>,
}

impl VolumeResolver for Recording<'_> {
    fn open(&mut self, name: &str) -> std::io::Result<Option<Volume>> {
        let volume = self.inner.open(name)?;
        if let Some(Volume {
            step: OriginStep::Volume(file),
            ..
        }) = &volume
        {
            self.opened.insert(self.dir.join(file));
        }
        Ok(volume)
    }
}

/// Receives the members of one container.
struct Sink<'w, 'a, 'v> {
    walker: &'w mut Walker<'a>,
    visitor: &'v mut dyn Visitor,
    /// The node whose members these are.
    parent: usize,
    depth: u32,
    /// Their folder in the output tree.
    base: Option<SafePath>,
    /// This container's namespace (outside the output tree).
    names: Option<Names>,
    /// Nested containers written into the output tree, unpacked once all their siblings are
    /// there (an MSI reads its external cabinets from beside it).
    deferred: Vec<Deferred>,
    /// The member being handed over has the bytes of the one before ([`EntrySink::file_again`]).
    again: bool,
    /// The digests of the member held last (and whether they include its SHA-1).
    last_held: Option<(Digests, bool)>,
}

/// A nested container of the output tree waiting for its siblings.
struct Deferred {
    /// Its index among the tree's members.
    index: usize,
    disk: PathBuf,
    path: SafePath,
    origin: Origin,
    name: String,
    format: Format,
}

fn file_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

impl Sink<'_, '_, '_> {
    /// Keeps `e` as the walk's reason to stop.
    fn stop(&mut self, e: Error) -> ReadError {
        self.walker.stopped = Some(e);
        ReadError::Stopped
    }

    fn fail(&mut self, f: Fail) -> ReadError {
        match f {
            Fail::Read(e) => e,
            Fail::Stop(e) => self.stop(e),
        }
    }

    /// The checked path of a member in its namespace.
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

    /// One member, kept or read through (every store but the output tree).
    /// `last`: the digests of the member before (and whether they include its SHA-1) when
    /// this one repeats its bytes.
    fn held(
        &mut self,
        entry: &Entry<'_>,
        data: &mut dyn Read,
        path: SafePath,
        head: Vec<u8>,
        last: Option<(Digests, bool)>,
    ) -> Result<(), Fail> {
        let origin = entry.origin;
        let format = sniff(&head);
        let member = Member {
            name: file_name(entry.name),
            origin,
            size: entry.size,
            format,
            depth: self.depth,
            parent: self.parent,
        };
        let keep = self.visitor.keep(&member);
        let holder = if !keep {
            Holder::Nowhere
        } else {
            match &self.walker.store {
                Store::Pool { dir, next } => {
                    let n = next.fetch_add(1, Ordering::Relaxed) + 1;
                    let p = dir.join(format!("{n:06}"));
                    let f = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&p)
                        .map_err(|source| Error::Write {
                            path: p.clone(),
                            source,
                        })?;
                    Holder::Pool(p, f)
                }
                Store::Spool | Store::Tree(_) if entry.size <= MEMORY_SPOOL => {
                    Holder::Memory(Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0)))
                }
                Store::Spool | Store::Tree(_) => {
                    let f = tempfile::NamedTempFile::new().map_err(|source| Error::Write {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                    Holder::Temp(f)
                }
            }
        };
        // A repeat of the member before (the reader says so) takes its digests, when they
        // are all there: SHA-1 is only computed for kept members.
        let repeat = last.filter(|(d, with_sha1)| d.size == entry.size && (*with_sha1 || !keep));
        let with_sha1 = keep || repeat.is_some_and(|(_, w)| w);
        let mut hold = match repeat {
            Some((known, _)) => Hold::repeating(holder, known),
            None => Hold::new(holder, keep),
        };
        hold.take(&head)?;
        let size = self
            .walker
            .meter
            .pump(data, entry.size, origin, head.len(), &mut hold)?;
        if size != entry.size {
            return Err(Fail::Read(ReadError::format(
                origin,
                FormatError::SizeMismatch {
                    declared: entry.size,
                    actual: size,
                },
            )));
        }
        let digests = hold.digests();
        self.last_held = Some((digests, with_sha1));
        // The collision rule, as in the output tree: the same name twice is one file.
        if let Some(names) = &mut self.names {
            let rel = names.place(&path, origin)?;
            if let Some(first) = names.existing(&path, origin)? {
                // Outside the output tree every digest is known when it is recorded.
                let first_sha = match first.digest {
                    Digest::Known(sha) => sha,
                    Digest::Pending { .. } => Sha256([0; 32]),
                };
                first.same_file(first_sha, size, digests.sha256, &path, origin)?;
                if let Holder::Pool(p, _) = &hold.to {
                    let _ = std::fs::remove_file(p);
                }
                return Ok(());
            }
            names.add_file(&path, rel, size, Digest::Known(digests.sha256), origin);
        }
        if !keep {
            return Ok(());
        }
        let name = member.name.to_owned();
        // Each branch keeps what its source borrows alive until the look is over.
        let memory: BytesSource;
        let temp: tempfile::NamedTempFile;
        let pooled: PathBuf;
        let file: FileSource<'_>;
        let (source, stored): (&dyn Source, Option<&Path>) = match hold.to {
            Holder::Nowhere => return Ok(()),
            Holder::Memory(v) => {
                memory = BytesSource(Arc::from(v));
                (&memory, None)
            }
            Holder::Temp(f) => {
                temp = f;
                file = FileSource(temp.path());
                (&file, None)
            }
            Holder::Pool(p, f) => {
                drop(f);
                pooled = p;
                file = FileSource(&pooled);
                (&file, Some(&pooled))
            }
        };
        let node = self.member_node(origin, &name, format, digests, stored);
        self.look(&node, source, &mut NoVolumes, &path).map(|_| ())
    }

    /// The node of a kept member of this container.
    fn member_node<'n>(
        &mut self,
        origin: &'n Origin,
        name: &'n str,
        format: Format,
        digests: Digests,
        stored: Option<&'n Path>,
    ) -> Node<'n> {
        Node {
            id: self.walker.new_id(),
            parent: Some(self.parent),
            depth: self.depth,
            origin,
            name,
            format,
            digests: Some(digests),
            stored,
        }
    }

    /// Shows a kept member to the visitor, and walks it (its members placed below
    /// `<path>.extracted/`) when the visitor opens it; returns whether it was opened and read
    /// completely.
    fn look(
        &mut self,
        node: &Node<'_>,
        source: &dyn Source,
        volumes: &mut dyn VolumeResolver,
        path: &SafePath,
    ) -> Result<bool, Fail> {
        if !self.visitor.node(node, source) {
            return Ok(false);
        }
        let base = Some(path.with_suffix(EXTRACTED_SUFFIX));
        Ok(self
            .walker
            .open(node, source, volumes, base, self.visitor)?)
    }

    /// One member written into the output tree (extract).
    fn written(
        &mut self,
        entry: &Entry<'_>,
        data: &mut dyn Read,
        path: SafePath,
        head: Vec<u8>,
    ) -> Result<(), Fail> {
        let origin = entry.origin;
        let format = sniff(&head);
        let meter = &self.walker.meter;
        let Store::Tree(tree) = &mut self.walker.store else {
            return Ok(());
        };
        let Some((index, disk)) = tree.write(entry, data, &path, head, meter, self.again)? else {
            return Ok(());
        };
        let member = Member {
            name: file_name(entry.name),
            origin,
            size: entry.size,
            format,
            depth: self.depth,
            parent: self.parent,
        };
        if !format.is_container() || !self.visitor.keep(&member) {
            return Ok(());
        }
        let target = path.with_suffix(EXTRACTED_SUFFIX);
        if let Some((existing, existing_origin)) = tree.occupant(&target) {
            return Err(Error::Collision {
                origin: origin.clone(),
                path: target.to_string(),
                existing,
                existing_origin: existing_origin.unwrap_or_else(|| origin.clone()),
            }
            .into());
        }
        self.deferred.push(Deferred {
            index,
            disk,
            path,
            origin: origin.clone(),
            name: member.name.to_owned(),
            format,
        });
        Ok(())
    }

    /// Unpacks the nested containers of this container once all its members are written:
    /// MSIs first, so that the cabinets and set volumes beside them that they read are not
    /// unpacked a second time on their own.
    fn unpack_deferred(&mut self) -> Result<(), Fail> {
        let mut deferred = std::mem::take(&mut self.deferred);
        deferred.sort_by_key(|d| d.format != Format::CompoundFile);
        // Nested containers are read back from disk, and read each other (an MSI its
        // cabinets): every write must be complete first.
        let Some(tree) = self.walker.tree_mut() else {
            return Ok(());
        };
        let mut digests = Vec::with_capacity(deferred.len());
        for d in &deferred {
            digests.push(tree.complete(d.index)?);
        }
        let mut read_beside: HashSet<PathBuf> = HashSet::new();
        for (d, digests) in deferred.into_iter().zip(digests) {
            if read_beside.contains(&d.disk) {
                continue;
            }
            let mut volumes = Recording {
                inner: DirVolumes::beside(&d.disk),
                dir: d.disk.parent().map(Path::to_path_buf).unwrap_or_default(),
                opened: &mut read_beside,
            };
            let source = FileSource(&d.disk);
            let node = self.member_node(&d.origin, &d.name, d.format, digests, Some(&d.disk));
            let unpacked = self.look(&node, &source, &mut volumes, &d.path)?;
            if unpacked && let Some(tree) = self.walker.tree_mut() {
                tree.mark_unpacked(d.index);
            }
        }
        Ok(())
    }
}

impl EntrySink for Sink<'_, '_, '_> {
    fn file_again(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), ReadError> {
        self.again = true;
        let r = self.file(entry, data);
        self.again = false;
        r
    }

    fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), ReadError> {
        // Only the member handed over just before can be repeated.
        let last = self.last_held.take().filter(|_| self.again);
        self.check_interrupt()?;
        let origin = entry.origin;
        let checked = self
            .checked(entry, false)
            .and_then(|p| self.walker.meter.count_entry(origin).map(|()| p))
            .and_then(|p| {
                self.walker
                    .meter
                    .check_declared(entry.size, origin)
                    .map(|()| p)
            });
        let path = match checked {
            Ok(p) => p,
            Err(e) => return Err(self.stop(e)),
        };
        let mut head = Vec::with_capacity(SNIFF_LEN);
        if let Err(e) = data.take(SNIFF_LEN as u64).read_to_end(&mut head) {
            return Err(ReadError::reading(origin, e));
        }
        let result = if matches!(self.walker.store, Store::Tree(_)) {
            self.written(entry, data, path, head)
        } else {
            self.held(entry, data, path, head, last)
        };
        result.map_err(|f| self.fail(f))
    }

    fn directory(&mut self, entry: &Entry<'_>) -> Result<(), ReadError> {
        self.check_interrupt()?;
        let result = self.checked(entry, true).and_then(|path| {
            self.walker.meter.count_entry(entry.origin)?;
            match (&mut self.names, self.walker.tree_mut()) {
                (Some(names), _) => names.add_dir(&path, entry.origin),
                (None, Some(tree)) => tree.add_dir(&path, entry.origin),
                (None, None) => Ok(()),
            }
        });
        result.map_err(|e| self.stop(e))
    }

    fn announce(&mut self, origin: &Origin, entries: u64) -> Result<(), ReadError> {
        match self.walker.meter.check_announced(entries, origin) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.stop(e)),
        }
    }

    fn decode_ahead(&self) -> bool {
        // Measured on two cores (BENCHMARKS.md): the writing and hashing threads already keep
        // the second core busy, and a decoding thread then costs more in hand-offs than it
        // saves (`--threads 2` on 200 MiB of MSZIP: 412 ms with it, 379 ms without; LZX
        // about even). It waits for a third thread.
        self.walker.threads > 2
    }

    fn check_interrupt(&self) -> Result<(), ReadError> {
        if self.walker.meter.interrupt.load(Ordering::Relaxed) {
            // `stop` needs `&mut`; the walker maps a missing reason to `Interrupted`.
            Err(ReadError::Stopped)
        } else {
            Ok(())
        }
    }
}
