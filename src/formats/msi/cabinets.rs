//! An MSI/MSP's cabinets: embedded cabinet streams in Media order and external cabinets
//! beside the package, extracted into a sink (continuation volumes come with their set).

use std::collections::HashMap;
use std::io::{self, Read, SeekFrom};
use std::path::PathBuf;

use super::database::{Database, cfb_error};
use super::layout::Layout;
use super::table::{Cell, ColumnKind, TableColumn};
use super::{CFHDR_PREV_CABINET, CFHEADER_LEN, CabinetSource, MsiError, MsiView, TableProblem, at};
use crate::formats::bytes::u16_at;
use crate::formats::cab::{self, Volume, VolumeResolver};
use crate::formats::{EntrySink, ReadError, ReadSeek, Renaming};
use crate::model::{Origin, OriginStep};

/// Extracts the members of every cabinet of an MSI/MSP/MSM: embedded cabinet streams and
/// external cabinets named in the Media table, opened through `beside` (the package's folder).
///
/// Names (see [`MsiView`]): in the installed view, a package with a File table gives each
/// member its installed path ([`Layout`]); a member the File table does not list, and every
/// member of a package without one (a patch), keeps its cabinet name. When such cabinet names
/// repeat across cabinets (a patch with one cabinet per target product, each holding
/// `F_Source`, `F_Patch`, …), each cabinet's members go into a folder named after the
/// cabinet (its stream or file name): separate trees, never a collision.
///
/// Every external cabinet is opened before anything is extracted, so a missing one fails the
/// package up front with [`MsiError::ExternalCabinetNotFound`].
pub fn extract(
    reader: Box<dyn ReadSeek>,
    origin: &Origin,
    beside: &mut dyn VolumeResolver,
    sink: &mut dyn EntrySink,
    view: MsiView,
) -> Result<(), ReadError> {
    let mut package = Database::open(reader).map_err(|e| at(origin, e))?;
    let sources = package.cabinets().map_err(|e| at(origin, e))?;
    if sources.is_empty() {
        return Err(ReadError::format(origin, MsiError::NoCabinet));
    }
    let layout = match view {
        MsiView::Installed => Layout::read(&mut package).map_err(|e| at(origin, e))?,
        MsiView::Streams => None,
    };

    enum Job {
        Stream(String),
        External(String, Volume),
    }
    let mut jobs = Vec::with_capacity(sources.len());
    for source in sources {
        match source {
            CabinetSource::Stream { name, .. } => jobs.push(Job::Stream(name)),
            CabinetSource::External { name, .. } => {
                let ext_origin = origin.child(OriginStep::ExternalCabinet(name.clone()));
                let volume = beside
                    .open(&name)
                    .map_err(|e| ReadError::reading(&ext_origin, e))?
                    .ok_or_else(|| {
                        ReadError::format(origin, MsiError::ExternalCabinetNotFound(name.clone()))
                    })?;
                jobs.push(Job::External(name, volume));
            }
        }
    }
    // External cabinets that continue a set are extracted with the set's first cabinet.
    let mut kept = Vec::with_capacity(jobs.len());
    for job in jobs {
        if let Job::External(name, mut volume) = job {
            let child = origin.child(OriginStep::ExternalCabinet(name.clone()));
            if is_continuation(&mut volume.reader).map_err(|e| ReadError::reading(&child, e))? {
                continue;
            }
            kept.push(Job::External(name, volume));
        } else {
            kept.push(job);
        }
    }
    let jobs = kept;

    // Separate trees when cabinet names repeat across cabinets (read from the headers).
    let per_cabinet = if layout.is_none() && jobs.len() > 1 {
        let mut lists = Vec::with_capacity(jobs.len());
        for job in &jobs {
            let names = match job {
                Job::Stream(name) => {
                    let child = origin.child(OriginStep::Stream(name.clone()));
                    let stream = package.open_stream(name).map_err(|e| at(&child, e))?;
                    let mut volumes = StreamVolumes {
                        package: &mut package,
                    };
                    cab::member_names(stream, &child, &mut volumes)?
                }
                Job::External(name, _) => {
                    let child = origin.child(OriginStep::ExternalCabinet(name.clone()));
                    let again = beside
                        .open(name)
                        .map_err(|e| ReadError::reading(&child, e))?
                        .ok_or_else(|| {
                            ReadError::format(
                                origin,
                                MsiError::ExternalCabinetNotFound(name.clone()),
                            )
                        })?;
                    cab::member_names(again.reader, &child, beside)?
                }
            };
            lists.push(names);
        }
        names_repeat(&lists)
    } else {
        false
    };

    for job in jobs {
        sink.check_interrupt()?;
        let folder = match &job {
            Job::Stream(name) | Job::External(name, _) => name.clone(),
        };
        let rename = |stored: &str| -> Option<String> {
            if let Some(path) = layout.as_ref().and_then(|l| l.path_of(stored)) {
                return Some(path.to_owned());
            }
            per_cabinet.then(|| format!("{folder}/{stored}"))
        };
        let mut renamed = Renaming {
            inner: &mut *sink,
            rename,
        };
        match job {
            Job::Stream(name) => {
                let child = origin.child(OriginStep::Stream(name.clone()));
                let stream = package.open_stream(&name).map_err(|e| at(&child, e))?;
                let mut volumes = StreamVolumes {
                    package: &mut package,
                };
                cab::extract(stream, &child, &mut volumes, &mut renamed)?;
            }
            Job::External(name, volume) => {
                let child = origin.child(OriginStep::ExternalCabinet(name.clone()));
                cab::extract(volume.reader, &child, beside, &mut renamed)?;
            }
        }
    }
    Ok(())
}

