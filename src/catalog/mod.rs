//! Catalogs: built-in product knowledge from `manifests/`, plus `--catalog FILE`s that add or
//! override products; loading, validation and the checks behind `slipway catalog check`.
//! STUB beyond the model: being written.

pub mod model;
