//! WiX Burn bundles (bootstrapper `.exe`): their containers, and their payloads under the
//! names the bundle's manifest gives them.
//!
//! A bundle stores its payloads in cabinets under internal names: the UX container holds the
//! manifest (member `0`, `BurnManifest.xml`) and the bootstrapper application's files (`u0`,
//! `u1`, …), the attached containers the packages (`a0`, `a1`, …). The manifest's `Payload`
//! elements map each `SourcePath` to the payload's `FilePath` (WiX `src/burn/engine/
//! payload.cpp`, `container.cpp`, `section.cpp`; third-party). Extracted, the attached payloads
//! get their real names, so an MSI finds its external cabinet beside it; the UX container's
//! files go into `UX/`. A member the manifest does not name keeps its internal name.

use std::collections::HashMap;
use std::io::{self, Read, SeekFrom};

use crate::formats::bytes::u32_at;
use crate::formats::cab::{self, NoVolumes};
use crate::formats::pe;
use crate::formats::window::Window;
use crate::formats::{Entry, EntrySink, ReadError, ReadSeek, Renaming};
use crate::model::{Origin, OriginStep};

use super::payload::Source;

/// Where a WiX Burn bundle keeps its containers: the UX container (the bootstrapper
/// application and the manifest) right after the engine stub, the attached containers (the
/// packages) after the whole engine. From the `.wixburn` section (WiX
/// `src/burn/engine/section.cpp`, third-party: `BURN_SECTION_HEADER`,
/// `SectionGetAttachedContainerInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BurnContainers {
    /// `(offset, size)` of the UX container.
    pub ux: (u64, u64),
    /// `(offset, size)` of each attached container present in the file (a detached one,
    /// downloaded at install time, starts at or past the end and is left out).
    pub attached: Vec<(u64, u64)>,
}

/// `BURN_SECTION_MAGIC`, `BURN_SECTION_VERSION`, and the cabinet container format
/// (`BURN_CONTAINER_TYPE_CABINET`).
const BURN_MAGIC: u32 = 0x00f1_4300;
const BURN_VERSION: u32 = 2;
const BURN_FORMAT_CABINET: u32 = 1;
/// The fixed part of `BURN_SECTION_HEADER`, before the container sizes.
const BURN_HEADER: usize = 48;
/// More containers than a real bundle has (each is a DWORD of the section).
const MAX_BURN_CONTAINERS: u32 = 1024;

/// The containers of a WiX Burn bundle, when `r` is one whose containers are cabinets:
/// `None` for any other file, and for a `.wixburn` section of another version or format
/// (the payloads are then found like those of any other executable).
pub fn containers(r: &mut dyn ReadSeek, len: u64) -> io::Result<Option<BurnContainers>> {
    let Some(image) = pe::Headers::read(r, len)? else {
        return Ok(None);
    };
    let Some((at, raw)) = image.section(b".wixburn") else {
        return Ok(None);
    };
    let size = raw.min(BURN_HEADER as u64 + 4 * u64::from(MAX_BURN_CONTAINERS));
    let mut h = vec![0u8; usize::try_from(size).unwrap_or(0)];
    if h.len() < BURN_HEADER + 4 || at.saturating_add(size) > len {
        return Ok(None);
    }
    r.seek(SeekFrom::Start(at))?;
    r.read_exact(&mut h)?;
    if u32_at(&h, 0) != BURN_MAGIC
        || u32_at(&h, 4) != BURN_VERSION
        || u32_at(&h, 40) != BURN_FORMAT_CABINET
    {
        return Ok(None);
    }
    let count = u32_at(&h, 44);
    if count == 0 || count > MAX_BURN_CONTAINERS || BURN_HEADER + 4 * count as usize > h.len() {
        return Ok(None);
    }
    let sizes: Vec<u64> = (0..count as usize)
        .map(|i| u64::from(u32_at(&h, BURN_HEADER + 4 * i)))
        .collect();
    let stub = u64::from(u32_at(&h, 24));
    let (original_signature, original_signature_size) =
        (u64::from(u32_at(&h, 32)), u64::from(u32_at(&h, 36)));
    // The engine ends after its signature when it has one (the original one, kept here when
    // the bundle was re-signed), else after the UX container.
    let engine = if original_signature != 0 {
        original_signature + original_signature_size
    } else if let Some((offset, size)) = image.certificate() {
        offset + size
    } else {
        stub + sizes[0]
    };
    let mut attached = Vec::with_capacity(sizes.len() - 1);
    let mut offset = engine;
    for &size in &sizes[1..] {
        if offset < len {
            attached.push((offset, size));
        }
        offset = offset.saturating_add(size);
    }
    Ok(Some(BurnContainers {
        ux: (stub, sizes[0]),
        attached,
    }))
}

