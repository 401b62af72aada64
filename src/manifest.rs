//! manifest: the install manifest (`install-manifest.json`), `SHA256SUMS`, the offline bundle
//! (`--bundle FILE.zip`), and re-checking a built folder or bundle against its manifest.
//!
//! Everything written here is deterministic: sorted keys and entries, no timestamps unless
//! asked for, fixed zip entry times.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::Digest as _;

use crate::findings::{Finding, FindingKind};
use crate::identify::inspect::{Inspection, Item};
use crate::model::{Origin, Sha256};
use crate::plan::Plan;

/// The install manifest's file name in OUT.
pub const MANIFEST: &str = "install-manifest.json";
/// The checksum file's name in OUT.
pub const SUMS: &str = "SHA256SUMS";
/// The install manifest's JSON Schema, as shipped in `manifests/`.
pub const MANIFEST_SCHEMA: &str = include_str!("../manifests/install-manifest.schema.json");

fn finding_json(f: &Finding) -> Value {
    json!({
        "severity": f.severity(),
        "code": f.code(),
        "message": f.message(),
        "origin": f.origin.labels(),
    })
}

fn input_json(item: &Item) -> Value {
    json!({
        "path": item.origin.labels().first().cloned().unwrap_or_default(),
        "size": item.size,
        "sha256": item.sha256,
        "sha1": item.sha1,
        "kind": item.named.kind,
        "kb": item.named.kb,
        "build": item.build(),
        "arch": item.named.arch,
        "scope": item.named.scope,
        "language": item.named.language,
    })
}

/// The install manifest of a build.
pub fn manifest_json(
    product: &str,
    insp: &Inspection,
    plan: &Plan,
    findings: &[Finding],
    created: Option<&str>,
) -> Value {
    let items = &insp.items;
    let roles: Vec<Value> = plan
        .roles
        .iter()
        .map(|r| {
            let patches: Vec<Value> = r
                .placed
                .iter()
                .map(|p| {
                    let item = &items[p.item];
                    json!({
                        "file": p.file,
                        "kind": if p.family.is_some() { "patch" } else { "companion" },
                        "sha256": item.sha256,
                        "size": item.size,
                        "family": p.family,
                        "kb": item
                            .package
                            .as_ref()
                            .and_then(|pk| pk.patch.as_ref())
                            .and_then(|pt| pt.kb)
                            .or(item.named.kb),
                        "build": p.build,
                        "scope": p.scope,
                        "language": p.language,
                        "order": p.order,
                        "from": item.origin.labels(),
                    })
                })
                .collect();
            json!({
                "name": r.role.id,
                "title": r.role.title,
                "folder": r.role.id,
                "rollout_rank": r.role.rollout_rank,
                "patches": patches,
                "steps": r.steps,
            })
        })
        .collect();
    let superseded: Vec<Value> = plan
        .superseded
        .iter()
        .map(|s| {
            json!({
                "name": items[s.item].name,
                "family": s.family,
                "build": s.build,
                "sha256": items[s.item].sha256,
                "by": items[s.by].origin.labels(),
                "from": items[s.item].origin.labels(),
            })
        })
        .collect();
    let mut doc = json!({
        "schema_version": 1,
        "tool": {"name": "slipway", "version": env!("CARGO_PKG_VERSION")},
        "product": product,
        "languages": {"base": plan.base_language, "chosen": plan.languages},
        "inputs": items.iter().filter(|i| i.depth == 0).map(input_json).collect::<Vec<_>>(),
        "roles": roles,
        "superseded": superseded,
        "findings": findings.iter().map(finding_json).collect::<Vec<_>>(),
    });
    if let Some(t) = created {
        doc["created"] = json!(t);
    }
    doc
}

/// The plan's notes as findings (origins from the items they concern).
pub fn plan_findings(insp: &Inspection, plan: &Plan) -> Vec<Finding> {
    use crate::plan::Note;
    let items = &insp.items;
    plan.notes
        .iter()
        .map(|n| match n {
            Note::LanguageNotChosen { item, language } => Finding::new(
                &items[*item].origin,
                FindingKind::LanguageNotChosen {
                    language: language.clone(),
                },
            ),
            Note::UnknownFamily { item, family } => Finding::new(
                &items[*item].origin,
                FindingKind::UnknownFamily {
                    family: family.clone(),
                },
            ),
            Note::QuirkApplied { role, quirk, file } => Finding::new(
                &items
                    .iter()
                    .find(|i| i.companion && &i.name == file)
                    .map_or_else(|| Origin::input(file), |i| i.origin.clone()),
                FindingKind::QuirkApplied {
                    quirk: quirk.clone(),
                    file: file.clone(),
                    role: role.clone(),
                },
            ),
            Note::UnsafeName { item, reason } => Finding::new(
                &items[*item].origin,
                FindingKind::UnsafeFileName {
                    name: items[*item].name.clone(),
                    reason: reason.clone(),
                },
            ),
            Note::Duplicate { item, of } => Finding::new(
                &items[*item].origin,
                FindingKind::DuplicatePatch {
                    of: items[*of].origin.to_string(),
                },
            ),
        })
        .collect()
}

