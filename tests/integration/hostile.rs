//! Damage is never success: broken, hostile and missing input, in every command. One test per
//! bullet of the issue, named after it; each hostile case must end within seconds.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixtures::hostile;
use crate::fixtures::zip::zip;
use crate::support::{absent_or_empty, code, corpus, files_below, json, slipway, tool};

/// The commands that read inputs, as argument lists for one input and an output folder
/// (`extract` recursive, so that it opens what the others open).
fn every_command(input: &Path, out: &Path) -> Vec<(&'static str, Vec<std::ffi::OsString>)> {
    let s = |v: &[&std::ffi::OsStr]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    vec![
        ("inspect", s(&["inspect".as_ref(), input.as_os_str()])),
        ("verify", s(&["verify".as_ref(), input.as_os_str()])),
        (
            "extract",
            s(&[
                "extract".as_ref(),
                input.as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
                "--recursive".as_ref(),
            ]),
        ),
        (
            "build",
            s(&[
                "build".as_ref(),
                input.as_os_str(),
                "-o".as_ref(),
                out.as_os_str(),
                "--product".as_ref(),
                "sharepoint-2007".as_ref(),
            ]),
        ),
    ]
}

/// Runs every command on `input`; each must exit with one of `codes` within `limit`, print
/// nothing to stderr that contains a raw control character, and write nothing.
fn every_command_refuses(input: &Path, codes: &[i32], limit: Duration) {
    let tmp = tempfile::tempdir().unwrap();
    for (name, args) in every_command(input, &tmp.path().join("out")) {
        let started = Instant::now();
        let out = slipway(&args);
        let took = started.elapsed();
        let status = code(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            codes.contains(&status),
            "{name} {}: exit {status}\n{stderr}",
            input.display()
        );
        assert!(took < limit, "{name} {}: took {took:?}", input.display());
        assert!(
            !stderr.contains("verify ok") && !stderr.contains("built "),
            "{name}: {stderr}"
        );
        assert!(absent_or_empty(&tmp.path().join("out")), "{name} wrote");
    }
}

fn samples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    files_below(&root)
        .into_iter()
        .filter(|f| !f.ends_with(".md"))
        .map(|f| root.join(f))
        .collect()
}

/// Truncated downloads pass nothing: every sample package and every real signed file of the
/// corpus, cut at 10, 50 and 90%, makes inspect, verify, extract and build exit non-zero and
/// write nothing.
#[test]
fn regression_truncated_downloads_fail_in_every_command() {
    let mut files = samples();
    if let Some(c) = corpus("regression_truncated_downloads_fail_in_every_command") {
        for f in [
            "FinishedGames/dxwebsetup.exe",
            "roomsports/vcredist_x86.exe",
            "lessmsi/WPF2_32.msp",
        ] {
            files.push(c.join(f));
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    for f in &files {
        let bytes = fs::read(f).unwrap();
        for percent in [10, 50, 90] {
            let cut = tmp.path().join(format!(
                "{percent}-{}",
                f.file_name().unwrap().to_string_lossy()
            ));
            fs::write(&cut, &bytes[..bytes.len() * percent / 100]).unwrap();
            every_command_refuses(&cut, &[1, 2], Duration::from_secs(30));
        }
    }
}

/// `build` with a cut package among a sample's downloads refuses (nothing written) instead of
/// falling back to the older patch the cut package supersedes.
#[test]
fn regression_build_never_falls_back_to_an_older_patch() {
    let tmp = tempfile::tempdir().unwrap();
    let dl = tmp.path().join("dl");
    fs::create_dir(&dl).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sharepoint-2007");
    for f in files_below(&root) {
        let bytes = fs::read(root.join(&f)).unwrap();
        let keep = if f.contains("kb975731-fullfile-x86-glb") {
            bytes.len() / 2
        } else {
            bytes.len()
        };
        fs::write(dl.join(&f), &bytes[..keep]).unwrap();
    }
    let out = tmp.path().join("out");
    let res = slipway([
        "build".as_ref(),
        dl.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--product".as_ref(),
        "sharepoint-2007".as_ref(),
        "--json".as_ref(),
    ]);
    assert_eq!(code(&res), 1, "{}", String::from_utf8_lossy(&res.stderr));
    let doc = json(&res);
    assert_eq!(doc["outcome"], "refused");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "damaged")
    );
    assert!(!out.exists());
}

