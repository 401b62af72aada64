//! PKCS#7 / CMS SignedData as Authenticode uses it: a small DER reader that keeps the raw bytes
//! of every element (the signed attributes and the signed content are hashed as encoded), the
//! SignedData and SignerInfo structures, SpcIndirectDataContent and the RFC 3161 TSTInfo.
//!
//! References: RFC 2315 (PKCS#7 1.5) §9; RFC 5652 (CMS) §5; Microsoft "Windows Authenticode
//! Portable Executable Signature Format" (Authenticode spec), sections "SignedData",
//! "SpcIndirectDataContent", "SignerInfo", "Authenticode Timestamp"; RFC 3161 §2.4.2.
//!
//! Only definite-length DER with one-byte tags is accepted (what every Authenticode signer
//! writes); anything else is [`SigError::Malformed`], never a panic.

use der::asn1::ObjectIdentifier as Oid;

use super::{DigestAlgorithm, SigError};

/// One DER element: its tag, its whole encoding and its contents.
#[derive(Clone, Copy, Debug)]
pub struct Der<'a> {
    pub tag: u8,
    /// Tag, length and contents.
    pub full: &'a [u8],
    /// The contents only.
    pub body: &'a [u8],
}

pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
/// `[0]` constructed (EXPLICIT, or IMPLICIT of a constructed type).
pub const CTX0: u8 = 0xA0;
/// `[1]` constructed.
pub const CTX1: u8 = 0xA1;
/// `[0]` primitive (a SubjectKeyIdentifier signer identifier).
pub const CTX0_PRIMITIVE: u8 = 0x80;

fn malformed(what: &'static str) -> SigError {
    SigError::Malformed(what)
}

/// Reads the next element of `input` and advances it.
pub fn next<'a>(input: &mut &'a [u8]) -> Result<Der<'a>, SigError> {
    let data = *input;
    let (&tag, rest) = data.split_first().ok_or(malformed("truncated element"))?;
    if tag & 0x1f == 0x1f {
        return Err(malformed("multi-byte tag"));
    }
    let (&first, rest) = rest.split_first().ok_or(malformed("truncated length"))?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 {
            return Err(malformed("indefinite length (BER) is not DER"));
        }
        if n > 4 || rest.len() < n {
            return Err(malformed("bad length"));
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(malformed("element longer than its container"));
    }
    let header = data.len() - rest.len();
    let full = &data[..header + len];
    let body = &rest[..len];
    *input = &rest[len..];
    Ok(Der { tag, full, body })
}

/// The first element of `input`; whatever follows it (padding) is ignored.
pub fn first(input: &[u8]) -> Result<Der<'_>, SigError> {
    let mut i = input;
    next(&mut i)
}

impl<'a> Der<'a> {
    /// Checks the tag.
    pub fn expect(self, tag: u8, what: &'static str) -> Result<Der<'a>, SigError> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(malformed(what))
        }
    }

    /// The elements inside a constructed element.
    pub fn children(&self) -> Result<Vec<Der<'a>>, SigError> {
        let mut out = Vec::new();
        let mut rest = self.body;
        while !rest.is_empty() {
            out.push(next(&mut rest)?);
            if out.len() > 100_000 {
                return Err(malformed("too many elements"));
            }
        }
        Ok(out)
    }

    pub fn oid(&self) -> Result<Oid, SigError> {
        if self.tag != OID {
            return Err(malformed("expected an OBJECT IDENTIFIER"));
        }
        Oid::from_bytes(self.body).map_err(|_| malformed("bad OBJECT IDENTIFIER"))
    }
}

/// Reads a SEQUENCE's children, checking the tag.
fn seq<'a>(d: Der<'a>, what: &'static str) -> Result<Vec<Der<'a>>, SigError> {
    d.expect(SEQUENCE, what)?.children()
}

/// OIDs used by Authenticode.
pub mod oids {
    use der::asn1::ObjectIdentifier as Oid;

    pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
    pub const SPC_INDIRECT_DATA: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.2.1.4");
    pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
    pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
    pub const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
    pub const COUNTER_SIGNATURE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.6");
    /// szOID_RFC3161_counterSign: an RFC 3161 timestamp token as an unsigned attribute.
    pub const MS_RFC3161_TIMESTAMP: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.3.3.1");
    /// szOID_NESTED_SIGNATURE: further Authenticode signatures (dual SHA-1/SHA-256 signing).
    pub const MS_NESTED_SIGNATURE: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.2.4.1");
    pub const TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");

    pub const MD5: Oid = Oid::new_unwrap("1.2.840.113549.2.5");
    pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
    pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
    pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");

    pub const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    pub const SHA1_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
    pub const SHA256_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    pub const SHA384_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
    pub const SHA512_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
    /// The OIW sha1WithRSASignature some old Microsoft certificates use.
    pub const SHA1_RSA_OIW: Oid = Oid::new_unwrap("1.3.14.3.2.29");
    pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    pub const ECDSA_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
    pub const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
    pub const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
    pub const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
    pub const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
    pub const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
}

/// A digest algorithm OID as [`DigestAlgorithm`].
pub fn digest_algorithm(oid: &Oid) -> Result<DigestAlgorithm, SigError> {
    match *oid {
        oids::SHA1 => Ok(DigestAlgorithm::Sha1),
        oids::SHA256 => Ok(DigestAlgorithm::Sha256),
        oids::SHA384 => Ok(DigestAlgorithm::Sha384),
        oids::SHA512 => Ok(DigestAlgorithm::Sha512),
        oids::MD5 => Err(SigError::UnsupportedAlgorithm("MD5".to_owned())),
        ref other => Err(SigError::UnsupportedAlgorithm(other.to_string())),
    }
}

/// The digest algorithm of an AlgorithmIdentifier SEQUENCE.
fn algorithm_id(d: Der<'_>) -> Result<Oid, SigError> {
    let parts = seq(d, "expected an AlgorithmIdentifier")?;
    parts
        .first()
        .ok_or(malformed("empty AlgorithmIdentifier"))?
        .oid()
}

/// How a SignerInfo names its certificate.
#[derive(Clone, Debug)]
pub enum SignerId<'a> {
    /// IssuerAndSerialNumber: the issuer Name (whole DER) and the serial (INTEGER contents).
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    /// `[0]` SubjectKeyIdentifier (CMS version 3).
    KeyId(&'a [u8]),
}

/// An attribute: its type and its values.
#[derive(Clone, Debug)]
pub struct Attribute<'a> {
    pub oid: Oid,
    pub values: Vec<Der<'a>>,
}

/// RFC 2315 §9.2 SignerInfo.
#[derive(Clone, Debug)]
pub struct SignerInfo<'a> {
    pub sid: SignerId<'a>,
    pub digest_oid: Oid,
    /// The `[0] IMPLICIT` authenticated attributes, whole (re-tagged as SET for hashing).
    pub signed_attrs_der: Option<&'a [u8]>,
    pub signed_attrs: Vec<Attribute<'a>>,
    pub signature_oid: Oid,
    pub signature: &'a [u8],
    pub unsigned_attrs: Vec<Attribute<'a>>,
}

fn attributes<'a>(d: Der<'a>) -> Result<Vec<Attribute<'a>>, SigError> {
    let mut out = Vec::new();
    for a in d.children()? {
        let parts = seq(a, "expected an Attribute")?;
        let (Some(t), Some(v)) = (parts.first(), parts.get(1)) else {
            return Err(malformed("short Attribute"));
        };
        out.push(Attribute {
            oid: t.oid()?,
            values: v
                .expect(SET, "attribute values are not a SET")?
                .children()?,
        });
    }
    Ok(out)
}

