//! Generates the hostile inputs of the issues "Damage is never success" and 19 ("Hostile
//! inputs against the new surfaces") for `benches/hostile.sh` (deterministic):
//! `gen_hostile DIR`.
//!
//! - `nested.zip`: a 42.zip-style nested bomb, 10 levels of 4 copies, 64 MiB of zeros at the
//!   bottom of each branch;
//! - `overlap.zip`: 2,000 central-directory entries sharing one 64 MiB-of-zeros member;
//! - `million.zip`: 1,200,000 empty entries (more than the default entry budget);
//! - `clash.zip`: two entries of one name (case-insensitively), different bytes;
//! - `dup.zip`: two entries named exactly `dup.txt`, different bytes;
//! - `evil-names.zip`: a member name with ESC, BEL and CR;
//! - `overlap-bundle.zip`: a "bundle" (its first entry is `install-manifest.json`) of 1,000
//!   entries pointing at one 100 MiB-of-zeros stream;
//! - `shared.iso`: 1,500 ISO 9660 directories with overlapping 32 MiB extents (36 MB,
//!   sparse);
//! - `shared-udf.iso`: 800 UDF directory file entries sharing one 32 MiB extent of records;
//! - `farm-1000.toml`, `farm-10000.toml`, `farm-24000.toml`: Exchange 2007 farms of that
//!   many servers (clusters with SCR targets among them; 24,000 fit under the 1 MiB limit).

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use fixtures::{disc_hostile, hostile};

#[allow(clippy::print_stdout)] // the generator reports what it wrote
fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/dev/shm/slipway-hostile".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let files: [(&str, Vec<u8>); 10] = [
        ("nested.zip", hostile::nested_bomb(10, 4, 64 << 20)),
        ("overlap.zip", hostile::overlapping_bomb(2_000, 64 << 20)),
        ("million.zip", hostile::many_entries(1_200_000)),
        (
            "clash.zip",
            hostile::raw_names_zip(&[(b"a.msp", b"one"), (b"A.msp", b"two")]),
        ),
        (
            "dup.zip",
            hostile::raw_names_zip(&[(b"dup.txt", b"one"), (b"dup.txt", b"two")]),
        ),
        (
            "evil-names.zip",
            hostile::raw_names_zip(&[(b"\x1b[31mred\x07\r.msp", b"x")]),
        ),
        (
            "overlap-bundle.zip",
            hostile::overlapping_bundle(1_000, 100 << 20),
        ),
        ("farm-1000.toml", hostile::big_farm(1_000).into_bytes()),
        ("farm-10000.toml", hostile::big_farm(10_000).into_bytes()),
        ("farm-24000.toml", hostile::big_farm(24_000).into_bytes()),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), &bytes)?;
        println!("{name}: {} bytes", bytes.len());
    }
    let len = disc_hostile::iso_shared_directories(&dir.join("shared.iso"), 1_500, 32 << 20)?;
    println!("shared.iso: {len} bytes (sparse)");
    let len = disc_hostile::udf_shared_directories(&dir.join("shared-udf.iso"), 800, 32 << 20)?;
    println!("shared-udf.iso: {len} bytes");
    Ok(())
}
