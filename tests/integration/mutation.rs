//! Seeded mutation test: damaged copies of every fixture and corpus file never panic, never
//! hang, and never leave output behind when they fail.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use slipway::extract::{self, NoProgress, Options, limits::Limits};

use crate::fixtures::lzx::{BlockKind, LzxFolder, LzxOptions, lzx_cabinet_with};
use crate::fixtures::quantum::{QuantumFolder, QuantumOptions, quantum_cabinet_with};
use crate::fixtures::zip::zip;
use crate::support::{absent_or_empty, corpus};

/// xorshift64*: a tiny deterministic generator, so a failure names a reproducible mutant.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// One mutant of `data`: flipped bytes, a truncation, a duplicated or removed chunk, or a
/// header field set to an extreme value.
fn mutate(data: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut m = data.to_vec();
    if m.is_empty() {
        return vec![rng.next() as u8];
    }
    match rng.below(5) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(m.len());
                m[i] ^= 1 << rng.below(8);
            }
        }
        1 => m.truncate(rng.below(m.len())),
        2 => {
            let at = rng.below(m.len());
            let len = rng.below((m.len() - at).min(512)) + 1;
            let chunk = m[at..at + len].to_vec();
            let to = rng.below(m.len());
            m.splice(to..to, chunk);
        }
        3 => {
            let at = rng.below(m.len());
            let len = rng.below((m.len() - at).min(512)) + 1;
            m.drain(at..at + len);
        }
        _ => {
            // Header fields live early: hit the first 512 bytes with 0x00/0xFF runs.
            let at = rng.below(m.len().min(512));
            let value = if rng.below(2) == 0 { 0x00 } else { 0xFF };
            for b in m.iter_mut().skip(at).take(1 + rng.below(4)) {
                *b = value;
            }
        }
    }
    m
}

fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = vec![
        (
            "fixture.zip".to_owned(),
            zip(&[("a/b.txt", b"hello hello hello"), ("c/", b"")]),
        ),
        (
            "nested.zip".to_owned(),
            zip(&[("in.zip", &zip(&[("x", b"y")]))]),
        ),
    ];
    // LZX cabinets from our encoder, without CFDATA checksums so that damage reaches the
    // decoder: each block type, E8 translation, two folders, files spanning frames.
    for (label, bits, kinds, e8) in [
        ("verbatim", 15u8, &[BlockKind::Verbatim][..], None),
        ("aligned-e8", 17, &[BlockKind::Aligned][..], Some(1_000_000)),
        (
            "mixed",
            21,
            &[
                BlockKind::Uncompressed,
                BlockKind::Verbatim,
                BlockKind::Aligned,
            ][..],
            Some(70_000),
        ),
    ] {
        let mut options = LzxOptions::new(bits).blocks(kinds, 20_000);
        options.e8 = e8;
        let content = |seed: u64, len: usize| crate::cab::data(seed, len, (seed % 3) as u8);
        let folders = [
            LzxFolder {
                options: options.clone(),
                files: vec![
                    ("a.bin".to_owned(), content(1, 40_000)),
                    ("b.txt".to_owned(), content(2, 30_000)),
                ],
            },
            LzxFolder {
                options,
                files: vec![("c.bin".to_owned(), content(3, 5_000))],
            },
        ];
        seeds.push((
            format!("lzx-{label}.cab"),
            lzx_cabinet_with(&folders, false),
        ));
    }
    // Quantum cabinets from our compressor, without checksums: a small window (the decoder's
    // ring wraps within a folder) and the largest, two folders, members spanning frames.
    for bits in [10u8, 21] {
        let content = |seed: u64, len: usize| crate::cab::data(seed, len, (seed % 3) as u8);
        let folders = [
            QuantumFolder {
                options: QuantumOptions::new(bits),
                files: vec![
                    ("a.bin".to_owned(), content(4, 40_000)),
                    ("b.txt".to_owned(), content(5, 30_000)),
                ],
            },
            QuantumFolder {
                options: QuantumOptions::new(bits),
                files: vec![("c.bin".to_owned(), content(6, 5_000))],
            },
        ];
        seeds.push((
            format!("quantum-{bits}.cab"),
            quantum_cabinet_with(&folders, false).0,
        ));
    }
    if let Some(dir) = corpus("mutation_never_panics (corpus part)") {
        let mut files = Vec::new();
        collect(&dir, &mut files);
        files.sort();
        for f in files {
            let name = f.strip_prefix(&dir).unwrap().display().to_string();
            if name.ends_with(".md") || name.ends_with(".tsv") || name.ends_with(".txt") {
                continue;
            }
            seeds.push((name, std::fs::read(&f).unwrap()));
        }
    }
    seeds
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn mutation_never_panics_and_failures_leave_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = Options {
        recursive: true,
        limits: Limits {
            max_total_bytes: 256 << 20,
            max_entry_bytes: 256 << 20,
            ..Limits::default()
        },
        force: false,
        ..Options::default()
    };
    static NEVER: AtomicBool = AtomicBool::new(false);
    let mut rng = Rng(0x0005_EED0_F511_F3A7);
    let mut runs = 0;
    for (name, data) in seeds() {
        // Big real packages get fewer mutants so the test stays quick.
        let count = if data.len() > 1 << 20 { 6 } else { 40 };
        for k in 0..count {
            let mutant = mutate(&data, &mut rng);
            let input = tmp.path().join(format!("m{runs}.bin"));
            std::fs::write(&input, &mutant).unwrap();
            let out = tmp.path().join(format!("o{runs}"));
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                extract::run(
                    std::slice::from_ref(&input),
                    &out,
                    &opts,
                    &NoProgress,
                    &NEVER,
                )
            }));
            let report = match result {
                Ok(r) => r,
                Err(_) => panic!(
                    "panic on mutant {k} of {name} (kept at {})",
                    input.display()
                ),
            };
            if let Ok(report) = report
                && !report.committed
            {
                assert!(
                    absent_or_empty(&out),
                    "mutant {k} of {name} failed but left output"
                );
            }
            let _ = std::fs::remove_dir_all(&out);
            let _ = std::fs::remove_file(&input);
            runs += 1;
        }
    }
    eprintln!("mutation: {runs} mutants, no panic");
}
