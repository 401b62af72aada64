//! File-name conventions of Microsoft update packages and patches: what a name alone says
//! (kind, product, release, KB, architecture, scope, language, patch family, catalog SHA-1),
//! with one human reason per conclusion. Pure: no file access, no panics on any input.
//!
//! Sources of the rules:
//! - the vendor document ("Deploy software updates for Office SharePoint Server 2007",
//!   `../shared/seeds/004_64e74247c355aa51.txt`, sections "Packages" and "Patches"): the package
//!   pattern `productnamerrr-kby-xnn-fullfile-lang.exe`, `glb` for global packages, regional
//!   codes for localized ones, `x-none` for global patches, `sts.msp` / `stswwsp1.msp` as global
//!   patches and `wssmui-<region>.msp` as localized ones;
//! - `../shared/names/README.md`: `ww`, bare family names, Windows three-letter codes, `loc`
//!   stems with `-glb`, `uber…sp<year>` not being a service pack, the arch slot, catalog
//!   SHA-1 suffixes;
//! - general Windows knowledge: the LANGID table (three-letter abbreviations and LCIDs), 64-bit
//!   editions only from Office 2010 on, SharePoint 2010 and later being 64-bit only.
//!
//! Judgement calls (where the conventions leave room):
//! - a bare family name (`STS.msp`, `excel_<sha1>.cab`) is global only for Office and SharePoint
//!   families, whose patches come as global/localized pairs (vendor document, "Patches");
//!   other bare names (`AVMCU.msp`, `writer_<sha1>.cab`) say nothing about scope: unknown.
//!   (The README lists `AVMCU.msp` as global, its expected-values table as unknown.)
//! - a missing arch slot is filled only from product generation: pre-2010 Office clients and
//!   Office-style catalog cabinets are x86, SharePoint uber packages x64; otherwise none.
//!
//! `product` and `family` are lower-case: Windows file names are case-insensitive, so the case a
//! name happens to use carries no meaning.

use std::fmt;

use serde::Serialize;

use crate::model::{Arch, Kb, Lang, Scope, Sha1, culture_from_subtags, is_language_subtag};

/// The language tables live beside [`Lang`]; re-exported here, where callers found them first.
pub use crate::model::{lcid_language, windows_language_code};

/// What sort of file a name denotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameKind {
    /// A self-extracting update package (`…-fullfile-x64-glb.exe`, a hotfix zip wrapper).
    PackageExe,
    /// A cabinet carrying update payload (catalog `…_<sha1>.cab`, split Office 2007 cabs).
    PackageCab,
    /// A Windows Installer patch (`.msp`).
    PatchMsp,
    /// Anything else: installers, images, `.msu`, `.zip`, tools.
    Other,
}

