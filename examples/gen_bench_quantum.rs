//! Generates the Quantum benchmark cabinet (deterministic): `gen_bench_quantum DIR` writes
//! `big-quantum.cab`: 48 members, 150 MiB in all, Quantum with a 2 MiB window (2^21), in
//! four folders; two members of text-like data for each member of incompressible bytes.
//! Written with the test fixtures' Quantum compressor (tests/fixtures/quantum.rs).

use std::path::Path;

#[path = "../tests/fixtures/quantum.rs"]
#[allow(dead_code)]
mod quantum;

/// Deterministic text-like bytes: words from a small vocabulary, picked by an LCG, with a
/// sprinkle of binary noise (as in real PE/MSI payloads).
fn text(seed: &mut u64, out: &mut Vec<u8>, len: usize) {
    const WORDS: [&str; 24] = [
        "msxml",
        "quantum",
        "cabinet",
        "folder",
        "update",
        "server",
        "x-none",
        "msi",
        "build",
        "6.10.1129.0",
        "kb927977",
        "core",
        "services",
        "global",
        "install",
        "en-us",
        "de-de",
        "sequence",
        "component",
        "registry",
        "\r\n",
        "\t",
        "DllRegisterServer",
        "xmlns",
    ];
    while out.len() < len {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        out.extend_from_slice(WORDS[(*seed >> 59) as usize % WORDS.len()].as_bytes());
        out.push(if (*seed >> 20) & 7 == 0 { b'\n' } else { b' ' });
        if (*seed >> 30) & 63 == 0 {
            out.extend_from_slice(&seed.to_le_bytes());
        }
    }
    out.truncate(len);
}

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "bench-data".to_owned());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    let mut seed = 5u64;
    let mut noise = 0x2545_F491_4F6C_DD1Du64;
    let mut folders = Vec::new();
    for f in 0..4 {
        let mut files = Vec::new();
        for i in 0..12 {
            let len = 150 * 1024 * 1024 / 48;
            let mut buf = Vec::with_capacity(len);
            if i % 3 == 2 {
                while buf.len() < len {
                    noise ^= noise << 13;
                    noise ^= noise >> 7;
                    noise ^= noise << 17;
                    buf.extend_from_slice(&noise.to_le_bytes());
                }
                buf.truncate(len);
            } else {
                text(&mut seed, &mut buf, len);
            }
            files.push((format!("payload\\f{f}\\file{i:02}.bin"), buf));
        }
        folders.push(quantum::QuantumFolder {
            options: quantum::QuantumOptions::new(21),
            files,
        });
    }
    let (cab, _) = quantum::quantum_cabinet(&folders);
    std::fs::write(dir.join("big-quantum.cab"), cab)
}
