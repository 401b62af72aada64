//! verify: checks every package and patch that `inspect` found against the catalogs, the
//! checksum files and each other — hashes, builds, supersedence, baselines, consistency.
//!
//! Pure: the walk (with hashes computed in the extraction pass) happens in `identify`; this
//! module only compares facts and produces findings.

use std::collections::BTreeMap;

use crate::catalog::model::{Catalog, Release, ReleaseFile, ReleaseKind};
use crate::findings::{Finding, FindingKind, HashAlgorithm, Severity};
use crate::identify::inspect::{Inspection, Item, input_of, is_service_pack};
use crate::identify::names::NameKind;
use crate::model::{Arch, Build, Kb, Scope};

/// One line of a `sha256sum`/`sha1sum` file: the digest recorded for a file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumEntry {
    pub algorithm: HashAlgorithm,
    /// Lower-case hex.
    pub digest: String,
    /// The file name as written (a path is compared by its last component).
    pub name: String,
    /// The sums file it comes from (for messages).
    pub source: String,
}

/// A line of a sums file that is not a checksum line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: not a sha256sum/sha1sum line")]
pub struct SumsSyntax {
    pub file: String,
    pub line: usize,
}

/// Why the `--sums` files could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SumsError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Syntax(#[from] SumsSyntax),
}

impl SumsError {
    /// The stable code for `--json`.
    pub fn code(&self) -> &'static str {
        match self {
            SumsError::Read { .. } => "read-error",
            SumsError::Syntax(_) => "sums-syntax",
        }
    }
}

/// Parses `sha256sum`/`sha1sum` output (`<hex>  <name>`, `<hex> *<name>`) and the BSD form
/// (`SHA256 (<name>) = <hex>`). Blank lines and `#` comments are skipped.
pub fn parse_sums(text: &str, source: &str) -> Result<Vec<SumEntry>, SumsSyntax> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let err = || SumsSyntax {
            file: source.to_owned(),
            line: i + 1,
        };
        let (digest, name) = if let Some(rest) = line
            .strip_prefix("SHA256 (")
            .or_else(|| line.strip_prefix("SHA1 ("))
        {
            let (name, hex) = rest.rsplit_once(") = ").ok_or_else(err)?;
            (hex.trim(), name)
        } else {
            let (hex, rest) = line.split_once(' ').ok_or_else(err)?;
            let name = rest
                .strip_prefix(' ')
                .or_else(|| rest.strip_prefix('*'))
                .ok_or_else(err)?;
            (hex, name)
        };
        let algorithm = match digest.len() {
            64 => HashAlgorithm::Sha256,
            40 => HashAlgorithm::Sha1,
            _ => return Err(err()),
        };
        if !digest.bytes().all(|b| b.is_ascii_hexdigit()) || name.is_empty() {
            return Err(err());
        }
        out.push(SumEntry {
            algorithm,
            digest: digest.to_ascii_lowercase(),
            name: name.to_owned(),
            source: source.to_owned(),
        });
    }
    Ok(out)
}

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
    /// Warnings count as errors.
    pub strict: bool,
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

/// Where a catalog knows an item from.
#[derive(Clone, Copy)]
struct Known<'c> {
    catalog: &'c Catalog,
    release: &'c Release,
    file: Option<&'c ReleaseFile>,
}

fn lookup<'c>(catalogs: &'c [Catalog], item: &Item) -> Option<Known<'c>> {
    // By file name; a name several releases list (an installer shipped again) is the one
    // whose build matches the content, else the newest.
    let by_name: Vec<Known<'c>> = catalogs
        .iter()
        .flat_map(|catalog| {
            catalog.releases.iter().filter_map(move |release| {
                release
                    .files
                    .iter()
                    .find(|f| f.name.trim().eq_ignore_ascii_case(&item.name))
                    .map(|file| Known {
                        catalog,
                        release,
                        file: Some(file),
                    })
            })
        })
        .collect();
    if let Some(k) = pick(&by_name, item.build()) {
        return Some(k);
    }
    let kb = item_kb(item)?;
    let by_kb: Vec<Known<'c>> = catalogs
        .iter()
        .flat_map(|c| {
            c.releases
                .iter()
                .filter(move |r| Kb::parse(&r.kb) == Some(kb))
                .map(move |r| Known {
                    catalog: c,
                    release: r,
                    file: None,
                })
        })
        .collect();
    // A KB shared by several releases (a re-release) identifies none of them for sure.
    pick(&by_kb, item.build())
}

