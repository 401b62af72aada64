//! The cabinet reader: round trips through the `cab` crate and gcab, the shared corpus against
//! cabextract's results, cabinet sets, scanning, and damaged input.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use slipway::formats::ReadError as Error;
use slipway::formats::cab::{self as reader, CabError, NoVolumes, Span, Volume, VolumeResolver};
use slipway::formats::{Entry, EntrySink, FormatError};
use slipway::model::{Origin, OriginStep};

use crate::fixtures::{MemSink, MemVolumes};

// ---------------------------------------------------------------- helpers

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn origin() -> Origin {
    Origin::input("test.cab")
}

/// Extracts an in-memory cabinet with no other volumes.
fn extract_bytes(bytes: &[u8]) -> Result<MemSink, Error> {
    let mut sink = MemSink::default();
    reader::extract(
        Box::new(Cursor::new(bytes.to_vec())),
        &origin(),
        &mut NoVolumes,
        &mut sink,
    )?;
    Ok(sink)
}

pub(crate) fn extract_path(
    path: &Path,
    volumes: &mut dyn VolumeResolver,
) -> Result<MemSink, Error> {
    let mut sink = MemSink::default();
    let file = fs::File::open(path).expect("open corpus file");
    reader::extract(
        Box::new(io::BufReader::new(file)),
        &Origin::input(path),
        volumes,
        &mut sink,
    )?;
    Ok(sink)
}

/// The `CabError` inside a format error, if that is what `err` is.
fn cab_error(err: &Error) -> Option<&CabError> {
    match err {
        Error::Format {
            source: FormatError::Cab(e),
            ..
        } => Some(e),
        _ => None,
    }
}

/// Sorted (size, sha256) of what a sink received.
fn digests(sink: &MemSink) -> Vec<(u64, String)> {
    let mut v: Vec<_> = sink
        .files
        .iter()
        .map(|(_, _, b)| (b.len() as u64, sha256_hex(b)))
        .collect();
    v.sort();
    v
}

/// Opens volumes from one directory, names matched case-insensitively.
struct DirResolver {
    dir: PathBuf,
    opened: Vec<String>,
}

impl DirResolver {
    fn new(dir: &Path) -> Self {
        DirResolver {
            dir: dir.to_owned(),
            opened: Vec::new(),
        }
    }
}

impl VolumeResolver for DirResolver {
    fn open(&mut self, name: &str) -> io::Result<Option<Volume>> {
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.eq_ignore_ascii_case(name) {
                self.opened.push(file_name.clone());
                return Ok(Some(Volume {
                    reader: Box::new(fs::File::open(entry.path())?),
                    step: OriginStep::Volume(file_name),
                }));
            }
        }
        Ok(None)
    }
}

/// Deterministic test data: `kind` 0 = incompressible, 1 = text-like, 2 = zeros.
pub(crate) fn data(seed: u64, len: usize, kind: u8) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let words = [
        &b"update "[..],
        b"patch ",
        b"sharepoint ",
        b"cabinet ",
        b"\r\n",
        b"0123 ",
    ];
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        match kind {
            0 => out.push(x as u8),
            1 => out.extend_from_slice(words[(x % words.len() as u64) as usize]),
            _ => out.push(0),
        }
    }
    out.truncate(len);
    out
}

/// One folder to build: its compression and its (name, content) files.
pub(crate) type FolderSpec = (cab::CompressionType, Vec<(String, Vec<u8>)>);

/// Builds a cabinet with the `cab` crate: one folder per entry of `folders`.
pub(crate) fn build_cab(folders: &[FolderSpec]) -> Vec<u8> {
    let mut builder = cab::CabinetBuilder::new();
    for (ctype, files) in folders {
        let folder = builder.add_folder(*ctype);
        for (name, _) in files {
            folder.add_file(name.clone());
        }
    }
    let mut writer = builder.build(Cursor::new(Vec::new())).unwrap();
    let all: Vec<&Vec<u8>> = folders
        .iter()
        .flat_map(|(_, f)| f.iter().map(|(_, d)| d))
        .collect();
    let mut i = 0;
    while let Some(mut w) = writer.next_file().unwrap() {
        w.write_all(all[i]).unwrap();
        i += 1;
    }
    writer.finish().unwrap().into_inner()
}

