//! Certificates, public-key signature checks (RSA PKCS#1 v1.5, ECDSA P-256/P-384) and chain
//! building from a signer certificate to a trust anchor given with `--trust FILE|DIR`.
//!
//! Certificates are walked with the raw-keeping DER reader of [`super::pkcs7`] (the TBS part is
//! verified as encoded, RFC 5280 §4.1.1.3); names are rendered with `x509-cert` (RFC 4514).
//! What is checked: each link's signature and name match, and the validity period of every
//! certificate below the anchor at the signing time (the timestamp's, else now). Not checked:
//! revocation, basic constraints, key usage and extended key usage.

use std::path::{Path, PathBuf};

use der::Decode as _;
use der::asn1::ObjectIdentifier as Oid;

use super::pkcs7::{self, BIT_STRING, CTX0, Der, INTEGER, SEQUENCE, oids};
use super::{DigestAlgorithm, SigError};

/// Most certificates followed from the signer up (a real chain has 2 or 3).
const MAX_CHAIN: usize = 8;
/// Largest trust file read.
const MAX_TRUST_FILE: u64 = 4 << 20;

/// One certificate, parsed enough to chain and verify.
#[derive(Clone, Debug)]
pub struct Cert {
    pub der: Vec<u8>,
    /// The TBSCertificate as encoded: what the issuer signed.
    tbs: std::ops::Range<usize>,
    signature_oid: Oid,
    signature: std::ops::Range<usize>,
    pub serial: Vec<u8>,
    pub issuer_der: Vec<u8>,
    pub subject_der: Vec<u8>,
    spki: std::ops::Range<usize>,
    /// notBefore, notAfter (seconds since the Unix epoch).
    pub validity: (i64, i64),
    /// SubjectKeyIdentifier extension value, when present.
    pub key_id: Option<Vec<u8>>,
}

fn range_of(outer: &[u8], inner: &[u8]) -> std::ops::Range<usize> {
    let start = inner.as_ptr() as usize - outer.as_ptr() as usize;
    start..start + inner.len()
}

impl Cert {
    pub fn parse(der: &[u8]) -> Result<Cert, SigError> {
        let bad = SigError::Malformed;
        let cert = pkcs7::first(der)?.expect(SEQUENCE, "certificate")?;
        let der = cert.full;
        let parts = cert.children()?;
        let (Some(tbs), Some(alg), Some(sig)) = (parts.first(), parts.get(1), parts.get(2)) else {
            return Err(bad("short certificate"));
        };
        let tbs = tbs.expect(SEQUENCE, "TBSCertificate")?;
        let signature_oid = alg
            .expect(SEQUENCE, "signatureAlgorithm")?
            .children()?
            .first()
            .ok_or(bad("empty signatureAlgorithm"))?
            .oid()?;
        let sig = sig.expect(BIT_STRING, "signatureValue")?;
        let sig_bits = sig.body.get(1..).ok_or(bad("empty signatureValue"))?;
        let mut fields = tbs.children()?.into_iter().peekable();
        if fields.peek().is_some_and(|f| f.tag == CTX0) {
            fields.next();
        }
        let mut field = |what| fields.next().ok_or(bad(what));
        let serial = field("serialNumber")?.expect(INTEGER, "serialNumber")?;
        field("signature")?;
        let issuer = field("issuer")?.expect(SEQUENCE, "issuer")?;
        let validity = field("validity")?
            .expect(SEQUENCE, "validity")?
            .children()?;
        let subject = field("subject")?.expect(SEQUENCE, "subject")?;
        let spki = field("subjectPublicKeyInfo")?.expect(SEQUENCE, "subjectPublicKeyInfo")?;
        let (Some(nb), Some(na)) = (validity.first(), validity.get(1)) else {
            return Err(bad("short validity"));
        };
        let validity = (pkcs7::time_value(*nb)?, pkcs7::time_value(*na)?);
        let mut key_id = None;
        for rest in fields {
            // [3] EXPLICIT Extensions
            if rest.tag != 0xA3 {
                continue;
            }
            for ext in rest.children()? {
                for e in ext.children()? {
                    let p = e.children()?;
                    if p.first().and_then(|o| o.oid().ok()) == Some(Oid::new_unwrap("2.5.29.14"))
                        && let Some(v) = p.last()
                        && let Ok(inner) = pkcs7::first(v.body)
                    {
                        key_id = Some(inner.body.to_vec());
                    }
                }
            }
        }
        Ok(Cert {
            der: der.to_vec(),
            tbs: range_of(der, tbs.full),
            signature_oid,
            signature: range_of(der, sig_bits),
            serial: serial.body.to_vec(),
            issuer_der: issuer.full.to_vec(),
            subject_der: subject.full.to_vec(),
            spki: range_of(der, spki.full),
            validity,
            key_id,
        })
    }

    /// The subject as an RFC 4514 string (`CN=…,O=…`).
    pub fn subject(&self) -> String {
        name_string(&self.subject_der)
    }

