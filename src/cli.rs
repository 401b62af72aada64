//! Command-line definitions (clap): the arguments as typed (ripgrep's LowArgs), completion
//! scripts and man pages. clap stops here:
//! [`crate::config::load`] turns a [`Cli`] into a loaded, validated request in one step.

use std::path::PathBuf;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::extract::limits::{Limits, parse_size};
use crate::model::{Build, Lang};

/// Turn Microsoft server update packages into verified installation sources, without running
/// them.
#[derive(Debug, Parser)]
#[command(
    name = "slipway",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print less (errors only).
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,
    /// Print more (every member written, notes).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// Print exactly one JSON document on stdout (human messages still go to stderr).
    #[arg(long, global = true)]
    pub json: bool,
    /// When to use colours on stderr (`auto` honours NO_COLOR and needs a terminal).
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,
    /// Never show progress bars (they only appear on a terminal anyway).
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// A catalog file (JSON, see `slipway catalog check`) that adds a product, or replaces the
    /// built-in catalog with the same id. Repeatable.
    #[arg(long = "catalog", global = true, value_name = "FILE")]
    pub catalogs: Vec<PathBuf>,
    /// A trust anchor for Authenticode signatures: a certificate file (PEM, one or more
    /// certificates, or DER) or a folder of them. A signature is `valid` only with a chain to
    /// one of them. Repeatable.
    #[arg(long = "trust", global = true, value_name = "FILE|DIR")]
    pub trust: Vec<PathBuf>,
    /// Do not trust Microsoft's code-signing roots built into slipway; only the --trust
    /// anchors (for shops that pin their own).
    #[arg(long, global = true)]
    pub no_builtin_trust: bool,
    /// How many inputs inspect, verify, build and extract read side by side; within an input,
    /// extract writes and hashes on up to N threads and, above 2, decompresses a cabinet on a
    /// thread of its own (0: one per processor).
    #[arg(long, global = true, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Safely unpack each input's payload (cabinets, self-extracting exes, zips, MSI/MSP).
    Extract(ExtractArgs),
    /// What is this? Every package and patch inside the inputs: KB, build, arch, scope,
    /// language, family, and where name and content disagree.
    Inspect(InspectArgs),
    /// Prove each package and patch is the one meant: hashes (catalog, --sums, catalog-name
    /// SHA-1), builds, supersedence, baselines, architectures, global partners, component
    /// levels. Exit 1 when a check fails.
    Verify(VerifyArgs),
    /// From a folder of downloads to ready-to-use installation sources: per role
    /// `OUT/<role>/Updates/` with exactly the patches it needs, in order, plus
    /// `install-manifest.json` and `SHA256SUMS`; optionally an offline bundle.
    Build(Box<BuildArgs>),
    /// What the catalogs know: list the products, show one's releases, check a catalog file.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Farm files (the servers `build --farm` writes a rollout for): check one.
    #[command(subcommand)]
    Farm(FarmCommand),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff): slipway(1), or with COMMAND that command's page
    /// (`slipway man build` is slipway-build(1), `slipway man farm check` is
    /// slipway-farm-check(1)); every page lists the exit codes.
    Man {
        /// A command, or a command and its subcommand (`farm check`, `catalog show`).
        #[arg(value_name = "COMMAND")]
        command: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Packages and patches to verify (nothing is written).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A checksum file in `sha256sum`/`sha1sum` format (or BSD `SHA256 (name) = …`); files are
    /// matched by name. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub sums: Vec<PathBuf>,
    /// A build already installed on the farm: satisfies the baseline a cumulative update or
    /// hotfix needs (e.g. the service pack 12.0.6421.1000).
    #[arg(long, value_name = "BUILD", value_parser = build_arg)]
    pub baseline: Option<Build>,
    /// Treat warnings (superseded, unknown package, …) as errors.
    #[arg(long)]
    pub strict: bool,
    /// Every package and patch must be validly signed under a trust anchor (Microsoft's
    /// built-in roots, --trust): an absent or untrusted signature is an error, not a warning.
    #[arg(long)]
    pub require_signature: bool,
    #[command(flatten)]
    pub budgets: BudgetArgs,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Downloaded packages and patches, or folders of them (their packages are taken; other
    /// files are skipped).
    #[arg(required = true, value_name = "DOWNLOADS")]
    pub paths: Vec<PathBuf>,
    /// Output directory: must be absent or empty (see --force).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// The product's catalog id (`slipway catalog list`).
    #[arg(long, value_name = "P")]
    pub product: String,
    /// A role to build (repeatable; default: every role of the product).
    #[arg(long = "role", value_name = "R")]
    pub roles: Vec<String>,
    /// A language to include (repeatable; default: every language present). The first is the
    /// installation's base language; others go to language-pack folders where the product
    /// has them.
    #[arg(long = "lang", value_name = "L", value_parser = lang_arg)]
    pub langs: Vec<Lang>,
    /// Also pack OUT into this zip (deterministic) for carrying offline.
    #[arg(long, value_name = "FILE.zip")]
    pub bundle: Option<PathBuf>,
    /// A checksum file (`sha256sum`/`sha1sum` format) the downloads must match. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub sums: Vec<PathBuf>,
    /// A build already installed on the farm (satisfies baselines up to it).
    #[arg(long, value_name = "BUILD", value_parser = build_arg)]
    pub baseline: Option<Build>,
    /// The product's setup media: a folder or a disc image (ISO 9660/Joliet, UDF). Each role
    /// folder becomes the media with the role's updates in its `Updates` folder (copied, never
    /// linked to the media).
    #[arg(long, value_name = "DIR|ISO")]
    pub media: Option<PathBuf>,
    /// A language pack's media for CULTURE (a folder or disc image), placed in each role's
    /// `LanguagePacks/CULTURE/`. Repeatable.
    #[arg(long = "language-pack", value_name = "CULTURE=DIR|ISO", value_parser = language_pack_arg)]
    pub language_packs: Vec<(Lang, PathBuf)>,
    /// Use media whose setup.exe confirms nothing (no version resource, a ProductName of no
    /// edition and no comparable build, or one naming two products), after checking them
    /// yourself; recorded as unconfirmed (a media-unconfirmed warning). Media whose setup.exe
    /// names another product or version are refused all the same.
    #[arg(long)]
    pub media_unconfirmed: bool,
    /// Print the plan; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Treat verification warnings as errors.
    #[arg(long)]
    pub strict: bool,
    /// Replace the content of a non-empty OUT (only once the new content is complete).
    #[arg(long)]
    pub force: bool,
    /// Build even when verification finds errors (they are recorded in the manifest).
    #[arg(long)]
    pub allow_findings: bool,
    /// The build time the manifest and the report record (RFC 3339 in UTC,
    /// `2026-01-15T09:30:00Z`, a date, or `@SECONDS`): two builds of the same inputs with the
    /// same time are byte-identical. Default: $SOURCE_DATE_EPOCH when set, else now.
    #[arg(long, value_name = "TIME", value_parser = time_arg)]
    pub timestamp: Option<i64>,
    /// Every package and patch must be validly signed under a trust anchor (Microsoft's
    /// built-in roots, --trust).
    #[arg(long)]
    pub require_signature: bool,
    /// The farm's servers (TOML): also write rollout.json, scripts/<server>.ps1, verify.ps1
    /// and RUNBOOK.md, and the rollout in report.html.
    #[arg(long, value_name = "FARM.toml")]
    pub farm: Option<PathBuf>,
    #[command(flatten)]
    pub budgets: BudgetArgs,
}

#[derive(Debug, Subcommand)]
pub enum FarmCommand {
    /// Check a farm file against the product's catalog: every mistake on its own line with
    /// its line number; the servers in rollout order when it is good. Exit 2 if it is not.
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The product (default: the file's `product`).
        #[arg(long, value_name = "P")]
        product: Option<String>,
    },
}

fn lang_arg(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| "expected a culture like en-us or de-de".to_owned())
}

