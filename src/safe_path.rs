//! The one path checker: the only way an archive entry name becomes a relative output path.
//!
//! Names are split on both `\` and `/` (cabinets and MSI use `\`, zip uses `/`, hostile
//! archives mix them). A name is refused, never repaired, when any component could escape the
//! output directory or is not a file name Windows would accept: `..`, a root or leading
//! separator, a drive letter or any `:`, a UNC prefix, NUL or another control character, or a
//! reserved device name (`CON`, `PRN`, `AUX`, `NUL`, `COM1`–`COM9`, `LPT1`–`LPT9`, also with an
//! extension, as Windows treats `CON.txt` as the console).

use std::fmt;
use std::path::PathBuf;

/// Why a name was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathRefusal {
    #[error("the name is empty")]
    Empty,
    #[error("it starts at the root (leading separator or UNC prefix)")]
    Rooted,
    #[error("it contains a '..' component")]
    ParentDir,
    #[error("it contains a drive letter or ':' (alternate data stream)")]
    Colon,
    #[error("it contains a NUL or control character")]
    ControlChar,
    #[error("{0:?} is a reserved device name on Windows")]
    ReservedName(String),
    #[error("it has an empty component (two separators in a row)")]
    EmptyComponent,
    #[error("it is longer than {MAX_NAME_BYTES} bytes")]
    TooLong,
    #[error(
        "a part of it is {0} characters long; Windows file systems hold at most {MAX_COMPONENT_UNITS}"
    )]
    ComponentTooLong(usize),
    #[error("{0:?} ends in a dot or a space, which Windows drops (it would become another name)")]
    TrailingDotOrSpace(String),
    #[error("it contains {0:?}, which Windows does not allow in a file name")]
    WindowsChar(char),
}

/// Longest accepted entry name, in bytes (well above MAX_PATH; stops pathological names).
pub const MAX_NAME_BYTES: usize = 4096;

/// Longest accepted component, in UTF-16 code units: NTFS, exFAT and UDF hold file names of at
/// most 255 ("Naming Files, Paths, and Namespaces", learn.microsoft.com/windows/win32/fileio/
/// naming-a-file: "the maximum length for a path component ... is typically 255 characters").
/// A longer name cannot be a vendor file, and would fail only when written, naming slipway's
/// staging folder instead of the entry.
pub const MAX_COMPONENT_UNITS: usize = 255;

/// A checked relative path: non-empty components, none of them dangerous.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SafePath {
    components: Vec<String>,
}

impl SafePath {
    /// Checks an entry name. `is_dir` allows one trailing separator (zip directory entries).
    pub fn new(name: &str, is_dir: bool) -> Result<SafePath, PathRefusal> {
        if name.len() > MAX_NAME_BYTES {
            return Err(PathRefusal::TooLong);
        }
        let trimmed = if is_dir {
            name.strip_suffix(['/', '\\']).unwrap_or(name)
        } else {
            name
        };
        if trimmed.is_empty() {
            return Err(PathRefusal::Empty);
        }
        if trimmed.starts_with(['/', '\\']) {
            return Err(PathRefusal::Rooted);
        }
        let mut components = Vec::new();
        for part in trimmed.split(['/', '\\']) {
            check_component(part)?;
            if part == "." {
                continue;
            }
            components.push(part.to_owned());
        }
        if components.is_empty() {
            return Err(PathRefusal::Empty);
        }
        Ok(SafePath { components })
    }

    /// A single checked component (e.g. an input's file name used as a folder).
    pub fn component(name: &str) -> Result<SafePath, PathRefusal> {
        if name.contains(['/', '\\']) {
            return Err(PathRefusal::Rooted);
        }
        SafePath::new(name, false)
    }

    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// This path extended by the components of `other`.
    #[must_use]
    pub fn join(&self, other: &SafePath) -> SafePath {
        let mut components = self.components.clone();
        components.extend(other.components.iter().cloned());
        SafePath { components }
    }

    /// This path with a suffix appended to its last component (`a/b` → `a/b.extracted`).
    /// The suffix must itself be a harmless name fragment.
    #[must_use]
    pub fn with_suffix(&self, suffix: &str) -> SafePath {
        debug_assert!(check_component(suffix).is_ok());
        let mut components = self.components.clone();
        if let Some(last) = components.last_mut() {
            last.push_str(suffix);
        }
        SafePath { components }
    }