/// Among candidate releases, the one whose build matches the content, else the newest.
fn pick<'c>(candidates: &[Known<'c>], build: Option<Build>) -> Option<Known<'c>> {
    candidates
        .iter()
        .find(|k| build.is_some() && Build::parse(&k.release.build) == build)
        .or_else(|| {
            candidates
                .iter()
                .max_by_key(|k| Build::parse(&k.release.build))
        })
        .copied()
}

/// The KB an item states: the patch metadata's, else the name's.
fn item_kb(item: &Item) -> Option<Kb> {
    item.package
        .as_ref()
        .and_then(|p| p.patch.as_ref())
        .and_then(|p| p.kb)
        .or(item.named.kb)
}

fn is_package(item: &Item) -> bool {
    matches!(
        item.named.kind,
        NameKind::PackageExe | NameKind::PackageCab | NameKind::PatchMsp
    ) || item.is_patch()
}

/// The Authenticode findings of an inspection: `signature-invalid` (error) for every item whose
/// signature does not verify, `signature-absent` / `signature-untrusted` (warnings, errors with
/// `require`) for every executable, MSI/MSP and input cabinet not validly signed under a
/// `--trust` anchor. Nested cabinets have a verdict only when signed.
pub fn signature_findings(insp: &Inspection, require: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    for item in &insp.items {
        let Some(v) = &item.signature else {
            continue;
        };
        let kind = match v.status {
            crate::authenticode::Status::Valid => continue,
            crate::authenticode::Status::Invalid => FindingKind::SignatureInvalid {
                reason: v.reason.clone().unwrap_or_default(),
            },
            crate::authenticode::Status::Absent => {
                FindingKind::SignatureAbsent { required: require }
            }
            crate::authenticode::Status::Untrusted => FindingKind::SignatureUntrusted {
                signer: v.signer.clone().unwrap_or_default(),
                reason: v.reason.clone().unwrap_or_default(),
                required: require,
            },
        };
        out.push(Finding::new(&item.origin, kind));
    }
    out
}

