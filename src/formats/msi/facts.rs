//! What an MSI/MSP/MST says about itself: its kind, Property table and, for a patch, its
//! codes, MsiPatchSequence and MsiPatchMetadata.

use std::collections::BTreeMap;

use super::MsiError;
use super::database::Database;
use super::summary::SummaryInfo;
use super::table::{Cell, Table};
use crate::model::{Build, Kb};

/// What a package is, from the CLSID of its root storage (Windows Installer: installer
/// `{000C1084-…}`, patch `{000C1086-…}`, transform `{000C1082-…}`), else from its contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    Installer,
    Patch,
    Transform,
}

/// The facts of an MSI, MSP or MST.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PackageFacts {
    pub kind: PackageKind,
    pub summary: SummaryInfo,
    /// The Property table (installers: ProductCode, ProductVersion, ProductLanguage,
    /// Manufacturer, ProductName, …); empty when there is none.
    pub properties: BTreeMap<String, String>,
    /// Patch facts, for [`PackageKind::Patch`].
    pub patch: Option<PatchFacts>,
}

/// What a patch (MSP) says about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PatchFacts {
    /// The first GUID of the revision number.
    pub patch_code: Option<String>,
    /// The GUIDs after it: patches this one obsoletes.
    pub supersedes: Vec<String>,
    /// The target product codes of the template, as written.
    pub targets: Vec<String>,
    /// Every MsiPatchSequence row, in table order.
    pub families: Vec<PatchFamily>,
    /// Every MsiPatchMetadata row as `(company, property, value)`, in table order (a null
    /// value reads as `""`).
    pub metadata: Vec<(Option<String>, String, String)>,
    /// From the `KBArticle Number` metadata property.
    pub kb: Option<Kb>,
    /// The highest MsiPatchSequence `Sequence` that parses as a build.
    pub build: Option<Build>,
}

/// One MsiPatchSequence row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PatchFamily {
    pub family: String,
    pub product_code: Option<String>,
    pub sequence: String,
    pub attributes: Option<i32>,
}

impl Database {
    /// Everything [`super::facts`] reports.
    pub fn facts(&mut self) -> Result<PackageFacts, MsiError> {
        let summary = self.summary()?;
        let properties = match self.table("Property")? {
            Some(t) => {
                let (p, v) = (t.require("Property")?, t.require("Value")?);
                t.rows
                    .iter()
                    .filter_map(|row| {
                        let key = row.get(p)?.as_str()?.to_owned();
                        let value = row.get(v).and_then(Cell::as_str).unwrap_or_default();
                        Some((key, value.to_owned()))
                    })
                    .collect()
            }
            None => BTreeMap::new(),
        };
        let sequence = self.table("MsiPatchSequence")?;
        let metadata = self.table("MsiPatchMetadata")?;
        let kind = self.clsid_kind().unwrap_or_else(|| {
            // No (known) CLSID: a patch's own tables or its GUID-list template tell it.
            let template_lists_products = summary
                .template
                .as_deref()
                .is_some_and(|t| t.trim_start().starts_with('{'));
            if sequence.is_some() || metadata.is_some() || template_lists_products {
                PackageKind::Patch
            } else {
                PackageKind::Installer
            }
        });
        let patch = if kind == PackageKind::Patch {
            Some(patch_facts(&summary, sequence.as_ref(), metadata.as_ref())?)
        } else {
            None
        };
        Ok(PackageFacts {
            kind,
            summary,
            properties,
            patch,
        })
    }
}

/// The patch facts from the summary and the patch's own tables.
pub(super) fn patch_facts(
    summary: &SummaryInfo,
    sequence: Option<&Table>,
    metadata: Option<&Table>,
) -> Result<PatchFacts, MsiError> {
    let mut facts = PatchFacts::default();
    let mut codes = summary
        .revision_number
        .as_deref()
        .map(guids)
        .unwrap_or_default();
    if !codes.is_empty() {
        facts.patch_code = Some(codes.remove(0));
        facts.supersedes = codes;
    }
    facts.targets = summary
        .template
        .as_deref()
        .map(|t| {
            t.split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(t) = sequence {
        let family = t.require("PatchFamily")?;
        let seq = t.require("Sequence")?;
        let (product, attributes) = (t.column("ProductCode"), t.column("Attributes"));
        let text = |row: &[Cell], i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .and_then(Cell::as_str)
                .map(str::to_owned)
        };
        for row in &t.rows {
            facts.families.push(PatchFamily {
                family: text(row, Some(family)).unwrap_or_default(),
                product_code: text(row, product),
                sequence: text(row, Some(seq)).unwrap_or_default(),
                attributes: attributes.and_then(|i| row.get(i)).and_then(Cell::as_int),
            });
        }
        facts.build = facts
            .families
            .iter()
            .filter_map(|f| Build::parse(&f.sequence))
            .max();
    }
    if let Some(t) = metadata {
        let property = t.require("Property")?;
        let (company, value) = (t.column("Company"), t.column("Value"));
        let text = |row: &[Cell], i: Option<usize>| {
            i.and_then(|i| row.get(i))
                .and_then(Cell::as_str)
                .map(str::to_owned)
        };
        for row in &t.rows {
            facts.metadata.push((
                text(row, company),
                text(row, Some(property)).unwrap_or_default(),
                text(row, value).unwrap_or_default(),
            ));
        }
        // The standard property (null Company) first, then any other.
        let kb_of = |standard: bool| {
            facts
                .metadata
                .iter()
                .filter(|(c, p, _)| {
                    c.is_none() == standard && p.eq_ignore_ascii_case("KBArticle Number")
                })
                .find_map(|(_, _, v)| Kb::parse(v))
        };
        facts.kb = kb_of(true).or_else(|| kb_of(false));
    }
    Ok(facts)
}

/// The GUIDs (`{8-4-4-4-12}`, as written) in `s`, in order; a revision number is their
/// concatenation ("Revision Number Summary": for a patch, the patch code followed by the
/// codes of the patches it obsoletes, with no separator). Anything else is skipped.
pub(super) fn guids(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        rest = &rest[open..];
        let candidate = rest.get(..38);
        if let Some(g) = candidate.filter(|g| is_guid(g)) {
            out.push(g.to_owned());
            rest = &rest[38..];
        } else {
            rest = &rest[1..];
        }
    }
    out
}

/// Whether `s` is `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` (hex digits, either case).
pub(super) fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 38
        && b[0] == b'{'
        && b[37] == b'}'
        && b[1..37].iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_split_a_revision_number() {
        let a = "{09966C32-C34D-4FF4-8C7E-94A9630DDEF8}";
        let b = "{2ba00471-0328-3743-93bd-fa813353a783}";
        assert_eq!(guids(&format!("{a}{b}")), [a, b]);
        assert_eq!(guids(&format!("{a}; junk {{x}} {b}")), [a, b]);
        assert!(guids("{not-a-guid}").is_empty());
        assert!(guids("{é").is_empty());
        assert!(is_guid(a) && !is_guid(&a[1..]));
    }
}
