//! File-name conventions of Microsoft update packages and patches: what a name alone says
//! (kind, product, release, KB, architecture, scope, language, patch family, catalog SHA-1),
//! with one human reason per conclusion. Pure: no file access, no panics on any input.
//!
//! Sources of the rules:
//! - the vendor document ("Deploy software updates for Office SharePoint Server 2007",
//!   Microsoft TechNet cc263467, <https://technet.microsoft.com/library/cc263467>, sections
//!   "Packages" and "Patches"): the package
//!   pattern `productnamerrr-kby-xnn-fullfile-lang.exe`, `glb` for global packages, regional
//!   codes for localized ones, `x-none` for global patches, `sts.msp` / `stswwsp1.msp` as global
//!   patches and `wssmui-<region>.msp` as localized ones;
//! - `../shared/names/README.md`: `ww`, bare family names, Windows three-letter codes, `loc`
//!   stems with `-glb`, `uber…sp<year>` not being a service pack, the arch slot, catalog
//!   SHA-1 suffixes;
//! - general Windows knowledge: the LANGID table (three-letter abbreviations and LCIDs), 64-bit
//!   editions only from Office 2010 on, SharePoint 2010 and later being 64-bit only.
//!
//! Judgement calls (where the conventions leave room) are stated beside the rule they shape:
//! bare family names and scope in `scope.rs`, a missing arch slot in `arch.rs`.
//!
//! `classify_name` runs one pass per field over a shared `tokens::Draft` (the tokens, which
//! of them a pass has explained, the reasons so far); each pass reads what earlier passes
//! found. In order: tokens (stem, extension, catalog SHA-1), KB and `fullfile`, the arch
//! slot, other markers (`glb`, `x-none`, `SP2`, `v2`, the hotfix wrapper), language, product
//! (what no marker explained), kind, the arch default, scope, release, family.
//!
//! `product` and `family` are lower-case: Windows file names are case-insensitive, so the case a
//! name happens to use carries no meaning.

use serde::Serialize;

use crate::model::{Arch, Kb, Lang, Scope, Sha1};

mod arch;
mod kb;
mod kind;
mod language;
mod markers;
mod product;
mod release;
mod scope;
mod tokens;

/// The language tables live beside [`Lang`]; re-exported here, where callers found them first.
pub use crate::model::{lcid_language, windows_language_code};

pub use crate::model::NameKind;

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

/// Classifies one file name (a path is reduced to its last component). Never panics.
pub fn classify_name(name: &str) -> NameFacts {
    let mut d = tokens::Draft::new(name);
    let kb = kb::find(&mut d);
    let has_kb = kb.kb.is_some();
    let slot = arch::find_slot(&mut d);
    let markers = markers::find(&mut d);
    let found = language::find(&mut d, &kb, &slot, &markers);
    let product = product::find(&d, has_kb);
    let kind = kind::decide(&mut d, &kb, &markers, &product.info);
    let arch = arch::with_default(&mut d, &slot, &kb, &markers, &found, &product, kind);
    let (scope, language) = scope::decide(&mut d, &markers, found.language, &product, kind, has_kb);
    let release = release::decide(&mut d, &markers, &product.info, has_kb);
    release::build_in_name(&mut d, &markers);
    let family = product::family(kind, &d, &product);

    NameFacts {
        name: name.to_owned(),
        kind,
        product: (!product.info.product.is_empty()).then(|| product.info.product.clone()),
        release,
        kb: kb.kb,
        arch,
        scope,
        language,
        family,
        sha1: d.sha1,
        reasons: d.why,
    }
}

/// The package stem a file name belongs to, lower-case, without year, service-pack marker or
/// `-subscription` (`sts2019-kb…-fullfile-x64-glb.exe` → `sts`, `uber-subscription-kb…` →
/// `uber`, `wssloc2016-kb…` → `wssloc`); an external cabinet of a launcher goes with it
/// (`ubersrv_1.cab` → `ubersrv`). `None` when the name states no product.
pub fn package_stem(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let lower = lower.rsplit(['/', '\\']).next().unwrap_or(&lower);
    if let Some(stem) = lower.strip_suffix(".cab")
        && let Some((base, n)) = stem.rsplit_once('_')
        && !base.is_empty()
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(base.to_owned());
    }
    let product = classify_name(name).product?;
    let product = product.strip_suffix("-subscription").unwrap_or(&product);
    let bytes = product.as_bytes();
    let n = bytes.len();
    let without_year = if n > 4 && bytes[n - 4..].iter().all(u8::is_ascii_digit) {
        &product[..n - 4]
    } else {
        product
    };
    Some(without_year.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_stems_drop_year_subscription_and_cabinet_number() {
        for (name, want) in [
            ("sts2019-kb5002870-fullfile-x64-glb.exe", Some("sts")),
            ("wssloc2016-kb4461507-fullfile-x64-glb.exe", Some("wssloc")),
            (
                "uber-subscription-kb5002863-fullfile-x64-glb.exe",
                Some("uber"),
            ),
            (
                "sts-subscription-kb5002353-fullfile-x64-glb.exe",
                Some("sts"),
            ),
            (
                "wssloc-subscription-kb5002352-fullfile-x64-glb.exe",
                Some("wssloc"),
            ),
            (
                "ubersrv2013-kb2965266-fullfile-x64-glb.exe",
                Some("ubersrv"),
            ),
            ("UBERSRV_2.CAB", Some("ubersrv")),
        ] {
            assert_eq!(package_stem(name).as_deref(), want, "{name}");
        }
    }

    /// (name, kind, kb, arch, scope, language)
    pub(super) type Row = (
        &'static str,
        &'static str,
        Option<u32>,
        Option<&'static str>,
        &'static str,
        Option<&'static str>,
    );

    pub(super) fn check(rows: &[Row]) {
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

    /// Issue 20 point 7: rules found studying real names the shared list does not hold
    /// (AutoSPSourceBuilder, WSUS Offline Update and Office 2007 download inventories).
    #[test]
    fn point7_unseen_real_names() {
        #[rustfmt::skip]
        let rows: &[Row] = &[
            // kind: a service pack or CU in a token of its own makes an `.exe` a package;
            // a language pack installer with SP2 slipstreamed stays an installer
            ("Exchange2010-SP3-x64.exe", "package-exe", None, Some("x64"), "unknown", None),
            ("Exchange2013-x64-cu23.exe", "package-exe", None, Some("x64"), "unknown", None),
            ("ServerLanguagePack_SP2_en-us.exe", "other", None, None, "localized", Some("en-us")),
            // arch: a dot between two words separates them; before a digit it does not
            ("VC_redist.x64.exe", "other", None, Some("x64"), "unknown", None),
            ("AppFabric1.1-KB2932678-x64-ENU.exe", "package-exe", Some(2932678), Some("x64"), "localized", Some("en-us")),
            // names copied from download URLs: `%20` escapes, a browser's copy counter
            ("wacserver2016-kb%203191915-fullfile-x64-glb.exe", "package-exe", Some(3191915), Some("x64"), "global", None),
            ("wssloc2019-kb5002680-fullfile-x64-glb%20(1).exe", "package-exe", Some(5002680), Some("x64"), "global", None),
            ("officeserver2010sp2-kb2687453-fullfile-x64-en-us (2).exe", "package-exe", Some(2687453), Some("x64"), "localized", Some("en-us")),
            // a culture after a token that is also a language (`SR` = speech recognition)
            ("MSSpeech_SR_en-US_TELE.msi", "other", None, None, "localized", Some("en-us")),
        ];
        check(rows);
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
