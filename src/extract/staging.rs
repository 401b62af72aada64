//! The output directory: refused when non-empty (unless forced), filled through a hidden
//! staging folder inside it, and committed by renames only when the whole run succeeded.
//!
//! Staging lives inside the output directory, so nothing is ever written outside it; a failed
//! or interrupted run removes the staging folder (and the output directory, if the run created
//! it), leaving the output absent or empty, never half-written.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::Error;

const STAGING_PREFIX: &str = ".slipway-staging-";
const SCRATCH_PREFIX: &str = ".slipway-scratch-";
const OLD_PREFIX: &str = ".slipway-old-";
/// The lock a run holds on its output directory: created exclusively, holding the run's
/// process id, removed when the run ends.
pub const LOCK: &str = ".slipway-lock";

/// A staging folder inside the output directory, and the run's lock on it.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    dir: Option<tempfile::TempDir>,
    /// Scratch files (members compared before they are kept) live here, outside the staged
    /// tree, so no member name can meet one.
    scratch: Option<tempfile::TempDir>,
    created_out: bool,
    force: bool,
    /// The run's lock on `out`, held until commit or drop.
    lock: Option<Lock>,
}

/// Whether the run that wrote the lock file `lock` (process `pid`) is still running. Linux:
/// by `/proc` (assumed running when `/proc` is not mounted).
#[cfg(target_os = "linux")]
fn alive(pid: u32, _lock: &Path) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// Windows has no `/proc`, and a process id alone cannot be checked without `unsafe`: the
/// holder keeps its lock file open for the whole run, sharing neither write nor delete access
/// ([`create_lock`]), and Windows closes a process's handles when it ends, however it ends. So
/// an exclusive open of the lock fails with a sharing violation exactly while the holder runs.
/// Any other failure counts as running too (the safe side: the message says what to remove).
#[cfg(windows)]
fn alive(_pid: u32, lock: &Path) -> bool {
    use std::os::windows::fs::OpenOptionsExt as _;
    match fs::OpenOptions::new().read(true).share_mode(0).open(lock) {
        Ok(_) => false,
        Err(e) => e.kind() != io::ErrorKind::NotFound,
    }
}

/// Elsewhere a holder is assumed to be running (the message says what to remove).
#[cfg(not(any(target_os = "linux", windows)))]
fn alive(_pid: u32, _lock: &Path) -> bool {
    true
}

/// Creates the lock file (`create_new`). On Windows it is opened sharing read access only, and
/// kept open for the run: see [`alive`].
fn create_lock(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt as _;
        /// `FILE_SHARE_READ` (winnt.h): others may read the process id, not write or delete.
        const FILE_SHARE_READ: u32 = 0x1;
        options.share_mode(FILE_SHARE_READ);
    }
    options.open(path)
}

/// A run's lock on its output directory, removed when dropped or released. The file stays
/// open until then (on Windows that open handle is what tells a live holder from a dead one).
#[derive(Debug)]
struct Lock {
    path: Option<PathBuf>,
    file: Option<fs::File>,
}

impl Lock {
    /// Closes and removes the lock file.
    fn release(mut self) -> io::Result<()> {
        self.file = None;
        match self.path.take() {
            Some(path) => fs::remove_file(path),
            None => Ok(()),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Closed first: Windows refuses to delete a file open without delete sharing.
        self.file = None;
        if let Some(path) = self.path.take() {
            let _ = fs::remove_file(path);
        }
    }
}

/// Takes the lock on `out`. A lock left by a run that is no longer running is taken over,
/// and what that run left behind (its staging, scratch and set-aside folders) removed.
fn lock(out: &Path) -> Result<Lock, Error> {
    let path = out.join(LOCK);
    let write_err = |source| Error::Write {
        path: path.clone(),
        source,
    };
    for _ in 0..2 {
        match create_lock(&path) {
            Ok(file) => {
                use std::io::Write as _;
                let mut lock = Lock {
                    path: Some(path.clone()),
                    file: Some(file),
                };
                if let Some(f) = lock.file.as_mut() {
                    f.write_all(std::process::id().to_string().as_bytes())
                        .map_err(write_err)?;
                }
                return Ok(lock);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let holder = fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| t.trim().parse::<u32>().ok());
                match holder {
                    Some(pid) if !alive(pid, &path) => {
                        remove_leftovers(out);
                        match fs::remove_file(&path) {
                            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                                return Err(write_err(e));
                            }
                            _ => {}
                        }
                    }
                    _ => {
                        return Err(Error::OutputBusy {
                            out: out.to_path_buf(),
                            pid: holder,
                        });
                    }
                }
            }
            Err(e) => return Err(write_err(e)),
        }
    }
    Err(Error::OutputBusy {
        out: out.to_path_buf(),
        pid: None,
    })
}

