//! Domain types shared by every stage: the Origin chain of a node, digests, KB numbers, builds,
//! architectures, scopes, months and times; `Lang` and the Windows language tables in
//! `model/lang.rs`, the install manifest in `model/manifest.rs`. Each parses from and prints to
//! the one text form the catalogs, manifests and JSON contracts use.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer, Serialize};

pub mod chars;
pub mod manifest;

mod lang;

pub use lang::{Lang, lcid_language, windows_language_code};
pub(crate) use lang::{culture_from_subtags, is_language_subtag};

/// One step on the way from an input file to a node inside it.
///
/// Rendered with `Display` as a short human label; the whole chain is joined with ` › `.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
pub enum OriginStep {
    /// The file given on the command line (or found beside it).
    Input(PathBuf),
    /// A named PE resource, e.g. IExpress's `RCDATA/CABINET`.
    PeResource(String),
    /// An embedded archive found at a byte offset of its parent (PE overlay, raw section, scan).
    Offset(u64),
    /// Another volume of a cabinet set, opened by the name stored in a neighbour's header.
    Volume(String),
    /// A compound-file (MSI/MSP) stream, e.g. `PCW_CAB_sts` or `putty.cab`.
    Stream(String),
    /// A cabinet named in an MSI's Media table and read from beside the package.
    ExternalCabinet(String),
    /// A member of a container (cabinet file, zip entry).
    Member(String),
}

impl fmt::Display for OriginStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginStep::Input(p) => write!(f, "{}", p.display()),
            OriginStep::PeResource(n) => write!(f, "[pe rsrc {n}]"),
            OriginStep::Offset(o) => write!(f, "[@{o:#x}]"),
            OriginStep::Volume(n) => write!(f, "[volume {n}]"),
            OriginStep::Stream(n) => write!(f, "[stream {n}]"),
            OriginStep::ExternalCabinet(n) => write!(f, "[external cabinet {n}]"),
            OriginStep::Member(n) => f.write_str(n),
        }
    }
}

/// Where a node came from: the input file, then every container step down to the node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Origin(Vec<OriginStep>);

impl Origin {
    /// The origin of an input file.
    pub fn input(path: impl Into<PathBuf>) -> Self {
        Origin(vec![OriginStep::Input(path.into())])
    }

    /// This origin extended by one step (the receiver is left as it is).
    #[must_use]
    pub fn child(&self, step: OriginStep) -> Self {
        let mut steps = self.0.clone();
        steps.push(step);
        Origin(steps)
    }

    pub fn steps(&self) -> &[OriginStep] {
        &self.0
    }

    /// This origin with its input step replaced by `onto` (a file read from a staged copy,
    /// named as it is on the medium it came from).
    #[must_use]
    pub fn rebased(&self, onto: &Origin) -> Self {
        let mut steps = onto.0.clone();
        steps.extend(self.0.iter().skip(1).cloned());
        Origin(steps)
    }

    /// The rendered chain as a list of labels (what `--json` prints).
    pub fn labels(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" › ")?;
            }
            write!(f, "{step}")?;
        }
        Ok(())
    }
}

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

/// Parses `N` bytes of hex digits (either case).
fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// Deserializes a type from its text form with `parse`; `what` names it in the error.
pub(crate) fn from_text<'de, D: Deserializer<'de>, T>(
    d: D,
    parse: impl FnOnce(&str) -> Option<T>,
    what: &str,
) -> Result<T, D::Error> {
    let s = String::deserialize(d)?;
    parse(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not {what}")))
}

impl Sha256 {
    /// Parses 64 hex digits (either case).
    pub fn parse_hex(s: &str) -> Option<Sha256> {
        parse_hex(s).map(Sha256)
    }

    pub fn hex(&self) -> String {
        use fmt::Write;
        let mut s = String::with_capacity(64);
        for b in self.0 {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.hex())
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Sha256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, Sha256::parse_hex, "a SHA-256 (64 hex digits)")
    }
}

/// A SHA-1 digest (Microsoft Update catalog names carry one; Authenticode uses it too).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha1(pub [u8; 20]);

impl Sha1 {
    /// Parses 40 hex digits (either case).
    pub fn parse_hex(s: &str) -> Option<Sha1> {
        parse_hex(s).map(Sha1)
    }

    pub fn hex(&self) -> String {
        use fmt::Write;
        let mut s = String::with_capacity(40);
        for b in self.0 {
            let _ = write!(s, "{b:02x}");
        }
        s
    }
}

impl fmt::Debug for Sha1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha1({})", self.hex())
    }
}

impl fmt::Display for Sha1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex())
    }
}

impl Serialize for Sha1 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for Sha1 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, Sha1::parse_hex, "a SHA-1 (40 hex digits)")
    }
}

/// A Microsoft Knowledge Base article number (`KB953338` → 953338).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kb(pub u32);

impl Kb {
    /// Parses `953338`, `KB953338`, `kb953338` (4 to 8 digits).
    pub fn parse(s: &str) -> Option<Kb> {
        let s = s.trim();
        let digits = s
            .strip_prefix("KB")
            .or_else(|| s.strip_prefix("kb"))
            .or_else(|| s.strip_prefix("Kb"))
            .or_else(|| s.strip_prefix("kB"))
            .unwrap_or(s);
        if !(4..=8).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(Kb)
    }
}