/// A WiX-style bundle whose second appended cabinet is cut off is damaged, not "its first
/// cabinet".
#[test]
fn regression_truncated_bundle_with_a_second_cabinet_is_damaged() {
    use crate::cab::{build_cab, data};
    use crate::fixtures::pe::{Arch, PeBuilder};
    let first = build_cab(&[(
        cab::CompressionType::MsZip,
        vec![("a.msp".to_owned(), data(1, 5000, 1))],
    )]);
    let second = build_cab(&[(
        cab::CompressionType::MsZip,
        vec![("b.msp".to_owned(), data(2, 70_000, 2))],
    )]);
    let mut overlay = first.clone();
    overlay.extend_from_slice(&second);
    let exe = PeBuilder::new(Arch::X86).overlay(overlay).build();
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("bundle.exe");
    fs::write(&whole, &exe).unwrap();
    let out = tmp.path().join("whole");
    let res = slipway([
        "extract".as_ref(),
        whole.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    assert_eq!(files_below(&out), ["a.msp", "b.msp"]);
    let cut = tmp.path().join("cut.exe");
    fs::write(&cut, &exe[..exe.len() - second.len() / 2]).unwrap();
    every_command_refuses(&cut, &[1, 2], Duration::from_secs(30));
}

/// "verify ok" on nothing: an empty folder, a text file, /dev/null and a role folder of a
/// built source are each refused with a line saying what they are (exit 2).
#[test]
fn regression_nothing_is_not_ok() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let text = tmp.path().join("notes.txt");
    fs::write(&text, "not a package\n").unwrap();
    let built = tmp.path().join("out");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/ocs-2007-r2");
    let res = slipway([
        "build".as_ref(),
        sample.as_os_str(),
        "-o".as_ref(),
        built.as_os_str(),
        "--product".as_ref(),
        "ocs-2007-r2".as_ref(),
    ]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let role = built.join("av-conferencing");
    for (input, says) in [
        (empty.as_path(), "empty"),
        (text.as_path(), "not a cabinet"),
        (Path::new("/dev/null"), "character device"),
        (role.as_path(), "part of the built source"),
    ] {
        let res = slipway(["verify".as_ref(), input.as_os_str()]);
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_eq!(code(&res), 2, "{}: {stderr}", input.display());
        assert!(stderr.contains(says), "{}: {stderr}", input.display());
        assert!(!stderr.contains("verify ok"), "{stderr}");
    }
}

/// `verify OUT` checks SHA256SUMS against the manifest: an edited hash in it is caught (the
/// file it names is unchanged, so only the cross-check can see it).
#[test]
fn regression_verify_out_checks_sha256sums() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/ocs-2007-r2");
    let res = slipway([
        "build".as_ref(),
        sample.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--product".as_ref(),
        "ocs-2007-r2".as_ref(),
    ]);
    assert_eq!(code(&res), 0);
    let sums = out.join("SHA256SUMS");
    let text = fs::read_to_string(&sums).unwrap();
    let line = text
        .lines()
        .find(|l| l.ends_with(".msp"))
        .expect("a patch line");
    let edited = format!("{}{}", "0".repeat(64), &line[64..]);
    fs::write(&sums, text.replace(line, &edited)).unwrap();
    let res = slipway(["verify".as_ref(), out.as_os_str(), "--json".as_ref()]);
    assert_eq!(code(&res), 1);
    let doc = json(&res);
    let codes: Vec<&str> = doc["outputs"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"sums-mismatch"), "{codes:?}");
}

/// Inputs that are not regular files are refused before they are opened: /dev/zero would
/// never end, a FIFO with no writer would block forever.
#[test]
fn regression_fifos_and_devices_are_refused_before_they_are_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("pipe.exe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let mut inputs = vec![PathBuf::from("/dev/zero")];
    if made.is_ok_and(|s| s.success()) {
        inputs.push(fifo);
    }
    for input in &inputs {
        every_command_refuses(input, &[2], Duration::from_secs(5));
    }
    // --sums /dev/zero is refused at once, too.
    let res = slipway(["verify", "/dev/null", "--sums", "/dev/zero"]);
    assert_eq!(code(&res), 2);
}

/// The nested (42.zip style), overlapping-entries and million-entry bombs end within seconds
/// in every command under the default budgets.
#[test]
fn regression_bombs_are_stopped_by_the_budgets_in_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("nested.zip", hostile::nested_bomb(10, 4, 64 << 20)),
        ("overlap.zip", hostile::overlapping_bomb(2_000, 64 << 20)),
        ("million.zip", hostile::many_entries(1_200_000)),
    ];
    for (name, bytes) in cases {
        let path = tmp.path().join(name);
        fs::write(&path, bytes).unwrap();
        every_command_refuses(&path, &[1, 2], Duration::from_secs(20));
    }
}

