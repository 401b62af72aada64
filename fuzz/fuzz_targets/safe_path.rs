//! Fuzz target: the path checker never panics, and what it accepts never escapes; the name
//! classifier never panics on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slipway::safe_path::SafePath;

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let _ = slipway::names::classify_name(name);
    for is_dir in [false, true] {
        if let Ok(p) = SafePath::new(name, is_dir) {
            for c in p.components() {
                assert!(!c.is_empty() && c != ".." && c != ".");
                assert!(!c.contains(['/', '\\', ':', '\0']));
            }
        }
    }
});
