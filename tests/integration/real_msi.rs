//! Issue 20 points 4 and 5: a patch with one cabinet per target product, and MSI/MSM
//! extraction in the installed layout (compared with msitools' `msiextract`).

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::facts::{have_msiinfo, msiinfo};
use crate::fixtures::msi::{MsiBuilder, cabinet};
use crate::fixtures::zip::zip;
use crate::real_files::{assert_read_by_every_command, command, write};
use crate::support::{code, files_below, json, tool};

const PRODUCT_A: &str = "{11111111-2222-3333-4444-000000000001}";
const PRODUCT_B: &str = "{11111111-2222-3333-4444-000000000002}";

/// A patch built for two products, one cabinet per target (as WiX writes them), both holding
/// `F_Source` and `F_Patch` with different bytes.
fn per_target_patch() -> Vec<u8> {
    MsiBuilder::patch()
        .targets(&[PRODUCT_A, PRODUCT_B])
        .patch_metadata(None, "KBArticle Number", "KB975002")
        .patch_sequence("STS", None, "12.0.6520.5000")
        .stream(
            "PCW_CAB_ProductA",
            cabinet(&[("F_Source", b"source of A"), ("F_Patch", b"patch of A")]),
        )
        .stream(
            "PCW_CAB_ProductB",
            cabinet(&[("F_Source", b"source of B!"), ("F_Patch", b"patch of B!")]),
        )
        .build()
}

#[test]
fn point4_cabinets_per_target_product_are_separate_trees() {
    let tmp = tempfile::tempdir().unwrap();
    let msp = write(tmp.path(), "two-targets.msp", &per_target_patch());
    assert_read_by_every_command(&msp);

    let out = tmp.path().join("x");
    assert_eq!(code(&command("extract", &msp, Some(&out), &[])), 0);
    assert_eq!(
        files_below(&out),
        [
            "PCW_CAB_ProductA/F_Patch",
            "PCW_CAB_ProductA/F_Source",
            "PCW_CAB_ProductB/F_Patch",
            "PCW_CAB_ProductB/F_Source"
        ]
    );
    assert_eq!(
        fs::read(out.join("PCW_CAB_ProductB/F_Source")).unwrap(),
        b"source of B!"
    );

    // One cabinet, or names that do not repeat: the members stay where they were.
    let single = MsiBuilder::patch()
        .stream("PCW_CAB_A", cabinet(&[("F_Source", b"a")]))
        .stream("PCW_CAB_B", cabinet(&[("F_Other", b"b")]))
        .build();
    let single = write(tmp.path(), "single.msp", &single);
    let out = tmp.path().join("y");
    assert_eq!(code(&command("extract", &single, Some(&out), &[])), 0);
    assert_eq!(files_below(&out), ["F_Other", "F_Source"]);
}

#[test]
fn point4_the_patch_is_identified_as_msiinfo_does() {
    let tmp = tempfile::tempdir().unwrap();
    let msp = write(tmp.path(), "two-targets.msp", &per_target_patch());
    let doc = json(&command("inspect", &msp, None, &[]));
    let patch = &doc["items"][0]["patch"];
    let targets: Vec<&str> = patch["targets"]
        .as_array()
        .unwrap_or_else(|| panic!("{doc:#}"))
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(targets, [PRODUCT_A, PRODUCT_B]);
    if !have_msiinfo("point4_the_patch_is_identified_as_msiinfo_does") {
        return;
    }
    let suminfo = msiinfo(&["suminfo".as_ref(), msp.as_os_str()]).unwrap();
    let field = |label: &str| {
        suminfo
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label} in {suminfo}"))
            .trim()
            .to_owned()
    };
    assert_eq!(field("Template:"), targets.join(";"));
    assert!(
        field("Revision number (UUID):").starts_with(patch["patch_code"].as_str().unwrap()),
        "{suminfo}"
    );
}

