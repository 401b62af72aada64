//! scan: the inputs as a list of files, each known by its bytes: folders of downloads expanded
//! into the packages in them (sorted), built outputs and bundles told apart from downloads,
//! and what is not a regular file named (the walk refuses it before opening it).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::formats::open;
use crate::formats::{Format, read_head, sniff};
use crate::names::{NameKind, classify_name};

use crate::model::manifest::MANIFEST;

/// Why the inputs cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{}: cannot read", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Ctrl-C (or SIGTERM) while the folders were listed.
    #[error("interrupted")]
    Interrupted,
}

impl crate::error::Diagnostic for ScanError {
    fn code(&self) -> &'static str {
        match self {
            ScanError::Read { .. } => "read-error",
            ScanError::Interrupted => "interrupted",
        }
    }

    fn is_interrupt(&self) -> bool {
        matches!(self, ScanError::Interrupted)
    }
}

/// The downloads among `inputs`: files as given (one that cannot be read is reported when it
/// is walked, and the others are still checked), folders replaced by the packages in them
/// (sorted by name; a file is taken when its bytes are a known format or its name is a
/// package's). Returns the files and the skipped ones. A link in a folder is not followed
/// and not taken (nor is a FIFO or device); `interrupt` (Ctrl-C) ends the listing.
pub fn downloads(
    inputs: &[PathBuf],
    interrupt: &AtomicBool,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>), ScanError> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for input in inputs {
        if !fs::metadata(input).is_ok_and(|m| m.is_dir()) {
            out.push(input.clone());
            continue;
        }
        let read_err = |source| ScanError::Read {
            path: input.clone(),
            source,
        };
        let mut found = Vec::new();
        for entry in fs::read_dir(input).map_err(read_err)? {
            if interrupt.load(Ordering::Relaxed) {
                return Err(ScanError::Interrupted);
            }
            let entry = entry.map_err(read_err)?;
            // Only regular files, looked at without following a link: a link, FIFO or
            // device in a download folder is not a download.
            if let Ok(meta) = fs::symlink_metadata(entry.path())
                && meta.is_file()
            {
                found.push((entry.path(), open::Listed::of(&meta)));
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, listed) in found {
            if interrupt.load(Ordering::Relaxed) {
                return Err(ScanError::Interrupted);
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // A file that changed into something else since the listing is looked at as
            // nothing here; the walk refuses it when it opens it.
            let head = open::open_regular(&path, Some(&listed))
                .ok()
                .and_then(|mut f| read_head(&mut f).ok())
                .unwrap_or_default();
            if sniff(&head) != Format::Unknown || classify_name(&name).kind != NameKind::Other {
                out.push(path);
            } else {
                skipped.push(path);
            }
        }
    }
    Ok((out, skipped))
}

/// What the inputs hold instead of a package, in one line: a folder inside a built source
/// (verify its root), a folder of other files, an empty folder.
pub fn nothing_found(inputs: &[PathBuf], skipped: &[PathBuf]) -> String {
    for input in inputs {
        let built = input
            .ancestors()
            .skip(1)
            .find(|a| !a.as_os_str().is_empty() && is_built_folder(a));
        if let Some(root) = built {
            return format!(
                "{} is part of the built source {}, not a download; verify {} itself",
                input.display(),
                root.display(),
                root.display()
            );
        }
    }
    let shown: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    match skipped.len() {
        0 => format!("no package or patch in {}: it is empty", shown.join(", ")),
        n => format!(
            "no package or patch in {}: {n} other file{} (not a cabinet, zip, MSI/MSP or executable, nor named like a package)",
            shown.join(", "),
            if n == 1 { "" } else { "s" }
        ),
    }
}

/// Whether `path` is a built folder: it has an install manifest.
pub fn is_built_folder(path: &Path) -> bool {
    path.is_dir() && path.join(MANIFEST).is_file()
}

/// Most entries a zip may declare to be looked at as a bundle.
const MAX_BUNDLE_ENTRIES: u64 = 100_000;

/// Whether `path` is a zip holding an install manifest at its root (a bundle).
pub fn is_bundle(path: &Path) -> bool {
    // Never through a link, never a FIFO (opening one to read blocks).
    let Ok(mut f) = open::open_regular(path, None) else {
        return false;
    };
    // A bundle holds a few thousand files; a zip that declares more is not read whole just
    // to ask (a million-entry bomb would cost seconds and hundreds of MiB).
    let declared = crate::formats::zip::declared_entries(&mut f).ok().flatten();
    if declared.is_none_or(|n| n > MAX_BUNDLE_ENTRIES) {
        return false;
    }
    crate::formats::zip::Archive::list(Box::new(f))
        .is_ok_and(|entries| entries.iter().any(|e| e.name == MANIFEST))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_expand_to_their_packages_sorted() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("b.cab"), b"MSCF\0\0\0\0rest").unwrap();
        fs::write(
            dir.path().join("wss-kb975002-fullfile-x86-glb.exe"),
            b"not really",
        )
        .unwrap();
        fs::write(dir.path().join("readme.txt"), b"hello").unwrap();
        let (found, skipped) =
            downloads(&[dir.path().to_path_buf()], &AtomicBool::new(false)).unwrap();
        let names: Vec<_> = found
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["b.cab", "wss-kb975002-fullfile-x86-glb.exe"]);
        assert_eq!(skipped.len(), 1);
    }
}
