//! Findings: what the checks found about a node, with a stable code, a severity, the Origin
//! chain and a one-line explanation with the remedy.

use std::fmt;
use std::sync::Arc;

use crate::error::Diagnostic;
use crate::model::manifest::{FindingEntry, SUMS};
use crate::model::{Arch, Build, Kb, Lang, Origin};

pub use crate::model::Severity;

/// What was found. Each kind has a stable kebab-case code (see [`FindingKind::code`]).
#[derive(Clone, Debug)]
pub enum FindingKind {
    /// The KB in the file name is not the one in the patch's MsiPatchMetadata.
    KbMismatch { name: Kb, content: Kb },
    /// The architecture in a name disagrees with the content (PE machine) or with the
    /// package that holds it.
    ArchMismatch {
        name: Arch,
        other: Arch,
        against: Against,
    },
    /// The language in a name disagrees with the content (ProductLanguage) or with the
    /// package that holds it.
    LanguageMismatch {
        name: Lang,
        other: Lang,
        against: Against,
    },
    /// MsiPatchMetadata `StdPackageName` is not the patch's file name.
    StdPackageNameMismatch { file: String, std_name: String },
    /// The metadata (version resource, summary information, tables) could not be read.
    MetadataUnreadable(Arc<dyn Diagnostic + Send + Sync>),
    /// A container inside the input is damaged: what it holds could not all be listed.
    Damaged(Arc<dyn Diagnostic + Send + Sync>),
    /// A container inside the input uses a format or method slipway cannot read (e.g. an
    /// unknown cabinet compression type): what it holds could not all be listed, but nothing
    /// says the download is damaged.
    Unsupported(Arc<dyn Diagnostic + Send + Sync>),
    /// An MSI's files are in an external cabinet that is not beside it (a nested MSI, or an
    /// MSI downloaded alone): the package is identified, its files are not listed.
    ExternalCabinetMissing { cabinet: String },
    /// A release the vendor withdrew (its KB, file name or build).
    Withdrawn { release: String, reason: String },
    /// The bytes' digest differs from a recorded one.
    HashMismatch {
        algorithm: HashAlgorithm,
        expected: String,
        actual: String,
        recorded_in: String,
    },
    /// The build the content states differs from the catalog's build for that KB.
    BuildMismatch {
        kb: Kb,
        expected: Build,
        actual: Build,
        what: &'static str,
    },
    /// A higher build of the same patch family (and language) is among the inputs.
    Superseded {
        family: String,
        build: Build,
        by: String,
        by_build: Build,
    },
    /// The same KB twice with different builds: the lower is an earlier release.
    KbReReleased {
        kb: Kb,
        build: Build,
        by: String,
        by_build: Build,
    },
    /// No catalog knows this package (new releases are verified before any catalog lists them).
    UnknownPackage,
    /// The release needs a baseline (service pack, or the CU before a hotfix) that is neither
    /// among the inputs nor declared installed.
    MissingBaseline {
        release: String,
        requires: Build,
        /// Stated by the catalog (error) rather than inferred from the last service pack
        /// (warning).
        stated: bool,
        /// With `--media`: the media's level (setup.exe's build, or the newest service pack
        /// in its `Updates`), which does not reach it — an error: the media say what a new
        /// server starts from.
        media: Option<Build>,
    },
    /// Inputs for more than one architecture, or one the product does not ship.
    MixedArchitectures { arch: Arch, others: Vec<Arch> },
    /// A localized patch without the global patch of the same release.
    MissingGlobalPartner { family: String, build: Build },
    /// `build`: a localized patch of a language that was not chosen with `--lang`.
    LanguageNotChosen { language: Lang },
    /// `build`: a patch the product's role table does not name: placed in every role.
    EveryRole {
        family: String,
        targets: Vec<String>,
    },
    /// `build`: a language asked for with `--lang` for which the downloads hold no patch.
    LanguageMissing { language: Lang, present: Vec<Lang> },
    /// `build`: a patch family no catalog component declares: placed in every role.
    UnknownFamily { family: String },
    /// `build --media`: the media's `setup.exe` names no edition of the product; only its
    /// build (or nothing) agrees with it.
    MediaUnconfirmed {
        product: String,
        name: Option<String>,
        build: Option<Build>,
    },
    /// `build`: the change brings language-dependent updates for a language pack that has no
    /// service pack (its media are at the release build and no language-pack service pack
    /// for it is in the media or the downloads).
    MissingLanguagePackBaseline { culture: Lang, build: Option<Build> },
    /// `build`: a catalog setup quirk removed a file from a role's source.
    QuirkApplied {
        quirk: String,
        file: String,
        role: String,
    },
    /// `build`: a file whose name cannot be a file name in OUT: not placed.
    UnsafeFileName {
        name: String,
        reason: crate::safe_path::PathRefusal,
    },
    /// `build`: the same patch (same bytes) twice among the inputs: placed once.
    DuplicatePatch { of: String },
    /// `verify OUT`: a file the install manifest lists is missing.
    OutputMissing { file: String },
    /// `verify OUT`: a file's bytes are not the ones the install manifest records.
    OutputModified {
        file: String,
        expected: String,
        actual: String,
    },
    /// `verify OUT`: a file the install manifest does not list.
    OutputExtra { file: String },
    /// `verify OUT`: something that is neither a regular file nor a folder (a symbolic link,
    /// a FIFO, a device; in a bundle, a link entry): never followed, never read.
    OutputNotRegular { file: String, kind: &'static str },
    /// `verify BUNDLE`: a name twice in the bundle, with different bytes.
    OutputDuplicate { file: String, first: String },
    /// `verify OUT`: `SHA256SUMS` and the install manifest disagree about a file.
    SumsMismatch { file: String, problem: String },
    /// The Authenticode signature does not verify: the file or its signature was altered.
    SignatureInvalid { reason: String },
    /// No Authenticode signature (an error with `--require-signature`).
    SignatureAbsent { required: bool },
    /// A signature that verifies but has no chain to a `--trust` anchor (an error with
    /// `--require-signature`).
    SignatureUntrusted {
        signer: String,
        reason: String,
        required: bool,
    },
    /// The newest language-independent package's month has no language-dependent package of
    /// its own: the newest one released before it goes with it, as the vendor asks.
    LanguageDependentFallback {
        /// The language-independent package's release (`July 2019`).
        release: String,
        /// The language-dependent package that goes with it.
        partner: String,
        kb: Option<Kb>,
        /// The release it was released in (`April 2019`).
        from: String,
        /// The vendor's words.
        rule: String,
    },
    /// The language-dependent package the newest language-independent one needs is not among
    /// the inputs (or only an older one is).
    LanguageDependentMissing {
        release: String,
        partner: String,
        kb: Option<Kb>,
        from: String,
    },
    /// Components of one product at different update levels (WSS CU from another month).
    LevelMismatch {
        release: String,
        other: String,
        other_release: String,
    },
}

/// A digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashAlgorithm {
    Sha256,
    Sha1,
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha1 => "SHA-1",
        })
    }
}

