//! Differential tests: cabinets written by the `cab` crate and by gcab read back identical
//! through our reader, cabextract and the `cab` crate's own reader.

use std::fs;
use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use slipway::formats::cab::NoVolumes;

use crate::cab::{FolderSpec, build_cab, data, extract_path};
use crate::fixtures::rng::Rng;

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

// ------------------------------------------------------------------ LZX (our encoder)

use crate::fixtures::lzx::{
    BlockKind, LzxFolder, LzxOptions, Stats, e8_translate, lzx_cabinet, lzx_cabinet_stats,
};

/// Our extraction and cabextract's of an LZX cabinet built from `folders`, both compared
/// with the files that went in; returns what the compressor wrote for each folder.
fn check_lzx(dir: &Path, label: &str, folders: &[LzxFolder]) -> Vec<Stats> {
    let path = dir.join(format!("{label}.cab"));
    let (cabinet, stats) = lzx_cabinet_stats(folders, true);
    fs::write(&path, cabinet).unwrap();
    let mut want: Files = folders.iter().flat_map(|f| f.files.clone()).collect();
    want.sort();
    let got = ours(&path);
    assert_eq!(got.len(), want.len(), "{label}: our reader, member count");
    for (g, w) in got.iter().zip(&want) {
        assert!(g == w, "{label}: our reader differs on {}", w.0);
    }
    if installed("cabextract") {
        let got = cabextract(&path, &path.with_extension("cabextract"));
        for (g, w) in got.iter().zip(&want) {
            assert!(g == w, "{label}: cabextract differs on {}", w.0);
        }
        assert_eq!(got.len(), want.len(), "{label}: cabextract, member count");
    }
    stats
}

/// Every block type alone and mixed (blocks ending inside frames), every window size, files
/// spanning blocks and frames, several folders per cabinet.
#[test]
fn lzx_cabinets_agree_with_cabextract_for_every_block_type_and_window() {
    let tmp = tempfile::tempdir().unwrap();
    let files = file_set();
    let plans: [(&str, &[BlockKind], usize); 4] = [
        ("verbatim", &[BlockKind::Verbatim], 3 * 32768),
        ("aligned", &[BlockKind::Aligned], 2 * 32768 + 1000),
        ("uncompressed", &[BlockKind::Uncompressed], 45_001),
        (
            "mixed",
            &[
                BlockKind::Verbatim,
                BlockKind::Uncompressed,
                BlockKind::Aligned,
                BlockKind::Uncompressed,
            ],
            20_001,
        ),
    ];
    for bits in 15..=21u8 {
        let folders: Vec<LzxFolder> = plans
            .iter()
            .enumerate()
            .map(|(k, (_, kinds, size))| LzxFolder {
                options: LzxOptions::new(bits).blocks(kinds, *size),
                // Rotate the file set so each plan sees different sizes.
                files: files
                    .iter()
                    .skip(k)
                    .step_by(2)
                    .map(|(n, d)| (format!("{k}-{n}"), d.clone()))
                    .collect(),
            })
            .collect();
        let stats = check_lzx(tmp.path(), &format!("lzx{bits}"), &folders);
        // The data really exercises each feature: literals, new and repeated offsets, the
        // length tree, aligned footers, and each block type.
        let [verbatim, aligned, uncompressed, mixed] = [&stats[0], &stats[1], &stats[2], &stats[3]];
        for (plan, s) in [
            ("verbatim", verbatim),
            ("aligned", aligned),
            ("mixed", mixed),
        ] {
            assert!(
                s.literals > 0 && s.matches > s.repeats && s.repeats > 0 && s.long_matches > 0,
                "window 2^{bits}, {plan}: {s:?}"
            );
        }
        assert!(aligned.aligned_footers > 0, "window 2^{bits}: {aligned:?}");
        assert_eq!(uncompressed.blocks[..2], [0, 0]);
        assert!(uncompressed.blocks[2] > 1);
        assert!(mixed.blocks.iter().all(|&n| n > 0), "{mixed:?}");
    }
}