/// A representative mix: many files, several folders, multi-block and empty files.
fn mixed_folders() -> Vec<FolderSpec> {
    let mut folders = Vec::new();
    for (f, ctype) in [
        cab::CompressionType::MsZip,
        cab::CompressionType::None,
        cab::CompressionType::MsZip,
    ]
    .into_iter()
    .enumerate()
    {
        let mut files = Vec::new();
        for i in 0..40u64 {
            let len = match i % 7 {
                0 => 0,
                1 => 1,
                2 => 32768,
                3 => 100_000 + i as usize * 13,
                4 => 5000,
                5 => 32767,
                _ => 70_001,
            };
            let kind = (i % 3) as u8;
            files.push((
                format!("dir{f}\\sub\\file{i:03}.bin"),
                data(i + 100 * f as u64, len, kind),
            ));
        }
        folders.push((ctype, files));
    }
    folders
}

fn pairs(folders: &[FolderSpec]) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = folders.iter().flat_map(|(_, f)| f.clone()).collect();
    v.sort();
    v
}

// ------------------------------------------------- round trips (cab crate)

#[test]
fn cab_crate_cabinets_round_trip() {
    let folders = mixed_folders();
    let bytes = build_cab(&folders);
    let sink = extract_bytes(&bytes).expect("extract");
    let mut got = sink.pairs();
    got.sort();
    let want = pairs(&folders);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.0, w.0);
        assert!(g.1 == w.1, "{}: bytes differ", g.0);
    }
    // Members come with their origin.
    assert!(sink.files[0].1.starts_with("test.cab › dir"));

    // The cab crate's own reader agrees with ours.
    let mut theirs = cab::Cabinet::new(Cursor::new(bytes.clone())).unwrap();
    for (name, content) in &got {
        let mut buf = Vec::new();
        theirs
            .read_file(name)
            .unwrap()
            .read_to_end(&mut buf)
            .unwrap();
        assert!(&buf == content, "{name}: cab crate disagrees");
    }
}

#[test]
fn single_file_and_single_byte_cabinets() {
    for ctype in [cab::CompressionType::None, cab::CompressionType::MsZip] {
        let folders = vec![(ctype, vec![("a".to_string(), b"x".to_vec())])];
        let sink = extract_bytes(&build_cab(&folders)).unwrap();
        assert_eq!(sink.pairs(), vec![("a".to_string(), b"x".to_vec())]);
        let folders = vec![(ctype, vec![("empty".to_string(), Vec::new())])];
        let sink = extract_bytes(&build_cab(&folders)).unwrap();
        assert_eq!(sink.pairs(), vec![("empty".to_string(), Vec::new())]);
    }
}

#[test]
fn many_small_files() {
    let files: Vec<(String, Vec<u8>)> = (0..3000u64)
        .map(|i| (format!("f\\{i:05}.txt"), data(i, (i % 300) as usize, 1)))
        .collect();
    let folders = vec![(cab::CompressionType::MsZip, files.clone())];
    let sink = extract_bytes(&build_cab(&folders)).unwrap();
    assert_eq!(sink.pairs(), files);
}

/// A sink that reads only the first `n` bytes of every member.
struct PartialSink {
    n: usize,
    got: Vec<(String, Vec<u8>)>,
}

impl EntrySink for PartialSink {
    fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), Error> {
        let mut buf = vec![0; self.n];
        let mut filled = 0;
        while filled < buf.len() {
            let k = data
                .read(&mut buf[filled..])
                .map_err(|e| Error::reading(entry.origin, e))?;
            if k == 0 {
                break;
            }
            filled += k;
        }
        buf.truncate(filled);
        self.got.push((entry.name.to_owned(), buf));
        Ok(())
    }

    fn directory(&mut self, _entry: &Entry<'_>) -> Result<(), Error> {
        Ok(())
    }
}

#[test]
fn members_not_read_to_the_end_are_skipped() {
    let folders = mixed_folders();
    let bytes = build_cab(&folders);
    let mut sink = PartialSink {
        n: 10,
        got: Vec::new(),
    };
    reader::extract(
        Box::new(Cursor::new(bytes)),
        &origin(),
        &mut NoVolumes,
        &mut sink,
    )
    .unwrap();
    let mut got = sink.got;
    got.sort();
    let want: Vec<_> = pairs(&folders)
        .into_iter()
        .map(|(n, d)| (n, d[..d.len().min(10)].to_vec()))
        .collect();
    assert_eq!(got, want);
}

