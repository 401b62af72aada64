//! The first pass: a name reduced to its stem, extension and catalog SHA-1, and the stem cut
//! into tokens; the [`Draft`] every later pass reads and marks.

use crate::model::Sha1;

/// One `-`/`_`/space separated piece of a stem, with its lower-case form.
#[derive(Debug)]
pub(super) struct Tok {
    pub raw: String,
    pub low: String,
}

/// A name being classified: its parts, its tokens, which tokens a pass has already explained
/// (a "marker": KB, arch, `glb`, a culture, …), and the reasons so far, in the order the passes
/// reach them.
#[derive(Debug)]
pub(super) struct Draft {
    /// The stem as written, without extension and catalog suffix.
    pub stem: String,
    /// The extension, lower-case, when the name has one that looks like an extension.
    pub ext: Option<String>,
    /// From a Microsoft Update catalog suffix `_<40 hex>`.
    pub sha1: Option<Sha1>,
    pub toks: Vec<Tok>,
    /// `marker[i]`: token `i` is explained. The unmarked tokens before the first marker are
    /// the product; unmarked ones after the KB a component.
    pub marker: Vec<bool>,
    pub why: Vec<String>,
}

impl Draft {
    /// Cuts `name` (a path is reduced to its last component) into a draft.
    pub fn new(name: &str) -> Draft {
        let mut why: Vec<String> = Vec::new();

        // The last path component, without characters no Windows file name can hold.
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let cleaned: String = base.chars().filter(|c| !is_stray(*c)).collect();
        if cleaned.len() != base.len() {
            why.push("characters no file name can hold (e.g. a stray `>`) were ignored".into());
        }
        let cleaned = cleaned.trim().trim_end_matches(['.', ' ']);
        // A name taken from a download URL keeps its escapes (`kb%203191915`): decoded.
        let decoded = percent_decoded(cleaned);
        if decoded != cleaned {
            why.push("`%xx` escapes of a download URL were decoded".into());
        }

        let (stem, ext) = split_ext(&decoded);
        // A browser's second download of a file: `name (1).exe`.
        let stem = match copy_counter(stem) {
            Some(without) => {
                why.push("a download copy counter like ` (1)` was ignored".into());
                without
            }
            None => stem,
        };
        let (stem, sha1) = split_sha1(stem);
        if let Some(sha) = sha1 {
            why.push(format!(
                "`_{sha}` is a Microsoft Update catalog suffix: the file's SHA-1"
            ));
        }

        let toks: Vec<Tok> = split_dots(stem)
            .split(|c: char| c == '-' || c == '_' || c.is_whitespace())
            .filter(|t| !t.is_empty())
            .map(|raw| Tok {
                raw: raw.to_owned(),
                low: raw.to_ascii_lowercase(),
            })
            .collect();
        Draft {
            stem: stem.to_owned(),
            ext,
            sha1,
            marker: vec![false; toks.len()],
            toks,
            why,
        }
    }

    /// The number of tokens.
    pub fn n(&self) -> usize {
        self.toks.len()
    }
}

/// The lower-case token `i`, or `""` past the end (so that look-aheads need no bounds checks).
pub(super) fn low(toks: &[Tok], i: usize) -> &str {
    toks.get(i).map_or("", |t| t.low.as_str())
}

pub(super) fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn all_alpha(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Splits off a run of trailing ASCII digits (`"office2007"` → `("office", "2007")`).
pub(super) fn split_trailing_digits(s: &str) -> (&str, &str) {
    let head = s.trim_end_matches(|c: char| c.is_ascii_digit());
    (head, &s[head.len()..])
}

/// `%xx` escapes decoded, when the result is text (anything else is kept as written).
fn percent_decoded(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) if !v.is_ascii_control() => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_owned())
}

/// The stem without a trailing download copy counter ` (1)`, `(2)`, when it has one.
fn copy_counter(stem: &str) -> Option<&str> {
    let inner = stem.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let digits = &inner[open + 1..];
    let head = inner[..open].trim_end();
    (all_digits(digits) && digits.len() <= 3 && !head.is_empty()).then_some(head)
}