/// Removes the folders a dead run left in `out` (only ever called under its stale lock).
fn remove_leftovers(out: &Path) {
    for entry in fs::read_dir(out).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if [STAGING_PREFIX, SCRATCH_PREFIX, OLD_PREFIX]
            .iter()
            .any(|p| name.starts_with(p))
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

impl Staging {
    /// Prepares `out`: it must be absent, an empty directory, or (with `force`) any directory,
    /// and no other run may be writing it.
    pub fn prepare(out: &Path, force: bool) -> Result<Staging, Error> {
        let write_err = |source: io::Error| Error::Write {
            path: out.to_path_buf(),
            source,
        };
        let created_out = match fs::metadata(out) {
            Ok(meta) if meta.is_dir() => false,
            Ok(_) => {
                return Err(write_err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "exists and is not a directory",
                )));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(out).map_err(write_err)?;
                true
            }
            Err(e) => return Err(write_err(e)),
        };
        let undo = |e: Error| {
            if created_out {
                let _ = fs::remove_dir(out);
            }
            e
        };
        let lock = lock(out).map_err(undo)?;
        let mut left = Vec::new();
        let mut other = false;
        for entry in fs::read_dir(out).map_err(write_err).map_err(undo)? {
            let name = entry
                .map_err(write_err)
                .map_err(undo)?
                .file_name()
                .to_string_lossy()
                .into_owned();
            if name == LOCK {
                continue;
            }
            if [STAGING_PREFIX, SCRATCH_PREFIX, OLD_PREFIX]
                .iter()
                .any(|p| name.starts_with(p))
            {
                left.push(name);
            } else {
                other = true;
            }
        }
        if !left.is_empty() && !force {
            drop(lock);
            return Err(undo(Error::OutputLeftovers {
                out: out.to_path_buf(),
                names: left,
            }));
        }
        if other && !force {
            drop(lock);
            return Err(undo(Error::OutputNotEmpty(out.to_path_buf())));
        }
        // We hold the lock, so no other run is writing here: what is left is dead.
        remove_leftovers(out);
        let dir = tempfile::Builder::new()
            .prefix(STAGING_PREFIX)
            .tempdir_in(out)
            .map_err(write_err)
            .map_err(undo)?;
        let scratch = tempfile::Builder::new()
            .prefix(SCRATCH_PREFIX)
            .tempdir_in(out)
            .map_err(write_err)
            .map_err(undo)?;
        Ok(Staging {
            out: out.to_path_buf(),
            dir: Some(dir),
            scratch: Some(scratch),
            created_out,
            force,
            lock: Some(lock),
        })
    }

    /// Where scratch files go (outside the staged tree).
    pub fn scratch(&self) -> &Path {
        self.scratch.as_ref().map_or(&self.out, |d| d.path())
    }

    /// Where members are written until commit.
    pub fn path(&self) -> &Path {
        self.dir.as_ref().map_or(&self.out, |d| d.path())
    }

    /// Moves the staged tree into place. With `force`, what was in the output directory
    /// before is set aside first and removed only once the new content is in place.
    pub fn commit(self) -> Result<(), Error> {
        self.commit_with_last(&[])
    }

    /// [`Staging::commit`], moving the entries named in `last` after all the others (the
    /// install manifest and SHA256SUMS: a folder that has them is complete). If a move fails,
    /// what was moved goes back and the old content is restored.
    pub fn commit_with_last(mut self, last: &[&str]) -> Result<(), Error> {
        let Some(dir) = self.dir.take() else {
            return Ok(());
        };
        let staged = dir.path().to_path_buf();
        let staged_name = staged.file_name().map(ToOwned::to_owned);
        let write_err = |path: &Path, source: io::Error| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        // Old content (with --force) is moved aside into a hidden folder inside OUT.
        let aside = if self.force {
            let aside = tempfile::Builder::new()
                .prefix(".slipway-old-")
                .tempdir_in(&self.out)
                .map_err(|e| write_err(&self.out, e))?;
            let aside_name = aside.path().file_name().map(ToOwned::to_owned);
            for entry in fs::read_dir(&self.out).map_err(|e| write_err(&self.out, e))? {
                let entry = entry.map_err(|e| write_err(&self.out, e))?;
                let name = entry.file_name();
                // Compare names, not paths: `out` may be relative, the staging path absolute.
                if Some(&name) == staged_name.as_ref()
                    || Some(&name) == aside_name.as_ref()
                    || name == LOCK
                    || name.to_string_lossy().starts_with(SCRATCH_PREFIX)
                {
                    continue;
                }
                let from = entry.path();
                fs::rename(&from, aside.path().join(&name)).map_err(|e| write_err(&from, e))?;
            }
            Some(aside)
        } else {
            None
        };
        let mut names: Vec<_> = fs::read_dir(&staged)
            .map_err(|e| write_err(&staged, e))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<Result<_, _>>()
            .map_err(|e| write_err(&staged, e))?;
        names.sort_by_key(|n| {
            (
                last.iter()
                    .position(|l| n.as_os_str() == std::ffi::OsStr::new(l)),
                n.clone(),
            )
        });
        let mut moved = Vec::new();
        for name in &names {
            let to = self.out.join(name);
            if let Err(e) = fs::rename(staged.join(name), &to) {
                // Put back what was moved, restore the old content; Drop removes staging.
                for done in moved.iter().rev() {
                    let _ = fs::rename(self.out.join(done), staged.join(done));
                }
                if let Some(aside) = &aside
                    && let Ok(rd) = fs::read_dir(aside.path())
                {
                    for entry in rd.flatten() {
                        let _ = fs::rename(entry.path(), self.out.join(entry.file_name()));
                    }
                }
                self.dir = Some(dir);
                return Err(write_err(&to, e));
            }
            moved.push(name.clone());
        }
        dir.close().map_err(|e| write_err(&staged, e))?;
        if let Some(aside) = aside {
            aside.close().map_err(|e| write_err(&self.out, e))?;
        }
        if let Some(scratch) = self.scratch.take() {
            scratch.close().map_err(|e| write_err(&self.out, e))?;
        }
        self.lock
            .take()
            .map_or(Ok(()), Lock::release)
            .map_err(|e| write_err(&self.out, e))
    }
}

