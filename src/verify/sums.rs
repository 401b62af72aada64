//! Checksum files (`--sums`): `sha256sum`/`sha1sum` output and the BSD form, matched by file
//! name against the downloads.

use std::path::{Path, PathBuf};

use crate::findings::HashAlgorithm;

/// Largest `--sums` file read (a line per download: real ones are a few KiB).
pub const MAX_SUMS_BYTES: u64 = 16 << 20;

/// One line of a `sha256sum`/`sha1sum` file: the digest recorded for a file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumEntry {
    pub algorithm: HashAlgorithm,
    /// Lower-case hex.
    pub digest: String,
    /// The file name as written (a path is compared by its last component).
    pub name: String,
    /// The sums file it comes from (for messages).
    pub source: String,
}

/// A line of a sums file that is not a checksum line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: not a sha256sum/sha1sum line")]
pub struct SumsSyntax {
    pub file: String,
    pub line: usize,
}

/// Why the `--sums` files could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SumsError {
    #[error("{}: cannot read", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: larger than {MAX_SUMS_BYTES} bytes: not a checksum file", path.display())]
    TooLarge { path: PathBuf },
    #[error(transparent)]
    Syntax(#[from] SumsSyntax),
}

impl crate::error::Diagnostic for SumsError {
    fn code(&self) -> &'static str {
        match self {
            SumsError::Read { .. } => "read-error",
            SumsError::TooLarge { .. } => "sums-too-large",
            SumsError::Syntax(_) => "sums-syntax",
        }
    }
}

/// Reads every `--sums` file (each at most [`MAX_SUMS_BYTES`]).
pub fn read_sums(files: &[PathBuf]) -> Result<Vec<SumEntry>, SumsError> {
    let mut sums = Vec::new();
    for file in files {
        let read_err = |source| SumsError::Read {
            path: file.clone(),
            source,
        };
        let bytes = crate::formats::read_small(file, MAX_SUMS_BYTES).map_err(|e| {
            if e.kind() == std::io::ErrorKind::InvalidData {
                SumsError::TooLarge { path: file.clone() }
            } else {
                read_err(e)
            }
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|e| read_err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
        sums.append(&mut parse_sums(&text, &display(file))?);
    }
    Ok(sums)
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Parses `sha256sum`/`sha1sum` output (`<hex>  <name>`, `<hex> *<name>`) and the BSD form
/// (`SHA256 (<name>) = <hex>`). Blank lines and `#` comments are skipped.
pub fn parse_sums(text: &str, source: &str) -> Result<Vec<SumEntry>, SumsSyntax> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let err = || SumsSyntax {
            file: source.to_owned(),
            line: i + 1,
        };
        let (digest, name) = if let Some(rest) = line
            .strip_prefix("SHA256 (")
            .or_else(|| line.strip_prefix("SHA1 ("))
        {
            let (name, hex) = rest.rsplit_once(") = ").ok_or_else(err)?;
            (hex.trim(), name)
        } else {
            let (hex, rest) = line.split_once(' ').ok_or_else(err)?;
            let name = rest
                .strip_prefix(' ')
                .or_else(|| rest.strip_prefix('*'))
                .ok_or_else(err)?;
            (hex, name)
        };
        let algorithm = match digest.len() {
            64 => HashAlgorithm::Sha256,
            40 => HashAlgorithm::Sha1,
            _ => return Err(err()),
        };
        if !digest.bytes().all(|b| b.is_ascii_hexdigit()) || name.is_empty() {
            return Err(err());
        }
        out.push(SumEntry {
            algorithm,
            digest: digest.to_ascii_lowercase(),
            name: name.to_owned(),
            source: source.to_owned(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_files_parse_in_gnu_and_bsd_forms() {
        let sha256 = "a".repeat(64);
        let sha1 = "B".repeat(40);
        let text = format!(
            "# downloads\n{sha256}  wss-kb975002-fullfile-x86-glb.exe\n{sha1} *dir/sts.msp\r\nSHA256 (a b.exe) = {sha256}\n\n"
        );
        let sums = parse_sums(&text, "SHA256SUMS").unwrap();
        assert_eq!(sums.len(), 3);
        assert_eq!(sums[0].algorithm, HashAlgorithm::Sha256);
        assert_eq!(sums[0].name, "wss-kb975002-fullfile-x86-glb.exe");
        assert_eq!(sums[1].algorithm, HashAlgorithm::Sha1);
        assert_eq!(sums[1].digest, "b".repeat(40));
        assert_eq!(sums[1].name, "dir/sts.msp");
        assert_eq!(sums[2].name, "a b.exe");
        assert_eq!(
            parse_sums("xyz file\n", "S").unwrap_err(),
            SumsSyntax {
                file: "S".into(),
                line: 1
            }
        );
        assert!(parse_sums(&format!("{}  x\n", "g".repeat(64)), "S").is_err());
    }
}
