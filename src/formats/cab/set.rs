//! Cabinet sets (MS-CAB 2.1, 2.4): walking to the first volume, opening the rest, and merging
//! folders that continue from one volume into the next.

use std::collections::HashSet;

use super::folder::{Folder, Segment, VolumeIo};
use super::header::{self, Cabinet, IFOLD_FROM_PREV, IFOLD_PREV_AND_NEXT, IFOLD_TO_NEXT};
use super::{CabError, Direction, VolumeResolver, to_error};
use crate::formats::{ReadError, ReadSeek};
use crate::model::{Origin, OriginStep};

/// At most this many volumes in one set (MS-CAB allows 65,535; real sets have a few dozen).
pub(crate) const MAX_VOLUMES: usize = 1024;

/// One member of the set, in the order it is handed out.
#[derive(Debug)]
pub(crate) struct SetFile {
    pub name: String,
    pub decoding: crate::formats::NameDecoding,
    pub size: u32,
    pub offset: u32,
    pub folder: usize,
    /// The volume whose origin the member gets (the first that lists it).
    pub volume: usize,
}

/// A whole set, opened and merged.
#[derive(Debug)]
pub(crate) struct CabSet {
    pub volumes: Vec<VolumeIo>,
    pub origins: Vec<Origin>,
    pub folders: Vec<Folder>,
    pub files: Vec<SetFile>,
}

struct Opened {
    io: VolumeIo,
    cab: Cabinet,
    origin: Origin,
}

fn open(reader: Box<dyn ReadSeek>, origin: Origin) -> Result<Opened, ReadError> {
    let mut io = VolumeIo::new(reader).map_err(|e| ReadError::reading(&origin, e))?;
    let len = io.len;
    let cab = header::parse(io.reader(), 0, len).map_err(|f| to_error(&origin, f))?;
    io.data_reserve = cab.data_reserve;
    Ok(Opened { io, cab, origin })
}

/// Opens the neighbour of `from` in `direction` and checks that it belongs to the same set.
fn neighbour(
    from: &Opened,
    direction: Direction,
    base: &Origin,
    resolver: &mut dyn VolumeResolver,
    seen: &mut HashSet<String>,
) -> Result<Opened, ReadError> {
    let name = match direction {
        Direction::Previous => from.cab.prev.as_ref(),
        Direction::Next => from.cab.next.as_ref(),
    }
    .map(|n| n.cabinet.clone())
    .unwrap_or_default();
    if !seen.insert(name.to_lowercase()) {
        return Err(ReadError::format(
            &from.origin,
            CabError::VolumeCycle { name },
        ));
    }
    let volume = resolver
        .open(&name)
        .map_err(|e| ReadError::reading(&base.child(OriginStep::Volume(name.clone())), e))?
        .ok_or_else(|| {
            ReadError::format(
                &from.origin,
                CabError::MissingVolume {
                    name: name.clone(),
                    direction,
                },
            )
        })?;
    let origin = base.child(volume.step.clone());
    let opened = open(volume.reader, origin)?;
    let (f, o) = (&from.cab.fixed, &opened.cab.fixed);
    if o.set_id != f.set_id {
        return Err(ReadError::format(
            &opened.origin,
            CabError::SetIdMismatch {
                expected: f.set_id,
                found: o.set_id,
            },
        ));
    }
    // MS-CAB 2.2: iCabinet numbers the volumes 0, 1, 2, … so a neighbour is one off. This
    // also rules out cycles through renamed copies (a volume naming itself).
    let expected = match direction {
        Direction::Previous => f.i_cabinet.checked_sub(1),
        Direction::Next => f.i_cabinet.checked_add(1),
    };
    if expected != Some(o.i_cabinet) {
        return Err(ReadError::format(
            &opened.origin,
            CabError::VolumeIndexMismatch {
                expected: expected.unwrap_or(f.i_cabinet),
                found: o.i_cabinet,
            },
        ));
    }
    Ok(opened)
}

/// Opens the cabinet in `reader` and every other volume of its set, first to last.
pub(crate) fn open_set(
    reader: Box<dyn ReadSeek>,
    origin: &Origin,
    resolver: &mut dyn VolumeResolver,
) -> Result<CabSet, ReadError> {
    let given = open(reader, origin.clone())?;
    let mut seen = HashSet::new();
    let mut chain = vec![given];
    // Back to the first volume…
    while chain.last().is_some_and(|v| v.cab.prev.is_some()) {
        check_count(&chain, origin)?;
        let Some(from) = chain.last() else { break };
        let prev = neighbour(from, Direction::Previous, origin, resolver, &mut seen)?;
        chain.push(prev);
    }
    chain.reverse();
    // …then on to the last.
    while chain.last().is_some_and(|v| v.cab.next.is_some()) {
        check_count(&chain, origin)?;
        let Some(from) = chain.last() else { break };
        let next = neighbour(from, Direction::Next, origin, resolver, &mut seen)?;
        chain.push(next);
    }
    merge(chain)
}

