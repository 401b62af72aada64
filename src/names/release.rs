//! The release: `hotfix` for download wrappers, `LP` / `LP SP<n>` for language packs,
//! `SP<n>` (glued or standalone), `SR<n>`, `CU<n>`, `RTM`; and the reasons for the release
//! markers that decide nothing (`v2`, `RTM` next to a KB, a build spelled in the name).

use super::markers::Markers;
use super::product::{GluedSp, ProductInfo};
use super::tokens::Draft;

pub(super) fn decide(
    d: &mut Draft,
    markers: &Markers,
    info: &ProductInfo,
    has_kb: bool,
) -> Option<String> {
    let why = &mut d.why;
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
        None => markers.sp.map(|k| format!("SP{k}")),
    };
    let release = if markers.hotfix {
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
    } else if let Some(cu) = &markers.cu {
        why.push(format!("`{cu}` is a cumulative update"));
        Some(cu.clone())
    } else if markers.rtm && !has_kb {
        Some("RTM".to_owned())
    } else {
        None
    };
    if markers.rerelease {
        why.push("`v<n>` marks a re-release of the same KB".into());
    }
    if markers.rtm && has_kb {
        why.push("`RTM` names the baseline the update applies to".into());
    }
    release
}

/// A build spelled in the name (`svrsetup_15-0-4709-1000_x64.zip`): four consecutive
/// all-digit tokens. Only a reason: [`NameFacts`](super::NameFacts) has no build.
pub(super) fn build_in_name(d: &mut Draft, markers: &Markers) {
    let digits = &markers.digit_tokens;
    if digits.len() == 4 && digits.windows(2).all(|w| w[1] == w[0] + 1) {
        let parts: Vec<&str> = digits.iter().map(|&i| d.toks[i].raw.as_str()).collect();
        if let Some(b) = crate::model::Build::parse(&parts.join(".")) {
            d.why
                .push(format!("`{}` is the build {b}", parts.join("-")));
        }
    }
}