impl fmt::Display for Kb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KB{}", self.0)
    }
}

impl Serialize for Kb {
    /// As digits only (`"953338"`), the form the JSON contracts use.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Kb {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, Kb::parse, "a KB number")
    }
}

/// A four-part build number, `12.0.6514.5002`, ordered part by part.
///
/// Service packs end `.1000`, cumulative updates `.5000`, and critical on-demand fixes after a
/// CU count up `.5001`, `.5002`, … (vendor documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Build(pub [u32; 4]);

impl Build {
    /// Parses `a.b.c.d` (also `a.b.c`, with d = 0), each part at most 9 digits.
    pub fn parse(s: &str) -> Option<Build> {
        let mut parts = [0u32; 4];
        let mut n = 0;
        for p in s.trim().split('.') {
            if n == 4 || p.is_empty() || p.len() > 9 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[n] = p.parse().ok()?;
            n += 1;
        }
        (n >= 3).then_some(Build(parts))
    }

    pub fn major(&self) -> u32 {
        self.0[0]
    }
}

impl fmt::Display for Build {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl Serialize for Build {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Build {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, Build::parse, "a build like 12.0.6520.5000")
    }
}

/// A calendar month, `YYYY-MM`: when a release came out (catalog `date`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    pub year: u16,
    /// 1 to 12.
    pub month: u8,
}

impl YearMonth {
    /// Parses `YYYY-MM` (a four-digit year, a month 01 to 12).
    pub fn parse(s: &str) -> Option<YearMonth> {
        let (y, m) = s.split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let month: u8 = m.parse().ok()?;
        (1..=12).contains(&month).then_some(YearMonth {
            year: y.parse().ok()?,
            month,
        })
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_text(d, YearMonth::parse, "a month like 2009-10")
    }
}

/// A processor architecture, as package names and PE headers state it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Arch {
    #[serde(rename = "x86")]
    X86,
    #[serde(rename = "x64")]
    X64,
    #[serde(rename = "ia64")]
    Ia64,
    /// Packages that carry both (`…-x86_x64-…`).
    #[serde(rename = "x86_x64")]
    X86X64,
}

impl Arch {
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
            Arch::Ia64 => "ia64",
            Arch::X86X64 => "x86_x64",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What sort of file a name denotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameKind {
    /// A self-extracting update package (`…-fullfile-x64-glb.exe`, a hotfix zip wrapper).
    PackageExe,
    /// A cabinet carrying update payload (catalog `…_<sha1>.cab`, split Office 2007 cabs).
    PackageCab,
    /// A Windows Installer patch (`.msp`).
    PatchMsp,
    /// Anything else: installers, images, `.msu`, `.zip`, tools.
    Other,
}

impl NameKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::PackageExe => "package-exe",
            NameKind::PackageCab => "package-cab",
            NameKind::PatchMsp => "patch-msp",
            NameKind::Other => "other",
        }
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Whether a patch or package is language-agnostic or carries one language's strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Global,
    Localized,
    Unknown,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Global => "global",
            Scope::Localized => "localized",
            Scope::Unknown => "unknown",
        })
    }
}