/// What a name was compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// The node's own content (PE header, MSI properties).
    Content,
    /// The name of the package that contains it.
    Parent,
}

impl FindingKind {
    /// The stable code, for scripts and `--json`.
    pub fn code(&self) -> &'static str {
        match self {
            FindingKind::KbMismatch { .. } => "kb-mismatch",
            FindingKind::ArchMismatch { .. } => "arch-mismatch",
            FindingKind::LanguageMismatch { .. } => "language-mismatch",
            FindingKind::StdPackageNameMismatch { .. } => "std-package-name-mismatch",
            FindingKind::MetadataUnreadable(_) => "metadata-unreadable",
            FindingKind::Damaged(_) => "damaged",
            FindingKind::Unsupported(_) => "unsupported-format",
            FindingKind::ExternalCabinetMissing { .. } => "external-cabinet-missing",
            FindingKind::HashMismatch { .. } => "hash-mismatch",
            FindingKind::BuildMismatch { .. } => "build-mismatch",
            FindingKind::Superseded { .. } | FindingKind::KbReReleased { .. } => "superseded",
            FindingKind::UnknownPackage => "unknown-package",
            FindingKind::Withdrawn { .. } => "withdrawn-release",
            FindingKind::MissingBaseline { .. } => "missing-baseline",
            FindingKind::MixedArchitectures { .. } => "arch-mismatch",
            FindingKind::MissingGlobalPartner { .. } => "missing-global-partner",
            FindingKind::LevelMismatch { .. } => "level-mismatch",
            FindingKind::LanguageDependentFallback { .. } => "language-dependent-fallback",
            FindingKind::LanguageDependentMissing { .. } => "language-dependent-missing",
            FindingKind::LanguageNotChosen { .. } => "language-not-chosen",
            FindingKind::LanguageMissing { .. } => "language-missing",
            FindingKind::EveryRole { .. } => "every-role",
            FindingKind::UnknownFamily { .. } => "unknown-family",
            FindingKind::MediaUnconfirmed { .. } => "media-unconfirmed",
            FindingKind::MissingLanguagePackBaseline { .. } => "missing-language-pack-baseline",
            FindingKind::QuirkApplied { .. } => "quirk-applied",
            FindingKind::DuplicatePatch { .. } => "duplicate",
            FindingKind::UnsafeFileName { .. } => "unsafe-name",
            FindingKind::OutputMissing { .. } => "output-missing",
            FindingKind::OutputModified { .. } => "output-modified",
            FindingKind::OutputExtra { .. } => "output-extra",
            FindingKind::OutputNotRegular { .. } => "output-not-regular",
            FindingKind::OutputDuplicate { .. } => "output-duplicate",
            FindingKind::SumsMismatch { .. } => "sums-mismatch",
            FindingKind::SignatureInvalid { .. } => "signature-invalid",
            FindingKind::SignatureAbsent { .. } => "signature-absent",
            FindingKind::SignatureUntrusted { .. } => "signature-untrusted",
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            FindingKind::MissingBaseline { stated, media, .. } => {
                if *stated || media.is_some() {
                    Severity::Error
                } else {
                    Severity::Warning
                }
            }
            // Unread content cannot be verified: as much an error as damage, for another
            // reason and with another remedy.
            FindingKind::Damaged(_)
            | FindingKind::Unsupported(_)
            | FindingKind::HashMismatch { .. }
            | FindingKind::BuildMismatch { .. }
            | FindingKind::MixedArchitectures { .. }
            | FindingKind::Withdrawn { .. } => Severity::Error,
            FindingKind::ExternalCabinetMissing { .. }
            | FindingKind::LanguageNotChosen { .. }
            | FindingKind::EveryRole { .. }
            | FindingKind::QuirkApplied { .. }
            | FindingKind::LanguageDependentFallback { .. }
            | FindingKind::DuplicatePatch { .. } => Severity::Info,
            FindingKind::UnknownFamily { .. } | FindingKind::MediaUnconfirmed { .. } => {
                Severity::Warning
            }
            FindingKind::LanguageMissing { .. }
            | FindingKind::MissingLanguagePackBaseline { .. } => Severity::Error,
            FindingKind::OutputMissing { .. }
            | FindingKind::UnsafeFileName { .. }
            | FindingKind::OutputModified { .. }
            | FindingKind::OutputExtra { .. }
            | FindingKind::OutputNotRegular { .. }
            | FindingKind::OutputDuplicate { .. }
            | FindingKind::SumsMismatch { .. } => Severity::Error,
            FindingKind::SignatureInvalid { .. } => Severity::Error,
            FindingKind::SignatureAbsent { required }
            | FindingKind::SignatureUntrusted { required, .. } => {
                if *required {
                    Severity::Error
                } else {
                    Severity::Warning
                }
            }
            FindingKind::Superseded { .. }
            | FindingKind::KbReReleased { .. }
            | FindingKind::UnknownPackage
            | FindingKind::MissingGlobalPartner { .. }
            | FindingKind::LanguageDependentMissing { .. }
            | FindingKind::LevelMismatch { .. } => Severity::Warning,
            FindingKind::KbMismatch { .. }
            | FindingKind::ArchMismatch { .. }
            | FindingKind::LanguageMismatch { .. }
            | FindingKind::StdPackageNameMismatch { .. }
            | FindingKind::MetadataUnreadable(_) => Severity::Warning,
        }
    }
}

