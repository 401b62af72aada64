//! assemble: where a build is staged, and placing each role's files there — the first copy
//! moved out of the pool (or copied from an input), every other role's copy a hard link to it —
//! then the commit that renames the staged tree into OUT with the install manifest and
//! `SHA256SUMS` moved last.
//!
//! Nothing is written outside OUT; a failed or interrupted build leaves OUT absent or empty.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::extract::Error;
use crate::extract::staging::{Staging, ensure_not_input, ensure_outside};
use crate::identify::inspect::Item;
use crate::media::Staged;
use crate::model::manifest::{MANIFEST, SUMS};
use crate::plan::Plan;

/// The folder a build fills: OUT's staging folder, or (dry run) a temporary folder that holds
/// only the pool.
#[derive(Debug)]
pub struct Stage {
    staging: Option<Staging>,
    scratch: Option<tempfile::TempDir>,
    root: PathBuf,
    pool: PathBuf,
}

fn write_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

impl Stage {
    /// Checks that no input (nor the bundle) is OUT or inside it, that neither OUT nor the
    /// bundle is an input or inside one of the folders given (`given`), and that an existing
    /// bundle may be replaced; then prepares the staging folder (or, for a dry run, a
    /// temporary one) and the pool inside it.
    pub fn prepare(
        out: &Path,
        inputs: &[PathBuf],
        given: &[PathBuf],
        bundle: Option<&Path>,
        force: bool,
        dry_run: bool,
    ) -> Result<Stage, Error> {
        let sources: Vec<&Path> = inputs.iter().chain(given).map(PathBuf::as_path).collect();
        ensure_not_input(out, &sources)?;
        if let Some(bundle) = bundle {
            ensure_not_input(bundle, &sources)?;
        }
        let mut outside: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
        if let Some(bundle) = bundle {
            outside.push(bundle);
            if bundle.exists() && !force && !dry_run {
                return Err(Error::BundleExists(bundle.to_path_buf()));
            }
        }
        ensure_outside(out, &outside)?;
        let (staging, scratch) = if dry_run {
            let t = tempfile::tempdir().map_err(write_err(&std::env::temp_dir()))?;
            (None, Some(t))
        } else {
            (Some(Staging::prepare(out, force)?), None)
        };
        let root = match (&staging, &scratch) {
            (Some(s), _) => s.path().to_path_buf(),
            (None, Some(t)) => t.path().to_path_buf(),
            (None, None) => PathBuf::new(),
        };
        let pool = root.join(".pool");
        fs::create_dir(&pool).map_err(write_err(&pool))?;
        Ok(Stage {
            staging,
            scratch,
            root,
            pool,
        })
    }

    /// Where OUT's content is staged.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the walk keeps the members a build may place.
    pub fn pool(&self) -> &Path {
        &self.pool
    }

    /// Where the setup media are copied before they are linked into the role folders.
    pub fn media_dir(&self) -> PathBuf {
        self.root.join(".media")
    }

    /// Renames the staged tree into OUT, the install manifest and `SHA256SUMS` last: a folder
    /// that has them is complete. A dry run has nothing to commit.
    pub fn commit(self) -> Result<(), Error> {
        let _ = self.scratch;
        match self.staging {
            Some(staging) => staging.commit_with_last(&[MANIFEST, SUMS]),
            None => Ok(()),
        }
    }
}

/// Makes `dest`'s folder; refuses a `dest` that exists (the plan and the media give every
/// file a name of its own: nothing is ever overwritten).
fn fresh(dest: &Path) -> Result<(), Error> {
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent).map_err(write_err(parent))?;
    }
    if dest.exists() {
        return Err(Error::Write {
            path: dest.to_path_buf(),
            source: io::Error::new(io::ErrorKind::AlreadyExists, "placed twice"),
        });
    }
    Ok(())
}

/// Another role's copy of the same bytes: a hard link inside OUT (a copy where links fail).
fn link(src: &Path, dest: &Path) -> Result<(), Error> {
    if fs::hard_link(src, dest).is_err() {
        fs::copy(src, dest).map_err(write_err(dest))?;
    }
    Ok(())
}

