//! `report.html` rendered by headless Chromium (Debian `chromium`): no script runs, nothing is
//! fetched, and the rendered text (printed to PDF, read back with `pdftotext`) holds what a
//! change board reads, summary first, in few pages, with no word broken. And nothing a user
//! reads names an internal reference. Under CI both tools must be there (`.ci/run` installs
//! them).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{code, slipway, slipway_cmd, tool};

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

/// The page printed to PDF by Chromium (A4, as its `@page` asks), read back by pdftotext: the
/// text of each page, words joined by single spaces (table cells wrap).
fn printed_pages(page: &Path, dir: &Path) -> Vec<String> {
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
    // pdftotext ends every page with a form feed.
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    let mut pages: Vec<String> = text
        .split('\u{c}')
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    if pages.last().is_some_and(String::is_empty) {
        pages.pop();
    }
    pages
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The README's quick start: the SharePoint 2007 sample with its media, German language pack
/// and sample farm.
fn sharepoint_farm(out: &Path, extra: &[&str]) -> std::process::Output {
    slipway_cmd()
        .current_dir(root())
        .args([
            "build",
            "samples/sharepoint-2007",
            "--product",
            "sharepoint-2007",
            "--media",
            "samples/media/sharepoint-2007",
            "--language-pack",
            "de-de=samples/media/sharepoint-2007-de-de",
            "--farm",
            "samples/farms/sharepoint-2007.toml",
            "-o",
        ])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
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
    let text = printed_pages(&page, dir.path()).join(" ");
    for needle in [
        "Change request: Exchange Server 2007 on Contoso mail",
        "What changes",
        "Exchange2007-KB970162-x64-EN.msp",
        "signature",
        "absent",
        "Findings",
        "superseded",
        "Passive nodes first",
        "Contents of the role folders, in install order",
        "Rollout, step by step",
        "EXSCR01",
        "CMS01 is offline while it moves from EXMBX01 to EXMBX02",
        "Back-out plan",
        "Checks after the update",
        "Get-Command ExSetup",
        "Approval",
    ] {
        assert!(
            text.contains(needle),
            "rendered text lacks {needle:?}:\n{text}"
        );
    }
    // The rollout keeps its order in the rendered page: the backup step lists the SCR target
    // before the passive node, the passive node before the active one.
    let backup = text.find("Take a full backup of the server").unwrap();
    let scr = backup + text[backup..].find("EXSCR01").unwrap();
    let passive = backup + text[backup..].find("EXMBX02").unwrap();
    let active = backup + text[backup..].find("EXMBX01").unwrap();
    assert!(scr < passive && passive < active, "{text}");
}

/// The "done when": the sample farm's report prints in at most 6 A4 pages, page one
/// is the summary a change board decides on (approvals included), each finding code appears
/// once with its count, no word is broken, and the date is the build time.
#[test]
fn the_sample_farm_report_prints_in_six_pages_summary_first() {
    let test = "the_sample_farm_report_prints_in_six_pages_summary_first";
    if !tool(test, "chromium") || !tool(test, "pdftotext") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let res = sharepoint_farm(&out, &[]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let page = out.join("report.html");
    let html = fs::read_to_string(&page).unwrap();
    let manifest: Value =
        serde_json::from_slice(&fs::read(out.join("install-manifest.json")).unwrap()).unwrap();
    let pages = printed_pages(&page, tmp.path());
    eprintln!("{test}: {} page(s)", pages.len());
    assert!(
        (1..=6).contains(&pages.len()),
        "{} pages:\n{}",
        pages.len(),
        pages.join("\n----\n")
    );

    // Page one: the summary, in this order, and nothing of the details.
    let one = &pages[0];
    let mut at = 0;
    for heading in [
        "What changes",
        "Why",
        "Scope",
        "Service impact",
        "Risk and mitigations",
        "Back-out plan",
        "Open findings that need a decision",
        "Approval",
        "Requested by",
        "Approver",
    ] {
        let found = one[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("page one lacks {heading:?} after {at}:\n{one}"));
        at += found + heading.len();
    }
    for detail in [
        "Downloads",
        "Contents of the role folders",
        "Rollout, step by step",
    ] {
        assert!(!one.contains(detail), "{detail:?} on page one:\n{one}");
    }
    // The servers in rollout order, the level after, the KBs.
    let order: Vec<usize> = ["SPAPP01", "SPAPP02", "SPWFE01", "SPWFE02"]
        .iter()
        .map(|s| one.find(s).unwrap_or_else(|| panic!("{s} not on page one")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{one}");
    for needle in ["12.0.6520.5000", "KB975002", "KB975731", "W3SVC"] {
        assert!(one.contains(needle), "page one lacks {needle}:\n{one}");
    }

    // Each finding code once, with its count: one line on page one (errors and warnings),
    // one collapsed <details> in the details, the affected items inside it.
    let mut counts: Vec<(String, String, usize)> = Vec::new();
    for f in manifest["findings"].as_array().unwrap() {
        let (sev, code) = (f["severity"].as_str().unwrap(), f["code"].as_str().unwrap());
        match counts.iter_mut().find(|(s, c, _)| s == sev && c == code) {
            Some((_, _, n)) => *n += 1,
            None => counts.push((sev.to_owned(), code.to_owned(), 1)),
        }
    }
    assert!(
        counts
            .iter()
            .any(|(_, c, n)| c == "signature-absent" && *n > 2),
        "the sample has many unsigned files: {counts:?}"
    );
    let text = pages.join(" ");
    for (sev, code, n) in &counts {
        let line = format!("{sev} {code} ×{n}:");
        let expected = if sev == "info" { 1 } else { 2 };
        assert_eq!(
            text.matches(&line).count(),
            expected,
            "{line:?} should be shown {expected} time(s):\n{text}"
        );
        let summary = format!("<code>{code}</code> ×{n}:");
        assert_eq!(
            html.matches(&format!("</span> {summary}")).count(),
            expected,
            "{summary}"
        );
    }
    assert_eq!(html.matches("<details>").count(), counts.len());
    assert_eq!(
        html.matches("<summary>").count(),
        counts.len(),
        "one collapsed line per code"
    );
    assert!(!html.contains("<details open"), "collapsed");

    // No word is broken: every code, file name and build is whole in the printed text, and
    // the style allows no break inside a word.
    let mut words: Vec<String> = counts.iter().map(|(_, c, _)| c.clone()).collect();
    for i in manifest["inputs"].as_array().unwrap() {
        words.push(i["path"].as_str().unwrap().to_owned());
    }
    for r in manifest["roles"][0]["patches"].as_array().unwrap() {
        let file = r["file"].as_str().unwrap();
        words.push(file.rsplit('/').next().unwrap().to_owned());
    }
    // Hyphenated words of the findings' messages (`--catalog`, `x-none`) are whole too.
    for f in manifest["findings"].as_array().unwrap() {
        for w in f["message"].as_str().unwrap().split_whitespace() {
            let w = w.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | ';' | ':' | '.'));
            if w.contains('-') && !w.contains('/') {
                words.push(w.to_owned());
            }
        }
    }
    for w in &words {
        assert!(
            text.contains(w.as_str()),
            "{w:?} is broken or missing:\n{text}"
        );
    }
    for banned in ["break-all", "hyphens:auto", "overflow-wrap:anywhere"] {
        assert!(!html.contains(banned), "{banned}");
    }

    // Dated: the build time, as the manifest records it.
    assert_eq!(manifest["created"], "2010-01-01T00:00:00Z");
    assert!(one.contains("Prepared 2010-01-01 00:00 UTC"), "{one}");
}

/// `--timestamp` pins the date the report and the manifest show; without it (and without
/// `$SOURCE_DATE_EPOCH`) it is the time of the build.
#[test]
fn the_report_is_dated_by_the_build_time() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("pinned");
    let res = sharepoint_farm(&out, &["--timestamp", "2026-03-02T08:15:00Z"]);
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let html = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Prepared <strong>2026-03-02 08:15 UTC</strong>"));

    let now = tmp.path().join("now");
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let res = slipway_cmd()
        .env_remove("SOURCE_DATE_EPOCH")
        .current_dir(root())
        .args([
            "build",
            "samples/exchange-2007",
            "--product",
            "exchange-2007",
        ])
        .args(crate::support::sample_baseline("exchange-2007"))
        .arg("-o")
        .arg(&now)
        .output()
        .unwrap();
    assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
    let m: Value =
        serde_json::from_slice(&fs::read(now.join("install-manifest.json")).unwrap()).unwrap();
    let created = slipway::model::UtcTime::parse_unix(m["created"].as_str().unwrap()).unwrap();
    let after = before + 120;
    assert!(
        (i64::try_from(before).unwrap()..=i64::try_from(after).unwrap()).contains(&created),
        "{created} not within the run ({before})"
    );

    // A bad time is refused before anything is read.
    let res = slipway([
        "build",
        "samples/exchange-2007",
        "--product",
        "exchange-2007",
        "-o",
        tmp.path().join("bad").to_str().unwrap(),
        "--timestamp",
        "2026-02-30",
    ]);
    assert_eq!(code(&res), 2);
    assert!(!tmp.path().join("bad").exists());
    let res = slipway_cmd()
        .env("SOURCE_DATE_EPOCH", "next tuesday")
        .current_dir(root())
        .args([
            "build",
            "samples/exchange-2007",
            "--product",
            "exchange-2007",
        ])
        .args(crate::support::sample_baseline("exchange-2007"))
        .arg("-o")
        .arg(tmp.path().join("bad"))
        .output()
        .unwrap();
    assert_eq!(code(&res), 2);
    assert!(String::from_utf8_lossy(&res.stderr).contains("SOURCE_DATE_EPOCH"));
}

/// Where an internal reference shows: a seed file's name, a seed's number, an issue number,
/// a path of the workplace's shared folder.
fn internal_references(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = text.to_lowercase();
    for (i, _) in lower.match_indices("seed") {
        let after: String = lower[i + 4..].chars().take(12).collect();
        // `seeds/…`, `seed 004`, `seed document 004`, `seeds 001, …`.
        let next = after.trim_start_matches('s').trim_start();
        if after.starts_with("s/")
            || next.starts_with(|c: char| c.is_ascii_digit())
            || next.starts_with("document")
        {
            found.push(context(text, i));
        }
    }
    for (i, _) in lower.match_indices("issue") {
        let next = lower[i + 5..].trim_start_matches('s').trim_start();
        // A public repository's issue, cited with the repository (`GitHub owner/name issue
        // #7`), is a public document; slipway's own issue numbers are not.
        let from = lower[..i]
            .char_indices()
            .rev()
            .nth(60)
            .map_or(0, |(j, _)| j);
        let public = lower[from..i].contains("github") && lower[from..i].contains('/');
        if !public && next.starts_with(|c: char| c.is_ascii_digit() || c == '#') {
            found.push(context(text, i));
        }
    }
    for needle in [
        "shared/reference",
        "shared/names",
        "names.tsv",
        "sharepoint-updates.tsv",
        "pages corpus",
    ] {
        for (i, _) in lower.match_indices(needle) {
            found.push(context(text, i));
        }
    }
    found
}

fn context(text: &str, at: usize) -> String {
    let start = text[..at]
        .char_indices()
        .rev()
        .nth(40)
        .map_or(0, |(i, _)| i);
    text[start..].chars().take(100).collect()
}

#[test]
fn the_reference_finder_finds_what_it_should() {
    for bad in [
        "see seeds/004_64e74247c355aa51.txt line 530",
        "(seed document 004: \"…\")",
        "Exchange 2007 (seeds 001, 002, 003)",
        "slipway issue 12: a misreading",
        "issue #4",
        "reference/sharepoint-updates.tsv line 108",
    ] {
        assert!(!internal_references(bad).is_empty(), "{bad}");
    }
    for good in [
        "Third-party: GitHub brianlala/AutoSPSourceBuilder issue #7 (2016-09-21)",
        "find the blocking issue in Upgrade.log",
        "seeded randomly",
        "the issues of 2009",
    ] {
        assert!(internal_references(good).is_empty(), "{good}");
    }
}

/// Every text file below `dir`.
fn text_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(text_files(&p));
        } else if p.extension().is_some_and(|e| {
            ["html", "md", "json", "ps1", "txt"].contains(&e.to_str().unwrap_or(""))
        }) || p.file_name().is_some_and(|n| n == "SHA256SUMS")
        {
            out.push(p);
        }
    }
    out
}