/// Matches reaching across the window's wrap: 1.2 MiB through a 32 KiB and a 64 KiB window,
/// repetitive enough for long-distance and repeated-offset matches.
#[test]
fn lzx_window_wraps_agree_with_cabextract() {
    let tmp = tempfile::tempdir().unwrap();
    let mut content = Vec::new();
    for i in 0..40u64 {
        content.extend_from_slice(&data(i % 7, 30_000, (i % 3) as u8));
    }
    for bits in [15u8, 16] {
        let folder = LzxFolder {
            options: LzxOptions::new(bits)
                .blocks(&[BlockKind::Aligned, BlockKind::Verbatim], 70_000),
            files: vec![("wrap.bin".to_owned(), content.clone())],
        };
        let stats = check_lzx(tmp.path(), &format!("wrap{bits}"), &[folder]);
        assert!(stats[0].wrapped_sources > 0, "{:?}", stats[0]);
    }
}

/// x86-like data: CALL (E8) instructions with displacements to targets inside the file.
fn x86_like(seed: u64, len: usize) -> Vec<u8> {
    let mut out = data(seed, len, 0);
    let mut rng = Rng::new(seed | 1);
    let mut i = 0;
    while i + 5 < len {
        let x = rng.next_u64();
        i += 3 + (x % 40) as usize;
        if i + 5 >= len {
            break;
        }
        let target = ((x >> 20) % len as u64) as i64;
        out[i] = 0xE8;
        out[i + 1..i + 5].copy_from_slice(&((target - i as i64) as i32).to_le_bytes());
    }
    out
}

/// lzxd 0.2.7 undid the translation of an absolute offset of 0 (a call to the first byte)
/// with the `< 0` branch, adding the translation size: silently corrupt output. MS-PATCH
/// 2.2.2 takes the `>= 0` branch: displacement = 0 − position.
#[test]
fn regression_e8_offset_zero_is_translated_back_correctly() {
    let tmp = tempfile::tempdir().unwrap();
    let len = 200_000;
    let mut content = x86_like(5, len);
    // Calls to offset 0 in several frames, one right at a frame's start.
    let zero_calls = [100usize, 32_768, 40_000, 131_000];
    for &p in &zero_calls {
        // No E8 in the 4 bytes before: its operand would swallow this one.
        content[p - 4..p].fill(0x90);
        content[p] = 0xE8;
        content[p + 1..p + 5].copy_from_slice(&(-(p as i32)).to_le_bytes());
    }
    let size = 12_000_000;
    // The case is really there: the compressor stores an absolute offset of exactly 0.
    let mut translated = content.clone();
    e8_translate(&mut translated, size);
    for &p in &zero_calls {
        assert_eq!(&translated[p + 1..p + 5], &[0, 0, 0, 0], "call at {p}");
    }
    for (label, kinds) in [
        ("e8-verbatim", &[BlockKind::Verbatim][..]),
        ("e8-aligned", &[BlockKind::Aligned][..]),
        ("e8-uncompressed", &[BlockKind::Uncompressed][..]),
    ] {
        let folder = LzxFolder {
            options: LzxOptions::new(17).e8(size).blocks(kinds, 50_000),
            files: vec![
                ("code.exe".to_owned(), content.clone()),
                ("tail.bin".to_owned(), x86_like(9, 33_000)),
            ],
        };
        let stats = check_lzx(tmp.path(), label, &[folder]);
        assert!(stats[0].e8_changed > 1000, "{label}: {:?}", stats[0]);
    }
}

/// lzxd 0.2.7 accepted a match reaching before the first byte of the folder and produced
/// zeros; such a stream is corrupt and must be refused (cabextract refuses it too).
#[test]
fn regression_match_before_window_start_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let mut options = LzxOptions::new(16);
    options.leading_bogus_match = true;
    let folder = LzxFolder {
        options,
        files: vec![("a.bin".to_owned(), data(3, 5000, 1))],
    };
    let path = tmp.path().join("bogus.cab");
    fs::write(&path, lzx_cabinet(&[folder])).unwrap();
    let err = crate::cab::extract_path(&path, &mut NoVolumes).unwrap_err();
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain = format!("{chain}: {s}");
        source = s.source();
    }
    assert!(chain.contains("before the start of the data"), "{chain}");
    let out_dir = tmp.path().join("out");
    let out = crate::support::slipway([
        "extract".as_ref(),
        path.as_os_str(),
        "-o".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert_eq!(crate::support::code(&out), 2);
    assert!(crate::support::absent_or_empty(&out_dir));
    if installed("cabextract") {
        let status = Command::new("cabextract")
            .arg("-q")
            .arg("-d")
            .arg(tmp.path().join("ce"))
            .arg(&path)
            .status()
            .unwrap();
        assert!(!status.success(), "cabextract accepted the bogus match");
    }
}
