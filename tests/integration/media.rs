//! `build --media` / `--language-pack`: setup media merged into every role folder — from a
//! folder or a disc image alike, refused when they are not the product's, their `Updates`
//! patches judged against the downloads, baselines judged against them, and every media file
//! re-checked by `verify OUT`.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::fixtures::disc::genisoimage;
use crate::fixtures::media::{sample_media, setup_exe};
use crate::fixtures::pe::Arch;
use crate::fixtures::samples::{EXCHANGE, EXCHANGE_2007_X64, MOSS, Patch, sample_files};
use crate::support::{absent_or_empty, code, files_below, json, slipway, tool};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// Writes the generated files whose path starts with `prefix/` below `dir` (prefix removed).
fn write_set(files: &[(String, Vec<u8>)], prefix: &str, dir: &Path) {
    for (rel, bytes) in files {
        if let Some(rest) = rel.strip_prefix(&format!("{prefix}/")) {
            let path = dir.join(rest);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
    }
}

fn build(args: &[&OsStr]) -> std::process::Output {
    let mut all: Vec<&OsStr> = vec!["build".as_ref(), "--json".as_ref()];
    all.extend_from_slice(args);
    slipway(all)
}

/// `build DOWNLOADS --product P --media MEDIA -o OUT [EXTRA…] --json`.
fn build_media(
    downloads: &Path,
    product: &str,
    media: &Path,
    out: &Path,
    extra: &[&OsStr],
) -> std::process::Output {
    let mut args: Vec<&OsStr> = vec![
        downloads.as_os_str(),
        "--product".as_ref(),
        OsStr::new(product),
        "--media".as_ref(),
        media.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ];
    args.extend_from_slice(extra);
    build(&args)
}

fn error_code(out: &std::process::Output) -> String {
    json(out)["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Every file below `dir` with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_below(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

#[test]
fn folder_media_and_its_disc_image_give_identical_role_folders() {
    if !tool(
        "folder_media_and_its_disc_image_give_identical_role_folders",
        "genisoimage",
    ) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("moss-media");
    write_set(&sample_media(), "media/sharepoint-2007", &media);
    // UDF with its ISO 9660/Joliet bridge, as Microsoft's server media are UDF.
    let iso = genisoimage(&media, &tmp.path().join("moss.iso"), &["-udf"]);
    let downloads = samples().join("sharepoint-2007");
    let mut outs = Vec::new();
    for (name, source) in [("from-folder", &media), ("from-image", &iso)] {
        let out = tmp.path().join(name);
        let res = build_media(&downloads, "sharepoint-2007", source, &out, &[]);
        assert_eq!(
            code(&res),
            0,
            "{name}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        outs.push(out);
    }
    let roles = |out: &Path| -> Vec<(String, Vec<u8>)> {
        tree(out)
            .into_iter()
            .filter(|(f, _)| f.contains('/'))
            .collect()
    };
    let (folder, image) = (roles(&outs[0]), roles(&outs[1]));
    assert_eq!(
        folder, image,
        "role folders differ between folder and image media"
    );
    // Each role folder is the media tree with the updates in its Updates folder.
    for role in ["app-ca", "app", "wfe"] {
        for f in [
            "setup.exe",
            "readme.htm",
            "Files/Setup/setup.xml",
            "Updates/sts-x-none.msp",
        ] {
            assert!(
                folder.iter().any(|(p, _)| *p == format!("{role}/{f}")),
                "{role}/{f} missing"
            );
        }
    }
    let manifest = |out: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(out.join("install-manifest.json")).unwrap()).unwrap()
    };
    let (a, b) = (manifest(&outs[0]), manifest(&outs[1]));
    assert_eq!(a["media"][0]["image"], false);
    assert_eq!(b["media"][0]["image"], true);
    assert_eq!(a["media"][0]["files"], b["media"][0]["files"]);
    assert_eq!(a["media"][0]["identity"], b["media"][0]["identity"]);
    assert_eq!(a["media"][0]["identity"]["edition"], "moss");
    // The same patches in the same order; only the media's name in their `from` differs.
    let placed = |doc: &serde_json::Value| -> Vec<(String, String)> {
        doc["roles"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["patches"].as_array().unwrap().iter())
            .map(|p| (p["file"].to_string(), p["sha256"].to_string()))
            .collect()
    };
    assert_eq!(placed(&a), placed(&b));
}

#[test]
fn media_that_are_not_the_products_are_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let s = samples();
    // An Exchange medium whose setup is 32-bit, for the x64 rollups.
    let x86_exchange = tmp.path().join("exchange-x86");
    std::fs::create_dir_all(&x86_exchange).unwrap();
    std::fs::write(
        x86_exchange.join("setup.exe"),
        setup_exe(Arch::X86, EXCHANGE, "8.1.240.6", 0x0409),
    )
    .unwrap();
    // A folder of downloads is not setup media, nor is a text file.
    let not_an_image = s.join("media/sharepoint-2007/readme.htm");
    let cases: Vec<(&str, Vec<PathBuf>, Vec<String>, &str)> = vec![
        (
            "sharepoint-2007",
            vec![s.join("sharepoint-2007")],
            vec![
                "--media".into(),
                s.join("media/exchange-2007").display().to_string(),
            ],
            "media-product",
        ),
        (
            "exchange-2007",
            vec![s.join("exchange-2007")],
            vec!["--media".into(), x86_exchange.display().to_string()],
            "media-arch",
        ),
        (
            "sharepoint-2007",
            vec![s.join("sharepoint-2007")],
            vec![
                "--language-pack".into(),
                format!("fr-fr={}", s.join("media/sharepoint-2007-de-de").display()),
            ],
            "media-language",
        ),
        (
            "sharepoint-2007",
            vec![s.join("sharepoint-2007")],
            vec![
                "--media".into(),
                s.join("media/sharepoint-2007").display().to_string(),
                "--lang".into(),
                "de-de".into(),
            ],
            "media-language",
        ),
        (
            "sharepoint-2007",
            vec![s.join("sharepoint-2007")],
            vec![
                "--media".into(),
                s.join("sharepoint-2007").display().to_string(),
            ],
            "media-no-setup",
        ),
        (
            "sharepoint-2007",
            vec![s.join("sharepoint-2007")],
            vec!["--media".into(), not_an_image.display().to_string()],
            "not-media",
        ),
    ];
    for (n, (product, downloads, extra, want)) in cases.into_iter().enumerate() {
        let out = tmp.path().join(format!("out{n}"));
        let mut args: Vec<&OsStr> = downloads.iter().map(|d| d.as_os_str()).collect();
        args.extend([
            "--product".as_ref(),
            OsStr::new(product),
            "-o".as_ref(),
            out.as_os_str(),
        ]);
        args.extend(extra.iter().map(OsStr::new));
        let res = build(&args);
        assert_eq!(
            code(&res),
            2,
            "{want}: {}",
            String::from_utf8_lossy(&res.stdout)
        );
        assert_eq!(error_code(&res), want);
        assert!(absent_or_empty(&out), "{want}: something was written");
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_eq!(stderr.lines().count(), 1, "{want}: one line, got {stderr}");
    }
}

#[test]
fn a_symbolic_link_in_media_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    write_set(&sample_media(), "media/sharepoint-2007", &media);
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", media.join("Files/passwd")).unwrap();
    #[cfg(not(unix))]
    return;
    let out = tmp.path().join("out");
    let res = build_media(
        &samples().join("sharepoint-2007"),
        "sharepoint-2007",
        &media,
        &out,
        &[],
    );
    assert_eq!(code(&res), 2);
    assert_eq!(error_code(&res), "not-a-file");
    assert!(
        json(&res)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Files/passwd")
    );
    assert!(absent_or_empty(&out));
}

