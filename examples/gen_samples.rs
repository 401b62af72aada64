//! Writes the sample downloads into `samples/` (or the folder given): `gen_samples [DIR]`.
//!
//! The samples are synthetic: made by slipway's own fixture builders, deterministic (pinned
//! timestamps and GUIDs), containing no Microsoft code. `samples/README.md` says what each
//! imitates; a test regenerates them and compares bytes.

#[path = "../tests/fixtures/mod.rs"]
mod fixtures;

fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "samples".into()));
    for (rel, bytes) in fixtures::samples::sample_files() {
        let path = dir.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
    }
    Ok(())
}
