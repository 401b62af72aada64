//! The cabinet reader: round trips through the `cab` crate and gcab, the shared corpus against
//! cabextract's results, cabinet sets, scanning, and damaged input.

use std::fs;
use std::io::{self, Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};
use slipway::formats::ReadError as Error;
use slipway::formats::cab::{self as reader, CabError, NoVolumes, Volume, VolumeResolver};
use slipway::formats::{Entry, EntrySink, FormatError};
use slipway::model::{Origin, OriginStep};

use crate::fixtures::rng::Rng;
use crate::fixtures::{MemSink, MemVolumes};

// ---------------------------------------------------------------- helpers

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub(crate) fn origin() -> Origin {
    Origin::input("test.cab")
}

/// Extracts an in-memory cabinet with no other volumes.
pub(crate) fn extract_bytes(bytes: &[u8]) -> Result<MemSink, Error> {
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
pub(crate) fn cab_error(err: &Error) -> Option<&CabError> {
    match err {
        Error::Format {
            source: FormatError::Cab(e),
            ..
        } => Some(e),
        _ => None,
    }
}

/// Sorted (size, sha256) of what a sink received.
pub(crate) fn digests(sink: &MemSink) -> Vec<(u64, String)> {
    let mut v: Vec<_> = sink
        .files
        .iter()
        .map(|(_, _, b)| (b.len() as u64, sha256_hex(b)))
        .collect();
    v.sort();
    v
}

/// Opens volumes from one directory, names matched case-insensitively.
pub(crate) struct DirResolver {
    dir: PathBuf,
    opened: Vec<String>,
}

impl DirResolver {
    pub(crate) fn new(dir: &Path) -> Self {
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
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
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
        let x = rng.next_u64();
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
pub(crate) fn cffile_offsets(bytes: &[u8]) -> Vec<usize> {
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
    assert!(
        slipway::error::line(&err).starts_with("test.cab › x: "),
        "{err}"
    );

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
    let mut rng = Rng::new(0x1234_5678);
    for _ in 0..400 {
        let mut m = bytes.clone();
        rng.scribble(&mut m, 3);
        let _ = extract_bytes(&m);
        let _ = reader::scan(&mut Cursor::new(&m), m.len() as u64).unwrap();
    }
}

/// MS-CAB defines compression types 0 to 3; any other is refused as unsupported (a format
/// slipway does not know), never as damage.
#[test]
fn unknown_compression_types_are_unsupported_not_damaged() {
    let folders = vec![(
        cab::CompressionType::None,
        vec![("q".to_string(), b"unknown".to_vec())],
    )];
    let mut bytes = build_cab(&folders);
    for t in 4u16..=15 {
        // The only CFFOLDER follows the 36-byte header; typeCompress is its last u16.
        bytes[36 + 6..36 + 8].copy_from_slice(&(t | 0x1500).to_le_bytes());
        let err = extract_bytes(&bytes).unwrap_err();
        assert!(
            matches!(
                cab_error(&err),
                Some(CabError::UnsupportedCompression { type_compress }) if type_compress & 0xF == t
            ),
            "{err}"
        );
        assert!(
            slipway::error::line(&err).contains(&format!("unsupported compression type {t} ")),
            "{err}"
        );
        let slipway::formats::ReadError::Format { source, .. } = &err else {
            panic!("{err}");
        };
        assert!(source.is_unsupported(), "{err}");
    }
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
