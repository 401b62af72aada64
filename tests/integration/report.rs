//! `report.html` rendered by headless Chromium (Debian `chromium`): no script runs, nothing is
//! fetched, and the rendered text (printed to PDF, read back with `pdftotext`) holds what a
//! change board reads. Under CI both tools must be there (`.ci/run` installs them).

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::tool;

/// Chromium's flags for a closed machine (no background networking, no sandbox as root).
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-javascript",
];

fn chromium(profile: &Path, args: &[&str], page: &Path) -> std::process::Output {
    Command::new("chromium")
        .args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium")
}

/// The rendered text of a page: printed to PDF by Chromium, extracted by pdftotext.
fn rendered_text(page: &Path, dir: &Path) -> String {
    let pdf = dir.join("report.pdf");
    let out = chromium(
        &dir.join("profile"),
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
        page,
    );
    assert!(
        pdf.is_file(),
        "chromium printed no PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    // Table cells wrap: the words of a cell, in order, with single spaces.
    String::from_utf8_lossy(&text.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_report_renders_in_chromium_with_the_rollout_and_no_script() {
    let test = "the_report_renders_in_chromium_with_the_rollout_and_no_script";
    if !tool(test, "chromium") || !tool(test, "pdftotext") {
        return;
    }
    let (_tmp, out) = crate::farm::built_sample("exchange-2007");
    let page = out.join("report.html");
    let html = fs::read_to_string(&page).unwrap();
    // Self-contained: no script, no stylesheet, image or link to elsewhere (the addresses
    // of the public documents it cites are text).
    for needle in [
        "<script",
        "<link",
        "<img",
        "src=",
        "href=\"http",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    let dir = tempfile::tempdir().unwrap();
    // The DOM Chromium builds holds no script element either.
    let dom = chromium(&dir.path().join("profile-dom"), &["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains("<h1>Change request: Exchange Server 2007 on Contoso mail</h1>"),
        "{dom}"
    );
    assert!(!dom.contains("<script"));
    let text = rendered_text(&page, dir.path());
    for needle in [
        "Change request: Exchange Server 2007 on Contoso mail",
        "Level before",
        "Exchange2007-KB970162-x64-EN.msp",
        "signature",
        "absent",
        "Findings",
        "superseded",
        "Contents per role, in install order",
        "Rollout",
        "EXSCR01",
        "CMS01 is offline while it moves from EXMBX01 to EXMBX02",
        "Back-out",
        "Checks after the update",
        "Get-Command ExSetup",
        "Approval",
    ] {
        assert!(
            text.contains(needle),
            "rendered text lacks {needle:?}:\n{text}"
        );
    }
    // The rollout is in order in the rendered page too: the SCR target before the nodes.
    let scr = text.find("Take a full backup of EXSCR01").unwrap();
    let passive = text.find("Take a full backup of EXMBX02").unwrap();
    let active = text.find("Take a full backup of EXMBX01").unwrap();
    assert!(scr < passive && passive < active, "{text}");
}
