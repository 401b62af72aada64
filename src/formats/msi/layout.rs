//! Where an installer's files go: the Directory table's tree and the File table's long names,
//! as an administrative installation (`msiexec /a`) and msitools' `msiextract` lay them out.
//!
//! Windows Installer documentation (learn.microsoft.com `windows/win32/msi/…`): "Directory
//! Table" — `DefaultDir` is `[targetshort|]targetlong[:[sourceshort|]sourcelong]`, the source
//! part naming the folder of the source image (what an administrative installation writes),
//! the target part when no source part is given; `.` means "the parent's folder"; a row whose
//! `Directory_Parent` is null or itself is a root (`TARGETDIR`, "SourceDir"), the root of
//! the image. "File Table" — `FileName` is `[short|]long`; "Component Table" — the
//! `Directory_` of a component holds its files. Like `msiextract` (third-party, msitools
//! `tools/msiextract.vala`), `ProgramFilesFolder` is written "Program Files" and a folder
//! named `SourceDir` adds nothing.
//!
//! Two files that land on one path (as Windows compares names) — conditional components for
//! two platforms often install the same name into the same folder — each go one level down,
//! into a folder named by their File key, so no member is refused or overwritten.

use std::collections::{HashMap, HashSet};

use super::database::Database;
use super::table::{Cell, Table};
use super::{MsiError, TableProblem};

/// The installed path of each File key of an installer or merge module.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    paths: HashMap<String, String>,
    /// Lower-cased keys, for cabinets that spell a key in another case.
    folded: HashMap<String, String>,
}

/// At most this many folders deep (a longer chain is a loop in all but name).
const MAX_DEPTH: usize = 256;

impl Layout {
    /// The layout of `db`, or `None` when it has no File table (patches, transforms).
    pub fn read(db: &mut Database) -> Result<Option<Layout>, MsiError> {
        let Some(files) = db.table("File")? else {
            return Ok(None);
        };
        let directories = db.table("Directory")?;
        let components = db.table("Component")?;
        let tree = Tree::new(directories.as_ref())?;
        let mut component_dir: HashMap<String, String> = HashMap::new();
        if let Some(c) = &components {
            let (id, dir) = (c.require("Component")?, c.require("Directory_")?);
            for row in &c.rows {
                if let (Some(id), Some(dir)) = (text(row, id), text(row, dir)) {
                    component_dir.insert(id.to_owned(), dir.to_owned());
                }
            }
        }
        let (key, component, name) = (
            files.require("File")?,
            files.require("Component_")?,
            files.require("FileName")?,
        );
        let mut placed: Vec<(String, String, String)> = Vec::with_capacity(files.rows.len());
        for row in &files.rows {
            let Some(file_key) = text(row, key) else {
                continue;
            };
            let folder = match text(row, component).and_then(|c| component_dir.get(c)) {
                Some(dir) => tree.path(dir)?,
                None => String::new(),
            };
            let long = long_name(text(row, name).unwrap_or(file_key));
            placed.push((file_key.to_owned(), folder, long.to_owned()));
        }
        let mut count: HashMap<String, usize> = HashMap::new();
        for (_, folder, long) in &placed {
            *count.entry(fold(&join(folder, long))).or_default() += 1;
        }
        let mut layout = Layout::default();
        for (file_key, folder, long) in placed {
            let path = join(&folder, &long);
            let path = if count.get(&fold(&path)).copied().unwrap_or(0) > 1 {
                join(&join(&folder, &file_key), &long)
            } else {
                path
            };
            layout.folded.insert(file_key.to_lowercase(), path.clone());
            layout.paths.insert(file_key, path);
        }
        Ok(Some(layout))
    }

    /// The installed path of the cabinet member named `key` (a File key), if the File table
    /// lists it.
    pub fn path_of(&self, key: &str) -> Option<&str> {
        self.paths
            .get(key)
            .or_else(|| self.folded.get(&key.to_lowercase()))
            .map(String::as_str)
    }
}

