//! The `inspect` walk: every package and patch inside the inputs, with its facts from its name
//! and from its contents, and the findings where the two disagree. Nothing is written.
//!
//! The walk is the one walker's ([`crate::extract::walk`]): members that are containers (or
//! are named like packages and patches) are spooled and looked into; every other member is
//! only read through and hashed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::facts;
use crate::authenticode::{TrustStore, Verdict};
use crate::extract::limits::Limits;
use crate::extract::walk::{self, Node, Spent, Visitor, Walked, Walker};
use crate::extract::{Error, Progress};
use crate::findings::{Finding, FindingKind};
use crate::formats::msi::{MsiError, PackageFacts};
use crate::formats::payload::{Digests, Source};
use crate::formats::pe::PeFacts;
use crate::formats::{Format, FormatError};
use crate::model::{Origin, Sha1, Sha256};
use crate::names::{NameFacts, NameKind, classify_name};

/// One package, patch or container found.
#[derive(Debug)]
pub struct Item {
    pub origin: Origin,
    /// 0 for an input, 1 for what it holds, …
    pub depth: usize,
    /// The file name (last component of the name as stored).
    pub name: String,
    pub size: u64,
    pub sha256: Sha256,
    pub sha1: Sha1,
    pub format: Format,
    /// What the name says.
    pub named: NameFacts,
    pub pe: Option<PeFacts>,
    pub package: Option<PackageFacts>,
    pub findings: Vec<Finding>,
    /// The Authenticode verdict: every executable and MSI/MSP, every input cabinet, and
    /// nested cabinets that are signed; `None` for everything else.
    pub signature: Option<Verdict>,
    /// Where the bytes can be read again: the input itself, or its copy in the build's pool.
    pub stored: Option<PathBuf>,
    /// A plain file inside a package (not a package or patch), kept only when pooling.
    pub companion: bool,
    /// A patch in the setup media's `Updates` folder (`build --media`), or what it holds: not
    /// a download.
    pub from_media: bool,
}

/// The result of an inspection.
#[derive(Debug, Default)]
pub struct Inspection {
    /// Every item, inputs in the order given, each followed by what it holds (pre-order).
    pub items: Vec<Item>,
    /// Inputs that could not be read at all.
    pub failed: Vec<(PathBuf, Error)>,
    pub interrupted: bool,
}

impl Inspection {
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.items.iter().flat_map(|i| i.findings.iter())
    }
}

/// How an identify walk runs.
#[derive(Clone, Copy, Debug)]
pub struct WalkOptions<'a> {
    pub limits: Limits,
    /// Where a build keeps the members it may place (`None`: nothing is kept).
    pub pool: Option<&'a Path>,
    /// Anchors for Authenticode chains.
    pub trust: &'a TrustStore,
    /// Inputs walked side by side (at least 1).
    pub threads: usize,
}

/// Walks every input, checking signatures against `trust` and telling `progress` about every
/// input, member and byte unpacked. With `pool`, every member of a package and every patch
/// found is also kept as a file in that folder (`Item::stored`), for the slipstream builder to
/// place; a plain file inside a package (a setup controller such as `wsssetup.dll`) becomes a
/// companion item.
pub fn walk_with(
    inputs: &[PathBuf],
    walk: &WalkOptions<'_>,
    progress: &dyn Progress,
    interrupt: &'static AtomicBool,
) -> Inspection {
    let WalkOptions {
        limits,
        pool,
        trust,
        threads,
    } = *walk;
    let spent = Spent::default();
    let next_pooled = Arc::new(AtomicU64::new(0));
    let walk_one = |input: &PathBuf| -> Result<Vec<Item>, Error> {
        let mut walker = match pool {
            Some(dir) => Walker::pooling(
                dir,
                Arc::clone(&next_pooled),
                limits,
                &spent,
                interrupt,
                progress,
            ),
            None => Walker::spooling(limits, &spent, interrupt, progress),
        };
        let mut visitor = Identify {
            items: Vec::new(),
            of_node: HashMap::new(),
            pooling: pool.is_some(),
            trust,
        };
        let digests = walker.input(input, None, &mut visitor)?;
        if let Some(item) = visitor.items.first_mut() {
            item.size = digests.size;
            item.sha256 = digests.sha256;
            item.sha1 = digests.sha1;
        }
        Ok(visitor.items)
    };
    // Independent inputs are walked side by side, each by one thread; their results are put
    // back in input order, so the report and the exit status do not depend on the timing.
    let threads = threads.clamp(1, inputs.len().max(1));
    let next_input = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Vec<Item>, Error>>> = Vec::new();
    results.resize_with(inputs.len(), || None);
    let done = std::sync::Mutex::new(results);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next_input.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else {
                        break;
                    };
                    let result = if interrupt.load(Ordering::Relaxed) {
                        Err(Error::Interrupted)
                    } else {
                        walk_one(input)
                    };
                    if let Ok(mut done) = done.lock() {
                        done[i] = Some(result);
                    }
                }
            });
        }
    });
    let mut out = Inspection::default();
    let results = done.into_inner().unwrap_or_default();
    for (input, result) in inputs.iter().zip(results) {
        match result {
            Some(Ok(mut items)) => out.items.append(&mut items),
            Some(Err(Error::Interrupted)) | None => out.interrupted = true,
            // An input whose walk failed has no items: what was seen of it is not it.
            Some(Err(e)) => out.failed.push((input.clone(), e)),
        }
    }
    out
}

