//! Command lines for people: each step's command as a person types it in Windows PowerShell,
//! in the source's folder — the one shell the rollout is written for. Every value from outside
//! (a file name from an archive, a log name) is one single-quoted literal ([`quote`]), so no
//! legal Windows file name (`&`, `^`, `%VAR%`, `$(…)`, `;`, quotes, backticks) can split the
//! line or run as code; environment paths are `$env:` expressions, never `%VAR%`.

use super::{Arg, Exec};

/// A PowerShell single-quoted string literal for `s`. PowerShell also ends a single-quoted
/// string at the typographic quotes U+2018–U+201B, so each of those is doubled like `'`;
/// line breaks and other control characters become spaces (every command is one line).
/// (PowerShell language specification 2.0, §2.3.5.2: a single-quoted-character is any
/// character but a single-quote-character, which includes U+2018, U+2019, U+201A, U+201B.)
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// An argument PowerShell passes to a program as it is written: letters, digits and the
/// punctuation of switches (`/quiet`, `-cmd`, `/l*v`, `b2b`), nothing PowerShell reads as
/// code or as a separator.
fn bare(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '/' || c == '-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.:=*".contains(c))
}

/// A path below the source's folder, for a person in that folder: `'.\packages\x.exe'`.
fn source_path(rel: &str) -> String {
    quote(&format!(".\\{}", rel.replace('/', "\\")))
}

/// A program or path from the catalog: `%VAR%\rest` becomes `(Join-Path $env:VAR 'rest')`.
pub fn catalog_path(text: &str) -> String {
    if let Some(rest) = text.strip_prefix('%')
        && let Some((var, path)) = rest.split_once('%')
        && !var.is_empty()
        && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return format!(
            "(Join-Path $env:{var} {})",
            quote(path.trim_start_matches('\\'))
        );
    }
    quote(text)
}

/// A log file's path expression for a person: in `%TEMP%`.
pub fn log_path(name: &str) -> String {
    format!("(Join-Path $env:TEMP {})", quote(name))
}

fn argument(a: &Arg) -> String {
    match a {
        Arg::Text(t) if bare(t) => t.clone(),
        Arg::Text(t) => quote(t),
        Arg::File(f) => source_path(f),
        Arg::Log { prefix, name } if prefix.is_empty() => log_path(name),
        Arg::Log { prefix, name } => format!("({} + {})", quote(prefix), log_path(name)),
    }
}

/// The command line of what a script executes, for a person (`None`: nothing to run).
pub fn command_line(exec: &Exec) -> Option<String> {
    match exec {
        Exec::Nothing => None,
        Exec::PowerShell(p) | Exec::Check(p) => Some(p.clone()),
        Exec::Program { program, args } => {
            let program = match program {
                Arg::Text(t) => catalog_path(t),
                other => argument(other),
            };
            let mut line = format!("& {program}");
            for a in args {
                line.push(' ');
                line.push_str(&argument(a));
            }
            Some(line)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_double_every_kind_of_single_quote() {
        for (input, want) in [
            ("plain.msp", "'plain.msp'"),
            ("it's", "'it''s'"),
            ("a\u{2019}b", "'a\u{2019}\u{2019}b'"),
            ("$(calc)", "'$(calc)'"),
            ("two\nlines", "'two lines'"),
        ] {
            assert_eq!(quote(input), want);
        }
    }

    #[test]
    fn command_lines_are_powershell_with_every_name_one_literal() {
        let exec = Exec::Program {
            program: Arg::File("packages/sts&calc&$(x)`;'.exe".to_owned()),
            args: vec![
                Arg::Text("/quiet".to_owned()),
                Arg::Text("a b".to_owned()),
                Arg::Log {
                    prefix: "/log:".to_owned(),
                    name: "slipway-SP01-004.log".to_owned(),
                },
            ],
        };
        assert_eq!(
            command_line(&exec).unwrap(),
            "& '.\\packages\\sts&calc&$(x)`;''.exe' /quiet 'a b' ('/log:' + (Join-Path $env:TEMP 'slipway-SP01-004.log'))"
        );
        let exec = Exec::Program {
            program: Arg::Text(
                "%COMMONPROGRAMFILES%\\Microsoft Shared\\Web server extensions\\12\\Bin\\psconfig.exe"
                    .to_owned(),
            ),
            args: vec![Arg::Text("-cmd".to_owned()), Arg::Text("b2b".to_owned())],
        };
        assert_eq!(
            command_line(&exec).unwrap(),
            "& (Join-Path $env:COMMONPROGRAMFILES 'Microsoft Shared\\Web server extensions\\12\\Bin\\psconfig.exe') -cmd b2b"
        );
        assert!(!bare("%TEMP%"));
        assert!(!bare("a;b"));
        assert!(bare("/l*v"));
    }
}