/// The UX container's member holding the manifest (`MANIFEST_CABINET_TOKEN`).
const MANIFEST_MEMBER: &str = "0";
/// What the manifest is called when extracted.
pub const MANIFEST_NAME: &str = "BurnManifest.xml";
/// The folder of the UX container's files.
pub const UX_FOLDER: &str = "UX";
/// A manifest larger than this is not read for names (real ones are tens of KiB).
const MAX_MANIFEST: u64 = 16 << 20;

/// Extracts the containers of a bundle: the UX container first (its manifest names the rest),
/// then every attached container.
pub fn extract(
    source: &dyn Source,
    containers: &BurnContainers,
    origin: &Origin,
    sink: &mut dyn EntrySink,
) -> Result<(), ReadError> {
    let read_err = |e| ReadError::reading(origin, e);
    let (ux_at, ux_len) = containers.ux;
    let ux_origin = origin.child(OriginStep::Offset(ux_at));
    let window = Window::new(source.open().map_err(read_err)?, ux_at, ux_len);
    let mut ux = UxSink {
        inner: sink,
        names: HashMap::new(),
    };
    cab::extract(Box::new(window), &ux_origin, &mut NoVolumes, &mut ux)?;
    let names = ux.names;
    for &(at, len) in &containers.attached {
        sink.check_interrupt()?;
        let window = Window::new(source.open().map_err(read_err)?, at, len);
        let mut renamed = Renaming {
            inner: &mut *sink,
            rename: |stored: &str| names.get(stored).cloned(),
        };
        cab::extract(
            Box::new(window),
            &origin.child(OriginStep::Offset(at)),
            &mut NoVolumes,
            &mut renamed,
        )?;
    }
    Ok(())
}

/// Receives the UX container: reads the manifest as it passes, and puts the container's files
/// into `UX/` under their names.
struct UxSink<'a> {
    inner: &'a mut dyn EntrySink,
    /// `SourcePath` → `FilePath` of every payload, once the manifest went by.
    names: HashMap<String, String>,
}

impl EntrySink for UxSink<'_> {
    fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), ReadError> {
        if entry.name == MANIFEST_MEMBER && self.names.is_empty() {
            let name = format!("{UX_FOLDER}/{MANIFEST_NAME}");
            let mut manifest = Vec::new();
            let mut tee = Tee {
                inner: data,
                copy: &mut manifest,
                room: MAX_MANIFEST,
            };
            self.inner.file(
                &Entry {
                    name: &name,
                    ..*entry
                },
                &mut tee,
            )?;
            self.names = payload_names(&manifest);
            return Ok(());
        }
        let real = self
            .names
            .get(entry.name)
            .map_or(entry.name, String::as_str);
        let name = format!("{UX_FOLDER}/{real}");
        self.inner.file(
            &Entry {
                name: &name,
                ..*entry
            },
            data,
        )
    }

    fn directory(&mut self, entry: &Entry<'_>) -> Result<(), ReadError> {
        self.inner.directory(entry)
    }

    fn check_interrupt(&self) -> Result<(), ReadError> {
        self.inner.check_interrupt()
    }

    fn announce(&mut self, origin: &Origin, entries: u64) -> Result<(), ReadError> {
        self.inner.announce(origin, entries)
    }

    fn decode_ahead(&self) -> bool {
        self.inner.decode_ahead()
    }
}

/// A reader that keeps a copy of up to `room` bytes of what passes through it.
struct Tee<'a, R> {
    inner: R,
    copy: &'a mut Vec<u8>,
    room: u64,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let keep = usize::try_from(self.room).unwrap_or(usize::MAX).min(n);
        self.copy
            .extend_from_slice(buf.get(..keep).unwrap_or_default());
        self.room -= keep as u64;
        Ok(n)
    }
}

