//! The cabinet reader on the shared corpus: every cabinet against cabextract's results, names,
//! damaged cabinets, the malformed Quantum data, embedded cabinets found by the scan, and
//! mutation.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Cursor, Seek};
use std::path::{Path, PathBuf};

use slipway::formats::cab::{self as reader, NoVolumes, Span};

use crate::fixtures::MemSink;
use crate::fixtures::rng::Rng;

use super::cab::*;

fn corpus() -> Option<PathBuf> {
    crate::support::corpus("cab corpus tests")
}

/// cabextract's (size, sha256) rows per corpus file.
fn cabextract_rows(corpus: &Path) -> BTreeMap<String, Vec<(u64, String)>> {
    let text = fs::read_to_string(corpus.join("expected.tsv")).unwrap();
    let mut map: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 8 || cols[1] != "cabextract" {
            continue;
        }
        let rows = map.entry(cols[0].to_owned()).or_default();
        if !cols[6].is_empty() {
            rows.push((cols[6].parse().unwrap(), cols[7].to_owned()));
        }
    }
    for rows in map.values_mut() {
        rows.sort();
    }
    map
}

/// Plain cabinets cabextract extracts completely, which we must match exactly.
const CORPUS_OK: &[&str] = &[
    "cabextract/cabs/case-ascii.cab",
    "cabextract/cabs/dir.cab",
    "cabextract/cabs/encoding-latin1.cab",
    "fwupd/fakedevice123.cab",
    "gcab/test-mszip.cab",
    "gcab/test-none.cab",
    "gcab/test-signed.cab",
    "lessmsi/msi_with_external_cab.cab",
    "libmspack/hidden-files.cab",
    "libmspack/mszip_lzx_qtm.cab",
    "libmspack/normal_255c_filename.cab",
    "libmspack/normal_2files_1folder.cab",
    "libmspack/normal_2files_2folders.cab",
    "libmspack/reserve_---.cab",
    "libmspack/reserve_--D.cab",
    "libmspack/reserve_-F-.cab",
    "libmspack/reserve_H--.cab",
    "libmspack/reserve_HFD.cab",
    "osslsigncode/unsigned.ex_",
    "python-cabarchive/compressed.cab",
    "python-cabarchive/ddf-fixed.cab",
    "python-cabarchive/large-compressed.cab",
    "python-cabarchive/large.cab",
    "python-cabarchive/multi-folder-compressed.cab",
    "python-cabarchive/multi-folder.cab",
    "python-cabarchive/simple.cab",
    "python-cabarchive/utf8.cab",
    "libmspack/multi_basic_renamed/cabd_multi_basic_pt1.cab",
    "libmspack/multi_basic_renamed/cabd_multi_basic_pt2.cab",
    "libmspack/multi_basic_renamed/cabd_multi_basic_pt3.cab",
    "libmspack/multi_basic_renamed/cabd_multi_basic_pt4.cab",
    "libmspack/multi_basic_renamed/cabd_multi_basic_pt5.cab",
];