/// `CULTURE=PATH`: a culture (not a bare language: a language pack is for one culture).
fn language_pack_arg(s: &str) -> Result<(Lang, PathBuf), String> {
    let (culture, path) = s
        .split_once('=')
        .ok_or_else(|| "expected CULTURE=PATH, e.g. de-de=media/lp-de-de".to_owned())?;
    let lang = lang_arg(culture)?;
    if !lang.is_culture() {
        return Err(format!(
            "{culture} is a language, not a culture: give one such as {culture}-{culture}"
        ));
    }
    // Nothing (or only blanks) after '=' names no media: the current folder is not meant.
    if path.trim().is_empty() {
        return Err("expected a folder or disc image after '='".to_owned());
    }
    Ok((lang, PathBuf::from(path)))
}

fn time_arg(s: &str) -> Result<i64, String> {
    crate::model::UtcTime::parse_unix(s).ok_or_else(|| {
        "expected a UTC time like 2026-01-15T09:30:00Z, a date like 2026-01-15, or @SECONDS"
            .to_owned()
    })
}

fn build_arg(s: &str) -> Result<Build, String> {
    Build::parse(s).ok_or_else(|| "expected a build like 12.0.6421.1000".to_owned())
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// The products the catalogs describe: id, title, number of releases, newest build.
    List,
    /// A product's releases as a table (date, kind, name, component, KB, build, files);
    /// with --json, the whole catalog.
    Show {
        /// The product's catalog id (`slipway catalog list` shows them).
        #[arg(value_name = "PRODUCT")]
        product: String,
    },
    /// Validate a catalog file: the schema (with JSON paths), duplicate KBs and ids, builds
    /// that go backwards in time, invisible characters or spaces in names, unknown families,
    /// components, roles and releases. Exit 1 if any error, 2 if the file cannot be read.
    Check {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Packages to unpack: .exe, .cab, .zip, .msi, .msp (the format is sniffed from the bytes).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output directory: must be absent or empty (see --force). One input is unpacked straight
    /// into it; several each into DIR/<input file name>/.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Also unpack nested archives, each into a folder `<member>.extracted/` beside it.
    #[arg(short, long)]
    pub recursive: bool,
    /// MSI/MSM: write the cabinet members under their stored names (File-table keys), as
    /// the cabinet streams hold them, instead of the installed folder tree.
    #[arg(long)]
    pub msi_streams: bool,
    #[command(flatten)]
    pub budgets: BudgetArgs,
    /// Replace the content of a non-empty output directory (only once the new content is
    /// complete).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Files to look into (nothing is written); with --names, file names to classify.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,
    /// Classify the names alone, by Microsoft's naming conventions (no file access).
    #[arg(long)]
    pub names: bool,
    #[command(flatten)]
    pub budgets: BudgetArgs,
}

/// The decompression budgets, the same in every command that reads archives.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    /// How deep nested archives may go (an input is depth 0).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    pub max_depth: u32,
    /// Most bytes to unpack in all, and per member (bytes, or with a K/M/G/T suffix: 64M, 2G).
    #[arg(long, value_name = "SIZE", default_value = "64G", value_parser = size_arg)]
    pub max_size: u64,
    /// Most members (files and folders) to unpack in all.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries)]
    pub max_entries: u64,
    /// Most bytes unpacked per byte of input, over the whole run (runs unpacking less than
    /// 256 MiB are not held to it): stops decompression bombs.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_ratio)]
    pub max_ratio: u64,
}