/// `SourcePath` → `FilePath` of every `Payload` element of a manifest (UTF-8 or UTF-16 XML);
/// empty when there is none or the text cannot be read.
pub fn payload_names(manifest: &[u8]) -> HashMap<String, String> {
    let mut names = HashMap::new();
    let Some(text) = decode(manifest) else {
        return names;
    };
    let mut rest = text.as_str();
    while let Some(at) = rest.find("<Payload") {
        rest = &rest[at + "<Payload".len()..];
        // `<PayloadGroup…` and the like are other elements.
        if !rest.starts_with(|c: char| c.is_ascii_whitespace()) {
            continue;
        }
        let Some(end) = tag_end(rest) else {
            break;
        };
        let attrs = attributes(&rest[..end]);
        rest = &rest[end..];
        let (Some(source), Some(file)) = (attrs.get("SourcePath"), attrs.get("FilePath")) else {
            continue;
        };
        if !source.is_empty() && !file.is_empty() {
            names.insert(source.clone(), file.clone());
        }
    }
    names
}

/// The manifest as text: UTF-16 with a byte order mark, else UTF-8 (a mark dropped).
fn decode(bytes: &[u8]) -> Option<String> {
    match bytes {
        [0xFF, 0xFE, rest @ ..] | [0xFE, 0xFF, rest @ ..] => {
            let le = bytes[0] == 0xFF;
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .map(|c| {
                    if le {
                        u16::from_le_bytes([c[0], c[1]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]])
                    }
                })
                .collect();
            String::from_utf16(&units).ok()
        }
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).ok(),
        _ => String::from_utf8(bytes.to_vec()).ok(),
    }
}

/// Where the start tag in `s` ends (its `>`), quotes respected.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The `name="value"` attributes of a start tag's inside, entities decoded.
fn attributes(tag: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq]
            .trim()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or("");
        let after = rest[eq + 1..].trim_start();
        let Some(q) = after.chars().next().filter(|c| matches!(c, '"' | '\'')) else {
            break;
        };
        let Some(close) = after[1..].find(q) else {
            break;
        };
        out.insert(name.to_owned(), unescape(&after[1..1 + close]));
        rest = &after[1 + close + 1..];
    }
    out
}

/// XML's five entities and character references.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_names_come_from_the_manifest() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<BurnManifest xmlns="http://schemas.microsoft.com/wix/2008/Burn">
  <UX><Payload Id="thm" FilePath="thm.xml" Packaging="embedded" SourcePath="u0" /></UX>
  <Container Id="WixAttachedContainer" Attached="yes" AttachedIndex="1" />
  <PayloadGroup Id="x" />
  <Payload Id="app" FilePath="redist\App &amp; Tools.msi" SourcePath='a0' Container="WixAttachedContainer"/>
  <Payload Id="cab" SourcePath="a1" FilePath="app1.cab" />
  <Payload Id="remote" FilePath="web.msi" Packaging="external" />
</BurnManifest>"#;
        let names = payload_names(xml.as_bytes());
        assert_eq!(names.len(), 3, "{names:?}");
        assert_eq!(names["u0"], "thm.xml");
        assert_eq!(names["a0"], r"redist\App & Tools.msi");
        assert_eq!(names["a1"], "app1.cab");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(xml.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(payload_names(&utf16), names);
    }

    #[test]
    fn malformed_manifests_give_no_names_and_never_panic() {
        for xml in [
            &b""[..],
            b"<Payload",
            b"<Payload SourcePath=\"a0",
            b"<Payload SourcePath=a0 FilePath=x>",
            b"<Payload FilePath=\"&#xFFFFFFFF;&#55296;&;&amp\" SourcePath=\"a0\">",
            &[0xFF, 0xFE, 0x00],
            &[0xC3, 0x28],
        ] {
            let _ = payload_names(xml);
        }
        assert_eq!(
            payload_names(b"<Payload FilePath=\"&#x41;&#66;&bad;\" SourcePath=\"a0\">")["a0"],
            "AB&bad;"
        );
    }
}
