//! Facts read from contents: PE version resources and certificate tables, MSI/MSP summary
//! information and tables — on generated fixtures, on the shared corpus (`SLIPWAY_CORPUS`),
//! and against msitools (`msiinfo suminfo`, `msiinfo export`) when it is installed.

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use slipway::formats::msi::{
    self, Cell, ColumnKind, Database, FileTime, MsiError, PackageKind, PatchFamily, SummaryInfo,
    SummaryProblem,
};
use slipway::formats::pe::{self, CertificateTable, PeFacts, VersionInfo};
use slipway::model::{Arch, Build, Kb};

use crate::fixtures::msi::{
    FIXTURE_PATCH_CODE, FIXTURE_PRODUCT_CODE, MsiBuilder, PATCH_AUTHOR, PATCH_CREATING_APP,
    PATCH_KEYWORDS, SUMMARY_TIME_SECS, cabinet, msp_with_cab,
};
use crate::fixtures::pe::{self as fpe, PeBuilder};
use crate::fixtures::rng::Rng;
use crate::support;

// ---------------------------------------------------------------- PE

fn pe_facts(bytes: &[u8]) -> Option<PeFacts> {
    pe::facts(&mut Cursor::new(bytes), bytes.len() as u64).expect("no I/O error")
}

fn build(s: &str) -> Option<Build> {
    Some(Build::parse(s).unwrap())
}

#[test]
fn fixture_version_resource_round_trips() {
    let info = fpe::VersionInfo {
        file_version: "12.0.6520.5000".into(),
        product_version: "12.0.6520.5002".into(),
        ..fpe::VersionInfo::default()
    };
    for (arch, machine) in [(fpe::Arch::X86, Arch::X86), (fpe::Arch::X64, Arch::X64)] {
        let exe = PeBuilder::new(arch)
            .version_info(info.clone())
            .cabinet_resource(cabinet(&[("a.txt", b"a")]))
            .build();
        let facts = pe_facts(&exe).expect("a PE");
        assert_eq!(
            facts,
            PeFacts {
                machine: Some(machine),
                version: Some(VersionInfo {
                    file_version: Some(info.file_version.clone()),
                    product_version: Some(info.product_version.clone()),
                    fixed_file_version: build("12.0.6520.5000"),
                    fixed_product_version: build("12.0.6520.5002"),
                    product_name: Some(info.product_name.clone()),
                    company_name: Some(info.company_name.clone()),
                    file_description: Some(info.file_description.clone()),
                    original_filename: Some(info.original_filename.clone()),
                    internal_name: None,
                    legal_copyright: None,
                    language_id: Some(0x0409),
                }),
                signature: None,
            },
            "{arch:?}"
        );
    }
}

#[test]
fn certificate_table_is_reported_when_inside_the_file() {
    let blob = vec![0x30u8; 100];
    let exe = PeBuilder::new(fpe::Arch::X86)
        .overlay(b"overlay".to_vec())
        .certificate(blob)
        .build();
    let facts = pe_facts(&exe).unwrap();
    // WIN_CERTIFICATE: 8-byte header + blob, padded to 8; the table ends the file.
    let size = 112u64;
    assert_eq!(
        facts.signature,
        Some(CertificateTable {
            offset: exe.len() as u64 - size,
            size
        })
    );
    assert_eq!(facts.version, None);
    // Cut the file inside the table: no longer inside the file, so not reported.
    let cut = &exe[..exe.len() - 1];
    assert_eq!(pe_facts(cut).unwrap().signature, None);
}