#[test]
fn an_updates_patch_superseded_by_a_download_is_left_out_and_an_older_download_is_not_placed() {
    let tmp = tempfile::tempdir().unwrap();
    let s = samples();
    // The sample MOSS media hold the August 2009 dlc patch; the October CU supersedes it.
    let out = tmp.path().join("out");
    let res = build_media(
        &s.join("sharepoint-2007"),
        "sharepoint-2007",
        &s.join("media/sharepoint-2007"),
        &out,
        &[],
    );
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let doc = json(&res);
    let superseded = doc["manifest"]["superseded"].as_array().unwrap();
    let media_dlc = superseded
        .iter()
        .find(|s| s["from"][0] == "sharepoint-2007" && s["name"] == "dlc-x-none.msp")
        .expect("the media's dlc patch is superseded");
    assert_eq!(media_dlc["build"], "12.0.6514.5002");
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| { f["code"] == "superseded" && f["origin"][0] == "sharepoint-2007" })
    );
    let placed_dlc = std::fs::read(out.join("app-ca/Updates/dlc-x-none.msp")).unwrap();
    let media_bytes =
        std::fs::read(s.join("media/sharepoint-2007/Updates/dlc-x-none.msp")).unwrap();
    assert_ne!(
        placed_dlc, media_bytes,
        "the download's dlc patch is placed, not the media's"
    );
    // The service packs in the media's Updates are kept, placed before the CUs.
    let role = &doc["manifest"]["roles"][0]["patches"];
    assert_eq!(role[0]["file"], "app-ca/Updates/stswwsp2.msp");
    assert_eq!(
        role[0]["from"],
        serde_json::json!(["sharepoint-2007", "Updates/stswwsp2.msp"])
    );

    // Media that already hold a newer rollup than a download: the download is not placed.
    let media = tmp.path().join("exchange-media");
    write_set(&sample_media(), "media/exchange-2007", &media);
    let newer = Patch {
        file: "Exchange2007-KB970162-x64-EN.msp",
        family: "exchange2007",
        kb: "970162",
        build: "8.1.393.1",
        classification: "Update Rollup",
        display_name: "Update Rollup 9 for Exchange Server 2007 Service Pack 1 (KB970162)",
        product: EXCHANGE,
        target: EXCHANGE_2007_X64,
        created: "07/16/2009 12:00",
        files: &["Microsoft.Exchange.Common.dll"],
    };
    std::fs::write(media.join("Updates").join(newer.file), newer.build()).unwrap();
    let older = sample_files()
        .into_iter()
        .find(|(rel, _)| rel == "exchange-2007/Exchange2007-KB968012-x64-EN.msp")
        .unwrap();
    let downloads = tmp.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    std::fs::write(downloads.join("Exchange2007-KB968012-x64-EN.msp"), older.1).unwrap();
    let out = tmp.path().join("out-exchange");
    let res = build_media(&downloads, "exchange-2007", &media, &out, &[]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let doc = json(&res);
    assert!(
        doc["manifest"]["superseded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| {
                s["name"] == "Exchange2007-KB968012-x64-EN.msp" && s["by"][0] == "exchange-media"
            })
    );
    for role in doc["manifest"]["roles"].as_array().unwrap() {
        let files: Vec<&str> = role["patches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["file"].as_str().unwrap())
            .collect();
        let folder = role["folder"].as_str().unwrap();
        assert_eq!(
            files,
            [format!("{folder}/Updates/Exchange2007-KB970162-x64-EN.msp")]
        );
    }
    assert!(!files_below(&out).iter().any(|f| f.contains("KB968012")));
}

