//! Decoding on a thread of its own (`extract --threads` above 1) against decoding on the
//! reading thread: the same members, bytes, origins and errors, for intact, damaged, cut and
//! scribbled cabinets of every compression, with restarts, duplicates and several folders.

use std::io::Cursor;

use slipway::formats::cab::{self as reader, NoVolumes};

use crate::cab::{FolderSpec, build_cab, cffile_offsets, data, origin};
use crate::fixtures::MemSink;
use crate::fixtures::lzx::{BlockKind, LzxFolder, LzxOptions, lzx_cabinet, lzx_cabinet_with};
use crate::fixtures::rng::Rng;

/// Every member (name, origin, bytes), or the error line.
type Members = Result<Vec<(String, String, Vec<u8>)>, String>;

/// What one extraction gave, and how many members came as repeats.
fn outcome(bytes: &[u8], ahead: bool) -> (Members, usize) {
    let mut sink = MemSink {
        ahead,
        ..MemSink::default()
    };
    let r = reader::extract(
        Box::new(Cursor::new(bytes.to_vec())),
        &origin(),
        &mut NoVolumes,
        &mut sink,
    );
    let again = sink.again;
    (
        r.map(|()| sink.files).map_err(|e| slipway::error::line(&e)),
        again,
    )
}

fn same_both_ways(bytes: &[u8], what: &str) -> bool {
    let (here, again_here) = outcome(bytes, false);
    let (ahead, again_ahead) = outcome(bytes, true);
    assert_eq!(here, ahead, "{what}: decoding ahead changed the outcome");
    assert_eq!(again_here, again_ahead, "{what}");
    here.is_ok()
}

/// Cabinets of every kind the reader decodes: MSZIP and stored folders side by side, LZX
/// folders of several blocks (with and without checksums), exact duplicates (served again)
/// and a member that starts before the decoder's position (the folder restarts).
fn cabinets() -> Vec<(&'static str, Vec<u8>)> {
    let mszip_and_stored: Vec<FolderSpec> = vec![
        (
            cab::CompressionType::MsZip,
            vec![
                ("a".into(), data(1, 90_000, 1)),
                ("b".into(), data(2, 50_000, 0)),
                ("c".into(), data(3, 3, 1)),
            ],
        ),
        (
            cab::CompressionType::None,
            vec![("d".into(), data(4, 70_001, 0)), ("e".into(), Vec::new())],
        ),
        (
            cab::CompressionType::MsZip,
            vec![("f".into(), data(5, 200_000, 2))],
        ),
    ];
    let mixed = build_cab(&mszip_and_stored);
    // The third member (3 bytes) moves to offset 40,000, inside the first: read after it, it
    // starts before the decoder's position and the folder restarts.
    let mut restart = mixed.clone();
    let at = cffile_offsets(&restart);
    restart[at[2] + 4..at[2] + 8].copy_from_slice(&40_000u32.to_le_bytes());

    let lzx_folders = || {
        vec![
            LzxFolder {
                options: LzxOptions::new(16)
                    .blocks(&[BlockKind::Verbatim, BlockKind::Aligned], 40_000),
                files: vec![
                    ("l1".into(), data(6, 150_000, 1)),
                    ("l2".into(), data(7, 70_000, 0)),
                    ("l3".into(), vec![7; 10]),
                ],
            },
            LzxFolder {
                options: LzxOptions::new(17).blocks(&[BlockKind::Uncompressed], 50_000),
                files: vec![("l4".into(), data(8, 120_000, 1))],
            },
        ]
    };
    let lzx = lzx_cabinet(&lzx_folders());
    let lzx_unchecked = lzx_cabinet_with(&lzx_folders(), false);
    // "l3" becomes an exact duplicate of "l1" (same offset and size): served again.
    let mut duplicate = lzx.clone();
    let at = cffile_offsets(&duplicate);
    let field = duplicate[at[0]..at[0] + 8].to_vec();
    duplicate[at[2]..at[2] + 8].copy_from_slice(&field);
    vec![
        ("mszip and stored", mixed),
        ("restart", restart),
        ("lzx", lzx),
        ("lzx without checksums", lzx_unchecked),
        ("lzx duplicate", duplicate),
    ]
}

#[test]
fn decoding_ahead_gives_the_same_members_and_errors_as_one_thread() {
    let mut rng = Rng::new(0x00A4_EAD0);
    let mut failed = 0;
    for (name, bytes) in cabinets() {
        assert!(same_both_ways(&bytes, name), "{name} is intact");
        for cut in (0..bytes.len()).step_by(bytes.len() / 60 + 1) {
            failed += usize::from(!same_both_ways(
                &bytes[..cut],
                &format!("{name} cut at {cut}"),
            ));
        }
        for round in 0..150 {
            let mut m = bytes.clone();
            rng.scribble(&mut m, 1 + round % 4);
            failed += usize::from(!same_both_ways(&m, &format!("{name} scribbled ({round})")));
        }
    }
    // The damaged variants did fail (so errors, not only members, were compared).
    assert!(failed > 500, "only {failed} damaged variants failed");
}

/// A cabinet that lists one member under two names (same folder, offset and size) hands the
/// second over as a repeat of the first, with or without the decoding thread.
#[test]
fn a_repeated_member_is_handed_over_as_a_repeat() {
    let (name, bytes) = cabinets().swap_remove(4);
    for ahead in [false, true] {
        let (files, again) = outcome(&bytes, ahead);
        let files = files.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again, 1, "{name}");
        let l1 = files.iter().find(|f| f.0 == "l1").map(|f| &f.2);
        let l3 = files.iter().find(|f| f.0 == "l3").map(|f| &f.2);
        assert_eq!(l1, l3);
    }
}
