//! `report.html`: the change request a change advisory board approves. One self-contained page
//! (inline CSS, no script, no external asset) that prints on A4: page one is the summary a
//! board decides on ([`summary`]: what changes, why, scope, service impact, risk and
//! mitigations, back-out, open findings, approvals), then the details ([`details`]). Every
//! string from outside goes through [`esc`]; sources are cited by number and listed at the end
//! with their public titles and addresses.

mod details;
mod summary;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Facts;
use crate::catalog::model::{Release, ReleaseKind};
use crate::model::Kb;
use crate::model::manifest::PlacedKind;

/// HTML text and attribute escaping.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// The page's style. Words never break inside (`overflow-wrap: break-word` only breaks a word
/// longer than a whole line, and does not narrow table columns below their longest word); codes,
/// names and hashes never wrap at all. Printed, the summary is page one and the details start
/// on a new page.
const STYLE: &str = "@page{size:A4;margin:11mm 10mm}\
*{box-sizing:border-box}\
body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;font-size:10pt;\
line-height:1.35;color:#111;margin:1.5em auto;max-width:64em;padding:0 1em;\
word-break:normal;overflow-wrap:break-word;hyphens:manual}\
h1{font-size:15pt;margin:0 0 .15em}\
h2{font-size:11pt;border-bottom:1.5px solid #333;margin:.9em 0 .3em;break-after:avoid}h2 .meta{font-size:.75em;font-weight:normal}\
h3{font-size:10pt;margin:.8em 0 .2em;break-after:avoid}\
p{margin:.25em 0}ul,ol{margin:.2em 0;padding-left:1.4em}ol{padding-left:2.2em}li{margin:.1em 0}\
table{border-collapse:collapse;width:100%;margin:.25em 0 .5em}\
th,td{border:1px solid #aaa;padding:1px 4px;text-align:left;vertical-align:top}\
th{background:#eee;font-weight:600}tr{break-inside:avoid}\
code,.nw{white-space:nowrap}code{font-family:Consolas,'Courier New',monospace;font-size:.92em}\
code.cmd{white-space:normal}\
.hash{font-family:Consolas,'Courier New',monospace;font-size:.8em;color:#444;white-space:nowrap}\
.meta{color:#444}.cite{color:#444;font-size:.8em;white-space:nowrap}\
.error{color:#a00;font-weight:bold}.warning{color:#8a5a00;font-weight:bold}.info{color:#0a4a8a}\
.valid{color:#060}.invalid{color:#a00;font-weight:bold}.untrusted,.absent{color:#8a5a00}\
.down{background:#fff3d6}\
.grid{display:grid;grid-template-columns:1fr 1fr;column-gap:1.2em}\
.sign{break-inside:avoid}.sign td{height:1.9em}.sign th{width:20%}\
details{margin:.15em 0}summary{cursor:pointer}details ul{margin:.1em 0 .3em}\
.details{break-before:page}\
@media print{body{margin:0;max-width:none;padding:0;font-size:8pt;line-height:1.25}table{font-size:7.5pt}\
h1{font-size:13pt}h2{font-size:9.5pt;margin-top:.7em}h3{font-size:8.5pt}ol.sources{font-size:7pt}}";

/// The public documents the page cites, numbered in the order they are first cited.
#[derive(Debug, Default)]
pub(super) struct Refs {
    list: Vec<String>,
}

impl Refs {
    /// The number of a source, added if new.
    fn number(&mut self, source: &str) -> usize {
        let source = source.trim();
        match self.list.iter().position(|s| s == source) {
            Some(i) => i + 1,
            None => {
                self.list.push(source.to_owned());
                self.list.len()
            }
        }
    }

    /// A citation mark (` [1, 3]`) for sources, empty for none.
    fn cite<S: AsRef<str>>(&mut self, sources: &[S]) -> String {
        let mut numbers: Vec<usize> = sources
            .iter()
            .filter(|s| !s.as_ref().trim().is_empty())
            .map(|s| self.number(s.as_ref()))
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.is_empty() {
            return String::new();
        }
        let list: Vec<String> = numbers.iter().map(ToString::to_string).collect();
        format!(" <span class=\"cite\">[{}]</span>", list.join(", "))
    }
}

/// A table: header cells (escaped here) and rows of cells (already HTML).
fn table(s: &mut String, head: &[&str], rows: &[Vec<String>]) {
    s.push_str("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>\n");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{c}</td>");
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>\n");
}

/// A value or `-`, escaped.
fn opt(v: Option<String>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| esc(&v))
}

/// A name that must not wrap (a file, a code).
fn nw(v: &str) -> String {
    format!("<span class=\"nw\">{}</span>", esc(v))
}

/// Prose with its hyphenated words kept whole: a browser may break a line after any `-`, so
/// each word holding one (`--catalog`, `sts-x-none.msp`) does not wrap.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if word.contains('-') {
            out.push_str(&nw(word));
        } else {
            out.push_str(&esc(word));
        }
    }
    out
}

