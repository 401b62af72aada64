//! verify: checks every package and patch against the catalogs, the checksum files and each
//! other — hashes, builds, supersedence, baselines, consistency, signatures — and re-checks a
//! built folder or bundle against its install manifest ([`output`]).
//!
//! Pure but for [`output`]: the walk (with hashes computed in the extraction pass) happens in
//! `extract`/`identify`, what each item is in `classify`; this module compares and produces
//! findings.

pub mod output;
mod rules;
pub mod sums;

use crate::authenticode::Status;
use crate::classify::Class;
use crate::findings::{Finding, FindingKind, HashAlgorithm, Severity};
use crate::identify::inspect::{Inspection, Item};
use crate::model::Build;

pub use sums::{SumEntry, SumsError, read_sums};

/// The result of one check for one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Check {
    Pass,
    Fail,
    /// Nothing to compare with.
    Unknown,
}

impl Check {
    fn and(self, other: Check) -> Check {
        match (self, other) {
            (Check::Fail, _) | (_, Check::Fail) => Check::Fail,
            (Check::Pass, _) | (_, Check::Pass) => Check::Pass,
            (Check::Unknown, Check::Unknown) => Check::Unknown,
        }
    }
}

/// What verify concluded for one item of the inspection.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Checks {
    pub hash: Check,
    pub build: Check,
    /// Not superseded by another input.
    pub current: Check,
    /// `catalog-id/release-id` when a catalog knows it.
    pub release: Option<String>,
}

/// Options of a verification.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub sums: Vec<SumEntry>,
    /// A build declared installed on the farm (satisfies baselines up to it).
    pub baseline: Option<Build>,
    /// With `--media`: the builds the media bring (setup.exe's, and the service packs in its
    /// `Updates`). A baseline they and the downloads do not reach is an error.
    pub media: Option<Vec<Build>>,
    /// Warnings count as errors.
    pub strict: bool,
    /// Absent or untrusted signatures are errors (`--require-signature`).
    pub require_signature: bool,
}

/// The verification of an inspection.
#[derive(Debug)]
pub struct Verification {
    /// One entry per inspection item, same order.
    pub checks: Vec<Checks>,
    /// New findings (the inspection's own stay on its items).
    pub findings: Vec<Finding>,
}

impl Verification {
    /// Whether the run failed: any error finding here or in the inspection (with `strict`,
    /// any warning too).
    pub fn failed(&self, insp: &Inspection, strict: bool) -> bool {
        let bad = |f: &Finding| {
            f.severity() == Severity::Error || (strict && f.severity() == Severity::Warning)
        };
        self.findings.iter().any(bad) || insp.findings().any(bad)
    }
}

/// The Authenticode findings of an inspection: `signature-invalid` (error) for every item whose
/// signature does not verify, `signature-absent` / `signature-untrusted` (warnings, errors with
/// `require`) for every executable, MSI/MSP and input cabinet not validly signed under a
/// trust anchor. Nested cabinets have a verdict only when signed.
fn signature_findings(items: &[Item], require: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    for item in items {
        let Some(v) = &item.signature else {
            continue;
        };
        let kind = match v.status {
            Status::Valid => continue,
            Status::Invalid => FindingKind::SignatureInvalid {
                reason: v.reason.clone().unwrap_or_default(),
            },
            Status::Absent => FindingKind::SignatureAbsent { required: require },
            Status::Untrusted => FindingKind::SignatureUntrusted {
                signer: v.signer.clone().unwrap_or_default(),
                reason: v.reason.clone().unwrap_or_default(),
                required: require,
            },
        };
        out.push(Finding::new(&item.origin, kind));
    }
    out
}

/// A download another product's catalog claims, in a build for `product`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherProduct {
    /// The item (a download, or a patch inside one).
    pub item: usize,
    /// The catalog that claims it.
    pub other: String,
    /// How: `KB…`, the file name, or the patch family.
    pub by: String,
}

/// The first download (or patch in a download) that another catalog claims — by its release
/// (KB or file name) or its patch family — while `product`'s catalog knows neither it nor any
/// patch family of the download it is in: a build for one product never takes another
/// product's update as one of its own (a catalog of the user's that describes the same
/// families is the product's).
pub fn other_product(
    items: &[Item],
    classes: &[Class<'_>],
    product: &crate::catalog::model::Catalog,
    catalogs: &[crate::catalog::model::Catalog],
) -> Option<OtherProduct> {
    let knows = |c: &Class<'_>| {
        c.families
            .iter()
            .chain(&c.family)
            .any(|f| product.family_component(f).is_some())
    };
    // The inputs whose content the product's catalog knows.
    let known_inputs: std::collections::BTreeSet<usize> = classes
        .iter()
        .filter(|c| knows(c) || c.release.is_some_and(|k| k.catalog.id == product.id))
        .map(|c| c.input)
        .collect();
    items
        .iter()
        .zip(classes)
        .enumerate()
        .filter(|(_, (item, class))| !item.from_media && !known_inputs.contains(&class.input))
        .find_map(|(i, (_, class))| {
            if let Some(k) = class.release
                && k.catalog.id != product.id
            {
                let by = k.file.map_or_else(
                    || {
                        k.release
                            .kb
                            .map_or_else(|| k.release.name.clone(), |kb| kb.to_string())
                    },
                    |f| f.name.clone(),
                );
                return Some(OtherProduct {
                    item: i,
                    other: k.catalog.id.clone(),
                    by,
                });
            }
            let family = class.family.as_deref().filter(|_| class.patch)?;
            catalogs
                .iter()
                .find(|c| c.id != product.id && c.family_component(family).is_some())
                .map(|c| OtherProduct {
                    item: i,
                    other: c.id.clone(),
                    by: format!("patch family {family}"),
                })
        })
}