/// The offsets of the CFFILE entries of a single-cabinet `bytes`, with their names.
fn cffile_offsets(bytes: &[u8]) -> Vec<usize> {
    let coff = u32::from_le_bytes(bytes[16..20].try_into().unwrap()) as usize;
    let count = u16::from_le_bytes(bytes[28..30].try_into().unwrap()) as usize;
    let mut at = coff;
    let mut v = Vec::new();
    for _ in 0..count {
        v.push(at);
        let name_end = bytes[at + 16..].iter().position(|&b| b == 0).unwrap();
        at += 16 + name_end + 1;
    }
    v
}

#[test]
fn overlapping_and_duplicate_offsets_restart_the_folder() {
    // Three files in one MSZIP folder; make the third a copy of the first (same offset and
    // size) so that it starts before the decoder's position.
    let a = data(1, 90_000, 1);
    let b = data(2, 50_000, 0);
    let c = data(3, 3, 1);
    let folders = vec![(
        cab::CompressionType::MsZip,
        vec![
            ("a".into(), a.clone()),
            ("b".into(), b.clone()),
            ("c".into(), c),
        ],
    )];
    let mut bytes = build_cab(&folders);
    let at = cffile_offsets(&bytes);
    let (first, third) = (at[0], at[2]);
    let (size_a, off_a) = (
        bytes[first..first + 4].to_vec(),
        bytes[first + 4..first + 8].to_vec(),
    );
    bytes[third..third + 4].copy_from_slice(&size_a);
    bytes[third + 4..third + 8].copy_from_slice(&off_a);
    let sink = extract_bytes(&bytes).unwrap();
    let mut got = sink.pairs();
    got.sort();
    assert_eq!(
        got,
        vec![("a".into(), a.clone()), ("b".into(), b), ("c".into(), a)]
    );
}

/// MSI cabinets list shared files under several names (same folder, offset and size): the
/// copies are served from the first one's bytes, also when the reader did not read the
/// first to its end (then the folder restarts).
#[test]
fn exact_duplicate_members_in_an_lzx_folder() {
    use crate::fixtures::lzx::{BlockKind, LzxFolder, LzxOptions, lzx_cabinet};

    /// Reads only the first 10 bytes of members named "short-*".
    #[derive(Default)]
    struct Picky(Vec<(String, Vec<u8>)>);
    impl EntrySink for Picky {
        fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), Error> {
            let mut buf = Vec::new();
            let limit = if entry.name.starts_with("short-") {
                10
            } else {
                u64::MAX
            };
            data.take(limit)
                .read_to_end(&mut buf)
                .map_err(|e| Error::reading(entry.origin, e))?;
            self.0.push((entry.name.to_owned(), buf));
            Ok(())
        }
        fn directory(&mut self, _entry: &Entry<'_>) -> Result<(), Error> {
            Ok(())
        }
    }

    let a = data(1, 150_000, 1);
    let b = data(2, 70_000, 0);
    let folder = LzxFolder {
        options: LzxOptions::new(16).blocks(&[BlockKind::Verbatim, BlockKind::Aligned], 40_000),
        files: vec![
            ("short-a".into(), a.clone()),
            ("b".into(), b.clone()),
            ("x".into(), vec![7; 10]),
            ("y".into(), vec![8; 10]),
        ],
    };
    let mut bytes = lzx_cabinet(&[folder]);
    let at = cffile_offsets(&bytes);
    // "x" and "y" become copies of "short-a" and "b".
    for (from, to) in [(0, 2), (1, 3)] {
        let field = bytes[at[from]..at[from] + 8].to_vec();
        bytes[at[to]..at[to] + 8].copy_from_slice(&field);
    }
    let mut sink = Picky::default();
    reader::extract(
        Box::new(Cursor::new(bytes)),
        &origin(),
        &mut NoVolumes,
        &mut sink,
    )
    .unwrap();
    sink.0.sort();
    assert_eq!(
        sink.0,
        vec![
            ("b".into(), b.clone()),
            ("short-a".into(), a[..10].to_vec()),
            ("x".into(), a),
            ("y".into(), b),
        ]
    );
}

