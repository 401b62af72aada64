//! Trust: the built-in Microsoft roots on the corpus's real packages (valid with their
//! 2007–2008 timestamps, untrusted with the built-ins off), forged and altered certificates
//! (invalid), extended key usage and basic constraints (invalid), and the evaluation time: a
//! trusted timestamp's, with the root program's Disallowed and Not before dates, on
//! throwaway PKIs made here with `openssl ca` (dated certificates) and timestamps made with
//! osslsigncode's built-in TSA.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use slipway::authenticode::{self, Status, TrustStore};
use slipway::formats::Format;
use slipway::formats::payload::BytesSource;

use super::{make_ca, ours, run, sign, signature, status_of, tools};
use crate::fixtures::msi::cabinet;
use crate::fixtures::pe::{Arch, PeBuilder};
use crate::support::{code, corpus, json, slipway};

const MICROSOFT: &str =
    "CN=Microsoft Corporation,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US";
const CODE_SIGNING_PCA: &str =
    "CN=Microsoft Code Signing PCA,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US";
const ROOT_1997: &str =
    "CN=Microsoft Root Authority,OU=Microsoft Corporation,OU=Copyright (c) 1997 Microsoft Corp.";

/// The corpus's Microsoft packages and their countersignature times.
const CORPUS_SIGNED: [(&str, &str); 3] = [
    ("FinishedGames/dxwebsetup.exe", "2008-03-06T00:17:57Z"),
    ("roomsports/vcredist_x86.exe", "2008-07-31T03:28:12Z"),
    // The patch with a \u{5}DigitalSignature stream.
    ("lessmsi/WPF2_32.msp", "2007-11-08T01:26:54Z"),
];

/// The library's verdict on a file with `trust`.
fn check(path: &Path, trust: &TrustStore) -> authenticode::Verdict {
    let bytes = std::fs::read(path).unwrap();
    let format = if bytes.starts_with(b"MZ") {
        Format::Executable
    } else if bytes.starts_with(b"MSCF") {
        Format::Cab
    } else {
        Format::CompoundFile
    };
    authenticode::check(format, &BytesSource(Arc::from(bytes)), trust)
        .unwrap()
        .unwrap()
}

