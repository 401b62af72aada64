//! Fuzz target: any bytes through sniffing and every container reader, into a sink that
//! discards. Must never panic, hang or allocate without bound.
#![no_main]

use std::io::{Cursor, Read};

use libfuzzer_sys::fuzz_target;
use slipway::formats::ReadError as Error;
use slipway::formats::cab::{self, NoVolumes};
use slipway::formats::{Entry, EntrySink, Format, disc, msi, pe, sniff, zip};
use slipway::model::Origin;

/// Discards every member; `ahead`: lets cabinets decode on a thread of their own (the
/// reading-ahead path of `extract --threads`), chosen by the input's length.
struct Discard {
    ahead: bool,
}

impl EntrySink for Discard {
    fn file(&mut self, entry: &Entry<'_>, data: &mut dyn Read) -> Result<(), Error> {
        // Bound what one member may produce so the fuzzer is not slowed by big outputs.
        std::io::copy(&mut data.take(64 << 20), &mut std::io::sink())
            .map_err(|e| Error::reading(entry.origin, e))?;
        Ok(())
    }

    fn directory(&mut self, _entry: &Entry<'_>) -> Result<(), Error> {
        Ok(())
    }

    fn decode_ahead(&self) -> bool {
        self.ahead
    }
}

fuzz_target!(|data: &[u8]| {
    let origin = Origin::input("fuzz");
    let ahead = data.len() % 2 == 1;
    // Authenticode: whatever the format, a verdict or an I/O error, never a panic.
    let source = slipway::formats::payload::BytesSource(std::sync::Arc::from(data.to_vec()));
    let _ = slipway::authenticode::check(sniff(data), &source, &Default::default());
    let reader = || Box::new(Cursor::new(data.to_vec()));
    let _ = match sniff(data) {
        Format::Cab => cab::extract(reader(), &origin, &mut NoVolumes, &mut Discard { ahead }),
        Format::Zip => zip::extract(reader(), &origin, &mut Discard { ahead }),
        Format::DiscImage => disc::extract(reader(), &origin, &mut Discard { ahead }),
        Format::CompoundFile => {
            let _ = msi::facts(reader());
            for view in [msi::MsiView::Installed, msi::MsiView::Streams] {
                let _ = msi::extract(
                    reader(),
                    &origin,
                    &mut NoVolumes,
                    &mut Discard { ahead },
                    view,
                );
            }
            Ok(())
        }
        Format::Executable | Format::Unknown => {
            let mut r = Cursor::new(data);
            let _ = pe::facts(&mut r, data.len() as u64);
            let _ = pe::locate(&mut r, data.len() as u64);
            let _ = slipway::formats::burn::containers(&mut r, data.len() as u64);
            let _ = slipway::formats::burn::payload_names(data);
            let _ = cab::scan(&mut r, data.len() as u64);
            Ok(())
        }
    };
});