#[test]
fn a_cumulative_update_beyond_the_media_without_its_service_pack_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    // RTM media, no service pack in Updates: the October 2009 CUs need SP2.
    let media = tmp.path().join("rtm");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(
        media.join("setup.exe"),
        setup_exe(Arch::X86, MOSS, "12.0.4518.1016", 0x0409),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let res = build_media(
        &samples().join("sharepoint-2007"),
        "sharepoint-2007",
        &media,
        &out,
        &[],
    );
    assert_eq!(code(&res), 1, "{}", String::from_utf8_lossy(&res.stderr));
    let doc = json(&res);
    let missing: Vec<&serde_json::Value> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "missing-baseline")
        .collect();
    assert!(!missing.is_empty());
    for f in missing {
        assert_eq!(f["severity"], "error", "{f}");
        assert!(
            f["message"]
                .as_str()
                .unwrap()
                .contains("media (build 12.0.4518.1016)"),
            "{f}"
        );
    }
    assert!(absent_or_empty(&out));
}

#[test]
fn language_pack_media_go_under_language_packs_in_every_role() {
    let tmp = tempfile::tempdir().unwrap();
    let s = samples();
    let out = tmp.path().join("out");
    let pack = format!("de-de={}", s.join("media/sharepoint-2007-de-de").display());
    let res = build_media(
        &s.join("sharepoint-2007"),
        "sharepoint-2007",
        &s.join("media/sharepoint-2007"),
        &out,
        &["--language-pack".as_ref(), pack.as_ref()],
    );
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let files = files_below(&out);
    for role in ["app-ca", "app", "wfe"] {
        for f in [
            "LanguagePacks/de-de/setup.exe",
            "LanguagePacks/de-de/Files/Setup/osrvmui.cab",
            "LanguagePacks/de-de/Updates/wssmui-de-de.msp",
            "setup.exe",
        ] {
            assert!(files.contains(&format!("{role}/{f}")), "{role}/{f} missing");
        }
    }
    let doc = json(&res);
    let lp = &doc["manifest"]["media"][1];
    assert_eq!(lp["kind"], "language-pack");
    assert_eq!(lp["culture"], "de-de");
    assert_eq!(lp["folder"], "LanguagePacks/de-de");
    assert_eq!(lp["identity"]["language"], "de-de");
    // The change request names the media and starts the level from them.
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("<h3>Setup media</h3>"), "no media section");
    assert!(
        report.contains("12.0.4518.1016 (the setup media sharepoint-2007"),
        "{report}"
    );
    assert!(report.contains("sharepoint-2007-de-de"));
    // Role folders share one copy of each media file (hard links), never the media's own.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let meta = |p: &str| std::fs::metadata(out.join(p)).unwrap();
        assert_eq!(meta("app-ca/setup.exe").ino(), meta("wfe/setup.exe").ino());
        let original = std::fs::metadata(s.join("media/sharepoint-2007/setup.exe")).unwrap();
        assert_ne!(meta("app-ca/setup.exe").ino(), original.ino());
    }
}

