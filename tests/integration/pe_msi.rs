//! Tests of the PE payload locator and the MSI/MSP reader, on generated fixtures and (with
//! `SLIPWAY_CORPUS`) on the real files of the shared corpus.

use std::io::{self, Cursor};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use slipway::formats::ReadError as Error;
use slipway::formats::cab::{Volume, VolumeResolver};
use slipway::formats::msi::{self, CabinetSource, MsiError};
use slipway::formats::pe::{self, Embedded};
use slipway::formats::{Format, FormatError};
use slipway::model::{Origin, OriginStep};

use crate::fixtures::msi::{
    MsiBuilder, cabinet, msi_with_embedded_cab, msi_with_external_cab, msp_with_cab,
};
use crate::fixtures::pe::{Arch, PeBuilder, ResName, VersionInfo};
use crate::fixtures::rng::Rng;
use crate::fixtures::zip::zip;
use crate::fixtures::{MemSink, MemVolumes};
use crate::support;

const FILES: &[(&str, &[u8])] = &[
    (
        "sts-x-none.msp",
        b"not really a patch, but bytes all the same",
    ),
    ("readme.txt", b"hello\r\nhello\r\n"),
    ("empty", b""),
];

fn locate(bytes: &[u8]) -> Vec<Embedded> {
    pe::locate(&mut Cursor::new(bytes.to_vec()), bytes.len() as u64).expect("no I/O error")
}

fn span(bytes: &[u8], e: &Embedded) -> Vec<u8> {
    bytes[e.offset as usize..(e.offset + e.len) as usize].to_vec()
}

/// Files of the `cab` crate's MSZIP cabinet, read back through the `cab` crate.
fn small_cab() -> Vec<u8> {
    cabinet(FILES)
}

// ---------------------------------------------------------------- PE

#[test]
fn cabinet_resource_is_found_in_pe32_and_pe32_plus() {
    let cab = small_cab();
    for arch in [Arch::X86, Arch::X64] {
        let exe = PeBuilder::new(arch)
            .version_info(VersionInfo::default())
            .cabinet_resource(cab.clone())
            .build();
        let found = locate(&exe);
        assert_eq!(found.len(), 1, "{arch:?}: {found:?}");
        let e = &found[0];
        assert_eq!(e.format, Format::Cab);
        assert_eq!(e.step, OriginStep::PeResource("RCDATA/CABINET".into()));
        assert_eq!(span(&exe, e), cab, "{arch:?}");
    }
}

#[test]
fn other_resources_are_labelled_by_type_and_name() {
    let z = zip(&[("a.txt", b"a")]);
    let cab = small_cab();
    let exe = PeBuilder::new(Arch::X86)
        .resource(ResName::Id(10), ResName::Id(7), z.clone())
        .resource(
            ResName::Name("PAYLOAD".into()),
            ResName::Name("DATA".into()),
            cab.clone(),
        )
        .resource(
            ResName::Id(10),
            ResName::Name("NOTHING".into()),
            b"plain bytes".to_vec(),
        )
        .build();
    let found = locate(&exe);
    let labels: Vec<(String, Format)> = found
        .iter()
        .map(|e| (e.step.to_string(), e.format))
        .collect();
    assert_eq!(
        labels,
        [
            ("[pe rsrc PAYLOAD/DATA]".to_owned(), Format::Cab),
            ("[pe rsrc RCDATA/#7]".to_owned(), Format::Zip),
        ]
    );
    assert_eq!(span(&exe, &found[0]), cab);
    assert_eq!(span(&exe, &found[1]), z);
}

#[test]
fn cabinet_after_the_image_is_found() {
    let cab = small_cab();
    for arch in [Arch::X86, Arch::X64] {
        let exe = PeBuilder::new(arch)
            .version_info(VersionInfo::default())
            .overlay(cab.clone())
            .certificate(vec![0x30; 1000])
            .build();
        let found = locate(&exe);
        assert_eq!(found.len(), 1, "{found:?}");
        let e = &found[0];
        assert_eq!(e.format, Format::Cab);
        assert_eq!(e.step, OriginStep::Offset(e.offset));
        assert_eq!(span(&exe, e), cab);
    }
}

