//! Generates the benchmark cabinets (deterministic): `gen_bench_data DIR`, or one of
//! `gen_bench_data DIR --lzx [MIB]` / `--stored [MIB]` alone.
//!
//! - `big-mszip.cab`: 40 files, 200 MiB in all, MSZIP, text-like data (compresses ~3:1);
//! - `many-small.cab`: 20,000 files of 0.5–4 KiB, MSZIP;
//! - `big-lzx.cab` (`--lzx`): 48 files, 210 MiB in all, LZX:21 with E8 translation, in four
//!   folders; two files of text-like data for each file of incompressible bytes. With a size,
//!   `lzx-<MIB>.cab` of that many MiB, made the same way (the linear-cost series);
//! - `big-stored.cab` (`--stored`): the files of `big-mszip.cab`, uncompressed; with a size,
//!   `stored-<MIB>.cab`.
//!
//! The MSZIP cabinets are written with the `cab` crate (flate2 on the zlib-rs backend, which
//! libmspack accepts); the LZX one with the test fixtures' LZX compressor.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use cab::{CabinetBuilder, CompressionType};

#[path = "../tests/fixtures/lzx.rs"]
#[allow(dead_code)]
mod lzx;

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

fn write_cab(
    path: &Path,
    files: &[(String, usize)],
    seed: u64,
    compression: CompressionType,
) -> std::io::Result<()> {
    let mut builder = CabinetBuilder::new();
    // One folder per ~8 files keeps folders large, as real packages do.
    for chunk in files.chunks(8.max(files.len() / 64)) {
        let folder = builder.add_folder(compression);
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

/// `big-lzx.cab`: mixed compressible and incompressible members, LZX:21, E8 on; `total`
/// bytes in 48 members of four folders.
fn write_lzx(path: &Path, total: usize) -> std::io::Result<()> {
    let mut text = Text(3);
    let mut noise = 0x2545_F491_4F6C_DD1Du64;
    let mut folders = Vec::new();
    for f in 0..4 {
        let mut files = Vec::new();
        for i in 0..12 {
            let len = total / 48;
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
                text.fill(&mut buf, len);
            }
            files.push((format!("payload\\f{f}\\file{i:02}.bin"), buf));
        }
        folders.push(lzx::LzxFolder {
            options: lzx::LzxOptions::new(21).e8(12_000_000).blocks(
                &[lzx::BlockKind::Verbatim, lzx::BlockKind::Aligned],
                4 * lzx::FRAME,
            ),
            files,
        });
    }
    std::fs::write(path, lzx::lzx_cabinet(&folders))
}

fn main() -> std::io::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "bench-data".to_owned());
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    let mib = std::env::args()
        .nth(3)
        .map(|m| m.parse::<usize>().expect("a size in MiB"));
    let big = |mib: usize| -> Vec<(String, usize)> {
        (0..40)
            .map(|i| (format!("payload\\file{i:02}.bin"), mib * 1024 * 1024 / 40))
            .collect()
    };
    match std::env::args().nth(2).as_deref() {
        Some("--lzx") => {
            return match mib {
                None => write_lzx(&dir.join("big-lzx.cab"), 210 * 1024 * 1024),
                Some(m) => write_lzx(&dir.join(format!("lzx-{m}.cab")), m * 1024 * 1024),
            };
        }
        Some("--stored") => {
            let (name, m) = match mib {
                None => ("big-stored.cab".to_owned(), 200),
                Some(m) => (format!("stored-{m}.cab"), m),
            };
            return write_cab(&dir.join(name), &big(m), 1, CompressionType::None);
        }
        _ => {}
    }

    write_cab(
        &dir.join("big-mszip.cab"),
        &big(200),
        1,
        CompressionType::MsZip,
    )?;

    let mut lcg = 7u64;
    let small: Vec<(String, usize)> = (0..20_000)
        .map(|i| {
            lcg = lcg.wrapping_mul(6364136223846793005).wrapping_add(1);
            let size = 512 + (lcg >> 52) as usize % 3584;
            (format!("dir{:03}\\file{i:05}.txt", i / 100), size)
        })
        .collect();
    write_cab(
        &dir.join("many-small.cab"),
        &small,
        2,
        CompressionType::MsZip,
    )?;
    Ok(())
}