/// The common name of an RFC 4514 subject (`CN=Microsoft Corporation,O=…`), else the whole.
fn common_name(subject: &str) -> &str {
    subject
        .split(',')
        .find_map(|p| p.trim().strip_prefix("CN="))
        .unwrap_or(subject)
}

/// `2026-12-07T14:03:00Z` as `2026-12-07 14:03 UTC`; anything else as it is.
fn when(created: &str) -> String {
    match created.strip_suffix('Z').and_then(|c| c.split_once('T')) {
        Some((date, time)) if time.len() >= 5 => format!("{date} {} UTC", &time[..5]),
        _ => created.to_owned(),
    }
}

/// What a kind of release is called in prose.
fn kind_name(kind: ReleaseKind) -> &'static str {
    match kind {
        ReleaseKind::Rtm => "release to manufacturing",
        ReleaseKind::ServicePack => "service pack",
        ReleaseKind::CumulativeUpdate => "cumulative update",
        ReleaseKind::PublicUpdate => "public update",
        ReleaseKind::UpdateRollup => "update rollup",
        ReleaseKind::SecurityUpdate => "security update",
        ReleaseKind::Hotfix => "hotfix",
        ReleaseKind::LanguagePack => "language pack",
        ReleaseKind::Tool => "tool",
    }
}

/// The sources a release's notes name (`Source: …`, `Sources: …`).
fn release_sources(r: &Release) -> Vec<&str> {
    r.notes
        .iter()
        .filter_map(|n| {
            n.strip_prefix("Sources: ")
                .or_else(|| n.strip_prefix("Source: "))
        })
        .collect()
}

/// One update the build places: a KB (or, without one, a file), its build, and the catalog's
/// release for it.
#[derive(Debug)]
struct Update<'a> {
    kb: Option<Kb>,
    build: Option<String>,
    /// The patch families (or file names) placed for it.
    what: Vec<String>,
    release: Option<&'a Release>,
}

/// Every update placed, by KB then build, each with the catalog's release (the one with the
/// same build when several share the KB).
fn updates<'a>(f: &Facts<'a>) -> Vec<Update<'a>> {
    let mut by: BTreeMap<(Option<Kb>, Option<String>), Vec<String>> = BTreeMap::new();
    for p in f.manifest.roles.iter().flat_map(|r| &r.patches) {
        if p.kind == PlacedKind::Companion {
            continue;
        }
        let what = p
            .family
            .clone()
            .unwrap_or_else(|| p.file.rsplit('/').next().unwrap_or(&p.file).to_owned());
        let v = by
            .entry((p.kb, p.build.map(|b| b.to_string())))
            .or_default();
        if !v.contains(&what) {
            v.push(what);
        }
    }
    by.into_iter()
        .map(|((kb, build), what)| {
            let candidates: Vec<&Release> = kb
                .map(|kb| {
                    f.catalog
                        .releases
                        .iter()
                        .filter(|r| r.kb == Some(kb) || r.files.iter().any(|x| x.kb == Some(kb)))
                        .collect()
                })
                .unwrap_or_default();
            let release = candidates
                .iter()
                .find(|r| r.build.map(|b| b.to_string()) == build)
                .or(candidates.first())
                .copied();
            Update {
                kb,
                build,
                what,
                release,
            }
        })
        .collect()
}

/// Texts about servers grouped: servers whose texts read the same once the server's own name
/// is replaced by "the server" share one row (`SPAPP01 (3), SPWFE01 (6)`), in the order they
/// first appear. A text of one server only keeps its server's name.
#[derive(Debug)]
struct Grouped {
    text: String,
    /// (server, step) in order.
    at: Vec<(String, u32)>,
    /// The text as written, for a group of one.
    own: String,
}

fn group_by_server<'a>(items: impl Iterator<Item = (&'a str, u32, &'a str)>) -> Vec<Grouped> {
    let mut out: Vec<Grouped> = Vec::new();
    for (server, step, text) in items {
        let shared = capitalised(&replace_word(text, server, "the server"));
        match out.iter_mut().find(|g| g.text == shared) {
            Some(g) => g.at.push((server.to_owned(), step)),
            None => out.push(Grouped {
                text: shared,
                at: vec![(server.to_owned(), step)],
                own: text.to_owned(),
            }),
        }
    }
    for g in &mut out {
        if g.at.len() == 1 {
            g.text = std::mem::take(&mut g.own);
        }
    }
    out
}

impl Grouped {
    /// `SPAPP01 (step 3), SPAPP02 (step 4)`.
    fn where_html(&self) -> String {
        let parts: Vec<String> = self
            .at
            .iter()
            .map(|(server, step)| format!("{} <span class=\"meta\">({step})</span>", nw(server)))
            .collect();
        parts.join(", ")
    }
}

