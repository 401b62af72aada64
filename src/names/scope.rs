//! The scope: global (`glb`, `x-none`, `ww`, uber packages, a bare Office family name),
//! localized (a language, a `mui` family) or unknown — and whether the language found counts.
//!
//! Judgement call (the conventions leave room): a bare family name (`STS.msp`,
//! `excel_<sha1>.cab`) is global only for Office and SharePoint families, whose patches come as
//! global/localized pairs (vendor document, "Patches"); other bare names (`AVMCU.msp`,
//! `writer_<sha1>.cab`) say nothing about scope: unknown. (The README lists `AVMCU.msp` as
//! global, its expected-values table as unknown.)

use crate::model::{Lang, Scope};

use super::NameKind;
use super::markers::Markers;
use super::product::{ProductFacts, is_office_family};
use super::tokens::Draft;

/// The scope, and the language that goes with it (a global marker drops the language).
pub(super) fn decide(
    d: &mut Draft,
    markers: &Markers,
    language: Option<Lang>,
    product: &ProductFacts,
    kind: NameKind,
    has_kb: bool,
) -> (Scope, Option<Lang>) {
    let info = &product.info;
    let why = &mut d.why;
    if markers.glb || markers.x_none || info.ww || markers.ww || product.component_ww {
        why.push(
            if markers.glb {
                "`glb` marks a global package (vendor document, Packages)"
            } else if markers.x_none {
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
        return (Scope::Global, None);
    }
    let scope = if language.is_some() {
        Scope::Localized
    } else if markers.intl {
        why.push("`intl` names an international download: the language is not in the name".into());
        Scope::Unknown
    } else if info.uber {
        why.push("uber packages carry every global and language patch: global".into());
        Scope::Global
    } else if info.mui || product.component_mui {
        why.push("a `mui` family is localized, but the name does not say which language".into());
        Scope::Localized
    } else if (kind == NameKind::PatchMsp || (kind == NameKind::PackageCab && d.sha1.is_some()))
        && !has_kb
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
    (scope, language)
}

#[cfg(test)]
mod tests {
    use crate::names::classify_name;
    use crate::names::tests::{Row, check};

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
}
