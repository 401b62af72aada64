//! slipway.exe and Wine for the Windows tests: the binary cross-built once per test run, the
//! stand-in `bcryptprimitives.dll` beside it, a private Wine prefix, and the helpers that turn
//! a path of this machine into the one Windows programs see under Wine (`Z:\…`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::support::skip;

/// The Rust target of the Windows binary (MinGW-w64 ABI; `.cargo/config.toml` names the linker).
pub const TARGET: &str = "x86_64-pc-windows-gnu";
/// The Cargo profile it is built with (Cargo.toml: quick to build, no debug information).
const PROFILE: &str = "wine";

/// A built slipway.exe and the Wine prefix it runs in.
#[derive(Debug)]
pub struct Wine {
    /// Holds slipway.exe and bcryptprimitives.dll.
    bin: PathBuf,
    prefix: PathBuf,
}

#[derive(Debug)]
enum Setup {
    Ready(Wine),
    /// A tool or the Rust target is not installed: a skip (a failure under CI).
    Missing(String),
    /// Everything is installed but the build or Wine failed: always a failure.
    Broken(String),
}

static SETUP: OnceLock<Setup> = OnceLock::new();

/// The Windows binary under Wine, built on first use (the other tests wait for it); `None`
/// when a tool is missing (printed skip; under CI the test fails).
pub fn wine(test: &str) -> Option<&'static Wine> {
    match SETUP.get_or_init(setup) {
        Setup::Ready(w) => Some(w),
        Setup::Missing(why) => {
            skip(test, why);
            None
        }
        Setup::Broken(why) => panic!("{test}: {why}"),
    }
}

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success())
}

fn setup() -> Setup {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("windows");
    for (tool, package) in [
        ("x86_64-w64-mingw32-gcc", "gcc-mingw-w64-x86-64"),
        ("wine", "wine and wine64"),
    ] {
        if !runs(tool) {
            return Setup::Missing(format!(
                "{tool} is not installed (Debian: {package}; .ci/run installs it)"
            ));
        }
    }

    // slipway.exe, in a target folder of its own: the outer `cargo test` may still hold the
    // lock of the default one, and the Windows build shares nothing with the Linux one.
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let started = Instant::now();
    eprintln!("windows: building slipway.exe (cargo build --target {TARGET} --profile {PROFILE})");
    let built = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--locked", "--target", TARGET])
        .args(["--profile", PROFILE, "--bin", "slipway"])
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env_remove("CARGO_BUILD_TARGET")
        .stdin(Stdio::null())
        .output();
    let built = match built {
        Ok(o) => o,
        Err(e) => return Setup::Broken(format!("cannot run cargo: {e}")),
    };
    if !built.status.success() {
        let log = String::from_utf8_lossy(&built.stderr);
        if log.contains("target may not be installed") {
            return Setup::Missing(format!(
                "the Rust target {TARGET} is not installed (rustup target add {TARGET}; \
                 .ci/run adds it)"
            ));
        }
        return Setup::Broken(format!("cargo build --target {TARGET} failed:\n{log}"));
    }
    eprintln!("windows: slipway.exe built in {:.0?}", started.elapsed());
    let exe = work
        .join("target")
        .join(TARGET)
        .join(PROFILE)
        .join("slipway.exe");

    // slipway.exe and the stand-in DLL side by side (Windows loads a DLL from the program's
    // folder first). The DLL is built here from its committed source, never committed itself.
    let bin = work.join("bin");
    if let Err(e) = std::fs::create_dir_all(&bin)
        .and_then(|()| std::fs::copy(&exe, bin.join("slipway.exe")).map(drop))
    {
        return Setup::Broken(format!("cannot copy {}: {e}", exe.display()));
    }
    let dll = Command::new("x86_64-w64-mingw32-gcc")
        .args(["-shared", "-O2", "-s", "-o"])
        .arg(bin.join("bcryptprimitives.dll"))
        .arg(root.join("tests/windows/bcryptprimitives.c"))
        .arg("-ladvapi32")
        .stdin(Stdio::null())
        .output();
    match dll {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return Setup::Broken(format!(
                "building bcryptprimitives.dll failed:\n{}",
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        Err(e) => return Setup::Broken(format!("cannot run x86_64-w64-mingw32-gcc: {e}")),
    }

    let prefix = work.join("prefix");
    if let Err(e) = std::fs::create_dir_all(&prefix) {
        return Setup::Broken(format!("cannot create {}: {e}", prefix.display()));
    }
    let wine = Wine { bin, prefix };
    // One Wine server for the whole run, started here with its output going nowhere: a server
    // (and the Windows services it starts) that a test's `wine` started would inherit that
    // test's pipes. It stays 30 s after its last program ends, then goes by itself.
    let server = Command::new("wineserver")
        .arg("-p30")
        .env("WINEPREFIX", &wine.prefix)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(e) = server {
        return Setup::Broken(format!("cannot start wineserver: {e}"));
    }
    // The first program initialises the prefix (about 15 s the first time); its output goes
    // to a file for the same reason as the server's.
    let started = Instant::now();
    let first = wine.bin.join("first-run.txt");
    let ran = std::fs::File::create(&first).and_then(|f| {
        wine.command()
            .arg("--version")
            .stdout(f.try_clone()?)
            .stderr(f)
            .status()
    });
    let said = std::fs::read_to_string(&first).unwrap_or_default();
    let want = format!("slipway {}", env!("CARGO_PKG_VERSION"));
    match ran {
        Ok(status) if status.success() && said.contains(&want) => {}
        Ok(status) => {
            return Setup::Broken(format!(
                "slipway.exe --version under Wine: {status}, printed {said:?} (exit 53 is a \
                 missing DLL: is bcryptprimitives.dll beside slipway.exe?)"
            ));
        }
        Err(e) => return Setup::Broken(format!("cannot run wine: {e}")),
    }
    eprintln!(
        "windows: Wine ready in {:.0?} ({})",
        started.elapsed(),
        said.trim()
    );
    Setup::Ready(wine)
}

impl Wine {
    /// `wine slipway.exe` in this run's prefix, quiet (no Wine diagnostics on stderr), no
    /// display, no colour variables from the caller.
    pub fn command(&self) -> Command {
        let mut c = Command::new("wine");
        c.arg(self.bin.join("slipway.exe"))
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // No Mono or Gecko installer when the prefix is made.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("NO_COLOR")
            // The build time both builds record, as the Linux runs (`support::slipway_cmd`).
            .env("SOURCE_DATE_EPOCH", crate::support::BUILD_TIME)
            .stdin(Stdio::null());
        c
    }

    /// Runs `slipway.exe ARGS…` in `dir` (Wine maps it to its Windows spelling) to completion.
    pub fn run_in<I, S>(&self, dir: &Path, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.spawn_in(dir, args).finish()
    }

    /// Starts `slipway.exe ARGS…` in `dir`. Its output goes to files, not pipes: a Wine helper
    /// process that outlived it would hold a pipe open.
    pub fn spawn_in<I, S>(&self, dir: &Path, args: I) -> Running
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let logs = tempfile::tempdir().expect("a folder for the output");
        let file = |name: &str| std::fs::File::create(logs.path().join(name)).expect("a log");
        let child = self
            .command()
            .current_dir(dir)
            .args(args)
            .stdout(file("stdout"))
            .stderr(file("stderr"))
            .spawn()
            .expect("run slipway.exe under wine");
        Running { child, logs }
    }

    /// Runs `slipway.exe ARGS…` in the test's temporary folder's parent (any folder will do).
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.run_in(&std::env::temp_dir(), args)
    }
}

