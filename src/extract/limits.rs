//! Decompression budgets: nesting depth, total bytes, bytes per entry, entry count, ratio of
//! bytes unpacked to bytes of input.
//!
//! A budget is checked before a member is written (declared size) and again while its bytes
//! flow (actual size), so a header that lies about sizes cannot get past it.

use std::fmt;

/// The budgets of one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Containers nested deeper than this are not opened (an input is depth 0).
    pub max_depth: u32,
    /// Bytes written in all, over every input.
    pub max_total_bytes: u64,
    /// Bytes of a single member.
    pub max_entry_bytes: u64,
    /// Members (files and directories) in all.
    pub max_entries: u64,
    /// Bytes unpacked per byte of input, over the whole run (a decompression bomb unpacks
    /// thousands); not applied below [`RATIO_FLOOR`] bytes unpacked.
    pub max_ratio: u64,
}

/// Runs that unpack less than this are not held to the ratio budget (small, highly
/// compressible packages are legitimate).
pub const RATIO_FLOOR: u64 = 256 << 20;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 8,
            max_total_bytes: 64 << 30,
            max_entry_bytes: 64 << 30,
            max_entries: 1_000_000,
            max_ratio: 100,
        }
    }
}

/// Which budget ran out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BudgetExceeded {
    #[error("nested deeper than the depth budget of {limit} (--max-depth)")]
    Depth { limit: u32 },
    #[error("output exceeds the size budget of {} (--max-size)", Size(*.limit))]
    TotalBytes { limit: u64 },
    #[error("member exceeds the per-entry size budget of {}", Size(*.limit))]
    EntryBytes { limit: u64 },
    #[error("more than {limit} members (--max-entries)")]
    Entries { limit: u64 },
    #[error(
        "unpacks more than {limit} bytes per byte of input (--max-ratio): a decompression bomb"
    )]
    Ratio { limit: u64 },
}

/// A byte count printed the way `--max-size` takes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size(pub u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (shift, unit) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
            if n >= 1 << shift && n.is_multiple_of(1 << shift) {
                return write!(f, "{}{unit}", n >> shift);
            }
        }
        write!(f, "{n} bytes")
    }
}

/// Why a SIZE argument was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SizeParseError {
    #[error("expected a number of bytes, optionally followed by K, M, G or T (e.g. 64M, 2G)")]
    Syntax,
    #[error("the size does not fit in 64 bits")]
    Overflow,
}

/// Parses `1234`, `64K`, `64M`, `2G`, `1T` (binary units, case-insensitive, optional `B`/`iB`).
pub fn parse_size(s: &str) -> Result<u64, SizeParseError> {
    let s = s.trim();
    let upper = s.to_ascii_uppercase();
    let body = upper
        .strip_suffix("IB")
        .or_else(|| upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (digits, shift) = match body.chars().last() {
        Some('K') => (&body[..body.len() - 1], 10),
        Some('M') => (&body[..body.len() - 1], 20),
        Some('G') => (&body[..body.len() - 1], 30),
        Some('T') => (&body[..body.len() - 1], 40),
        _ => (body, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SizeParseError::Syntax);
    }
    let n: u64 = digits.parse().map_err(|_| SizeParseError::Overflow)?;
    n.checked_mul(1u64 << shift).ok_or(SizeParseError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("1234"), Ok(1234));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1T"), Ok(1 << 40));
        assert_eq!(parse_size("M"), Err(SizeParseError::Syntax));
        assert_eq!(parse_size("-1"), Err(SizeParseError::Syntax));
        assert_eq!(parse_size("1.5G"), Err(SizeParseError::Syntax));
        assert_eq!(parse_size("99999999999T"), Err(SizeParseError::Overflow));
    }

    #[test]
    fn sizes_print_as_they_are_typed() {
        assert_eq!(Size(64 << 30).to_string(), "64G");
        assert_eq!(Size(3 << 20).to_string(), "3M");
        assert_eq!(Size(1000).to_string(), "1000 bytes");
    }
}