#[test]
fn version_strings_are_kept_as_written() {
    // Odd but real: FileVersion text differs from the fixed info (a packer stub's version).
    let info = fpe::VersionInfo {
        file_version: "9.0.30729.01".into(),
        product_version: "6.1.0022.5 (SRV03_QFE.031113-0918)".into(),
        product_name: "Microsoft\u{ae} Windows\u{ae} Operating System".into(),
        ..fpe::VersionInfo::default()
    };
    let exe = PeBuilder::new(fpe::Arch::X86)
        .version_info(info.clone())
        .build();
    let v = pe_facts(&exe).unwrap().version.unwrap();
    assert_eq!(v.file_version.as_deref(), Some("9.0.30729.01"));
    assert_eq!(
        v.product_version.as_deref(),
        Some("6.1.0022.5 (SRV03_QFE.031113-0918)")
    );
    assert_eq!(v.fixed_file_version, build("9.0.30729.1"));
    assert_eq!(v.product_name, Some(info.product_name));
}

#[test]
fn not_a_pe_gives_none_and_damage_never_panics() {
    assert_eq!(pe_facts(b""), None);
    assert_eq!(pe_facts(b"MZ"), None);
    assert_eq!(pe_facts(&cabinet(&[("a", b"a")])), None);
    let exe = PeBuilder::new(fpe::Arch::X64)
        .version_info(fpe::VersionInfo::default())
        .certificate(vec![1u8; 40])
        .build();
    for cut in (0..exe.len()).step_by(37) {
        let _ = pe_facts(&exe[..cut]);
    }
    let mut rng = Rng::new(0x2545_F491_4F6C_DD1D);
    for _ in 0..3000 {
        let mut bad = exe.clone();
        for _ in 0..4 {
            let rng = rng.next_u64();
            // Mostly hit the headers and the resource section (the first 0x800 bytes).
            let span = if rng & 1 == 0 { 0x800 } else { bad.len() };
            let at = (rng >> 8) as usize % span.min(bad.len());
            bad[at] = (rng >> 40) as u8;
        }
        let _ = pe_facts(&bad);
    }
}

#[test]
fn corpus_pe_facts_match_pefile() {
    let Some(dir) = support::corpus("corpus_pe_facts_match_pefile") else {
        return;
    };
    let read = |rel: &str| pe_facts(&std::fs::read(dir.join(rel)).unwrap()).unwrap();
    // Values as `pefile` (and `7zz l`) report them.
    let dx = read("FinishedGames/dxwebsetup.exe");
    assert_eq!(dx.machine, Some(Arch::X86));
    assert_eq!(
        dx.signature,
        Some(CertificateTable {
            offset: 0x48600,
            size: 9224
        })
    );
    assert_eq!(
        dx.version,
        Some(VersionInfo {
            file_version: Some("9.22.1284.0".into()),
            product_version: Some("9.22.1284.0".into()),
            fixed_file_version: build("6.0.2600.0"),
            fixed_product_version: build("6.0.2600.0"),
            product_name: Some("Microsoft\u{ae} Windows\u{ae} Operating System".into()),
            company_name: Some("Microsoft Corporation".into()),
            file_description: Some("DirectX 9.0 Web setup".into()),
            original_filename: Some("dxwebsetup.exe".into()),
            internal_name: Some("DXWebSetup".into()),
            legal_copyright: Some(
                "Copyright (c) Microsoft Corporation. All rights reserved.".into()
            ),
            language_id: Some(0x0409),
        })
    );
    // Three RT_VERSION languages (neutral, 0x407, 0x409): the first is the package's own.
    let vc = read("roomsports/vcredist_x86.exe");
    assert_eq!(vc.machine, Some(Arch::X86));
    assert_eq!(
        vc.signature,
        Some(CertificateTable {
            offset: 0x3eea00,
            size: 9224
        })
    );
    assert_eq!(
        vc.version,
        Some(VersionInfo {
            file_version: Some("9.0.30729.01".into()),
            product_version: Some("9.0.30729.01".into()),
            fixed_file_version: build("9.0.30729.1"),
            fixed_product_version: build("9.0.30729.1"),
            product_name: Some("Microsoft Visual C++ 2008 Redistributable".into()),
            company_name: Some("Microsoft Corporation".into()),
            file_description: Some("Microsoft Visual C++ 2008 Redistributable Setup".into()),
            original_filename: Some("vcredist_x86.exe".into()),
            internal_name: Some("vcredist_x86.exe".into()),
            legal_copyright: Some("\u{a9} Microsoft Corporation. All rights reserved.".into()),
            language_id: Some(0x0409),
        })
    );
}