#[test]
fn unconfirmed_media_build_with_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    write_set(&sample_media(), "media/sharepoint-2007", &media);
    // A suite name that names no edition, at a SharePoint 2007 build.
    std::fs::write(
        media.join("setup.exe"),
        setup_exe(
            Arch::X86,
            "2007 Microsoft Office system",
            "12.0.4518.1016",
            0x0409,
        ),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let res = build_media(
        &samples().join("sharepoint-2007"),
        "sharepoint-2007",
        &media,
        &out,
        &[],
    );
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let doc = json(&res);
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| { f["code"] == "media-unconfirmed" && f["severity"] == "warning" })
    );
    assert_eq!(doc["manifest"]["media"][0]["identity"]["confirmed"], false);
}

#[test]
fn verify_out_catches_a_flipped_byte_in_a_media_file() {
    let tmp = tempfile::tempdir().unwrap();
    let s = samples();
    let out = tmp.path().join("out");
    let res = build_media(
        &s.join("sharepoint-2007"),
        "sharepoint-2007",
        &s.join("media/sharepoint-2007"),
        &out,
        &[],
    );
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let ok = slipway(["verify".as_ref(), out.as_os_str()]);
    assert_eq!(code(&ok), 0, "{}", String::from_utf8_lossy(&ok.stderr));
    // Replace the file (not write through the link): one role's copy changes.
    let victim = out.join("wfe/Files/Setup/wss.cab");
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[100] ^= 0x01;
    std::fs::remove_file(&victim).unwrap();
    std::fs::write(&victim, bytes).unwrap();
    let bad = slipway(["verify".as_ref(), "--json".as_ref(), out.as_os_str()]);
    assert_eq!(code(&bad), 1);
    let doc = json(&bad);
    let text = doc.to_string();
    assert!(text.contains("output-modified"), "{text}");
    assert!(text.contains("wfe/Files/Setup/wss.cab"), "{text}");
    // A media file removed is missing.
    std::fs::remove_file(out.join("app/readme.htm")).unwrap();
    let gone = slipway(["verify".as_ref(), "--json".as_ref(), out.as_os_str()]);
    assert!(json(&gone).to_string().contains("output-missing"));
}

