//! The product pass: the tokens before the first marker are the product stem (`wssv3`,
//! `officeserver2007`, `sts-subscription`), with its glued service-pack or service-release
//! marker (`…sp2`, `…sp2010`, `o2ksr1`), its year and its scope hints (`ww`, `mui`, `loc`,
//! `lpk`); unmarked tokens after the KB are a component of a split package. Also the patch
//! family the product stem gives.

use super::NameKind;
use super::arch::arch_token;
use super::tokens::{Draft, Tok, split_trailing_digits};

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

pub(super) fn is_office_family(product: &str) -> bool {
    let (head, _) = split_trailing_digits(product);
    OFFICE_FAMILIES.contains(&product) || OFFICE_FAMILIES.contains(&head)
}

/// A service-pack marker glued to a product token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum GluedSp {
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

/// What the product tokens (before the first marker) say.
#[derive(Debug, Default)]
pub(super) struct ProductInfo {
    /// Lower-case stem without the service-pack/service-release marker.
    pub product: String,
    pub sp: Option<GluedSp>,
    pub sr: Option<u32>,
    pub year: Option<u32>,
    pub uber: bool,
    pub ww: bool,
    pub mui: bool,
    pub loc: bool,
    pub lp: bool,
    pub office64: bool,
}

fn product_info(toks: &[Tok]) -> ProductInfo {
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

/// What the product pass found.
#[derive(Debug)]
pub(super) struct ProductFacts {
    pub info: ProductInfo,
    /// An unmarked token after the KB: a component of a split package
    /// (`office2007sp3-kb2526086-mainmui-x86-en-us.cab`).
    pub component: Option<String>,
    /// The component is a `…ww` (global) one.
    pub component_ww: bool,
    /// The component is a `…mui` (localized) one.
    pub component_mui: bool,
    /// `64` inside the product or component name (`office64ww`): not an arch slot.
    pub office64: bool,
}

/// Runs after every marker pass: the product is what no pass explained.
pub(super) fn find(d: &Draft, has_kb: bool) -> ProductFacts {
    let n = d.n();
    let first_marker = d.marker.iter().position(|m| *m).unwrap_or(n);
    let info = product_info(d.toks.get(..first_marker).unwrap_or(&[]));
    // Unmarked tokens after the KB: a component of a split package (`…-mainmui-x86-en-us.cab`).
    let component: Option<String> = if has_kb {
        (first_marker..n)
            .find(|&i| !d.marker[i] && d.toks[i].low.chars().any(|c| c.is_ascii_alphabetic()))
            .map(|i| d.toks[i].low.clone())
    } else {
        None
    };
    let component_ww = component.as_deref().is_some_and(|c| {
        let c = split_glued_sp(c).map_or(c, |(b, _)| b);
        c.ends_with("ww")
    });
    let component_mui = component.as_deref().is_some_and(|c| c.ends_with("mui"));
    let office64 = info.office64
        || component
            .as_deref()
            .is_some_and(|c| c.contains("64") && arch_token(c).is_none());
    ProductFacts {
        info,
        component,
        component_ww,
        component_mui,
        office64,
    }
}

/// The patch family: for patches and catalog cabinets the product stem without `ww`; for
/// split-package cabinets the component.
pub(super) fn family(kind: NameKind, d: &Draft, product: &ProductFacts) -> Option<String> {
    // The family is the patch's identity across releases: `stswwsp1.msp` (SP1) patches the
    // same family as `sts.msp` (vendor document: "both patches update the same files"), so
    // the global marker `ww` and the release are not part of it.
    let patch_family = || {
        Some(&product.info.product)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.strip_suffix("ww")
                    .filter(|stem| !stem.is_empty())
                    .unwrap_or(p)
                    .to_owned()
            })
    };
    match kind {
        NameKind::PatchMsp => patch_family(),
        NameKind::PackageCab if d.sha1.is_some() => patch_family(),
        NameKind::PackageCab => product.component.clone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::names::classify_name;

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
}
