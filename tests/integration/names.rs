//! Name classification scored against the real names in `../shared/names/names.tsv` (or the
//! file `SLIPWAY_NAMES` points at): kind, KB, arch and scope+language must all be right for at
//! least 98% of the names. Prints the per-field scores and every miss.

use std::path::PathBuf;

use slipway::names::classify_name;

/// Share of names that must be right on all four fields (issue 3, "Done when").
const REQUIRED: f64 = 0.98;

#[test]
fn names_tsv_scores_at_least_98_percent() {
    let path = std::env::var_os("SLIPWAY_NAMES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/names/names.tsv"
            ))
        });
    let Ok(text) = std::fs::read_to_string(&path) else {
        crate::support::skip(
            "names.tsv score",
            &format!("{} is not readable", path.display()),
        );
        return;
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name)
            .unwrap_or_else(|| panic!("{}: no column {name}", path.display()))
    };
    let (c_name, c_kind, c_kb, c_arch, c_scope, c_lang) = (
        col("name"),
        col("kind"),
        col("kb"),
        col("arch"),
        col("scope"),
        col("language"),
    );

    let (mut total, mut kind_ok, mut kb_ok, mut arch_ok, mut scope_ok, mut all_ok) =
        (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |i: usize| cells.get(i).map_or("", |c| c.trim());
        let name = cells.get(c_name).copied().unwrap_or_default();
        let f = classify_name(name);
        total += 1;

        let got_kind = f.kind.as_str().to_owned();
        let got_kb = f.kb.map(|k| k.0.to_string()).unwrap_or_default();
        let got_arch = f.arch.map(|a| a.as_str().to_owned()).unwrap_or_default();
        let got_scope = format!(
            "{} {}",
            f.scope,
            f.language.as_ref().map(|l| l.as_str()).unwrap_or_default()
        );
        let want_scope = format!("{} {}", cell(c_scope), cell(c_lang).to_ascii_lowercase());

        let checks = [
            (
                "kind",
                got_kind == cell(c_kind),
                got_kind,
                cell(c_kind).to_owned(),
            ),
            ("kb", got_kb == cell(c_kb), got_kb, cell(c_kb).to_owned()),
            (
                "arch",
                got_arch == cell(c_arch),
                got_arch,
                cell(c_arch).to_owned(),
            ),
            (
                "scope+language",
                got_scope.trim() == want_scope.trim(),
                got_scope.trim().to_owned(),
                want_scope.trim().to_owned(),
            ),
        ];
        kind_ok += usize::from(checks[0].1);
        kb_ok += usize::from(checks[1].1);
        arch_ok += usize::from(checks[2].1);
        scope_ok += usize::from(checks[3].1);
        if checks.iter().all(|c| c.1) {
            all_ok += 1;
        } else {
            for (field, _, got, want) in checks.iter().filter(|c| !c.1) {
                misses.push(format!("  {name}: {field} got `{got}`, expected `{want}`"));
            }
            misses.push(format!("    reasons: {}", f.reasons.join("; ")));
        }
    }
    assert!(total > 0, "{}: no names", path.display());
    let pct = |k: usize| 100.0 * k as f64 / total as f64;
    eprintln!("names score on {} ({total} names):", path.display());
    eprintln!("  kind            {kind_ok}/{total} ({:.1}%)", pct(kind_ok));
    eprintln!("  kb              {kb_ok}/{total} ({:.1}%)", pct(kb_ok));
    eprintln!("  arch            {arch_ok}/{total} ({:.1}%)", pct(arch_ok));
    eprintln!(
        "  scope+language  {scope_ok}/{total} ({:.1}%)",
        pct(scope_ok)
    );
    eprintln!("  all four        {all_ok}/{total} ({:.1}%)", pct(all_ok));
    if !misses.is_empty() {
        eprintln!("misses:");
        for m in &misses {
            eprintln!("{m}");
        }
    }
    assert!(
        all_ok as f64 >= REQUIRED * total as f64,
        "only {all_ok}/{total} names right on all four fields (need {:.0}%)",
        REQUIRED * 100.0
    );
}