/// A bundle past 4 GiB (zip64 sizes and offsets) is written and re-verified: the data is
/// sparse, so the test costs time (deflating and hashing zeros), not disk.
#[test]
fn a_bundle_past_4_gib_round_trips() {
    use slipway::model::Sha256;
    use slipway::model::manifest::{InstallManifest, MediaEntry, MediaFileEntry, MediaIdentity};
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let res = build(&[
        samples().join("exchange-2007").as_os_str(),
        "--baseline".as_ref(),
        "8.1.240.6".as_ref(),
        "--product".as_ref(),
        "exchange-2007".as_ref(),
        "--role".as_ref(),
        "mailbox".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    // A media file of 4 GiB + 1 byte, all zeros, recorded as the build would record it.
    let size: u64 = (4 << 30) + 1;
    let big = out.join("mailbox/big.bin");
    std::fs::File::create(&big).unwrap().set_len(size).unwrap();
    let digest = {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        let zeros = vec![0u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            let n = left.min(zeros.len() as u64) as usize;
            h.update(&zeros[..n]);
            left -= n as u64;
        }
        Sha256(h.finalize().into())
    };
    let mut doc: InstallManifest =
        serde_json::from_slice(&std::fs::read(out.join("install-manifest.json")).unwrap()).unwrap();
    doc.media.push(MediaEntry {
        kind: "product".into(),
        culture: None,
        source: "big-media".into(),
        image: false,
        folder: String::new(),
        identity: MediaIdentity {
            product: "exchange-2007".into(),
            edition: None,
            product_name: None,
            build: None,
            arch: None,
            language: None,
            confirmed: false,
        },
        notes: Vec::new(),
        files: vec![MediaFileEntry {
            path: "big.bin".into(),
            size,
            sha256: digest,
        }],
    });
    slipway::manifest::write(&out, &doc).unwrap();
    let ok = slipway(["verify".as_ref(), out.as_os_str()]);
    assert_eq!(code(&ok), 0, "{}", String::from_utf8_lossy(&ok.stderr));
    let bundle = tmp.path().join("big.zip");
    let never = std::sync::atomic::AtomicBool::new(false);
    slipway::manifest::write_bundle(&out, &bundle, &slipway::extract::NoProgress, &never)
        .unwrap()
        .persist(&bundle)
        .unwrap();
    let checked = slipway(["verify".as_ref(), "--json".as_ref(), bundle.as_os_str()]);
    assert_eq!(
        code(&checked),
        0,
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    // The entry's size is past what a zip without zip64 fields can record.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&bundle).unwrap()).unwrap();
    let entry = zip.by_name("mailbox/big.bin").unwrap();
    assert_eq!(entry.size(), size);
}

/// The catalog's setup quirk holds for the media's own `Updates` folder: a WSS setup
/// controller there does not stay in a MOSS source.
#[test]
fn a_wss_setup_controller_in_moss_media_updates_is_left_out() {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    write_set(&sample_media(), "media/sharepoint-2007", &media);
    std::fs::write(
        media.join("Updates/wsssetup.dll"),
        b"stand-in setup controller",
    )
    .unwrap();
    std::fs::write(media.join("Updates/notes.txt"), b"kept").unwrap();
    let out = tmp.path().join("out");
    let res = build_media(
        &samples().join("sharepoint-2007"),
        "sharepoint-2007",
        &media,
        &out,
        &[],
    );
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let files = files_below(&out);
    assert!(
        !files.iter().any(|f| f.ends_with("/wsssetup.dll")),
        "{files:?}"
    );
    assert!(files.contains(&"app-ca/Updates/notes.txt".to_owned()));
    let doc = json(&res);
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| { f["code"] == "quirk-applied" && f["origin"][1] == "Updates/wsssetup.dll" })
    );
}

/// The file the copy hook swaps, how, and the outside file a link points at.
#[cfg(unix)]
static SWAP: std::sync::Mutex<Option<(PathBuf, &'static str, PathBuf)>> =
    std::sync::Mutex::new(None);

/// Called by the media stage between the listing and the copy of each file: replaces the
/// chosen one by a link to a file outside the medium, a FIFO, or another file.
#[cfg(unix)]
fn swap_hook(path: &Path) {
    let guard = SWAP
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some((target, how, outside)) = guard.as_ref() else {
        return;
    };
    if path != target {
        return;
    }
    match *how {
        "link" => {
            std::fs::remove_file(path).unwrap();
            std::os::unix::fs::symlink(outside, path).unwrap();
        }
        "fifo" => {
            std::fs::remove_file(path).unwrap();
            let made = std::process::Command::new("mkfifo").arg(path).status();
            assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        }
        // Written beside it and renamed over it: a new inode (a file removed first could
        // give its inode number to the next one).
        _ => {
            let new = path.with_extension("new");
            std::fs::copy(outside, &new).unwrap();
            std::fs::rename(&new, path).unwrap();
        }
    }
}

/// Issue 19, point 3: a media file is listed, then copied by path; a file swapped for a link
/// between the two put an outside file into every role folder, a FIFO blocked the build
/// forever. The media stage's test hook swaps `Files/Setup/setup.xml` in that window (for a
/// link to an outside file of the same size, a FIFO, another file of the same size): each
/// build is refused (exit 2) at once, and nothing is written.
#[cfg(unix)]
#[test]
fn regression_media_file_swapped_between_listing_and_copy_is_refused() {
    use clap::Parser as _;
    let tmp = tempfile::tempdir().unwrap();
    slipway::media_copy_hook(Some(swap_hook));
    for how in ["link", "fifo", "file"] {
        let media = tmp.path().join(format!("media-{how}"));
        write_set(&sample_media(), "media/sharepoint-2007", &media);
        let target = media.join("Files/Setup/setup.xml");
        let len = std::fs::metadata(&target).unwrap().len() as usize;
        let outside = tmp.path().join(format!("outside-{how}.xml"));
        std::fs::write(&outside, "X".repeat(len)).unwrap();
        *SWAP.lock().unwrap() = Some((target.clone(), how, outside));
        let out = tmp.path().join(format!("out-{how}"));
        let args: Vec<std::ffi::OsString> = vec![
            "slipway".into(),
            "--no-progress".into(),
            "build".into(),
            samples().join("sharepoint-2007").into(),
            "--product".into(),
            "sharepoint-2007".into(),
            "--media".into(),
            media.clone().into(),
            "-o".into(),
            out.clone().into(),
        ];
        // In a thread: a build that blocks on the FIFO fails the test instead of hanging it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let status = slipway::app::run(slipway::cli::Cli::parse_from(args));
            let _ = tx.send(status.code());
        });
        let status = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{how}: the build did not end"));
        assert_eq!(status, 2, "{how}");
        assert!(absent_or_empty(&out), "{how}: something was written");
        // The swap really happened (the test is not vacuous).
        let meta = std::fs::symlink_metadata(&target).unwrap();
        match how {
            "link" => assert!(meta.file_type().is_symlink()),
            "fifo" => {
                use std::os::unix::fs::FileTypeExt as _;
                assert!(meta.file_type().is_fifo());
            }
            _ => assert!(meta.is_file()),
        }
    }
    *SWAP.lock().unwrap() = None;
    slipway::media_copy_hook(None);
}

