//! X.509 certificates as Authenticode needs them, and the public-key signature checks (RSA
//! PKCS#1 v1.5, ECDSA P-256/P-384) behind every signature and every certificate link.
//!
//! Certificates are walked with the raw-keeping DER reader of [`super::pkcs7`] (the TBS part is
//! verified as encoded, RFC 5280 §4.1.1.3); names are rendered with `x509-cert` (RFC 4514).
//! Besides names, keys and validity, the extensions the chain rules use are read: subject and
//! authority key identifiers (RFC 5280 §4.2.1.1–2), basic constraints (§4.2.1.9) and extended
//! key usage (§4.2.1.12). A malformed value of one of these is a malformed certificate.

use der::Decode as _;
use der::asn1::ObjectIdentifier as Oid;

use super::pkcs7::{
    self, BIT_STRING, CTX0, CTX0_PRIMITIVE, Der, INTEGER, OCTET_STRING, SEQUENCE, oids,
};
use super::{DigestAlgorithm, SigError};

/// `[3]` constructed: the TBSCertificate's extensions.
const CTX3: u8 = 0xA3;
const BOOLEAN: u8 = 0x01;

const SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
const AUTHORITY_KEY_ID: Oid = Oid::new_unwrap("2.5.29.35");
const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");

/// RFC 5280 §4.2.1.9 BasicConstraints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasicConstraints {
    pub ca: bool,
    /// pathLenConstraint: how many non-self-issued intermediate CA certificates may follow
    /// this one in a path (saturated at `u32::MAX`).
    pub path_len: Option<u32>,
}

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
    /// AuthorityKeyIdentifier's keyIdentifier, when present.
    pub authority_key_id: Option<Vec<u8>>,
    /// The basicConstraints extension, when present.
    pub basic_constraints: Option<BasicConstraints>,
    /// The extendedKeyUsage extension's purposes, when the extension is present.
    pub ext_key_usage: Option<Vec<Oid>>,
}

fn range_of(outer: &[u8], inner: &[u8]) -> std::ops::Range<usize> {
    let start = inner.as_ptr() as usize - outer.as_ptr() as usize;
    start..start + inner.len()
}

/// The extensions the chain rules use.
#[derive(Default)]
struct Extensions {
    key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    basic_constraints: Option<BasicConstraints>,
    ext_key_usage: Option<Vec<Oid>>,
}

fn extensions(tagged: Der<'_>) -> Result<Extensions, SigError> {
    let bad = SigError::Malformed;
    let mut out = Extensions::default();
    for list in tagged.children()? {
        for ext in list.expect(SEQUENCE, "Extensions")?.children()? {
            // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue }
            let parts = ext.expect(SEQUENCE, "Extension")?.children()?;
            let (Some(id), Some(value)) = (parts.first(), parts.last()) else {
                return Err(bad("short Extension"));
            };
            let id = id.oid()?;
            let value = value.expect(OCTET_STRING, "extnValue")?.body;
            if id == SUBJECT_KEY_ID {
                out.key_id = Some(
                    pkcs7::first(value)?
                        .expect(OCTET_STRING, "subjectKeyIdentifier")?
                        .body
                        .to_vec(),
                );
            } else if id == AUTHORITY_KEY_ID {
                let aki = pkcs7::first(value)?.expect(SEQUENCE, "authorityKeyIdentifier")?;
                out.authority_key_id = aki
                    .children()?
                    .into_iter()
                    // [0] keyIdentifier
                    .find(|p| p.tag == CTX0_PRIMITIVE)
                    .map(|p| p.body.to_vec());
            } else if id == BASIC_CONSTRAINTS {
                out.basic_constraints = Some(basic_constraints(value)?);
            } else if id == EXT_KEY_USAGE {
                let purposes = pkcs7::first(value)?
                    .expect(SEQUENCE, "extKeyUsage")?
                    .children()?
                    .iter()
                    .map(Der::oid)
                    .collect::<Result<Vec<_>, _>>()?;
                out.ext_key_usage = Some(purposes);
            }
        }
    }
    Ok(out)
}

fn basic_constraints(value: &[u8]) -> Result<BasicConstraints, SigError> {
    let bad = SigError::Malformed;
    let mut bc = BasicConstraints {
        ca: false,
        path_len: None,
    };
    for part in pkcs7::first(value)?
        .expect(SEQUENCE, "basicConstraints")?
        .children()?
    {
        match part.tag {
            BOOLEAN => bc.ca = part.body.iter().any(|&b| b != 0),
            INTEGER => {
                if part.body.first().is_none_or(|&b| b & 0x80 != 0) {
                    return Err(bad("negative pathLenConstraint"));
                }
                let n = part.body.iter().fold(0u64, |n, &b| {
                    (n << 8 | u64::from(b)).min(u64::from(u32::MAX))
                });
                bc.path_len = Some(u32::try_from(n).unwrap_or(u32::MAX));
            }
            _ => return Err(bad("bad basicConstraints")),
        }
    }
    Ok(bc)
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
        let mut ext = Extensions::default();
        for rest in fields {
            if rest.tag == CTX3 {
                ext = extensions(rest)?;
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
            key_id: ext.key_id,
            authority_key_id: ext.authority_key_id,
            basic_constraints: ext.basic_constraints,
            ext_key_usage: ext.ext_key_usage,
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

    /// Subject and issuer are the same name (a root, or a CA's re-key certificate).
    pub fn self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }

    /// Whether `issuer` is the certificate this one names as its issuer: the same name, and,
    /// when both key identifiers are present, the same key identifier.
    pub fn names_as_issuer(&self, issuer: &Cert) -> bool {
        self.issuer_der == issuer.subject_der
            && match (&self.authority_key_id, &issuer.key_id) {
                (Some(aki), Some(ski)) => aki == ski,
                _ => true,
            }
    }

    /// Checks this certificate's signature with `issuer`'s key: `BadSignature` when it does
    /// not verify, `UnsupportedAlgorithm`/`Malformed` when it cannot be checked.
    pub fn verify_signed_by(&self, issuer: &Cert) -> Result<(), SigError> {
        let alg = certificate_digest(&self.signature_oid)?;
        let digest = alg.digest(&self.der[self.tbs.clone()]);
        verify_signature(
            issuer.spki(),
            alg,
            &digest,
            &self.der[self.signature.clone()],
            false,
        )
    }

    pub fn valid_at(&self, t: i64) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_constraints_values() {
        // SEQUENCE { BOOLEAN TRUE, INTEGER 0 }
        let bc = basic_constraints(&[0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00]).unwrap();
        assert_eq!(
            bc,
            BasicConstraints {
                ca: true,
                path_len: Some(0)
            }
        );
        // SEQUENCE {} : cA defaults to FALSE.
        assert!(!basic_constraints(&[0x30, 0x00]).unwrap().ca);
        // A huge pathLen saturates; a negative one is malformed.
        let big = [0x30, 0x07, 0x02, 0x05, 0x01, 0, 0, 0, 0];
        assert_eq!(basic_constraints(&big).unwrap().path_len, Some(u32::MAX));
        assert!(basic_constraints(&[0x30, 0x03, 0x02, 0x01, 0x80]).is_err());
        assert!(basic_constraints(&[0x30, 0x02, 0x02, 0x00]).is_err());
        assert!(basic_constraints(&[0x04, 0x00]).is_err());
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(Cert::parse(&[0x30, 0x00]).is_err());
        assert!(Cert::parse(&[]).is_err());
    }
}