// ---------------------------------------------------------------- MSI / MSP

fn msi_facts(bytes: &[u8]) -> Result<msi::PackageFacts, MsiError> {
    msi::facts(Box::new(Cursor::new(bytes.to_vec())))
}

fn fixture_time() -> Option<FileTime> {
    Some(FileTime((SUMMARY_TIME_SECS + 11_644_473_600) * 10_000_000))
}

pub(crate) const SUPERSEDED: &str = "{0A3C1B2D-0000-4000-8000-000000956056}";
pub(crate) const OTHER_TARGET: &str = "{90120000-1014-0000-0000-0000000FF1CE}";

/// A fixture patch with everything `inspect` reads.
pub(crate) fn full_patch() -> Vec<u8> {
    MsiBuilder::patch()
        .title("Hotfix for Windows SharePoint Services 3.0 (KB975002)")
        .subject("Windows SharePoint Services 3.0 Hotfix")
        .supersedes(SUPERSEDED)
        .targets(&[FIXTURE_PRODUCT_CODE, OTHER_TARGET])
        .patch_metadata(None, "KBArticle Number", "KB975002")
        .patch_metadata(None, "StdPackageName", "sts-x-none.msp")
        .patch_metadata(Some("Microsoft"), "Flavor", "x-none")
        .patch_metadata(None, "Classification", "Hotfix")
        .patch_sequence("STS", None, "12.0.6520.5000")
        .patch_sequence("STS", Some(OTHER_TARGET), "12.0.6514.5000")
        .patch_sequence("WSSMUI", None, "12.0")
        .patch_cabinet("sts", cabinet(&[("STSOM.DLL", b"om")]))
        .build()
}

#[test]
fn fixture_patch_facts_round_trip() {
    let facts = msi_facts(&full_patch()).unwrap();
    assert_eq!(facts.kind, PackageKind::Patch);
    assert!(facts.properties.is_empty());
    assert_eq!(
        facts.summary,
        SummaryInfo {
            codepage: Some(1252),
            title: Some("Hotfix for Windows SharePoint Services 3.0 (KB975002)".into()),
            subject: Some("Windows SharePoint Services 3.0 Hotfix".into()),
            author: Some(PATCH_AUTHOR.into()),
            keywords: Some(PATCH_KEYWORDS.into()),
            template: Some(format!("{FIXTURE_PRODUCT_CODE};{OTHER_TARGET}")),
            revision_number: Some(format!("{FIXTURE_PATCH_CODE}{SUPERSEDED}")),
            created: fixture_time(),
            last_saved: fixture_time(),
            word_count: Some(1),
            creating_app: Some(PATCH_CREATING_APP.into()),
            ..SummaryInfo::default()
        }
    );
    let patch = facts.patch.unwrap();
    assert_eq!(patch.patch_code.as_deref(), Some(FIXTURE_PATCH_CODE));
    assert_eq!(patch.supersedes, [SUPERSEDED]);
    assert_eq!(patch.targets, [FIXTURE_PRODUCT_CODE, OTHER_TARGET]);
    let family = |f: &str, p: Option<&str>, s: &str| PatchFamily {
        family: f.into(),
        product_code: p.map(Into::into),
        sequence: s.into(),
        attributes: None,
    };
    assert_eq!(
        patch.families,
        [
            family("STS", None, "12.0.6520.5000"),
            family("STS", Some(OTHER_TARGET), "12.0.6514.5000"),
            family("WSSMUI", None, "12.0"),
        ]
    );
    let meta = |c: Option<&str>, p: &str, v: &str| (c.map(Into::into), p.into(), v.into());
    assert_eq!(
        patch.metadata,
        [
            meta(None, "KBArticle Number", "KB975002"),
            meta(None, "StdPackageName", "sts-x-none.msp"),
            meta(None, "Classification", "Hotfix"),
            meta(Some("Microsoft"), "Flavor", "x-none"),
        ]
    );
    assert_eq!(patch.kb, Some(Kb(975002)));
    assert_eq!(patch.build, build("12.0.6520.5000"));
}