    /// The parent path, `None` for a single component.
    pub fn parent(&self) -> Option<SafePath> {
        (self.components.len() > 1).then(|| SafePath {
            components: self.components[..self.components.len() - 1].to_vec(),
        })
    }

    /// The path below `root`.
    pub fn under(&self, root: &std::path::Path) -> PathBuf {
        let mut p = root.to_path_buf();
        p.extend(&self.components);
        p
    }

    /// The key two names collide under: components lower-cased (Windows and macOS file systems
    /// are case-insensitive); trailing dots and spaces, which Windows drops, never get this far.
    pub fn collision_key(&self) -> String {
        let mut key = String::new();
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                key.push('/');
            }
            key.push_str(&SafePath::key_of(c));
        }
        key
    }

    /// The collision key of one component (see [`SafePath::collision_key`]).
    pub fn key_of(component: &str) -> String {
        component.to_lowercase()
    }
}

impl fmt::Display for SafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.components.join("/"))
    }
}

impl fmt::Debug for SafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafePath({self})")
    }
}

fn check_component(part: &str) -> Result<(), PathRefusal> {
    if part.is_empty() {
        return Err(PathRefusal::EmptyComponent);
    }
    let units = part.encode_utf16().count();
    if units > MAX_COMPONENT_UNITS {
        return Err(PathRefusal::ComponentTooLong(units));
    }
    if part == ".." {
        return Err(PathRefusal::ParentDir);
    }
    if part.contains(':') {
        return Err(PathRefusal::Colon);
    }
    if part.chars().any(char::is_control) {
        return Err(PathRefusal::ControlChar);
    }
    // Characters no Windows file name may hold ("Naming Files, Paths, and Namespaces",
    // learn.microsoft.com/windows/win32/fileio/naming-a-file).
    if let Some(c) = part
        .chars()
        .find(|c| matches!(c, '<' | '>' | '"' | '|' | '?' | '*'))
    {
        return Err(PathRefusal::WindowsChar(c));
    }
    // Windows ignores trailing dots and spaces and everything after the first dot when it
    // matches device names: `con`, `CON.txt`, `Con .log` all mean the console.
    let stem = part
        .trim_end_matches(['.', ' '])
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end_matches(' ');
    if is_reserved(stem) {
        return Err(PathRefusal::ReservedName(part.to_owned()));
    }
    // A component made only of dots and spaces other than `.` becomes `..`-like or empty on
    // Windows (e.g. `...` or `. .`).
    if part != "." && part.chars().all(|c| c == '.' || c == ' ') {
        return Err(PathRefusal::ParentDir);
    }
    // Windows drops trailing dots and spaces ("Do not end a file or directory name with a
    // space or a period", same page): `evil. ` and `evil` would be one file there.
    if part != "." && part.ends_with(['.', ' ']) {
        return Err(PathRefusal::TrailingDotOrSpace(part.to_owned()));
    }
    Ok(())
}

