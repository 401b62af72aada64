//! Authenticode: the vendor's embedded signature on executables (PE), signed cabinets and
//! MSI/MSP packages, verified without running anything and without OpenSSL.
//!
//! Per format ([`pe`], [`cab`], [`msi`]) the signature blob is located and the file's digest is
//! computed the way the Authenticode spec and osslsigncode do; then ([`evaluate`]) the PKCS#7
//! SignedData ([`pkcs7`]) is checked: the SpcIndirectDataContent digest equals the file's, the
//! messageDigest attribute equals the hash of that content, the signer's signature over the
//! authenticated attributes verifies, the countersignature (PKCS#9 or RFC 3161) gives the
//! signing time when its own signature and its signer's chain verify, and [`chain`] builds and
//! judges the certificate chain to a trust anchor ([`trust`]: Microsoft's roots built in, plus
//! `--trust`) at that time, else now. Nested signatures (szOID_NESTED_SIGNATURE, dual
//! SHA-1/SHA-256 signing) are checked the same way.
//!
//! Every result is a [`Verdict`]: a malformed, altered or forged signature is `invalid`, never
//! a panic or an error; only I/O errors of the reader are `Err`.

pub mod cab;
pub mod cert;
pub mod chain;
pub mod msi;
pub mod pe;
pub mod pkcs7;
pub mod trust;

use std::fmt;
use std::io::{self, Read, SeekFrom};

use serde::Serialize;
use sha2::digest::DynDigest;

pub use trust::{Anchor, RootPolicy, TrustError, TrustStore};

use crate::formats::payload::Source;
use crate::formats::{Format, ReadSeek};
use cert::Cert;
use chain::{ChainStatus, EvalTime, Purpose};
use pkcs7::{IndirectData, SignedData, SignerId, SignerInfo, TstInfo, oids};

/// Largest signature blob read (real ones are 5–30 KiB).
pub const MAX_SIGNATURE: u64 = 16 << 20;
/// Most nested signatures checked.
const MAX_NESTED: usize = 8;

/// What the signature says about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The digest and the signature verify and the chain ends at a trust anchor (built in or
    /// `--trust`), every certificate valid at the signing time and allowed by the root
    /// program's dates.
    Valid,
    /// The digest and the signature verify, but no anchor vouches for the chain at the
    /// signing time: no path to an anchor, a certificate expired (or not yet valid), or the
    /// root program's dates exclude it.
    Untrusted,
    /// The digest, the signature or a certificate does not match: the file, its signature or
    /// a certificate was altered or forged, a certificate is used against its constraints
    /// (extended key usage, basic constraints), or the signature cannot be read.
    Invalid,
    /// No signature.
    Absent,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Valid => "valid",
            Status::Untrusted => "untrusted",
            Status::Invalid => "invalid",
            Status::Absent => "absent",
        })
    }
}

/// A digest algorithm of a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestAlgorithm {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl DigestAlgorithm {
    pub fn hasher(self) -> Box<dyn DynDigest> {
        match self {
            DigestAlgorithm::Sha1 => Box::new(sha1::Sha1::default()),
            DigestAlgorithm::Sha256 => Box::new(sha2::Sha256::default()),
            DigestAlgorithm::Sha384 => Box::new(sha2::Sha384::default()),
            DigestAlgorithm::Sha512 => Box::new(sha2::Sha512::default()),
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut h = self.hasher();
        h.update(data);
        h.finalize().to_vec()
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DigestAlgorithm::Sha1 => "sha1",
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha384 => "sha384",
            DigestAlgorithm::Sha512 => "sha512",
        })
    }
}

/// Why a signature does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    #[error("malformed signature: {0}")]
    Malformed(&'static str),
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("the file's {algorithm} digest does not match the signed digest: the file was altered")]
    DigestMismatch { algorithm: DigestAlgorithm },
    #[error(
        "the messageDigest attribute does not match the signed content: the signature was altered"
    )]
    AttributeDigestMismatch,
    #[error("the signer's signature does not verify: the signature was altered")]
    BadSignature,
    #[error("the signer's certificate is not in the signature")]
    SignerCertificateMissing,
    #[error("the signed content is not Authenticode (SpcIndirectDataContent)")]
    NotAuthenticode,
}

