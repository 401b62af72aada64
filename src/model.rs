//! Domain types shared by every stage: the Origin chain of a node, and (later) Kb, Build, Sha256, ….

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// One step on the way from an input file to a node inside it.
///
/// Rendered with `Display` as a short human label; the whole chain is joined with ` › `.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum OriginStep {
    /// The file given on the command line (or found beside it).
    Input(PathBuf),
    /// A named PE resource, e.g. IExpress's `RCDATA/CABINET`.
    PeResource(String),
    /// An embedded archive found at a byte offset of its parent (PE overlay, raw section, scan).
    Offset(u64),
    /// Another volume of a cabinet set, opened by the name stored in a neighbour's header.
    Volume(String),
    /// A compound-file (MSI/MSP) stream, e.g. `PCW_CAB_sts` or `putty.cab`.
    Stream(String),
    /// A cabinet named in an MSI's Media table and read from beside the package.
    ExternalCabinet(String),
    /// A member of a container (cabinet file, zip entry).
    Member(String),
}

impl fmt::Display for OriginStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginStep::Input(p) => write!(f, "{}", p.display()),
            OriginStep::PeResource(n) => write!(f, "[pe rsrc {n}]"),
            OriginStep::Offset(o) => write!(f, "[@{o:#x}]"),
            OriginStep::Volume(n) => write!(f, "[volume {n}]"),
            OriginStep::Stream(n) => write!(f, "[stream {n}]"),
            OriginStep::ExternalCabinet(n) => write!(f, "[external cabinet {n}]"),
            OriginStep::Member(n) => f.write_str(n),
        }
    }
}

/// Where a node came from: the input file, then every container step down to the node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Origin(Vec<OriginStep>);

impl Origin {
    /// The origin of an input file.
    pub fn input(path: impl Into<PathBuf>) -> Self {
        Origin(vec![OriginStep::Input(path.into())])
    }

    /// This origin extended by one step (the receiver is left as it is).
    #[must_use]
    pub fn child(&self, step: OriginStep) -> Self {
        let mut steps = self.0.clone();
        steps.push(step);
        Origin(steps)
    }

    pub fn steps(&self) -> &[OriginStep] {
        &self.0
    }

    /// The rendered chain as a list of labels (what `--json` prints).
    pub fn labels(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" › ")?;
            }
            write!(f, "{step}")?;
        }
        Ok(())
    }
}

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    pub fn hex(&self) -> String {
        use fmt::Write;
        let mut s = String::with_capacity(64);
        for b in self.0 {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.hex())
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_renders_as_a_chain() {
        let o = Origin::input("pkg.exe")
            .child(OriginStep::PeResource("CABINET".into()))
            .child(OriginStep::Member("sts-x-none.msp".into()))
            .child(OriginStep::Stream("PCW_CAB_sts".into()));
        assert_eq!(
            o.to_string(),
            "pkg.exe › [pe rsrc CABINET] › sts-x-none.msp › [stream PCW_CAB_sts]"
        );
        assert_eq!(o.labels().len(), 4);
    }

    #[test]
    fn sha256_hex_is_lowercase_64_chars() {
        let h = Sha256([0xab; 32]);
        assert_eq!(h.hex(), "ab".repeat(32));
    }
}
