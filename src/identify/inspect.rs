//! The `inspect` walk: every package and patch inside the inputs, with its facts from its name
//! and from its contents, and the findings where the two disagree. Nothing is written.
//!
//! Members that are containers (or are named like packages and patches) are spooled — in
//! memory up to [`MEMORY_SPOOL`], else to an anonymous temporary file — and hashed while
//! spooled, then looked into; every other member is only read through.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::Digest as _;

use crate::authenticode::{self, Status, TrustStore, Verdict};
use crate::error::Error;
use crate::extract::limits::{BudgetExceeded, Limits};
use crate::extract::{NoProgress, Progress, open_input};
use crate::findings::{Against, Finding, FindingKind};
use crate::formats::cab::{NoVolumes, VolumeResolver};
use crate::formats::msi::{self, MsiError, PackageFacts};
use crate::formats::payload::{
    BytesSource, Digests, DirVolumes, FileSource, HashedFile, Payload, Source, unpack,
};
use crate::formats::pe::{self, PeFacts};
use crate::formats::{Entry, EntrySink, Format, FormatError, SNIFF_LEN, sniff};
use crate::identify::names::{NameFacts, NameKind, classify_name, lcid_language};
use crate::model::{Arch, Build, Origin, Sha1, Sha256};

/// Members up to this size are spooled in memory; larger ones to a temporary file.
pub const MEMORY_SPOOL: u64 = 16 << 20;

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
}

impl Item {
    /// Whether it is a patch (`.msp`), by content or by name; never a companion file.
    pub fn is_patch(&self) -> bool {
        !self.companion
            && (self.package.as_ref().is_some_and(|p| p.patch.is_some())
                || self.named.kind == NameKind::PatchMsp)
    }

    /// Every patch family it carries, lower-case: its MsiPatchSequence families, else its
    /// name's.
    pub fn families(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .package
            .as_ref()
            .and_then(|p| p.patch.as_ref())
            .map(|p| p.families.iter().map(|f| f.family.to_lowercase()).collect())
            .unwrap_or_default();
        if out.is_empty() {
            out.extend(self.named.family.clone());
        }
        out.sort();
        out.dedup();
        out
    }

    /// The one family a patch belongs to (for supersedence and placement): its name's family
    /// when MsiPatchSequence lists it (or lists nothing), else the first MsiPatchSequence
    /// family; lower-case.
    pub fn family(&self) -> Option<String> {
        let sequence: Vec<String> = self
            .package
            .as_ref()
            .and_then(|p| p.patch.as_ref())
            .map(|p| p.families.iter().map(|f| f.family.to_lowercase()).collect())
            .unwrap_or_default();
        match &self.named.family {
            Some(f) if sequence.is_empty() || sequence.contains(f) => Some(f.clone()),
            _ => sequence
                .into_iter()
                .next()
                .or_else(|| self.named.family.clone()),
        }
    }

    /// The build the content states: a patch's highest MsiPatchSequence, an MSI's
    /// ProductVersion, an executable's version resource (the package's build: "a better
    /// reference point for the package contents" than file versions, vendor document).
    pub fn build(&self) -> Option<Build> {
        if let Some(pkg) = &self.package {
            if let Some(b) = pkg.patch.as_ref().and_then(|p| p.build) {
                return Some(b);
            }
            if let Some(b) = pkg
                .properties
                .get("ProductVersion")
                .and_then(|v| Build::parse(v))
            {
                return Some(b);
            }
        }
        let v = self.pe.as_ref()?.version.as_ref()?;
        v.file_version
            .as_deref()
            .and_then(Build::parse)
            .or(v.fixed_file_version)
    }
}

/// The input (depth 0) the item at `index` comes from: the nearest earlier item of depth 0.
pub fn input_of(items: &[Item], index: usize) -> usize {
    (0..=index.min(items.len().saturating_sub(1)))
        .rev()
        .find(|&i| items[i].depth == 0)
        .unwrap_or(0)
}

