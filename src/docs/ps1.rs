//! The PowerShell the rollout hands to Windows: `scripts/<server>.ps1` (the server's steps:
//! its files checked against `SHA256SUMS`, then each step, stopping at the first failure) and
//! `verify.ps1` (every file of the source against `SHA256SUMS`). Generated, never run here.
//!
//! Every value from outside (file names from archives, catalog text, farm names) enters the
//! script as a single-quoted string ([`quote`]) — never inside double quotes, a here-string
//! or code — so no name can become PowerShell. The scripts use nothing newer than Windows
//! PowerShell 2.0 (Get-FileHash where it exists, .NET's SHA256 otherwise).

use std::fmt::Write as _;

use crate::catalog::rollout::Action;
use crate::rollout::{Arg, Exec, Rollout, Run, Step};

/// A PowerShell single-quoted string literal for `s`. PowerShell also ends a single-quoted
/// string at the typographic quotes U+2018–U+201B, so each of those is doubled like `'`;
/// line breaks and other control characters become spaces (the scripts' texts are one line).
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

/// A comment line's text: one line, no control characters.
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A source-relative path as a PowerShell expression below `$Root`.
fn file_expr(rel: &str) -> String {
    format!("(Join-Path $Root {})", quote(&rel.replace('/', "\\")))
}

fn arg_expr(a: &Arg) -> String {
    match a {
        Arg::Text(t) => quote(t),
        Arg::File(f) => file_expr(f),
        Arg::Log(l) => format!("(Join-Path $LogDir {})", quote(l)),
    }
}

/// `Get-Sha256`: SHA-256 of a file, lower-case hex.
const SHA256_FN: &str = r#"function Get-Sha256([string]$Path) {
    if (Get-Command Get-FileHash -ErrorAction SilentlyContinue) {
        return (Get-FileHash -Algorithm SHA256 -LiteralPath $Path).Hash.ToLowerInvariant()
    }
    $stream = [System.IO.File]::OpenRead($Path)
    try { $hash = [System.Security.Cryptography.SHA256]::Create().ComputeHash($stream) }
    finally { $stream.Close() }
    return (($hash | ForEach-Object { $_.ToString('x2') }) -join '')
}

function Read-Sums([string]$Root) {
    $sums = @{}
    foreach ($line in Get-Content -LiteralPath (Join-Path $Root 'SHA256SUMS') -Encoding UTF8) {
        if ($line -match '^([0-9a-f]{64})  (.+)$') { $sums[$Matches[2]] = $Matches[1] }
    }
    return $sums
}
"#;

/// The helpers of a server script (after `$Server`, `$Root`, `$LogDir` are set).
const SERVER_FNS: &str = r#"function Write-Log([string]$Message) {
    Add-Content -LiteralPath $Log -Value ((Get-Date).ToString('yyyy-MM-dd HH:mm:ss') + '  ' + $Message)
    Write-Host $Message
}

function Stop-Here([string]$Message, [int]$Code) {
    Write-Log $Message
    exit $Code
}