// ---------------------------------------------------------- damaged input

#[test]
fn bad_checksum_and_corrupt_data_fail_in_the_member() {
    let folders = vec![(
        cab::CompressionType::MsZip,
        vec![("x".to_string(), data(5, 200_000, 1))],
    )];
    let good = build_cab(&folders);
    let data_start = {
        // The first CFDATA block follows the file table.
        let at = *cffile_offsets(&good).last().unwrap();
        at + 16 + 2
    };
    let csum = u32::from_le_bytes(good[data_start..data_start + 4].try_into().unwrap());
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x55;
    let err = extract_bytes(&bad).unwrap_err();
    if csum != 0 {
        assert!(
            matches!(
                cab_error(&err),
                Some(CabError::BadChecksum { .. } | CabError::MsZip { .. })
            ),
            "{err}"
        );
    } else {
        assert!(cab_error(&err).is_some(), "{err}");
    }
    assert!(err.to_string().starts_with("test.cab › x: "), "{err}");

    // Without the checksum, the damage is caught by the decompressor or the size check.
    let mut bad = good.clone();
    bad[data_start..data_start + 4].copy_from_slice(&[0; 4]);
    bad[data_start + 8 + 2..data_start + 8 + 40].fill(0xFF);
    let err = extract_bytes(&bad).unwrap_err();
    assert!(cab_error(&err).is_some(), "{err}");
}

#[test]
fn truncated_data_fails_even_though_the_listing_works() {
    let folders = vec![(
        cab::CompressionType::None,
        vec![
            ("a".to_string(), data(1, 1000, 0)),
            ("b".to_string(), data(2, 70_000, 0)),
        ],
    )];
    let bytes = build_cab(&folders);
    for cut in [bytes.len() - 1, bytes.len() - 40_000, bytes.len() - 69_000] {
        let err = extract_bytes(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(cab_error(&err), Some(CabError::DataTruncated { .. })),
            "cut {cut}: {err}"
        );
    }
}

#[test]
fn every_prefix_and_many_mutations_are_handled_without_panic() {
    let folders = vec![
        (
            cab::CompressionType::MsZip,
            vec![
                ("a".to_string(), data(1, 40_000, 1)),
                ("b".to_string(), Vec::new()),
            ],
        ),
        (
            cab::CompressionType::None,
            vec![("c".to_string(), data(3, 300, 0))],
        ),
    ];
    let bytes = build_cab(&folders);
    for cut in (0..bytes.len()).step_by(97) {
        assert!(
            extract_bytes(&bytes[..cut]).is_err(),
            "prefix {cut} accepted"
        );
    }
    let mut x = 0x1234_5678_u64;
    for _ in 0..400 {
        let mut m = bytes.clone();
        for _ in 0..3 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = (x as usize) % m.len();
            m[at] = (x >> 32) as u8;
        }
        let _ = extract_bytes(&m);
        let _ = reader::scan(&mut Cursor::new(&m), m.len() as u64).unwrap();
    }
}