/// The device names Windows reserves, also with the superscript digits it treats as digits
/// (`COM¹`, `LPT²`; same page: "COM¹, COM², COM³, LPT¹, LPT², LPT³").
fn is_reserved(stem: &str) -> bool {
    let upper = stem.to_uppercase();
    match upper.as_str() {
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" => true,
        _ => {
            let Some(port) = upper
                .strip_prefix("COM")
                .or_else(|| upper.strip_prefix("LPT"))
            else {
                return false;
            };
            let mut digits = port.chars();
            matches!(
                (digits.next(), digits.next()),
                (Some('1'..='9' | '¹' | '²' | '³'), None)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(name: &str) -> String {
        SafePath::new(name, false).unwrap().to_string()
    }

    fn refused(name: &str) -> PathRefusal {
        SafePath::new(name, false).unwrap_err()
    }

    #[test]
    fn accepts_plain_and_nested_names() {
        assert_eq!(ok("sts-x-none.msp"), "sts-x-none.msp");
        assert_eq!(ok(r"1\2\3\4.c"), "1/2/3/4.c");
        assert_eq!(ok("a/./b"), "a/b");
        assert_eq!(ok("console/conf.d"), "console/conf.d");
        assert_eq!(ok("COM10"), "COM10");
        assert_eq!(ok("..foo"), "..foo");
        assert_eq!(ok("-"), "-");
        assert_eq!(ok("Ünïcödé ñame.txt"), "Ünïcödé ñame.txt");
    }

    #[test]
    fn refuses_everything_that_escapes_or_is_not_portable() {
        assert_eq!(refused(""), PathRefusal::Empty);
        assert_eq!(refused("."), PathRefusal::Empty);
        assert_eq!(refused("/etc/passwd"), PathRefusal::Rooted);
        assert_eq!(refused(r"\Windows\x"), PathRefusal::Rooted);
        assert_eq!(refused(r"\\server\share\x"), PathRefusal::Rooted);
        assert_eq!(refused("../x"), PathRefusal::ParentDir);
        assert_eq!(refused(r"a\..\..\x"), PathRefusal::ParentDir);
        assert_eq!(refused("a/.."), PathRefusal::ParentDir);
        assert_eq!(refused("..."), PathRefusal::ParentDir);
        assert_eq!(
            refused("evil. "),
            PathRefusal::TrailingDotOrSpace("evil. ".into())
        );
        assert_eq!(
            refused("dir./x"),
            PathRefusal::TrailingDotOrSpace("dir.".into())
        );
        assert_eq!(refused("COM¹"), PathRefusal::ReservedName("COM¹".into()));
        assert_eq!(
            refused("lpt³.txt"),
            PathRefusal::ReservedName("lpt³.txt".into())
        );
        assert_eq!(refused("a?b"), PathRefusal::WindowsChar('?'));
        assert_eq!(refused("x|y"), PathRefusal::WindowsChar('|'));
        assert_eq!(refused(r"C:\x"), PathRefusal::Colon);
        assert_eq!(refused("c:x"), PathRefusal::Colon);
        assert_eq!(refused("file.txt:stream"), PathRefusal::Colon);
        assert_eq!(refused("a\0b"), PathRefusal::ControlChar);
        assert_eq!(refused("a\nb"), PathRefusal::ControlChar);
        assert!(matches!(refused("CON"), PathRefusal::ReservedName(_)));
        assert!(matches!(
            refused("dir/nul.txt"),
            PathRefusal::ReservedName(_)
        ));
        assert!(matches!(refused("Lpt9"), PathRefusal::ReservedName(_)));
        assert!(matches!(refused("aux ."), PathRefusal::ReservedName(_)));
        assert_eq!(refused("a//b"), PathRefusal::EmptyComponent);
        assert_eq!(refused("a/"), PathRefusal::EmptyComponent);
        assert_eq!(refused(&"x".repeat(5000)), PathRefusal::TooLong);
        // A part longer than Windows file systems hold, counted in UTF-16 units (an astral
        // character is two); 255 is still a name.
        assert_eq!(
            refused(&format!("dir/{}", "x".repeat(256))),
            PathRefusal::ComponentTooLong(256)
        );
        assert_eq!(
            refused(&"\u{1F600}".repeat(128)),
            PathRefusal::ComponentTooLong(256)
        );
        assert!(SafePath::new(&format!("dir/{}", "x".repeat(255)), false).is_ok());
    }

    #[test]
    fn directories_may_end_with_one_separator() {
        assert_eq!(SafePath::new("dir/", true).unwrap().to_string(), "dir");
        assert_eq!(
            SafePath::new(r"dir\sub\", true).unwrap().to_string(),
            "dir/sub"
        );
        assert_eq!(SafePath::new("/", true).unwrap_err(), PathRefusal::Empty);
    }

    #[test]
    fn collision_key_folds_case() {
        let a = SafePath::new("Dir/File.TXT", false).unwrap();
        let b = SafePath::new(r"dir\file.txt", false).unwrap();
        assert_eq!(a.collision_key(), b.collision_key());
        // The other name Windows would fold into it is refused outright.
        assert!(SafePath::new(r"dir\file.txt.", false).is_err());
    }

    #[test]
    fn joined_paths_stay_below_the_root() {
        let root = std::path::Path::new("/out");
        let p = SafePath::component("pkg.exe")
            .unwrap()
            .join(&SafePath::new(r"a\b", false).unwrap());
        assert_eq!(p.under(root), std::path::Path::new("/out/pkg.exe/a/b"));
        assert!(SafePath::component("a/b").is_err());
    }
}