#[test]
fn zip_after_the_image_with_and_without_certificate() {
    let z = zip(&[("KB123456.msu", b"update"), ("readme.txt", b"read me")]);
    for cert in [None, Some(vec![0x30u8; 1234])] {
        let mut b = PeBuilder::new(Arch::X86)
            .version_info(VersionInfo::default())
            .overlay(z.clone());
        if let Some(c) = cert.clone() {
            b = b.certificate(c);
        }
        let exe = b.build();
        let found = locate(&exe);
        assert_eq!(found.len(), 1, "cert {}: {found:?}", cert.is_some());
        assert_eq!(found[0].format, Format::Zip);
        assert_eq!(span(&exe, &found[0]), z, "cert {}", cert.is_some());
    }
}

#[test]
fn zip_wrapper_found_by_its_central_directory() {
    // The overlay starts with other bytes (a hotfix wrapper's own data), then the zip.
    let z = zip(&[("NDP20-KB123456-x64.exe", &[7u8; 3000][..])]);
    let mut overlay = b"wrapper data, not an archive".to_vec();
    overlay.extend_from_slice(&z);
    for cert in [None, Some(vec![0x30u8; 777])] {
        let mut b = PeBuilder::new(Arch::X64).overlay(overlay.clone());
        if let Some(c) = cert.clone() {
            b = b.certificate(c);
        }
        let exe = b.build();
        let found = locate(&exe);
        assert_eq!(found.len(), 1, "cert {}: {found:?}", cert.is_some());
        assert_eq!(found[0].format, Format::Zip);
        assert_eq!(found[0].step, OriginStep::Offset(found[0].offset));
        assert_eq!(span(&exe, &found[0]), z, "cert {}", cert.is_some());
    }
}

#[test]
fn plain_pe_has_nothing() {
    for arch in [Arch::X86, Arch::X64] {
        let exe = PeBuilder::new(arch)
            .version_info(VersionInfo::default())
            .build();
        assert!(locate(&exe).is_empty());
        // A cabinet raw inside .rsrc but in no resource entry is left to cab::scan.
        let exe = PeBuilder::new(arch).rsrc_tail(small_cab()).build();
        assert!(locate(&exe).is_empty());
    }
}

#[test]
fn pe_fixtures_are_deterministic() {
    let build = || {
        PeBuilder::new(Arch::X64)
            .version_info(VersionInfo::default())
            .cabinet_resource(small_cab())
            .overlay(b"tail".to_vec())
            .certificate(vec![1, 2, 3])
            .build()
    };
    assert_eq!(build(), build());
}

#[test]
fn truncated_and_damaged_pe_never_panics() {
    let exe = PeBuilder::new(Arch::X86)
        .version_info(VersionInfo::default())
        .cabinet_resource(small_cab())
        .overlay(zip(&[("a", b"a")]))
        .certificate(vec![9; 64])
        .build();
    for cut in (0..exe.len()).step_by(7) {
        let _ = locate(&exe[..cut]);
    }
    // Length claims longer than the data: still no error, no panic.
    let _ = pe::locate(&mut Cursor::new(exe[..300].to_vec()), exe.len() as u64).unwrap();
    // Damage every header and resource-tree byte in turn, with a few patterns.
    let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
    for at in 0..0x400.min(exe.len()) {
        for pattern in [0x00, 0xff, 0x80] {
            let mut bad = exe.clone();
            bad[at] = pattern;
            let _ = locate(&bad);
        }
    }
    for _ in 0..2000 {
        let mut bad = exe.clone();
        rng.scribble(&mut bad, 4);
        let _ = locate(&bad);
    }
    for junk in [&b""[..], b"MZ", b"PK\x05\x06", &[0u8; 4096][..]] {
        assert!(locate(junk).is_empty());
    }
}

// ---------------------------------------------------------------- MSI / MSP

/// Files beside a package on disk.
struct DirVolumes(PathBuf);

impl VolumeResolver for DirVolumes {
    fn open(&mut self, name: &str) -> io::Result<Option<Volume>> {
        let p = self.0.join(name);
        if !p.is_file() {
            return Ok(None);
        }
        Ok(Some(Volume {
            reader: Box::new(std::fs::File::open(p)?),
            step: OriginStep::Volume(name.to_owned()),
        }))
    }
}

fn origin() -> Origin {
    Origin::input("pkg.msi")
}

fn list(bytes: &[u8]) -> Result<Vec<CabinetSource>, Error> {
    msi::cabinets(Box::new(Cursor::new(bytes.to_vec())), &origin())
}

fn extract(bytes: &[u8], beside: &mut dyn VolumeResolver) -> Result<MemSink, Error> {
    let mut sink = MemSink::default();
    msi::extract(
        Box::new(Cursor::new(bytes.to_vec())),
        &origin(),
        beside,
        &mut sink,
        msi::MsiView::Installed,
    )?;
    Ok(sink)
}

