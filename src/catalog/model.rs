//! The catalog data model: what slipway knows about a product (components, patch families,
//! roles, install order, known releases, setup quirks), as stored in `manifests/*.json`.
//!
//! Field names are the JSON keys (snake_case). The JSON Schema kept beside the catalogs
//! (`manifests/catalog.schema.json`) describes the same shape; keep both in step. Values are
//! parsed into domain types once, when a catalog is loaded: a KB, build, architecture, digest or
//! month that does not parse refuses the catalog.

use serde::{Deserialize, Serialize};

use crate::model::{Arch, Build, Kb, Lang, Sha1, Sha256, YearMonth};

/// A value that a catalog may leave empty (`"kb": ""`, `"build": ""`: no source gives it).
mod empty_is_none {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => v.serialize(s),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(None);
        }
        T::deserialize(serde::de::value::StrDeserializer::<D::Error>::new(&text)).map(Some)
    }
}

/// One product's catalog (one `manifests/<id>.json`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Always 1 for this format.
    pub schema_version: u32,
    /// Stable id used on the command line: `sharepoint-2007`, `exchange-2007`, …
    pub id: String,
    pub title: String,
    /// Where the facts come from (vendor documents, reference files).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Architectures the product's packages exist for (`x86`, `x64`, `ia64`); a farm must not
    /// mix them.
    #[serde(default)]
    pub architectures: Vec<Arch>,
    /// Whether localized patches go to language-pack folders
    /// (`<role>/LanguagePacks/<culture>/Updates/`).
    #[serde(default)]
    pub language_packs: bool,
    /// Components in install order (WSS before MOSS).
    pub components: Vec<Component>,
    /// Server roles, each with its place in the rollout.
    pub roles: Vec<Role>,
    /// Known releases (service packs, cumulative updates, rollups, hotfixes), oldest first.
    pub releases: Vec<Release>,
    /// The vendor's recommended sequence, by release id (`wss-sp2`, `moss-sp2`, …), when one
    /// is documented.
    #[serde(default)]
    pub recommended_sequence: Vec<String>,
    /// Setup quirks the slipstream builder applies.
    #[serde(default)]
    pub quirks: Vec<Quirk>,
    /// Families whose patches hold every fix of other families (Subscription Edition's
    /// unified "uber" patch from March 2023 replaces the `sts` and `wssloc` patches): a patch
    /// of `family` supersedes the patches of `replaces` of lower builds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unified: Vec<Unified>,
    /// Packages released in pairs, whose language-dependent part is not released every month
    /// (SharePoint 2016, 2019: `sts` and `wssloc`): a month without one takes the newest one
    /// released before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub language_dependent: Vec<LanguageDependent>,
    /// Steps after installing updates (configuration wizard, …), in order.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// How a farm of the product is updated, server by server (`build --farm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<super::rollout::Rollout>,
    /// How to recognise the product's setup media (`build --media`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
}

/// What the product's setup media look like.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Media {
    /// The editions whose media this product's updates apply to, each recognised by the
    /// `ProductName` of the version resource of the media's `setup.exe` (an edition with no
    /// `product_names` is recognised by the build and files below).
    pub editions: Vec<Edition>,
    /// The product's first (RTM) build. Products that share a major and minor version
    /// (SharePoint Server 2016, 2019 and Subscription Edition are all 16.0) are told apart by
    /// it: a medium's setup build belongs to the product with the highest `min_build` not
    /// above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_build: Option<Build>,
    /// Files (paths from the medium's root, `/`-separated, compared case-insensitively) the
    /// product's setup media hold: a medium without one of them is not the product's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_files: Vec<String>,
    /// The same for the product's language-pack media.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub language_pack_files: Vec<String>,
    /// Where the facts come from, and what the sources do not say.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// One edition of the product's media (Office SharePoint Server 2007, Windows SharePoint
/// Services 3.0, …).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Edition {
    pub id: String,
    pub title: String,
    /// Text the media's `setup.exe` `ProductName` contains (compared case-insensitively);
    /// none: the edition is recognised by `min_build` and `required_files`.
    #[serde(default)]
    pub product_names: Vec<String>,
    /// The components its setup installs.
    #[serde(default)]
    pub components: Vec<String>,
}

/// A component of the product (a separately patched part, such as WSS under MOSS).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub id: String,
    pub title: String,
    /// Patch families of this component, lower-case (`sts`, `wssmui`, `coreserver`, …).
    /// A `mui` family is localized; the rest are global unless `localized_families` says so.
    pub families: Vec<String>,
    /// Families whose patches are language-specific (`wssmui`, `coreservermui`).
    #[serde(default)]
    pub localized_families: Vec<String>,
    /// Components that must be installed (and updated) before this one.
    #[serde(default)]
    pub requires: Vec<String>,
}

/// A kind of server in a farm.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub id: String,
    pub title: String,
    /// Rollout order: 1 is updated first.
    pub rollout_rank: u32,
    /// Components installed on this role (all of the product's when empty).
    #[serde(default)]
    pub components: Vec<String>,
    /// Families only this role (and others listing them) gets; a family listed by some role
    /// is left out of roles that do not list it.
    #[serde(default)]
    pub role_families: Vec<String>,
    /// Notes for the administrator (passive nodes first, SCR targets before their source…).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Whether the role's servers belong to a pool (the farm file's `pool`).
    #[serde(default, skip_serializing_if = "Pool::is_none")]
    pub pool: Pool,
}

