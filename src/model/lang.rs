//! Languages: the culture-name type [`Lang`], and the Windows tables that turn a three-letter
//! language code or an LCID into one, with the subtag rules names are read by.
//!
//! Source: general Windows knowledge, the LANGID table (three-letter abbreviations and LCIDs)
//! and the culture names Microsoft uses (`sr-latn-cs`, `zh-hant`, `iu-cans-ca`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// A language as a canonical lower-case culture name: `en-us`, `sr-latn-cs`, `zh-hant`, `en`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Lang(String);

impl Lang {
    /// Accepts a culture tag in any case with `-` or `_` separators: a 2–3 letter language,
    /// then up to three subtags of 2–8 letters or digits (`en`, `en-US`, `pt_BR`,
    /// `sr-Latn-CS`).
    pub fn parse(s: &str) -> Option<Lang> {
        let lower = s.trim().to_ascii_lowercase().replace('_', "-");
        let mut parts = lower.split('-');
        let first = parts.next()?;
        if !(2..=3).contains(&first.len()) || !first.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let mut count = 0;
        for p in parts {
            count += 1;
            if count > 3
                || !(2..=8).contains(&p.len())
                || !p
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                return None;
            }
        }
        Some(Lang(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The language without its region or script (`de` of `de-de`).
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// Whether two names denote the same language: equal, or one is only a language (`en`,
    /// as Exchange rollup names say `EN`) and the other a culture of it (`en-us`): a
    /// two-letter name is less specific, not different.
    pub fn agrees_with(&self, other: &Lang) -> bool {
        self == other
            || ((!self.0.contains('-') || !other.0.contains('-'))
                && self.primary() == other.primary())
    }

    /// Whether it names a culture (a language and a region or script), not just a language.
    pub fn is_culture(&self) -> bool {
        self.0.contains('-')
    }
}

impl<'de> Deserialize<'de> for Lang {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::from_text(d, Lang::parse, "a culture like en-us")
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Windows LANGID table: LCID, three-letter abbreviation (`LOCALE_SABBREVLANGNAME`, as
/// Office 2003-era package names use it) and culture name.
const WINDOWS_LANGUAGES: &[(u32, &str, &str)] = &[
    (0x0401, "ARA", "ar-sa"),
    (0x0402, "BGR", "bg-bg"),
    (0x0403, "CAT", "ca-es"),
    (0x0404, "CHT", "zh-tw"),
    (0x0405, "CSY", "cs-cz"),
    (0x0406, "DAN", "da-dk"),
    (0x0407, "DEU", "de-de"),
    (0x0408, "ELL", "el-gr"),
    (0x0409, "ENU", "en-us"),
    (0x040A, "ESP", "es-es"),
    (0x040B, "FIN", "fi-fi"),
    (0x040C, "FRA", "fr-fr"),
    (0x040D, "HEB", "he-il"),
    (0x040E, "HUN", "hu-hu"),
    (0x040F, "ISL", "is-is"),
    (0x0410, "ITA", "it-it"),
    (0x0411, "JPN", "ja-jp"),
    (0x0412, "KOR", "ko-kr"),
    (0x0413, "NLD", "nl-nl"),
    (0x0414, "NOR", "nb-no"),
    (0x0415, "PLK", "pl-pl"),
    (0x0416, "PTB", "pt-br"),
    (0x0417, "RMC", "rm-ch"),
    (0x0418, "ROM", "ro-ro"),
    (0x0419, "RUS", "ru-ru"),
    (0x041A, "HRV", "hr-hr"),
    (0x041B, "SKY", "sk-sk"),
    (0x041C, "SQI", "sq-al"),
    (0x041D, "SVE", "sv-se"),
    (0x041E, "THA", "th-th"),
    (0x041F, "TRK", "tr-tr"),
    (0x0420, "URD", "ur-pk"),
    (0x0421, "IND", "id-id"),
    (0x0422, "UKR", "uk-ua"),
    (0x0423, "BEL", "be-by"),
    (0x0424, "SLV", "sl-si"),
    (0x0425, "ETI", "et-ee"),
    (0x0426, "LVI", "lv-lv"),
    (0x0427, "LTH", "lt-lt"),
    (0x0428, "TAJ", "tg-cyrl-tj"),
    (0x0429, "FAR", "fa-ir"),
    (0x042A, "VIT", "vi-vn"),
    (0x042B, "HYE", "hy-am"),
    (0x042C, "AZE", "az-latn-az"),
    (0x042D, "EUQ", "eu-es"),
    (0x042E, "HSB", "hsb-de"),
    (0x042F, "MKI", "mk-mk"),
    (0x0432, "TSN", "tn-za"),
    (0x0434, "XHO", "xh-za"),
    (0x0435, "ZUL", "zu-za"),
    (0x0436, "AFK", "af-za"),
    (0x0437, "KAT", "ka-ge"),
    (0x0438, "FOS", "fo-fo"),
    (0x0439, "HIN", "hi-in"),
    (0x043A, "MLT", "mt-mt"),
    (0x043B, "SME", "se-no"),
    (0x043E, "MSL", "ms-my"),
    (0x043F, "KKZ", "kk-kz"),
    (0x0440, "KYR", "ky-kg"),
    (0x0441, "SWK", "sw-ke"),
    (0x0442, "TUK", "tk-tm"),
    (0x0443, "UZB", "uz-latn-uz"),
    (0x0444, "TTT", "tt-ru"),
    (0x0445, "BNG", "bn-in"),
    (0x0446, "PAN", "pa-in"),
    (0x0447, "GUJ", "gu-in"),
    (0x0448, "ORI", "or-in"),
    (0x0449, "TAM", "ta-in"),
    (0x044A, "TEL", "te-in"),
    (0x044B, "KDI", "kn-in"),
    (0x044C, "MYM", "ml-in"),
    (0x044D, "ASM", "as-in"),
    (0x044E, "MAR", "mr-in"),
    (0x044F, "SAN", "sa-in"),
    (0x0450, "MON", "mn-mn"),
    (0x0451, "BOB", "bo-cn"),
    (0x0452, "CYM", "cy-gb"),
    (0x0453, "KHM", "km-kh"),
    (0x0454, "LAO", "lo-la"),
    (0x0456, "GLC", "gl-es"),
    (0x0457, "KNK", "kok-in"),
    (0x045A, "SYR", "syr-sy"),
    (0x045B, "SIN", "si-lk"),
    (0x045D, "IUK", "iu-cans-ca"),
    (0x045E, "AMH", "am-et"),
    (0x0461, "NEP", "ne-np"),
    (0x0462, "FYN", "fy-nl"),
    (0x0463, "PAS", "ps-af"),
    (0x0464, "FPO", "fil-ph"),
    (0x0465, "DIV", "dv-mv"),
    (0x0468, "HAU", "ha-latn-ng"),
    (0x046A, "YOR", "yo-ng"),
    (0x046B, "QUB", "quz-bo"),
    (0x046C, "NSO", "nso-za"),
    (0x046D, "BAS", "ba-ru"),
    (0x046E, "LBX", "lb-lu"),
    (0x046F, "KAL", "kl-gl"),
    (0x0470, "IBO", "ig-ng"),
    (0x0478, "III", "ii-cn"),
    (0x047A, "MPD", "arn-cl"),
    (0x047C, "MWK", "moh-ca"),
    (0x047E, "BRE", "br-fr"),
    (0x0480, "UIG", "ug-cn"),
    (0x0481, "MRI", "mi-nz"),
    (0x0482, "OCI", "oc-fr"),
    (0x0483, "COS", "co-fr"),
    (0x0484, "GSW", "gsw-fr"),
    (0x0485, "SAH", "sah-ru"),
    (0x0486, "QUT", "qut-gt"),
    (0x0487, "KIN", "rw-rw"),
    (0x0488, "WOL", "wo-sn"),
    (0x048C, "PRS", "prs-af"),
    (0x0491, "GLA", "gd-gb"),
    (0x0492, "KUR", "ku-arab-iq"),
    (0x0801, "ARI", "ar-iq"),
    (0x0804, "CHS", "zh-cn"),
    (0x0807, "DES", "de-ch"),
    (0x0809, "ENG", "en-gb"),
    (0x080A, "ESM", "es-mx"),
    (0x080C, "FRB", "fr-be"),
    (0x0810, "ITS", "it-ch"),
    (0x0813, "NLB", "nl-be"),
    (0x0814, "NON", "nn-no"),
    (0x0816, "PTG", "pt-pt"),
    (0x081A, "SRL", "sr-latn-cs"),
    (0x081D, "SVF", "sv-fi"),
    (0x082C, "AZC", "az-cyrl-az"),
    (0x082E, "DSB", "dsb-de"),
    (0x083B, "SMF", "se-se"),
    (0x083C, "IRE", "ga-ie"),
    (0x083E, "MSB", "ms-bn"),
    (0x0843, "UZC", "uz-cyrl-uz"),
    (0x0845, "BNB", "bn-bd"),
    (0x085D, "IUS", "iu-latn-ca"),
    (0x085F, "TZA", "tzm-latn-dz"),
    (0x086B, "QUE", "quz-ec"),
    (0x0C01, "ARE", "ar-eg"),
    (0x0C04, "ZHH", "zh-hk"),
    (0x0C07, "DEA", "de-at"),
    (0x0C09, "ENA", "en-au"),
    (0x0C0A, "ESN", "es-es"),
    (0x0C0C, "FRC", "fr-ca"),
    (0x0C1A, "SRB", "sr-cyrl-cs"),
    (0x0C3B, "SMG", "se-fi"),
    (0x0C6B, "QUP", "quz-pe"),
    (0x1001, "ARL", "ar-ly"),
    (0x1004, "ZHI", "zh-sg"),
    (0x1007, "DEL", "de-lu"),
    (0x1009, "ENC", "en-ca"),
    (0x100A, "ESG", "es-gt"),
    (0x100C, "FRS", "fr-ch"),
    (0x101A, "HRB", "hr-ba"),
    (0x103B, "SMJ", "smj-no"),
    (0x1401, "ARG", "ar-dz"),
    (0x1404, "ZHM", "zh-mo"),
    (0x1407, "DEC", "de-li"),
    (0x1409, "ENZ", "en-nz"),
    (0x140A, "ESC", "es-cr"),
    (0x140C, "FRL", "fr-lu"),
    (0x141A, "BSB", "bs-latn-ba"),
    (0x143B, "SMK", "smj-se"),
    (0x1801, "ARM", "ar-ma"),
    (0x1809, "ENI", "en-ie"),
    (0x180A, "ESA", "es-pa"),
    (0x180C, "FRM", "fr-mc"),
    (0x181A, "SRS", "sr-latn-ba"),
    (0x183B, "SMA", "sma-no"),
    (0x1C01, "ART", "ar-tn"),
    (0x1C09, "ENS", "en-za"),
    (0x1C0A, "ESD", "es-do"),
    (0x1C1A, "SRN", "sr-cyrl-ba"),
    (0x1C3B, "SMB", "sma-se"),
    (0x2001, "ARO", "ar-om"),
    (0x2009, "ENJ", "en-jm"),
    (0x200A, "ESV", "es-ve"),
    (0x201A, "BSC", "bs-cyrl-ba"),
    (0x203B, "SMS", "sms-fi"),
    (0x2401, "ARY", "ar-ye"),
    (0x2409, "ENB", "en-029"),
    (0x240A, "ESO", "es-co"),
    (0x241A, "SRM", "sr-latn-rs"),
    (0x243B, "SMN", "smn-fi"),
    (0x2801, "ARS", "ar-sy"),
    (0x2809, "ENL", "en-bz"),
    (0x280A, "ESR", "es-pe"),
    (0x281A, "SRO", "sr-cyrl-rs"),
    (0x2C01, "ARJ", "ar-jo"),
    (0x2C09, "ENT", "en-tt"),
    (0x2C0A, "ESS", "es-ar"),
    (0x2C1A, "SRP", "sr-latn-me"),
    (0x3001, "ARB", "ar-lb"),
    (0x3009, "ENW", "en-zw"),
    (0x300A, "ESF", "es-ec"),
    (0x301A, "SRQ", "sr-cyrl-me"),
    (0x3401, "ARK", "ar-kw"),
    (0x3409, "ENP", "en-ph"),
    (0x340A, "ESL", "es-cl"),
    (0x3801, "ARU", "ar-ae"),
    (0x380A, "ESY", "es-uy"),
    (0x3C01, "ARH", "ar-bh"),
    (0x3C0A, "ESZ", "es-py"),
    (0x4001, "ARQ", "ar-qa"),
    (0x4009, "ENN", "en-in"),
    (0x400A, "ESB", "es-bo"),
    (0x4409, "ENM", "en-my"),
    (0x440A, "ESE", "es-sv"),
    (0x4809, "ENE", "en-sg"),
    (0x480A, "ESH", "es-hn"),
    (0x4C0A, "ESI", "es-ni"),
    (0x500A, "ESU", "es-pr"),
    (0x540A, "EST", "es-us"),
];

/// Language-neutral cultures that LCIDs also name (`zh-hans` 0x0004, `zh-hant` 0x7C04).
const NEUTRAL_LCIDS: &[(u32, &str)] = &[(0x0004, "zh-hans"), (0x7C04, "zh-hant")];

/// Script subtags seen in Microsoft culture names (`sr-latn-cs`, `zh-hant`, `iu-cans-ca`).
const SCRIPTS: &[&str] = &[
    "latn", "cyrl", "hans", "hant", "arab", "cans", "mong", "tfng", "beng", "deva", "ethi", "tibt",
    "yiii",
];

/// The culture named by a Windows three-letter language code (`ENU` → `en-us`, `CHT` → `zh-tw`,
/// `NOR` → `nb-no`), in any case.
pub fn windows_language_code(code: &str) -> Option<Lang> {
    let code = code.trim();
    if code.chars().count() != 3 {
        return None;
    }
    WINDOWS_LANGUAGES
        .iter()
        .find(|(_, abbrev, _)| abbrev.eq_ignore_ascii_case(code))
        .and_then(|(_, _, culture)| Lang::parse(culture))
}

/// The culture named by a Windows LCID (`1033` → `en-us`, `3082` → `es-es`, `2052` → `zh-cn`).
pub fn lcid_language(lcid: u32) -> Option<Lang> {
    WINDOWS_LANGUAGES
        .iter()
        .map(|(id, _, culture)| (*id, *culture))
        .chain(NEUTRAL_LCIDS.iter().copied())
        .find(|(id, _)| *id == lcid)
        .and_then(|(_, culture)| Lang::parse(culture))
}

/// Whether `s` (lower-case) is the language subtag of some Windows culture (`en`, `sr`, `kok`).
pub(crate) fn is_language_subtag(s: &str) -> bool {
    (2..=3).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase())
        && WINDOWS_LANGUAGES
            .iter()
            .map(|(_, _, c)| *c)
            .chain(NEUTRAL_LCIDS.iter().map(|(_, c)| *c))
            .any(|c| c.split('-').next() == Some(s))
}

/// A two-letter region (`us`) or a three-digit UN M.49 area (`029`, the Caribbean).
fn is_region_subtag(s: &str) -> bool {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_lowercase()))
        || (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
}

/// A culture written as separate lower-case subtags (as a file name's tokens split it):
/// language, optional script, optional region, at least one of the two after the language
/// (`en` `us`, `sr` `latn` `cs`, `zh` `hant`). Returns the culture and how many of the subtags
/// it spans (2 or 3).
pub(crate) fn culture_from_subtags(
    lang: &str,
    second: Option<&str>,
    third: Option<&str>,
) -> Option<(Lang, usize)> {
    if !is_language_subtag(lang) {
        return None;
    }
    let (text, span) = match (second, third) {
        (Some(s), Some(r)) if SCRIPTS.contains(&s) && is_region_subtag(r) => {
            (format!("{lang}-{s}-{r}"), 3)
        }
        (Some(s), _) if SCRIPTS.contains(&s) => (format!("{lang}-{s}"), 2),
        (Some(r), _) if is_region_subtag(r) => (format!("{lang}-{r}"), 2),
        _ => return None,
    };
    Lang::parse(&text).map(|l| (l, span))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_three_letter_codes_and_lcids() {
        assert_eq!(windows_language_code("ENU").unwrap().as_str(), "en-us");
        assert_eq!(windows_language_code("cht").unwrap().as_str(), "zh-tw");
        assert_eq!(windows_language_code("PTG").unwrap().as_str(), "pt-pt");
        assert_eq!(windows_language_code("SRL").unwrap().as_str(), "sr-latn-cs");
        assert_eq!(windows_language_code("ENB").unwrap().as_str(), "en-029");
        assert!(windows_language_code("GLB").is_none());
        assert!(windows_language_code("EN").is_none());
        assert!(windows_language_code("ÉNU").is_none());
        assert_eq!(lcid_language(1033).unwrap().as_str(), "en-us");
        assert_eq!(lcid_language(3082).unwrap().as_str(), "es-es");
        assert_eq!(lcid_language(2052).unwrap().as_str(), "zh-cn");
        assert_eq!(lcid_language(0x7C04).unwrap().as_str(), "zh-hant");
        assert!(lcid_language(2013).is_none());
        // every table row is a valid culture, and codes and LCIDs are unique
        for (i, (id, code, culture)) in WINDOWS_LANGUAGES.iter().enumerate() {
            assert!(Lang::parse(culture).is_some(), "{culture}");
            for (id2, code2, _) in &WINDOWS_LANGUAGES[i + 1..] {
                assert_ne!(id, id2, "{code}");
                assert_ne!(code, code2);
            }
        }
    }
}
