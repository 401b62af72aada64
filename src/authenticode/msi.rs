//! Authenticode in MSI/MSP/MST packages (MS-CFB compound files): the PKCS#7 blob is the root
//! stream `\u{5}DigitalSignature`; an optional `MsiDigitalSignatureEx` root stream holds a
//! pre-hash of the entries' metadata.
//!
//! The digest follows osslsigncode (`msi.c`, `msi_hash_dir` and `msi_prehash_dir`): for each
//! storage, its children sorted by the UTF-16LE bytes of their names (a name that is a prefix
//! of another comes first), each stream's content, each sub-storage recursively, then the
//! storage's own CLSID; the two signature streams of the root are left out. With
//! `MsiDigitalSignatureEx` present, the digest of the metadata (names, sizes, state bits,
//! CLSIDs and FILETIMEs, MS-CFB §2.6.1) is hashed first.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{DigestAlgorithm, Multi, SigError, TrustStore, Verdict, evaluate};
use crate::formats::ReadSeek;
use crate::formats::payload::Source;

const DIGITAL_SIGNATURE: &str = "\u{5}DigitalSignature";
const DIGITAL_SIGNATURE_EX: &str = "MsiDigitalSignatureEx";
/// Deepest storage nesting followed.
const MAX_STORAGE_DEPTH: usize = 16;
/// Most directory entries visited.
const MAX_ENTRIES: usize = 100_000;

type Compound = cfb::CompoundFile<Box<dyn ReadSeek>>;

/// Checks the signature of a compound file; `absent` without `\u{5}DigitalSignature`.
pub fn check(source: &dyn Source, trust: &TrustStore) -> io::Result<Verdict> {
    let mut comp = match cfb::CompoundFile::open(source.open()?) {
        Ok(c) => c,
        // Sniffed as a compound file but unreadable: whatever it held cannot be checked.
        Err(_) => {
            return Ok(Verdict::invalid(&SigError::Malformed(
                "the compound file cannot be read",
            )));
        }
    };
    let root = PathBuf::from("/");
    let sig_path = root.join(DIGITAL_SIGNATURE);
    if !comp.is_stream(&sig_path) {
        return Ok(Verdict::absent());
    }
    let blob = match read_stream(&mut comp, &sig_path, super::MAX_SIGNATURE) {
        Ok(b) => b,
        Err(_) => {
            return Ok(Verdict::invalid(&SigError::Malformed(
                "the DigitalSignature stream cannot be read",
            )));
        }
    };
    let has_ex = comp.is_stream(root.join(DIGITAL_SIGNATURE_EX));
    evaluate(
        &blob,
        |algs| {
            let mut m = Multi::new(algs);
            if has_ex {
                // Each algorithm gets its own pre-hash, in its own digest.
                let mut pre = Multi::new(algs);
                let mut budget = MAX_ENTRIES;
                if let Err(e) = prehash(&comp, &root, true, 0, &mut budget, &mut pre) {
                    return Ok(Err(e));
                }
                let mut per_alg = Vec::new();
                for (alg, d) in pre.finish() {
                    per_alg.push((alg, d));
                }
                return Ok(hash_with_prehash(&mut comp, &root, algs, &per_alg));
            }
            let mut budget = MAX_ENTRIES;
            match hash_storage(&mut comp, &root, true, 0, &mut budget, &mut m) {
                Ok(()) => Ok(Ok(m.finish())),
                // A chain that runs past the end or loops: the package is damaged.
                Err(Fail::Io(e))
                    if matches!(
                        e.kind(),
                        io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData
                    ) =>
                {
                    Ok(Err(SigError::Malformed("a stream cannot be read")))
                }
                Err(Fail::Io(e)) => Err(e),
                Err(Fail::Sig(e)) => Ok(Err(e)),
            }
        },
        trust,
    )
}

/// The content digest of each algorithm with its own pre-hash in front.
fn hash_with_prehash(
    comp: &mut Compound,
    root: &Path,
    algs: &[DigestAlgorithm],
    pre: &[(DigestAlgorithm, Vec<u8>)],
) -> Result<Vec<(DigestAlgorithm, Vec<u8>)>, SigError> {
    let mut out = Vec::new();
    for &alg in algs {
        let mut m = Multi::new(&[alg]);
        if let Some((_, p)) = pre.iter().find(|(a, _)| *a == alg) {
            m.update(p);
        }
        let mut budget = MAX_ENTRIES;
        match hash_storage(comp, root, true, 0, &mut budget, &mut m) {
            Ok(()) => out.extend(m.finish()),
            Err(Fail::Io(_)) => return Err(SigError::Malformed("a stream cannot be read")),
            Err(Fail::Sig(e)) => return Err(e),
        }
    }
    Ok(out)
}

