//! Generates the benchmark cabinets (deterministic): `gen_bench_data DIR`.
//!
//! - `big-mszip.cab`: 40 files, 200 MiB in all, MSZIP, text-like data (compresses ~3:1);
//! - `many-small.cab`: 20,000 files of 0.5–4 KiB, MSZIP.
//!
//! Written with the `cab` crate (flate2 on the zlib-rs backend, which libmspack accepts).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use cab::{CabinetBuilder, CompressionType};

/// Deterministic text-like bytes: words from a small vocabulary, picked by an LCG.
struct Text(u64);

impl Text {
    fn fill(&mut self, out: &mut Vec<u8>, len: usize) {
        const WORDS: [&str; 32] = [
            "sharepoint",
            "patch",
            "cumulative",
            "update",
            "server",
            "farm",
            "x-none",
            "msp",
            "build",
            "12.0.6514.5002",
            "kb953338",
            "wss",
            "moss",
            "global",
            "localized",
            "en-us",
            "de-de",
            "install",
            "slipstream",
            "folder",
            "role",
            "web",
            "front",
            "end",
            "app",
            "central",
            "administration",
            "sequence",
            "family",
            "supersedes",
            "\r\n",
            "\t",
        ];
        while out.len() < len {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let w = WORDS[(self.0 >> 59) as usize];
            out.extend_from_slice(w.as_bytes());
            out.push(if (self.0 >> 20) & 7 == 0 { b'\n' } else { b' ' });
            if (self.0 >> 30) & 63 == 0 {
                // A sprinkle of binary noise, as in real PE/MSP payloads.
                out.extend_from_slice(&self.0.to_le_bytes());
            }
        }
        out.truncate(len);
    }
}

fn write_cab(path: &Path, files: &[(String, usize)], seed: u64) -> std::io::Result<()> {
    let mut builder = CabinetBuilder::new();
    // One folder per ~8 files keeps folders large, as real packages do.
    for chunk in files.chunks(8.max(files.len() / 64)) {
        let folder = builder.add_folder(CompressionType::MsZip);
        for (name, _) in chunk {
            folder.add_file(name.clone());
        }
    }
    let mut writer = builder.build(BufWriter::new(File::create(path)?))?;
    let mut text = Text(seed);
    let mut sizes = files.iter().map(|(_, s)| *s);
    let mut buf = Vec::new();
    while let Some(mut fw) = writer.next_file()? {
        let size = sizes.next().unwrap_or(0);
        buf.clear();
        text.fill(&mut buf, size);
        fw.write_all(&buf)?;
    }
    writer.finish()?.flush()
}

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "bench-data".to_owned());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;

    let big: Vec<(String, usize)> = (0..40)
        .map(|i| (format!("payload\\file{i:02}.bin"), 200 * 1024 * 1024 / 40))
        .collect();
    write_cab(&dir.join("big-mszip.cab"), &big, 1)?;

    let mut lcg = 7u64;
    let small: Vec<(String, usize)> = (0..20_000)
        .map(|i| {
            lcg = lcg.wrapping_mul(6364136223846793005).wrapping_add(1);
            let size = 512 + (lcg >> 52) as usize % 3584;
            (format!("dir{:03}\\file{i:05}.txt", i / 100), size)
        })
        .collect();
    write_cab(&dir.join("many-small.cab"), &small, 2)?;
    Ok(())
}
