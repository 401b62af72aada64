//! Command-line definitions (clap) and their translation into validated [`Config`]s.
//!
//! clap types stop here: everything downstream takes [`Config`].

use std::path::PathBuf;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::extract::Options as ExtractOptions;
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
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// Print less (errors only).
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "verbose")]
    quiet: u8,
    /// Print more (every member written, notes).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    verbose: u8,
    /// Print exactly one JSON document on stdout (human messages still go to stderr).
    #[arg(long, global = true)]
    json: bool,
    /// When to use colours on stderr (`auto` honours NO_COLOR and needs a terminal).
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    color: ColorArg,
    /// Never show progress bars (they only appear on a terminal anyway).
    #[arg(long, global = true)]
    no_progress: bool,
    /// A catalog file (JSON, see `slipway catalog check`) that adds a product, or replaces the
    /// built-in catalog with the same id. Repeatable.
    #[arg(long = "catalog", global = true, value_name = "FILE")]
    catalogs: Vec<PathBuf>,
    /// A trust anchor for Authenticode signatures: a certificate file (PEM, one or more
    /// certificates, or DER) or a folder of them. A signature is `valid` only with a chain to
    /// one of them. Repeatable.
    #[arg(long = "trust", global = true, value_name = "FILE|DIR")]
    trust: Vec<PathBuf>,
    /// Do not trust Microsoft's code-signing roots built into slipway; only the --trust
    /// anchors (for shops that pin their own).
    #[arg(long, global = true)]
    no_builtin_trust: bool,
    /// How many inputs inspect, verify and build read side by side (0: one per processor).
    #[arg(long, global = true, value_name = "N", default_value_t = 0)]
    threads: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
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
    Build(BuildArgs),
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
    /// (`slipway man build` is slipway-build(1)); every page lists the exit codes.
    Man {
        /// extract, inspect, verify, build, catalog, completions or man.
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// Packages and patches to verify (nothing is written).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// A checksum file in `sha256sum`/`sha1sum` format (or BSD `SHA256 (name) = …`); files are
    /// matched by name. Repeatable.
    #[arg(long, value_name = "FILE")]
    sums: Vec<PathBuf>,
    /// A build already installed on the farm: satisfies the baseline a cumulative update or
    /// hotfix needs (e.g. the service pack 12.0.6421.1000).
    #[arg(long, value_name = "BUILD", value_parser = build_arg)]
    baseline: Option<Build>,
    /// Treat warnings (superseded, unknown package, …) as errors.
    #[arg(long)]
    strict: bool,
    /// Every package and patch must be validly signed under a trust anchor (Microsoft's
    /// built-in roots, --trust): an absent or untrusted signature is an error, not a warning.
    #[arg(long)]
    require_signature: bool,
    #[command(flatten)]
    budgets: BudgetArgs,
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// Downloaded packages and patches, or folders of them (their packages are taken; other
    /// files are skipped).
    #[arg(required = true, value_name = "DOWNLOADS")]
    paths: Vec<PathBuf>,
    /// Output directory: must be absent or empty (see --force).
    #[arg(short, long, value_name = "OUT")]
    output: PathBuf,
    /// The product's catalog id (`slipway catalog list`).
    #[arg(long, value_name = "P")]
    product: String,
    /// A role to build (repeatable; default: every role of the product).
    #[arg(long = "role", value_name = "R")]
    roles: Vec<String>,
    /// A language to include (repeatable; default: every language present). The first is the
    /// installation's base language; others go to language-pack folders where the product
    /// has them.
    #[arg(long = "lang", value_name = "L", value_parser = lang_arg)]
    langs: Vec<Lang>,
    /// Also pack OUT into this zip (deterministic) for carrying offline.
    #[arg(long, value_name = "FILE.zip")]
    bundle: Option<PathBuf>,
    /// A checksum file (`sha256sum`/`sha1sum` format) the downloads must match. Repeatable.
    #[arg(long, value_name = "FILE")]
    sums: Vec<PathBuf>,
    /// A build already installed on the farm (satisfies baselines up to it).
    #[arg(long, value_name = "BUILD", value_parser = build_arg)]
    baseline: Option<Build>,
    /// The product's setup media: a folder or a disc image (ISO 9660/Joliet, UDF). Each role
    /// folder becomes the media with the role's updates in its `Updates` folder (copied, never
    /// linked to the media).
    #[arg(long, value_name = "DIR|ISO")]
    media: Option<PathBuf>,
    /// A language pack's media for CULTURE (a folder or disc image), placed in each role's
    /// `LanguagePacks/CULTURE/`. Repeatable.
    #[arg(long = "language-pack", value_name = "CULTURE=DIR|ISO", value_parser = language_pack_arg)]
    language_packs: Vec<(Lang, PathBuf)>,
    /// Print the plan; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Treat verification warnings as errors.
    #[arg(long)]
    strict: bool,
    /// Replace the content of a non-empty OUT (only once the new content is complete).
    #[arg(long)]
    force: bool,
    /// Build even when verification finds errors (they are recorded in the manifest).
    #[arg(long)]
    allow_findings: bool,
    /// Record the build time in the manifest (otherwise two builds are byte-identical).
    #[arg(long)]
    timestamp: bool,
    /// Every package and patch must be validly signed under a trust anchor (Microsoft's
    /// built-in roots, --trust).
    #[arg(long)]
    require_signature: bool,
    /// The farm's servers (TOML): also write rollout.json, scripts/<server>.ps1, verify.ps1
    /// and RUNBOOK.md, and the rollout in report.html.
    #[arg(long, value_name = "FARM.toml")]
    farm: Option<PathBuf>,
    #[command(flatten)]
    budgets: BudgetArgs,
}