/// Two entries of one name in a zip follow the cabinets' collision rule: different bytes are
/// refused (exit 2) in every command; the same bytes are one file.
#[test]
fn regression_duplicate_zip_names_follow_the_collision_rule() {
    let tmp = tempfile::tempdir().unwrap();
    let clash = tmp.path().join("clash.zip");
    fs::write(
        &clash,
        hostile::raw_names_zip(&[(b"a.msp", b"one"), (b"A.msp", b"two")]),
    )
    .unwrap();
    every_command_refuses(&clash, &[2], Duration::from_secs(10));
    let same = tmp.path().join("same.zip");
    fs::write(
        &same,
        hostile::raw_names_zip(&[(b"a.txt", b"one"), (b"a.txt", b"one")]),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let res = slipway([
        "extract".as_ref(),
        same.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    assert_eq!(files_below(&out), ["a.txt"]);
}

/// Names Windows cannot hold (trailing dots or spaces, superscript device names) are refused
/// in every command, as extract refuses `..`.
#[test]
fn regression_names_are_judged_as_windows_stores_them() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, name) in [&b"evil. "[..], "COM\u{b9}.msp".as_bytes(), b"x?.msp"]
        .iter()
        .enumerate()
    {
        let path = tmp.path().join(format!("{i}.zip"));
        fs::write(&path, hostile::raw_names_zip(&[(name, b"x")])).unwrap();
        every_command_refuses(&path, &[2], Duration::from_secs(10));
    }
}

/// Member names carrying ESC, BEL or CR never reach the terminal raw (they are shown
/// escaped); `--json` carries the exact string.
#[test]
fn regression_control_characters_never_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("evil.zip");
    fs::write(
        &path,
        hostile::raw_names_zip(&[(b"\x1b[31mred\x07\r.msp", b"x")]),
    )
    .unwrap();
    for (name, args) in every_command(&path, &tmp.path().join("out")) {
        let out = slipway(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(code(&out), 2, "{name}: {stderr}");
        for text in [&stderr, &stdout] {
            assert!(
                !text.contains(['\x1b', '\x07', '\r']),
                "{name}: raw control character in {text:?}"
            );
        }
        assert!(stderr.contains("\\x1b"), "{name}: {stderr}");
    }
    let mut args = every_command(&path, &tmp.path().join("out"))[0].1.clone();
    args.push("--json".into());
    let doc = json(&slipway(&args));
    let origin = doc["errors"][0]["error"]["origin"].to_string();
    assert!(origin.contains("\\u001b[31mred"), "{origin}");
}

/// Scratch files live outside the members' namespace: a member named like one, next to two
/// identical members of one name, extracts.
#[test]
fn regression_scratch_files_are_outside_the_members_namespace() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.zip");
    fs::write(
        &path,
        hostile::raw_names_zip(&[
            (b"a.txt", b"same"),
            (b"A.txt", b"same"),
            (b".slipway-dup-1", b"mine"),
            (b"dup-1", b"mine too"),
        ]),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let res = slipway([
        "extract".as_ref(),
        path.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    assert_eq!(files_below(&out), [".slipway-dup-1", "a.txt", "dup-1"]);
}

/// A killed run's leftovers: named in the error with the remedy when no lock vouches for
/// them; removed when the lock they sit under belongs to a process that is gone.
#[test]
fn regression_stale_staging_is_named_or_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = tmp.path().join("p.zip");
    fs::write(&pkg, zip(&[("a.txt", b"a")])).unwrap();
    let out = tmp.path().join("out");
    fs::create_dir_all(out.join(".slipway-staging-abc123/half")).unwrap();
    let run = || {
        slipway([
            "extract".as_ref(),
            pkg.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ])
    };
    let res = run();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(code(&res), 2, "{stderr}");
    assert!(stderr.contains(".slipway-staging-abc123"), "{stderr}");
    // Under a lock whose process is gone, the leftovers are provably dead: removed.
    if Path::new("/proc").is_dir() {
        fs::write(out.join(".slipway-lock"), "999999999").unwrap();
        let res = run();
        assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
        assert_eq!(files_below(&out), ["a.txt"]);
    }
}

/// Two runs racing for one output: one wins whole, the other fails cleanly; never a mix.
#[test]
fn regression_racing_runs_never_mix_their_output() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.zip");
    let b = tmp.path().join("b.zip");
    let many = |tag: &str| -> Vec<(String, Vec<u8>)> {
        (0..300)
            .map(|i| (format!("{tag}{i}.txt"), vec![b'x'; 2000]))
            .collect()
    };
    let write = |path: &Path, files: &[(String, Vec<u8>)]| {
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        fs::write(path, zip(&refs)).unwrap();
    };
    write(&a, &many("a"));
    write(&b, &many("b"));
    for round in 0..5 {
        let out = tmp.path().join(format!("out{round}"));
        let spawn = |input: &Path| {
            crate::support::slipway_cmd()
                .args(["extract".as_ref(), input.as_os_str(), "-o".as_ref()])
                .arg(&out)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        };
        let (mut x, mut y) = (spawn(&a), spawn(&b));
        let (sx, sy) = (x.wait().unwrap(), y.wait().unwrap());
        assert!(sx.success() || sy.success(), "round {round}: neither won");
        assert!(!(sx.success() && sy.success()), "round {round}: both won");
        let files = files_below(&out);
        assert_eq!(files.len(), 300, "round {round}: {} files", files.len());
        let prefix = if sx.success() { "a" } else { "b" };
        assert!(
            files.iter().all(|f| f.starts_with(prefix)),
            "round {round}: a mix"
        );
    }
}

/// `build --bundle` naming one of the inputs (with --force) is refused: no input is ever
/// overwritten; nor may OUT lie inside a folder of downloads.
#[test]
fn regression_outputs_may_not_be_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    let dl = tmp.path().join("dl");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/ocs-2007-r2");
    fs::create_dir(&dl).unwrap();
    for f in files_below(&sample) {
        fs::copy(sample.join(&f), dl.join(&f)).unwrap();
    }
    let victim = dl.join("AVMCU.msp");
    let before = fs::read(&victim).unwrap();
    let build = |extra: &[&std::ffi::OsStr], out: &Path| {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "build".as_ref(),
            dl.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--product".as_ref(),
            "ocs-2007-r2".as_ref(),
            "--json".as_ref(),
        ];
        args.extend_from_slice(extra);
        slipway(args)
    };
    let res = build(
        &["--bundle".as_ref(), victim.as_os_str(), "--force".as_ref()],
        &tmp.path().join("out"),
    );
    assert_eq!(code(&res), 2);
    assert_eq!(json(&res)["error"]["code"], "output-is-input");
    assert_eq!(fs::read(&victim).unwrap(), before);
    let res = build(&[], &dl.join("out"));
    assert_eq!(code(&res), 2);
    assert_eq!(json(&res)["error"]["code"], "output-is-input");
    assert!(!dl.join("out").exists());
}