impl<'a> SignerInfo<'a> {
    pub fn parse(d: Der<'a>) -> Result<SignerInfo<'a>, SigError> {
        let parts = seq(d, "expected a SignerInfo")?;
        let mut it = parts.into_iter();
        it.next()
            .ok_or(malformed("short SignerInfo"))?
            .expect(INTEGER, "SignerInfo version")?;
        let sid_der = it.next().ok_or(malformed("short SignerInfo"))?;
        let sid = match sid_der.tag {
            SEQUENCE => {
                let p = sid_der.children()?;
                let (Some(issuer), Some(serial)) = (p.first(), p.get(1)) else {
                    return Err(malformed("short IssuerAndSerialNumber"));
                };
                SignerId::IssuerSerial {
                    issuer: issuer.expect(SEQUENCE, "issuer Name")?.full,
                    serial: serial.expect(INTEGER, "serial number")?.body,
                }
            }
            CTX0_PRIMITIVE => SignerId::KeyId(sid_der.body),
            _ => return Err(malformed("bad signer identifier")),
        };
        let digest_oid = algorithm_id(it.next().ok_or(malformed("short SignerInfo"))?)?;
        let mut d = it.next().ok_or(malformed("short SignerInfo"))?;
        let (mut signed_attrs_der, mut signed_attrs) = (None, Vec::new());
        if d.tag == CTX0 {
            signed_attrs_der = Some(d.full);
            signed_attrs = attributes(d)?;
            d = it.next().ok_or(malformed("short SignerInfo"))?;
        }
        let signature_oid = algorithm_id(d)?;
        let signature = it
            .next()
            .ok_or(malformed("short SignerInfo"))?
            .expect(OCTET_STRING, "encryptedDigest")?
            .body;
        let unsigned_attrs = match it.next() {
            Some(u) if u.tag == CTX1 => attributes(u)?,
            Some(_) => return Err(malformed("unexpected element in SignerInfo")),
            None => Vec::new(),
        };
        Ok(SignerInfo {
            sid,
            digest_oid,
            signed_attrs_der,
            signed_attrs,
            signature_oid,
            signature,
            unsigned_attrs,
        })
    }

    pub fn signed_attr(&self, oid: Oid) -> Option<&Attribute<'a>> {
        self.signed_attrs.iter().find(|a| a.oid == oid)
    }

    /// The bytes the signature is computed over: the authenticated attributes with their
    /// `[0] IMPLICIT` tag replaced by the SET OF tag (RFC 2315 §9.3, RFC 5652 §5.4).
    pub fn signed_bytes(&self) -> Option<Vec<u8>> {
        let der = self.signed_attrs_der?;
        let mut v = der.to_vec();
        if let Some(t) = v.first_mut() {
            *t = SET;
        }
        Some(v)
    }

    /// The messageDigest authenticated attribute.
    pub fn message_digest(&self) -> Result<&'a [u8], SigError> {
        let a = self
            .signed_attr(oids::MESSAGE_DIGEST)
            .ok_or(malformed("no messageDigest attribute"))?;
        Ok(a.values
            .first()
            .ok_or(malformed("empty messageDigest"))?
            .expect(OCTET_STRING, "messageDigest is not an OCTET STRING")?
            .body)
    }
}

/// RFC 2315 §9.1 SignedData (inside its ContentInfo).
#[derive(Clone, Debug)]
pub struct SignedData<'a> {
    pub content_type: Oid,
    /// The content inside `[0] EXPLICIT` (SpcIndirectDataContent SEQUENCE, or an OCTET STRING
    /// holding a TSTInfo).
    pub content: Option<Der<'a>>,
    /// Raw DER of every certificate in `certificates` (other choices skipped).
    pub certificates: Vec<&'a [u8]>,
    pub signers: Vec<SignerInfo<'a>>,
}

