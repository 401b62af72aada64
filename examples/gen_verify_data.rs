//! Generates the verify and build benchmarks' downloads (deterministic):
//! `gen_verify_data DIR [MIB] [patches]`.
//!
//! Four self-extracting packages (PE32+ wrappers with a version resource and their payload
//! cabinet in `RCDATA/CABINET`, as Office server packages are), 1 GiB in all by default; the
//! payload is incompressible (stored folders), so the benchmark measures reading and hashing.
//! With `patches`, the members are named as global patches of distinct families
//! (`fam<p><f>-x-none.msp`), so `slipway build` places every one of them in every role.

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use fixtures::msi::cabinet_with;
use fixtures::pe::{Arch, PeBuilder, VersionInfo};

fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = fixtures::rng::Rng::new(seed | 1);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        out.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    out.truncate(len);
    out
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "verify-data".into()));
    let total_mib: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1024);
    let patches = args.next().as_deref() == Some("patches");
    std::fs::create_dir_all(&dir)?;
    let per_package = (total_mib / 4) << 20;
    for p in 0..4u64 {
        let files: Vec<(String, Vec<u8>)> = (0..8u64)
            .map(|f| {
                let name = if patches {
                    format!("fam{p}{f}-x-none.msp")
                } else {
                    format!("payload\\file{f}.bin")
                };
                (name, noise(p * 100 + f, per_package / 8))
            })
            .collect();
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        let cab = cabinet_with(cab::CompressionType::None, &refs);
        let name = format!("office2010-kb25970{p:02}-fullfile-x64-glb.exe");
        let exe = PeBuilder::new(Arch::X64)
            .version_info(VersionInfo {
                file_version: "14.0.6114.5000".into(),
                product_version: "14.0.6114.5000".into(),
                original_filename: name.clone(),
                ..VersionInfo::default()
            })
            .cabinet_resource(cab)
            .build();
        std::fs::write(dir.join(&name), exe)?;
    }
    Ok(())
}