function Test-Files([string[]]$Files) {
    $sums = Read-Sums $Root
    foreach ($file in $Files) {
        $want = $sums[$file]
        if (-not $want) { Stop-Here ('SHA256SUMS does not list ' + $file + ': this is not the source slipway built') 1 }
        $path = Join-Path $Root ($file -replace '/', '\')
        if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { Stop-Here ('missing: ' + $file) 1 }
        if ((Get-Sha256 $path) -ne $want) { Stop-Here ('modified: ' + $file + ' does not match SHA256SUMS') 1 }
    }
    Write-Log ('' + $Files.Count + ' update file(s) match SHA256SUMS')
}

function Next-Run([int]$Number) {
    return ('.\scripts\' + $Server + '.ps1 -From ' + $Number)
}

function Enter-Step([int]$Number, [bool]$Waits, [string]$Text) {
    if ($Number -lt $From) { return $false }
    if ($script:Started -and $Waits) {
        Stop-Here ('Step ' + $Number + ' waits for the steps before it on other servers (RUNBOOK.md). When they are done, run: ' + (Next-Run $Number)) 0
    }
    $script:Started = $true
    Write-Log ('Step ' + $Number + ': ' + $Text)
    return $true
}

function Quote-Argument([string]$Value) {
    if ($Value -eq '' -or $Value -match '\s') { return '"' + $Value + '"' }
    return $Value
}

function Invoke-Program([int]$Number, [string]$Program, [string[]]$Arguments, [hashtable]$Codes, [string]$StepLog) {
    $line = ($Arguments | ForEach-Object { Quote-Argument $_ }) -join ' '
    Write-Log ('  ' + $Program + ' ' + $line)
    $process = Start-Process -FilePath ([Environment]::ExpandEnvironmentVariables($Program)) -ArgumentList $line -Wait -PassThru -NoNewWindow
    $code = $process.ExitCode
    $known = $Codes[$code]
    $outcome = ''
    if ($known) { $outcome = $known[0]; Write-Log ('  exit code ' + $code + ': ' + $known[1]) }
    switch ($outcome) {
        'success' { }
        'not-applicable' { }
        'already-installed' { }
        'reboot' { $script:RebootNeeded = $true }
        'reboot-initiated' { Stop-Here ('The computer is restarting. When it is back, run: ' + (Next-Run ($Number + 1))) 3010 }
        default {
            $where = ''
            if ($StepLog) { $where = '; log: ' + $StepLog }
            Stop-Here ('Step ' + $Number + ' failed: exit code ' + $code + $where) 1
        }
    }
}

function Invoke-Line([int]$Number, [string]$Command) {
    Write-Log ('  ' + $Command)
    try { Invoke-Expression $Command | Out-String | ForEach-Object { Write-Log $_.TrimEnd() } }
    catch { Stop-Here ('Step ' + $Number + ' failed: ' + $_) 1 }
}

function Show-Check([string]$Command) {
    Write-Log ('  ' + $Command)
    try { Invoke-Expression $Command | Out-String | ForEach-Object { Write-Log $_.TrimEnd() } }
    catch { Write-Log ('  could not run it here (' + $_ + '): run it where the command is available and compare by hand') }
}

function Stop-For-Person([int]$Number, [string]$Text, [string]$Command) {
    $message = 'Step ' + $Number + ' is for a person: ' + $Text
    if ($Command) { $message = $message + ' Command: ' + $Command }
    Stop-Here ($message + ' When it is done, run: ' + (Next-Run ($Number + 1))) 0
}

function Test-Restart([int]$Number) {
    if ($script:RebootNeeded) {
        Stop-Here ('A restart is needed: restart ' + $Server + ' now (Restart-Computer); when it is back, run: ' + (Next-Run ($Number + 1))) 3010
    }
    Write-Log '  no installation asked for a restart'
}
"#;

/// `@{ 0 = @('success', '…'); … }`.
fn codes_expr(step: &Step) -> String {
    let mut out = String::from("@{");
    for (i, c) in step.exit_codes.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        let _ = write!(
            out,
            " {} = @({}, {})",
            c.code,
            quote(c.outcome.as_str()),
            quote(&c.meaning)
        );
    }
    out.push_str(" }");
    out
}

/// The update files a server's script checks first: those its steps run or install.
fn files_of<'a>(steps: &[&'a Step]) -> Vec<&'a str> {
    let mut files: Vec<&str> = steps.iter().filter_map(|s| s.file.as_deref()).collect();
    files.sort_unstable();
    files.dedup();
    files
}

/// `scripts/<server>.ps1`.
pub fn server_script(rollout: &Rollout, server: &str, tool_version: &str) -> String {
    let steps: Vec<&Step> = rollout.steps_of(server).collect();
    let role = steps.first().map_or("", |s| s.role.as_str());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# scripts/{}.ps1: the rollout steps of server {} (role {}), written by slipway {tool_version}.",
        comment(server),
        comment(server),
        comment(role)
    );
    s.push_str(
        "# Generated with rollout.json and RUNBOOK.md, which list the same steps; do not edit.\n\
         #\n\
         # Run it on the server, from the copied source, in an elevated Windows PowerShell:\n\
         #   powershell.exe -File .\\scripts\\",
    );
    let _ = writeln!(s, "{}.ps1 [-From N] [-LogDir DIR]", comment(server));
    s.push_str(
        "# It checks its update files against SHA256SUMS, then runs its steps in order. It stops\n\
         # at the first failure (exit 1), when a restart is needed (exit 3010), at a step for a\n\
         # person and where the rollout goes on on another server (exit 0), and says how to go\n\
         # on: run it again with -From N. Logs: the LogDir folder.\n",
    );
    s.push_str("param(\n    [int]$From = 0,\n");
    let _ = writeln!(
        s,
        "    [string]$LogDir = (Join-Path $env:TEMP {})\n)",
        quote(&crate::rollout::log_folder(server))
    );
    s.push_str("$ErrorActionPreference = 'Stop'\n");
    let _ = writeln!(s, "$Server = {}", quote(server));
    s.push_str(
        "$Root = Split-Path -Parent (Split-Path -Parent $MyInvocation.MyCommand.Path)\n\
         if (-not (Test-Path -LiteralPath $LogDir)) { New-Item -ItemType Directory -Path $LogDir | Out-Null }\n\
         $Log = Join-Path $LogDir 'slipway.log'\n\
         $script:Started = $false\n\
         $script:RebootNeeded = $false\n\n",
    );
    s.push_str(SHA256_FN);
    s.push('\n');
    s.push_str(SERVER_FNS);
    s.push('\n');
    let files = files_of(&steps);
    s.push_str("Test-Files @(");
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&quote(f));
    }
    s.push_str(")\n\n");
    let mut previous: Option<u32> = None;
    for step in &steps {
        // The step waits when the rollout did something on another server since this
        // server's previous step.
        let waits = previous.is_some_and(|p| {
            rollout
                .sequence
                .iter()
                .any(|o| o.server != step.server && o.step > p && o.step < step.step)
        });
        previous = Some(step.step);
        let _ = writeln!(
            s,
            "# Step {}: {} ({})",
            step.step,
            step.action.as_str(),
            comment(&step.id)
        );
        let _ = writeln!(
            s,
            "if (Enter-Step {} ${} {}) {{",
            step.step,
            if waits { "true" } else { "false" },
            quote(&step.text)
        );
        s.push_str(&step_body(step));
        s.push_str("}\n\n");
    }
    let _ = writeln!(
        s,
        "Write-Log ('Every step of ' + $Server + ' is done; RUNBOOK.md says what comes next.')\nexit 0"
    );
    s
}