/// An installer whose files go into a Directory tree: long names after `|`, a source name
/// after `:`, a `.` folder, `ProgramFilesFolder`, and (`quirks`) two files that land on one
/// path and a cabinet member the File table does not list.
fn installer(quirks: bool) -> Vec<u8> {
    let mut members: Vec<(&str, &[u8])> = vec![
        ("F_Readme", b"read me"),
        ("F_Tool", b"tool bytes"),
        ("F_Data", b"data in the source folder"),
        ("F_Here", b"in the parent"),
    ];
    if quirks {
        members.push(("F_Tool64", b"64-bit tool bytes"));
        members.push(("Orphan", b"not in the File table"));
    }
    let mut b = MsiBuilder::installer()
        .directory("TARGETDIR", None, "SourceDir")
        .directory("ProgramFilesFolder", Some("TARGETDIR"), "PFiles")
        .directory("INSTALLDIR", Some("ProgramFilesFolder"), "MYAPP~1|My App")
        .directory("BIN", Some("INSTALLDIR"), "bin")
        .directory("SAME", Some("INSTALLDIR"), ".")
        .component("C_Main", "INSTALLDIR")
        .component("C_Bin", "BIN")
        .component("C_Same", "SAME")
        .file("F_Readme", "C_Main", "README~1.TXT|Read Me.txt")
        .file("F_Tool", "C_Bin", "tool.dll")
        .file("F_Here", "C_Same", "here.txt");
    b = if quirks {
        b.directory(
            "DATA",
            Some("INSTALLDIR"),
            "target|data-target:source|data-source",
        )
        .component("C_Data", "DATA")
        .component("C_Bin64", "BIN")
        .file("F_Data", "C_Data", "data.bin")
        .file("F_Tool64", "C_Bin64", "TOOL.DLL")
    } else {
        b.directory("DATA", Some("INSTALLDIR"), "DATA~1|data folder")
            .component("C_Data", "DATA")
            .file("F_Data", "C_Data", "data.bin")
    };
    b.embedded_cabinet("app.cab", cabinet(&members)).build()
}

#[test]
fn point5_msi_extraction_gives_the_installed_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let msi = write(tmp.path(), "app.msi", &installer(true));
    assert_read_by_every_command(&msi);
    let out = tmp.path().join("x");
    let res = command("extract", &msi, Some(&out), &[]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    assert_eq!(
        files_below(&out),
        [
            "Orphan",
            "Program Files/My App/Read Me.txt",
            "Program Files/My App/bin/F_Tool/tool.dll",
            "Program Files/My App/bin/F_Tool64/TOOL.DLL",
            "Program Files/My App/data-source/data.bin",
            "Program Files/My App/here.txt",
        ]
    );
    assert_eq!(
        fs::read(out.join("Program Files/My App/bin/F_Tool64/TOOL.DLL")).unwrap(),
        b"64-bit tool bytes"
    );
    // The stream view keeps the stored names.
    let streams = tmp.path().join("s");
    let res = command("extract", &msi, Some(&streams), &["--msi-streams"]);
    assert_eq!(code(&res), 0);
    assert_eq!(
        files_below(&streams),
        [
            "F_Data", "F_Here", "F_Readme", "F_Tool", "F_Tool64", "Orphan"
        ]
    );
}

/// Every file below `dir` with its bytes.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_below(dir)
        .into_iter()
        .map(|f| {
            let bytes = fs::read(dir.join(&f)).unwrap();
            (f, bytes)
        })
        .collect()
}

#[test]
fn point5_msi_and_msm_layout_agrees_with_msiextract() {
    let test = "point5_msi_and_msm_layout_agrees_with_msiextract";
    let tmp = tempfile::tempdir().unwrap();
    let msi = write(tmp.path(), "app.msi", &installer(false));
    let ours = tmp.path().join("ours");
    assert_eq!(code(&command("extract", &msi, Some(&ours), &[])), 0);
    assert_eq!(tree(&ours).len(), 4);

    // A merge module: no Media table, its cabinet in the `MergeModule.CABinet` stream.
    let msm = MsiBuilder::installer()
        .directory("TARGETDIR", None, "SourceDir")
        .directory("MODDIR", Some("TARGETDIR"), "MODULE~1|Module Files")
        .component("C_M", "MODDIR")
        .file("F_M.ABC", "C_M", "module.dll")
        .stream(
            "MergeModule.CABinet",
            cabinet(&[("F_M.ABC", b"module bytes")]),
        )
        .build();
    let msm = write(tmp.path(), "module.msm", &msm);
    assert_read_by_every_command(&msm);
    let module = tmp.path().join("module");
    assert_eq!(code(&command("extract", &msm, Some(&module), &[])), 0);
    assert_eq!(files_below(&module), ["Module Files/module.dll"]);

    if !tool(test, "msiextract") {
        return;
    }
    let theirs = tmp.path().join("theirs");
    let res = Command::new("msiextract")
        .arg("-C")
        .arg(&theirs)
        .arg(&msi)
        .output()
        .unwrap();
    assert!(res.status.success());
    assert_eq!(tree(&ours), tree(&theirs));
}