#[test]
fn metadata_keeps_stored_order_and_kb_prefers_the_standard_row() {
    // The `msi` crate stores rows sorted by primary key (null Company first); facts keep the
    // stored order, as msiinfo does.
    let pkg = MsiBuilder::patch()
        .patch_metadata(Some("Contoso"), "KBArticle Number", "KB111111")
        .patch_metadata(None, "KBArticle Number", "KB222222")
        .build();
    let patch = msi_facts(&pkg).unwrap().patch.unwrap();
    assert_eq!(patch.metadata[0].0, None);
    assert_eq!(patch.kb, Some(Kb(222222)));
    assert!(patch.families.is_empty());
    assert_eq!(patch.build, None);
}

#[test]
fn fixture_patch_defaults_are_pinned() {
    let facts = msi_facts(&msp_with_cab("sts", &[("a", b"a")])).unwrap();
    let patch = facts.patch.unwrap();
    assert_eq!(patch.patch_code.as_deref(), Some(FIXTURE_PATCH_CODE));
    assert!(patch.supersedes.is_empty());
    assert_eq!(patch.targets, [FIXTURE_PRODUCT_CODE]);
    assert_eq!(patch.kb, Some(Kb(956056)));
    assert_eq!(patch.build, build("12.0.6514.5000"));
    assert_eq!(full_patch(), full_patch());
}

#[test]
fn fixture_installer_properties_and_summary() {
    let pkg = MsiBuilder::installer()
        .property("ProductVersion", "12.0.6520.5000")
        .embedded_cabinet("data.cab", cabinet(&[("a", b"a")]))
        .build();
    let facts = msi_facts(&pkg).unwrap();
    assert_eq!(facts.kind, PackageKind::Installer);
    assert_eq!(facts.patch, None);
    let props: Vec<(&str, &str)> = facts
        .properties
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        props,
        [
            ("Manufacturer", "Slipway Fixtures"),
            ("ProductCode", FIXTURE_PRODUCT_CODE),
            ("ProductLanguage", "1033"),
            ("ProductName", "Slipway Fixture Product"),
            ("ProductVersion", "12.0.6520.5000"),
            ("UpgradeCode", "{0B2CD9F1-6F1B-4D2B-9B3E-0C3B5A3A7E11}"),
        ]
    );
    // Written by the `msi` crate's property-set writer (code page UTF-8).
    let s = &facts.summary;
    assert_eq!(s.codepage, Some(65001));
    assert_eq!(s.title.as_deref(), Some("Installation Database"));
    assert_eq!(s.author.as_deref(), Some("Slipway Fixtures"));
    assert_eq!(s.creating_app.as_deref(), Some("slipway fixture builder"));
    assert_eq!((s.created, s.last_saved), (fixture_time(), fixture_time()));
    let json = serde_json::to_value(&facts).unwrap();
    assert_eq!(json["kind"], "installer");
    assert_eq!(json["summary"]["created"], "2009-10-27T12:00:00Z");
    assert_eq!(json["properties"]["ProductCode"], FIXTURE_PRODUCT_CODE);
}