/// Places every role's files below the stage's root and removes the pool. Returns nothing
/// else: the digests were computed while the bytes were pooled and are in `items`.
pub fn place(
    stage: &Stage,
    items: &[Item],
    plan: &Plan,
    progress: &dyn crate::extract::Progress,
    interrupt: &std::sync::atomic::AtomicBool,
) -> Result<(), Error> {
    let root = stage.root();
    let mut first: BTreeMap<usize, PathBuf> = BTreeMap::new();
    for role in &plan.roles {
        for p in &role.placed {
            let dest = root.join(&p.file);
            fresh(&dest)?;
            match first.get(&p.item) {
                Some(src) => link(src, &dest)?,
                None => {
                    let Some(src) = items[p.item].stored.as_ref() else {
                        continue;
                    };
                    // Pooled members and media copies (ours) move; inputs (the user's files) are
                    // copied, never linked, and must still be the bytes that were verified.
                    if src.starts_with(stage.pool()) || src.starts_with(stage.media_dir()) {
                        fs::rename(src, &dest).map_err(write_err(&dest))?;
                    } else {
                        progress.input(Path::new(&p.file));
                        copy_input(&items[p.item], src, &dest, progress, interrupt)?;
                    }
                    first.insert(p.item, dest.clone());
                }
            }
        }
    }
    fs::remove_dir_all(stage.pool()).map_err(write_err(stage.pool()))
}

/// Copies every package existing servers run into OUT's `packages/` (once; the roles share
/// it), each checked to be the bytes that were verified.
pub fn place_packages(
    stage: &Stage,
    items: &[Item],
    plan: &Plan,
    progress: &dyn crate::extract::Progress,
    interrupt: &std::sync::atomic::AtomicBool,
) -> Result<(), Error> {
    for p in &plan.packages {
        let item = &items[p.item];
        let Some(src) = item.stored.as_ref() else {
            continue;
        };
        let dest = p
            .file
            .split('/')
            .fold(stage.root().to_path_buf(), |d, c| d.join(c));
        fresh(&dest)?;
        progress.input(Path::new(&p.file));
        copy_input(item, src, &dest, progress, interrupt)?;
        progress.entry();
    }
    Ok(())
}

/// Copies an input (the user's file) into OUT, hashing the bytes as they are copied: a file
/// that changed since it was read and verified is refused, never placed. Ctrl-C is looked at
/// between blocks of 256 KiB.
fn copy_input(
    item: &Item,
    src: &Path,
    dest: &Path,
    progress: &dyn crate::extract::Progress,
    interrupt: &std::sync::atomic::AtomicBool,
) -> Result<(), Error> {
    use sha2::Digest as _;
    use std::io::{Read, Write};
    let (mut file, _, _) = crate::extract::open_input(src, &item.origin)?;
    std::io::Seek::rewind(&mut file).map_err(write_err(src))?;
    let mut out = io::BufWriter::new(
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dest)
            .map_err(write_err(dest))?,
    );
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Interrupted);
        }
        let n = file.read(&mut buf).map_err(|source| Error::Read {
            origin: item.origin.clone(),
            source,
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(write_err(dest))?;
        size += n as u64;
        progress.bytes(n as u64);
    }
    out.flush().map_err(write_err(dest))?;
    if size != item.size || crate::model::Sha256(hasher.finalize().into()) != item.sha256 {
        return Err(Error::InputChanged {
            origin: item.origin.clone(),
        });
    }
    Ok(())
}

/// Places every medium's files (all but the `Updates` patches in `handled`, which the plan
/// placed or left out) into every role folder: the first role's copy moved out of the staged
/// media, every other role's a hard link to it (a copy where links fail) — one pass over the
/// media whatever the number of roles. Then removes the staged media.
pub fn place_media(
    stage: &Stage,
    plan: &Plan,
    media: &[Staged],
    handled: &BTreeSet<PathBuf>,
) -> Result<(), Error> {
    let root = stage.root();
    for m in media {
        let folder = m.source.folder();
        for f in m.files.iter().filter(|f| !handled.contains(&f.stored)) {
            let rel = if folder.is_empty() {
                f.placed_path()
            } else {
                format!("{folder}/{}", f.placed_path())
            };
            let mut first: Option<PathBuf> = None;
            for role in &plan.roles {
                let dest = rel
                    .split('/')
                    .fold(root.join(&role.role.id), |p, c| p.join(c));
                fresh(&dest)?;
                match &first {
                    Some(src) => link(src, &dest)?,
                    None => {
                        fs::rename(&f.stored, &dest).map_err(write_err(&dest))?;
                        first = Some(dest);
                    }
                }
            }
        }
    }
    let dir = stage.media_dir();
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(write_err(&dir))?;
    }
    Ok(())
}
