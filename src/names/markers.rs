//! The marker pass: whole tokens that say something about scope or release — `glb`, `x-none`,
//! `intl`, `ww`, `RTM`, `v2`, `SP2`, `CU23` — the hotfix download wrapper
//! `<id>_<lang>_<arch>_zip.exe`, and the all-digit tokens (LCIDs, build parts).

use super::tokens::{Draft, all_digits, low};

/// What the marker pass found.
#[derive(Debug, Default)]
pub(super) struct Markers {
    /// `<id>_<lang>_<arch>_zip.exe`.
    pub hotfix: bool,
    pub glb: bool,
    pub x_none: bool,
    pub intl: bool,
    /// `ww` as a token of its own (glued `…ww` is in the product info).
    pub ww: bool,
    /// `v2`, `v3`.
    pub rerelease: bool,
    pub rtm: bool,
    /// A standalone `SP<n>`.
    pub sp: Option<u32>,
    /// A standalone `CU<n>`, upper-case.
    pub cu: Option<String>,
    /// Indexes of all-digit tokens after the first.
    pub digit_tokens: Vec<usize>,
}

pub(super) fn find(d: &mut Draft) -> Markers {
    let n = d.n();
    let toks = &d.toks;
    let mut m = Markers {
        hotfix: d.ext.as_deref() == Some("exe")
            && n >= 3
            && low(toks, n - 1) == "zip"
            && all_digits(low(toks, 0)),
        ..Markers::default()
    };
    if m.hotfix {
        d.marker[0] = true;
        d.marker[n - 1] = true;
        d.why.push(
            "`<id>_<lang>_<arch>_zip.exe` is a hotfix download wrapper (zip self-extractor); \
             its number is a download id, not a KB"
                .into(),
        );
    }
    for i in 1..n {
        match low(toks, i) {
            "glb" => {
                m.glb = true;
                d.marker[i] = true;
            }
            "none" if low(toks, i - 1) == "x" => {
                m.x_none = true;
                d.marker[i - 1] = true;
                d.marker[i] = true;
            }
            "intl" => {
                m.intl = true;
                d.marker[i] = true;
            }
            "ww" => {
                m.ww = true;
                d.marker[i] = true;
            }
            "rtm" => {
                m.rtm = true;
                d.marker[i] = true;
            }
            t if is_rerelease(t) => {
                m.rerelease = true;
                d.marker[i] = true;
            }
            t if sp_token(t).is_some() => {
                m.sp = sp_token(t);
                d.marker[i] = true;
            }
            t if t
                .strip_prefix("cu")
                .is_some_and(|digits| all_digits(digits) && digits.len() <= 2) =>
            {
                m.cu = Some(t.to_ascii_uppercase());
                d.marker[i] = true;
            }
            t if all_digits(t) => {
                m.digit_tokens.push(i);
                d.marker[i] = true;
            }
            _ => {}
        }
    }
    m
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
