//! UDF structures no Debian tool writes into an image: the 2.50 metadata partition, extended
//! file entries, embedded data, long allocation descriptors, allocation extent descriptors and
//! unrecorded extents, in small images built here descriptor by descriptor.

use std::io::{Cursor, Read};

use super::tag::crc16;
use crate::formats::disc::{DiscError, extract};
use crate::formats::{Entry, EntrySink, FormatError, ReadError};
use crate::model::Origin;

const BS: usize = 2048;
/// The partition's first block and length; the closing anchor follows it.
const P: usize = 300;
const L: usize = 60;
const N: usize = P + L + 1;
/// With a metadata partition: its blocks are physical blocks `META..META + 20`, and the
/// metadata file's entry is at physical block `MF`.
const META: u32 = 10;
const MF: u32 = 55;

#[derive(Default)]
struct Sink {
    files: Vec<(String, Vec<u8>)>,
    dirs: Vec<String>,
}

impl EntrySink for Sink {
    fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), ReadError> {
        let mut buf = Vec::new();
        data.read_to_end(&mut buf)
            .map_err(|e| ReadError::reading(entry.origin, e))?;
        assert_eq!(buf.len() as u64, entry.size, "{}", entry.name);
        self.files.push((entry.name.to_owned(), buf));
        Ok(())
    }

    fn directory(&mut self, entry: &Entry<'_>) -> Result<(), ReadError> {
        self.dirs.push(entry.name.to_owned());
        Ok(())
    }
}

fn read(image: Vec<u8>) -> Result<Sink, ReadError> {
    let mut sink = Sink::default();
    extract(
        Box::new(Cursor::new(image)),
        &Origin::input("t.iso"),
        &mut sink,
    )?;
    Ok(sink)
}