/// The verdict on one file's signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub status: Status,
    /// The signer certificate's subject (RFC 4514).
    pub signer: Option<String>,
    /// The chain above the signer, nearest first.
    pub issuers: Vec<String>,
    pub digest_algorithm: Option<DigestAlgorithm>,
    /// The countersignature's (or RFC 3161 timestamp's) time, when its signature verifies
    /// (the chain is evaluated at it only when the timestamp's chain is trusted too).
    pub signed_at: Option<String>,
    /// Why the status is not `valid` (or a note about the timestamp).
    pub reason: Option<String>,
    /// Nested signatures (dual signing), each checked like the primary one.
    pub nested: Vec<Verdict>,
}

impl Verdict {
    pub fn absent() -> Verdict {
        Verdict {
            status: Status::Absent,
            signer: None,
            issuers: Vec::new(),
            digest_algorithm: None,
            signed_at: None,
            reason: None,
            nested: Vec::new(),
        }
    }

    fn invalid(e: &SigError) -> Verdict {
        Verdict {
            status: Status::Invalid,
            reason: Some(e.to_string()),
            ..Verdict::absent()
        }
    }
}

/// Checks the embedded signature of `source` (of `format`): `Ok(None)` for formats that carry
/// none (zip, unknown). Only reader I/O errors are `Err`.
pub fn check(
    format: Format,
    source: &dyn Source,
    trust: &TrustStore,
) -> io::Result<Option<Verdict>> {
    match format {
        Format::Executable => pe::check(source, trust).map(Some),
        Format::Cab => cab::check(source, trust).map(Some),
        Format::CompoundFile => msi::check(source, trust).map(Some),
        Format::Zip | Format::DiscImage | Format::Unknown => Ok(None),
    }
}

/// Hashers for several algorithms fed at once (a dual-signed file is read once).
pub(crate) struct Multi {
    hashers: Vec<(DigestAlgorithm, Box<dyn DynDigest>)>,
}

impl Multi {
    pub(crate) fn new(algs: &[DigestAlgorithm]) -> Multi {
        Multi {
            hashers: algs.iter().map(|&a| (a, a.hasher())).collect(),
        }
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        for (_, h) in &mut self.hashers {
            h.update(data);
        }
    }

    pub(crate) fn finish(self) -> Vec<(DigestAlgorithm, Vec<u8>)> {
        self.hashers
            .into_iter()
            .map(|(a, h)| (a, h.finalize().to_vec()))
            .collect()
    }
}

/// Feeds bytes `[0, end)` of `r` to `multi`, except those in `holes` (sorted, disjoint
/// `(start, len)`). The reads are sequential from offset 0.
pub(crate) fn hash_except(
    r: &mut dyn ReadSeek,
    end: u64,
    holes: &[(u64, u64)],
    multi: &mut Multi,
) -> io::Result<()> {
    r.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut pos = 0u64;
    while pos < end {
        let want = usize::try_from((end - pos).min(buf.len() as u64)).unwrap_or(buf.len());
        let n = r.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file ended while hashing",
            ));
        }
        let chunk_end = pos + n as u64;
        let mut at = pos;
        for &(hs, hl) in holes {
            let he = hs.saturating_add(hl);
            if he <= at || hs >= chunk_end {
                continue;
            }
            if hs > at {
                multi.update(&buf[(at - pos) as usize..(hs - pos) as usize]);
            }
            at = he.min(chunk_end);
        }
        if at < chunk_end {
            multi.update(&buf[(at - pos) as usize..n]);
        }
        pos = chunk_end;
    }
    Ok(())
}

/// Reads `len` bytes at `offset` (the caller has bounded `len`).
pub(crate) fn read_exact_at(r: &mut dyn ReadSeek, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(offset))?;
    let mut v = Vec::new();
    r.take(len).read_to_end(&mut v)?;
    if (v.len() as u64) < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file ended inside the signature",
        ));
    }
    Ok(v)
}

/// One SignedData to check, with its content already parsed.
struct Candidate<'a> {
    sd: SignedData<'a>,
    indirect: Result<IndirectData<'a>, SigError>,
}