#[test]
fn quantum_and_unknown_compression_are_refused_clearly() {
    let folders = vec![(
        cab::CompressionType::None,
        vec![("q".to_string(), b"quantum?".to_vec())],
    )];
    let mut bytes = build_cab(&folders);
    // The only CFFOLDER follows the 36-byte header; typeCompress is its last u16.
    bytes[36 + 6..36 + 8].copy_from_slice(&0x0F02_u16.to_le_bytes());
    let err = extract_bytes(&bytes).unwrap_err();
    assert!(
        matches!(
            cab_error(&err),
            Some(CabError::UnsupportedCompression("Quantum"))
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .ends_with("unsupported compression: Quantum")
    );
    bytes[36 + 6..36 + 8].copy_from_slice(&0x0007_u16.to_le_bytes());
    let err = extract_bytes(&bytes).unwrap_err();
    assert!(
        matches!(cab_error(&err), Some(CabError::BadCompressionType { .. })),
        "{err}"
    );
}

// ------------------------------------------------------------- cabinet sets

/// Splits a one-folder uncompressed cabinet's blocks over two hand-made volumes.
#[test]
fn synthetic_set_with_a_split_block() {
    // volume 0: file "a" (6 bytes) complete + file "b" continued to next;
    // volume 1: file "b" continued from prev. Data "hello!" + "world" in one folder; the
    // second block ("world") is split: "wo" in volume 0 (cbUncomp 0), "rld" in volume 1.
    fn volume(
        index: u16,
        flags: u16,
        names: &[u8],
        files: &[(u32, u32, u16, &str)],
        blocks: &[(&[u8], u16)],
    ) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(b"MSCF\0\0\0\0");
        h.extend_from_slice(&[0; 4]); // cbCabinet
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(&[0; 4]); // coffFiles
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(&[3, 1]);
        h.extend_from_slice(&1u16.to_le_bytes());
        h.extend_from_slice(&(files.len() as u16).to_le_bytes());
        h.extend_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(&4242u16.to_le_bytes());
        h.extend_from_slice(&index.to_le_bytes());
        h.extend_from_slice(names);
        let folder_at = h.len();
        h.extend_from_slice(&[0; 4]);
        h.extend_from_slice(&(blocks.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        let files_at = h.len();
        for (size, off, ifold, name) in files {
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&off.to_le_bytes());
            h.extend_from_slice(&ifold.to_le_bytes());
            h.extend_from_slice(&[0; 6]);
            h.extend_from_slice(name.as_bytes());
            h.push(0);
        }
        let data_at = h.len();
        for (d, uncomp) in blocks {
            h.extend_from_slice(&[0; 4]);
            h.extend_from_slice(&(d.len() as u16).to_le_bytes());
            h.extend_from_slice(&uncomp.to_le_bytes());
            h.extend_from_slice(d);
        }
        let len = h.len() as u32;
        h[8..12].copy_from_slice(&len.to_le_bytes());
        h[16..20].copy_from_slice(&(files_at as u32).to_le_bytes());
        h[folder_at..folder_at + 4].copy_from_slice(&(data_at as u32).to_le_bytes());
        h
    }
    let v0 = volume(
        0,
        0x0002,
        b"PART2.CAB\0disk2\0",
        &[(6, 0, 0, "a"), (5, 6, 0xFFFE, "b")],
        &[(b"hello!", 6), (b"wo", 0)],
    );
    let v1 = volume(
        1,
        0x0001,
        b"part1.cab\0disk1\0",
        &[(5, 6, 0xFFFD, "b")],
        &[(b"rld", 5)],
    );
    let mut vols = MemVolumes::default();
    vols.0.insert("part1.cab".into(), v0.clone());
    vols.0.insert("part2.cab".into(), v1.clone());
    let want = vec![
        ("a".to_string(), b"hello!".to_vec()),
        ("b".to_string(), b"world".to_vec()),
    ];
    // From either volume, the whole set comes out once.
    for given in [&v0, &v1] {
        let mut sink = MemSink::default();
        reader::extract(
            Box::new(Cursor::new(given.clone())),
            &origin(),
            &mut vols,
            &mut sink,
        )
        .unwrap();
        assert_eq!(sink.pairs(), want);
    }
    // Given the second volume, members of the first carry its volume step.
    let mut sink = MemSink::default();
    reader::extract(
        Box::new(Cursor::new(v1.clone())),
        &origin(),
        &mut vols,
        &mut sink,
    )
    .unwrap();
    assert_eq!(sink.files[0].1, "test.cab › [volume part1.cab] › a");

    // Missing neighbour: named, with its direction.
    let err = extract_bytes(&v0).unwrap_err();
    assert_eq!(
        cab_error(&err).map(ToString::to_string).as_deref(),
        Some("next cabinet PART2.CAB not found")
    );
    let err = extract_bytes(&v1).unwrap_err();
    assert_eq!(
        cab_error(&err).map(ToString::to_string).as_deref(),
        Some("previous cabinet part1.cab not found")
    );

    // A volume that names itself (same index) is refused, not looped on.
    let mut selfish = MemVolumes::default();
    selfish.0.insert("part2.cab".into(), v0.clone());
    let err = reader::extract(
        Box::new(Cursor::new(v0.clone())),
        &origin(),
        &mut selfish,
        &mut MemSink::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            cab_error(&err),
            Some(CabError::VolumeIndexMismatch { .. } | CabError::VolumeCycle { .. })
        ),
        "{err}"
    );
}