fn size_arg(s: &str) -> Result<u64, String> {
    parse_size(s).map_err(|e| e.to_string())
}

impl BudgetArgs {
    /// The budgets as the walker takes them.
    pub fn limits(&self) -> Limits {
        Limits {
            max_depth: self.max_depth,
            max_total_bytes: self.max_size,
            max_entry_bytes: self.max_size,
            max_entries: self.max_entries,
            max_ratio: self.max_ratio,
        }
    }
}

impl Cli {
    /// The command's name, as JSON documents report it.
    pub fn command_name(&self) -> &'static str {
        match &self.command {
            Command::Extract(_) => "extract",
            Command::Inspect(_) => "inspect",
            Command::Build(_) => "build",
            Command::Verify(_) => "verify",
            Command::Catalog(CatalogCommand::List) => "catalog list",
            Command::Catalog(CatalogCommand::Show { .. }) => "catalog show",
            Command::Catalog(CatalogCommand::Check { .. }) => "catalog check",
            Command::Farm(FarmCommand::Check { .. }) => "farm check",
            Command::Completions { .. } => "completions",
            Command::Man { .. } => "man",
        }
    }
}

/// The completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "slipway", &mut out);
    out
}

/// The exit codes, as every man page lists them (README: "Exit codes").
const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
All good (also with warnings).
.TP
\fB1\fR
Finished, but verification failed: findings of severity error (verify, build, inspect);
the catalog has errors (catalog check).
.TP
\fB2\fR
Fatal or usage error: an input that cannot be read or that the walk refuses (damaged,
unsafe name, collision, budget), a request that cannot start (catalog, trust, sums, unknown
product, role or language, output not empty or in use); nothing was written.
.TP
\fB130\fR
Interrupted (Ctrl-C or SIGTERM); staging was cleaned up.
"#;

/// The command tree the man pages describe: without the `help` subcommands, which have no
/// page of their own (`--help` is on every page).
fn man_tree() -> clap::Command {
    fn no_help(cmd: clap::Command) -> clap::Command {
        let cmd = cmd.disable_help_subcommand(true);
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .collect();
        names
            .iter()
            .fold(cmd, |cmd, name| cmd.mut_subcommand(name, no_help))
    }
    let mut root = no_help(Cli::command());
    root.build();
    root
}

