//! The PowerShell the rollout hands to Windows: `scripts/<server>.ps1` (the server's steps:
//! its files checked against `SHA256SUMS`, then each step once its prerequisites are done,
//! stopping at the first failure) and `verify.ps1` (every file of the source against
//! `SHA256SUMS`). Generated, never run here.
//!
//! Every value from outside (file names from archives, catalog text, farm names) enters the
//! script as a single-quoted string ([`quote`]) — never inside double quotes, a here-string
//! or code — so no name can become PowerShell. The scripts use nothing newer than the
//! PowerShell the catalog states for the product's servers (`#requires -Version`).
//!
//! Resuming is safe from any step: progress is recorded as files in a state folder that every
//! server's script shares (`-State`), and before a step runs the script checks that its own
//! earlier steps, every step it waits for and every phase it waits for are recorded done
//! (the rule `rollout`'s documentation states). Exit codes: 0 the server is done, 1 a step failed,
//! 2 a step is for a person, 3 waiting for other servers, 3010 a restart is needed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::catalog::rollout::Action;
use crate::rollout::{Arg, Exec, Rollout, Run, Step};

pub use crate::rollout::command::quote;

/// The exit codes of a server script (README and RUNBOOK.md say the same).
pub const EXIT_DONE: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_PERSON: i32 = 2;
pub const EXIT_WAITING: i32 = 3;
pub const EXIT_RESTART: i32 = 3010;

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
        Arg::Log { prefix, name } => {
            let path = format!("(Join-Path $LogDir {})", quote(name));
            if prefix.is_empty() {
                path
            } else {
                format!("({} + {path})", quote(prefix))
            }
        }
    }
}

/// A program: a file of the source, or catalog text whose `%VAR%`s Windows expands (never a
/// name from an archive: those are never expanded).
fn program_expr(a: &Arg) -> String {
    match a {
        Arg::Text(t) => format!("([Environment]::ExpandEnvironmentVariables({}))", quote(t)),
        other => arg_expr(other),
    }
}

/// `Get-Sha256` and `Read-Sums`, shared by both scripts.
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

/// The helpers of a server script (after `$Server`, `$Root`, `$StateDir`, `$LogDir` are set).
const SERVER_FNS: &str = r#"function Write-Log([string]$Message) {
    Add-Content -LiteralPath $Log -Value ((Get-Date).ToString('yyyy-MM-dd HH:mm:ss') + '  ' + $Message)
    Write-Host $Message
}

function Stop-Here([string]$Message, [int]$Code) {
    Write-Log $Message
    exit $Code
}

function Stop-Failed([int]$Number, [string]$Message) {
    Stop-Here ('Step ' + $Number + ' failed: ' + $Message + ' When it is resolved, run this script again.') 1
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
    Write-Log ('' + $Files.Count + ' file(s) match SHA256SUMS')
}

function Get-BootTime {
    return [string](Get-WmiObject -Class Win32_OperatingSystem).LastBootUpTime
}

function Get-Marker([string]$Name) {
    return (Join-Path $StateDir $Name)
}

function Test-Done([int]$Number) {
    return (Test-Path -LiteralPath (Get-Marker ('step-' + $Number + '.done')))
}

function Set-Done($Step) {
    Set-Content -LiteralPath (Get-Marker ('step-' + $Step.N + '.done')) -Value ($Server + ' ' + (Get-Date).ToString('s'))
    foreach ($phase in $Step.Ends) {
        $dir = Get-Marker ('phase-' + $phase)
        if (-not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir | Out-Null }
        Set-Content -LiteralPath (Join-Path $dir ($Server + '.done')) -Value ((Get-Date).ToString('s'))
    }
}

function Get-Missing($Step) {
    $missing = @()
    foreach ($w in $Step.Waits) {
        if (-not (Test-Done $w)) { $missing += ('step ' + $w) }
    }
    foreach ($phase in $Step.Phases) {
        $dir = Get-Marker ('phase-' + $phase)
        $have = @(Get-ChildItem -LiteralPath $dir -Filter '*.done' -ErrorAction SilentlyContinue).Count
        $need = $PhaseServers[$phase]
        if ($have -lt $need) { $missing += ('phase ' + $phase + ' (' + $have + ' of ' + $need + ' servers done)') }
    }
    return $missing
}

function Quote-Argument([string]$Value) {
    if ($Value -eq '' -or $Value -match '\s') { return '"' + $Value + '"' }
    return $Value
}