/// The stem with a `.` that separates two words (`VC_redist.x64`) read as a separator; a dot
/// before a digit (`AppFabric1.1`, `Windows6.1`) stays part of its token.
fn split_dots(stem: &str) -> String {
    let chars: Vec<char> = stem.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let between_words = c == '.'
                && i > 0
                && chars[i - 1].is_ascii_alphanumeric()
                && chars.get(i + 1).is_some_and(char::is_ascii_alphabetic);
            if between_words { '_' } else { c }
        })
        .collect()
}

/// Characters that cannot be part of a Windows file name (stray `>` from inventories, quotes).
fn is_stray(c: char) -> bool {
    c.is_control() || matches!(c, '<' | '>' | '"' | '|' | '*' | '?' | ':')
}

/// Splits `name.ext` when the extension looks like one (1–5 ASCII letters/digits, a letter).
fn split_ext(s: &str) -> (&str, Option<String>) {
    if let Some((stem, ext)) = s.rsplit_once('.')
        && !stem.trim().is_empty()
        && (1..=5).contains(&ext.len())
        && ext.bytes().all(|b| b.is_ascii_alphanumeric())
        && ext.bytes().any(|b| b.is_ascii_alphabetic())
    {
        return (stem.trim_end(), Some(ext.to_ascii_lowercase()));
    }
    (s, None)
}

/// Splits a Microsoft Update catalog suffix `_<40 hex>` off a stem.
fn split_sha1(stem: &str) -> (&str, Option<Sha1>) {
    if let Some((head, tail)) = stem.rsplit_once('_')
        && !head.is_empty()
        && let Some(sha) = Sha1::parse_hex(tail.trim())
    {
        return (head, Some(sha));
    }
    (stem, None)
}

#[cfg(test)]
mod tests {
    use crate::model::{Arch, Kb, Scope};
    use crate::names::tests::{Row, check};
    use crate::names::{NameKind, classify_name};

    #[test]
    fn catalog_names_carry_a_sha1() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        #[rustfmt::skip]
        let rows: &[Row] = &[
            (&*format!("mso-x-none_{sha}.cab").leak(), "package-cab", None, Some("x86"), "global", None),
            (&*format!("clientsharedmuisp3-de-de_{sha}.cab").leak(), "package-cab", None, Some("x86"), "localized", Some("de-de")),
            (&*format!("mainwwsp2_{sha}.cab").leak(), "package-cab", None, Some("x86"), "global", None),
            (&*format!("proofsp3-az-latn-az_{sha}.cab").leak(), "package-cab", None, Some("x86"), "localized", Some("az-latn-az")),
            (&*format!("excel_{sha}.cab").leak(), "package-cab", None, Some("x86"), "global", None),
            (&*format!("unknownthing_{sha}.cab").leak(), "package-cab", None, None, "unknown", None),
            // SharePoint catalog cabinets: no 32-bit default
            (&*format!("sts-x-none_{sha}.cab").leak(), "package-cab", None, None, "global", None),
            (&*format!("sqlserver2022-kb5000001-x64_{sha}.exe").leak(), "package-exe", Some(5000001), Some("x64"), "unknown", None),
        ];
        check(rows);
        let f = classify_name(&format!("mainwwsp2_{}.cab", sha.to_uppercase()));
        assert_eq!(f.sha1.map(|s| s.hex()).as_deref(), Some(sha));
        assert_eq!(f.family.as_deref(), Some("main"));
        assert_eq!(f.product.as_deref(), Some("mainww"));
        assert_eq!(f.release.as_deref(), Some("SP2"));
        // 39 hex digits are not a SHA-1
        assert!(
            classify_name(&format!("mso-x-none_{}.cab", &sha[1..]))
                .sha1
                .is_none()
        );
    }

    #[test]
    fn paths_stray_characters_and_the_name_as_given() {
        let f = classify_name(r"C:\updates\sp\wss-kb948957-fullfile-x86-en-us.exe");
        assert_eq!(f.name, r"C:\updates\sp\wss-kb948957-fullfile-x86-en-us.exe");
        assert_eq!((f.kind, f.kb), (NameKind::PackageExe, Some(Kb(948957))));
        let f = classify_name("some/dir/sts-x-none.msp");
        assert_eq!((f.kind, f.scope), (NameKind::PatchMsp, Scope::Global));
        let f = classify_name("  \"sts2013-kb2752058-fullfile-x64-glb.exe\"  ");
        assert_eq!((f.kind, f.arch), (NameKind::PackageExe, Some(Arch::X64)));
        assert!(f.reasons.iter().any(|r| r.contains("stray")));
    }
}
