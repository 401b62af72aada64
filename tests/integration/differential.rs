//! Differential tests: cabinets written by the `cab` crate and by gcab read back identical
//! through our reader, cabextract and the `cab` crate's own reader.

use std::fs;
use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use slipway::formats::cab::NoVolumes;

use crate::cab::{FolderSpec, build_cab, data, extract_path};

type Files = Vec<(String, Vec<u8>)>;

fn installed(tool: &str) -> bool {
    crate::support::tool("differential tests", tool)
}

/// Files of every awkward size: empty, 1 byte, exactly one and two CFDATA blocks, just over,
/// large, and text and binary content.
fn file_set() -> Files {
    [
        0usize, 1, 7, 32_767, 32_768, 32_769, 65_536, 100_000, 300_001,
    ]
    .iter()
    .enumerate()
    .map(|(i, &len)| {
        (
            format!("file{i:02}.bin"),
            data(i as u64 + 11, len, (i % 3) as u8),
        )
    })
    .collect()
}

fn ours(cab: &Path) -> Files {
    let sink =
        extract_path(cab, &mut NoVolumes).unwrap_or_else(|e| panic!("{}: {e}", cab.display()));
    let mut got = sink.pairs();
    got.sort();
    got
}

fn cab_crate(bytes: &[u8]) -> Files {
    let mut cabinet = cab::Cabinet::new(Cursor::new(bytes.to_vec())).expect("cab crate opens it");
    let names: Vec<String> = cabinet
        .folder_entries()
        .flat_map(|f| {
            f.file_entries()
                .map(|e| e.name().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut got: Files = names
        .into_iter()
        .map(|n| {
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut cabinet.read_file(&n).unwrap(), &mut buf).unwrap();
            (n, buf)
        })
        .collect();
    got.sort();
    got
}

fn cabextract(cab: &Path, out: &Path) -> Files {
    let status = Command::new("cabextract")
        .arg("-q")
        .arg("-d")
        .arg(out)
        .arg(cab)
        .status()
        .unwrap();
    assert!(status.success(), "cabextract failed on {}", cab.display());
    let mut got: Files = crate::support::files_below(out)
        .into_iter()
        .map(|rel| {
            let bytes = fs::read(out.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect();
    got.sort();
    got
}

fn check_three_ways(cab: &Path, want: &Files, label: &str) {
    let bytes = fs::read(cab).unwrap();
    assert_eq!(&ours(cab), want, "{label}: our reader");
    assert_eq!(&cab_crate(&bytes), want, "{label}: cab crate");
    if installed("cabextract") {
        let out = cab.with_extension("cabextract");
        assert_eq!(&cabextract(cab, &out), want, "{label}: cabextract");
    }
}

#[test]
fn cab_crate_cabinets_agree_three_ways() {
    let tmp = tempfile::tempdir().unwrap();
    let files = file_set();
    for (label, ctype) in [
        ("none", cab::CompressionType::None),
        ("mszip", cab::CompressionType::MsZip),
    ] {
        let spec: Vec<FolderSpec> =
            vec![(ctype, files[..5].to_vec()), (ctype, files[5..].to_vec())];
        let path = tmp.path().join(format!("{label}.cab"));
        fs::write(&path, build_cab(&spec)).unwrap();
        let mut want = files.clone();
        want.sort();
        check_three_ways(&path, &want, label);
    }
}

#[test]
fn gcab_cabinets_agree_three_ways() {
    if !installed("gcab") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    fs::create_dir(&src).unwrap();
    let files = file_set();
    for (name, bytes) in &files {
        fs::write(src.join(name), bytes).unwrap();
    }
    let mut want = files.clone();
    want.sort();
    for (label, flags) in [("gcab-none", &[][..]), ("gcab-mszip", &["-z"][..])] {
        let path = tmp.path().join(format!("{label}.cab"));
        let status = Command::new("gcab")
            .current_dir(&src)
            .arg("-c")
            .arg("-n")
            .args(flags)
            .arg(&path)
            .args(files.iter().map(|(n, _)| n))
            .status()
            .unwrap();
        assert!(status.success(), "gcab failed");
        check_three_ways(&path, &want, label);
    }
}