/// An absolute, symlink-resolved form of `path` (of its nearest existing ancestor, for a path
/// that does not exist yet).
fn resolved(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return abs,
        }
    }
    let mut out = fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    out.extend(rest.iter().rev());
    out
}

/// Refuses paths (inputs, the bundle) that are the output directory or lie inside it: the
/// output may be replaced (`--force`), and no input may ever be modified.
pub fn ensure_outside(out: &Path, paths: &[&Path]) -> Result<(), Error> {
    let out_resolved = resolved(out);
    for path in paths {
        if resolved(path).starts_with(&out_resolved) {
            return Err(Error::InsideOutput {
                path: path.to_path_buf(),
                output: out.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// Refuses an output (OUT, the bundle) that is one of the inputs or lies inside one (a
/// folder of downloads): writing it would modify an input, or plant a file among the next
/// run's downloads.
pub fn ensure_not_input(output: &Path, inputs: &[&Path]) -> Result<(), Error> {
    let resolved_output = resolved(output);
    for input in inputs {
        if resolved_output.starts_with(resolved(input)) {
            return Err(Error::OutputIsInput {
                output: output.to_path_buf(),
                input: input.to_path_buf(),
            });
        }
    }
    Ok(())
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Not committed: remove the staging tree and the lock, and the output directory if we
        // made it.
        if let Some(scratch) = self.scratch.take() {
            let _ = scratch.close();
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.close();
            drop(self.lock.take());
            if self.created_out {
                let _ = fs::remove_dir(&self.out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_non_empty_output_without_force() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("keep.txt"), b"x").unwrap();
        let err = Staging::prepare(tmp.path(), false).unwrap_err();
        assert!(matches!(err, Error::OutputNotEmpty(_)));
        assert!(tmp.path().join("keep.txt").exists());
    }

    #[test]
    fn dropped_staging_leaves_no_trace() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        {
            let st = Staging::prepare(&out, false).unwrap();
            fs::write(st.path().join("half.bin"), b"x").unwrap();
        }
        assert!(!out.exists());
    }

    #[test]
    fn commit_moves_everything_into_place_and_force_replaces_old_content() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("old.txt"), b"old").unwrap();
        let st = Staging::prepare(&out, true).unwrap();
        fs::create_dir(st.path().join("d")).unwrap();
        fs::write(st.path().join("d/new.txt"), b"new").unwrap();
        st.commit().unwrap();
        let mut names: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, vec!["d"]);
        assert_eq!(fs::read(out.join("d/new.txt")).unwrap(), b"new");
    }
}