    pub fn issuer(&self) -> String {
        name_string(&self.issuer_der)
    }

    pub fn spki(&self) -> &[u8] {
        &self.der[self.spki.clone()]
    }

    fn self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// Whether `issuer`'s key verifies this certificate's signature.
    pub fn signed_by(&self, issuer: &Cert) -> bool {
        let Ok(alg) = certificate_digest(&self.signature_oid) else {
            return false;
        };
        let digest = alg.digest(&self.der[self.tbs.clone()]);
        verify_signature(
            issuer.spki(),
            alg,
            &digest,
            &self.der[self.signature.clone()],
            false,
        )
        .is_ok()
    }

    fn valid_at(&self, t: i64) -> bool {
        self.validity.0 <= t && t <= self.validity.1
    }
}

/// An RFC 4514 rendering of a DER Name; the hex of the DER when it does not parse.
pub fn name_string(der: &[u8]) -> String {
    match x509_cert::name::Name::from_der(der) {
        Ok(n) => n.to_string(),
        Err(_) => format!(
            "#{}",
            der.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}

/// The digest of a certificate signature algorithm.
fn certificate_digest(oid: &Oid) -> Result<DigestAlgorithm, SigError> {
    match *oid {
        oids::SHA1_RSA | oids::SHA1_RSA_OIW | oids::ECDSA_SHA1 => Ok(DigestAlgorithm::Sha1),
        oids::SHA256_RSA | oids::ECDSA_SHA256 => Ok(DigestAlgorithm::Sha256),
        oids::SHA384_RSA | oids::ECDSA_SHA384 => Ok(DigestAlgorithm::Sha384),
        oids::SHA512_RSA | oids::ECDSA_SHA512 => Ok(DigestAlgorithm::Sha512),
        ref other => Err(SigError::UnsupportedAlgorithm(other.to_string())),
    }
}

/// Verifies `signature` over a precomputed `digest` with the key in `spki_der`: RSA PKCS#1
/// v1.5 (RFC 8017 §8.2) or ECDSA over P-256/P-384 (the signature DER-encoded, RFC 5480).
///
/// `raw_ok`: also accept an RSA signature over the bare digest without its DigestInfo, as
/// the Symantec/VeriSign timestamping services wrote PKCS#9 countersignatures (OpenSSL and
/// Windows accept them there).
pub fn verify_signature(
    spki_der: &[u8],
    alg: DigestAlgorithm,
    digest: &[u8],
    signature: &[u8],
    raw_ok: bool,
) -> Result<(), SigError> {
    let spki = pkcs7::first(spki_der)?.children()?;
    let algo = spki
        .first()
        .ok_or(SigError::Malformed("empty SubjectPublicKeyInfo"))?
        .children()?;
    let key_oid = algo
        .first()
        .ok_or(SigError::Malformed("empty key algorithm"))?
        .oid()?;
    match key_oid {
        oids::RSA => {
            use rsa::pkcs8::DecodePublicKey as _;
            use rsa::{Pkcs1v15Sign, RsaPublicKey};
            let key = RsaPublicKey::from_public_key_der(spki_der)
                .map_err(|_| SigError::Malformed("bad RSA public key"))?;
            let scheme = match alg {
                DigestAlgorithm::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
                DigestAlgorithm::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
                DigestAlgorithm::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
                DigestAlgorithm::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
            };
            key.verify(scheme, digest, signature)
                .or_else(|e| {
                    if raw_ok {
                        key.verify(Pkcs1v15Sign::new_unprefixed(), digest, signature)
                    } else {
                        Err(e)
                    }
                })
                .map_err(|_| SigError::BadSignature)
        }
        oids::EC_PUBLIC_KEY => {
            use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
            use p256::pkcs8::DecodePublicKey as _;
            let curve = algo.get(1).map(Der::oid).transpose()?;
            match curve {
                Some(oids::P256) => {
                    let key = p256::ecdsa::VerifyingKey::from_public_key_der(spki_der)
                        .map_err(|_| SigError::Malformed("bad P-256 public key"))?;
                    let sig = p256::ecdsa::Signature::from_der(signature)
                        .map_err(|_| SigError::BadSignature)?;
                    key.verify_prehash(digest, &sig)
                        .map_err(|_| SigError::BadSignature)
                }
                Some(oids::P384) => {
                    let key = p384::ecdsa::VerifyingKey::from_public_key_der(spki_der)
                        .map_err(|_| SigError::Malformed("bad P-384 public key"))?;
                    let sig = p384::ecdsa::Signature::from_der(signature)
                        .map_err(|_| SigError::BadSignature)?;
                    key.verify_prehash(digest, &sig)
                        .map_err(|_| SigError::BadSignature)
                }
                other => Err(SigError::UnsupportedAlgorithm(format!(
                    "elliptic curve {}",
                    other.map_or_else(|| "?".to_owned(), |o| o.to_string())
                ))),
            }
        }
        other => Err(SigError::UnsupportedAlgorithm(format!(
            "public key {other}"
        ))),
    }
}

/// A trust file or directory that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: no certificate (PEM or DER) in it", path.display())]
    NoCertificate { path: PathBuf },
}

/// Trust anchors: certificates a chain may end at.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    pub anchors: Vec<Cert>,
}