impl NameKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::PackageExe => "package-exe",
            NameKind::PackageCab => "package-cab",
            NameKind::PatchMsp => "patch-msp",
            NameKind::Other => "other",
        }
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a file name tells, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NameFacts {
    /// The name as given (path and all).
    pub name: String,
    pub kind: NameKind,
    /// The product stem as the name spells it, lower-case, without its service-pack marker
    /// (`wssv3`, `officeserver2007`, `coreserver2010`, `exchange2007`, `sts-subscription`).
    pub product: Option<String>,
    /// The release as far as the name tells: `SP<n>`, `LP`, `LP SP<n>`, `SR<n>`, `hotfix`,
    /// `RTM`; `None` when the name does not say.
    pub release: Option<String>,
    pub kb: Option<Kb>,
    pub arch: Option<Arch>,
    pub scope: Scope,
    pub language: Option<Lang>,
    /// For patches (and catalog cabinets, which carry one patch of the same stem): the file
    /// stem without its language or scope part, lower-case (`sts`, `wssmui`; `stswwsp1.msp` is family `sts`).
    pub family: Option<String>,
    /// From Microsoft Update catalog names `…_<40 hex>.cab` (the file's SHA-1).
    pub sha1: Option<Sha1>,
    /// One short sentence per conclusion.
    pub reasons: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Product knowledge
// ---------------------------------------------------------------------------------------------

/// Office and SharePoint patch families that follow the global/localized split, so that a bare
/// `<family>.msp` (or `<family>_<sha1>.cab`) is the global patch. The first group is from the
/// vendor document (section "Patches"); the rest are the other server roles and the client
/// applications of the same products.
const OFFICE_FAMILIES: &[&str] = &[
    // vendor document
    "sts",
    "wss",
    "coreserver",
    "dlc",
    "ifswfe",
    "lpsrvwfe",
    "msxml5s",
    "pjsrvapp",
    "pjsrvwfe",
    "xlsrvapp",
    // SharePoint and Office server roles
    "osrv",
    "oserver",
    "officeserver",
    "spswfe",
    "pplwfe",
    "ppsma",
    "vsrv",
    "wdsrv",
    "xlsrv",
    "xlsrvwfe",
    "acsrv",
    "wasrv",
    "pjsrv",
    "wac",
    "wacserver",
    "svrproof",
    // Office client applications and shared components
    "mso",
    "excel",
    "word",
    "outlook",
    "powerpoint",
    "ppt",
    "access",
    "publisher",
    "onenote",
    "infopath",
    "groove",
    "visio",
    "project",
    "lync",
    "ace",
    "oart",
    "msores",
    "proof",
];

/// Stem fragments of server products: their early versions shipped both x86 and x64 builds
/// (so no 32-bit default applies), and their names always carry the arch slot.
const SERVER_HINTS: &[&str] = &[
    "server", "srv", "sps", "sts", "wss", "moss", "exchange", "sql", "ocs", "lcs", "portal", "spf",
];

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

/// One `-`/`_`/space separated piece of a stem, with its lower-case form.
#[derive(Debug)]
struct Tok<'a> {
    raw: &'a str,
    low: String,
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn all_alpha(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Splits off a run of trailing ASCII digits (`"office2007"` → `("office", "2007")`).
fn split_trailing_digits(s: &str) -> (&str, &str) {
    let head = s.trim_end_matches(|c: char| c.is_ascii_digit());
    (head, &s[head.len()..])
}

/// The architecture a whole token names.
fn arch_token(low: &str) -> Option<Arch> {
    match low {
        "x86" | "i386" | "x32" => Some(Arch::X86),
        "x64" | "amd64" | "x8664" => Some(Arch::X64),
        "ia64" | "itanium" => Some(Arch::Ia64),
        "x86x64" => Some(Arch::X86X64),
        _ => None,
    }
}

/// `v2`, `v3`: a re-release of the same KB.
fn is_rerelease(low: &str) -> bool {
    low.strip_prefix('v')
        .is_some_and(|d| all_digits(d) && d.len() <= 2)
}

/// A standalone service-pack token (`SP2`).
fn sp_token(low: &str) -> Option<u32> {
    low.strip_prefix("sp")
        .filter(|d| all_digits(d) && d.len() <= 2)
        .and_then(|d| d.parse().ok())
}

/// A service-pack marker glued to a product token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GluedSp {
    /// `wssv3sp2`, `office2003sp3`, `mainwwsp3`.
    Number(u32),
    /// `oserversp2010`, `proplussp2013`: a service pack of that version, number not in the name.
    Year(u32),
}

/// Splits a glued service-pack marker off the end of a lower-case token.
fn split_glued_sp(low: &str) -> Option<(&str, GluedSp)> {
    let (head, digits) = split_trailing_digits(low);
    let base = head.strip_suffix("sp")?;
    if base.is_empty() || !base.chars().any(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    match digits.len() {
        1 | 2 => digits.parse().ok().map(|n| (base, GluedSp::Number(n))),
        4 => {
            let year: u32 = digits.parse().ok()?;
            (1995..=2040)
                .contains(&year)
                .then_some((base, GluedSp::Year(year)))
        }
        _ => None,
    }
}

/// Splits a glued service-release marker (`o2ksr1adl` → `("o2k", 1)`).
fn split_glued_sr(low: &str) -> Option<(&str, u32)> {
    let (i, _) = low.match_indices("sr").find(|(i, _)| {
        *i > 0
            && low
                .get(i + 2..)
                .and_then(|rest| rest.chars().next())
                .is_some_and(|c| c.is_ascii_digit())
    })?;
    let base = low.get(..i)?;
    let n = low
        .get(i + 2..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .take(2)
        .collect::<String>();
    Some((base, n.parse().ok()?))
}

/// The product year a stem carries (`office2007` → 2007, `ime642007` → 2007, `o2k` → 2000,
/// `officexp` → 2002).
fn product_year(low: &str) -> Option<u32> {
    let (head, digits) = split_trailing_digits(low);
    if digits.len() >= 4 {
        let last4: String = digits.chars().skip(digits.len() - 4).collect();
        if let Ok(y) = last4.parse::<u32>()
            && (1995..=2040).contains(&y)
        {
            return Some(y);
        }
    }
    if head.starts_with("o2k") || low.starts_with("office2k") || low == "office2000" {
        return Some(2000);
    }
    if low.starts_with("oxp") || low.starts_with("officexp") {
        return Some(2002);
    }
    None
}

/// A culture starting at token `i`: language, optional script, optional region (at least one
/// of the two). Returns the culture and how many tokens it spans.
fn culture_at(toks: &[Tok<'_>], i: usize) -> Option<(Lang, usize)> {
    let lang = &toks.get(i)?.low;
    let second = toks.get(i + 1).map(|t| t.low.as_str());
    let third = toks.get(i + 2).map(|t| t.low.as_str());
    culture_from_subtags(lang, second, third)
}

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

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

/// What the product tokens (before the first marker) say.
#[derive(Debug, Default)]
struct ProductInfo {
    /// Lower-case stem without the service-pack/service-release marker.
    product: String,
    sp: Option<GluedSp>,
    sr: Option<u32>,
    year: Option<u32>,
    uber: bool,
    ww: bool,
    mui: bool,
    loc: bool,
    lp: bool,
    office64: bool,
}

fn product_info(toks: &[Tok<'_>]) -> ProductInfo {
    let mut info = ProductInfo::default();
    let Some(last) = toks.last() else {
        return info;
    };
    info.uber = toks.first().is_some_and(|t| t.low.starts_with("uber"));
    let mut parts: Vec<String> = toks.iter().map(|t| t.low.clone()).collect();
    let mut core = last.low.clone();
    if let Some((base, sp)) = split_glued_sp(&last.low) {
        info.sp = Some(sp);
        core = base.to_owned();
        let keep = match sp {
            // `oserversp2010` is the 2010 product: keep the year in the stem.
            GluedSp::Year(y) => format!("{base}{y}"),
            GluedSp::Number(_) => base.to_owned(),
        };
        if !info.uber
            && let Some(p) = parts.last_mut()
        {
            *p = keep;
        }
    } else if let Some((base, n)) = split_glued_sr(&last.low) {
        info.sr = Some(n);
        core = base.to_owned();
        if let Some(p) = parts.last_mut() {
            *p = base.to_owned();
        }
    }
    info.product = parts.join("-");
    let (core_head, _) = split_trailing_digits(&core);
    info.ww = core_head.ends_with("ww");
    info.mui = core_head.ends_with("mui");
    info.loc = core_head.ends_with("loc");
    info.office64 = core.contains("64") && !core.contains("64bit");
    info.lp = info.product.contains("lpk") || info.product.contains("languagepack");
    info.year = toks.iter().find_map(|t| {
        let low = split_glued_sp(&t.low).map_or(t.low.clone(), |(b, sp)| match sp {
            GluedSp::Year(y) => format!("{b}{y}"),
            GluedSp::Number(_) => b.to_owned(),
        });
        product_year(&low)
    });
    info
}

fn is_server(product: &str) -> bool {
    SERVER_HINTS.iter().any(|h| product.contains(h))
}

fn is_office_family(product: &str) -> bool {
    let (head, _) = split_trailing_digits(product);
    OFFICE_FAMILIES.contains(&product) || OFFICE_FAMILIES.contains(&head)
}

/// Classifies one file name (a path is reduced to its last component). Never panics.
pub fn classify_name(name: &str) -> NameFacts {
    let mut why: Vec<String> = Vec::new();

    // The last path component, without characters no Windows file name can hold.
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !is_stray(*c)).collect();
    if cleaned.len() != base.len() {
        why.push("characters no file name can hold (e.g. a stray `>`) were ignored".into());
    }
    let cleaned = cleaned.trim().trim_end_matches(['.', ' ']);

    let (stem, ext) = split_ext(cleaned);
    let (stem, sha1) = split_sha1(stem);
    if let Some(sha) = sha1 {
        why.push(format!(
            "`_{sha}` is a Microsoft Update catalog suffix: the file's SHA-1"
        ));
    }

    let toks: Vec<Tok<'_>> = stem
        .split(|c: char| c == '-' || c == '_' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|raw| Tok {
            raw,
            low: raw.to_ascii_lowercase(),
        })
        .collect();
    let n = toks.len();
    let low = |i: usize| toks.get(i).map_or("", |t| t.low.as_str());
    let mut marker = vec![false; n];

    // --- KB -----------------------------------------------------------------------------
    let mut kb = None;
    let mut kb_placeholder = false;
    for i in 0..n {
        let Some(rest) = low(i).strip_prefix("kb") else {
            continue;
        };
        if rest.is_empty() && all_digits(low(i + 1)) {
            if let Some(k) = Kb::parse(low(i + 1)) {
                kb = Some(k);
                marker[i] = true;
                marker[i + 1] = true;
                why.push(format!(
                    "`{} {}` is {k} (odd spacing)",
                    toks[i].raw,
                    low(i + 1)
                ));
                break;
            }
        } else if all_digits(rest) {
            if let Some(k) = Kb::parse(&toks[i].low) {
                kb = Some(k);
                marker[i] = true;
                why.push(format!(
                    "`{}` is the Knowledge Base article {k}",
                    toks[i].raw
                ));
                break;
            }
        } else if rest.len() >= 4 && rest.chars().all(|c| matches!(c, 'x' | 'n' | '#' | '0')) {
            kb_placeholder = true;
            marker[i] = true;
            why.push(format!(
                "`{}` is a placeholder, not a KB number",
                toks[i].raw
            ));
        }
    }
    let fullfile = toks.iter().position(|t| t.low == "fullfile");
    if let Some(f) = fullfile {
        marker[f] = true;
        if kb.is_none() {
            // `office2007-972581-fullfile-x86-glb.exe`: the KB slot without its `kb` prefix.
            if let Some(j) = (1..f).find(|&j| all_digits(low(j)) && Kb::parse(low(j)).is_some()) {
                kb = Kb::parse(low(j));
                marker[j] = true;
                why.push(format!(
                    "`{}` sits in the KB slot of the package pattern (no `kb` prefix)",
                    toks[j].raw
                ));
            }
        }
    }

    // --- arch -----------------------------------------------------------------------------
    let mut arch = None;
    let mut arch_at = Vec::new();
    let mut i = 0;
    while i < n {
        if low(i) == "x86" && low(i + 1) == "x64" {
            arch = arch.or(Some(Arch::X86X64));
            arch_at.extend([i, i + 1]);
            i += 2;
            continue;
        }
        if i > 0
            && let Some(a) = arch_token(low(i))
        {
            arch = arch.or(Some(a));
            arch_at.push(i);
        }
        i += 1;
    }
    // `dotnetfx35langpack_x86de`: an arch glued to a two-letter language.
    let mut glued_lang: Option<(usize, Lang)> = None;
    if arch.is_none() {
        for i in 1..n {
            let t = low(i);
            let split = ["x86", "x64", "ia64"].iter().find_map(|a| {
                t.strip_prefix(a)
                    .filter(|rest| rest.len() == 2 && is_language_subtag(rest))
                    .map(|rest| (a, rest))
            });
            if let Some((a, rest)) = split
                && let (Some(arch_found), Some(lang)) = (arch_token(a), Lang::parse(rest))
            {
                arch = Some(arch_found);
                arch_at.push(i);
                glued_lang = Some((i, lang));
                break;
            }
        }
    }
    for &i in &arch_at {
        marker[i] = true;
    }
    let mut unsupported_arch = false;
    for (m, t) in marker.iter_mut().zip(&toks).skip(1) {
        if matches!(t.low.as_str(), "arm" | "arm64") {
            *m = true;
            unsupported_arch = true;
        }
    }
    if let Some(a) = arch {
        why.push(format!("`{a}` in the arch slot is the architecture"));
    }

    // --- other markers --------------------------------------------------------------------
    let hotfix =
        ext.as_deref() == Some("exe") && n >= 3 && low(n - 1) == "zip" && all_digits(low(0));
    if hotfix {
        marker[0] = true;
        marker[n - 1] = true;
        why.push(
            "`<id>_<lang>_<arch>_zip.exe` is a hotfix download wrapper (zip self-extractor); \
             its number is a download id, not a KB"
                .into(),
        );
    }
    let mut glb = false;
    let mut x_none = false;
    let mut intl = false;
    let mut ww_token = false;
    let mut rerelease = false;
    let mut rtm = false;
    let mut sp_alone = None;
    let mut cu_alone = None;
    let mut digit_tokens = Vec::new();
    for i in 1..n {
        match low(i) {
            "glb" => {
                glb = true;
                marker[i] = true;
            }
            "none" if low(i - 1) == "x" => {
                x_none = true;
                marker[i - 1] = true;
                marker[i] = true;
            }
            "intl" => {
                intl = true;
                marker[i] = true;
            }
            "ww" => {
                ww_token = true;
                marker[i] = true;
            }
            "rtm" => {
                rtm = true;
                marker[i] = true;
            }
            t if is_rerelease(t) => {
                rerelease = true;
                marker[i] = true;
            }
            t if sp_token(t).is_some() => {
                sp_alone = sp_token(t);
                marker[i] = true;
            }
            t if t
                .strip_prefix("cu")
                .is_some_and(|d| all_digits(d) && d.len() <= 2) =>
            {
                cu_alone = Some(t.to_ascii_uppercase());
                marker[i] = true;
            }
            t if all_digits(t) => {
                digit_tokens.push(i);
                marker[i] = true;
            }
            _ => {}
        }
    }

    // --- language ---------------------------------------------------------------------------
    let mut language: Option<Lang> = None;
    let mut i = 1;
    while i < n {
        if marker[i] {
            i += 1;
            continue;
        }
        if let Some((lang, span)) = culture_at(&toks, i) {
            let text: Vec<&str> = toks.iter().skip(i).take(span).map(|t| t.raw).collect();
            why.push(format!(
                "`{}` is the culture {lang}: a localized package",
                text.join("-")
            ));
            for m in marker.iter_mut().skip(i).take(span) {
                *m = true;
            }
            language = Some(lang);
            break;
        }
        i += 1;
    }
    let mut culture_tag = language.is_some();
    if language.is_none()
        && let Some((i, lang)) = glued_lang
    {
        why.push(format!(
            "`{}` is an arch glued to the language {lang}",
            toks[i].raw
        ));
        language = Some(lang);
    }
    if language.is_none() {
        // Windows codes, two-letter languages and LCIDs only in a language slot: the last
        // token, next to the arch or `fullfile`, or the hotfix wrapper's second token.
        let mut slots: Vec<usize> = vec![n.saturating_sub(1)];
        for &a in arch_at.iter().chain(fullfile.iter()) {
            slots.push(a.saturating_sub(1));
            slots.push(a + 1);
        }
        if hotfix {
            slots.push(1);
        }
        for s in slots {
            if s == 0 || s >= n || (marker[s] && !digit_tokens.contains(&s)) {
                continue;
            }
            let t = &toks[s];
            if kb.is_some_and(|k| k.0.to_string() == t.low.trim_start_matches('0')) {
                continue;
            }
            let found = if t.low.len() == 3 && all_alpha(&t.low) {
                windows_language_code(&t.low).map(|l| {
                    (
                        l.clone(),
                        format!("`{}` is the Windows language code for {l}", t.raw),
                    )
                })
            } else if t.low.len() == 2 && all_alpha(&t.low) && is_language_subtag(&t.low) {
                Lang::parse(&t.low).map(|l| {
                    (
                        l.clone(),
                        format!("`{}` is the two-letter language {l}", t.raw),
                    )
                })
            } else if all_digits(&t.low) && (3..=5).contains(&t.low.len()) {
                t.low
                    .parse()
                    .ok()
                    .and_then(lcid_language)
                    .map(|l| (l.clone(), format!("`{}` is the Windows LCID of {l}", t.raw)))
            } else {
                None
            };
            if let Some((l, reason)) = found {
                why.push(reason);
                marker[s] = true;
                language = Some(l);
                culture_tag = false;
                break;
            }
        }
    }

    // --- product ----------------------------------------------------------------------------
    let first_marker = marker.iter().position(|m| *m).unwrap_or(n);
    let info = product_info(toks.get(..first_marker).unwrap_or(&[]));
    // Unmarked tokens after the KB: a component of a split package (`…-mainmui-x86-en-us.cab`).
    let component: Option<String> = kb.and(
        (first_marker..n)
            .find(|&i| !marker[i] && toks[i].low.chars().any(|c| c.is_ascii_alphabetic()))
            .map(|i| toks[i].low.clone()),
    );
    let component_ww = component.as_deref().is_some_and(|c| {
        let c = split_glued_sp(c).map_or(c, |(b, _)| b);
        c.ends_with("ww")
    });
    let component_mui = component.as_deref().is_some_and(|c| c.ends_with("mui"));
    let office64 = info.office64
        || component
            .as_deref()
            .is_some_and(|c| c.contains("64") && arch_token(c).is_none());

    // --- kind -------------------------------------------------------------------------------
    let glued_release = (info.sp.is_some() && !info.uber) || info.sr.is_some();
    let kind = match ext.as_deref() {
        Some("msp") => {
            why.push("`.msp` is a Windows Installer patch".into());
            NameKind::PatchMsp
        }
        Some("cab") => {
            why.push("a `.cab` in an update inventory carries update payload".into());
            NameKind::PackageCab
        }
        Some("exe")
            if kb.is_some()
                || kb_placeholder
                || hotfix
                || sha1.is_some()
                || fullfile.is_some()
                || glb
                || x_none
                || info.uber
                || glued_release =>
        {
            why.push(if info.uber && kb.is_none() {
                "`uber…` names the launcher of a SharePoint uber package".into()
            } else if glued_release && kb.is_none() && !hotfix {
                "a service-pack/service-release marker in the stem makes this an update package"
                    .into()
            } else {
                "a self-extracting update package (`.exe` with the package markers)".into()
            });
            NameKind::PackageExe
        }
        Some(e) => {
            why.push(format!(
                "`.{e}` without update-package markers is not a package slipway unpacks"
            ));
            NameKind::Other
        }
        None => {
            why.push("no file extension: not a package or patch".into());
            NameKind::Other
        }
    };

    // --- arch defaults ------------------------------------------------------------------------
    let stem_low = stem.to_ascii_lowercase();
    if arch.is_none() {
        if unsupported_arch {
            why.push("ARM builds are not an architecture slipway models".into());
        } else if stem_low.contains("64bit") || stem_low.contains("64-bit") {
            arch = Some(Arch::X64);
            why.push("`64bit` in the name marks the 64-bit build".into());
        } else if stem_low.contains("32bit") || stem_low.contains("32-bit") {
            arch = Some(Arch::X86);
            why.push("`32bit` in the name marks the 32-bit build".into());
        } else if info.uber {
            arch = Some(Arch::X64);
            why.push(
                "uber packages exist only for SharePoint 2010 and later, which are 64-bit only"
                    .into(),
            );
        } else if info.year.is_some_and(|y| y <= 2007)
            && !is_server(&info.product)
            && kind != NameKind::Other
        {
            arch = Some(Arch::X86);
            why.push(format!(
                "`{}` is a {} product, and Office before 2010 had no 64-bit edition: a pre-2010 \
                 client package without an arch slot is x86",
                info.product,
                info.year.unwrap_or_default()
            ));
        } else if fullfile.is_some()
            && culture_tag
            && info.year.is_none_or(|y| y < 2010)
            && kind != NameKind::Other
        {
            arch = Some(Arch::X86);
            why.push(
                "a `fullfile-<culture>` package without an arch slot is a 2007-era (32-bit only) \
                 package"
                    .into(),
            );
        } else if kind == NameKind::PackageCab
            && sha1.is_some()
            && !is_server(&info.product)
            && (glb
                || x_none
                || info.ww
                || info.mui
                || info.sp.is_some()
                || language.is_some()
                || is_office_family(&info.product))
        {
            arch = Some(Arch::X86);
            why.push(
                "an Office-style catalog cabinet without an arch slot is the 32-bit build \
                 (Office 2007 had no 64-bit edition)"
                    .into(),
            );
        } else if let Some(i) = (1..n).find(|&i| matches!(low(i), "64" | "32")) {
            arch = Some(if low(i) == "64" { Arch::X64 } else { Arch::X86 });
            why.push(format!(
                "a standalone `{}` after the product names the {}-bit build",
                toks[i].raw,
                low(i)
            ));
        } else if office64 && kind != NameKind::Other {
            why.push("`64` inside a component name is not an arch slot".into());
        }
    } else if office64 {
        why.push("`64` inside a component name is not the arch slot".into());
    }

    // --- scope ----------------------------------------------------------------------------------
    let scope = if glb || x_none || info.ww || ww_token || component_ww {
        why.push(
            if glb {
                "`glb` marks a global package (vendor document, Packages)"
            } else if x_none {
                "`x-none` marks a global patch (vendor document, Patches)"
            } else {
                "`ww` (world-wide) marks a global patch, like `stswwsp1.msp` (vendor document)"
            }
            .into(),
        );
        if info.loc {
            why.push(
                "`loc` with `glb`: the language-dependent fixes for every language at once, \
                 a global package"
                    .into(),
            );
        }
        if language.is_some() {
            why.push("the global marker wins over the language also in the name".into());
        }
        language = None;
        Scope::Global
    } else if language.is_some() {
        Scope::Localized
    } else if intl {
        why.push("`intl` names an international download: the language is not in the name".into());
        Scope::Unknown
    } else if info.uber {
        why.push("uber packages carry every global and language patch: global".into());
        Scope::Global
    } else if info.mui || component_mui {
        why.push("a `mui` family is localized, but the name does not say which language".into());
        Scope::Localized
    } else if (kind == NameKind::PatchMsp || (kind == NameKind::PackageCab && sha1.is_some()))
        && kb.is_none()
        && is_office_family(&info.product)
    {
        why.push(format!(
            "a bare `{}` family name is the global patch (vendor document: `sts.msp`)",
            info.product
        ));
        Scope::Global
    } else {
        why.push("no language marker in the name: scope unknown".into());
        Scope::Unknown
    };

    // --- release --------------------------------------------------------------------------------
    let sp_number = match info.sp {
        _ if info.uber => {
            if info.sp.is_some() {
                why.push("`sp` in an `uber…` stem is not a service pack".into());
            }
            None
        }
        Some(GluedSp::Number(k)) => Some(format!("SP{k}")),
        // `…sp2010`: SharePoint/Office 2010 named SP1 `…2010sp1` and SP2 `…sp2010`; 2013
        // had one service pack.
        Some(GluedSp::Year(2010)) => Some("SP2".to_owned()),
        Some(GluedSp::Year(2013)) => Some("SP1".to_owned()),
        Some(GluedSp::Year(_)) => Some("SP".to_owned()),
        None => sp_alone.map(|k| format!("SP{k}")),
    };
    let release = if hotfix {
        Some("hotfix".to_owned())
    } else if info.lp {
        why.push("`lpk`/`languagepack` marks a language pack".into());
        Some(sp_number.map_or("LP".to_owned(), |s| format!("LP {s}")))
    } else if let Some(s) = sp_number {
        why.push(format!("the `sp` marker in the stem makes this {s}"));
        Some(s)
    } else if let Some(k) = info.sr {
        why.push(format!("`sr{k}` is a service release"));
        Some(format!("SR{k}"))
    } else if let Some(cu) = cu_alone {
        why.push(format!("`{cu}` is a cumulative update"));
        Some(cu)
    } else if rtm && kb.is_none() {
        Some("RTM".to_owned())
    } else {
        None
    };
    if rerelease {
        why.push("`v<n>` marks a re-release of the same KB".into());
    }
    if rtm && kb.is_some() {
        why.push("`RTM` names the baseline the update applies to".into());
    }

    // --- build in the name (`svrsetup_15-0-4709-1000_x64.zip`) -------------------------------------
    if digit_tokens.len() == 4 && digit_tokens.windows(2).all(|w| w[1] == w[0] + 1) {
        let parts: Vec<&str> = digit_tokens.iter().map(|&i| toks[i].raw).collect();
        if let Some(b) = crate::model::Build::parse(&parts.join(".")) {
            why.push(format!("`{}` is the build {b}", parts.join("-")));
        }
    }

    let product = (!info.product.is_empty()).then(|| info.product.clone());
    // The family is the patch's identity across releases: `stswwsp1.msp` (SP1) patches the
    // same family as `sts.msp` (vendor document: "both patches update the same files"), so
    // the global marker `ww` and the release are not part of it.
    let patch_family = || {
        product.as_ref().map(|p| {
            p.strip_suffix("ww")
                .filter(|stem| !stem.is_empty())
                .unwrap_or(p)
                .to_owned()
        })
    };
    let family = match kind {
        NameKind::PatchMsp => patch_family(),
        NameKind::PackageCab if sha1.is_some() => patch_family(),
        NameKind::PackageCab => component.clone(),
        _ => None,
    };

    NameFacts {
        name: name.to_owned(),
        kind,
        product,
        release,
        kb,
        arch,
        scope,
        language,
        family,
        sha1,
        reasons: why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, kind, kb, arch, scope, language)
    type Row = (
        &'static str,
        &'static str,
        Option<u32>,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
    );

    fn check(rows: &[Row]) {
        for &(name, kind, kb, arch, scope, lang) in rows {
            let f = classify_name(name);
            let got = (
                f.kind.as_str(),
                f.kb.map(|k| k.0),
                f.arch.map(Arch::as_str),
                f.scope.to_string(),
                f.language.as_ref().map(Lang::as_str),
            );
            let want = (kind, kb, arch, scope.to_owned(), lang);
            assert_eq!(got, want, "{name}: reasons {:?}", f.reasons);
            assert!(!f.reasons.is_empty(), "{name}: no reasons");
        }
    }

    #[test]
    fn package_pattern_and_its_variants() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            // the vendor document's own examples
            ("officeserver2007sp1-kb936984-x86-fullfile-en-us.exe", "package-exe", Some(936984), Some("x86"), "localized", Some("en-us")),
            ("office-kb950487-fullfile-x86-glb.exe", "package-exe", Some(950487), Some("x86"), "global", None),
            ("wss-kb948957-fullfile-x86-en-us.exe", "package-exe", Some(948957), Some("x86"), "localized", Some("en-us")),
            // arch after fullfile, SP in the stem
            ("wssv3sp2-kb953338-fullfile-x64-de-de.exe", "package-exe", Some(953338), Some("x64"), "localized", Some("de-de")),
            ("sts2019-kb5002754-fullfile-x64-glb.exe", "package-exe", Some(5002754), Some("x64"), "global", None),
            // no `kb` prefix; `v2`; odd spacing and case
            ("office2010-2553092-fullfile-x86-glb.exe", "package-exe", Some(2553092), Some("x86"), "global", None),
            ("mso2010-kb2589320-v2-fullfile-x64-glb.exe", "package-exe", Some(2589320), Some("x64"), "global", None),
            ("STS2016-KB 4011111-FullFile-X64-GLB.EXE", "package-exe", Some(4011111), Some("x64"), "global", None),
            // `loc` with `glb` is global
            ("stsloc2013-kb2880963-fullfile-x64-glb.exe", "package-exe", Some(2880963), Some("x64"), "global", None),
            // arch slot only next to fullfile/KB
            ("ime642007-kb2596990-fullfile-x86-glb.exe", "package-exe", Some(2596990), Some("x86"), "global", None),
            ("office2007sp3-kb2526086-office64ww-x86-glb.cab", "package-cab", Some(2526086), Some("x86"), "global", None),
            // both architectures
            ("NDP462-KB3151800-x86-x64-AllOS-ENU.exe", "package-exe", Some(3151800), Some("x86_x64"), "localized", Some("en-us")),
            ("windows-kb890830-ia64.exe", "package-exe", Some(890830), Some("ia64"), "unknown", None),
            // three-part cultures and underscores
            ("oslpksp2013-kb2880554-fullfile-x64-sr-latn-rs.exe", "package-exe", Some(2880554), Some("x64"), "localized", Some("sr-latn-rs")),
            ("serverlpk2016-kb1234567-fullfile-x64-zh-hant.exe", "package-exe", Some(1234567), Some("x64"), "localized", Some("zh-hant")),
            ("Installer_x64_pt_BR.exe", "other", None, Some("x64"), "localized", Some("pt-br")),
        ];
        check(rows);
    }

    #[test]
    fn windows_three_letter_codes_two_letter_codes_and_lcids_in_names() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("office2003-KB123456-FullFile-DEU.exe", "package-exe", Some(123456), Some("x86"), "localized", Some("de-de")),
            ("Office2003SP3-KB923618-FullFile-CHS.exe", "package-exe", Some(923618), Some("x86"), "localized", Some("zh-cn")),
            ("officexp-kb123456-fullfile-ptb.exe", "package-exe", Some(123456), Some("x86"), "localized", Some("pt-br")),
            ("WindowsServer2003-KB914961-SP2-x64-ESN.exe", "package-exe", Some(914961), Some("x64"), "localized", Some("es-es")),
            ("AppFabric1.1-KB2932678-x64-NOR.exe", "package-exe", Some(2932678), Some("x64"), "localized", Some("nb-no")),
            ("Exchange2010-KB2345678-x64-de.msp", "patch-msp", Some(2345678), Some("x64"), "localized", Some("de")),
            ("SharePointLanguagePack_1031.exe", "other", None, None, "localized", Some("de-de")),
            ("dotnetfx35langpack_x86de.exe", "other", None, Some("x86"), "localized", Some("de")),
            // a server before 2010 gets no 32-bit default
            ("SPS2003SP2-kb887623-fullfile-DEU.exe", "package-exe", Some(887623), None, "localized", Some("de-de")),
        ];
        check(rows);
        // the tables behind the codes and LCIDs are tested in `model::lang`
    }

    #[test]
    fn patch_names() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("sts-x-none.msp", "patch-msp", None, None, "global", None),
            ("Coreserver-x-none.msp", "patch-msp", None, None, "global", None),
            ("wssmui-en-us.msp", "patch-msp", None, None, "localized", Some("en-us")),
            ("coreservermui-sr-latn-cs.msp", "patch-msp", None, None, "localized", Some("sr-latn-cs")),
            ("stswwsp1.msp", "patch-msp", None, None, "global", None),
            ("sts.msp", "patch-msp", None, None, "global", None),
            ("DLC.msp", "patch-msp", None, None, "global", None),
            ("coreservermui.msp", "patch-msp", None, None, "localized", None),
            // not an Office/SharePoint family: a bare name says nothing about the scope
            ("ocsserver.msp", "patch-msp", None, None, "unknown", None),
            ("Exchange2007-KBxxxxxx-x64-EN.msp", "patch-msp", None, Some("x64"), "localized", Some("en")),
            ("excel-x-none_KB5002665.msp", "patch-msp", Some(5002665), None, "global", None),
        ];
        check(rows);
        let f = classify_name("wssmui-en-us.msp");
        assert_eq!(f.family.as_deref(), Some("wssmui"));
        let f = classify_name("stswwsp1.msp");
        assert_eq!(
            (f.family.as_deref(), f.release.as_deref()),
            (Some("sts"), Some("SP1"))
        );
        let f = classify_name("Exchange2007-KBxxxxxx-x64-EN.msp");
        assert_eq!(f.family.as_deref(), Some("exchange2007"));
        assert!(f.reasons.iter().any(|r| r.contains("placeholder")));
    }

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
    fn hotfix_wrappers_and_other_files() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            ("123456_ENU_x64_zip.exe", "package-exe", None, Some("x64"), "localized", Some("en-us")),
            ("123456_DEU_i386_zip.exe", "package-exe", None, Some("x86"), "localized", Some("de-de")),
            ("123456_intl_x64_zip.exe", "package-exe", None, Some("x64"), "unknown", None),
            ("123456_intl_ia64_zip.exe>>", "package-exe", None, Some("ia64"), "unknown", None),
            ("Windows8.1-KB2919355-x64.msu", "other", Some(2919355), Some("x64"), "unknown", None),
            ("NDP472-KB4054530-x86-x64.exe", "package-exe", Some(4054530), Some("x86_x64"), "unknown", None),
            ("setup.exe", "other", None, None, "unknown", None),
            ("FilterPack32bit.exe", "other", None, Some("x86"), "unknown", None),
            ("MicrosoftIdentityExtensions-64.msi", "other", None, Some("x64"), "unknown", None),
            ("SharePointLanguagePack.exe", "other", None, None, "unknown", None),
            ("ServerLanguagePack_x64_ms-my.iso", "other", None, Some("x64"), "localized", Some("ms-my")),
            ("README", "other", None, None, "unknown", None),
        ];
        check(rows);
        let f = classify_name("123456_ENU_x64_zip.exe");
        assert_eq!((f.release.as_deref(), f.product), (Some("hotfix"), None));
        assert_eq!(
            classify_name("ServerLanguagePack.exe").release.as_deref(),
            Some("LP")
        );
        assert_eq!(
            classify_name("ExchangeServer2016-x64-cu23.iso")
                .release
                .as_deref(),
            Some("CU23")
        );
    }

    #[test]
    fn architecture_defaults_follow_product_generations() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            // Office clients before 2010: 32-bit only
            ("office2000sp3-kb123456-fullfile-enu.exe", "package-exe", Some(123456), Some("x86"), "localized", Some("en-us")),
            ("O2KSR2DL.EXE", "package-exe", None, Some("x86"), "unknown", None),
            ("visio2007sp2-kb953195-fullfile-fr-fr.exe", "package-exe", Some(953195), Some("x86"), "localized", Some("fr-fr")),
            ("ppviewersp2-kb953195-fullfile-it-it.exe", "package-exe", Some(953195), Some("x86"), "localized", Some("it-it")),
            // SharePoint uber packages: 2010 and later, 64-bit only, global
            ("ubersts.exe", "package-exe", None, Some("x64"), "global", None),
            ("ubersts_1.cab", "package-cab", None, Some("x64"), "global", None),
            ("ubersrvsp2013-kb2767999-fullfile-x64-glb.exe", "package-exe", Some(2767999), Some("x64"), "global", None),
            // no default for anything else
            ("Webfldrs-KB892211-DEU.exe", "package-exe", Some(892211), None, "localized", Some("de-de")),
        ];
        check(rows);
    }

    /// (name, product, release, family)
    type Described = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );

    #[test]
    fn products_releases_and_families() {
        #[rustfmt::skip]
        let cases: &[Described] = &[
            ("wssv3sp2-kb953338-x64-fullfile-en-us.exe", Some("wssv3"), Some("SP2"), None),
            ("officeserver2007sp1-kb936984-x86-fullfile-en-us.exe", Some("officeserver2007"), Some("SP1"), None),
            ("oserversp2010-kb2687453-fullfile-x64-en-us.exe", Some("oserver2010"), Some("SP2"), None),
            ("proplussp2013-kb2817430-fullfile-x64-ar-sa.exe", Some("proplus2013"), Some("SP1"), None),
            ("oslpksp2010-kb2687462-fullfile-x64-nb-no.exe", Some("oslpk2010"), Some("LP SP2"), None),
            ("serverlanguagepack2010sp1-kb2460056-x64-fullfile-de-de.exe", Some("serverlanguagepack2010"), Some("LP SP1"), None),
            ("ubersrvsp2013-kb2767999-fullfile-x64-glb.exe", Some("ubersrvsp2013"), None, None),
            ("sts-subscription-kb5002045-fullfile-x64-glb.exe", Some("sts-subscription"), None, None),
            ("Exchange2007-KB123456-x64-EN.msp", Some("exchange2007"), None, Some("exchange2007")),
            ("office2007sp3-kb2526086-mainmui-x86-en-us.cab", Some("office2007"), Some("SP3"), Some("mainmui")),
            ("O2KSR1ADL.EXE", Some("o2k"), Some("SR1"), None),
            ("coreserver-x-none.msp", Some("coreserver"), None, Some("coreserver")),
        ];
        for &(name, product, release, family) in cases {
            let f = classify_name(name);
            assert_eq!(
                (
                    f.product.as_deref(),
                    f.release.as_deref(),
                    f.family.as_deref()
                ),
                (product, release, family),
                "{name}: {:?}",
                f.reasons
            );
        }
        let f = classify_name("ubersrvsp2013-kb2767999-fullfile-x64-glb.exe");
        assert!(f.reasons.iter().any(|r| r.contains("not a service pack")));
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

    #[test]
    fn json_shape() {
        let f = classify_name("wss-kb948957-fullfile-x86-en-us.exe");
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["kind"], "package-exe");
        assert_eq!(v["kb"], "948957");
        assert_eq!(v["arch"], "x86");
        assert_eq!(v["scope"], "localized");
        assert_eq!(v["language"], "en-us");
        assert_eq!(v["sha1"], serde_json::Value::Null);
        assert_eq!(v["family"], serde_json::Value::Null);
        assert!(v["reasons"].is_array());
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        for name in [
            "",
            ".",
            "..",
            "/",
            "\\",
            "-",
            "_",
            "kb",
            "KB",
            "kb-",
            "a.b.c",
            "é.exe",
            "ü-kb1234-ünî.msp",
            "x86",
            "-x64",
            "_x86_x64_",
            "sp",
            "sp2",
            "xsp2013",
            "sr",
            "o2ksr",
            "o2ksré",
            "ww",
            "mui",
            "日本語-kb123456-fullfile-x64-ja-jp.exe",
            "kb 1",
            "kb 123456789",
            "___.cab",
            "a_b.cab",
            "1033",
            "x_none",
            "en-",
            "-en",
            "zh-hant-",
            "\u{0}\u{7f}>",
            "arm64",
            "a-arm64-en-us.exe",
        ] {
            let _ = classify_name(name);
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(name in "\\PC{0,60}") {
            let _ = classify_name(&name);
        }

        #[test]
        fn never_panics_on_name_like_input(
            name in "[a-zA-Z0-9é_ .\\-]{0,12}(-kb[0-9x ]{0,8})?(-fullfile)?(-x(86|64))?(-[a-z]{2,3}(-[a-z]{2,4}){0,2})?(_[0-9a-f]{40})?(\\.(exe|cab|msp|msu))?"
        ) {
            let f = classify_name(&name);
            proptest::prop_assert_eq!(f.name, name);
        }
    }
}