#[derive(Debug, Subcommand)]
enum FarmCommand {
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
    if path.is_empty() {
        return Err("expected a folder or disc image after '='".to_owned());
    }
    Ok((lang, PathBuf::from(path)))
}

fn build_arg(s: &str) -> Result<Build, String> {
    Build::parse(s).ok_or_else(|| "expected a build like 12.0.6421.1000".to_owned())
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
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
struct ExtractArgs {
    /// Packages to unpack: .exe, .cab, .zip, .msi, .msp (the format is sniffed from the bytes).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output directory: must be absent or empty (see --force). One input is unpacked straight
    /// into it; several each into DIR/<input file name>/.
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
    /// Also unpack nested archives, each into a folder `<member>.extracted/` beside it.
    #[arg(short, long)]
    recursive: bool,
    #[command(flatten)]
    budgets: BudgetArgs,
    /// Replace the content of a non-empty output directory (only once the new content is
    /// complete).
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// Files to look into (nothing is written); with --names, file names to classify.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Classify the names alone, by Microsoft's naming conventions (no file access).
    #[arg(long)]
    names: bool,
    #[command(flatten)]
    budgets: BudgetArgs,
}

/// The decompression budgets, the same in every command that reads archives.
#[derive(Debug, Args)]
struct BudgetArgs {
    /// How deep nested archives may go (an input is depth 0).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    max_depth: u32,
    /// Most bytes to unpack in all, and per member (bytes, or with a K/M/G/T suffix: 64M, 2G).
    #[arg(long, value_name = "SIZE", default_value = "64G", value_parser = size_arg)]
    max_size: u64,
    /// Most members (files and folders) to unpack in all.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries)]
    max_entries: u64,
    /// Most bytes unpacked per byte of input, over the whole run (runs unpacking less than
    /// 256 MiB are not held to it): stops decompression bombs.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_ratio)]
    max_ratio: u64,
}

impl BudgetArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_depth: self.max_depth,
            max_total_bytes: self.max_size,
            max_entry_bytes: self.max_size,
            max_entries: self.max_entries,
            max_ratio: self.max_ratio,
        }
    }
}

fn size_arg(s: &str) -> Result<u64, String> {
    parse_size(s).map_err(|e| e.to_string())
}

/// How the user wants to be talked to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputConfig {
    pub json: bool,
    /// -1 quiet, 0 normal, 1+ verbose.
    pub verbosity: i8,
    pub color: ColorChoice,
    pub progress: bool,
}

