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
    // A rollup under a KB no catalog has.
    fs::copy(
        downloads.join("Exchange2007-KB970162-x64-EN.msp"),
        downloads.join("Exchange2007-KB9999999-x64-EN.msp"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let res = slipway([
        "build".as_ref(),
        downloads.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--product".as_ref(),
        "exchange-2007".as_ref(),
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
