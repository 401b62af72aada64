//! Generates the parallel-build benchmark's downloads (deterministic):
//! `gen_build_lzx DIR [PACKAGES] [MIB]`.
//!
//! PACKAGES (default 4) SharePoint 2007-style packages (`wss-kb97500N-fullfile-x86-glb.exe`),
//! each a PE with an IExpress `CABINET` resource holding one LZX:21 cabinet: a patch
//! (`famN-x-none.msp`, family `famN`) and MIB (default 48) MiB of payload files, two parts
//! text-like data to one part incompressible bytes. `build` must decode every byte of every
//! package, so independent packages are what it can unpack side by side.

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use fixtures::lzx;
use fixtures::msi::{MsiBuilder, cabinet};
use fixtures::pe::{Arch, PeBuilder, VersionInfo};

/// Deterministic mixed bytes: `len` bytes, text-like unless `noise`.
fn payload(seed: u64, len: usize, noise: bool) -> Vec<u8> {
    let mut rng = fixtures::rng::Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let words: [&[u8]; 8] = [
        b"sharepoint ",
        b"update ",
        b"cumulative ",
        b"12.0.6520.5000 ",
        b"farm ",
        b"\r\n",
        b"patch ",
        b"server ",
    ];
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        let x = rng.next_u64();
        if noise {
            out.extend_from_slice(&x.to_le_bytes());
        } else {
            out.extend_from_slice(words[(x >> 60) as usize % words.len()]);
        }
    }
    out.truncate(len);
    out
}

#[allow(clippy::print_stdout)] // the generator reports what it wrote
fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "bench-build".into()));
    let packages: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let mib: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(48);
    std::fs::create_dir_all(&dir)?;
    let build = "12.0.6520.5000";
    for p in 0..packages {
        let family = format!("fam{p}");
        let msp_name = format!("{family}-x-none.msp");
        let msp = MsiBuilder::patch()
            .patch_metadata(None, "KBArticle Number", &format!("KB97500{p}"))
            .patch_metadata(None, "StdPackageName", &msp_name)
            .patch_sequence(&family.to_uppercase(), None, build)
            .patch_cabinet(&family, cabinet(&[("FILE.DLL", build.as_bytes())]))
            .build();
        let mut files = vec![(msp_name.clone(), msp)];
        let parts = 12;
        for i in 0..parts {
            let len = mib * 1024 * 1024 / parts;
            files.push((
                format!("payload\\file{i:02}.bin"),
                payload(p * 100 + i as u64, len, i % 3 == 2),
            ));
        }
        let cab = lzx::lzx_cabinet(&[lzx::LzxFolder {
            options: lzx::LzxOptions::new(21).blocks(
                &[lzx::BlockKind::Verbatim, lzx::BlockKind::Aligned],
                4 * lzx::FRAME,
            ),
            files,
        }]);
        let name = format!("wss-kb97500{p}-fullfile-x86-glb.exe");
        let exe = PeBuilder::new(Arch::X86)
            .version_info(VersionInfo {
                file_version: build.into(),
                product_version: build.into(),
                original_filename: name.clone(),
                ..VersionInfo::default()
            })
            .cabinet_resource(cab)
            .build();
        std::fs::write(dir.join(&name), &exe)?;
        println!("{name}: {} bytes", exe.len());
    }
    Ok(())
}
