//! The KB pass: the Knowledge Base article a name states (`kb953338`, `KB 4011111`, the bare
//! number in the KB slot of `…-972581-fullfile-…`), placeholders (`KBxxxxxx`), and the
//! `fullfile` marker of the vendor's package pattern `productnamerrr-kby-xnn-fullfile-lang.exe`.

use crate::model::Kb;

use super::tokens::{Draft, all_digits, low};

/// What the KB pass found.
#[derive(Debug)]
pub(super) struct KbFacts {
    pub kb: Option<Kb>,
    /// `KBxxxxxx` and friends: a KB slot, but no number.
    pub placeholder: bool,
    /// The index of the `fullfile` token.
    pub fullfile: Option<usize>,
}

pub(super) fn find(d: &mut Draft) -> KbFacts {
    let n = d.n();
    let toks = &d.toks;
    let mut kb = None;
    let mut placeholder = false;
    for i in 0..n {
        let Some(rest) = low(toks, i).strip_prefix("kb") else {
            continue;
        };
        if rest.is_empty() && all_digits(low(toks, i + 1)) {
            if let Some(k) = Kb::parse(low(toks, i + 1)) {
                kb = Some(k);
                d.marker[i] = true;
                d.marker[i + 1] = true;
                d.why.push(format!(
                    "`{} {}` is {k} (odd spacing)",
                    toks[i].raw,
                    low(toks, i + 1)
                ));
                break;
            }
        } else if all_digits(rest) {
            if let Some(k) = Kb::parse(&toks[i].low) {
                kb = Some(k);
                d.marker[i] = true;
                d.why.push(format!(
                    "`{}` is the Knowledge Base article {k}",
                    toks[i].raw
                ));
                break;
            }
        } else if rest.len() >= 4 && rest.chars().all(|c| matches!(c, 'x' | 'n' | '#' | '0')) {
            placeholder = true;
            d.marker[i] = true;
            d.why.push(format!(
                "`{}` is a placeholder, not a KB number",
                toks[i].raw
            ));
        }
    }
    let fullfile = toks.iter().position(|t| t.low == "fullfile");
    if let Some(f) = fullfile {
        d.marker[f] = true;
        if kb.is_none() {
            // `office2007-972581-fullfile-x86-glb.exe`: the KB slot without its `kb` prefix.
            if let Some(j) =
                (1..f).find(|&j| all_digits(low(toks, j)) && Kb::parse(low(toks, j)).is_some())
            {
                kb = Kb::parse(low(toks, j));
                d.marker[j] = true;
                d.why.push(format!(
                    "`{}` sits in the KB slot of the package pattern (no `kb` prefix)",
                    toks[j].raw
                ));
            }
        }
    }
    KbFacts {
        kb,
        placeholder,
        fullfile,
    }
}