/// Every command path that has a man page: `[]` (slipway), `["build"]`, `["farm", "check"]`, …
pub fn man_pages() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(path.clone());
        for sub in cmd.get_subcommands() {
            path.push(sub.get_name().to_owned());
            walk(sub, path, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    walk(&man_tree(), &mut Vec::new(), &mut out);
    out
}

/// A man page generated from the clap definitions: slipway(1), or a command's
/// (`slipway-build(1)`, `slipway-farm-check(1)`), with the exit codes. `None` for a command
/// slipway does not have.
pub fn man_page<S: AsRef<str>>(command: &[S]) -> std::io::Result<Option<Vec<u8>>> {
    let mut cmd = man_tree();
    for name in command {
        match cmd.find_subcommand(name.as_ref()) {
            Some(sub) => cmd = sub.clone(),
            None => return Ok(None),
        }
    }
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    out.extend_from_slice(EXIT_STATUS.as_bytes());
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_a_man_page_with_exit_codes() {
        let pages = man_pages();
        assert!(pages.len() >= 12, "{pages:?}");
        assert!(pages.contains(&vec!["farm".to_owned(), "check".to_owned()]));
        assert!(pages.contains(&vec!["catalog".to_owned(), "show".to_owned()]));
        for path in &pages {
            let page = man_page(path).unwrap().expect("a page");
            let text = String::from_utf8(page).unwrap();
            assert!(text.contains("EXIT STATUS"), "{path:?}");
            let name = std::iter::once("slipway")
                .chain(path.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("-");
            assert!(text.contains(&format!(".TH {name} 1")), "{path:?}: {text}");
        }
        assert!(man_page(&["frobnicate"]).unwrap().is_none());
        assert!(man_page(&["farm", "frobnicate"]).unwrap().is_none());
    }

    /// A page names other pages as `name(1)`: each one must be a page slipway has.
    #[test]
    fn man_pages_cross_reference_only_pages_that_exist() {
        let pages = man_pages();
        let names: Vec<String> = pages
            .iter()
            .map(|p| {
                std::iter::once("slipway")
                    .chain(p.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join("-")
            })
            .collect();
        let mut refs = 0;
        for path in &pages {
            let text = String::from_utf8(man_page(path).unwrap().unwrap())
                .unwrap()
                .replace("\\-", "-")
                .replace("\\", "");
            for (at, _) in text.match_indices("(1)") {
                let name: String = text[..at]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                if !name.starts_with("slipway") {
                    continue;
                }
                refs += 1;
                assert!(
                    names.contains(&name),
                    "{path:?} names {name}(1), which has no page"
                );
            }
        }
        assert!(refs >= pages.len() - 1, "{refs} references");
    }

    #[test]
    fn budgets_and_global_flags_are_parsed() {
        let cli = Cli::try_parse_from([
            "slipway",
            "extract",
            "a.exe",
            "b.cab",
            "-o",
            "out",
            "--max-size",
            "2G",
            "--max-depth",
            "3",
            "--recursive",
            "--json",
            "-q",
        ])
        .unwrap();
        assert!(cli.global.json);
        assert_eq!(cli.global.quiet, 1);
        let Command::Extract(a) = cli.command else {
            panic!("not extract");
        };
        assert_eq!(a.paths.len(), 2);
        assert!(a.recursive);
        assert_eq!(a.budgets.limits().max_total_bytes, 2 << 30);
        assert_eq!(a.budgets.limits().max_entry_bytes, 2 << 30);
        assert_eq!(a.budgets.limits().max_depth, 3);
    }

    #[test]
    fn catalog_files_are_a_global_repeatable_flag() {
        let cli = Cli::try_parse_from([
            "slipway",
            "catalog",
            "show",
            "--catalog",
            "a.json",
            "sharepoint-2007",
            "--catalog",
            "b.json",
        ])
        .unwrap();
        assert_eq!(cli.command_name(), "catalog show");
        assert_eq!(
            cli.global.catalogs,
            [PathBuf::from("a.json"), PathBuf::from("b.json")]
        );
        let Command::Catalog(CatalogCommand::Show { product }) = cli.command else {
            panic!("not catalog show");
        };
        assert_eq!(product, "sharepoint-2007");
        let cli = Cli::try_parse_from(["slipway", "catalog", "check", "x.json"]).unwrap();
        assert_eq!(cli.command_name(), "catalog check");
    }

    #[test]
    fn bad_sizes_are_usage_errors() {
        let err = Cli::try_parse_from(["slipway", "extract", "a", "-o", "o", "--max-size", "1.5G"])
            .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
    }
}