/// Serialises the manifest exactly as it is written (pretty, trailing newline).
pub fn manifest_bytes(doc: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(doc).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// `SHA256SUMS` text for (relative path, digest) pairs, sorted by path, `sha256sum -c` style.
pub fn sums_text(files: &BTreeMap<String, Sha256>) -> String {
    let mut out = String::new();
    for (path, sha) in files {
        out.push_str(&format!("{sha}  {path}\n"));
    }
    out
}

/// Every regular file below `root`, as (relative `/`-path, absolute path), sorted.
pub fn files_below(root: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let path = entry.path();
            let kind = entry.file_type()?;
            if kind.is_dir() {
                walk(root, &path, out)?;
            } else if kind.is_file() {
                let rel = path
                    .strip_prefix(root)
                    .map_err(io::Error::other)?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push((rel, path));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort();
    Ok(out)
}

/// SHA-256 of everything `r` yields.
pub fn hash_reader(r: &mut dyn Read) -> io::Result<(u64, Sha256)> {
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, Sha256(hasher.finalize().into())))
}

/// Packs the folder `out` into `bundle` deterministically: entries sorted by path, MS-DOS
/// time 1980-01-01 00:00, mode 0644, deflate. Written to a temporary file beside `bundle`
/// and renamed into place.
pub fn write_bundle(out: &Path, bundle: &Path) -> io::Result<()> {
    let dir = bundle
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".slipway-bundle-")
        .tempfile_in(dir)?;
    {
        let mut zip = zip::ZipWriter::new(io::BufWriter::new(tmp.as_file()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644)
            .large_file(true);
        for (rel, path) in files_below(out)? {
            zip.start_file(rel, opts).map_err(io::Error::other)?;
            io::copy(&mut File::open(&path)?, &mut zip)?;
        }
        zip.finish().map_err(io::Error::other)?.flush()?;
    }
    tmp.persist(bundle).map_err(|e| e.error)?;
    Ok(())
}

/// Why a built folder or bundle could not be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: no {MANIFEST} (not a slipway build output)", path.display())]
    NoManifest { path: PathBuf },
    #[error("{}: {MANIFEST} is not valid JSON: {source}", path.display())]
    BadManifest {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: not a zip archive: {source}", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
}

/// What the install manifest (and SHA256SUMS) record: relative path → SHA-256 hex.
fn recorded(manifest: &Value, sums: Option<&str>) -> BTreeMap<String, String> {
    let mut want = BTreeMap::new();
    for role in manifest["roles"].as_array().into_iter().flatten() {
        for p in role["patches"].as_array().into_iter().flatten() {
            if let (Some(file), Some(sha)) = (p["file"].as_str(), p["sha256"].as_str()) {
                want.insert(file.to_owned(), sha.to_owned());
            }
        }
    }
    for line in sums.unwrap_or_default().lines() {
        if let Some((sha, file)) = line.split_once("  ") {
            want.entry(file.to_owned())
                .or_insert_with(|| sha.to_owned());
        }
    }
    want
}

/// Compares what is present (path → SHA-256) with what is recorded.
fn compare(
    origin: &Origin,
    want: &BTreeMap<String, String>,
    have: &BTreeMap<String, Sha256>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    // SHA256SUMS is what vouches for the manifest itself: without it (or without the
    // manifest's line in it) an edited manifest would go unnoticed.
    if !have.contains_key(SUMS) {
        findings.push(Finding::new(
            origin,
            FindingKind::OutputMissing {
                file: SUMS.to_owned(),
            },
        ));
    } else if !want.contains_key(MANIFEST) {
        findings.push(Finding::new(
            origin,
            FindingKind::OutputMissing {
                file: format!("{MANIFEST} (its line in {SUMS})"),
            },
        ));
    }
    for (file, sha) in want {
        match have.get(file) {
            None => findings.push(Finding::new(
                origin,
                FindingKind::OutputMissing { file: file.clone() },
            )),
            Some(actual) if !actual.hex().eq_ignore_ascii_case(sha) => findings.push(Finding::new(
                origin,
                FindingKind::OutputModified {
                    file: file.clone(),
                    expected: sha.clone(),
                    actual: actual.hex(),
                },
            )),
            Some(_) => {}
        }
    }
    for file in have.keys() {
        if !want.contains_key(file) && file != SUMS && file != MANIFEST {
            findings.push(Finding::new(
                origin,
                FindingKind::OutputExtra { file: file.clone() },
            ));
        }
    }
    findings
}

