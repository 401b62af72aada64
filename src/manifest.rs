//! manifest: the install manifest (`install-manifest.json`, [`InstallManifest`]), `SHA256SUMS`,
//! and the offline bundle (`--bundle FILE.zip`).
//!
//! Everything written here is deterministic: fields in a fixed order, entries sorted, no
//! time but the build time (`--timestamp` pins it), fixed zip entry times.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::catalog::model::Catalog;
use crate::classify::Class;
use crate::findings::Finding;
use crate::identify::inspect::Inspection;
use crate::media::{MediaKind, Staged};
use crate::model::Sha256;
use crate::model::manifest::{
    FindingEntry, Input, InstallManifest, Languages, MediaEntry, MediaFileEntry, PackageEntry,
    PlacedEntry, RoleEntry, SCHEMA_VERSION, SupersededEntry, Tool,
};
use crate::plan::Plan;
use crate::verify::output::files_below;

pub use crate::model::manifest::{MANIFEST, SUMS};

/// The install manifest's JSON Schema, as shipped in `manifests/`.
pub const MANIFEST_SCHEMA: &str = include_str!("../manifests/install-manifest.schema.json");

/// How the manifest names each input: its file name (relative to the download folder it came
/// from), so the same downloads give the same manifest whatever the current directory; the
/// path as given when two inputs share a file name.
struct InputLabels(BTreeMap<String, String>);

impl InputLabels {
    fn new(insp: &Inspection) -> InputLabels {
        let given: Vec<String> = insp
            .items
            .iter()
            .filter(|i| i.depth == 0 && !i.from_media)
            .filter_map(|i| i.origin.labels().into_iter().next())
            .collect();
        let name = |p: &str| {
            std::path::Path::new(p)
                .file_name()
                .map_or_else(|| p.to_owned(), |n| n.to_string_lossy().into_owned())
        };
        let mut map = BTreeMap::new();
        for g in &given {
            let unique = given.iter().filter(|o| name(o) == name(g)).count() == 1;
            map.insert(g.clone(), if unique { name(g) } else { g.clone() });
        }
        InputLabels(map)
    }

    /// A message with every input named as the manifest names it: a finding's message may
    /// name another input (the patch that supersedes it) by the path it was given as.
    fn message(&self, text: &str) -> String {
        let mut given: Vec<(&String, &String)> =
            self.0.iter().filter(|(g, label)| g != label).collect();
        // Longer paths first, so that no path is replaced inside a longer one.
        given.sort_by_key(|(g, _)| std::cmp::Reverse(g.len()));
        given.into_iter().fold(text.to_owned(), |t, (g, label)| {
            t.replace(g.as_str(), label)
        })
    }

    /// An Origin chain's labels with its input relabelled.
    fn chain(&self, origin: &crate::model::Origin) -> Vec<String> {
        let mut labels = origin.labels();
        if let Some(first) = labels.first_mut()
            && let Some(label) = self.0.get(first)
        {
            first.clone_from(label);
        }
        labels
    }
}