#[test]
fn point5_recursive_reads_an_external_cabinet_once() {
    let tmp = tempfile::tempdir().unwrap();
    let msi = MsiBuilder::installer()
        .directory("TARGETDIR", None, "SourceDir")
        .directory("APP", Some("TARGETDIR"), "App")
        .component("C", "APP")
        .file("F_A", "C", "a.txt")
        .external_cabinet("Data1.cab")
        .build();
    let cab = cabinet(&[("F_A", b"alpha")]);
    // In both orders: the MSI before and after its cabinet in the package.
    for (name, members) in [
        (
            "msi-first.zip",
            [("app.msi", &msi[..]), ("data1.CAB", &cab[..])],
        ),
        (
            "cab-first.zip",
            [("data1.CAB", &cab[..]), ("app.msi", &msi[..])],
        ),
    ] {
        let pkg = write(tmp.path(), name, &zip(&members));
        assert_read_by_every_command(&pkg);
        let out = tmp.path().join(name).with_extension("out");
        let res = command("extract", &pkg, Some(&out), &["--recursive"]);
        assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
        assert_eq!(
            files_below(&out),
            ["app.msi", "app.msi.extracted/App/a.txt", "data1.CAB"],
            "{name}"
        );
    }
}

/// A WiX Burn bundle's manifest: the UX container's theme, and two attached payloads (an MSI
/// and its external cabinet), stored as `u0`, `a0`, `a1`.
const BURN_MANIFEST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<BurnManifest xmlns="http://schemas.microsoft.com/wix/2008/Burn">
  <UX><Payload Id="thm.xml" FilePath="thm.xml" Packaging="embedded" SourcePath="u0" /></UX>
  <Container Id="WixAttachedContainer" Attached="yes" AttachedIndex="1" Primary="yes" />
  <Payload Id="product.msi" FilePath="product.msi" Packaging="embedded" SourcePath="a0" Container="WixAttachedContainer" />
  <Payload Id="cab1" FilePath="product.cab" Packaging="embedded" SourcePath="a1" Container="WixAttachedContainer" />
</BurnManifest>"#;

#[test]
fn point6_burn_bundle_payloads_get_their_real_names() {
    use crate::fixtures::pe::{Arch, PeBuilder};
    let tmp = tempfile::tempdir().unwrap();
    let msi = MsiBuilder::installer()
        .directory("TARGETDIR", None, "SourceDir")
        .directory("APP", Some("TARGETDIR"), "App")
        .component("C", "APP")
        .file("F_A", "C", "a.txt")
        .external_cabinet("product.cab")
        .build();
    let product_cab = cabinet(&[("F_A", b"alpha")]);
    let ux = cabinet(&[("0", BURN_MANIFEST.as_bytes()), ("u0", b"<Theme />")]);
    let attached = cabinet(&[("a0", &msi), ("a1", &product_cab)]);
    let bundle = PeBuilder::new(Arch::X86)
        .burn_bundle(ux, vec![attached])
        .build();
    let exe = write(tmp.path(), "setup.exe", &bundle);
    assert_read_by_every_command(&exe);

    let out = tmp.path().join("x");
    let res = command("extract", &exe, Some(&out), &["--recursive"]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    assert_eq!(
        files_below(&out),
        [
            "UX/BurnManifest.xml",
            "UX/thm.xml",
            "product.cab",
            "product.msi",
            "product.msi.extracted/App/a.txt"
        ]
    );
    assert_eq!(
        fs::read(out.join("product.msi.extracted/App/a.txt")).unwrap(),
        b"alpha"
    );
    assert_eq!(
        fs::read(out.join("UX/BurnManifest.xml")).unwrap(),
        BURN_MANIFEST.as_bytes()
    );
    // A bundle cut inside its attached container is damaged, and leaves nothing.
    let cut = write(tmp.path(), "cut.exe", &bundle[..bundle.len() - 40]);
    let out = tmp.path().join("y");
    assert_ne!(code(&command("extract", &cut, Some(&out), &[])), 0);
    assert!(crate::support::absent_or_empty(&out));
}
