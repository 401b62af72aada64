//! What a change may hold: a build for one product refuses another product's update (exit 2,
//! both products named, nothing written), and names a download no catalog knows instead of
//! taking it silently.

use std::fs;
use std::path::PathBuf;

use crate::support::{code, json, slipway};

fn samples(product: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(product)
}

#[test]
fn no_wrong_product_another_products_update_is_refused_naming_both() {
    for (downloads, product, other) in [
        ("sharepoint-2007", "exchange-2007", "sharepoint-2007"),
        ("exchange-2007", "sharepoint-2007", "exchange-2007"),
        ("ocs-2007-r2", "sharepoint-2007", "ocs-2007-r2"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let res = slipway([
            "build".as_ref(),
            samples(downloads).as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--product".as_ref(),
            product.as_ref(),
            "--json".as_ref(),
        ]);
        assert_eq!(code(&res), 2, "{downloads} as {product}");
        let doc = json(&res);
        assert_eq!(doc["error"]["code"], "other-product");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(product) && message.contains(other),
            "{message}"
        );
        assert!(!out.exists(), "nothing written");
    }
}

#[test]
fn no_stray_downloads_an_unknown_package_is_named_not_taken_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let downloads = tmp.path().join("downloads");
    fs::create_dir(&downloads).unwrap();
    for f in fs::read_dir(samples("exchange-2007")).unwrap() {
        let f = f.unwrap().path();
        fs::copy(&f, downloads.join(f.file_name().unwrap())).unwrap();
    }
    // A rollup of the series no catalog has (synthetic KB and build).
    let unknown = crate::fixtures::samples::Patch {
        file: "Exchange2007-KB9999999-x64-EN.msp",
        family: "exchange2007",
        kb: "9999999",
        build: "8.1.399.9",
        classification: "Update Rollup",
        display_name: "A rollup no catalog knows",
        product: crate::fixtures::samples::EXCHANGE,
        target: crate::fixtures::samples::EXCHANGE_2007_X64,
        created: "08/01/2009 12:00",
        files: &["Microsoft.Exchange.Common.dll"],
    };
    fs::write(downloads.join(unknown.file), unknown.build()).unwrap();
    let out = tmp.path().join("out");
    let res = slipway([
        "build".as_ref(),
        downloads.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--product".as_ref(),
        "exchange-2007".as_ref(),
        "--baseline".as_ref(),
        "8.1.240.6".as_ref(),
        "--json".as_ref(),
    ]);
    let doc = json(&res);
    let unknown: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "unknown-package")
        .map(|f| f["origin"][0].as_str().unwrap())
        .collect();
    assert!(
        unknown
            .iter()
            .any(|o| o.ends_with("Exchange2007-KB9999999-x64-EN.msp")),
        "{doc}"
    );
}

/// A rollup the vendor withdrew (Exchange 2007 SP3 Update Rollup 3, first release, 8.3.159.0) is
/// an error naming why; its re-release (8.3.159.2) is not.
#[test]
fn withdrawn_release_is_an_error_its_re_release_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    for (kb, build, withdrawn) in [
        ("2492691", "8.3.159.0", true),
        ("2530488", "8.3.159.2", false),
    ] {
        let file = format!("Exchange2007-KB{kb}-x64-EN.msp");
        let rollup = crate::fixtures::samples::Patch {
            file: &file,
            family: "exchange2007",
            kb,
            build,
            classification: "Update Rollup",
            display_name: "Update Rollup 3 for Exchange Server 2007 Service Pack 3",
            product: crate::fixtures::samples::EXCHANGE,
            target: crate::fixtures::samples::EXCHANGE_2007_X64,
            created: "03/08/2011 12:00",
            files: &["Microsoft.Exchange.Common.dll"],
        };
        let path = tmp.path().join(&file);
        fs::write(&path, rollup.build()).unwrap();
        let res = slipway([
            "verify".as_ref(),
            "--json".as_ref(),
            "--baseline".as_ref(),
            "8.3.83.6".as_ref(),
            path.as_os_str(),
        ]);
        let doc = json(&res);
        let found: Vec<&serde_json::Value> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "withdrawn-release")
            .collect();
        if withdrawn {
            assert_eq!(code(&res), 1, "{doc}");
            assert_eq!(found.len(), 1, "{doc}");
            assert_eq!(found[0]["severity"], "error");
            let message = found[0]["message"].as_str().unwrap();
            assert!(message.contains("uninstall"), "{message}");
        } else {
            assert!(found.is_empty(), "{doc}");
        }
    }
}

/// Copies a folder tree.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn missing_language_pack_baseline_cumulative_updates_on_an_rtm_language_pack() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let tmp = tempfile::tempdir().unwrap();
    // The German language pack's media without its service packs.
    let lp = tmp.path().join("lp-de-de");
    copy_tree(&root.join("media/sharepoint-2007-de-de"), &lp);
    fs::remove_dir_all(lp.join("Updates")).unwrap();
    let run = |lp: &std::path::Path, out: &std::path::Path| {
        slipway([
            "build".as_ref(),
            samples("sharepoint-2007").as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
            "--product".as_ref(),
            "sharepoint-2007".as_ref(),
            "--media".as_ref(),
            root.join("media/sharepoint-2007").as_os_str(),
            "--language-pack".as_ref(),
            format!("de-de={}", lp.display()).as_ref(),
            "--json".as_ref(),
        ])
    };
    let out = tmp.path().join("out");
    let res = run(&lp, &out);
    assert_eq!(code(&res), 1, "{}", String::from_utf8_lossy(&res.stderr));
    let doc = json(&res);
    let finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "missing-language-pack-baseline")
        .unwrap_or_else(|| panic!("{doc}"));
    assert_eq!(finding["severity"], "error");
    assert!(finding["message"].as_str().unwrap().contains("de-de"));
    assert!(!out.exists(), "nothing written");
    // With the language packs' service packs on its media, the same change builds.
    let out = tmp.path().join("out2");
    let res = run(&root.join("media/sharepoint-2007-de-de"), &out);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
}