/// Whether a member name (as Windows compares names) appears in more than one list.
fn names_repeat(lists: &[Vec<String>]) -> bool {
    let mut first: HashMap<String, usize> = HashMap::new();
    for (i, names) in lists.iter().enumerate() {
        for name in names {
            let key = name.replace('\\', "/").to_lowercase();
            if *first.entry(key).or_insert(i) != i {
                return true;
            }
        }
    }
    false
}

/// Whether the cabinet at the reader's start continues a previous volume (rewinds it).
pub(super) fn is_continuation(r: &mut dyn ReadSeek) -> io::Result<bool> {
    let head = read_head(r)?;
    r.seek(SeekFrom::Start(0))?;
    Ok(match head {
        Some(h) => h.starts_with(b"MSCF\0\0\0\0") && u16_at(&h, 30) & CFHDR_PREV_CABINET != 0,
        None => false,
    })
}

pub(super) fn read_head(r: &mut dyn Read) -> io::Result<Option<[u8; CFHEADER_LEN]>> {
    let mut head = [0u8; CFHEADER_LEN];
    match r.read_exact(&mut head) {
        Ok(()) => Ok(Some(head)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// Opens the other volumes of an embedded cabinet set: streams of the same package.
pub(super) struct StreamVolumes<'a> {
    package: &'a mut Database,
}

impl VolumeResolver for StreamVolumes<'_> {
    fn open(&mut self, name: &str) -> io::Result<Option<Volume>> {
        let Some(stream) = self
            .package
            .streams
            .iter()
            .find(|s| !s.is_table && s.name.eq_ignore_ascii_case(name))
        else {
            return Ok(None);
        };
        let (decoded, path) = (stream.name.clone(), stream.path.clone());
        let reader = self.package.comp.open_stream(&path)?;
        Ok(Some(Volume {
            reader: Box::new(reader),
            step: OriginStep::Stream(decoded),
        }))
    }
}

impl Database {
    /// The Media table's `(DiskId, Cabinet)` rows, sorted by DiskId; empty when there is none
    /// (patches and transforms carry no Media table of their own).
    pub(super) fn media(&mut self) -> Result<Vec<(i32, Option<String>)>, MsiError> {
        if !self.streams.iter().any(|s| s.is_table && s.name == "Media") {
            return Ok(Vec::new());
        }
        let Some(media) = self.table("Media")? else {
            return Ok(Vec::new());
        };
        let (disk_id, cabinet) = (media.require("DiskId")?, media.require("Cabinet")?);
        let bad = |column, c: &TableColumn| MsiError::Table {
            table: "Media".to_owned(),
            problem: TableProblem::ColumnType {
                column,
                bits: c.type_bits,
            },
        };
        if let Some(c) = media
            .columns
            .get(disk_id)
            .filter(|c| c.kind != ColumnKind::Integer)
        {
            return Err(bad("DiskId", c));
        }
        if let Some(c) = media
            .columns
            .get(cabinet)
            .filter(|c| c.kind != ColumnKind::String)
        {
            return Err(bad("Cabinet", c));
        }
        let mut rows: Vec<(i32, Option<String>)> = media
            .rows
            .into_iter()
            .map(|mut row| {
                let disk = row.get(disk_id).and_then(Cell::as_int).unwrap_or(0);
                let cab = match row.get_mut(cabinet).map(std::mem::take) {
                    Some(Cell::String(s)) => Some(s),
                    _ => None,
                };
                (disk, cab)
            })
            .collect();
        rows.sort_by_key(|&(disk, _)| disk);
        Ok(rows)
    }

    /// Every cabinet, in extraction order (see the module docs).
    pub(super) fn cabinets(&mut self) -> Result<Vec<CabinetSource>, MsiError> {
        // Cabinet streams that start a set (or stand alone).
        let mut embedded: Vec<String> = Vec::new();
        let candidates: Vec<(String, PathBuf)> = self
            .streams
            .iter()
            .filter(|s| !s.is_table && s.len >= CFHEADER_LEN as u64)
            .map(|s| (s.name.clone(), s.path.clone()))
            .collect();
        for (name, path) in candidates {
            let mut stream = match self.comp.open_stream(&path) {
                Ok(s) => s,
                // A name that cannot be addressed as a path (e.g. one holding '/') is not
                // a cabinet we could name in an Origin either; skip it.
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::InvalidInput
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(cfb_error(e)),
            };
            let head = read_head(&mut stream).map_err(cfb_error)?;
            if head.is_some_and(|h| {
                h.starts_with(b"MSCF\0\0\0\0") && u16_at(&h, 30) & CFHDR_PREV_CABINET == 0
            }) {
                embedded.push(name);
            }
        }

        let mut out = Vec::new();
        for (disk_id, cabinet) in self.media()? {
            let Some(cabinet) = cabinet.filter(|c| !c.is_empty()) else {
                continue;
            };
            if let Some(stream) = cabinet.strip_prefix('#') {
                let hit = embedded
                    .iter()
                    .position(|n| n == stream)
                    .or_else(|| embedded.iter().position(|n| n.eq_ignore_ascii_case(stream)));
                if let Some(i) = hit {
                    out.push(CabinetSource::Stream {
                        name: embedded.remove(i),
                        disk_id: Some(disk_id),
                    });
                }
            } else {
                let known = out.iter().any(
                    |s| matches!(s, CabinetSource::External { name, .. } if name.eq_ignore_ascii_case(&cabinet)),
                );
                if !known {
                    out.push(CabinetSource::External {
                        name: cabinet,
                        disk_id,
                    });
                }
            }
        }
        // `streams` is sorted by name, so the rest come by name.
        out.extend(embedded.into_iter().map(|name| CabinetSource::Stream {
            name,
            disk_id: None,
        }));
        Ok(out)
    }
}