fn candidate(sd: SignedData<'_>) -> Candidate<'_> {
    let indirect = if sd.content_type != oids::SPC_INDIRECT_DATA {
        Err(SigError::NotAuthenticode)
    } else {
        match sd.content {
            Some(c) => IndirectData::parse(c),
            None => Err(SigError::Malformed("no signed content")),
        }
    };
    Candidate { sd, indirect }
}

/// Checks a signature blob against the file digests that `digests` computes for the
/// algorithms asked (`Ok(Err(_))`: the file's layout cannot be hashed).
pub(crate) fn evaluate(
    blob: &[u8],
    digests: impl FnOnce(
        &[DigestAlgorithm],
    ) -> io::Result<Result<Vec<(DigestAlgorithm, Vec<u8>)>, SigError>>,
    trust: &TrustStore,
) -> io::Result<Verdict> {
    let primary = match pkcs7::parse(blob) {
        Ok(sd) => candidate(sd),
        Err(e) => return Ok(Verdict::invalid(&e)),
    };
    // Nested signatures hang off the primary signer's unsigned attributes.
    let mut nested = Vec::new();
    if let Some(si) = primary.sd.signers.first() {
        for attr in si
            .unsigned_attrs
            .iter()
            .filter(|a| a.oid == oids::MS_NESTED_SIGNATURE)
        {
            for v in &attr.values {
                if nested.len() < MAX_NESTED {
                    nested.push(SignedData::parse_content_info(*v).map(candidate));
                }
            }
        }
    }
    let mut algs: Vec<DigestAlgorithm> = std::iter::once(&primary)
        .chain(nested.iter().flatten())
        .filter_map(|c| c.indirect.as_ref().ok().map(|i| i.algorithm))
        .collect();
    algs.sort();
    algs.dedup();
    let file = match digests(&algs)? {
        Ok(d) => d,
        Err(e) => return Ok(Verdict::invalid(&e)),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut verdict = verify_candidate(&primary, &file, trust, now);
    for n in nested {
        let v = match n {
            Ok(c) => verify_candidate(&c, &file, trust, now),
            Err(e) => Verdict::invalid(&e),
        };
        verdict.nested.push(v);
    }
    if verdict.status != Status::Invalid
        && let Some(bad) = verdict.nested.iter().find(|n| n.status == Status::Invalid)
    {
        verdict.reason = Some(format!(
            "a nested signature is invalid: {}",
            bad.reason.clone().unwrap_or_default()
        ));
        verdict.status = Status::Invalid;
    }
    Ok(verdict)
}

/// Finds the certificate a SignerInfo names.
fn signer_certificate<'c>(si: &SignerInfo<'_>, pool: &'c [Cert]) -> Option<&'c Cert> {
    pool.iter().find(|c| match &si.sid {
        SignerId::IssuerSerial { issuer, serial } => {
            c.issuer_der.as_slice() == *issuer && c.serial.as_slice() == *serial
        }
        SignerId::KeyId(id) => c.key_id.as_deref() == Some(*id),
    })
}

/// Checks a SignerInfo: the messageDigest attribute is the hash of `content`, and its
/// signature over the authenticated attributes verifies with its certificate from `pool`.
fn verify_signer<'c>(
    si: &SignerInfo<'_>,
    content: &[u8],
    pool: &'c [Cert],
    countersignature: bool,
) -> Result<&'c Cert, SigError> {
    let alg = pkcs7::digest_algorithm(&si.digest_oid)?;
    if si.message_digest()? != alg.digest(content).as_slice() {
        return Err(SigError::AttributeDigestMismatch);
    }
    let cert = signer_certificate(si, pool).ok_or(SigError::SignerCertificateMissing)?;
    let signed = si
        .signed_bytes()
        .ok_or(SigError::Malformed("no authenticated attributes"))?;
    cert::verify_signature(
        cert.spki(),
        alg,
        &alg.digest(&signed),
        si.signature,
        countersignature,
    )?;
    Ok(cert)
}

/// Most timestamps of one signature looked at.
const MAX_TIMESTAMPS: usize = 16;