/// How long one run of slipway.exe may take under Wine before the test fails (the slowest,
/// the quick start, takes a few seconds).
const LIMIT: Duration = Duration::from_secs(180);

/// A started slipway.exe. `wine` replaces itself with the Windows process (exec), so the
/// child's process id is slipway.exe's: a signal sent to it reaches the program.
#[derive(Debug)]
pub struct Running {
    child: std::process::Child,
    logs: tempfile::TempDir,
}

impl Running {
    /// The process id of slipway.exe (as Linux sees it).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the end (at most [`LIMIT`]; then it is killed and the test fails).
    pub fn finish(mut self) -> Output {
        let read = |name: &str| std::fs::read(self.logs.path().join(name)).unwrap_or_default();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for wine") {
                break status;
            }
            if started.elapsed() > LIMIT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "slipway.exe under Wine did not end within {LIMIT:?}; stderr:\n{}",
                    String::from_utf8_lossy(&read("stderr"))
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Output {
            status,
            stdout: read("stdout"),
            stderr: quiet(&read("stderr")),
        }
    }
}

/// `stderr` without the lines Wine itself prints (`wine: …`, e.g. when it updates the prefix),
/// which `WINEDEBUG=-all` does not silence: what remains is what slipway.exe wrote.
fn quiet(stderr: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(stderr);
    let kept: Vec<&str> = text
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("wine: ") && !l.starts_with("wineserver: "))
        .collect();
    kept.concat().into_bytes()
}

/// `path` as Windows programs under Wine see it: Wine's drive Z: is this machine's `/`.
pub fn win(path: &Path) -> String {
    let abs = std::path::absolute(path).expect("absolute path");
    let unix = abs.to_str().expect("a UTF-8 path");
    format!("Z:{}", unix.replace('/', "\\"))
}

/// `text` with every Windows spelling of `paths` (as Wine shows them, and JSON-escaped)
/// replaced by this machine's: the only way the two builds' outputs may differ is in echoing
/// the paths they were given. Longest paths first, so a folder never replaces part of a file
/// inside it.
pub fn unix_spelling(text: &str, paths: &[PathBuf]) -> String {
    let mut paths: Vec<&PathBuf> = paths.iter().collect();
    paths.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    let mut out = text.to_owned();
    for p in paths {
        let w = win(p);
        let u = std::path::absolute(p).expect("absolute path");
        let u = u.to_str().expect("a UTF-8 path");
        out = out.replace(&w.replace('\\', "\\\\"), &u.replace('\\', "\\\\"));
        out = out.replace(&w, u);
    }
    out
}
