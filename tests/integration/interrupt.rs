//! An interrupted build leaves nothing half-written, in its last phase too (the bundle), and
//! what a build writes does not depend on where it was started.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{absent_or_empty, code, files_below, slipway_cmd, tool};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a folder tree.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Bytes that do not compress (xorshift), so that packing them takes a while.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The sample media with a large file that does not compress, copied to `dir/media`: packing
/// or re-hashing a build of them takes seconds.
fn big_media(dir: &Path) -> std::path::PathBuf {
    let media = dir.join("media");
    copy_tree(&root().join("samples/media/sharepoint-2007"), &media);
    fs::write(media.join("Files/filler.bin"), noise(192 << 20)).unwrap();
    media
}

/// The SharePoint sample with `media`, into `out` (and `bundle`).
fn build_cmd(media: &Path, out: &Path, bundle: Option<&Path>) -> Command {
    let mut cmd = slipway_cmd();
    cmd.current_dir(root())
        .args([
            "build",
            "samples/sharepoint-2007",
            "--product",
            "sharepoint-2007",
            "--media",
        ])
        .arg(media)
        .arg("-o")
        .arg(out);
    if let Some(b) = bundle {
        cmd.arg("--bundle").arg(b);
    }
    cmd
}

/// Sends SIGINT to `child`: it must exit 130 within a second, saying it was interrupted and
/// printing no result.
fn interrupt(child: std::process::Child, what: &str) {
    let sent = Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let res = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(130), "{what}: {stderr}");
    assert!(
        took < Duration::from_secs(1),
        "{what}: took {took:?} after SIGINT"
    );
    assert!(stderr.contains("interrupted"), "{what}: {stderr}");
    assert!(res.stdout.is_empty(), "{what}");
    assert!(
        !stderr.contains("built") && !stderr.contains(" ok"),
        "{what}: {stderr}"
    );
}

/// `verify` of a big build, and of its bundle, honours Ctrl-C within a second while it
/// re-hashes.
#[test]
fn an_interrupt_while_a_build_is_re_hashed_ends_verify_within_a_second() {
    let test = "an_interrupt_while_a_build_is_re_hashed_ends_verify_within_a_second";
    if !tool(test, "kill") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let media = big_media(tmp.path());
    let out = tmp.path().join("out");
    let bundle = tmp.path().join("source.zip");
    let res = build_cmd(&media, &out, Some(&bundle)).output().unwrap();
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    for target in [&out, &bundle] {
        // The same target four times: re-hashing takes seconds even on a fast machine.
        let child = slipway_cmd()
            .arg("verify")
            .args([target, target, target, target])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        interrupt(child, &format!("verify {}", target.display()));
    }
}

/// Ctrl-C while `build --bundle` packs the bundle: exit 130 within a second, no bundle (nor
/// its temporary file) and no OUT.
#[test]
fn an_interrupt_while_the_bundle_is_written_leaves_no_bundle_and_no_out() {
    let test = "an_interrupt_while_the_bundle_is_written_leaves_no_bundle_and_no_out";
    if !tool(test, "kill") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let media = big_media(tmp.path());
    let bundles = tmp.path().join("bundles");
    fs::create_dir(&bundles).unwrap();
    let out = tmp.path().join("out");
    let child = build_cmd(&media, &out, Some(&bundles.join("source.zip")))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the bundle is being written: its temporary file beside it has grown.
    let started = Instant::now();
    let writing = || {
        fs::read_dir(&bundles).unwrap().flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".slipway-bundle-")
                && e.metadata().is_ok_and(|m| m.len() > 4 << 20)
        })
    };
    while !writing() {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the bundle was never written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !out.join("install-manifest.json").exists(),
        "OUT committed before the bundle"
    );
    interrupt(child, "build --bundle");
    assert!(
        absent_or_empty(&bundles),
        "a bundle or its temporary file is left"
    );
    assert!(absent_or_empty(&out), "OUT is left");
}

/// The same build started from two different folders (inputs given relative to each) writes
/// the same bytes, and no document names the folder it was built in.
#[test]
fn what_a_build_writes_does_not_depend_on_the_current_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let build = |cwd: &Path, prefix: &str, out: &Path| {
        let res = slipway_cmd()
            .current_dir(cwd)
            .arg("build")
            .arg(format!("{prefix}sharepoint-2007"))
            .args(["--product", "sharepoint-2007", "--media"])
            .arg(format!("{prefix}media/sharepoint-2007"))
            .arg("--language-pack")
            .arg(format!("de-de={prefix}media/sharepoint-2007-de-de"))
            .arg("--farm")
            .arg(format!("{prefix}farms/sharepoint-2007.toml"))
            .arg("--json")
            .arg("-o")
            .arg(out)
            .output()
            .unwrap();
        assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
        res
    };
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    build(root(), "samples/", &a);
    build(&root().join("samples"), "", &b);
    let list = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        files_below(dir)
            .into_iter()
            .map(|rel| {
                let bytes = fs::read(dir.join(&rel)).unwrap();
                (rel, bytes)
            })
            .collect()
    };
    let (la, lb) = (list(&a), list(&b));
    assert_eq!(
        la.iter().map(|(r, _)| r).collect::<Vec<_>>(),
        lb.iter().map(|(r, _)| r).collect::<Vec<_>>()
    );
    let build_dir = root().to_string_lossy().into_owned();
    let tmp_dir = tmp.path().to_string_lossy().into_owned();
    for ((rel, x), (_, y)) in la.iter().zip(&lb) {
        assert!(x == y, "{rel} differs between the two folders");
        let text = String::from_utf8_lossy(x);
        assert!(!text.contains(&build_dir), "{rel} names {build_dir}");
        assert!(!text.contains(&tmp_dir), "{rel} names {tmp_dir}");
    }
}
