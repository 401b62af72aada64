//! identify: facts about every node, from its name and from its contents.

pub mod facts;
pub mod inspect;
pub mod media;