fn expected_pairs() -> Vec<(String, Vec<u8>)> {
    FILES
        .iter()
        .map(|(n, b)| ((*n).to_owned(), b.to_vec()))
        .collect()
}

fn msi_error(err: &Error) -> Option<&MsiError> {
    match err {
        Error::Format {
            source: FormatError::Msi(e),
            ..
        } => Some(e),
        _ => None,
    }
}

#[test]
fn embedded_cabinet_is_listed() {
    let pkg = msi_with_embedded_cab("data.cab", FILES);
    assert_eq!(
        list(&pkg).unwrap(),
        [CabinetSource::Stream {
            name: "data.cab".into(),
            disk_id: Some(1)
        }]
    );
}

#[test]
fn external_cabinet_is_listed_and_missing_one_is_an_error() {
    let pkg = msi_with_external_cab("Data1.cab");
    assert_eq!(
        list(&pkg).unwrap(),
        [CabinetSource::External {
            name: "Data1.cab".into(),
            disk_id: 1
        }]
    );
    let err = extract(&pkg, &mut MemVolumes::default()).unwrap_err();
    assert!(
        matches!(msi_error(&err), Some(MsiError::ExternalCabinetNotFound(n)) if n == "Data1.cab"),
        "{err}"
    );
    assert!(
        slipway::error::line(&err).contains("external cabinet Data1.cab not found"),
        "{err}"
    );
}

#[test]
fn patch_cabinet_stream_is_listed() {
    let pkg = msp_with_cab("sts", FILES);
    assert_eq!(
        list(&pkg).unwrap(),
        [CabinetSource::Stream {
            name: "PCW_CAB_sts".into(),
            disk_id: None
        }]
    );
}

#[test]
fn cabinets_come_in_media_order_then_by_name() {
    let cab = small_cab();
    let mut continuation = cab.clone();
    continuation[30] |= 0x01; // CFHDR_PREV_CABINET
    let pkg = MsiBuilder::installer()
        .media(1, 10, "#b.cab")
        .media(2, 20, "#a.cab")
        .media(3, 30, "outside.cab")
        .media(4, 40, "#gone.cab")
        .stream("b.cab", cab.clone())
        .stream("a.cab", cab.clone())
        .stream("z.cab", cab.clone())
        .stream("c.cab", cab.clone())
        .stream("vol2.cab", continuation)
        .stream("Binary.icon", b"not a cabinet".to_vec())
        .build();
    let names: Vec<String> = list(&pkg)
        .unwrap()
        .into_iter()
        .map(|s| match s {
            CabinetSource::Stream { name, .. } => name,
            CabinetSource::External { name, .. } => format!("external {name}"),
        })
        .collect();
    assert_eq!(
        names,
        ["b.cab", "a.cab", "external outside.cab", "c.cab", "z.cab"]
    );
}

#[test]
fn package_without_cabinet_says_so() {
    let pkg = MsiBuilder::installer().build();
    let err = extract(&pkg, &mut MemVolumes::default()).unwrap_err();
    assert!(
        matches!(msi_error(&err), Some(MsiError::NoCabinet)),
        "{err}"
    );
    assert!(slipway::error::line(&err).contains("no cabinet in package"));
}

#[test]
fn msi_fixtures_are_deterministic() {
    assert_eq!(
        msi_with_embedded_cab("d.cab", FILES),
        msi_with_embedded_cab("d.cab", FILES)
    );
    assert_eq!(msp_with_cab("sts", FILES), msp_with_cab("sts", FILES));
}

#[test]
fn not_a_compound_file_is_a_format_error() {
    for bytes in [
        &b""[..],
        b"hello",
        &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..],
    ] {
        let err = list(bytes).unwrap_err();
        assert!(
            matches!(msi_error(&err), Some(MsiError::CompoundFile { .. })),
            "{err}"
        );
    }
}

#[test]
fn damaged_packages_never_panic() {
    let cab = small_cab();
    let pkgs = [
        MsiBuilder::installer()
            .embedded_cabinet("data.cab", cab.clone())
            .external_cabinet("ext.cab")
            .build(),
        msp_with_cab("sts", FILES),
    ];
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    for pkg in &pkgs {
        for cut in (0..pkg.len()).step_by(509) {
            let _ = list(&pkg[..cut]);
        }
        for _ in 0..600 {
            let mut bad = pkg.clone();
            rng.scribble(&mut bad, 3);
            let _ = list(&bad);
            let mut beside = MemVolumes::default();
            beside.0.insert("ext.cab".into(), cab.clone());
            let _ = extract(&bad, &mut beside);
        }
    }
}