// ----------------------------------------------------------------- gcab

#[test]
fn gcab_cabinets_read_back() {
    if !crate::support::tool("gcab_cabinets_read_back", "gcab") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    let mut want = Vec::new();
    for i in 0..12u64 {
        let len = [0, 1, 40_000, 32_768, 250_000, 7][i as usize % 6];
        let content = data(i, len, (i % 3) as u8);
        let name = format!("f{i:02}.dat");
        fs::write(src.join(&name), &content).unwrap();
        want.push((name, content));
    }
    want.sort();
    for compress in [false, true] {
        let out = dir.path().join(if compress { "z.cab" } else { "n.cab" });
        let mut cmd = Command::new("gcab");
        cmd.current_dir(&src).arg("-c").arg("-n");
        if compress {
            cmd.arg("-z");
        }
        cmd.arg(&out);
        for (n, _) in &want {
            cmd.arg(n);
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "gcab failed");
        let sink = extract_path(&out, &mut NoVolumes).unwrap();
        let mut got = sink.pairs();
        got.sort();
        assert_eq!(got, want, "gcab compress={compress}");
    }
}

// ----------------------------------------------------------------- corpus

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
                let msg = e.to_string();
                if !msg.contains(expect) {
                    failures.push(format!("{file}: {msg:?} lacks {expect:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_quantum_folder_is_refused_after_the_others() {
    let Some(corpus) = corpus() else { return };
    // mszip_lzx_qtm.cab: cabextract extracts all three; we decode MSZIP and LZX and refuse
    // the Quantum folder (a documented deviation).
    let mut sink = MemSink::default();
    let path = corpus.join("libmspack/mszip_lzx_qtm.cab");
    let file = fs::File::open(&path).unwrap();
    let err = reader::extract(
        Box::new(file),
        &Origin::input(&path),
        &mut NoVolumes,
        &mut sink,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("unsupported compression: Quantum"),
        "{err}"
    );
    let rows = cabextract_rows(&corpus);
    let want = &rows["libmspack/mszip_lzx_qtm.cab"];
    for got in digests(&sink) {
        assert!(want.contains(&got), "{got:?} not in cabextract's results");
    }
    assert_eq!(sink.files.len(), 2);
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
    let mut x = 0x9E37_79B9_u64;
    for file in CORPUS_OK.iter().chain(CORPUS_ERR.iter().map(|(f, _)| f)) {
        let bytes = fs::read(corpus.join(file)).unwrap();
        if bytes.len() > 64 * 1024 {
            continue;
        }
        for _ in 0..40 {
            let mut m = bytes.clone();
            for _ in 0..4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if m.is_empty() {
                    break;
                }
                let at = (x as usize) % m.len();
                m[at] = (x >> 40) as u8;
            }
            let _ = extract_bytes(&m);
            let mut c = Cursor::new(&m);
            c.rewind().unwrap();
            let _ = reader::scan(&mut c, m.len() as u64).unwrap();
        }
    }
}

/// Regression (osslsigncode/unsigned.msi's Sample.cab): a folder whose data offset points at
/// the end of the cabinet is fine as long as no member needs its data — an empty file.
#[test]
fn regression_folder_data_past_the_end_with_only_an_empty_file() {
    let mut bytes = build_cab(&[(
        cab::CompressionType::MsZip,
        vec![("FoobarEXE".to_owned(), Vec::new())],
    )]);
    let cb_cabinet = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
    // CFFOLDER follows the 36-byte header (no reserve): coffCabStart u32, cCFData u16.
    bytes[36..40].copy_from_slice(&cb_cabinet.to_le_bytes());
    bytes[40..42].copy_from_slice(&1u16.to_le_bytes());
    let sink = extract_bytes(&bytes).expect("the empty member needs no data");
    assert_eq!(sink.pairs(), vec![("FoobarEXE".to_owned(), Vec::new())]);

    // A member that does need the data still fails, as truncated data.
    let mut bytes = build_cab(&[(
        cab::CompressionType::MsZip,
        vec![("x".to_owned(), b"payload".to_vec())],
    )]);
    let cb_cabinet = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
    bytes[36..40].copy_from_slice(&cb_cabinet.to_le_bytes());
    assert!(extract_bytes(&bytes).is_err());
}