/// No seed file name, seed number, issue number or path of the workplace's reference files
/// anywhere a user reads: every document every sample build writes (report, runbook,
/// scripts, rollout, manifest), `catalog show` of every catalog (table and JSON), the README
/// and docs/.
#[test]
fn nothing_a_user_reads_names_an_internal_reference() {
    let mut problems = Vec::new();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sharepoint-2007-media");
    assert_eq!(code(&sharepoint_farm(&out, &[])), 0);
    let mut outs = vec![out];
    for product in ["exchange-2007", "ocs-2007-r2", "sharepoint-2007"] {
        let out = tmp.path().join(product);
        let res = slipway_cmd()
            .current_dir(root())
            .args(["build", &format!("samples/{product}"), "--product", product])
            .args(crate::support::sample_baseline(product))
            .arg("--farm")
            .arg(format!("samples/farms/{product}.toml"))
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(code(&res), 0, "{}", String::from_utf8_lossy(&res.stderr));
        outs.push(out);
    }
    for out in &outs {
        for file in text_files(out) {
            let text = String::from_utf8_lossy(&fs::read(&file).unwrap()).into_owned();
            for r in internal_references(&text) {
                problems.push(format!("{}: {r}", file.display()));
            }
        }
    }
    let list = slipway(["catalog", "list", "--json"]);
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    let ids: Vec<String> = list["catalogs"]
        .as_array()
        .or_else(|| list.as_array())
        .expect("catalog list --json")
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.len() >= 10, "{ids:?}");
    for id in &ids {
        for json in [false, true] {
            let mut args = vec!["catalog", "show", id.as_str()];
            if json {
                args.push("--json");
            }
            let res = slipway(&args);
            assert_eq!(code(&res), 0);
            for r in internal_references(&String::from_utf8_lossy(&res.stdout)) {
                problems.push(format!(
                    "catalog show {id}{}: {r}",
                    if json { " --json" } else { "" }
                ));
            }
        }
    }
    let mut docs = vec![root().join("README.md")];
    docs.extend(text_files(&root().join("docs")));
    for file in docs {
        for r in internal_references(&fs::read_to_string(&file).unwrap()) {
            problems.push(format!("{}: {r}", file.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