/// The statements inside a step's `if`.
fn step_body(step: &Step) -> String {
    let command = step.command.as_deref().unwrap_or("");
    if step.run == Run::Manual {
        return format!(
            "    Stop-For-Person {} {} {}\n",
            step.step,
            quote(&step.text),
            quote(command)
        );
    }
    match (&step.exec, step.action) {
        (_, Action::Reboot) => format!("    Test-Restart {}\n", step.step),
        (Exec::PowerShell(p), Action::Verify) => format!("    Show-Check {}\n", quote(p)),
        (Exec::PowerShell(p), _) => format!("    Invoke-Line {} {}\n", step.step, quote(p)),
        (Exec::Program { program, args }, _) => {
            let log = args
                .iter()
                .find(|a| matches!(a, Arg::Log(_)))
                .map_or_else(|| "''".to_owned(), arg_expr);
            let args: Vec<String> = args.iter().map(arg_expr).collect();
            format!(
                "    Invoke-Program {} {} @({}) {} {}\n",
                step.step,
                arg_expr(program),
                args.join(", "),
                codes_expr(step),
                log
            )
        }
        (Exec::Nothing, _) => "    Write-Log '  nothing to run'\n".to_owned(),
    }
}

/// `verify.ps1` at OUT's root: every line of `SHA256SUMS` re-hashed on the server the
/// source was copied to.
pub fn verify_script(tool_version: &str) -> String {
    let mut s = format!(
        "# verify.ps1: checks every file of this source against SHA256SUMS, written by slipway {tool_version}.\n"
    );
    s.push_str(
        "# Run it on the server the source was copied to, before anything is installed from it:\n\
         #   powershell.exe -File .\\verify.ps1\n\
         # Exit 0 when every file matches, 1 when one is missing or modified.\n\
         param([string]$Root = (Split-Path -Parent $MyInvocation.MyCommand.Path))\n\
         $ErrorActionPreference = 'Stop'\n\n",
    );
    s.push_str(SHA256_FN);
    s.push_str(
        "\n$bad = 0\n\
         $count = 0\n\
         foreach ($line in Get-Content -LiteralPath (Join-Path $Root 'SHA256SUMS') -Encoding UTF8) {\n\
         \x20   if ($line -match '^([0-9a-f]{64})  (.+)$') {\n\
         \x20       $want = $Matches[1]\n\
         \x20       $file = $Matches[2]\n\
         \x20       $count++\n\
         \x20       $path = Join-Path $Root ($file -replace '/', '\\')\n\
         \x20       if (-not (Test-Path -LiteralPath $path -PathType Leaf)) { Write-Host ('MISSING   ' + $file); $bad++ }\n\
         \x20       elseif ((Get-Sha256 $path) -ne $want) { Write-Host ('MODIFIED  ' + $file); $bad++ }\n\
         \x20   } elseif ($line.Trim() -ne '') {\n\
         \x20       Write-Host ('not a SHA256SUMS line: ' + $line); $bad++\n\
         \x20   }\n\
         }\n\
         if ($bad -gt 0) { Write-Host ('' + $bad + ' problem(s) among ' + $count + ' file(s)'); exit 1 }\n\
         Write-Host ('' + $count + ' file(s) match SHA256SUMS')\n\
         exit 0\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::rollout::Outcome;

    /// The outcome names the scripts know (kept in step with the catalog's).
    const OUTCOMES: &[Outcome] = &[
        Outcome::Success,
        Outcome::Reboot,
        Outcome::RebootInitiated,
        Outcome::NotApplicable,
        Outcome::AlreadyInstalled,
    ];

    #[test]
    fn quotes_double_every_kind_of_single_quote() {
        for (input, want) in [
            ("plain.msp", "'plain.msp'"),
            ("it's", "'it''s'"),
            ("a\u{2019}b", "'a\u{2019}\u{2019}b'"),
            ("$(calc)", "'$(calc)'"),
            ("two\nlines", "'two lines'"),
            ("<script>", "'<script>'"),
        ] {
            assert_eq!(quote(input), want, "{input:?}");
        }
    }

    #[test]
    fn every_outcome_has_a_branch_in_the_helpers() {
        for o in OUTCOMES {
            assert!(
                SERVER_FNS.contains(&format!("'{}'", o.as_str())),
                "{o:?} has no branch"
            );
        }
    }
}