fn text(row: &[Cell], column: usize) -> Option<&str> {
    row.get(column)
        .and_then(Cell::as_str)
        .filter(|s| !s.is_empty())
}

/// The long name of a `[short|]long` name.
fn long_name(name: &str) -> &str {
    name.split_once('|').map_or(name, |(_, long)| long)
}

fn join(folder: &str, name: &str) -> String {
    match (folder.is_empty(), name.is_empty()) {
        (true, _) => name.to_owned(),
        (false, true) => folder.to_owned(),
        (false, false) => format!("{folder}/{name}"),
    }
}

/// How Windows compares two paths (case-insensitively; the walker's collision rule).
fn fold(path: &str) -> String {
    path.to_lowercase()
}

/// The Directory table, as parent links and folder names.
struct Tree {
    /// Directory → (parent, the folder's own name in the image; empty for none).
    rows: HashMap<String, (Option<String>, String)>,
}

impl Tree {
    fn new(table: Option<&Table>) -> Result<Tree, MsiError> {
        let mut rows = HashMap::new();
        let Some(t) = table else {
            return Ok(Tree { rows });
        };
        let (id, parent, default) = (
            t.require("Directory")?,
            t.require("Directory_Parent")?,
            t.require("DefaultDir")?,
        );
        for row in &t.rows {
            let Some(dir) = text(row, id) else { continue };
            let parent = text(row, parent).filter(|p| *p != dir).map(str::to_owned);
            let name = if parent.is_none() {
                // A root: the root of the image.
                String::new()
            } else {
                folder_name(dir, text(row, default).unwrap_or(""))
            };
            rows.insert(dir.to_owned(), (parent, name));
        }
        Ok(Tree { rows })
    }

    /// The folder of `dir`, `/`-separated from the root of the image.
    fn path(&self, dir: &str) -> Result<String, MsiError> {
        let mut parts = Vec::new();
        let mut seen = HashSet::new();
        let mut at = Some(dir);
        while let Some(d) = at {
            if !seen.insert(d) || seen.len() > MAX_DEPTH {
                return Err(MsiError::Table {
                    table: "Directory".to_owned(),
                    problem: TableProblem::DirectoryLoop {
                        directory: dir.to_owned(),
                    },
                });
            }
            let Some((parent, name)) = self.rows.get(d) else {
                break;
            };
            if !name.is_empty() {
                parts.push(name.as_str());
            }
            at = parent.as_deref();
        }
        parts.reverse();
        Ok(parts.join("/"))
    }
}

/// The name a Directory row gives its folder in the image (see the module documentation).
fn folder_name(dir: &str, default_dir: &str) -> String {
    if dir == "ProgramFilesFolder" {
        return "Program Files".to_owned();
    }
    let (target, source) = match default_dir.split_once(':') {
        Some((t, s)) => (t, Some(s)),
        None => (default_dir, None),
    };
    let name = long_name(source.filter(|s| !s.is_empty()).unwrap_or(target));
    if name == "." || name.eq_ignore_ascii_case("SourceDir") {
        String::new()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_take_the_long_source_name() {
        assert_eq!(folder_name("D", "NUnit|NUnit 2.5.2"), "NUnit 2.5.2");
        assert_eq!(folder_name("D", "b3hw1rm1|x86_atl:ulATLx86"), "ulATLx86");
        assert_eq!(folder_name("D", "x86_atl:mao35mwo|ulpATLx86"), "ulpATLx86");
        assert_eq!(folder_name("D", "bin:."), "");
        assert_eq!(folder_name("D", "."), "");
        assert_eq!(folder_name("D", "SourceDir"), "");
        assert_eq!(folder_name("ProgramFilesFolder", "PFiles"), "Program Files");
        assert_eq!(long_name("PUTTY~1.EXE|putty.exe"), "putty.exe");
        assert_eq!(long_name("LICENCE"), "LICENCE");
    }
}
