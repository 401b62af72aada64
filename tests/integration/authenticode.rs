//! Authenticode: fixtures (PE, cabinet, MSI) signed with `osslsigncode` under a throwaway CA
//! made here with `openssl`; our verdict must agree with `osslsigncode verify` for valid,
//! tampered (content, signature) and wrong-CA files. Then the real signed files of the corpus,
//! and mutated signatures (never a panic). Trust anchors, chain rules and the evaluation time:
//! [`trust`].

mod trust;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use slipway::authenticode::{self, Status, TrustStore};
use slipway::formats::Format;
use slipway::formats::payload::BytesSource;

use crate::fixtures::msi::{MsiBuilder, cabinet};
use crate::fixtures::pe::{Arch, PeBuilder};
use crate::fixtures::rng::Rng;
use crate::support::{code, corpus, json, slipway};

fn tools(test: &str) -> bool {
    ["openssl", "osslsigncode"]
        .iter()
        .all(|t| crate::support::tool(test, t))
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run tool");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throwaway CA: `root.pem` → `leaf.pem`/`leaf.key` (code signing), and an unrelated
/// `other.pem` root.
fn make_ca(dir: &Path) {
    std::fs::write(
        dir.join("leaf.cnf"),
        "[leaf]\nbasicConstraints=CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n",
    )
    .unwrap();
    for name in ["root", "other"] {
        run(Command::new("openssl")
            .current_dir(dir)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            ])
            .args([
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
            ])
            .args(["-subj", &format!("/CN=Slipway Test {name}")])
            .args(["-addext", "basicConstraints=critical,CA:true"])
            .args(["-addext", "keyUsage=critical,keyCertSign"]));
    }
    run(Command::new("openssl").current_dir(dir).args([
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=Slipway Test Signer/O=Slipway Tests",
    ]));
    run(Command::new("openssl").current_dir(dir).args([
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "root.pem",
        "-CAkey",
        "root.key",
        "-set_serial",
        "2",
        "-days",
        "30",
        "-out",
        "leaf.pem",
        "-extfile",
        "leaf.cnf",
        "-extensions",
        "leaf",
    ]));
}

