//! The architecture: the arch slot (`x86`, `x64`, `ia64`, `x86-x64`, `x86de` glued to a
//! language), and — when the slot is empty — the default a product's generation implies.
//!
//! Judgement call (the conventions leave room): a missing arch slot is filled only from
//! product generation: pre-2010 Office clients and Office-style catalog cabinets are x86
//! (Office had no 64-bit edition before 2010), SharePoint uber packages x64 (SharePoint 2010
//! and later are 64-bit only); otherwise none.

use crate::model::{Arch, Lang, is_language_subtag};

use super::NameKind;
use super::kb::KbFacts;
use super::language::LangFound;
use super::markers::Markers;
use super::product::{ProductFacts, is_office_family};
use super::tokens::{Draft, low};

/// Stem fragments of server products: their early versions shipped both x86 and x64 builds
/// (so no 32-bit default applies), and their names always carry the arch slot.
const SERVER_HINTS: &[&str] = &[
    "server", "srv", "sps", "sts", "wss", "moss", "exchange", "sql", "ocs", "lcs", "portal", "spf",
];

/// What the arch slot holds.
#[derive(Debug)]
pub(super) struct ArchSlot {
    pub arch: Option<Arch>,
    /// Indexes of the arch tokens (language codes sit next to them).
    pub at: Vec<usize>,
    /// `dotnetfx35langpack_x86de`: the token index and the language glued to the arch.
    pub glued_lang: Option<(usize, Lang)>,
    /// `arm`/`arm64`: an architecture slipway does not model.
    pub unsupported: bool,
}

/// The architecture a whole token names.
pub(super) fn arch_token(low: &str) -> Option<Arch> {
    match low {
        "x86" | "i386" | "x32" => Some(Arch::X86),
        "x64" | "amd64" | "x8664" => Some(Arch::X64),
        "ia64" | "itanium" => Some(Arch::Ia64),
        "x86x64" => Some(Arch::X86X64),
        _ => None,
    }
}

/// The arch slot: any token after the first that names an architecture (the first of them
/// wins), `x86` followed by `x64` naming both.
pub(super) fn find_slot(d: &mut Draft) -> ArchSlot {
    let n = d.n();
    let toks = &d.toks;
    let mut arch = None;
    let mut at = Vec::new();
    let mut i = 0;
    while i < n {
        if low(toks, i) == "x86" && low(toks, i + 1) == "x64" {
            arch = arch.or(Some(Arch::X86X64));
            at.extend([i, i + 1]);
            i += 2;
            continue;
        }
        if i > 0
            && let Some(a) = arch_token(low(toks, i))
        {
            arch = arch.or(Some(a));
            at.push(i);
        }
        i += 1;
    }
    // `dotnetfx35langpack_x86de`: an arch glued to a two-letter language.
    let mut glued_lang: Option<(usize, Lang)> = None;
    if arch.is_none() {
        for i in 1..n {
            let t = low(toks, i);
            let split = ["x86", "x64", "ia64"].iter().find_map(|a| {
                t.strip_prefix(a)
                    .filter(|rest| rest.len() == 2 && is_language_subtag(rest))
                    .map(|rest| (a, rest))
            });
            if let Some((a, rest)) = split
                && let (Some(arch_found), Some(lang)) = (arch_token(a), Lang::parse(rest))
            {
                arch = Some(arch_found);
                at.push(i);
                glued_lang = Some((i, lang));
                break;
            }
        }
    }
    for &i in &at {
        d.marker[i] = true;
    }
    let mut unsupported = false;
    for (m, t) in d.marker.iter_mut().zip(toks).skip(1) {
        if matches!(t.low.as_str(), "arm" | "arm64") {
            *m = true;
            unsupported = true;
        }
    }
    if let Some(a) = arch {
        d.why
            .push(format!("`{a}` in the arch slot is the architecture"));
    }
    ArchSlot {
        arch,
        at,
        glued_lang,
        unsupported,
    }
}

fn is_server(product: &str) -> bool {
    SERVER_HINTS.iter().any(|h| product.contains(h))
}

/// The architecture: the slot's, else the default the name's other parts imply (`64bit`, an
/// uber package, the product's generation, a standalone `64`), else none.
pub(super) fn with_default(
    d: &mut Draft,
    slot: &ArchSlot,
    kb: &KbFacts,
    markers: &Markers,
    lang: &LangFound,
    product: &ProductFacts,
    kind: NameKind,
) -> Option<Arch> {
    let info = &product.info;
    let why = &mut d.why;
    if slot.arch.is_some() {
        if product.office64 {
            why.push("`64` inside a component name is not the arch slot".into());
        }
        return slot.arch;
    }
    let stem_low = d.stem.to_ascii_lowercase();
    let mut arch = None;
    if slot.unsupported {
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
            "uber packages exist only for SharePoint 2010 and later, which are 64-bit only".into(),
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
    } else if kb.fullfile.is_some()
        && lang.culture_tag
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
        && d.sha1.is_some()
        && !is_server(&info.product)
        && (markers.glb
            || markers.x_none
            || info.ww
            || info.mui
            || info.sp.is_some()
            || lang.language.is_some()
            || is_office_family(&info.product))
    {
        arch = Some(Arch::X86);
        why.push(
            "an Office-style catalog cabinet without an arch slot is the 32-bit build \
             (Office 2007 had no 64-bit edition)"
                .into(),
        );
    } else if let Some(i) = (1..d.toks.len()).find(|&i| matches!(low(&d.toks, i), "64" | "32")) {
        let bits = low(&d.toks, i);
        arch = Some(if bits == "64" { Arch::X64 } else { Arch::X86 });
        why.push(format!(
            "a standalone `{}` after the product names the {bits}-bit build",
            d.toks[i].raw
        ));
    } else if product.office64 && kind != NameKind::Other {
        why.push("`64` inside a component name is not an arch slot".into());
    }
    arch
}

#[cfg(test)]
mod tests {
    use crate::names::tests::{Row, check};

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
}