/// Whether the item at `index` belongs to a service pack: its name, or the name of the input
/// package holding it, says so (`stswwsp2.msp`, `wssv3sp2-kb953338-…`). Service packs and
/// updates are separate lines: a cumulative update does not replace the service pack it builds
/// on ("Microsoft enforces the installation order of service packs", vendor document).
pub fn is_service_pack(items: &[Item], index: usize) -> bool {
    let sp = |i: &Item| {
        i.named
            .release
            .as_deref()
            .is_some_and(|r| r.starts_with("SP"))
    };
    items.get(index).is_some_and(sp) || items.get(input_of(items, index)).is_some_and(sp)
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

/// Inspects every input (nothing is kept).
pub fn inspect(inputs: &[PathBuf], limits: &Limits, interrupt: &AtomicBool) -> Inspection {
    walk(inputs, limits, None, interrupt)
}

/// Inspects every input, checking signatures against the anchors of `trust` (`--trust`).
pub fn inspect_trusting(
    inputs: &[PathBuf],
    limits: &Limits,
    trust: &TrustStore,
    interrupt: &AtomicBool,
) -> Inspection {
    walk_trusting(inputs, limits, None, trust, interrupt)
}

/// Walks every input. With `pool`, every member of a package and every patch found is also
/// kept as a file in that folder (`Item::stored`), for the slipstream builder to place; a
/// plain file inside a package (a setup controller such as `wsssetup.dll`) becomes a
/// companion item.
pub fn walk(
    inputs: &[PathBuf],
    limits: &Limits,
    pool: Option<&Path>,
    interrupt: &AtomicBool,
) -> Inspection {
    walk_trusting(inputs, limits, pool, &TrustStore::default(), interrupt)
}

/// [`walk`], checking signatures against the anchors of `trust`.
pub fn walk_trusting(
    inputs: &[PathBuf],
    limits: &Limits,
    pool: Option<&Path>,
    trust: &TrustStore,
    interrupt: &AtomicBool,
) -> Inspection {
    walk_with(inputs, limits, pool, trust, &NoProgress, interrupt)
}

/// [`walk_trusting`], telling `progress` about every input, member and spooled byte.
pub fn walk_with(
    inputs: &[PathBuf],
    limits: &Limits,
    pool: Option<&Path>,
    trust: &TrustStore,
    progress: &dyn Progress,
    interrupt: &AtomicBool,
) -> Inspection {
    let mut out = Inspection::default();
    let mut pooled = 0u64;
    let mut spent = Spent::default();
    for input in inputs {
        if interrupt.load(Ordering::Relaxed) {
            out.interrupted = true;
            break;
        }
        progress.input(input);
        let mut walker = Walker {
            limits: *limits,
            interrupt,
            items: Vec::new(),
            pool: pool.map(Path::to_path_buf),
            pooled,
            trust,
            spent,
            progress,
        };
        match walker.input(input) {
            Ok(()) => {}
            Err(Error::Interrupted) => out.interrupted = true,
            Err(e) => out.failed.push((input.clone(), e)),
        }
        pooled = walker.pooled;
        spent = walker.spent;
        out.items.append(&mut walker.items);
    }
    out
}

struct Walker<'a> {
    limits: Limits,
    interrupt: &'a AtomicBool,
    items: Vec<Item>,
    /// Where members are kept (build), if anywhere.
    pool: Option<PathBuf>,
    /// Files written to the pool so far (their names are the count).
    pooled: u64,
    /// What the budgets have been charged so far, over every input.
    spent: Spent,
    /// Anchors for Authenticode chains.
    trust: &'a TrustStore,
    progress: &'a dyn Progress,
}