/// Cabinets that must be refused (or fail part-way), with the error we expect.
const CORPUS_ERR: &[(&str, &str)] = &[
    ("libmspack/bad_folderindex.cab", "invalid folder index"),
    ("libmspack/bad_nofiles.cab", "no files"),
    ("libmspack/bad_nofolders.cab", "no folders"),
    ("libmspack/bad_signature.cab", "bad signature"),
    ("libmspack/cve-2010-2800-mszip-infinite-loop.cab", ""),
    ("libmspack/cve-2014-9556-qtm-infinite-loop.cab", ""),
    ("libmspack/cve-2014-9732-folders-segfault.cab", ""),
    ("libmspack/cve-2015-4470-mszip-over-read.cab", ""),
    ("libmspack/cve-2015-4471-lzx-under-read.cab", ""),
    ("libmspack/filename-read-violation-2.cab", ""),
    ("libmspack/lzx-main-tree-no-lengths.cab", "LZX"),
    ("libmspack/partial_nodata.cab", "truncated"),
    ("libmspack/partial_nofiles.cab", "truncated"),
    ("libmspack/partial_nofolder.cab", "truncated"),
    ("libmspack/partial_shortextheader.cab", "truncated"),
    ("libmspack/partial_shortfile1.cab", "truncated"),
    ("libmspack/partial_shortfile2.cab", "truncated"),
    ("libmspack/partial_shortfolder.cab", "truncated"),
    ("libmspack/partial_shortheader.cab", "truncated"),
    ("libmspack/partial_str_nopinfo.cab", "truncated"),
    ("libmspack/partial_str_nopname.cab", "truncated"),
    ("libmspack/partial_str_shortpinfo.cab", "truncated"),
    ("libmspack/partial_str_shortpname.cab", "truncated"),
    (
        "libmspack/multi_basic_pt1.cab",
        "next cabinet cabd_multi_basic_pt2.cab not found",
    ),
    (
        "libmspack/multi_basic_pt2.cab",
        "previous cabinet cabd_multi_basic_pt1.cab not found",
    ),
    (
        "libmspack/multi_basic_pt3.cab",
        "previous cabinet cabd_multi_basic_pt2.cab not found",
    ),
    (
        "libmspack/multi_basic_pt4.cab",
        "previous cabinet cabd_multi_basic_pt3.cab not found",
    ),
    (
        "libmspack/multi_basic_pt5.cab",
        "previous cabinet cabd_multi_basic_pt4.cab not found",
    ),
    ("libmspack/search_basic.cab", "bad signature"),
    ("libmspack/search_tricky1.cab", ""),
];