fn disc_error(image: Vec<u8>) -> DiscError {
    match read(image) {
        Err(ReadError::Format {
            source: FormatError::Disc(e),
            ..
        }) => e,
        Err(e) => panic!("not a disc error: {e}"),
        Ok(_) => panic!("read without error"),
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect()
}

fn put16(d: &mut [u8], at: usize, v: u16) {
    d[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(d: &mut [u8], at: usize, v: u32) {
    d[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(d: &mut [u8], at: usize, v: u64) {
    d[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Writes a tag at the start of `d` (a descriptor of `d.len()` bytes) and seals it.
fn seal(d: &mut [u8], id: u16, location: u32) {
    put16(d, 0, id);
    put16(d, 2, 3);
    put16(d, 10, (d.len() - 16) as u16);
    put32(d, 12, location);
    let crc = crc16(&d[16..]);
    put16(d, 8, crc);
    d[4] = d[..16]
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != 4)
        .fold(0u8, |a, (_, &b)| a.wrapping_add(b));
}

fn short_ad(kind: u32, len: u32, lbn: u32) -> Vec<u8> {
    let mut ad = vec![0u8; 8];
    put32(&mut ad, 0, kind << 30 | len);
    put32(&mut ad, 4, lbn);
    ad
}

fn long_ad(kind: u32, len: u32, lbn: u32, partition: u16) -> Vec<u8> {
    let mut ad = vec![0u8; 16];
    put32(&mut ad, 0, kind << 30 | len);
    put32(&mut ad, 4, lbn);
    put16(&mut ad, 8, partition);
    ad
}

/// A file entry (or an extended one) of `file_type` with allocation descriptors of
/// `ad_type` (3: `ads` is the embedded data).
fn file_entry(extended: bool, file_type: u8, size: u64, ad_type: u16, ads: &[u8]) -> Vec<u8> {
    let base = if extended { 216 } else { 176 };
    let mut d = vec![0u8; base + ads.len()];
    put16(&mut d, 20, 4); // strategy 4
    put16(&mut d, 24, 1);
    d[27] = file_type;
    put16(&mut d, 34, ad_type);
    put64(&mut d, 56, size);
    let l_ad = if extended { 212 } else { 172 };
    put32(&mut d, l_ad, ads.len() as u32);
    d[base..].copy_from_slice(ads);
    d
}

/// A file identifier descriptor (sealed later, with its padding).
fn fid(characteristics: u8, name: &[u8], lbn: u32, partition: u16) -> Vec<u8> {
    let len = 38 + name.len();
    let mut d = vec![0u8; len.div_ceil(4) * 4];
    put16(&mut d, 16, 1);
    d[18] = characteristics;
    d[19] = name.len() as u8;
    d[20..36].copy_from_slice(&long_ad(0, BS as u32, lbn, partition));
    d[38..len].copy_from_slice(name);
    seal(&mut d, 257, 0);
    d
}

/// A small UDF image builder: blocks of the image, of the partition, of the ICB partition.
struct Image {
    data: Vec<u8>,
    /// Whether the ICBs are in a metadata partition (reference 1).
    meta: bool,
}

impl Image {
    fn new(meta: bool) -> Image {
        let mut img = Image {
            data: vec![0u8; N * BS],
            meta,
        };
        for (i, ident) in [b"BEA01", b"NSR03", b"TEA01"].iter().enumerate() {
            let at = (16 + i) * BS;
            img.data[at + 1..at + 6].copy_from_slice(*ident);
            img.data[at + 6] = 1;
        }
        for loc in [256, N - 1] {
            let mut avdp = vec![0u8; 512];
            put32(&mut avdp, 16, 3 * BS as u32);
            put32(&mut avdp, 20, 32);
            put32(&mut avdp, 24, 3 * BS as u32);
            put32(&mut avdp, 28, 32);
            seal(&mut avdp, 2, loc as u32);
            img.put_abs(loc, &avdp);
        }
        let mut pd = vec![0u8; 512];
        put32(&mut pd, 16, 1);
        put16(&mut pd, 20, 1);
        pd[25..31].copy_from_slice(b"+NSR03");
        put32(&mut pd, 184, 1);
        put32(&mut pd, 188, P as u32);
        put32(&mut pd, 192, L as u32);
        seal(&mut pd, 5, 32);
        img.put_abs(32, &pd);
        let mut maps = vec![1u8, 6, 1, 0, 0, 0];
        if meta {
            let mut m = vec![0u8; 64];
            m[0] = 2;
            m[1] = 64;
            m[5..28].copy_from_slice(b"*UDF Metadata Partition");
            put16(&mut m, 36, 1);
            put32(&mut m, 40, MF);
            put32(&mut m, 44, MF);
            put32(&mut m, 48, u32::MAX);
            maps.extend(m);
        }
        let mut lvd = vec![0u8; 440 + maps.len()];
        put32(&mut lvd, 16, 1);
        put32(&mut lvd, 212, BS as u32);
        lvd[248..264].copy_from_slice(&long_ad(0, BS as u32, 0, img.icb_part()));
        put32(&mut lvd, 264, maps.len() as u32);
        put32(&mut lvd, 268, if meta { 2 } else { 1 });
        lvd[440..].copy_from_slice(&maps);
        seal(&mut lvd, 6, 33);
        img.put_abs(33, &lvd);
        let mut td = vec![0u8; 512];
        seal(&mut td, 8, 34);
        img.put_abs(34, &td);
        if meta {
            // The metadata file: 20 blocks from physical block META.
            let ads = short_ad(0, 20 * BS as u32, META);
            let mut fe = file_entry(false, 250, 20 * BS as u64, 0, &ads);
            seal(&mut fe, 261, MF);
            img.put_phys(MF, &fe);
        }
        img
    }

    fn icb_part(&self) -> u16 {
        u16::from(self.meta)
    }

    fn put_abs(&mut self, block: usize, bytes: &[u8]) {
        self.data[block * BS..block * BS + bytes.len()].copy_from_slice(bytes);
    }

    fn put_phys(&mut self, lbn: u32, bytes: &[u8]) {
        self.put_abs(P + lbn as usize, bytes);
    }

    /// Writes at block `lbn` of the ICB partition; descriptors get that tag location.
    fn put_icb(&mut self, lbn: u32, bytes: &[u8]) {
        let phys = if self.meta { META + lbn } else { lbn };
        self.put_phys(phys, bytes);
    }

    fn descriptor(&mut self, lbn: u32, id: u16, mut d: Vec<u8>) {
        seal(&mut d, id, lbn);
        self.put_icb(lbn, &d);
    }
}

/// The tree: `hello.txt` (long_ad), `tíny` (embedded, extended file entry), `sub/` (an
/// embedded directory) holding `in-sub.bin` (descriptors continued in an allocation extent
/// descriptor, then an unrecorded extent), and `sparse` (recorded then unrecorded extents).
fn tree(meta: bool) -> Image {
    let mut img = Image::new(meta);
    let part = img.icb_part();
    // ICB partition blocks: 0 FSD, 1 root, 2 root's FIDs, 3-7 file entries, 8 AED, 9 data.
    let mut fsd = vec![0u8; 512];
    fsd[400..416].copy_from_slice(&long_ad(0, BS as u32, 1, part));
    img.descriptor(0, 256, fsd);
    let mut fids = fid(0x0A, b"", 1, part);
    fids.extend(fid(0, b"\x08hello.txt", 3, part));
    fids.extend(fid(0, b"\x10\x00t\x00\xed\x00n\x00y", 4, part));
    fids.extend(fid(0x02, b"\x08sub", 5, part));
    fids.extend(fid(0x04, b"\x08deleted", 3, part));
    fids.extend(fid(0, b"\x08sparse", 7, part));
    let len = fids.len() as u32;
    img.put_icb(2, &fids);
    img.descriptor(
        1,
        261,
        file_entry(false, 4, len.into(), 0, &short_ad(0, len, 2)),
    );
    // hello.txt: 5000 bytes at physical blocks 40-42, through a long_ad.
    img.put_phys(40, &pattern(5000, 1));
    let ads = long_ad(0, 5000, 40, 0);
    img.descriptor(3, 261, file_entry(false, 5, 5000, 1, &ads));
    img.descriptor(4, 266, file_entry(true, 5, 9, 3, b"tiny data"));
    // sub/: its FIDs embedded in its file entry.
    let mut sub = fid(0x0A, b"", 1, part);
    sub.extend(fid(0, b"\x08in-sub.bin", 6, part));
    let sub_len = sub.len() as u64;
    img.descriptor(5, 261, file_entry(false, 4, sub_len, 3, &sub));
    // in-sub.bin: its descriptors continue at block 8: 100 bytes at block 9, 50 unrecorded.
    let ads = short_ad(3, BS as u32, 8);
    img.descriptor(6, 261, file_entry(false, 5, 150, 0, &ads));
    let mut aed = vec![0u8; 24];
    aed.extend(short_ad(0, 100, 9));
    aed.extend(short_ad(1, 50, 0));
    put32(&mut aed, 20, 16);
    img.descriptor(8, 258, aed);
    img.put_icb(9, &pattern(100, 2));
    // sparse: one recorded block, then 4096 bytes neither recorded nor allocated.
    img.put_phys(43, &pattern(BS, 3));
    let mut ads = long_ad(0, BS as u32, 43, 0);
    ads.extend(long_ad(2, 4096, 0, 0));
    img.descriptor(7, 261, file_entry(false, 5, 6000, 1, &ads));
    img
}

fn expected() -> Vec<(String, Vec<u8>)> {
    let mut in_sub = pattern(100, 2);
    in_sub.resize(150, 0);
    let mut sparse = pattern(BS, 3);
    sparse.resize(6000, 0);
    vec![
        ("hello.txt".into(), pattern(5000, 1)),
        ("tíny".into(), b"tiny data".to_vec()),
        ("sub/in-sub.bin".into(), in_sub),
        ("sparse".into(), sparse),
    ]
}

#[test]
fn every_kind_of_descriptor_is_read() {
    let sink = read(tree(false).data).unwrap();
    assert_eq!(sink.files, expected());
    assert_eq!(sink.dirs, vec!["sub"]);
}

#[test]
fn a_metadata_partition_maps_the_icbs() {
    let sink = read(tree(true).data).unwrap();
    assert_eq!(sink.files, expected());
    assert_eq!(sink.dirs, vec!["sub"]);
}

#[test]
fn a_damaged_metadata_file_is_refused() {
    let mut img = tree(true);
    img.data[(P + MF as usize) * BS + 30] ^= 1;
    assert!(matches!(disc_error(img.data), DiscError::Bad { .. }));
}

#[test]
fn virtual_partitions_are_refused() {
    let mut img = tree(true);
    let lvd = 33 * BS;
    img.data[lvd + 446 + 5..lvd + 446 + 28].copy_from_slice(b"*UDF Virtual Partition\0");
    let mut d = img.data[lvd..lvd + 440 + 70].to_vec();
    seal(&mut d, 6, 33);
    img.put_abs(33, &d);
    assert!(matches!(
        disc_error(img.data),
        DiscError::Unsupported(m) if m.contains("Virtual")
    ));
}

#[test]
fn a_directory_that_holds_its_parent_is_a_loop() {
    let mut img = tree(false);
    // sub/ lists the root directory as a child folder.
    let mut sub = fid(0x0A, b"", 1, 0);
    sub.extend(fid(0x02, b"\x08again", 1, 0));
    let len = sub.len() as u64;
    img.descriptor(5, 261, file_entry(false, 4, len, 3, &sub));
    assert!(
        matches!(disc_error(img.data), DiscError::DirectoryLoop { path } if path == "sub/again")
    );
}

#[test]
fn an_allocation_extent_that_points_at_itself_is_refused() {
    let mut img = tree(false);
    let mut aed = vec![0u8; 24];
    aed.extend(short_ad(3, BS as u32, 8));
    put32(&mut aed, 20, 8);
    img.descriptor(8, 258, aed);
    assert!(
        matches!(disc_error(img.data), DiscError::Bad { reason, .. } if reason.contains("loop"))
    );
}

#[test]
fn sizes_beyond_the_image_are_refused() {
    // A file claiming more bytes than the image, in unrecorded extents.
    let mut img = tree(false);
    let mut ads = Vec::new();
    for _ in 0..4 {
        ads.extend(long_ad(1, 0x3FFF_F800, 0, 0));
    }
    img.descriptor(7, 261, file_entry(false, 5, 0xFFFF_0000, 1, &ads));
    assert!(matches!(disc_error(img.data), DiscError::TooLarge { .. }));
    // Descriptors overrunning their block.
    let mut img = tree(false);
    let mut fe = file_entry(false, 5, 10, 3, b"0123456789");
    put32(&mut fe, 172, 5000);
    img.descriptor(4, 261, fe);
    assert!(matches!(disc_error(img.data), DiscError::Bad { .. }));
    // An extent past the partition's end.
    let mut img = tree(false);
    let ads = long_ad(0, 5000, L as u32 - 1, 0);
    img.descriptor(3, 261, file_entry(false, 5, 5000, 1, &ads));
    assert!(
        matches!(disc_error(img.data), DiscError::Bad { reason, .. } if reason.contains("outside partition"))
    );
}

#[test]
fn symbolic_links_are_refused() {
    let mut img = tree(false);
    img.descriptor(4, 266, file_entry(true, 12, 9, 3, b"tiny data"));
    assert!(matches!(
        disc_error(img.data),
        DiscError::Special {
            kind: "symbolic link",
            ..
        }
    ));
}