/// Colour decision before looking at the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The trust anchors asked for: `--trust` files and whether Microsoft's built-in code-signing
/// roots count too (not with `--no-builtin-trust`).
#[derive(Debug, Clone, Default)]
pub struct TrustArgs {
    pub files: Vec<PathBuf>,
    pub builtin: bool,
}

/// A validated `build` request.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    pub product: String,
    pub roles: Vec<String>,
    pub langs: Vec<Lang>,
    pub bundle: Option<PathBuf>,
    pub sums: Vec<PathBuf>,
    pub baseline: Option<Build>,
    /// `--media`.
    pub media: Option<PathBuf>,
    /// `--language-pack CULTURE=PATH`.
    pub language_packs: Vec<(Lang, PathBuf)>,
    pub dry_run: bool,
    pub strict: bool,
    pub force: bool,
    pub allow_findings: bool,
    pub timestamp: bool,
    pub catalogs: Vec<PathBuf>,
    pub trust: TrustArgs,
    pub require_signature: bool,
    pub limits: Limits,
    /// `--threads` (0: one per processor).
    pub threads: usize,
    /// `--farm FARM.toml`.
    pub farm: Option<PathBuf>,
}

/// A validated request.
#[derive(Debug)]
pub enum Config {
    Extract {
        inputs: Vec<PathBuf>,
        output: PathBuf,
        options: ExtractOptions,
    },
    Inspect {
        inputs: Vec<PathBuf>,
        limits: Limits,
        trust: TrustArgs,
        threads: usize,
    },
    InspectNames {
        names: Vec<String>,
    },
    Build(Box<BuildConfig>),
    Verify {
        inputs: Vec<PathBuf>,
        sums: Vec<PathBuf>,
        baseline: Option<Build>,
        strict: bool,
        limits: Limits,
        catalogs: Vec<PathBuf>,
        trust: TrustArgs,
        /// `--require-signature`.
        require_signature: bool,
        threads: usize,
    },
    /// `catalog list`, with the `--catalog` files to add.
    CatalogList {
        catalogs: Vec<PathBuf>,
    },
    /// `catalog show PRODUCT`.
    CatalogShow {
        product: String,
        catalogs: Vec<PathBuf>,
    },
    /// `catalog check FILE`.
    CatalogCheck {
        file: PathBuf,
    },
    /// `farm check FILE [--product P]`, with the `--catalog` files to add.
    FarmCheck {
        file: PathBuf,
        product: Option<String>,
        catalogs: Vec<PathBuf>,
    },
    Completions(clap_complete::Shell),
    /// `man [COMMAND]`.
    Man(Option<String>),
}

impl Config {
    /// The command's name, as JSON documents report it.
    pub fn command_name(&self) -> &'static str {
        match self {
            Config::Extract { .. } => "extract",
            Config::Inspect { .. } | Config::InspectNames { .. } => "inspect",
            Config::Build(_) => "build",
            Config::Verify { .. } => "verify",
            Config::CatalogList { .. } => "catalog list",
            Config::CatalogShow { .. } => "catalog show",
            Config::CatalogCheck { .. } => "catalog check",
            Config::FarmCheck { .. } => "farm check",
            Config::Completions(_) => "completions",
            Config::Man(_) => "man",
        }
    }
}

