//! The recursive extraction driver: inputs → containers → members, written through the one
//! path checker under budgets, hashed while written, staged and renamed into place.

pub mod limits;
pub mod safe_path;
