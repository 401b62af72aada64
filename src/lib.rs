//! slipway: turns Microsoft server update packages into verified slipstream sources.

pub mod error;
pub mod extract;
pub mod formats;
pub mod model;
