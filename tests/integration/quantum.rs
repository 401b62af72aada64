//! Quantum (issue 20, point 1): cabinets of our fixture compressor for every window size read
//! back identical through our reader, cabextract and 7-Zip; the corpus's Quantum folder;
//! streams the decoders must refuse; and compression types slipway does not know, which are
//! "unsupported", never "damaged", in every command.

use std::fs;
use std::path::Path;
use std::process::Command;

use slipway::formats::cab::NoVolumes;
use slipway::formats::cab::quantum::{FRAME_MAX, QuantumDecoder, QuantumError};

use crate::cab::{build_cab, digests, extract_bytes, extract_path};
use crate::fixtures::quantum::{
    QuantumFolder, QuantumOptions, cabinet, compress, quantum_cabinet, type_compress,
};
use crate::support::{self, code, json, slipway};

type Files = Vec<(String, Vec<u8>)>;

/// Deterministic content of `kind`: 0 text-like with long repeats, 1 binary noise with
/// short repeats, 2 runs and a repeated 3–4 byte pattern (short matches).
fn content(seed: u64, len: usize, kind: u8) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::with_capacity(len);
    const WORDS: [&[u8]; 8] = [
        b"quantum ",
        b"cabinet ",
        b"folder ",
        b"frame ",
        b"msxml3.dll ",
        b"\r\n",
        b"0x1222 ",
        b"window ",
    ];
    while out.len() < len {
        let r = next();
        match kind {
            0 => {
                if r % 11 == 0 && out.len() > 300 {
                    // A long repeat from far back (up to the whole window).
                    let back = 1 + (r >> 8) as usize % out.len();
                    let n = 5 + (r >> 40) as usize % 300;
                    for _ in 0..n {
                        out.push(out[out.len() - back]);
                    }
                } else {
                    out.extend_from_slice(WORDS[(r >> 20) as usize % 8]);
                }
            }
            1 => {
                if r % 5 == 0 && out.len() > 16 {
                    let back = 1 + (r >> 8) as usize % out.len().min(5000);
                    for _ in 0..3 + (r >> 30) as usize % 2 {
                        out.push(out[out.len() - back]);
                    }
                } else {
                    out.extend_from_slice(&r.to_le_bytes()[..4]);
                }
            }
            _ => {
                if r % 3 == 0 {
                    out.extend(std::iter::repeat_n(
                        (r >> 8) as u8,
                        1 + (r >> 16) as usize % 600,
                    ));
                } else {
                    out.extend_from_slice(&[(r >> 24) as u8, b'.', (r >> 32) as u8]);
                }
            }
        }
    }
    out.truncate(len);
    out
}

fn cabextract(cab: &Path, out: &Path) -> Option<Files> {
    let status = Command::new("cabextract")
        .arg("-q")
        .arg("-d")
        .arg(out)
        .arg(cab)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    status.success().then(|| read_tree(out))
}

fn sevenzip(cab: &Path, out: &Path) -> Option<Files> {
    let status = Command::new("7zz")
        .arg("x")
        .arg("-y")
        .arg(format!("-o{}", out.display()))
        .arg(cab)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    status.success().then(|| read_tree(out))
}