function Invoke-Program($Step, [string]$Program, [string[]]$Arguments, [hashtable]$Codes, [string]$StepLog) {
    $line = ($Arguments | ForEach-Object { Quote-Argument $_ }) -join ' '
    Write-Log ('  ' + $Program + ' ' + $line)
    if ($line -eq '') { $process = Start-Process -FilePath $Program -Wait -PassThru -NoNewWindow }
    else { $process = Start-Process -FilePath $Program -ArgumentList $line -Wait -PassThru -NoNewWindow }
    $code = $process.ExitCode
    $known = $Codes[$code]
    $outcome = ''
    if ($known) { $outcome = $known[0]; Write-Log ('  exit code ' + $code + ': ' + $known[1]) }
    $where = ''
    if ($StepLog) { $where = ' Log: ' + $StepLog + '.' }
    switch ($outcome) {
        'success' { }
        'already-installed' { }
        'not-applicable' { Write-Log '  not applicable on this server, as expected for this step' }
        'reboot' { Set-Content -LiteralPath (Get-Marker ('restart-' + $Server)) -Value (Get-BootTime) }
        'reboot-initiated' {
            Set-Content -LiteralPath (Get-Marker ('restart-' + $Server)) -Value (Get-BootTime)
            Set-Done $Step
            Stop-Here ('The computer is restarting. When it is back, run this script again.') 3010
        }
        'stop' { Stop-Failed $Step.N ('exit code ' + $code + ': ' + $known[1] + ' ' + $known[2] + $where) }
        default { Stop-Failed $Step.N ('exit code ' + $code + ', which is not a success.' + $where + ' ' + $Step.Remedy) }
    }
}

function Invoke-Line($Step, [string]$Command) {
    Write-Log ('  ' + $Command)
    try { Invoke-Expression $Command | Out-String | ForEach-Object { Write-Log $_.TrimEnd() } }
    catch { Stop-Failed $Step.N ([string]$_ + ' ' + $Step.Remedy) }
}

function Invoke-Check($Step, [string]$Condition) {
    Write-Log ('  check: ' + $Condition)
    try { $result = Invoke-Expression $Condition }
    catch { Stop-Failed $Step.N ('the check could not run (' + $_ + '). ' + $Step.Remedy) }
    if (-not (($result -is [bool]) -and $result)) { Stop-Failed $Step.N ('the check is not met. ' + $Step.Remedy) }
    Write-Log '  check met'
}

function Test-Restart($Step) {
    $marker = Get-Marker ('restart-' + $Server)
    if (-not (Test-Path -LiteralPath $marker)) { Write-Log '  no installation asked for a restart'; return }
    if ((Get-Content -LiteralPath $marker) -eq (Get-BootTime)) {
        Stop-Here ('Step ' + $Step.N + ': restart ' + $Server + ' now (Restart-Computer); when it is back, run this script again.') 3010
    }
    Remove-Item -LiteralPath $marker
    Write-Log '  restarted since the installation asked for it'
}
"#;

