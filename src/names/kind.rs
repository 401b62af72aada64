//! The kind: patch, package (self-extractor or cabinet) or other file, from the extension and
//! — for `.exe` — whether the name carries any update-package marker.

use super::NameKind;
use super::kb::KbFacts;
use super::markers::Markers;
use super::product::ProductInfo;
use super::tokens::Draft;

pub(super) fn decide(
    d: &mut Draft,
    kb: &KbFacts,
    markers: &Markers,
    info: &ProductInfo,
) -> NameKind {
    let glued_release = (info.sp.is_some() && !info.uber) || info.sr.is_some();
    // A service pack or cumulative update in a token of its own (`Exchange2010-SP3-x64.exe`,
    // `Exchange2013-x64-cu23.exe`) names an update package too; a language pack installer
    // without a KB (`ServerLanguagePack_SP2_de-de.exe`, SP2 slipstreamed) is not one.
    let own_release = (markers.sp.is_some() || markers.cu.is_some()) && !info.lp;
    let why = &mut d.why;
    match d.ext.as_deref() {
        Some("msp") => {
            why.push("`.msp` is a Windows Installer patch".into());
            NameKind::PatchMsp
        }
        Some("cab") => {
            why.push("a `.cab` in an update inventory carries update payload".into());
            NameKind::PackageCab
        }
        Some("exe")
            if kb.kb.is_some()
                || kb.placeholder
                || markers.hotfix
                || d.sha1.is_some()
                || kb.fullfile.is_some()
                || markers.glb
                || markers.x_none
                || info.uber
                || glued_release
                || own_release =>
        {
            why.push(if info.uber && kb.kb.is_none() {
                "`uber…` names the launcher of a SharePoint uber package".into()
            } else if (glued_release || own_release) && kb.kb.is_none() && !markers.hotfix {
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
    }
}

#[cfg(test)]
mod tests {
    use crate::names::classify_name;
    use crate::names::tests::{Row, check};

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
}