#[test]
fn corpus_cabinets_match_cabextract() {
    let Some(corpus) = corpus() else { return };
    let rows = cabextract_rows(&corpus);
    let mut failures = Vec::new();
    for file in CORPUS_OK {
        let path = corpus.join(file);
        let want = rows
            .get(*file)
            .unwrap_or_else(|| panic!("{file} not in expected.tsv"));
        let mut volumes = DirResolver::new(path.parent().unwrap());
        match extract_path(&path, &mut volumes) {
            Ok(sink) => {
                let got = digests(&sink);
                if &got != want {
                    failures.push(format!("{file}: got {got:?}, cabextract {want:?}"));
                }
            }
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_names_are_decoded() {
    let Some(corpus) = corpus() else { return };
    let names = |file: &str| -> Vec<String> {
        let mut v: Vec<_> = extract_path(&corpus.join(file), &mut NoVolumes)
            .unwrap()
            .files
            .into_iter()
            .map(|(n, _, _)| n)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names("cabextract/cabs/dir.cab"),
        ["1\\2\\3\\4.c", "plain.c"]
    );
    let latin1 = names("cabextract/cabs/encoding-latin1.cab");
    assert_eq!(latin1.len(), 3);
    assert_eq!(
        latin1[0],
        (0xA0u8..=0xBF).map(char::from).collect::<String>()
    );
    assert_eq!(
        names("libmspack/hidden-files.cab"),
        ["normal1.txt", "normal2.txt"]
    );
    let utf8 = names("python-cabarchive/utf8.cab");
    assert_eq!(utf8.len(), 1);
    assert!(!utf8[0].is_ascii(), "{utf8:?}");
}

#[test]
fn corpus_damaged_cabinets_fail_cleanly() {
    let Some(corpus) = corpus() else { return };
    let mut failures = Vec::new();
    for (file, expect) in CORPUS_ERR {
        let path = corpus.join(file);
        let mut volumes = DirResolver::new(path.parent().unwrap());
        match extract_path(&path, &mut volumes) {
            Ok(sink) => failures.push(format!("{file}: accepted, {} members", sink.files.len())),
            Err(e) => {
                let msg = slipway::error::line(&e);
                if !msg.contains(expect) {
                    failures.push(format!("{file}: {msg:?} lacks {expect:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// cve-2014-9556: Quantum:12 data that made libmspack loop forever. Its member is refused
/// before any decoding (it claims 4 GiB); its one block fed to the decoder alone must end
/// at once too, however it ends.
#[test]
fn corpus_quantum_infinite_loop_data_ends() {
    use slipway::formats::cab::quantum::QuantumDecoder;
    let Some(corpus) = corpus() else { return };
    let bytes = fs::read(corpus.join("libmspack/cve-2014-9556-qtm-infinite-loop.cab")).unwrap();
    // The one CFFOLDER (after the 36-byte header): first CFDATA offset, blocks, type.
    let data = u32::from_le_bytes(bytes[36..40].try_into().unwrap()) as usize;
    let type_compress = u16::from_le_bytes([bytes[42], bytes[43]]);
    assert_eq!(type_compress & 0xF, 2);
    let cb_data = usize::from(u16::from_le_bytes([bytes[data + 4], bytes[data + 5]]));
    let cb_uncomp = usize::from(u16::from_le_bytes([bytes[data + 6], bytes[data + 7]]));
    let block = &bytes[data + 8..data + 8 + cb_data];
    let start = std::time::Instant::now();
    let mut dec = QuantumDecoder::new((type_compress >> 8) as u8).unwrap();
    let mut out = Vec::new();
    let result = dec.decode_frame(block, cb_uncomp, &mut out);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    if result.is_ok() {
        assert_eq!(out.len(), cb_uncomp);
    }
}

/// Extracts every cabinet `scan` finds in `path`.
fn scan_and_extract(path: &Path) -> (Vec<Span>, Vec<MemSink>) {
    let bytes = fs::read(path).unwrap();
    let spans = reader::scan(&mut Cursor::new(&bytes), bytes.len() as u64).unwrap();
    let sinks = spans
        .iter()
        .map(|s| {
            let part = bytes[s.offset as usize..(s.offset + s.len) as usize].to_vec();
            extract_bytes(&part).unwrap()
        })
        .collect();
    (spans, sinks)
}

#[test]
fn corpus_scan_finds_embedded_cabinets() {
    let Some(corpus) = corpus() else { return };
    let rows = cabextract_rows(&corpus);

    let (spans, sinks) = scan_and_extract(&corpus.join("libmspack/search_basic.cab"));
    assert_eq!(spans.iter().map(|s| s.offset).collect::<Vec<_>>(), [6, 265]);
    for sink in &sinks {
        assert_eq!(digests(sink), rows["libmspack/search_basic.cab"]);
    }

    let (spans, sinks) = scan_and_extract(&corpus.join("libmspack/search_tricky1.cab"));
    assert_eq!(spans.iter().map(|s| s.offset).collect::<Vec<_>>(), [4]);
    assert_eq!(digests(&sinks[0]), rows["libmspack/search_tricky1.cab"]);

    // Real Microsoft self-extractors: LZX:21 cabinets in a resource and raw in .rsrc.
    for exe in [
        "FinishedGames/dxwebsetup.exe",
        "roomsports/vcredist_x86.exe",
    ] {
        let (spans, sinks) = scan_and_extract(&corpus.join(exe));
        assert_eq!(spans.len(), 1, "{exe}: {spans:?}");
        assert_eq!(digests(&sinks[0]), rows[exe], "{exe}");
    }

    // Nothing in a plain program.
    let (spans, _) = scan_and_extract(&corpus.join("osslsigncode/unsigned.exe"));
    assert!(spans.is_empty());
}

#[test]
fn corpus_every_cabinet_survives_mutation() {
    let Some(corpus) = corpus() else { return };
    let mut rng = Rng::new(0x9E37_79B9);
    for file in CORPUS_OK.iter().chain(CORPUS_ERR.iter().map(|(f, _)| f)) {
        let bytes = fs::read(corpus.join(file)).unwrap();
        if bytes.len() > 64 * 1024 {
            continue;
        }
        for _ in 0..40 {
            let mut m = bytes.clone();
            rng.scribble(&mut m, 4);
            let _ = extract_bytes(&m);
            let mut c = Cursor::new(&m);
            c.rewind().unwrap();
            let _ = reader::scan(&mut c, m.len() as u64).unwrap();
        }
    }
}