/// A timestamp whose own signature verifies.
struct Stamp {
    /// Seconds since the Unix epoch.
    time: i64,
    /// Why its signer's chain is not trusted at that time (`None`: trusted).
    untrusted: Option<String>,
}

/// The timestamps on `si` whose signature verifies: a PKCS#9 counterSignature's signingTime
/// (RFC 2985 §5.3.6) or an RFC 3161 token's genTime; one whose signer chains to an anchor at
/// its own time, with the time-stamping usage, is preferred. `Err`: there are timestamps, but
/// none whose signature verifies.
fn countersigned_time(
    si: &SignerInfo<'_>,
    pool: &[Cert],
    trust: &TrustStore,
) -> Result<Option<Stamp>, SigError> {
    let mut first = None;
    let mut last_err = None;
    let stamps = si.unsigned_attrs.iter().flat_map(|a| {
        a.values.iter().filter_map(move |v| match a.oid {
            oids::COUNTER_SIGNATURE => Some((true, *v)),
            oids::MS_RFC3161_TIMESTAMP => Some((false, *v)),
            _ => None,
        })
    });
    for (pkcs9, v) in stamps.take(MAX_TIMESTAMPS) {
        let r = if pkcs9 {
            pkcs9_time(v, si.signature, pool, trust)
        } else {
            rfc3161_time(v, si.signature, pool, trust)
        };
        match r {
            Ok(s) if s.untrusted.is_none() => return Ok(Some(s)),
            Ok(s) => {
                first.get_or_insert(s);
            }
            Err(e) => last_err = Some(e),
        }
    }
    match (first, last_err) {
        (Some(s), _) => Ok(Some(s)),
        (None, Some(e)) => Err(e),
        (None, None) => Ok(None),
    }
}

/// Judges the chain of a timestamp's signer `tsa` at the timestamp's `time`.
fn stamp(tsa: &Cert, pool: &[Cert], trust: &TrustStore, time: i64) -> Stamp {
    let at = EvalTime {
        at: time,
        stamped: true,
    };
    let chain = chain::build(tsa, pool, trust, at, Purpose::TimeStamping);
    Stamp {
        time,
        untrusted: (chain.status != ChainStatus::Trusted).then(|| {
            chain
                .problem
                .unwrap_or_else(|| "no chain to a trust anchor".to_owned())
        }),
    }
}

fn pkcs9_time(
    v: pkcs7::Der<'_>,
    signature: &[u8],
    pool: &[Cert],
    trust: &TrustStore,
) -> Result<Stamp, SigError> {
    let cs = SignerInfo::parse(v)?;
    let tsa = verify_signer(&cs, signature, pool, true)?;
    let t = cs
        .signed_attr(oids::SIGNING_TIME)
        .and_then(|a| a.values.first())
        .ok_or(SigError::Malformed("countersignature without signingTime"))?;
    Ok(stamp(tsa, pool, trust, pkcs7::time_value(*t)?))
}

fn rfc3161_time(
    v: pkcs7::Der<'_>,
    signature: &[u8],
    outer: &[Cert],
    trust: &TrustStore,
) -> Result<Stamp, SigError> {
    let token = SignedData::parse_content_info(v)?;
    if token.content_type != oids::TST_INFO {
        return Err(SigError::Malformed("timestamp token without TSTInfo"));
    }
    let content = token
        .content
        .ok_or(SigError::Malformed("timestamp token without content"))?
        .expect(pkcs7::OCTET_STRING, "TSTInfo is not an OCTET STRING")?
        .body;
    let tst = TstInfo::parse(content)?;
    if tst.imprint != tst.imprint_algorithm.digest(signature).as_slice() {
        return Err(SigError::Malformed(
            "timestamp imprint does not match the signature",
        ));
    }
    // The token's certificates, then the signature's (some signers put the TSA's there).
    let pool: Vec<Cert> = token
        .certificates
        .iter()
        .filter_map(|c| Cert::parse(c).ok())
        .chain(outer.iter().cloned())
        .collect();
    let si = token
        .signers
        .first()
        .ok_or(SigError::Malformed("timestamp token without signer"))?;
    let tsa = verify_signer(si, content, &pool, true)?;
    Ok(stamp(tsa, &pool, trust, tst.gen_time))
}

