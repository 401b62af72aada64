//! Generates the hostile archives of the issue "Damage is never success" for
//! `benches/hostile.sh` (deterministic): `gen_hostile DIR`.
//!
//! - `nested.zip`: a 42.zip-style nested bomb, 10 levels of 4 copies, 64 MiB of zeros at the
//!   bottom of each branch;
//! - `overlap.zip`: 2,000 central-directory entries sharing one 64 MiB-of-zeros member;
//! - `million.zip`: 1,200,000 empty entries (more than the default entry budget);
//! - `clash.zip`: two entries of one name (case-insensitively), different bytes;
//! - `evil-names.zip`: a member name with ESC, BEL and CR.

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

use fixtures::hostile;

#[allow(clippy::print_stdout)] // the generator reports what it wrote
fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/dev/shm/slipway-hostile".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let files: [(&str, Vec<u8>); 5] = [
        ("nested.zip", hostile::nested_bomb(10, 4, 64 << 20)),
        ("overlap.zip", hostile::overlapping_bomb(2_000, 64 << 20)),
        ("million.zip", hostile::many_entries(1_200_000)),
        (
            "clash.zip",
            hostile::raw_names_zip(&[(b"a.msp", b"one"), (b"A.msp", b"two")]),
        ),
        (
            "evil-names.zip",
            hostile::raw_names_zip(&[(b"\x1b[31mred\x07\r.msp", b"x")]),
        ),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), &bytes)?;
        println!("{name}: {} bytes", bytes.len());
    }
    Ok(())
}