/// A UTC time of day on a proleptic Gregorian date, from or to seconds since 1970.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl UtcTime {
    /// The time `secs` seconds after 1970-01-01T00:00:00Z (negative: before it).
    pub fn from_unix(secs: i64) -> UtcTime {
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        // Days to civil date: Howard Hinnant's algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let part = |v: i64| u32::try_from(v).unwrap_or(0);
        UtcTime {
            year: yoe + era * 400 + i64::from(month <= 2),
            month: part(month),
            day: part(day),
            hour: part(rem / 3600),
            minute: part(rem % 3600 / 60),
            second: part(rem % 60),
        }
    }

    /// Seconds since 1970 of a UTC time written as RFC 3339 with `Z`
    /// (`2026-01-15T09:30:00Z`), a date (`2026-01-15`, midnight UTC) or `@SECONDS`; `None`
    /// for anything else (another time zone, a date that does not exist).
    pub fn parse_unix(text: &str) -> Option<i64> {
        if let Some(secs) = text.strip_prefix('@') {
            return secs.parse().ok();
        }
        let (date, time) = match text.split_once('T') {
            Some((d, t)) => (d, Some(t.strip_suffix('Z')?)),
            None => (text, None),
        };
        let num = |s: &str, len: usize| -> Option<i64> {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let mut d = date.split('-');
        let (y, m, day) = (num(d.next()?, 4)?, num(d.next()?, 2)?, num(d.next()?, 2)?);
        if d.next().is_some() || !(1..=12).contains(&m) || day < 1 {
            return None;
        }
        let days = UtcTime::days_from_civil(y, m, day);
        // A day past the month's end lands in the next month.
        if UtcTime::from_unix(days * 86_400).month != u32::try_from(m).ok()? {
            return None;
        }
        let secs = match time {
            None => 0,
            Some(t) => {
                let mut p = t.split(':');
                let (h, mi, s) = (num(p.next()?, 2)?, num(p.next()?, 2)?, num(p.next()?, 2)?);
                if p.next().is_some() || h > 23 || mi > 59 || s > 59 {
                    return None;
                }
                h * 3600 + mi * 60 + s
            }
        };
        Some(days * 86_400 + secs)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (civil to days, same algorithm).
    pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

impl fmt::Display for UtcTime {
    /// RFC 3339: `YYYY-MM-DDTHH:MM:SSZ`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_round_trip() {
        assert_eq!(UtcTime::from_unix(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            UtcTime::from_unix(1_256_644_800).to_string(),
            "2009-10-27T12:00:00Z"
        );
        assert_eq!(
            UtcTime::from_unix(951_782_400).to_string(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(UtcTime::days_from_civil(2000, 2, 29) * 86_400, 951_782_400);
        assert_eq!(UtcTime::from_unix(-1).to_string(), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn utc_times_are_parsed_strictly() {
        let t = [
            ("2009-10-27T12:00:00Z", Some(1_256_644_800)),
            ("2000-02-29", Some(951_782_400)),
            ("@1256644800", Some(1_256_644_800)),
            ("2001-02-29", None),
            ("2009-10-27T12:00:00", None),
            ("2009-10-27T12:00:00+01:00", None),
            ("2009-13-01", None),
            ("2009-10-27T24:00:00Z", None),
            ("09-10-27", None),
            ("yesterday", None),
            ("", None),
        ];
        for (text, want) in t {
            assert_eq!(UtcTime::parse_unix(text), want, "{text}");
        }
    }

    #[test]
    fn builds_parse_and_order_part_by_part() {
        let a = Build::parse("12.0.6514.5002").unwrap();
        let b = Build::parse("12.0.6520.5000").unwrap();
        assert!(a < b);
        assert!(Build::parse("12.0.6514.5001").unwrap() < a);
        assert_eq!(a.to_string(), "12.0.6514.5002");
        assert_eq!(
            Build::parse("16.0.10337").unwrap().to_string(),
            "16.0.10337.0"
        );
        assert!(Build::parse("12.0").is_none());
        assert!(Build::parse("1.2.3.4.5").is_none());
        assert!(Build::parse("1.x.3.4").is_none());
    }

    #[test]
    fn kbs_langs_and_sha1s_parse() {
        assert_eq!(Kb::parse("KB953338"), Some(Kb(953338)));
        assert_eq!(Kb::parse("2597083"), Some(Kb(2597083)));
        assert_eq!(Kb::parse("KBxxxxxx"), None);
        assert_eq!(Kb(953338).to_string(), "KB953338");
        assert_eq!(Lang::parse("en-US").unwrap().as_str(), "en-us");
        assert_eq!(Lang::parse("pt_BR").unwrap().as_str(), "pt-br");
        assert_eq!(Lang::parse("sr-Latn-CS").unwrap().as_str(), "sr-latn-cs");
        assert!(Lang::parse("x-none").is_none());
        assert!(Lang::parse("english").is_none());
        let h = "0123456789abcdef0123456789ABCDEF01234567";
        assert_eq!(Sha1::parse_hex(h).unwrap().hex(), h.to_lowercase());
        assert!(Sha1::parse_hex("xyz").is_none());
    }

    #[test]
    fn months_and_digests_parse_from_their_text() {
        let m = YearMonth::parse("2009-10").unwrap();
        assert_eq!(m.to_string(), "2009-10");
        assert!(YearMonth::parse("2009-12") > Some(m));
        for bad in ["2009-13", "2009-1", "09-10", "2009-00", "2009/10", ""] {
            assert_eq!(YearMonth::parse(bad), None, "{bad}");
        }
        let h = "ab".repeat(32);
        assert_eq!(Sha256::parse_hex(&h).unwrap().hex(), h);
        assert!(Sha256::parse_hex(&h[2..]).is_none());
        let kb: Kb = serde_json::from_str("\"953338\"").unwrap();
        assert_eq!(kb, Kb(953338));
        assert!(serde_json::from_str::<Build>("\"12.x\"").is_err());
        assert_eq!(
            serde_json::from_str::<Arch>("\"x86_x64\"").unwrap(),
            Arch::X86X64
        );
    }

    #[test]
    fn origin_renders_as_a_chain() {
        let o = Origin::input("pkg.exe")
            .child(OriginStep::PeResource("CABINET".into()))
            .child(OriginStep::Member("sts-x-none.msp".into()))
            .child(OriginStep::Stream("PCW_CAB_sts".into()));
        assert_eq!(
            o.to_string(),
            "pkg.exe › [pe rsrc CABINET] › sts-x-none.msp › [stream PCW_CAB_sts]"
        );
        assert_eq!(o.labels().len(), 4);
    }

    #[test]
    fn sha256_hex_is_lowercase_64_chars() {
        let h = Sha256([0xab; 32]);
        assert_eq!(h.hex(), "ab".repeat(32));
    }
}