fn check_count(chain: &[Opened], origin: &Origin) -> Result<(), ReadError> {
    if chain.len() >= MAX_VOLUMES {
        Err(ReadError::format(
            origin,
            CabError::TooManyVolumes { limit: MAX_VOLUMES },
        ))
    } else {
        Ok(())
    }
}

/// A file's identity when matching the copies of a spanning file: (name, offset, size).
type FileKey = (String, u32, u32);

/// The files of `cab` that span its boundary with the previous volume (`IFOLD_FROM_PREV`)
/// or the next one (`IFOLD_TO_NEXT`), as sorted (name, offset, size) for matching the copies
/// listed by the neighbour. `IFOLD_PREV_AND_NEXT` files span both boundaries.
fn spanning(cab: &Cabinet, side: u16) -> Vec<FileKey> {
    let mut v: Vec<_> = cab
        .files
        .iter()
        .filter(|f| f.folder == side || f.folder == IFOLD_PREV_AND_NEXT)
        .map(|f| (f.name.clone(), f.offset, f.size))
        .collect();
    v.sort();
    v
}

/// Merges the volumes' folders and file lists into one (libmspack's `cabd_merge`).
fn merge(chain: Vec<Opened>) -> Result<CabSet, ReadError> {
    let mut volumes = Vec::with_capacity(chain.len());
    let mut origins = Vec::with_capacity(chain.len());
    let mut folders: Vec<Folder> = Vec::new();
    let mut files = Vec::new();
    // Global index of the previous volume's last folder, and the files it continues.
    let mut carried: Option<(usize, Vec<FileKey>)> = None;

    for (v, opened) in chain.into_iter().enumerate() {
        let Opened { io, cab, origin } = opened;
        let from_prev = spanning(&cab, IFOLD_FROM_PREV);
        // MS-CAB 2.4: files continued from the previous volume belong to this volume's first
        // folder, which is the continuation of the previous volume's last folder. Both
        // volumes must agree on which files span the boundary.
        let mut merged_first = None;
        match carried.take() {
            Some((global, to_next)) => {
                if to_next != from_prev {
                    return Err(ReadError::format(&origin, CabError::FolderMergeMismatch));
                }
                let (Some(first), Some(folder)) = (cab.folders.first(), folders.get_mut(global))
                else {
                    return Err(ReadError::format(&origin, CabError::FolderMergeMismatch));
                };
                if first.type_compress != folder.type_compress {
                    return Err(ReadError::format(&origin, CabError::FolderMergeMismatch));
                }
                folder.segments.push(Segment {
                    volume: v,
                    data_offset: u64::from(first.data_offset),
                    blocks: first.blocks,
                });
                merged_first = Some(global);
            }
            None if !from_prev.is_empty() => {
                return Err(ReadError::format(&origin, CabError::FolderMergeMismatch));
            }
            None => {}
        }
        // Global index of each local folder.
        let mut map = Vec::with_capacity(cab.folders.len());
        for (i, f) in cab.folders.iter().enumerate() {
            if let (0, Some(global)) = (i, merged_first) {
                map.push(global);
                continue;
            }
            map.push(folders.len());
            folders.push(Folder {
                type_compress: f.type_compress,
                segments: vec![Segment {
                    volume: v,
                    data_offset: u64::from(f.data_offset),
                    blocks: f.blocks,
                }],
            });
        }
        let last_local = map.len().saturating_sub(1);
        let to_next = spanning(&cab, IFOLD_TO_NEXT);
        if !to_next.is_empty()
            && let Some(&g) = map.get(last_local)
        {
            carried = Some((g, to_next));
        }
        for f in cab.files {
            let local = match f.folder {
                // Listed already by the previous volume (checked equal above).
                IFOLD_FROM_PREV | IFOLD_PREV_AND_NEXT => continue,
                IFOLD_TO_NEXT => last_local,
                i => usize::from(i),
            };
            let Some(&folder) = map.get(local) else {
                return Err(ReadError::format(
                    &origin,
                    CabError::BadFolderIndex {
                        index: f.folder,
                        folders: cab.fixed.c_folders,
                    },
                ));
            };
            files.push(SetFile {
                name: f.name,
                decoding: f.decoding,
                size: f.size,
                offset: f.offset,
                folder,
                volume: v,
            });
        }
        volumes.push(io);
        origins.push(origin);
    }
    if carried.is_some() {
        // The last volume continues a folder into a volume that does not exist.
        let origin = origins.last().cloned().unwrap_or_default();
        return Err(ReadError::format(&origin, CabError::FolderMergeMismatch));
    }
    // Decode order: each folder once, front to back (MS-CAB 2.4: uoffFolderStart is the
    // offset in the folder's whole uncompressed stream, across volumes).
    files.sort_by_key(|f| (f.folder, f.offset));
    Ok(CabSet {
        volumes,
        origins,
        folders,
        files,
    })
}