impl Cli {
    /// Splits the parsed command line into output settings and the request.
    pub fn into_config(self) -> (OutputConfig, Config) {
        let g = self.global;
        let output = OutputConfig {
            json: g.json,
            verbosity: if g.quiet > 0 {
                -1
            } else {
                i8::try_from(g.verbose).unwrap_or(i8::MAX)
            },
            color: match g.color {
                ColorArg::Auto => ColorChoice::Auto,
                ColorArg::Always => ColorChoice::Always,
                ColorArg::Never => ColorChoice::Never,
            },
            progress: !g.no_progress && g.quiet == 0,
        };
        let catalogs = g.catalogs;
        let trust = TrustArgs {
            files: g.trust,
            builtin: !g.no_builtin_trust,
        };
        let threads = g.threads;
        let config = match self.command {
            Command::Extract(a) => Config::Extract {
                inputs: a.paths,
                output: a.output,
                options: ExtractOptions {
                    recursive: a.recursive,
                    limits: a.budgets.limits(),
                    force: a.force,
                },
            },
            Command::Inspect(a) if a.names => Config::InspectNames { names: a.paths },
            Command::Inspect(a) => Config::Inspect {
                inputs: a.paths.into_iter().map(PathBuf::from).collect(),
                limits: a.budgets.limits(),
                trust,
                threads,
            },
            Command::Build(a) => Config::Build(Box::new(BuildConfig {
                inputs: a.paths,
                output: a.output,
                product: a.product,
                roles: a.roles,
                langs: a.langs,
                bundle: a.bundle,
                sums: a.sums,
                baseline: a.baseline,
                media: a.media,
                language_packs: a.language_packs,
                dry_run: a.dry_run,
                strict: a.strict,
                force: a.force,
                allow_findings: a.allow_findings,
                timestamp: a.timestamp,
                catalogs: catalogs.clone(),
                trust: trust.clone(),
                require_signature: a.require_signature,
                limits: a.budgets.limits(),
                threads,
                farm: a.farm,
            })),
            Command::Verify(a) => Config::Verify {
                inputs: a.paths,
                sums: a.sums,
                baseline: a.baseline,
                strict: a.strict,
                limits: a.budgets.limits(),
                catalogs,
                trust,
                require_signature: a.require_signature,
                threads,
            },
            Command::Catalog(CatalogCommand::List) => Config::CatalogList { catalogs },
            Command::Catalog(CatalogCommand::Show { product }) => {
                Config::CatalogShow { product, catalogs }
            }
            Command::Catalog(CatalogCommand::Check { file }) => Config::CatalogCheck { file },
            Command::Farm(FarmCommand::Check { file, product }) => Config::FarmCheck {
                file,
                product,
                catalogs,
            },
            Command::Completions { shell } => Config::Completions(shell),
            Command::Man { command } => Config::Man(command),
        };
        (output, config)
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

/// A man page generated from the clap definitions: slipway(1), or a command's
/// (`slipway-build(1)`), with the exit codes. `None` for a command slipway does not have.
pub fn man_page(command: Option<&str>) -> std::io::Result<Option<Vec<u8>>> {
    let mut root = Cli::command();
    root.build();
    let cmd = match command {
        None => root,
        Some(name) => match root.find_subcommand(name) {
            Some(sub) => sub.clone(),
            None => return Ok(None),
        },
    };
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
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .collect();
        assert!(names.len() >= 7, "{names:?}");
        for name in names.iter().map(|n| Some(n.as_str())).chain([None]) {
            let page = man_page(name).unwrap().expect("a page");
            let text = String::from_utf8(page).unwrap();
            assert!(text.contains("EXIT STATUS"), "{name:?}");
            if let Some(n) = name {
                assert!(text.contains(&format!("slipway\\-{n}")), "{name:?}: {text}");
            }
        }
        assert!(man_page(Some("frobnicate")).unwrap().is_none());
    }

    #[test]
    fn extract_arguments_become_options() {
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
        ])
        .unwrap();
        let (out, config) = cli.into_config();
        assert!(out.json);
        let Config::Extract {
            inputs, options, ..
        } = config
        else {
            panic!("not extract");
        };
        assert_eq!(inputs.len(), 2);
        assert!(options.recursive);
        assert_eq!(options.limits.max_total_bytes, 2 << 30);
        assert_eq!(options.limits.max_depth, 3);
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
        let (_, config) = cli.into_config();
        let Config::CatalogShow { product, catalogs } = config else {
            panic!("not catalog show");
        };
        assert_eq!(product, "sharepoint-2007");
        assert_eq!(catalogs, [PathBuf::from("a.json"), PathBuf::from("b.json")]);
        let cli = Cli::try_parse_from(["slipway", "catalog", "check", "x.json"]).unwrap();
        assert!(matches!(cli.into_config().1, Config::CatalogCheck { .. }));
    }

    #[test]
    fn bad_sizes_are_usage_errors() {
        let err = Cli::try_parse_from(["slipway", "extract", "a", "-o", "o", "--max-size", "1.5G"])
            .unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
    }
}