/// Verifies an inspection whose items `classes` describe (same order).
pub fn verify(insp: &Inspection, classes: &[Class<'_>], opts: &Options) -> Verification {
    let items = &insp.items;
    let mut checks = Vec::with_capacity(items.len());
    let mut findings = Vec::new();
    for (item, class) in items.iter().zip(classes) {
        checks.push(Checks {
            hash: hashes(item, class, &opts.sums, &mut findings),
            build: build(item, class, &mut findings),
            current: Check::Unknown,
            release: class.release.map(|k| k.label()),
        });
        // A release the vendor withdrew, by what the catalog knows of it or by its build.
        if let Some(k) = class.release {
            let withdrawn = std::iter::once(k.release)
                .chain(
                    k.catalog
                        .releases
                        .iter()
                        .filter(|r| r.build.is_some() && r.build == class.build),
                )
                .find(|r| r.withdrawn.is_some());
            if let Some(r) = withdrawn {
                findings.push(Finding::new(
                    &item.origin,
                    FindingKind::Withdrawn {
                        release: r.name.clone(),
                        reason: r.withdrawn.clone().unwrap_or_default(),
                    },
                ));
            }
        }
        // Unknown packages (downloads only: a patch already in the setup media came with them).
        if item.depth == 0 && !item.from_media && class.release.is_none() && class.package {
            findings.push(Finding::new(&item.origin, FindingKind::UnknownPackage));
        }
    }
    rules::supersedence(items, classes, &mut checks, &mut findings);
    rules::baselines(
        items,
        classes,
        opts.baseline,
        opts.media.as_deref(),
        &mut findings,
    );
    rules::consistency(items, classes, &mut findings);
    for c in &mut checks {
        if c.current == Check::Unknown {
            c.current = Check::Pass;
        }
    }
    findings.extend(signature_findings(items, opts.require_signature));
    Verification { checks, findings }
}

/// Hashes against the catalog, the sums files and the catalog name's SHA-1.
fn hashes(item: &Item, class: &Class<'_>, sums: &[SumEntry], findings: &mut Vec<Finding>) -> Check {
    let mut hash = Check::Unknown;
    let mut compare = |algorithm: HashAlgorithm, expected: &str, recorded_in: String| {
        let actual = match algorithm {
            HashAlgorithm::Sha256 => item.sha256.hex(),
            HashAlgorithm::Sha1 => item.sha1.hex(),
        };
        if actual.eq_ignore_ascii_case(expected.trim()) {
            hash = hash.and(Check::Pass);
        } else {
            hash = hash.and(Check::Fail);
            findings.push(Finding::new(
                &item.origin,
                FindingKind::HashMismatch {
                    algorithm,
                    expected: expected.trim().to_ascii_lowercase(),
                    actual,
                    recorded_in,
                },
            ));
        }
    };
    if let Some(known) = class.release
        && let Some(file) = known.file
    {
        let recorded_in = format!("catalog {}", known.catalog.id);
        if let Some(h) = &file.sha256 {
            compare(HashAlgorithm::Sha256, &h.hex(), recorded_in.clone());
        }
        if let Some(h) = &file.sha1 {
            compare(HashAlgorithm::Sha1, &h.hex(), recorded_in);
        }
    }
    if item.depth == 0 {
        for sum in sums {
            let sum_name = sum.name.rsplit(['/', '\\']).next().unwrap_or(&sum.name);
            if sum_name == item.name {
                compare(sum.algorithm, &sum.digest, sum.source.clone());
            }
        }
    }
    if let Some(sha1) = item.named.sha1 {
        compare(
            HashAlgorithm::Sha1,
            &sha1.hex(),
            "its Microsoft Update catalog name".to_owned(),
        );
    }
    hash
}

/// The content's build against the catalog's build for the release.
fn build(item: &Item, class: &Class<'_>, findings: &mut Vec<Finding>) -> Check {
    let Some(known) = class.release else {
        return Check::Unknown;
    };
    let (Some(expected), Some(kb), Some(actual)) =
        (known.release.build, known.release.kb, class.build)
    else {
        return Check::Unknown;
    };
    // A package published under its own KB in a release of several packages (the
    // language-dependent `wssloc…` beside `sts…`) has its own build: the release's build is
    // the other package's.
    if known
        .file
        .and_then(|f| f.kb)
        .is_some_and(|own| Some(own) != known.release.kb)
    {
        return Check::Unknown;
    }
    // Only compare like with like: builds of the same product version.
    if expected.major() != actual.major() {
        return Check::Unknown;
    }
    if expected == actual {
        return Check::Pass;
    }
    findings.push(Finding::new(
        &item.origin,
        FindingKind::BuildMismatch {
            kb,
            expected,
            actual,
            what: if class.patch {
                "the patch (MsiPatchSequence)"
            } else {
                "the package (version resource)"
            },
        },
    ));
    Check::Fail
}