fn read_tree(dir: &Path) -> Files {
    let mut got: Files = support::files_below(dir)
        .into_iter()
        .map(|rel| {
            let bytes = fs::read(dir.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect();
    got.sort();
    got
}

fn ours(cab: &Path) -> Files {
    let sink =
        extract_path(cab, &mut NoVolumes).unwrap_or_else(|e| panic!("{}: {e}", cab.display()));
    let mut got = sink.pairs();
    got.sort();
    got
}

/// Compares two extractions without printing megabytes on failure.
fn same(label: &str, tool: &str, got: &Files, want: &Files) {
    assert_eq!(got.len(), want.len(), "{label}: {tool}: member count");
    for (g, w) in got.iter().zip(want) {
        assert!(
            g == w,
            "{label}: {tool} differs on {} ({} vs {} bytes)",
            w.0,
            g.1.len(),
            w.1.len()
        );
    }
}

/// Issue 20, point 1: Quantum cabinets are decoded, byte for byte as cabextract and 7-Zip
/// decode them, for every window size; the corpus's Quantum folder too.
#[test]
fn quantum_cabinets_are_decoded() {
    let tools = support::tool("quantum_cabinets_are_decoded", "cabextract")
        & support::tool("quantum_cabinets_are_decoded", "7zz");
    let tmp = tempfile::tempdir().unwrap();
    for bits in 10u8..=21 {
        let window = 1usize << bits;
        // Two folders: the first with all three kinds of content and more than one window's
        // worth for small windows (matches reaching across the window's wrap); members
        // spanning frames, an empty member, a member of one byte; and, for large windows,
        // a member that repeats the noise from 3/4 of a window back after a cheap filler.
        let seed = u64::from(bits);
        let noise = content(seed + 100, 40_000, 1);
        let mut far = vec![b'-'; (3 * window / 4).saturating_sub(90_001)];
        far.extend_from_slice(&noise[..2000]);
        let first: Files = vec![
            ("text.txt".to_owned(), content(seed, 70_000, 0)),
            ("noise.bin".to_owned(), noise),
            ("empty".to_owned(), Vec::new()),
            ("runs.dat".to_owned(), content(seed + 200, 50_000, 2)),
            ("one".to_owned(), vec![b'!']),
            ("far.bin".to_owned(), far),
        ];
        let second: Files = vec![("again.txt".to_owned(), content(seed + 300, 33_000, 0))];
        let folders = [
            QuantumFolder {
                options: QuantumOptions::new(bits),
                files: first,
            },
            QuantumFolder {
                options: QuantumOptions::new(bits),
                files: second,
            },
        ];
        let (bytes, stats) = quantum_cabinet(&folders);
        let label = format!("quantum:{bits}");
        // The compressor exercised what the test is about.
        let s = &stats[0];
        assert!(
            s.literals > 1000 && s.matches.iter().all(|&m| m > 50),
            "{label}: {s:?}"
        );
        assert_eq!(s.longest, 259, "{label}: {s:?}");
        assert!(s.farthest > window / 2, "{label}: {s:?}");
        assert!(s.resorts > 5, "{label}: {s:?}");
        if window < FRAME_MAX {
            assert!(s.wrapped > 10, "{label}: {s:?}");
        }
        let path = tmp.path().join(format!("q{bits}.cab"));
        fs::write(&path, &bytes).unwrap();
        let mut want: Files = folders.iter().flat_map(|f| f.files.clone()).collect();
        want.sort();
        same(&label, "slipway", &ours(&path), &want);
        if tools {
            let got = cabextract(&path, &tmp.path().join(format!("c{bits}")))
                .unwrap_or_else(|| panic!("{label}: cabextract failed"));
            same(&label, "cabextract", &got, &want);
            let got = sevenzip(&path, &tmp.path().join(format!("z{bits}")))
                .unwrap_or_else(|| panic!("{label}: 7zz failed"));
            same(&label, "7zz", &got, &want);
        }
    }

    // The corpus's cabinet with an MSZIP, an LZX and a Quantum folder: all three members as
    // cabextract extracts them.
    let Some(corpus) = support::corpus("quantum_cabinets_are_decoded (corpus part)") else {
        return;
    };
    let file = "libmspack/mszip_lzx_qtm.cab";
    let sink = extract_path(&corpus.join(file), &mut NoVolumes).unwrap();
    let text = fs::read_to_string(corpus.join("expected.tsv")).unwrap();
    let mut want: Vec<(u64, String)> = text
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c.len() >= 8 && c[0] == file && c[1] == "cabextract" && !c[6].is_empty())
        .map(|c| (c[6].parse().unwrap(), c[7].to_owned()))
        .collect();
    want.sort();
    assert_eq!(want.len(), 3);
    assert_eq!(digests(&sink), want);
}

/// Frames through the decoder alone.
fn decode_all(bits: u8, frames: &[(Vec<u8>, usize)]) -> Result<Vec<u8>, QuantumError> {
    let mut d = QuantumDecoder::new(bits).unwrap();
    let mut all = Vec::new();
    let mut out = Vec::new();
    for (input, len) in frames {
        d.decode_frame(input, *len, &mut out)?;
        all.extend_from_slice(&out);
    }
    Ok(all)
}

/// Zero bytes after a frame's code (libmspack: "0 to 4 trailing null bytes") are padding.
/// A 0xFF byte there is where libmspack would start the next frame: refused when a frame
/// follows (cabextract's output would differ), harmless after the last one.
#[test]
fn quantum_frame_padding() {
    let data = content(7, 3 * FRAME_MAX + 500, 0);
    for pad in 0..=4 {
        let mut o = QuantumOptions::new(16);
        o.zero_padding = pad;
        let (frames, _) = compress(&data, &o);
        assert_eq!(decode_all(16, &frames).unwrap(), data, "{pad} zero bytes");
    }
    let mut o = QuantumOptions::new(16);
    o.ff_padding = true;
    let (frames, _) = compress(&data, &o);
    assert_eq!(decode_all(16, &frames), Err(QuantumError::FrameMisaligned));
    // A folder of one full frame: nothing follows the padding.
    let one = &data[..FRAME_MAX];
    let (frames, _) = compress(one, &o);
    assert_eq!(decode_all(16, &frames).unwrap(), one);

    if !support::tool("quantum_frame_padding", "cabextract") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (label, input, pad, ff, agrees) in [
        ("zero-padded", &data[..], 4, false, true),
        ("ff-padded", &data[..], 0, true, false),
        ("ff-padded-last", one, 0, true, true),
    ] {
        let mut o = QuantumOptions::new(16);
        o.zero_padding = pad;
        o.ff_padding = ff;
        let (frames, _) = compress(input, &o);
        let files = vec![vec![("f".to_owned(), input.to_vec())]];
        let path = tmp.path().join(format!("{label}.cab"));
        fs::write(
            &path,
            cabinet(&[type_compress(16)], &[frames], &files, true),
        )
        .unwrap();
        let theirs = cabextract(&path, &tmp.path().join(label));
        let want = vec![("f".to_owned(), input.to_vec())];
        assert_eq!(
            theirs.as_ref() == Some(&want),
            agrees,
            "{label}: cabextract"
        );
        match extract_path(&path, &mut NoVolumes) {
            Ok(sink) => {
                assert!(agrees, "{label}: accepted what cabextract reads otherwise");
                assert_eq!(sink.pairs(), want, "{label}");
            }
            Err(e) => assert!(!agrees, "{label}: {e}"),
        }
    }
}

/// Streams no valid compressor writes are refused, never decoded into made-up bytes: a match
/// before the first byte (libmspack copies whatever its fresh window holds), a match past the
/// folder's last byte, a block cut short, a frame after a short one.
#[test]
fn quantum_invalid_streams_are_refused() {
    let data = content(9, 2 * FRAME_MAX + 1000, 0);
    let mut o = QuantumOptions::new(21);
    o.leading_bogus_match = true;
    let (frames, _) = compress(&data, &o);
    assert!(matches!(
        decode_all(21, &frames),
        Err(QuantumError::MatchBeforeStart {
            position: 0,
            offset: 1
        })
    ));

    // Repeats at the very end, so that the last token is a match.
    let mut tail = content(10, 5000, 1);
    let repeat = tail[..300].to_vec();
    tail.extend_from_slice(&repeat);
    let mut o = QuantumOptions::new(18);
    o.overlong_last_match = 7;
    let (frames, _) = compress(&tail, &o);
    assert!(
        matches!(
            decode_all(18, &frames),
            Err(QuantumError::OutputOverrun { .. })
        ),
        "{:?}",
        decode_all(18, &frames)
    );

    let (mut frames, _) = compress(&data, &QuantumOptions::new(19));
    assert_eq!(decode_all(19, &frames).unwrap(), data);
    let cut = frames[1].0.len() - 3;
    frames[1].0.truncate(cut);
    assert_eq!(decode_all(19, &frames), Err(QuantumError::Truncated));

    let (frames, _) = compress(&data[..1000], &QuantumOptions::new(19));
    let mut d = QuantumDecoder::new(19).unwrap();
    let mut out = Vec::new();
    d.decode_frame(&frames[0].0, 1000, &mut out).unwrap();
    assert_eq!(out, &data[..1000]);
    assert_eq!(
        d.decode_frame(&frames[0].0, 1000, &mut out),
        Err(QuantumError::FrameAfterShortFrame)
    );
    // A reset starts the folder again.
    d.reset();
    d.decode_frame(&frames[0].0, 1000, &mut out).unwrap();
    assert_eq!(out, &data[..1000]);
}

/// Until a format is supported, "unsupported" is never "damaged": a cabinet folder of a
/// compression type MS-CAB does not define (4 to 15) gives the `unsupported-format` finding
/// (inspect, verify, build) and error code (extract), never `damaged` / `format-error` and
/// never "download it again".
#[test]
fn unsupported_compression_is_not_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let folders = vec![(
        cab::CompressionType::MsZip,
        vec![("payload.bin".to_string(), content(1, 5000, 0))],
    )];
    let mut bytes = build_cab(&folders);
    // The only CFFOLDER follows the 36-byte header; typeCompress is its last u16.
    bytes[36 + 6..36 + 8].copy_from_slice(&0x0004_u16.to_le_bytes());
    assert!(extract_bytes(&bytes).is_err());
    let path = tmp.path().join("future-kb123456-fullfile-x64-glb.cab");
    fs::write(&path, &bytes).unwrap();

    for command in ["inspect", "verify"] {
        let out = slipway([command.as_ref(), "--json".as_ref(), path.as_os_str()]);
        let doc = json(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            code(&out),
            1,
            "{command}: content that cannot be checked fails: {stderr}"
        );
        let findings = doc["findings"].as_array().unwrap();
        let codes: Vec<&str> = findings
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert!(
            codes.contains(&"unsupported-format"),
            "{command}: {codes:?}"
        );
        assert!(!codes.contains(&"damaged"), "{command}: {codes:?}");
        let f = findings
            .iter()
            .find(|f| f["code"] == "unsupported-format")
            .unwrap();
        assert_eq!(f["severity"], "error", "{command}");
        let message = f["message"].as_str().unwrap();
        assert!(
            message.contains("unsupported compression type 4"),
            "{command}: {message}"
        );
        assert!(
            message.contains("not known to be damaged"),
            "{command}: {message}"
        );
        assert!(!message.starts_with("damaged"), "{command}: {message}");
        assert!(
            !stderr.contains("download the package again"),
            "{command}: {stderr}"
        );
    }

    // build: the finding stops it (exit 1, nothing written), as damage does, but says why.
    let downloads = tmp.path().join("downloads");
    fs::create_dir(&downloads).unwrap();
    fs::copy(&path, downloads.join("wss-kb975002-fullfile-x86-glb.cab")).unwrap();
    let built = tmp.path().join("built");
    let out = slipway([
        "build".as_ref(),
        downloads.as_os_str(),
        "-o".as_ref(),
        built.as_os_str(),
        "--product".as_ref(),
        "sharepoint-2007".as_ref(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 1, "{stderr}");
    assert!(stderr.contains("[unsupported-format]"), "{stderr}");
    assert!(!stderr.contains("[damaged]"), "{stderr}");
    assert!(support::absent_or_empty(&built));

    let out_dir = tmp.path().join("out");
    let out = slipway([
        "extract".as_ref(),
        "--json".as_ref(),
        path.as_os_str(),
        "-o".as_ref(),
        out_dir.as_os_str(),
    ]);
    let doc = json(&out);
    assert_eq!(code(&out), 2);
    assert_eq!(
        doc["inputs"][0]["error"]["code"], "unsupported-format",
        "{doc:#}"
    );
    assert!(support::absent_or_empty(&out_dir));

    // The same cabinet with a damaged block (and MSZIP restored) is still damage.
    bytes[36 + 6..36 + 8].copy_from_slice(&0x0001_u16.to_le_bytes());
    let n = bytes.len();
    bytes[n - 20] ^= 0x55;
    fs::write(&path, &bytes).unwrap();
    let out = slipway(["inspect".as_ref(), "--json".as_ref(), path.as_os_str()]);
    let codes: Vec<String> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["damaged"]);
}

/// A member that overlaps the one before it (it starts before the decoder's position) makes
/// the reader restart the folder from its first block: the decoder's window and models start
/// afresh.
#[test]
fn quantum_folder_restarts_from_its_first_block() {
    let a = content(21, 90_000, 0);
    let b = content(22, 40_000, 1);
    let folders = [QuantumFolder {
        options: QuantumOptions::new(15),
        files: vec![("a.bin".to_owned(), a.clone()), ("b.bin".to_owned(), b)],
    }];
    let (mut bytes, _) = quantum_cabinet(&folders);
    // The second CFFILE entry (after the header, the one CFFOLDER and the first entry of 16
    // bytes and "a.bin\0"): 10,000 bytes from offset 40,000, inside a.bin, in the second
    // frame.
    let entry = 36 + 8 + 16 + 6;
    bytes[entry..entry + 4].copy_from_slice(&10_000u32.to_le_bytes());
    bytes[entry + 4..entry + 8].copy_from_slice(&40_000u32.to_le_bytes());
    let sink = extract_bytes(&bytes).unwrap();
    let got = sink.pairs();
    assert_eq!(got.len(), 2);
    assert!(got[0] == ("a.bin".to_owned(), a.clone()));
    assert!(got[1] == ("b.bin".to_owned(), a[40_000..50_000].to_vec()));
}