/// The install manifest of a build.
pub fn install_manifest(
    product: &str,
    insp: &Inspection,
    classes: &[Class<'_>],
    plan: &Plan,
    findings: &[Finding],
    media: Vec<MediaEntry>,
    created: Option<String>,
) -> InstallManifest {
    let items = &insp.items;
    let labels = InputLabels::new(insp);
    let inputs = items
        .iter()
        .zip(classes)
        .filter(|(i, _)| i.depth == 0 && !i.from_media)
        .map(|(item, class)| Input {
            path: labels
                .chain(&item.origin)
                .first()
                .cloned()
                .unwrap_or_default(),
            size: item.size,
            sha256: item.sha256,
            sha1: item.sha1,
            kind: item.named.kind,
            kb: item.named.kb,
            build: class.build,
            arch: item.named.arch,
            scope: item.named.scope,
            language: item.named.language.clone(),
        })
        .collect();
    let roles = plan
        .roles
        .iter()
        .map(|r| RoleEntry {
            name: r.role.id.clone(),
            title: r.role.title.clone(),
            folder: r.role.id.clone(),
            rollout_rank: r.role.rollout_rank,
            patches: r
                .placed
                .iter()
                .map(|p| {
                    let item = &items[p.item];
                    PlacedEntry {
                        file: p.file.clone(),
                        kind: p.kind,
                        sha256: item.sha256,
                        size: item.size,
                        family: p.family.clone(),
                        kb: classes[p.item].kb,
                        build: p.build,
                        scope: p.scope,
                        language: p.language.clone(),
                        order: p.order,
                        targets: item
                            .package
                            .as_ref()
                            .and_then(|pk| pk.patch.as_ref())
                            .map(|pt| pt.targets.clone())
                            .unwrap_or_default(),
                        from: labels.chain(&item.origin),
                    }
                })
                .collect(),
            steps: r.steps.clone(),
            notes: r.role.notes.clone(),
        })
        .collect();
    let packages = plan
        .packages
        .iter()
        .map(|p| {
            let item = &items[p.item];
            PackageEntry {
                file: p.file.clone(),
                sha256: item.sha256,
                size: item.size,
                input: labels
                    .chain(&item.origin)
                    .first()
                    .cloned()
                    .unwrap_or_default(),
                kb: item.named.kb,
                roles: p.roles.clone(),
                order: p.order,
            }
        })
        .collect();
    let superseded = plan
        .superseded
        .iter()
        .map(|s| SupersededEntry {
            name: items[s.item].name.clone(),
            family: s.family.clone(),
            build: s.build,
            sha256: items[s.item].sha256,
            by: labels.chain(&items[s.by].origin),
            from: labels.chain(&items[s.item].origin),
        })
        .collect();
    InstallManifest {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "slipway".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        },
        created,
        product: product.to_owned(),
        languages: Languages {
            base: plan.base_language.clone(),
            chosen: plan.languages.clone(),
        },
        inputs,
        notes: plan.notes.clone(),
        media,
        roles,
        packages,
        superseded,
        findings: findings
            .iter()
            .map(|f| {
                let entry = FindingEntry::from(f);
                FindingEntry {
                    origin: labels.chain(&f.origin),
                    message: labels.message(&entry.message),
                    ..entry
                }
            })
            .collect(),
        documents: Vec::new(),
    }
}

/// The manifest's record of each medium: its identity and the files copied into every role
/// folder (all but the `Updates` patches in `handled`, which the plan placed or left out).
pub fn media_entries(
    staged: &[Staged],
    handled: &BTreeSet<PathBuf>,
    product: &Catalog,
) -> Vec<MediaEntry> {
    staged
        .iter()
        .map(|m| MediaEntry {
            kind: match m.source.kind {
                MediaKind::Product => "product",
                MediaKind::LanguagePack(_) => "language-pack",
            }
            .to_owned(),
            culture: match &m.source.kind {
                MediaKind::Product => None,
                MediaKind::LanguagePack(c) => Some(c.clone()),
            },
            source: m.source.label(),
            image: m.image,
            folder: m.source.folder(),
            identity: m.identity.clone(),
            notes: match m.source.kind {
                MediaKind::Product => product
                    .media
                    .as_ref()
                    .map(|md| md.notes.clone())
                    .unwrap_or_default(),
                MediaKind::LanguagePack(_) => Vec::new(),
            },
            files: m
                .files
                .iter()
                .filter(|f| !handled.contains(&f.stored))
                .map(|f| MediaFileEntry {
                    path: f.placed_path(),
                    size: f.size,
                    sha256: f.sha256,
                })
                .collect(),
        })
        .collect()
}

/// `SHA256SUMS` text for (relative path, digest) pairs, sorted by path, `sha256sum -c` style.
pub fn sums_text(files: &BTreeMap<String, Sha256>) -> String {
    let mut out = String::new();
    for (path, sha) in files {
        out.push_str(&format!("{sha}  {path}\n"));
    }
    out
}

