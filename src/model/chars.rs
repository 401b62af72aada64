//! Characters a person cannot see or tell apart in a name: the one table that `catalog check`
//! warns about and that every line printed for people shows escaped.

/// What an invisible or unusual character is called, if `c` is one.
pub fn invisible_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00A0}' => "NO-BREAK SPACE",
        '\u{00AD}' => "SOFT HYPHEN",
        '\u{034F}' => "COMBINING GRAPHEME JOINER",
        '\u{061C}' => "ARABIC LETTER MARK",
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => "HANGUL FILLER",
        '\u{17B4}' | '\u{17B5}' => "KHMER VOWEL INHERENT",
        '\u{180E}' => "MONGOLIAN VOWEL SEPARATOR",
        '\u{2000}'..='\u{200A}' => "a typographic space",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
            "a bidirectional control"
        }
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        '\u{202F}' => "NARROW NO-BREAK SPACE",
        '\u{205F}' => "MEDIUM MATHEMATICAL SPACE",
        '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}' => "an invisible format character",
        '\u{3000}' => "IDEOGRAPHIC SPACE",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE (BOM)",
        '\u{FFF9}'..='\u{FFFB}' => "an interlinear annotation character",
        '\u{E0000}'..='\u{E007F}' => "a tag character",
        c if c.is_control() => "a control character",
        _ => return None,
    })
}