// These need the cabinet reader (src/formats/cab): they fail while it is a stub.

#[test]
fn embedded_cabinet_members_are_extracted() {
    let pkg = msi_with_embedded_cab("data.cab", FILES);
    let sink = extract(&pkg, &mut MemVolumes::default()).unwrap();
    assert_eq!(sink.pairs(), expected_pairs());
    assert!(
        sink.files[0].1.contains("[stream data.cab]"),
        "{}",
        sink.files[0].1
    );
}

#[test]
fn external_cabinet_members_are_extracted() {
    let pkg = msi_with_external_cab("Data1.cab");
    let mut beside = MemVolumes::default();
    beside.0.insert("data1.CAB".into(), small_cab());
    let sink = extract(&pkg, &mut beside).unwrap();
    assert_eq!(sink.pairs(), expected_pairs());
    assert!(sink.files[0].1.contains("[external cabinet Data1.cab]"));
}

#[test]
fn patch_cabinet_members_are_extracted() {
    let pkg = msp_with_cab("sts", FILES);
    let sink = extract(&pkg, &mut MemVolumes::default()).unwrap();
    assert_eq!(sink.pairs(), expected_pairs());
    assert!(sink.files[0].1.contains("[stream PCW_CAB_sts]"));
}

// ---------------------------------------------------------------- corpus

/// (size, sha256) rows of `tool` for `file` in expected.tsv, sorted.
fn reference(corpus: &Path, file: &str, tool: &str) -> Vec<(u64, String)> {
    let tsv = std::fs::read_to_string(corpus.join("expected.tsv")).unwrap();
    let mut rows: Vec<(u64, String)> = tsv
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c.len() >= 8 && c[0] == file && c[1] == tool && c[2] == "ok")
        .map(|c| (c[6].parse().unwrap(), c[7].to_owned()))
        .collect();
    rows.sort();
    rows
}

fn digest_set(sink: &MemSink) -> Vec<(u64, String)> {
    let mut set: Vec<(u64, String)> = sink
        .files
        .iter()
        .map(|(_, _, b)| {
            let h = Sha256::digest(b);
            let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
            (b.len() as u64, hex)
        })
        .collect();
    set.sort();
    set
}

const CORPUS_PACKAGES: &[(&str, &str)] = &[
    ("lessmsi/putty-0.68-installer.msi", "putty.cab"),
    ("lessmsi/NUnit-2.5.2.9222.msi", "nunit.cab"),
    ("lessmsi/WPF2_32.msp", "PCW_CAB_NetFX"),
    ("osslsigncode/unsigned.msi", "Sample.cab"),
];

