//! The language pass: a culture spelled out (`en-us`, `sr-latn-cs`, `zh-hant`), a language
//! glued to the arch (`x86de`), or — only in a language slot — a Windows three-letter code
//! (`ENU`), a two-letter language (`EN`) or an LCID (`1031`).

use crate::model::{
    Lang, culture_from_subtags, is_language_subtag, lcid_language, windows_language_code,
};

use super::arch::ArchSlot;
use super::kb::KbFacts;
use super::markers::Markers;
use super::tokens::{Draft, Tok, all_alpha, all_digits};

/// The language a name states, before the scope decides whether it counts.
#[derive(Debug)]
pub(super) struct LangFound {
    pub language: Option<Lang>,
    /// The language came from a culture tag (`en-us`), not a code, an LCID or a glued arch.
    pub culture_tag: bool,
}

/// A culture starting at token `i`: language, optional script, optional region (at least one
/// of the two). Returns the culture and how many tokens it spans.
fn culture_at(toks: &[Tok], i: usize) -> Option<(Lang, usize)> {
    let lang = &toks.get(i)?.low;
    let second = toks.get(i + 1).map(|t| t.low.as_str());
    let third = toks.get(i + 2).map(|t| t.low.as_str());
    culture_from_subtags(lang, second, third)
}

pub(super) fn find(d: &mut Draft, kb: &KbFacts, slot: &ArchSlot, markers: &Markers) -> LangFound {
    let n = d.n();
    let mut language: Option<Lang> = None;
    let mut i = 1;
    while i < n {
        if d.marker[i] {
            i += 1;
            continue;
        }
        if let Some((found, found_span)) = culture_at(&d.toks, i) {
            // `MSSpeech_SR_en-US`: `SR-en` reads as a culture too, but its "region" is the
            // language of the culture that follows; the later, complete one is meant.
            let (lang, span, i) = match culture_at(&d.toks, i + 1) {
                Some((next, next_span))
                    if found_span == 2 && !d.marker.get(i + 1).copied().unwrap_or(true) =>
                {
                    (next, next_span, i + 1)
                }
                _ => (found, found_span, i),
            };
            let text: Vec<&str> = d
                .toks
                .iter()
                .skip(i)
                .take(span)
                .map(|t| t.raw.as_str())
                .collect();
            d.why.push(format!(
                "`{}` is the culture {lang}: a localized package",
                text.join("-")
            ));
            for m in d.marker.iter_mut().skip(i).take(span) {
                *m = true;
            }
            language = Some(lang);
            break;
        }
        i += 1;
    }
    let mut culture_tag = language.is_some();
    if language.is_none()
        && let Some((i, lang)) = &slot.glued_lang
    {
        d.why.push(format!(
            "`{}` is an arch glued to the language {lang}",
            d.toks[*i].raw
        ));
        language = Some(lang.clone());
    }
    if language.is_none() {
        // Windows codes, two-letter languages and LCIDs only in a language slot: the last
        // token, next to the arch or `fullfile`, or the hotfix wrapper's second token.
        let mut slots: Vec<usize> = vec![n.saturating_sub(1)];
        for &a in slot.at.iter().chain(kb.fullfile.iter()) {
            slots.push(a.saturating_sub(1));
            slots.push(a + 1);
        }
        if markers.hotfix {
            slots.push(1);
        }
        for s in slots {
            if s == 0 || s >= n || (d.marker[s] && !markers.digit_tokens.contains(&s)) {
                continue;
            }
            let t = &d.toks[s];
            if kb
                .kb
                .is_some_and(|k| k.0.to_string() == t.low.trim_start_matches('0'))
            {
                continue;
            }
            if let Some((l, reason)) = code_in_slot(t) {
                d.why.push(reason);
                d.marker[s] = true;
                language = Some(l);
                culture_tag = false;
                break;
            }
        }
    }
    LangFound {
        language,
        culture_tag,
    }
}

/// The language a token in a language slot names, with the reason: a Windows three-letter
/// code, a two-letter language, or an LCID.
fn code_in_slot(t: &Tok) -> Option<(Lang, String)> {
    if t.low.len() == 3 && all_alpha(&t.low) {
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
    }
}

#[cfg(test)]
mod tests {
    use crate::names::tests::{Row, check};

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
}