/// Verifies an inspection.
pub fn verify(insp: &Inspection, catalogs: &[Catalog], opts: &Options) -> Verification {
    let items = &insp.items;
    let mut checks: Vec<Checks> = items
        .iter()
        .map(|_| Checks {
            hash: Check::Unknown,
            build: Check::Unknown,
            current: Check::Unknown,
            release: None,
        })
        .collect();
    let mut findings = Vec::new();
    let known: Vec<Option<Known<'_>>> = items.iter().map(|i| lookup(catalogs, i)).collect();

    for (i, item) in items.iter().enumerate() {
        let check = &mut checks[i];
        if let Some(k) = known[i] {
            check.release = Some(format!("{}/{}", k.catalog.id, k.release.id));
        }
        // --- hashes: catalog, sums files, the catalog name's SHA-1 -------------------------
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
        if let Some(file) = known[i].and_then(|k| k.file) {
            let cat = known[i].map(|k| k.catalog.id.as_str()).unwrap_or_default();
            if let Some(h) = &file.sha256 {
                compare(HashAlgorithm::Sha256, h, format!("catalog {cat}"));
            }
            if let Some(h) = &file.sha1 {
                compare(HashAlgorithm::Sha1, h, format!("catalog {cat}"));
            }
        }
        if item.depth == 0 {
            for sum in &opts.sums {
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
        checks[i].hash = hash;

        // --- builds against the catalog ------------------------------------------------------
        let expected = known[i]
            .and_then(|k| Some((Build::parse(&k.release.build)?, Kb::parse(&k.release.kb)?)));
        // Only compare like with like: builds of the same product version.
        if let (Some((expected, kb)), Some(actual)) = (expected, item.build())
            && expected.major() == actual.major()
        {
            if expected == actual {
                checks[i].build = Check::Pass;
            } else {
                checks[i].build = Check::Fail;
                findings.push(Finding::new(
                    &item.origin,
                    FindingKind::BuildMismatch {
                        kb,
                        expected,
                        actual,
                        what: if item.is_patch() {
                            "the patch (MsiPatchSequence)"
                        } else {
                            "the package (version resource)"
                        },
                    },
                ));
            }
        }

        // --- unknown packages (inputs only) -------------------------------------------------
        if item.depth == 0 && known[i].is_none() && is_package(item) {
            findings.push(Finding::new(&item.origin, FindingKind::UnknownPackage));
        }
    }

    supersedence(items, &mut checks, &mut findings);
    baselines(items, &known, opts.baseline, &mut findings);
    consistency(items, &known, &mut findings);
    for c in &mut checks {
        if c.current == Check::Unknown {
            c.current = Check::Pass;
        }
    }
    Verification { checks, findings }
}

/// Same family (and language) twice: the lower build is superseded. Same KB twice with
/// different builds: the lower is an earlier release of it.
fn supersedence(items: &[Item], checks: &mut [Checks], findings: &mut Vec<Finding>) {
    // (family, language, service pack?) → items carrying it, with builds. A cumulative update
    // does not supersede the service pack it builds on.
    let mut by_family: BTreeMap<(String, String, bool), Vec<(usize, Build)>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        if !item.is_patch() {
            continue;
        }
        let Some(build) = item.build() else {
            continue;
        };
        let lang = match item.named.scope {
            Scope::Localized => item
                .named
                .language
                .as_ref()
                .map(|l| l.as_str().to_owned())
                .unwrap_or_default(),
            Scope::Global | Scope::Unknown => String::new(),
        };
        // The same family rule as the builder's plan, so both agree on what is superseded.
        if let Some(family) = item.family() {
            by_family
                .entry((family, lang, is_service_pack(items, i)))
                .or_default()
                .push((i, build));
        }
    }
    for ((family, _, _), members) in &by_family {
        let Some(&(top, top_build)) = members.iter().max_by_key(|(i, b)| (*b, usize::MAX - i))
        else {
            continue;
        };
        for &(i, build) in members {
            if build < top_build && checks[i].current != Check::Fail {
                checks[i].current = Check::Fail;
                findings.push(Finding::new(
                    &items[i].origin,
                    FindingKind::Superseded {
                        family: family.clone(),
                        build,
                        by: items[top].origin.to_string(),
                        by_build: top_build,
                    },
                ));
            }
        }
    }
    // KB re-releases among the inputs.
    let mut by_kb: BTreeMap<Kb, Vec<(usize, Build)>> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.depth != 0 {
            continue;
        }
        if let (Some(kb), Some(build)) = (item_kb(item), item.build()) {
            by_kb.entry(kb).or_default().push((i, build));
        }
    }
    for (kb, members) in by_kb {
        let Some(&(top, top_build)) = members.iter().max_by_key(|(_, b)| *b) else {
            continue;
        };
        for &(i, build) in &members {
            if build < top_build && checks[i].current != Check::Fail {
                checks[i].current = Check::Fail;
                findings.push(Finding::new(
                    &items[i].origin,
                    FindingKind::KbReReleased {
                        kb,
                        build,
                        by: items[top].origin.to_string(),
                        by_build: top_build,
                    },
                ));
            }
        }
    }
}

/// What a release needs installed first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Baseline {
    build: Build,
    /// The kind of release that provides it (a service pack, or the CU before a hotfix).
    provided_by: ReleaseKind,
    /// Stated by the catalog (or the COD rule), as opposed to inferred from the newest
    /// earlier service pack.
    stated: bool,
}

