//! Zip archives (hotfix `_zip.exe` wrappers, plain `.zip`). STUB.

#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    #[error("{0}")]
    Stub(&'static str),
}