/// Issue 19, point 7: `--media` at OUT (or OUT inside the media) walked into its own staging
/// 64 levels deep before it was refused; media inside OUT would be replaced by the build.
/// Each is refused up front, in one line, nothing written.
#[test]
fn regression_media_and_out_that_overlap_are_refused_up_front() {
    let tmp = tempfile::tempdir().unwrap();
    let media = tmp.path().join("media");
    write_set(&sample_media(), "media/sharepoint-2007", &media);
    let built = tmp.path().join("built");
    std::fs::create_dir(&built).unwrap();
    // (media, OUT)
    let cases = [
        (media.clone(), media.clone()),
        (media.clone(), media.join("out")),
        (built.join("app-ca"), built.clone()),
    ];
    for (m, out) in cases {
        std::fs::create_dir_all(&m).unwrap();
        let before = out.exists().then(|| files_below(&out));
        let started = std::time::Instant::now();
        let res = build_media(
            &samples().join("sharepoint-2007"),
            "sharepoint-2007",
            &m,
            &out,
            &[],
        );
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_eq!(code(&res), 2, "{}: {stderr}", out.display());
        assert_eq!(error_code(&res), "media-at-output", "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let after = out.exists().then(|| files_below(&out));
        assert_eq!(before, after, "{}: something was written", out.display());
    }
}

/// Issue 19, point 7: a setup.exe with no version resource, or whose ProductName names two
/// products, was taken as the product's media. Refused now (exit 2), unless
/// `--media-unconfirmed` is given: then built, with the media-unconfirmed warning.
#[test]
fn regression_unconfirmable_media_need_media_unconfirmed() {
    let tmp = tempfile::tempdir().unwrap();
    let setups = [
        (
            "bare",
            crate::fixtures::pe::PeBuilder::new(Arch::X86).build(),
        ),
        (
            "two",
            setup_exe(
                Arch::X86,
                "Microsoft Office SharePoint Server 2007 and Microsoft Exchange Server 2007",
                "12.0.4518.1016",
                0x0409,
            ),
        ),
    ];
    for (label, setup) in setups {
        let media = tmp.path().join(format!("media-{label}"));
        write_set(&sample_media(), "media/sharepoint-2007", &media);
        std::fs::write(media.join("setup.exe"), setup).unwrap();
        let out = tmp.path().join(format!("out-{label}"));
        let res = build_media(
            &samples().join("sharepoint-2007"),
            "sharepoint-2007",
            &media,
            &out,
            &[],
        );
        let stderr = String::from_utf8_lossy(&res.stderr);
        assert_eq!(code(&res), 2, "{label}: {stderr}");
        assert_eq!(error_code(&res), "media-not-confirmed", "{label}: {stderr}");
        assert!(stderr.contains("--media-unconfirmed"), "{label}: {stderr}");
        assert!(absent_or_empty(&out), "{label}");
        let res = build_media(
            &samples().join("sharepoint-2007"),
            "sharepoint-2007",
            &media,
            &out,
            &["--media-unconfirmed".as_ref()],
        );
        assert_eq!(
            code(&res),
            0,
            "{label}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
        let doc = json(&res);
        assert_eq!(doc["manifest"]["media"][0]["identity"]["confirmed"], false);
        assert!(
            doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == "media-unconfirmed"),
            "{label}"
        );
    }
}