/// Writes the install manifest and `SHA256SUMS` (every placed file and the manifest) into
/// `root`.
pub fn write(root: &Path, doc: &InstallManifest) -> io::Result<()> {
    let bytes = doc.to_bytes();
    fs::write(root.join(MANIFEST), &bytes)?;
    let mut digests: BTreeMap<String, Sha256> = doc.placed_files().collect();
    digests.insert(
        MANIFEST.to_owned(),
        Sha256(sha2::Sha256::digest(&bytes).into()),
    );
    fs::write(root.join(SUMS), sums_text(&digests))
}

/// A bundle written to a temporary file beside its final name, not yet in place.
#[derive(Debug)]
pub struct PendingBundle(tempfile::NamedTempFile);

impl PendingBundle {
    /// Renames the bundle into place (after OUT is committed). Dropped instead, it is removed.
    pub fn persist(self, bundle: &Path) -> io::Result<()> {
        self.0.persist(bundle).map(drop).map_err(|e| e.error)
    }
}

/// How much is copied between two looks at the interrupt flag: deflating a mebibyte takes
/// a few tens of milliseconds, so Ctrl-C is honoured well within a second.
const BUNDLE_CHUNK: usize = 1 << 20;

/// Packs the folder `dir` (OUT's staging folder) into a temporary file beside `bundle`
/// deterministically: entries sorted by path, MS-DOS time 1980-01-01 00:00, mode 0644,
/// deflate. Counts the bytes packed on `progress`; stops at an interrupt
/// (`ErrorKind::Interrupted`), the temporary file removed.
pub fn write_bundle(
    dir: &Path,
    bundle: &Path,
    progress: &dyn crate::extract::Progress,
    interrupt: &std::sync::atomic::AtomicBool,
) -> io::Result<PendingBundle> {
    let interrupted = || interrupt.load(std::sync::atomic::Ordering::Relaxed);
    let parent = bundle
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".slipway-bundle-")
        .tempfile_in(parent)?;
    {
        let mut zip = zip::ZipWriter::new(io::BufWriter::new(tmp.as_file()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644)
            .large_file(true);
        let mut buf = vec![0u8; BUNDLE_CHUNK];
        for (rel, path, listed) in files_below(dir)? {
            zip.start_file(rel.as_str(), opts)
                .map_err(io::Error::other)?;
            let mut file = crate::formats::open::open_regular(&path, Some(&listed))?;
            loop {
                if interrupted() {
                    return Err(io::Error::from(io::ErrorKind::Interrupted));
                }
                let n = io::Read::read(&mut file, &mut buf)?;
                if n == 0 {
                    break;
                }
                zip.write_all(&buf[..n])?;
                progress.bytes(n as u64);
            }
            progress.entry();
        }
        zip.finish().map_err(io::Error::other)?.flush()?;
    }
    // A temporary file is private to its owner (0600); the bundle is a normal file that the
    // people carrying it can read.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))?;
    }
    Ok(PendingBundle(tmp))
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a time in seconds since 1970 (UTC): the build time.
pub fn rfc3339(secs: i64) -> String {
    crate::model::UtcTime::from_unix(secs).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_256_644_800), "2009-10-27T12:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn sums_are_sorted_and_sha256sum_compatible() {
        let mut files = BTreeMap::new();
        files.insert("b/x.msp".to_owned(), Sha256([1; 32]));
        files.insert("a.json".to_owned(), Sha256([2; 32]));
        let text = sums_text(&files);
        assert_eq!(
            text,
            format!(
                "{}  a.json\n{}  b/x.msp\n",
                "02".repeat(32),
                "01".repeat(32)
            )
        );
    }

    #[test]
    fn the_shipped_manifest_schema_parses() {
        let schema: serde_json::Value = serde_json::from_str(MANIFEST_SCHEMA).unwrap();
        assert!(crate::catalog::schema::unsupported_keywords(&schema).is_empty());
    }
}