#[test]
fn generic_tables_decode_with_types() {
    let pkg = MsiBuilder::installer()
        .media(1, 1000, "#data.cab")
        .media(2, 2000, "Data2.cab")
        .build();
    let mut db = Database::open(Box::new(Cursor::new(pkg))).unwrap();
    let media = db.table("Media").unwrap().unwrap();
    let names: Vec<&str> = media.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DiskId",
            "LastSequence",
            "DiskPrompt",
            "Cabinet",
            "VolumeLabel",
            "Source"
        ]
    );
    let types: Vec<String> = media.columns.iter().map(|c| c.idt_type()).collect();
    assert_eq!(types, ["i2", "i4", "S64", "S255", "S32", "S72"]);
    assert_eq!(media.columns[0].kind, ColumnKind::Integer);
    assert_eq!(
        media.rows[1],
        [
            Cell::Integer(2),
            Cell::Integer(2000),
            Cell::Null,
            Cell::String("Data2.cab".into()),
            Cell::Null,
            Cell::Null
        ]
    );
    assert_eq!(
        media.get(0, "Cabinet"),
        Some(&Cell::String("#data.cab".into()))
    );
    assert_eq!(db.table("NoSuchTable").unwrap(), None);
    let tables = db.table_names().unwrap();
    assert!(tables.contains(&"Media".to_owned()), "{tables:?}");
}

#[test]
fn damaged_summary_is_an_error_value() {
    let mut pkg = full_patch();
    // Break the summary stream's byte-order mark wherever the property set starts.
    let fmtid = [0xe0u8, 0x85, 0x9f, 0xf2, 0xf9, 0x4f, 0x68, 0x10];
    let at = pkg
        .windows(8)
        .position(|w| w == fmtid)
        .expect("summary stream in the file");
    pkg[at - 28] = 0x00;
    match msi_facts(&pkg) {
        Err(MsiError::Summary {
            problem: SummaryProblem::ByteOrder { found },
        }) => assert_eq!(found, 0xFF00),
        other => panic!("{other:?}"),
    }
}

#[test]
fn damaged_packages_give_error_values_not_panics() {
    let pkgs = [
        full_patch(),
        MsiBuilder::installer()
            .embedded_cabinet("data.cab", cabinet(&[("a", b"a")]))
            .build(),
    ];
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    let mut errors = 0;
    for pkg in &pkgs {
        for cut in (0..pkg.len()).step_by(509) {
            errors += usize::from(msi_facts(&pkg[..cut]).is_err());
        }
        for _ in 0..800 {
            let mut bad = pkg.clone();
            rng.scribble(&mut bad, 3);
            errors += usize::from(msi_facts(&bad).is_err());
        }
    }
    assert!(errors > 0);
    eprintln!("facts of truncated and mutated packages: {errors} errors, no panic");
}

// ---------------------------------------------------------------- against msitools

/// `msiinfo ARGS…` in UTC (it prints times with ctime), or `None` when it is not installed.
/// Runs in a scratch folder: `export` writes the streams of binary columns below its working
/// directory.
pub(crate) fn msiinfo(args: &[&std::ffi::OsStr]) -> Option<String> {
    let scratch = tempfile::tempdir().expect("scratch dir");
    let out = Command::new("msiinfo")
        .args(args)
        .env("TZ", "UTC")
        .current_dir(scratch.path())
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "msiinfo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("msiinfo prints UTF-8"))
}

pub(crate) fn have_msiinfo(test: &str) -> bool {
    crate::support::tool(test, "msiinfo")
}

/// `ctime(3)` of a FILETIME in UTC: `Sat Feb 18 17:14:40 2017`.
fn ctime(t: FileTime) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s) = t.civil();
    let weekday = (t.unix_seconds().div_euclid(86_400) + 4).rem_euclid(7) as usize;
    format!(
        "{} {} {d:2} {h:02}:{mi:02}:{s:02} {y}",
        DAYS[weekday],
        MONTHS[mo as usize - 1]
    )
}