/// `text` with every whole-word occurrence of `word` (not inside a longer name) replaced.
fn replace_word(text: &str, word: &str, by: &str) -> String {
    if word.is_empty() {
        return text.to_owned();
    }
    let name_char = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(name_char) || after.is_some_and(name_char) {
            out.push_str(word);
        } else {
            out.push_str(by);
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The report.
pub fn report(f: &Facts<'_>) -> String {
    let m = f.manifest;
    let mut refs = Refs::default();
    let mut s =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let farm = f.rollout.and_then(|r| r.farm.name.clone());
    let title = match &farm {
        Some(n) => format!("Change request: {} on {n}", f.catalog.title),
        None => format!("Change request: {}", f.catalog.title),
    };
    let _ = writeln!(
        s,
        "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        esc(&title)
    );
    let _ = writeln!(s, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        s,
        "<p class=\"meta\">Prepared {} by {} {} from {} download(s) · product <code>{}</code></p>",
        m.created.as_deref().map_or_else(
            || "(no date recorded)".to_owned(),
            |c| format!("<strong>{}</strong>", esc(&when(c)))
        ),
        esc(&m.tool.name),
        esc(&m.tool.version),
        m.inputs.len(),
        esc(&m.product),
    );
    let updates = updates(f);
    s.push_str("<section class=\"summary\">\n");
    summary::page_one(&mut s, f, &updates, &mut refs);
    s.push_str("</section>\n<section class=\"details\">\n");
    details::details(&mut s, f, &updates, &mut refs);
    sources(&mut s, f, &mut refs);
    s.push_str("</section>\n</body>\n</html>\n");
    s
}

/// The numbered sources: every document cited, then the catalog's other sources.
fn sources(s: &mut String, f: &Facts<'_>, refs: &mut Refs) {
    let rules = f.catalog.rollout.as_ref();
    for src in f
        .catalog
        .sources
        .iter()
        .chain(rules.map(|r| r.sources.as_slice()).unwrap_or_default())
    {
        refs.number(src);
    }
    s.push_str("<h3>Sources</h3>\n<ol class=\"meta sources\">\n");
    for src in &refs.list {
        let _ = writeln!(s, "<li>{}</li>", esc(src));
    }
    s.push_str("</ol>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            esc("<script>alert('x')</script>&\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\\x1b"
        );
        assert_eq!(
            common_name("CN=Microsoft Corporation,O=Microsoft Corporation"),
            "Microsoft Corporation"
        );
        assert_eq!(common_name("O=Nobody"), "O=Nobody");
        assert_eq!(
            prose("add it with --catalog <x>"),
            "add it with <span class=\"nw\">--catalog</span> &lt;x&gt;"
        );
    }

    #[test]
    fn server_names_are_replaced_as_whole_words_only() {
        let t = [
            (
                "SP1 restarts; SP10 does not",
                "SP1",
                "The server restarts; SP10 does not",
            ),
            (
                "Stop W3SVC on SPAPP01.",
                "SPAPP01",
                "Stop W3SVC on the server.",
            ),
            (
                "XSPAPP01 and SPAPP01-B",
                "SPAPP01",
                "XSPAPP01 and SPAPP01-B",
            ),
            ("", "A", ""),
        ];
        for (text, word, want) in t {
            assert_eq!(capitalised(&replace_word(text, word, "the server")), want);
        }
    }

    #[test]
    fn texts_that_differ_only_by_their_server_are_grouped() {
        let items = [
            ("A1", 3, "A1 is down while it restarts."),
            ("B2", 7, "B2 is down while it restarts."),
            ("A1", 9, "The farm is out of service."),
        ];
        let g = group_by_server(items.into_iter());
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].text, "The server is down while it restarts.");
        assert_eq!(g[0].at, [("A1".to_owned(), 3), ("B2".to_owned(), 7)]);
        assert_eq!(g[1].at, [("A1".to_owned(), 9)]);
        // Alone, a text keeps its server's name.
        let g = group_by_server([("A1", 3, "A1 moves to B2.")].into_iter());
        assert_eq!(g[0].text, "A1 moves to B2.");
    }

    #[test]
    fn sources_are_numbered_once_in_order_of_citation() {
        let mut r = Refs::default();
        assert_eq!(r.cite(&["b", "a"]), " <span class=\"cite\">[1, 2]</span>");
        assert_eq!(r.cite(&["a"]), " <span class=\"cite\">[2]</span>");
        assert_eq!(r.cite::<&str>(&[]), "");
        assert_eq!(r.list, ["b", "a"]);
    }

    #[test]
    fn build_times_read_as_dates() {
        assert_eq!(when("2026-12-07T14:03:09Z"), "2026-12-07 14:03 UTC");
        assert_eq!(when("yesterday"), "yesterday");
    }
}