/// What an `unsupported-format` finding adds to the error: what it means and what to do.
const UNSUPPORTED_REMEDY: &str = "; slipway cannot read this part, so its content is not checked (the file is not known to be damaged; downloading it again will not help)";

/// An error's one-line message relative to the node it is about: the node's own origin prefix
/// is dropped, so the finding does not repeat where it is.
fn relative(err: &dyn Diagnostic, origin: &Origin) -> String {
    let line = crate::error::line(err);
    let me = origin.to_string();
    if let Some(rest) = line.strip_prefix(&me) {
        if let Some(rest) = rest.strip_prefix(": ") {
            return rest.to_owned();
        }
        if let Some(rest) = rest.strip_prefix(" › ") {
            return rest.to_owned();
        }
    }
    line
}

impl FindingKind {
    /// The one-line explanation with its remedy, for a finding about `origin`.
    pub fn message(&self, origin: &Origin) -> String {
        match self {
            FindingKind::MetadataUnreadable(e) => format!(
                "metadata unreadable ({}); the file may be damaged: download it again",
                relative(&**e, origin)
            ),
            FindingKind::Damaged(e) => {
                format!(
                    "damaged: {}; download the package again",
                    relative(&**e, origin)
                )
            }
            FindingKind::Unsupported(e) => {
                format!("{}{UNSUPPORTED_REMEDY}", relative(&**e, origin))
            }
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let against = |a: &Against| match a {
            Against::Content => "its content says",
            Against::Parent => "the package holding it says",
        };
        match self {
            FindingKind::KbMismatch { name, content } => write!(
                f,
                "the name says {name} but the patch metadata says {content}; check that the file was not renamed or mixed up"
            ),
            FindingKind::ArchMismatch {
                name,
                other,
                against: a,
            } => write!(
                f,
                "the name says {name} but {} {other}; use the package built for the servers' architecture",
                against(a)
            ),
            FindingKind::LanguageMismatch {
                name,
                other,
                against: a,
            } => write!(
                f,
                "the name says {name} but {} {other}; use the package for the installed language",
                against(a)
            ),
            FindingKind::StdPackageNameMismatch { file, std_name } => write!(
                f,
                "the patch calls itself {std_name:?} (StdPackageName) but the file is {file:?}; rename it back or check its origin"
            ),
            FindingKind::MetadataUnreadable(e) => write!(
                f,
                "metadata unreadable ({}); the file may be damaged: download it again",
                crate::error::line(&**e)
            ),
            FindingKind::Damaged(e) => write!(
                f,
                "damaged: {}; download the package again",
                crate::error::line(&**e)
            ),
            FindingKind::Unsupported(e) => {
                write!(f, "{}{UNSUPPORTED_REMEDY}", crate::error::line(&**e))
            }
            FindingKind::ExternalCabinetMissing { cabinet } => write!(
                f,
                "its files are in the external cabinet {cabinet:?}, which is not beside it; put the cabinet next to it to list them"
            ),
            FindingKind::HashMismatch {
                algorithm,
                expected,
                actual,
                recorded_in,
            } => write!(
                f,
                "{algorithm} is {actual}, but {recorded_in} records {expected}: the file is not the one recorded; download it again from the vendor"
            ),
            FindingKind::BuildMismatch {
                kb,
                expected,
                actual,
                what,
            } => write!(
                f,
                "{what} is build {actual}, but the catalog's {kb} is build {expected}: a different release under the same KB; check the download"
            ),
            FindingKind::Superseded {
                family,
                build,
                by,
                by_build,
            } => write!(
                f,
                "family {family} build {build} is superseded by {by} (build {by_build}), which contains everything it does; leave it out"
            ),
            FindingKind::KbReReleased {
                kb,
                build,
                by,
                by_build,
            } => write!(
                f,
                "{kb} build {build} was re-released as {by} (build {by_build}); use the newer one"
            ),
            FindingKind::Withdrawn { release, reason } => write!(
                f,
                "{release} was withdrawn by the vendor ({reason}); never install it: use its re-release"
            ),
            FindingKind::UnknownPackage => f.write_str(
                "no catalog knows this package; check its KB and build against the vendor's page (or add it with --catalog)",
            ),
            FindingKind::MissingBaseline {
                release,
                requires,
                media: Some(level),
                ..
            } => write!(
                f,
                "{release} needs build {requires} installed first, which neither the media (build {level}) nor the downloads bring; add the service pack (or CU) it builds on to the downloads, or use media that include it"
            ),
            FindingKind::MissingBaseline {
                release, requires, ..
            } => write!(
                f,
                "{release} needs build {requires} installed first, which is neither among the inputs nor declared with --baseline; add the service pack (or CU) it builds on"
            ),
            FindingKind::MixedArchitectures { arch, others } => {
                let others: Vec<String> = others.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "this package is {arch} but {} also appear; every server of a farm needs the same architecture",
                    others.join(", ")
                )
            }
            FindingKind::LanguageDependentFallback {
                release,
                partner,
                kb,
                from,
                rule,
            } => write!(
                f,
                "{release} has no language-dependent package of its own: the newest one, {partner}{} of {from}, goes with it ({rule})",
                kb.map_or_else(String::new, |k| format!(" ({k})"))
            ),
            FindingKind::LanguageDependentMissing {
                release,
                partner,
                kb,
                from,
            } => write!(
                f,
                "the language-dependent package that goes with {release} is not among the inputs: add {partner}{} of {from} (without it the farm is not fully updated)",
                kb.map_or_else(String::new, |k| format!(" ({k})"))
            ),
            FindingKind::MissingGlobalPartner { family, build } => write!(
                f,
                "localized patch {family} build {build} has no global patch of the same build among the inputs; some fixes need both: add the glb package"
            ),
            FindingKind::LanguageNotChosen { language } => write!(
                f,
                "localized for {language}, which was not chosen with --lang; left out"
            ),
            FindingKind::EveryRole { family, targets } => write!(
                f,
                "family {family} is not in the product's role table: placed in every role; Windows Installer applies it only where one of its target products is installed ({})",
                if targets.is_empty() {
                    "none recorded".to_owned()
                } else {
                    targets.join(", ")
                }
            ),
            FindingKind::LanguageMissing { language, present } => {
                let present: Vec<&str> = present.iter().map(Lang::as_str).collect();
                write!(
                    f,
                    "--lang {language}: no patch among the downloads is localized for it (present: {}); download the {language} packages, or leave {language} out",
                    if present.is_empty() {
                        "none".to_owned()
                    } else {
                        present.join(", ")
                    }
                )
            }
            FindingKind::MissingLanguagePackBaseline { culture, build } => write!(
                f,
                "the {culture} language pack is at {} with no language-pack service pack, but the change brings {culture} updates: add the language packs' service packs for {culture} (every installed language pack needs them) to the downloads or the language pack's Updates folder",
                build.map_or_else(|| "its release build".to_owned(), |b| format!("build {b}"))
            ),
            FindingKind::MediaUnconfirmed {
                product,
                name,
                build,
            } => write!(
                f,
                "setup.exe names {} (build {}), no edition the {product} catalog knows; check that these are the {product} media",
                name.as_deref().map_or_else(|| "no product".to_owned(), |n| format!("{n:?}")),
                build.map_or_else(|| "unknown".to_owned(), |b| b.to_string())
            ),
            FindingKind::UnknownFamily { family } => write!(
                f,
                "family {family} is in no catalog component; placed in every role (check the catalog)"
            ),
            FindingKind::QuirkApplied { quirk, file, role } => write!(
                f,
                "{file} removed from role {role} by setup quirk {quirk}"
            ),
            FindingKind::UnsafeFileName { name, reason } => write!(
                f,
                "refused file name {name:?} ({reason}); not placed: the package is malformed"
            ),
            FindingKind::DuplicatePatch { of } => {
                write!(f, "the same bytes as {of}; placed once")
            }
            FindingKind::OutputMissing { file } => write!(
                f,
                "{file} is listed in the install manifest but missing; rebuild or restore it"
            ),
            FindingKind::OutputModified {
                file,
                expected,
                actual,
            } => write!(
                f,
                "{file} has SHA-256 {actual}, the install manifest records {expected}: it was modified; rebuild it"
            ),
            FindingKind::SumsMismatch { file, problem } => write!(
                f,
                "{SUMS}: {file} {problem}; {SUMS} or the manifest was edited: rebuild the source"
            ),
            FindingKind::OutputNotRegular { file, kind } => write!(
                f,
                "{file} is a {kind}, not a file or folder slipway writes (never followed nor read); remove it or rebuild"
            ),
            FindingKind::OutputDuplicate { file, first } => write!(
                f,
                "{file} is in the bundle twice ({first} first) with different bytes; rebuild the bundle"
            ),
            FindingKind::OutputExtra { file } => write!(
                f,
                "{file} is not in the install manifest; remove it (setup would apply it too)"
            ),
            FindingKind::SignatureInvalid { reason } => write!(
                f,
                "the Authenticode signature is invalid ({reason}); do not install it: download it again from the vendor"
            ),
            FindingKind::SignatureAbsent { .. } => f.write_str(
                "not signed (no Authenticode signature); vendor packages and patches are signed: check where it came from",
            ),
            FindingKind::SignatureUntrusted { signer, reason, .. } => write!(
                f,
                "signed by {signer}, but not trusted ({reason}); check where the file came from, or give its publisher's root certificate with --trust"
            ),
            FindingKind::LevelMismatch {
                release,
                other,
                other_release,
            } => write!(
                f,
                "this is {release} but {other} is at {other_release}; update every component to the same level"
            ),
        }
    }
}

/// One finding about one node.
#[derive(Clone, Debug)]
pub struct Finding {
    pub kind: FindingKind,
    pub origin: Origin,
}

impl Finding {
    pub fn new(origin: &Origin, kind: FindingKind) -> Finding {
        Finding {
            kind,
            origin: origin.clone(),
        }
    }

    pub fn severity(&self) -> Severity {
        self.kind.severity()
    }

    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The one-line explanation with its remedy (without the origin).
    pub fn message(&self) -> String {
        self.kind.message(&self.origin)
    }
}

/// The one serialised form of a finding (JSON reports and the install manifest).
impl From<&Finding> for FindingEntry {
    fn from(f: &Finding) -> FindingEntry {
        FindingEntry {
            severity: f.severity(),
            code: f.code().to_owned(),
            message: f.message(),
            origin: f.origin.labels(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} [{}]",
            self.origin,
            self.kind.message(&self.origin),
            self.kind.code()
        )
    }
}