fn verify_candidate(
    c: &Candidate<'_>,
    file: &[(DigestAlgorithm, Vec<u8>)],
    trust: &TrustStore,
    now: i64,
) -> Verdict {
    let indirect = match &c.indirect {
        Ok(i) => i,
        Err(e) => return Verdict::invalid(e),
    };
    let mut v = Verdict {
        digest_algorithm: Some(indirect.algorithm),
        ..Verdict::absent()
    };
    let fail = |mut v: Verdict, e: SigError| {
        v.status = Status::Invalid;
        v.reason = Some(e.to_string());
        v
    };
    let computed = file
        .iter()
        .find(|(a, _)| *a == indirect.algorithm)
        .map(|(_, d)| d.as_slice());
    if computed != Some(indirect.digest) {
        return fail(
            v,
            SigError::DigestMismatch {
                algorithm: indirect.algorithm,
            },
        );
    }
    let pool: Vec<Cert> =
        c.sd.certificates
            .iter()
            .filter_map(|d| Cert::parse(d).ok())
            .collect();
    // Authenticode: exactly one SignerInfo.
    let Some(si) = c.sd.signers.first() else {
        return fail(v, SigError::Malformed("no SignerInfo"));
    };
    let signer = match verify_signer(si, indirect.hashed, &pool, false) {
        Ok(cert) => cert,
        Err(e) => {
            if let Some(cert) = signer_certificate(si, &pool) {
                v.signer = Some(cert.subject());
            }
            return fail(v, e);
        }
    };
    v.signer = Some(signer.subject());
    let current = EvalTime {
        at: now,
        stamped: false,
    };
    let mut note = None;
    let mut stamp_problem = None;
    let time = match countersigned_time(si, &pool, trust) {
        Ok(Some(s)) => {
            v.signed_at = Some(pkcs7::rfc3339(s.time));
            match s.untrusted {
                None => EvalTime {
                    at: s.time,
                    stamped: true,
                },
                Some(why) => {
                    note = Some(format!(
                        "the timestamp is not trusted ({why}), so the chain is evaluated now"
                    ));
                    stamp_problem = Some(why);
                    current
                }
            }
        }
        Ok(None) => current,
        Err(e) => {
            note = Some(format!(
                "the countersignature does not verify ({e}); no signing time"
            ));
            current
        }
    };
    let chain = chain::build(signer, &pool, trust, time, Purpose::CodeSigning);
    v.issuers = chain.issuers;
    v.status = match chain.status {
        ChainStatus::Trusted => Status::Valid,
        ChainStatus::Untrusted => Status::Untrusted,
        ChainStatus::Invalid => Status::Invalid,
    };
    if stamp_problem.is_some() && stamp_problem == chain.problem {
        // The same reason twice (no anchor for either) says nothing new.
        note = None;
    }
    v.reason = match (chain.problem, note) {
        (Some(r), Some(n)) => Some(format!("{r}; {n}")),
        (r, n) => r.or(n),
    };
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn holes_are_skipped_across_chunks() {
        let data: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
        let holes = [(10, 4), (262_140, 10), (599_990, 100)];
        let mut m = Multi::new(&[DigestAlgorithm::Sha256]);
        hash_except(&mut Cursor::new(data.clone()), 599_995, &holes, &mut m).unwrap();
        let mut expect = Vec::new();
        for (i, b) in data.iter().enumerate().take(599_995) {
            let i = i as u64;
            if !holes.iter().any(|&(s, l)| i >= s && i < s + l) {
                expect.push(*b);
            }
        }
        assert_eq!(m.finish()[0].1, DigestAlgorithm::Sha256.digest(&expect));
    }

    #[test]
    fn garbage_blobs_are_invalid_not_panics() {
        for blob in [&b""[..], b"\x30", b"\x30\x03\x06\x01\x00", &[0xff; 64]] {
            let v = evaluate(blob, |_| Ok(Ok(Vec::new())), &TrustStore::empty()).unwrap();
            assert_eq!(v.status, Status::Invalid);
        }
    }
}