/// A release's baseline: the catalog's `requires_build`; for a critical on-demand fix
/// (`.5001`, `.5002`, …) the cumulative update it follows (`.5000`, vendor document: "COD
/// releases have the versioning pattern 12.0.xxxx.500X"); for a cumulative update, the newest
/// earlier service pack of the same component ("Microsoft enforces the installation order of
/// service packs").
fn baseline_of(catalog: &Catalog, release: &Release) -> Option<Baseline> {
    if let Some(build) = release.requires_build.as_deref().and_then(Build::parse) {
        return Some(Baseline {
            build,
            provided_by: ReleaseKind::ServicePack,
            stated: true,
        });
    }
    let b = Build::parse(&release.build)?;
    let [a, m, n, rev] = b.0;
    // Only a fix released between CUs: a CU itself may carry a .500N build (the August 2009
    // SharePoint CU is 12.0.6514.5002).
    if rev > 5000
        && rev < 6000
        && !matches!(
            release.kind,
            ReleaseKind::ServicePack | ReleaseKind::CumulativeUpdate
        )
    {
        return Some(Baseline {
            build: Build([a, m, n, 5000]),
            provided_by: ReleaseKind::CumulativeUpdate,
            stated: true,
        });
    }
    if release.kind != ReleaseKind::CumulativeUpdate {
        return None;
    }
    catalog
        .releases
        .iter()
        .filter(|r| r.kind == ReleaseKind::ServicePack && r.component == release.component)
        .filter_map(|r| Build::parse(&r.build))
        .filter(|sp| sp.major() == b.major() && *sp < b)
        .max()
        .map(|build| Baseline {
            build,
            provided_by: ReleaseKind::ServicePack,
            stated: false,
        })
}