impl<'a> SignedData<'a> {
    /// Parses a ContentInfo holding a SignedData.
    pub fn parse_content_info(d: Der<'a>) -> Result<SignedData<'a>, SigError> {
        let parts = seq(d, "expected a ContentInfo")?;
        let (Some(t), Some(c)) = (parts.first(), parts.get(1)) else {
            return Err(malformed("short ContentInfo"));
        };
        if t.oid()? != oids::SIGNED_DATA {
            return Err(malformed("ContentInfo is not SignedData"));
        }
        let inner = c.expect(CTX0, "ContentInfo content")?.children()?;
        let sd = inner.first().ok_or(malformed("empty ContentInfo"))?;
        Self::parse(*sd)
    }

    fn parse(d: Der<'a>) -> Result<SignedData<'a>, SigError> {
        let parts = seq(d, "expected a SignedData")?;
        let mut it = parts.into_iter();
        it.next()
            .ok_or(malformed("short SignedData"))?
            .expect(INTEGER, "SignedData version")?;
        it.next()
            .ok_or(malformed("short SignedData"))?
            .expect(SET, "digestAlgorithms")?;
        let ci = seq(
            it.next().ok_or(malformed("short SignedData"))?,
            "contentInfo",
        )?;
        let content_type = ci.first().ok_or(malformed("empty contentInfo"))?.oid()?;
        let content = match ci.get(1) {
            Some(c) => Some(
                *c.expect(CTX0, "content is not [0]")?
                    .children()?
                    .first()
                    .ok_or(malformed("empty content"))?,
            ),
            None => None,
        };
        let mut certificates = Vec::new();
        let mut d = it.next().ok_or(malformed("short SignedData"))?;
        if d.tag == CTX0 {
            certificates = d
                .children()?
                .into_iter()
                .filter(|c| c.tag == SEQUENCE)
                .map(|c| c.full)
                .collect();
            d = it.next().ok_or(malformed("short SignedData"))?;
        }
        if d.tag == CTX1 {
            // CRLs: not used.
            d = it.next().ok_or(malformed("short SignedData"))?;
        }
        let signers = d
            .expect(SET, "signerInfos")?
            .children()?
            .into_iter()
            .map(SignerInfo::parse)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SignedData {
            content_type,
            content,
            certificates,
            signers,
        })
    }
}

/// Parses PKCS#7 DER bytes (with any trailing padding) down to the SignedData. The walk goes
/// by fixed steps, so its depth is bounded whatever the input.
pub fn parse(bytes: &[u8]) -> Result<SignedData<'_>, SigError> {
    SignedData::parse_content_info(first(bytes)?)
}

/// SpcIndirectDataContent (Authenticode spec): the digest of the file and its algorithm.
#[derive(Clone, Debug)]
pub struct IndirectData<'a> {
    /// `SpcAttributeTypeAndOptionalValue.type`: PE image, cabinet or SIP (MSI) data.
    pub data_type: Oid,
    pub algorithm: DigestAlgorithm,
    pub digest: &'a [u8],
    /// The bytes the messageDigest attribute covers: the SEQUENCE's contents without its tag
    /// and length (Authenticode spec, "SignerInfo": "the DER encoding of the
    /// SpcIndirectDataContent structure, excluding its tag and length").
    pub hashed: &'a [u8],
}

impl<'a> IndirectData<'a> {
    pub fn parse(content: Der<'a>) -> Result<IndirectData<'a>, SigError> {
        let parts = seq(content, "expected SpcIndirectDataContent")?;
        let (Some(data), Some(md)) = (parts.first(), parts.get(1)) else {
            return Err(malformed("short SpcIndirectDataContent"));
        };
        let data_type = seq(*data, "SpcAttributeTypeAndOptionalValue")?
            .first()
            .ok_or(malformed("empty SpcAttributeTypeAndOptionalValue"))?
            .oid()?;
        let md = seq(*md, "DigestInfo")?;
        let (Some(alg), Some(digest)) = (md.first(), md.get(1)) else {
            return Err(malformed("short DigestInfo"));
        };
        Ok(IndirectData {
            data_type,
            algorithm: digest_algorithm(&algorithm_id(*alg)?)?,
            digest: digest.expect(OCTET_STRING, "digest")?.body,
            hashed: content.body,
        })
    }
}

/// RFC 3161 §2.4.2 TSTInfo: the imprint and the time.
#[derive(Clone, Debug)]
pub struct TstInfo<'a> {
    pub imprint_algorithm: DigestAlgorithm,
    pub imprint: &'a [u8],
    /// Seconds since the Unix epoch.
    pub gen_time: i64,
}