#[test]
fn corpus_microsoft_packages_are_valid_with_the_builtin_roots_and_their_old_timestamps() {
    let Some(c) = corpus("corpus_microsoft_packages_are_valid_with_the_builtin_roots") else {
        return;
    };
    // No --trust: the built-in roots. Every certificate of these chains expired years ago (the
    // signer in 2009, the 1997 root in 2020, which the root program disabled in 2018); the
    // trusted timestamps put the signatures in 2007–2008, inside every validity period.
    for (file, signed_at) in CORPUS_SIGNED {
        let out = slipway([
            "inspect".as_ref(),
            "--json".as_ref(),
            c.join(file).as_os_str(),
        ]);
        assert_eq!(code(&out), 0, "{file}");
        let v = json(&out)["items"][0]["signature"].clone();
        assert_eq!(v["status"], "valid", "{file}: {v}");
        assert_eq!(v["reason"], serde_json::Value::Null, "{file}: {v}");
        assert_eq!(v["signer"], MICROSOFT, "{file}");
        assert_eq!(v["signed_at"], signed_at, "{file}");
        assert_eq!(
            v["issuers"],
            serde_json::json!([CODE_SIGNING_PCA, ROOT_1997])
        );
    }
    let out = slipway([
        "inspect".as_ref(),
        "--json".as_ref(),
        c.join("roomsports/vcredist_x86.exe").as_os_str(),
    ]);
    assert_eq!(code(&out), 0);
    let doc = json(&out);
    for (name, signed_at) in [
        ("vc_red.cab", "2008-07-31T03:25:15Z"),
        ("vc_red.msi", "2008-07-31T03:26:09Z"),
    ] {
        let item = doc["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap_or_else(|| panic!("{name} listed"));
        let v = &item["signature"];
        assert_eq!(v["status"], "valid", "{name}: {v}");
        assert_eq!(v["signed_at"], signed_at, "{name}");
    }
    // verify --require-signature passes on the real package without any --trust.
    let dx = c.join("FinishedGames/dxwebsetup.exe");
    let out = slipway([
        "verify".as_ref(),
        "--require-signature".as_ref(),
        "--json".as_ref(),
        dx.as_os_str(),
    ]);
    let doc = json(&out);
    assert_eq!(code(&out), 0, "{doc}");
    assert_eq!(doc["items"][0]["signature"]["status"], "valid");
}

#[test]
fn corpus_microsoft_packages_are_untrusted_with_the_builtin_roots_switched_off() {
    let Some(c) = corpus("corpus_microsoft_packages_are_untrusted_with_the_builtin_roots_off")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // The nested signed cabinet and MSI of vcredist, unpacked by the CLI.
    let out = slipway([
        "extract".as_ref(),
        c.join("roomsports/vcredist_x86.exe").as_os_str(),
        "-o".as_ref(),
        tmp.path().as_os_str(),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let mut files: Vec<PathBuf> = CORPUS_SIGNED.iter().map(|(f, _)| c.join(f)).collect();
    files.extend(["vc_red.cab", "vc_red.msi"].map(|n| tmp.path().join(n)));

    let builtin = TrustStore::load(&[]).unwrap();
    let pinned = TrustStore::load_pinned(&[]).unwrap();
    assert!(builtin.includes_builtin() && builtin.anchors().len() == 4);
    assert!(pinned.is_empty() && !pinned.includes_builtin());
    // Pinning the same roots from a file is the same as the built-ins.
    let reference = c
        .parent()
        .unwrap()
        .join("reference/trust/microsoft-code-signing-roots.pem");
    let own = reference
        .is_file()
        .then(|| TrustStore::load_pinned(&[reference]).unwrap());
    for f in &files {
        let on = check(f, &builtin);
        assert_eq!(on.status, Status::Valid, "{}: {on:?}", f.display());
        let off = check(f, &pinned);
        assert_eq!(off.status, Status::Untrusted, "{}: {off:?}", f.display());
        // The digest and the signatures still verify: same signer, same signing time.
        assert_eq!(off.signer, on.signer);
        assert_eq!(off.signed_at, on.signed_at);
        assert_eq!(
            off.reason.as_deref(),
            Some("no trust anchor (built-in roots switched off, no --trust given)")
        );
        if let Some(own) = &own {
            assert_eq!(check(f, own).status, Status::Valid, "{}", f.display());
        }
    }
}

/// A copy of `path` at `out` with the byte at `at` XORed with `mask`.
fn flip_bits(path: &Path, at: usize, mask: u8, out: &Path) {
    let mut b = std::fs::read(path).unwrap();
    b[at] ^= mask;
    std::fs::write(out, b).unwrap();
}

/// Signs a cabinet `name` under the throwaway CA of [`make_ca`] and returns it.
fn signed_cabinet(dir: &Path, name: &str) -> PathBuf {
    let unsigned = dir.join("u.cab");
    std::fs::write(&unsigned, cabinet(&[("a.txt", b"slipway trust test")])).unwrap();
    let signed = dir.join(name);
    sign(dir, &unsigned, &signed, "sha256");
    signed
}

/// `slipway [--trust TRUST] verify --json FILE`: exit code and the signature finding codes.
fn verify(trust: Option<&Path>, file: &Path) -> (i32, Vec<String>) {
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    if let Some(t) = trust {
        args.extend(["--trust".into(), t.into()]);
    }
    args.extend(["verify".into(), "--json".into(), file.into()]);
    let out = slipway(&args);
    let codes = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .filter(|c| c.starts_with("signature-"))
        .map(str::to_owned)
        .collect();
    (code(&out), codes)
}

#[test]
fn regression_flipped_byte_in_signing_certificate_is_invalid() {
    if !tools("regression_flipped_byte_in_signing_certificate_is_invalid") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_ca(dir);
    let signed = signed_cabinet(dir, "s.cab");
    let root = dir.join("root.pem");
    assert_eq!(status_of(&ours(&signed, &root)), "valid");
    // One bit of the signer's subject (`O=Slipway Tests` becomes `O=Slipway Uests`; the name
    // is only in the signing certificate):
    // its key, issuer and serial are intact, so the signer's own signature still verifies,
    // but the root's signature over the certificate does not. It used to be `untrusted`
    // (exit 0 without --require-signature).
    let bytes = std::fs::read(&signed).unwrap();
    let at = bytes
        .windows(13)
        .position(|w| w == b"Slipway Tests")
        .expect("signer subject in the signature");
    let forged = dir.join("forged.cab");
    flip_bits(&signed, at + 8, 0x01, &forged);
    let v = ours(&forged, &root);
    assert_eq!(status_of(&v), "invalid", "{v}");
    assert_eq!(
        v["reason"],
        "certificate O=Slipway Uests,CN=Slipway Test Signer is not signed by its issuer \
         CN=Slipway Test root: it was forged or altered"
    );
    assert_eq!(
        verify(Some(&root), &forged),
        (1, vec!["signature-invalid".to_owned()])
    );
    // Without the issuer's certificate (neither an anchor nor in the signature) nothing
    // shows the alteration: there is just no chain.
    assert_eq!(
        verify(None, &forged),
        (0, vec!["signature-untrusted".to_owned()])
    );
    assert_eq!(verify(Some(&root), &signed), (0, vec![]));
}

#[test]
fn corpus_flipped_byte_in_a_microsoft_signing_certificate_is_invalid() {
    let Some(c) = corpus("corpus_flipped_byte_in_a_microsoft_signing_certificate_is_invalid")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let original = c.join("FinishedGames/dxwebsetup.exe");
    // The signer certificate's notBefore (UTCTime 070823002313Z, only in that certificate)
    // becomes 070823002312Z: still a time, but no longer what the PCA signed.
    let bytes = std::fs::read(&original).unwrap();
    let at = bytes
        .windows(13)
        .position(|w| w == b"070823002313Z")
        .expect("the signer's notBefore");
    let forged = tmp.path().join("dxwebsetup.exe");
    flip_bits(&original, at + 11, 0x01, &forged);
    assert_eq!(
        &std::fs::read(&forged).unwrap()[at..at + 13],
        b"070823002312Z"
    );
    let v = signature(&forged);
    assert_eq!(v["status"], "invalid", "{v}");
    assert_eq!(
        v["reason"],
        format!(
            "certificate {MICROSOFT} is not signed by its issuer {CODE_SIGNING_PCA}: \
             it was forged or altered"
        )
    );
    assert_eq!(
        verify(None, &forged),
        (1, vec!["signature-invalid".to_owned()])
    );
}

/// A throwaway PKI made with `openssl ca`, so certificates can have any validity period.
struct Pki {
    dir: PathBuf,
}

const CA_CONFIG: &str = "\
[ca]
default_ca = test_ca
[test_ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
preserve = yes
unique_subject = no
email_in_dn = no
copy_extensions = none
[any]
commonName = supplied
organizationName = optional
[root]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_pathlen0]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[not_ca]
basicConstraints = critical,CA:false
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[no_basic_constraints]
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[signer]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
authorityKeyIdentifier = keyid
[signer_server_auth]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
authorityKeyIdentifier = keyid
[signer_any_usage]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
authorityKeyIdentifier = keyid
[tsa]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
authorityKeyIdentifier = keyid
";

impl Pki {
    fn new(dir: &Path) -> Pki {
        std::fs::write(dir.join("ca.cnf"), CA_CONFIG).unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "1000\n").unwrap();
        Pki {
            dir: dir.to_owned(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// `openssl ca` for `name` (a new key, subject `/CN=<cn>`), signed by `issuer` (or
    /// itself), with extension section `ext`, valid `from`..`to` (`YYYYMMDDHHMMSSZ`) or 30
    /// days from now.
    fn issue(
        &self,
        name: &str,
        cn: &str,
        issuer: Option<&str>,
        ext: &str,
        dates: Option<(&str, &str)>,
    ) {
        run(Command::new("openssl")
            .current_dir(&self.dir)
            .args(["req", "-new", "-newkey", "rsa:2048", "-nodes"])
            .args([
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
            ])
            .args(["-subj", &format!("/CN={cn}")]));
        let mut cmd = Command::new("openssl");
        cmd.current_dir(&self.dir)
            .args([
                "ca",
                "-batch",
                "-notext",
                "-config",
                "ca.cnf",
                "-extensions",
                ext,
            ])
            .args([
                "-in",
                &format!("{name}.csr"),
                "-out",
                &format!("{name}.pem"),
            ]);
        match issuer {
            Some(i) => cmd.args([
                "-cert",
                &format!("{i}.pem"),
                "-keyfile",
                &format!("{i}.key"),
            ]),
            None => cmd.args(["-selfsign", "-keyfile", &format!("{name}.key")]),
        };
        match dates {
            Some((from, to)) => cmd.args(["-startdate", from, "-enddate", to]),
            None => cmd.args(["-days", "30"]),
        };
        run(&mut cmd);
    }

    /// Concatenated PEM files (a chain for `-certs`, or several anchors).
    fn bundle(&self, out: &str, parts: &[&str]) -> PathBuf {
        let text: String = parts
            .iter()
            .map(|p| std::fs::read_to_string(self.path(&format!("{p}.pem"))).unwrap())
            .collect();
        std::fs::write(self.path(out), text).unwrap();
        self.path(out)
    }

    /// Signs a small PE with `signer` (its certificate and `chain` in the signature), with a
    /// timestamp at `stamp` (Unix seconds) from the `tsa` certificate (with `tsa-chain.pem`)
    /// when given.
    fn sign(&self, out: &str, signer: &str, chain: &[&str], stamp: Option<i64>) -> PathBuf {
        let unsigned = self.path("unsigned.exe");
        if !unsigned.exists() {
            std::fs::write(&unsigned, PeBuilder::new(Arch::X86).build()).unwrap();
        }
        let mut certs = vec![signer];
        certs.extend(chain);
        let certs = self.bundle(&format!("{out}.certs.pem"), &certs);
        let mut cmd = Command::new("osslsigncode");
        cmd.current_dir(&self.dir)
            .args(["sign", "-h", "sha256", "-certs"])
            .arg(&certs)
            .args(["-key", &format!("{signer}.key")]);
        if let Some(at) = stamp {
            cmd.args(["-TSA-certs", "tsa-chain.pem", "-TSA-key", "tsa.key"])
                .args(["-TSA-time", &at.to_string()]);
        }
        cmd.arg("-in")
            .arg(&unsigned)
            .arg("-out")
            .arg(self.path(out));
        run(&mut cmd);
        let signed = self.path(out);
        if stamp.is_some() {
            let v = ours(&signed, &self.path("tsa-root.pem"));
            assert_ne!(
                v["signed_at"],
                serde_json::Value::Null,
                "{out} has no timestamp: {v}"
            );
        }
        signed
    }
}

/// `YYYY-MM-DD` at midnight UTC as Unix seconds.
fn unix(date: &str) -> i64 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    slipway::model::UtcTime::days_from_civil(p[0], p[1], p[2]) * 86_400
}

#[test]
fn extended_key_usage_without_code_signing_is_invalid() {
    if !tools("extended_key_usage_without_code_signing_is_invalid") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path());
    pki.issue("root", "EKU root", None, "root", None);
    pki.issue("tls", "TLS only", Some("root"), "signer_server_auth", None);
    pki.issue("plain", "No EKU", Some("root"), "signer_any_usage", None);
    pki.issue("coder", "Code signer", Some("root"), "signer", None);
    let root = pki.path("root.pem");

    let v = ours(&pki.sign("tls.exe", "tls", &[], None), &root);
    assert_eq!(status_of(&v), "invalid", "{v}");
    assert_eq!(
        v["reason"],
        "certificate CN=TLS only is not for code signing (its extended key usage lacks \
         1.3.6.1.5.5.7.3.3)"
    );
    // No extendedKeyUsage extension: any purpose.
    let v = ours(&pki.sign("plain.exe", "plain", &[], None), &root);
    assert_eq!(status_of(&v), "valid", "{v}");
    let v = ours(&pki.sign("coder.exe", "coder", &[], None), &root);
    assert_eq!(status_of(&v), "valid", "{v}");
    // The usage is the certificate's own: no anchor makes it right.
    let (exit, codes) = verify(None, &pki.path("tls.exe"));
    assert_eq!((exit, codes), (1, vec!["signature-invalid".to_owned()]));
}

#[test]
fn basic_constraints_violations_are_invalid() {
    if !tools("basic_constraints_violations_are_invalid") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::new(tmp.path());
    pki.issue("root", "BC root", None, "root", None);
    // Intermediates: a proper CA limited to no further CA below it, an end entity (cA
    // false), one without basicConstraints, and a CA below the limited one.
    pki.issue("ca0", "CA pathlen 0", Some("root"), "ca_pathlen0", None);
    pki.issue("notca", "Not a CA", Some("root"), "not_ca", None);
    pki.issue(
        "nobc",
        "No basic constraints",
        Some("root"),
        "no_basic_constraints",
        None,
    );
    pki.issue(
        "deep",
        "CA under pathlen 0",
        Some("ca0"),
        "intermediate",
        None,
    );
    for (issuer, chain) in [
        ("ca0", vec!["ca0"]),
        ("notca", vec!["notca"]),
        ("nobc", vec!["nobc"]),
        ("deep", vec!["deep", "ca0"]),
    ] {
        pki.issue(
            &format!("leaf-{issuer}"),
            &format!("Signer under {issuer}"),
            Some(issuer),
            "signer",
            None,
        );
        pki.sign(
            &format!("{issuer}.exe"),
            &format!("leaf-{issuer}"),
            &chain,
            None,
        );
    }
    let root = pki.path("root.pem");
    let reason = |file: &str, expected: &str| {
        let v = ours(&pki.path(file), &root);
        assert_eq!(status_of(&v), expected, "{file}: {v}");
        v["reason"].as_str().unwrap_or_default().to_owned()
    };
    assert_eq!(reason("ca0.exe", "valid"), "");
    assert_eq!(
        reason("notca.exe", "invalid"),
        "certificate CN=Not a CA issued CN=Signer under notca but is not a CA (basic constraints)"
    );
    assert_eq!(
        reason("nobc.exe", "invalid"),
        "certificate CN=No basic constraints issued CN=Signer under nobc but is not a CA \
         (basic constraints)"
    );
    assert_eq!(
        reason("deep.exe", "invalid"),
        "the path is longer than CN=CA pathlen 0 allows (pathLenConstraint 0, 1 intermediate \
         certificates below it)"
    );
    // Without the root as anchor they stay invalid: the violation is in the chain itself.
    assert_eq!(
        verify(None, &pki.path("notca.exe")),
        (1, vec!["signature-invalid".to_owned()])
    );
    assert_eq!(
        verify(None, &pki.path("ca0.exe")).1,
        vec!["signature-untrusted"]
    );
}

#[test]
fn forged_leaf_naming_a_trusted_ca_is_invalid() {
    if !tools("forged_leaf_naming_a_trusted_ca_is_invalid") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_ca(dir);
    // Another key under the trusted root's name issues the signer.
    run(Command::new("openssl")
        .current_dir(dir)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
        ])
        .args(["-keyout", "fake.key", "-out", "fake.pem"])
        .args(["-subj", "/CN=Slipway Test root"]));
    let forge = |aki: &str| {
        std::fs::write(
            dir.join("forged.cnf"),
            format!(
                "[leaf]\nbasicConstraints=CA:false\nextendedKeyUsage=codeSigning\n\
                 subjectKeyIdentifier=none\nauthorityKeyIdentifier={aki}\n"
            ),
        )
        .unwrap();
        run(Command::new("openssl")
            .current_dir(dir)
            .args([
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-set_serial",
                "3",
                "-days",
                "30",
            ])
            .args(["-CA", "fake.pem", "-CAkey", "fake.key", "-out", "leaf.pem"])
            .args(["-extfile", "forged.cnf", "-extensions", "leaf"]));
        signed_cabinet(dir, &format!("forged-{aki}.cab"))
    };
    // The leaf says nothing about its issuer's key (as Microsoft's own older certificates):
    // by name it claims the trusted root, whose key does not verify it.
    let signed = forge("none");
    let v = ours(&signed, &dir.join("root.pem"));
    assert_eq!(status_of(&v), "invalid", "{v}");
    assert_eq!(
        v["reason"],
        "certificate O=Slipway Tests,CN=Slipway Test Signer is not signed by its issuer \
         CN=Slipway Test root: it was forged or altered"
    );
    // Trusting the key that really signed it makes it valid: the signature itself is sound.
    assert_eq!(status_of(&ours(&signed, &dir.join("fake.pem"))), "valid");
    // With an authority key identifier it names another key than the trusted root's: a
    // different CA under the same name (as after a re-key), so no chain, not a forgery.
    let signed = forge("keyid");
    let v = ours(&signed, &dir.join("root.pem"));
    assert_eq!(status_of(&v), "untrusted", "{v}");
}

/// A dated PKI: `root` (2010–2011) → `signer` (2010-02-01 – 2010-12-01, code signing), and a
/// separate `tsa-root` → `tsa` (2009–2040, time stamping).
fn dated_pki(dir: &Path) -> Pki {
    let pki = Pki::new(dir);
    pki.issue(
        "root",
        "Dated root",
        None,
        "root",
        Some(("20100101000000Z", "20111231000000Z")),
    );
    pki.issue(
        "signer",
        "Dated signer",
        Some("root"),
        "signer",
        Some(("20100201000000Z", "20101201000000Z")),
    );
    pki.issue(
        "tsa-root",
        "Dated TSA root",
        None,
        "root",
        Some(("20090101000000Z", "20400101000000Z")),
    );
    pki.issue(
        "tsa",
        "Dated TSA",
        Some("tsa-root"),
        "tsa",
        Some(("20090101000000Z", "20400101000000Z")),
    );
    pki.bundle("tsa-chain.pem", &["tsa", "tsa-root"]);
    pki
}

/// Anchors: the TSA root, and `root` with root-program metadata lines above it.
fn anchors_with_metadata(pki: &Pki, name: &str, metadata: &str) -> PathBuf {
    let text = format!(
        "{}\n{metadata}{}",
        std::fs::read_to_string(pki.path("tsa-root.pem")).unwrap(),
        std::fs::read_to_string(pki.path("root.pem")).unwrap()
    );
    std::fs::write(pki.path(name), text).unwrap();
    pki.path(name)
}

#[test]
fn expired_certificates_verify_at_the_time_of_a_trusted_timestamp() {
    if !tools("expired_certificates_verify_at_the_time_of_a_trusted_timestamp") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pki = dated_pki(tmp.path());
    let anchors = anchors_with_metadata(&pki, "anchors.pem", "");
    let inside = pki.sign("inside.exe", "signer", &["root"], Some(unix("2010-06-01")));
    let after = pki.sign("after.exe", "signer", &["root"], Some(unix("2011-06-01")));
    let unstamped = pki.sign("unstamped.exe", "signer", &["root"], None);

    let v = ours(&inside, &anchors);
    assert_eq!(status_of(&v), "valid", "{v}");
    assert_eq!(v["signed_at"], "2010-06-01T00:00:00Z");
    assert_eq!(v["reason"], serde_json::Value::Null);
    let v = ours(&after, &anchors);
    assert_eq!(status_of(&v), "untrusted", "{v}");
    assert_eq!(
        v["reason"],
        "certificate CN=Dated signer is not valid at the signing time 2011-06-01T00:00:00Z: \
         it is valid from 2010-02-01T00:00:00Z to 2010-12-01T00:00:00Z"
    );
    let v = ours(&unstamped, &anchors);
    assert_eq!(status_of(&v), "untrusted", "{v}");
    assert_eq!(v["signed_at"], serde_json::Value::Null);
    assert!(
        v["reason"].as_str().unwrap().contains("is not valid now"),
        "{v}"
    );
    // A timestamp whose signer does not chain to an anchor does not count: its time is
    // shown, but the chain is evaluated now.
    let v = ours(&inside, &pki.path("root.pem"));
    assert_eq!(status_of(&v), "untrusted", "{v}");
    assert_eq!(v["signed_at"], "2010-06-01T00:00:00Z");
    let reason = v["reason"].as_str().unwrap();
    assert!(reason.contains("is not valid now"), "{v}");
    assert!(
        reason.ends_with(
            "the timestamp is not trusted (no chain to a trust anchor (the built-in Microsoft \
             roots or --trust)), so the chain is evaluated now"
        ),
        "{v}"
    );
}

#[test]
fn timestamp_after_a_roots_disallowed_date_is_untrusted() {
    if !tools("timestamp_after_a_roots_disallowed_date_is_untrusted") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pki = dated_pki(tmp.path());
    let stamped = pki.sign("stamped.exe", "signer", &["root"], Some(unix("2010-06-01")));
    let disallowed = |name: &str, date: &str| {
        let meta =
            format!("# Friendly Name: Dated root\n# Disallowed Filetime: {date} 00:00:00+00:00\n");
        ours(&stamped, &anchors_with_metadata(&pki, name, &meta))
    };
    // Timestamped after the root was disabled.
    let v = disallowed("early.pem", "2010-03-01");
    assert_eq!(status_of(&v), "untrusted", "{v}");
    assert_eq!(
        v["reason"],
        "the root program disabled Dated root for code signing from 2010-03-01T00:00:00Z \
         (Disallowed Filetime); the signature is evaluated at the signing time \
         2010-06-01T00:00:00Z"
    );
    // Timestamped before it: still valid, though the date has long passed.
    let v = disallowed("late.pem", "2010-09-01");
    assert_eq!(status_of(&v), "valid", "{v}");
}

#[test]
fn certificates_issued_after_a_roots_not_before_date_are_untrusted() {
    if !tools("certificates_issued_after_a_roots_not_before_date_are_untrusted") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let pki = dated_pki(tmp.path());
    let stamped = pki.sign("stamped.exe", "signer", &["root"], Some(unix("2010-06-01")));
    let not_before = |name: &str, date: &str| {
        let meta = format!("# Not before Filetime: {date} 00:00:00+00:00\n");
        ours(&stamped, &anchors_with_metadata(&pki, name, &meta))
    };
    // The signer was issued 2010-02-01, after the date: no longer trusted under that root.
    let v = not_before("early.pem", "2010-01-15");
    assert_eq!(status_of(&v), "untrusted", "{v}");
    assert_eq!(
        v["reason"],
        "certificate CN=Dated signer was issued 2010-02-01T00:00:00Z, on or after the Not \
         before Filetime 2010-01-15T00:00:00Z of CN=Dated root: the root program trusts only \
         certificates issued before it"
    );
    // Issued before the date: valid, whether the signature is timestamped after the date
    // (2010-03-01) or before it (2010-09-01; "digital signatures with a timestamp set before
    // the NotBefore date will continue to successfully validate").
    for (name, date) in [("after.pem", "2010-03-01"), ("before.pem", "2010-09-01")] {
        let v = not_before(name, date);
        assert_eq!(status_of(&v), "valid", "{date}: {v}");
    }
}

/// The CLI switch: `inspect` and `verify --require-signature` call the real DirectX web
/// setup `valid` with the built-in roots and no `--trust`; `--no-builtin-trust` makes it
/// `untrusted`, and `--require-signature` then fails.
#[test]
fn cli_no_builtin_trust_switches_the_builtin_roots_off() {
    let Some(c) = corpus("cli_no_builtin_trust_switches_the_builtin_roots_off") else {
        return;
    };
    let exe = c.join("FinishedGames/dxwebsetup.exe");
    let sig = |extra: &[&str]| {
        let mut args = vec!["inspect".as_ref(), exe.as_os_str(), "--json".as_ref()];
        args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
        let out = slipway(&args);
        let doc = crate::support::json(&out);
        doc["items"][0]["signature"]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(sig(&[]), "valid");
    assert_eq!(sig(&["--no-builtin-trust"]), "untrusted");
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify".as_ref(),
            exe.as_os_str(),
            "--require-signature".as_ref(),
        ];
        args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
        code(&slipway(&args))
    };
    assert_eq!(verify(&[]), 0);
    assert_eq!(verify(&["--no-builtin-trust"]), 1);
}