#[test]
fn corpus_packages_list_their_cabinets() {
    let Some(corpus) = support::corpus("corpus_packages_list_their_cabinets") else {
        return;
    };
    for (file, stream) in CORPUS_PACKAGES {
        let bytes = std::fs::read(corpus.join(file)).unwrap();
        let found = list(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(found.len(), 1, "{file}: {found:?}");
        assert!(
            matches!(&found[0], CabinetSource::Stream { name, .. } if name == stream),
            "{file}: {found:?}"
        );
    }
    let bytes = std::fs::read(corpus.join("lessmsi/msi_with_external_cab.msi")).unwrap();
    assert_eq!(
        list(&bytes).unwrap(),
        [CabinetSource::External {
            name: "msi_with_external_cab.cab".into(),
            disk_id: 1
        }]
    );
    let err = extract(&bytes, &mut MemVolumes::default()).unwrap_err();
    assert!(
        matches!(msi_error(&err), Some(MsiError::ExternalCabinetNotFound(_))),
        "{err}"
    );
}

#[test]
fn corpus_packages_agree_with_msiinfo_and_cabextract() {
    let Some(corpus) = support::corpus("corpus_packages_agree_with_msiinfo_and_cabextract") else {
        return;
    };
    let mut failures = Vec::new();
    let mut check = |file: &str, beside: &mut dyn VolumeResolver, want: Vec<(u64, String)>| {
        assert!(!want.is_empty(), "{file}: no reference rows");
        let bytes = std::fs::read(corpus.join(file)).unwrap();
        match extract(&bytes, beside) {
            Err(e) => failures.push(format!("{file}: {e}")),
            Ok(sink) if digest_set(&sink) != want => failures.push(format!(
                "{file}: {} members differ from the reference's {}",
                sink.files.len(),
                want.len()
            )),
            Ok(_) => {}
        }
    };
    for (file, _) in CORPUS_PACKAGES {
        let want = reference(&corpus, file, "msiinfo-streams+cabextract");
        check(file, &mut MemVolumes::default(), want);
    }
    // The external cabinet, read from beside the package: same content as cabextract on it.
    check(
        "lessmsi/msi_with_external_cab.msi",
        &mut DirVolumes(corpus.join("lessmsi")),
        reference(&corpus, "lessmsi/msi_with_external_cab.cab", "cabextract"),
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn corpus_executables_locate() {
    let Some(corpus) = support::corpus("corpus_executables_locate") else {
        return;
    };
    // IExpress: the cabinet is the RT_RCDATA resource CABINET.
    let dx = std::fs::read(corpus.join("FinishedGames/dxwebsetup.exe")).unwrap();
    let found = locate(&dx);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].step,
        OriginStep::PeResource("RCDATA/CABINET".into())
    );
    assert_eq!(found[0].format, Format::Cab);
    assert!(span(&dx, &found[0]).starts_with(b"MSCF\0\0\0\0"));
    // sfxcab: the cabinet lies raw in .rsrc, in no resource entry; the overlay is the
    // Authenticode certificate only. Found by cab::scan, not here.
    let vc = std::fs::read(corpus.join("roomsports/vcredist_x86.exe")).unwrap();
    assert_eq!(locate(&vc), []);
    // An ordinary program: nothing.
    let plain = std::fs::read(corpus.join("osslsigncode/unsigned.exe")).unwrap();
    assert_eq!(locate(&plain), []);
    // No corpus file makes locate fail or panic.
    for entry in walk(&corpus) {
        let bytes = std::fs::read(&entry).unwrap();
        let _ = locate(&bytes);
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// With `SLIPWAY_FIXTURE_DUMP=DIR`, writes the generated PE/MSI/MSP fixtures there, for a look
/// with `file`, `msiinfo`, `7zz`, `pefile` (not needed by any other test).
#[test]
fn dump_fixtures_when_asked() {
    let Some(dir) = std::env::var_os("SLIPWAY_FIXTURE_DUMP").map(PathBuf::from) else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    let cab = small_cab();
    let z = zip(&[("KB123456.msu", b"update")]);
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "x86-cabinet.exe",
            PeBuilder::new(Arch::X86)
                .version_info(VersionInfo::default())
                .cabinet_resource(cab.clone())
                .build(),
        ),
        (
            "x64-cabinet.exe",
            PeBuilder::new(Arch::X64)
                .version_info(VersionInfo::default())
                .cabinet_resource(cab.clone())
                .build(),
        ),
        (
            "x64-overlay-cab.exe",
            PeBuilder::new(Arch::X64)
                .version_info(VersionInfo::default())
                .overlay(cab.clone())
                .certificate(vec![0x30; 100])
                .build(),
        ),
        (
            "x86-zip.exe",
            PeBuilder::new(Arch::X86)
                .overlay(z)
                .certificate(vec![0x30; 100])
                .build(),
        ),
        ("data.cab", cab.clone()),
        ("embedded.msi", msi_with_embedded_cab("data.cab", FILES)),
        ("external.msi", msi_with_external_cab("data.cab")),
        ("sts-x-none.msp", msp_with_cab("sts", FILES)),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

#[test]
fn damaged_corpus_packages_never_panic() {
    let Some(corpus) = support::corpus("damaged_corpus_packages_never_panic") else {
        return;
    };
    let mutants: usize = std::env::var("SLIPWAY_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let mut rng = Rng::new(0xD1B5_4A32_D192_ED03);
    let mut next = move || rng.next_u64();
    let files = CORPUS_PACKAGES
        .iter()
        .map(|(f, _)| *f)
        .chain(["lessmsi/msi_with_external_cab.msi"]);
    for file in files {
        let pkg = std::fs::read(corpus.join(file)).unwrap();
        for _ in 0..mutants {
            let mut bad = pkg.clone();
            // Damage mostly the first sectors (header, FAT, directory, tables).
            for _ in 0..4 {
                let r = next();
                let at = if r & 1 == 0 {
                    (r >> 8) as usize % bad.len().min(8192)
                } else {
                    (r >> 8) as usize % bad.len()
                };
                bad[at] = (r >> 48) as u8;
            }
            let _ = list(&bad);
            let _ = extract(&bad, &mut MemVolumes::default());
        }
    }
}
