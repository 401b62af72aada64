//! Ctrl-C and the output lock, under Wine.
//!
//! How Ctrl-C reaches slipway.exe: Wine turns a SIGINT sent to a Windows process into the
//! console control event CTRL_C_EVENT, delivered to the handlers the program registered with
//! `SetConsoleCtrlHandler` (the `ctrlc` crate's, on Windows), on a thread of their own as
//! Windows does. The Windows path from a key press to that event (the console host) is not
//! exercised; the handler and everything after it are. A program without a handler would
//! end with STATUS_CONTROL_C_EXIT, not 130.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::wine::{win, wine};
use super::{code, stderr};
use crate::fixtures::hostile;
use crate::support::{absent_or_empty, files_below};

/// Budgets lifted, so the bomb below takes minutes to read (instead of being refused).
const LIFTED: [&str; 4] = ["--max-ratio", "1000000000", "--max-size", "1T"];

/// A zip that takes minutes to read once the budgets are lifted (400 members of 256 MiB of
/// zeros, each with its own deflate stream: overlapping entries are refused at once since
/// they are a bomb, so the slow input must be a legal one).
fn bomb(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("slow.zip");
    fs::write(&path, hostile::many_big_members(400, 256 << 20)).unwrap();
    path
}

fn interrupt(pid: u32) {
    let sent = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -INT {pid}");
}

/// Waits until `path` exists (the run has got as far as taking its lock).
fn wait_for(path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Ctrl-C in every command that reads archives: exit 130, no success line, no partial
/// report on stdout, nothing left in OUT; within a second as on Linux (the limit here adds
/// Wine's delivery, measured at about 0.3 s).
#[test]
fn windows_ctrl_c_exits_130_and_leaves_nothing() {
    let test = "windows_ctrl_c_exits_130_and_leaves_nothing";
    let Some(wine) = wine(test) else {
        return;
    };
    if !crate::support::tool(test, "kill") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = win(&bomb(tmp.path()));
    let out = tmp.path().join("out");
    let commands: [(&str, Vec<String>); 4] = [
        ("inspect", vec!["inspect".into(), input.clone()]),
        ("verify", vec!["verify".into(), input.clone()]),
        (
            "extract",
            vec![
                "extract".into(),
                input.clone(),
                "-o".into(),
                win(&out),
                "--recursive".into(),
            ],
        ),
        (
            "build",
            vec![
                "build".into(),
                input.clone(),
                "-o".into(),
                win(&out),
                "--product".into(),
                "sharepoint-2007".into(),
            ],
        ),
    ];
    for (name, mut args) in commands {
        args.extend(LIFTED.iter().map(|s| (*s).to_owned()));
        let run = wine.spawn_in(tmp.path(), &args);
        if name == "extract" {
            wait_for(&out.join(slipway::extract::staging::LOCK));
        } else {
            // No file marks that inspect, verify or build have started reading: give Wine
            // time to start the program (about half a second here), with a margin.
            std::thread::sleep(Duration::from_secs(3));
        }
        let sent = Instant::now();
        interrupt(run.id());
        let res = run.finish();
        let took = sent.elapsed();
        let err = stderr(&res);
        assert_eq!(res.status.code(), Some(130), "{name}: {err}");
        assert!(err.contains("interrupted"), "{name}: {err}");
        assert!(
            took < Duration::from_secs(2),
            "{name}: took {took:?} after Ctrl-C"
        );
        assert!(
            res.stdout.is_empty() && !err.contains(" ok") && !err.contains("built"),
            "{name}: {err}"
        );
        assert!(absent_or_empty(&out), "{name} left output");
        eprintln!("{test}: {name} ended {took:?} after Ctrl-C");
    }
}

/// Regression (the lock on Windows): a run's lock file stays open for the run, so a second
/// run into the same OUT is refused as busy (naming the lock with the Windows spelling) while
/// the first runs, and a lock left by a run that is gone is taken over, with what that run
/// left behind. Before, the Windows build could not tell a dead holder from a live one and
/// refused every OUT a killed run had locked.
#[test]
fn regression_windows_lock_tells_a_live_run_from_a_dead_one() {
    let test = "regression_windows_lock_tells_a_live_run_from_a_dead_one";
    let Some(wine) = wine(test) else {
        return;
    };
    if !crate::support::tool(test, "kill") {
        return;
    }
    let lock = slipway::extract::staging::LOCK;
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("small.zip");
    fs::write(&small, crate::fixtures::zip::zip(&[("a.txt", b"a")])).unwrap();
    let extract = |out: &Path| vec!["extract".to_owned(), win(&small), "-o".into(), win(out)];

    // Live: the holder runs (reading the bomb) while a second run tries the same OUT.
    let out = tmp.path().join("busy");
    let mut args = vec!["extract".to_owned(), win(&bomb(tmp.path())), "-o".into()];
    args.push(win(&out));
    args.extend(LIFTED.iter().map(|s| (*s).to_owned()));
    let holder = wine.spawn_in(tmp.path(), &args);
    wait_for(&out.join(lock));
    let second = wine.run(extract(&out));
    assert_eq!(code(&second), 2, "{}", stderr(&second));
    let err = stderr(&second);
    assert!(
        err.contains("being written by another slipway run") && err.contains(&win(&out.join(lock))),
        "{err}"
    );
    interrupt(holder.id());
    let first = holder.finish();
    assert_eq!(first.status.code(), Some(130), "{}", stderr(&first));
    assert!(absent_or_empty(&out));

    // Dead: a lock naming a process that is gone, and the staging folder it left.
    let out = tmp.path().join("stale");
    fs::create_dir_all(out.join(".slipway-staging-left")).unwrap();
    fs::write(out.join(".slipway-staging-left/half.txt"), b"half").unwrap();
    fs::write(out.join(lock), b"4000000").unwrap();
    let res = wine.run(extract(&out));
    assert_eq!(code(&res), 0, "{}", stderr(&res));
    assert_eq!(files_below(&out), vec!["a.txt"]);
}