fn baselines(
    items: &[Item],
    known: &[Option<Known<'_>>],
    declared: Option<Build>,
    findings: &mut Vec<Finding>,
) {
    for (i, item) in items.iter().enumerate() {
        if item.depth != 0 {
            continue;
        }
        let Some(k) = known[i] else {
            continue;
        };
        let Some(needed) = baseline_of(k.catalog, k.release) else {
            continue;
        };
        let satisfies = |b: Build| b.major() == needed.build.major() && b >= needed.build;
        // Another input provides it: a release of the providing kind (a later service pack,
        // or the CU or a later one for a hotfix) of the same product.
        let among_inputs = items.iter().enumerate().any(|(j, other)| {
            j != i
                && other.depth == 0
                && known[j].is_some_and(|o| {
                    std::ptr::eq(o.catalog, k.catalog)
                        && (o.release.kind == needed.provided_by
                            || (needed.provided_by == ReleaseKind::CumulativeUpdate
                                && o.release.kind == ReleaseKind::ServicePack))
                        && Build::parse(&o.release.build).is_some_and(satisfies)
                })
        });
        if !among_inputs && !declared.is_some_and(satisfies) {
            findings.push(Finding::new(
                &item.origin,
                FindingKind::MissingBaseline {
                    release: format!(
                        "{} ({})",
                        k.release.name,
                        Kb::parse(&k.release.kb)
                            .map_or_else(|| k.release.kb.clone(), |kb| kb.to_string())
                    ),
                    requires: needed.build,
                    stated: needed.stated,
                },
            ));
        }
    }
}

fn consistency(items: &[Item], known: &[Option<Known<'_>>], findings: &mut Vec<Finding>) {
    // Architectures of the inputs (as their names say), and the catalogs' own lists.
    let mut archs: Vec<Arch> = items
        .iter()
        .filter(|i| i.depth == 0)
        .filter_map(|i| i.named.arch)
        .filter(|a| *a != Arch::X86X64)
        .collect();
    archs.sort();
    archs.dedup();
    if archs.len() > 1 {
        // Every input whose architecture is not the most common one is flagged.
        let count = |a: Arch| {
            items
                .iter()
                .filter(|i| i.depth == 0 && i.named.arch == Some(a))
                .count()
        };
        let main = archs
            .iter()
            .copied()
            .max_by_key(|a| (count(*a), std::cmp::Reverse(*a)))
            .unwrap_or(Arch::X64);
        for item in items.iter().filter(|i| i.depth == 0) {
            if let Some(a) = item.named.arch
                && a != main
                && a != Arch::X86X64
            {
                findings.push(Finding::new(
                    &item.origin,
                    FindingKind::MixedArchitectures {
                        arch: a,
                        others: vec![main],
                    },
                ));
            }
        }
    }
    for (i, item) in items.iter().enumerate() {
        let (Some(k), Some(arch)) = (known[i], item.named.arch) else {
            continue;
        };
        if item.depth == 0
            && !k.catalog.architectures.is_empty()
            && !k
                .catalog
                .architectures
                .iter()
                .any(|a| a.eq_ignore_ascii_case(arch.as_str()))
            && archs.len() <= 1
        {
            let others = k
                .catalog
                .architectures
                .iter()
                .filter_map(|a| match a.as_str() {
                    "x86" => Some(Arch::X86),
                    "x64" => Some(Arch::X64),
                    "ia64" => Some(Arch::Ia64),
                    _ => None,
                })
                .collect();
            findings.push(Finding::new(
                &item.origin,
                FindingKind::MixedArchitectures { arch, others },
            ));
        }
    }

    // Localized patches need the global patch of the same release.

    for (index, item) in items.iter().enumerate() {
        if !item.is_patch() || item.named.scope != Scope::Localized {
            continue;
        }
        // Only where the product splits patches into global and localized ones: a localized
        // family of a catalog component (WSS's wssmui), or, with no catalog, a `mui` family.
        // Exchange rollups, for one, are per language with no global partner.
        let catalog = known[index]
            .or_else(|| known[input_of(items, index)])
            .map(|k| k.catalog);
        let mine = item.families();
        // The global families that partner it: the global families of its catalog
        // component; with no catalog, its family without `mui` (`coreservermui` →
        // `coreserver`). `None`: the product has no global/localized split for it.
        let partners: Option<Vec<String>> = match catalog {
            Some(c) => c
                .components
                .iter()
                .find(|comp| {
                    comp.localized_families
                        .iter()
                        .any(|f| mine.iter().any(|g| g.eq_ignore_ascii_case(f)))
                })
                .map(|comp| {
                    comp.families
                        .iter()
                        .filter(|f| {
                            !comp
                                .localized_families
                                .iter()
                                .any(|l| l.eq_ignore_ascii_case(f))
                        })
                        .map(|f| f.to_lowercase())
                        .collect()
                }),
            None => {
                let stems: Vec<String> = mine
                    .iter()
                    .filter_map(|f| f.strip_suffix("mui").map(str::to_owned))
                    .collect();
                (!stems.is_empty()).then_some(stems)
            }
        };
        let Some(partners) = partners else {
            continue;
        };
        let Some(build) = item.build() else {
            continue;
        };
        let has_partner = items.iter().any(|other| {
            other.is_patch()
                && other.named.scope != Scope::Localized
                && other.build() == Some(build)
                && other.families().iter().any(|f| partners.contains(f))
        });
        if !has_partner {
            findings.push(Finding::new(
                &item.origin,
                FindingKind::MissingGlobalPartner {
                    family: item.families().join("+"),
                    build,
                },
            ));
        }
    }

    // Components of one product at different levels: cumulative updates of different
    // components from different months.
    let cus: Vec<(usize, Known<'_>)> = items
        .iter()
        .enumerate()
        .filter(|(_, i)| i.depth == 0)
        .filter_map(|(i, _)| known[i].map(|k| (i, k)))
        .filter(|(_, k)| {
            k.release.kind == ReleaseKind::CumulativeUpdate && k.release.component.is_some()
        })
        .collect();
    let newest = cus.iter().filter_map(|(_, k)| k.release.date.clone()).max();
    for (i, k) in &cus {
        let (Some(date), Some(newest)) = (&k.release.date, &newest) else {
            continue;
        };
        if date < newest
            && let Some((_, other)) = cus.iter().find(|(_, o)| {
                o.release.date.as_ref() == Some(newest)
                    && std::ptr::eq(o.catalog, k.catalog)
                    && o.release.component != k.release.component
            })
        {
            findings.push(Finding::new(
                &items[*i].origin,
                FindingKind::LevelMismatch {
                    release: k.release.name.clone(),
                    other: other.release.component.clone().unwrap_or_default(),
                    other_release: other.release.name.clone(),
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_files_parse_in_gnu_and_bsd_forms() {
        let sha256 = "a".repeat(64);
        let sha1 = "B".repeat(40);
        let text = format!(
            "# downloads\n{sha256}  wss-kb975002-fullfile-x86-glb.exe\n{sha1} *dir/sts.msp\r\nSHA256 (a b.exe) = {sha256}\n\n"
        );
        let sums = parse_sums(&text, "SHA256SUMS").unwrap();
        assert_eq!(sums.len(), 3);
        assert_eq!(sums[0].algorithm, HashAlgorithm::Sha256);
        assert_eq!(sums[0].name, "wss-kb975002-fullfile-x86-glb.exe");
        assert_eq!(sums[1].algorithm, HashAlgorithm::Sha1);
        assert_eq!(sums[1].digest, "b".repeat(40));
        assert_eq!(sums[1].name, "dir/sts.msp");
        assert_eq!(sums[2].name, "a b.exe");
        assert_eq!(
            parse_sums("xyz file\n", "S").unwrap_err(),
            SumsSyntax {
                file: "S".into(),
                line: 1
            }
        );
        assert!(parse_sums(&format!("{}  x\n", "g".repeat(64)), "S").is_err());
    }

    #[test]
    fn baselines_come_from_the_catalog_the_cod_rule_or_the_last_service_pack() {
        let release = |id: &str, kind, build: &str, requires: Option<&str>| Release {
            id: id.into(),
            name: id.into(),
            kind,
            component: Some("wss".into()),
            date: None,
            kb: "975002".into(),
            build: build.into(),
            requires_build: requires.map(Into::into),
            service_pack_level: None,
            files: vec![],
            patches: vec![],
            notes: vec![],
        };
        let catalog = Catalog {
            schema_version: 1,
            id: "t".into(),
            title: "t".into(),
            sources: vec![],
            architectures: vec![],
            language_packs: false,
            components: vec![],
            roles: vec![],
            releases: vec![
                release("sp1", ReleaseKind::ServicePack, "12.0.6219.1000", None),
                release("sp2", ReleaseKind::ServicePack, "12.0.6421.1000", None),
                release("sp3", ReleaseKind::ServicePack, "12.0.6606.1000", None),
            ],
            recommended_sequence: vec![],
            quirks: vec![],
            steps: vec![],
        };
        let base = |r: &Release| baseline_of(&catalog, r).map(|b| (b.build, b.stated));
        let cod = release("cod", ReleaseKind::Hotfix, "12.0.6327.5002", None);
        assert_eq!(base(&cod), Some((Build([12, 0, 6327, 5000]), true)));
        let cu = release("cu", ReleaseKind::CumulativeUpdate, "12.0.6520.5000", None);
        assert_eq!(base(&cu), Some((Build([12, 0, 6421, 1000]), false)));
        let stated = release(
            "cu",
            ReleaseKind::CumulativeUpdate,
            "12.0.6520.5000",
            Some("12.0.6219.1000"),
        );
        assert_eq!(base(&stated), Some((Build([12, 0, 6219, 1000]), true)));
        let sp = release("sp2", ReleaseKind::ServicePack, "12.0.6421.1000", None);
        assert_eq!(base(&sp), None);
    }
}