impl<'a> TstInfo<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<TstInfo<'a>, SigError> {
        let parts = seq(first(bytes)?, "expected a TSTInfo")?;
        // version, policy, messageImprint, serialNumber, genTime, …
        let (Some(imprint), Some(time)) = (parts.get(2), parts.get(4)) else {
            return Err(malformed("short TSTInfo"));
        };
        let imprint = seq(*imprint, "messageImprint")?;
        let (Some(alg), Some(hash)) = (imprint.first(), imprint.get(1)) else {
            return Err(malformed("short messageImprint"));
        };
        Ok(TstInfo {
            imprint_algorithm: digest_algorithm(&algorithm_id(*alg)?)?,
            imprint: hash.expect(OCTET_STRING, "hashedMessage")?.body,
            gen_time: time_value(*time)?,
        })
    }
}

/// A UTCTime or GeneralizedTime as seconds since the Unix epoch (fractions dropped).
pub fn time_value(d: Der<'_>) -> Result<i64, SigError> {
    let s = std::str::from_utf8(d.body).map_err(|_| malformed("time is not ASCII"))?;
    let digits = |r: std::ops::Range<usize>| -> Result<i64, SigError> {
        let part = s.get(r).ok_or(malformed("short time"))?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed("bad time"));
        }
        part.parse::<i64>().map_err(|_| malformed("bad time"))
    };
    let (year, rest) = match d.tag {
        UTC_TIME => {
            // RFC 5280 §4.1.2.5.1: YY < 50 is 20YY.
            let yy = digits(0..2)?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, 2)
        }
        GENERALIZED_TIME => (digits(0..4)?, 4),
        _ => return Err(malformed("expected a time")),
    };
    let month = digits(rest..rest + 2)?;
    let day = digits(rest + 2..rest + 4)?;
    let hour = digits(rest + 4..rest + 6)?;
    let minute = digits(rest + 6..rest + 8)?;
    let second = digits(rest + 8..rest + 10).unwrap_or(0);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return Err(malformed("time out of range"));
    }
    if !s.ends_with('Z') {
        return Err(malformed("time is not UTC"));
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    crate::model::UtcTime::days_from_civil(y, m, d)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of seconds since the Unix epoch.
pub fn rfc3339(t: i64) -> String {
    crate::model::UtcTime::from_unix(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_and_garbage() {
        assert!(first(&[]).is_err());
        assert!(first(&[0x30]).is_err());
        assert!(first(&[0x30, 0x80, 0, 0]).is_err());
        assert!(first(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_err());
        assert!(first(&[0x30, 0x82, 0xff, 0xff]).is_err());
        let d = first(&[0x30, 0x03, 0x02, 0x01, 0x05, 0xff]).unwrap();
        assert_eq!(d.body, &[0x02, 0x01, 0x05]);
        assert_eq!(d.children().unwrap().len(), 1);
        assert!(parse(&[0x30, 0x03, 0x02, 0x01, 0x05]).is_err());
    }

    #[test]
    fn times() {
        let utc = Der {
            tag: UTC_TIME,
            full: b"",
            body: b"100331202459Z",
        };
        assert_eq!(rfc3339(time_value(utc).unwrap()), "2010-03-31T20:24:59Z");
        let gen_time = Der {
            tag: GENERALIZED_TIME,
            full: b"",
            body: b"20240229235959.123Z",
        };
        assert_eq!(
            rfc3339(time_value(gen_time).unwrap()),
            "2024-02-29T23:59:59Z"
        );
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
