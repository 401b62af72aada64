//! `verify OUT` and `verify BUNDLE` against what an attacker plants (issue 19, points 2 and 6):
//! links to files and folders outside OUT, `SHA256SUMS` replaced by a link, FIFOs, link
//! entries, a name twice with different bytes, entries sharing one compressed stream.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fixtures::hostile;
use crate::support::{code, json, slipway};

/// A built sample (OCS 2007 R2) in `dir/out`, and its bundle `dir/out.zip`.
fn built(dir: &Path) -> (PathBuf, PathBuf) {
    let out = dir.join("out");
    let bundle = dir.join("out.zip");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/ocs-2007-r2");
    let res = slipway([
        "build".as_ref(),
        sample.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--product".as_ref(),
        "ocs-2007-r2".as_ref(),
        "--bundle".as_ref(),
        bundle.as_os_str(),
    ]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    (out, bundle)
}

/// `slipway verify PATH --json`, failing the test (instead of hanging it) after 60 s.
fn verify(path: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(["verify".as_ref(), path.as_os_str(), "--json".as_ref()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("verify {} did not end", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// The (code, message) of every finding of the one output checked.
fn findings(doc: &Value) -> Vec<(String, String)> {
    doc["outputs"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_owned(),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// A copy of OUT (hard links kept), to plant one thing in.
#[cfg(unix)]
fn copy_of(out: &Path, to: &Path) -> PathBuf {
    let status = Command::new("cp")
        .arg("-a")
        .arg(out)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
    to.to_path_buf()
}

/// Issue 19, point 2: a link to /etc/passwd in a role's `Updates`, links to /etc and to /,
/// `SHA256SUMS` replaced by a link to a copy outside OUT, a FIFO in a role folder: each was
/// "verify ok". Each is now a difference named by its path (exit 1), never followed or read.
#[cfg(unix)]
#[test]
fn regression_verify_out_names_planted_links_and_special_files() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = built(tmp.path());
    let res = verify(&out);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let role = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.join("Updates").is_dir())
        .expect("a role folder with Updates");
    let role_name = role.file_name().unwrap().to_string_lossy().into_owned();
    let outside = tmp.path().join("SHA256SUMS.copy");
    fs::copy(out.join("SHA256SUMS"), &outside).unwrap();
    type Plant<'a> = Box<dyn Fn(&Path) + 'a>;
    let plants: Vec<(String, Plant<'_>)> = vec![
        (
            format!("{role_name}/Updates/passwd"),
            Box::new(|o: &Path| {
                let role = o.join(role.file_name().unwrap());
                symlink("/etc/passwd", role.join("Updates/passwd")).unwrap();
            }),
        ),
        (
            "etc".to_owned(),
            Box::new(|o: &Path| symlink("/etc", o.join("etc")).unwrap()),
        ),
        (
            "root".to_owned(),
            Box::new(|o: &Path| symlink("/", o.join("root")).unwrap()),
        ),
        (
            "SHA256SUMS".to_owned(),
            Box::new(|o: &Path| {
                fs::remove_file(o.join("SHA256SUMS")).unwrap();
                symlink(&outside, o.join("SHA256SUMS")).unwrap();
            }),
        ),
        (
            format!("{role_name}/pipe"),
            Box::new(|o: &Path| {
                let role = o.join(role.file_name().unwrap());
                let made = Command::new("mkfifo").arg(role.join("pipe")).status();
                assert!(made.is_ok_and(|s| s.success()), "mkfifo");
            }),
        ),
    ];
    for (i, (planted, plant)) in plants.iter().enumerate() {
        let copy = copy_of(&out, &tmp.path().join(format!("case{i}")));
        plant(&copy);
        let res = verify(&copy);
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_eq!(code(&res), 1, "{planted}: {stderr}");
        let found = findings(&json(&res));
        assert!(
            found
                .iter()
                .any(|(c, m)| c == "output-not-regular" && m.starts_with(planted.as_str())),
            "{planted}: {found:?}"
        );
        assert!(!stderr.contains("verify ok"), "{planted}: {stderr}");
    }
}

/// Issue 19, point 2 (bundles): an entry whose Unix mode is a link is a difference.
#[test]
fn regression_verify_bundle_names_link_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, bundle) = built(tmp.path());
    let mut entries = bundle_entries(&bundle);
    entries.push(("app/evil".to_owned(), b"/etc/passwd".to_vec()));
    let bytes = raw_bundle(&entries, &[b"app/evil"]);
    let evil = tmp.path().join("evil.zip");
    fs::write(&evil, bytes).unwrap();
    let res = verify(&evil);
    assert_eq!(code(&res), 1, "{}", String::from_utf8_lossy(&res.stderr));
    let found = findings(&json(&res));
    assert!(
        found
            .iter()
            .any(|(c, m)| c == "output-not-regular" && m.starts_with("app/evil")),
        "{found:?}"
    );
}

/// Every entry of a bundle, (name, bytes), in order.
fn bundle_entries(bundle: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(fs::File::open(bundle).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut buf).unwrap();
            (f.name().unwrap().into_owned(), buf)
        })
        .collect()
}

fn raw_bundle(entries: &[(String, Vec<u8>)], links: &[&[u8]]) -> Vec<u8> {
    let members: Vec<(&[u8], &[u8])> = entries
        .iter()
        .map(|(n, b)| (n.as_bytes(), b.as_slice()))
        .collect();
    hostile::raw_zip_with_links(&members, links)
}

/// Issue 19, point 6: a name twice with different bytes was one file to the `zip` crate (the
/// other hidden), so extract took one and exit 0. Every entry is seen now: a zip with two
/// `dup.txt` of different bytes fails every command, naming it; in a bundle it is a
/// difference; the same bytes twice are still one file.
#[test]
fn regression_zip_entries_of_one_name_are_all_seen() {
    let tmp = tempfile::tempdir().unwrap();
    let dup = tmp.path().join("dup.zip");
    fs::write(
        &dup,
        hostile::raw_names_zip(&[(b"dup.txt", b"one"), (b"dup.txt", b"two")]),
    )
    .unwrap();
    let out = tmp.path().join("x");
    for args in [
        vec![
            "extract".as_ref(),
            dup.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
        vec!["inspect".as_ref(), dup.as_os_str()],
        vec!["verify".as_ref(), dup.as_os_str()],
    ] {
        let res = slipway(&args);
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_ne!(code(&res), 0, "{args:?}: {stderr}");
        assert!(stderr.contains("dup.txt"), "{args:?}: {stderr}");
        assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());
    }
    let (_, bundle) = built(tmp.path());
    let mut entries = bundle_entries(&bundle);
    let placed = entries
        .iter()
        .find(|(n, _)| n.ends_with(".msp"))
        .cloned()
        .expect("a placed patch");
    entries.push((placed.0.clone(), b"other bytes".to_vec()));
    let twice = tmp.path().join("twice.zip");
    fs::write(&twice, raw_bundle(&entries, &[])).unwrap();
    let res = verify(&twice);
    assert_eq!(code(&res), 1, "{}", String::from_utf8_lossy(&res.stderr));
    let found = findings(&json(&res));
    assert!(
        found
            .iter()
            .any(|(c, m)| c == "output-duplicate" && m.starts_with(placed.0.as_str())),
        "{found:?}"
    );
    // The same entry twice with the same bytes: one file, the bundle verifies.
    entries.pop();
    entries.push(placed);
    fs::write(&twice, raw_bundle(&entries, &[])).unwrap();
    let res = verify(&twice);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
}

/// Issue 19, point 6: `verify` of a bundle of 1,000 entries pointing at one 100 MiB stream
/// ran for over a minute. Overlapping entries are refused before anything is inflated, in
/// every command, within seconds.
#[test]
fn regression_overlapping_zip_entries_are_refused_before_inflating() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle.zip");
    fs::write(&bundle, hostile::overlapping_bundle(1_000, 100 << 20)).unwrap();
    let started = Instant::now();
    let res = verify(&bundle);
    let stderr = String::from_utf8_lossy(&res.stderr);
    assert_eq!(code(&res), 2, "{stderr}");
    assert!(stderr.contains("shares bytes with member"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let out = tmp.path().join("out");
    for args in [
        vec![
            "extract".as_ref(),
            bundle.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ],
        vec!["inspect".as_ref(), bundle.as_os_str()],
        vec![
            "build".as_ref(),
            bundle.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--product".as_ref(),
            "sharepoint-2007".as_ref(),
        ],
    ] {
        let started = Instant::now();
        let res = slipway(&args);
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert!([1, 2].contains(&code(&res)), "{args:?}: {stderr}");
        assert!(
            stderr.contains("shares bytes with member"),
            "{args:?}: {stderr}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{args:?}");
        assert!(crate::support::absent_or_empty(&out));
    }
}