enum Fail {
    Io(io::Error),
    Sig(SigError),
}

fn read_stream(comp: &mut Compound, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut s = comp.open_stream(path)?;
    let mut v = Vec::new();
    (&mut s).take(limit).read_to_end(&mut v)?;
    Ok(v)
}

/// A child of a storage: its name, path and kind, sorted the osslsigncode way.
struct Child {
    key: Vec<u8>,
    path: PathBuf,
    is_stream: bool,
    entry: cfb::Entry,
}

fn children(
    comp: &Compound,
    dir: &Path,
    is_root: bool,
    budget: &mut usize,
) -> Result<Vec<Child>, SigError> {
    let entries = comp
        .read_storage(dir)
        .map_err(|_| SigError::Malformed("a storage cannot be listed"))?;
    let mut out = Vec::new();
    for e in entries {
        *budget = budget
            .checked_sub(1)
            .ok_or(SigError::Malformed("too many entries"))?;
        let name = e.name();
        if is_root && (name == DIGITAL_SIGNATURE || name == DIGITAL_SIGNATURE_EX) {
            continue;
        }
        out.push(Child {
            key: name.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            path: e.path().to_path_buf(),
            is_stream: e.is_stream(),
            entry: e,
        });
    }
    // memcmp over the UTF-16LE names: plain byte order, a prefix first.
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

fn hash_storage(
    comp: &mut Compound,
    dir: &Path,
    is_root: bool,
    depth: usize,
    budget: &mut usize,
    m: &mut Multi,
) -> Result<(), Fail> {
    if depth > MAX_STORAGE_DEPTH {
        return Err(Fail::Sig(SigError::Malformed("storages nested too deep")));
    }
    let kids = children(comp, dir, is_root, budget).map_err(Fail::Sig)?;
    for c in &kids {
        if c.is_stream {
            let mut s = comp.open_stream(&c.path).map_err(Fail::Io)?;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = s.read(&mut buf).map_err(Fail::Io)?;
                if n == 0 {
                    break;
                }
                m.update(&buf[..n]);
            }
        } else {
            hash_storage(comp, &c.path, false, depth + 1, budget, m)?;
        }
    }
    let clsid = comp.entry(dir).map_err(Fail::Io)?.clsid().to_bytes_le();
    m.update(&clsid);
    Ok(())
}

/// FILETIME (100 ns since 1601-01-01) of a time the cfb crate decoded.
fn filetime(t: std::time::SystemTime) -> u64 {
    const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;
    let ticks = |d: std::time::Duration| {
        d.as_secs()
            .saturating_mul(10_000_000)
            .saturating_add(u64::from(d.subsec_nanos() / 100))
    };
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH_FILETIME.saturating_add(ticks(d)),
        Err(e) => UNIX_EPOCH_FILETIME.saturating_sub(ticks(e.duration())),
    }
}

/// osslsigncode `prehash_metadata`: name (not for the root), CLSID (storages) or the low 32
/// bits of the size (streams), state bits, and the two FILETIMEs (not for the root).
fn metadata(e: &cfb::Entry, m: &mut Multi) {
    if !e.is_root() {
        let name: Vec<u8> = e.name().encode_utf16().flat_map(u16::to_le_bytes).collect();
        m.update(&name);
    }
    if e.is_stream() {
        m.update(&(e.len() as u32).to_le_bytes());
    } else {
        m.update(&e.clsid().to_bytes_le());
    }
    m.update(&e.state_bits().to_le_bytes());
    if !e.is_root() {
        m.update(&filetime(e.created()).to_le_bytes());
        m.update(&filetime(e.modified()).to_le_bytes());
    }
}

fn prehash(
    comp: &Compound,
    dir: &Path,
    is_root: bool,
    depth: usize,
    budget: &mut usize,
    m: &mut Multi,
) -> Result<(), SigError> {
    if depth > MAX_STORAGE_DEPTH {
        return Err(SigError::Malformed("storages nested too deep"));
    }
    let me = comp
        .entry(dir)
        .map_err(|_| SigError::Malformed("a storage cannot be read"))?;
    metadata(&me, m);
    for c in children(comp, dir, is_root, budget)? {
        if c.is_stream {
            metadata(&c.entry, m);
        } else {
            prehash(comp, &c.path, false, depth + 1, budget, m)?;
        }
    }
    Ok(())
}