/// What `msiinfo suminfo` prints for these facts (its labels and order, msitools 0.10x).
fn suminfo_lines(s: &SummaryInfo) -> Vec<String> {
    let mut out = Vec::new();
    let mut text = |label: &str, v: &Option<String>| {
        if let Some(v) = v {
            out.push(format!("{label}: {v}"));
        }
    };
    text("Title", &s.title);
    text("Subject", &s.subject);
    text("Author", &s.author);
    text("Keywords", &s.keywords);
    text("Comments", &s.comments);
    text("Template", &s.template);
    text("Last author", &s.last_saved_by);
    text("Revision number (UUID)", &s.revision_number);
    for (label, t) in [
        ("Last printed", s.last_printed),
        ("Created", s.created),
        ("Last saved", s.last_saved),
    ] {
        if let Some(t) = t {
            out.push(format!("{label}: {}", ctime(t)));
        }
    }
    let int = |label: &str, v: Option<i32>| v.map(|v| format!("{label}: {v} ({:x})", v as u32));
    out.extend(int("Version", s.page_count));
    out.extend(int("Source", s.word_count));
    out.extend(int("Restrict", s.character_count));
    if let Some(app) = &s.creating_app {
        out.push(format!("Application: {app}"));
    }
    out.extend(int("Security", s.security));
    out
}