fn file_name(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

impl Walker<'_> {
    fn input(&mut self, path: &Path) -> Result<(), Error> {
        let origin = Origin::input(path);
        let (file, head) = open_input(path, &origin)?;
        drop(file);
        // Hashed by the readers that parse it: one pass for what they read in order.
        let hashed = HashedFile::new(path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let format = sniff(&head);
        let mut volumes = DirVolumes::beside(path);
        let index = self.items.len();
        self.node(
            &hashed,
            &mut volumes,
            NodeInfo {
                origin: origin.clone(),
                depth: 0,
                name,
                digests: Digests {
                    size: 0,
                    sha256: Sha256([0; 32]),
                    sha1: Sha1([0; 20]),
                },
                format,
                parent: None,
                stored: Some(path.to_path_buf()),
            },
        )?;
        let digests = hashed.finish().map_err(|e| Error::reading(&origin, e))?;
        if let Some(item) = self.items.get_mut(index) {
            item.size = digests.size;
            item.sha256 = digests.sha256;
            item.sha1 = digests.sha1;
        }
        Ok(())
    }

    /// Records one item (its facts and findings), then walks what it holds.
    fn node(
        &mut self,
        source: &dyn Source,
        volumes: &mut dyn VolumeResolver,
        info: NodeInfo,
    ) -> Result<(), Error> {
        let named = classify_name(&info.name);
        let mut findings = Vec::new();
        let mut pe_facts = None;
        let mut package = None;
        match info.format {
            Format::Executable => match source.open().and_then(|mut r| {
                let len = source.size()?;
                pe::facts(&mut *r, len)
            }) {
                Ok(f) => pe_facts = f,
                Err(e) => findings.push(Finding::new(
                    &info.origin,
                    FindingKind::MetadataUnreadable(Arc::new(Error::reading(&info.origin, e))),
                )),
            },
            Format::CompoundFile => match source
                .open()
                .map_err(|e| Error::reading(&info.origin, e))
                .and_then(|r| msi::facts(r).map_err(|e| Error::format(&info.origin, e)))
            {
                Ok(f) => package = Some(f),
                Err(e) => findings.push(Finding::new(
                    &info.origin,
                    FindingKind::MetadataUnreadable(Arc::new(e)),
                )),
            },
            Format::Cab | Format::Zip | Format::Unknown => {}
        }
        compare(
            &info,
            &named,
            pe_facts.as_ref(),
            package.as_ref(),
            &mut findings,
        );
        let signature = match authenticode::check(info.format, source, self.trust) {
            // An unsigned cabinet inside a package is the rule (MSI media, PCW_CAB_…).
            Ok(Some(v))
                if info.format == Format::Cab && info.depth > 0 && v.status == Status::Absent =>
            {
                None
            }
            Ok(v) => v,
            Err(e) => {
                findings.push(Finding::new(
                    &info.origin,
                    FindingKind::MetadataUnreadable(Arc::new(Error::reading(&info.origin, e))),
                ));
                None
            }
        };
        let index = self.items.len();
        self.items.push(Item {
            origin: info.origin.clone(),
            depth: info.depth,
            name: info.name.clone(),
            size: info.digests.size,
            sha256: info.digests.sha256,
            sha1: info.digests.sha1,
            format: info.format,
            named: named.clone(),
            pe: pe_facts,
            package,
            findings,
            signature,
            stored: info.stored.clone(),
            companion: false,
        });
        if !info.format.is_container() {
            return Ok(());
        }
        if info.depth as u64 >= u64::from(self.limits.max_depth) {
            self.items[index].findings.push(Finding::new(
                &info.origin,
                FindingKind::TooDeep {
                    limit: self.limits.max_depth,
                },
            ));
            return Ok(());
        }
        let mut sink = InspectSink {
            walker: self,
            depth: info.depth + 1,
            parent: Some(named),
            // A package's own payload keeps its plain files (setup controllers); a patch's
            // cabinet holds the product's files, which are not companions.
            payload_of_package: info.depth == 0 && info.format != Format::CompoundFile,
        };
        let result = unpack(source, info.format, &info.origin, volumes, &mut sink);
        match result {
            Ok(Payload::Extracted) => Ok(()),
            Ok(Payload::None(_)) => {
                // A DLL or tool inside a package is not a package: an executable member is
                // reported only when it is named like one or carries a payload.
                if info.depth > 0
                    && info.format == Format::Executable
                    && self.items[index].named.kind == NameKind::Other
                {
                    self.items.truncate(index);
                }
                Ok(())
            }
            Err(Error::Interrupted) => Err(Error::Interrupted),
            // A budget is the run's limit, not damage to this package: the input fails.
            Err(e @ Error::Budget { .. }) => Err(e),
            Err(Error::Format {
                source: FormatError::Msi(MsiError::ExternalCabinetNotFound(name)),
                ..
            }) => {
                self.items[index].findings.push(Finding::new(
                    &info.origin,
                    FindingKind::ExternalCabinetMissing { cabinet: name },
                ));
                Ok(())
            }
            Err(e) => {
                self.items[index].findings.push(Finding::new(
                    &info.origin,
                    FindingKind::Damaged(Arc::new(e)),
                ));
                Ok(())
            }
        }
    }
}

/// What the walk knows about a node before looking at its content.
struct NodeInfo {
    origin: Origin,
    depth: usize,
    name: String,
    digests: Digests,
    format: Format,
    /// What the name of the package holding it says.
    parent: Option<NameFacts>,
    /// Where the bytes can be read again (see [`Item::stored`]).
    stored: Option<PathBuf>,
}

/// Where the name and the content (or the parent's name) disagree.
fn compare(
    info: &NodeInfo,
    named: &NameFacts,
    pe_facts: Option<&PeFacts>,
    package: Option<&PackageFacts>,
    findings: &mut Vec<Finding>,
) {
    let origin = &info.origin;
    if let Some(patch) = package.and_then(|p| p.patch.as_ref()) {
        if let (Some(name_kb), Some(content_kb)) = (named.kb, patch.kb)
            && name_kb != content_kb
        {
            findings.push(Finding::new(
                origin,
                FindingKind::KbMismatch {
                    name: name_kb,
                    content: content_kb,
                },
            ));
        }
        let std_name = patch
            .metadata
            .iter()
            .find(|m| m.1.eq_ignore_ascii_case("StdPackageName"))
            .map(|m| m.2.trim().to_owned());
        if let Some(std_name) = std_name
            && !std_name.is_empty()
            && !std_name.eq_ignore_ascii_case(&info.name)
        {
            findings.push(Finding::new(
                origin,
                FindingKind::StdPackageNameMismatch {
                    file: info.name.clone(),
                    std_name,
                },
            ));
        }
    }
    if let (Some(name_lang), Some(lcid)) = (
        named.language.as_ref(),
        package
            .and_then(|p| p.properties.get("ProductLanguage"))
            .and_then(|v| v.trim().parse::<u32>().ok()),
    ) && let Some(content_lang) = lcid_language(lcid)
        && !same_language(name_lang.as_str(), content_lang.as_str())
    {
        findings.push(Finding::new(
            origin,
            FindingKind::LanguageMismatch {
                name: name_lang.clone(),
                other: content_lang,
                against: Against::Content,
            },
        ));
    }
    // An x86 name on a 64-bit image is wrong; the reverse is common (x86 self-extractor stubs
    // wrap x64 payloads), so it is not flagged.
    if let (Some(Arch::X86), Some(machine)) = (named.arch, pe_facts.and_then(|p| p.machine))
        && matches!(machine, Arch::X64 | Arch::Ia64)
    {
        findings.push(Finding::new(
            origin,
            FindingKind::ArchMismatch {
                name: Arch::X86,
                other: machine,
                against: Against::Content,
            },
        ));
    }
    if let Some(parent) = &info.parent {
        if let (Some(mine), Some(theirs)) = (named.arch, parent.arch)
            && mine != theirs
            && !covers(theirs, mine)
        {
            findings.push(Finding::new(
                origin,
                FindingKind::ArchMismatch {
                    name: mine,
                    other: theirs,
                    against: Against::Parent,
                },
            ));
        }
        if let (Some(mine), Some(theirs)) = (&named.language, &parent.language)
            && !same_language(mine.as_str(), theirs.as_str())
        {
            findings.push(Finding::new(
                origin,
                FindingKind::LanguageMismatch {
                    name: mine.clone(),
                    other: theirs.clone(),
                    against: Against::Parent,
                },
            ));
        }
    }
}

/// Whether a package of architecture `outer` may legitimately hold `inner` (an `x86_x64`
/// package holds both).
fn covers(outer: Arch, inner: Arch) -> bool {
    outer == Arch::X86X64 && matches!(inner, Arch::X86 | Arch::X64)
}

/// `en` and `en-us` agree (a two-letter name is less specific, not different).
fn same_language(a: &str, b: &str) -> bool {
    let primary = |s: &str| s.split('-').next().unwrap_or(s).to_owned();
    a == b || ((!a.contains('-') || !b.contains('-')) && primary(a) == primary(b))
}

/// Walks the members of one container.
struct InspectSink<'w, 'a> {
    walker: &'w mut Walker<'a>,
    depth: usize,
    parent: Option<NameFacts>,
    /// Whether these members are an input package's payload (their plain files are kept as
    /// companions when building).
    payload_of_package: bool,
}

/// A spooled member: in memory, in an anonymous temporary file, or kept in the pool.
enum Spool {
    Memory(Vec<u8>),
    File(tempfile::NamedTempFile),
    Pool(PathBuf, std::fs::File),
}

/// Budget use of a walk: members visited and bytes spooled (kept in memory, a temporary
/// file or the build's pool).
#[derive(Clone, Copy, Debug, Default)]
struct Spent {
    entries: u64,
    bytes: u64,
}

impl EntrySink for InspectSink<'_, '_> {
    fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), Error> {
        self.check_interrupt()?;
        let origin = entry.origin;
        let limits = self.walker.limits;
        self.walker.progress.entry();
        self.walker.spent.entries += 1;
        if self.walker.spent.entries > limits.max_entries {
            return Err(Error::Budget {
                origin: origin.clone(),
                source: BudgetExceeded::Entries {
                    limit: limits.max_entries,
                },
            });
        }
        let name = file_name(entry.name).to_owned();
        let mut head = Vec::with_capacity(SNIFF_LEN);
        data.take(SNIFF_LEN as u64)
            .read_to_end(&mut head)
            .map_err(|e| Error::reading(origin, e))?;
        let format = sniff(&head);
        let named_kind = classify_name(&name).kind;
        let interesting = format.is_container() || named_kind != NameKind::Other;
        // When building, a package's own payload is kept whole (patches and their companion
        // files); deeper down only packages and patches.
        let keep = self.walker.pool.is_some() && (interesting || self.payload_of_package);
        if !interesting && !keep {
            io::copy(data, &mut io::sink()).map_err(|e| Error::reading(origin, e))?;
            return Ok(());
        }
        if entry.size > limits.max_entry_bytes {
            return Err(Error::Budget {
                origin: origin.clone(),
                source: BudgetExceeded::EntryBytes {
                    limit: limits.max_entry_bytes,
                },
            });
        }
        let mut hasher = sha2::Sha256::new();
        let mut hasher1 = sha1::Sha1::new();
        hasher.update(&head);
        hasher1.update(&head);
        let mut size = head.len() as u64;
        let mut spool = if let Some(pool) = &self.walker.pool {
            self.walker.pooled += 1;
            let path = pool.join(format!("{:06}", self.walker.pooled));
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|source| Error::Write {
                    path: path.clone(),
                    source,
                })?;
            f.write_all(&head).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
            Spool::Pool(path, f)
        } else if entry.size <= MEMORY_SPOOL {
            let mut v = Vec::with_capacity(usize::try_from(entry.size).unwrap_or(0));
            v.extend_from_slice(&head);
            Spool::Memory(v)
        } else {
            let mut f = tempfile::NamedTempFile::new().map_err(|e| Error::reading(origin, e))?;
            f.write_all(&head).map_err(|e| Error::reading(origin, e))?;
            Spool::File(f)
        };
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            self.check_interrupt()?;
            let n = match data.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::reading(origin, e)),
            };
            size += n as u64;
            self.walker.progress.bytes(n as u64);
            self.walker.spent.bytes += n as u64;
            if self.walker.spent.bytes > limits.max_total_bytes {
                return Err(Error::Budget {
                    origin: origin.clone(),
                    source: BudgetExceeded::TotalBytes {
                        limit: limits.max_total_bytes,
                    },
                });
            }
            if size > limits.max_entry_bytes {
                return Err(Error::Budget {
                    origin: origin.clone(),
                    source: BudgetExceeded::EntryBytes {
                        limit: limits.max_entry_bytes,
                    },
                });
            }
            hasher.update(&buf[..n]);
            hasher1.update(&buf[..n]);
            match &mut spool {
                Spool::Memory(v) => v.extend_from_slice(&buf[..n]),
                Spool::File(f) => f
                    .write_all(&buf[..n])
                    .map_err(|e| Error::reading(origin, e))?,
                Spool::Pool(path, f) => {
                    f.write_all(&buf[..n]).map_err(|source| Error::Write {
                        path: path.clone(),
                        source,
                    })?;
                }
            }
        }
        let info = NodeInfo {
            origin: origin.clone(),
            depth: self.depth,
            name,
            digests: Digests {
                size,
                sha256: Sha256(hasher.finalize().into()),
                sha1: Sha1(hasher1.finalize().into()),
            },
            format,
            parent: self.parent.clone(),
            stored: None,
        };
        if !interesting {
            // A companion file: kept for the builder, not looked into, not listed.
            let Spool::Pool(path, _) = spool else {
                return Ok(());
            };
            self.walker.items.push(Item {
                origin: info.origin,
                depth: info.depth,
                name: info.name,
                size: info.digests.size,
                sha256: info.digests.sha256,
                sha1: info.digests.sha1,
                format,
                named: classify_name(file_name(entry.name)),
                pe: None,
                package: None,
                findings: Vec::new(),
                signature: None,
                stored: Some(path),
                companion: true,
            });
            return Ok(());
        }
        match spool {
            Spool::Memory(v) => self
                .walker
                .node(&BytesSource(Arc::from(v)), &mut NoVolumes, info),
            Spool::File(f) => {
                let path = f.path().to_path_buf();
                self.walker.node(&FileSource(&path), &mut NoVolumes, info)
            }
            Spool::Pool(path, f) => {
                drop(f);
                let info = NodeInfo {
                    stored: Some(path.clone()),
                    ..info
                };
                self.walker.node(&FileSource(&path), &mut NoVolumes, info)
            }
        }
    }

    fn directory(&mut self, _entry: &Entry<'_>) -> Result<(), Error> {
        Ok(())
    }

    fn check_interrupt(&self) -> Result<(), Error> {
        if self.walker.interrupt.load(Ordering::Relaxed) {
            Err(Error::Interrupted)
        } else {
            Ok(())
        }
    }
}