/// Cabinets whose member names are in Shift-JIS, CP932 or KOI8-R (no UTF-8 flag) extract,
/// with the same contents as cabextract gives; the JSON says how each name was decoded.
#[test]
fn regression_legacy_code_page_names_extract_like_cabextract() {
    use crate::cab::{build_cab, data};
    // (placeholder, bytes in the legacy code page): テスト.txt (Shift-JIS), 、日本.dat
    // (CP932, a 0x81 lead byte Windows-1252 leaves undefined), тест.txt (KOI8-R).
    let names: [(&str, &[u8]); 3] = [
        ("AAAAAA.txt", b"\x83\x65\x83\x58\x83\x67.txt"),
        ("BBBBBB.dat", b"\x81\x41\x93\xfa\x96\x7b.dat"),
        ("CCCC.txt", b"\xd4\xc5\xd3\xd4.txt"),
    ];
    let files: Vec<(String, Vec<u8>)> = names
        .iter()
        .enumerate()
        .map(|(i, (p, _))| ((*p).to_owned(), data(i as u64, 3000 + i * 100, 1)))
        .collect();
    let mut bytes = build_cab(&[(cab::CompressionType::MsZip, files.clone())]);
    for (placeholder, real) in names {
        assert_eq!(
            hostile::patch_name(&mut bytes, placeholder.as_bytes(), real),
            1
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("legacy.cab");
    fs::write(&path, &bytes).unwrap();
    let out = tmp.path().join("out");
    let res = slipway([
        "extract".as_ref(),
        path.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let doc = json(&res);
    let members = doc["members"].as_array().unwrap();
    assert_eq!(members.len(), 3);
    for m in members {
        assert_eq!(m["name_decoding"], "windows-1252", "{m}");
        assert!(!m["path"].as_str().unwrap().contains(char::is_control));
    }
    let mut ours = crate::support::member_set(&doc);
    ours.sort();
    if tool(
        "regression_legacy_code_page_names_extract_like_cabextract",
        "cabextract",
    ) {
        let theirs_dir = tmp.path().join("cabextract");
        let status = Command::new("cabextract")
            .arg("-q")
            .arg("-d")
            .arg(&theirs_dir)
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        let mut theirs: Vec<(u64, String)> = fs::read_dir(&theirs_dir)
            .unwrap()
            .map(|e| {
                let b = fs::read(e.unwrap().path()).unwrap();
                (b.len() as u64, crate::support::sha256_hex(&b))
            })
            .collect();
        theirs.sort();
        assert_eq!(ours, theirs);
    }
}

/// Interrupts are honoured within a second in every command, and an interrupted command
/// prints no success line and no partial report (exit 130).
#[test]
fn regression_interrupts_are_honoured_within_a_second() {
    if !tool("regression_interrupts_are_honoured_within_a_second", "kill") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Big enough to take many seconds once the budgets are lifted (members of their own:
    // overlapping ones are refused before anything is inflated).
    let bomb = tmp.path().join("big.zip");
    fs::write(&bomb, hostile::many_big_members(16, 256 << 20)).unwrap();
    let lifted = ["--max-ratio", "1000000000", "--max-size", "1T"];
    for (name, mut args) in every_command(&bomb, &tmp.path().join("out")) {
        args.extend(lifted.iter().map(Into::into));
        let child = crate::support::slipway_cmd()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(700));
        let sent = Instant::now();
        let killed = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success(), "{name}");
        let out = child.wait_with_output().unwrap();
        let took = sent.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(130), "{name}: {stderr}");
        assert!(
            took < Duration::from_secs(1),
            "{name}: took {took:?} after SIGINT"
        );
        assert!(
            out.stdout.is_empty() && !stderr.contains(" ok") && !stderr.contains("built"),
            "{name}: {stderr}"
        );
        assert!(
            absent_or_empty(&tmp.path().join("out")),
            "{name} left output"
        );
        // One `interrupted` line, as documented (extract printed it twice: once as the
        // input's error, once as the summary).
        assert_eq!(
            stderr.lines().filter(|l| l.contains("interrupted")).count(),
            1,
            "{name}: {stderr}"
        );
    }
}

/// Issue 19, point 3 (downloads): an input is opened through the one opener — a link named
/// as an input is refused in every command (never followed), and a link in a folder of
/// downloads is not a download.
#[cfg(unix)]
#[test]
fn regression_inputs_are_never_opened_through_a_link() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples/sharepoint-2007/wss-kb975002-fullfile-x86-glb.exe");
    let link = tmp.path().join("linked.exe");
    std::os::unix::fs::symlink(&sample, &link).unwrap();
    every_command_refuses(&link, &[2], Duration::from_secs(20));
    let res = slipway(["inspect".as_ref(), link.as_os_str()]);
    assert!(
        String::from_utf8_lossy(&res.stderr).contains("symbolic link"),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let folder = tmp.path().join("downloads");
    fs::create_dir(&folder).unwrap();
    std::os::unix::fs::symlink(&sample, folder.join("wss-kb975002-fullfile-x86-glb.exe")).unwrap();
    let res = slipway(["verify".as_ref(), folder.as_os_str()]);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(code(&res), 2, "{stderr}");
    assert!(stderr.contains("no package"), "{stderr}");
}

/// Issue 19, point 7: `--language-pack DE-DE=` (nothing, or only blanks, after '=') names
/// no media and is refused as a usage error, in one line.
#[test]
fn regression_language_pack_without_a_path_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/sharepoint-2007");
    let out = tmp.path().join("out");
    for value in ["DE-DE=", "de-de= ", "de-de=\t"] {
        let res = slipway([
            "build".as_ref(),
            sample.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--product".as_ref(),
            "sharepoint-2007".as_ref(),
            "--language-pack".as_ref(),
            std::ffi::OsStr::new(value),
        ]);
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_eq!(code(&res), 2, "{value:?}: {stderr}");
        assert!(
            stderr.contains("expected a folder or disc image"),
            "{value:?}: {stderr}"
        );
        assert!(!out.exists());
    }
}
