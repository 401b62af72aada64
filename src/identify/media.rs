//! The patches already in the setup media's `Updates` folders (`build --media`), walked like
//! downloads (identified, their signatures checked) and named by the medium they are on
//! (`<media> › Updates/x.msp`), so classify, verify and plan see them beside the downloads.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use super::inspect::{Inspection, WalkOptions, walk_with};
use crate::extract::Progress;
use crate::formats::{Format, sniff};
use crate::media::{MediaFile, Staged};

/// Walks every compound file (patch) in each medium's `Updates` folder and appends what it
/// finds to `inspection` (`Item::from_media`).
pub fn walk_media(
    staged: &[Staged],
    walk: &WalkOptions<'_>,
    inspection: &mut Inspection,
    progress: &dyn Progress,
    interrupt: &'static AtomicBool,
) {
    for m in staged {
        let patches: Vec<&MediaFile> = m
            .files
            .iter()
            .filter(|f| f.in_updates() && is_compound_file(&f.stored))
            .collect();
        if patches.is_empty() {
            continue;
        }
        let paths: Vec<PathBuf> = patches.iter().map(|f| f.stored.clone()).collect();
        let mut found = walk_with(&paths, walk, progress, interrupt);
        inspection.interrupted |= found.interrupted;
        // Each walk's items start with its input; its origin becomes `<media> › Updates/x.msp`.
        let mut current = None;
        for item in &mut found.items {
            if item.depth == 0 {
                current = patches
                    .iter()
                    .find(|f| item.stored.as_deref() == Some(f.stored.as_path()));
            }
            if let Some(f) = current {
                item.origin = item.origin.rebased(&m.source.origin(&f.path));
            }
            item.from_media = true;
        }
        inspection.items.append(&mut found.items);
        for (path, e) in found.failed {
            let shown = patches
                .iter()
                .find(|f| f.stored == path)
                .map_or(path, |f| m.source.path.join(&f.path));
            inspection.failed.push((shown, e));
        }
    }
}

fn is_compound_file(path: &std::path::Path) -> bool {
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && sniff(&head) == Format::CompoundFile
}