/// `@{ 0 = @('success', '…', '…'); … }`.
fn codes_expr(step: &Step) -> String {
    let mut out = String::from("@{");
    for (i, c) in step.exit_codes.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        let _ = write!(
            out,
            " {} = @({}, {}, {})",
            c.code,
            quote(c.outcome.as_str()),
            quote(&c.meaning),
            quote(c.remedy.as_deref().unwrap_or(""))
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

/// `@(1, 2)` / `@('a', 'b')`.
fn list<T>(items: impl IntoIterator<Item = T>, show: impl Fn(T) -> String) -> String {
    let parts: Vec<String> = items.into_iter().map(show).collect();
    format!("@({})", parts.join(", "))
}

/// `scripts/<server>.ps1`.
pub fn server_script(rollout: &Rollout, server: &str, tool_version: &str) -> String {
    let steps: Vec<&Step> = rollout.steps_of(server).collect();
    let role = steps.first().map_or("", |s| s.role.as_str());
    let mut s = String::new();
    let _ = writeln!(s, "#requires -Version {}", rollout.powershell);
    let _ = writeln!(
        s,
        "# scripts/{}.ps1: the rollout steps of server {} (role {}), written by slipway {tool_version}.",
        comment(server),
        comment(server),
        comment(role)
    );
    let _ = write!(
        s,
        "# Generated with rollout.json and RUNBOOK.md, which list the same steps; do not edit.\n\
         #\n\
         # Run it on the server, in an elevated Windows PowerShell, from the source's folder:\n\
         #   powershell.exe -ExecutionPolicy Bypass -File .\\scripts\\{}.ps1 [-State FOLDER] [-Confirm N] [-From N] [-LogDir DIR]\n\
         # Every server's script must share one state folder (-State, by default the source's\n\
         # state folder: run every script from one shared copy of the source, or give each the\n\
         # same -State \\\\server\\share\\folder). Before each step it checks that the steps it\n\
         # waits for on other servers are done; it skips the steps already done.\n\
         # Exit codes: {EXIT_DONE} every step of this server is done; {EXIT_FAILED} a step failed (the log says why;\n\
         # run it again once resolved); {EXIT_PERSON} a step is for a person (do it, then run it again with\n\
         # -Confirm N); {EXIT_WAITING} waiting for steps on other servers (run it again later); {EXIT_RESTART} restart the\n\
         # server, then run it again. -From N runs step N again although it is done.\n",
        comment(server)
    );
    s.push_str(
        "param(\n    [string]$State = '',\n    [int]$Confirm = 0,\n    [int]$From = 0,\n    [string]$LogDir = $env:TEMP\n)\n",
    );
    s.push_str("$ErrorActionPreference = 'Stop'\n");
    let _ = writeln!(s, "$Server = {}", quote(server));
    let _ = writeln!(s, "$Rollout = {}", quote(&rollout.id));
    s.push_str(
        "$Root = Split-Path -Parent (Split-Path -Parent $MyInvocation.MyCommand.Path)\n\
         if ($State -eq '') { $State = Join-Path $Root 'state' }\n\
         $StateDir = Join-Path $State $Rollout\n\
         if (-not (Test-Path -LiteralPath $StateDir)) { New-Item -ItemType Directory -Path $StateDir -Force | Out-Null }\n\
         if (-not (Test-Path -LiteralPath $LogDir)) { New-Item -ItemType Directory -Path $LogDir -Force | Out-Null }\n",
    );
    let _ = writeln!(
        s,
        "$Log = Join-Path $LogDir {}\n",
        quote(&format!("slipway-{server}.log"))
    );
    s.push_str(SHA256_FN);
    s.push('\n');
    s.push_str(SERVER_FNS);
    s.push('\n');
    // The servers of each phase a step of this script waits for.
    let waited: BTreeSet<&str> = steps
        .iter()
        .flat_map(|st| st.waits_for_phases.iter().map(String::as_str))
        .collect();
    let counts: BTreeMap<&str, usize> = rollout
        .phases
        .iter()
        .filter(|p| waited.contains(p.id.as_str()))
        .map(|p| (p.id.as_str(), p.servers.len()))
        .collect();
    s.push_str("$PhaseServers = @{");
    for (i, (phase, n)) in counts.iter().enumerate() {
        let _ = write!(s, "{} {} = {n}", if i > 0 { ";" } else { "" }, quote(phase));
    }
    s.push_str(" }\n");
    if rollout.farm.servers.len() > 1 {
        s.push_str(
            "if (-not $State.StartsWith('\\\\')) { Write-Host ('Note: the state folder ' + $State + ' is not on a share; the other servers must use the same folder (-State).') }\n",
        );
    }
    s.push_str(
        "Write-Log ('slipway rollout ' + $Rollout + ' on ' + $Server + '; state: ' + $StateDir)\n",
    );
    let files = files_of(&steps);
    let _ = writeln!(s, "Test-Files {}\n", list(files, quote));
    // The last step of this server in each phase writes the phase's marker.
    let mut ends: BTreeMap<u32, Vec<&str>> = BTreeMap::new();
    for st in &steps {
        if let Some(last) = steps.iter().rev().find(|o| o.phase == st.phase) {
            let e = ends.entry(last.step).or_default();
            if !e.contains(&st.phase.as_str()) {
                e.push(&st.phase);
            }
        }
    }
    s.push_str("$Steps = @(\n");
    for (i, step) in steps.iter().enumerate() {
        let _ = writeln!(
            s,
            "    # Step {}: {} ({})",
            step.step,
            step.action.as_str(),
            comment(&step.id)
        );
        let _ = writeln!(
            s,
            "    @{{ N = {}; Text = {}; Remedy = {}; Manual = ${}; Waits = {}; Phases = {}; Ends = {}; Command = {};",
            step.step,
            quote(&step.text),
            quote(step.remedy.as_deref().unwrap_or("")),
            step.run == Run::Manual,
            list(step.waits_for.iter(), |w| w.to_string()),
            list(step.waits_for_phases.iter(), |p| quote(p)),
            list(ends.get(&step.step).into_iter().flatten(), |p| quote(p)),
            quote(step.command.as_deref().unwrap_or(""))
        );
        let _ = writeln!(
            s,
            "       Run = {{ param($Step) {} }} }}{}",
            step_body(step),
            if i + 1 < steps.len() { "," } else { "" }
        );
    }
    s.push_str(")\n\n");
    s.push_str(MAIN_LOOP);
    s
}

/// The loop over the steps: skip what is done, check the prerequisites, run or stop.
const MAIN_LOOP: &str = r#"foreach ($step in $Steps) {
    if ($From -gt 0 -and $step.N -lt $From) {
        if (-not (Test-Done $step.N)) { Stop-Here ('Step ' + $step.N + ' of ' + $Server + ' is not done: -From ' + $From + ' cannot skip it. Run this script without -From.') 1 }
        continue
    }
    if ((Test-Done $step.N) -and $step.N -ne $From) { continue }
    $missing = @(Get-Missing $step)
    if ($missing.Count -gt 0) {
        Stop-Here ('Step ' + $step.N + ' waits for ' + ($missing -join ', ') + ' on other servers (RUNBOOK.md says who). Run this script again when they are done.') 3
    }
    Write-Log ('Step ' + $step.N + ': ' + $step.Text)
    if ($step.Manual) {
        if ($Confirm -ne $step.N) {
            $how = ''
            if ($step.Command) { $how = ' Command: ' + $step.Command }
            Stop-Here ('Step ' + $step.N + ' is for a person: ' + $step.Text + $how + ' When it is done, run this script again with -Confirm ' + $step.N + '.') 2
        }
        Write-Log ('  confirmed by ' + $env:USERNAME)
    } else {
        & $step.Run $step
    }
    Set-Done $step
}
Write-Log ('Every step of ' + $Server + ' is done; RUNBOOK.md says what comes next.')
exit 0
"#;

/// The statement inside a step's `Run` block.
fn step_body(step: &Step) -> String {
    if step.run == Run::Manual {
        return String::new();
    }
    match (&step.exec, step.action) {
        (_, Action::Reboot) => "Test-Restart $Step".to_owned(),
        (Exec::Check(c), _) => format!("Invoke-Check $Step {}", quote(c)),
        (Exec::PowerShell(p), _) => format!("Invoke-Line $Step {}", quote(p)),
        (Exec::Program { program, args }, _) => {
            let log = args
                .iter()
                .find(|a| matches!(a, Arg::Log { .. }))
                .map_or_else(
                    || "''".to_owned(),
                    |a| match a {
                        Arg::Log { name, .. } => format!("(Join-Path $LogDir {})", quote(name)),
                        other => arg_expr(other),
                    },
                );
            let args: Vec<String> = args.iter().map(arg_expr).collect();
            format!(
                "Invoke-Program $Step {} @({}) {} {}",
                program_expr(program),
                args.join(", "),
                codes_expr(step),
                log
            )
        }
        (Exec::Nothing, _) => "Write-Log '  nothing to run'".to_owned(),
    }
}

/// `verify.ps1` at OUT's root: every line of `SHA256SUMS` re-hashed on the server the
/// source was copied to.
pub fn verify_script(tool_version: &str, powershell: &str) -> String {
    let mut s = format!("#requires -Version {powershell}\n");
    let _ = writeln!(
        s,
        "# verify.ps1: checks every file of this source against SHA256SUMS, written by slipway {tool_version}."
    );
    s.push_str(
        "# Run it on the server the source was copied to, before anything is installed from it:\n\
         #   powershell.exe -ExecutionPolicy Bypass -File .\\verify.ps1\n\
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

    #[test]
    fn every_outcome_has_a_branch_in_the_helpers() {
        for o in [
            Outcome::Success,
            Outcome::Reboot,
            Outcome::RebootInitiated,
            Outcome::NotApplicable,
            Outcome::AlreadyInstalled,
            Outcome::Stop,
        ] {
            assert!(
                SERVER_FNS.contains(&format!("'{}'", o.as_str())),
                "{o:?} has no branch"
            );
        }
    }

    #[test]
    fn exit_codes_in_the_loop_are_the_documented_ones() {
        assert!(MAIN_LOOP.contains(&format!(") {EXIT_WAITING}\n")));
        assert!(MAIN_LOOP.contains(&format!(") {EXIT_PERSON}\n")));
        assert!(SERVER_FNS.contains(&format!(") {EXIT_FAILED}\n")));
        assert!(SERVER_FNS.contains(&format!(") {EXIT_RESTART}\n")));
    }
}