impl TrustStore {
    /// Loads every certificate of each FILE (PEM with one or more certificates, or one DER
    /// certificate) or of every file directly in each DIR (files that hold none are skipped;
    /// a FILE that holds none is an error).
    pub fn load(paths: &[PathBuf]) -> Result<TrustStore, TrustError> {
        let mut anchors = Vec::new();
        for path in paths {
            if path.is_dir() {
                let rd = std::fs::read_dir(path).map_err(|source| TrustError::Read {
                    path: path.clone(),
                    source,
                })?;
                let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
                files.sort();
                for f in files.iter().filter(|f| f.is_file()) {
                    anchors.extend(read_certificates(f)?);
                }
            } else {
                let found = read_certificates(path)?;
                if found.is_empty() {
                    return Err(TrustError::NoCertificate { path: path.clone() });
                }
                anchors.extend(found);
            }
        }
        Ok(TrustStore { anchors })
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

fn read_certificates(path: &Path) -> Result<Vec<Cert>, TrustError> {
    use std::io::Read as _;
    let err = |source| TrustError::Read {
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(err)?
        .take(MAX_TRUST_FILE)
        .read_to_end(&mut bytes)
        .map_err(err)?;
    Ok(certificates_in(&bytes))
}

/// The certificates of PEM text (`-----BEGIN CERTIFICATE-----` blocks) or of one DER
/// certificate; whatever does not parse is skipped.
pub fn certificates_in(bytes: &[u8]) -> Vec<Cert> {
    if let Ok(c) = Cert::parse(bytes) {
        return vec![c];
    }
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let after = &rest[start + 27..];
        let Some(end) = after.find("-----END CERTIFICATE-----") else {
            break;
        };
        if let Some(der) = base64_decode(&after[..end])
            && let Ok(c) = Cert::parse(&der)
        {
            out.push(c);
        }
        rest = &after[end..];
    }
    out
}

/// Decodes base64 (RFC 4648 §4), ignoring whitespace; `None` on any other character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Where a chain from the signer led.
#[derive(Clone, Debug, Default)]
pub struct Chain {
    /// Subjects above the signer, nearest first; the last one may be only a name (the issuer
    /// of the topmost certificate found, when that certificate is not in the signature).
    pub issuers: Vec<String>,
    /// Ends at a trust anchor, every link verified and in its validity period.
    pub trusted: bool,
    /// Why it is not trusted.
    pub problem: Option<String>,
}

/// Builds the chain from `signer` through `pool` (the SignedData's certificates) to an anchor
/// of `trust`, checking validity at `at` (seconds since the Unix epoch).
pub fn build(signer: &Cert, pool: &[Cert], trust: &TrustStore, at: i64) -> Chain {
    let mut chain = Chain::default();
    let mut current = signer.clone();
    let mut below_anchor = vec![signer.clone()];
    for _ in 0..MAX_CHAIN {
        if trust.anchors.iter().any(|a| a.der == current.der) {
            chain.trusted = true;
            below_anchor.pop();
            break;
        }
        if let Some(anchor) = trust
            .anchors
            .iter()
            .find(|a| a.subject_der == current.issuer_der && current.signed_by(a))
        {
            chain.issuers.push(anchor.subject());
            chain.trusted = true;
            break;
        }
        if current.self_issued() {
            break;
        }
        match pool.iter().find(|c| {
            c.der != current.der && c.subject_der == current.issuer_der && current.signed_by(c)
        }) {
            Some(up) => {
                chain.issuers.push(up.subject());
                current = up.clone();
                below_anchor.push(up.clone());
            }
            None => {
                chain.issuers.push(current.issuer());
                break;
            }
        }
    }
    if !chain.trusted {
        chain.problem = Some(if trust.is_empty() {
            "no trust anchor given (--trust)".to_owned()
        } else {
            "no chain to a trust anchor given with --trust".to_owned()
        });
        return chain;
    }
    if let Some(c) = below_anchor.iter().find(|c| !c.valid_at(at)) {
        chain.trusted = false;
        chain.problem = Some(format!(
            "certificate {} is not valid at {} (valid {} to {})",
            c.subject(),
            pkcs7::rfc3339(at),
            pkcs7::rfc3339(c.validity.0),
            pkcs7::rfc3339(c.validity.1)
        ));
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64_decode("aGVs\nbG8h").unwrap(), b"hello!");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn garbage_is_no_certificate() {
        assert!(certificates_in(b"").is_empty());
        assert!(
            certificates_in(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .is_empty()
        );
        assert!(Cert::parse(&[0x30, 0x00]).is_err());
    }
}