/// An MSI to sign: the fixture builder's when osslsigncode can read it, else the corpus's
/// `osslsigncode/unsigned.msi` (osslsigncode 2.9 refuses compound files whose sector chains
/// point at sector 0, as the `cfb` writer's do: "Get corrupted sector location 0x00000000").
fn signable_msi(dir: &Path, fixture: Vec<u8>) -> Option<Vec<u8>> {
    let probe = dir.join("probe.msi");
    std::fs::write(&probe, &fixture).unwrap();
    let ok = Command::new("osslsigncode")
        .current_dir(dir)
        .args([
            "sign",
            "-certs",
            "leaf.pem",
            "-key",
            "leaf.key",
            "-in",
            "probe.msi",
        ])
        .args(["-out", "probe-signed.msi"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(fixture);
    }
    let c = corpus("authenticode MSI (osslsigncode cannot read the fixture MSI)")?;
    eprintln!("note: osslsigncode cannot read the fixture MSI; using the corpus's unsigned.msi");
    std::fs::read(c.join("osslsigncode/unsigned.msi")).ok()
}

fn sign(dir: &Path, input: &Path, output: &Path, digest: &str) {
    run(Command::new("osslsigncode")
        .current_dir(dir)
        .args([
            "sign", "-certs", "leaf.pem", "-key", "leaf.key", "-h", digest,
        ])
        .args(["-n", "slipway test"])
        .arg("-in")
        .arg(input)
        .arg("-out")
        .arg(output));
}

/// `osslsigncode verify` with `ca` as the only CA file: whether it succeeds.
fn ossl_ok(file: &Path, ca: &Path) -> bool {
    Command::new("osslsigncode")
        .args(["verify", "-in"])
        .arg(file)
        .arg("-CAfile")
        .arg(ca)
        .output()
        .expect("osslsigncode verify")
        .status
        .success()
}

/// Our verdict for `file` with `ca` as the trust anchor (through `inspect --json`).
fn ours(file: &Path, ca: &Path) -> serde_json::Value {
    let out = slipway([
        "--trust".as_ref(),
        ca.as_os_str(),
        "inspect".as_ref(),
        "--json".as_ref(),
        file.as_os_str(),
    ]);
    let doc = json(&out);
    doc["items"][0]["signature"].clone()
}

fn status_of(v: &serde_json::Value) -> String {
    v["status"].as_str().unwrap_or("null").to_owned()
}

/// The offset of the last bytes of the PKCS#7 DER (the end of the signer's encryptedDigest
/// when there are no unsigned attributes) inside `file`.
fn signature_byte(dir: &Path, file: &Path) -> usize {
    let der_path = dir.join("extracted.der");
    let _ = std::fs::remove_file(&der_path);
    run(Command::new("osslsigncode")
        .args(["extract-signature", "-in"])
        .arg(file)
        .arg("-out")
        .arg(&der_path));
    let der = std::fs::read(&der_path).unwrap();
    // Outer SEQUENCE with a two-byte length (every signature here is 256..65535 bytes).
    assert_eq!(&der[..2], &[0x30, 0x82]);
    let len = 4 + usize::from(u16::from_be_bytes([der[2], der[3]]));
    let tail = &der[len - 32..len];
    let bytes = std::fs::read(file).unwrap();
    let at = bytes
        .windows(tail.len())
        .position(|w| w == tail)
        .expect("signature tail in the file");
    at + 16
}

fn flip(path: &Path, at: usize, out: &Path) {
    let mut b = std::fs::read(path).unwrap();
    b[at] ^= 0x55;
    std::fs::write(out, b).unwrap();
}

struct Row {
    case: String,
    ossl: bool,
    ours: String,
}

#[test]
fn verdicts_agree_with_osslsigncode() {
    if !tools("verdicts_agree_with_osslsigncode") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_ca(dir);
    let root = dir.join("root.pem");
    let other = dir.join("other.pem");

    let payload = b"SLIPWAY-CONTENT-MARKER-0123456789abcdefghijklmnopqrstuvwxyz".repeat(100);
    let mut fixtures: Vec<(&str, Vec<u8>)> = vec![
        (
            "pe.exe",
            PeBuilder::new(Arch::X86)
                .cabinet_resource(cabinet(&[("a.txt", &payload[..])]))
                .build(),
        ),
        ("pe64.exe", PeBuilder::new(Arch::X64).build()),
        ("plain.cab", cabinet(&[("a.txt", &payload[..])])),
    ];
    let msi = MsiBuilder::installer()
        .stream("Binary.marker", payload.clone())
        .build();
    if let Some(msi) = signable_msi(dir, msi) {
        fixtures.push(("package.msi", msi));
    }
    let mut rows = Vec::new();
    for (name, bytes) in &fixtures {
        for digest in ["sha256", "sha1"] {
            let unsigned = dir.join(format!("u-{name}"));
            std::fs::write(&unsigned, bytes).unwrap();
            let signed = dir.join(format!("{digest}-{name}"));
            sign(dir, &unsigned, &signed, digest);
            let signed_bytes = std::fs::read(&signed).unwrap();

            // Content: a byte of the payload marker when it is stored plainly (MSI stream),
            // else of the DOS stub (PE) or of the CFFILE entries (cabinet); for the corpus
            // MSI, a byte in the middle of its (large, uncompressed) cabinet stream.
            let content_at = signed_bytes
                .windows(22)
                .position(|w| w == b"SLIPWAY-CONTENT-MARKER")
                .unwrap_or(if name.ends_with(".msi") {
                    signed_bytes.len() / 3
                } else {
                    0x50
                });
            let tampered = dir.join(format!("content-{digest}-{name}"));
            flip(&signed, content_at, &tampered);
            let sig_tampered = dir.join(format!("sig-{digest}-{name}"));
            flip(&signed, signature_byte(dir, &signed), &sig_tampered);

            let cases = [
                ("valid", &signed, &root, "valid"),
                ("content byte", &tampered, &root, "invalid"),
                ("signature byte", &sig_tampered, &root, "invalid"),
                ("wrong CA", &signed, &other, "untrusted"),
                ("unsigned", &unsigned, &root, "absent"),
            ];
            for (case, file, ca, expected) in cases {
                let v = ours(file, ca);
                let ossl = ossl_ok(file, ca);
                let got = status_of(&v);
                assert_eq!(got, expected, "{name} {digest} {case}: {v}");
                // osslsigncode succeeds exactly for the files we call valid.
                assert_eq!(ossl, got == "valid", "{name} {digest} {case}: ours {got}");
                if got == "valid" {
                    assert_eq!(v["signer"], "O=Slipway Tests,CN=Slipway Test Signer");
                    assert_eq!(v["issuers"][0], "CN=Slipway Test root");
                    assert_eq!(v["digest_algorithm"], digest);
                }
                rows.push(Row {
                    case: format!("{name} {digest} {case}"),
                    ossl,
                    ours: got,
                });
            }
        }
    }
    eprintln!("{:<36} {:<20} slipway", "file", "osslsigncode verify");
    for r in &rows {
        eprintln!(
            "{:<36} {:<20} {}",
            r.case,
            if r.ossl { "ok" } else { "failed" },
            r.ours
        );
    }
}

#[test]
fn verify_require_signature_exits_by_verdict() {
    if !tools("verify_require_signature_exits_by_verdict") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_ca(dir);
    let unsigned = dir.join("u.exe");
    std::fs::write(&unsigned, PeBuilder::new(Arch::X86).build()).unwrap();
    let signed = dir.join("s.exe");
    sign(dir, &unsigned, &signed, "sha256");
    let verify = |trust: &str, file: &Path, require: bool| {
        let mut args: Vec<std::ffi::OsString> = vec!["verify".into(), "--json".into()];
        if require {
            args.push("--require-signature".into());
        }
        args.extend(["--trust".into(), dir.join(trust).into(), file.into()]);
        let out = slipway(&args);
        let codes: Vec<String> = json(&out)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"].as_str().unwrap().starts_with("signature-"))
            .map(|f| format!("{}:{}", f["code"], f["severity"]))
            .collect();
        (code(&out), codes)
    };
    assert_eq!(verify("root.pem", &signed, true), (0, vec![]));
    assert_eq!(
        verify("other.pem", &signed, true),
        (1, vec![r#""signature-untrusted":"error""#.to_owned()])
    );
    assert_eq!(
        verify("other.pem", &signed, false),
        (0, vec![r#""signature-untrusted":"warning""#.to_owned()])
    );
    assert_eq!(
        verify("root.pem", &unsigned, true),
        (1, vec![r#""signature-absent":"error""#.to_owned()])
    );
    assert_eq!(
        verify("root.pem", &unsigned, false),
        (0, vec![r#""signature-absent":"warning""#.to_owned()])
    );
    let tampered = dir.join("t.exe");
    flip(&signed, 0x50, &tampered);
    assert_eq!(
        verify("root.pem", &tampered, false),
        (1, vec![r#""signature-invalid":"error""#.to_owned()])
    );
    // A trust file without a certificate is a usage error.
    let out = slipway([
        "verify".as_ref(),
        "--trust".as_ref(),
        dir.join("leaf.cnf").as_os_str(),
        signed.as_os_str(),
    ]);
    assert_eq!(code(&out), 2);
}

#[test]
fn nested_signed_package_gets_its_own_verdict() {
    if !tools("nested_signed_package_gets_its_own_verdict") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_ca(dir);
    let Some(msi_bytes) = signable_msi(dir, MsiBuilder::installer().build()) else {
        return;
    };
    let msi = dir.join("u.msp");
    std::fs::write(&msi, msi_bytes).unwrap();
    let signed_msi = dir.join("sts-x-none.msp");
    sign(dir, &msi, &signed_msi, "sha256");
    let inner = std::fs::read(&signed_msi).unwrap();
    let exe = dir.join("u.exe");
    std::fs::write(
        &exe,
        PeBuilder::new(Arch::X86)
            .cabinet_resource(cabinet(&[("sts-x-none.msp", &inner[..])]))
            .build(),
    )
    .unwrap();
    let package = dir.join("wss-kb975002-fullfile-x86-glb.exe");
    sign(dir, &exe, &package, "sha256");
    let out = slipway([
        "--trust".as_ref(),
        dir.join("root.pem").as_os_str(),
        "inspect".as_ref(),
        "--json".as_ref(),
        package.as_os_str(),
    ]);
    let doc = json(&out);
    let items = doc["items"].as_array().unwrap();
    let msp = items
        .iter()
        .find(|i| i["name"] == "sts-x-none.msp")
        .expect("nested patch listed");
    assert_eq!(items[0]["signature"]["status"], "valid");
    assert_eq!(msp["signature"]["status"], "valid");
    assert_eq!(
        msp["origin"].as_array().unwrap().len(),
        3,
        "{}",
        msp["origin"]
    );
    // The human table shows the verdict.
    let out = slipway([
        "--trust".as_ref(),
        dir.join("root.pem").as_os_str(),
        "inspect".as_ref(),
        package.as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().next().unwrap().ends_with("SIG"), "{text}");
    assert!(text.lines().nth(1).unwrap().ends_with("valid"), "{text}");
}

#[test]
fn mutated_signatures_never_panic() {
    if !tools("mutated_signatures_never_panic") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_ca(dir);
    let trust = TrustStore::load(&[dir.join("root.pem")]).unwrap();
    let mut cases = vec![
        (
            "m.exe",
            PeBuilder::new(Arch::X86).build(),
            Format::Executable,
        ),
        ("m.cab", cabinet(&[("a", b"aaaa")]), Format::Cab),
    ];
    if let Some(msi) = signable_msi(dir, MsiBuilder::installer().build()) {
        cases.push(("m.msi", msi, Format::CompoundFile));
    }
    for (name, bytes, format) in cases {
        let unsigned = dir.join(format!("u-{name}"));
        std::fs::write(&unsigned, bytes).unwrap();
        let signed = dir.join(name);
        sign(dir, &unsigned, &signed, "sha256");
        let bytes = std::fs::read(&signed).unwrap();
        let check = |b: Vec<u8>| {
            authenticode::check(format, &BytesSource(Arc::from(b)), &trust)
                .unwrap()
                .unwrap()
                .status
        };
        assert_eq!(check(bytes.clone()), Status::Valid, "{name}");
        // Bytes of the signature region (PE, CAB: the tail; MSI: the whole file, which holds
        // the DigitalSignature stream) flipped, and the file truncated: a verdict, never a
        // panic (bytes no hash covers, like unused sectors, may leave it valid).
        let start = if format == Format::CompoundFile {
            0
        } else {
            bytes.len().saturating_sub(2500)
        };
        let mut invalid = 0;
        let mut rng = Rng::new(0x2545_f491);
        for at in (start..bytes.len()).step_by(if format == Format::CompoundFile { 7 } else { 3 }) {
            let mut m = bytes.clone();
            m[at] ^= (rng.next_u64() as u8) | 1;
            if check(m) == Status::Invalid {
                invalid += 1;
            }
        }
        for cut in [1, 8, 100, 1000] {
            let m = bytes[..bytes.len().saturating_sub(cut)].to_vec();
            let _ = check(m);
        }
        eprintln!("{name}: {invalid} mutations found invalid");
        assert!(invalid > 0);
    }
}

fn signature(path: &Path) -> serde_json::Value {
    let out = slipway(["inspect".as_ref(), "--json".as_ref(), path.as_os_str()]);
    json(&out)["items"][0]["signature"].clone()
}

#[test]
fn corpus_signed_and_unsigned_files() {
    let Some(c) = corpus("corpus_signed_and_unsigned_files") else {
        return;
    };
    // The real Microsoft packages: see trust::corpus_microsoft_packages_*.
    // gcab's test-signed.cab: the cabinet digest matches (as osslsigncode computes it), but
    // the RSA signature does not verify with the certificate it carries (its PKCS#1 padding
    // does not decode with that key; osslsigncode stops at the self-signed chain first).
    let v = signature(&c.join("gcab/test-signed.cab"));
    assert_eq!(v["status"], "invalid", "{v}");
    assert_eq!(
        v["reason"],
        "the signer's signature does not verify: the signature was altered"
    );
    // Unsigned files.
    assert_eq!(
        signature(&c.join("osslsigncode/unsigned.exe"))["status"],
        "absent"
    );
    assert_eq!(signature(&c.join("gcab/test-none.cab"))["status"], "absent");
}

#[test]
fn msi_digital_signature_ex_is_hashed() {
    if !tools("msi_digital_signature_ex_is_hashed") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    make_ca(dir);
    let Some(msi) = signable_msi(dir, MsiBuilder::installer().build()) else {
        return;
    };
    std::fs::write(dir.join("u.msi"), msi).unwrap();
    // -add-msi-dse: the MsiDigitalSignatureEx pre-hash of the entries' metadata.
    run(Command::new("osslsigncode").current_dir(dir).args([
        "sign",
        "-certs",
        "leaf.pem",
        "-key",
        "leaf.key",
        "-h",
        "sha256",
        "-add-msi-dse",
        "-in",
        "u.msi",
        "-out",
        "dse.msi",
    ]));
    let signed = dir.join("dse.msi");
    let root = dir.join("root.pem");
    assert!(ossl_ok(&signed, &root));
    assert_eq!(status_of(&ours(&signed, &root)), "valid");
    let tampered = dir.join("dse-content.msi");
    let len = std::fs::read(&signed).unwrap().len();
    flip(&signed, len / 3, &tampered);
    assert!(!ossl_ok(&tampered, &root));
    assert_eq!(status_of(&ours(&tampered, &root)), "invalid");
}