/// Whether a role's servers name their pool in the farm file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pool {
    /// No pools for this role.
    #[default]
    None,
    /// A server may name its pool (an Enterprise pool's front end; not a Standard Edition
    /// server).
    Optional,
    /// Every server names its pool (a pool's back-end database server).
    Required,
}

impl Pool {
    /// No pools (the default, left out when a catalog is written).
    pub fn is_none(&self) -> bool {
        *self == Pool::None
    }
}

/// The kind of a release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseKind {
    Rtm,
    ServicePack,
    CumulativeUpdate,
    PublicUpdate,
    UpdateRollup,
    SecurityUpdate,
    Hotfix,
    LanguagePack,
    Tool,
}

/// A known release.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Unique within the catalog (`wss-sp2`, `2009-10-cu-moss`, `sp2010-2019-12`).
    pub id: String,
    /// As the vendor names it (`Service Pack 2`, `October 2009 CU`, `December 2019`).
    pub name: String,
    pub kind: ReleaseKind,
    /// The component it updates (omitted for a release that updates the whole product).
    #[serde(default)]
    pub component: Option<String>,
    /// `YYYY-MM` when known (used for ordering and "builds that go backwards in time").
    #[serde(default)]
    pub date: Option<YearMonth>,
    /// Digits only; empty when no source gives it (`catalog check` warns: `missing-kb`).
    #[serde(with = "empty_is_none")]
    pub kb: Option<Kb>,
    /// Four-part build (`12.0.6520.5000`); empty when no source gives it (`missing-build`).
    #[serde(with = "empty_is_none")]
    pub build: Option<Build>,
    /// The baseline this release needs installed first (a service pack's build), if any.
    #[serde(default)]
    pub requires_build: Option<Build>,
    /// Service-pack level an update rollup series is tied to (Exchange: `SP1`).
    #[serde(default)]
    pub service_pack_level: Option<String>,
    /// The downloadable packages.
    #[serde(default)]
    pub files: Vec<ReleaseFile>,
    /// The patches inside, when documented (family, file name, roles).
    #[serde(default)]
    pub patches: Vec<ReleasePatch>,
    /// Anything a reviewer of the data should know (a documented vendor anomaly, …).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Withdrawn by the vendor (why, with the source): a package of this release, or of its
    /// build, is an error, never installed.
    #[serde(default)]
    pub withdrawn: Option<String>,
}

/// A downloadable package of a release.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseFile {
    pub name: String,
    /// The package's own KB (digits only) when it is not the release's: a release made of
    /// several packages (`sts2016-kb3141486-…` and `wssloc2016-kb3141487-…`), or a package
    /// carried unchanged into later releases. Omitted: the release's `kb`.
    #[serde(default)]
    pub kb: Option<Kb>,
    #[serde(default)]
    pub arch: Option<Arch>,
    #[serde(default)]
    pub language: Option<Lang>,
    #[serde(default)]
    pub sha256: Option<Sha256>,
    #[serde(default)]
    pub sha1: Option<Sha1>,
    #[serde(default)]
    pub size: Option<u64>,
}

/// A patch known to be inside a release.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasePatch {
    pub family: String,
    /// File name as shipped (`coreserver-x-none.msp`); `<culture>` stands for any language.
    #[serde(default)]
    pub file: Option<String>,
    /// Roles that need it (all roles when empty): OCS publishes a role → update-file table.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A family whose patches replace other families' (see [`Catalog::unified`]).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Unified {
    /// The family (a patch's family, or a package's stem: `uber` for
    /// `uber-subscription-kb…-fullfile-x64-glb.exe`).
    pub family: String,
    /// The families it replaces.
    pub replaces: Vec<String>,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A language-independent package and its language-dependent partner (package stems, as
/// `names::package_stem` reads them: `sts`, `wssloc`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageDependent {
    /// The package every release has (`sts`).
    pub core: String,
    /// The language-dependent package, not released every month (`wssloc`).
    pub partner: String,
    /// What the vendor says to do in a month without one.
    pub text: String,
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A setup quirk the builder applies.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Quirk {
    pub id: String,
    pub description: String,
    /// A file that must not stay in `Updates` when a component is present (MOSS source:
    /// the WSS `wsssetup.dll` setup controller).
    #[serde(default)]
    pub remove_file: Option<String>,
    /// A download placed whole in every role's `Updates` folder, besides the patches taken
    /// out of it (OCS: the Cumulative Server Update Installer, run on every server).
    #[serde(default)]
    pub place_file: Option<String>,
    /// The component whose presence triggers the quirk.
    #[serde(default)]
    pub when_component: Option<String>,
    /// The roles a `place_file` goes to (every role when empty).
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A step after installing updates.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub text: String,
    /// Run once per server (`per-server`) or once per farm (`per-farm`).
    #[serde(default)]
    pub scope: Option<String>,
    /// Roles in the order the step is run on them (first: the Central Administration server).
    #[serde(default)]
    pub role_order: Vec<String>,
}