/// The result of re-checking a build.
#[derive(Debug)]
pub struct OutputCheck {
    pub path: PathBuf,
    /// Files re-hashed.
    pub files: usize,
    pub findings: Vec<Finding>,
}

/// Re-hashes every file of a built folder against its install manifest and SHA256SUMS.
pub fn check_folder(dir: &Path) -> Result<OutputCheck, OutputError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Read { path, source }
    };
    let manifest_path = dir.join(MANIFEST);
    if !manifest_path.is_file() {
        return Err(OutputError::NoManifest {
            path: dir.to_path_buf(),
        });
    }
    let text = std::fs::read(&manifest_path).map_err(read_err(&manifest_path))?;
    let manifest: Value =
        serde_json::from_slice(&text).map_err(|source| OutputError::BadManifest {
            path: manifest_path.clone(),
            source,
        })?;
    let sums = std::fs::read_to_string(dir.join(SUMS)).ok();
    let want = recorded(&manifest, sums.as_deref());
    let mut have = BTreeMap::new();
    for (rel, path) in files_below(dir).map_err(read_err(dir))? {
        let mut f = File::open(&path).map_err(read_err(&path))?;
        let (_, sha) = hash_reader(&mut f).map_err(read_err(&path))?;
        have.insert(rel, sha);
    }
    let origin = Origin::input(dir);
    Ok(OutputCheck {
        path: dir.to_path_buf(),
        files: have.len(),
        findings: compare(&origin, &want, &have),
    })
}

/// Whether `path` is a zip holding an install manifest at its root (a bundle).
pub fn is_bundle(path: &Path) -> bool {
    let Ok(f) = File::open(path) else {
        return false;
    };
    zip::ZipArchive::new(f).is_ok_and(|z| z.index_for_name(MANIFEST).is_some())
}

/// Re-hashes every entry of a bundle against the install manifest and SHA256SUMS inside it.
pub fn check_bundle(path: &Path) -> Result<OutputCheck, OutputError> {
    let zip_err = |source| OutputError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let read_err = |source| OutputError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(read_err)?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
    let mut have = BTreeMap::new();
    let mut manifest_text = None;
    let mut sums_text = None;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(zip_err)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map_err(zip_err)?.into_owned();
        if name == MANIFEST || name == SUMS {
            let mut buf = Vec::new();
            entry.read_to_end(&mut buf).map_err(read_err)?;
            have.insert(name.clone(), Sha256(sha2::Sha256::digest(&buf).into()));
            if name == MANIFEST {
                manifest_text = Some(buf);
            } else {
                sums_text = Some(String::from_utf8_lossy(&buf).into_owned());
            }
            continue;
        }
        let (_, sha) = hash_reader(&mut entry).map_err(read_err)?;
        have.insert(name, sha);
    }
    let text = manifest_text.ok_or_else(|| OutputError::NoManifest {
        path: path.to_path_buf(),
    })?;
    let manifest: Value =
        serde_json::from_slice(&text).map_err(|source| OutputError::BadManifest {
            path: path.to_path_buf(),
            source,
        })?;
    let want = recorded(&manifest, sums_text.as_deref());
    let origin = Origin::input(path);
    Ok(OutputCheck {
        path: path.to_path_buf(),
        files: have.len(),
        findings: compare(&origin, &want, &have),
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a time in seconds since 1970 (UTC), for `--timestamp`.
pub fn rfc3339(secs: u64) -> String {
    crate::model::UtcTime::from_unix(i64::try_from(secs).unwrap_or(i64::MAX)).to_string()
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
        let schema: Value = serde_json::from_str(MANIFEST_SCHEMA).unwrap();
        assert!(crate::catalog::schema::unsupported_keywords(&schema).is_empty());
    }
}