/// identify's view of the walk: which members to look at (containers, and names that are
/// packages or patches; when building, a package's whole payload), and each node's facts.
struct Identify<'a> {
    items: Vec<Item>,
    /// The item of each walk node that has one.
    of_node: HashMap<usize, usize>,
    /// Whether the walk keeps a pool for `build` (a package's plain files become companions).
    pooling: bool,
    trust: &'a TrustStore,
}

impl Identify<'_> {
    fn parent_item(&self, node: Option<usize>) -> Option<&Item> {
        node.and_then(|n| self.of_node.get(&n))
            .map(|&i| &self.items[i])
    }

    /// Whether a member is an input package's own payload (whose plain files, such as setup
    /// controllers, a build keeps as companions). A patch's cabinet holds the product's files,
    /// which are not companions.
    fn payload_of_package(&self, parent: usize) -> bool {
        self.parent_item(Some(parent))
            .is_some_and(|p| p.depth == 0 && p.format != Format::CompoundFile)
    }
}

/// Whether a member is worth a look: a container, or named like a package or patch.
fn interesting(name: &str, format: Format) -> bool {
    format.is_container() || classify_name(name).kind != NameKind::Other
}

impl Visitor for Identify<'_> {
    fn keep(&mut self, member: &walk::Member<'_>) -> bool {
        interesting(member.name, member.format)
            || (self.pooling && self.payload_of_package(member.parent))
    }

    fn node(&mut self, node: &Node<'_>, source: &dyn Source) -> bool {
        let digests = node.digests.unwrap_or(Digests {
            size: 0,
            sha256: Sha256([0; 32]),
            sha1: Sha1([0; 20]),
        });
        let index = self.items.len();
        self.of_node.insert(node.id, index);
        if node.depth > 0 && !interesting(node.name, node.format) {
            // A companion file: kept for the builder, not looked into, not listed.
            self.items.push(Item {
                origin: node.origin.clone(),
                depth: node.depth as usize,
                name: node.name.to_owned(),
                size: digests.size,
                sha256: digests.sha256,
                sha1: digests.sha1,
                format: node.format,
                named: classify_name(node.name),
                pe: None,
                package: None,
                findings: Vec::new(),
                signature: None,
                stored: node.stored.map(Path::to_path_buf),
                companion: true,
                from_media: false,
            });
            return false;
        }
        let parent = self.parent_item(node.parent).map(|p| p.named.clone());
        let facts = facts::of_node(node, source, parent.as_ref(), self.trust);
        self.items.push(Item {
            origin: node.origin.clone(),
            depth: node.depth as usize,
            name: node.name.to_owned(),
            size: digests.size,
            sha256: digests.sha256,
            sha1: digests.sha1,
            format: node.format,
            named: facts.named,
            pe: facts.pe,
            package: facts.package,
            findings: facts.findings,
            signature: facts.signature,
            stored: node.stored.map(Path::to_path_buf),
            companion: false,
            from_media: false,
        });
        // An input of no known format is opened too: it may embed a cabinet, and if it does
        // not it is no package at all (see `walked`).
        node.format.is_container() || (node.depth == 0 && node.format == Format::Unknown)
    }

    fn walked(&mut self, node: &Node<'_>, outcome: Walked) -> Result<(), Error> {
        let Some(&index) = self.of_node.get(&node.id) else {
            return Ok(());
        };
        let finding = match outcome {
            Walked::Complete => return Ok(()),
            // An input that is no known format and holds no cabinet is not a package at all
            // (a text file, an error page saved under a package's name): nothing to verify.
            Walked::NoPayload(why) if node.depth == 0 && node.format == Format::Unknown => {
                return Err(Error::format(node.origin, why));
            }
            Walked::NoPayload(_) => {
                // A DLL or tool inside a package is not a package: an executable member is
                // reported only when it is named like one or carries a payload.
                if node.depth > 0
                    && node.format == Format::Executable
                    && self.items[index].named.kind == NameKind::Other
                {
                    self.items.truncate(index);
                    self.of_node.remove(&node.id);
                }
                return Ok(());
            }
            Walked::Damaged(Error::Format {
                source: FormatError::Msi(MsiError::ExternalCabinetNotFound(name)),
                ..
            }) => FindingKind::ExternalCabinetMissing { cabinet: name },
            Walked::Damaged(e) => FindingKind::Damaged(Arc::new(e)),
            Walked::Unsupported(e) => FindingKind::Unsupported(Arc::new(e)),
        };
        self.items[index]
            .findings
            .push(Finding::new(node.origin, finding));
        Ok(())
    }
}