/// An `msiinfo export` (`.idt`) document: names, types, table and keys, then the rows.
pub(crate) fn idt_lines(out: &str) -> Vec<Vec<String>> {
    out.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// Checks every table of `path` (but `_SummaryInformation`/`_ForceCodepage`) against
/// `msiinfo export`: column names, types, primary keys and every row. msiinfo writes values
/// unescaped (an RTF text's line breaks too), so rows are compared as the whole text after
/// the three header lines; in tables with binary columns (whose cells msiinfo writes as
/// stream file names) line by line, skipping those cells.
fn tables_match_msiinfo(path: &Path, bytes: &[u8]) {
    let listed = msiinfo(&["tables".as_ref(), path.as_os_str()]).unwrap();
    let mut db = Database::open(Box::new(Cursor::new(bytes.to_vec()))).unwrap();
    for name in listed.lines().filter(|t| !t.starts_with('_')) {
        let export = msiinfo(&["export".as_ref(), path.as_os_str(), name.as_ref()]).unwrap();
        let idt = idt_lines(&export);
        let table = db.table(name).unwrap().unwrap_or_else(|| panic!("{name}"));
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(idt[0], names, "{}: {name} columns", path.display());
        let types: Vec<String> = table.columns.iter().map(|c| c.idt_type()).collect();
        assert_eq!(idt[1], types, "{}: {name} types", path.display());
        let mut keys = vec![name.to_owned()];
        keys.extend(
            table
                .columns
                .iter()
                .filter(|c| c.type_bits & 0x2000 != 0)
                .map(|c| c.name.clone()),
        );
        assert_eq!(idt[2], keys, "{}: {name} keys", path.display());
        let render = |cell: &Cell| match cell {
            Cell::Null => String::new(),
            Cell::Integer(i) => i.to_string(),
            Cell::String(s) => s.clone(),
        };
        if table.columns.iter().all(|c| c.kind != ColumnKind::Binary) {
            let body = export.splitn(4, "\r\n").nth(3).unwrap_or_default();
            let ours: String = table
                .rows
                .iter()
                .map(|row| row.iter().map(render).collect::<Vec<_>>().join("\t") + "\r\n")
                .collect();
            assert!(body == ours, "{}: {name} rows differ", path.display());
            continue;
        }
        assert_eq!(idt.len() - 3, table.rows.len(), "{name} rows");
        for (expected, row) in idt[3..].iter().zip(&table.rows) {
            for ((want, cell), column) in expected.iter().zip(row).zip(&table.columns) {
                if column.kind == ColumnKind::Binary {
                    continue;
                }
                assert_eq!(
                    &render(cell),
                    want,
                    "{}: {name}.{}",
                    path.display(),
                    column.name
                );
            }
        }
    }
}

/// The facts of a patch equal what msiinfo reports: summary lines, and every
/// MsiPatchSequence / MsiPatchMetadata row.
fn patch_facts_match_msiinfo(path: &Path, facts: &msi::PackageFacts) {
    let suminfo = msiinfo(&["suminfo".as_ref(), path.as_os_str()]).unwrap();
    let reported: Vec<&str> = suminfo.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        reported,
        suminfo_lines(&facts.summary),
        "{}",
        path.display()
    );

    let patch = facts.patch.as_ref().expect("patch facts");
    let export = |table: &str| {
        let out = msiinfo(&["export".as_ref(), path.as_os_str(), table.as_ref()]).unwrap();
        idt_lines(&out).split_off(3)
    };
    let families: Vec<Vec<String>> = patch
        .families
        .iter()
        .map(|f| {
            vec![
                f.family.clone(),
                f.product_code.clone().unwrap_or_default(),
                f.sequence.clone(),
                f.attributes.map(|a| a.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    assert_eq!(export("MsiPatchSequence"), families, "{}", path.display());
    let metadata: Vec<Vec<String>> = patch
        .metadata
        .iter()
        .map(|(c, p, v)| vec![c.clone().unwrap_or_default(), p.clone(), v.clone()])
        .collect();
    assert_eq!(export("MsiPatchMetadata"), metadata, "{}", path.display());

    // The patch code and targets are the summary's, split as msiinfo prints them.
    let revision = reported
        .iter()
        .find_map(|l| l.strip_prefix("Revision number (UUID): "))
        .unwrap_or_default();
    assert!(revision.starts_with(patch.patch_code.as_deref().unwrap_or("-")));
    assert_eq!(
        revision,
        format!(
            "{}{}",
            patch.patch_code.as_deref().unwrap_or_default(),
            patch.supersedes.concat()
        )
    );
    let template = reported
        .iter()
        .find_map(|l| l.strip_prefix("Template: "))
        .unwrap_or_default();
    assert_eq!(template, patch.targets.join(";"));
}

#[test]
fn msitools_reads_our_patches_as_we_do() {
    if !have_msiinfo("msitools_reads_our_patches_as_we_do") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("full.msp", full_patch()),
        ("sts-x-none.msp", msp_with_cab("sts", &[("a", b"a")])),
    ] {
        let path = tmp.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let facts = msi_facts(&bytes).unwrap();
        patch_facts_match_msiinfo(&path, &facts);
        tables_match_msiinfo(&path, &bytes);
    }
    let installer = MsiBuilder::installer()
        .embedded_cabinet("data.cab", cabinet(&[("a", b"a")]))
        .external_cabinet("Data2.cab")
        .build();
    let path = tmp.path().join("fixture.msi");
    std::fs::write(&path, &installer).unwrap();
    tables_match_msiinfo(&path, &installer);
    let facts = msi_facts(&installer).unwrap();
    let suminfo = msiinfo(&["suminfo".as_ref(), path.as_os_str()]).unwrap();
    let reported: Vec<&str> = suminfo.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(reported, suminfo_lines(&facts.summary));
}

#[test]
fn corpus_wpf_patch_facts_equal_msiinfo() {
    let Some(dir) = support::corpus("corpus_wpf_patch_facts_equal_msiinfo") else {
        return;
    };
    let path = dir.join("lessmsi/WPF2_32.msp");
    let bytes = std::fs::read(&path).unwrap();
    let facts = msi_facts(&bytes).unwrap();
    assert_eq!(facts.kind, PackageKind::Patch);
    let patch = facts.patch.as_ref().unwrap();
    assert_eq!(
        patch.patch_code.as_deref(),
        Some("{09966C32-C34D-4FF4-8C7E-94A9630DDEF8}")
    );
    assert!(patch.supersedes.is_empty());
    assert_eq!(patch.targets, ["{2BA00471-0328-3743-93BD-FA813353A783}"]);
    let families: Vec<(&str, &str, Option<i32>)> = patch
        .families
        .iter()
        .map(|f| (f.family.as_str(), f.sequence.as_str(), f.attributes))
        .collect();
    assert_eq!(
        families,
        [
            ("M_WPF2_32", "3.1.21022", Some(1)),
            ("H_WPF2_32", "3.1.21022", Some(1)),
            ("S_WPF2_32", "3.1.21022", Some(1)),
        ]
    );
    assert_eq!(patch.metadata.len(), 8);
    assert_eq!(
        patch.metadata[7],
        (None, "CreationTimeUTC".into(), "11/07/2007 17:08".into())
    );
    assert_eq!(patch.kb, None);
    assert_eq!(patch.build, build("3.1.21022.0"));
    if !have_msiinfo("corpus_wpf_patch_facts_equal_msiinfo (msiinfo part)") {
        return;
    }
    patch_facts_match_msiinfo(&path, &facts);
    tables_match_msiinfo(&path, &bytes);
}

#[test]
fn corpus_installers_tables_equal_msiinfo() {
    let Some(dir) = support::corpus("corpus_installers_tables_equal_msiinfo") else {
        return;
    };
    if !have_msiinfo("corpus_installers_tables_equal_msiinfo") {
        return;
    }
    for name in [
        "putty-0.68-installer.msi",
        "NUnit-2.5.2.9222.msi",
        "msi_with_external_cab.msi",
    ] {
        let path = dir.join("lessmsi").join(name);
        let bytes = std::fs::read(&path).unwrap();
        tables_match_msiinfo(&path, &bytes);
        let facts = msi_facts(&bytes).unwrap();
        assert_eq!(facts.kind, PackageKind::Installer, "{name}");
        assert!(facts.properties.contains_key("ProductCode"), "{name}");
        let suminfo = msiinfo(&["suminfo".as_ref(), path.as_os_str()]).unwrap();
        let reported: Vec<&str> = suminfo.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(reported, suminfo_lines(&facts.summary), "{name}");
    }
}

#[test]
fn corpus_facts_never_panic() {
    let Some(dir) = support::corpus("corpus_facts_never_panic") else {
        return;
    };
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    let (mut pes, mut packages) = (0, 0);
    for path in &files {
        let mut file = std::fs::File::open(path).unwrap();
        let len = file.metadata().unwrap().len();
        if pe::facts(&mut file, len).unwrap().is_some() {
            pes += 1;
        }
        let head = slipway::formats::read_head(&mut file).unwrap();
        if slipway::formats::sniff(&head) == slipway::formats::Format::CompoundFile {
            let facts = msi::facts(Box::new(file));
            packages += usize::from(facts.is_ok());
        }
    }
    eprintln!(
        "facts of {} corpus files: {pes} PE images, {packages} MSI/MSP packages read",
        files.len()
    );
    assert!(pes >= 2 && packages >= 4);

    // Mutations of a real patch and of a real executable's headers and version resource.
    let msp = std::fs::read(dir.join("lessmsi/WPF2_32.msp")).unwrap();
    let exe = std::fs::read(dir.join("FinishedGames/dxwebsetup.exe")).unwrap();
    let mut rng = Rng::new(0xD1B5_4A32_D192_ED03);
    let mut next = || rng.next_u64();
    for _ in 0..400 {
        let mut bad = msp.clone();
        for _ in 0..3 {
            let r = next();
            let at = (r % bad.len() as u64) as usize;
            bad[at] = (r >> 40) as u8;
        }
        let _ = msi_facts(&bad);
        let mut bad = exe.clone();
        for _ in 0..3 {
            let r = next();
            // The headers, or the version resource (file offset 0x481a4, 884 bytes).
            let at = if r & 1 == 0 {
                (r >> 8) as usize % 0x400
            } else {
                0x481a4 + (r >> 8) as usize % 884
            };
            bad[at] = (r >> 40) as u8;
        }
        let _ = pe_facts(&bad);
    }
}
