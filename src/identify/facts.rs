//! The facts of one node, from its name and from its content — PE version resource and
//! machine, MSI/MSP summary information and tables, Authenticode verdict — and the findings
//! where the two disagree.

use std::sync::Arc;

use crate::authenticode::{self, Status, TrustStore, Verdict};
use crate::extract::Error;
use crate::extract::walk::Node;
use crate::findings::{Against, Finding, FindingKind};
use crate::formats::Format;
use crate::formats::msi::{self, PackageFacts};
use crate::formats::payload::Source;
use crate::formats::pe::{self, PeFacts};
use crate::model::{Arch, Origin};
use crate::names::{NameFacts, classify_name, lcid_language};

/// What one node is.
#[derive(Debug)]
pub struct NodeFacts {
    /// What the name says.
    pub named: NameFacts,
    pub pe: Option<PeFacts>,
    pub package: Option<PackageFacts>,
    /// The Authenticode verdict: every executable and MSI/MSP, every input cabinet, and
    /// nested cabinets that are signed.
    pub signature: Option<Verdict>,
    pub findings: Vec<Finding>,
}

/// Reads the facts of `node` from `source`; `parent` is what the name of the package holding
/// it says.
pub fn of_node(
    node: &Node<'_>,
    source: &dyn Source,
    parent: Option<&NameFacts>,
    trust: &TrustStore,
) -> NodeFacts {
    let origin = node.origin;
    let named = classify_name(node.name);
    let mut findings = Vec::new();
    let unreadable = |e: Error| Finding::new(origin, FindingKind::MetadataUnreadable(Arc::new(e)));
    let mut pe_facts = None;
    let mut package = None;
    match node.format {
        Format::Executable => match source.open().and_then(|mut r| {
            let len = source.size()?;
            pe::facts(&mut *r, len)
        }) {
            Ok(f) => pe_facts = f,
            Err(e) => findings.push(unreadable(Error::reading(origin, e))),
        },
        Format::CompoundFile => match source
            .open()
            .map_err(|e| Error::reading(origin, e))
            .and_then(|r| msi::facts(r).map_err(|e| Error::format(origin, e)))
        {
            Ok(f) => package = Some(f),
            Err(e) => findings.push(unreadable(e)),
        },
        Format::Cab | Format::Zip | Format::DiscImage | Format::Unknown => {}
    }
    compare(
        origin,
        node.name,
        &named,
        parent,
        pe_facts.as_ref(),
        package.as_ref(),
        &mut findings,
    );
    let signature = match authenticode::check(node.format, source, trust) {
        // An unsigned cabinet inside a package is the rule (MSI media, PCW_CAB_…).
        Ok(Some(v))
            if node.format == Format::Cab && node.depth > 0 && v.status == Status::Absent =>
        {
            None
        }
        Ok(v) => v,
        Err(e) => {
            findings.push(unreadable(Error::reading(origin, e)));
            None
        }
    };
    NodeFacts {
        named,
        pe: pe_facts,
        package,
        signature,
        findings,
    }
}

/// Where the name and the content (or the parent's name) disagree.
fn compare(
    origin: &Origin,
    file: &str,
    named: &NameFacts,
    parent: Option<&NameFacts>,
    pe_facts: Option<&PeFacts>,
    package: Option<&PackageFacts>,
    findings: &mut Vec<Finding>,
) {
    if let Some(patch) = package.and_then(|p| p.patch.as_ref()) {
        if let (Some(name_kb), Some(content_kb)) = (named.kb, patch.kb)
            && name_kb != content_kb
        {
            findings.push(Finding::new(
                origin,
                FindingKind::KbMismatch {
                    name: name_kb,
                    content: content_kb,
                },
            ));
        }
        let std_name = patch
            .metadata
            .iter()
            .find(|m| m.1.eq_ignore_ascii_case("StdPackageName"))
            .map(|m| m.2.trim().to_owned());
        if let Some(std_name) = std_name
            && !std_name.is_empty()
            && !std_name.eq_ignore_ascii_case(file)
        {
            findings.push(Finding::new(
                origin,
                FindingKind::StdPackageNameMismatch {
                    file: file.to_owned(),
                    std_name,
                },
            ));
        }
    }
    if let (Some(name_lang), Some(lcid)) = (
        named.language.as_ref(),
        package
            .and_then(|p| p.properties.get("ProductLanguage"))
            .and_then(|v| v.trim().parse::<u32>().ok()),
    ) && let Some(content_lang) = lcid_language(lcid)
        && !name_lang.agrees_with(&content_lang)
    {
        findings.push(Finding::new(
            origin,
            FindingKind::LanguageMismatch {
                name: name_lang.clone(),
                other: content_lang,
                against: Against::Content,
            },
        ));
    }
    // An x86 name on a 64-bit image is wrong; the reverse is common (x86 self-extractor stubs
    // wrap x64 payloads), so it is not flagged.
    if let (Some(Arch::X86), Some(machine)) = (named.arch, pe_facts.and_then(|p| p.machine))
        && matches!(machine, Arch::X64 | Arch::Ia64)
    {
        findings.push(Finding::new(
            origin,
            FindingKind::ArchMismatch {
                name: Arch::X86,
                other: machine,
                against: Against::Content,
            },
        ));
    }
    if let Some(parent) = parent {
        if let (Some(mine), Some(theirs)) = (named.arch, parent.arch)
            && mine != theirs
            && !covers(theirs, mine)
        {
            findings.push(Finding::new(
                origin,
                FindingKind::ArchMismatch {
                    name: mine,
                    other: theirs,
                    against: Against::Parent,
                },
            ));
        }
        if let (Some(mine), Some(theirs)) = (&named.language, &parent.language)
            && !mine.agrees_with(theirs)
        {
            findings.push(Finding::new(
                origin,
                FindingKind::LanguageMismatch {
                    name: mine.clone(),
                    other: theirs.clone(),
                    against: Against::Parent,
                },
            ));
        }
    }
}

/// Whether a package of architecture `outer` may legitimately hold `inner` (an `x86_x64`
/// package holds both).
fn covers(outer: Arch, inner: Arch) -> bool {
    outer == Arch::X86X64 && matches!(inner, Arch::X86 | Arch::X64)
}
